//! Issue 7 ("right where users stand") and the file-reading part of issue 14: findings do
//! not depend on the folder pindrift runs from, options reach the model, files outside the
//! tree are not read, and what could not be judged is reported.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

#[path = "support/venv.rs"]
mod venv;

use assert_cmd::Command;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn pindrift() -> Command {
    let mut cmd = Command::cargo_bin("pindrift").unwrap();
    cmd.env_remove("NO_COLOR")
        .env_remove("PIP_CONSTRAINT")
        .env("CI", "true");
    cmd
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

/// Runs `pindrift check ARGS --format json --no-config` in `cwd`; returns the exit code and
/// the (absolute file, line, code) of every finding.
fn findings_from(cwd: &Path, args: &[&str]) -> (i32, BTreeSet<(PathBuf, u64, String)>) {
    let out = pindrift()
        .current_dir(cwd)
        .arg("check")
        .args(args)
        .args(["--format", "json", "--no-config"])
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?} in {}: {e}\n{stdout}\n{}",
            cwd.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let set = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let shown = PathBuf::from(f["path"].as_str().unwrap());
            let path = pindrift::paths::normalize_lexically(&cwd.join(shown));
            (
                path,
                f["line"].as_u64().unwrap(),
                f["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (code, set)
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap()
}

/// The same file or folder linted from inside its folder, from the folder above and by
/// absolute path from `/`: the same findings, the same exit code.
fn assert_same_everywhere(target: &Path) -> BTreeSet<(PathBuf, u64, String)> {
    let target = canonical(target);
    let (inside_cwd, inside_arg) = if target.is_dir() {
        (target.clone(), ".".to_string())
    } else {
        (
            target.parent().unwrap().to_path_buf(),
            target.file_name().unwrap().to_string_lossy().into_owned(),
        )
    };
    let above_cwd = inside_cwd.parent().unwrap().to_path_buf();
    let above_arg = target
        .strip_prefix(&above_cwd)
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let absolute_arg = target.to_string_lossy().into_owned();
    let inside = findings_from(&inside_cwd, &[&inside_arg]);
    let above = findings_from(&above_cwd, &[&above_arg]);
    let absolute = findings_from(Path::new("/"), &[&absolute_arg]);
    assert_eq!(inside, above, "{}: inside vs above", target.display());
    assert_eq!(inside, absolute, "{}: inside vs absolute", target.display());
    inside.1
}

#[test]
fn requirements_named_in_a_dockerfile_are_followed_from_the_folder_itself() {
    let dir = tempfile::tempdir().unwrap();
    let service = dir.path().join("service");
    write(
        &service.join("Dockerfile"),
        "FROM python:3.12\nWORKDIR /app\nCOPY deps.txt .\nRUN pip install -r deps.txt\n",
    );
    write(&service.join("deps.txt"), "eventlet\n");
    for target in [service.clone(), service.join("Dockerfile")] {
        let found = assert_same_everywhere(&target);
        let codes: Vec<&str> = found.iter().map(|(_, _, c)| c.as_str()).collect();
        assert_eq!(codes, ["PD101"], "{}: {found:?}", target.display());
        // No argument at all, in the folder.
        let (code, none) = findings_from(&canonical(&service), &[]);
        assert_eq!((code, &none), (1, &found));
    }
}

/// Every Dockerfile fixture and the demo: the set of (file, line, code) is identical from
/// three working directories.
#[test]
fn findings_do_not_depend_on_the_working_directory() {
    let root = venv::repo_root();
    let mut targets: Vec<PathBuf> = std::fs::read_dir(root.join("fixtures/dockerfile"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    targets.push(root.join("fixtures/demo/Dockerfile"));
    targets.push(root.join("fixtures/demo"));
    targets.sort();
    for target in &targets {
        assert_same_everywhere(target);
    }
    eprintln!(
        "{} targets agree from three working directories",
        targets.len()
    );
}

/// The same for every Dockerfile and every repository folder of the shared corpus.
#[test]
#[ignore = "needs ../shared"]
fn corpus_findings_do_not_depend_on_the_working_directory() {
    let corpus = venv::repo_root().join("../shared/corpus/real");
    let Ok(index) = std::fs::read_to_string(corpus.join("INDEX.tsv")) else {
        venv::unavailable(&format!("{} is absent", corpus.display()))
    };
    let mut targets: Vec<PathBuf> = Vec::new();
    for line in index.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.get(2) == Some(&"dockerfile") {
            targets.push(corpus.join(cols[0].replace('/', "+")).join(cols[1]));
        }
    }
    for entry in std::fs::read_dir(&corpus).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            targets.push(path);
        }
    }
    for target in &targets {
        assert_same_everywhere(target);
    }
    eprintln!(
        "{} corpus targets agree from three working directories",
        targets.len()
    );
}

#[test]
fn demo_in_its_own_folder_has_no_pd213() {
    let demo = venv::repo_root().join("fixtures/demo");
    let (code, found) = findings_from(&demo, &[]);
    assert_eq!(code, 1);
    assert!(found.iter().all(|(_, _, c)| c != "PD213"), "{found:?}");
    assert_eq!(found.len(), 3, "{found:?}");
}

fn constraints_service(dockerfile: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("Dockerfile"), dockerfile);
    write(&dir.path().join("requirements.txt"), "redis\n");
    write(
        &dir.path().join("constraints.txt"),
        "redis==5.0.1\nDjango<6.0\n",
    );
    dir
}

