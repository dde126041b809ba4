//! Issue 14 (hardening), the check side, end to end through the binary: special files
//! (FIFOs, devices, folders) are never opened, a size cap bounds every read (PD005), the
//! include walk survives deep chains, wide fan-out, long cycles and links out of the tree,
//! and a file that could not be read is said in every format. Every run has a timeout, so
//! a regression fails instead of hanging CI.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(20);

/// `check --format json TARGET` in `dir`: the output and the parsed report (`null` when
/// stdout is not JSON, so the exit-code assertion that follows shows the output).
fn check_json(dir: &Path, target: &str) -> (std::process::Output, serde_json::Value) {
    let output = pindrift(dir)
        .args(["check", "--no-config", "--format", "json", target])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null);
    (output, report)
}

fn pindrift(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("pindrift").unwrap();
    cmd.env_remove("NO_COLOR")
        .env("CI", "true")
        .current_dir(dir)
        .timeout(TIMEOUT);
    cmd
}

fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[cfg(unix)]
#[test]
fn a_fifo_named_on_the_command_line_or_as_config_is_refused_not_opened() {
    let dir = tree(&[("requirements.txt", "flask==3.0.3\n")]);
    mkfifo(&dir.path().join("fifo.txt"));
    mkfifo(&dir.path().join("pindrift.fifo"));
    for args in [
        vec!["check", "--no-config", "fifo.txt"],
        vec!["check", "--no-config", "--kind", "requirements", "fifo.txt"],
    ] {
        pindrift(dir.path())
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "fifo.txt: a FIFO (named pipe), not a regular file",
            ));
    }
    pindrift(dir.path())
        .args(["check", "--config", "pindrift.fifo", "requirements.txt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("pindrift.fifo").and(predicate::str::contains("FIFO")));
}

#[cfg(unix)]
#[test]
fn a_fifo_or_device_reached_through_r_is_an_include_error_never_opened() {
    let dir = tree(&[
        (
            "requirements.txt",
            "-r fifo.txt\n-c zero.txt\nflask==3.0.3\n",
        ),
        ("outside.txt", "-r /dev/zero\n"),
    ]);
    mkfifo(&dir.path().join("fifo.txt"));
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.txt")).unwrap();
    // Found by the walk (the FIFO and the link to a device are skipped there), and named.
    for path in [".", "requirements.txt"] {
        pindrift(dir.path())
            .args(["check", "--no-config", "--allow-outside", path])
            .assert()
            .code(1)
            .stdout(
                predicate::str::contains(
                    "requirements.txt:1:4: PD002 [error] cannot read included file fifo.txt: a FIFO (named pipe), not a regular file: not opened",
                )
                .and(predicate::str::contains(
                    "requirements.txt:2:4: PD002 [error] cannot read included file zero.txt: a character device",
                )),
            );
    }
    pindrift(dir.path())
        .args(["check", "--no-config", "--allow-outside", "outside.txt"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "cannot read included file /dev/zero: a character device",
        ));
}

#[cfg(unix)]
#[test]
fn a_device_named_directly_or_through_a_link_in_the_tree_is_refused() {
    let dir = tree(&[]);
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("requirements.txt")).unwrap();
    for path in ["requirements.txt", "/dev/zero"] {
        pindrift(dir.path())
            .args(["check", "--no-config", "--allow-outside", path])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "a character device, not a regular file",
            ));
    }
    // Found by the walk: skipped silently, like a folder.
    pindrift(dir.path())
        .args(["check", "--no-config", "."])
        .assert()
        .code(0);
}

