//! `pindrift hotfix`: patch a running container safely — a journal, backups, rollback.

use std::io::{self, BufRead, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use super::{hotfix_group, hotfix_keep, hotfix_promote, hotfix_reload, EXIT_ERROR, EXIT_FINDINGS};
use crate::docker::{Engine, EngineApi};
use crate::hotfix::journal::{Action, ContainerRecord, Header, Journal, StepId};
use crate::hotfix::rollback::FileUndo;
use crate::hotfix::status::{self, HotfixStatus, LockState};
use crate::hotfix::{
    files, lock, process, rollback, running_container, state, Hotfix, HotfixError, LockMode,
    StateDir,
};

/// Patch a running container safely: every change is journaled and reversible.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  pindrift hotfix start web --reason \"eventlet 0.20.1 breaks websockets\""
)]
pub struct HotfixArgs {
    /// State folder (default: $PINDRIFT_STATE_DIR, else $XDG_STATE_HOME/pindrift/hotfix,
    /// else ~/.local/state/pindrift/hotfix).
    #[arg(long, global = true, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Seconds to wait for each answer of the Docker Engine.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 60)]
    pub timeout: u64,
    /// The engine to work on (`unix:///PATH`, `tcp://HOST:PORT`, TLS as the Docker CLI);
    /// default DOCKER_HOST, else the default socket.
    #[arg(long, global = true, value_name = "URL")]
    pub host: Option<String>,
    #[command(subcommand)]
    pub command: HotfixCommand,
}

/// Settings every hotfix command shares, resolved once.
#[derive(Debug, Clone)]
pub struct HotfixOpts {
    pub state_dir: Option<PathBuf>,
    pub timeout: std::time::Duration,
    /// `--host URL`.
    pub host: Option<String>,
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
    /// Unified diffs of every changed file against its backup, and package changes.
    #[command(after_help = "Example:\n  pindrift hotfix diff web")]
    Diff(ContainerArg),
    /// Undo every step, reload and verify.
    Rollback(RollbackArgs),
    /// Commit the container to a new image.
    Commit(hotfix_keep::CommitArgs),
    /// Roll the committed image out to a Swarm service (push, update by digest, follow).
    #[command(
        after_help = "Example:\n  pindrift hotfix promote web --service app --push-to registry.example:5000/app"
    )]
    Promote(hotfix_promote::PromoteArgs),
    /// Carry the fix back to a git repository.
    Export(hotfix_keep::ExportArgs),
    /// Close the hotfix (its journal stays).
    #[command(after_help = "Example:\n  pindrift hotfix finish web")]
    Finish(ContainerArg),
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  pindrift hotfix start web --reason \"cause a problem flag\" --replicas app=web"
)]
pub struct StartArgs {
    /// Container name or id.
    pub container: String,
    /// Why (the slug of the hotfix id is made from it).
    #[arg(long)]
    pub reason: String,
    /// Apply the hotfix to every replica, one at a time, CONTAINER first (the canary):
    /// LABEL=VALUE (running containers with that label) or `image` (every running
    /// container of CONTAINER's image).
    #[arg(long, value_name = "SELECTOR")]
    pub replicas: Option<String>,
}

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  pindrift hotfix cp app.py web:/srv/app/app.py")]
pub struct CpArgs {
    /// The local file.
    pub local: PathBuf,
    /// CONTAINER:PATH (an absolute path).
    pub target: String,
    /// Take over the lock of a process that died.
    #[arg(long)]
    pub break_lock: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  pindrift hotfix edit web:/srv/app/settings.py")]
pub struct EditArgs {
    /// CONTAINER:PATH (an absolute path).
    pub target: String,
    /// Apply without asking.
    #[arg(long)]
    pub yes: bool,
    /// Take over the lock of a process that died.
    #[arg(long)]
    pub break_lock: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  pindrift hotfix status web --format json")]
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
#[command(after_help = "Example:\n  pindrift hotfix rollback web")]
pub struct RollbackArgs {
    /// Container name or id (with --service: optional, the hotfix whose promotion to undo).
    #[arg(required_unless_present = "service")]
    pub container: Option<String>,
    /// Undo `hotfix promote --service NAME` through the engine's service rollback.
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// With --service: seconds to follow the rollback.
    #[arg(long, value_name = "SECS", default_value_t = 600, requires = "service")]
    pub wait: u64,
    /// Do not reload the service after restoring.
    #[arg(long)]
    pub no_reload: bool,
}

pub fn run(args: HotfixArgs) -> Result<u8> {
    let opts = HotfixOpts {
        state_dir: args.state_dir,
        timeout: std::time::Duration::from_secs(args.timeout),
        host: args.host,
    };
    match args.command {
        HotfixCommand::Start(a) => block_on(start(&opts, a)),
        HotfixCommand::Cp(a) => block_on(cp(&opts, a)),
        HotfixCommand::Edit(a) => block_on(edit(&opts, a)),
        HotfixCommand::Pin(a) => hotfix_keep::pin(&opts, a),
        HotfixCommand::Reload(a) => hotfix_reload::run(&opts, a),
        HotfixCommand::Status(a) => status(&opts, a),
        HotfixCommand::Diff(a) => block_on(diff(&opts, a)),
        HotfixCommand::Commit(a) => hotfix_keep::commit(&opts, a),
        HotfixCommand::Promote(a) => hotfix_promote::promote(&opts, a),
        HotfixCommand::Rollback(RollbackArgs {
            service: Some(service),
            container,
            no_reload,
            wait,
        }) => {
            if no_reload {
                anyhow::bail!("--no-reload applies to a container's rollback, not --service");
            }
            hotfix_promote::rollback_service(&opts, &service, container.as_deref(), wait)
        }
        HotfixCommand::Rollback(a) => block_on(rollback(&opts, a)),
        HotfixCommand::Export(a) => hotfix_keep::export(&opts, a),
        HotfixCommand::Finish(a) => finish(&opts, a),
    }
}

/// Run one command's future on a runtime of its own.
pub fn block_on<F: std::future::Future<Output = Result<u8>>>(future: F) -> Result<u8> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(future);
    runtime.shutdown_background();
    result
}

impl HotfixOpts {
    pub fn state(&self) -> Result<StateDir> {
        Ok(StateDir::resolve(self.state_dir.as_deref())?)
    }

