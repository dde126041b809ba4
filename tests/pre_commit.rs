//! The pre-commit hook (`.pre-commit-hooks.yaml`), exercised with the real pre-commit from
//! PyPI (a virtualenv under `target/integrations-venv`, see tests/support/py_tools.rs).
//!
//! * `pre-commit validate-manifest` accepts the manifest, and its `files` regex, evaluated
//!   by Python's `re` as pre-commit does, matches exactly the names pindrift discovers.
//! * A temporary git repository whose `.pre-commit-config.yaml` uses the hook from this
//!   repository: pre-commit clones it and `pip install`s it (language python), which builds
//!   pindrift with cargo (hook/release_or_build.py) since the release URL points at a folder
//!   with no release; then the hook fails on an unpinned requirement and passes once it is
//!   pinned.
//! * A release made from the test binary, served from a file:// folder as the release
//!   workflow lays it out: the hook installs exactly that binary without building; a wrong
//!   checksum or a missing checksum file fails the install; a release built from other
//!   sources is not used (pindrift is built instead).
//!
//! pre-commit needs a git repository with a revision: the working tree (tracked and
//! untracked files, minus what .gitignore ignores, uncommitted changes included) is
//! committed into a bare snapshot repository `target/pre-commit-src.git` with fixed
//! author and dates, so unchanged sources give the same revision. `PRE_COMMIT_HOME` is
//! `target/pre-commit-home`, so pre-commit reuses its built environment for an unchanged
//! revision, and `CARGO_TARGET_DIR` is `target/pre-commit-build`, so a changed revision
//! rebuilds incrementally (the dependencies stay built; only pindrift itself compiles).
//! `PINDRIFT_RELEASE_URL` always points into a temporary or empty folder: no test reaches
//! GitHub.
//! The release profile is turned into a quick unoptimized one through `CARGO_PROFILE_*`
//! variables: this tests the hook's wiring, not the optimizer. Measured on the 2-core dev
//! machine: about 75 s for the first build, about 10 s after a source change (a new clone;
//! the dependencies stay built), under 1 s when nothing changed. (`pre-commit try-repo` is
//! not used: it makes a new store each run and so reinstalls every time.)
//!
//! `#[ignore]`d: needs python3 and PyPI; run with `--include-ignored`, fails when they are unavailable.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

#[path = "support/py_tools.rs"]
mod py_tools;
#[path = "support/venv.rs"]
mod venv;

use py_tools::{release_target, repo_root, tools, Tools};
use std::path::Path;
use std::process::{Command, Output};

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn git(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> String {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir).args(args);
    for var in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.env("GIT_AUTHOR_NAME", "pindrift tests")
        .env("GIT_AUTHOR_EMAIL", "tests@pindrift.invalid")
        .env("GIT_COMMITTER_NAME", "pindrift tests")
        .env("GIT_COMMITTER_EMAIL", "tests@pindrift.invalid")
        .env("GIT_AUTHOR_DATE", "2000-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2000-01-01T00:00:00Z");
    let out = cmd.output().expect("run git");
    assert!(out.status.success(), "git {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Commits the working tree into `target/pre-commit-src.git`; returns (repo, revision).
/// One test at a time: git's index lock does not let two snapshots run at once.
fn snapshot() -> (String, String) {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let root = repo_root();
    let bare = root.join("target/pre-commit-src.git");
    if !bare.join("HEAD").is_file() {
        let _ = std::fs::remove_dir_all(&bare);
        git(
            &root,
            &["init", "--quiet", "--bare", bare.to_str().unwrap()],
            &[],
        );
    }
    let env = [
        ("GIT_DIR", bare.as_path()),
        ("GIT_WORK_TREE", root.as_path()),
    ];
    git(&root, &["add", "--all"], &env);
    let tree = git(&root, &["write-tree"], &env);
    let commit = git(&root, &["commit-tree", &tree, "-m", "snapshot"], &env);
    git(&root, &["update-ref", "refs/heads/snapshot", &commit], &env);
    git(
        &root,
        &["symbolic-ref", "HEAD", "refs/heads/snapshot"],
        &env,
    );
    (bare.to_string_lossy().into_owned(), commit)
}

fn pre_commit(tools: &Tools, dir: &Path, args: &[&str]) -> Output {
    let root = repo_root();
    let no_release = format!(
        "file://{}",
        root.join("target/pre-commit-no-release").display()
    );
    pre_commit_with(
        tools,
        dir,
        args,
        &root.join("target/pre-commit-home"),
        &no_release,
    )
}

/// pre-commit with its store in `home`, releases looked for under `release_url`.
fn pre_commit_with(
    tools: &Tools,
    dir: &Path,
    args: &[&str],
    home: &Path,
    release_url: &str,
) -> Output {
    let root = repo_root();
    let mut cmd = Command::new(&tools.python);
    cmd.current_dir(dir)
        .args(["-m", "pre_commit"])
        .args(args)
        .env("PRE_COMMIT_HOME", home)
        .env("PINDRIFT_RELEASE_URL", release_url)
        .env("CARGO_TARGET_DIR", root.join("target/pre-commit-build"))
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "true")
        .env("NO_COLOR", "1");
    for var in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"] {
        cmd.env_remove(var);
    }
    cmd.output().expect("run pre-commit")
}

