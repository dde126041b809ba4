//! `pindrift audit`: the formats (snapshots, the JSON validated against
//! docs/audit.schema.json) on freeze files, and the audit end to end against the real Docker
//! Engine — images built from the suite's base with real eventlet wheels installed offline,
//! containers changed in place by `docker exec` and by `pindrift hotfix`.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::*;

/// Runs pindrift in `dir`; (exit code, stdout, stderr).
fn pindrift_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pindrift"))
        .args(args)
        .current_dir(dir)
        .env(
            "PINDRIFT_CACHE_DIR",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-cache"),
        )
        // Never the user's hotfix journals.
        .env("PINDRIFT_STATE_DIR", dir.join(".no-state"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("bad JSON ({e}):\n{stdout}"))
}

/// Validates an audit JSON report against docs/audit.schema.json.
fn assert_schema_valid(report: &Value) {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/audit.schema.json"),
    )
    .unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{report:#}");
}

fn reasons(report: &Value) -> Vec<String> {
    report["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}: {}",
                r["kind"].as_str().unwrap(),
                r["text"].as_str().unwrap()
            )
        })
        .collect()
}

/// A repository and three freeze files: two replicas that differ, and a candidate with a
/// minor bump, a major bump, a new package the repository pins and a removed package.
fn freeze_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    w(
        "requirements.txt",
        "eventlet>=0.20\ngreenlet==3.0.0\nrequests\n",
    );
    w(
        "prod-1.txt",
        "eventlet==0.20.0\nrequests==2.31.0\nsix==1.16.0\n",
    );
    w(
        "prod-2.txt",
        "eventlet==0.20.1\nrequests==2.31.0\nsix==1.16.0\n",
    );
    w(
        "candidate.txt",
        "eventlet==0.21.0\ngreenlet==3.0.0\nrequests==3.0.0\n",
    );
    dir
}

const FREEZE_ARGS: &[&str] = &[
    "audit",
    ".",
    "--running",
    "freeze:prod-1.txt",
    "--running",
    "freeze:prod-2.txt",
    "--candidate",
    "freeze:candidate.txt",
];

fn freeze_audit(dir: &Path, format: &str) -> (i32, String, String) {
    let mut args = FREEZE_ARGS.to_vec();
    args.extend_from_slice(&["--format", format]);
    pindrift_in(dir, &args)
}

#[test]
fn every_format_on_freeze_files() {
    let dir = freeze_repo();
    for format in ["human", "markdown", "json"] {
        let (code, out, err) = freeze_audit(dir.path(), format);
        assert_eq!(code, 1, "{format}: {out}\n{err}");
        assert!(err.is_empty(), "{err}");
        match format {
            "human" => insta::assert_snapshot!("audit_freeze_human", out),
            "markdown" => insta::assert_snapshot!("audit_freeze_markdown", out),
            _ => {
                let report = json(&out);
                assert_schema_valid(&report);
                insta::assert_snapshot!("audit_freeze_json", out);
            }
        }
    }
}

#[test]
fn freeze_reasons_say_what_fails_and_what_the_repository_asks_for() {
    let dir = freeze_repo();
    let (code, out, err) = freeze_audit(dir.path(), "json");
    assert_eq!(code, 1, "{err}");
    let report = json(&out);
    assert_eq!(report["version"], 1);
    assert_eq!(report["verdict"], "NO-GO");
    let got = reasons(&report);
    // Both replicas drift the same way for requests and six: one line names both.
    assert!(
        got.iter().any(|r| r
            == "drift: prod-1.txt, prod-2.txt → freeze:candidate.txt: major bump requests 2.31.0 → 3.0.0"
            || r.starts_with("drift: freeze:prod-1.txt, freeze:prod-2.txt → freeze:candidate.txt: major bump requests")),
        "{got:#?}"
    );
    assert!(
        got.iter().any(|r| r.starts_with("pins: PD101 ")),
        "{got:#?}"
    );
    assert!(
        got.iter()
            .any(|r| r.starts_with("replicas: ") && r.contains("eventlet")),
        "{got:#?}"
    );
    // greenlet is new, but the repository pins exactly the candidate's version.
    assert!(!got.iter().any(|r| r.contains("greenlet")), "{got:#?}");
    let greenlet = &report["drift"][0]["python"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["class"] == "added")
        .unwrap()["changes"][0];
    assert_eq!(greenlet["declared"], "requirements.txt:2");
    // A freeze file has no image: the base image is unknown, said so, never guessed.
    assert_eq!(report["base_image"]["running"][0]["status"], "unknown");
}

