//! The processes of a running container and the server among them.
//!
//! Two views: the engine's `top` (host PIDs, what the journal records at `start`), and the
//! container's own `/proc` read by an exec of the container's Python (no shell): in-container
//! PIDs, parents, start times, argv and working folders, which is what a signal needs.
//! [`detect`] finds the server in that list: a gunicorn master (the gunicorn process whose
//! parent is not gunicorn), a uwsgi master (the uwsgi process whose parent is not uwsgi and
//! that has uwsgi children); the master is found, never assumed to be PID 1.
//! Environment values are never read: a `--preload` given only through
//! `GUNICORN_CMD_ARGS` is not seen (a `--check` then shows the old code still answering).

use std::io::Read;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::docker::api::ExecChunk;
use crate::docker::{ApiError, Engine, EngineApi};

/// Cap for the output of one exec.
const MAX_OUTPUT: usize = 8 * 1024 * 1024;
/// Cap for a gunicorn configuration file read through the archive API.
const MAX_CONFIG: u64 = 1024 * 1024;

/// Reads every `/proc/<pid>` of the container (but its own) as JSON: pid, parent, start time
/// (clock ticks since boot, field 22 of `stat`), `comm`, argv and working folder.
const READ_PROC: &str = r#"
import os, json
me = os.getpid()
out = []
for d in os.listdir('/proc'):
    if not d.isdigit():
        continue
    p = int(d)
    if p == me:
        continue
    try:
        with open('/proc/%d/stat' % p, 'rb') as f:
            st = f.read()
        with open('/proc/%d/cmdline' % p, 'rb') as f:
            cl = f.read()
    except OSError:
        continue
    r = st.rindex(b')')
    fields = st[r + 2:].split()
    try:
        cwd = os.readlink('/proc/%d/cwd' % p)
    except OSError:
        cwd = None
    argv = [a.decode('utf-8', 'replace') for a in cl.split(b'\0')]
    if argv and argv[-1] == '':
        argv.pop()
    out.append({'pid': p, 'ppid': int(fields[1]), 'state': fields[0].decode(),
                'start': int(fields[19]),
                'comm': st[st.index(b'(') + 1:r].decode('utf-8', 'replace'),
                'argv': argv, 'cwd': cwd})
print(json.dumps(out))
"#;

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("{context} in container {container}: {source}")]
    Engine {
        context: String,
        container: String,
        #[source]
        source: ApiError,
    },
    #[error(
        "cannot read the processes of container {container}: no Python found to run \
         (tried {tried}); pindrift reads /proc with the container's own Python"
    )]
    NoPython { container: String, tried: String },
    #[error("`{command}` in container {container} failed (exit {code}): {stderr}")]
    Exec {
        container: String,
        command: String,
        code: i64,
        stderr: String,
    },
    #[error("the process list of container {container} is not valid JSON: {reason}")]
    Parse { container: String, reason: String },
}

/// One process as the container sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proc {
    pub pid: i64,
    pub ppid: i64,
    /// `R`, `S`, `Z`, …
    #[serde(default)]
    pub state: String,
    /// Start time in clock ticks since boot: with the PID, a process's identity (PIDs are
    /// reused, and start again from 1 after a restart).
    pub start: u64,
    #[serde(default)]
    pub comm: String,
    pub argv: Vec<String>,
    pub cwd: Option<String>,
}

impl Proc {
    /// PID and start time.
    pub fn identity(&self) -> (i64, u64) {
        (self.pid, self.start)
    }

    pub fn is_zombie(&self) -> bool {
        self.state == "Z"
    }

    /// argv joined with spaces, for messages.
    pub fn command(&self) -> String {
        if self.argv.is_empty() {
            format!("[{}]", self.comm)
        } else {
            self.argv.join(" ")
        }
    }
}

/// The processes of a container and the Python that read them.
#[derive(Debug, Clone)]
pub struct ProcessTable {
    pub procs: Vec<Proc>,
    /// The interpreter the exec ran (used again for signals inside the container).
    pub python: String,
}

impl ProcessTable {
    pub fn get(&self, pid: i64) -> Option<&Proc> {
        self.procs.iter().find(|p| p.pid == pid)
    }

