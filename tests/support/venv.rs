//! Python virtualenvs the tests make once under `target/` and reuse: built beside their final
//! place and renamed, so concurrent test runs never see half a venv. Included with `#[path]`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A resource an `#[ignore = "needs …"]` test cannot run without is absent: the test fails
/// (it runs only when asked for with `--include-ignored`, and must not pass without running).
pub fn unavailable(what: &str) -> ! {
    panic!(
        "{what}; this test is #[ignore]d: run `cargo test` without --include-ignored to leave it out"
    );
}

pub fn run_ok(command: &mut Command) -> Result<(), String> {
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

/// `target/NAME`, a virtualenv in which `pip install PIP_ARGS` has run; reused when
/// `complete` says so. A venv's scripts hard-code the staging path in their shebang, but
/// `bin/python -m …` and compiled binaries work after the move, and that is all tests use.
pub fn cached_venv(
    name: &str,
    pip_args: &[&str],
    complete: impl Fn(&Path) -> bool,
) -> Result<PathBuf, String> {
    let venv = repo_root().join("target").join(name);
    if complete(&venv) {
        return Ok(venv);
    }
    let staging = repo_root().join(format!("target/{name}.tmp{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(repo_root().join("target")).map_err(|e| e.to_string())?;
    run_ok(Command::new("python3").arg("-m").arg("venv").arg(&staging))?;
    run_ok(
        Command::new(staging.join("bin/python"))
            .args(["-m", "pip", "install", "--quiet"])
            .args(pip_args)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
    )?;
    let _ = std::fs::remove_dir_all(&venv);
    if std::fs::rename(&staging, &venv).is_err() {
        // Another run won the race; use its venv.
        let _ = std::fs::remove_dir_all(&staging);
    }
    if complete(&venv) {
        Ok(venv)
    } else {
        Err(format!("{} is incomplete after setup", venv.display()))
    }
}