#[test]
fn a_file_past_the_size_cap_is_pd005_and_not_read() {
    let big = "flask\n".repeat(100);
    let dir = tree(&[
        ("requirements.txt", "-r big.txt\nrequests==2.32.3\n"),
        ("big.txt", &big),
        (
            "Dockerfile",
            &format!("FROM python:3.12\n{}", "# x\n".repeat(200)),
        ),
    ]);
    pindrift(dir.path())
        .args(["check", "--no-config", "--max-file-size", "512"])
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains(
                "big.txt:1:1: PD005 [error] file is larger than the 512 bytes limit",
            )
            .and(predicate::str::contains("Dockerfile:1:1: PD005 [error]"))
            .and(predicate::str::contains("PD101").not())
            // Nothing was read, so no source line or caret is shown under it.
            .and(predicate::str::contains("1 | ").not()),
        );
    // The same from pindrift.toml, as a string with a unit or as a number of bytes.
    for value in ["\"512B\"", "512"] {
        std::fs::write(
            dir.path().join("pindrift.toml"),
            format!("max-file-size = {value}\n"),
        )
        .unwrap();
        pindrift(dir.path())
            .args(["check"])
            .assert()
            .code(1)
            .stdout(predicate::str::contains("big.txt:1:1: PD005"));
    }
    std::fs::write(
        dir.path().join("pindrift.toml"),
        "max-file-size = \"10 parsecs\"\n",
    )
    .unwrap();
    pindrift(dir.path())
        .args(["check"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("max-file-size"));
    std::fs::remove_file(dir.path().join("pindrift.toml")).unwrap();
    // Under the default cap (10 MiB) the file is read.
    pindrift(dir.path())
        .args(["check", "--no-config"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("PD101").and(predicate::str::contains("PD005").not()));
    pindrift(dir.path())
        .args(["check", "--no-config", "--max-file-size", "0"])
        .assert()
        .code(2);
}

/// `n` files `r0.txt` → `r1.txt` → … → `r{n}.txt`, each with one unpinned requirement.
fn chain(dir: &Path, n: usize, last: &str) {
    for i in 0..n {
        std::fs::write(
            dir.join(format!("r{i}.txt")),
            format!("-r r{}.txt\npkg{i}\n", i + 1),
        )
        .unwrap();
    }
    std::fs::write(dir.join(format!("r{n}.txt")), last).unwrap();
}

#[test]
fn a_10000_deep_include_chain_neither_overflows_nor_crawls() {
    let dir = tree(&[]);
    chain(dir.path(), 10_000, "last==1.0\n");
    let started = Instant::now();
    let (output, report) = check_json(dir.path(), "r0.txt");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(report["summary"]["findings"], 10_000);
    assert_eq!(report["summary"]["files"], 10_001);
    // Every file of the chain is read (the order pip reads them in is checked by the unit
    // test `includes_are_read_depth_first_in_file_order_as_pip_reads_them`).
    assert_eq!(report["findings"][0]["path"], "r0.txt");
    assert_eq!(report["findings"][9_999]["path"], "r9999.txt");
    assert!(started.elapsed() < TIMEOUT);
}

#[test]
fn a_cycle_of_any_length_is_one_bounded_pd002() {
    for n in [1usize, 2, 3, 50, 5_000] {
        let dir = tree(&[]);
        chain(dir.path(), n - 1, "-r r0.txt\nlast==1.0\n");
        let (output, report) = check_json(dir.path(), "r0.txt");
        assert_eq!(output.status.code(), Some(1), "{n}: {output:?}");
        let cycles: Vec<&serde_json::Value> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "PD002")
            .collect();
        assert_eq!(cycles.len(), 1, "{n}: {cycles:?}");
        let message = cycles[0]["message"].as_str().unwrap();
        assert!(message.starts_with("include cycle: r0.txt → "), "{message}");
        assert!(message.chars().count() < 200, "{n}: {message}");
        assert_eq!(report["summary"]["files"], n);
    }
}

