//! Undo a hotfix from its journal alone: every step in reverse order (a file at the place
//! of its first change, back to what that change saved; the distributions a `pip install`
//! changed), then reload and verify. Each undo is idempotent and itself journaled, so a
//! rollback that is interrupted (SIGKILL included) is safe to run again.

use serde::Serialize;

use super::files::{self, check_parents, split_path};
use super::journal::{Action, FileMeta, Step, StepId, StepState};
use super::{engine_error, lock, packages, reload, Hotfix, HotfixError};
use crate::docker::{Engine, EngineApi};

/// What happened to one changed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum FileUndo {
    /// The original was put back.
    Restored,
    /// A file the hotfix created was removed.
    Removed,
    /// A file the hotfix would have created is not there (the write never happened).
    Absent,
    /// An earlier rollback already restored it.
    AlreadyRestored,
    /// It already is the original, exactly (the write never happened or failed).
    Unchanged,
    /// Not touched: why (a created file someone changed since is never deleted).
    Refused { reason: String },
}

/// A difference found when verifying a restored file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    pub path: String,
    /// Empty when the file is exactly the original (or absent, as it was).
    pub differences: Vec<String>,
}

/// What a rollback did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RollbackReport {
    pub files: Vec<(String, FileUndo)>,
    /// `PipInstall` steps undone.
    pub dists: Vec<StepId>,
    pub verified: Vec<Verified>,
    /// The reload's outcome (an error message when it failed); `None` when not reloaded.
    pub reload: Option<Result<serde_json::Value, String>>,
    /// Everything restored, verified (and reloaded): the hotfix is closed.
    pub completed: bool,
}

impl RollbackReport {
    /// Verification found a difference, or a file was refused.
    pub fn has_differences(&self) -> bool {
        self.verified.iter().any(|v| !v.differences.is_empty())
            || self
                .files
                .iter()
                .any(|(_, u)| matches!(u, FileUndo::Refused { .. }))
    }
}

/// One undo, in the order rollback makes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    /// Put `path` back to what step `of_step` (its first change) saved.
    File { path: String, of_step: StepId },
    /// Put back the distributions the `PipInstall` step `of_step` changed.
    Dists { of_step: StepId },
}

/// The undos of `steps`, in reverse order: a file at the place of its first change (later
/// writes to it are undone with it), every `pip install`. Reloads, commits and exports
/// change nothing to undo.
pub fn plan(steps: &[Step]) -> Vec<Unit> {
    let mut units = Vec::new();
    for s in steps.iter().rev() {
        match &s.action {
            Action::PutFile { path, .. } => {
                let first = steps.iter().find_map(|t| match &t.action {
                    Action::PutFile { path: p, .. } if p == path => Some(t.id),
                    _ => None,
                });
                if first == Some(s.id) {
                    units.push(Unit::File {
                        path: path.clone(),
                        of_step: s.id,
                    });
                }
            }
            Action::PipInstall { .. } => units.push(Unit::Dists { of_step: s.id }),
            _ => {}
        }
    }
    units
}

