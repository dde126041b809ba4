//! The write-up of issue 10, end to end, through the real CLI against the real Docker Engine
//! ("Tests against the real engine"): a gunicorn service built from nothing
//! (tests/support/service.rs; eventlet 0.20.1 in its venv) answers `500 BIG_PROBLEM` on
//! 127.0.0.1 →
//! `hotfix start` → `cp` the fixed app.py → `pin eventlet==0.20.0` from a wheel folder →
//! `reload --strategy hup` under a check of at least 100 requests a second: zero failed
//! requests, and the answer is now 200 → `reload --strategy restart`: the failures it causes,
//! reported → `commit`: the image has the fix, eventlet 0.20.0 and the labels → `export`: a
//! `hotfix-*` branch of a test repository holds the fixed file and `eventlet==0.20.0`, the
//! checkout untouched → `finish`. Then on another container of the image: start, cp, pin,
//! reload, `rollback`: app.py and every file of the venv (eventlet 0.20.1's included) come
//! back byte for byte, and the service answers 500 again.
//!
//! Besides pindrift's own poller, a witness in the test polls the service during each reload
//! (~50 requests a second, its own sockets): what a user saw, counted by someone else.
//! The numbers are printed (`-- --nocapture`).

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use support::service::{
    build_service_image, http_status, service_wheels, start_service, Service, Variant, BROKEN_APP,
    FIXED_APP,
};
use support::*;

const REASON: &str = "cause a problem flag";
const SLUG: &str = "cause-a-problem-flag";

/// `pindrift hotfix --state-dir <temp>`.
struct Hotfix {
    state: tempfile::TempDir,
}

impl Hotfix {
    fn new() -> Hotfix {
        Hotfix {
            state: tempfile::tempdir().unwrap(),
        }
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let state = self.state.path().to_string_lossy().into_owned();
        let mut all = vec!["hotfix", "--state-dir", state.as_str()];
        all.extend_from_slice(args);
        pindrift(&all)
    }

    /// Exit 0 expected; stdout.
    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "hotfix {args:?} exit {code}:\n{out}\n{err}");
        out
    }
}

/// The wheels `pin` is given: eventlet 0.20.0 and what it depends on (greenlet, enum-compat,
/// six), for the image's CPython 3.11 on x86_64; nothing else.
fn pin_wheels() -> tempfile::TempDir {
    let dir = service_wheels(); // target/hotfix-wheels
    let wanted = [
        "eventlet-0.20.0-",
        "six-1.16.0-",
        "greenlet-3.0.3-",
        "enum_compat-0.0.3-",
    ];
    let find = |prefix: &str| -> Option<PathBuf> {
        std::fs::read_dir(&dir)
            .ok()?
            .filter_map(|e| e.ok())
            .find_map(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                (n.starts_with(prefix) && n.ends_with(".whl")).then(|| e.path())
            })
    };
    if wanted.iter().any(|w| find(w).is_none()) {
        let tmp = dir.with_extension(format!("writeup{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap();
        for e in std::fs::read_dir(wheels()).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), tmp.join(e.file_name())).unwrap();
        }
        run(Command::new("python3")
            .args(["-m", "pip", "download", "-q", "--no-deps"])
            .args(["--only-binary=:all:", "--disable-pip-version-check"])
            .args(["--python-version", "3.11", "--implementation", "cp"])
            .args(["--platform", "manylinux_2_28_x86_64"])
            .args(["--platform", "manylinux2014_x86_64", "-d"])
            .arg(&tmp)
            .args(["greenlet==3.0.3", "enum-compat==0.0.3"]));
        for e in std::fs::read_dir(&tmp).unwrap() {
            let e = e.unwrap();
            let _ = std::fs::rename(e.path(), dir.join(e.file_name()));
        }
        let _ = std::fs::remove_dir_all(&tmp);
    }
    let out = tempfile::tempdir().unwrap();
    for w in wanted {
        let p = find(w).unwrap_or_else(|| panic!("wheel {w}* missing in {}", dir.display()));
        std::fs::copy(&p, out.path().join(p.file_name().unwrap())).unwrap();
    }
    out
}