#[test]
fn constraints_on_the_pip_command_line_take_part_in_the_install() {
    for dockerfile in [
        "FROM python:3.12\nCOPY . /app\nWORKDIR /app\nRUN pip install -r requirements.txt -c constraints.txt\n",
        "FROM python:3.12\nCOPY . /app\nWORKDIR /app\nRUN pip install --constraint=constraints.txt -r requirements.txt redis\n",
        "FROM python:3.12\nCOPY . /app\nENV PIP_CONSTRAINT=/app/constraints.txt\nRUN pip install -r /app/requirements.txt\n",
        "FROM python:3.12\nCOPY . /app\nARG PIP_CONSTRAINT=\"/app/none.txt /app/constraints.txt\"\nRUN pip install -r /app/requirements.txt\n",
        "FROM python:3.12\nCOPY . /app\nRUN PIP_CONSTRAINT=/app/constraints.txt pip install -r /app/requirements.txt\n",
    ] {
        let dir = constraints_service(dockerfile);
        let (code, found) = findings_from(dir.path(), &[]);
        let codes: Vec<&str> = found.iter().map(|(_, _, c)| c.as_str()).collect();
        // `/app/none.txt` is not in the context: a note, the rest is pinned.
        assert!(
            codes.iter().all(|c| *c == "PD213"),
            "{dockerfile}\n{found:?}"
        );
        assert_eq!(code, 0, "{dockerfile}");
    }
    // Without the constraint, redis floats.
    let dir = constraints_service(
        "FROM python:3.12\nCOPY . /app\nWORKDIR /app\nRUN pip install -r requirements.txt\n",
    );
    let (code, found) = findings_from(dir.path(), &[]);
    let codes: Vec<&str> = found.iter().map(|(_, _, c)| c.as_str()).collect();
    assert_eq!((code, codes), (1, vec!["PD101"]), "{found:?}");
}

#[test]
fn summary_counts_the_files_findings_are_in() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("Dockerfile"),
        "FROM python:3.12\nCOPY . .\nRUN pip install -r a.txt -r b.txt\n",
    );
    write(&dir.path().join("a.txt"), "eventlet\n");
    write(&dir.path().join("b.txt"), "gunicorn\n");
    pindrift()
        .current_dir(dir.path())
        .args(["check", "--no-config"])
        .assert()
        .code(1)
        .stdout(predicates::str::ends_with(
            "Found 2 problems (0 errors, 2 warnings, 0 notes) in 2 files (3 files read).\n",
        ));
    let out = pindrift()
        .current_dir(dir.path())
        .args(["check", "--no-config", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["files"], 3, "{json}");
    assert_eq!(json["summary"]["files_with_findings"], 2, "{json}");
}

