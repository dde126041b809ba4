//! `pindrift hotfix`: journaled, reversible changes to a running container.
//!
//! Every mutating step is recorded in a write-ahead journal ([`journal`]) before the engine
//! is called and marked done after, so a pindrift killed at any moment leaves a journal from
//! which `status` tells what happened and `rollback` restores the original. The journal
//! lives in a private state folder on the host ([`state`]); one hotfix per container is
//! active at a time, and one process works on it at a time ([`lock`]).

pub mod commit;
pub mod export;
pub mod files;
pub mod group;
pub mod journal;
pub mod lock;
pub mod packages;
pub mod probe;
pub mod process;
pub mod promote;
pub mod reload;
pub mod rollback;
pub mod state;
pub mod status;

use std::path::PathBuf;

use crate::docker::{ApiError, ContainerFacts, Engine, EngineApi, EngineError};

pub use journal::{
    Action, ContainerRecord, EnvPackages, FileMeta, Header, Journal, SavedDist, Step, StepId,
    StepState,
};
pub use state::StateDir;

/// Errors of the hotfix procedure: each names what and where.
#[derive(Debug, thiserror::Error)]
pub enum HotfixError {
    /// The I/O error is part of the message (not a `source`, which would print it twice).
    #[error("{what} {}: {error}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("corrupt journal {}:{line}: {reason}", path.display())]
    CorruptJournal {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("no journal at {} (the hotfix's folder is missing or incomplete)", .0.display())]
    MissingJournal(PathBuf),
    #[error("hotfix {0} is finished; it takes no more steps")]
    Finished(String),
    #[error("journal {}: step {step} does not exist", path.display())]
    UnknownStep { path: PathBuf, step: StepId },
    #[error("{0}")]
    Json(String),
    #[error("container {container} already has an active hotfix: {id} (see `pindrift hotfix status {container}`; `finish` or `rollback` it first)")]
    AlreadyActive { container: String, id: String },
    #[error("container {0} has no active hotfix (start one with `pindrift hotfix start {0} --reason TEXT`)")]
    NoActive(String),
    #[error("hotfix {id} is in use by pid {pid} on {host} (lock {})", path.display())]
    Locked {
        id: String,
        pid: i32,
        host: String,
        path: PathBuf,
    },
    #[error("hotfix {id}: the process that held its lock (pid {pid} on {host}) died{}; see `pindrift hotfix status` and `pindrift hotfix rollback` (which take the lock over), or pass --break-lock", step_note(.last_step))]
    DeadLock {
        id: String,
        pid: i32,
        host: String,
        last_step: Option<String>,
    },
    #[error("container {0} is not running (hotfix acts on running containers only)")]
    NotRunning(String),
    #[error("no such container: {0}")]
    NoSuchContainer(String),
    #[error("{context}: {message}")]
    Engine { context: String, message: String },
    #[error("refusing {path}: {reason}")]
    BadPath { path: String, reason: String },
    #[error(
        "cannot write {path} in container {container}: its filesystem is read-only ({message})"
    )]
    ReadOnly {
        container: String,
        path: String,
        message: String,
    },
    #[error("{0} is not built yet in this version of pindrift")]
    NotBuilt(&'static str),
    #[error("{0}")]
    Other(String),
}

fn step_note(step: &Option<String>) -> String {
    match step {
        Some(s) => format!(" during {s}"),
        None => String::new(),
    }
}

impl HotfixError {
    pub(crate) fn io(what: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        HotfixError::Io {
            what,
            path: path.into(),
            error: source,
        }
    }
}

/// An engine error with what pindrift was doing (a container gone is named as such).
pub(crate) fn engine_error(context: String, container: &str, e: ApiError) -> HotfixError {
    if e.container_gone() {
        return HotfixError::NoSuchContainer(container.to_string());
    }
    match e.timeout {
        Some(seconds) => HotfixError::Engine {
            context,
            message: format!(
                "the Docker Engine did not answer within {seconds} s (--timeout SECS waits longer)"
            ),
        },
        None => HotfixError::Engine {
            context,
            message: e.message,
        },
    }
}