    /// Living children of `pid`.
    pub fn children(&self, pid: i64) -> Vec<&Proc> {
        self.procs
            .iter()
            .filter(|p| p.ppid == pid && !p.is_zombie())
            .collect()
    }
}

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServerKind {
    Gunicorn,
    Uwsgi,
}

impl ServerKind {
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::Gunicorn => "gunicorn",
            ServerKind::Uwsgi => "uwsgi",
        }
    }
}

/// A server found in the process list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub kind: ServerKind,
    pub master: Proc,
    /// The master's parent, when it is in the container (not for PID 1).
    pub parent: Option<Proc>,
    /// The master's living children.
    pub workers: Vec<Proc>,
    /// gunicorn: `--preload` on the command line.
    pub preload_flag: bool,
    /// gunicorn: the configuration file to look at for `preload_app` (absolute path in the
    /// container): `-c FILE`, else `gunicorn.conf.py` in the master's folder.
    pub config_file: Option<String>,
    /// uwsgi: `--master-fifo PATH` (absolute).
    pub master_fifo: Option<String>,
    /// uwsgi: `--lazy-apps` (or `--lazy`): each worker loads the app itself.
    pub lazy_apps: bool,
    /// uwsgi run by a Python interpreter (pyuwsgi's `uwsgi` script) without
    /// `--binary-path`: the interpreter, whose real binary a graceful reload re-executes.
    pub pyuwsgi_python: Option<String>,
}

/// `python`, `python3`, `python3.11` (a path's last component).
fn is_python(arg: &str) -> bool {
    let base = arg.rsplit('/').next().unwrap_or(arg);
    base.strip_prefix("python")
        .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

fn basename(arg: &str) -> &str {
    arg.rsplit('/').next().unwrap_or(arg)
}

/// The argv after the interpreter and its options, when the program is a Python script or
/// module: (`gunicorn`, rest) for `python /opt/venv/bin/gunicorn …`, `python -m gunicorn …`.
fn program(argv: &[String]) -> Option<(&str, &[String])> {
    let first = argv.first()?;
    if !is_python(first) {
        return Some((basename(first), &argv[1..]));
    }
    let mut i = 1;
    while i < argv.len() {
        let a = argv[i].as_str();
        if a == "-m" {
            return argv
                .get(i + 1)
                .map(|m| (m.as_str(), &argv[(i + 2).min(argv.len())..]));
        }
        if a == "-c" {
            return None;
        }
        if let Some(m) = a.strip_prefix("-m") {
            return Some((m, &argv[i + 1..]));
        }
        if a.starts_with('-') {
            // -W/-X take a value.
            if a == "-W" || a == "-X" {
                i += 1;
            }
            i += 1;
            continue;
        }
        return Some((basename(a), &argv[i + 1..]));
    }
    None
}

/// Which server a process belongs to, from its argv.
pub fn kind_of(argv: &[String]) -> Option<ServerKind> {
    let first = argv.first()?;
    // setproctitle: `gunicorn: master [app:app]`, `uWSGI master`.
    if first.starts_with("gunicorn:") {
        return Some(ServerKind::Gunicorn);
    }
    if first.starts_with("uWSGI ") || first == "uWSGI" {
        return Some(ServerKind::Uwsgi);
    }
    let (prog, _) = program(argv)?;
    let prog = prog.strip_suffix(".py").unwrap_or(prog);
    match prog {
        "gunicorn" | "gunicorn3" => Some(ServerKind::Gunicorn),
        "uwsgi" | "pyuwsgi" => Some(ServerKind::Uwsgi),
        _ => None,
    }
}

/// The value of `--name VALUE`, `--name=VALUE` or (for a one-letter `short`) `-cVALUE`.
fn option_value<'a>(args: &'a [String], long: &str, short: Option<&str>) -> Option<&'a str> {
    let mut it = args.iter();
    let mut found = None;
    while let Some(a) = it.next() {
        if a == long || short.is_some_and(|s| a == s) {
            found = it.next().map(String::as_str);
        } else if let Some(v) = a.strip_prefix(long).and_then(|r| r.strip_prefix('=')) {
            found = Some(v);
        } else if let Some(v) = short.and_then(|s| a.strip_prefix(s)) {
            if !v.is_empty() && !a.starts_with("--") {
                found = Some(v);
            }
        }
    }
    found
}

