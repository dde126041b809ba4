//! The write-ahead journal of one hotfix: `STATE/<id>/journal.jsonl` (one JSON object per
//! line, append-only, each append `write_all` + `fsync`) and `STATE/<id>/blobs/` (saved
//! bytes, each written to a temporary file, fsynced and renamed into place).
//!
//! A step is recorded ([`Journal::intend`]) and fsynced *before* the action is performed,
//! and marked ([`Journal::done`] / [`Journal::failed`]) after. Whatever moment pindrift is
//! killed at, the journal says which actions may have happened: an intended step without
//! an outcome may or may not have been carried out, and rollback treats it as carried out
//! (every undo is idempotent). A last line without its newline is an append cut short by a
//! crash before its fsync returned: the step it describes was never started, so it is
//! dropped when the journal is opened. Any other line that does not parse is corruption, an
//! error naming the file and line.
//!
//! The container's environment values are never recorded (they hold secrets).
//!
//! Tests can kill pindrift at a journal boundary: with `PINDRIFT_TEST_KILL_AT=N` the process
//! sends itself SIGKILL at the Nth boundary, counted from 1 across the process. A boundary is
//! right after an intent is fsynced, and right after an action completed, before its `done`
//! is written (the start of [`Journal::done`]).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use serde::{Deserialize, Serialize};

use super::state::{self, StateDir};
use super::HotfixError;

/// The journal's file name in a hotfix folder.
pub const JOURNAL_FILE: &str = "journal.jsonl";
/// The folder of saved bytes in a hotfix folder.
pub const BLOBS_DIR: &str = "blobs";
/// The journal format's version.
pub const VERSION: u32 = 1;

pub type StepId = u32;

/// What a hotfix records when it starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub version: u32,
    /// `<UTC yyyymmddThhmmssZ>-<slug>`.
    pub id: String,
    pub slug: String,
    pub reason: String,
    /// RFC 3339, UTC.
    pub created: String,
    pub container: ContainerRecord,
    /// The server detected from the process tree (`gunicorn`, `uwsgi`).
    #[serde(default)]
    pub server: Option<String>,
    /// The engine's `top`: column titles and one row per process.
    #[serde(default)]
    pub titles: Vec<String>,
    #[serde(default)]
    pub processes: Vec<Vec<String>>,
    /// The Python packages of each environment, when the hotfix started.
    #[serde(default)]
    pub packages: Vec<EnvPackages>,
    /// The replica group this hotfix belongs to (`start --replicas`), shared by the
    /// hotfixes of every member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The members of the group in the order commands apply to them: the canary first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<GroupMember>,
}

/// One replica of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMember {
    /// The container's full id.
    pub id: String,
    pub name: String,
}

impl Header {
    /// A header for a hotfix started at `seconds` (since the epoch) for `reason`; the id is
    /// the UTC time and the slug. Processes, server and packages are filled by the caller.
    pub fn new(reason: &str, container: ContainerRecord, seconds: i64) -> Header {
        let slug = state::slug(reason);
        let (stamp, created) = state::utc_stamps(seconds);
        Header {
            version: VERSION,
            id: format!("{stamp}-{slug}"),
            slug,
            reason: reason.to_string(),
            created,
            container,
            server: None,
            titles: Vec::new(),
            processes: Vec::new(),
            packages: Vec::new(),
            group: None,
            members: Vec::new(),
        }
    }
}

/// The container a hotfix changes. No environment: its values hold secrets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContainerRecord {
    pub id: String,
    pub name: String,
    pub image_id: String,
    pub image_ref: Option<String>,
    /// Seconds the engine waits on stop before it kills (`StopTimeout`), when set.
    pub stop_timeout: Option<i64>,
    /// Labels are not secrets (the environment is).
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
}

/// The packages of one Python environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvPackages {
    pub env_key: String,
    pub python: Option<String>,
    pub root: Option<String>,
    /// `(normalized name, version)`, sorted; an unknown version is empty.
    pub packages: Vec<(String, String)>,
}

