//! `pindrift pin` end to end: the real binary rewrites files in a temp folder from `freeze:`
//! sources (no engine needed). The Docker test is in tests/pin_docker.rs.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::fs;
use std::path::Path;
use std::process::Command;

/// Runs pindrift in `dir`; (exit code, stdout, stderr).
fn pin_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pindrift"))
        .current_dir(dir)
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1764460800")
        .env("NO_COLOR", "1")
        .env("PIN_TEST_PKG", "requests")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const FREEZE: &str = "eventlet==0.20.0\ngreenlet==0.4.17\nFlask==2.3.3\ngunicorn==21.2.0\nsix==1.16.0\nhashed==2.0\nzope.interface==6.0\nrequests==2.31.0\npywin32==306\n";

fn tree(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("prod.freeze"), FREEZE).unwrap();
    for (name, bytes) in files {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }
    dir
}

const FROM: &[&str] = &[
    "--from",
    "freeze:prod.freeze",
    "--python-version",
    "3.11",
    "--platform",
    "linux",
];

fn args<'a>(head: &[&'a str]) -> Vec<&'a str> {
    let mut all: Vec<&str> = vec!["pin"];
    all.extend_from_slice(head);
    all.extend_from_slice(FROM);
    all
}

/// Every byte outside the pinned spans stays: BOM, CRLF, tabs, comments, a continuation with
/// `--hash`, markers, a missing final newline.
const MESSY: &[u8] = b"\xef\xbb\xbf# top comment\r\neventlet\t# the incident\r\nFlask[async] >= 2.0 ; python_version >= \"3.8\"  # c\r\ngunicorn>=20.1\r\nhashed>=1 \\\r\n    --hash=sha256:abc\r\npywin32 ; sys_platform == \"win32\"\r\nsix==1.15.0\r\nzope_interface\r\nmissing-from-source\r\n${PIN_TEST_PKG}>=1\r\nrequests";

#[test]
fn rewrites_only_the_version_parts() {
    let dir = tree(&[("requirements.txt", MESSY)]);
    let (code, out, err) = pin_in(dir.path(), &args(&[]));
    assert_eq!(code, 0, "{out}{err}");
    let written = fs::read(dir.path().join("requirements.txt")).unwrap();
    assert_eq!(
        String::from_utf8(written).unwrap(),
        "\u{feff}# top comment\r\neventlet==0.20.0\t# the incident\r\nFlask[async] ==2.3.3 ; python_version >= \"3.8\"  # c\r\ngunicorn==21.2.0\r\nhashed>=1 \\\r\n    --hash=sha256:abc\r\npywin32 ; sys_platform == \"win32\"\r\nsix==1.15.0\r\nzope_interface==6.0\r\nmissing-from-source\r\n${PIN_TEST_PKG}>=1\r\nrequests==2.31.0"
    );
    for (line, code) in [
        ("5:1", "left (hashed)"),
        ("7:1", "left (marker-false)"),
        ("8:1", "left (drift)"),
        ("10:1", "left (not-in-source)"),
        ("11:1", "left (not-verbatim)"),
    ] {
        assert!(
            out.lines().any(|l| l.contains(line) && l.contains(code)),
            "{line} {code}:\n{out}"
        );
    }
    assert!(
        out.contains("Pinned 5 in 1 file from freeze:prod.freeze"),
        "{out}"
    );
}

#[test]
fn a_second_run_changes_nothing() {
    let dir = tree(&[("requirements.txt", MESSY)]);
    assert_eq!(pin_in(dir.path(), &args(&[])).0, 0);
    let once = fs::read(dir.path().join("requirements.txt")).unwrap();
    let (code, out, _) = pin_in(dir.path(), &args(&[]));
    assert_eq!(code, 0);
    assert!(out.contains("Pinned 0 in 0 files"), "{out}");
    assert_eq!(fs::read(dir.path().join("requirements.txt")).unwrap(), once);
    // Nothing left beside it (no temp files).
    let mut names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["prod.freeze", "requirements.txt"]);
}

