//! `pindrift hotfix reload`. (A placeholder: helper B's file replaces it.)

use clap::Args;

use super::hotfix::HotfixOpts;

/// Reload the service of a container with an active hotfix.
#[derive(Debug, Args)]
pub struct ReloadArgs {
    /// Container name or id.
    pub container: String,
}

pub fn run(_opts: &HotfixOpts, _args: ReloadArgs) -> anyhow::Result<u8> {
    anyhow::bail!("hotfix reload is not built yet in this version of pindrift")
}