    pub async fn engine(&self) -> Result<Engine> {
        Ok(match &self.host {
            Some(h) => Engine::connect_to(h, "from --host", self.timeout).await?,
            None => Engine::connect(self.timeout).await?,
        })
    }
}

/// `CONTAINER:PATH` → `(CONTAINER, PATH)`.
pub fn split_target(target: &str) -> Result<(&str, &str)> {
    match target.split_once(':') {
        Some((c, p)) if !c.is_empty() && !p.is_empty() => Ok((c, p)),
        _ => anyhow::bail!("`{target}`: expected CONTAINER:PATH (e.g. web:/app/app.py)"),
    }
}

async fn start(opts: &HotfixOpts, args: StartArgs) -> Result<u8> {
    if args.reason.trim().is_empty() {
        anyhow::bail!("--reason is empty: say why (the hotfix id's slug is made from it)");
    }
    let state = opts.state()?;
    let engine = opts.engine().await?;
    let facts = running_container(&engine, &args.container).await?;
    if let Some(selector) = &args.replicas {
        return hotfix_group::start(opts, &engine, &state, &facts, &args.reason, selector).await;
    }
    if let Some(id) = lock::active(&state, &facts.id)? {
        return Err(HotfixError::AlreadyActive {
            container: args.container.clone(),
            id,
        }
        .into());
    }
    let journal = start_one(opts, &engine, &state, &facts, &args.reason, None).await?;
    print_started(&journal)?;
    Ok(0)
}

/// The group a new hotfix joins: its id and members (canary first).
pub struct GroupSpec<'a> {
    pub id: &'a str,
    pub members: &'a [crate::hotfix::journal::GroupMember],
}