#[test]
fn the_policy_comes_from_the_audit_table_and_unknown_keys_are_errors() {
    let dir = freeze_repo();
    std::fs::write(
        dir.path().join("pindrift.toml"),
        "[audit]\nfail-on-changes = [\"major\"]\nfindings-fail-on = \"off\"\n\
         fail-on-replica-drift = false\nallow = [\"requests\"]\n",
    )
    .unwrap();
    let (code, out, err) = freeze_audit(dir.path(), "json");
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(json(&out)["verdict"], "GO");
    let (code, out, _) = freeze_audit(dir.path(), "human");
    assert_eq!(code, 0);
    assert!(out.starts_with("GO: "), "{out}");

    std::fs::write(
        dir.path().join("pindrift.toml"),
        "[audit]\nfail-on-bump = [\"major\"]\n",
    )
    .unwrap();
    let (code, out, err) = freeze_audit(dir.path(), "human");
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("pindrift.toml") && err.contains("fail-on-bump"),
        "{err}"
    );
    std::fs::write(
        dir.path().join("pindrift.toml"),
        "[audit]\nfail-codes = [\"PD999\"]\n",
    )
    .unwrap();
    let (code, _, err) = freeze_audit(dir.path(), "human");
    assert_eq!(code, 2);
    assert!(
        err.contains("audit.fail-codes") && err.contains("PD999"),
        "{err}"
    );
}

#[test]
fn output_file_and_unreadable_sources() {
    let dir = freeze_repo();
    let mut args = FREEZE_ARGS.to_vec();
    args.extend_from_slice(&["--format", "markdown", "--output", "report.md"]);
    let (code, out, err) = pindrift_in(dir.path(), &args);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "{out}");
    let written = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(
        written.starts_with("## pindrift audit: ❌ NO-GO"),
        "{written}"
    );

    for (running, candidate, says) in [
        ("freeze:missing.txt", "freeze:candidate.txt", "missing.txt"),
        ("freeze:.", "freeze:candidate.txt", "."),
        ("freeze:prod-1.txt", "req:requirements.txt", "specification"),
        ("prod-1.txt", "freeze:candidate.txt", "has no kind"),
    ] {
        let (code, out, err) = pindrift_in(
            dir.path(),
            &["audit", "--running", running, "--candidate", candidate],
        );
        assert_eq!(code, 2, "{running} {candidate}: {out}\n{err}");
        assert!(out.is_empty(), "{out}");
        assert!(err.contains(says), "{err}");
    }
    // A folder that cannot be linted is an error too, never a GO.
    let (code, _, err) = pindrift_in(
        dir.path(),
        &[
            "audit",
            "no-such-folder",
            "--running",
            "freeze:prod-1.txt",
            "--candidate",
            "freeze:prod-1.txt",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("no-such-folder"), "{err}");
    // Missing --running or --candidate: usage errors.
    let (code, _, _) = pindrift_in(dir.path(), &["audit", "--candidate", "freeze:prod-1.txt"]);
    assert_eq!(code, 2);
}

// ---------------------------------------------------------------------------------------
// Against the real engine.

/// An image built from `requirements` (installed offline from the suite's wheels, which
/// stay in the image at /wheels) with /app/app.py.
fn app_image(tag: &str, requirements: &str) -> ImageGuard {
    let dockerfile = format!(
        "FROM {}\nCOPY wheels/ /wheels/\nCOPY requirements.txt /app/requirements.txt\n\
         RUN python3 -m pip install -q --no-index --find-links /wheels --no-deps \
         -r /app/requirements.txt\nCOPY app.py /app/app.py\nWORKDIR /app\n\
         LABEL pindrift.test.run={}\n",
        base_image(),
        unique("b-audit-run")
    );
    build_image(
        tag,
        &dockerfile,
        &[
            ("requirements.txt", requirements.as_bytes()),
            ("app.py", b"print('v1')\n"),
        ],
        true,
    )
}