/// What a file was before the hotfix changed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMeta {
    /// Permission bits (`0o640`), without the file type.
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Seconds since the epoch.
    pub mtime: i64,
    pub size: u64,
    pub sha256: String,
    /// `file`.
    pub kind: String,
}

/// A distribution whose files were saved before pip changed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedDist {
    pub name: String,
    pub version: String,
    /// Blob name: a tar of its `RECORD` files.
    pub blob: String,
    pub files: Vec<String>,
}

/// One change to the container (or a record of what was done with it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// Write a file. `backup` is the blob holding the original (the archive of the path, so
    /// bytes, mode, owner and mtime); `None` when the file did not exist (created).
    PutFile {
        path: String,
        backup: Option<String>,
        original: Option<FileMeta>,
        new_sha256: String,
    },
    /// Rollback: put back what `of_step` replaced (or remove what it created).
    RestoreFile { path: String, of_step: StepId },
    /// `pip install` in one environment of the container.
    PipInstall {
        env_key: String,
        python: String,
        specs: Vec<String>,
        saved: Vec<SavedDist>,
        wheels_dir: Option<String>,
    },
    /// Rollback: put back the distributions `of_step` changed.
    RestoreDists { of_step: StepId },
    /// Reload the service.
    Reload {
        strategy: String,
        target_pid: Option<i64>,
    },
    /// The container was committed to an image (not a change of the container).
    Commit { image: String },
    /// The fix was carried back to a repository (not a change of the container).
    Export { repo: String, branch: String },
    /// The committed image was pushed and a Swarm service updated to it by digest (not a
    /// change of the container). `previous_spec` is the blob holding the service's spec
    /// before the update; `previous_image` its image.
    Promote {
        service: String,
        image: String,
        previous_image: String,
        previous_spec: String,
    },
    /// `hotfix rollback --service`: the engine's service rollback of `of_step`'s update.
    ServiceRollback { service: String, of_step: StepId },
}

impl Action {
    /// A short description for messages (`put-file /app/app.py`).
    pub fn describe(&self) -> String {
        match self {
            Action::PutFile { path, backup, .. } => match backup {
                Some(_) => format!("put-file {path}"),
                None => format!("put-file {path} (created)"),
            },
            Action::RestoreFile { path, of_step } => {
                format!("restore-file {path} (of step {of_step})")
            }
            Action::PipInstall {
                env_key,
                specs,
                wheels_dir,
                ..
            } => match (specs.is_empty(), wheels_dir) {
                // `hotfix pin --find-links/--wheel`: the wheels copied in for pip.
                (true, Some(dir)) => format!("pip-wheels {dir} for {env_key}"),
                _ => format!("pip-install {} in {env_key}", specs.join(" ")),
            },
            Action::RestoreDists { of_step } => format!("restore-dists (of step {of_step})"),
            Action::Reload { strategy, .. } => format!("reload ({strategy})"),
            Action::Commit { image } => format!("commit {image}"),
            Action::Export { repo, branch } => format!("export {repo} on {branch}"),
            Action::Promote { service, image, .. } => {
                format!("promote {image} to service {service}")
            }
            Action::ServiceRollback { service, of_step } => {
                format!("service-rollback {service} (of step {of_step})")
            }
        }
    }
}

/// Where a step stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepState {
    /// Recorded; it may or may not have been carried out.
    Intended,
    Done(serde_json::Value),
    Failed(String),
}

/// A replayed step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub id: StepId,
    pub action: Action,
    pub state: StepState,
}

/// A remark recorded in the journal (a lock taken over, a rollback that completed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub at: String,
    pub text: String,
}

/// One line of the journal file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "kebab-case")]
enum Record {
    Header {
        header: Box<Header>,
    },
    Intend {
        step: StepId,
        action: Action,
    },
    Done {
        step: StepId,
        outcome: serde_json::Value,
    },
    Failed {
        step: StepId,
        error: String,
    },
    Note {
        at: String,
        text: String,
    },
    Finish {
        at: String,
    },
}

