//! `pindrift hotfix pin`, `commit` and `export`. (A placeholder: helper C's file replaces it.)

use clap::Args;

use super::hotfix::HotfixOpts;

/// Pin packages in place in a container with an active hotfix.
#[derive(Debug, Args)]
pub struct PinArgs {
    /// Container name or id.
    pub container: String,
    /// Exact pins (`eventlet==0.20.0`).
    pub specs: Vec<String>,
}

/// Commit the container to a new image.
#[derive(Debug, Args)]
pub struct CommitArgs {
    /// Container name or id.
    pub container: String,
    /// The new image's reference.
    pub reference: Option<String>,
}

/// Carry the fix back to a git repository.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Container name or id.
    pub container: String,
}

pub fn pin(_opts: &HotfixOpts, _args: PinArgs) -> anyhow::Result<u8> {
    anyhow::bail!("hotfix pin is not built yet in this version of pindrift")
}

pub fn commit(_opts: &HotfixOpts, _args: CommitArgs) -> anyhow::Result<u8> {
    anyhow::bail!("hotfix commit is not built yet in this version of pindrift")
}

pub fn export(_opts: &HotfixOpts, _args: ExportArgs) -> anyhow::Result<u8> {
    anyhow::bail!("hotfix export is not built yet in this version of pindrift")
}
