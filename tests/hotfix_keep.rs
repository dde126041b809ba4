//! `pindrift hotfix pin`, `commit` and `export` against the real Docker Engine: a service image
//! built from the suite's Debian base with a venv holding eventlet 0.20.1 (and its
//! dependencies) installed offline from real wheels; containers without a network, so every
//! install and every restore is offline by construction.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use support::*;

/// support::wheels() (eventlet 0.20.0 and 0.20.1, six) plus eventlet's dependencies, so
/// that pip resolves offline: target/hotfix-wheels.
fn all_wheels() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        cached_wheels(
            "hotfix-wheels",
            &[
                "eventlet-0.20.0-",
                "eventlet-0.20.1-",
                "six-1.16.0-",
                "greenlet-3.0.3-",
                "enum_compat-0.0.3-",
            ],
            |tmp| {
                for e in std::fs::read_dir(wheels()).unwrap() {
                    let e = e.unwrap();
                    std::fs::copy(e.path(), tmp.join(e.file_name())).unwrap();
                }
                // The container's Python is 3.11 on x86_64 (the base image).
                run(Command::new("python3")
                    .args([
                        "-m",
                        "pip",
                        "download",
                        "-q",
                        "--no-deps",
                        "--only-binary=:all:",
                    ])
                    .args(["--disable-pip-version-check", "--python-version", "3.11"])
                    .args([
                        "--platform",
                        "manylinux_2_28_x86_64",
                        "--platform",
                        "manylinux2014_x86_64",
                    ])
                    .args(["--implementation", "cp", "-d"])
                    .arg(tmp)
                    .args(["greenlet==3.0.3", "enum-compat==0.0.3"]));
            },
        )
    })
    .clone()
}

const APP: &[u8] =
    b"def app(environ, start):\n    start('500 BIG_PROBLEM', [])\n    return [b'']\n";
const FIXED: &[u8] = b"def app(environ, start):\n    start('200 OK', [])\n    return [b'ok']\n";

/// The service image: a venv /opt/venv with eventlet 0.20.1, its dependencies and six,
/// installed offline; the app in /app. `labels` are added (e.g. the revision).
fn service_image(labels: &[(&str, &str)]) -> ImageGuard {
    service_image_with(labels, "")
}

/// The service image; `pip_options` go to the pip that installs eventlet 0.20.1 (`--no-deps`:
/// without greenlet and enum-compat).
fn service_image_with(labels: &[(&str, &str)], pip_options: &str) -> ImageGuard {
    let tag = format!("{}:v1.0.0", unique("keep"));
    let mut dockerfile = format!(
        "FROM {}\nCOPY wheels/ /wheels/\n\
         RUN python3 -m venv /opt/venv && /opt/venv/bin/python -m pip install -q --no-index \
         --find-links /wheels {pip_options} eventlet==0.20.1 six==1.16.0 && rm -rf /wheels /root/.cache\n\
         WORKDIR /app\nCOPY app.py /app/app.py\nLABEL pindrift.test.run={}\n",
        base_image(),
        unique("run")
    );
    for (k, v) in labels {
        dockerfile.push_str(&format!("LABEL {k}={v}\n"));
    }
    let wheel_files = folder_files(&all_wheels(), "wheels");
    let mut files: Vec<(&str, &[u8])> = wheel_files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    files.push(("app.py", APP));
    build_image(&tag, &dockerfile, &files, false)
}

/// A running service container (no network) and a private state folder.
struct Service {
    container: ContainerGuard,
    state: tempfile::TempDir,
}

impl Service {
    fn new(image: &str) -> Service {
        let name = unique("keep-c");
        let container = run_container(&name, image, &[]);
        Service {
            container,
            state: tempfile::tempdir().unwrap(),
        }
    }

    fn name(&self) -> &str {
        &self.container.0
    }

    /// `pindrift hotfix --state-dir S <args>`.
    fn hotfix(&self, args: &[&str]) -> (i32, String, String) {
        self.hotfix_env(args, &[])
    }