/// Roll back every step of the hotfix. With `do_reload`, the service is reloaded after the
/// files and packages are back. The hotfix is closed (journal finished, container released)
/// only when everything was restored, verified and reloaded.
pub async fn rollback<A: EngineApi>(
    engine: &Engine<A>,
    hotfix: &mut Hotfix,
    do_reload: bool,
) -> Result<RollbackReport, HotfixError> {
    let units = plan(hotfix.journal.steps());
    let mut report = RollbackReport::default();
    for unit in &units {
        match unit {
            Unit::File { path, of_step } => {
                let undo = restore_file(engine, hotfix, path, *of_step).await?;
                report.files.push((path.clone(), undo));
            }
            Unit::Dists { of_step } => {
                if !dists_restored(hotfix, *of_step) {
                    packages::undo(engine, &mut hotfix.journal, *of_step).await?;
                }
                report.dists.push(*of_step);
            }
        }
    }
    // Reload only when the container changed back (now or in an interrupted rollback):
    // a restart for nothing is downtime for nothing.
    let do_reload = do_reload
        && (!report.dists.is_empty()
            || report.files.iter().any(|(_, u)| {
                matches!(
                    u,
                    FileUndo::Restored | FileUndo::Removed | FileUndo::AlreadyRestored
                )
            }));
    for unit in &units {
        if let Unit::File { path, of_step } = unit {
            let original = original_of(hotfix, *of_step);
            let differences = verify_file(engine, hotfix.container_id(), path, &original).await?;
            report.verified.push(Verified {
                path: path.clone(),
                differences,
            });
        }
    }
    if do_reload && !units.is_empty() {
        let container_id = hotfix.container_id().to_string();
        report.reload = Some(
            reload::reload(
                engine,
                &mut hotfix.journal,
                &container_id,
                &reload::ReloadRequest::new(reload::Strategy::Auto),
            )
            .await
            .map(|r| serde_json::to_value(&r).unwrap_or_default())
            .map_err(|e| e.to_string()),
        );
    }
    let reload_ok = !matches!(report.reload, Some(Err(_)));
    if !report.has_differences() && reload_ok {
        hotfix
            .journal
            .note("rolled back: every change undone and verified")?;
        hotfix.journal.finish()?;
        let (container, id) = (hotfix.container_id().to_string(), hotfix.id().to_string());
        lock::release_active(&hotfix.state, &container, &id)?;
        report.completed = true;
    }
    Ok(report)
}

fn original_of(hotfix: &Hotfix, of_step: StepId) -> Option<FileMeta> {
    match hotfix.journal.step(of_step).map(|s| &s.action) {
        Some(Action::PutFile { original, .. }) => original.clone(),
        _ => None,
    }
}

/// Was `of_step` restored by an earlier rollback, with no write to its path after?
fn file_restored(hotfix: &Hotfix, path: &str, of_step: StepId) -> bool {
    let mut restored = false;
    for s in hotfix.journal.steps() {
        match &s.action {
            Action::RestoreFile { of_step: o, .. } if *o == of_step => {
                restored = matches!(s.state, StepState::Done(_));
            }
            Action::PutFile { path: p, .. } if p == path && s.id > of_step => restored = false,
            _ => {}
        }
    }
    restored
}

fn dists_restored(hotfix: &Hotfix, of_step: StepId) -> bool {
    hotfix.journal.steps().iter().any(|s| {
        matches!(s.action, Action::RestoreDists { of_step: o } if o == of_step)
            && matches!(s.state, StepState::Done(_))
    })
}

async fn restore_file<A: EngineApi>(
    engine: &Engine<A>,
    hotfix: &mut Hotfix,
    path: &str,
    of_step: StepId,
) -> Result<FileUndo, HotfixError> {
    if file_restored(hotfix, path, of_step) {
        return Ok(FileUndo::AlreadyRestored);
    }
    let container = hotfix.container_id().to_string();
    let backup = match hotfix.journal.step(of_step).map(|s| &s.action) {
        Some(Action::PutFile { backup, .. }) => backup.clone(),
        _ => {
            return Err(HotfixError::UnknownStep {
                path: hotfix.journal.path().to_path_buf(),
                step: of_step,
            })
        }
    };
    let name = hotfix.journal.header().container.name.clone();
    check_parents(engine, &container, &name, path).await?;
    let (parent, _) = split_path(path);
    match backup {
        Some(blob) => {
            let original = original_of(hotfix, of_step);
            if verify_file(engine, &container, path, &original)
                .await?
                .is_empty()
            {
                return Ok(FileUndo::Unchanged);
            }
            let tar = hotfix.journal.read_blob(&blob)?;
            let step = hotfix.journal.intend(Action::RestoreFile {
                path: path.to_string(),
                of_step,
            })?;
            if let Err(e) = engine.api().put_archive(&container, parent, tar).await {
                let err = engine_error(format!("restoring {path} in {container}"), &container, e);
                hotfix.journal.failed(step, &err.to_string())?;
                return Err(err);
            }
            hotfix
                .journal
                .done(step, serde_json::json!({ "restored": blob }))?;
            Ok(FileUndo::Restored)
        }
        None => {
            let stat = engine
                .api()
                .path_stat(&container, path)
                .await
                .map_err(|e| {
                    engine_error(format!("checking {path} in {container}"), &container, e)
                })?;
            let Some(stat) = stat else {
                return Ok(FileUndo::Absent);
            };
            if !stat.is_file() {
                return Ok(FileUndo::Refused {
                    reason: "the hotfix created a file here, but it is no longer a regular file; left as it is".to_string(),
                });
            }
            let now = files::read_file(engine, &container, path).await?;
            let written = files::written_sha256s(&hotfix.journal, path);
            let Some(now) = now else {
                return Ok(FileUndo::Absent);
            };
            if !written.contains(&now.meta.sha256) {
                return Ok(FileUndo::Refused {
                    reason: format!(
                        "the hotfix created it, but its bytes (sha256 {}) are not what the hotfix wrote: changed since; not removed",
                        now.meta.sha256
                    ),
                });
            }
            let step = hotfix.journal.intend(Action::RestoreFile {
                path: path.to_string(),
                of_step,
            })?;
            if let Err(e) = files::remove_file(engine, &container, path).await {
                hotfix.journal.failed(step, &e.to_string())?;
                return Err(e);
            }
            hotfix
                .journal
                .done(step, serde_json::json!({ "removed": path }))?;
            Ok(FileUndo::Removed)
        }
    }
}

