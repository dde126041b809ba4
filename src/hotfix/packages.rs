//! `hotfix pin`: exact pins installed in place with the container's own `python -m pip`, every
//! distribution pip will change saved first, so rollback puts it back offline.
//!
//! The procedure, as steps of the journal:
//!
//! 1. each argument is judged as `check` judges a requirement line ([`exact_pins`]): only
//!    `name==version` passes;
//! 2. the Python environment is found as drift finds it (the container's inventory), and its
//!    interpreter asked what it is ([`HELPER`] `probe`): pip's version, PEP 668's
//!    `EXTERNALLY-MANAGED`;
//! 3. with `--find-links DIR` / `--wheel FILE` the wheels are copied into a folder of their own
//!    under `/tmp` (a `PipInstall` step with no specs and nothing saved: undone by removing the
//!    folder);
//! 4. `pip install --dry-run --report -` says what pip will install, dependencies included
//!    (pip 22.2 or newer; older pips: the named packages only, and the outcome says so);
//! 5. the files of each installed distribution that will change are read through the archive
//!    API (the paths its `RECORD` lists) and saved as one tar blob (bytes, mode, owner, mtime);
//!    distributions pip will add are recorded with an empty blob;
//! 6. the `PipInstall` step is recorded (write-ahead), pip runs, the wheel folder is removed,
//!    the step is marked done;
//! 7. the container's inventory is read again and compared with the one before ([`PinOutcome`]).
//!
//! [`undo`] (rollback) waits for a pip of the step that may still run in the container,
//! removes the wheel folder, removes the distributions the step installed (their `RECORD`),
//! puts the saved files back, and checks versions and checksums. It is idempotent.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use serde::Deserialize;

use super::{Action, HotfixError, Journal, SavedDist, StepId, StepState};
use crate::docker::api::ExecChunk;
use crate::docker::{Engine, EngineApi};
use crate::drift::{ChangeKind, DriftOutcome};
use crate::inventory::{EnvKind, Inventory, PythonEnv};
use crate::lint::requirements::pinning::{pin_status, PinStatus};
use crate::lint::requirements::requirement::{parse_requirement, wheel_name_version};
use crate::lint::requirements::rules::{check_requirement, PythonRequirement, Site};
use crate::names::normalize_name;

/// The oldest pip whose `install --dry-run --report` says what it would install.
pub const REPORT_PIP: (u32, u32) = (22, 2);

/// Where wheels copied in for `--find-links` / `--wheel` go (a folder of their own under it).
pub const WHEELS_PREFIX: &str = "/tmp/pindrift-wheels-";

/// The most output kept of one command run in the container.
const MAX_OUTPUT: usize = 16 * 1024 * 1024;

/// How long [`undo`] waits for a pip of the step that still runs in the container.
const PIP_WAIT_SECONDS: u32 = 600;

/// Errors of `hotfix pin` before anything is changed, and of its undo.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    #[error("{0}")]
    Spec(String),
    #[error("{0}")]
    Env(String),
    #[error("{0}")]
    Refused(String),
    #[error("{what} in container {container}: {message}")]
    Container {
        what: String,
        container: String,
        message: String,
    },
    #[error("{path}: {message}")]
    Local { path: String, message: String },
    #[error(transparent)]
    Hotfix(#[from] HotfixError),
}

impl From<PinError> for HotfixError {
    fn from(e: PinError) -> Self {
        match e {
            PinError::Hotfix(h) => h,
            other => HotfixError::Other(other.to_string()),
        }
    }
}

impl From<crate::docker::EngineError> for PinError {
    fn from(e: crate::docker::EngineError) -> Self {
        PinError::Hotfix(HotfixError::Engine {
            context: "the Docker Engine".into(),
            message: e.to_string(),
        })
    }
}

/// One exact pin from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExactPin {
    /// The argument as given.
    pub text: String,
    /// PEP 503 normalized name.
    pub name: String,
    pub version: String,
}

/// Judges each argument as `check` judges a requirement line (the same parser and the same
/// pinning rules, PD101-PD109) and accepts only `name==version` (or `name===version`).
/// An error names the argument (`argument 2`) as `check` names a line.
pub fn exact_pins(specs: &[String]) -> Result<Vec<ExactPin>, PinError> {
    let mut out: Vec<ExactPin> = Vec::new();
    for (i, text) in specs.iter().enumerate() {
        let at = format!("argument {} `{}`", i + 1, text.trim());
        let trimmed = text.trim();
        let parsed = parse_requirement(trimmed).map_err(|e| {
            PinError::Spec(format!(
                "{at}: pip cannot read this requirement: {e}; hotfix pin takes exact pins (`name==version`)"
            ))
        })?;
        let status = pin_status(&parsed);
        let requirement = PythonRequirement {
            text: trimmed,
            parsed: &parsed,
            status: &status,
            editable: false,
            hashed: false,
            exempt_from_pinning: false,
            strict: false,
            site: Site::CommandLine,
            edit_span: None,
        };
        if let Some(v) = check_requirement(&requirement).into_iter().next() {
            let hint = v
                .hint
                .as_deref()
                .map(|h| format!(" ({h})"))
                .unwrap_or_default();
            return Err(PinError::Spec(format!(
                "{at}: {} {}{hint}; hotfix pin takes exact pins only (`name==version`)",
                v.rule.code(),
                v.message
            )));
        }
        let index_pin = matches!(
            parsed.source,
            crate::lint::requirements::requirement::RequirementSource::Index { .. }
        );
        let (Some(name), Some(version), PinStatus::Pinned, true) = (
            parsed.normalized_name.clone(),
            parsed.exact_version(),
            status,
            index_pin,
        ) else {
            return Err(PinError::Spec(format!(
                "{at}: not an exact pin of a package by name; hotfix pin takes `name==version` \
                 (a wheel file goes in with --wheel FILE)"
            )));
        };
        if let Some(other) = out.iter().find(|p| p.name == name && p.version != version) {
            return Err(PinError::Spec(format!(
                "{at}: {name} is also pinned to {} by `{}`",
                other.version, other.text
            )));
        }
        out.push(ExactPin {
            text: trimmed.to_string(),
            name,
            version,
        });
    }
    Ok(out)
}

/// The exact pins of wheel files (`--wheel` without SPEC): their names and versions.
pub fn pins_of_wheels(wheels: &[PathBuf]) -> Result<Vec<String>, PinError> {
    wheels
        .iter()
        .map(|w| {
            let file = w.file_name().map(|f| f.to_string_lossy().into_owned());
            match file.as_deref().and_then(wheel_name_version) {
                Some((name, version)) => Ok(format!("{name}=={version}")),
                None => Err(PinError::Local {
                    path: w.display().to_string(),
                    message: "not a wheel file name (name-version-python-abi-platform.whl)".into(),
                }),
            }
        })
        .collect()
}

/// What the user asked of `hotfix pin`, resolved.
#[derive(Debug, Clone, Default)]
pub struct PinRequest {
    pub specs: Vec<String>,
    /// `--python-env KEY` (key, root or site folder, as drift takes it).
    pub python_env: Option<String>,
    /// `--find-links DIR` on this host: its wheels are copied in.
    pub find_links: Option<PathBuf>,
    /// `--wheel FILE` on this host (repeatable).
    pub wheels: Vec<PathBuf>,
    /// `--no-index`: pip reads no index (implied by wheels copied in).
    pub no_index: bool,
    /// `--no-deps`: pip installs the named packages only.
    pub no_deps: bool,
    /// `--break-system-packages`: pip may change an EXTERNALLY-MANAGED system environment.
    pub break_system_packages: bool,
}