#[test]
#[ignore = "needs python3 and PyPI"]
fn manifest_is_valid_and_files_matches_what_pindrift_discovers() {
    let Some(tools) = tools() else { return };
    let root = repo_root();
    let out = pre_commit(
        tools,
        &root,
        &["validate-manifest", ".pre-commit-hooks.yaml"],
    );
    assert!(out.status.success(), "validate-manifest: {}", text(&out));

    // Names pre-commit may hand over (paths relative to the repository root), tricky ones
    // included: case, folders, suffixes, and a non-ASCII letter that folds to `s` in
    // Python's Unicode-aware IGNORECASE (the regex uses ASCII-only case folding).
    let names = [
        "requirements.txt",
        "REQUIREMENTS.TXT",
        "dev-requirements.txt",
        "svc/test_requirements_ci.txt",
        "requirements-dev.txt",
        "requirements.in",
        "requirements-dev.IN",
        "dev-requirements.in",
        "constraints.txt",
        "Constraints-prod.TXT",
        "constraints.in",
        "requirements/base.txt",
        "svc/requirements/base.TXT",
        "Requirements/base.txt",
        "requirements/base.in",
        "requirements/nested/base.txt",
        "requirements.txt.bak",
        "requirements.txt/README",
        "requirementſ.txt",
        "reqs.txt",
        "Dockerfile",
        "svc/Dockerfile",
        "Dockerfile.dev",
        "Dockerfile.",
        "dockerfile",
        "DOCKERFILE",
        "api.Dockerfile",
        "api.DOCKERFILE",
        "x/.dockerfile",
        "Dockerfile-dev",
        "Containerfile-prod",
        "Dockerfile.dockerignore",
        "api.Dockerfile.dockerignore",
        "Dockerfile.md",
        "Dockerfile.SH",
        "Dockerfile~",
        "Dockerfile.swp",
        "Dockerfile.orig",
        "Dockerfile.bak",
        "Dockerfile.yml",
        "Dockerfile.prod.txt",
        "xDockerfile",
        "Containerfile",
        "Containerfile.prod",
        "api.Containerfile",
        "setup.py",
        "pyproject.toml",
        "compose.yaml",
        "compose.yml",
        "svc/docker-compose.yml",
        "docker-compose.yaml",
        "docker-compose.prod.yml",
        "docker-compose.prod.yaml",
        "compose.override.yaml",
        "deploy/compose.override.yml",
        "compose.a.b.yaml",
        "docker-compose..yml",
        "compose..yaml",
        "compose.yaml.bak",
        "compose.json",
        "mycompose.yml",
        "my-docker-compose.yml",
        "Compose.yaml",
        "compose-prod.yml",
        "docker-compose.yml/README",
    ];
    let script = "import json, re, sys, yaml\n\
        hooks = yaml.safe_load(open('.pre-commit-hooks.yaml'))\n\
        pattern = re.compile(hooks[0]['files'])\n\
        print(json.dumps([bool(pattern.search(n)) for n in json.load(sys.stdin)]))";
    let mut child = Command::new(&tools.python)
        .current_dir(&root)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run python");
    serde_json::to_writer(child.stdin.take().unwrap(), &names[..]).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "python: {}", text(&out));
    let matched: Vec<bool> = serde_json::from_slice(&out.stdout).unwrap();
    let mut wrong = Vec::new();
    for (name, by_regex) in names.iter().zip(matched) {
        let by_pindrift = pindrift::discover::classify(Path::new(name)).is_some();
        if by_regex != by_pindrift {
            wrong.push(format!(
                "{name}: files regex {by_regex}, pindrift {by_pindrift}"
            ));
        }
    }
    assert!(wrong.is_empty(), "disagreements:\n{}", wrong.join("\n"));
    // The list must exercise both answers, or the comparison proves nothing.
    assert!(names
        .iter()
        .any(|n| pindrift::discover::classify(Path::new(n)).is_none()));
}

