//! Compose files found by `check` (issue 12.6): `services.*.image` under PD201/PD202/PD203
//! with `.env` interpolation, and a differential test against `docker-compose config`.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use saphyr::{LoadableYamlNode, Yaml};
use support::pindrift;

#[test]
fn compose_images_are_linted_with_env_interpolation() {
    let (code, out, err) = pindrift(&[
        "check",
        "fixtures/compose/shop",
        "fixtures/compose/worker",
        "--no-config",
        "--strict",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let got: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{} {}",
                f["path"].as_str().unwrap(),
                f["line"],
                f["column"],
                f["code"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            // Built by the `api` service with `PYTHON_VERSION: "3.12"`: `python:3.12-slim`.
            "fixtures/compose/shop/Dockerfile:2:6 PD203",
            // `${API_TAG:-dev}` with API_TAG=latest in .env.
            "fixtures/compose/shop/compose.yaml:8:12 PD202",
            // `${PG_VERSION}` = 16.4: a tag without a digest, strict only.
            "fixtures/compose/shop/compose.yaml:14:12 PD203",
            "fixtures/compose/shop/compose.yaml:19:12 PD201",
            "fixtures/compose/shop/compose.yaml:22:12 PD202",
            // `${NGINX_TAG-1.27-alpine}`: the default.
            "fixtures/compose/shop/compose.yaml:28:12 PD203",
            "fixtures/compose/worker/docker-compose.prod.yml:5:12 PD203",
            "fixtures/compose/worker/docker-compose.prod.yml:12:12 PD203",
            "fixtures/compose/worker/docker-compose.prod.yml:14:12 PD201",
        ]
    );
    // Alone, the Dockerfile has no value for the arg (PD204): the args came from Compose.
    let (_, out, _) = pindrift(&[
        "check",
        "fixtures/compose/shop/Dockerfile",
        "--no-config",
        "--strict",
    ]);
    assert!(out.contains("PD204") && !out.contains("PD203"), "{out}");
    // Without --strict the tags without digests are not reported.
    let (code, out, _) = pindrift(&[
        "check",
        "fixtures/compose/shop",
        "fixtures/compose/worker",
        "--no-config",
    ]);
    assert_eq!(code, 1);
    assert!(!out.contains("PD203"), "{out}");
    assert!(
        out.contains("(`registry.example.com/shop/api:latest`)"),
        "{out}"
    );
}

#[test]
fn a_compose_file_that_does_not_parse_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), "services:\n  web: [\n").unwrap();
    let (code, _, err) = pindrift(&["check", dir.path().to_str().unwrap(), "--no-config"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("compose.yaml"), "{err}");
}

fn compose_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/compose");
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(pindrift::lint::compose::is_compose_name)
        })
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}

