//! Helpers for the Docker tests: the cached base image, wheels from PyPI, unique names, and
//! guards that remove what a test created even when it fails.
#![allow(dead_code)]

pub mod engine2;
pub mod registry;
pub mod service;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

pub const BASE_IMAGE: &str = "pindrift-test/debian-python:1";

/// The Docker tests are `#[ignore = "needs the Docker Engine"]`: plain `cargo test` lists them
/// as ignored, `cargo test -- --include-ignored` (the README's command, `.ci/run`) runs them,
/// and then an engine that does not answer fails the test: a test never passes without
/// having run.
pub fn require_docker() {
    let ok = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "needs the Docker Engine, but `docker info` failed; run `cargo test` without \
         --include-ignored to leave the Docker tests out"
    );
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{:?} failed:\n{}\n{}",
        cmd,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The debootstrapped base image, built once per machine.
pub fn base_image() -> &'static str {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        run(Command::new("bash")
            .arg(repo().join("tests/support/build-base-image.sh"))
            .arg(BASE_IMAGE));
    });
    BASE_IMAGE
}

/// Real wheels from PyPI, downloaded once into target/drift-wheels.
pub fn wheels() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        cached_wheels(
            "drift-wheels",
            &["eventlet-0.20.0-", "eventlet-0.20.1-", "six-1.16.0-"],
            |tmp| {
                // One requirement per call: pip refuses two versions of one name in one resolve.
                for req in ["eventlet==0.20.0", "eventlet==0.20.1", "six==1.16.0"] {
                    pip_download(tmp, req);
                }
            },
        )
    })
    .clone()
}

