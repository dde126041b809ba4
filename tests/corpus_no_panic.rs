//! No panic on real-world input: the `pindrift` binary runs over every file of
//! `../shared/corpus/real`, each named explicitly with the kind INDEX.tsv gives it, and
//! over the whole folder. Exit codes must be 0 or 1 (never 101, a panic, and never 2:
//! a readable file is never an I/O or usage error), and stderr must not say "panicked".
//!
//! Needs `../shared`: `#[ignore]`d; run with `--include-ignored`, fails when it is absent.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn corpus_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real");
    if dir.join("INDEX.tsv").is_file() {
        return Some(dir);
    }
    panic!(
        "{} is absent; this test is #[ignore]d: run `cargo test` without --include-ignored to leave it out",
        dir.display()
    );
}

/// Runs pindrift and returns a description of the failure, if any.
fn run(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::cargo_bin("pindrift")
        .expect("pindrift binary")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("run pindrift");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let code = output.status.code();
    // A named file that is neither a Dockerfile nor a requirements file by name or content
    // (MANIFEST.in, a .dockerignore) is a usage error naming it, not bogus findings.
    let unknown_kind = !args.contains(&"--kind")
        && code == Some(2)
        && stderr.contains("cannot tell whether this is a Dockerfile or a requirements file");
    (!(matches!(code, Some(0 | 1)) || unknown_kind) || stderr.contains("panicked"))
        .then(|| format!("pindrift {}: exit {code:?}\n{stderr}", args.join(" ")))
}

#[test]
#[ignore = "needs ../shared"]
fn no_panic_on_any_corpus_file() {
    let Some(dir) = corpus_dir() else { return };
    let index = std::fs::read_to_string(dir.join("INDEX.tsv")).expect("read INDEX.tsv");
    let mut failures = Vec::new();
    let mut files = 0;
    for line in index.lines().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [repo, path, kind, ..] = fields.as_slice() else {
            continue;
        };
        let file = format!("{}/{path}", repo.replace('/', "+"));
        assert!(
            dir.join(&file).is_file(),
            "{file} listed in INDEX.tsv is missing"
        );
        let kind = match *kind {
            "requirements" | "constraints" | "pip-in" => Some("requirements"),
            "dockerfile" | "dockerfile-template" => Some("dockerfile"),
            _ => None,
        };
        files += 1;
        let mut args = vec!["check", "--no-config"];
        if let Some(kind) = kind {
            args.extend(["--kind", kind]);
        }
        args.push(&file);
        failures.extend(run(&dir, &args));
        if kind == Some("requirements") {
            let mut strict = args.clone();
            strict.insert(1, "--strict");
            failures.extend(run(&dir, &strict));
        }
    }
    assert!(files > 300, "expected the corpus's files, found {files}");
    for format in ["human", "json", "sarif", "github"] {
        failures.extend(run(
            &dir,
            &["check", "--no-config", "--format", format, "."],
        ));
    }
    assert!(
        failures.is_empty(),
        "{} run(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
