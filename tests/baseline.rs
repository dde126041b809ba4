//! `check --baseline FILE` / `--update-baseline`: fingerprints that survive line moves,
//! counted duplicates, gone entries, paths relative to the baseline (any working
//! directory), and every way a baseline can be wrong (exit 2, the file named).

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use assert_cmd::Command;
use std::path::Path;

fn pindrift(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("pindrift").unwrap();
    cmd.current_dir(dir).env("CI", "true").env("NO_COLOR", "1");
    cmd
}

fn write(dir: &Path, rel: &str, contents: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, args: &[&str]) -> Out {
    let out = pindrift(dir).args(args).output().unwrap();
    Out {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

const BASELINE: &str = ".pindrift-baseline.json";

#[test]
fn later_runs_report_only_new_findings_whatever_moved() {
    let ws = tempfile::tempdir().unwrap();
    let ws = ws.path();
    write(ws, "requirements.txt", "eventlet\nflask>=1.0\n");
    write(
        ws,
        "svc/Dockerfile",
        "FROM python:latest\nRUN pip install gunicorn\n",
    );
    let before = run(ws, &["check", "--no-config", "--format", "json"]);
    assert_eq!(before.code, 1, "{}", before.stderr);
    let total = serde_json::from_str::<serde_json::Value>(&before.stdout).unwrap()["summary"]
        ["findings"]
        .as_u64()
        .unwrap();
    assert!(total >= 4, "{}", before.stdout);

    let out = run(
        ws,
        &[
            "check",
            "--no-config",
            "--baseline",
            BASELINE,
            "--update-baseline",
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "{BASELINE}: baseline written with {total} findings"
        )),
        "{}",
        out.stderr
    );
    // Nothing is reported, and the summary does not call that "No problems".
    assert!(
        out.stdout.contains(&format!(
            "No new problems in 2 files ({total} findings accepted by the baseline, not shown)."
        )),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("No problems"), "{}", out.stdout);
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.join(BASELINE)).unwrap()).unwrap();
    assert_eq!(file["version"], 1);
    assert_eq!(file["tool"], "pindrift");
    let entries = file["findings"].as_array().unwrap();
    assert!(entries.iter().any(|e| e["code"] == "PD101"
        && e["path"] == "requirements.txt"
        && e["subject"] == "eventlet"
        && e["count"] == 1));
    assert!(entries
        .iter()
        .any(|e| e["path"] == "requirements.txt" && e["subject"] == "flask"));
    assert!(entries
        .iter()
        .any(|e| e["path"] == "svc/Dockerfile" && e["subject"] == "python:latest"));
    assert!(!std::fs::read_to_string(ws.join(BASELINE))
        .unwrap()
        .contains("\"line\""));
    // Written atomically: no temporary file left beside it.
    let names: Vec<String> = std::fs::read_dir(ws)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.contains(".pindrift-baseline.json.")),
        "{names:?}"
    );

    // Lines moved, a comment added, flask's specifier changed: nothing new.
    write(ws, "requirements.txt", "# deps\n\nFlask>=2.0\n\neventlet\n");
    write(
        ws,
        "svc/Dockerfile",
        "# base\nFROM python:latest\n\nRUN pip install gunicorn\n",
    );
    let out = run(ws, &["check", "--no-config", "--baseline", BASELINE]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "No new problems in 2 files ({total} findings accepted by the baseline, not shown)."
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains(&format!(
            "{BASELINE}: {total} findings matched the baseline (not shown), 0 baseline entries gone"
        )),
        "{}",
        out.stderr
    );

    // A new unpinned requirement and a second `eventlet` (duplicates are counted): only they
    // are reported, in every format, and they fail the run.
    write(
        ws,
        "requirements.txt",
        "# deps\n\nFlask>=2.0\n\neventlet\nrequests\neventlet\n",
    );
    let out = run(
        ws,
        &[
            "check",
            "--no-config",
            "--baseline",
            BASELINE,
            "--format",
            "json",
        ],
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let found: Vec<(String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["message"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].0.contains("requests") && found[0].1 == 6,
        "{found:?}"
    );
    assert!(
        found[1].0.contains("eventlet") && found[1].1 == 7,
        "{found:?}"
    );
    assert_eq!(report["summary"]["files_with_findings"], 1);

    // The Dockerfile fixed: its entries are gone, and said so.
    write(ws, "requirements.txt", "# deps\n\nFlask>=2.0\n\neventlet\n");
    std::fs::remove_file(ws.join("svc/Dockerfile")).unwrap();
    let out = run(ws, &["check", "--no-config", "--baseline", BASELINE]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("2 findings matched the baseline"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(" gone (fixed: --update-baseline drops them)"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains(" 0 baseline entries gone"),
        "{}",
        out.stderr
    );

    // From another working directory, naming the tree and the baseline: same fingerprints.
    let parent = ws.parent().unwrap();
    let name = ws.file_name().unwrap().to_str().unwrap();
    let baseline = format!("{name}/{BASELINE}");
    let out = run(
        parent,
        &["check", "--no-config", "--baseline", &baseline, name],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("2 findings matched the baseline"),
        "{}",
        out.stderr
    );

    // --update-baseline drops what is gone.
    let out = run(
        ws,
        &[
            "check",
            "--no-config",
            "--baseline",
            BASELINE,
            "--update-baseline",
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let out = run(ws, &["check", "--no-config", "--baseline", BASELINE]);
    assert!(
        out.stderr
            .contains("2 findings matched the baseline (not shown), 0 baseline entries gone"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_missing_or_garbled_baseline_is_an_error_naming_it() {
    let ws = tempfile::tempdir().unwrap();
    let ws = ws.path();
    write(ws, "requirements.txt", "eventlet\n");
    let cases: &[(&str, Option<&str>, &str)] = &[
        (
            "missing.json",
            None,
            "missing.json: no such baseline file (create it with --update-baseline)",
        ),
        (
            "garbled.json",
            Some("{\n  \"version\": 1,\n  oops"),
            "garbled.json:3:3: not a pindrift baseline",
        ),
        (
            "empty.json",
            Some(""),
            "empty.json:1:0: not a pindrift baseline",
        ),
        (
            "newer.json",
            Some(r#"{"version": 2, "tool": "pindrift", "findings": []}"#),
            "newer.json: baseline version 2 is not supported",
        ),
        (
            "noversion.json",
            Some(r#"{"tool": "pindrift", "findings": []}"#),
            "noversion.json:1:1: not a pindrift baseline: no \"version\" number",
        ),
        (
            "other.json",
            Some(r#"{"version": 1, "tool": "ruff", "findings": []}"#),
            "not pindrift",
        ),
        (
            "extra.json",
            Some(
                r#"{"version": 1, "tool": "pindrift", "findings": [{"code": "PD101", "path": "r.txt", "subject": "x", "count": 1, "line": 3}]}"#,
            ),
            "unknown field `line`",
        ),
        (
            "zero.json",
            Some(
                r#"{"version": 1, "tool": "pindrift", "findings": [{"code": "PD101", "path": "r.txt", "subject": "x", "count": 0}]}"#,
            ),
            "count 0",
        ),
    ];
    for (name, contents, message) in cases {
        if let Some(contents) = contents {
            write(ws, name, contents);
        }
        let out = run(ws, &["check", "--no-config", "--baseline", name]);
        assert_eq!(out.code, 2, "{name}: {}{}", out.stdout, out.stderr);
        assert!(out.stderr.contains(message), "{name}: {}", out.stderr);
        assert!(
            out.stdout.is_empty(),
            "{name}: nothing reported: {}",
            out.stdout
        );
    }
    // A folder is not a baseline.
    std::fs::create_dir(ws.join("folder.json")).unwrap();
    let out = run(ws, &["check", "--no-config", "--baseline", "folder.json"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("folder.json: cannot read the baseline"),
        "{}",
        out.stderr
    );
    // --update-baseline needs --baseline.
    let out = run(ws, &["check", "--no-config", "--update-baseline"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--baseline"), "{}", out.stderr);
}

#[test]
fn a_run_that_could_not_read_everything_writes_no_baseline() {
    let ws = tempfile::tempdir().unwrap();
    let ws = ws.path();
    write(ws, "requirements.txt", "eventlet\n");
    // A Compose file that is not YAML: reported as not read (exit 2), the rest linted.
    write(ws, "compose.yaml", "services: [\n");
    let out = run(
        ws,
        &[
            "check",
            "--no-config",
            "--baseline",
            BASELINE,
            "--update-baseline",
        ],
    );
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("not written: 1 file or folder could not be read"),
        "{}",
        out.stderr
    );
    assert!(!ws.join(BASELINE).exists());
}
