//! Sets `PINDRIFT_VERSION` for `--version`: the package version, and the commit it was built
//! from when that is known — from git in a checkout (the action's, pre-commit's clone), else
//! from `.cargo_vcs_info.json` in a packaged crate. Nothing here can fail the build: without
//! git, or outside a repository, the version is the package version alone.

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// The commit from a packaged crate's `.cargo_vcs_info.json` (`"sha1": "…"`).
fn packaged_commit() -> Option<String> {
    let text = std::fs::read_to_string(".cargo_vcs_info.json").ok()?;
    let after = text.split("\"sha1\"").nth(1)?;
    let sha: String = after
        .chars()
        .skip_while(|c| !c.is_ascii_hexdigit())
        .take_while(char::is_ascii_hexdigit)
        .collect();
    (sha.len() >= 12).then(|| sha[..12].to_string())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PINDRIFT_BUILD_COMMIT");
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    // Only inside this package's own repository: a crate unpacked inside another
    // repository must not report that repository's commit.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let in_own_repo = git(&["-C", &manifest, "rev-parse", "--show-toplevel"]).is_some_and(|top| {
        std::fs::canonicalize(&top).ok() == std::fs::canonicalize(&manifest).ok()
    });
    let commit = std::env::var("PINDRIFT_BUILD_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| {
            in_own_repo
                .then(|| git(&["-C", &manifest, "rev-parse", "--short=12", "HEAD"]))
                .flatten()
        })
        .or_else(packaged_commit);
    if in_own_repo {
        // Rebuild when HEAD moves: HEAD itself (a checkout) and the branch it points to
        // (a commit), in the worktree's git folder and the common one.
        for dir in [
            git(&["-C", &manifest, "rev-parse", "--absolute-git-dir"]),
            git(&[
                "-C",
                &manifest,
                "rev-parse",
                "--path-format=absolute",
                "--git-common-dir",
            ]),
        ]
        .into_iter()
        .flatten()
        {
            let head = Path::new(&dir).join("HEAD");
            if head.is_file() {
                println!("cargo:rerun-if-changed={}", head.display());
            }
            if let Some(branch) = git(&["-C", &manifest, "symbolic-ref", "-q", "HEAD"]) {
                let reference = Path::new(&dir).join(branch);
                if reference.is_file() {
                    println!("cargo:rerun-if-changed={}", reference.display());
                }
            }
            let packed = Path::new(&dir).join("packed-refs");
            if packed.is_file() {
                println!("cargo:rerun-if-changed={}", packed.display());
            }
        }
    }
    match commit {
        Some(commit) => println!("cargo:rustc-env=PINDRIFT_VERSION={version} (commit {commit})"),
        None => println!("cargo:rustc-env=PINDRIFT_VERSION={version}"),
    }
}
