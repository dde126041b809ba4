//! Replica groups (`hotfix start CONTAINER --replicas SELECTOR`): the same hotfix applied to
//! every replica of a service, one at a time, the canary first.
//!
//! Each member has a hotfix (journal, lock, active marker) of its own, so every
//! per-container command, `status` and `rollback` keep working on it; their headers share
//! the group id and list the members in the order commands apply to them. The canary is the
//! container named on the command line; the others follow in name order.

use crate::docker::{PublishedPort, Replica};

use super::journal::{GroupMember, Header};
use super::state::StateDir;
use super::{lock, HotfixError};

/// Which containers are replicas of the canary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// Running containers with the label `KEY=VALUE`.
    Label(String),
    /// Running containers of the canary's image (exactly that image id).
    Image,
}

impl Selector {
    /// `LABEL=VALUE` or `image`.
    pub fn parse(s: &str) -> Result<Selector, HotfixError> {
        let s = s.trim();
        if s == "image" {
            return Ok(Selector::Image);
        }
        match s.split_once('=') {
            Some((k, _)) if !k.trim().is_empty() => Ok(Selector::Label(s.to_string())),
            _ => Err(HotfixError::Other(format!(
                "--replicas {s}: expected LABEL=VALUE (e.g. com.docker.compose.service=web) \
                 or `image` (every running container of the same image)"
            ))),
        }
    }

    /// The selector as `Engine::replicas` takes it.
    pub fn engine_selector(&self, image_id: &str) -> String {
        match self {
            Selector::Label(l) => l.clone(),
            Selector::Image => format!("image:{image_id}"),
        }
    }
}

/// The members in the order commands apply to them: the canary first, the others in name
/// order. With [`Selector::Image`] only containers of exactly `image_id` count (the engine's
/// ancestor filter also lists images built on it). The canary must be one of them, and a
/// group has at least two members.
pub fn order_members(
    canary_id: &str,
    canary_name: &str,
    selector: &Selector,
    image_id: &str,
    mut replicas: Vec<Replica>,
) -> Result<Vec<GroupMember>, HotfixError> {
    if *selector == Selector::Image {
        replicas.retain(|r| r.image_id == image_id);
    }
    replicas.sort_by(|a, b| a.name.cmp(&b.name));
    replicas.dedup_by(|a, b| a.id == b.id);
    let what = match selector {
        Selector::Label(l) => format!("--replicas {l}"),
        Selector::Image => format!("--replicas image ({image_id})"),
    };
    let Some(at) = replicas.iter().position(|r| r.id == canary_id) else {
        return Err(HotfixError::Other(format!(
            "{what}: {canary_name} is not one of the running containers it selects ({}); \
             the container named is the canary and must be a replica",
            names(&replicas)
        )));
    };
    if replicas.len() < 2 {
        return Err(HotfixError::Other(format!(
            "{what}: selects only {canary_name}; a replica group needs two running containers \
             or more (leave out --replicas for one)"
        )));
    }
    let canary = replicas.remove(at);
    Ok(std::iter::once(canary)
        .chain(replicas)
        .map(|r| GroupMember {
            id: r.id,
            name: r.name,
        })
        .collect())
}

