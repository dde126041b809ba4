//! `pindrift hotfix pin`, `commit` and `export`: pin packages in place, keep the container as
//! an image, carry the fix back to the repository.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{anyhow, Context};
use clap::Args;

use super::hotfix::HotfixOpts;
use crate::docker::Engine;
use crate::hotfix::commit::{changed_files, changed_packages};
use crate::hotfix::export::{parse_map, ExportRequest};
use crate::hotfix::packages::PinRequest;
use crate::hotfix::{Hotfix, HotfixError, LockMode, StateDir};

/// Pin packages in place with the container's own pip; every distribution that changes is
/// saved first, so rollback restores it offline.
///
/// Only exact pins (`name==version`), judged as `check` judges a requirement line. The
/// Python environment is the one holding the package (as drift finds environments), or
/// --python-env. Afterwards the drift of the container against its state before the step
/// is printed: everything pip changed, dependencies included.
#[derive(Debug, Args)]
#[command(after_help = PIN_HELP)]
pub struct PinArgs {
    /// Container name or id.
    pub container: String,
    /// Exact pins (`eventlet==0.20.0`); with --wheel and no SPEC, the wheels' own.
    #[arg(value_name = "SPEC")]
    pub specs: Vec<String>,
    /// The Python environment (key such as `venv:/opt/venv` or `system`, root, or site folder).
    #[arg(long, value_name = "KEY")]
    pub python_env: Option<String>,
    /// A folder of wheels on this host: copied into the container, installed with
    /// `--no-index --find-links` (air-gapped hosts).
    #[arg(long, value_name = "DIR")]
    pub find_links: Option<PathBuf>,
    /// A wheel file on this host, copied in (repeatable); implies --no-index.
    #[arg(long = "wheel", value_name = "FILE")]
    pub wheels: Vec<PathBuf>,
    /// pip reads no package index.
    #[arg(long)]
    pub no_index: bool,
    /// Install the named packages only, not their dependencies (pip's --no-deps).
    #[arg(long)]
    pub no_deps: bool,
    /// Let pip change a system environment marked EXTERNALLY-MANAGED (PEP 668).
    #[arg(long)]
    pub break_system_packages: bool,
    /// Take over the lock of a process that died.
    #[arg(long)]
    pub break_lock: bool,
}

const PIN_HELP: &str = "\
Examples:
  pindrift hotfix pin web eventlet==0.20.0
  pindrift hotfix pin web eventlet==0.20.0 --find-links ./wheels     # air-gapped
  pindrift hotfix pin web --wheel eventlet-0.20.0-py2.py3-none-any.whl

Exit codes: 0 installed (or nothing to do), 2 a refused argument, pip failing, engine errors.";

/// Commit the container to a new image, labelled with the hotfix.
///
/// The default name is the container's image with `-hotfix-<slug>` after its tag
/// (`my_prod_service:v1.0.0-hotfix-cause-a-problem-flag`; `latest-hotfix-…` without a tag).
/// Labels: io.pindrift.hotfix.id, .reason, .parent-image, .files, .packages; the
/// container's own labels are kept.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  pindrift hotfix commit web app:1.0.0-hotfix-1")]
pub struct CommitArgs {
    /// Container name or id.
    pub container: String,
    /// The new image's reference (`repository[:tag]`).
    #[arg(value_name = "REF")]
    pub reference: Option<String>,
    /// Do not freeze the container while the engine copies its filesystem (the default, as
    /// `docker commit`, pauses it: requests wait, for a second or more on a big container).
    /// Unpaused, a file written during the commit may be caught half-written.
    #[arg(long)]
    pub no_pause: bool,
    /// Take over the lock of a process that died.
    #[arg(long)]
    pub break_lock: bool,
}

