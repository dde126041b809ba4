//! Reaching the engine: `DOCKER_HOST` or the default socket, API version negotiated.

use bollard::Docker;

use super::{Bollard, Engine, EngineError};

impl Engine<Bollard> {
    /// Connect through `DOCKER_HOST` or the default socket and negotiate the API version.
    pub async fn connect() -> Result<Engine, EngineError> {
        let (host, origin) = match std::env::var("DOCKER_HOST") {
            Ok(h) if !h.is_empty() => (h, "from DOCKER_HOST"),
            _ => (
                "unix:///var/run/docker.sock".to_string(),
                "the default socket",
            ),
        };
        let unreachable = |reason: String| EngineError::Unreachable {
            host: host.clone(),
            origin,
            reason,
        };
        let docker = if host.starts_with("unix://") {
            Docker::connect_with_unix(&host, 120, bollard::API_DEFAULT_VERSION)
        } else {
            Docker::connect_with_host(&host)
        }
        .map_err(|e| unreachable(e.to_string()))?;
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        Ok(Engine::with_api(Bollard(docker), host))
    }
}