fn names(replicas: &[Replica]) -> String {
    if replicas.is_empty() {
        return "none".to_string();
    }
    replicas
        .iter()
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `url` with each `{port:N}` (or `{port:N/udp}`) replaced by the host port the engine
/// publishes for container port N, so that each replica's own service is checked. A port
/// published on several addresses: the one on 127.0.0.1 first, else the first.
pub fn expand_ports(
    url: &str,
    container: &str,
    ports: &[PublishedPort],
) -> Result<String, HotfixError> {
    let mut out = String::new();
    let mut rest = url;
    while let Some(at) = rest.find("{port:") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + "{port:".len()..];
        let Some(end) = tail.find('}') else {
            return Err(HotfixError::Other(format!(
                "--check {url}: `{{port:` without its closing `}}`"
            )));
        };
        let spec = &tail[..end];
        let (num, proto) = spec.split_once('/').unwrap_or((spec, "tcp"));
        let Ok(n) = num.trim().parse::<u16>() else {
            return Err(HotfixError::Other(format!(
                "--check {url}: `{{port:{spec}}}`: expected a container port number, e.g. {{port:8000}}"
            )));
        };
        let found: Vec<&PublishedPort> = ports
            .iter()
            .filter(|p| p.container_port == n && p.protocol == proto)
            .collect();
        let chosen = found
            .iter()
            .find(|p| p.host_ip == "127.0.0.1")
            .or_else(|| found.first());
        let Some(p) = chosen else {
            return Err(HotfixError::Other(format!(
                "--check {url}: container {container} does not publish port {n}/{proto} on the host \
                 (docker run -p 127.0.0.1::{n}); published: {}",
                if ports.is_empty() {
                    "none".to_string()
                } else {
                    ports
                        .iter()
                        .map(|p| format!("{}/{} -> {}", p.container_port, p.protocol, p.host_port))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )));
        };
        out.push_str(&p.host_port.to_string());
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The group id for a group whose canary's hotfix id is `canary_hotfix_id`.
pub fn group_id(canary_hotfix_id: &str) -> String {
    format!("{canary_hotfix_id}-replicas")
}

/// Each member of the group of `header` with its active hotfix in that group (`None`: it
/// has none any more: finished, rolled back, or another hotfix took its place).
pub fn active_members(
    state: &StateDir,
    header: &Header,
) -> Result<Vec<(GroupMember, Option<String>)>, HotfixError> {
    let mut out = Vec::new();
    for m in &header.members {
        let id = match lock::active(state, &m.id)? {
            Some(id) => {
                let dir = state.hotfix_dir(&id);
                match super::Journal::open(&dir) {
                    Ok(j) if j.header().group == header.group => Some(id),
                    _ => None,
                }
            }
            None => None,
        };
        out.push((m.clone(), id));
    }
    Ok(out)
}

/// Is this hotfix part of a group?
pub fn is_group(header: &Header) -> bool {
    header.group.is_some() && !header.members.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(id: &str, name: &str, image: &str) -> Replica {
        Replica {
            id: id.into(),
            name: name.into(),
            image_id: image.into(),
        }
    }

    #[test]
    fn the_canary_comes_first_then_the_others_by_name() {
        let got = order_members(
            "b",
            "web-2",
            &Selector::Image,
            "sha256:1",
            vec![
                r("c", "web-3", "sha256:1"),
                r("a", "web-1", "sha256:1"),
                r("b", "web-2", "sha256:1"),
                r("d", "child", "sha256:2"),
            ],
        )
        .unwrap();
        let names: Vec<&str> = got.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["web-2", "web-1", "web-3"]);
    }

    #[test]
    fn a_canary_outside_the_selection_or_alone_is_refused() {
        let e = order_members(
            "x",
            "other",
            &Selector::Label("svc=web".into()),
            "sha256:1",
            vec![r("a", "web-1", "sha256:1"), r("b", "web-2", "sha256:9")],
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("other is not one of") && e.contains("web-1, web-2"),
            "{e}"
        );
        let e = order_members(
            "a",
            "web-1",
            &Selector::Image,
            "sha256:1",
            vec![r("a", "web-1", "sha256:1"), r("b", "web-2", "sha256:9")],
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("selects only web-1"), "{e}");
    }

    #[test]
    fn selectors_parse() {
        assert_eq!(Selector::parse("image").unwrap(), Selector::Image);
        assert_eq!(
            Selector::parse("app=web").unwrap(),
            Selector::Label("app=web".into())
        );
        assert!(Selector::parse("web").is_err());
        assert!(Selector::parse("=web").is_err());
    }

    fn p(port: u16, ip: &str, host: u16) -> PublishedPort {
        PublishedPort {
            container_port: port,
            protocol: "tcp".into(),
            host_ip: ip.into(),
            host_port: host,
        }
    }

    #[test]
    fn port_placeholders_become_each_replicas_host_port() {
        let ports = [
            p(8000, "::1", 41000),
            p(8000, "127.0.0.1", 40001),
            p(9000, "", 40002),
        ];
        assert_eq!(
            expand_ports("http://127.0.0.1:{port:8000}/health", "web-1", &ports).unwrap(),
            "http://127.0.0.1:40001/health"
        );
        assert_eq!(
            expand_ports("http://h:{port:9000}/{port:8000}", "web-1", &ports).unwrap(),
            "http://h:40002/40001"
        );
        assert_eq!(
            expand_ports("http://127.0.0.1:8080/", "web-1", &[]).unwrap(),
            "http://127.0.0.1:8080/"
        );
        let e = expand_ports("http://127.0.0.1:{port:7000}/", "web-1", &ports)
            .unwrap_err()
            .to_string();
        assert!(e.contains("web-1 does not publish port 7000/tcp"), "{e}");
        assert!(expand_ports("http://x:{port:80/", "w", &ports).is_err());
        assert!(expand_ports("http://x:{port:http}/", "w", &ports).is_err());
    }
}
