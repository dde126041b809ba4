//! `pindrift hotfix`: journaled, reversible changes to a running container.
//!
//! Every mutating step is recorded in a write-ahead journal ([`journal`]) before the engine
//! is called and marked done after, so a pindrift killed at any moment leaves a journal from
//! which `status` tells what happened and `rollback` restores the original. The journal
//! lives in a private state folder on the host ([`state`]); one hotfix per container is
//! active at a time, and one process works on it at a time ([`lock`]).

pub mod commit;
pub mod export;
pub mod journal;
pub mod lock;
pub mod packages;
pub mod process;
pub mod reload;
pub mod state;

use std::path::PathBuf;

pub use journal::{
    Action, ContainerRecord, EnvPackages, FileMeta, Header, Journal, SavedDist, Step, StepId,
    StepState,
};
pub use state::StateDir;

/// Errors of the hotfix procedure: each names what and where.
#[derive(Debug, thiserror::Error)]
pub enum HotfixError {
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
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
            source,
        }
    }
}