/// The environment pip runs in.
#[derive(Debug, Clone)]
pub struct Target {
    pub env_key: String,
    pub kind: EnvKind,
    /// The interpreter: `<root>/bin/python` of a venv, the system's `python3.X`.
    pub python: String,
    /// Installed before, by normalized name: (version, METADATA path).
    pub installed: BTreeMap<String, (String, String)>,
}

/// Chooses the environment: `--python-env`, else the one holding the named packages, else the
/// only one.
pub fn choose_env(
    inventory: &Inventory,
    wanted: Option<&str>,
    names: &[String],
) -> Result<Target, PinError> {
    let env: &PythonEnv = match wanted {
        Some(w) => crate::drift::pick(inventory, Some(w))
            .map_err(|e| PinError::Env(e.to_string()))?
            .ok_or_else(|| {
                PinError::Env(format!(
                    "{} has no Python environment",
                    inventory.source.spec
                ))
            })?,
        None => {
            let holding: Vec<&PythonEnv> = inventory
                .envs
                .iter()
                .filter(|e| names.iter().any(|n| e.packages.contains_key(n)))
                .collect();
            let installable: Vec<&PythonEnv> = inventory
                .envs
                .iter()
                .filter(|e| matches!(e.kind, EnvKind::System | EnvKind::Venv | EnvKind::Prefix))
                .collect();
            let keys = |v: &[&PythonEnv]| {
                v.iter()
                    .map(|e| e.key.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            match (holding.as_slice(), installable.as_slice()) {
                ([one], _) => one,
                ([], [one]) => one,
                ([], []) => {
                    return Err(PinError::Env(format!(
                        "{} has no Python environment pip can install into",
                        inventory.source.spec
                    )))
                }
                ([], many) => {
                    return Err(PinError::Env(format!(
                        "{} has {} Python environments ({}) and none has {}: choose one with --python-env KEY",
                        inventory.source.spec,
                        many.len(),
                        keys(many),
                        names.join(", ")
                    )))
                }
                (many, _) => {
                    return Err(PinError::Env(format!(
                        "{} has {} in {} Python environments ({}): choose one with --python-env KEY",
                        inventory.source.spec,
                        names.join(", "),
                        many.len(),
                        keys(many)
                    )))
                }
            }
        }
    };
    let python = match env.kind {
        EnvKind::Venv | EnvKind::Prefix => match &env.root {
            Some(root) => format!("{}/bin/python", root.trim_end_matches('/')),
            None => {
                return Err(PinError::Env(format!(
                    "Python environment {} has no root folder",
                    env.key
                )))
            }
        },
        EnvKind::System => crate::docker::system_python(env),
        other => {
            return Err(PinError::Env(format!(
                "Python environment {} is a {other:?} folder, not an environment pip installs \
                 into; choose a venv or the system environment with --python-env KEY",
                env.key
            )))
        }
    };
    Ok(Target {
        env_key: env.key.clone(),
        kind: env.kind,
        python,
        installed: env
            .packages
            .values()
            .map(|p| {
                (
                    p.name.clone(),
                    (p.version.clone().unwrap_or_default(), p.location.clone()),
                )
            })
            .collect(),
    })
}

/// A Python script run with the environment's interpreter for what the archive API cannot
/// do: `probe`, `versions`, `dirs` (every folder under the prefix), `plan-remove KEEP_JSON`
/// (the folders the files of the distributions to remove are in), `remove KEEP_JSON DIR...`
/// (their files, the given folders when empty, their dist-info folder last), `sha256 PATH...`,
/// `wait MARKER SECONDS`, `rmtree DIR`. It prints one JSON object.
pub const HELPER: &str = r#"
import csv, hashlib, json, os, re, shutil, sys, sysconfig, time
def norm(n):
    return re.sub(r"[-_.]+", "-", n).lower()
def sites():
    out = []
    for k in ("purelib", "platlib"):
        p = sysconfig.get_path(k)
        if p and p not in out:
            out.append(p)
    for p in sys.path:
        if p and p not in out and os.path.isdir(p) and os.path.basename(p.rstrip("/")) in ("site-packages", "dist-packages"):
            out.append(p)
    return out
def dists():
    for site in sites():
        try:
            entries = sorted(os.listdir(site))
        except OSError:
            continue
        for e in entries:
            if not e.endswith(".dist-info"):
                continue
            d = os.path.join(site, e)
            name = version = None
            try:
                with open(os.path.join(d, "METADATA"), encoding="utf-8", errors="replace") as f:
                    for line in f:
                        if not line.strip():
                            break
                        k, _, v = line.partition(":")
                        k = k.strip().lower()
                        if k == "name" and name is None:
                            name = v.strip()
                        elif k == "version" and version is None:
                            version = v.strip()
            except OSError:
                continue
            if name:
                yield site, d, norm(name), version or ""
cmd = sys.argv[1]
if cmd == "probe":
    try:
        import pip
        pipv = pip.__version__
    except Exception:
        pipv = None
    in_venv = sys.prefix != getattr(sys, "base_prefix", sys.prefix)
    em = False
    if not in_venv:
        try:
            em = os.path.isfile(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"))
        except Exception:
            pass
    print(json.dumps({"pip": pipv, "externally_managed": em, "in_venv": in_venv, "prefix": sys.prefix, "sites": sites()}))
elif cmd == "versions":
    out = {}
    for site, d, n, v in dists():
        out.setdefault(n, []).append(v)
    print(json.dumps({"versions": out}))
elif cmd == "dirs":
    top = os.path.normpath(sys.prefix)
    out = [top]
    for root, dirs, files in os.walk(top):
        out.extend(os.path.join(root, d) for d in dirs)
        if len(out) > 500000:
            print(json.dumps({"dirs": None}))
            sys.exit(0)
    print(json.dumps({"dirs": out}))
elif cmd in ("plan-remove", "remove"):
    keep = json.loads(sys.argv[2])
    real = os.path.realpath(sys.prefix) + os.sep
    top = os.path.normpath(sys.prefix)
    found = []
    for site, d, n, v in list(dists()):
        if n not in keep or (keep[n] and keep[n] == v):
            continue
        files = []
        try:
            with open(os.path.join(d, "RECORD"), newline="", encoding="utf-8") as f:
                for row in csv.reader(f):
                    if row and row[0]:
                        p = os.path.normpath(os.path.join(site, row[0]))
                        inside = (os.path.realpath(os.path.dirname(p)) + os.sep).startswith(real)
                        if inside and not (p + os.sep).startswith(d + os.sep):
                            files.append(p)
        except OSError:
            pass
        found.append((d, files))
    if cmd == "plan-remove":
        dirs = set()
        for d, files in found:
            for p in files:
                x = os.path.dirname(p)
                if p.endswith(".py"):
                    dirs.add(os.path.join(x, "__pycache__"))
                while x.startswith(top + os.sep):
                    dirs.add(x)
                    x = os.path.dirname(x)
        print(json.dumps({"dirs": sorted(dirs), "sites": sites()}))
        sys.exit(0)
    removed = []
    for d, files in found:
        for p in files:
            if os.path.islink(p) or os.path.isfile(p):
                os.remove(p)
                removed.append(p)
            if p.endswith(".py"):
                cache = os.path.join(os.path.dirname(p), "__pycache__")
                stem = os.path.basename(p)[:-3] + "."
                try:
                    for c in os.listdir(cache):
                        if c.startswith(stem) and c.endswith(".pyc"):
                            os.remove(os.path.join(cache, c))
                            removed.append(os.path.join(cache, c))
                except OSError:
                    pass
    for x in sorted(set(sys.argv[3:]), key=len, reverse=True):
        try:
            os.rmdir(x)
        except OSError:
            pass
    # The dist-info folder last: until it is gone, a rerun finds the distribution again.
    for d, files in found:
        if os.path.isdir(d) and not os.path.islink(d):
            for root, _, fs in os.walk(d):
                removed.extend(os.path.join(root, x) for x in fs)
            shutil.rmtree(d)
    print(json.dumps({"removed": removed}))
elif cmd == "sha256":
    out = {}
    for p in sys.argv[2:]:
        try:
            with open(p, "rb") as f:
                out[p] = hashlib.sha256(f.read()).hexdigest()
        except OSError as e:
            out[p] = None
    print(json.dumps({"sha256": out}))
elif cmd == "wait":
    marker = ("PINDRIFT_HOTFIX_STEP=" + sys.argv[2]).encode() + b"\0"
    deadline = time.time() + float(sys.argv[3])
    while True:
        running = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                with open("/proc/%s/environ" % pid, "rb") as f:
                    if marker in f.read() + b"\0":
                        running.append(int(pid))
            except OSError:
                pass
        if not running or time.time() > deadline:
            break
        time.sleep(0.2)
    print(json.dumps({"running": running}))
elif cmd == "rmtree":
    p = sys.argv[2]
    if not p.startswith("/tmp/pindrift-wheels-") or "/.." in p:
        print(json.dumps({"error": "not a wheel folder of pindrift: " + p}))
        sys.exit(3)
    shutil.rmtree(p, ignore_errors=True)
    print(json.dumps({"gone": not os.path.exists(p)}))
"#;

/// What one command run in the container printed, and its exit code.
#[derive(Debug, Clone)]
pub struct ExecOut {
    pub code: i64,
    pub stdout: String,
    pub stderr: String,
}

impl ExecOut {
    /// The last lines of stderr (or stdout), for a message.
    pub fn tail(&self) -> String {
        let text = if self.stderr.trim().is_empty() {
            &self.stdout
        } else {
            &self.stderr
        };
        let lines: Vec<&str> = text.trim().lines().collect();
        // pip says what went wrong on its `ERROR:` lines; its retries are noise.
        let errors: Vec<&str> = lines
            .iter()
            .copied()
            .filter(|l| l.starts_with("ERROR:"))
            .collect();
        let lines = if errors.is_empty() { lines } else { errors };
        lines[lines.len().saturating_sub(4)..].join(" | ")
    }
}

/// Runs `cmd` in the container (as its configured user) and collects its output.
pub async fn exec<A: EngineApi>(
    engine: &Engine<A>,
    container: &str,
    cmd: Vec<String>,
    env: Vec<String>,
) -> Result<ExecOut, PinError> {
    let api = engine.api();
    let what = cmd.join(" ");
    let failed = |message: String| PinError::Container {
        what: format!("running `{}`", shorten(&what)),
        container: container.to_string(),
        message,
    };
    let created = api
        .create_exec(container, cmd, env)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let mut output = api
        .start_exec(&created)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    while let Some(item) = output.next().await {
        match item.map_err(|e| failed(e.to_string()))? {
            ExecChunk::Stdout(m) if stdout.len() < MAX_OUTPUT => stdout.extend_from_slice(&m),
            ExecChunk::Stderr(m) if stderr.len() < MAX_OUTPUT => stderr.extend_from_slice(&m),
            _ => {}
        }
    }
    let code = api
        .exec_exit_code(&created)
        .await
        .map_err(|e| failed(e.to_string()))?;
    Ok(ExecOut {
        code: code.unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    })
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= 120 {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(120).collect::<String>())
    }
}

/// The environment for every command pindrift runs with the container's Python.
fn python_env_vars(marker: Option<&str>) -> Vec<String> {
    let mut env: Vec<String> = [
        "PYTHONNOUSERSITE=1",
        "PIP_DISABLE_PIP_VERSION_CHECK=1",
        "PIP_NO_INPUT=1",
        "PIP_NO_COLOR=1",
        "PIP_PROGRESS_BAR=off",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if let Some(m) = marker {
        env.push(format!("PINDRIFT_HOTFIX_STEP={m}"));
    }
    env
}

/// Runs [`HELPER`] with `args` and parses its JSON answer.
async fn helper<A: EngineApi, T: for<'de> Deserialize<'de>>(
    engine: &Engine<A>,
    container: &str,
    python: &str,
    args: &[String],
) -> Result<T, PinError> {
    let mut cmd = vec![python.to_string(), "-c".into(), HELPER.into()];
    cmd.extend(args.iter().cloned());
    let out = exec(engine, container, cmd, python_env_vars(None)).await?;
    let what = format!(
        "running {python} ({})",
        args.first().map(String::as_str).unwrap_or("")
    );
    if out.code != 0 {
        return Err(PinError::Container {
            what,
            container: container.to_string(),
            message: format!("exit {}: {}", out.code, out.tail()),
        });
    }
    serde_json::from_str(out.stdout.trim()).map_err(|e| PinError::Container {
        what,
        container: container.to_string(),
        message: format!("unexpected answer ({e}): {}", shorten(out.stdout.trim())),
    })
}

/// What the environment's interpreter says about itself.
#[derive(Debug, Clone, Deserialize)]
pub struct Probe {
    pub pip: Option<String>,
    pub externally_managed: bool,
    pub in_venv: bool,
    pub prefix: String,
    pub sites: Vec<String>,
}

/// `major.minor` of a version string (`23.0.1` → (23, 0)).
pub fn major_minor(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.');
    let major = parts.next()?.trim().parse().ok()?;
    let minor = parts
        .next()
        .map(|m| {
            m.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    Some((major, minor))
}

/// One distribution pip will install (from its report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WillInstall {
    pub name: String,
    pub version: String,
}

/// The distributions of `pip install --dry-run --report -` (JSON on stdout; anything before
/// the first `{` is pip's chatter).
pub fn parse_report(stdout: &str) -> Result<Vec<WillInstall>, String> {
    #[derive(Deserialize)]
    struct Report {
        install: Vec<Item>,
    }
    #[derive(Deserialize)]
    struct Item {
        metadata: Meta,
    }
    #[derive(Deserialize)]
    struct Meta {
        name: String,
        version: String,
    }
    let start = stdout
        .find('{')
        .ok_or_else(|| "pip printed no report".to_string())?;
    let mut de = serde_json::Deserializer::from_str(&stdout[start..]);
    let report = Report::deserialize(&mut de).map_err(|e| format!("pip's report: {e}"))?;
    Ok(report
        .install
        .into_iter()
        .map(|i| WillInstall {
            name: normalize_name(&i.metadata.name),
            version: i.metadata.version,
        })
        .collect())
}

/// One distribution the step will change: replace (saved first) or add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub name: String,
    /// Installed before: version and METADATA path.
    pub before: Option<(String, String)>,
    pub after: String,
}

/// What will change: pip's report against what is installed.
pub fn plan(target: &Target, will: &[WillInstall]) -> Vec<Planned> {
    will.iter()
        .filter(|w| {
            target
                .installed
                .get(&w.name)
                .is_none_or(|(v, _)| v != &w.version)
        })
        .map(|w| Planned {
            name: w.name.clone(),
            before: target.installed.get(&w.name).cloned(),
            after: w.version.clone(),
        })
        .collect()
}

/// The paths a `RECORD` lists, absolute (resolved against the site folder, `..` folded).
pub fn record_paths(site: &str, record: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in record.lines() {
        let path = csv_first_field(line);
        if path.is_empty() {
            continue;
        }
        let full = if path.starts_with('/') {
            path
        } else {
            format!("{}/{}", site.trim_end_matches('/'), path)
        };
        out.push(fold(&full));
    }
    out.sort();
    out.dedup();
    out
}

/// The first field of a CSV line (RECORD quotes paths with commas in them).
fn csv_first_field(line: &str) -> String {
    let line = line.trim_end_matches(['\r', '\n']);
    match line.strip_prefix('"') {
        Some(rest) => {
            let mut out = String::new();
            let mut chars = rest.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        out.push('"');
                    } else {
                        break;
                    }
                } else {
                    out.push(c);
                }
            }
            out
        }
        None => line.split(',').next().unwrap_or("").to_string(),
    }
}