    fn hotfix_env(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
        let state = self.state.path().to_string_lossy().into_owned();
        let mut all = vec!["hotfix", "--state-dir", state.as_str()];
        all.extend_from_slice(args);
        pindrift_env(&all, env)
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.hotfix(args);
        assert_eq!(code, 0, "hotfix {args:?}: {out}\n{err}");
        out
    }

    fn start(&self, reason: &str) {
        self.ok(&["start", self.name(), "--reason", reason]);
    }

    /// Runs Python in the container's venv.
    fn py(&self, script: &str) -> String {
        let out = docker(&["exec", self.name(), "/opt/venv/bin/python", "-c", script]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn version(&self, dist: &str) -> String {
        self.py(&format!(
            "import importlib.metadata as m\ntry:\n print(m.version('{dist}'))\nexcept m.PackageNotFoundError:\n print('absent')"
        ))
    }

    /// Every file of the installed distribution's RECORD: sha256, mode, owner, mtime.
    fn record_state(&self, dist: &str) -> BTreeMap<String, String> {
        let script = format!(
            "import importlib.metadata as m, hashlib, json, os\n\
             d = m.distribution('{dist}')\n\
             out = {{}}\n\
             for f in d.files:\n \
                 p = os.path.normpath(str(d.locate_file(f)))\n \
                 try:\n  \
                     st = os.lstat(p)\n  \
                     out[p] = '%s %o %d:%d %d' % (hashlib.sha256(open(p,'rb').read()).hexdigest(), st.st_mode, st.st_uid, st.st_gid, int(st.st_mtime))\n \
                 except OSError:\n  \
                     out[p] = 'missing'\n\
             print(json.dumps(out))"
        );
        let text = self.py(&script);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    /// Every file and link under /opt/venv (sha256 or target, mode, owner, mtime) and every
    /// folder (mode, owner): what a rollback must give back exactly. Left out: the bytecode
    /// caches of pip's own modules, which Python rewrites whenever pip runs and finds one
    /// stale (the interpreter running the tool, not the hotfix: no rollback can avoid it).
    fn venv_state(&self) -> BTreeMap<String, String> {
        let script = "import hashlib, json, os\n\
             out = {}\n\
             for root, dirs, files in os.walk('/opt/venv'):\n \
                 for d in dirs:\n  \
                     st = os.lstat(os.path.join(root, d))\n  \
                     out[os.path.join(root, d) + '/'] = '%o %d:%d' % (st.st_mode, st.st_uid, st.st_gid)\n \
                 for f in files:\n  \
                     p = os.path.join(root, f)\n  \
                     if '/site-packages/pip/' in p and '/__pycache__/' in p:\n   \
                         continue\n  \
                     st = os.lstat(p)\n  \
                     what = os.readlink(p) if os.path.islink(p) else hashlib.sha256(open(p, 'rb').read()).hexdigest()\n  \
                     out[p] = '%s %o %d:%d %d' % (what, st.st_mode, st.st_uid, st.st_gid, int(st.st_mtime))\n\
             print(json.dumps(out))";
        let text = self.py(script);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    /// Folders pindrift copied wheels into, still in the container.
    fn wheel_folders(&self) -> String {
        self.py("import glob; print(' '.join(glob.glob('/tmp/pindrift-wheels-*')))")
    }
}

/// Two states are the same; else the paths that differ, before and after.
fn assert_same(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>, what: &str) {
    let differ: Vec<(&String, Option<&String>, Option<&String>)> = before
        .keys()
        .chain(after.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| (k, before.get(k), after.get(k)))
        .collect();
    assert!(differ.is_empty(), "{what} differs: {differ:#?}");
}

fn find_links() -> String {
    all_wheels().to_string_lossy().into_owned()
}

#[test]
#[ignore = "needs the Docker Engine"]
fn pin_installs_the_pin_prints_the_drift_and_rollback_restores_every_file_offline() {
    require_docker();
    let image = service_image(&[]);
    let svc = Service::new(&image.0);
    let before = svc.record_state("eventlet");
    assert!(before.len() > 50, "{before:?}");
    assert!(before.values().all(|v| v != "missing"));
    let tree = svc.venv_state();
    svc.start("cause a problem flag");
    let fl = find_links();
    let out = svc.ok(&["pin", svc.name(), "eventlet==0.20.0", "--find-links", &fl]);
    assert_eq!(svc.version("eventlet"), "0.20.0");
    assert!(
        out.contains("eventlet") && out.contains("0.20.1 → 0.20.0"),
        "{out}"
    );
    assert!(out.contains("venv:/opt/venv"), "{out}");
    assert_eq!(svc.wheel_folders(), "", "the wheels copied in are removed");
    // Rollback: no network in the container, so offline by construction.
    let (code, out, err) = svc.hotfix(&["rollback", svc.name(), "--no-reload"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(svc.version("eventlet"), "0.20.1");
    assert_eq!(
        svc.record_state("eventlet"),
        before,
        "byte for byte, mode, owner, mtime"
    );
    assert_same(&tree, &svc.venv_state(), "the venv after rollback");
    // No file of 0.20.0 is left: the dist-info folder of 0.20.0 is gone.
    let left = svc.py(
        "import glob; print(glob.glob('/opt/venv/lib/python3*/site-packages/eventlet-0.20.0*'))",
    );
    assert_eq!(left, "[]");
}

#[test]
#[ignore = "needs the Docker Engine"]
fn anything_but_an_exact_pin_is_refused_naming_the_argument() {
    require_docker();
    let image = service_image(&[]);
    let svc = Service::new(&image.0);
    svc.start("loose pins");
    for (spec, rule) in [("eventlet>=0.20", "PD102"), ("eventlet", "PD101")] {
        let (code, out, err) = svc.hotfix(&["pin", svc.name(), "six==1.16.0", spec]);
        assert_eq!(code, 2, "{spec}: {out}\n{err}");
        assert!(
            err.contains(&format!("argument 2 `{spec}`")) && err.contains(rule),
            "{spec}: {err}"
        );
    }
    assert_eq!(svc.version("eventlet"), "0.20.1");
    // Nothing was recorded: status lists no step.
    let status = svc.ok(&["status", svc.name(), "--format", "json"]);
    assert!(!status.contains("pip-install"), "{status}");
    // A system environment marked EXTERNALLY-MANAGED is refused unless asked.
    docker(&[
        "exec",
        svc.name(),
        "sh",
        "-c",
        "touch /usr/lib/python3.11/EXTERNALLY-MANAGED",
    ]);
    let (code, _, err) = svc.hotfix(&["pin", svc.name(), "pip==23.0.1", "--python-env", "system"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("EXTERNALLY-MANAGED") && err.contains("--break-system-packages"),
        "{err}"
    );
    let (code, _, err) = svc.hotfix(&["rollback", svc.name(), "--no-reload"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
#[ignore = "needs the Docker Engine"]
fn commit_makes_the_image_with_the_labels_and_the_fix() {
    require_docker();
    let image = service_image(&[("keep.me", "yes")]);
    let svc = Service::new(&image.0);
    svc.start("Cause a problem flag");
    let fl = find_links();
    svc.ok(&["pin", svc.name(), "eventlet==0.20.0", "--find-links", &fl]);
    let fixed = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(fixed.path(), FIXED).unwrap();
    let target = format!("{}:/app/app.py", svc.name());
    svc.ok(&["cp", &fixed.path().to_string_lossy(), &target]);
    let out = svc.ok(&["commit", svc.name()]);
    let expected = format!("{}-hotfix-cause-a-problem-flag", image.0);
    let made = ImageGuard(expected.clone());
    assert!(out.contains(&expected), "{out}");
    let inspect = docker(&[
        "image",
        "inspect",
        &made.0,
        "--format",
        "{{json .Config.Labels}}",
    ]);
    let labels: BTreeMap<String, String> = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(labels["io.pindrift.hotfix.reason"], "Cause a problem flag");
    assert!(labels["io.pindrift.hotfix.id"].ends_with("-cause-a-problem-flag"));
    let parent = docker(&["image", "inspect", &image.0, "--format", "{{.Id}}"]);
    assert_eq!(
        labels["io.pindrift.hotfix.parent-image"],
        String::from_utf8_lossy(&parent.stdout).trim()
    );
    assert_eq!(labels["io.pindrift.hotfix.files"], "[\"/app/app.py\"]");
    assert!(
        labels["io.pindrift.hotfix.packages"].contains("\"after\":\"0.20.0\""),
        "{labels:?}"
    );
    assert_eq!(labels["keep.me"], "yes", "the image's labels are kept");
    // The new image has the fix.
    let run_out = docker(&[
        "run", "--rm", "--network", "none", &made.0, "sh", "-c",
        "cat /app/app.py; /opt/venv/bin/python -c 'import importlib.metadata as m; print(m.version(\"eventlet\"))'",
    ]);
    let text = String::from_utf8_lossy(&run_out.stdout);
    assert!(
        text.contains("200 OK") && text.trim_end().ends_with("0.20.0"),
        "{text}"
    );
    let (code, _, err) = svc.hotfix(&["rollback", svc.name(), "--no-reload"]);
    assert_eq!(code, 0, "{err}");
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = run(Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com"));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
#[ignore = "needs the Docker Engine"]
fn export_carries_the_fix_to_a_branch_without_touching_the_checkout() {
    require_docker();
    // The repository: its first commit is what the image was built from.
    let repo = tempfile::tempdir().unwrap();
    let r = repo.path();
    git(r, &["init", "-q", "-b", "main"]);
    std::fs::write(
        r.join("Dockerfile"),
        "FROM python:3.11\nWORKDIR /app\nCOPY . /app\nCMD [\"python\", \"app.py\"]\n",
    )
    .unwrap();
    std::fs::write(r.join("requirements.txt"), "eventlet\nsix==1.16.0\n").unwrap();
    std::fs::write(r.join("app.py"), APP).unwrap();
    std::fs::write(
        r.join("Dockerfile.srv"),
        "FROM python:3.11\nWORKDIR /srv\nCOPY . /srv\n",
    )
    .unwrap();
    // A link out of the repository: export never writes through it.
    std::os::unix::fs::symlink("/tmp", r.join("outside")).unwrap();
    git(r, &["add", "-A"]);
    git(r, &["commit", "-q", "-m", "v1.0.0"]);
    let built_from = git(r, &["rev-parse", "HEAD"]);
    std::fs::write(r.join("later.txt"), "after the release\n").unwrap();
    git(r, &["add", "later.txt"]);
    git(r, &["commit", "-q", "-m", "later work"]);
    // Uncommitted work in the checkout that must stay as it is.
    std::fs::write(r.join("app.py"), b"# work in progress\n").unwrap();
    std::fs::write(r.join("notes.txt"), b"untracked\n").unwrap();
    let status_before = git(r, &["status", "--porcelain"]);
    let head_before = git(r, &["rev-parse", "HEAD"]);

    let image = service_image(&[("org.opencontainers.image.revision", &built_from)]);
    let svc = Service::new(&image.0);
    svc.start("cause a problem flag");
    let fixed = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(fixed.path(), FIXED).unwrap();
    svc.ok(&[
        "cp",
        &fixed.path().to_string_lossy(),
        &format!("{}:/app/app.py", svc.name()),
    ]);
    let fl = find_links();
    svc.ok(&["pin", svc.name(), "eventlet==0.20.0", "--find-links", &fl]);
    let out = svc.ok(&["export", svc.name(), "--repo", &r.to_string_lossy()]);
    assert!(out.contains("hotfix-cause-a-problem-flag"), "{out}");

    let branch = "hotfix-cause-a-problem-flag";
    assert_eq!(
        git(r, &["show", &format!("{branch}:app.py")]).as_bytes(),
        FIXED.trim_ascii_end()
    );
    let reqs = git(r, &["show", &format!("{branch}:requirements.txt")]);
    assert!(reqs.lines().any(|l| l == "eventlet==0.20.0"), "{reqs}");
    assert!(reqs.lines().any(|l| l == "six==1.16.0"), "{reqs}");
    // Made from the revision label, not HEAD: the later commit is not on the branch.
    assert_eq!(git(r, &["rev-parse", &format!("{branch}~1")]), built_from);
    let message = git(r, &["log", "-1", "--format=%B", branch]);
    assert!(
        message.contains("cause a problem flag") && message.contains("-cause-a-problem-flag"),
        "{message}"
    );
    // The checkout, its index and its uncommitted work are untouched; no worktree is left.
    assert_eq!(git(r, &["status", "--porcelain"]), status_before);
    assert_eq!(git(r, &["rev-parse", "HEAD"]), head_before);
    assert_eq!(git(r, &["rev-parse", "--abbrev-ref", "HEAD"]), "main");
    assert_eq!(
        std::fs::read(r.join("app.py")).unwrap(),
        b"# work in progress\n"
    );
    assert_eq!(
        git(r, &["worktree", "list", "--porcelain"])
            .matches("worktree ")
            .count(),
        1
    );
    // Exporting again does not overwrite the branch.
    let (code, _, err) = svc.hotfix(&["export", svc.name(), "--repo", &r.to_string_lossy()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("already exists"), "{err}");
    // A clone: through a Dockerfile whose COPY does not provide /app, the path is an error
    // asking for --map, and no branch is made; with --map it goes where the map says.
    let clone = tempfile::tempdir().unwrap();
    let r2 = clone.path().join("r2");
    git(
        r,
        &["clone", "-q", &r.to_string_lossy(), &r2.to_string_lossy()],
    );
    let r2s = r2.to_string_lossy().into_owned();
    let (code, _, err) = svc.hotfix(&[
        "export",
        svc.name(),
        "--repo",
        &r2s,
        "--dockerfile",
        "Dockerfile.srv",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("/app/app.py") && err.contains("--map"),
        "{err}"
    );
    assert!(
        git(&r2, &["branch", "--list", branch]).is_empty(),
        "no branch on an error"
    );
    let (code, _, err) = svc.hotfix(&[
        "export",
        svc.name(),
        "--repo",
        &r2s,
        "--dockerfile",
        "Dockerfile.srv",
        "--map",
        "/app=outside",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert!(std::fs::read("/tmp/app.py").map_or(true, |b| b != FIXED));
    assert!(
        git(&r2, &["branch", "--list", branch]).is_empty(),
        "no branch on an error"
    );
    let out = svc.ok(&[
        "export",
        svc.name(),
        "--repo",
        &r2s,
        "--dockerfile",
        "Dockerfile.srv",
        "--map",
        "/app=service",
    ]);
    assert!(out.contains("service/app.py"), "{out}");
    assert_eq!(
        git(&r2, &["show", &format!("{branch}:service/app.py")]).as_bytes(),
        FIXED.trim_ascii_end()
    );
    // A repository without the image's revision: named, nothing made.
    let other = tempfile::tempdir().unwrap();
    let r3 = other.path();
    git(r3, &["init", "-q", "-b", "main"]);
    std::fs::write(
        r3.join("Dockerfile"),
        "FROM python:3.11\nWORKDIR /app\nCOPY . /app\n",
    )
    .unwrap();
    git(r3, &["add", "-A"]);
    git(r3, &["commit", "-q", "-m", "unrelated"]);
    let (code, _, err) = svc.hotfix(&["export", svc.name(), "--repo", &r3.to_string_lossy()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&built_from) && err.contains("fetch it first"),
        "{err}"
    );
    let (code, _, err) = svc.hotfix(&["rollback", svc.name(), "--no-reload"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
#[ignore = "needs the Docker Engine"]
fn sigkill_at_every_journal_boundary_of_pin_then_rollback_restores_exactly() {
    require_docker();
    let image = service_image(&[]);
    let svc = Service::new(&image.0);
    let original = svc.record_state("eventlet");
    let tree = svc.venv_state();
    let fl = find_links();
    let mut killed_at = Vec::new();
    for n in 1..=10 {
        svc.start(&format!("kill at {n}"));
        let kill = n.to_string();
        let (code, out, err) = svc.hotfix_env(
            &["pin", svc.name(), "eventlet==0.20.0", "--find-links", &fl],
            &[("PINDRIFT_TEST_KILL_AT", &kill)],
        );
        let completed = code == 0;
        if !completed {
            assert_eq!(code, -1, "killed by SIGKILL at boundary {n}: {out}\n{err}");
            killed_at.push(n);
        }
        let (code, out, err) = svc.hotfix(&["rollback", svc.name(), "--no-reload"]);
        assert_eq!(code, 0, "rollback after a kill at {n}: {out}\n{err}");
        assert_eq!(svc.version("eventlet"), "0.20.1", "after a kill at {n}");
        assert_eq!(
            svc.record_state("eventlet"),
            original,
            "after a kill at {n}"
        );
        assert_same(
            &tree,
            &svc.venv_state(),
            &format!("the venv after a kill at {n}"),
        );
        assert_eq!(svc.wheel_folders(), "", "after a kill at {n}");
        if completed {
            break;
        }
    }
    // Copy in, copied; intend install, installed: four boundaries.
    assert_eq!(killed_at, [1, 2, 3, 4]);
}

#[test]
#[ignore = "needs the Docker Engine"]
fn pip_failing_is_exit_2_and_the_container_is_as_the_journal_says() {
    require_docker();
    let image = service_image(&[]);
    let svc = Service::new(&image.0);
    let original = svc.record_state("eventlet");
    svc.start("pin what is not there");
    let fl = find_links();
    let (code, out, err) =
        svc.hotfix(&["pin", svc.name(), "eventlet==0.19.0", "--find-links", &fl]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("eventlet==0.19.0") && err.contains("nothing was changed"),
        "{err}"
    );
    assert_eq!(svc.version("eventlet"), "0.20.1");
    assert_eq!(svc.record_state("eventlet"), original);
    assert_eq!(svc.wheel_folders(), "");
    // The journal says what happened: the wheels step only, done; no install step.
    let status = svc.ok(&["status", svc.name(), "--format", "json"]);
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    let steps = status["hotfixes"][0]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{status}");
    assert_eq!(steps[0]["state"], "done");
    assert_eq!(steps[0]["action"]["specs"].as_array().unwrap().len(), 0);
    let (code, _, err) = svc.hotfix(&["rollback", svc.name(), "--no-reload"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(svc.record_state("eventlet"), original);
}

#[test]
#[ignore = "needs the Docker Engine"]
fn dependencies_pip_adds_are_in_the_drift_and_rollback_removes_them() {
    require_docker();
    // eventlet without its dependencies: pinning it lets pip add greenlet and enum-compat.
    let image = service_image_with(&[], "--no-deps");
    let svc = Service::new(&image.0);
    assert_eq!(svc.version("greenlet"), "absent");
    let before = svc.venv_state();
    svc.start("eventlet back to 0.20.0");
    let fl = find_links();
    let out = svc.ok(&["pin", svc.name(), "eventlet==0.20.0", "--find-links", &fl]);
    assert!(out.contains("0.20.1 → 0.20.0"), "{out}");
    for dep in ["greenlet", "enum-compat"] {
        assert!(
            out.lines().any(|l| l.contains("added") && l.contains(dep)),
            "{dep} in the drift: {out}"
        );
    }
    assert_eq!(svc.version("greenlet"), "3.0.3");
    let (code, out, err) = svc.hotfix(&["rollback", svc.name(), "--no-reload"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(svc.version("greenlet"), "absent");
    assert_eq!(svc.version("enum-compat"), "absent");
    let after = svc.venv_state();
    assert_same(&before, &after, "the venv after rollback");
}

/// pindrift killed (SIGKILL) while pip runs in the container: pip goes on there. Rollback
/// waits for it to end, then restores exactly.
#[test]
#[ignore = "needs the Docker Engine"]
fn sigkill_while_pip_runs_then_rollback_waits_for_pip_and_restores() {
    require_docker();
    let image = service_image(&[]);
    let svc = Service::new(&image.0);
    let tree = svc.venv_state();
    svc.start("killed during pip");
    let state = svc.state.path().to_string_lossy().into_owned();
    let fl = find_links();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pindrift"))
        .args([
            "hotfix",
            "--state-dir",
            &state,
            "pin",
            svc.name(),
            "eventlet==0.20.0",
        ])
        .args(["--find-links", &fl])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The pip of the install step carries PINDRIFT_HOTFIX_STEP in its environment.
    let seen = "import os\n\
        for p in os.listdir('/proc'):\n \
            if p.isdigit():\n  \
                try:\n   \
                    e = open('/proc/%s/environ' % p, 'rb').read()\n  \
                except OSError:\n   \
                    continue\n  \
                if b'PINDRIFT_HOTFIX_STEP=' in e and b'--dry-run' not in open('/proc/%s/cmdline' % p, 'rb').read():\n   \
                    print(p)";
    let start = std::time::Instant::now();
    let mut caught = false;
    while start.elapsed() < std::time::Duration::from_secs(120) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if !svc.py(seen).is_empty() {
            child.kill().unwrap();
            caught = true;
            break;
        }
    }
    let status = child.wait().unwrap();
    assert!(caught, "pip was never seen running ({status:?})");
    let (code, out, err) = svc.hotfix(&["rollback", svc.name(), "--no-reload"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        svc.py(seen).is_empty(),
        "no pip of the hotfix runs after rollback"
    );
    assert_eq!(svc.version("eventlet"), "0.20.1");
    assert_same(&tree, &svc.venv_state(), "the venv after rollback");
    assert_eq!(svc.wheel_folders(), "");
}

/// A copy of `wheel` in `dir` whose last `.py` member is damaged (one byte of its compressed
/// data flipped): pip reads its metadata in the dry run, and fails while installing it.
fn damaged_wheel(wheel: &Path, dir: &Path) -> PathBuf {
    let out = dir.join(wheel.file_name().unwrap());
    let script = "import sys, zipfile\n\
        src, dst = sys.argv[1], sys.argv[2]\n\
        data = bytearray(open(src, 'rb').read())\n\
        z = zipfile.ZipFile(src)\n\
        info = [i for i in z.infolist() if i.filename.endswith('.py')][-1]\n\
        # The local header's own extra length (bytes 28-29), not the central directory's.\n\
        n = int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], 'little')\n\
        start = info.header_offset + 30 + len(info.filename.encode()) + n\n\
        data[start + info.compress_size // 2] ^= 0xFF\n\
        open(dst, 'wb').write(data)\n";
    run(Command::new("python3")
        .args(["-c", script])
        .arg(wheel)
        .arg(&out));
    out
}

#[test]
#[ignore = "needs the Docker Engine"]
fn pip_failing_half_way_through_the_install_leaves_the_container_as_the_journal_says() {
    require_docker();
    let image = service_image(&[]);
    let svc = Service::new(&image.0);
    let tree = svc.venv_state();
    svc.start("a damaged wheel");
    let good = std::fs::read_dir(all_wheels())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("eventlet-0.20.0-"))
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let bad = damaged_wheel(&good, tmp.path());
    let (code, out, err) = svc.hotfix(&["pin", svc.name(), "--wheel", &bad.to_string_lossy()]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("pip failed") && err.contains("marked failed"),
        "{err}"
    );
    // pip put back what it had uninstalled; the journal says the install failed.
    assert!(err.contains("nothing changed"), "{err}");
    assert_eq!(svc.version("eventlet"), "0.20.1");
    assert_same(&tree, &svc.venv_state(), "the venv after pip failed");
    assert_eq!(svc.wheel_folders(), "");
    let status = svc.ok(&["status", svc.name(), "--format", "json"]);
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    let steps = status["hotfixes"][0]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "{status}");
    assert_eq!(steps[1]["state"], "failed", "{status}");
    let (code, out, err) = svc.hotfix(&["rollback", svc.name(), "--no-reload"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_same(&tree, &svc.venv_state(), "the venv after rollback");
}
