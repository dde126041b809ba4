//! What `status` and `diff` show: the state of each hotfix from its journal, and the
//! changed files against their backups.

use serde::Serialize;

use super::files::{self, file_from_tar};
use super::journal::{Action, EnvPackages, Journal, Note, StepState};
use super::lock::{self, Holder};
use super::state::StateDir;
use super::{Hotfix, HotfixError};
use crate::docker::{Engine, EngineApi};

/// Who holds a hotfix's process lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum LockState {
    Free,
    Held {
        pid: i32,
        host: String,
    },
    /// Its process died: a command was killed or crashed mid-way.
    Dead {
        pid: i32,
        host: String,
    },
}

impl LockState {
    pub fn of(holder: Option<Holder>) -> LockState {
        match holder {
            None => LockState::Free,
            Some(h) if h.alive() => LockState::Held {
                pid: h.pid,
                host: h.host,
            },
            Some(h) => LockState::Dead {
                pid: h.pid,
                host: h.host,
            },
        }
    }
}

/// One step as `status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    pub id: u32,
    pub description: String,
    /// `intended` (may or may not have been carried out), `done`, `failed`.
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub action: Action,
}

/// One hotfix as `status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct HotfixStatus {
    pub id: String,
    pub reason: String,
    pub created: String,
    pub finished: Option<String>,
    pub active: bool,
    pub container_id: String,
    pub container_name: String,
    pub image_id: String,
    pub image_ref: Option<String>,
    pub server: Option<String>,
    pub journal: String,
    pub lock: LockState,
    pub steps: Vec<StepView>,
    pub notes: Vec<Note>,
    /// A last journal line cut short by a crash was dropped.
    pub torn_tail: bool,
    /// The replica group it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupView>,
}

/// A hotfix's replica group as `status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct GroupView {
    pub id: String,
    /// 1 = the canary.
    pub position: usize,
    /// Names, in the order commands apply to them (the canary first).
    pub members: Vec<String>,
}

impl HotfixStatus {
    pub fn of(journal: &Journal, active: bool, lock: LockState) -> HotfixStatus {
        let h = journal.header();
        HotfixStatus {
            id: h.id.clone(),
            reason: h.reason.clone(),
            created: h.created.clone(),
            finished: journal.finished().map(str::to_string),
            active,
            container_id: h.container.id.clone(),
            container_name: h.container.name.clone(),
            image_id: h.container.image_id.clone(),
            image_ref: h.container.image_ref.clone(),
            server: h.server.clone(),
            journal: journal.path().display().to_string(),
            lock,
            steps: journal
                .steps()
                .iter()
                .map(|s| StepView {
                    id: s.id,
                    description: s.action.describe(),
                    state: match s.state {
                        StepState::Intended => "intended",
                        StepState::Done(_) => "done",
                        StepState::Failed(_) => "failed",
                    },
                    error: match &s.state {
                        StepState::Failed(e) => Some(e.clone()),
                        _ => None,
                    },
                    action: s.action.clone(),
                })
                .collect(),
            notes: journal.notes().to_vec(),
            torn_tail: journal.torn_tail(),
            group: h.group.as_ref().map(|id| GroupView {
                id: id.clone(),
                position: h
                    .members
                    .iter()
                    .position(|m| m.id == h.container.id)
                    .map_or(0, |i| i + 1),
                members: h.members.iter().map(|m| m.name.clone()).collect(),
            }),
        }
    }
}

/// The ids of the active hotfixes, optionally only the one of container `name` (recorded
/// name, full id or id prefix).
///
/// A journal that cannot be read does not hide the others: its error is returned only when
/// no other hotfix matches.
pub fn active_ids(state: &StateDir, name: Option<&str>) -> Result<Vec<String>, HotfixError> {
    let mut out = Vec::new();
    let mut unreadable = None;
    for (container_id, id) in lock::all_active(state)? {
        match name {
            None => out.push(id),
            Some(n) if n.len() >= 4 && container_id.starts_with(n) => out.push(id),
            Some(n) => match Journal::open(&state.hotfix_dir(&id)) {
                Ok(journal) if journal.header().container.name == n => out.push(id),
                Ok(_) => {}
                Err(e) => unreadable = unreadable.or(Some(e)),
            },
        }
    }
    match unreadable {
        Some(e) if out.is_empty() => Err(e),
        _ => Ok(out),
    }
}

/// How a changed file stands against its backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileState {
    Changed,
    Created,
    /// Same bytes as the original.
    Unchanged,
    /// It existed and is gone now.
    Missing,
}

/// One changed file: the original (empty for a created file) and what is there now.
#[derive(Debug, Clone)]
pub struct FileDiff {
    pub path: String,
    pub state: FileState,
    pub original: Vec<u8>,
    pub now: Option<Vec<u8>>,
}