/// A folder of wheels cached under target/`name`: when a wheel starting with one of
/// `wanted` is missing, `fetch` fills a temporary folder that is then moved in (so a run
/// cut short never leaves half a cache). Returns the folder, every wanted wheel in it.
pub fn cached_wheels(name: &str, wanted: &[&str], fetch: impl FnOnce(&Path)) -> PathBuf {
    let dir = repo().join("target").join(name);
    let have = |d: &Path| {
        let names: Vec<String> = std::fs::read_dir(d)
            .map(|r| {
                r.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        wanted.iter().all(|w| {
            names
                .iter()
                .any(|n| n.starts_with(w) && n.ends_with(".whl"))
        })
    };
    if !have(&dir) {
        let tmp = repo().join(format!("target/{name}.tmp{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap();
        fetch(&tmp);
        std::fs::create_dir_all(&dir).unwrap();
        for e in std::fs::read_dir(&tmp).unwrap() {
            let e = e.unwrap();
            let _ = std::fs::rename(e.path(), dir.join(e.file_name()));
        }
        let _ = std::fs::remove_dir_all(&tmp);
    }
    assert!(have(&dir), "wheels missing in {}", dir.display());
    dir
}

/// Downloads the wheel of one requirement (no dependencies) from PyPI into `dir`.
pub fn pip_download(dir: &Path, requirement: &str) {
    run(Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--only-binary=:all:",
        ])
        .args(["--disable-pip-version-check", "-d"])
        .arg(dir)
        .arg(requirement));
}

/// Waits for `child` to exit, polling; kills it and panics with `what` after `limit`.
pub fn wait_for_exit(
    child: &mut std::process::Child,
    limit: std::time::Duration,
    what: &str,
) -> std::process::ExitStatus {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("pindrift did not stop {what}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A name unique to this process and call: `pindrift-t-<prefix>-<pid>-<n>`.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "pindrift-t-{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// Removes an image tag on drop.
pub struct ImageGuard(pub String);
impl Drop for ImageGuard {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rmi", "-f", &self.0]).output();
    }
}

/// The files of folder `dir` as `(prefix/name, bytes)`, sorted by name.
pub fn folder_files(dir: &Path, prefix: &str) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                format!("{prefix}/{}", e.file_name().to_string_lossy()),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// An image the suite keeps in the engine, like its base image: tagged
/// `pindrift-test/NAME:<digest>`, the digest of everything it is built from (the base
/// image's id, the Dockerfile, the files, and [`wheels`] when `with_wheels`), built with
/// [`build_image`] only when that tag is missing and shared by every test after. Tests
/// must only run containers of it or build `FROM` it, never change or remove it. Older
/// tags of `pindrift-test/NAME` are removed when a new one is built. Returns the tag.
pub fn suite_image(
    name: &str,
    dockerfile: &str,
    files: &[(&str, &[u8])],
    with_wheels: bool,
) -> String {
    use sha2::{Digest, Sha256};
    let text = |out: Output| String::from_utf8_lossy(&out.stdout).into_owned();
    let repository = format!("pindrift-test/{name}");
    let mut digest = Sha256::new();
    let mut feed = |part: &[u8]| {
        digest.update((part.len() as u64).to_le_bytes());
        digest.update(part);
    };
    feed(
        text(docker(&["image", "inspect", "-f", "{{.Id}}", base_image()]))
            .trim()
            .as_bytes(),
    );
    feed(dockerfile.as_bytes());
    let common = if with_wheels {
        folder_files(&wheels(), "wheels")
    } else {
        Vec::new()
    };
    for (file, bytes) in files
        .iter()
        .copied()
        .chain(common.iter().map(|(n, b)| (n.as_str(), b.as_slice())))
    {
        feed(file.as_bytes());
        feed(bytes);
    }
    let hex: String = digest
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let tag = format!("{repository}:{hex}");
    let present = Command::new("docker")
        .args(["image", "inspect", &tag])
        .output()
        .is_ok_and(|o| o.status.success());
    if !present {
        // Built under a unique name, then tagged: a run cut short leaves no half-built tag.
        // The guard then only untags the unique name: the image keeps `tag`.
        let building = build_image(
            &format!("{}:1", unique(name)),
            dockerfile,
            files,
            with_wheels,
        );
        docker(&["tag", &building.0, &tag]);
        let listed = text(docker(&[
            "image",
            "ls",
            &repository,
            "--format",
            "{{.Repository}}:{{.Tag}}",
        ]));
        for old in listed.lines().filter(|t| *t != tag && !t.is_empty()) {
            let _ = Command::new("docker").args(["rmi", old]).output();
        }
    }
    tag
}

/// An image made by `docker import` of `layer` (a tar of its whole filesystem, as `FROM
/// scratch` plus one layer): what the image holds is exactly what the test wrote.
#[allow(dead_code)]
pub fn import_image(tag: &str, layer: &[u8]) -> ImageGuard {
    use std::io::Write as _;
    let guard = ImageGuard(tag.to_string());
    let mut child = Command::new("docker")
        .args([
            "import",
            "--change",
            &format!("LABEL pindrift.test={tag}"),
            "-",
            tag,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn docker import");
    child.stdin.take().unwrap().write_all(layer).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "docker import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    guard
}

/// Removes a container on drop.
pub struct ContainerGuard(pub String);
impl Drop for ContainerGuard {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["rm", "-f", "-v", &self.0])
            .output();
    }
}

/// Build an image from a Dockerfile and files (relative path, bytes); the wheels folder is
/// available as `wheels/` in the context when `with_wheels`.
pub fn build_image(
    tag: &str,
    dockerfile: &str,
    files: &[(&str, &[u8])],
    with_wheels: bool,
) -> ImageGuard {
    let ctx = tempfile::tempdir().unwrap();
    std::fs::write(ctx.path().join("Dockerfile"), dockerfile).unwrap();
    for (rel, data) in files {
        let p = ctx.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
    if with_wheels {
        let w = ctx.path().join("wheels");
        std::fs::create_dir_all(&w).unwrap();
        for e in std::fs::read_dir(wheels()).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), w.join(e.file_name())).unwrap();
        }
    }
    let guard = ImageGuard(tag.to_string());
    // The legacy builder shares cached intermediate images between builds; another test's
    // guard removing its image removes those parents too, and a build that was using one
    // fails ("failed to get digest", "No such image"). Building again does not need it.
    for attempt in 1..=3 {
        let mut cmd = Command::new("docker");
        cmd.env("DOCKER_BUILDKIT", "0")
            .args(["build", "-q", "-t", tag])
            .arg(ctx.path());
        let out = cmd.output().expect("spawn docker build");
        if out.status.success() {
            return guard;
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let raced = stderr.contains("failed to get digest") || stderr.contains("No such image");
        assert!(
            raced && attempt < 3,
            "{cmd:?} failed:\n{}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    guard
}

/// Start a container that sleeps; removed on drop.
pub fn run_container(name: &str, image: &str, labels: &[&str]) -> ContainerGuard {
    let guard = ContainerGuard(name.to_string());
    let mut cmd = Command::new("docker");
    cmd.args(["run", "-d", "--network", "none", "--name", name]);
    for l in labels {
        cmd.args(["--label", l]);
    }
    run(cmd.args([image, "sleep", "3600"]));
    guard
}

pub fn docker(args: &[&str]) -> Output {
    run(Command::new("docker").args(args))
}

/// Run pindrift with arguments; returns (exit code, stdout, stderr).
pub fn pindrift(args: &[&str]) -> (i32, String, String) {
    pindrift_env(args, &[])
}

pub fn pindrift_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pindrift"));
    cmd.args(args);
    // Image inventory cache inside the build folder, never the user's.
    cmd.env("PINDRIFT_CACHE_DIR", repo().join("target/test-cache"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run pindrift");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Containers created from `image` (all states).
pub fn containers_of(image: &str) -> Vec<String> {
    let out = docker(&["ps", "-a", "-q", "--filter", &format!("ancestor={image}")]);
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}
