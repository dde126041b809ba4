//! `hotfix reload`: make the service run the changed code, and prove it.
//!
//! The server is found in the container's own process list ([`super::process`]), never
//! assumed to be PID 1. What is done is a [`Plan`], computed without touching anything
//! ([`plan`]); the journal records the step before the signal is sent ([`reload`]):
//!
//! - gunicorn: `SIGHUP` to the master (the engine's kill when the master is PID 1, else
//!   `os.kill` by an exec of the container's Python); new workers load the new code while
//!   in-flight requests finish.
//! - gunicorn with a preloaded app (`--preload`, `preload_app = True`): `SIGHUP` forks the
//!   workers from the master's memory, the old code. When the master is not PID 1 and its
//!   parent outlives it, the upgrade dance: `SIGUSR2` (a new master execs with the new code
//!   and starts its workers, both serve), then `SIGTERM` to the old master (its workers
//!   finish their requests). `SIGWINCH` is left out: gunicorn ignores it unless daemonized.
//!   When the master is PID 1, or its parent is a shell or an init (`tini`, `dumb-init`)
//!   that exits with it, the old master's exit would stop the container: auto restarts the
//!   container instead and says why; `--strategy usr2` refuses.
//! - uwsgi: `SIGHUP`, the graceful reload (workers finish their requests, the master
//!   re-executes itself keeping the socket). When the master has a FIFO (`--master-fifo`)
//!   and loads the app in each worker (`--lazy-apps`), auto uses the chain reload (`c` to
//!   the FIFO): one worker at a time, the others keep serving.
//! - anything else: `docker restart` with the container's stop timeout.
//!
//! After the signal, the reload is seen complete when the process list changed: every old
//! worker gone and as many new ones up (a new master for the dance, a new process list
//! after a restart). With `--check URL`, a poller ([`super::probe`]) runs from before the
//! signal until the service is healthy, and the report says what a user saw.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::probe::{self, CheckReport, CheckSpec, Poller};
use super::process::{self, Proc, ProcessTable, Server, ServerKind};
use super::{Action, HotfixError, Journal, StepId};
use crate::docker::{Engine, EngineApi};

/// How long to wait, by default, for the reload to complete (new workers up).
pub const DEFAULT_SETTLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How often the process list is read while waiting.
const POLL: Duration = Duration::from_millis(100);
/// Requests sent before the signal (what the service answered before).
const BASELINE: Duration = Duration::from_millis(300);

/// `--strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// From the server found (see the module documentation).
    Auto,
    /// `SIGHUP` to the server's master (gunicorn, uwsgi).
    Hup,
    /// gunicorn's upgrade dance (`SIGUSR2`, then `SIGTERM` to the old master).
    Usr2,
    /// `docker restart`.
    Restart,
}

impl Strategy {
    pub fn parse(s: &str) -> Option<Strategy> {
        match s {
            "auto" => Some(Strategy::Auto),
            "hup" => Some(Strategy::Hup),
            "usr2" => Some(Strategy::Usr2),
            "restart" => Some(Strategy::Restart),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Strategy::Auto => "auto",
            Strategy::Hup => "hup",
            Strategy::Usr2 => "usr2",
            Strategy::Restart => "restart",
        }
    }
}

/// What `reload` is asked to do.
#[derive(Debug, Clone)]
pub struct ReloadRequest {
    pub strategy: Strategy,
    pub check: Option<CheckSpec>,
    /// Roll the hotfix back when the check fails (done by the caller, which owns the
    /// rollback: see `ReloadReport::check_failed`).
    pub rollback_on_fail: bool,
    /// How long to wait for the reload to complete.
    pub settle_timeout: Duration,
}

impl ReloadRequest {
    pub fn new(strategy: Strategy) -> ReloadRequest {
        ReloadRequest {
            strategy,
            check: None,
            rollback_on_fail: false,
            settle_timeout: DEFAULT_SETTLE_TIMEOUT,
        }
    }
}

/// How a signal reaches the master.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// The engine's kill (the master is the container's PID 1).
    Engine,
    /// `os.kill` by an exec of the container's Python.
    Exec,
}

