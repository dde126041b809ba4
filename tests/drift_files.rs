//! `pindrift drift` between freeze files and requirements files (no engine needed).

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod support;

use support::pindrift;

const PROD: &str = "freeze:fixtures/drift/prod.freeze.txt";
const REQ: &str = "req:fixtures/drift/requirements.txt";

/// A requirements file is a specification: each requirement is judged against the freeze
/// (issue 7.3), never turned into "added"/"removed" package changes.
#[test]
fn freeze_against_requirements_json() {
    let (code, out, err) = pindrift(&["drift", PROD, REQ, "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], 2);
    assert_eq!(v["changes"], serde_json::json!([]));
    assert_eq!(
        statuses(&v),
        [
            "greenlet satisfied 0.4.12",
            "six violated 1.16.0",
            "eventlet violated 0.20.0",
            "requests satisfied 2.19.0",
            "flask missing -",
        ]
    );
    // No OS section for files, and it says why.
    assert_eq!(v["os_changes"], serde_json::Value::Null);
    assert!(v["os_not_compared"]
        .as_str()
        .unwrap()
        .contains("no OS packages"));
    assert_eq!(v["before"]["kind"], "freeze");
    assert_eq!(v["after"]["kind"], "requirements");
}

fn statuses(v: &serde_json::Value) -> Vec<String> {
    v["requirements"]["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no requirements in {v}"))
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r["name"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
                r["installed"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

const I7_FREEZE: &str = "freeze:fixtures/drift/issue7.freeze.txt";
const I7_REQ: &str = "req:fixtures/drift/issue7.requirements.txt";

/// Issue 7.3: unpinned, loose, missing, markers, extras, constraints, packages the file does
/// not name; both argument orders; the gate.
#[test]
fn requirements_against_an_environment() {
    for args in [[I7_FREEZE, I7_REQ], [I7_REQ, I7_FREEZE]] {
        let (code, out, err) = pindrift(&["drift", args[0], args[1], "--format", "json"]);
        assert_eq!(code, 1, "{out}\n{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            statuses(&v),
            [
                "eventlet unpinned 0.20.1",
                "gunicorn violated 19.6.0",
                "redis missing -",
                "requests satisfied 2.31.0",
                "pywin32 unknown -",
                "greenlet violated 0.4.12",
                "urllib3 not-applicable -",
                "six not-in-requirements 1.16.0",
            ],
            "{args:?}"
        );
        let side = if args[0] == I7_REQ { "before" } else { "after" };
        assert_eq!(v["requirements"]["side"], side);
        let results = v["requirements"]["results"].as_array().unwrap();
        let requests = &results[3];
        assert_eq!(requests["specifier"], "~=2.31");
        assert_eq!(requests["extras"], serde_json::json!(["socks"]));
        assert!(requests["detail"].as_str().unwrap().contains("extras"));
        // A freeze file says nothing about the platform: the marker is not guessed.
        assert!(results[4]["detail"]
            .as_str()
            .unwrap()
            .contains("sys_platform"));
        assert_eq!(
            results[1]["location"],
            "fixtures/drift/issue7.requirements.txt:3"
        );
        assert_eq!(v["changes"], serde_json::json!([]));
        assert_eq!(v["summary"]["requirements"]["violated"], 2);
    }
    // The table names every requirement and counts what it does not list.
    let (_, out, _) = pindrift(&["drift", I7_FREEZE, I7_REQ]);
    let line = |name: &str| {
        out.lines()
            .find(|l| l.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("{name} not in\n{out}"))
            .to_string()
    };
    assert!(
        line("gunicorn").contains("violated")
            && line("gunicorn").contains(">=21.2")
            && line("gunicorn").contains("installed 19.6.0")
    );
    assert!(line("eventlet").contains("unpinned") && line("eventlet").contains("installed 0.20.1"));
    assert!(line("redis").contains("missing") && line("redis").contains("not installed"));
    assert!(line("requests").contains("satisfied"));
    assert!(!out.contains("removed"), "{out}");
    assert!(
        out.contains("1 installed package not in the requirements"),
        "{out}"
    );
    let (_, all, _) = pindrift(&["drift", I7_FREEZE, I7_REQ, "--all"]);
    assert!(
        all.lines()
            .any(|l| l.contains("not-in-requirements") && l.contains("six")),
        "{all}"
    );

    // The gate: violated, missing and unknown fail at every threshold; unpinned at `any`
    // only; `never` reports only.
    let code = |extra: &[&str]| pindrift(&[&["drift", I7_FREEZE, I7_REQ][..], extra].concat()).0;
    assert_eq!(code(&["--fail-on", "major"]), 1);
    assert_eq!(code(&["--fail-on", "downgrade"]), 1);
    assert_eq!(code(&["--fail-on", "never"]), 0);
    let ok = ["--ignore", "gunicorn,redis,pywin32,greenlet"];
    assert_eq!(code(&[&ok[..], &["--fail-on", "patch"]].concat()), 0);
    assert_eq!(code(&ok), 1, "eventlet is unpinned: fails --fail-on any");
    assert_eq!(code(&[&ok[..], &["--ignore", "eventlet"]].concat()), 0);
    assert_eq!(
        code(&[&ok[..], &["--ignore", "eventlet", "--strict-extra"]].concat()),
        1,
        "six is installed but not required"
    );
}

/// Two requirements files are compared as specifications: exact pins by version, anything
/// else by what the files allow.
#[test]
fn two_requirements_files() {
    let (code, out, err) = pindrift(&["drift", REQ, I7_REQ, "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let changes: Vec<String> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {} {} {}",
                c["name"].as_str().unwrap(),
                c["change"].as_str().unwrap(),
                c["before"].as_str().unwrap_or("-"),
                c["after"].as_str().unwrap_or("-")
            )
        })
        .collect();
    assert!(
        changes.contains(&"eventlet changed 0.20.1 any".to_string()),
        "{changes:?}"
    );
    assert!(
        changes.contains(&"gunicorn added - >=21.2".to_string()),
        "{changes:?}"
    );
    assert!(
        changes.contains(&"flask removed 1.0.2 -".to_string()),
        "{changes:?}"
    );
    assert!(
        changes.contains(&"requests changed 2.19 ~=2.31".to_string()),
        "{changes:?}"
    );
    assert_eq!(v["requirements"], serde_json::Value::Null);
    // Exact pins on both sides are ordered.
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.txt");
    let b = dir.path().join("b.txt");
    std::fs::write(&a, "eventlet==0.20.0\nsix\n").unwrap();
    std::fs::write(&b, "eventlet==0.20.1\nsix\n").unwrap();
    let (code, out, _) = pindrift(&[
        "drift",
        &format!("req:{}", a.display()),
        &format!("req:{}", b.display()),
        "--fail-on",
        "minor",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains("upgrade") && l.contains("0.20.0 → 0.20.1") && l.contains("patch")),
        "{out}"
    );
}

/// A requirements file pip would refuse is an error, not a shorter list.
#[test]
fn broken_requirements_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "eventlet==0.20.1\n-r missing.txt\n").unwrap();
    let (code, _, err) = pindrift(&["drift", PROD, &format!("req:{}", bad.display())]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("missing.txt"), "{err}");
    std::fs::write(&bad, "eventlet==0.20.1\nflask>=>1\n").unwrap();
    let (code, _, err) = pindrift(&["drift", PROD, &format!("req:{}", bad.display())]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.txt:2"), "{err}");
}

/// Issue 7.8: `--ignore` takes comma-separated values and repeats; it never swallows the
/// sources.
#[test]
fn ignore_does_not_swallow_sources() {
    let (code, out, err) = pindrift(&[
        "drift",
        "--ignore",
        "six",
        PROD,
        "freeze:fixtures/drift/issue7.freeze.txt",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{out}\n{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        !names.contains(&"six") && names.contains(&"eventlet"),
        "{names:?}"
    );
    let (code, out, err) = pindrift(&[
        "drift",
        "--ignore",
        "eventlet,gunicorn",
        "--ignore",
        "requests",
        "--ignore=greenlet",
        PROD,
        "freeze:fixtures/drift/issue7.freeze.txt",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
}

/// Issue 7.8: the help lists every source kind with an example; `--fail-on never`; the JSON
/// carries `tool` and `tool_version` like `check`'s; `--no-os` says so.
#[test]
fn help_never_tool_version_no_os() {
    let (code, out, _) = pindrift(&["drift", "--help"]);
    assert_eq!(code, 0);
    for kind in ["container:", "image:", "freeze:", "req:"] {
        assert!(
            out.lines()
                .any(|l| l.trim_start().starts_with(kind) && l.matches(kind).count() >= 2),
            "no `{kind}` line with an example in\n{out}"
        );
    }
    assert!(out.contains("never"), "{out}");
    let (code, out, _) = pindrift(&[
        "drift",
        PROD,
        "freeze:fixtures/drift/issue7.freeze.txt",
        "--fail-on",
        "never",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("eventlet"), "{out}");
    let (_, out, _) = pindrift(&["drift", PROD, REQ, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let (_, check, _) = pindrift(&[
        "check",
        "fixtures/demo/requirements.txt",
        "--format",
        "json",
    ]);
    let c: serde_json::Value = serde_json::from_str(&check).unwrap();
    assert_eq!(v["tool"], c["tool"]);
    assert_eq!(v["tool_version"], c["tool_version"]);
    assert_eq!(v["tool_version"], env!("CARGO_PKG_VERSION"));
    let (_, out, _) = pindrift(&["drift", PROD, PROD, "--no-os"]);
    assert!(out.contains("OS packages: not compared (--no-os)"), "{out}");
    let (_, out, _) = pindrift(&["drift", PROD, PROD, "--no-os", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["os_not_compared"], "--no-os");
}

#[test]
fn gates() {
    let code = |args: &[&str]| pindrift(&[&["drift", PROD, REQ][..], args].concat()).0;
    // Violated (six, eventlet) and missing (flask) requirements fail at every threshold.
    assert_eq!(code(&["--fail-on", "downgrade"]), 1);
    assert_eq!(code(&["--fail-on", "major"]), 1, "missing fails");
    assert_eq!(code(&["--fail-on", "major", "--ignore", "flask"]), 1);
    assert_eq!(
        code(&["--fail-on", "downgrade", "--ignore", "six,flask,eventlet"]),
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
    let (_, out, _) = pindrift(&["drift", PROD, I7_FREEZE]);
    let line = out.lines().find(|l| l.contains("eventlet")).unwrap();
    assert!(
        line.contains("0.20.0 → 0.20.1") && line.contains("patch"),
        "{out}"
    );
    assert!(out.contains("OS packages: not compared"), "{out}");
    let (_, all, _) = pindrift(&["drift", PROD, I7_FREEZE, "--all"]);
    assert!(all.contains("unchanged") && all.contains("six"), "{all}");
    let (_, md, _) = pindrift(&["drift", PROD, I7_FREEZE, "--format", "markdown"]);
    assert!(
        md.contains("| `eventlet` | 0.20.0 | 0.20.1 | patch |"),
        "{md}"
    );
    let (_, gh, _) = pindrift(&[
        "drift",
        I7_FREEZE,
        PROD,
        "--format",
        "github",
        "--fail-on",
        "downgrade",
    ]);
    assert!(
        gh.lines()
            .any(|l| l.starts_with("::error ") && l.contains("eventlet")),
        "{gh}"
    );
    assert!(
        gh.lines()
            .any(|l| l.starts_with("::warning ") && l.contains("gunicorn")),
        "{gh}"
    );
    // Requirements checks in markdown and github.
    let (_, md, _) = pindrift(&["drift", PROD, REQ, "--format", "markdown"]);
    assert!(
        md.contains("| violated | `six` | ==1.15.0 | 1.16.0 |"),
        "{md}"
    );
    assert!(md.contains("| missing | `flask` | ==1.0.2 | - |"), "{md}");
    assert!(
        md.contains("**5 requirements: 2 violated, 1 missing, 2 satisfied; fails --fail-on any**"),
        "{md}"
    );
    let (_, gh, _) = pindrift(&["drift", PROD, REQ, "--format", "github"]);
    assert!(
        gh.lines().any(|l| l.starts_with("::error ")
            && l.contains("six ==1.15.0 (violated, installed 1.16.0)")),
        "{gh}"
    );
}

/// Options that cannot apply are usage errors, not silently dropped; a requirement that
/// names no package is reported as unknown, not dropped.
#[test]
fn options_that_cannot_apply_and_nameless_requirements() {
    let (code, _, err) = pindrift(&["drift", PROD, I7_FREEZE, "--strict-extra"]);
    assert_eq!(code, 2);
    assert!(err.contains("--strict-extra"), "{err}");
    let (code, _, err) = pindrift(&["drift", PROD, I7_FREEZE, "--via", "exec"]);
    assert_eq!(code, 2);
    assert!(err.contains("--via exec"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let req = dir.path().join("requirements.txt");
    std::fs::write(&req, "-e .\nsix==1.16.0\n").unwrap();
    let (code, out, err) = pindrift(&[
        "drift",
        I7_FREEZE,
        &format!("req:{}", req.display()),
        "--format",
        "json",
        "--fail-on",
        "major",
    ]);
    assert_eq!(code, 1, "{out}\n{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let s = statuses(&v);
    assert_eq!(s[0], "-e . unknown -", "{s:?}");
    assert_eq!(s[1], "six satisfied 1.16.0", "{s:?}");
}

/// A line of a freeze file that cannot be read may hide a package: the run is never clean
/// (only `--fail-on never` passes), and the summary counts it.
#[test]
fn unreadable_packages_are_never_clean() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.txt");
    let b = dir.path().join("b.txt");
    std::fs::write(&a, "six==1.16.0\nthis is not a freeze line\n").unwrap();
    std::fs::write(&b, "six==1.16.0\n").unwrap();
    let fa = format!("freeze:{}", a.display());
    let fb = format!("freeze:{}", b.display());
    let (code, out, err) = pindrift(&["drift", &fa, &fb]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("1 package could not be read"), "{out}");
    assert!(out.contains("not a pip freeze line"), "{out}");
    let (code, out, _) = pindrift(&["drift", &fa, &fb, "--format", "json", "--fail-on", "major"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["unread_packages"], 1);
    assert_eq!(v["summary"]["failed"], true);
    assert_eq!(pindrift(&["drift", &fa, &fb, "--fail-on", "never"]).0, 0);
    assert_eq!(pindrift(&["drift", &fb, &fb]).0, 0);
}

/// Issue 12.7: a lock file is a specification like a requirements file. Against a freeze
/// file nothing is known about the environment, so an entry whose marker decides is unknown
/// (the other numpy of the fork, uvloop, colorama), never dropped, never guessed.
#[test]
fn uv_lock_against_freeze() {
    let (code, out, err) = pindrift(&[
        "drift",
        "lock:fixtures/drift/lock/uv.lock",
        "freeze:fixtures/drift/lock/prod.freeze.txt",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["before"]["kind"], "lock");
    assert_eq!(v["before"]["requirements"], 24);
    let s = statuses(&v);
    for want in [
        "starlette violated 0.41.3",
        "fastapi satisfied 0.115.4",
        "numpy unknown 2.1.3",
        "numpy satisfied 2.1.3",
        "uvloop satisfied 0.21.0",
        "colorama unknown -",
        // Dev group: installed, at another version than the lock's.
        "pytest violated 8.3.2",
        "iniconfig not-applicable -",
        "orders-api satisfied 0.4.0",
    ] {
        assert!(s.contains(&want.to_string()), "{want} not in {s:#?}");
    }
    // Installed but not in the lock: counted, not drift without --strict-extra.
    assert_eq!(v["summary"]["requirements"]["not-in-requirements"], 1);
    let (code, out, _) = pindrift(&[
        "drift",
        "lock:fixtures/drift/lock/uv.lock",
        "freeze:fixtures/drift/lock/prod.freeze.txt",
        "--all",
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("httptools"), "{out}");
    assert!(out.contains("uv.lock:"), "{out}");
}

#[test]
fn lock_files_that_cannot_be_read() {
    let (code, _, err) = pindrift(&[
        "drift",
        "lock:fixtures/drift/lock/prod.freeze.txt",
        "freeze:fixtures/drift/lock/prod.freeze.txt",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("not a lock file"), "{err}");
    let (code, _, err) = pindrift(&[
        "drift",
        "lock:fixtures/drift/lock/uv.lock",
        "freeze:fixtures/drift/lock/prod.freeze.txt",
        "--max-file-size",
        "1KiB",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("uv.lock"), "{err}");
    // Two lock files: compared as specifications, version by version.
    let (code, out, err) = pindrift(&[
        "drift",
        "lock:fixtures/drift/lock/poetry.lock",
        "lock:fixtures/drift/lock/pylock.toml",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("\"requests\""), "{out}");
}
