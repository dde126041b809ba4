//! A real registry for the tests: Debian's `docker-registry` (the CNCF distribution registry)
//! as a child process on 127.0.0.1, a free port, storage in a temporary folder. The engine
//! talks plain HTTP to it because `localhost` and 127.0.0.0/8 are insecure registries by
//! default. [`Registry`] kills the process and removes everything pushed to it on drop.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::run;

pub struct Registry {
    pub port: u16,
    child: Child,
    /// Storage and config; removed on drop.
    dir: tempfile::TempDir,
}

fn install() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/install-registry.sh");
        run(Command::new("bash").arg(script));
    });
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// `GET /v2/` answers 200 (a registry without auth).
fn answers(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req = format!("GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    if std::io::Write::write_all(&mut s, req.as_bytes()).is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap_or(0);
    let head = String::from_utf8_lossy(&buf[..n]);
    head.starts_with("HTTP/1.") && head.contains(" 200 ")
}

impl Registry {
    /// Starts a registry; panics (naming the log) when it does not answer within 20 s.
    pub fn start() -> Registry {
        install();
        let mut last = String::new();
        // The port is free when chosen; another process may take it before the registry binds.
        for _ in 0..3 {
            let dir = tempfile::Builder::new()
                .prefix("pindrift-registry-")
                .tempdir()
                .unwrap();
            let port = free_port();
            let config = dir.path().join("config.yml");
            std::fs::create_dir_all(dir.path().join("data")).unwrap();
            std::fs::write(
                &config,
                format!(
                    "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n\
                     storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
                     http:\n  addr: 127.0.0.1:{port}\n  secret: pindrift-test\n",
                    dir.path().join("data").display()
                ),
            )
            .unwrap();
            let log = std::fs::File::create(dir.path().join("log")).unwrap();
            let child = Command::new("docker-registry")
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("start docker-registry");
            let mut registry = Registry { port, child, dir };
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if answers(port) {
                    return registry;
                }
                if let Ok(Some(_)) = registry.child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            last = std::fs::read_to_string(registry.dir.path().join("log")).unwrap_or_default();
            drop(registry);
        }
        panic!("docker-registry did not answer on 127.0.0.1; its log:\n{last}");
    }

    /// `localhost:PORT`, the host part of references to push and pull.
    pub fn host(&self) -> String {
        format!("localhost:{}", self.port)
    }

    /// The registry's process id (for the clean-up test).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `docker push REF`: the digest the push printed (`…: digest: sha256:… size: N`).
pub fn push(reference: &str) -> String {
    let out = run(Command::new("docker").args(["push", reference]));
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .skip_while(|w| *w != "digest:")
        .nth(1)
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no digest in the output of docker push:\n{text}"))
}