#[test]
fn check_writes_nothing_and_exits_1_while_anything_is_pending_or_unresolved() {
    let dir = tree(&[
        ("requirements.txt", b"eventlet\ngunicorn>=20\n"),
        ("ok/requirements.txt", b"eventlet==0.20.0\n"),
        (
            "unresolved/requirements.txt",
            b"eventlet==0.20.0\nnot-there\n",
        ),
    ]);
    let (code, out, err) = pin_in(dir.path(), &args(&["--check", "requirements.txt"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("would pin"), "{out}");
    assert_eq!(
        fs::read_to_string(dir.path().join("requirements.txt")).unwrap(),
        "eventlet\ngunicorn>=20\n"
    );
    assert_eq!(pin_in(dir.path(), &args(&["--check", "ok"])).0, 0);
    assert_eq!(pin_in(dir.path(), &args(&["--check", "unresolved"])).0, 1);
    // A marker false for the source is not "unresolved": nothing can be done about it.
    let dir = tree(&[(
        "requirements.txt",
        b"eventlet==0.20.0\npywin32; sys_platform == 'win32'\n",
    )]);
    assert_eq!(pin_in(dir.path(), &args(&["--check"])).0, 0);
    // Without the platform, the marker cannot be judged: unresolved, never guessed.
    let (code, out, _) = pin_in(
        dir.path(),
        &["pin", "--check", "--from", "freeze:prod.freeze"],
    );
    assert_eq!(code, 1);
    assert!(out.contains("marker-unknown"), "{out}");
}

#[test]
fn diff_is_unified_and_writes_nothing() {
    let dir = tree(&[(
        "requirements.txt",
        b"# web\nflask==2.3.3\neventlet\ngunicorn>=20.1\n",
    )]);
    let (code, out, err) = pin_in(dir.path(), &args(&["--diff"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "--- a/requirements.txt\n+++ b/requirements.txt\n@@ -1,4 +1,4 @@\n # web\n flask==2.3.3\n-eventlet\n-gunicorn>=20.1\n+eventlet==0.20.0\n+gunicorn==21.2.0\n"
    );
    assert!(err.contains("Would pin 2 in 1 file"), "{err}");
    assert_eq!(
        fs::read_to_string(dir.path().join("requirements.txt")).unwrap(),
        "# web\nflask==2.3.3\neventlet\ngunicorn>=20.1\n"
    );
}

#[test]
fn drift_is_reported_and_rewritten_only_with_sync() {
    let dir = tree(&[("requirements.txt", b"six==1.15.0\neventlet>=0.30\n")]);
    let (code, out, _) = pin_in(dir.path(), &args(&[]));
    assert_eq!(code, 0);
    assert!(
        out.contains("pinned to 1.15.0, the source runs 1.16.0 (--sync rewrites it)"),
        "{out}"
    );
    assert!(
        out.contains("pinned to >=0.30, the source runs 0.20.0"),
        "{out}"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("requirements.txt")).unwrap(),
        "six==1.15.0\neventlet>=0.30\n"
    );
    let (code, _, _) = pin_in(dir.path(), &args(&["--sync"]));
    assert_eq!(code, 0);
    assert_eq!(
        fs::read_to_string(dir.path().join("requirements.txt")).unwrap(),
        "six==1.16.0\neventlet==0.20.0\n"
    );
}

#[test]
fn json_plan() {
    let dir = tree(&[
        (
            "requirements.txt",
            b"eventlet\nsix==1.15.0\npywin32; sys_platform == 'win32'\nnope\n-r base.txt\n",
        ),
        ("base.txt", b"gunicorn ~= 21.0\n"),
    ]);
    let (code, out, err) = pin_in(dir.path(), &args(&["--check", "--format", "json"]));
    assert_eq!(code, 1, "{err}");
    insta::assert_snapshot!(out);
}

#[test]
fn includes_are_followed_and_constraints_only_on_request() {
    let dir = tree(&[
        (
            "svc/requirements.txt",
            b"-r base.txt\n-c constraints.txt\n-r ../../outside.txt\neventlet\n",
        ),
        ("svc/base.txt", b"six\n"),
        ("svc/constraints.txt", b"gunicorn>=20\n"),
    ]);
    fs::write(dir.path().join("outside.txt"), "requests\n").unwrap();
    let svc = dir.path().join("svc");
    let (code, out, err) = pin_in(&svc, &["pin", "--from", "freeze:../prod.freeze"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        fs::read_to_string(svc.join("base.txt")).unwrap(),
        "six==1.16.0\n"
    );
    assert_eq!(
        fs::read_to_string(svc.join("constraints.txt")).unwrap(),
        "gunicorn>=20\n"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("outside.txt")).unwrap(),
        "requests\n"
    );
    assert!(err.contains("outside the tree"), "{err}");
    let (code, _, _) = pin_in(
        &svc,
        &["pin", "--constraints", "--from", "freeze:../prod.freeze"],
    );
    assert_eq!(code, 0);
    assert_eq!(
        fs::read_to_string(svc.join("constraints.txt")).unwrap(),
        "gunicorn==21.2.0\n"
    );
}

#[test]
fn exclude_and_config_are_honoured_as_check_honours_them() {
    let dir = tree(&[
        ("a/requirements.txt", b"eventlet\n"),
        ("vendor/requirements.txt", b"eventlet\n"),
        (
            "pindrift.toml",
            b"exclude = [\"vendor/\"]\nallow-unpinned = [\"six\"]\n",
        ),
        ("b/requirements.txt", b"six\n"),
    ]);
    let (code, out, err) = pin_in(dir.path(), &args(&[]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        fs::read_to_string(dir.path().join("a/requirements.txt")).unwrap(),
        "eventlet==0.20.0\n"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("vendor/requirements.txt")).unwrap(),
        "eventlet\n"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("b/requirements.txt")).unwrap(),
        "six\n"
    );
    assert!(out.contains("left (exempt)"), "{out}");
}

#[cfg(unix)]
#[test]
fn writes_through_symlinks_and_keeps_the_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tree(&[("real/reqs.in", b"eventlet\n")]);
    fs::set_permissions(
        dir.path().join("real/reqs.in"),
        fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    std::os::unix::fs::symlink("real/reqs.in", dir.path().join("requirements.txt")).unwrap();
    let (code, out, err) = pin_in(dir.path(), &args(&["requirements.txt"]));
    assert_eq!(code, 0, "{out}{err}");
    let link = dir.path().join("requirements.txt");
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::read_to_string(dir.path().join("real/reqs.in")).unwrap(),
        "eventlet==0.20.0\n"
    );
    assert_eq!(
        fs::metadata(dir.path().join("real/reqs.in"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
}

#[test]
fn a_read_only_file_is_an_error_naming_it_and_stays_as_it_was() {
    let dir = tree(&[
        ("requirements.txt", b"eventlet\n"),
        ("b/requirements.txt", b"six\n"),
    ]);
    let path = dir.path().join("requirements.txt");
    let mut permissions = fs::metadata(&path).unwrap().permissions();
    permissions.set_readonly(true);
    fs::set_permissions(&path, permissions).unwrap();
    let (code, _, err) = pin_in(dir.path(), &args(&[]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("requirements.txt: read-only file: not written"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), "eventlet\n");
    // The other file is written: one failure does not hide the rest.
    assert_eq!(
        fs::read_to_string(dir.path().join("b/requirements.txt")).unwrap(),
        "six==1.16.0\n"
    );
}

#[test]
fn a_file_that_is_not_utf8_is_never_rewritten() {
    let bytes: &[u8] = b"eventlet\ncaf\xe9\n";
    let dir = tree(&[("requirements.txt", bytes)]);
    let (code, out, err) = pin_in(dir.path(), &args(&["--check"]));
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("left (not-utf8)"), "{out}");
    let (_, _, _) = pin_in(dir.path(), &args(&[]));
    assert_eq!(
        fs::read(dir.path().join("requirements.txt")).unwrap(),
        bytes
    );
}

#[test]
fn lock_writes_every_package_and_includes_it_once() {
    let dir = tree(&[("requirements.txt", b"eventlet\n")]);
    let (code, out, err) = pin_in(dir.path(), &args(&["--lock", "constraints.txt"]));
    assert_eq!(code, 0, "{out}{err}");
    let lock = fs::read_to_string(dir.path().join("constraints.txt")).unwrap();
    assert_eq!(
        lock,
        "# Constraints written by `pindrift pin --lock` from what runs in\n\
         # freeze:prod.freeze, environment freeze\n\
         # Date: 2025-11-30\n\
         # Every package of that environment, transitive ones included. Regenerate, do not edit.\n\
         eventlet==0.20.0\nFlask==2.3.3\ngreenlet==0.4.17\ngunicorn==21.2.0\nhashed==2.0\npywin32==306\nrequests==2.31.0\nsix==1.16.0\nzope.interface==6.0\n"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("requirements.txt")).unwrap(),
        "eventlet==0.20.0\n-c constraints.txt\n"
    );
    // Again, another day: nothing changes.
    let out = Command::new(env!("CARGO_BIN_EXE_pindrift"))
        .current_dir(dir.path())
        .args(args(&["--lock", "constraints.txt", "--check"]))
        .env("SOURCE_DATE_EPOCH", "1764547200")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("constraints.txt")).unwrap(),
        lock
    );
}

#[test]
fn pinned_files_pass_check() {
    let dir = tree(&[("requirements.txt", MESSY)]);
    let check = |dir: &Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_pindrift"))
            .current_dir(dir)
            .args(["check", "--format", "json", "requirements.txt"])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut codes: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{}:{}", f["line"], f["code"].as_str().unwrap()))
            .collect();
        codes.sort();
        codes
    };
    let before = check(dir.path());
    assert!(before.contains(&"2:PD101".to_string()), "{before:?}");
    assert_eq!(pin_in(dir.path(), &args(&[])).0, 0);
    let after = check(dir.path());
    for pinned in ["2:", "3:", "4:", "9:", "12:"] {
        assert!(
            !after
                .iter()
                .any(|c| c.starts_with(pinned) && (c.ends_with("PD101") || c.ends_with("PD102"))),
            "{pinned} {after:?}"
        );
    }
}