/// How the reload is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum Method {
    /// One signal to the master (`SIGHUP`).
    Signal { signal: String, pid: i64, via: Via },
    /// gunicorn's upgrade: `SIGUSR2` to the master, then `SIGTERM` to it once the new master
    /// serves.
    Usr2Upgrade { pid: i64 },
    /// uwsgi's chain reload: `c` written to the master FIFO.
    ChainReload { fifo: String, pid: i64 },
    /// `docker restart` (stop timeout in seconds; `None`: the container's own / the engine's).
    Restart { timeout: Option<i64> },
}

impl Method {
    /// The journal's name for it.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Signal { .. } => "hup",
            Method::Usr2Upgrade { .. } => "usr2",
            Method::ChainReload { .. } => "chain",
            Method::Restart { .. } => "restart",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Method::Signal { signal, pid, via } => format!(
                "{signal} to the master (pid {pid} in the container) {}",
                match via {
                    Via::Engine => "through the engine (it is PID 1)",
                    Via::Exec => "with os.kill in the container",
                }
            ),
            Method::Usr2Upgrade { pid } => format!(
                "SIGUSR2 to the master (pid {pid}), then SIGTERM to it once the new master serves"
            ),
            Method::ChainReload { fifo, pid } => {
                format!("chain reload: `c` to the master FIFO {fifo} (master pid {pid})")
            }
            Method::Restart { timeout } => match timeout {
                Some(t) => format!("docker restart (stop timeout {t} s)"),
                None => "docker restart (the engine's default stop timeout)".to_string(),
            },
        }
    }

    fn target_pid(&self) -> Option<i64> {
        match self {
            Method::Signal { pid, .. }
            | Method::Usr2Upgrade { pid }
            | Method::ChainReload { pid, .. } => Some(*pid),
            Method::Restart { .. } => None,
        }
    }
}

/// What will be done, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub server: Option<ServerKind>,
    pub method: Method,
    pub why: String,
    /// Things the user should know (HUP on a preloaded app loads no new code, …).
    pub warnings: Vec<String>,
}

/// Parents that exit when their child (the gunicorn master) exits: a USR2 upgrade under
/// them stops the container.
const EXITS_WITH_CHILD: &[&str] = &[
    "sh",
    "bash",
    "dash",
    "ash",
    "zsh",
    "busybox",
    "tini",
    "tini-static",
    "dumb-init",
    "docker-init",
    "catatonit",
];

/// Would the old master's exit stop the container? `Some(reason)` when it would.
fn upgrade_blocker(server: &Server) -> Option<String> {
    if server.master.pid == 1 {
        return Some("its master is the container's PID 1".into());
    }
    let parent = server.parent.as_ref()?;
    let prog = parent_program(parent);
    if parent.pid == 1 && EXITS_WITH_CHILD.contains(&prog.as_str()) {
        return Some(format!(
            "its master's parent is the container's PID 1 `{prog}` (pid 1), which exits \
             when the master exits"
        ));
    }
    None
}

fn parent_program(p: &Proc) -> String {
    let first = p.argv.first().map(String::as_str).unwrap_or(&p.comm);
    first.rsplit('/').next().unwrap_or(first).to_string()
}

