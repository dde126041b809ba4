//! A real web service for the hotfix tests, built from nothing: the suite's Debian base, a
//! venv at /opt/venv with gunicorn, packaging and pyuwsgi (the manylinux wheel of uWSGI)
//! from PyPI wheels downloaded on the host (plus eventlet 0.20.1 and six from
//! [`super::wheels`], for the package case), installed with `pip install --no-index
//! --find-links`, and a tiny WSGI app at /app/app.py that answers `500 BIG_PROBLEM`
//! ([`FIXED_APP`] answers 200). One image holds every server; [`Variant`] says how the
//! container runs it. Ports are published on 127.0.0.1 only.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::{base_image, docker, pip_download, run, unique, ContainerGuard};

/// The app as built into the image: every answer is `500 BIG_PROBLEM`.
pub const BROKEN_APP: &str = r#"def app(environ, start_response):
    body = b"BIG_PROBLEM\n"
    start_response("500 Internal Server Error",
                   [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


application = app
"#;

/// The fix: 200.
pub const FIXED_APP: &str = r#"def app(environ, start_response):
    body = b"OK\n"
    start_response("200 OK",
                   [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


application = app
"#;

/// A PID 1 that starts its command, forwards SIGTERM/SIGINT to every process, reaps every
/// child (orphans included) and exits when none is left: a master that exits after handing
/// over to a new one (gunicorn's USR2 upgrade) does not stop the container.
const REAPER: &str = r#"#!/usr/bin/python3
import os, signal, sys
child = os.fork()
if child == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
def forward(sig, _frame):
    try:
        os.kill(-1, sig)
    except OSError:
        pass
signal.signal(signal.SIGTERM, forward)
signal.signal(signal.SIGINT, forward)
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
    except InterruptedError:
        continue
"#;

/// The wheels of the service, downloaded once into target/hotfix-wheels (plus those of
/// [`super::wheels`]).
pub fn service_wheels() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let dir = repo.join("target/hotfix-wheels");
        let wanted = [
            ("gunicorn==23.0.0", "gunicorn-23.0.0-"),
            ("packaging==24.2", "packaging-24.2-"),
            ("pyuwsgi==2.0.30.post1", "pyuwsgi-2.0.30.post1-cp311-"),
        ];
        let have = |d: &Path, prefix: &str| {
            std::fs::read_dir(d)
                .map(|r| {
                    r.filter_map(|e| e.ok()).any(|e| {
                        let n = e.file_name().to_string_lossy().into_owned();
                        n.starts_with(prefix) && n.ends_with(".whl")
                    })
                })
                .unwrap_or(false)
        };
        if wanted.iter().any(|(_, p)| !have(&dir, p)) {
            let tmp = repo.join(format!("target/hotfix-wheels.tmp{}", std::process::id()));
            std::fs::create_dir_all(&tmp).unwrap();
            for (req, prefix) in wanted {
                if prefix.starts_with("pyuwsgi") {
                    // A compiled wheel: the one for the image's CPython 3.11 on manylinux,
                    // whatever the host runs.
                    run(Command::new("python3")
                        .args(["-m", "pip", "download", "-q", "--no-deps"])
                        .args(["--only-binary=:all:", "--disable-pip-version-check"])
                        .args(["--python-version", "3.11", "--implementation", "cp"])
                        .args(["--abi", "cp311", "--platform", "manylinux_2_28_x86_64"])
                        .arg("-d")
                        .arg(&tmp)
                        .arg(req));
                } else {
                    pip_download(&tmp, req);
                }
            }
            std::fs::create_dir_all(&dir).unwrap();
            for e in std::fs::read_dir(&tmp).unwrap() {
                let e = e.unwrap();
                let _ = std::fs::rename(e.path(), dir.join(e.file_name()));
            }
            let _ = std::fs::remove_dir_all(&tmp);
        }
        for (_, p) in wanted {
            assert!(have(&dir, p), "wheel {p}* missing in {}", dir.display());
        }
        dir
    })
    .clone()
}

/// The service image, kept in the engine like the suite's base image (see
/// [`super::suite_image`]): tests only ever run containers of it.
pub struct SuiteImage(pub String);

pub fn build_service_image() -> SuiteImage {
    static TAG: OnceLock<String> = OnceLock::new();
    SuiteImage(TAG.get_or_init(build_or_reuse_service_image).clone())
}

fn build_or_reuse_service_image() -> String {
    let base = base_image();
    let dockerfile = format!(
        "FROM {base}\n\
         COPY wheels/ /tmp/wheels/\n\
         COPY svc-wheels/ /tmp/wheels/\n\
         RUN python3 -m venv /opt/venv \\\n \
          && /opt/venv/bin/pip install -q --disable-pip-version-check --no-index \
             --find-links /tmp/wheels gunicorn packaging pyuwsgi \\\n \
          && /opt/venv/bin/pip install -q --disable-pip-version-check --no-index --no-deps \
             --find-links /tmp/wheels eventlet==0.20.1 six \\\n \
          && rm -rf /tmp/wheels\n\
         COPY reaper /usr/local/bin/reaper\n\
         RUN chmod 0755 /usr/local/bin/reaper\n\
         COPY app.py /app/app.py\n\
         WORKDIR /app\n\
         EXPOSE 8000\n\
         CMD [\"/opt/venv/bin/gunicorn\", \"-b\", \"0.0.0.0:8000\", \"-w\", \"2\", \"app:app\"]\n"
    );
    let svc = super::folder_files(&service_wheels(), "svc-wheels");
    let mut files: Vec<(&str, &[u8])> = vec![
        ("app.py", BROKEN_APP.as_bytes()),
        ("reaper", REAPER.as_bytes()),
    ];
    files.extend(svc.iter().map(|(n, b)| (n.as_str(), b.as_slice())));
    super::suite_image("svc", &dockerfile, &files, true)
}

/// How the container runs the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `gunicorn -w 2 app:app` as PID 1 (the image's CMD).
    Gunicorn,
    /// The same under `sh -c '…; exit $?'`: the master is not PID 1, its parent is a shell.
    GunicornUnderShell,
    /// `gunicorn --preload` as PID 1.
    GunicornPreload,
    /// `gunicorn --preload` under the reaper (PID 1 that outlives the master).
    GunicornPreloadUnderReaper,
    /// `gunicorn --preload` under `sh -c`: a USR2 upgrade would stop the container.
    GunicornPreloadUnderShell,
    /// uWSGI (pyuwsgi) with a master and 2 workers, as PID 1.
    Uwsgi,
    /// uWSGI with `--lazy-apps --master-fifo /tmp/uwsgi.fifo` (chain reload possible).
    UwsgiChain,
    /// uWSGI from the venv without `--binary-path`: its graceful reload would re-execute
    /// the real interpreter outside the venv and exit.
    UwsgiNoBinaryPath,
    /// Python's wsgiref server: no server pindrift knows.
    Wsgiref,
}