/// Open the hotfix of one running container: record it, its processes and packages, and
/// mark it active.
pub async fn start_one(
    opts: &HotfixOpts,
    engine: &Engine,
    state: &StateDir,
    facts: &crate::docker::ContainerFacts,
    reason: &str,
    group: Option<GroupSpec<'_>>,
) -> Result<Journal> {
    let name = facts.name.as_str();
    let top = engine.api().top(&facts.id).await.map_err(|e| {
        crate::hotfix::engine_error(format!("listing the processes of {name}"), name, e)
    })?;
    let inventory = crate::drift::session::read_source(
        &format!("container:{}", facts.id),
        crate::inventory::Via::Archive,
        false,
        crate::read::DEFAULT_MAX_FILE_SIZE,
        opts.timeout,
        interrupted(),
    )
    .await
    .with_context(|| format!("reading the packages of {name}"))?;
    let record = ContainerRecord {
        id: facts.id.clone(),
        name: facts.name.clone(),
        image_id: facts.image_id.clone(),
        image_ref: facts.image_ref.clone(),
        stop_timeout: facts.stop_timeout,
        labels: facts.labels.clone(),
    };
    let mut header = Header::new(reason, record, state::now_seconds());
    header.server = process::server_name(&top.titles, &top.processes);
    header.titles = top.titles;
    header.processes = top.processes;
    header.packages = status::env_packages(&inventory);
    if let Some(g) = group {
        header.group = Some(g.id.to_string());
        header.members = g.members.to_vec();
    }
    let journal = Journal::create(state, header)?;
    let id = journal.header().id.clone();
    if let Err(e) = lock::claim_active(state, &facts.id, name, &id) {
        // Another start won the race: this hotfix never began.
        let _ = std::fs::remove_dir_all(journal.dir());
        return Err(e.into());
    }
    Ok(journal)
}

pub fn print_started(journal: &Journal) -> Result<()> {
    let h = journal.header();
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "hotfix {} started for {} ({})",
        h.id,
        h.container.name,
        short(&h.container.id)
    )?;
    writeln!(
        out,
        "  server:   {}",
        h.server.as_deref().unwrap_or("not detected")
    )?;
    let count: usize = h.packages.iter().map(|e| e.packages.len()).sum();
    writeln!(
        out,
        "  packages: {count} in {} environment(s)",
        h.packages.len()
    )?;
    writeln!(out, "  journal:  {}", journal.path().display())?;
    Ok(())
}

async fn cp(opts: &HotfixOpts, args: CpArgs) -> Result<u8> {
    let (container, path) = split_target(&args.target)?;
    let content =
        std::fs::read(&args.local).with_context(|| format!("reading {}", args.local.display()))?;
    if content.len() > files::MAX_FILE {
        anyhow::bail!(
            "{} is larger than {} MiB; hotfix copies source files, not data",
            args.local.display(),
            files::MAX_FILE / (1024 * 1024)
        );
    }
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(&args.local)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0o644)
    };
    files::check_path(path)?;
    let state = opts.state()?;
    let engine = opts.engine().await?;
    let mode_lock = if args.break_lock {
        LockMode::TakeOverDead
    } else {
        LockMode::Take
    };
    let (mut hotfix, facts) = Hotfix::open_running(&engine, &state, container, mode_lock).await?;
    say_took_over(&hotfix)?;
    if let Some(group) = hotfix_group::for_change(&state, &hotfix, &facts, "cp")? {
        hotfix.release()?;
        return hotfix_group::put_file(&engine, &state, &group, path, &content, mode, None).await;
    }
    let outcome = files::put_file(&engine, &mut hotfix, path, &content, mode).await?;
    hotfix.release()?;
    report_put(&outcome)?;
    Ok(0)
}

pub fn report_put(outcome: &files::PutOutcome) -> Result<()> {
    let what = if outcome.created {
        "created"
    } else if outcome.unchanged {
        "rewritten (same bytes)"
    } else {
        "replaced"
    };
    writeln!(
        io::stdout().lock(),
        "step {}: {} {what} (sha256 {})",
        outcome.step,
        outcome.path,
        &outcome.sha256[..12]
    )?;
    Ok(())
}

pub fn say_took_over(hotfix: &Hotfix) -> Result<()> {
    if let Some(h) = &hotfix.took_over {
        writeln!(
            io::stderr().lock(),
            "pindrift: hotfix {}: took over the lock of pid {} on {}, which died{}",
            hotfix.id(),
            h.pid,
            h.host,
            match crate::hotfix::unfinished_step(&hotfix.journal) {
                Some(s) => format!(" during {s}"),
                None => String::new(),
            }
        )?;
    }
    Ok(())
}