/// Every Compose fixture: the image each service names, as `docker-compose config` resolves
/// it and as pindrift does. Compose also reads the process environment, so it runs with
/// none but PATH and HOME.
#[test]
#[ignore = "needs docker-compose (Debian's docker-compose package)"]
fn images_agree_with_docker_compose_config() {
    require_docker_compose();
    let files = compose_files();
    assert!(files.len() >= 2, "{files:?}");
    for file in files {
        let dir = file.parent().unwrap();
        let output = std::process::Command::new("docker-compose")
            .current_dir(dir)
            .args(["-f", file.file_name().unwrap().to_str().unwrap(), "config"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", std::env::var_os("HOME").unwrap_or_default())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8(output.stdout).unwrap();
        let docs = Yaml::load_from_str(&text).unwrap();
        let mut theirs = BTreeMap::new();
        if let Some(services) = docs[0]
            .as_mapping_get("services")
            .and_then(|s| s.as_mapping())
        {
            for (name, service) in services {
                if let Some(image) = service.as_mapping_get("image").and_then(|i| i.as_str()) {
                    theirs.insert(name.as_str().unwrap().to_string(), image.to_string());
                }
            }
        }
        let mut their_builds = BTreeMap::new();
        if let Some(services) = docs[0]
            .as_mapping_get("services")
            .and_then(|s| s.as_mapping())
        {
            for (name, service) in services {
                let Some(build) = service.as_mapping_get("build") else {
                    continue;
                };
                let context = build
                    .as_mapping_get("context")
                    .and_then(|c| c.as_str())
                    .unwrap();
                let mut args: Vec<(String, String)> = build
                    .as_mapping_get("args")
                    .and_then(|a| a.as_mapping())
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| {
                                (
                                    k.as_str().unwrap().to_string(),
                                    v.as_str().unwrap().to_string(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                args.sort();
                their_builds.insert(
                    name.as_str().unwrap().to_string(),
                    (std::fs::canonicalize(context).unwrap(), args),
                );
            }
        }
        let env = std::fs::read_to_string(dir.join(".env")).unwrap_or_default();
        let vars = pindrift::lint::compose::parse_dotenv(&env);
        let ours: BTreeMap<String, String> =
            pindrift::lint::compose::images(&std::fs::read_to_string(&file).unwrap(), &vars)
                .unwrap()
                .into_iter()
                .map(|i| (i.service, i.resolved.unwrap_or_default()))
                .collect();
        assert_eq!(ours, theirs, "{}", file.display());
        let our_builds: BTreeMap<String, (PathBuf, Vec<(String, String)>)> =
            pindrift::lint::compose::builds(&std::fs::read_to_string(&file).unwrap(), dir, &vars)
                .unwrap()
                .into_iter()
                .map(|b| {
                    let mut args = b.args;
                    args.sort();
                    (b.service, (std::fs::canonicalize(b.context).unwrap(), args))
                })
                .collect();
        assert_eq!(our_builds, their_builds, "{}", file.display());
    }
}

/// `docker-compose`, installed with apt-get when missing and allowed (root); else the test
/// fails naming it: it never passes without having compared.
fn require_docker_compose() {
    let present = || {
        std::process::Command::new("docker-compose")
            .arg("version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if present() {
        return;
    }
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false);
    if root {
        let _ = std::process::Command::new("sh")
            .args([
                "-c",
                "apt-get install -y -q docker-compose || { apt-get update -q && apt-get install -y -q docker-compose; }",
            ])
            .output();
    }
    assert!(
        present(),
        "needs docker-compose (Debian's docker-compose package: apt-get install docker-compose); \
         run `cargo test` without --include-ignored to leave this test out"
    );
}

/// `# expect: CODE, CODE` at the end of a Compose line names the codes reported on that
/// line; in a Dockerfile, a comment line `# expect:` names those of the next line.
fn compose_expectations(path: &Path, display: &str) -> BTreeSet<(String, u32, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let compose = pindrift::discover::classify(path) == Some(pindrift::discover::FileKind::Compose);
    let mut expected = BTreeSet::new();
    for (index, line) in text.lines().enumerate() {
        if let Some((_, codes)) = line.split_once("# expect:") {
            let line_no = index as u32 + if compose { 1 } else { 2 };
            for code in codes.split(',') {
                expected.insert((display.to_string(), line_no, code.trim().to_string()));
            }
        }
    }
    expected
}

/// Every group under `fixtures/compose/annotated/` (linted as one tree; strict when named
/// so) reports exactly the codes its annotations name, and its rendered report is
/// snapshotted. Run from another working directory, as users do.
#[test]
fn annotated_compose_fixtures_report_exactly_their_annotations() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/compose/annotated");
    let mut groups: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    groups.sort();
    assert!(groups.len() >= 3, "{groups:?}");
    let mut seen = 0;
    for group in groups {
        let name = group.file_name().unwrap().to_string_lossy().into_owned();
        let cwd = tempfile::tempdir().unwrap();
        let mut args = vec![
            "check".to_string(),
            group.to_string_lossy().into_owned(),
            "--no-config".into(),
            "--fail-on".into(),
            "note".into(),
            "--format".into(),
            "json".into(),
        ];
        if name.contains("strict") {
            args.push("--strict".into());
        }
        let out = assert_cmd::Command::cargo_bin("pindrift")
            .unwrap()
            .current_dir(cwd.path())
            .args(&args)
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let actual: BTreeSet<(String, u32, String)> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap() as u32,
                    f["code"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let mut expected = BTreeSet::new();
        for entry in walkdir::WalkDir::new(&group).sort_by_file_name() {
            let entry = entry.unwrap();
            if pindrift::discover::classify(entry.path()).is_some() {
                let display = entry.path().to_string_lossy().into_owned();
                expected.extend(compose_expectations(entry.path(), &display));
            }
        }
        seen += expected.len();
        assert_eq!(actual, expected, "fixture group {name}");
        assert_eq!(
            out.status.code(),
            Some(i32::from(!expected.is_empty())),
            "{name}"
        );
        // The human report, paths relative to the repository (as in the other snapshots).
        let mut human = vec!["check", "--no-config"];
        let rel = format!("fixtures/compose/annotated/{name}");
        human.push(&rel);
        if name.contains("strict") {
            human.push("--strict");
        }
        let (_, rendered, err) = pindrift(&human);
        assert!(err.is_empty(), "{err}");
        insta::assert_snapshot!(format!("compose_annotated_{name}"), rendered);
    }
    assert!(seen >= 10, "only {seen} annotations");
}

/// `--kind compose` reads a file of any name as a Compose file; without it, such a file
/// named on the command line is not guessed to be one.
#[test]
fn kind_compose_reads_a_file_named_otherwise() {
    let stack = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/compose/kind/stack.yml");
    let cwd = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("pindrift")
            .unwrap()
            .current_dir(cwd.path())
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    // A clean Compose file is counted as read (it once said "No problems in 0 files").
    let clean = tempfile::tempdir().unwrap();
    std::fs::write(
        clean.path().join("compose.yaml"),
        "services:\n  web:\n    image: python:3.12\n",
    )
    .unwrap();
    let (code, out, err) = run(&["check", clean.path().to_str().unwrap(), "--no-config"]);
    assert_eq!((code, out.trim()), (0, "No problems in 1 file."), "{err}");
    let path = stack.to_str().unwrap();
    let (code, out, err) = run(&["check", "--kind", "compose", path, "--no-config"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("stack.yml:4:12: PD202") && out.contains("service `web`"),
        "{out}"
    );
    let (code, out, err) = run(&["check", path, "--no-config"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(!out.contains("PD202"), "{out}");
    // A folder walk classifies by name: `stack.yml` is not found, `compose.override.yaml` and
    // `docker-compose.staging.yaml` are.
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "stack.yml",
        "compose.override.yaml",
        "docker-compose.staging.yaml",
        "compose.prod.yml",
    ] {
        std::fs::write(
            dir.path().join(name),
            "services:\n  web:\n    image: python\n",
        )
        .unwrap();
    }
    let (code, out, _) = run(&[
        "check",
        dir.path().to_str().unwrap(),
        "--no-config",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut files: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = f["path"].as_str().unwrap();
            p.rsplit('/').next().unwrap().to_string()
        })
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "compose.override.yaml",
            "compose.prod.yml",
            "docker-compose.staging.yaml"
        ]
    );
}

/// `include:` and `extends.file` are followed: the files they reach are linted as Compose
/// files whatever their names (and the Dockerfiles their services build), each once even in
/// a cycle; a reference that cannot be followed is PD002 at its value, never silence.
#[test]
fn includes_and_extends_files_are_followed_or_reported() {
    let tree = tempfile::tempdir().unwrap();
    let root = tree.path().join("repo");
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "compose.yaml",
        "include:\n  - common/services.yml\n  - path: [ops/missing.yml]\n  - ../outside.yml\n  - oci://registry.example/stack:1\n  - ${UNSET_DIR}/x.yml\nservices:\n  web:\n    extends:\n      file: base-services.yml\n      service: base\n",
    );
    // Reached only through include: `redis` has no tag.
    write(
        "common/services.yml",
        "services:\n  cache:\n    image: redis\n  back:\n    extends: {file: ../compose.yaml, service: web}\n",
    );
    // Reached only through extends: `python:latest`, and a build whose Dockerfile is linted.
    write(
        "base-services.yml",
        "services:\n  base:\n    image: python:latest\n  job:\n    build: ./job\n",
    );
    write(
        "job/Dockerfile",
        "FROM python:3.12\nRUN pip install flask\n",
    );
    std::fs::write(
        tree.path().join("outside.yml"),
        "services:\n  x:\n    image: busybox\n",
    )
    .unwrap();
    // A git work tree, so the tree pindrift reads is `repo`, not the temporary folder.
    let git = std::process::Command::new("git")
        .args(["init", "--quiet"])
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(git.status.success());

    let out = assert_cmd::Command::cargo_bin("pindrift")
        .unwrap()
        .current_dir(&root)
        .args(["check", "--no-config", "--format", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let got: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{} {} {}",
                f["path"].as_str().unwrap(),
                f["line"],
                f["column"],
                f["code"].as_str().unwrap(),
                f["level"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "base-services.yml:3:12 PD202 warning",
            "common/services.yml:3:12 PD201 warning",
            "compose.yaml:3:12 PD002 error",
            "compose.yaml:4:5 PD002 error",
            "compose.yaml:5:5 PD002 note",
            "compose.yaml:6:5 PD002 error",
            "job/Dockerfile:2:17 PD101 warning",
        ],
        "{stdout}"
    );
    let message = |line: u64| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == "compose.yaml" && f["line"] == line)
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(
        message(3).starts_with("include `ops/missing.yml`: No such file"),
        "{}",
        message(3)
    );
    assert!(message(4).contains("outside the tree"), "{}", message(4));
    assert!(message(5).contains("is remote: not read"), "{}", message(5));
    assert!(message(6).contains("unset variable"), "{}", message(6));
    // The files read: compose.yaml, the two reached ones and the Dockerfile.
    assert_eq!(v["summary"]["files"], 4, "{stdout}");
}
