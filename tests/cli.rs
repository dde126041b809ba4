//! The `pindrift` binary end to end: formats, exit codes, errors, configuration.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

fn pindrift() -> Command {
    let mut cmd = Command::cargo_bin("pindrift").unwrap();
    cmd.env_remove("NO_COLOR").env("CI", "true");
    cmd
}

#[test]
fn demo_service_fails_on_unpinned_eventlet() {
    pindrift()
        .args(["check", "fixtures/demo", "--no-config"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("fixtures/demo/requirements.txt:3:1: PD101 [warning] `eventlet` has no version specifier"))
        .stdout(predicate::str::contains("\x1b[").not());
}

#[test]
fn clean_file_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("requirements.txt"), "eventlet==0.20.0\n").unwrap();
    pindrift()
        .current_dir(dir.path())
        .args(["check"])
        .assert()
        .code(0)
        .stdout("No problems in 1 file.\n");
}

#[test]
fn fail_on_threshold_decides_the_exit_code() {
    let notes_only = "fixtures/requirements/local.txt";
    pindrift()
        .args(["check", notes_only, "--no-config"])
        .assert()
        .code(0);
    pindrift()
        .args(["check", notes_only, "--no-config", "--fail-on", "note"])
        .assert()
        .code(1);
    pindrift()
        .args([
            "check",
            "fixtures/requirements/loose.txt",
            "--no-config",
            "--fail-on",
            "error",
        ])
        .assert()
        .code(0);
    pindrift()
        .args([
            "check",
            "fixtures/requirements/invalid.txt",
            "--no-config",
            "--fail-on",
            "error",
        ])
        .assert()
        .code(1);
}

#[test]
fn usage_and_io_errors_exit_two() {
    pindrift()
        .args(["check", "--format", "yaml"])
        .assert()
        .code(2);
    pindrift()
        .args(["check", "no/such/path"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such/path"));
    pindrift()
        .args(["check", "--select", "XX9"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("XX9"));
    pindrift().args(["rule", "PD999"]).assert().code(2);
    pindrift().args(["frobnicate"]).assert().code(2);
}

#[test]
fn unknown_config_key_is_an_error_naming_key_and_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pindrift.toml"),
        "allow-floating = [\"pip\"]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("requirements.txt"), "pip\n").unwrap();
    pindrift()
        .current_dir(dir.path())
        .arg("check")
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("pindrift.toml")
                .and(predicate::str::contains("allow-floating")),
        );
}

#[test]
fn config_allows_floating_and_sets_levels() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[tool.pindrift]\nallow-unpinned = [\"Pip\"]\n[tool.pindrift.rules]\nPD102 = \"error\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("requirements.txt"), "pip\nsetuptools>=60\n").unwrap();
    pindrift()
        .current_dir(dir.path())
        .args(["check", "--format", "json"])
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("\"code\": \"PD102\"")
                .and(predicate::str::contains("\"level\": \"error\"")),
        )
        .stdout(predicate::str::contains("PD101").not());
}