async fn edit(opts: &HotfixOpts, args: EditArgs) -> Result<u8> {
    let (container, path) = split_target(&args.target)?;
    let path = files::check_path(path)?;
    let state = opts.state()?;
    let engine = opts.engine().await?;
    let mode_lock = if args.break_lock {
        LockMode::TakeOverDead
    } else {
        LockMode::Take
    };
    let (mut hotfix, facts) = Hotfix::open_running(&engine, &state, container, mode_lock).await?;
    say_took_over(&hotfix)?;
    let group = hotfix_group::for_change(&state, &hotfix, &facts, "edit")?;
    files::check_parents(&engine, &facts.id, container, &path).await?;
    let Some(current) = files::read_file(&engine, &facts.id, &path).await? else {
        return Err(HotfixError::BadPath {
            path: path.clone(),
            reason: format!("it does not exist in {container} (use `hotfix cp` to create a file)"),
        }
        .into());
    };
    let (_, name) = files::split_path(&path);
    let tmp = tempfile::Builder::new()
        .prefix("pindrift-edit-")
        .tempdir()
        .context("creating a temporary folder for the editor")?;
    let local = tmp.path().join(name);
    std::fs::write(&local, &current.content)
        .with_context(|| format!("writing {}", local.display()))?;
    let editor = std::env::var("VISUAL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .context("neither $VISUAL nor $EDITOR is set: set one, or use `hotfix cp`")?;
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&local)
        .status()
        .with_context(|| format!("running the editor `{editor}`"))?;
    if !status.success() {
        anyhow::bail!("the editor `{editor}` failed ({status}); nothing was changed");
    }
    let edited = std::fs::read(&local).with_context(|| format!("reading {}", local.display()))?;
    if edited == current.content {
        writeln!(
            io::stdout().lock(),
            "{path}: no change; nothing was written"
        )?;
        return Ok(0);
    }
    {
        let mut out = io::stdout().lock();
        out.write_all(status::unified_diff(&path, &current.content, &edited).as_bytes())?;
        out.flush()?;
    }
    if !args.yes && !confirm(&format!("Apply this change to {container}:{path}? [y/N] "))? {
        writeln!(
            io::stderr().lock(),
            "pindrift: not applied; nothing was changed"
        )?;
        return Ok(0);
    }
    if let Some(group) = group {
        // Edited once on the canary; the same bytes go to every replica, each of which must
        // still hold the canary's original.
        hotfix.release()?;
        return hotfix_group::put_file(
            &engine,
            &state,
            &group,
            &path,
            &edited,
            current.meta.mode,
            Some(&current.meta.sha256),
        )
        .await;
    }
    let outcome = files::put_file_expecting(
        &engine,
        &mut hotfix,
        &path,
        &edited,
        current.meta.mode,
        Some(&current.meta.sha256),
    )
    .await?;
    hotfix.release()?;
    report_put(&outcome)?;
    Ok(0)
}