fn engine_audit(dir: &Path, running: &[String], candidate: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["audit".to_string()];
    for r in running {
        args.push("--running".into());
        args.push(r.clone());
    }
    args.extend(["--candidate".to_string(), candidate.to_string()]);
    args.extend(["--format".to_string(), "json".to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = pindrift_in(dir, &refs);
    assert!(
        code == 0 || code == 1,
        "{args:?}: exit {code}\n{out}\n{err}"
    );
    let report = json(&out);
    assert_schema_valid(&report);
    (code, report)
}

#[test]
#[ignore = "needs the Docker Engine"]
fn unpinned_repository_and_new_candidate_is_no_go_then_pinning_and_rebuilding_is_go() {
    require_docker();
    let running_tag = format!("{}:1", unique("b-audit-app"));
    let _running_image = app_image(&running_tag, "eventlet==0.20.0\n");
    let prod = unique("b-audit-prod");
    let _prod = run_container(&prod, &running_tag, &[]);

    // The repository: eventlet unpinned, and a new dependency, six, unpinned too.
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("requirements.txt"), "eventlet\nsix\n").unwrap();
    std::fs::write(repo.path().join("app.py"), "print('v2')\n").unwrap();
    let cand1 = format!("{}:2", unique("b-audit-app"));
    let _cand1 = app_image(&cand1, "eventlet\nsix\n");
    let running = [format!("container:{prod}")];
    let (code, report) = engine_audit(repo.path(), &running, &format!("image:{cand1}"), &[]);
    assert_eq!(code, 1);
    assert_eq!(report["verdict"], "NO-GO");
    assert_eq!(
        reasons(&report),
        [
            "pins: PD101 unpinned-requirement: 2 findings (requirements.txt:1, requirements.txt:2)"
                .to_string(),
            format!("drift: {prod} → image:{cand1}: patch bump eventlet 0.20.0 → 0.20.1"),
            format!("drift: {prod} → image:{cand1}: new package six 1.16.0"),
        ]
    );
    // The same base image, from the images' history.
    let base = &report["base_image"];
    assert_eq!(base["candidate"]["name"], BASE_IMAGE);
    assert_eq!(base["running"][0]["status"], "same", "{base:#}");
    // The human format: the verdict first, every reason on a line.
    let (code, human, _) = pindrift_in(
        repo.path(),
        &[
            "audit",
            "--running",
            &running[0],
            "--candidate",
            &format!("image:{cand1}"),
        ],
    );
    assert_eq!(code, 1);
    assert!(human.starts_with("NO-GO: 3 reasons\n  - PD101"), "{human}");

    // Pin the repository to what production runs, the new package to the candidate's.
    let (code, out, err) = pindrift_in(repo.path(), &["pin", "--from", &running[0]]);
    assert_eq!(code, 0, "{out}\n{err}");
    let (code, out, err) = pindrift_in(repo.path(), &["pin", "--from", &format!("image:{cand1}")]);
    assert_eq!(code, 0, "{out}\n{err}");
    let pinned = std::fs::read_to_string(repo.path().join("requirements.txt")).unwrap();
    assert_eq!(pinned, "eventlet==0.20.0\nsix==1.16.0\n");
    // Rebuild the candidate from the pinned files.
    let cand2 = format!("{}:3", unique("b-audit-app"));
    let _cand2 = app_image(&cand2, &pinned);
    let (code, report) = engine_audit(repo.path(), &running, &format!("image:{cand2}"), &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["verdict"], "GO");
    assert!(reasons(&report).is_empty());
    // six is still new, and listed: the repository asks for it.
    let added = &report["drift"][0]["python"][0];
    assert_eq!(added["class"], "added");
    assert_eq!(added["changes"][0]["name"], "six");
    assert_eq!(added["changes"][0]["declared"], "requirements.txt:2");
    assert_eq!(report["hotfixes"][0]["fails"], false);
}

#[test]
#[ignore = "needs the Docker Engine"]
fn a_container_changed_in_place_is_no_go_naming_the_change() {
    require_docker();
    let tag = format!("{}:1", unique("b-audit-app"));
    let _image = app_image(&tag, "eventlet==0.20.1\n");
    let prod = unique("b-audit-prod");
    let _prod = run_container(&prod, &tag, &[]);
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("requirements.txt"), "eventlet==0.20.1\n").unwrap();
    let running = [format!("container:{prod}")];
    let candidate = format!("image:{tag}");
    let (code, report) = engine_audit(repo.path(), &running, &candidate, &[]);
    assert_eq!(code, 0, "{report:#}");

    // By hand: an older eventlet pinned with pip, the app edited, and noise.
    docker(&[
        "exec",
        &prod,
        "sh",
        "-c",
        "python3 -m pip install -q --no-index --find-links /wheels --no-deps eventlet==0.20.0 \
         && echo \"print('hotfix')\" > /app/app.py && mkdir -p /tmp/scratch /app/__pycache__ \
         && touch /tmp/scratch/x /app/__pycache__/app.cpython-311.pyc",
    ]);
    let (code, report) = engine_audit(repo.path(), &running, &candidate, &[]);
    assert_eq!(code, 1, "{report:#}");
    // The change in place is the reason. Going from what production runs now (0.20.0) to
    // the candidate (0.20.1) is what the repository asks for (eventlet==0.20.1): no reason.
    assert_eq!(
        reasons(&report),
        [format!(
            "hotfix: container {prod} was changed in place (app.py, eventlet 0.20.0 pinned by hand); \
             deploying {candidate} drops that change"
        )]
    );
    let hotfix = &report["hotfixes"][0];
    let paths: Vec<&str> = hotfix["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"/app/app.py"), "{paths:?}");
    assert!(
        !paths
            .iter()
            .any(|p| p.starts_with("/tmp") || p.contains("__pycache__") || p.contains(".cache")),
        "{paths:?}"
    );
    assert!(hotfix["noise"].as_u64().unwrap() >= 2, "{hotfix:#}");
    let patch = &report["drift"][0]["python"][0];
    assert_eq!(patch["class"], "patch", "{report:#}");
    assert_eq!(patch["changes"][0]["declared"], "requirements.txt:1");
    // With hotfixes allowed by the policy it is a GO; a repository that does not ask for
    // the bump makes it a NO-GO again.
    std::fs::write(
        repo.path().join("pindrift.toml"),
        "[audit]\nfail-on-hotfixes = false\n",
    )
    .unwrap();
    let (code, report) = engine_audit(repo.path(), &running, &candidate, &[]);
    assert_eq!(code, 0, "{report:#}");
    std::fs::write(repo.path().join("requirements.txt"), "eventlet>=0.20\n").unwrap();
    let (code, report) = engine_audit(repo.path(), &running, &candidate, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        reasons(&report),
        [
            "pins: PD102 loose-specifier: 1 finding (requirements.txt:1)".to_string(),
            format!("drift: {prod} → {candidate}: patch bump eventlet 0.20.0 → 0.20.1"),
        ]
    );
}

#[test]
#[ignore = "needs the Docker Engine"]
fn an_open_hotfix_is_no_go_and_replicas_are_compared() {
    require_docker();
    let tag = format!("{}:1", unique("b-audit-app"));
    let _image = app_image(&tag, "eventlet==0.20.1\n");
    let prod1 = unique("b-audit-prod");
    let prod2 = unique("b-audit-prod");
    let _c1 = run_container(&prod1, &tag, &[]);
    let _c2 = run_container(&prod2, &tag, &[]);
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("requirements.txt"), "eventlet==0.20.1\n").unwrap();
    let state = tempfile::tempdir().unwrap();
    let state_dir = state.path().to_str().unwrap();
    let fixed = repo.path().join("fixed.py");
    std::fs::write(&fixed, "print('fixed')\n").unwrap();
    let (code, out, err) = pindrift_in(
        repo.path(),
        &[
            "hotfix",
            "--state-dir",
            state_dir,
            "start",
            &prod1,
            "--reason",
            "500 on /",
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let (code, out, err) = pindrift_in(
        repo.path(),
        &[
            "hotfix",
            "--state-dir",
            state_dir,
            "cp",
            fixed.to_str().unwrap(),
            &format!("{prod1}:/app/app.py"),
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let running = [format!("container:{prod1}"), format!("container:{prod2}")];
    let candidate = format!("image:{tag}");
    let (code, report) = engine_audit(
        repo.path(),
        &running,
        &candidate,
        &["--state-dir", state_dir],
    );
    assert_eq!(code, 1, "{report:#}");
    let got = reasons(&report);
    assert_eq!(got.len(), 1, "{got:#?}");
    let journal = report["hotfixes"][0]["journals"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert!(journal.contains("500"), "{journal}");
    assert_eq!(
        got[0],
        format!(
            "hotfix: container {prod1} was changed in place (app.py, open hotfix {journal}); \
             deploying {candidate} drops that change"
        )
    );
    assert_eq!(report["hotfixes"][1]["fails"], false);
    // Same packages on both replicas: a file is not a package difference.
    assert_eq!(report["replicas"]["differences"], serde_json::json!([]));

    // The replica pinned by hand differs from the other one.
    docker(&[
        "exec",
        &prod2,
        "python3",
        "-m",
        "pip",
        "install",
        "-q",
        "--no-index",
        "--find-links",
        "/wheels",
        "--no-deps",
        "eventlet==0.20.0",
    ]);
    let (code, report) = engine_audit(
        repo.path(),
        &running,
        &candidate,
        &["--state-dir", state_dir],
    );
    assert_eq!(code, 1);
    assert_eq!(
        reasons(&report),
        [
            format!(
                "replicas: the running replicas differ from each other (eventlet: {prod1} 0.20.1, {prod2} 0.20.0)"
            ),
            format!(
                "hotfix: container {prod1} was changed in place (app.py, open hotfix {journal}); \
                 deploying {candidate} drops that change"
            ),
            format!(
                "hotfix: container {prod2} was changed in place (eventlet 0.20.0 pinned by hand); \
                 deploying {candidate} drops that change"
            ),
        ]
    );
}

#[test]
#[ignore = "needs the Docker Engine"]
fn an_unreadable_engine_source_is_exit_2() {
    require_docker();
    let dir = freeze_repo();
    for (running, candidate, says) in [
        (
            format!("container:{}", unique("b-audit-missing")),
            "freeze:candidate.txt".to_string(),
            "no such container",
        ),
        (
            "freeze:prod-1.txt".to_string(),
            format!("image:{}:1", unique("b-audit-missing")),
            "no such image",
        ),
    ] {
        let (code, out, err) = pindrift_in(
            dir.path(),
            &["audit", "--running", &running, "--candidate", &candidate],
        );
        assert_eq!(code, 2, "{out}\n{err}");
        assert!(out.is_empty(), "{out}");
        assert!(err.contains(says), "{err}");
    }
}

#[test]
#[ignore = "needs the Docker Engine"]
fn base_images_from_labels_are_compared_and_a_change_fails_when_the_policy_says_so() {
    require_docker();
    let image = |digit: char| {
        let tag = format!("{}:1", unique("b-audit-label"));
        let digest = format!("sha256:{}", digit.to_string().repeat(64));
        let guard = build_image(
            &tag,
            &format!(
                "FROM scratch\nCOPY x /x\nLABEL org.opencontainers.image.base.name=python:3.11-slim \
                 org.opencontainers.image.base.digest={digest}\n"
            ),
            &[("x", b"x\n")],
            false,
        );
        (tag, guard)
    };
    let (old, _old) = image('1');
    let (new, _new) = image('2');
    let repo = tempfile::tempdir().unwrap();
    let running = [format!("image:{old}")];
    let (code, report) = engine_audit(repo.path(), &running, &format!("image:{new}"), &[]);
    assert_eq!(code, 0, "{report:#}");
    let base = &report["base_image"]["running"][0];
    assert_eq!(base["status"], "changed", "{base:#}");
    assert_eq!(base["base"]["how"], "label");
    assert_eq!(
        report["base_image"]["candidate"]["digest"],
        format!("sha256:{}", "2".repeat(64))
    );
    std::fs::write(
        repo.path().join("pindrift.toml"),
        "[audit]\nfail-on-base-change = true\n",
    )
    .unwrap();
    let (code, report) = engine_audit(repo.path(), &running, &format!("image:{new}"), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        reasons(&report),
        [format!(
            "base-image: image:{old}: base image python:3.11-slim (sha256:111111111111) → \
             python:3.11-slim (sha256:222222222222)"
        )]
    );
}

#[test]
fn build_context_files_come_first() {
    let dir = freeze_repo();
    std::fs::create_dir(dir.path().join("svc")).unwrap();
    std::fs::write(dir.path().join("svc/requirements.txt"), "flask\n").unwrap();
    let mut args = FREEZE_ARGS.to_vec();
    args.extend_from_slice(&["--format", "json", "--context", "svc"]);
    let (code, out, err) = pindrift_in(dir.path(), &args);
    assert_eq!(code, 1, "{err}");
    let report = json(&out);
    let rules = report["pins"]["rules"].as_array().unwrap();
    // PD101 has a finding in the build context: it comes first, its context file first.
    assert_eq!(rules[0]["code"], "PD101", "{rules:#?}");
    assert_eq!(rules[0]["in_context"], 1);
    assert_eq!(
        rules[0]["locations"],
        serde_json::json!(["svc/requirements.txt:1", "requirements.txt:3"])
    );
    assert_eq!(rules[1]["in_context"], 0);
    assert_eq!(report["pins"]["context"], "svc");
    let (code, _, err) = pindrift_in(
        dir.path(),
        &[
            "audit",
            "--running",
            "freeze:prod-1.txt",
            "--candidate",
            "freeze:prod-1.txt",
            "--context",
            "nope",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("--context nope"), "{err}");
}