/// `/a/b/../c/./d` → `/a/c/d`.
fn fold(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => "",
    }
}

/// The paths to archive for `files` of a distribution in `site`: the top folder (or file)
/// under the site folder of each, and each file outside it.
pub fn archive_roots(site: &str, files: &[String]) -> Vec<String> {
    let prefix = format!("{}/", site.trim_end_matches('/'));
    let mut roots: BTreeSet<String> = BTreeSet::new();
    for f in files {
        match f.strip_prefix(&prefix) {
            Some(rest) => {
                let top = rest.split('/').next().unwrap_or(rest);
                roots.insert(format!("{prefix}{top}"));
            }
            None => {
                roots.insert(f.clone());
            }
        }
    }
    roots.into_iter().collect()
}

/// Reads `path` of the container through the archive API; `None` when it does not exist.
pub async fn read_archive<A: EngineApi>(
    engine: &Engine<A>,
    container: &str,
    path: &str,
) -> Result<Option<Vec<u8>>, PinError> {
    let mut stream = engine.api().archive(container, path);
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(c) => bytes.extend_from_slice(&c),
            Err(e) if e.status == Some(404) && !e.container_gone() => return Ok(None),
            Err(e) => {
                return Err(PinError::Container {
                    what: format!("reading {path}"),
                    container: container.to_string(),
                    message: e.to_string(),
                })
            }
        }
    }
    Ok(Some(bytes))
}