/// The plan for `strategy` given the server found (and, for gunicorn, where preloading was
/// found). Pure: nothing is touched.
pub fn plan(
    strategy: Strategy,
    container: &str,
    server: Option<&Server>,
    preload: Option<&str>,
    stop_timeout: Option<i64>,
    hup_breaks: Option<&str>,
) -> Result<Plan, HotfixError> {
    let restart = |why: String, warnings: Vec<String>| Plan {
        server: server.map(|s| s.kind),
        method: Method::Restart {
            timeout: stop_timeout,
        },
        why,
        warnings,
    };
    let hup = |s: &Server| Method::Signal {
        signal: "SIGHUP".into(),
        pid: s.master.pid,
        via: if s.master.pid == 1 {
            Via::Engine
        } else {
            Via::Exec
        },
    };
    let none_found = || {
        HotfixError::Other(format!(
            "container {container}: no gunicorn or uwsgi master found in its processes; \
             --strategy {} needs one (use --strategy restart or auto)",
            strategy.name()
        ))
    };
    match strategy {
        Strategy::Restart => Ok(restart("--strategy restart".into(), Vec::new())),
        Strategy::Hup => {
            let s = server.ok_or_else(none_found)?;
            if let Some(why) = hup_breaks {
                return Err(HotfixError::Other(format!(
                    "container {container}: refusing SIGHUP: {why}; use --strategy restart \
                     (or start uwsgi with --binary-path)"
                )));
            }
            let mut warnings = Vec::new();
            if let Some(p) = preload {
                warnings.push(format!(
                    "gunicorn preloads the app ({p}): SIGHUP forks the new workers from the \
                     master's memory, so they run the OLD code (--strategy auto or usr2 \
                     loads the new code)"
                ));
            }
            Ok(Plan {
                server: Some(s.kind),
                method: hup(s),
                why: "--strategy hup".into(),
                warnings,
            })
        }
        Strategy::Usr2 => {
            let s = server.ok_or_else(none_found)?;
            if s.kind != ServerKind::Gunicorn {
                return Err(HotfixError::Other(format!(
                    "container {container}: --strategy usr2 is gunicorn's upgrade; the server \
                     found is {}",
                    s.kind.name()
                )));
            }
            if let Some(why) = upgrade_blocker(s) {
                return Err(HotfixError::Other(format!(
                    "container {container}: refusing the USR2 upgrade: {why}, so the old \
                     master's exit would stop the container; use --strategy restart"
                )));
            }
            Ok(Plan {
                server: Some(s.kind),
                method: Method::Usr2Upgrade { pid: s.master.pid },
                why: "--strategy usr2".into(),
                warnings: Vec::new(),
            })
        }
        Strategy::Auto => {
            let Some(s) = server else {
                return Ok(restart(
                    "no gunicorn or uwsgi master found in the container's processes".into(),
                    Vec::new(),
                ));
            };
            match (s.kind, preload) {
                (ServerKind::Gunicorn, None) => Ok(Plan {
                    server: Some(s.kind),
                    method: hup(s),
                    why: "gunicorn reloads its workers with the new code on SIGHUP".into(),
                    warnings: Vec::new(),
                }),
                (ServerKind::Gunicorn, Some(p)) => match upgrade_blocker(s) {
                    None => Ok(Plan {
                        server: Some(s.kind),
                        method: Method::Usr2Upgrade { pid: s.master.pid },
                        why: format!(
                            "gunicorn preloads the app ({p}), so SIGHUP would not load the new \
                             code: upgrade to a new master"
                        ),
                        warnings: Vec::new(),
                    }),
                    Some(blocker) => Ok(restart(
                        format!(
                            "gunicorn preloads the app ({p}), so SIGHUP would not load the new \
                             code, and the USR2 upgrade is not possible ({blocker}): the \
                             container must restart"
                        ),
                        Vec::new(),
                    )),
                },
                (ServerKind::Uwsgi, _) => match (&s.master_fifo, s.lazy_apps) {
                    (Some(fifo), true) => Ok(Plan {
                        server: Some(s.kind),
                        method: Method::ChainReload {
                            fifo: fifo.clone(),
                            pid: s.master.pid,
                        },
                        why: "uwsgi has a master FIFO and lazy apps: chain reload, one worker \
                              at a time"
                            .into(),
                        warnings: Vec::new(),
                    }),
                    _ => match hup_breaks {
                        Some(why) => Ok(restart(
                            format!("{why}: the container must restart"),
                            Vec::new(),
                        )),
                        None => Ok(Plan {
                            server: Some(s.kind),
                            method: hup(s),
                            why: "uwsgi reloads gracefully on SIGHUP".into(),
                            warnings: Vec::new(),
                        }),
                    },
                },
            }
        }
    }
}