#[test]
#[ignore = "needs python3 and PyPI"]
fn hook_fails_on_an_unpinned_requirement_and_passes_when_pinned() {
    let Some(tools) = tools() else { return };
    let (src, rev) = snapshot();
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    git(work, &["init", "--quiet"], &[]);
    std::fs::write(
        work.join(".pre-commit-config.yaml"),
        format!("repos:\n  - repo: {src}\n    rev: {rev}\n    hooks:\n      - id: pindrift\n"),
    )
    .unwrap();
    // A constraints cap is not an install: with filenames passed, constraints.txt would
    // be a root of its own and `eventlet<1` a PD102. The hook lints the repository.
    std::fs::write(work.join("constraints.txt"), "eventlet<1\n").unwrap();
    std::fs::write(
        work.join("requirements.txt"),
        "-c constraints.txt\neventlet\n",
    )
    .unwrap();
    std::fs::write(work.join("app.py"), "print('hi')\n").unwrap();
    git(work, &["add", "--all"], &[]);

    let out = pre_commit(tools, work, &["run", "--all-files", "--color", "never"]);
    let output = text(&out);
    assert_eq!(out.status.code(), Some(1), "hook must fail:\n{output}");
    assert!(output.contains("pindrift"), "{output}");
    assert!(output.contains("Failed"), "{output}");
    assert!(
        output
            .contains("requirements.txt:2:1: PD101 [warning] `eventlet` has no version specifier"),
        "{output}"
    );
    assert!(!output.contains("PD102"), "{output}");

    std::fs::write(
        work.join("requirements.txt"),
        "-c constraints.txt\neventlet==0.20.0\n",
    )
    .unwrap();
    git(work, &["add", "--all"], &[]);
    let out = pre_commit(tools, work, &["run", "--all-files", "--color", "never"]);
    let output = text(&out);
    assert_eq!(out.status.code(), Some(0), "hook must pass:\n{output}");
    assert!(output.contains("Passed"), "{output}");

    // `files` decides whether the hook runs: a commit without requirements or Dockerfiles
    // skips it, even with an unpinned file elsewhere in the repository.
    std::fs::write(work.join("requirements.txt"), "eventlet\n").unwrap();
    std::fs::write(work.join("app.py"), "print('changed')\n").unwrap();
    git(work, &["add", "app.py"], &[]);
    let out = pre_commit(
        tools,
        work,
        &["run", "--files", "app.py", "--color", "never"],
    );
    let output = text(&out);
    assert_eq!(out.status.code(), Some(0), "{output}");
    assert!(output.contains("(no files to check)Skipped"), "{output}");

    // A commit touching only a Compose file (an override file too) runs the hook.
    std::fs::write(work.join("requirements.txt"), "eventlet==0.20.0\n").unwrap();
    std::fs::write(
        work.join("compose.override.yaml"),
        "services:\n  web:\n    image: python:latest\n",
    )
    .unwrap();
    git(work, &["add", "--all"], &[]);
    let out = pre_commit(
        tools,
        work,
        &[
            "run",
            "--files",
            "compose.override.yaml",
            "--color",
            "never",
        ],
    );
    let output = text(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "hook must run and fail:\n{output}"
    );
    assert!(
        output.contains("compose.override.yaml:3:12: PD202"),
        "{output}"
    );

    // Every snapshot leaves a clone and a built environment in PRE_COMMIT_HOME; drop
    // those whose configuration (an earlier run's temporary folder) is gone.
    let out = pre_commit(tools, work, &["gc"]);
    assert!(out.status.success(), "pre-commit gc: {}", text(&out));
}