/// The content of the first regular file of a tar.
fn first_file(tar_bytes: &[u8]) -> Option<Vec<u8>> {
    let mut archive = tar::Archive::new(tar_bytes);
    for entry in archive.entries().ok()? {
        let mut entry = entry.ok()?;
        if entry.header().entry_type().is_file() {
            let mut out = Vec::new();
            entry.read_to_end(&mut out).ok()?;
            return Some(out);
        }
    }
    None
}

/// Adds the entries of `archive` (the engine's archive of `root`) that are `files`, or folders
/// holding them, to `out`, named by their absolute path without the leading `/`. Returns the
/// files added.
fn keep_entries(
    archive: &[u8],
    root: &str,
    files: &BTreeSet<String>,
    out: &mut tar::Builder<Vec<u8>>,
) -> Result<Vec<String>, String> {
    let base = parent(root);
    let mut added = Vec::new();
    let mut reader = tar::Archive::new(archive);
    let entries = reader.entries().map_err(|e| e.to_string())?;
    for entry in entries {
        let mut entry = entry.map_err(|e| e.to_string())?;
        let name = entry
            .path()
            .map_err(|e| e.to_string())?
            .to_string_lossy()
            .trim_end_matches('/')
            .to_string();
        let abs = fold(&format!("{}/{}", base.trim_end_matches('/'), name));
        let kind = entry.header().entry_type();
        let wanted = if kind.is_dir() {
            let prefix = format!("{abs}/");
            files.iter().any(|f| f.starts_with(&prefix))
        } else {
            files.contains(&abs)
        };
        if !wanted {
            continue;
        }
        let mut header = entry.header().clone();
        let rel = abs.trim_start_matches('/').to_string();
        if kind.is_symlink() {
            let target = entry
                .link_name()
                .map_err(|e| e.to_string())?
                .map(|t| t.into_owned())
                .unwrap_or_default();
            out.append_link(&mut header, &rel, &target)
                .map_err(|e| e.to_string())?;
            added.push(abs);
        } else if kind.is_dir() {
            header.set_size(0);
            out.append_data(&mut header, format!("{rel}/"), std::io::empty())
                .map_err(|e| e.to_string())?;
        } else if kind.is_file() {
            let mut data = Vec::new();
            entry.read_to_end(&mut data).map_err(|e| e.to_string())?;
            header.set_size(data.len() as u64);
            out.append_data(&mut header, &rel, data.as_slice())
                .map_err(|e| e.to_string())?;
            added.push(abs);
        }
    }
    Ok(added)
}

/// Saves the files of an installed distribution (its RECORD's paths) as one tar, named from
/// `/`: bytes, mode, owner and mtime as the archive API gives them.
pub async fn save_dist<A: EngineApi>(
    engine: &Engine<A>,
    container: &str,
    metadata_path: &str,
) -> Result<(Vec<u8>, Vec<String>), PinError> {
    let info_dir = parent(metadata_path);
    if !info_dir.ends_with(".dist-info") {
        return Err(PinError::Refused(format!(
            "{info_dir} in container {container} is not a .dist-info folder: without a RECORD \
             its files cannot be saved, so the change could not be rolled back"
        )));
    }
    let site = parent(info_dir).to_string();
    let record_path = format!("{info_dir}/RECORD");
    let record = read_archive(engine, container, &record_path)
        .await?
        .and_then(|t| first_file(&t))
        .ok_or_else(|| {
            PinError::Refused(format!(
                "{record_path} in container {container} cannot be read: without it the \
                 distribution's files cannot be saved, so the change could not be rolled back"
            ))
        })?;
    let files = record_paths(&site, &String::from_utf8_lossy(&record));
    let wanted: BTreeSet<String> = files.iter().cloned().collect();
    let mut builder = tar::Builder::new(Vec::new());
    builder.mode(tar::HeaderMode::Complete);
    let mut saved = Vec::new();
    for root in archive_roots(&site, &files) {
        let Some(archive) = read_archive(engine, container, &root).await? else {
            continue;
        };
        let mut added =
            keep_entries(&archive, &root, &wanted, &mut builder).map_err(|message| {
                PinError::Container {
                    what: format!("reading the archive of {root}"),
                    container: container.to_string(),
                    message,
                }
            })?;
        saved.append(&mut added);
    }
    let bytes = builder.into_inner().map_err(|e| PinError::Container {
        what: "saving files".into(),
        container: container.to_string(),
        message: e.to_string(),
    })?;
    saved.sort();
    Ok((bytes, saved))
}

