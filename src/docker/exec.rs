//! `--via exec`: run `python -m pip freeze --all` inside a running container, once per
//! Python environment the archive reading found.

use futures_util::StreamExt;

use super::api::ExecChunk;
use super::{Engine, EngineApi, EngineError};
use crate::inventory::freeze::parse_freeze;
use crate::inventory::{EnvKind, Inventory, PythonEnv};

/// Cap for the output of one exec.
const MAX_OUTPUT: usize = 16 * 1024 * 1024;

/// The interpreter for a system environment.
pub fn system_python(env: &PythonEnv) -> String {
    let ver = env.python.clone().unwrap_or_else(|| "3".into());
    if env
        .dirs
        .iter()
        .any(|d| d.starts_with("/usr/local/lib/") && d.ends_with("/site-packages"))
    {
        format!("/usr/local/bin/python{ver}")
    } else {
        format!("/usr/bin/python{ver}")
    }
}

struct ExecOut {
    code: i64,
    stdout: String,
    stderr: String,
}

async fn run<A: EngineApi>(
    engine: &Engine<A>,
    container: &str,
    cmd: &[String],
) -> Result<ExecOut, EngineError> {
    let api = engine.api();
    let env = [
        "PYTHONNOUSERSITE=1",
        "PYTHONPATH=",
        "PIP_DISABLE_PIP_VERSION_CHECK=1",
        "PIP_NO_INPUT=1",
        "PIP_NO_COLOR=1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let created = api
        .create_exec(container, cmd.to_vec(), env)
        .await
        .map_err(|e| EngineError::api(format!("creating exec in {container}"), e))?;
    let mut output = api
        .start_exec(&created)
        .await
        .map_err(|e| EngineError::api(format!("starting exec in {container}"), e))?;
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    while let Some(item) = output.next().await {
        match item {
            Ok(ExecChunk::Stdout(message)) => {
                if stdout.len() < MAX_OUTPUT {
                    stdout.extend_from_slice(&message);
                }
            }
            Ok(ExecChunk::Stderr(message)) => {
                if stderr.len() < MAX_OUTPUT {
                    stderr.extend_from_slice(&message);
                }
            }
            Err(e) => {
                return Err(EngineError::api(
                    format!("reading exec output in {container}"),
                    e,
                ))
            }
        }
    }
    let code = api
        .exec_exit_code(&created)
        .await
        .map_err(|e| EngineError::api(format!("inspecting exec in {container}"), e))?;
    Ok(ExecOut {
        code: code.unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    })
}

/// Inventory through `pip freeze --all` inside the container. Environments are found with the
/// archive reading first, so both ways report the same environment keys.
pub async fn exec_inventory<A: EngineApi>(
    engine: &Engine<A>,
    name: &str,
    spec: &str,
) -> Result<Inventory, EngineError> {
    let (major, minor) = engine.api_version();
    if (major, minor) < super::EXEC_MIN_API {
        return Err(EngineError::ExecTooOld {
            host: engine.host().to_string(),
            version: format!("{major}.{minor}"),
        });
    }
    let facts = engine.container_facts(name).await?;
    if !facts.running {
        return Err(EngineError::NotRunning(name.to_string()));
    }
    let mut inv = engine.container_inventory(name, spec).await?;
    inv.source.via = crate::inventory::Via::Exec;
    let system = inv
        .envs
        .iter()
        .find(|e| e.kind == EnvKind::System)
        .map(system_python)
        .unwrap_or_else(|| "python3".to_string());
    let mut envs = Vec::new();
    let mut warnings: Vec<crate::inventory::Warning> = inv
        .warnings
        .iter()
        .filter(|w| w.path.starts_with("/var/lib/dpkg") || w.path.starts_with("/lib/apk"))
        .cloned()
        .collect();
    for env in &inv.envs {
        let mut cmds: Vec<Vec<String>> = Vec::new();
        let freeze = |py: &str| -> Vec<String> {
            [py, "-m", "pip", "freeze", "--all"]
                .iter()
                .map(|s| s.to_string())
                .collect()
        };
        match env.kind {
            EnvKind::System => cmds.push(freeze(&system_python(env))),
            EnvKind::Venv => {
                let root = env.root.clone().unwrap_or_default();
                cmds.push(freeze(&format!("{root}/bin/python")));
            }
            _ => {
                for d in &env.dirs {
                    let mut c = freeze(&system);
                    c.push("--path".into());
                    c.push(d.clone());
                    cmds.push(c);
                }
            }
        }
        let mut text = String::new();
        let mut last = None;
        for cmd in &cmds {
            let mut out = run(engine, &facts.id, cmd).await?;
            // A venv without pip (e.g. made by uv): ask the system pip about its folders.
            if out.code != 0
                && env.kind == EnvKind::Venv
                && out.stderr.contains("No module named pip")
            {
                for d in &env.dirs {
                    let mut c = freeze(&system);
                    c.push("--path".into());
                    c.push(d.clone());
                    let o = run(engine, &facts.id, &c).await?;
                    if o.code != 0 {
                        return Err(exec_failed(&facts.name, &c, &o));
                    }
                    text.push_str(&o.stdout);
                }
                out.code = 0;
                out.stdout.clear();
            }
            if out.code != 0 {
                return Err(exec_failed(&facts.name, cmd, &out));
            }
            text.push_str(&out.stdout);
            last = Some(cmd.join(" "));
        }
        let display = format!("exec:{}", last.unwrap_or_default());
        let (mut parsed, w) = parse_freeze(&text, &display, &env.key);
        warnings.extend(w);
        parsed.kind = env.kind;
        parsed.python = env.python.clone();
        parsed.root = env.root.clone();
        parsed.dirs = env.dirs.clone();
        envs.push(parsed);
    }
    inv.envs = envs;
    inv.warnings = warnings;
    Ok(inv)
}

fn exec_failed(container: &str, cmd: &[String], out: &ExecOut) -> EngineError {
    let stderr = out.stderr.trim();
    let tail: String = stderr
        .lines()
        .rev()
        .take(3)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join(" | ");
    EngineError::ExecFailed {
        container: container.to_string(),
        command: cmd.join(" "),
        code: out.code,
        stderr: tail,
    }
}