#[test]
fn dockerfile_look_alikes_are_not_linted() {
    let dir = tempfile::tempdir().unwrap();
    let df = "FROM python:3.12\n";
    write(&dir.path().join("Dockerfile"), df);
    write(&dir.path().join("Dockerfile.dockerignore"), "*.pyc\n!app\n");
    for name in [
        "Dockerfile.md",
        "Dockerfile.sh",
        "Dockerfile~",
        "Dockerfile.swp",
        "Dockerfile.orig",
        "Dockerfile.bak",
        "Dockerfile.rej",
        "api.Dockerfile.dockerignore",
    ] {
        write(&dir.path().join(name), "FROM python\n");
    }
    pindrift()
        .current_dir(dir.path())
        .args(["check", "--no-config"])
        .assert()
        .code(0)
        .stdout("No problems in 1 file.\n");
}

#[test]
fn dockerfile_dash_names_are_dockerfiles() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("Dockerfile-dev"), "FROM python\n");
    let (code, found) = findings_from(dir.path(), &[]);
    let codes: Vec<&str> = found.iter().map(|(_, _, c)| c.as_str()).collect();
    assert_eq!((code, codes), (1, vec!["PD201"]));
    let (_, named) = findings_from(dir.path(), &["Dockerfile-dev"]);
    assert_eq!(named, found);
}

#[test]
fn a_named_file_is_recognised_by_its_content() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        (
            "syntax.build",
            "# syntax=docker/dockerfile:1\nFROM python\n",
        ),
        ("escape.build", "# escape=`\n\nFROM python\n"),
        ("bom.build", "\u{feff}FROM python\n"),
        (
            "comment.build",
            "# the service\n\narg BASE=python\nFROM ${BASE}\n",
        ),
    ] {
        write(&dir.path().join(name), text);
        let (code, found) = findings_from(dir.path(), &[name]);
        let codes: Vec<&str> = found.iter().map(|(_, _, c)| c.as_str()).collect();
        assert_eq!((code, codes), (1, vec!["PD201"]), "{name}");
    }
    // Requirements content is a requirements file.
    write(&dir.path().join("deps.lock"), "# pins\neventlet\n");
    let (_, found) = findings_from(dir.path(), &["deps.lock"]);
    let codes: Vec<&str> = found.iter().map(|(_, _, c)| c.as_str()).collect();
    assert_eq!(codes, ["PD101"]);
    // Neither: say so instead of 3 bogus PD001.
    write(
        &dir.path().join("notes"),
        "Some notes: this is prose.\nMore prose, line two.\n",
    );
    pindrift()
        .current_dir(dir.path())
        .args(["check", "notes", "--no-config"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("notes").and(predicates::str::contains("--kind")));
    // --kind still forces.
    let (_, forced) = findings_from(dir.path(), &["syntax.build", "--kind", "requirements"]);
    assert!(forced.iter().all(|(_, _, c)| c == "PD001"), "{forced:?}");
}

use predicates::prelude::*;

#[test]
fn named_build_contexts_are_not_images() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("Dockerfile"),
        "FROM base-ctx AS build\nFROM python:3.12\nCOPY --from=plugin-src /src /plugins\n\
         RUN --mount=from=plugin-src,target=/p true\n",
    );
    let (_, bare) = findings_from(dir.path(), &[]);
    assert_eq!(
        bare.iter().filter(|(_, _, c)| c == "PD201").count(),
        3,
        "{bare:?}"
    );
    let (code, with_flag) = findings_from(
        dir.path(),
        &[
            "--build-context",
            "plugin-src=../plugins",
            "--build-context",
            "base-ctx",
        ],
    );
    assert_eq!((code, with_flag.len()), (0, 0), "{with_flag:?}");
    write(
        &dir.path().join("pindrift.toml"),
        "build-contexts = [\"plugin-src\", \"base-ctx=docker-image://python:3.12\"]\n",
    );
    pindrift()
        .current_dir(dir.path())
        .args(["check"])
        .assert()
        .code(0);
}

/// A repository folder and a secret beside it.
fn repo_with_secret() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("secret.txt"),
        "TOPSECRET-1\nTOPSECRET-2 garbage ::: !!\n",
    );
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    (dir, repo)
}