const GUNICORN: &str = "/opt/venv/bin/gunicorn -b 0.0.0.0:8000 -w 2 app:app";

fn uwsgi(binary_path: bool, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "/opt/venv/bin/uwsgi",
        "--master",
        "--http-socket",
        ":8000",
        "--wsgi-file",
        "/app/app.py",
        "--processes",
        "2",
        "--need-app",
        "--disable-logging",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if binary_path {
        // pyuwsgi re-executes the real binary of its interpreter (/usr/bin/python3.11,
        // outside the venv) on a graceful reload unless told which binary to run.
        v.extend([
            "--binary-path".to_string(),
            "/opt/venv/bin/python3".to_string(),
        ]);
    }
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

impl Variant {
    /// The container's command.
    pub fn command(self) -> Vec<String> {
        let split = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        let sh = |s: &str| vec!["sh".to_string(), "-c".to_string(), format!("{s}; exit $?")];
        match self {
            Variant::Gunicorn => split(GUNICORN),
            Variant::GunicornUnderShell => sh(GUNICORN),
            Variant::GunicornPreload => split(&format!("{GUNICORN} --preload")),
            Variant::GunicornPreloadUnderReaper => {
                split(&format!("/usr/local/bin/reaper {GUNICORN} --preload"))
            }
            Variant::GunicornPreloadUnderShell => sh(&format!("{GUNICORN} --preload")),
            Variant::Uwsgi => uwsgi(true, &[]),
            Variant::UwsgiChain => {
                uwsgi(true, &["--lazy-apps", "--master-fifo", "/tmp/uwsgi.fifo"])
            }
            Variant::UwsgiNoBinaryPath => uwsgi(false, &[]),
            Variant::Wsgiref => vec![
                "/opt/venv/bin/python3".into(),
                "-c".into(),
                "import app, wsgiref.simple_server as s; \
                 s.make_server('', 8000, app.app).serve_forever()"
                    .into(),
            ],
        }
    }
}

/// A running service container (removed on drop).
pub struct Service {
    pub name: String,
    pub port: u16,
    pub container: ContainerGuard,
}

impl Service {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// The status the service answers now (`None`: no answer within a second).
    pub fn status(&self) -> Option<u16> {
        http_status(self.port, Duration::from_secs(1))
    }

    /// Writes `text` to `path` in the container (`docker cp`).
    pub fn put_file(&self, path: &str, text: &str) {
        let dir = tempfile::tempdir().unwrap();
        let local = dir.path().join("file");
        std::fs::write(&local, text).unwrap();
        docker(&[
            "cp",
            local.to_str().unwrap(),
            &format!("{}:{path}", self.name),
        ]);
    }
}

/// A free port on 127.0.0.1 (fixed host ports survive a `docker restart`; `-p
/// 127.0.0.1::8000` would be given a new one).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `variant` from `image` and waits until it answers.
pub fn start_service(image: &str, variant: Variant) -> Service {
    let name = unique("svc");
    let mut last = String::new();
    for _ in 0..5 {
        let port = free_port();
        let guard = ContainerGuard(name.clone());
        let out = Command::new("docker")
            .args(["run", "-d", "--name", &name])
            .args(["-p", &format!("127.0.0.1:{port}:8000")])
            .arg(image)
            .args(variant.command())
            .output()
            .unwrap();
        if !out.status.success() {
            last = String::from_utf8_lossy(&out.stderr).into_owned();
            drop(guard);
            if last.contains("address already in use") || last.contains("port is already") {
                continue;
            }
            panic!("docker run {variant:?}: {last}");
        }
        let service = Service {
            name: name.clone(),
            port,
            container: guard,
        };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if service.status() == Some(500) {
                return service;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let logs = Command::new("docker")
            .args(["logs", "--tail", "30", &name])
            .output()
            .unwrap();
        panic!(
            "{variant:?} did not answer 500 within 30 s on port {port}:\n{}{}",
            String::from_utf8_lossy(&logs.stdout),
            String::from_utf8_lossy(&logs.stderr)
        );
    }
    panic!("no free port for {variant:?}: {last}");
}

/// One `GET /` to 127.0.0.1:`port`: the status, or `None`.
pub fn http_status(port: u16, timeout: Duration) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), timeout).ok()?;
    s.set_read_timeout(Some(timeout)).ok()?;
    s.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    text.split(' ').nth(1)?.parse().ok()
}