/// An open journal.
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    path: PathBuf,
    file: File,
    header: Header,
    steps: Vec<Step>,
    notes: Vec<Note>,
    finished: Option<String>,
    /// A last line cut short by a crash was ignored when the journal was opened.
    torn_tail: bool,
    /// The length of the complete lines, when a torn last line waits to be cut off before
    /// the next append (appends happen only under the process lock, so what is cut is
    /// never another process's line in progress).
    truncate_to: Option<u64>,
}

impl Journal {
    /// Create the folder of a new hotfix (`STATE/<id>`, 0700, with `blobs/`) and its journal
    /// (0600) holding the header. An existing folder of the same id
    /// (same second, same reason) gets `-2`, `-3`, … appended to the id.
    pub fn create(state: &StateDir, mut header: Header) -> Result<Journal, HotfixError> {
        // Two hotfixes in the same second with the same reason: `-2`, `-3`, … after the id.
        let base = header.id.clone();
        let mut n = 1;
        let dir = loop {
            let dir = state.hotfix_dir(&header.id);
            match state::create_private_dir(&dir) {
                Ok(()) => break dir,
                Err(HotfixError::Io { error, .. })
                    if error.kind() == std::io::ErrorKind::AlreadyExists && n < 100 =>
                {
                    n += 1;
                    header.id = format!("{base}-{n}");
                }
                Err(e) => return Err(e),
            }
        };
        state::create_private_dir(&dir.join(BLOBS_DIR))?;
        let path = dir.join(JOURNAL_FILE);
        let file = state::create_private_file(&path)?;
        let mut journal = Journal {
            dir,
            path,
            file,
            header: header.clone(),
            steps: Vec::new(),
            notes: Vec::new(),
            finished: None,
            torn_tail: false,
            truncate_to: None,
        };
        journal.append(&Record::Header {
            header: Box::new(header),
        })?;
        Ok(journal)
    }