/// `path` made absolute against `cwd`.
fn absolute(path: &str, cwd: Option<&str>) -> Option<String> {
    if path.starts_with('/') {
        return Some(path.to_string());
    }
    let cwd = cwd?;
    Some(format!("{}/{}", cwd.trim_end_matches('/'), path))
}

/// The server in `procs`: the first master (lowest PID) of gunicorn or uwsgi.
pub fn detect(procs: &[Proc]) -> Option<Server> {
    let mut sorted: Vec<&Proc> = procs.iter().filter(|p| !p.is_zombie()).collect();
    sorted.sort_by_key(|p| p.pid);
    let kind_by_pid = |pid: i64| {
        sorted
            .iter()
            .find(|p| p.pid == pid)
            .and_then(|p| kind_of(&p.argv))
    };
    for p in &sorted {
        let Some(kind) = kind_of(&p.argv) else {
            continue;
        };
        if kind_by_pid(p.ppid) == Some(kind) {
            continue; // a worker (or a new master during an upgrade)
        }
        let workers: Vec<Proc> = sorted
            .iter()
            .filter(|c| c.ppid == p.pid)
            .map(|c| (*c).clone())
            .collect();
        if kind == ServerKind::Uwsgi && !workers.iter().any(|w| kind_of(&w.argv).is_some()) {
            continue; // uwsgi without a master process
        }
        let args = program(&p.argv).map(|(_, rest)| rest).unwrap_or(&[]);
        let cwd = p.cwd.as_deref();
        let pyuwsgi_python = (kind == ServerKind::Uwsgi
            && p.argv.first().is_some_and(|a| is_python(a))
            && option_value(args, "--binary-path", None).is_none())
        .then(|| p.argv[0].clone());
        let (preload_flag, config_file, master_fifo, lazy_apps) = match kind {
            ServerKind::Gunicorn => {
                let config = match option_value(args, "--config", Some("-c")) {
                    Some(c) if c.starts_with("python:") => None,
                    Some(c) => absolute(c.strip_prefix("file:").unwrap_or(c), cwd),
                    None => absolute("gunicorn.conf.py", cwd),
                };
                (args.iter().any(|a| a == "--preload"), config, None, false)
            }
            ServerKind::Uwsgi => (
                false,
                None,
                option_value(args, "--master-fifo", None).and_then(|f| absolute(f, cwd)),
                args.iter().any(|a| a == "--lazy-apps" || a == "--lazy"),
            ),
        };
        return Some(Server {
            kind,
            master: (*p).clone(),
            parent: sorted
                .iter()
                .find(|q| q.pid == p.ppid)
                .map(|q| (*q).clone()),
            workers,
            preload_flag,
            config_file,
            master_fifo,
            lazy_apps,
            pyuwsgi_python,
        });
    }
    None
}

/// The server's name from the engine's `top` (`CMD` or `COMMAND` column): `gunicorn`,
/// `uwsgi`, or `None`. Used at `start`, where no exec is wanted.
pub fn server_name(titles: &[String], processes: &[Vec<String>]) -> Option<String> {
    let col = titles
        .iter()
        .position(|t| t == "CMD" || t == "COMMAND" || t == "ARGS")?;
    let mut found: Vec<ServerKind> = processes
        .iter()
        .filter_map(|row| row.get(col))
        .filter_map(|cmd| {
            let argv: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
            kind_of(&argv)
        })
        .collect();
    found.dedup();
    found.first().map(|k| k.name().to_string())
}