/// Carry the fix back to a git repository, on a new branch `hotfix-<slug>`.
///
/// Each changed file goes to its place in the repository (through the Dockerfile's WORKDIR
/// and COPY, or --map); the requirements files are pinned to what the container now runs
/// (`pin --sync`); the branch is made from the image's org.opencontainers.image.revision
/// label when present, else HEAD, in a temporary worktree: the checkout, its index and
/// uncommitted work are not touched.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  pindrift hotfix export web --repo ~/src/app --map /srv/app=app"
)]
pub struct ExportArgs {
    /// Container name or id.
    pub container: String,
    /// The repository (any folder of its checkout).
    #[arg(long, value_name = "DIR")]
    pub repo: PathBuf,
    /// Where a container folder lives in the repository (repeatable; the repository side
    /// relative to its top folder).
    #[arg(long = "map", value_name = "CONTAINER_DIR=REPO_DIR")]
    pub maps: Vec<String>,
    /// The Dockerfile that built the image (default: `Dockerfile` at the repository's top).
    #[arg(long, value_name = "PATH")]
    pub dockerfile: Option<PathBuf>,
    /// The Python environment the requirements are pinned from (default: the one the
    /// hotfix pinned packages in, else the only one).
    #[arg(long, value_name = "KEY")]
    pub python_env: Option<String>,
    /// Take over the lock of a process that died.
    #[arg(long)]
    pub break_lock: bool,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The active hotfix of a running container, its process lock taken.
/// With `break_lock`, the lock of a process that died is taken over (and said so).
async fn open_active(
    opts: &HotfixOpts,
    engine: &Engine,
    container: &str,
    break_lock: bool,
) -> Result<Hotfix, HotfixError> {
    let state = StateDir::resolve(opts.state_dir.as_deref())?;
    let mode = if break_lock {
        LockMode::TakeOverDead
    } else {
        LockMode::Take
    };
    let (hotfix, _) = Hotfix::open_running(engine, &state, container, mode).await?;
    if let Some(h) = &hotfix.took_over {
        let _ = writeln!(
            std::io::stderr().lock(),
            "pindrift: hotfix {}: took over the lock of pid {} on {}, which died{}",
            hotfix.id(),
            h.pid,
            h.host,
            match crate::hotfix::unfinished_step(&hotfix.journal) {
                Some(s) => format!(" during {s}"),
                None => String::new(),
            }
        );
    }
    Ok(hotfix)
}

/// `commit` and `export` act on one container: of a replica group, say which.
fn say_one_of_group(hotfix: &Hotfix, command: &str) -> std::io::Result<()> {
    let h = hotfix.journal.header();
    if let (Some(group), Some(canary)) = (&h.group, h.members.first()) {
        writeln!(
            std::io::stderr().lock(),
            "pindrift: note: hotfix {} is part of replica group {group}: `{command}` acts on {} \
             only{} (the replicas run the same change)",
            h.id,
            h.container.name,
            if canary.id == h.container.id {
                ", the canary".to_string()
            } else {
                format!(", not on the canary {}", canary.name)
            }
        )?;
    }
    Ok(())
}

pub fn pin(opts: &HotfixOpts, args: PinArgs) -> anyhow::Result<u8> {
    let request = PinRequest {
        specs: args.specs.clone(),
        python_env: args.python_env.clone(),
        find_links: args.find_links.clone(),
        wheels: args.wheels.clone(),
        no_index: args.no_index,
        no_deps: args.no_deps,
        break_system_packages: args.break_system_packages,
    };
    // Arguments are judged before anything else is touched.
    if !request.specs.is_empty() {
        crate::hotfix::packages::exact_pins(&request.specs).map_err(|e| anyhow!("{e}"))?;
    }
    let rt = runtime()?;
    // A replica group (given its canary): each member in order, verified, see hotfix_group.
    let grouped = rt.block_on(async {
        let engine = opts.engine().await?;
        let state = StateDir::resolve(opts.state_dir.as_deref())?;
        let (open, facts) = Hotfix::open_running(
            &engine,
            &state,
            &args.container,
            if args.break_lock {
                LockMode::TakeOverDead
            } else {
                LockMode::Take
            },
        )
        .await?;
        match super::hotfix_group::for_change(&state, &open, &facts, "pin")? {
            Some(group) => {
                open.release()?;
                super::hotfix_group::pin(opts, &engine, &state, &group, &request)
                    .await
                    .map(Some)
            }
            None => anyhow::Ok(None),
        }
    });
    match grouped {
        Ok(Some(code)) => {
            rt.shutdown_background();
            return Ok(code);
        }
        Ok(None) => {}
        Err(e) => {
            rt.shutdown_background();
            return Err(e);
        }
    }
    let result = rt.block_on(async {
        let engine = opts.engine().await?;
        let mut open = open_active(opts, &engine, &args.container, args.break_lock).await?;
        let outcome = crate::hotfix::packages::pin(&engine, &mut open.journal, &request).await;
        anyhow::Ok((outcome, open.journal.header().id.clone()))
    });
    rt.shutdown_background();
    let (outcome, id) = result?;
    let outcome = outcome.map_err(|e| anyhow!("{e}"))?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "hotfix {id}: {} in {} ({})",
        if outcome.planned.is_empty() {
            "nothing installed".to_string()
        } else {
            format!(
                "installed {}",
                outcome
                    .planned
                    .iter()
                    .map(|p| format!("{}=={}", p.name, p.after))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        },
        outcome.env_key,
        outcome.python
    )?;
    if !outcome.steps.is_empty() {
        writeln!(
            out,
            "journal steps: {}",
            outcome
                .steps
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }
    if let Some((before, after, drift)) = &outcome.drift {
        let mut before = before.as_ref().clone();
        let mut after = after.as_ref().clone();
        before.source.spec = format!("{} (before the pin)", before.source.spec);
        after.source.spec = format!("{} (after the pin)", after.source.spec);
        let report = crate::drift::report::DriftReport {
            before: &before,
            after: &after,
            outcome: drift,
            show_all: false,
            fail_on: crate::drift::FailOn::Never,
            in_place: false,
        };
        writeln!(out)?;
        out.write_all(
            crate::drift::report::render(&report, crate::drift::report::Format::Table).as_bytes(),
        )?;
    }
    out.flush()?;
    let mut err = std::io::stderr().lock();
    for note in &outcome.notes {
        writeln!(err, "pindrift: note: {note}")?;
    }
    Ok(0)
}

pub fn commit(opts: &HotfixOpts, args: CommitArgs) -> anyhow::Result<u8> {
    if let Some(r) = &args.reference {
        crate::hotfix::commit::parse_reference(r).map_err(|e| anyhow!("{e}"))?;
    }
    let rt = runtime()?;
    let result = rt.block_on(async {
        let engine = opts.engine().await?;
        let mut open = open_active(opts, &engine, &args.container, args.break_lock).await?;
        say_one_of_group(&open, "commit")?;
        let made = crate::hotfix::commit::commit(
            &engine,
            &mut open.journal,
            args.reference.as_deref(),
            !args.no_pause,
        )
        .await;
        anyhow::Ok((
            made,
            open.journal.header().id.clone(),
            changed_files(&open.journal),
            changed_packages(&open.journal),
        ))
    });
    rt.shutdown_background();
    let (made, id, files, packages) = result?;
    let made = made.map_err(|e| anyhow!("{e}"))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "hotfix {id}: committed {} ({})", made.image, made.id)?;
    for f in &files {
        writeln!(out, "  file     {f}")?;
    }
    for p in &packages {
        writeln!(
            out,
            "  package  {} {} → {}",
            p.name,
            p.before.as_deref().unwrap_or("absent"),
            p.after.as_deref().unwrap_or("absent")
        )?;
    }
    let mut labels: Vec<_> = made.labels.iter().collect();
    labels.sort();
    for (k, v) in labels {
        writeln!(out, "  label    {k}={v}")?;
    }
    Ok(0)
}

pub fn export(opts: &HotfixOpts, args: ExportArgs) -> anyhow::Result<u8> {
    let maps = args
        .maps
        .iter()
        .map(|m| parse_map(m))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow!("{e}"))?;
    if !args.repo.is_dir() {
        return Err(anyhow!("--repo {}: not a folder", args.repo.display()));
    }
    let settings = super::check::configured_settings(None, false, Some(&args.repo))?;
    let request = ExportRequest {
        repo: args.repo.clone(),
        maps,
        dockerfile: args.dockerfile.clone(),
        python_env: args.python_env.clone(),
    };
    let rt = runtime()?;
    let result = rt.block_on(async {
        let engine = opts.engine().await?;
        let mut open = open_active(opts, &engine, &args.container, args.break_lock).await?;
        say_one_of_group(&open, "export")?;
        let exported =
            crate::hotfix::export::export(&engine, &mut open.journal, &request, &settings).await;
        anyhow::Ok((exported, open.journal.header().id.clone()))
    });
    rt.shutdown_background();
    let (exported, id) = result?;
    let exported = exported.map_err(|e| anyhow!("{e}"))?;
    let mut out = std::io::stdout().lock();
    match &exported.commit {
        Some(commit) => writeln!(
            out,
            "hotfix {id}: branch {} in {} at {} (from {} {})",
            exported.branch,
            exported.repo.display(),
            &commit[..commit.len().min(12)],
            exported.base_from,
            &exported.base[..exported.base.len().min(12)]
        )?,
        None => writeln!(
            out,
            "hotfix {id}: nothing to commit in {}",
            exported.repo.display()
        )?,
    }
    for (c, r) in &exported.files {
        writeln!(out, "  {c} → {}", r.display())?;
    }
    for p in &exported.pinned {
        writeln!(out, "  pinned {}", p.display())?;
    }
    out.flush()?;
    let mut err = std::io::stderr().lock();
    for note in &exported.notes {
        writeln!(err, "pindrift: note: {note}")?;
    }
    Ok(0)
}
