//! The GitHub Action (`action.yml`), exercised with real tools:
//!
//! * actionlint (from PyPI, see tests/support/py_tools.rs) lints a workflow that uses the
//!   action with `uses: ./`; actionlint reads the local action.yml and checks the `with:`
//!   inputs and `steps.<id>.outputs` against it, so a misspelled input must be reported.
//! * The action's `run:` steps are executed with bash as the runner does
//!   (`bash --noprofile --norc -eo pipefail`): action.yml is parsed with PyYAML, each step's
//!   `env:` is resolved from the chosen inputs (or the defaults), `GITHUB_ACTION_PATH`,
//!   `GITHUB_OUTPUT`, `GITHUB_PATH` and `RUNNER_TEMP` are set, and the workspace is a
//!   temporary folder. The install step (`cargo install --path "$GITHUB_ACTION_PATH"`) is
//!   not run: a release build inside a test would take minutes and write to the user's
//!   cargo home; instead the binary cargo built for the tests is put first on PATH, which
//!   is what the install step achieves (its exact command is asserted).
//!
//! `#[ignore]`d: needs python3, PyPI and jq; run with `--include-ignored`, fails when they are unavailable.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

#[path = "support/py_tools.rs"]
mod py_tools;
#[path = "support/venv.rs"]
mod venv;