/// Interpreters to try for the exec, best first: those the engine's `top` shows running,
/// then the usual ones.
pub fn python_candidates(titles: &[String], processes: &[Vec<String>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(col) = titles
        .iter()
        .position(|t| t == "CMD" || t == "COMMAND" || t == "ARGS")
    {
        for row in processes {
            if let Some(first) = row.get(col).and_then(|c| c.split_whitespace().next()) {
                if first.starts_with('/') && is_python(first) && !out.iter().any(|o| o == first) {
                    out.push(first.to_string());
                }
            }
        }
    }
    for p in ["/usr/local/bin/python3", "/usr/bin/python3", "python3"] {
        if !out.iter().any(|o| o == p) {
            out.push(p.to_string());
        }
    }
    out
}

/// What an exec printed and its exit code.
#[derive(Debug, Clone)]
pub struct ExecOutput {
    pub code: i64,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cmd` in the container (no shell, no environment added but Python's isolation).
pub async fn exec_capture<A: EngineApi>(
    engine: &Engine<A>,
    container: &str,
    cmd: Vec<String>,
) -> Result<ExecOutput, ProcessError> {
    let api = engine.api();
    let err = |context: &str, source: ApiError| ProcessError::Engine {
        context: context.to_string(),
        container: container.to_string(),
        source,
    };
    let created = api
        .create_exec(container, cmd, vec!["PYTHONDONTWRITEBYTECODE=1".into()])
        .await
        .map_err(|e| err("creating an exec", e))?;
    let mut output = api
        .start_exec(&created)
        .await
        .map_err(|e| err("starting an exec", e))?;
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    while let Some(item) = output.next().await {
        match item.map_err(|e| err("reading an exec's output", e))? {
            ExecChunk::Stdout(m) if stdout.len() < MAX_OUTPUT => stdout.extend_from_slice(&m),
            ExecChunk::Stderr(m) if stderr.len() < MAX_OUTPUT => stderr.extend_from_slice(&m),
            _ => {}
        }
    }
    let code = api
        .exec_exit_code(&created)
        .await
        .map_err(|e| err("inspecting an exec", e))?;
    Ok(ExecOutput {
        code: code.unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    })
}

/// Did the exec fail because the program is not there (the runtime's 126/127)?
fn not_found(out: &ExecOutput) -> bool {
    (out.code == 126 || out.code == 127)
        && (out.stdout.contains("executable file not found")
            || out.stdout.contains("no such file or directory")
            || out.stderr.contains("executable file not found")
            || out.stderr.contains("no such file or directory")
            || out.stdout.trim().is_empty())
}

/// Runs a Python snippet in the container with the first interpreter of `pythons` that
/// exists; returns the output and the interpreter.
pub async fn run_python<A: EngineApi>(
    engine: &Engine<A>,
    container: &str,
    pythons: &[String],
    code: &str,
    args: &[String],
) -> Result<(ExecOutput, String), ProcessError> {
    for py in pythons {
        let mut cmd = vec![
            py.clone(),
            "-I".into(),
            "-B".into(),
            "-c".into(),
            code.into(),
        ];
        cmd.extend(args.iter().cloned());
        let out = exec_capture(engine, container, cmd).await?;
        if not_found(&out) {
            continue;
        }
        return Ok((out, py.clone()));
    }
    Err(ProcessError::NoPython {
        container: container.to_string(),
        tried: pythons.join(", "),
    })
}

/// The container's processes, read from its `/proc`.
pub async fn read_processes<A: EngineApi>(
    engine: &Engine<A>,
    container: &str,
    pythons: &[String],
) -> Result<ProcessTable, ProcessError> {
    let (out, python) = run_python(engine, container, pythons, READ_PROC, &[]).await?;
    if out.code != 0 {
        return Err(ProcessError::Exec {
            container: container.to_string(),
            command: format!("{python} -c <read /proc>"),
            code: out.code,
            stderr: last_lines(&out.stderr),
        });
    }
    let procs: Vec<Proc> =
        serde_json::from_str(out.stdout.trim()).map_err(|e| ProcessError::Parse {
            container: container.to_string(),
            reason: e.to_string(),
        })?;
    Ok(ProcessTable { procs, python })
}

/// The last three lines of an error output, joined.
pub fn last_lines(text: &str) -> String {
    let lines: Vec<&str> = text.trim().lines().collect();
    lines[lines.len().saturating_sub(3)..].join(" | ")
}

/// Does gunicorn preload the app? `--preload` on the command line, or `preload_app = True`
/// in its configuration file (read through the archive API). Returns where it was found.
pub async fn gunicorn_preload<A: EngineApi>(
    engine: &Engine<A>,
    container: &str,
    server: &Server,
) -> Option<String> {
    if server.preload_flag {
        return Some("--preload on the master's command line".into());
    }
    let path = server.config_file.as_deref()?;
    let text = read_file(engine, container, path).await?;
    preload_in_config(&String::from_utf8_lossy(&text))
        .then(|| format!("preload_app = True in {path}"))
}

/// Would uwsgi's graceful reload (SIGHUP) kill the service? pyuwsgi re-executes the real
/// binary of its interpreter (`/usr/bin/python3.11`, not the venv's `python3` link) unless
/// `--binary-path` says otherwise; started from a venv (a `pyvenv.cfg` next to the
/// interpreter's folder), the re-executed master no longer finds pyuwsgi and exits.
pub async fn pyuwsgi_reload_breaks<A: EngineApi>(
    engine: &Engine<A>,
    container: &str,
    server: &Server,
) -> Option<String> {
    let python = server.pyuwsgi_python.as_deref()?;
    let python = absolute(python, server.master.cwd.as_deref())?;
    let bin = python.rsplit_once('/').map(|(d, _)| d)?;
    let root = bin.rsplit_once('/').map(|(d, _)| d)?;
    let cfg = format!("{root}/pyvenv.cfg");
    read_file(engine, container, &cfg).await?;
    Some(format!(
        "uwsgi runs from the venv {root} through {python} without --binary-path: its \
         graceful reload (SIGHUP) re-executes the real interpreter outside the venv, which \
         cannot import pyuwsgi, and the master exits"
    ))
}

/// `preload_app = True` at the start of a line of a gunicorn configuration file.
pub fn preload_in_config(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start();
        let Some(rest) = l.strip_prefix("preload_app") else {
            return false;
        };
        let Some(value) = rest.trim_start().strip_prefix('=') else {
            return false;
        };
        let value = value.split('#').next().unwrap_or("").trim();
        value == "True" || value == "1"
    })
}

/// A small regular file of the container through the archive API; `None` when it is not
/// there or not a regular file.
async fn read_file<A: EngineApi>(
    engine: &Engine<A>,
    container: &str,
    path: &str,
) -> Option<Vec<u8>> {
    let mut stream = engine.api().archive(container, path);
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk.ok()?);
        if bytes.len() as u64 > MAX_CONFIG + 64 * 1024 {
            return None;
        }
    }
    let mut archive = tar::Archive::new(bytes.as_slice());
    let mut entry = archive.entries().ok()?.next()?.ok()?;
    if !entry.header().entry_type().is_file() || entry.size() > MAX_CONFIG {
        return None;
    }
    let mut out = Vec::new();
    entry.read_to_end(&mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pid: i64, ppid: i64, argv: &str) -> Proc {
        Proc {
            pid,
            ppid,
            state: "S".into(),
            start: 100 + pid as u64,
            comm: String::new(),
            argv: argv.split_whitespace().map(str::to_string).collect(),
            cwd: Some("/app".into()),
        }
    }

    const GUNI: &str = "/opt/venv/bin/python3 /opt/venv/bin/gunicorn -b 0.0.0.0:8000 -w 2 app:app";

    #[test]
    fn the_gunicorn_master_is_found_when_it_is_pid_1() {
        let procs = [p(1, 0, GUNI), p(7, 1, GUNI), p(8, 1, GUNI)];
        let s = detect(&procs).unwrap();
        assert_eq!(s.kind, ServerKind::Gunicorn);
        assert_eq!(s.master.pid, 1);
        assert_eq!(s.parent, None);
        assert_eq!(s.workers.len(), 2);
        assert!(!s.preload_flag);
        assert_eq!(s.config_file.as_deref(), Some("/app/gunicorn.conf.py"));
    }

    #[test]
    fn the_gunicorn_master_is_found_under_a_shell_and_with_preload() {
        let cmd = format!("{GUNI} --preload -c conf/g.py");
        let procs = [
            p(1, 0, "sh -c gunicorn"),
            p(9, 1, &cmd),
            p(12, 9, &cmd),
            p(13, 9, &cmd),
            p(20, 1, "sleep 1000"),
        ];
        let s = detect(&procs).unwrap();
        assert_eq!(s.master.pid, 9);
        assert_eq!(s.parent.as_ref().map(|p| p.pid), Some(1));
        assert_eq!(s.workers.len(), 2);
        assert!(s.preload_flag);
        assert_eq!(s.config_file.as_deref(), Some("/app/conf/g.py"));
    }

    #[test]
    fn proctitles_and_modules_are_recognized() {
        let argv = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            kind_of(&argv("gunicorn: master [app:app]")),
            Some(ServerKind::Gunicorn)
        );
        assert_eq!(
            kind_of(&argv("python3 -u -m gunicorn app")),
            Some(ServerKind::Gunicorn)
        );
        assert_eq!(
            kind_of(&argv("/usr/bin/python3.11 -mgunicorn app")),
            Some(ServerKind::Gunicorn)
        );
        assert_eq!(kind_of(&argv("uWSGI master")), Some(ServerKind::Uwsgi));
        assert_eq!(
            kind_of(&argv("/usr/local/bin/uwsgi --ini x")),
            Some(ServerKind::Uwsgi)
        );
        assert_eq!(
            kind_of(&argv("python -m pyuwsgi --master")),
            Some(ServerKind::Uwsgi)
        );
        assert_eq!(kind_of(&argv("python3 -c import gunicorn")), None);
        assert_eq!(kind_of(&argv("python3 app.py")), None);
        assert_eq!(kind_of(&argv("nginx: master process")), None);
    }

    #[test]
    fn a_uwsgi_master_needs_children_and_its_fifo_is_made_absolute() {
        let cmd =
            "/opt/venv/bin/python3 /opt/venv/bin/uwsgi --master --lazy-apps --master-fifo run/f";
        let procs = [p(1, 0, cmd), p(7, 1, cmd), p(8, 1, cmd)];
        let s = detect(&procs).unwrap();
        assert_eq!(s.kind, ServerKind::Uwsgi);
        assert_eq!(s.master_fifo.as_deref(), Some("/app/run/f"));
        assert!(s.lazy_apps);
        // Without a master process there is nothing to reload gracefully.
        assert_eq!(detect(&[p(1, 0, "uwsgi --http-socket :8000")]), None);
    }

    #[test]
    fn during_an_upgrade_the_old_master_is_the_master() {
        let procs = [
            p(1, 0, "/sbin/init"),
            p(5, 1, GUNI),
            p(6, 5, GUNI),
            p(30, 5, GUNI),
            p(31, 30, GUNI),
        ];
        let s = detect(&procs).unwrap();
        assert_eq!(s.master.pid, 5);
        assert_eq!(s.workers.len(), 2);
    }

    #[test]
    fn options_and_config_files() {
        let args = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            option_value(&args("-c a.py"), "--config", Some("-c")),
            Some("a.py")
        );
        assert_eq!(
            option_value(&args("--config=b.py"), "--config", Some("-c")),
            Some("b.py")
        );
        assert_eq!(
            option_value(&args("-cc.py"), "--config", Some("-c")),
            Some("c.py")
        );
        assert_eq!(
            option_value(&args("--check-config"), "--config", Some("-c")),
            None
        );
        assert!(preload_in_config(
            "bind = ':8000'\npreload_app = True  # yes\n"
        ));
        assert!(preload_in_config("preload_app=1"));
        assert!(!preload_in_config(
            "# preload_app = True\npreload_app = False\n"
        ));
        assert!(!preload_in_config("preload_apps = True"));
    }

    #[test]
    fn server_name_reads_the_engine_top() {
        let titles: Vec<String> = ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let row = |cmd: &str| {
            let mut r: Vec<String> = ["root", "1", "0", "0", "19:49", "?", "00:00:00"]
                .iter()
                .map(|s| s.to_string())
                .collect();
            r.push(cmd.to_string());
            r
        };
        assert_eq!(
            server_name(&titles, &[row("sh -c x"), row(GUNI), row(GUNI)]).as_deref(),
            Some("gunicorn")
        );
        assert_eq!(server_name(&titles, &[row("sleep 3600")]), None);
        assert_eq!(
            python_candidates(&titles, &[row(GUNI)])[0],
            "/opt/venv/bin/python3"
        );
    }
}
