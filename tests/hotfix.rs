//! `pindrift hotfix` start / cp / edit / status / diff / rollback / finish against the real
//! Docker Engine: containers of the suite's base image running `sleep 3600` with no network,
//! a temporary state folder per test.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod support;

use std::os::unix::fs::PermissionsExt;

use serde_json::Value;
use support::*;

const ORIGINAL: &[u8] = b"def app():\n    return 500  # BIG_PROBLEM\n";
const FIXED: &[u8] = b"def app():\n    return 200\n";

/// A running container of the base image (`sleep 3600`, no network, `SECRET=hunter2` in its
/// environment) with `/app/app.py` = [`ORIGINAL`], mode 0640, owner 1234:1234, mtime in 2020.
fn service(extra: &[&str]) -> ContainerGuard {
    let name = unique("hotfix");
    let guard = ContainerGuard(name.clone());
    let mut args = vec!["run", "-d", "--network", "none", "--name", &name];
    args.extend_from_slice(&["-e", "SECRET=hunter2"]);
    args.extend_from_slice(extra);
    args.extend_from_slice(&[base_image(), "sleep", "3600"]);
    docker(&args);
    if !extra.contains(&"--read-only") {
        sh(
            &name,
            "mkdir -p /app && cat > /app/app.py && chown 1234:1234 /app/app.py \
             && chmod 0640 /app/app.py && touch -d '2020-01-02 03:04:05' /app/app.py",
            ORIGINAL,
        );
    }
    guard
}