#[test]
fn an_unreadable_source_is_an_error() {
    let dir = tree(&[("requirements.txt", b"eventlet\n")]);
    let (code, _, err) = pin_in(dir.path(), &["pin", "--from", "freeze:nope.txt"]);
    assert_eq!(code, 2);
    assert!(err.contains("nope.txt"), "{err}");
    let (code, _, err) = pin_in(dir.path(), &["pin", "--from", "web"]);
    assert_eq!(code, 2);
    assert!(err.contains("has no kind"), "{err}");
    assert_eq!(
        fs::read_to_string(dir.path().join("requirements.txt")).unwrap(),
        "eventlet\n"
    );
}

/// PowerShell's `pip freeze > requirements.txt` writes UTF-16 with a BOM, and a PEP 263
/// `coding: latin-1` line is pip's other encoding: both decode losslessly, so both are
/// pinned and written back in their own encoding.
#[test]
fn utf16_and_latin1_files_keep_their_encoding() {
    let utf16 = |text: &str| -> Vec<u8> {
        [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect()
    };
    let latin1: &[u8] = b"# -*- coding: latin-1 -*-\neventlet  # caf\xe9\n";
    let dir = tree(&[
        ("a/requirements.txt", &utf16("eventlet\r\nsix>=1\r\n")),
        ("b/requirements.txt", latin1),
    ]);
    let (code, out, err) = pin_in(dir.path(), &args(&[]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        fs::read(dir.path().join("a/requirements.txt")).unwrap(),
        utf16("eventlet==0.20.0\r\nsix==1.16.0\r\n")
    );
    assert_eq!(
        fs::read(dir.path().join("b/requirements.txt")).unwrap(),
        b"# -*- coding: latin-1 -*-\neventlet==0.20.0  # caf\xe9\n"
    );
}

/// A symlink found beside its target is one file: planned and written once.
#[cfg(unix)]
#[test]
fn a_link_and_its_target_are_written_once() {
    let dir = tree(&[("requirements.txt", b"eventlet\n")]);
    std::os::unix::fs::symlink("requirements.txt", dir.path().join("requirements-link.txt"))
        .unwrap();
    let (code, out, err) = pin_in(dir.path(), &args(&[]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        fs::read_to_string(dir.path().join("requirements.txt")).unwrap(),
        "eventlet==0.20.0\n"
    );
    assert!(out.contains("Pinned 1 in 1 file"), "{out}");
}

#[test]
fn the_freeze_can_come_from_stdin() {
    use std::io::Write;
    let dir = tree(&[("requirements.txt", b"eventlet\n")]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_pindrift"))
        .current_dir(dir.path())
        .args(["pin", "--from", "freeze:-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"eventlet==0.20.0\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        fs::read_to_string(dir.path().join("requirements.txt")).unwrap(),
        "eventlet==0.20.0\n"
    );
}

/// `--lock` naming a file that is not a lock file (a requirements file by mistake) is an
/// error, and nothing is written at all.
#[test]
fn lock_never_overwrites_a_file_it_did_not_write() {
    let dir = tree(&[
        ("requirements.txt", b"eventlet\n-r base.txt\n"),
        ("base.txt", b"six\n"),
    ]);
    let (code, _, err) = pin_in(dir.path(), &args(&["--lock", "base.txt"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("base.txt: exists and was not written by `pindrift pin --lock`"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("base.txt")).unwrap(),
        "six\n"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("requirements.txt")).unwrap(),
        "eventlet\n-r base.txt\n"
    );
}

/// Unmounts on drop.
struct Mount(std::path::PathBuf);
impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A full disk: the new content cannot be written next to the file. A clear error naming
/// the file, exit 2, the file as it was, no temporary file left behind.
#[test]
#[ignore = "needs root: mounts a small tmpfs"]
fn a_full_disk_leaves_the_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(dir.path())
        .status()
        .is_ok_and(|s| s.success());
    assert!(mounted, "cannot mount a tmpfs (needs root)");
    let _mount = Mount(dir.path().to_path_buf());
    fs::write(dir.path().join("prod.freeze"), FREEZE).unwrap();
    let original = format!("{}eventlet\n", "# padding\n".repeat(2000));
    fs::write(dir.path().join("requirements.txt"), &original).unwrap();
    // Fill what is left.
    let mut filler = fs::File::create(dir.path().join("filler")).unwrap();
    while std::io::Write::write_all(&mut filler, &[0u8; 4096]).is_ok() {}
    drop(filler);
    let (code, _, err) = pin_in(dir.path(), &args(&["requirements.txt"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("requirements.txt: cannot write the new content"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("requirements.txt")).unwrap(),
        original
    );
    let mut names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["filler", "prod.freeze", "requirements.txt"]);
}

/// The README's example holds: the demo service pinned from the freeze shipped next to it,
/// run from outside the repository, without writing to it (`--diff`), with no engine to ask.
#[test]
fn the_readme_example_pins_the_demo_from_its_production_freeze() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let demo = repo.join("fixtures/demo");
    let freeze = format!("freeze:{}", demo.join("production.freeze").display());
    let elsewhere = tempfile::tempdir().unwrap();
    let before = fs::read(demo.join("requirements.txt")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pindrift"))
        .current_dir(elsewhere.path())
        .args(["pin", "--diff", demo.to_str().unwrap(), "--from", &freeze])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let requirements = demo.join("requirements.txt");
    let requirements = requirements.display();
    for line in [
        format!("--- {requirements}\n+++ {requirements}\n"),
        "-eventlet\n-gunicorn>=20.1\n+eventlet==0.20.0\n+gunicorn==21.2.0\n".to_string(),
        "-RUN pip install --upgrade pip \\\n+RUN pip install --upgrade pip==23.0.1 \\\n"
            .to_string(),
    ] {
        assert!(stdout.contains(&line), "{line:?} not in\n{stdout}");
    }
    assert!(stderr.contains("python:3.11-slim"), "{stderr}");
    assert_eq!(fs::read(demo.join("requirements.txt")).unwrap(), before);
}
