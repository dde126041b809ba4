//! `pindrift completions SHELL`, `pindrift man`, `--version` with the commit, one example
//! in every command's `--help`, and progress never written where no one watches.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use assert_cmd::Command;
use std::process::Command as Std;

fn pindrift() -> Command {
    let mut cmd = Command::cargo_bin("pindrift").unwrap();
    cmd.env("CI", "true").env("NO_COLOR", "1");
    cmd
}

fn stdout(args: &[&str]) -> String {
    let out = pindrift().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every command path: `check`, `hotfix start`, …
fn commands() -> Vec<Vec<String>> {
    let help = stdout(&["--help"]);
    let mut paths = Vec::new();
    for name in section(&help) {
        paths.push(vec![name.clone()]);
        let sub = stdout(&[&name, "--help"]);
        if sub.contains("\nCommands:\n") {
            for child in section(&sub) {
                paths.push(vec![name.clone(), child]);
            }
        }
    }
    paths
}

/// The names under `Commands:` (but `help`).
fn section(help: &str) -> Vec<String> {
    help.split("\nCommands:\n")
        .nth(1)
        .unwrap_or("")
        .lines()
        .take_while(|l| l.starts_with("  "))
        // A wrapped description continues on a line indented further.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn every_command_help_has_an_example() {
    let paths = commands();
    assert!(paths.len() > 15, "{paths:?}");
    assert!(paths.contains(&vec!["completions".to_string()]));
    assert!(paths.contains(&vec!["hotfix".to_string(), "finish".to_string()]));
    let mut without = Vec::new();
    for path in &paths {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = stdout(&args);
        // The example runs the command it documents.
        let example = help
            .split_once("\nExample")
            .map(|(_, rest)| rest)
            .unwrap_or("");
        let invocation = format!("pindrift {}", path.join(" "));
        if !example.contains(&invocation) {
            without.push(invocation);
        }
    }
    assert!(without.is_empty(), "no example in --help: {without:#?}");
    assert!(stdout(&["--help"]).contains("\nExample:\n  pindrift "));
}

#[test]
fn version_says_the_commit_when_built_in_git() {
    let version = stdout(&["--version"]);
    let head = Std::new("git")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8(o.stdout).unwrap().trim().to_string());
    match head {
        Some(head) => assert_eq!(
            version,
            format!("pindrift {} (commit {head})\n", env!("CARGO_PKG_VERSION"))
        ),
        None => assert_eq!(version, format!("pindrift {}\n", env!("CARGO_PKG_VERSION"))),
    }
    // Subcommands say the same.
    assert_eq!(
        stdout(&["check", "--version"]),
        version.replacen("pindrift", "pindrift-check", 1)
    );
}

#[test]
fn completions_are_valid_scripts_for_their_shells() {
    let bash = stdout(&["completions", "bash"]);
    assert!(bash.contains("_pindrift()"), "{bash}");
    for word in [
        "check",
        "drift",
        "pin",
        "hotfix",
        "--baseline",
        "--update-baseline",
    ] {
        assert!(bash.contains(word), "bash completion lacks {word}");
    }
    // bash parses it and registers the function for `pindrift`.
    let out = Std::new("bash")
        .args(["--noprofile", "--norc", "-c"])
        .arg(format!("{bash}\ncomplete -p pindrift"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("_pindrift"));
    // bash completes `pindrift ch` to `check` with it.
    let out = Std::new("bash")
        .args(["--noprofile", "--norc", "-c"])
        .arg(format!(
            "{bash}\nCOMP_WORDS=(pindrift ch); COMP_CWORD=1; COMP_LINE='pindrift ch'; COMP_POINT=11; _pindrift pindrift ch pindrift; printf '%s\\n' \"${{COMPREPLY[@]}}\""
        ))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "check");

    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let script = stdout(&["completions", shell]);
        assert!(script.contains("pindrift"), "{shell}");
    }
    // A shell that does not exist is a usage error.
    pindrift().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn man_page_is_roff_with_every_command() {
    let page = stdout(&["man"]);
    assert!(page.starts_with(".ie \\n(.g .ds Aq"), "{}", &page[..200]);
    assert!(page.contains(".TH pindrift 1"), "{page}");
    for command in ["check", "drift", "pin", "hotfix", "completions", "man"] {
        assert!(
            page.contains(&format!("pindrift\\-{command}(1)")),
            "{command}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    pindrift()
        .args(["man", "--dir"])
        .arg(&pages)
        .assert()
        .success();
    for name in [
        "pindrift.1",
        "pindrift-check.1",
        "pindrift-hotfix-rollback.1",
    ] {
        let text = std::fs::read_to_string(pages.join(name)).unwrap();
        assert!(text.contains(".TH"), "{name}");
    }
    let check = std::fs::read_to_string(pages.join("pindrift-check.1")).unwrap();
    assert!(check.contains("baseline"), "{check}");
    // groff, when installed, renders it without warnings.
    if let Ok(out) = Std::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(pages.join("pindrift-check.1"))
        .output()
    {
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn no_progress_in_pipes_ci_or_machine_formats() {
    // stderr is a pipe here: nothing but the report, and no terminal controls anywhere.
    let dir = tempfile::tempdir().unwrap();
    for i in 0..300 {
        std::fs::write(
            dir.path().join(format!("requirements-{i}.txt")),
            "eventlet==0.20.0\n",
        )
        .unwrap();
    }
    let out = Command::cargo_bin("pindrift")
        .unwrap()
        .env_remove("CI")
        .env("TERM", "xterm")
        .current_dir(dir.path())
        .args(["check", "--no-config"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.stdout.contains(&b'\r'));
}

#[test]
fn progress_on_a_terminal_is_erased_before_the_report() {
    // `script` gives pindrift a terminal (stdout and stderr both): progress appears there,
    // is erased with `\r` + erase-line, and the report follows on a clean line.
    if Std::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for i in 0..3000 {
        std::fs::write(
            dir.path().join(format!("requirements-{i}.txt")),
            "eventlet==0.20.0\n",
        )
        .unwrap();
    }
    let binary = assert_cmd::cargo::cargo_bin("pindrift");
    let out = Std::new("script")
        .current_dir(dir.path())
        .env_remove("CI")
        .env("TERM", "xterm")
        .env("PINDRIFT_PROGRESS_DELAY", "0")
        .args(["-qec"])
        .arg(format!("{} check --no-config", binary.display()))
        .arg("/dev/null")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("files · "), "no progress drawn: {text:?}");
    assert!(text.contains("\r\x1b[K"), "progress not erased: {text:?}");
    assert!(
        text.trim_end().ends_with("No problems in 3000 files."),
        "{text:?}"
    );

    // The same terminal with CI set, or a machine format: no progress.
    for (env, format) in [(Some(("CI", "true")), "human"), (None, "json")] {
        let mut cmd = Std::new("script");
        cmd.current_dir(dir.path())
            .env_remove("CI")
            .env("TERM", "xterm")
            .env("PINDRIFT_PROGRESS_DELAY", "0");
        if let Some((k, v)) = env {
            cmd.env(k, v);
        }
        let out = cmd
            .args(["-qec"])
            .arg(format!(
                "{} check --no-config --format {format}",
                binary.display()
            ))
            .arg("/dev/null")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("files · "), "{env:?} {format}: {text:?}");
        assert!(!text.contains('\r') || !text.contains("\x1b[K"), "{text:?}");
    }
}