/// Run a shell command in the container with `stdin`.
fn sh(container: &str, script: &str, stdin: &[u8]) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("docker")
        .args(["exec", "-i", "-u", "0", container, "sh", "-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// sha256, mode, owner, mtime (seconds), size and type of `path`, through `docker exec`.
fn fingerprint(container: &str, path: &str) -> String {
    sh(
        container,
        &format!("sha256sum {path} && stat -c '%a %u:%g %Y %s %F' {path}"),
        b"",
    )
}

fn exists(container: &str, path: &str) -> bool {
    let out = std::process::Command::new("docker")
        .args(["exec", "-u", "0", container, "test", "-e", path])
        .output()
        .unwrap();
    out.status.success()
}

struct Run {
    state: tempfile::TempDir,
    files: tempfile::TempDir,
    container: String,
}

impl Run {
    fn new(container: &ContainerGuard) -> Run {
        Run {
            state: tempfile::tempdir().unwrap(),
            files: tempfile::tempdir().unwrap(),
            container: container.0.clone(),
        }
    }

    fn hotfix_env(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
        let state = self.state.path().to_str().unwrap();
        let mut all = vec!["hotfix", "--state-dir", state];
        all.extend_from_slice(args);
        pindrift_env(&all, env)
    }

    fn hotfix(&self, args: &[&str]) -> (i32, String, String) {
        self.hotfix_env(args, &[])
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.hotfix(args);
        assert_eq!(code, 0, "hotfix {args:?}:\n{out}\n{err}");
        out
    }

    fn start(&self) {
        self.ok(&["start", &self.container, "--reason", "500 BIG_PROBLEM"]);
    }

    fn target(&self, path: &str) -> String {
        format!("{}:{path}", self.container)
    }

    /// A local file with `content`.
    fn local(&self, name: &str, content: &[u8]) -> String {
        let p = self.files.path().join(name);
        std::fs::write(&p, content).unwrap();
        p.to_str().unwrap().to_string()
    }

    fn status_json(&self) -> Value {
        let out = self.ok(&["status", "--format", "json"]);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    }
}

#[test]
#[ignore = "needs the Docker Engine"]
fn cp_then_rollback_restores_bytes_mode_owner_mtime_and_removes_created_files() {
    require_docker();
    let c = service(&[]);
    let run = Run::new(&c);
    let before = fingerprint(&c.0, "/app/app.py");
    assert!(before.contains("640 1234:1234 1577934245"), "{before}");
    run.start();

    let fixed = run.local("app.py", FIXED);
    let out = run.ok(&["cp", &fixed, &run.target("/app/app.py")]);
    assert!(out.contains("replaced"), "{out}");
    let created = run.local("extra.py", b"EXTRA = 1\n");
    run.ok(&["cp", &created, &run.target("/app/extra.py")]);
    // A second change of the same path keeps the first backup.
    run.ok(&["cp", &fixed, &run.target("/app/app.py")]);

    // The new content keeps the replaced file's owner and mode.
    let now = fingerprint(&c.0, "/app/app.py");
    assert!(now.contains("\n640 1234:1234 "), "{now}");
    assert_eq!(sh(&c.0, "cat /app/app.py", b"").as_bytes(), FIXED);
    assert!(exists(&c.0, "/app/extra.py"));

    // A package that appears after the start is package drift in `diff`.
    sh(
        &c.0,
        "d=/usr/local/lib/python3.11/dist-packages/fakefix-1.2.dist-info && mkdir -p $d \
         && printf 'Metadata-Version: 2.1\nName: fakefix\nVersion: 1.2\n' > $d/METADATA",
        b"",
    );
    let diff = run.ok(&["diff", &c.0]);
    assert!(diff.contains("fakefix 1.2 (added)"), "{diff}");
    assert!(diff.contains("--- /app/app.py (original)"), "{diff}");
    assert!(diff.contains("-    return 500  # BIG_PROBLEM"), "{diff}");
    assert!(diff.contains("+    return 200"), "{diff}");
    assert!(diff.contains("+EXTRA = 1"), "{diff}");

    let status = run.status_json();
    let steps = status["hotfixes"][0]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3, "{status:#}");
    assert!(steps.iter().all(|s| s["state"] == "done"), "{status:#}");
    assert_eq!(status["hotfixes"][0]["container_name"], c.0.as_str());

    let out = run.ok(&["rollback", &c.0, "--no-reload"]);
    assert!(out.contains("rolled back and closed"), "{out}");
    assert_eq!(fingerprint(&c.0, "/app/app.py"), before);
    assert!(!exists(&c.0, "/app/extra.py"), "created file removed");
    // Closed: no active hotfix; a new one can start.
    assert!(run.status_json()["hotfixes"].as_array().unwrap().is_empty());
    run.start();
}

#[test]
#[ignore = "needs the Docker Engine"]
fn state_is_private_and_never_holds_environment_values() {
    require_docker();
    let c = service(&[]);
    let run = Run::new(&c);
    run.start();
    let fixed = run.local("app.py", FIXED);
    run.ok(&["cp", &fixed, &run.target("/app/app.py")]);
    let mut seen = 0;
    for entry in walkdir::WalkDir::new(run.state.path()) {
        let entry = entry.unwrap();
        let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
        let p = entry.path();
        if entry.file_type().is_dir() {
            assert_eq!(mode, 0o700, "{}", p.display());
        } else {
            assert_eq!(mode, 0o600, "{}", p.display());
            let bytes = std::fs::read(p).unwrap();
            assert!(
                !bytes.windows(7).any(|w| w == b"hunter2"),
                "an environment value in {}",
                p.display()
            );
            seen += 1;
        }
    }
    // journal, one blob, one active marker
    assert!(seen >= 3, "{seen} files");
    // The secret really is in the container (the check above could not pass vacuously).
    assert!(sh(&c.0, "echo $SECRET", b"").contains("hunter2"));
}

#[test]
#[ignore = "needs the Docker Engine"]
fn symlinks_dotdot_relative_and_missing_folders_are_refused_and_nothing_changes() {
    require_docker();
    let c = service(&[]);
    sh(
        &c.0,
        "ln -s /etc/passwd /app/link.py && mkdir -p /srv/real && ln -s /srv/real /app/dirlink",
        b"",
    );
    let run = Run::new(&c);
    run.start();
    let passwd = fingerprint(&c.0, "/etc/passwd");
    let fixed = run.local("app.py", FIXED);
    for (path, says) in [
        ("/app/link.py", "is a symlink"),
        (
            "/app/dirlink/x.py",
            "/app/dirlink is a symlink to /srv/real",
        ),
        ("/app/../etc/passwd", "`..`"),
        ("app.py", "not an absolute path"),
        ("/nowhere/x.py", "the folder /nowhere does not exist"),
        ("/app", "folder"),
    ] {
        let (code, out, err) = run.hotfix(&["cp", &fixed, &run.target(path)]);
        assert_eq!(code, 2, "{path}: {out}{err}");
        assert!(err.contains(says), "{path}: {err}");
    }
    assert_eq!(fingerprint(&c.0, "/etc/passwd"), passwd);
    assert!(!exists(&c.0, "/srv/real/x.py"));
    let status = run.status_json();
    assert!(
        status["hotfixes"][0]["steps"]
            .as_array()
            .unwrap()
            .is_empty(),
        "refused before anything was recorded: {status:#}"
    );
}

#[test]
#[ignore = "needs the Docker Engine"]
fn a_container_running_as_another_user_is_rolled_back_too() {
    require_docker();
    // The service runs as 1234; /app belongs to root: only root may remove a file in it.
    let c = service(&["--user", "1234:1234"]);
    let run = Run::new(&c);
    let before = fingerprint(&c.0, "/app/app.py");
    run.start();
    let fixed = run.local("app.py", FIXED);
    run.ok(&["cp", &fixed, &run.target("/app/app.py")]);
    run.ok(&["cp", &fixed, &run.target("/app/created.py")]);
    let out = run.ok(&["rollback", &c.0, "--no-reload"]);
    assert!(out.contains("rolled back and closed"), "{out}");
    assert_eq!(fingerprint(&c.0, "/app/app.py"), before);
    assert!(!exists(&c.0, "/app/created.py"));
}

#[test]
#[ignore = "needs the Docker Engine"]
fn a_created_file_is_removed_in_an_image_without_rm() {
    require_docker();
    let c = service(&[]);
    let run = Run::new(&c);
    run.start();
    let fixed = run.local("app.py", FIXED);
    run.ok(&["cp", &fixed, &run.target("/app/created.py")]);
    sh(&c.0, "rm /usr/bin/rm && test ! -e /usr/bin/rm", b"");
    let out = run.ok(&["rollback", &c.0, "--no-reload"]);
    assert!(out.contains("rolled back and closed"), "{out}");
    assert!(!exists(&c.0, "/app/created.py"));
}

#[test]
#[ignore = "needs the Docker Engine"]
fn a_path_on_a_volume_is_refused() {
    require_docker();
    let c = service(&["-v", "/data"]);
    let run = Run::new(&c);
    run.start();
    let fixed = run.local("app.py", FIXED);
    let (code, out, err) = run.hotfix(&["cp", &fixed, &run.target("/data/app.py")]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("on the mount at /data"), "{err}");
    assert!(!exists(&c.0, "/data/app.py"));
}

#[test]
#[ignore = "needs the Docker Engine"]
fn read_only_container_is_exit_2_and_nothing_changes() {
    require_docker();
    let c = service(&["--read-only"]);
    let run = Run::new(&c);
    run.start();
    let before = fingerprint(&c.0, "/etc/debian_version");
    let fixed = run.local("app.py", FIXED);
    for path in ["/etc/debian_version", "/etc/new.conf"] {
        let (code, out, err) = run.hotfix(&["cp", &fixed, &run.target(path)]);
        assert_eq!(code, 2, "{out}{err}");
        assert!(err.contains("read-only") && err.contains(&c.0), "{err}");
        assert!(err.contains(path), "{err}");
    }
    assert_eq!(fingerprint(&c.0, "/etc/debian_version"), before);
    assert!(!exists(&c.0, "/etc/new.conf"));
    // The journal says the writes failed; rollback has nothing to undo, so nothing to
    // reload either, and closes.
    let status = run.status_json();
    let steps = status["hotfixes"][0]["steps"].as_array().unwrap();
    assert!(steps.iter().all(|s| s["state"] == "failed"), "{status:#}");
    let out = run.ok(&["rollback", &c.0]);
    assert!(out.contains("rolled back and closed"), "{out}");
    assert!(!out.contains("reload"), "{out}");
    assert_eq!(fingerprint(&c.0, "/etc/debian_version"), before);
}

#[test]
#[ignore = "needs the Docker Engine"]
fn a_second_start_is_refused_naming_the_active_hotfix() {
    require_docker();
    let c = service(&[]);
    let run = Run::new(&c);
    run.start();
    let id = run.status_json()["hotfixes"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(id.ends_with("-500-big-problem"), "{id}");
    let (code, out, err) = run.hotfix(&["start", &c.0, "--reason", "again"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains(&id), "{err}");
    run.ok(&["finish", &c.0]);
    run.ok(&["start", &c.0, "--reason", "again"]);
}

#[test]
#[ignore = "needs the Docker Engine"]
fn a_corrupt_or_missing_journal_is_exit_2_naming_file_and_line() {
    require_docker();
    let c = service(&[]);
    let run = Run::new(&c);
    run.start();
    let fixed = run.local("app.py", FIXED);
    run.ok(&["cp", &fixed, &run.target("/app/app.py")]);
    let status = run.status_json();
    let journal = status["hotfixes"][0]["journal"]
        .as_str()
        .unwrap()
        .to_string();
    let text = std::fs::read_to_string(&journal).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    lines[1] = "{\"record\":\"intend\",\"step\":1,\"action\":{\"action\":\"put-fi";
    std::fs::write(&journal, lines.join("\n") + "\n").unwrap();
    for args in [
        vec!["status"],
        vec!["cp", &fixed, &run.target("/app/app.py")],
        vec!["rollback", &c.0, "--no-reload"],
    ] {
        let (code, out, err) = run.hotfix(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(&format!("{journal}:2")), "{args:?}: {err}");
    }
    // Nothing was changed by the commands that refused.
    assert_eq!(sh(&c.0, "cat /app/app.py", b"").as_bytes(), FIXED);

    std::fs::remove_file(&journal).unwrap();
    let (code, _, err) = run.hotfix(&["rollback", &c.0, "--no-reload"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no journal at") && err.contains(&journal),
        "{err}"
    );
}

/// Kill `cp` at every journal boundary (SIGKILL, from inside), then roll back: the original
/// comes back exactly, for a replaced file and for a created one. Then rollback itself is
/// killed at every boundary and run again.
#[test]
#[ignore = "needs the Docker Engine"]
fn sigkill_at_every_journal_boundary_then_rollback_restores_exactly() {
    require_docker();
    let c = service(&[]);
    let run = Run::new(&c);
    let before = fingerprint(&c.0, "/app/app.py");
    let fixed = run.local("app.py", FIXED);
    for path in ["/app/app.py", "/app/created.py"] {
        let mut kills = 0;
        for n in 1..=10 {
            run.start();
            let at = n.to_string();
            let (code, out, err) = run.hotfix_env(
                &["cp", &fixed, &run.target(path)],
                &[("PINDRIFT_TEST_KILL_AT", &at)],
            );
            let killed = code == -1;
            if killed {
                kills += 1;
                // The lock of the dead process is there, and status tells about it.
                let (code, out, err) = run.hotfix(&["status", &c.0]);
                assert_eq!(code, 0, "{out}{err}");
                assert!(err.contains("took over the lock of pid"), "{err}");
                assert!(out.contains("put-file"), "{out}");
            } else {
                assert_eq!(code, 0, "cp with kill at {n}: {out}{err}");
                assert_eq!(sh(&c.0, &format!("cat {path}"), b"").as_bytes(), FIXED);
            }
            let out = run.ok(&["rollback", &c.0, "--no-reload"]);
            assert!(out.contains("rolled back and closed"), "{out}");
            assert_eq!(fingerprint(&c.0, "/app/app.py"), before, "kill at {n}");
            assert!(!exists(&c.0, "/app/created.py"), "kill at {n}");
            if !killed {
                break;
            }
        }
        assert_eq!(kills, 2, "cp has two boundaries (intent, done) for {path}");
    }

    // Rollback killed at each of its boundaries, then run again.
    let mut n = 1;
    loop {
        run.start();
        run.ok(&["cp", &fixed, &run.target("/app/app.py")]);
        run.ok(&["cp", &fixed, &run.target("/app/created.py")]);
        let at = n.to_string();
        let (code, out, err) = run.hotfix_env(
            &["rollback", &c.0, "--no-reload"],
            &[("PINDRIFT_TEST_KILL_AT", &at)],
        );
        if code != -1 {
            assert_eq!(code, 0, "{out}{err}");
            break;
        }
        let (code, out, err) = run.hotfix(&["rollback", &c.0, "--no-reload"]);
        assert_eq!(code, 0, "rollback after a kill at {n}: {out}{err}");
        assert!(err.contains("took over the lock of pid"), "{err}");
        assert_eq!(fingerprint(&c.0, "/app/app.py"), before, "kill at {n}");
        assert!(!exists(&c.0, "/app/created.py"), "kill at {n}");
        n += 1;
        assert!(n < 12, "rollback never completed");
    }
    assert_eq!(n, 5, "rollback has four boundaries for two files");
}

#[test]
#[ignore = "needs the Docker Engine"]
fn a_dead_lock_is_reported_by_cp_and_taken_over_by_rollback() {
    require_docker();
    let c = service(&[]);
    let run = Run::new(&c);
    let before = fingerprint(&c.0, "/app/app.py");
    run.start();
    let fixed = run.local("app.py", FIXED);
    let (code, _, _) = run.hotfix_env(
        &["cp", &fixed, &run.target("/app/app.py")],
        &[("PINDRIFT_TEST_KILL_AT", "1")],
    );
    assert_eq!(code, -1, "killed");
    let (code, out, err) = run.hotfix(&["cp", &fixed, &run.target("/app/app.py")]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("died during step 1 (put-file /app/app.py)")
            && err.contains("hotfix rollback"),
        "{err}"
    );
    let (code, out, err) = run.hotfix(&["rollback", &c.0, "--no-reload"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("took over the lock of pid"), "{err}");
    assert_eq!(fingerprint(&c.0, "/app/app.py"), before);
    // The take-over is in the journal.
    let journals: Vec<_> = walkdir::WalkDir::new(run.state.path())
        .into_iter()
        .flatten()
        .filter(|e| e.file_name() == "journal.jsonl")
        .collect();
    let text = std::fs::read_to_string(journals[0].path()).unwrap();
    assert!(text.contains("taken over by pid"), "{text}");
}

#[test]
#[ignore = "needs the Docker Engine"]
fn a_hotfix_in_use_by_a_live_process_is_refused_naming_its_pid() {
    require_docker();
    let c = service(&[]);
    let run = Run::new(&c);
    run.start();
    // `edit` holds the lock while its editor runs (here: a sleep that changes nothing).
    let state = run.state.path().to_str().unwrap();
    let target = run.target("/app/app.py");
    let mut editing = std::process::Command::new(env!("CARGO_BIN_EXE_pindrift"))
        .args(["hotfix", "--state-dir", state, "edit", &target])
        .env("VISUAL", "sleep 4 #")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lock = walkdir::WalkDir::new(run.state.path())
        .into_iter()
        .flatten()
        .find(|e| e.file_name() == "journal.jsonl")
        .unwrap()
        .path()
        .with_file_name("lock");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !lock.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "edit never took the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let fixed = run.local("app.py", FIXED);
    let (code, out, err) = run.hotfix(&["cp", &fixed, &target]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains(&format!("in use by pid {}", editing.id())),
        "{err}"
    );
    // Status reads it without taking it.
    let status = run.status_json();
    assert_eq!(status["hotfixes"][0]["lock"]["state"], "held", "{status:#}");
    assert!(editing.wait().unwrap().success());
    assert!(!lock.exists(), "released at exit");
    assert_eq!(sh(&c.0, "cat /app/app.py", b"").as_bytes(), ORIGINAL);
    run.ok(&["cp", &fixed, &target]);
}

#[test]
#[ignore = "needs the Docker Engine"]
fn edit_shows_the_diff_asks_and_applies_only_when_told() {
    require_docker();
    let c = service(&[]);
    let run = Run::new(&c);
    run.start();
    let editor = [("EDITOR", "sed -i s/500/200/"), ("VISUAL", "")];
    // No answer on stdin: not applied.
    let (code, out, err) = run.hotfix_env(&["edit", &run.target("/app/app.py")], &editor);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("-    return 500") && out.contains("+    return 200"),
        "{out}"
    );
    assert!(err.contains("not applied"), "{err}");
    assert_eq!(sh(&c.0, "cat /app/app.py", b"").as_bytes(), ORIGINAL);
    // --yes applies, keeping owner and mode.
    let (code, out, err) = run.hotfix_env(&["edit", "--yes", &run.target("/app/app.py")], &editor);
    assert_eq!(code, 0, "{out}{err}");
    assert!(sh(&c.0, "cat /app/app.py", b"").contains("return 200  # BIG_PROBLEM"));
    assert!(fingerprint(&c.0, "/app/app.py").contains("\n640 1234:1234 "));

    // Someone changes the file while the editor is open: nothing is written over it.
    let racing = format!(
        "docker exec -u 0 {} sh -c 'echo \"# theirs\" >> /app/app.py' && sed -i s/200/201/",
        c.0
    );
    let (code, out, err) = run.hotfix_env(
        &["edit", "--yes", &run.target("/app/app.py")],
        &[("EDITOR", &racing), ("VISUAL", "")],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("changed in") && err.contains("nothing was written"),
        "{err}"
    );
    let now = sh(&c.0, "cat /app/app.py", b"");
    assert!(now.contains("# theirs") && !now.contains("201"), "{now}");
}

#[test]
#[ignore = "needs the Docker Engine"]
fn a_stopped_or_vanished_container_is_exit_2_naming_it() {
    require_docker();
    let c = service(&[]);
    let run = Run::new(&c);
    run.start();
    docker(&["stop", "-t", "0", &c.0]);
    let fixed = run.local("app.py", FIXED);
    for args in [
        vec!["cp", &fixed, &run.target("/app/app.py")],
        vec!["rollback", &c.0],
        vec!["start", &c.0, "--reason", "x"],
    ] {
        let (code, out, err) = run.hotfix(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(&c.0) && err.contains("not running"), "{err}");
    }
    // Status works from the journal alone.
    run.ok(&["status", &c.0]);
    docker(&["rm", "-f", &c.0]);
    let (code, _, err) = run.hotfix(&["cp", &fixed, &run.target("/app/app.py")]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("no such container: {}", c.0)),
        "{err}"
    );
    // A hotfix of a container that is gone can still be closed, by its recorded name.
    run.ok(&["finish", &c.0]);
    assert!(run.status_json()["hotfixes"].as_array().unwrap().is_empty());
}