/// What was done, and what a user of the service saw.
#[derive(Debug, Clone, Serialize)]
pub struct ReloadReport {
    pub container: String,
    pub strategy: Strategy,
    pub plan: Plan,
    /// The journal step.
    pub step: StepId,
    pub master_before: Option<i64>,
    pub master_after: Option<i64>,
    pub workers_before: Vec<i64>,
    pub workers_after: Vec<i64>,
    /// From the signal to the new process list (ms).
    pub settled_ms: u64,
    pub check: Option<CheckReport>,
}

impl ReloadReport {
    /// A check was asked for and the service did not become healthy.
    pub fn check_failed(&self) -> bool {
        self.check.as_ref().is_some_and(|c| !c.healthy)
    }
}

fn other(e: impl std::fmt::Display) -> HotfixError {
    HotfixError::Other(e.to_string())
}

/// Sends `signal` (a Python `signal` name) to `pid` in the container, after checking it is
/// still the process that was found (same start time).
const KILL: &str = r#"
import os, signal, sys
pid, start, sig = int(sys.argv[1]), sys.argv[2], sys.argv[3]
try:
    with open('/proc/%d/stat' % pid, 'rb') as f:
        st = f.read()
except OSError:
    sys.stderr.write('process %d is gone\n' % pid)
    sys.exit(3)
if st[st.rindex(b')') + 2:].split()[19].decode() != start:
    sys.stderr.write('pid %d is another process now\n' % pid)
    sys.exit(3)
os.kill(pid, getattr(signal, sig))
"#;

/// Writes one command letter to uwsgi's master FIFO (never blocks: no reader, no write).
const FIFO: &str = r#"
import os, stat, sys
path, cmd = sys.argv[1], sys.argv[2]
if not stat.S_ISFIFO(os.stat(path).st_mode):
    sys.stderr.write('%s is not a FIFO\n' % path)
    sys.exit(3)
fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
os.write(fd, cmd.encode())
os.close(fd)
"#;

async fn signal_in_container<A: EngineApi>(
    engine: &Engine<A>,
    container: &str,
    python: &str,
    target: &Proc,
    signal: &str,
) -> Result<(), HotfixError> {
    let args = [
        target.pid.to_string(),
        target.start.to_string(),
        signal.to_string(),
    ];
    let (out, _) = process::run_python(engine, container, &[python.to_string()], KILL, &args)
        .await
        .map_err(other)?;
    if out.code != 0 {
        return Err(HotfixError::Other(format!(
            "container {container}: {signal} to pid {} failed (exit {}): {}",
            target.pid,
            out.code,
            process::last_lines(&out.stderr)
        )));
    }
    Ok(())
}

async fn send_signal<A: EngineApi>(
    engine: &Engine<A>,
    container: &str,
    python: &str,
    target: &Proc,
    signal: &str,
    via: Via,
) -> Result<(), HotfixError> {
    match via {
        Via::Engine => engine.api().kill(container, signal).await.map_err(|e| {
            super::engine_error(
                format!("sending {signal} to container {container}"),
                container,
                e,
            )
        }),
        Via::Exec => signal_in_container(engine, container, python, target, signal).await,
    }
}

