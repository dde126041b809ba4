//! The GitHub Action (`action.yml`), exercised with real tools:
//!
//! * actionlint (from PyPI, see tests/support/py_tools.rs) lints a workflow that uses the
//!   action with `uses: ./`; actionlint reads the local action.yml and checks the `with:`
//!   inputs and `steps.<id>.outputs` against it, so a misspelled input must be reported.
//! * The action's `run:` steps are executed with bash as the runner does
//!   (`bash --noprofile --norc -eo pipefail`): action.yml is parsed with PyYAML, each step's
//!   `env:` is resolved from the chosen inputs (or the defaults), `GITHUB_ACTION_PATH`,
//!   `GITHUB_OUTPUT`, `GITHUB_PATH` and `RUNNER_TEMP` are set, and the workspace is a
//!   temporary folder. `uses:` steps (actions/cache) are not run: their outputs are set by
//!   the test (a cache miss, or a hit). The install step is run for real against a release
//!   made locally from the test binary and served from a `file://` URL (good checksum,
//!   tampered tarball, missing checksum, cache hit) and, for a ref without a release, with a
//!   real `cargo install` (quick profile, as tests/pre_commit.rs); the other tests put the
//!   test binary first on PATH, which is what the install step achieves.
//! * The check and drift commands run for real (drift on freeze files, no engine needed);
//!   audit's command line is recorded by a `pindrift` wrapper that then runs the real
//!   binary (`pindrift audit` comes from another branch: its outcome is passed on as is).
//! * actionlint also checks `.github/workflows/release.yml`.
//!
//! `#[ignore]`d: needs python3, PyPI and jq; run with `--include-ignored`, fails when they are unavailable.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

#[path = "support/py_tools.rs"]
mod py_tools;
#[path = "support/venv.rs"]
mod venv;

use py_tools::{release_target, repo_root, tools, unavailable, Tools};
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

