//! Several engines: `--host URL` (repeatable) and `--hosts-file FILE`, each engine reached as
//! the Docker CLI would ([`super::connect`]), connected concurrently with a bounded pool. An
//! engine that cannot be reached is kept with its reason, never dropped: the caller reports
//! it by name.
//!
//! A hosts file lists one engine a line: `URL` or `NAME URL` (the name is what reports and
//! `container:NAME@HOST` sources call it); blank lines and `#` comments are ignored.

use std::path::Path;
use std::sync::Arc;

use super::{Engine, EngineError};

/// How many engines are connected to (and, in a fleet read, how many containers are read)
/// at once.
pub const DEFAULT_POOL: usize = 8;

/// One engine of a fleet: what reports call it and its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSpec {
    /// The name given in a hosts file, else the URL.
    pub label: String,
    pub url: String,
}

impl HostSpec {
    /// A `--host` value: `URL` or `NAME=URL`.
    pub fn parse(value: &str) -> Result<HostSpec, HostsError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(HostsError::Empty);
        }
        match value.split_once('=') {
            Some((name, url)) if !name.contains("://") => {
                if name.is_empty() || url.is_empty() {
                    return Err(HostsError::BadValue(value.to_string()));
                }
                Ok(HostSpec {
                    label: name.to_string(),
                    url: url.to_string(),
                })
            }
            _ => Ok(HostSpec {
                label: value.to_string(),
                url: value.to_string(),
            }),
        }
    }

    /// Does `name` (the part after `@` of a source) name this engine (by name or URL)?
    pub fn is(&self, name: &str) -> bool {
        self.label == name || self.url == name
    }
}

/// Errors in `--host` values and hosts files.
#[derive(Debug, thiserror::Error)]
pub enum HostsError {
    #[error("--host is empty; give an engine URL (unix:///var/run/docker.sock, tcp://HOST:PORT)")]
    Empty,
    #[error("`{0}`: expected URL or NAME=URL")]
    BadValue(String),
    #[error("{path}:{line}: expected `URL` or `NAME URL`, found `{text}`")]
    BadLine {
        path: String,
        line: usize,
        text: String,
    },
    #[error("{path}: {reason}")]
    Read {
        path: String,
        reason: crate::read::ReadError,
    },
    #[error("{path}: not UTF-8 text")]
    NotText { path: String },
    #[error("engine `{0}` is given twice (--host and --hosts-file name each engine once)")]
    Duplicate(String),
    #[error("{path}: lists no engine")]
    NoHosts { path: String },
}

/// The engines of a hosts file (`URL` or `NAME URL` a line).
pub fn parse_hosts_file(display: &str, text: &str) -> Result<Vec<HostSpec>, HostsError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let spec = match words.as_slice() {
            [url] if url.contains("://") => HostSpec {
                label: url.to_string(),
                url: url.to_string(),
            },
            [name, url] if url.contains("://") && !name.contains("://") => HostSpec {
                label: name.to_string(),
                url: url.to_string(),
            },
            _ => {
                return Err(HostsError::BadLine {
                    path: display.to_string(),
                    line: i + 1,
                    text: line.to_string(),
                })
            }
        };
        out.push(spec);
    }
    if out.is_empty() {
        return Err(HostsError::NoHosts {
            path: display.to_string(),
        });
    }
    Ok(out)
}

/// `--host` values then the hosts file's engines, each once.
pub fn resolve_hosts(values: &[String], file: Option<&Path>) -> Result<Vec<HostSpec>, HostsError> {
    let mut out: Vec<HostSpec> = values
        .iter()
        .map(|v| HostSpec::parse(v))
        .collect::<Result<_, _>>()?;
    if let Some(path) = file {
        let display = crate::paths::display_path(path);
        let bytes = crate::read::read_regular(path, crate::read::DEFAULT_MAX_FILE_SIZE).map_err(
            |reason| HostsError::Read {
                path: display.clone(),
                reason,
            },
        )?;
        let text = String::from_utf8(bytes).map_err(|_| HostsError::NotText {
            path: display.clone(),
        })?;
        out.extend(parse_hosts_file(&display, &text)?);
    }
    for (i, h) in out.iter().enumerate() {
        if out[..i]
            .iter()
            .any(|o| o.label == h.label || o.url == h.url)
        {
            return Err(HostsError::Duplicate(h.label.clone()));
        }
    }
    Ok(out)
}

/// A source's engine suffix: `web@B` → (`web`, Some(`B`)). Container names cannot hold an
/// `@`, so the last one splits.
pub fn split_at_host(name: &str) -> (&str, Option<&str>) {
    match name.rsplit_once('@') {
        Some((n, h)) if !n.is_empty() && !h.is_empty() => (n, Some(h)),
        _ => (name, None),
    }
}

/// One engine of a fleet after connecting: the engine, or why it could not be reached.
pub struct FleetEngine {
    pub host: HostSpec,
    pub engine: Result<Arc<Engine>, EngineError>,
}

/// Connect to every engine at once, at most `pool` at a time; in the order given.
pub async fn connect_all(
    hosts: &[HostSpec],
    timeout: std::time::Duration,
    pool: usize,
) -> Vec<FleetEngine> {
    use futures_util::StreamExt;
    futures_util::stream::iter(hosts.iter().cloned())
        .map(|host| async move {
            let engine = Engine::connect_to(&host.url, "from --host", timeout)
                .await
                .map(Arc::new);
            FleetEngine { host, engine }
        })
        .buffered(pool.max(1))
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_values_and_files() {
        let h = HostSpec::parse("tcp://10.0.0.5:2375").unwrap();
        assert_eq!(h.label, "tcp://10.0.0.5:2375");
        let h = HostSpec::parse("b=unix:///tmp/b.sock").unwrap();
        assert_eq!(
            (h.label.as_str(), h.url.as_str()),
            ("b", "unix:///tmp/b.sock")
        );
        assert!(h.is("b") && h.is("unix:///tmp/b.sock") && !h.is("a"));
        assert!(HostSpec::parse(" ").is_err());
        let text = "# fleet\nnode-a unix:///var/run/docker.sock\n\n  tcp://10.0.0.6:2376  # b\n";
        let hosts = parse_hosts_file("hosts.txt", text).unwrap();
        assert_eq!(hosts.len(), 2);
        assert_eq!(hosts[0].label, "node-a");
        assert_eq!(hosts[1].label, "tcp://10.0.0.6:2376");
        let e = parse_hosts_file("hosts.txt", "a\nnode-b\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "hosts.txt:1: expected `URL` or `NAME URL`, found `a`"
        );
        assert!(parse_hosts_file("h", "# none\n").is_err());
    }

    #[test]
    fn duplicates_are_refused() {
        let v = vec!["a=unix:///x".to_string(), "unix:///x".to_string()];
        assert!(matches!(
            resolve_hosts(&v, None),
            Err(HostsError::Duplicate(_))
        ));
    }

    #[test]
    fn engine_suffixes() {
        assert_eq!(split_at_host("web@b"), ("web", Some("b")));
        assert_eq!(
            split_at_host("web@tcp://h:2375"),
            ("web", Some("tcp://h:2375"))
        );
        assert_eq!(split_at_host("web"), ("web", None));
        assert_eq!(split_at_host("web@"), ("web@", None));
    }
}
