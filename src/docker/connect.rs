//! Reaching the engine: `DOCKER_HOST` or the default socket, API version negotiated.

use bollard::Docker;

use super::{Bollard, Engine, EngineError, MIN_API};

impl Engine<Bollard> {
    /// Connect through `DOCKER_HOST` or the default socket and negotiate the API version.
    /// Every request (and every piece of an archive stream) waits at most `timeout`.
    pub async fn connect(timeout: std::time::Duration) -> Result<Engine, EngineError> {
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
        // bollard's timeout is whole seconds: at least one.
        let seconds = timeout.as_secs().max(1);
        let docker = if host.starts_with("unix://") {
            Docker::connect_with_unix(&host, seconds, bollard::API_DEFAULT_VERSION)
        } else {
            Docker::connect_with_host(&host)
        }
        .map_err(|e| unreachable(e.to_string()))?
        .with_timeout(std::time::Duration::from_secs(seconds));
        let docker = docker.negotiate_version().await.map_err(|e| match e {
            bollard::errors::Error::RequestTimeoutError => unreachable(format!(
                "no answer within {seconds} s (--timeout SECONDS waits longer)"
            )),
            e => unreachable(e.to_string()),
        })?;
        // bollard lowers its version to the engine's; below the oldest API with every
        // endpoint pindrift reads through, a missing endpoint's 404 would read as "no such
        // path", i.e. an empty image.
        let v = docker.client_version();
        let (major, minor) = (v.major_version, v.minor_version);
        if (major, minor) < MIN_API {
            return Err(EngineError::TooOld {
                host,
                version: format!("{major}.{minor}"),
            });
        }
        let mut engine = Engine::with_api(Bollard(docker), host);
        engine.api_version = (major, minor);
        engine.answer_timeout = std::time::Duration::from_secs(seconds);
        Ok(engine)
    }
}