/// Ask on the terminal (stderr) and read the answer from stdin: only `y`/`yes` is yes.
fn confirm(question: &str) -> Result<bool> {
    let mut err = io::stderr().lock();
    write!(err, "{question}")?;
    err.flush()?;
    let mut line = String::new();
    io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

fn status(opts: &HotfixOpts, args: StatusArgs) -> Result<u8> {
    let state = opts.state()?;
    let ids = status::active_ids(&state, args.container.as_deref())?;
    if let (Some(name), true) = (&args.container, ids.is_empty()) {
        return Err(HotfixError::NoActive(name.clone()).into());
    }
    let mut shown = Vec::new();
    for id in ids {
        let dir = state.hotfix_dir(&id);
        if let LockState::Dead { .. } = LockState::of(lock::holder(&dir)?) {
            let hotfix = Hotfix::open_id(&state, &id, LockMode::TakeOverDead, "status")?;
            say_took_over(&hotfix)?;
            hotfix.release()?;
        }
        let journal = Journal::open(&dir)?;
        let lock = LockState::of(lock::holder(&dir)?);
        shown.push(HotfixStatus::of(&journal, true, lock));
    }
    let mut out = io::stdout().lock();
    if args.format == "json" {
        let json = serde_json::json!({ "version": 1, "hotfixes": shown });
        writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
        return Ok(0);
    }
    if shown.is_empty() {
        writeln!(
            out,
            "no active hotfix (state folder {})",
            state.root().display()
        )?;
    }
    for s in &shown {
        writeln!(
            out,
            "{}  {} ({})",
            s.id,
            s.container_name,
            short(&s.container_id)
        )?;
        writeln!(out, "  reason:  {}", s.reason)?;
        writeln!(out, "  started: {}", s.created)?;
        writeln!(
            out,
            "  image:   {} ({})",
            s.image_ref.as_deref().unwrap_or("?"),
            short(s.image_id.trim_start_matches("sha256:"))
        )?;
        writeln!(
            out,
            "  server:  {}",
            s.server.as_deref().unwrap_or("not detected")
        )?;
        if let Some(g) = &s.group {
            writeln!(
                out,
                "  group:   {} (replica {}/{}; in order: {})",
                g.id,
                g.position,
                g.members.len(),
                g.members.join(", ")
            )?;
        }
        match &s.lock {
            LockState::Free => {}
            LockState::Held { pid, host } => writeln!(out, "  in use by pid {pid} on {host}")?,
            LockState::Dead { pid, host } => {
                writeln!(out, "  lock of dead pid {pid} on {host}")?;
            }
        }
        if s.torn_tail {
            writeln!(
                out,
                "  a last journal line cut short by a crash was dropped (that step never began)"
            )?;
        }
        if s.steps.is_empty() {
            writeln!(out, "  no steps yet")?;
        }
        for step in &s.steps {
            let note = match step.state {
                "intended" => "  INTENDED: started, never marked done (may or may not have happened; rollback undoes it)",
                _ => "",
            };
            writeln!(
                out,
                "  {:>3}. {:<9} {}{note}",
                step.id, step.state, step.description
            )?;
            if let Some(e) = &step.error {
                writeln!(out, "       {e}")?;
            }
        }
        for n in &s.notes {
            writeln!(out, "  note {}: {}", n.at, n.text)?;
        }
        writeln!(out, "  journal: {}", s.journal)?;
    }
    Ok(0)
}

async fn diff(opts: &HotfixOpts, args: ContainerArg) -> Result<u8> {
    let state = opts.state()?;
    let engine = opts.engine().await?;
    let (hotfix, _) =
        Hotfix::open_running(&engine, &state, &args.container, LockMode::None).await?;
    let diffs = status::file_diffs(&engine, &hotfix).await?;
    let inventory = crate::drift::session::read_source(
        &format!("container:{}", hotfix.container_id()),
        crate::inventory::Via::Archive,
        false,
        crate::read::DEFAULT_MAX_FILE_SIZE,
        opts.timeout,
        interrupted(),
    )
    .await
    .with_context(|| format!("reading the packages of {}", args.container))?;
    let packages = status::package_changes(
        &hotfix.journal.header().packages,
        &status::env_packages(&inventory),
    );
    let mut out = io::stdout().lock();
    if diffs.is_empty() {
        writeln!(out, "no file changed by hotfix {}", hotfix.id())?;
    }
    for d in &diffs {
        match d.state {
            status::FileState::Unchanged => {
                writeln!(out, "{}: same bytes as the original", d.path)?;
            }
            status::FileState::Missing => {
                writeln!(out, "{}: missing (it existed before the hotfix)", d.path)?;
            }
            status::FileState::Created if d.now.is_none() => {
                writeln!(out, "{}: created by the hotfix, not there now", d.path)?;
            }
            _ => out.write_all(d.unified().as_bytes())?,
        }
    }
    if packages.is_empty() {
        writeln!(out, "packages: no change since the hotfix started")?;
    } else {
        writeln!(out, "packages changed since the hotfix started:")?;
    }
    for p in &packages {
        let line = match (&p.before, &p.after) {
            (Some(b), Some(a)) => format!("{} {b} -> {a}", p.name),
            (None, Some(a)) => format!("{} {a} (added)", p.name),
            (Some(b), None) => format!("{} {b} (removed)", p.name),
            (None, None) => p.name.clone(),
        };
        writeln!(out, "  {}: {line}", p.env_key)?;
    }
    Ok(0)
}

async fn rollback(opts: &HotfixOpts, args: RollbackArgs) -> Result<u8> {
    let state = opts.state()?;
    let engine = opts.engine().await?;
    let container = args.container.clone().unwrap_or_default();
    let (mut hotfix, _) =
        Hotfix::open_running(&engine, &state, &container, LockMode::TakeOverDead).await?;
    say_took_over(&hotfix)?;
    if crate::hotfix::group::is_group(hotfix.journal.header()) {
        if args.no_reload {
            anyhow::bail!("--no-reload: a replica group is always reloaded after its rollback");
        }
        let group = hotfix_group::remaining(&state, hotfix.journal.header())?;
        hotfix.release()?;
        let mut said = Vec::new();
        let complete = hotfix_group::roll_back_all(&engine, &state, &group, &mut said).await?;
        let mut out = io::stdout().lock();
        for line in &said {
            writeln!(out, "{line}")?;
        }
        if complete {
            writeln!(out, "replica group {} rolled back and closed", group.id)?;
            return Ok(0);
        }
        writeln!(
            out,
            "replica group {}: rollback incomplete (see above); the members not rolled back stay active",
            group.id
        )?;
        return Ok(EXIT_ERROR);
    }
    let report = rollback::rollback(&engine, &mut hotfix, !args.no_reload).await?;
    let id = hotfix.id().to_string();
    let dists: Vec<String> = report
        .dists
        .iter()
        .map(|step| undone_dists(&hotfix, *step))
        .collect();
    hotfix.release()?;
    let mut out = io::stdout().lock();
    for (path, undo) in &report.files {
        let what = match undo {
            FileUndo::Restored => "restored".to_string(),
            FileUndo::Removed => "removed (the hotfix created it)".to_string(),
            FileUndo::Absent => "absent (the hotfix's write never happened)".to_string(),
            FileUndo::AlreadyRestored => "already restored".to_string(),
            FileUndo::Unchanged => "already the original".to_string(),
            FileUndo::Refused { reason } => format!("NOT restored: {reason}"),
        };
        writeln!(out, "{path}: {what}")?;
    }
    for line in &dists {
        writeln!(out, "{line}")?;
    }
    for v in &report.verified {
        if v.differences.is_empty() {
            writeln!(out, "{}: verified (bytes, mode, owner, mtime)", v.path)?;
        } else {
            writeln!(out, "{}: DIFFERS: {}", v.path, v.differences.join("; "))?;
        }
    }
    match &report.reload {
        Some(Ok(_)) => writeln!(out, "reloaded")?,
        Some(Err(e)) => writeln!(out, "reload failed: {e}")?,
        None => {}
    }
    if report.completed {
        writeln!(out, "hotfix {id} rolled back and closed")?;
        Ok(0)
    } else if report.has_differences() {
        writeln!(out, "hotfix {id}: rollback incomplete; it stays active")?;
        Ok(EXIT_FINDINGS)
    } else {
        writeln!(out, "hotfix {id}: files restored but the reload failed; it stays active (run rollback again, or --no-reload)")?;
        Ok(EXIT_ERROR)
    }
}

fn finish(opts: &HotfixOpts, args: ContainerArg) -> Result<u8> {
    let state = opts.state()?;
    let mut hotfix = Hotfix::open_recorded(&state, &args.container, LockMode::Take)?;
    if crate::hotfix::group::is_group(hotfix.journal.header()) {
        let group = hotfix_group::remaining(&state, hotfix.journal.header())?;
        hotfix.release()?;
        return hotfix_group::finish(&state, &group);
    }
    if let Some(step) = crate::hotfix::unfinished_step(&hotfix.journal) {
        writeln!(
            io::stderr().lock(),
            "pindrift: warning: {step} was never marked done: it may or may not have happened \
             (`hotfix diff` shows what the container holds now)"
        )?;
    }
    hotfix.journal.finish()?;
    let (container, id) = (hotfix.container_id().to_string(), hotfix.id().to_string());
    lock::release_active(&state, &container, &id)?;
    hotfix.release()?;
    writeln!(
        io::stdout().lock(),
        "hotfix {id} finished; its journal stays in {}",
        state.hotfix_dir(&id).display()
    )?;
    Ok(0)
}

pub fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

pub async fn interrupted() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut int), Ok(mut term)) => tokio::select! {
            _ = int.recv() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        },
        _ => std::future::pending().await,
    }
}

/// What undoing a `PipInstall` step did, in the words of that step: the wheels copied in are
/// gone again, or the saved distributions are back (their versions verified by the undo).
fn undone_dists(hotfix: &Hotfix, step: StepId) -> String {
    let action = hotfix
        .journal
        .steps()
        .iter()
        .find(|s| s.id == step)
        .map(|s| &s.action);
    match action {
        Some(Action::PipInstall {
            env_key,
            specs,
            wheels_dir: Some(dir),
            ..
        }) if specs.is_empty() => format!("step {step}: wheels {dir} for {env_key} removed"),
        Some(Action::PipInstall { env_key, specs, .. }) => format!(
            "step {step}: {} in {env_key} undone (saved files put back, versions verified)",
            specs.join(" ")
        ),
        _ => format!("step {step}: packages restored"),
    }
}