fn all_formats(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Vec<(i32, String)> {
    ["human", "json", "sarif", "github"]
        .iter()
        .map(|format| {
            let mut cmd = pindrift();
            cmd.current_dir(cwd)
                .arg("check")
                .args(args)
                .args(["--no-config", "--format", format]);
            for (k, v) in env {
                cmd.env(k, v);
            }
            let out = cmd.output().unwrap();
            (
                out.status.code().unwrap_or(-1),
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
            )
        })
        .collect()
}

#[test]
fn includes_outside_the_tree_are_reported_not_read() {
    let (dir, repo) = repo_with_secret();
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), repo.join("link.txt")).unwrap();
    for include in [
        "-r ../secret.txt",
        "--requirement=../secret.txt",
        "-c../secret.txt",
        "-r sub/../../secret.txt",
        "-r link.txt",
        "-r /proc/self/environ",
    ] {
        write(
            &repo.join("requirements.txt"),
            &format!("eventlet==0.20.0\n{include}\n"),
        );
        for (code, output) in all_formats(&repo, &[], &[("PINDRIFT_TEST_SECRET", "s3cr3t")]) {
            assert_eq!(code, 1, "{include}: {output}");
            assert!(
                !output.contains("TOPSECRET") && !output.contains("s3cr3t"),
                "{include}: {output}"
            );
            assert!(output.contains("PD002"), "{include}: {output}");
            assert!(output.contains("outside"), "{include}: {output}");
        }
    }
    // Allowed on request, by flag or configuration.
    write(
        &repo.join("requirements.txt"),
        "eventlet==0.20.0\n-r ../secret.txt\n",
    );
    let (_, found) = findings_from(&repo, &["--allow-outside"]);
    assert!(found.iter().any(|(p, _, _)| p.ends_with("secret.txt")));
    write(&repo.join("pindrift.toml"), "allow-outside = true\n");
    pindrift()
        .current_dir(&repo)
        .args(["check", "--format", "json"])
        .assert()
        .stdout(predicates::str::contains("TOPSECRET"));
}

#[test]
fn the_tree_is_the_git_work_tree_or_the_named_folder() {
    let (dir, repo) = repo_with_secret();
    write(&repo.join(".git/HEAD"), "ref: refs/heads/main\n");
    write(&repo.join("shared/base.txt"), "eventlet==0.20.0\n");
    write(
        &repo.join("svc/requirements.txt"),
        "-r ../shared/base.txt\n-r ../../secret.txt\n",
    );
    // Named `svc`: the tree is the git work tree around it, so `../shared` is inside.
    let (code, found) = findings_from(&repo, &["svc"]);
    let codes: Vec<&str> = found.iter().map(|(_, _, c)| c.as_str()).collect();
    assert_eq!((code, codes), (1, vec!["PD002"]), "{found:?}");
    // Without git, the named folder is the tree.
    std::fs::remove_dir_all(repo.join(".git")).unwrap();
    let (_, found) = findings_from(&repo.join("svc"), &[]);
    assert_eq!(found.len(), 2, "{found:?}");
    drop(dir);
}

#[test]
fn dockerfile_requirements_through_a_symlink_out_of_the_context_are_not_read() {
    let (dir, repo) = repo_with_secret();
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), repo.join("req.txt")).unwrap();
    write(
        &repo.join("Dockerfile"),
        "FROM python:3.12\nCOPY req.txt /r.txt\nRUN pip install -r /r.txt\n",
    );
    let runs = [
        all_formats(&repo, &["Dockerfile"], &[]),
        all_formats(dir.path(), &["repo/Dockerfile"], &[]),
        all_formats(dir.path(), &["repo"], &[]),
    ];
    for (_, output) in runs.iter().flatten() {
        assert!(!output.contains("TOPSECRET"), "{output}");
        assert!(output.contains("PD213"), "{output}");
    }
}