impl FileDiff {
    /// A unified diff (`--- PATH (original)` / `+++ PATH (hotfix)`); binary files are
    /// named, not shown.
    pub fn unified(&self) -> String {
        let now = self.now.as_deref().unwrap_or_default();
        unified_diff(&self.path, &self.original, now)
    }
}

/// A unified diff of two versions of `path`.
pub fn unified_diff(path: &str, before: &[u8], after: &[u8]) -> String {
    match (std::str::from_utf8(before), std::str::from_utf8(after)) {
        (Ok(b), Ok(a)) if !before.contains(&0) && !after.contains(&0) => {
            similar::TextDiff::from_lines(b, a)
                .unified_diff()
                .context_radius(3)
                .header(&format!("{path} (original)"), &format!("{path} (hotfix)"))
                .to_string()
        }
        _ if before == after => String::new(),
        _ => format!("Binary file {path} differs\n"),
    }
}

/// Every file the hotfix changed, against its backup, read from the container now.
pub async fn file_diffs<A: EngineApi>(
    engine: &Engine<A>,
    hotfix: &Hotfix,
) -> Result<Vec<FileDiff>, HotfixError> {
    let container = hotfix.container_id().to_string();
    let mut out = Vec::new();
    for path in files::touched_paths(&hotfix.journal) {
        let (backup, _) = files::first_change(&hotfix.journal, &path).unwrap_or((None, None));
        let original = match &backup {
            Some(blob) => Some(file_from_tar(&hotfix.journal.read_blob(blob)?, &path)?.1),
            None => None,
        };
        let now = match files::read_file(engine, &container, &path).await {
            Ok(f) => f.map(|f| f.content),
            Err(HotfixError::BadPath { .. }) => None,
            Err(e) => return Err(e),
        };
        let state = match (&original, &now) {
            (None, _) => FileState::Created,
            (Some(_), None) => FileState::Missing,
            (Some(o), Some(n)) if o == n => FileState::Unchanged,
            _ => FileState::Changed,
        };
        out.push(FileDiff {
            path,
            state,
            original: original.unwrap_or_default(),
            now,
        });
    }
    Ok(out)
}

/// The packages of each environment of an inventory, as a hotfix records them.
pub fn env_packages(inventory: &crate::inventory::Inventory) -> Vec<EnvPackages> {
    inventory
        .envs
        .iter()
        .map(|e| EnvPackages {
            env_key: e.key.clone(),
            python: e.python.clone(),
            root: e.root.clone(),
            packages: e
                .packages
                .values()
                .map(|p| (p.name.clone(), p.version.clone().unwrap_or_default()))
                .collect(),
        })
        .collect()
}

/// A package that differs between two inventories of the same container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageChange {
    pub env_key: String,
    pub name: String,
    /// `None`: added.
    pub before: Option<String>,
    /// `None`: removed.
    pub after: Option<String>,
}

/// Every package added, removed or changed between `before` and `after`, by environment
/// then name.
pub fn package_changes(before: &[EnvPackages], after: &[EnvPackages]) -> Vec<PackageChange> {
    use std::collections::BTreeMap;
    let index = |envs: &[EnvPackages]| {
        let mut m: BTreeMap<(String, String), String> = BTreeMap::new();
        for e in envs {
            for (name, version) in &e.packages {
                m.insert((e.env_key.clone(), name.clone()), version.clone());
            }
        }
        m
    };
    let (b, a) = (index(before), index(after));
    let mut keys: Vec<&(String, String)> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .map(|k| PackageChange {
            env_key: k.0.clone(),
            name: k.1.clone(),
            before: b.get(k).cloned(),
            after: a.get(k).cloned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_changes_are_added_removed_and_changed() {
        let env = |pkgs: &[(&str, &str)]| EnvPackages {
            env_key: "system".into(),
            python: Some("3.11".into()),
            root: None,
            packages: pkgs
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        };
        let before = [env(&[
            ("eventlet", "0.20.1"),
            ("six", "1.16.0"),
            ("gone", "1"),
        ])];
        let after = [env(&[
            ("eventlet", "0.20.0"),
            ("six", "1.16.0"),
            ("new", "2"),
        ])];
        let changes = package_changes(&before, &after);
        let short: Vec<(&str, Option<&str>, Option<&str>)> = changes
            .iter()
            .map(|c| (c.name.as_str(), c.before.as_deref(), c.after.as_deref()))
            .collect();
        assert_eq!(
            short,
            [
                ("eventlet", Some("0.20.1"), Some("0.20.0")),
                ("gone", Some("1"), None),
                ("new", None, Some("2")),
            ]
        );
    }

    #[test]
    fn unified_diff_names_the_path() {
        let d = unified_diff("/app/app.py", b"a\nb\n", b"a\nc\n");
        assert!(d.contains("--- /app/app.py (original)"), "{d}");
        assert!(d.contains("-b\n+c\n"), "{d}");
        assert_eq!(
            unified_diff("/x", b"\0\x01", b"\0\x02"),
            "Binary file /x differs\n"
        );
    }
}
