//! Files changed in a container since it was created (`GET /containers/{id}/changes`): the
//! in-place summary `pindrift drift container:C` reports, and when a container is read as its
//! image plus those changes.

use std::collections::{BTreeMap, BTreeSet};

use super::{ContainerFacts, Engine, EngineApi, EngineError, RawChange};
use crate::drift::{FileChange, FileChangeKind};

/// When a container is read as its image plus the Engine's list of changes instead of whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangesPolicy {
    /// When the image is cached and the storage driver computes changes natively (overlay2
    /// with native diff, aufs); other drivers compare the whole file tree, which costs more
    /// than reading the container (seconds on fuse-overlayfs).
    Auto,
    Always,
    Never,
}

impl ChangesPolicy {
    /// From `PINDRIFT_CHANGES` (`auto`, `always`, `never`); `auto` when unset or unknown.
    pub fn from_env() -> Self {
        match std::env::var("PINDRIFT_CHANGES").as_deref() {
            Ok("always") => ChangesPolicy::Always,
            Ok("never") => ChangesPolicy::Never,
            _ => ChangesPolicy::Auto,
        }
    }
}

impl<A: EngineApi> Engine<A> {
    /// Does the storage driver compute a container's changes from its own layer (cheap),
    /// rather than by comparing whole file trees?
    pub(super) async fn native_changes(&self, driver: Option<&str>) -> bool {
        match driver {
            Some("aufs") => true,
            Some("overlay2") => match self.api.driver_status().await {
                Ok(status) => status
                    .iter()
                    .any(|(k, v)| k == "Native Overlay Diff" && v == "true"),
                Err(_) => false,
            },
            _ => false,
        }
    }

    /// Files changed in a container since it was created, focused on application and
    /// site-packages folders. Parent folders and bytecode caches are left out; changes inside
    /// a site folder are summed up per top-level package folder.
    pub async fn changes(
        &self,
        container: &str,
        focus: &[String],
        site_dirs: &[String],
    ) -> Result<Vec<FileChange>, EngineError> {
        let raw = self.raw_changes(container).await?;
        Ok(summarize_changes(&raw, focus, site_dirs))
    }

    /// The Engine's list of files changed in a container since it was created:
    /// each path with how it changed.
    pub async fn raw_changes(&self, container: &str) -> Result<Vec<RawChange>, EngineError> {
        if self.layers_readable_here() {
            if let Ok(facts) = self.api.inspect_container(container).await {
                return self.raw_changes_of(&facts).await;
            }
        }
        self.api_changes(container).await
    }

    /// [`Engine::raw_changes`] of an inspected container: from its own layer when that is
    /// a folder on this host ([`super::upper`]), else from the engine.
    pub async fn raw_changes_of(
        &self,
        facts: &ContainerFacts,
    ) -> Result<Vec<RawChange>, EngineError> {
        if let Some(layers) = self.local_layers(facts) {
            let listed = tokio::task::spawn_blocking(move || super::upper::changes(&layers))
                .await
                .ok()
                .flatten();
            if let Some(list) = listed {
                return Ok(list);
            }
        }
        self.api_changes(&facts.id).await
    }

    async fn api_changes(&self, container: &str) -> Result<Vec<RawChange>, EngineError> {
        self.api
            .container_changes(container)
            .await
            .map_err(|e| EngineError::api(format!("reading changes of {container}"), e))
    }

    /// May this engine's layer folders be on this host: reached through a unix socket, and
    /// not refused by `PINDRIFT_LOCAL_LAYERS=0`?
    fn layers_readable_here(&self) -> bool {
        let host = self.host();
        (host.starts_with("unix://") || host.starts_with('/')) && super::upper::allowed()
    }

    /// The container's layer folders when they can be read here.
    pub(super) fn local_layers(&self, facts: &ContainerFacts) -> Option<super::upper::Layers> {
        let layers = facts.layers.clone()?;
        (self.layers_readable_here() && layers.here()).then_some(layers)
    }
}

/// See [`Engine::changes`].
pub fn summarize_changes(
    raw: &[RawChange],
    focus: &[String],
    site_dirs: &[String],
) -> Vec<FileChange> {
    let under = |p: &str, dir: &str| {
        let dir = dir.trim_end_matches('/');
        p.starts_with(dir) && p.as_bytes().get(dir.len()) == Some(&b'/')
    };
    let all: BTreeSet<&str> = raw.iter().map(|c| c.path.as_str()).collect();
    let mut out: BTreeMap<(String, FileChangeKind), (u32, bool)> = BTreeMap::new();
    for RawChange { path, kind } in raw {
        if path.contains("/__pycache__") || path.ends_with(".pyc") {
            continue;
        }
        // A folder listed because something below it changed.
        let prefix = format!("{path}/");
        if all
            .range(prefix.as_str()..)
            .next()
            .is_some_and(|n| n.starts_with(&prefix))
        {
            continue;
        }
        if let Some(site) = site_dirs.iter().find(|d| under(path, d)) {
            let rest = &path[site.trim_end_matches('/').len() + 1..];
            let top = rest.split('/').next().unwrap_or(rest);
            let key = if rest.contains('/') {
                format!("{}/{top}/", site.trim_end_matches('/'))
            } else {
                path.clone()
            };
            let e = out.entry((key, *kind)).or_insert((0, true));
            e.0 += 1;
            continue;
        }
        if focus.iter().any(|d| under(path, d) || path == d) {
            out.entry((path.clone(), *kind)).or_insert((0, false)).0 += 1;
        }
    }
    out.into_iter()
        .map(|((path, kind), (count, site))| FileChange {
            path,
            kind,
            count,
            site,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_focused() {
        let raw: Vec<RawChange> = [
            ("/usr", "changed"),
            ("/usr/src", "changed"),
            ("/usr/src/app", "changed"),
            ("/usr/src/app/app.py", "changed"),
            ("/usr/src/app/__pycache__", "added"),
            ("/usr/src/app/__pycache__/app.cpython-311.pyc", "added"),
            ("/tmp/x", "added"),
            (
                "/usr/local/lib/python3.11/dist-packages/eventlet/__init__.py",
                "changed",
            ),
            (
                "/usr/local/lib/python3.11/dist-packages/eventlet/hubs/hub.py",
                "changed",
            ),
            (
                "/usr/local/lib/python3.11/dist-packages/eventlet-0.20.1.dist-info/METADATA",
                "added",
            ),
        ]
        .iter()
        .map(|(path, kind)| RawChange {
            path: path.to_string(),
            kind: match *kind {
                "added" => FileChangeKind::Added,
                "deleted" => FileChangeKind::Deleted,
                _ => FileChangeKind::Changed,
            },
        })
        .collect();
        let got = summarize_changes(
            &raw,
            &["/usr/src/app".into()],
            &["/usr/local/lib/python3.11/dist-packages".into()],
        );
        let lines: Vec<String> = got
            .iter()
            .map(|c| format!("{} {} {}", c.kind, c.path, c.count))
            .collect();
        assert_eq!(
            lines,
            [
                "added /usr/local/lib/python3.11/dist-packages/eventlet-0.20.1.dist-info/ 1",
                "changed /usr/local/lib/python3.11/dist-packages/eventlet/ 2",
                "changed /usr/src/app/app.py 1",
            ]
        );
    }
}