use py_tools::{repo_root, tools, unavailable, Tools};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn write(dir: &Path, rel: &str, contents: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// action.yml as JSON, parsed by PyYAML.
fn action(tools: &Tools) -> Value {
    let out = Command::new(&tools.python)
        .current_dir(repo_root())
        .args([
            "-c",
            "import json, yaml; print(json.dumps(yaml.safe_load(open('action.yml'))))",
        ])
        .output()
        .expect("run python");
    assert!(out.status.success(), "parse action.yml: {}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn actionlint(tools: &Tools, workflow: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("git")
        .current_dir(dir.path())
        .args(["init", "--quiet"])
        .output()
        .unwrap();
    assert!(out.status.success(), "git init: {}", text(&out));
    std::fs::copy(
        repo_root().join("action.yml"),
        dir.path().join("action.yml"),
    )
    .unwrap();
    write(dir.path(), ".github/workflows/pins.yml", workflow);
    Command::new(&tools.actionlint)
        .current_dir(dir.path())
        .args(["-no-color", ".github/workflows/pins.yml"])
        .output()
        .expect("run actionlint")
}

const WORKFLOW: &str = r#"name: pins
on: [push, pull_request]
permissions:
  contents: read
  security-events: write
jobs:
  pindrift:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: pindrift
        uses: ./
        with:
          paths: |
            services
            requirements.txt
          fail-on: warning
          strict: "false"
          config: pindrift.toml
          format: github
          sarif-file: pindrift.sarif
      - if: always()
        uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: pindrift.sarif
      - if: always()
        run: echo "exit ${EXIT_CODE}, ${FINDINGS} findings"
        env:
          EXIT_CODE: ${{ steps.pindrift.outputs.exit-code }}
          FINDINGS: ${{ steps.pindrift.outputs.findings }}
"#;

#[test]
#[ignore = "needs python3 and PyPI"]
fn actionlint_accepts_a_workflow_using_the_action_and_checks_its_inputs() {
    let Some(tools) = tools() else { return };
    let out = actionlint(tools, WORKFLOW);
    assert!(out.status.success(), "actionlint: {}", text(&out));

    // A misspelled input and an output the action does not have must both be caught:
    // proof that actionlint really validated against our action.yml.
    let broken = WORKFLOW
        .replace("fail-on: warning", "fail_on: warning")
        .replace("outputs.findings", "outputs.finding_count");
    let out = actionlint(tools, &broken);
    let output = text(&out);
    assert_eq!(out.status.code(), Some(1), "{output}");
    assert!(
        output.contains(r#"input "fail_on" is not defined in action "pindrift""#),
        "{output}"
    );
    assert!(output.contains("finding_count"), "{output}");
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    outputs: BTreeMap<String, String>,
}

/// Runs the action's steps in `workspace` with `inputs` (others take their defaults).
fn run_action(action: &Value, workspace: &Path, inputs: &[(&str, &str)]) -> Run {
    let runner = tempfile::tempdir().unwrap();
    let github_output = runner.path().join("output");
    let github_path = runner.path().join("path");
    std::fs::write(&github_output, "").unwrap();
    std::fs::write(&github_path, "").unwrap();
    let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_pindrift"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let input = |name: &str| -> String {
        let declared = &action["inputs"][name];
        assert!(declared.is_object(), "action.yml has no input {name}");
        inputs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
            .unwrap_or_else(|| declared["default"].as_str().unwrap_or("").to_string())
    };
    for (name, _) in inputs {
        input(name);
    }
    let resolve = |value: &str| -> String {
        let expr = value.trim();
        if let Some(name) = expr
            .strip_prefix("${{ inputs.")
            .and_then(|r| r.strip_suffix(" }}"))
        {
            input(name)
        } else if expr == "${{ github.action_path }}" {
            repo_root().to_string_lossy().into_owned()
        } else {
            assert!(!expr.contains("${{"), "unexpected expression {expr}");
            value.to_string()
        }
    };

    let mut last = None;
    for step in action["runs"]["steps"].as_array().unwrap() {
        assert_eq!(step["shell"], "bash", "{step}");
        let script = step["run"].as_str().unwrap();
        if step["id"] == "install" {
            assert!(
                script.contains(r#"cargo install --locked --path "$GITHUB_ACTION_PATH""#),
                "{script}"
            );
            continue;
        }
        let script_file = runner.path().join("step.sh");
        std::fs::write(&script_file, script).unwrap();
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script_file)
            .current_dir(workspace)
            .env("PATH", &path)
            .env("GITHUB_ACTION_PATH", repo_root())
            .env("GITHUB_WORKSPACE", workspace)
            .env("GITHUB_OUTPUT", &github_output)
            .env("GITHUB_PATH", &github_path)
            .env("RUNNER_TEMP", runner.path())
            .env("PINDRIFT_CACHE_DIR", repo_root().join("target/test-cache"))
            .env_remove("NO_COLOR");
        if let Some(env) = step["env"].as_object() {
            for (k, v) in env {
                cmd.env(k, resolve(v.as_str().unwrap()));
            }
        }
        let out = cmd.output().expect("run bash");
        let failed = !out.status.success();
        last = Some(out);
        if failed {
            break; // the runner stops at a failing step
        }
    }
    let out = last.expect("no run step");
    let outputs = std::fs::read_to_string(&github_output)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        outputs,
    }
}

fn jq_or_skip() -> bool {
    let ok = Command::new("jq")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    ok || unavailable("jq is not installed (the action reads the JSON report with it)")
}

#[test]
#[ignore = "needs python3 and PyPI"]
fn action_steps_run_for_real() {
    let Some(tools) = tools() else { return };
    if !jq_or_skip() {
        return;
    }
    let action = action(tools);

    // Every script reads inputs from its environment; none is interpolated into a script.
    for step in action["runs"]["steps"].as_array().unwrap() {
        let script = step["run"].as_str().unwrap();
        assert!(
            !script.contains("${{"),
            "expression inside a script: {script}"
        );
    }
    // The action's outputs are the check step's outputs.
    for (name, output) in action["outputs"].as_object().unwrap() {
        assert_eq!(
            output["value"],
            format!("${{{{ steps.check.outputs.{name} }}}}"),
            "output {name}"
        );
    }

    let ws = tempfile::tempdir().unwrap();
    let ws = ws.path();
    write(ws, "requirements.txt", "eventlet\n");
    write(ws, "other/requirements.txt", "flask\n");

    // Findings at the threshold: annotations on the log, exit 1, SARIF written.
    let run = run_action(
        &action,
        ws,
        &[
            ("paths", "requirements.txt"),
            ("sarif-file", "reports/pindrift.sarif"),
        ],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(
            "::warning file=requirements.txt,line=1,col=1,endLine=1,endColumn=9,title=PD101::"
        ),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("other/"),
        "paths input ignored: {}",
        run.stdout
    );
    assert_eq!(run.outputs["exit-code"], "1");
    assert_eq!(run.outputs["findings"], "1");
    let sarif: Value = serde_json::from_str(
        &std::fs::read_to_string(ws.join("reports/pindrift.sarif")).expect("SARIF written"),
    )
    .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "PD101");

    // Default paths (`.`): both files; a threshold above the findings passes.
    let run = run_action(&action, ws, &[("fail-on", "error")]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("file=other/requirements.txt"),
        "{}",
        run.stdout
    );
    assert_eq!(run.outputs["exit-code"], "0");
    assert_eq!(run.outputs["findings"], "2");

    // Clean: exit 0, no annotations.
    write(ws, "requirements.txt", "eventlet==0.20.0\n");
    std::fs::remove_dir_all(ws.join("other")).unwrap();
    let run = run_action(&action, ws, &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("::warning"), "{}", run.stdout);
    assert_eq!(run.outputs["exit-code"], "0");
    assert_eq!(run.outputs["findings"], "0");

    // strict: pinned but without --hash is PD107.
    let run = run_action(&action, ws, &[("strict", "true")]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("title=PD107::"), "{}", run.stdout);
    let run = run_action(&action, ws, &[("strict", "yes")]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);

    // Inputs are data, never code: a command substitution in `paths` is a missing file
    // (exit 2, passed on), not a command that runs.
    let run = run_action(&action, ws, &[("paths", "$(touch pwned) `touch pwned2`")]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(!ws.join("pwned").exists() && !ws.join("pwned2").exists());
    assert_eq!(run.outputs["exit-code"], "2");
    assert_eq!(run.outputs["findings"], "");

    // A config file from the `config` input.
    write(ws, "ci/pindrift.toml", "profile = \"strict\"\n");
    let run = run_action(&action, ws, &[("config", "ci/pindrift.toml")]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("title=PD107::"), "{}", run.stdout);
}