/// Reads the process list until `done` says the reload completed (or the time is up).
async fn wait_for<A: EngineApi, T>(
    engine: &Engine<A>,
    container: &str,
    pythons: &[String],
    limit: Duration,
    what: &str,
    mut done: impl FnMut(&ProcessTable) -> Option<T>,
) -> Result<(T, ProcessTable), HotfixError> {
    let start = Instant::now();
    let mut last_error: Option<String>;
    loop {
        match process::read_processes(engine, container, pythons).await {
            Ok(table) => {
                if let Some(t) = done(&table) {
                    return Ok((t, table));
                }
                last_error = None;
            }
            Err(e) => last_error = Some(e.to_string()),
        }
        if start.elapsed() > limit {
            return Err(HotfixError::Other(format!(
                "container {container}: {what} not seen within {} s{}",
                limit.as_secs(),
                last_error
                    .map(|e| format!(" (last error: {e})"))
                    .unwrap_or_default()
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The workers that replaced `old` under `master`: `Some` when none of `old` is left and at
/// least as many new ones run.
fn new_workers(table: &ProcessTable, master: &Proc, old: &[Proc]) -> Option<Vec<Proc>> {
    let alive = table.get(master.pid)?;
    if alive.identity() != master.identity() || alive.is_zombie() {
        return None;
    }
    let kids = table.children(master.pid);
    let old_ids: Vec<(i64, u64)> = old.iter().map(Proc::identity).collect();
    let old_left = table
        .procs
        .iter()
        .any(|p| old_ids.contains(&p.identity()) && !p.is_zombie());
    let fresh: Vec<Proc> = kids
        .into_iter()
        .filter(|k| !old_ids.contains(&k.identity()))
        .cloned()
        .collect();
    (!old_left && fresh.len() >= old.len().max(1)).then_some(fresh)
}

/// Reloads the service of `container_id` as `req` says; the step is journaled (intend before
/// the signal, done or failed after). With a check, a failed check is not an error: it is in
/// the report ([`ReloadReport::check_failed`]).
pub async fn reload<A: EngineApi>(
    engine: &Engine<A>,
    journal: &mut Journal,
    container_id: &str,
    req: &ReloadRequest,
) -> Result<ReloadReport, HotfixError> {
    let facts = engine
        .container_facts(container_id)
        .await
        .map_err(|e| match e {
            crate::docker::EngineError::NoSuchContainer(c) => HotfixError::NoSuchContainer(c),
            e => other(e),
        })?;
    if !facts.running {
        return Err(HotfixError::NotRunning(facts.name.clone()));
    }
    let name = facts.name.clone();
    let id = facts.id.clone();
    let header = journal.header().clone();
    // The interpreters running now (the engine's `top`), else those recorded at start.
    let pythons = match engine.api().top(&id).await {
        Ok(top) => process::python_candidates(&top.titles, &top.processes),
        Err(_) => process::python_candidates(&header.titles, &header.processes),
    };
    let table = process::read_processes(engine, &id, &pythons)
        .await
        .map_err(other)?;
    let python = table.python.clone();
    let pythons = vec![python.clone()];
    let server = process::detect(&table.procs);
    let preload = match &server {
        Some(s) if s.kind == ServerKind::Gunicorn => {
            process::gunicorn_preload(engine, &id, s).await
        }
        _ => None,
    };
    let hup_breaks = match &server {
        Some(s) if s.kind == ServerKind::Uwsgi => {
            process::pyuwsgi_reload_breaks(engine, &id, s).await
        }
        _ => None,
    };
    let plan = plan(
        req.strategy,
        &name,
        server.as_ref(),
        preload.as_deref(),
        header.container.stop_timeout,
        hup_breaks.as_deref(),
    )?;
    let poller = match &req.check {
        Some(spec) => Some(Poller::start(spec).map_err(other)?),
        None => None,
    };
    if poller.is_some() {
        tokio::time::sleep(BASELINE).await;
    }
    let step = journal.intend(Action::Reload {
        strategy: plan.method.name().to_string(),
        target_pid: plan.method.target_pid(),
    })?;
    let signal_at = poller.as_ref().map(Poller::elapsed).unwrap_or_default();
    let started = Instant::now();
    let result = execute(
        engine,
        &id,
        &name,
        &pythons,
        &python,
        &plan,
        server.as_ref(),
        req,
    )
    .await;
    let settled = started.elapsed();
    let settled_at = poller.as_ref().map(Poller::elapsed).unwrap_or_default();
    let (master_after, workers_after) = match result {
        Ok(r) => r,
        Err(e) => {
            if let Some(p) = poller {
                p.stop();
            }
            journal.failed(step, &e.to_string())?;
            return Err(e);
        }
    };
    journal.done(
        step,
        serde_json::json!({
            "method": plan.method,
            "master_after": master_after,
            "workers_after": workers_after,
            "settled_ms": settled.as_millis() as u64,
        }),
    )?;
    let check = match poller {
        None => None,
        Some(p) => {
            let spec = p.spec().clone();
            let deadline = signal_at + spec.timeout;
            while p.healthy_at(settled_at).is_none() && p.elapsed() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if p.healthy_at(settled_at).is_some() {
                tokio::time::sleep(spec.tail).await;
            }
            let samples = p.stop();
            Some(probe::summarize(&spec, &samples, signal_at, settled_at))
        }
    };
    Ok(ReloadReport {
        container: name,
        strategy: req.strategy,
        master_before: server.as_ref().map(|s| s.master.pid),
        workers_before: server
            .as_ref()
            .map(|s| s.workers.iter().map(|w| w.pid).collect())
            .unwrap_or_default(),
        master_after,
        workers_after,
        plan,
        step,
        settled_ms: settled.as_millis() as u64,
        check,
    })
}

/// Carries out the plan and waits for the new process list: (new master, new workers).
#[allow(clippy::too_many_arguments)]
async fn execute<A: EngineApi>(
    engine: &Engine<A>,
    id: &str,
    name: &str,
    pythons: &[String],
    python: &str,
    plan: &Plan,
    server: Option<&Server>,
    req: &ReloadRequest,
) -> Result<(Option<i64>, Vec<i64>), HotfixError> {
    let limit = req.settle_timeout;
    let pids = |v: &[Proc]| v.iter().map(|p| p.pid).collect::<Vec<_>>();
    match (&plan.method, server) {
        (Method::Signal { signal, via, .. }, Some(s)) => {
            send_signal(engine, id, python, &s.master, signal, *via).await?;
            let (fresh, _) = wait_for(engine, id, pythons, limit, "new workers", |t| {
                new_workers(t, &s.master, &s.workers)
            })
            .await?;
            Ok((Some(s.master.pid), pids(&fresh)))
        }
        (Method::ChainReload { fifo, .. }, Some(s)) => {
            let (out, _) =
                process::run_python(engine, id, pythons, FIFO, &[fifo.clone(), "c".to_string()])
                    .await
                    .map_err(other)?;
            if out.code != 0 {
                return Err(HotfixError::Other(format!(
                    "container {name}: writing `c` to uwsgi's master FIFO {fifo} failed (exit {}): {}",
                    out.code,
                    process::last_lines(&out.stderr)
                )));
            }
            let (fresh, _) = wait_for(engine, id, pythons, limit, "new workers", |t| {
                new_workers(t, &s.master, &s.workers)
            })
            .await?;
            Ok((Some(s.master.pid), pids(&fresh)))
        }
        (Method::Usr2Upgrade { .. }, Some(s)) => {
            let old = &s.master;
            signal_in_container(engine, id, python, old, "SIGUSR2").await?;
            // The new master: a gunicorn child of the old master that is not an old
            // worker, with its workers up.
            let old_ids: Vec<(i64, u64)> = s.workers.iter().map(Proc::identity).collect();
            let want = s.workers.len().max(1);
            let (new_master, _) =
                wait_for(engine, id, pythons, limit, "a new gunicorn master", |t| {
                    t.children(old.pid)
                        .into_iter()
                        .filter(|c| !old_ids.contains(&c.identity()))
                        .filter(|c| process::kind_of(&c.argv) == Some(ServerKind::Gunicorn))
                        .find(|c| t.children(c.pid).len() >= want)
                        .cloned()
                })
                .await?;
            signal_in_container(engine, id, python, old, "SIGTERM").await?;
            let (workers, _) = wait_for(engine, id, pythons, limit, "the old master's exit", |t| {
                let old_alive = t
                    .get(old.pid)
                    .is_some_and(|p| p.identity() == old.identity() && !p.is_zombie());
                let nm = t.get(new_master.pid)?;
                if old_alive || nm.identity() != new_master.identity() {
                    return None;
                }
                let kids = t.children(new_master.pid);
                (kids.len() >= want).then(|| kids.into_iter().cloned().collect::<Vec<_>>())
            })
            .await?;
            Ok((Some(new_master.pid), pids(&workers)))
        }
        (Method::Restart { timeout }, _) => {
            engine.api().restart(id, *timeout).await.map_err(|e| {
                super::engine_error(format!("restarting container {name}"), name, e)
            })?;
            let before: Vec<(i64, u64)> = server
                .map(|s| {
                    std::iter::once(&s.master)
                        .chain(&s.workers)
                        .map(Proc::identity)
                        .collect()
                })
                .unwrap_or_default();
            let want = server.map(|s| s.workers.len().max(1));
            let (found, _) = wait_for(engine, id, pythons, limit, "the restarted service", |t| {
                match want {
                    // Unknown server: running again is all that can be seen.
                    None => Some((None, Vec::new())),
                    Some(n) => {
                        let s = process::detect(&t.procs)?;
                        let fresh = !before.contains(&s.master.identity());
                        let workers: Vec<i64> = t
                            .children(s.master.pid)
                            .into_iter()
                            .map(|p| p.pid)
                            .collect();
                        (fresh && workers.len() >= n).then_some((Some(s.master.pid), workers))
                    }
                }
            })
            .await?;
            Ok(found)
        }
        (_, None) => Err(HotfixError::Other(format!(
            "container {name}: no server to signal"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pid: i64, ppid: i64, argv: &str) -> Proc {
        Proc {
            pid,
            ppid,
            state: "S".into(),
            start: 1000 + pid as u64,
            comm: String::new(),
            argv: argv.split_whitespace().map(str::to_string).collect(),
            cwd: Some("/app".into()),
        }
    }

    const G: &str = "/opt/venv/bin/python3 /opt/venv/bin/gunicorn -w 2 app:app";
    const U: &str =
        "/opt/venv/bin/python3 /opt/venv/bin/uwsgi --master --lazy-apps --master-fifo /tmp/f";

    fn server(procs: &[Proc]) -> Server {
        process::detect(procs).unwrap()
    }

    #[test]
    fn auto_hups_gunicorn_through_the_engine_or_an_exec() {
        let s = server(&[p(1, 0, G), p(7, 1, G), p(8, 1, G)]);
        let pl = plan(Strategy::Auto, "c", Some(&s), None, Some(5), None).unwrap();
        assert_eq!(
            pl.method,
            Method::Signal {
                signal: "SIGHUP".into(),
                pid: 1,
                via: Via::Engine
            }
        );
        let s = server(&[p(1, 0, "sh -c x"), p(6, 1, G), p(7, 6, G)]);
        let pl = plan(Strategy::Auto, "c", Some(&s), None, Some(5), None).unwrap();
        assert_eq!(
            pl.method,
            Method::Signal {
                signal: "SIGHUP".into(),
                pid: 6,
                via: Via::Exec
            }
        );
    }

    #[test]
    fn a_preloaded_gunicorn_is_upgraded_only_when_the_container_survives_it() {
        let pre = Some("--preload");
        // Master is PID 1: restart.
        let s = server(&[p(1, 0, G), p(7, 1, G)]);
        let pl = plan(Strategy::Auto, "c", Some(&s), pre, Some(7), None).unwrap();
        assert_eq!(pl.method, Method::Restart { timeout: Some(7) });
        assert!(pl.why.contains("PID 1"), "{}", pl.why);
        assert!(plan(Strategy::Usr2, "c", Some(&s), pre, None, None).is_err());
        // Under a shell that exits with it: restart.
        let s = server(&[p(1, 0, "sh -c x"), p(6, 1, G), p(7, 6, G)]);
        let pl = plan(Strategy::Auto, "c", Some(&s), pre, None, None).unwrap();
        assert_eq!(pl.method, Method::Restart { timeout: None });
        assert!(pl.why.contains("`sh`"), "{}", pl.why);
        // Under an init that reaps and outlives it: the upgrade.
        let s = server(&[
            p(1, 0, "/usr/bin/python3 /usr/local/bin/reaper x"),
            p(6, 1, G),
            p(7, 6, G),
        ]);
        let pl = plan(Strategy::Auto, "c", Some(&s), pre, None, None).unwrap();
        assert_eq!(pl.method, Method::Usr2Upgrade { pid: 6 });
        // An explicit hup on a preloaded app is done, with a warning.
        let pl = plan(Strategy::Hup, "c", Some(&s), pre, None, None).unwrap();
        assert_eq!(pl.warnings.len(), 1);
    }

    #[test]
    fn uwsgi_chain_reloads_with_a_fifo_and_lazy_apps_else_hups() {
        let s = server(&[p(1, 0, U), p(7, 1, U), p(8, 1, U)]);
        let pl = plan(Strategy::Auto, "c", Some(&s), None, None, None).unwrap();
        assert_eq!(
            pl.method,
            Method::ChainReload {
                fifo: "/tmp/f".into(),
                pid: 1
            }
        );
        let pl = plan(Strategy::Hup, "c", Some(&s), None, None, None).unwrap();
        assert_eq!(pl.method.name(), "hup");
        let u = "/opt/venv/bin/uwsgi --master";
        let s = server(&[p(1, 0, u), p(7, 1, u)]);
        let pl = plan(Strategy::Auto, "c", Some(&s), None, None, None).unwrap();
        assert_eq!(pl.method.name(), "hup");
        assert!(plan(Strategy::Usr2, "c", Some(&s), None, None, None).is_err());
    }

    #[test]
    fn a_uwsgi_whose_graceful_reload_would_exit_is_restarted_or_refused() {
        let u = "/opt/venv/bin/python3 /opt/venv/bin/uwsgi --master";
        let s = server(&[p(1, 0, u), p(7, 1, u)]);
        assert_eq!(s.pyuwsgi_python.as_deref(), Some("/opt/venv/bin/python3"));
        let breaks = Some("pyuwsgi in a venv");
        let pl = plan(Strategy::Auto, "c", Some(&s), None, Some(2), breaks).unwrap();
        assert_eq!(pl.method, Method::Restart { timeout: Some(2) });
        assert!(pl.why.contains("pyuwsgi in a venv"), "{}", pl.why);
        let e = plan(Strategy::Hup, "c", Some(&s), None, None, breaks).unwrap_err();
        assert!(e.to_string().contains("refusing SIGHUP"), "{e}");
        // With --binary-path there is nothing to fear.
        let u = "/opt/venv/bin/python3 /opt/venv/bin/uwsgi --master --binary-path /opt/venv/bin/python3";
        let s = server(&[p(1, 0, u), p(7, 1, u)]);
        assert_eq!(s.pyuwsgi_python, None);
    }

    #[test]
    fn anything_else_restarts_and_hup_needs_a_server() {
        let pl = plan(Strategy::Auto, "c", None, None, Some(3), None).unwrap();
        assert_eq!(pl.method, Method::Restart { timeout: Some(3) });
        let e = plan(Strategy::Hup, "web", None, None, None, None).unwrap_err();
        assert!(e.to_string().contains("container web"), "{e}");
    }

    #[test]
    fn new_workers_are_seen_when_every_old_one_is_gone() {
        let master = p(1, 0, G);
        let old = vec![p(7, 1, G), p(8, 1, G)];
        let table = |procs: Vec<Proc>| ProcessTable {
            procs,
            python: "python3".into(),
        };
        let t = table(vec![master.clone(), p(7, 1, G), p(8, 1, G)]);
        assert_eq!(new_workers(&t, &master, &old), None);
        let t = table(vec![master.clone(), p(7, 1, G), p(9, 1, G), p(10, 1, G)]);
        assert_eq!(new_workers(&t, &master, &old), None);
        let t = table(vec![master.clone(), p(9, 1, G)]);
        assert_eq!(new_workers(&t, &master, &old), None);
        let t = table(vec![master.clone(), p(9, 1, G), p(10, 1, G)]);
        assert_eq!(new_workers(&t, &master, &old).map(|v| v.len()), Some(2));
        // A PID reused by another process is a new process.
        let mut again = p(7, 1, G);
        again.start += 50;
        let t = table(vec![master.clone(), again, p(10, 1, G)]);
        assert_eq!(new_workers(&t, &master, &old).map(|v| v.len()), Some(2));
        // The master died: never complete.
        let t = table(vec![p(9, 0, G), p(10, 9, G)]);
        assert_eq!(new_workers(&t, &master, &old), None);
    }
}