#[test]
fn json_is_versioned_and_sorted() {
    let output = pindrift()
        .args([
            "check",
            "fixtures/requirements",
            "--format",
            "json",
            "--no-config",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["version"], 1);
    let findings = json["findings"].as_array().unwrap();
    let keys: Vec<(String, u64, u64)> = findings
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(
        json["summary"]["findings"].as_u64().unwrap() as usize,
        findings.len()
    );
}

#[test]
fn github_format_is_workflow_commands() {
    pindrift()
        .args(["check", "fixtures/demo/requirements.txt", "--format", "github", "--no-config"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "::warning file=fixtures/demo/requirements.txt,line=3,col=1,endLine=3,endColumn=9,title=PD101::`eventlet` has no version specifier",
        ));
}

#[test]
fn sarif_validates_against_the_official_schema() {
    // The official schema's language-tag pattern has a bare `]`, a literal in ECMAScript
    // regexes but an error in Rust's; escaping it keeps the meaning and lets the schema load.
    let text = std::fs::read_to_string(Path::new("tests/schemas/sarif-schema-2.1.0.json")).unwrap();
    let bare = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert_eq!(
        text.matches(bare).count(),
        2,
        "run.language and artifact.sourceLanguage"
    );
    let text = text.replace(bare, r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#);
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let output = pindrift()
        .args([
            "check",
            "fixtures",
            "--format",
            "sarif",
            "--no-config",
            "--strict",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["level"] == "note"));
    assert!(results.iter().any(|r| r["level"] == "error"));
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(rules.iter().all(|r| r["help"]["text"]
        .as_str()
        .is_some_and(|t| t.contains("## Why is this bad?"))));
    // The run's category, and every rule's page.
    assert_eq!(
        sarif["runs"][0]["automationDetails"]["id"],
        "pindrift/check/"
    );
    assert!(rules.iter().all(|r| r["helpUri"]
        == format!(
            "https://github.com/pindrift/pindrift/blob/main/rules/{}.md",
            r["id"].as_str().unwrap()
        )));
    for rule in rules {
        let page = Path::new("rules").join(format!("{}.md", rule["id"].as_str().unwrap()));
        assert!(
            page.is_file(),
            "helpUri to a page that does not exist: {page:?}"
        );
    }
    // An invalid document must fail, or the check above proves nothing.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&broken));
}

#[test]
fn no_color_and_pipes_get_plain_text() {
    pindrift()
        .env("NO_COLOR", "1")
        .args(["check", "fixtures/demo", "--no-config"])
        .assert()
        .stdout(predicate::str::contains("\x1b[").not());
}

#[test]
fn closed_pipe_is_not_an_error() {
    use std::process::{Command as Std, Stdio};
    let binary = assert_cmd::cargo::cargo_bin("pindrift");
    let mut child = Std::new(binary)
        .args(["check", "fixtures", "--no-config", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert!(
        matches!(output.status.code(), Some(0) | Some(1)),
        "{:?}",
        output.status
    );
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
}

#[test]
fn rules_and_rule_pages() {
    pindrift().arg("rules").assert().code(0).stdout(
        predicate::str::contains("PD101").and(predicate::str::contains("unpinned-requirement")),
    );
    // `pin` resolves PD101-PD103 from what a source runs; the findings carry no fix.
    let output = pindrift()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let rules: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let pinned: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["pin"] == true)
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    for code in ["PD101", "PD102", "PD103"] {
        assert!(pinned.contains(&code), "{pinned:?}");
    }
    assert!(!pinned.contains(&"PD104"), "{pinned:?}");
    pindrift().args(["rule", "pd101"]).assert().code(0).stdout(
        predicate::str::starts_with("# PD101: unpinned-requirement")
            .and(predicate::str::contains("eventlet 0.20.1")),
    );
}

#[test]
fn explicit_path_is_linted_whatever_its_name_and_includes_follow() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("deps.pip"), "-r shared/common.lst\n").unwrap();
    std::fs::create_dir(dir.path().join("shared")).unwrap();
    std::fs::write(dir.path().join("shared/common.lst"), "eventlet\n").unwrap();
    pindrift()
        .current_dir(dir.path())
        .args(["check", "deps.pip", "--format", "github"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("file=shared/common.lst,line=1"));
}

#[test]
fn walker_honours_gitignore_and_skips_virtualenvs_and_symlink_loops() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join(".gitignore"), "build/\n").unwrap();
    for folder in ["build", "venv-custom", "node_modules/pkg", "app"] {
        std::fs::create_dir_all(root.join(folder)).unwrap();
        std::fs::write(root.join(folder).join("requirements.txt"), "eventlet\n").unwrap();
    }
    std::fs::write(root.join("venv-custom/pyvenv.cfg"), "home = /usr/bin\n").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(root, root.join("app/loop")).unwrap();
    let output = pindrift()
        .current_dir(root)
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let paths: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["app/requirements.txt"]);
}

#[test]
fn readme_quick_start_output_is_what_the_demo_prints() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let after = readme
        .split("The first command prints:")
        .nth(1)
        .expect("README quick start");
    let block = after
        .split("```text\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap();
    let output = pindrift()
        .args(["check", "fixtures/demo", "--no-config"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), block);
}

#[test]
fn markdown_lists_every_finding_with_links_to_rule_pages() {
    let output = pindrift()
        .args([
            "check",
            "fixtures/demo",
            "--no-config",
            "--format",
            "markdown",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(String::from_utf8(output.stdout).unwrap());
    // Markdown in a message is made inert: a table cell cannot be broken out of.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("requirements.txt"), "a|b<script>\n").unwrap();
    let output = pindrift()
        .current_dir(dir.path())
        .args(["check", "--no-config", "--format", "markdown"])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(!text.contains("<script>"), "{text}");
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("| ")).collect();
    for row in rows {
        assert_eq!(row.matches(" | ").count(), 3, "{row}");
    }
}

#[test]
fn markdown_when_clean() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("requirements.txt"), "eventlet==0.20.0\n").unwrap();
    let output = pindrift()
        .current_dir(dir.path())
        .args(["check", "--no-config", "--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "### pindrift check\n\nNo problems in 1 file.\n"
    );
}