#[test]
fn a_line_that_fails_to_parse_is_shown_as_a_short_escaped_excerpt() {
    let dir = tempfile::tempdir().unwrap();
    let long = format!("root:$6${}:\u{1b}[31m:19000:::", "x".repeat(5000));
    write(&dir.path().join("requirements.txt"), &format!("{long}\n"));
    let out = pindrift()
        .current_dir(dir.path())
        .args(["check", "--no-config", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let message = json["findings"][0]["message"].as_str().unwrap();
    assert_eq!(json["findings"][0]["code"], "PD001");
    assert!(message.chars().count() < 400, "{}", message.len());
    assert!(!message.contains('\u{1b}'), "{message}");
}

/// The configuration that applies is the one of the linted folder, not of the folder
/// pindrift runs from.
#[test]
fn configuration_is_found_from_the_named_path() {
    let dir = tempfile::tempdir().unwrap();
    let svc = dir.path().join("svc");
    write(&svc.join("requirements.txt"), "eventlet\n");
    write(&svc.join("pindrift.toml"), "ignore = [\"PD101\"]\n");
    for (cwd, arg) in [
        (svc.clone(), "."),
        (dir.path().to_path_buf(), "svc"),
        (PathBuf::from("/"), svc.to_str().unwrap()),
        (dir.path().to_path_buf(), "svc/requirements.txt"),
    ] {
        pindrift()
            .current_dir(&cwd)
            .args(["check", arg])
            .assert()
            .code(0);
    }
}

/// `exclude` patterns of a configuration file are relative to that file's folder, like a
/// `.gitignore`, whatever folder is linted or run from.
#[test]
fn configured_excludes_are_relative_to_the_configuration_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(&root.join(".git/HEAD"), "ref: refs/heads/main\n");
    write(&root.join("pindrift.toml"), "exclude = [\"svc/legacy/\"]\n");
    write(&root.join("svc/legacy/requirements.txt"), "eventlet\n");
    write(&root.join("svc/requirements.txt"), "eventlet==0.20.0\n");
    for (cwd, arg) in [
        (root.to_path_buf(), "."),
        (root.to_path_buf(), "svc"),
        (root.join("svc"), "."),
        (PathBuf::from("/"), root.join("svc").to_str().unwrap()),
    ] {
        pindrift()
            .current_dir(&cwd)
            .args(["check", arg])
            .assert()
            .code(0)
            .stdout("No problems in 1 file.\n");
    }
}

/// A found symlink whose target is outside the tree is not read; the run says so (exit 2)
/// instead of printing the target or passing silently.
#[test]
fn found_symlinks_out_of_the_tree_are_not_read() {
    let (dir, repo) = repo_with_secret();
    write(&repo.join("app/requirements.txt"), "eventlet==0.20.0\n");
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), repo.join("requirements.txt"))
        .unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), repo.join("Dockerfile")).unwrap();
    for (code, output) in all_formats(&repo, &[], &[]) {
        assert_eq!(code, 2, "{output}");
        assert!(!output.contains("TOPSECRET"), "{output}");
        assert!(output.contains("outside the tree"), "{output}");
    }
    // A link inside the tree is followed as before.
    std::fs::remove_file(repo.join("requirements.txt")).unwrap();
    std::fs::remove_file(repo.join("Dockerfile")).unwrap();
    std::os::unix::fs::symlink("app/requirements.txt", repo.join("requirements.txt")).unwrap();
    let (code, _) = findings_from(&repo, &[]);
    assert_eq!(code, 0);
}

/// pindrift does not fetch `-r https://…`: the report says so instead of passing in silence.
#[test]
fn remote_includes_are_reported_as_not_judged() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("requirements.txt"),
        "eventlet==0.20.0\n-r https://example.invalid/remote.txt\n",
    );
    let out = pindrift()
        .current_dir(dir.path())
        .args(["check", "--no-config", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let finding = &json["findings"][0];
    assert_eq!(
        (&finding["code"], &finding["level"], &finding["line"]),
        (&"PD002".into(), &"note".into(), &2.into()),
        "{json}"
    );
    assert!(finding["message"].as_str().unwrap().contains("not fetched"));
}

/// `--kind` forces the kind of the files named on the command line, not of every file a
/// walk finds (a Dockerfile read as requirements is a heap of bogus PD001).
#[test]
fn kind_applies_to_named_files_only() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("svc/Dockerfile"),
        "FROM python:3.12\nRUN true\n",
    );
    write(&dir.path().join("svc/requirements.txt"), "eventlet\n");
    write(&dir.path().join("deps"), "flask\n");
    let (_, found) = findings_from(dir.path(), &["svc", "deps", "--kind", "requirements"]);
    let codes: Vec<&str> = found.iter().map(|(_, _, c)| c.as_str()).collect();
    assert_eq!(codes, ["PD101", "PD101"], "{found:?}");
}

