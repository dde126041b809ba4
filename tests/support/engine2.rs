//! A second Docker Engine for the fleet tests: `dockerd` started by the test as a child
//! process with its own socket, data root, exec root, pid file and config file under a
//! temporary folder, `--iptables=false`, the host engine's storage driver, and a bridge of
//! its own (`--bridge NAME`, created here and deleted on drop: `--bridge none` would delete
//! the host's `docker0`). [`SecondEngine`] removes its containers, stops the daemon,
//! deletes the bridge and the folders on drop.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::run;

pub struct SecondEngine {
    child: Child,
    dir: Option<tempfile::TempDir>,
    bridge: String,
    /// `unix:///…/docker.sock`.
    pub url: String,
}

/// The host engine's storage driver (`fuse-overlayfs` on these machines).
fn host_driver() -> String {
    let out = run(Command::new("docker").args(["info", "--format", "{{.Driver}}"]));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl SecondEngine {
    /// Starts the engine; panics with its log when it does not answer within 60 s.
    pub fn start() -> SecondEngine {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id();
        // Interface names are 15 bytes at most.
        let bridge = format!("pdc{}{n}", pid % 100_000);
        let octet = 100 + (pid % 100) + n;
        // A short path: containerd's sockets live under the exec root.
        let dir = tempfile::Builder::new()
            .prefix("pdc-")
            .tempdir_in("/tmp")
            .unwrap();
        let p = dir.path();
        run(Command::new("ip").args(["link", "add", "name", &bridge, "type", "bridge"]));
        let mut engine_guard = BridgeGuard(bridge.clone());
        run(Command::new("ip").args([
            "addr",
            "add",
            &format!("10.213.{octet}.1/24"),
            "dev",
            &bridge,
        ]));
        run(Command::new("ip").args(["link", "set", &bridge, "up"]));
        std::fs::write(p.join("daemon.json"), "{}\n").unwrap();
        let log = std::fs::File::create(p.join("log")).unwrap();
        let sock = p.join("docker.sock");
        let child = Command::new("dockerd")
            .arg("--bridge")
            .arg(&bridge)
            .args(["--iptables=false", "--ip6tables=false", "--ip-masq=false"])
            .arg("--storage-driver")
            .arg(host_driver())
            .arg("--data-root")
            .arg(p.join("data"))
            .arg("--exec-root")
            .arg(p.join("exec"))
            .arg("--pidfile")
            .arg(p.join("docker.pid"))
            .arg("--config-file")
            .arg(p.join("daemon.json"))
            .arg("--host")
            .arg(format!("unix://{}", sock.display()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start dockerd");
        engine_guard.0.clear();
        let engine = SecondEngine {
            child,
            dir: Some(dir),
            bridge,
            url: format!("unix://{}", sock.display()),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let ok = Command::new("docker")
                .args(["-H", &engine.url, "info", "--format", "{{.Driver}}"])
                .stderr(Stdio::null())
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false);
            if ok {
                return engine;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let log = std::fs::read_to_string(engine.dir.as_ref().unwrap().path().join("log"))
            .unwrap_or_default();
        drop(engine);
        panic!("the second dockerd did not answer within 60 s; its log:\n{log}");
    }

    /// `docker -H URL ARGS`, which must succeed.
    pub fn docker(&self, args: &[&str]) -> std::process::Output {
        run(Command::new("docker").arg("-H").arg(&self.url).args(args))
    }

    /// Copy an image of the host engine into this one (`docker save | docker load`).
    pub fn load_from_host(&self, image: &str) {
        let out = run(Command::new("sh").arg("-c").arg(format!(
            "docker save '{image}' | docker -H '{}' load -q",
            self.url
        )));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Loaded image"),
            "{out:?}"
        );
    }

    /// The temporary folder (for the clean-up assertion).
    pub fn dir(&self) -> std::path::PathBuf {
        self.dir.as_ref().unwrap().path().to_path_buf()
    }

    pub fn bridge(&self) -> &str {
        &self.bridge
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// Deletes a bridge on drop (unless its name was cleared: handed over).
struct BridgeGuard(String);
impl Drop for BridgeGuard {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            let _ = Command::new("ip").args(["link", "del", &self.0]).output();
        }
    }
}

impl Drop for SecondEngine {
    fn drop(&mut self) {
        // Its containers first, then the daemon (SIGTERM, then SIGKILL after 30 s).
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ids=$(docker -H '{0}' ps -aq); [ -z \"$ids\" ] || docker -H '{0}' rm -f -v $ids",
                self.url
            ))
            .output();
        terminate(self.child.id());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("ip")
            .args(["link", "del", &self.bridge])
            .output();
        if let Some(dir) = self.dir.take() {
            // Mounts a killed daemon left behind, then the folders.
            let _ = Command::new("sh")
                .arg("-c")
                .arg(format!(
                    "grep -o ' {0}[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l",
                    dir.path().display()
                ))
                .output();
            let _ = std::fs::remove_dir_all(dir.path());
            drop(dir);
        }
    }
}

/// SIGTERM to a process of ours (`kill PID`).
fn terminate(pid: u32) {
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .output();
}