/// Runs Python in the container's venv; stdout, trimmed.
fn py(container: &str, script: &str) -> String {
    let out = docker(&["exec", container, "/opt/venv/bin/python", "-c", script]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn version(container: &str, dist: &str) -> String {
    py(
        container,
        &format!(
            "import importlib.metadata as m\ntry:\n print(m.version('{dist}'))\n\
             except m.PackageNotFoundError:\n print('absent')"
        ),
    )
}

/// sha256, mode, owner and mtime of one file in the container.
fn file_state(container: &str, path: &str) -> String {
    py(
        container,
        &format!(
            "import hashlib, os\np = '{path}'\nst = os.lstat(p)\n\
             print('%s %o %d:%d %d' % (hashlib.sha256(open(p, 'rb').read()).hexdigest(), \
             st.st_mode, st.st_uid, st.st_gid, int(st.st_mtime)))"
        ),
    )
}

/// Every file and link of the venv (sha256 or link target, mode, owner, mtime) and every
/// folder (mode, owner) — site-packages with eventlet's files included. Left out, as in
/// tests/hotfix_keep.rs: the bytecode caches of pip's own modules, which Python rewrites
/// whenever pip runs and finds one stale (the tool's interpreter, not the hotfix).
fn venv_state(container: &str) -> BTreeMap<String, String> {
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
    let text = py(container, script);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The paths whose state differs between two snapshots (before, after).
fn differences(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<(String, Option<String>, Option<String>)> {
    before
        .keys()
        .chain(after.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| (k.clone(), before.get(k).cloned(), after.get(k).cloned()))
        .collect()
}

/// A poller of the test's own, ~50 requests a second, one at a time, 2 s per request.
struct Witness {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    sent: u64,
    by_status: BTreeMap<u16, u64>,
    failed: u64,
    longest_gap_ms: u64,
    /// The status of the last answer.
    last: Option<u16>,
}

impl Witness {
    fn start(port: u16) -> Witness {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut seen = Seen::default();
            let mut last_answer = Instant::now();
            while !flag.load(Ordering::SeqCst) {
                let t = Instant::now();
                seen.sent += 1;
                match http_status(port, Duration::from_secs(2)) {
                    Some(code) => {
                        let now = Instant::now();
                        let gap = now.duration_since(last_answer).as_millis() as u64;
                        seen.longest_gap_ms = seen.longest_gap_ms.max(gap);
                        last_answer = now;
                        *seen.by_status.entry(code).or_insert(0) += 1;
                        seen.last = Some(code);
                    }
                    None => seen.failed += 1,
                }
                if let Some(rest) = Duration::from_millis(20).checked_sub(t.elapsed()) {
                    std::thread::sleep(rest);
                }
            }
            let gap = last_answer.elapsed().as_millis() as u64;
            seen.longest_gap_ms = seen.longest_gap_ms.max(gap);
            seen
        });
        Witness { stop, handle }
    }

    fn stop(self) -> Seen {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.join().unwrap()
    }
}

/// What pindrift's check reported.
#[derive(Debug)]
struct Check {
    sent: u64,
    duration_ms: u64,
    late: u64,
    failed: u64,
    longest_gap_ms: u64,
    healthy_after_ms: Option<u64>,
    answered_500: u64,
}

impl Check {
    fn from_json(report: &serde_json::Value) -> Check {
        let c = &report["check"];
        let n = |k: &str| {
            c[k].as_u64()
                .unwrap_or_else(|| panic!("check.{k} in {report:#}"))
        };
        Check {
            sent: n("sent"),
            duration_ms: n("duration_ms"),
            late: n("late"),
            failed: n("failed"),
            longest_gap_ms: n("longest_gap_ms"),
            healthy_after_ms: c["healthy_after_ms"].as_u64(),
            answered_500: c["unexpected"]["status 500"].as_u64().unwrap_or(0),
        }
    }

    /// From the human report: the lines a person reads.
    fn from_human(text: &str) -> Check {
        let line = |prefix: &str| -> &str {
            text.lines()
                .map(str::trim)
                .find(|l| l.starts_with(prefix))
                .unwrap_or_else(|| panic!("no line `{prefix}…` in:\n{text}"))
        };
        let secs_ms = |s: &str| -> u64 {
            let v: f64 = s
                .trim()
                .trim_end_matches(" s")
                .parse()
                .unwrap_or_else(|e| panic!("{e}: `{s}` in:\n{text}"));
            (v * 1000.0).round() as u64
        };
        let count_after_colon = |l: &str| -> u64 {
            let (_, rest) = l.rsplit_once("): ").unwrap_or_else(|| panic!("`{l}`"));
            rest.split_whitespace().next().unwrap().parse().unwrap()
        };
        // "sent N in X s (R/s): M answered 200"
        let sent_line = line("sent ");
        let mut words = sent_line.split_whitespace();
        let sent: u64 = words.nth(1).unwrap().parse().unwrap();
        let duration = words.nth(1).unwrap();
        let answered_500 = text
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("other answers:"))
            .and_then(|l| l.split("status 500: ").nth(1))
            .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
            .map(|n| n.parse().unwrap())
            .unwrap_or(0);
        let healthy_after_ms = text
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("healthy "))
            .map(|l| {
                secs_ms(
                    l.trim_start_matches("healthy ")
                        .trim_end_matches(" after the signal"),
                )
            });
        Check {
            sent,
            duration_ms: secs_ms(duration),
            late: count_after_colon(line("late (")),
            failed: count_after_colon(line("failed (")),
            longest_gap_ms: secs_ms(
                line("longest time without an answer:")
                    .trim_start_matches("longest time without an answer:"),
            ),
            healthy_after_ms,
            answered_500,
        }
    }

    fn print(&self, what: &str, witness: &Seen) {
        println!(
            "{what}: pindrift's check: sent {} in {:.3} s ({:.1}/s), failed {}, late (>0.1 s) {}, \
             longest gap {} ms, 500s before the fix {}, healthy {:?} ms after the signal | \
             the test's witness: sent {}, answers {:?}, failed {}, longest gap {} ms",
            self.sent,
            self.duration_ms as f64 / 1000.0,
            self.sent as f64 * 1000.0 / self.duration_ms.max(1) as f64,
            self.failed,
            self.late,
            self.longest_gap_ms,
            self.answered_500,
            self.healthy_after_ms,
            witness.sent,
            witness.by_status,
            witness.failed,
            witness.longest_gap_ms
        );
    }
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

/// Runs `image` (its own CMD) with port 8000 on 127.0.0.1 and waits for 200.
fn run_committed(image: &str) -> (ContainerGuard, u16) {
    let name = unique("writeup-committed");
    let guard = ContainerGuard(name.clone());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "-p",
        &format!("127.0.0.1:{port}:8000"),
        image,
    ]);
    let start = Instant::now();
    let mut last = None;
    while start.elapsed() < Duration::from_secs(30) {
        last = http_status(port, Duration::from_secs(1));
        if last == Some(200) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(last, Some(200), "a container of {image} answers 200");
    (guard, port)
}