#[test]
fn one_file_included_from_10000_places_is_read_once_per_install() {
    let dir = tree(&[("common.txt", "shared\n")]);
    let mut includes = String::new();
    for i in 0..10_000 {
        includes.push_str("-r common.txt\n");
        std::fs::write(
            dir.path().join(format!("svc{i}-requirements.txt")),
            "-r common.txt\nflask==3.0.3\n",
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("requirements.txt"), includes).unwrap();
    let started = Instant::now();
    let (output, report) = check_json(dir.path(), ".");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    // `shared` is unpinned once, in common.txt, however many installs read it.
    assert_eq!(report["summary"]["findings"], 1);
    assert_eq!(report["summary"]["files"], 10_002);
    assert!(started.elapsed() < TIMEOUT);
}

#[test]
fn one_file_including_10000_files_is_one_linear_install() {
    let dir = tree(&[]);
    let mut includes = String::new();
    for i in 0..10_000 {
        includes.push_str(&format!("-r deps/d{i}.txt\n"));
    }
    std::fs::create_dir(dir.path().join("deps")).unwrap();
    for i in 0..10_000 {
        std::fs::write(
            dir.path().join(format!("deps/d{i}.txt")),
            format!("# pindrift: ignore[PD102]\npkg{i}>=1\n"),
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("requirements.txt"), includes).unwrap();
    let started = Instant::now();
    let (output, report) = check_json(dir.path(), ".");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(report["summary"]["files"], 10_001);
    assert!(started.elapsed() < TIMEOUT);
}

#[cfg(unix)]
#[test]
fn includes_through_links_and_dotdot_out_of_the_tree_are_reported_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "hunter2\n").unwrap();
    let dir = tree(&[]);
    let secret = outside.path().join("secret.txt");
    std::os::unix::fs::symlink(&secret, dir.path().join("link.txt")).unwrap();
    let dotdot = format!(
        "{}/secret.txt",
        "../".repeat(dir.path().components().count() + 2)
            + outside.path().strip_prefix("/").unwrap().to_str().unwrap()
    );
    std::fs::write(
        dir.path().join("requirements.txt"),
        format!("-r link.txt\n-r {dotdot}\n"),
    )
    .unwrap();
    pindrift(dir.path())
        .args(["check", "--no-config", "requirements.txt"])
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("requirements.txt:1:4: PD002")
                .and(predicate::str::contains("requirements.txt:2:4: PD002"))
                .and(predicate::str::contains("outside the tree"))
                .and(predicate::str::contains("hunter2").not()),
        );
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_is_said_in_every_format_next_to_what_was_found() {
    // A dangling link with a lintable name cannot be read (even by root).
    let dir = tree(&[("dev-requirements.txt", "flask\n")]);
    std::os::unix::fs::symlink("nowhere.txt", dir.path().join("requirements.txt")).unwrap();
    pindrift(dir.path())
        .args(["check", "--no-config"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains(
            "Found 1 problem (0 errors, 1 warning, 0 notes) in 1 file; 1 file could not be read",
        ))
        .stderr(predicate::str::contains("requirements.txt: No such file"));
    let (output, report) = check_json(dir.path(), ".");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(report["summary"]["unreadable"], 1);
    assert_eq!(
        report["errors"][0]["message"],
        "requirements.txt: No such file or directory"
    );
    let output = pindrift(dir.path())
        .args(["check", "--no-config", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert_eq!(
        invocation["toolExecutionNotifications"][0]["message"]["text"],
        "requirements.txt: No such file or directory"
    );
    assert_eq!(
        invocation["toolExecutionNotifications"][0]["level"],
        "error"
    );
    pindrift(dir.path())
        .args(["check", "--no-config", "--format", "github"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains(
            "::error title=pindrift::requirements.txt: No such file or directory",
        ));
    // Nothing else found: the summary must not say "No problems".
    std::fs::remove_file(dir.path().join("dev-requirements.txt")).unwrap();
    pindrift(dir.path())
        .args(["check", "--no-config"])
        .assert()
        .code(2)
        .stdout(
            predicate::str::contains("No problems")
                .not()
                .and(predicate::str::contains("1 file could not be read")),
        );
}

#[cfg(unix)]
#[test]
fn an_ignore_file_that_is_a_device_or_fifo_is_refused_not_read_by_the_walk() {
    // git can commit a symlink: `.gitignore -> /dev/zero` used to fill memory in the walk.
    let dir = tree(&[
        ("requirements.txt", "flask==3.0.3\n"),
        ("sub/requirements.txt", "flask\n"),
    ]);
    std::os::unix::fs::symlink("/dev/zero", dir.path().join(".gitignore")).unwrap();
    pindrift(dir.path())
        .args(["check", "--no-config"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            ".gitignore: a character device, not a regular file: ignore file not read",
        ));
    std::fs::remove_file(dir.path().join(".gitignore")).unwrap();
    // Below the walked folder: that folder is not walked, the rest is linted.
    mkfifo(&dir.path().join("sub/.ignore"));
    pindrift(dir.path())
        .args(["check", "--no-config"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("1 file could not be read"))
        .stderr(predicate::str::contains("sub/.ignore: a FIFO (named pipe)"));
}

/// Issue 14, drift side: `freeze:` and `req:` sources are read like files for check: a FIFO,
/// a device or a folder is refused before it is opened (no hang, no unbounded read), a
/// missing `req:` file is an error (it was an empty specification, exit 0), and stdin
/// (`freeze:-`) stays allowed but capped.
#[cfg(unix)]
#[test]
fn drift_refuses_fifos_devices_folders_and_missing_files() {
    let dir = tree(&[("f.txt", "six==1.16.0\n")]);
    mkfifo(&dir.path().join("fifo"));
    for (source, says) in [
        (
            "freeze:fifo",
            "fifo: a FIFO (named pipe), not a regular file",
        ),
        ("req:fifo", "fifo: a FIFO (named pipe), not a regular file"),
        (
            "freeze:/dev/zero",
            "/dev/zero: a character device, not a regular file",
        ),
        (
            "req:/dev/zero",
            "/dev/zero: a character device, not a regular file",
        ),
        ("freeze:.", ".: a folder, not a regular file"),
        ("req:.", ".: a folder, not a regular file"),
        ("req:missing.txt", "missing.txt: No such file or directory"),
        (
            "freeze:missing.txt",
            "missing.txt: No such file or directory",
        ),
    ] {
        let started = Instant::now();
        pindrift(dir.path())
            .args(["drift", source, "freeze:f.txt"])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(says));
        assert!(started.elapsed() < Duration::from_secs(10), "{source}");
    }
    std::fs::write(dir.path().join("big.txt"), "six==1.16.0\n".repeat(200)).unwrap();
    for source in ["freeze:big.txt", "req:big.txt"] {
        pindrift(dir.path())
            .args(["drift", "--max-file-size", "1KiB", source, "freeze:f.txt"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "big.txt: larger than the 1 KiB limit",
            ));
    }
    pindrift(dir.path())
        .args(["drift", "freeze:-", "freeze:f.txt"])
        .write_stdin("six==1.16.0\n")
        .assert()
        .code(0);
    pindrift(dir.path())
        .args([
            "drift",
            "--max-file-size",
            "1KiB",
            "freeze:-",
            "freeze:f.txt",
        ])
        .write_stdin("six==1.16.0\n".repeat(200))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "stdin is larger than the 1 KiB limit",
        ));
}

/// A fake Docker Engine on a unix socket: accepts every connection, answers `GET /version`
/// when `version` is set (so that pindrift gets past connecting), and never answers
/// anything else. Lives as long as the test process.
#[cfg(unix)]
fn silent_engine(dir: &Path, version: bool) -> String {
    use std::io::{Read as _, Write as _};
    let socket = dir.join("engine.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 {
                        return;
                    }
                    seen.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&seen).into_owned();
                    let first = text.lines().next().unwrap_or("").to_string();
                    if version && text.contains("\r\n\r\n") && first.contains("/version ") {
                        let body =
                            r#"{"ApiVersion":"1.41","Version":"20.10.24","MinAPIVersion":"1.12"}"#;
                        let _ = write!(
                            stream,
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        seen.clear();
                    }
                    // Anything else: read, never answered.
                }
            });
        }
    });
    format!("unix://{}", socket.display())
}