/// Compare the file at `path` with its original (`None`: it must be absent).
pub async fn verify_file<A: EngineApi>(
    engine: &Engine<A>,
    container: &str,
    path: &str,
    original: &Option<FileMeta>,
) -> Result<Vec<String>, HotfixError> {
    let mut out = Vec::new();
    match original {
        None => {
            if engine
                .api()
                .path_stat(container, path)
                .await
                .map_err(|e| engine_error(format!("checking {path} in {container}"), container, e))?
                .is_some()
            {
                out.push("exists, but the hotfix created it and it was not removed".to_string());
            }
        }
        Some(orig) => match files::read_file(engine, container, path).await {
            Ok(None) => out.push("missing".to_string()),
            Ok(Some(now)) => {
                let m = &now.meta;
                if m.sha256 != orig.sha256 {
                    out.push(format!("sha256 {} (original {})", m.sha256, orig.sha256));
                }
                if m.mode != orig.mode {
                    out.push(format!("mode {:o} (original {:o})", m.mode, orig.mode));
                }
                if (m.uid, m.gid) != (orig.uid, orig.gid) {
                    out.push(format!(
                        "owner {}:{} (original {}:{})",
                        m.uid, m.gid, orig.uid, orig.gid
                    ));
                }
                if m.mtime != orig.mtime {
                    out.push(format!("mtime {} (original {})", m.mtime, orig.mtime));
                }
            }
            Err(HotfixError::BadPath { reason, .. }) => out.push(reason),
            Err(e) => return Err(e),
        },
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(id: StepId, action: Action) -> Step {
        Step {
            id,
            action,
            state: StepState::Intended,
        }
    }

    fn put(path: &str) -> Action {
        Action::PutFile {
            path: path.into(),
            backup: None,
            original: None,
            new_sha256: String::new(),
        }
    }

    #[test]
    fn undo_in_reverse_order_each_file_at_its_first_change() {
        let steps = [
            step(1, put("/a")),
            step(
                2,
                Action::PipInstall {
                    env_key: "system".into(),
                    python: "/usr/bin/python3".into(),
                    specs: vec!["eventlet==0.20.0".into()],
                    saved: Vec::new(),
                    wheels_dir: None,
                },
            ),
            step(3, put("/a")),
            step(
                4,
                Action::Reload {
                    strategy: "hup".into(),
                    target_pid: None,
                },
            ),
            step(5, put("/b")),
        ];
        assert_eq!(
            plan(&steps),
            [
                Unit::File {
                    path: "/b".into(),
                    of_step: 5
                },
                Unit::Dists { of_step: 2 },
                Unit::File {
                    path: "/a".into(),
                    of_step: 1
                },
            ]
        );
    }
}