#[test]
#[ignore = "needs python3 and PyPI"]
fn pin_check_hook_fails_until_requirements_match_the_freeze() {
    let Some(tools) = tools() else { return };
    let (src, rev) = snapshot();
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    git(work, &["init", "--quiet"], &[]);
    std::fs::write(
        work.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {src}\n    rev: {rev}\n    hooks:\n      - id: pindrift-pin-check\n        args: [--from, freeze:ops/prod.freeze.txt]\n"
        ),
    )
    .unwrap();
    std::fs::create_dir_all(work.join("ops")).unwrap();
    std::fs::write(
        work.join("ops/prod.freeze.txt"),
        "eventlet==0.20.0\ngreenlet==3.0.3\nflask==2.0.3\n",
    )
    .unwrap();
    std::fs::write(work.join("requirements.txt"), "eventlet\nflask==2.0.3\n").unwrap();
    git(work, &["add", "--all"], &[]);

    let out = pre_commit(tools, work, &["run", "--all-files", "--color", "never"]);
    let output = text(&out);
    assert_eq!(out.status.code(), Some(1), "hook must fail:\n{output}");
    assert!(output.contains("pindrift pin --check"), "{output}");
    assert!(output.contains("Failed"), "{output}");
    assert!(output.contains("eventlet"), "{output}");
    assert!(output.contains("0.20.0"), "{output}");
    // --check writes nothing.
    assert_eq!(
        std::fs::read_to_string(work.join("requirements.txt")).unwrap(),
        "eventlet\nflask==2.0.3\n"
    );

    // Pinned to what the freeze says: passes.
    std::fs::write(
        work.join("requirements.txt"),
        "eventlet==0.20.0\nflask==2.0.3\n",
    )
    .unwrap();
    git(work, &["add", "--all"], &[]);
    let out = pre_commit(tools, work, &["run", "--all-files", "--color", "never"]);
    let output = text(&out);
    assert_eq!(out.status.code(), Some(0), "hook must pass:\n{output}");
    assert!(output.contains("Passed"), "{output}");

    // A freeze file that moved on (production upgraded) fails the hook in turn: it runs
    // for any file of the commit, not only requirements files.
    std::fs::write(
        work.join("ops/prod.freeze.txt"),
        "eventlet==0.20.1\ngreenlet==3.0.3\nflask==2.0.3\n",
    )
    .unwrap();
    git(work, &["add", "--all"], &[]);
    let out = pre_commit(
        tools,
        work,
        &["run", "--files", "ops/prod.freeze.txt", "--color", "never"],
    );
    let output = text(&out);
    assert_eq!(out.status.code(), Some(1), "{output}");

    // Without the argument the hook is a usage error, and says what is missing.
    std::fs::write(
        work.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {src}\n    rev: {rev}\n    hooks:\n      - id: pindrift-pin-check\n"
        ),
    )
    .unwrap();
    git(work, &["add", "--all"], &[]);
    let out = pre_commit(tools, work, &["run", "--all-files", "--color", "never"]);
    let output = text(&out);
    assert_eq!(out.status.code(), Some(1), "{output}");
    assert!(output.contains("--from"), "{output}");

    let out = pre_commit(tools, work, &["gc"]);
    assert!(out.status.success(), "pre-commit gc: {}", text(&out));
}

/// The sources of revision `rev` of the snapshot repository, as a clone has them.
fn checkout_sources(bare: &str, rev: &str, into: &Path) {
    let archive = Command::new("git")
        .args(["--git-dir", bare, "archive", "--format=tar", rev])
        .args(["Cargo.toml", "Cargo.lock", "build.rs", "src", "rules"])
        .output()
        .unwrap();
    assert!(archive.status.success(), "git archive: {}", text(&archive));
    tar::Archive::new(&archive.stdout[..]).unpack(into).unwrap();
}

