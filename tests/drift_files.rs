//! `pindrift drift` between freeze files and requirements files (no engine needed).

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod support;

use support::pindrift;

const PROD: &str = "freeze:fixtures/drift/prod.freeze.txt";
const REQ: &str = "req:fixtures/drift/requirements.txt";

#[test]
fn freeze_against_requirements_json() {
    let (code, out, err) = pindrift(&["drift", PROD, REQ, "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["changes"],
        serde_json::json!([
            {"name": "flask", "before": null, "after": "1.0.2", "change": "added", "bump": null, "env": "requirements"},
            {"name": "eventlet", "before": "0.20.0", "after": "0.20.1", "change": "upgrade", "bump": "patch", "env": "requirements"},
            {"name": "six", "before": "1.16.0", "after": "1.15.0", "change": "downgrade", "bump": "minor", "env": "requirements"}
        ])
    );
    // requests 2.19.0 == 2.19: no drift; no OS section for files.
    assert_eq!(v["os_changes"], serde_json::Value::Null);
    assert_eq!(v["before"]["kind"], "freeze");
    assert_eq!(v["after"]["kind"], "requirements");
}

#[test]
fn gates() {
    let code = |args: &[&str]| pindrift(&[&["drift", PROD, REQ][..], args].concat()).0;
    assert_eq!(code(&["--fail-on", "downgrade"]), 1);
    assert_eq!(code(&["--fail-on", "major"]), 1, "added counts as major");
    assert_eq!(code(&["--fail-on", "major", "--ignore", "flask"]), 0);
    assert_eq!(
        code(&["--fail-on", "downgrade", "--ignore", "six,flask"]),
        0
    );
    assert_eq!(code(&["--fail-on", "bogus"]), 2);
    assert_eq!(pindrift(&["drift", PROD, PROD]).0, 0);
    assert_eq!(pindrift(&["drift", "nokind", PROD]).0, 2);
    assert_eq!(
        pindrift(&["drift", "freeze:fixtures/drift/missing.txt", PROD]).0,
        2
    );
}

#[test]
fn table_markdown_github() {
    let (_, out, _) = pindrift(&["drift", PROD, REQ]);
    let line = out.lines().find(|l| l.contains("eventlet")).unwrap();
    assert!(
        line.contains("0.20.0 → 0.20.1") && line.contains("patch"),
        "{out}"
    );
    assert!(out.contains("OS packages: not compared"), "{out}");
    let (_, all, _) = pindrift(&["drift", PROD, REQ, "--all"]);
    assert!(
        all.contains("unchanged") && all.contains("requests"),
        "{all}"
    );
    let (_, md, _) = pindrift(&["drift", PROD, REQ, "--format", "markdown"]);
    assert!(
        md.contains("| `eventlet` | 0.20.0 | 0.20.1 | patch |"),
        "{md}"
    );
    let (_, gh, _) = pindrift(&[
        "drift",
        PROD,
        REQ,
        "--format",
        "github",
        "--fail-on",
        "downgrade",
    ]);
    assert!(
        gh.lines()
            .any(|l| l.starts_with("::error ") && l.contains("six")),
        "{gh}"
    );
    assert!(
        gh.lines()
            .any(|l| l.starts_with("::warning ") && l.contains("eventlet")),
        "{gh}"
    );
}