/// Copies the wheels (files of `find_links` ending in `.whl`, and `wheels`) into a new folder
/// `dir` of the container (`/tmp/pindrift-wheels-…`) through the archive API.
fn wheels_tar(
    dir: &str,
    find_links: Option<&Path>,
    wheels: &[PathBuf],
) -> Result<(Vec<u8>, Vec<String>), PinError> {
    let local = |p: &Path, e: std::io::Error| PinError::Local {
        path: p.display().to_string(),
        message: e.to_string(),
    };
    let mut files: Vec<PathBuf> = Vec::new();
    if let Some(folder) = find_links {
        let read = std::fs::read_dir(folder).map_err(|e| local(folder, e))?;
        for entry in read {
            let entry = entry.map_err(|e| local(folder, e))?;
            let path = entry.path();
            let is_wheel = path
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("whl"));
            if is_wheel && path.is_file() {
                files.push(path);
            }
        }
        if files.is_empty() {
            return Err(PinError::Local {
                path: folder.display().to_string(),
                message: "no wheel (*.whl) in this folder".into(),
            });
        }
    }
    for w in wheels {
        if !w.is_file() {
            return Err(PinError::Local {
                path: w.display().to_string(),
                message: "not a file".into(),
            });
        }
        files.push(w.clone());
    }
    files.sort();
    let name = dir.trim_start_matches("/tmp/");
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Directory);
    header.set_mode(0o755);
    header.set_size(0);
    header.set_mtime(0);
    header.set_cksum();
    builder
        .append_data(&mut header, format!("{name}/"), std::io::empty())
        .map_err(|e| local(Path::new(dir), e))?;
    let mut names = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).map_err(|e| local(f, e))?;
        let file_name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        header.set_size(bytes.len() as u64);
        header.set_mtime(0);
        header.set_cksum();
        builder
            .append_data(&mut header, format!("{name}/{file_name}"), bytes.as_slice())
            .map_err(|e| local(f, e))?;
        names.push(file_name);
    }
    let bytes = builder.into_inner().map_err(|e| local(Path::new(dir), e))?;
    Ok((bytes, names))
}

/// What `hotfix pin` did.
#[derive(Debug)]
pub struct PinOutcome {
    pub env_key: String,
    pub python: String,
    /// The steps recorded (the wheel copy, the install).
    pub steps: Vec<StepId>,
    pub planned: Vec<Planned>,
    /// The container before and after, and their comparison (None: nothing was installed).
    pub drift: Option<(Box<Inventory>, Box<Inventory>, DriftOutcome)>,
    /// Things to say that are not errors (an old pip without a report).
    pub notes: Vec<String>,
}

/// pip failed: the step is marked failed and the container is as the journal says.
#[derive(Debug, thiserror::Error)]
#[error("pip failed in container {container} ({env_key}, exit {code}): {tail}; journal step {step} is marked failed; {state}")]
pub struct PipFailed {
    pub container: String,
    pub env_key: String,
    pub code: i64,
    pub tail: String,
    pub step: StepId,
    /// What the container is now, in words.
    pub state: String,
}

/// `hotfix pin` on the container of `journal` (the caller holds the hotfix's lock and has
/// checked that the container runs).
pub async fn pin<A: EngineApi>(
    engine: &Engine<A>,
    journal: &mut Journal,
    request: &PinRequest,
) -> Result<PinOutcome, PinError> {
    let container = journal.header().container.id.clone();
    let name = journal.header().container.name.clone();
    let mut specs = request.specs.clone();
    if specs.is_empty() {
        specs = pins_of_wheels(&request.wheels)?;
    }
    if specs.is_empty() {
        return Err(PinError::Spec(
            "no package to pin: give exact pins (`name==version`) or --wheel FILE".into(),
        ));
    }
    let pins = exact_pins(&specs)?;
    let spec = format!("container:{name}");
    let before = engine.container_inventory(&container, &spec).await?;
    let names: Vec<String> = pins.iter().map(|p| p.name.clone()).collect();
    let target = choose_env(&before, request.python_env.as_deref(), &names)?;
    let probe: Probe = helper(engine, &container, &target.python, &["probe".into()]).await?;
    let Some(pip_version) = probe.pip.clone() else {
        return Err(PinError::Refused(format!(
            "{} in container {name} has no pip ({} cannot import it)",
            target.env_key, target.python
        )));
    };
    if probe.externally_managed && !request.break_system_packages {
        return Err(PinError::Refused(format!(
            "the Python environment {} of container {name} is marked EXTERNALLY-MANAGED (PEP 668): \
             its packages belong to the OS package manager; choose a venv with --python-env KEY, \
             or pass --break-system-packages to let pip change it anyway",
            target.env_key
        )));
    }
    let mut notes = Vec::new();
    let mut steps = Vec::new();
    let copies_wheels = request.find_links.is_some() || !request.wheels.is_empty();
    let wheels_dir = copies_wheels.then(|| {
        format!(
            "{WHEELS_PREFIX}{}-{}",
            journal.header().slug.chars().take(40).collect::<String>(),
            journal.steps().len() + 1
        )
    });
    // pip's options, the same for the dry run and the install.
    let mut options: Vec<String> = Vec::new();
    if request.no_index || copies_wheels {
        options.push("--no-index".into());
    }
    if let Some(dir) = &wheels_dir {
        options.push("--find-links".into());
        options.push(dir.clone());
    }
    if request.no_deps {
        options.push("--no-deps".into());
    }
    if probe.externally_managed {
        options.push("--break-system-packages".into());
    }
    // 1. The wheels, as a step of their own (undone by removing the folder).
    if let Some(dir) = &wheels_dir {
        let (tar, wheel_names) = wheels_tar(dir, request.find_links.as_deref(), &request.wheels)?;
        let step = journal.intend(Action::PipInstall {
            env_key: target.env_key.clone(),
            python: target.python.clone(),
            specs: Vec::new(),
            saved: Vec::new(),
            wheels_dir: Some(dir.clone()),
        })?;
        steps.push(step);
        if let Err(e) = engine.api().put_archive(&container, "/tmp", tar).await {
            let message = format!("copying the wheels into {dir}: {e}");
            journal.failed(step, &message)?;
            return Err(PinError::Container {
                what: format!("copying the wheels into {dir}"),
                container: name.clone(),
                message: e.to_string(),
            });
        }
        journal.done(step, serde_json::json!({ "wheels": wheel_names }))?;
    }
    // 2-3. What pip will install; the files of what it changes saved. On an error the
    // wheels copied in are removed again.
    let prepared = prepare(
        engine,
        journal,
        &container,
        &name,
        &target,
        &pins,
        &specs,
        &options,
        &pip_version,
        &mut notes,
    )
    .await;
    let (planned, saved) = match prepared {
        Ok(p) => p,
        Err(e) => {
            cleanup_wheels(engine, &container, &target.python, wheels_dir.as_deref()).await;
            return Err(e);
        }
    };
    if planned.is_empty() {
        cleanup_wheels(engine, &container, &target.python, wheels_dir.as_deref()).await;
        notes.push(format!(
            "nothing to install: {} already in {}",
            specs.join(" "),
            target.env_key
        ));
        return Ok(PinOutcome {
            env_key: target.env_key,
            python: target.python,
            steps,
            planned,
            drift: None,
            notes,
        });
    }
    let step = journal.intend(Action::PipInstall {
        env_key: target.env_key.clone(),
        python: target.python.clone(),
        specs: specs.clone(),
        saved,
        wheels_dir: wheels_dir.clone(),
    })?;
    steps.push(step);
    // 4. pip.
    let marker = format!("{}:{step}", journal.header().id);
    let mut cmd = pip_install(&target.python, &options);
    cmd.extend(pins.iter().map(|p| p.text.clone()));
    let out = match exec(engine, &container, cmd, python_env_vars(Some(&marker))).await {
        Ok(out) => out,
        Err(e) => {
            journal.failed(step, &e.to_string())?;
            return Err(e);
        }
    };
    cleanup_wheels(engine, &container, &target.python, wheels_dir.as_deref()).await;
    let after = engine.container_inventory(&container, &spec).await?;
    if out.code != 0 {
        let message = format!("pip exit {}: {}", out.code, out.tail());
        journal.failed(step, &message)?;
        let changed = env_changes(&before, &after, &target.env_key);
        let state = if changed.is_empty() {
            format!(
                "nothing changed in {} (pip undid its own partial install); `pindrift hotfix rollback {name}` undoes the earlier steps",
                target.env_key
            )
        } else {
            format!(
                "{} changed anyway ({}): `pindrift hotfix rollback {name}` puts back what was saved",
                target.env_key,
                changed.join(", ")
            )
        };
        return Err(PinError::Hotfix(HotfixError::Other(
            PipFailed {
                container: name.clone(),
                env_key: target.env_key.clone(),
                code: out.code,
                tail: out.tail(),
                step,
                state,
            }
            .to_string(),
        )));
    }
    let outcome = drift_of(&before, &after, &target.env_key)?;
    let changes: Vec<serde_json::Value> = outcome
        .all_changes()
        .filter(|c| c.change != ChangeKind::Unchanged)
        .map(|c| serde_json::json!({"name": c.name, "before": c.before, "after": c.after}))
        .collect();
    // Anything changed that the report did not announce was not saved: say so.
    let announced: BTreeSet<&str> = planned.iter().map(|p| p.name.as_str()).collect();
    for c in outcome.envs.iter().flat_map(|e| e.changes.iter()) {
        if c.change != ChangeKind::Unchanged && !announced.contains(c.name.as_str()) {
            notes.push(format!(
                "{} changed ({} → {}) but pip did not announce it: it was not saved, rollback cannot restore it",
                c.name,
                c.before.as_deref().unwrap_or("absent"),
                c.after.as_deref().unwrap_or("absent")
            ));
        }
    }
    journal.done(
        step,
        serde_json::json!({ "pip": pip_version, "changes": changes }),
    )?;
    Ok(PinOutcome {
        env_key: target.env_key,
        python: target.python,
        steps,
        planned,
        drift: Some((Box::new(before), Box::new(after), outcome)),
        notes,
    })
}

