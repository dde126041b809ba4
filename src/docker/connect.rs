//! Reaching an engine as the Docker CLI does: `DOCKER_HOST` or the default socket, or a URL
//! given with `--host` (`unix://PATH`, `tcp://HOST:PORT`; TLS when `DOCKER_TLS_VERIFY` is
//! set, with `ca.pem`, `cert.pem` and `key.pem` from `DOCKER_CERT_PATH`, else `~/.docker`),
//! the API version negotiated.

use std::path::PathBuf;

use bollard::Docker;

use super::{Bollard, Engine, EngineError, MIN_API};

/// The default socket, when neither `--host` nor `DOCKER_HOST` names an engine.
pub const DEFAULT_SOCKET: &str = "unix:///var/run/docker.sock";

/// How the engine at a `tcp://` URL is reached: plain HTTP, or TLS with the client
/// certificates of a folder (the Docker CLI's `DOCKER_TLS_VERIFY` + `DOCKER_CERT_PATH`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    Unix,
    Http,
    Tls { cert_dir: PathBuf },
}

/// The transport for `url`, from the environment as the Docker CLI reads it. A URL the CLI
/// would not reach (or pindrift cannot: `ssh://`, TLS without verification) is an error
/// that says so.
pub fn transport_for(
    url: &str,
    tls_verify: Option<&str>,
    cert_path: Option<&str>,
    home: Option<&str>,
) -> Result<Transport, String> {
    if url.starts_with("unix://") {
        if url.len() == "unix://".len() {
            return Err("a unix:// URL needs a socket path (unix:///var/run/docker.sock)".into());
        }
        return Ok(Transport::Unix);
    }
    let verify = tls_verify.is_some_and(|v| !v.is_empty());
    if let Some(rest) = url.strip_prefix("tcp://") {
        if rest.is_empty() || rest.starts_with('/') {
            return Err("a tcp:// URL needs HOST:PORT (tcp://10.0.0.5:2376)".into());
        }
        if !verify {
            return Ok(Transport::Http);
        }
        let dir = match cert_path.filter(|p| !p.is_empty()) {
            Some(p) => PathBuf::from(p),
            None => match home.filter(|h| !h.is_empty()) {
                Some(h) => PathBuf::from(h).join(".docker"),
                None => return Err(
                    "DOCKER_TLS_VERIFY is set but neither DOCKER_CERT_PATH nor HOME says where \
                         ca.pem, cert.pem and key.pem are"
                        .into(),
                ),
            },
        };
        return Ok(Transport::Tls { cert_dir: dir });
    }
    if url.starts_with("ssh://") {
        return Err(
            "ssh:// engines are not supported; forward the socket (ssh -L) and give its unix:// or tcp:// URL"
                .into(),
        );
    }
    if url.starts_with("npipe://") {
        return Err("npipe:// (Windows named pipes) is not supported".into());
    }
    Err(format!(
        "`{url}` is not an engine URL; expected unix:///PATH or tcp://HOST:PORT"
    ))
}

impl Engine<Bollard> {
    /// Connect through `DOCKER_HOST` or the default socket and negotiate the API version.
    /// Every request (and every piece of an archive stream) waits at most `timeout`.
    pub async fn connect(timeout: std::time::Duration) -> Result<Engine, EngineError> {
        let (host, origin) = match std::env::var("DOCKER_HOST") {
            Ok(h) if !h.is_empty() => (h, "from DOCKER_HOST"),
            _ => (DEFAULT_SOCKET.to_string(), "the default socket"),
        };
        Engine::connect_to(&host, origin, timeout).await
    }

    /// Connect to the engine at `host` (a URL; `origin` says where it came from, for
    /// messages) and negotiate the API version.
    pub async fn connect_to(
        host: &str,
        origin: &'static str,
        timeout: std::time::Duration,
    ) -> Result<Engine, EngineError> {
        let host = host.to_string();
        let unreachable = |reason: String| EngineError::Unreachable {
            host: host.clone(),
            origin,
            reason,
        };
        // bollard's timeout is whole seconds: at least one.
        let seconds = timeout.as_secs().max(1);
        let env = |k: &str| std::env::var(k).ok();
        let transport = transport_for(
            &host,
            env("DOCKER_TLS_VERIFY").as_deref(),
            env("DOCKER_CERT_PATH").as_deref(),
            env("HOME").as_deref(),
        )
        .map_err(&unreachable)?;
        let docker = match &transport {
            Transport::Unix => {
                Docker::connect_with_unix(&host, seconds, bollard::API_DEFAULT_VERSION)
            }
            Transport::Http => {
                Docker::connect_with_http(&host, seconds, bollard::API_DEFAULT_VERSION)
            }
            Transport::Tls { cert_dir } => {
                for f in ["ca.pem", "cert.pem", "key.pem"] {
                    if !cert_dir.join(f).is_file() {
                        return Err(unreachable(format!(
                            "DOCKER_TLS_VERIFY is set but {} is missing",
                            cert_dir.join(f).display()
                        )));
                    }
                }
                #[cfg(feature = "tls")]
                {
                    Docker::connect_with_ssl(
                        &host,
                        &cert_dir.join("key.pem"),
                        &cert_dir.join("cert.pem"),
                        &cert_dir.join("ca.pem"),
                        seconds,
                        bollard::API_DEFAULT_VERSION,
                    )
                }
                #[cfg(not(feature = "tls"))]
                {
                    return Err(unreachable(
                        "DOCKER_TLS_VERIFY is set, but this pindrift was built without TLS \
                         (cargo feature `tls`, on by default): use a release binary or build \
                         with the default features"
                            .to_string(),
                    ));
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transports_follow_the_docker_cli() {
        assert_eq!(
            transport_for("unix:///run/docker.sock", None, None, None),
            Ok(Transport::Unix)
        );
        assert_eq!(
            transport_for("tcp://10.0.0.5:2375", None, None, Some("/root")),
            Ok(Transport::Http)
        );
        // An empty DOCKER_TLS_VERIFY is unset, as for the CLI.
        assert_eq!(
            transport_for("tcp://10.0.0.5:2375", Some(""), None, Some("/root")),
            Ok(Transport::Http)
        );
        assert_eq!(
            transport_for("tcp://h:2376", Some("1"), Some("/certs"), Some("/root")),
            Ok(Transport::Tls {
                cert_dir: "/certs".into()
            })
        );
        assert_eq!(
            transport_for("tcp://h:2376", Some("1"), None, Some("/root")),
            Ok(Transport::Tls {
                cert_dir: "/root/.docker".into()
            })
        );
        assert!(transport_for("ssh://me@h", None, None, None)
            .unwrap_err()
            .contains("not supported"));
        assert!(transport_for("h:2375", None, None, None).is_err());
        assert!(transport_for("tcp://", None, None, None).is_err());
        assert!(transport_for("unix://", None, None, None).is_err());
    }
}