/// The container `name`, which must exist and run.
pub async fn running_container<A: EngineApi>(
    engine: &Engine<A>,
    name: &str,
) -> Result<ContainerFacts, HotfixError> {
    let facts = engine.container_facts(name).await.map_err(|e| match e {
        EngineError::NoSuchContainer(n) => HotfixError::NoSuchContainer(n),
        other => HotfixError::Engine {
            context: format!("inspecting container {name}"),
            message: other.to_string(),
        },
    })?;
    if !facts.running {
        return Err(HotfixError::NotRunning(name.to_string()));
    }
    Ok(facts)
}

/// How a command takes the process lock of a hotfix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// Read only: no lock.
    None,
    /// A mutating command: an alive or dead holder is an error.
    Take,
    /// Status, rollback, `--break-lock`: a dead holder's lock is taken over (and recorded).
    TakeOverDead,
}

/// An open hotfix: its state folder, its journal and (when taken) its process lock.
#[derive(Debug)]
pub struct Hotfix {
    pub state: StateDir,
    pub journal: Journal,
    lock: Option<lock::ProcessLock>,
    /// The dead holder whose lock was taken over, if one was.
    pub took_over: Option<lock::Holder>,
}

impl Hotfix {
    /// The active hotfix of the running container `name` (name or id, as the engine
    /// resolves it).
    pub async fn open_running<A: EngineApi>(
        engine: &Engine<A>,
        state: &StateDir,
        name: &str,
        mode: LockMode,
    ) -> Result<(Hotfix, ContainerFacts), HotfixError> {
        let facts = running_container(engine, name).await?;
        let id = lock::active(state, &facts.id)?
            .ok_or_else(|| HotfixError::NoActive(name.to_string()))?;
        Ok((Hotfix::open_id(state, &id, mode, "")?, facts))
    }

    /// The active hotfix of the container `name` found through the journals alone (the
    /// container's recorded name, full id or an id prefix): no engine needed, so it works
    /// for a container that stopped or vanished.
    pub fn open_recorded(
        state: &StateDir,
        name: &str,
        mode: LockMode,
    ) -> Result<Hotfix, HotfixError> {
        let id = status::active_ids(state, Some(name))?
            .into_iter()
            .next()
            .ok_or_else(|| HotfixError::NoActive(name.to_string()))?;
        Hotfix::open_id(state, &id, mode, "")
    }

    /// The hotfix `id`, its lock taken as `mode` says. `why` says which command took over
    /// a dead lock (for the journal).
    pub fn open_id(
        state: &StateDir,
        id: &str,
        mode: LockMode,
        why: &str,
    ) -> Result<Hotfix, HotfixError> {
        let dir = state.hotfix_dir(id);
        let journal = Journal::open(&dir)?;
        let (lock, took_over, journal) = match mode {
            LockMode::None => (None, None, journal),
            LockMode::Take | LockMode::TakeOverDead => {
                let (lock, how) = lock::ProcessLock::acquire(
                    &dir,
                    id,
                    mode == LockMode::TakeOverDead,
                    unfinished_step(&journal),
                )?;
                // Read again under the lock: another process may have appended since.
                drop(journal);
                let mut journal = Journal::open(&dir)?;
                let took_over = match how {
                    lock::Acquired::Fresh => None,
                    lock::Acquired::TookOver(h) => {
                        let me = std::process::id();
                        journal.note(&format!(
                            "lock of dead pid {} on {} taken over by pid {me}{}{}",
                            h.pid,
                            h.host,
                            if why.is_empty() { "" } else { " for " },
                            why
                        ))?;
                        Some(h)
                    }
                };
                (Some(lock), took_over, journal)
            }
        };
        Ok(Hotfix {
            state: state.clone(),
            journal,
            lock,
            took_over,
        })
    }

    pub fn id(&self) -> &str {
        &self.journal.header().id
    }

    /// The container's full id, as recorded.
    pub fn container_id(&self) -> &str {
        &self.journal.header().container.id
    }

    /// Release the process lock (also released when dropped).
    pub fn release(mut self) -> Result<(), HotfixError> {
        match self.lock.take() {
            Some(l) => l.release(),
            None => Ok(()),
        }
    }
}

/// The last step recorded as intended but never marked done or failed, described.
pub fn unfinished_step(journal: &Journal) -> Option<String> {
    journal
        .steps()
        .iter()
        .rev()
        .find(|s| s.state == StepState::Intended)
        .map(|s| format!("step {} ({})", s.id, s.action.describe()))
}