    /// Open the journal in `dir` and replay it. A line that does not parse, or does not fit
    /// (an outcome of a step never intended), is an error naming the file and line.
    pub fn open(dir: &Path) -> Result<Journal, HotfixError> {
        let path = dir.join(JOURNAL_FILE);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(HotfixError::MissingJournal(path))
            }
            Err(e) => return Err(HotfixError::io("reading", &path, e)),
        };
        let replay = replay(&path, &bytes)?;
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| HotfixError::io("opening", &path, e))?;
        Ok(Journal {
            dir: dir.to_path_buf(),
            path,
            file,
            header: replay.header,
            steps: replay.steps,
            notes: replay.notes,
            finished: replay.finished,
            torn_tail: replay.complete_len < bytes.len(),
            truncate_to: (replay.complete_len < bytes.len()).then_some(replay.complete_len as u64),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The steps, in the order they were intended.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    pub fn step(&self, id: StepId) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    pub fn notes(&self) -> &[Note] {
        &self.notes
    }

    /// When the hotfix was finished (RFC 3339), if it was.
    pub fn finished(&self) -> Option<&str> {
        self.finished.as_deref()
    }

    /// Whether opening dropped a last line cut short by a crash.
    pub fn torn_tail(&self) -> bool {
        self.torn_tail
    }

    /// Save `bytes` as blob `name` (temporary file, fsync, rename; 0600).
    pub fn write_blob(&self, name: &str, bytes: &[u8]) -> Result<PathBuf, HotfixError> {
        let path = self.blob_path(name)?;
        state::write_private_atomic(&path, bytes)?;
        Ok(path)
    }

    pub fn read_blob(&self, name: &str) -> Result<Vec<u8>, HotfixError> {
        let path = self.blob_path(name)?;
        fs::read(&path).map_err(|e| HotfixError::io("reading saved bytes", &path, e))
    }

    fn blob_path(&self, name: &str) -> Result<PathBuf, HotfixError> {
        let ok = !name.is_empty()
            && !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !ok {
            return Err(HotfixError::Other(format!(
                "journal {}: blob name {name:?} is not a plain file name",
                self.path.display()
            )));
        }
        Ok(self.dir.join(BLOBS_DIR).join(name))
    }

    /// Write-ahead: record `action` and fsync, BEFORE the action is performed.
    pub fn intend(&mut self, action: Action) -> Result<StepId, HotfixError> {
        self.refuse_finished()?;
        let id = self.steps.iter().map(|s| s.id).max().unwrap_or(0) + 1;
        self.append(&Record::Intend {
            step: id,
            action: action.clone(),
        })?;
        self.steps.push(Step {
            id,
            action,
            state: StepState::Intended,
        });
        kill_boundary();
        Ok(id)
    }

    /// After the action: record its outcome and fsync.
    pub fn done(&mut self, step: StepId, outcome: serde_json::Value) -> Result<(), HotfixError> {
        kill_boundary();
        self.index_of(step)?;
        self.append(&Record::Done {
            step,
            outcome: outcome.clone(),
        })?;
        let i = self.index_of(step)?;
        self.steps[i].state = StepState::Done(outcome);
        Ok(())
    }

    /// The action failed: record why and fsync.
    pub fn failed(&mut self, step: StepId, error: &str) -> Result<(), HotfixError> {
        let i = self.index_of(step)?;
        self.append(&Record::Failed {
            step,
            error: error.to_string(),
        })?;
        self.steps[i].state = StepState::Failed(error.to_string());
        Ok(())
    }

    /// Record a remark (a lock taken over).
    pub fn note(&mut self, text: &str) -> Result<(), HotfixError> {
        let at = state::utc_stamps(state::now_seconds()).1;
        self.append(&Record::Note {
            at: at.clone(),
            text: text.to_string(),
        })?;
        self.notes.push(Note {
            at,
            text: text.to_string(),
        });
        Ok(())
    }

    /// Close the hotfix: it takes no more steps.
    pub fn finish(&mut self) -> Result<(), HotfixError> {
        self.refuse_finished()?;
        let at = state::utc_stamps(state::now_seconds()).1;
        self.append(&Record::Finish { at: at.clone() })?;
        self.finished = Some(at);
        Ok(())
    }

    fn refuse_finished(&self) -> Result<(), HotfixError> {
        match self.finished {
            Some(_) => Err(HotfixError::Finished(self.header.id.clone())),
            None => Ok(()),
        }
    }

    fn index_of(&self, step: StepId) -> Result<usize, HotfixError> {
        self.steps
            .iter()
            .position(|s| s.id == step)
            .ok_or_else(|| HotfixError::UnknownStep {
                path: self.path.clone(),
                step,
            })
    }

    /// One line: `write_all` of the whole line, then fsync.
    fn append(&mut self, record: &Record) -> Result<(), HotfixError> {
        if let Some(len) = self.truncate_to.take() {
            // The torn last append: cut it off, so that this append starts a line.
            self.file
                .set_len(len)
                .and_then(|()| self.file.sync_all())
                .map_err(|e| HotfixError::io("cutting the torn last line of", &self.path, e))?;
        }
        let mut line = serde_json::to_vec(record)
            .map_err(|e| HotfixError::Json(format!("journal {}: {e}", self.path.display())))?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .map_err(|e| HotfixError::io("appending to", &self.path, e))?;
        trace("write");
        self.file
            .sync_all()
            .map_err(|e| HotfixError::io("fsyncing", &self.path, e))?;
        trace("fsync");
        Ok(())
    }
}

struct Replayed {
    header: Header,
    steps: Vec<Step>,
    notes: Vec<Note>,
    finished: Option<String>,
    /// Bytes up to the end of the last complete line.
    complete_len: usize,
}

/// Replays journal bytes as [`Journal::open`] does, without a file: each step described, or
/// the error `open` would give (named with `path` and the line). The fuzz target's entry.
pub fn replay_bytes(path: &Path, bytes: &[u8]) -> Result<Vec<String>, HotfixError> {
    let replayed = replay(path, bytes)?;
    Ok(replayed
        .steps
        .iter()
        .map(|step| step.action.describe())
        .collect())
}

fn replay(path: &Path, bytes: &[u8]) -> Result<Replayed, HotfixError> {
    let corrupt = |line: usize, reason: String| HotfixError::CorruptJournal {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let complete_len = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut header = None;
    let mut steps: Vec<Step> = Vec::new();
    let mut notes = Vec::new();
    let mut finished = None;
    for (i, raw) in bytes[..complete_len]
        .split_inclusive(|&b| b == b'\n')
        .enumerate()
    {
        let line = i + 1;
        let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
        let record: Record =
            serde_json::from_slice(raw).map_err(|e| corrupt(line, e.to_string()))?;
        match (record, &header) {
            (Record::Header { header: h }, None) if line == 1 => {
                if h.version != VERSION {
                    return Err(corrupt(
                        line,
                        format!(
                            "journal version {} (this pindrift reads {VERSION})",
                            h.version
                        ),
                    ));
                }
                header = Some(*h);
            }
            (Record::Header { .. }, _) => {
                return Err(corrupt(line, "a second header".to_string()));
            }
            (_, None) => {
                return Err(corrupt(
                    line,
                    "the first line is not the header".to_string(),
                ));
            }
            (Record::Intend { step, action }, Some(_)) => {
                if steps.iter().any(|s| s.id == step) {
                    return Err(corrupt(line, format!("step {step} is recorded twice")));
                }
                if finished.is_some() {
                    return Err(corrupt(line, "a step after the finish".to_string()));
                }
                steps.push(Step {
                    id: step,
                    action,
                    state: StepState::Intended,
                });
            }
            (Record::Done { step, outcome }, Some(_)) => {
                let s = intended(&mut steps, step).ok_or_else(|| {
                    corrupt(
                        line,
                        format!("outcome of step {step}, which was never intended"),
                    )
                })?;
                s.state = StepState::Done(outcome);
            }
            (Record::Failed { step, error }, Some(_)) => {
                let s = intended(&mut steps, step).ok_or_else(|| {
                    corrupt(
                        line,
                        format!("outcome of step {step}, which was never intended"),
                    )
                })?;
                s.state = StepState::Failed(error);
            }
            (Record::Note { at, text }, Some(_)) => notes.push(Note { at, text }),
            (Record::Finish { at }, Some(_)) => finished = Some(at),
        }
    }
    let header = header.ok_or_else(|| {
        corrupt(
            1,
            "no header (the journal is empty or was cut short when it was created)".to_string(),
        )
    })?;
    Ok(Replayed {
        header,
        steps,
        notes,
        finished,
        complete_len,
    })
}

fn intended(steps: &mut [Step], id: StepId) -> Option<&mut Step> {
    steps
        .iter_mut()
        .find(|s| s.id == id && s.state == StepState::Intended)
}

/// Boundaries passed by this process (the kill hook counts them).
static BOUNDARIES: AtomicU32 = AtomicU32::new(0);

/// The test hook: SIGKILL at the `PINDRIFT_TEST_KILL_AT`th boundary.
fn kill_boundary() {
    let n = BOUNDARIES.fetch_add(1, Ordering::SeqCst) + 1;
    trace("boundary");
    let at = std::env::var("PINDRIFT_TEST_KILL_AT")
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok());
    if at == Some(n) {
        // SAFETY: kill(2) on this process with a constant signal; no memory is involved.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}

#[cfg(test)]
thread_local! {
    static TRACE: std::cell::RefCell<Vec<&'static str>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Unit tests watch the order of writes, fsyncs and boundaries.
#[cfg(test)]
fn trace(event: &'static str) {
    TRACE.with(|t| t.borrow_mut().push(event));
}

#[cfg(not(test))]
fn trace(_event: &'static str) {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn header() -> Header {
        let container = ContainerRecord {
            id: "c0ffee".repeat(10),
            name: "web".into(),
            image_id: "sha256:abc".into(),
            image_ref: Some("app:1".into()),
            stop_timeout: Some(10),
            labels: [("tier".to_string(), "web".to_string())].into(),
        };
        Header::new("500 BIG_PROBLEM", container, 1_764_460_800)
    }

    fn put(path: &str) -> Action {
        Action::PutFile {
            path: path.into(),
            backup: Some("b1.tar".into()),
            original: Some(FileMeta {
                mode: 0o640,
                uid: 1234,
                gid: 1234,
                mtime: 1_700_000_000,
                size: 3,
                sha256: "00".repeat(32),
                kind: "file".into(),
            }),
            new_sha256: "11".repeat(32),
        }
    }

    fn every_action() -> Vec<Action> {
        vec![
            put("/app/app.py"),
            Action::RestoreFile {
                path: "/app/app.py".into(),
                of_step: 1,
            },
            Action::PipInstall {
                env_key: "system".into(),
                python: "/usr/bin/python3".into(),
                specs: vec!["eventlet==0.20.0".into()],
                saved: vec![SavedDist {
                    name: "eventlet".into(),
                    version: "0.20.1".into(),
                    blob: "d1.tar".into(),
                    files: vec!["eventlet/__init__.py".into()],
                }],
                wheels_dir: None,
            },
            Action::RestoreDists { of_step: 3 },
            Action::Reload {
                strategy: "hup".into(),
                target_pid: Some(7),
            },
            Action::Commit {
                image: "app:1-hotfix-x".into(),
            },
            Action::Export {
                repo: "/src".into(),
                branch: "hotfix-x".into(),
            },
        ]
    }

    #[test]
    fn same_second_same_reason_gets_a_suffix() {
        let t = tempfile::tempdir().expect("tempdir");
        let state = StateDir::at(t.path().to_path_buf()).expect("state");
        let a = Journal::create(&state, header()).expect("first");
        let b = Journal::create(&state, header()).expect("second");
        assert_eq!(b.header().id, format!("{}-2", a.header().id));
        let reopened = Journal::open(b.dir()).expect("open");
        assert_eq!(reopened.header().id, b.header().id);
    }

    #[test]
    fn header_id_and_slug() {
        let h = header();
        assert_eq!(h.id, "20251130T000000Z-500-big-problem");
        assert_eq!(h.created, "2025-11-30T00:00:00Z");
    }

    #[test]
    fn replay_gives_back_every_step_and_outcome() {
        let t = tempfile::tempdir().expect("tempdir");
        let state = StateDir::at(t.path().join("state")).expect("state");
        let mut j = Journal::create(&state, header()).expect("create");
        let mut ids = Vec::new();
        for a in every_action() {
            ids.push(j.intend(a).expect("intend"));
        }
        j.done(ids[0], json!({"sha256": "11"})).expect("done");
        j.failed(ids[2], "pip said no").expect("failed");
        j.note("lock taken over").expect("note");
        j.write_blob("b1.tar", b"saved").expect("blob");
        let dir = j.dir().to_path_buf();
        let before: Vec<Step> = j.steps().to_vec();
        drop(j);

        let mut j = Journal::open(&dir).expect("open");
        assert_eq!(j.header(), &header());
        assert_eq!(j.steps(), &before[..]);
        assert_eq!(j.steps().len(), 7);
        assert_eq!(j.steps()[0].state, StepState::Done(json!({"sha256": "11"})));
        assert_eq!(j.steps()[1].state, StepState::Intended);
        assert_eq!(j.steps()[2].state, StepState::Failed("pip said no".into()));
        assert_eq!(j.notes().len(), 1);
        assert_eq!(j.read_blob("b1.tar").expect("blob"), b"saved");
        assert!(j.read_blob("../journal.jsonl").is_err());
        // New steps continue the numbering.
        assert_eq!(j.intend(put("/b")).expect("intend"), 8);
        j.finish().expect("finish");
        assert!(matches!(j.intend(put("/c")), Err(HotfixError::Finished(_))));
        drop(j);
        let j = Journal::open(&dir).expect("reopen");
        assert!(j.finished().is_some());
    }

    #[test]
    fn corrupt_line_is_named_with_file_and_line() {
        let t = tempfile::tempdir().expect("tempdir");
        let state = StateDir::at(t.path().to_path_buf()).expect("state");
        let mut j = Journal::create(&state, header()).expect("create");
        j.intend(put("/a")).expect("intend");
        j.intend(put("/b")).expect("intend");
        let path = j.path().to_path_buf();
        let dir = j.dir().to_path_buf();
        drop(j);
        let text = fs::read_to_string(&path).expect("read");
        let mut lines: Vec<&str> = text.lines().collect();
        lines[2] = "{\"record\":\"intend\",\"step\":2,\"act";
        fs::write(&path, lines.join("\n") + "\n").expect("write");
        let err = Journal::open(&dir).expect_err("corrupt");
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("{}:3", path.display())),
            "message names file:line: {msg}"
        );

        // An outcome for a step never intended is corruption too.
        lines[2] = "{\"record\":\"done\",\"step\":9,\"outcome\":null}";
        fs::write(&path, lines.join("\n") + "\n").expect("write");
        let msg = Journal::open(&dir).expect_err("corrupt").to_string();
        assert!(
            msg.contains(":3:") && msg.contains("never intended"),
            "{msg}"
        );

        // An empty journal has no header.
        fs::write(&path, "").expect("write");
        let msg = Journal::open(&dir).expect_err("corrupt").to_string();
        assert!(msg.contains(":1:"), "{msg}");

        // A missing journal.
        fs::remove_file(&path).expect("rm");
        assert!(matches!(
            Journal::open(&dir),
            Err(HotfixError::MissingJournal(_))
        ));
    }

    #[test]
    fn torn_last_line_is_dropped_not_corruption() {
        let t = tempfile::tempdir().expect("tempdir");
        let state = StateDir::at(t.path().to_path_buf()).expect("state");
        let mut j = Journal::create(&state, header()).expect("create");
        j.intend(put("/a")).expect("intend");
        let path = j.path().to_path_buf();
        let dir = j.dir().to_path_buf();
        drop(j);
        let mut f = OpenOptions::new().append(true).open(&path).expect("open");
        f.write_all(b"{\"record\":\"done\",\"st").expect("write");
        drop(f);
        let len = fs::metadata(&path).expect("meta").len();
        let mut j = Journal::open(&dir).expect("open");
        assert!(j.torn_tail());
        assert_eq!(j.steps()[0].state, StepState::Intended);
        // Opening (a reader, maybe without the lock) never cuts: only an append does.
        assert_eq!(fs::metadata(&path).expect("meta").len(), len);
        j.done(1, json!(null)).expect("done");
        drop(j);
        let j = Journal::open(&dir).expect("reopen");
        assert!(!j.torn_tail());
        assert_eq!(j.steps()[0].state, StepState::Done(json!(null)));
    }

    #[test]
    fn intent_is_durable_before_intend_returns() {
        let t = tempfile::tempdir().expect("tempdir");
        let state = StateDir::at(t.path().to_path_buf()).expect("state");
        let mut j = Journal::create(&state, header()).expect("create");
        TRACE.with(|t| t.borrow_mut().clear());
        let id = j.intend(put("/a")).expect("intend");
        // The write is fsynced before the boundary (where the action may start), and the
        // boundary of `done` comes before its write.
        j.done(id, json!(null)).expect("done");
        let events = TRACE.with(|t| t.borrow().clone());
        assert_eq!(
            events,
            ["write", "fsync", "boundary", "boundary", "write", "fsync"]
        );
        // What another process reads right after `intend`: the intent is there.
        let id2 = j.intend(put("/b")).expect("intend");
        let other = Journal::open(j.dir()).expect("open");
        assert_eq!(
            other.step(id2).map(|s| &s.state),
            Some(&StepState::Intended)
        );
    }

    #[test]
    fn files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().expect("tempdir");
        let state = StateDir::at(t.path().join("s")).expect("state");
        let j = Journal::create(&state, header()).expect("create");
        let blob = j.write_blob("x.tar", b"1").expect("blob");
        let mode = |p: &Path| fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(j.dir()), 0o700);
        assert_eq!(mode(&j.dir().join(BLOBS_DIR)), 0o700);
        assert_eq!(mode(j.path()), 0o600);
        assert_eq!(mode(&blob), 0o600);
    }
}
