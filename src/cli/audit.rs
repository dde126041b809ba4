//! `pindrift audit`: one GO / NO-GO before a deploy.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{anyhow, Context, Result};
use clap::Args;

use super::check::configured_settings;
use crate::audit::gather::{gather, Request};
use crate::audit::policy::Policy;
use crate::audit::render::{render, Format};
use crate::audit::verdict::decide;
use crate::audit::Verdict;

/// One GO / NO-GO before a deploy: pins, drift from production, base image, unsaved hotfixes.
///
/// `check` runs on PATH (default `.`); every `--running` source is compared with the
/// candidate; each running container is compared with its own image (files changed in
/// place, packages installed by hand, an open hotfix journal). The policy is `[audit]` in
/// pindrift.toml (see docs/audit.md).
#[derive(Debug, Args)]
#[command(after_help = AUDIT_HELP)]
pub struct AuditArgs {
    /// Files or folders to lint (default: the current folder).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// What production runs: container:NAME, image:REF or freeze:FILE; repeat for replicas.
    #[arg(long, value_name = "SOURCE", num_args = 1.., required = true)]
    pub running: Vec<String>,
    /// What is about to be deployed: image:REF (or container:NAME, freeze:FILE).
    #[arg(long, value_name = "SOURCE", required = true)]
    pub candidate: String,
    /// Configuration file (default: nearest pindrift.toml or pyproject.toml [tool.pindrift]).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore configuration files (the default policy applies).
    #[arg(long)]
    pub no_config: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The candidate's build context: findings in its files are listed first.
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,
    /// Where hotfix journals live (default: as `pindrift hotfix` resolves it).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Neither read nor write the image inventory cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Seconds to wait for each answer of the Docker Engine.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::docker::DEFAULT_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub timeout: u64,
}

const AUDIT_HELP: &str = "\
Example:
  pindrift audit . --running container:prod-1 --running container:prod-2 \\
      --candidate image:app:2.3 --format markdown --output audit.md

Exit codes: 0 GO, 1 NO-GO, 2 usage, I/O or engine errors (also an unreadable source).";

pub fn run(args: AuditArgs) -> Result<u8> {
    let settings = configured_settings(args.config.as_deref(), args.no_config, args.paths.first())?;
    let policy =
        Policy::resolve(settings.audit.as_ref(), settings.fail_on).map_err(|e| match &settings
            .config_path
        {
            Some(path) => anyhow!("{}: {e}", path.display()),
            None => anyhow!("{e}"),
        })?;
    if let Some(dir) = &args.context {
        if !dir.is_dir() {
            return Err(anyhow!("--context {}: not a folder", dir.display()));
        }
    }
    let request = Request {
        paths: args.paths.clone(),
        running: args.running.clone(),
        candidate: args.candidate.clone(),
        settings,
        context: args.context.clone(),
        state_dir: args.state_dir.clone(),
        no_cache: args.no_cache,
        timeout: std::time::Duration::from_secs(args.timeout),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let facts = runtime.block_on(gather(&request, super::hotfix::interrupted()));
    runtime.shutdown_background();
    let report = decide(facts?, &policy);
    let text = render(&report, args.format);
    match &args.output {
        Some(path) => write_report(path, text.as_bytes())
            .with_context(|| format!("writing {}", crate::paths::display_path(path)))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(match report.verdict {
        Verdict::Go => 0,
        Verdict::NoGo => super::EXIT_FINDINGS,
    })
}

/// The report written atomically: a temporary file beside `path` (mode 0644), fsync, rename.
fn write_report(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".pindrift-audit-")
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    if let Ok(folder) = std::fs::File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(())
}
