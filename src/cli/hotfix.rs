//! `pindrift hotfix`: patch a running container safely — a journal, backups, rollback.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

use super::{hotfix_keep, hotfix_reload};

/// Patch a running container safely: every change is journaled and reversible.
#[derive(Debug, Args)]
pub struct HotfixArgs {
    /// State folder (default: $PINDRIFT_STATE_DIR, else $XDG_STATE_HOME/pindrift/hotfix,
    /// else ~/.local/state/pindrift/hotfix).
    #[arg(long, global = true, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Seconds to wait for each answer of the Docker Engine.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 60)]
    pub timeout: u64,
    #[command(subcommand)]
    pub command: HotfixCommand,
}

/// Settings every hotfix command shares, resolved once.
#[allow(dead_code)]
#[derive(Debug, Clone)]
pub struct HotfixOpts {
    pub state_dir: Option<PathBuf>,
    pub timeout: std::time::Duration,
}

#[derive(Debug, Subcommand)]
pub enum HotfixCommand {
    /// Open a hotfix: record the container, its processes and packages.
    Start(StartArgs),
    /// Copy a local file into the container (the original is saved first).
    Cp(CpArgs),
    /// Edit a file of the container in $VISUAL/$EDITOR, see the diff, apply.
    Edit(EditArgs),
    /// Pin packages in place with the container's own pip.
    Pin(hotfix_keep::PinArgs),
    /// Reload the service and check it.
    Reload(hotfix_reload::ReloadArgs),
    /// List active hotfixes and their steps.
    Status(StatusArgs),
    /// Unified diffs of every changed file against its backup.
    Diff(ContainerArg),
    /// Undo every step, reload and verify.
    Rollback(RollbackArgs),
    /// Commit the container to a new image.
    Commit(hotfix_keep::CommitArgs),
    /// Carry the fix back to a git repository.
    Export(hotfix_keep::ExportArgs),
    /// Close the hotfix (its journal stays).
    Finish(ContainerArg),
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// Container name or id.
    pub container: String,
    /// Why (the slug of the hotfix id is made from it).
    #[arg(long)]
    pub reason: String,
}

#[derive(Debug, Args)]
pub struct CpArgs {
    /// The local file.
    pub local: PathBuf,
    /// CONTAINER:PATH (an absolute path).
    pub target: String,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// CONTAINER:PATH (an absolute path).
    pub target: String,
    /// Apply without asking.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Container name or id (default: every active hotfix).
    pub container: Option<String>,
    /// Output format: human or json.
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    pub format: String,
}

#[derive(Debug, Args)]
pub struct ContainerArg {
    /// Container name or id.
    pub container: String,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Container name or id.
    pub container: String,
    /// Do not reload the service after restoring.
    #[arg(long)]
    pub no_reload: bool,
}

pub fn run(args: HotfixArgs) -> Result<u8> {
    let opts = HotfixOpts {
        state_dir: args.state_dir,
        timeout: std::time::Duration::from_secs(args.timeout),
    };
    match args.command {
        HotfixCommand::Pin(a) => hotfix_keep::pin(&opts, a),
        HotfixCommand::Reload(a) => hotfix_reload::run(&opts, a),
        HotfixCommand::Commit(a) => hotfix_keep::commit(&opts, a),
        HotfixCommand::Export(a) => hotfix_keep::export(&opts, a),
        _ => anyhow::bail!("this hotfix command is not built yet"),
    }
}