/// Steps 2 and 3 of [`pin`]: what pip will install (its dry-run report), and the files of
/// what it will change saved as blobs (with the folders that exist). Nothing is recorded as a
/// step and nothing in the container changes.
#[allow(clippy::too_many_arguments)]
async fn prepare<A: EngineApi>(
    engine: &Engine<A>,
    journal: &Journal,
    container: &str,
    name: &str,
    target: &Target,
    pins: &[ExactPin],
    specs: &[String],
    options: &[String],
    pip_version: &str,
    notes: &mut Vec<String>,
) -> Result<(Vec<Planned>, Vec<SavedDist>), PinError> {
    // 2. What pip will install, dependencies included.
    let reports = major_minor(pip_version).is_some_and(|v| v >= REPORT_PIP);
    let will: Vec<WillInstall> = if reports {
        let mut cmd = pip_install(&target.python, options);
        cmd.extend(
            ["--dry-run", "--quiet", "--report", "-"]
                .iter()
                .map(|s| s.to_string()),
        );
        cmd.extend(pins.iter().map(|p| p.text.clone()));
        let out = exec(engine, container, cmd, python_env_vars(None)).await?;
        if out.code != 0 {
            return Err(PinError::Refused(format!(
                "pip cannot install {} in {} of container {name} (dry run, exit {}): {}; nothing was changed",
                specs.join(" "),
                target.env_key,
                out.code,
                out.tail()
            )));
        }
        parse_report(&out.stdout).map_err(|message| PinError::Container {
            what: "reading pip's dry-run report".into(),
            container: name.to_string(),
            message,
        })?
    } else {
        notes.push(format!(
            "pip {pip_version} in {} cannot say what it would install (--report needs pip {}.{}): \
             only the named packages were saved; dependencies pip changes are not",
            target.env_key, REPORT_PIP.0, REPORT_PIP.1
        ));
        pins.iter()
            .map(|p| WillInstall {
                name: p.name.clone(),
                version: p.version.clone(),
            })
            .collect()
    };
    let planned = plan(target, &will);
    if planned.is_empty() {
        return Ok((planned, Vec::new()));
    }
    // 3. Save what will change, then record the step.
    let mut saved = Vec::new();
    // The id `intend` gives the step (the next after the highest): names its blobs.
    let serial = journal.steps().iter().map(|s| s.id).max().unwrap_or(0) + 1;
    for p in &planned {
        match &p.before {
            Some((version, metadata)) => {
                let (bytes, files) = save_dist(engine, container, metadata).await?;
                let blob = format!("pip{serial}-{}-{}.tar", p.name, safe(version));
                journal.write_blob(&blob, &bytes)?;
                saved.push(SavedDist {
                    name: p.name.clone(),
                    version: version.clone(),
                    blob,
                    files,
                });
            }
            // Not installed before: rollback removes it (an empty blob says so).
            None => saved.push(SavedDist {
                name: p.name.clone(),
                version: String::new(),
                blob: String::new(),
                files: Vec::new(),
            }),
        }
    }
    // The folders that exist now: rollback removes only folders pip made.
    let dirs: Dirs = helper(engine, container, &target.python, &["dirs".into()]).await?;
    if let Some(dirs) = dirs.dirs {
        let bytes = serde_json::to_vec(&dirs).unwrap_or_default();
        journal.write_blob(&dirs_blob(serial), &bytes)?;
    }
    Ok((planned, saved))
}