/// The container's pindrift wheel folders left behind.
fn wheel_folders(container: &str) -> String {
    py(
        container,
        "import glob; print(' '.join(glob.glob('/tmp/pindrift-wheels-*')))",
    )
}

#[test]
#[ignore = "needs the Docker Engine"]
fn the_write_up_end_to_end_through_the_cli() {
    require_docker();
    let image = build_service_image();
    let wheels = pin_wheels();
    let wheels_dir = wheels.path().to_string_lossy().into_owned();
    let fixed_dir = tempfile::tempdir().unwrap();
    let fixed = fixed_dir.path().join("fixed/app.py");
    std::fs::create_dir_all(fixed.parent().unwrap()).unwrap();
    std::fs::write(&fixed, FIXED_APP).unwrap();
    let fixed = fixed.to_string_lossy().into_owned();

    // 1. Production answers 500.
    let svc: Service = start_service(&image.0, Variant::Gunicorn);
    let c = svc.name.clone();
    let url = svc.url();
    assert_eq!(svc.status(), Some(500), "the broken app answers 500");
    let hf = Hotfix::new();

    // 2. start, cp, pin.
    let out = hf.ok(&["start", &c, "--reason", REASON]);
    assert!(out.contains(SLUG), "{out}");
    hf.ok(&["cp", &fixed, &format!("{c}:/app/app.py")]);
    let in_container = docker(&["exec", &c, "cat", "/app/app.py"]).stdout;
    assert_eq!(in_container, FIXED_APP.as_bytes());
    assert_eq!(svc.status(), Some(500), "not loaded yet");
    assert_eq!(version(&c, "eventlet"), "0.20.1");
    let out = hf.ok(&["pin", &c, "eventlet==0.20.0", "--find-links", &wheels_dir]);
    assert!(
        out.lines()
            .any(|l| l.contains("eventlet") && l.contains("0.20.1 → 0.20.0")),
        "the drift shows eventlet 0.20.1 → 0.20.0:\n{out}"
    );
    println!("pin:\n{out}");
    assert_eq!(version(&c, "eventlet"), "0.20.0");
    assert_eq!(wheel_folders(&c), "", "the wheels copied in are removed");

    // 3. HUP while polling: zero failed requests, and the answer is now 200.
    let witness = Witness::start(svc.port);
    let (code, out, err) = hf.run(&[
        "reload",
        &c,
        "--strategy",
        "hup",
        "--check",
        &url,
        "--expect",
        "200",
        "--format",
        "json",
    ]);
    let seen = witness.stop();
    assert_eq!(code, 0, "reload hup:\n{out}\n{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let hup = Check::from_json(&report);
    hup.print("reload --strategy hup", &seen);
    assert_eq!(report["check"]["healthy"], true, "{report:#}");
    assert!(
        report["plan"]["method"].to_string().contains("SIGHUP"),
        "{report:#}"
    );
    assert_eq!(hup.failed, 0, "zero failed requests: {hup:?}");
    assert!(
        hup.sent >= 100 && hup.sent * 1000 >= 100 * hup.duration_ms,
        "at least 100 requests a second: {hup:?}"
    );
    assert!(
        hup.answered_500 > 0,
        "the poller saw the old code (500) before the reload: {hup:?}"
    );
    assert_eq!(
        seen.failed, 0,
        "the witness lost no request either: {seen:?}"
    );
    assert_eq!(seen.last, Some(200), "{seen:?}");
    assert_eq!(svc.status(), Some(200), "the fix is served");

    // 4. restart: the failures it causes, reported.
    let witness = Witness::start(svc.port);
    let (code, out, err) = hf.run(&[
        "reload",
        &c,
        "--strategy",
        "restart",
        "--check",
        &url,
        "--expect",
        "200",
    ]);
    let seen = witness.stop();
    assert_eq!(code, 0, "reload restart (healthy after it):\n{out}\n{err}");
    println!("{out}");
    let restart = Check::from_human(&out);
    restart.print("reload --strategy restart", &seen);
    assert!(
        restart.sent >= 100 && restart.sent * 1000 >= 100 * restart.duration_ms,
        "at least 100 requests a second: {restart:?}"
    );
    assert!(
        restart.failed > 0 || restart.longest_gap_ms > 100,
        "a restart drops requests or leaves a gap, and says so: {restart:?}\n{out}"
    );
    assert!(
        seen.failed > 0 || seen.longest_gap_ms > 100,
        "the witness saw the restart too: {seen:?}"
    );
    assert!(restart.healthy_after_ms.is_some(), "{out}");
    assert_eq!(svc.status(), Some(200));

    // 5. commit: the image has the fix, eventlet 0.20.0 and the labels.
    let committed_ref = format!("{}-hotfix-{SLUG}", image.0);
    let committed = ImageGuard(committed_ref.clone());
    // The engine pauses a container while it commits it (Docker's default): a witness
    // measures what the service's users see meanwhile (printed, not judged).
    let witness = Witness::start(svc.port);
    let out = hf.ok(&["commit", &c]);
    let seen = witness.stop();
    println!(
        "commit: the test's witness during it: sent {}, answers {:?}, failed {}, longest gap {} ms",
        seen.sent, seen.by_status, seen.failed, seen.longest_gap_ms
    );
    assert!(out.contains(&committed_ref), "{out}");
    let inspect = docker(&[
        "image",
        "inspect",
        &committed.0,
        "--format",
        "{{json .Config.Labels}}",
    ]);
    let labels: BTreeMap<String, String> = serde_json::from_slice(&inspect.stdout).unwrap();
    println!("commit: {committed_ref} labels {labels:?}");
    assert_eq!(labels["io.pindrift.hotfix.reason"], REASON);
    assert!(labels["io.pindrift.hotfix.id"].ends_with(&format!("-{SLUG}")));
    let parent = docker(&["image", "inspect", &image.0, "--format", "{{.Id}}"]);
    assert_eq!(
        labels["io.pindrift.hotfix.parent-image"],
        String::from_utf8_lossy(&parent.stdout).trim()
    );
    assert_eq!(labels["io.pindrift.hotfix.files"], "[\"/app/app.py\"]");
    let packages: serde_json::Value =
        serde_json::from_str(&labels["io.pindrift.hotfix.packages"]).unwrap();
    assert!(
        packages
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "eventlet" && p["before"] == "0.20.1" && p["after"] == "0.20.0"),
        "{packages}"
    );
    {
        let (run_of_it, port) = run_committed(&committed.0);
        assert_eq!(http_status(port, Duration::from_secs(2)), Some(200));
        let app = docker(&["exec", &run_of_it.0, "cat", "/app/app.py"]).stdout;
        assert_eq!(app, FIXED_APP.as_bytes(), "the fixed app.py, byte for byte");
        assert_eq!(version(&run_of_it.0, "eventlet"), "0.20.0");
    }

    // 6. export: a hotfix-* branch with the fix and the pin; the checkout untouched.
    let repo = tempfile::tempdir().unwrap();
    let r = repo.path();
    git(r, &["init", "-q", "-b", "main"]);
    std::fs::write(
        r.join("Dockerfile"),
        format!(
            "FROM {}\nWORKDIR /app\nCOPY app.py /app/\n",
            support::BASE_IMAGE
        ),
    )
    .unwrap();
    std::fs::write(r.join("app.py"), BROKEN_APP).unwrap();
    std::fs::write(r.join("requirements.txt"), "eventlet\n").unwrap();
    git(r, &["add", "-A"]);
    git(r, &["commit", "-q", "-m", "v1"]);
    // Work in progress in the checkout, which export must leave as it is.
    std::fs::write(r.join("app.py"), "# work in progress\n").unwrap();
    std::fs::write(r.join("notes.txt"), "untracked\n").unwrap();
    let head_before = git(r, &["rev-parse", "HEAD"]);
    let status_before = git(r, &["status", "--porcelain"]);
    let (code, out, err) = hf.run(&["export", &c, "--repo", &r.to_string_lossy()]);
    assert_eq!(code, 0, "export:\n{out}\n{err}");
    println!("export:\n{out}{err}");
    let branch = format!("hotfix-{SLUG}");
    assert!(out.contains(&branch), "{out}");
    assert_eq!(
        git(r, &["show", &format!("{branch}:app.py")]),
        FIXED_APP.trim_end()
    );
    let reqs = git(r, &["show", &format!("{branch}:requirements.txt")]);
    println!("requirements.txt on {branch}:\n{reqs}");
    assert!(reqs.lines().any(|l| l == "eventlet==0.20.0"), "{reqs}");
    assert_eq!(git(r, &["rev-parse", &format!("{branch}~1")]), head_before);
    assert_eq!(git(r, &["rev-parse", "HEAD"]), head_before);
    assert_eq!(git(r, &["rev-parse", "--abbrev-ref", "HEAD"]), "main");
    assert_eq!(git(r, &["status", "--porcelain"]), status_before);
    assert_eq!(
        std::fs::read_to_string(r.join("app.py")).unwrap(),
        "# work in progress\n"
    );
    assert_eq!(
        git(r, &["worktree", "list", "--porcelain"])
            .matches("worktree ")
            .count(),
        1,
        "no worktree left"
    );

    // 7. finish: closed; no more steps on it.
    let out = hf.ok(&["finish", &c]);
    assert!(out.contains("finished"), "{out}");
    let (code, _, err) = hf.run(&["cp", &fixed, &format!("{c}:/app/app.py")]);
    assert_eq!(code, 2, "no active hotfix after finish: {err}");

    // 8. Another container of the image: start, cp, pin, reload, rollback.
    let svc2 = start_service(&image.0, Variant::Gunicorn);
    let d = svc2.name.clone();
    let hf2 = Hotfix::new();
    let app_before = file_state(&d, "/app/app.py");
    let venv_before = venv_state(&d);
    assert!(
        venv_before
            .keys()
            .any(|k| k.contains("eventlet-0.20.1.dist-info")),
        "the venv holds eventlet 0.20.1"
    );
    hf2.ok(&["start", &d, "--reason", REASON]);
    hf2.ok(&["cp", &fixed, &format!("{d}:/app/app.py")]);
    hf2.ok(&["pin", &d, "eventlet==0.20.0", "--find-links", &wheels_dir]);
    hf2.ok(&[
        "reload",
        &d,
        "--strategy",
        "hup",
        "--check",
        &svc2.url(),
        "--expect",
        "200",
    ]);
    assert_eq!(svc2.status(), Some(200));
    assert_ne!(file_state(&d, "/app/app.py"), app_before);
    let changed = differences(&venv_before, &venv_state(&d));
    assert!(
        changed
            .iter()
            .any(|(p, _, _)| p.contains("eventlet-0.20.0.dist-info")),
        "the pin changed the venv: {changed:#?}"
    );
    let out = hf2.ok(&["rollback", &d]);
    println!("rollback:\n{out}");
    assert!(out.contains("rolled back and closed"), "{out}");
    assert_eq!(
        file_state(&d, "/app/app.py"),
        app_before,
        "app.py: bytes, mode, owner, mtime"
    );
    assert_eq!(version(&d, "eventlet"), "0.20.1");
    let left = differences(&venv_before, &venv_state(&d));
    assert!(
        left.is_empty(),
        "the venv after rollback differs: {left:#?}"
    );
    assert_eq!(wheel_folders(&d), "");
    assert_eq!(svc2.status(), Some(500), "the service answers 500 again");
    println!(
        "rollback on {d}: app.py and {} venv entries byte for byte",
        venv_before.len()
    );

    // Nothing left behind.
    let names = [c.clone(), d.clone()];
    drop(svc2);
    drop(svc);
    drop(committed);
    let state_dirs = [
        hf.state.path().to_path_buf(),
        hf2.state.path().to_path_buf(),
    ];
    drop(hf);
    drop(hf2);
    drop(repo);
    drop(wheels);
    let image_ref = image.0.clone();
    drop(image);
    for n in names {
        let out = docker(&["ps", "-a", "-q", "--filter", &format!("name={n}")]);
        assert!(out.stdout.trim_ascii().is_empty(), "container {n} is left");
    }
    let out = docker(&["ps", "-a", "--format", "{{.Image}}"]);
    let ps = String::from_utf8_lossy(&out.stdout);
    assert!(
        !ps.lines().any(|l| l.starts_with(&image_ref)),
        "a container of the test images is left:\n{ps}"
    );
    // The service image is the suite's, kept for the next tests; the committed one is this
    // test's own.
    let out = docker(&["images", "-q", &committed_ref]);
    assert!(
        out.stdout.trim_ascii().is_empty(),
        "image {committed_ref} is left"
    );
    for s in state_dirs {
        assert!(!s.exists(), "{} is left", s.display());
    }
}