/// Issue 14: an engine that never answers (at all, or after the version handshake) makes
/// `drift` give up after `--timeout` seconds with exit 2 and a message that says so; the
/// default wait is 60 s, no longer 120 s.
#[cfg(unix)]
#[test]
fn drift_gives_up_on_an_engine_that_never_answers() {
    for (version, says) in [
        (
            false,
            "no answer within 2 s (--timeout SECONDS waits longer)",
        ),
        (
            true,
            "inspecting image app:1: the Docker Engine did not answer within 2 s",
        ),
    ] {
        let dir = tree(&[("f.txt", "six==1.16.0\n")]);
        let host = silent_engine(dir.path(), version);
        let started = Instant::now();
        pindrift(dir.path())
            .env("DOCKER_HOST", &host)
            .env("PINDRIFT_CACHE_DIR", dir.path().join("cache"))
            .args(["drift", "--timeout", "2", "image:app:1", "freeze:f.txt"])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(says));
        let took = started.elapsed();
        // Connecting, the request, and the clean-up's look for temporary containers (one
        // more timeout) at the most.
        assert!(took < Duration::from_secs(8), "{version}: {took:?}");
        assert!(took >= Duration::from_secs(2), "{version}: {took:?}");
    }
    pindrift(Path::new("."))
        .args(["drift", "--help"])
        .assert()
        .stdout(predicate::str::contains("[default: 60]"));
}