/// A found requirements file that is a dangling symlink cannot be judged: an error naming
/// it (exit 2), not silence.
#[test]
fn dangling_symlinks_with_lintable_names_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("requirements.txt"), "eventlet==0.20.0\n");
    std::os::unix::fs::symlink("gone.txt", dir.path().join("requirements-dev.txt")).unwrap();
    pindrift()
        .current_dir(dir.path())
        .args(["check", "--no-config"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("requirements-dev.txt"));
}

/// `--context DIR` is named on the command line too: its files may be read.
#[test]
fn the_named_context_is_part_of_the_tree() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("docker/Dockerfile"),
        "FROM python:3.12\nCOPY requirements.txt /r.txt\nRUN pip install -r /r.txt\n",
    );
    write(&dir.path().join("requirements.txt"), "eventlet\n");
    let (code, found) = findings_from(dir.path(), &["docker/Dockerfile", "--context", "."]);
    let codes: Vec<&str> = found.iter().map(|(_, _, c)| c.as_str()).collect();
    assert_eq!((code, codes), (1, vec!["PD101"]), "{found:?}");
}

/// A stage built `FROM` an earlier stage inherits its `WORKDIR` and files: a `pip -r` there is
/// followed to the file the base stage copied.
#[test]
fn stages_inherit_workdir_and_copies_from_their_base_stage() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("Dockerfile"),
        "FROM python:3.12 AS base\nWORKDIR /app\nCOPY requirements/prod.txt req.txt\n\
         FROM python:3.12 AS other\nRUN true\n\
         FROM base AS app\nRUN pip install -r req.txt\n",
    );
    write(&dir.path().join("requirements/prod.txt"), "eventlet\n");
    let (_, found) = findings_from(dir.path(), &["Dockerfile"]);
    let codes: Vec<(u64, &str)> = found.iter().map(|(_, l, c)| (*l, c.as_str())).collect();
    assert_eq!(codes, [(1, "PD101")], "{found:?}");
}

/// An unreadable folder is an error naming it (exit 2), and everything else is still linted
/// and reported: one bad folder used to hide every finding. Needs root (to drop to nobody).
#[test]
fn an_unreadable_folder_does_not_hide_the_other_findings() {
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if !is_root || !Path::new("/usr/bin/setpriv").exists() {
        eprintln!("SKIPPED: needs root and setpriv to run as an unprivileged user");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("requirements.txt"), "eventlet\n");
    write(&dir.path().join("locked/requirements.txt"), "flask\n");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        dir.path().join("locked"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let binary = assert_cmd::cargo::cargo_bin("pindrift");
    let out = std::process::Command::new("/usr/bin/setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&binary)
        .args(["check", "--no-config"])
        .current_dir(dir.path())
        .env("CI", "true")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    std::fs::set_permissions(
        dir.path().join("locked"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stdout.contains("`eventlet`"), "{stdout}\n{stderr}");
    assert!(stderr.contains("locked"), "{stderr}");
}

/// `--build-context NAME=docker-image://REF` replaces the image NAME with REF, as BuildKit
/// does: REF is the image judged.
#[test]
fn a_docker_image_build_context_is_judged_as_its_image() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("Dockerfile"),
        "FROM base-ctx\nCOPY --from=tools:latest /bin/x /x\n",
    );
    let (_, found) = findings_from(
        dir.path(),
        &[
            "--build-context",
            "base-ctx=docker-image://python",
            "--build-context",
            "tools=docker-image://busybox:1.36",
        ],
    );
    let codes: Vec<(u64, &str)> = found.iter().map(|(_, l, c)| (*l, c.as_str())).collect();
    assert_eq!(codes, [(1, "PD201")], "{found:?}");
    let out = pindrift()
        .current_dir(dir.path())
        .args(["check", "--no-config", "--build-context"])
        .arg("base-ctx=docker-image://python")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("`python`") && stdout.contains("base-ctx"),
        "{stdout}"
    );
}