/// The source digest as the hook (and the release workflow) computes it.
fn hook_source_digest(tools: &Tools, sources: &Path) -> String {
    let out = Command::new(&tools.python)
        .arg(repo_root().join("hook/release_or_build.py"))
        .arg("source-digest")
        .arg(sources)
        .output()
        .unwrap();
    assert!(out.status.success(), "source-digest: {}", text(&out));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The same digest from coreutils, as its doc says: sha256sum of the sorted sha256sum lines.
fn sha256sum_source_digest(sources: &Path) -> String {
    let out = Command::new("sh")
        .current_dir(sources)
        .args([
            "-c",
            "find Cargo.toml Cargo.lock build.rs src rules -type f -print0 | LC_ALL=C sort -z \
             | xargs -0 sha256sum | sha256sum | cut -d' ' -f1",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "sha256sum: {}", text(&out));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A release of this version under `server/vVERSION/`, laid out as the release workflow
/// publishes it: the asset and its `.sha256` ([`py_tools::write_release_asset`]) and
/// `pindrift-source.sha256`. Returns the release folder.
fn local_release(server: &Path, source_digest: &str) -> std::path::PathBuf {
    let dir = server.join(format!("v{}", env!("CARGO_PKG_VERSION")));
    py_tools::write_release_asset(&dir);
    std::fs::write(
        dir.join("pindrift-source.sha256"),
        format!("{source_digest}\n"),
    )
    .unwrap();
    dir
}

/// The `pindrift` binaries pre-commit installed in the hook environments under `home`.
fn installed_binaries(home: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for repo in std::fs::read_dir(home).into_iter().flatten().flatten() {
        for env in std::fs::read_dir(repo.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let binary = env.path().join("bin/pindrift");
            if env.file_name().to_string_lossy().starts_with("py_env-") && binary.is_file() {
                found.push(binary);
            }
        }
    }
    found
}

#[test]
#[ignore = "needs python3 and PyPI"]
fn hook_installs_the_verified_release_binary_and_builds_when_the_release_is_not_this_source() {
    let Some(tools) = tools() else { return };
    let (src, rev) = snapshot();
    let sources = tempfile::tempdir().unwrap();
    checkout_sources(&src, &rev, sources.path());
    let digest = hook_source_digest(tools, sources.path());
    assert_eq!(digest, sha256sum_source_digest(sources.path()));
    assert_eq!(digest.len(), 64, "{digest}");

    let server = tempfile::tempdir().unwrap();
    let release = local_release(server.path(), &digest);
    let url = format!("file://{}", server.path().display());
    let checksum_file = release.join(format!("pindrift-{}.tar.gz.sha256", release_target()));
    let good_checksum = std::fs::read(&checksum_file).unwrap();
    let release_binary = std::fs::read(env!("CARGO_BIN_EXE_pindrift")).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let work = dir.path();
    git(work, &["init", "--quiet"], &[]);
    std::fs::write(
        work.join(".pre-commit-config.yaml"),
        format!("repos:\n  - repo: {src}\n    rev: {rev}\n    hooks:\n      - id: pindrift\n"),
    )
    .unwrap();
    std::fs::write(work.join("requirements.txt"), "eventlet\n").unwrap();
    git(work, &["add", "--all"], &[]);
    let run = ["run", "--all-files", "--color", "never"];

    // The release of this source: installed as published, nothing built.
    let home = tempfile::tempdir().unwrap();
    let out = pre_commit_with(tools, work, &["install-hooks"], home.path(), &url);
    assert!(out.status.success(), "install-hooks: {}", text(&out));
    let installed = installed_binaries(home.path());
    assert_eq!(installed.len(), 1, "{installed:?}");
    assert!(
        std::fs::read(&installed[0]).unwrap() == release_binary,
        "the hook must hold the release binary itself: {}",
        installed[0].display()
    );
    let out = pre_commit_with(tools, work, &run, home.path(), &url);
    let output = text(&out);
    assert_eq!(out.status.code(), Some(1), "{output}");
    assert!(
        output
            .contains("requirements.txt:1:1: PD101 [warning] `eventlet` has no version specifier"),
        "{output}"
    );

    // A checksum that does not match the archive: refused, and nothing is installed.
    std::fs::write(&checksum_file, format!("{}  x.tar.gz\n", "0".repeat(64))).unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = pre_commit_with(tools, work, &["install-hooks"], home.path(), &url);
    let output = text(&out);
    assert!(!out.status.success(), "{output}");
    assert!(output.contains("checksum mismatch for file://"), "{output}");
    assert!(output.contains("refusing the binary"), "{output}");
    assert!(installed_binaries(home.path()).is_empty());

    // No checksum file at all: refused too.
    std::fs::remove_file(&checksum_file).unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = pre_commit_with(tools, work, &["install-hooks"], home.path(), &url);
    let output = text(&out);
    assert!(!out.status.success(), "{output}");
    assert!(
        output.contains("has no checksum file") && output.contains("refusing an unverified binary"),
        "{output}"
    );
    assert!(installed_binaries(home.path()).is_empty());

    // A release of this version built from other sources (a `rev:` past the tag): not
    // used; pindrift is built from the clone, and the hook works.
    std::fs::write(&checksum_file, &good_checksum).unwrap();
    std::fs::write(
        release.join("pindrift-source.sha256"),
        format!("{}\n", "1".repeat(64)),
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = pre_commit_with(tools, work, &["install-hooks"], home.path(), &url);
    assert!(out.status.success(), "install-hooks: {}", text(&out));
    let installed = installed_binaries(home.path());
    assert_eq!(installed.len(), 1, "{installed:?}");
    assert!(
        std::fs::read(&installed[0]).unwrap() != release_binary,
        "a release of other sources must not be installed"
    );
    let out = pre_commit_with(tools, work, &run, home.path(), &url);
    let output = text(&out);
    assert_eq!(out.status.code(), Some(1), "{output}");
    assert!(output.contains("PD101"), "{output}");
}