/// actionlint on one of this repository's own workflows (it also runs shellcheck on the
/// `run:` scripts when shellcheck is installed).
fn actionlint_repo_workflow(tools: &Tools, rel: &str) -> Output {
    Command::new(&tools.actionlint)
        .current_dir(repo_root())
        .args(["-no-color", rel])
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
  deploy-audit:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: audit
        uses: ./
        with:
          command: audit
          running: container:prod-1 container:prod-2
          candidate: image:app:2.3
          format: markdown
          args: --baseline .pindrift-baseline.json
          summary: "true"
      - id: drift
        uses: ./
        with:
          command: drift
          sources: freeze:ops/prod.freeze.txt image:app:2.3
          fail-on: minor
      - run: echo "${VERDICT} ${DRIFT}"
        env:
          VERDICT: ${{ steps.audit.outputs.verdict }}
          DRIFT: ${{ steps.drift.outputs.exit-code }}
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

#[test]
#[ignore = "needs python3 and PyPI"]
fn actionlint_accepts_the_release_workflow() {
    let Some(tools) = tools() else { return };
    let out = actionlint_repo_workflow(tools, ".github/workflows/release.yml");
    assert!(out.status.success(), "actionlint: {}", text(&out));
    // The same actionlint rejects a broken copy: a matrix key that does not exist.
    let dir = tempfile::tempdir().unwrap();
    let broken = std::fs::read_to_string(repo_root().join(".github/workflows/release.yml"))
        .unwrap()
        .replace(
            "runs-on: ${{ matrix.runner }}",
            "runs-on: ${{ matrix.runners }}",
        );
    write(dir.path(), ".github/workflows/release.yml", &broken);
    let out = Command::new(&tools.actionlint)
        .current_dir(dir.path())
        .args(["-no-color", ".github/workflows/release.yml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("runners"), "{}", text(&out));
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    /// The outputs of the last step that ran (the `run` step's are the action's outputs).
    outputs: BTreeMap<String, String>,
    /// `$GITHUB_STEP_SUMMARY` after the run.
    summary: String,
    /// `$GITHUB_PATH` after the run.
    github_path: String,
}

/// How the runner around the steps is set up.
#[derive(Default)]
struct Setup<'a> {
    inputs: &'a [(&'a str, &'a str)],
    /// Run the install step for real (else the test binary is put first on PATH, which is
    /// what the install step achieves, and the step is not run).
    install: bool,
    /// `steps.cache.outputs.cache-hit` (`actions/cache` is not run).
    cache_hit: bool,
    /// `github.server_url`, `github.action_repository`, `github.action_ref`.
    server_url: Option<String>,
    repository: Option<&'a str>,
    git_ref: Option<&'a str>,
    /// `$RUNNER_TOOL_CACHE` (default: a temporary folder).
    tool_cache: Option<&'a Path>,
    /// Folders put first on PATH (before the test binary's).
    path_first: Vec<PathBuf>,
    /// Extra environment for every step.
    env: Vec<(&'a str, String)>,
    /// Stop after this step.
    last_step: Option<&'a str>,
}

fn run_action(action: &Value, workspace: &Path, inputs: &[(&str, &str)]) -> Run {
    run_with(
        action,
        workspace,
        &Setup {
            inputs,
            ..Setup::default()
        },
    )
}

/// Runs the action's steps in `workspace` as the runner does: each `run:` step with
/// `bash --noprofile --norc -eo pipefail`, its `env:` resolved from the inputs (or their
/// defaults), the `github` context and earlier steps' outputs, each step with its own
/// `$GITHUB_OUTPUT` file; `uses:` steps (actions/cache) are not run, their outputs come from
/// `setup`.
fn run_with(action: &Value, workspace: &Path, setup: &Setup<'_>) -> Run {
    let runner = tempfile::tempdir().unwrap();
    let github_path = runner.path().join("path");
    let github_summary = runner.path().join("summary.md");
    std::fs::write(&github_path, "").unwrap();
    std::fs::write(&github_summary, "").unwrap();
    let tool_cache = setup
        .tool_cache
        .map_or_else(|| runner.path().join("tool-cache"), Path::to_path_buf);
    let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_pindrift"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut dirs = setup.path_first.clone();
    if !setup.install {
        dirs.push(bin_dir);
    }
    let path = std::env::join_paths(dirs.into_iter().chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let inputs = setup.inputs;
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
    let mut step_outputs: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    step_outputs.insert(
        "cache".into(),
        [(
            "cache-hit".to_string(),
            if setup.cache_hit { "true" } else { "" }.to_string(),
        )]
        .into(),
    );
    let resolve = |value: &str, outputs: &BTreeMap<String, BTreeMap<String, String>>| -> String {
        let expr = value.trim();
        let Some(inner) = expr
            .strip_prefix("${{ ")
            .and_then(|r| r.strip_suffix(" }}"))
        else {
            assert!(!expr.contains("${{"), "unexpected expression {expr}");
            return value.to_string();
        };
        if let Some(name) = inner.strip_prefix("inputs.") {
            return input(name);
        }
        if let Some(rest) = inner.strip_prefix("steps.") {
            let (id, name) = rest.split_once(".outputs.").expect(expr);
            return outputs
                .get(id)
                .and_then(|o| o.get(name))
                .cloned()
                .unwrap_or_default();
        }
        match inner {
            "github.action_path" => repo_root().to_string_lossy().into_owned(),
            "github.server_url" => setup
                .server_url
                .clone()
                .unwrap_or_else(|| "https://github.invalid".into()),
            "github.action_repository" => setup.repository.unwrap_or("").into(),
            "github.action_ref" => setup.git_ref.unwrap_or("").into(),
            _ => panic!("unexpected expression {expr}"),
        }
    };

    let mut last = None;
    for step in action["runs"]["steps"].as_array().unwrap() {
        let id = step["id"]
            .as_str()
            .expect("every step has an id")
            .to_string();
        if step.get("uses").is_some() {
            assert!(step.get("run").is_none(), "{step}");
            continue;
        }
        assert_eq!(step["shell"], "bash", "{step}");
        let script = step["run"].as_str().unwrap();
        if id == "install" && !setup.install {
            assert!(
                script.contains(
                    r#"cargo install --locked --path "$GITHUB_ACTION_PATH" --root "$PINDRIFT_DIR""#
                ),
                "{script}"
            );
            continue;
        }
        let script_file = runner.path().join("step.sh");
        std::fs::write(&script_file, script).unwrap();
        let github_output = runner.path().join(format!("output-{id}"));
        std::fs::write(&github_output, "").unwrap();
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script_file)
            .current_dir(workspace)
            .env("PATH", &path)
            .env("GITHUB_ACTION_PATH", repo_root())
            .env("GITHUB_WORKSPACE", workspace)
            .env("GITHUB_OUTPUT", &github_output)
            .env("GITHUB_PATH", &github_path)
            .env("GITHUB_STEP_SUMMARY", &github_summary)
            .env("RUNNER_TEMP", runner.path())
            .env("RUNNER_TOOL_CACHE", &tool_cache)
            .env("RUNNER_OS", "Linux")
            .env("PINDRIFT_CACHE_DIR", repo_root().join("target/test-cache"))
            .env_remove("NO_COLOR");
        for (k, v) in &setup.env {
            cmd.env(k, v);
        }
        if let Some(env) = step["env"].as_object() {
            for (k, v) in env {
                cmd.env(k, resolve(v.as_str().unwrap(), &step_outputs));
            }
        }
        let out = cmd.output().expect("run bash");
        let failed = !out.status.success();
        let outputs = std::fs::read_to_string(&github_output)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        step_outputs.insert(id.clone(), outputs);
        last = Some((id.clone(), out));
        if failed || setup.last_step == Some(id.as_str()) {
            break; // the runner stops at a failing step
        }
    }
    let (id, out) = last.expect("no run step");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        outputs: step_outputs.remove(&id).unwrap_or_default(),
        summary: std::fs::read_to_string(&github_summary).unwrap(),
        github_path: std::fs::read_to_string(&github_path).unwrap(),
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
        let Some(script) = step["run"].as_str() else {
            continue; // actions/cache
        };
        assert!(
            !script.contains("${{"),
            "expression inside a script: {script}"
        );
    }
    // The action's outputs are the check step's outputs.
    for (name, output) in action["outputs"].as_object().unwrap() {
        assert_eq!(
            output["value"],
            format!("${{{{ steps.run.outputs.{name} }}}}"),
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
    assert_eq!(
        sarif["runs"][0]["automationDetails"]["id"],
        "pindrift/check/"
    );
    // The job summary: the Markdown report of the same run.
    assert!(
        run.summary.starts_with("### pindrift check\n"),
        "{}",
        run.summary
    );
    assert!(
        run.summary.contains("| warning | [PD101](https://github.com/pindrift/pindrift/blob/main/rules/PD101.md) | requirements.txt:1:1 | \\`eventlet\\` has no version specifier"),
        "{}",
        run.summary
    );
    let run = run_action(
        &action,
        ws,
        &[("paths", "requirements.txt"), ("summary", "false")],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.summary, "");

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

fn recording_pindrift(dir: &Path) -> PathBuf {
    // A `pindrift` first on PATH that writes its arguments (one per line) to a log and then
    // runs the real binary: what the step script passed, exactly, and the real outcome.
    let log = dir.join("args.log");
    let script = format!(
        "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done >> '{}'\necho --- >> '{}'\nexec '{}' \"$@\"\n",
        log.display(),
        log.display(),
        env!("CARGO_BIN_EXE_pindrift")
    );
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let path = bin.join("pindrift");
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// The argument lists of every call, in order.
fn calls(dir: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(dir.join("args.log"))
        .unwrap_or_default()
        .split("---\n")
        .filter(|c| !c.is_empty())
        .map(|c| c.lines().map(str::to_string).collect())
        .collect()
}

#[test]
#[ignore = "needs python3 and PyPI"]
fn action_annotations_stop_at_githubs_limit_and_the_summary_has_them_all() {
    let Some(tools) = tools() else { return };
    if !jq_or_skip() {
        return;
    }
    let action = action(tools);
    let ws = tempfile::tempdir().unwrap();
    let ws = ws.path();
    let names: String = (0..25).map(|i| format!("package-{i:02}\n")).collect();
    write(ws, "requirements.txt", &names);
    let run = run_action(&action, ws, &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout.matches("::warning file=").count(),
        10,
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("::notice title=pindrift::15 more not shown as annotations (15 warnings)"),
        "{}",
        run.stdout
    );
    assert_eq!(run.outputs["findings"], "25");
    for i in 0..25 {
        assert!(
            run.summary
                .contains(&format!("\\`package-{i:02}\\` has no version specifier")),
            "package-{i:02} missing from the summary:\n{}",
            run.summary
        );
    }
}

#[test]
#[ignore = "needs python3 and PyPI"]
fn action_drift_mode_runs_for_real_on_freeze_files() {
    let Some(tools) = tools() else { return };
    let action = action(tools);
    let ws = tempfile::tempdir().unwrap();
    let ws = ws.path();
    write(ws, "ops/prod.freeze.txt", "eventlet==0.20.0\nsix==1.16.0\n");
    write(ws, "ops/next.freeze.txt", "eventlet==0.20.1\nsix==1.16.0\n");
    let sources = "freeze:ops/prod.freeze.txt\n freeze:ops/next.freeze.txt";
    let run = run_action(&action, ws, &[("command", "drift"), ("sources", sources)]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("::error title=pindrift drift"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("eventlet"), "{}", run.stdout);
    assert_eq!(run.outputs["exit-code"], "1");
    assert_eq!(run.outputs["findings"], "");
    assert!(
        run.summary.starts_with("### pindrift drift"),
        "{}",
        run.summary
    );
    assert!(run.summary.contains("eventlet"), "{}", run.summary);

    // A threshold above the change: exit 0, the report still in the summary.
    let run = run_action(
        &action,
        ws,
        &[
            ("command", "drift"),
            ("sources", sources),
            ("fail-on", "minor"),
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.summary.contains("eventlet"), "{}", run.summary);
    // Wrong inputs are usage errors (exit 2) that name the input.
    for (inputs, message) in [
        (vec![("command", "drift")], "drift needs one or two sources"),
        (
            vec![
                ("command", "drift"),
                ("sources", "freeze:a freeze:b freeze:c"),
            ],
            "drift needs one or two sources",
        ),
        (
            vec![
                ("command", "drift"),
                ("sources", sources),
                ("sarif-file", "x.sarif"),
            ],
            "sarif-file applies to check only",
        ),
        (
            vec![("command", "lint")],
            "input command must be check, audit or drift",
        ),
    ] {
        let run = run_action(&action, ws, &inputs);
        assert_eq!(run.code, 2, "{inputs:?}: {}{}", run.stdout, run.stderr);
        assert!(run.stdout.contains(message), "{inputs:?}: {}", run.stdout);
        assert_eq!(run.outputs["exit-code"], "2");
    }
}

#[test]
#[ignore = "needs python3 and PyPI"]
fn action_audit_mode_builds_the_audit_command_line() {
    let Some(tools) = tools() else { return };
    let action = action(tools);
    let ws = tempfile::tempdir().unwrap();
    let ws = ws.path();
    write(ws, "requirements.txt", "eventlet==0.20.0\n");
    let rec = tempfile::tempdir().unwrap();
    let bin = recording_pindrift(rec.path());
    let run = run_with(
        &action,
        ws,
        &Setup {
            inputs: &[
                ("command", "audit"),
                ("running", "container:prod-1\ncontainer:prod-2"),
                ("candidate", "image:app:2.3"),
                ("config", "ci/pindrift.toml"),
                ("paths", "services requirements.txt"),
                ("args", "--output audit.md"),
            ],
            path_first: vec![bin],
            ..Setup::default()
        },
    );
    let calls = calls(rec.path());
    assert_eq!(
        calls[0],
        [
            "audit",
            "--format",
            "human",
            "--running",
            "container:prod-1",
            "--running",
            "container:prod-2",
            "--candidate",
            "image:app:2.3",
            "--config",
            "ci/pindrift.toml",
            "--output",
            "audit.md",
            "--",
            "services",
            "requirements.txt"
        ],
        "{}{}",
        run.stdout,
        run.stderr
    );
    // The outcome is pindrift's: exit code passed on, GO/NO-GO from 0/1, nothing on 2 (an
    // error, such as a binary without `audit`).
    assert_eq!(run.outputs["exit-code"], run.code.to_string());
    let verdict = match run.code {
        0 => "GO",
        1 => "NO-GO",
        _ => "",
    };
    assert_eq!(run.outputs["verdict"], verdict);
    if run.code != 2 {
        // The summary run: the same arguments, markdown.
        assert_eq!(calls[1][..3], ["audit", "--format", "markdown"]);
        assert_eq!(calls[1][3..], calls[0][3..]);
    }
    // Inputs audit needs, and those that do not apply to it, are usage errors.
    for (inputs, message) in [
        (
            vec![("command", "audit"), ("candidate", "image:a:1")],
            "audit needs the running input",
        ),
        (
            vec![("command", "audit"), ("running", "container:p")],
            "audit needs the candidate input",
        ),
        (
            vec![
                ("command", "audit"),
                ("running", "container:p"),
                ("candidate", "image:a:1"),
                ("fail-on", "error"),
            ],
            "fail-on does not apply to audit",
        ),
        (
            vec![
                ("command", "audit"),
                ("running", "container:p"),
                ("candidate", "image:a:1"),
                ("strict", "true"),
            ],
            "strict applies to check only",
        ),
    ] {
        let run = run_action(&action, ws, &inputs);
        assert_eq!(run.code, 2, "{inputs:?}: {}{}", run.stdout, run.stderr);
        assert!(run.stdout.contains(message), "{inputs:?}: {}", run.stdout);
        assert_eq!(run.outputs["verdict"], "");
    }
}

/// A release of `tag` under `server/owner/pindrift/releases/download/TAG/` made from the
/// test binary (see [`py_tools::write_release_asset`]). Returns the tarball's path.
fn local_release(server: &Path, tag: &str) -> PathBuf {
    py_tools::write_release_asset(&server.join("owner/pindrift/releases/download").join(tag))
}

#[test]
#[ignore = "needs python3 and PyPI"]
fn install_step_takes_a_verified_release_binary_and_refuses_a_bad_checksum() {
    let Some(tools) = tools() else { return };
    let action = action(tools);
    let ws = tempfile::tempdir().unwrap();
    let server = tempfile::tempdir().unwrap();
    let tarball = local_release(server.path(), "v0.1.0");
    let server_url = format!("file://{}", server.path().display());
    let tool_cache = tempfile::tempdir().unwrap();
    let setup = |git_ref| Setup {
        install: true,
        server_url: Some(server_url.clone()),
        repository: Some("owner/pindrift"),
        git_ref: Some(git_ref),
        tool_cache: Some(tool_cache.path()),
        last_step: Some("install"),
        ..Setup::default()
    };

    // Good checksum: the binary is installed and put on PATH.
    let run = run_with(&action, ws.path(), &setup("v0.1.0"));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(&format!(
            "release v0.1.0 for {}, SHA-256 ",
            release_target()
        )) && run.stdout.contains(" verified"),
        "{}",
        run.stdout
    );
    let bin_dir = PathBuf::from(run.github_path.trim());
    assert!(
        bin_dir.starts_with(tool_cache.path()),
        "{}",
        run.github_path
    );
    let out = Command::new(bin_dir.join("pindrift"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("pindrift 0.1.0"));

    // The cache restored that folder: used as it is, nothing downloaded (the server is gone).
    let mut cached = setup("v0.1.0");
    cached.cache_hit = true;
    cached.server_url = Some("file:///nonexistent".into());
    let run = run_with(&action, ws.path(), &cached);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("pindrift 0.1.0 from the cache"),
        "{}",
        run.stdout
    );
    assert_eq!(PathBuf::from(run.github_path.trim()), bin_dir);

    // A tampered tarball (one byte appended): refused loudly, nothing installed.
    let mut bytes = std::fs::read(&tarball).unwrap();
    bytes.push(0);
    std::fs::write(&tarball, &bytes).unwrap();
    let run = run_with(&action, ws.path(), &setup("v0.1.0"));
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("::error title=pindrift::checksum mismatch for file://"),
        "{}",
        run.stdout
    );
    assert!(!bin_dir.join("pindrift").exists());
    assert_eq!(run.github_path, "");

    // A release without its checksum file: refused too.
    std::fs::remove_file(tarball.with_extension("gz.sha256")).unwrap();
    let run = run_with(&action, ws.path(), &setup("v0.1.0"));
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("has no checksum file"),
        "{}",
        run.stdout
    );
    assert!(!bin_dir.join("pindrift").exists());
}

#[test]
#[ignore = "needs python3 and PyPI"]
fn install_step_builds_when_the_ref_has_no_release() {
    let Some(tools) = tools() else { return };
    let action = action(tools);
    let ws = tempfile::tempdir().unwrap();
    let server = tempfile::tempdir().unwrap();
    let tool_cache = tempfile::tempdir().unwrap();
    let root = repo_root();
    // The build is real (`cargo install --locked --path`), made quick as in
    // tests/pre_commit.rs: same target folder and profile variables, so they share it.
    let setup = Setup {
        install: true,
        server_url: Some(format!("file://{}", server.path().display())),
        repository: Some("owner/pindrift"),
        git_ref: Some("0123456789abcdef0123456789abcdef01234567"),
        tool_cache: Some(tool_cache.path()),
        last_step: Some("install"),
        env: vec![
            (
                "CARGO_TARGET_DIR",
                root.join("target/pre-commit-build").display().to_string(),
            ),
            ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0".into()),
            ("CARGO_PROFILE_RELEASE_LTO", "false".into()),
            ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256".into()),
            ("CARGO_PROFILE_RELEASE_INCREMENTAL", "true".into()),
        ],
        ..Setup::default()
    };
    let run = run_with(&action, ws.path(), &setup);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("No release binary at file://")
            && run.stdout.contains("building pindrift"),
        "{}",
        run.stdout
    );
    let bin_dir = PathBuf::from(run.github_path.trim());
    assert!(
        bin_dir.starts_with(tool_cache.path()),
        "{}",
        run.github_path
    );
    let out = Command::new(bin_dir.join("pindrift"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("pindrift 0.1.0"));
}