fn pip_install(python: &str, options: &[String]) -> Vec<String> {
    let mut cmd: Vec<String> = [python, "-m", "pip", "install", "--no-input"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    cmd.push("--disable-pip-version-check".into());
    cmd.extend(options.iter().cloned());
    cmd
}

/// A version as a blob name part.
fn safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

async fn cleanup_wheels<A: EngineApi>(
    engine: &Engine<A>,
    container: &str,
    python: &str,
    dir: Option<&str>,
) {
    if let Some(dir) = dir {
        let _ = helper::<A, serde_json::Value>(
            engine,
            container,
            python,
            &["rmtree".into(), dir.to_string()],
        )
        .await;
    }
}

/// The comparison of the environment before and after.
fn drift_of(
    before: &Inventory,
    after: &Inventory,
    env_key: &str,
) -> Result<DriftOutcome, PinError> {
    let ignore = BTreeSet::new();
    let options = crate::drift::Options::new(Some(env_key), &ignore);
    crate::drift::compare_with(before, after, &options).map_err(|e| PinError::Env(e.to_string()))
}

/// `name before → after` of every package of `env_key` that differs.
fn env_changes(before: &Inventory, after: &Inventory, env_key: &str) -> Vec<String> {
    match drift_of(before, after, env_key) {
        Ok(o) => o
            .all_changes()
            .filter(|c| c.change != ChangeKind::Unchanged)
            .map(|c| {
                format!(
                    "{} {} → {}",
                    c.name,
                    c.before.as_deref().unwrap_or("absent"),
                    c.after.as_deref().unwrap_or("absent")
                )
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// The blob listing the folders under the environment's prefix before step `step` ran.
fn dirs_blob(step: StepId) -> String {
    format!("pip{step}-dirs.json")
}

#[derive(Debug, Deserialize)]
struct Dirs {
    dirs: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
struct PlanRemove {
    dirs: Vec<String>,
    sites: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Versions {
    versions: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
struct Hashes {
    sha256: BTreeMap<String, Option<String>>,
}

#[derive(Debug, Deserialize)]
struct Running {
    running: Vec<i64>,
}

/// The sha256 of each regular file of a saved tar, by absolute path.
fn blob_hashes(blob: &[u8]) -> Result<BTreeMap<String, String>, String> {
    use sha2::{Digest, Sha256};
    let mut out = BTreeMap::new();
    let mut archive = tar::Archive::new(blob);
    for entry in archive.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = format!(
            "/{}",
            entry.path().map_err(|e| e.to_string())?.to_string_lossy()
        );
        let mut data = Vec::new();
        entry.read_to_end(&mut data).map_err(|e| e.to_string())?;
        let digest = Sha256::digest(&data);
        out.insert(
            path,
            digest
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
        );
    }
    Ok(out)
}

/// Undo the `PipInstall` step `of_step`: put back the saved distributions, offline. It
/// records its own `RestoreDists` step, and is idempotent (rollback may run it again after
/// an interruption).
pub async fn undo<A: EngineApi>(
    engine: &Engine<A>,
    journal: &mut Journal,
    of_step: StepId,
) -> Result<(), HotfixError> {
    let container = journal.header().container.id.clone();
    let name = journal.header().container.name.clone();
    let Some(step) = journal.step(of_step).cloned() else {
        return Err(HotfixError::UnknownStep {
            path: journal.path().to_path_buf(),
            step: of_step,
        });
    };
    let Action::PipInstall {
        env_key,
        python,
        saved,
        wheels_dir,
        ..
    } = step.action
    else {
        return Err(HotfixError::Other(format!(
            "journal {}: step {of_step} is not a pip install",
            journal.path().display()
        )));
    };
    let already = journal.steps().iter().any(|s| {
        matches!(s.action, Action::RestoreDists { of_step: o } if o == of_step)
            && matches!(s.state, StepState::Done(_))
    });
    if already {
        return Ok(());
    }
    let restore = journal.intend(Action::RestoreDists { of_step })?;
    let result = restore_dists(
        engine,
        journal,
        &container,
        &name,
        &python,
        &env_key,
        of_step,
        &saved,
        wheels_dir.as_deref(),
    )
    .await;
    match result {
        Ok(outcome) => journal.done(restore, outcome),
        Err(e) => {
            let e: HotfixError = e.into();
            journal.failed(restore, &e.to_string())?;
            Err(e)
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn restore_dists<A: EngineApi>(
    engine: &Engine<A>,
    journal: &Journal,
    container: &str,
    name: &str,
    python: &str,
    env_key: &str,
    of_step: StepId,
    saved: &[SavedDist],
    wheels_dir: Option<&str>,
) -> Result<serde_json::Value, PinError> {
    // A pip of this step may still run (pindrift was killed while it ran): wait for it.
    let marker = format!("{}:{of_step}", journal.header().id);
    let running: Running = helper(
        engine,
        container,
        python,
        &["wait".into(), marker, PIP_WAIT_SECONDS.to_string()],
    )
    .await?;
    if !running.running.is_empty() {
        return Err(PinError::Refused(format!(
            "pip of step {of_step} still runs in container {name} (pid {:?}) after {PIP_WAIT_SECONDS} s; run rollback again when it has finished",
            running.running
        )));
    }
    if let Some(dir) = wheels_dir {
        let _: serde_json::Value = helper(
            engine,
            container,
            python,
            &["rmtree".into(), dir.to_string()],
        )
        .await?;
    }
    if saved.is_empty() {
        return Ok(serde_json::json!({ "wheels_removed": wheels_dir }));
    }
    // Remove what the step installed: every version of a saved name but the saved one.
    let keep: BTreeMap<&str, &str> = saved
        .iter()
        .map(|d| (d.name.as_str(), d.version.as_str()))
        .collect();
    let keep_json = serde_json::to_string(&keep).unwrap_or_default();
    // The folders holding their files that did not exist before the step (without the
    // list of folders, only folders inside a site folder): removed when empty.
    let plan: PlanRemove = helper(
        engine,
        container,
        python,
        &["plan-remove".into(), keep_json.clone()],
    )
    .await?;
    let existed: Option<BTreeSet<String>> = journal
        .read_blob(&dirs_blob(of_step))
        .ok()
        .and_then(|b| serde_json::from_slice::<Vec<String>>(&b).ok())
        .map(|v| v.into_iter().collect());
    let new_dirs: Vec<String> = plan
        .dirs
        .into_iter()
        .filter(|d| match &existed {
            Some(existed) => !existed.contains(d),
            None => plan
                .sites
                .iter()
                .any(|s| d.starts_with(&format!("{}/", s.trim_end_matches('/')))),
        })
        .collect();
    let mut args = vec!["remove".to_string(), keep_json];
    args.extend(new_dirs);
    let removed: serde_json::Value = helper(engine, container, python, &args).await?;
    // Put back the saved files.
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    for d in saved.iter().filter(|d| !d.blob.is_empty()) {
        let blob = journal.read_blob(&d.blob)?;
        expected.extend(blob_hashes(&blob).map_err(|message| PinError::Local {
            path: d.blob.clone(),
            message,
        })?);
        engine
            .api()
            .put_archive(container, "/", blob)
            .await
            .map_err(|e| PinError::Container {
                what: format!("putting back {} {}", d.name, d.version),
                container: name.to_string(),
                message: e.to_string(),
            })?;
    }
    // Verify: versions, then every saved file byte for byte.
    let now: Versions = helper(engine, container, python, &["versions".into()]).await?;
    let mut wrong = Vec::new();
    for d in saved {
        let have = now.versions.get(&d.name).cloned().unwrap_or_default();
        let ok = if d.version.is_empty() {
            have.is_empty()
        } else {
            have == [d.version.clone()]
        };
        if !ok {
            wrong.push(format!(
                "{} is {} (expected {})",
                d.name,
                if have.is_empty() {
                    "absent".to_string()
                } else {
                    have.join(" and ")
                },
                if d.version.is_empty() {
                    "absent"
                } else {
                    &d.version
                }
            ));
        }
    }
    let mut args = vec!["sha256".to_string()];
    args.extend(expected.keys().cloned());
    let hashes: Hashes = helper(engine, container, python, &args).await?;
    for (path, sha) in &expected {
        if hashes.sha256.get(path).cloned().flatten().as_deref() != Some(sha.as_str()) {
            wrong.push(format!("{path} differs from the saved copy"));
        }
    }
    if !wrong.is_empty() {
        return Err(PinError::Refused(format!(
            "after restoring step {of_step} in {env_key} of container {name}: {}",
            wrong.join("; ")
        )));
    }
    Ok(serde_json::json!({
        "restored": saved.iter().filter(|d| !d.blob.is_empty()).map(|d| format!("{}=={}", d.name, d.version)).collect::<Vec<_>>(),
        "removed_added": saved.iter().filter(|d| d.blob.is_empty()).map(|d| d.name.clone()).collect::<Vec<_>>(),
        "files_checked": expected.len(),
        "removed": removed.get("removed").map(|r| r.as_array().map(|a| a.len()).unwrap_or(0)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(args: &[&str]) -> Result<Vec<ExactPin>, String> {
        exact_pins(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn only_exact_pins_pass_and_the_error_names_the_argument_and_the_rule() {
        let ok = judge(&["Eventlet==0.20.0", "six===1.16.0"]).unwrap();
        assert_eq!(ok[0].name, "eventlet");
        assert_eq!(ok[0].version, "0.20.0");
        assert_eq!(ok[1].version, "1.16.0");
        let err = judge(&["six==1.16.0", "eventlet>=0.20"]).unwrap_err();
        assert!(
            err.starts_with("argument 2 `eventlet>=0.20`: PD102 "),
            "{err}"
        );
        assert!(err.contains("admits more than one version"), "{err}");
        let err = judge(&["eventlet"]).unwrap_err();
        assert!(err.starts_with("argument 1 `eventlet`: PD101 "), "{err}");
        let err = judge(&["eventlet==0.20.*"]).unwrap_err();
        assert!(err.contains("PD102"), "{err}");
        let err = judge(&["git+https://example.com/x.git@main#egg=x"]).unwrap_err();
        assert!(err.contains("PD103"), "{err}");
        let err = judge(&["./eventlet-0.20.0-py2.py3-none-any.whl"]).unwrap_err();
        assert!(err.contains("--wheel"), "{err}");
        let err = judge(&["a==1", "A==2"]).unwrap_err();
        assert!(err.contains("also pinned to 1"), "{err}");
        let err = judge(&["-r x.txt"]).unwrap_err();
        assert!(err.starts_with("argument 1 `-r x.txt`"), "{err}");
    }

    #[test]
    fn wheel_names_give_pins() {
        assert_eq!(
            pins_of_wheels(&[PathBuf::from("/w/eventlet-0.20.0-py2.py3-none-any.whl")]).unwrap(),
            ["eventlet==0.20.0"]
        );
        assert!(pins_of_wheels(&[PathBuf::from("x.tar.gz")]).is_err());
    }

    #[test]
    fn the_report_says_what_pip_installs() {
        let out = "noise\n{\"version\": \"1\", \"install\": [{\"metadata\": {\"name\": \"Eventlet\", \"version\": \"0.20.0\"}, \"requested\": true}, {\"metadata\": {\"name\": \"greenlet\", \"version\": \"3.0.0\"}}], \"environment\": {}}\n";
        let will = parse_report(out).unwrap();
        assert_eq!(
            will,
            [
                WillInstall {
                    name: "eventlet".into(),
                    version: "0.20.0".into()
                },
                WillInstall {
                    name: "greenlet".into(),
                    version: "3.0.0".into()
                }
            ]
        );
        let target = Target {
            env_key: "venv:/opt/venv".into(),
            kind: EnvKind::Venv,
            python: "/opt/venv/bin/python".into(),
            installed: [(
                "eventlet".to_string(),
                (
                    "0.20.1".to_string(),
                    "/s/eventlet-0.20.1.dist-info/METADATA".to_string(),
                ),
            )]
            .into_iter()
            .collect(),
        };
        let planned = plan(&target, &will);
        assert_eq!(planned.len(), 2);
        assert_eq!(planned[0].before.as_ref().unwrap().0, "0.20.1");
        assert_eq!(planned[1].before, None);
        assert!(parse_report("ERROR: nothing").is_err());
    }

    #[test]
    fn record_paths_are_absolute_and_grouped_by_top_folder() {
        let site = "/opt/venv/lib/python3.11/site-packages";
        let record = "eventlet/__init__.py,sha256=x,10\n\"odd,name.py\",,\n../../../bin/tool,sha256=y,3\neventlet-0.20.1.dist-info/RECORD,,\neventlet/green/os.py,,\n";
        let paths = record_paths(site, record);
        assert_eq!(
            paths,
            [
                "/opt/venv/bin/tool",
                "/opt/venv/lib/python3.11/site-packages/eventlet-0.20.1.dist-info/RECORD",
                "/opt/venv/lib/python3.11/site-packages/eventlet/__init__.py",
                "/opt/venv/lib/python3.11/site-packages/eventlet/green/os.py",
                "/opt/venv/lib/python3.11/site-packages/odd,name.py",
            ]
        );
        assert_eq!(
            archive_roots(site, &paths),
            [
                "/opt/venv/bin/tool",
                "/opt/venv/lib/python3.11/site-packages/eventlet",
                "/opt/venv/lib/python3.11/site-packages/eventlet-0.20.1.dist-info",
                "/opt/venv/lib/python3.11/site-packages/odd,name.py",
            ]
        );
    }

    #[test]
    fn only_record_files_and_their_folders_are_kept_with_their_metadata() {
        let mut b = tar::Builder::new(Vec::new());
        let mut add = |path: &str, data: &[u8], dir: bool, mode: u32| {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(if dir {
                tar::EntryType::Directory
            } else {
                tar::EntryType::Regular
            });
            h.set_mode(mode);
            h.set_uid(1000);
            h.set_mtime(1_600_000_000);
            h.set_size(data.len() as u64);
            h.set_cksum();
            b.append_data(&mut h, path, data).unwrap();
        };
        add("pkg/", b"", true, 0o755);
        add("pkg/a.py", b"A", false, 0o640);
        add("pkg/__pycache__/", b"", true, 0o755);
        add(
            "pkg/__pycache__/a.cpython-311.pyc",
            b"runtime",
            false,
            0o644,
        );
        let archive = b.into_inner().unwrap();
        let files: BTreeSet<String> = ["/s/pkg/a.py".to_string()].into_iter().collect();
        let mut out = tar::Builder::new(Vec::new());
        let added = keep_entries(&archive, "/s/pkg", &files, &mut out).unwrap();
        assert_eq!(added, ["/s/pkg/a.py"]);
        let bytes = out.into_inner().unwrap();
        let mut read = tar::Archive::new(bytes.as_slice());
        let seen: Vec<(String, u32, u64, u64)> = read
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.path().unwrap().to_string_lossy().into_owned(),
                    e.header().mode().unwrap(),
                    e.header().uid().unwrap(),
                    e.header().mtime().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("s/pkg/".to_string(), 0o755, 1000, 1_600_000_000),
                ("s/pkg/a.py".to_string(), 0o640, 1000, 1_600_000_000),
            ]
        );
        assert_eq!(blob_hashes(&bytes).unwrap().len(), 1);
    }

    #[test]
    fn pip_versions() {
        assert_eq!(major_minor("23.0.1"), Some((23, 0)));
        assert_eq!(major_minor("22.2"), Some((22, 2)));
        assert_eq!(major_minor("9.0.3"), Some((9, 0)));
        assert!(major_minor("23.0.1").unwrap() >= REPORT_PIP);
        assert!(major_minor("22.1.2").unwrap() < REPORT_PIP);
    }
}
