//! Swarm against the real engine: a single-node swarm (`docker swarm init --advertise-addr
//! 127.0.0.1` when the engine is in none; left again only if this test joined it), a real
//! registry on 127.0.0.1 (Debian's `docker-registry`), and a 3-replica service of the
//! suite's gunicorn test image. `drift service:NAME` names the task changed in place;
//! `hotfix promote` converges (every task on the new digest, then no odd ones out) and
//! `hotfix rollback --service` restores the previous spec; a promoted image whose health
//! check fails is rolled back by the engine (exit 1, the old digest again).
//!
//! One test function: the swarm, the registry and the service image are shared by the
//! three stories, which must not run at once.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::registry::Registry;
use support::service::{build_service_image, service_wheels, FIXED_APP};
use support::*;

/// Leaves the swarm on drop, only if this test joined it.
struct SwarmGuard {
    joined: bool,
}

impl SwarmGuard {
    fn ensure() -> SwarmGuard {
        let out = docker(&["info", "--format", "{{.Swarm.LocalNodeState}}"]);
        let state = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if state == "active" {
            return SwarmGuard { joined: false };
        }
        docker(&["swarm", "init", "--advertise-addr", "127.0.0.1"]);
        SwarmGuard { joined: true }
    }
}

impl Drop for SwarmGuard {
    fn drop(&mut self) {
        if self.joined {
            let _ = Command::new("docker")
                .args(["swarm", "leave", "--force"])
                .output();
        }
    }
}

/// Removes a service on drop and waits until its containers are gone.
struct ServiceGuard(String);
impl Drop for ServiceGuard {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["service", "rm", &self.0])
            .output();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let out = Command::new("docker")
                .args([
                    "ps",
                    "-aq",
                    "--filter",
                    &format!("label=com.docker.swarm.service.name={}", self.0),
                ])
                .output()
                .unwrap();
            if out.stdout.iter().all(|b| b.is_ascii_whitespace()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

/// Removes every local image of the registry on drop (the tags pushed and pulled).
struct RegistryImages(String);
impl Drop for RegistryImages {
    fn drop(&mut self) {
        let out = Command::new("docker")
            .args([
                "images",
                "--format",
                "{{.Repository}}:{{.Tag}}",
                "--filter",
                &format!("reference={}/*", self.0),
            ])
            .output()
            .unwrap();
        for r in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            let _ = Command::new("docker").args(["rmi", "-f", r]).output();
        }
    }
}

/// `(task name, spec image, container id)` of the running tasks of `service`.
fn running_tasks(service: &str) -> Vec<(String, String, String)> {
    let out = docker(&[
        "service",
        "ps",
        "--no-trunc",
        "--filter",
        "desired-state=running",
        "--format",
        "{{.ID}} {{.Name}} {{.Image}} {{.CurrentState}}",
        service,
    ]);
    let mut v: Vec<_> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            if w.len() < 4 || w[3] != "Running" {
                return None;
            }
            let id = docker(&[
                "inspect",
                "--format",
                "{{.Status.ContainerStatus.ContainerID}}",
                w[0],
            ]);
            Some((
                w[1].to_string(),
                w[2].to_string(),
                String::from_utf8_lossy(&id.stdout).trim().to_string(),
            ))
        })
        .collect();
    v.sort();
    v
}

fn spec_image(service: &str) -> String {
    let out = docker(&[
        "service",
        "inspect",
        service,
        "--format",
        "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
    ]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Waits until `n` tasks run `image` (the spec's reference).
fn wait_tasks(service: &str, n: usize, image: &str) {
    let deadline = Instant::now() + Duration::from_secs(180);
    while Instant::now() < deadline {
        let t = running_tasks(service);
        if t.len() == n && t.iter().all(|(_, i, _)| i == image) {
            return;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let ps = Command::new("docker")
        .args(["service", "ps", "--no-trunc", service])
        .output()
        .unwrap();
    panic!(
        "{service}: not {n} tasks on {image} within 180 s:\n{}",
        String::from_utf8_lossy(&ps.stdout)
    );
}

/// A container of the service image with a hotfix committed (FIXED_APP in /app/app.py).
fn hotfixed(state: &str, image: &str) -> (ContainerGuard, String) {
    let name = unique("c-web");
    let guard = ContainerGuard(name.clone());
    docker(&["run", "-d", "--name", &name, image]);
    let fixed = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(fixed.path(), FIXED_APP).unwrap();
    for args in [
        vec!["start", name.as_str(), "--reason", "fix the app"],
        vec![
            "cp",
            fixed.path().to_str().unwrap(),
            &format!("{name}:/app/app.py"),
        ],
        vec!["commit", name.as_str()],
    ] {
        let mut all = vec!["hotfix", "--state-dir", state];
        all.extend(args.iter().map(|s| &**s));
        let (code, out, err) = pindrift(&all);
        assert_eq!(code, 0, "{all:?}\n{out}\n{err}");
    }
    (guard, name)
}

#[test]
#[ignore = "needs the Docker Engine"]
fn swarm_service_drift_promote_and_engine_rollback() {
    require_docker();
    let registry = Registry::start();
    let _registry_images = RegistryImages(registry.host());
    let _swarm = SwarmGuard::ensure();
    let node = String::from_utf8_lossy(&docker(&["info", "--format", "{{.Name}}"]).stdout)
        .trim()
        .to_string();
    let svc_image = build_service_image();
    // The service's health check: the server answers (any status).
    let healthy = format!("{}/{}:1", registry.host(), unique("c-svc"));
    let check = "python3 -c \"import http.client as h; c=h.HTTPConnection('127.0.0.1', 8000, timeout=2); c.request('GET', '/'); c.getresponse()\"";
    let _healthy = build_image(
        &healthy,
        &format!(
            "FROM {}\nHEALTHCHECK --interval=1s --timeout=3s --start-period=20s --retries=3 CMD {check}\n",
            svc_image.0
        ),
        &[],
        false,
    );
    support::registry::push(&healthy);
    let name = unique("c-svc").replace('-', "_");
    let name = name.replace('_', "-");
    let _service = ServiceGuard(name.clone());
    docker(&[
        "service",
        "create",
        "-d",
        "--name",
        &name,
        "--replicas",
        "3",
        "--stop-grace-period",
        "2s",
        &healthy,
    ]);
    let original = spec_image(&name);
    assert!(original.contains("@sha256:"), "{original}");
    wait_tasks(&name, 3, &original);

    // 1. drift service:NAME: every task read, one changed in place is the odd one out.
    let (code, out, err) = pindrift(&["drift", &format!("service:{name}")]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("no odd ones out"), "{out}");
    assert!(out.contains(&format!("spec image {original}")), "{out}");
    let tasks = running_tasks(&name);
    let (odd_task, _, odd_container) = &tasks[1];
    let wheel = std::fs::read_dir(wheels())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("eventlet-0.20.0-"))
        .unwrap();
    docker(&[
        "cp",
        wheel.to_str().unwrap(),
        &format!("{odd_container}:/tmp/"),
    ]);
    docker(&[
        "exec",
        odd_container,
        "sh",
        "-c",
        "/opt/venv/bin/pip install -q --no-index --no-deps /tmp/eventlet-0.20.0-*.whl && rm /tmp/eventlet-0.20.0-*.whl",
    ]);
    let (code, out, err) = pindrift(&["drift", &format!("service:{name}")]);
    assert_eq!(code, 1, "{out}\n{err}");
    println!("{out}{err}");
    let odd_name = format!("{odd_task} on {node}");
    assert!(
        out.contains(&format!("odd ones out: {odd_name}")),
        "{odd_name}\n{out}"
    );
    assert!(
        out.contains(&format!("{odd_name}: eventlet 0.20.0, others 0.20.1")),
        "{out}"
    );
    let (code, out, err) = pindrift(&["drift", &format!("service:{name}"), "--format", "json"]);
    assert_eq!(code, 1, "{out}\n{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["odd_ones_out"], serde_json::json!([odd_name]));
    assert_eq!(v["replicas"].as_array().unwrap().len(), 3);
    // The changed task is replaced: the service is whole again.
    docker(&["rm", "-f", odd_container]);
    wait_tasks(&name, 3, &original);

    // 2. promote converges; rollback --service restores the previous spec.
    let state = tempfile::tempdir().unwrap();
    let state_dir = state.path().to_str().unwrap();
    let (_web, web) = hotfixed(state_dir, &healthy);
    let (code, out, err) = pindrift(&[
        "hotfix",
        "--state-dir",
        state_dir,
        "promote",
        &web,
        "--service",
        &name,
        "--delay",
        "1",
        "--monitor",
        "4",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    println!("{out}{err}");
    assert!(out.contains("converged: every task"), "{out}");
    let promoted = spec_image(&name);
    assert_ne!(promoted, original);
    assert!(
        promoted.contains("@sha256:") && promoted.contains(":hotfix-"),
        "{promoted}"
    );
    let tasks = running_tasks(&name);
    assert_eq!(tasks.len(), 3, "{tasks:?}");
    assert!(tasks.iter().all(|(_, i, _)| *i == promoted), "{tasks:?}");
    let (code, out, err) = pindrift(&["drift", &format!("service:{name}")]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("no odd ones out"), "{out}");
    // The journal has the step and the previous spec.
    let (code, out, _) = pindrift(&["hotfix", "--state-dir", state_dir, "status", &web]);
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!("promote {promoted} to service {name}")),
        "{out}"
    );
    let (code, out, err) = pindrift(&[
        "hotfix",
        "--state-dir",
        state_dir,
        "rollback",
        "--service",
        &name,
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("rolled back"), "{out}");
    assert_eq!(spec_image(&name), original);
    wait_tasks(&name, 3, &original);

    // 3. an image whose health check fails: the engine rolls back, exit 1, old digest.
    let unhealthy = format!("{}/{}:1", registry.host(), unique("c-bad"));
    let _unhealthy = build_image(
        &unhealthy,
        &format!("FROM {healthy}\nHEALTHCHECK --interval=1s --timeout=2s --retries=1 CMD false\n"),
        &[],
        false,
    );
    let state2 = tempfile::tempdir().unwrap();
    let state2_dir = state2.path().to_str().unwrap();
    let (_bad, bad) = hotfixed(state2_dir, &unhealthy);
    let (code, out, err) = pindrift(&[
        "hotfix",
        "--state-dir",
        state2_dir,
        "promote",
        &bad,
        "--service",
        &name,
        "--push-to",
        &format!("{}/{}", registry.host(), unique("c-pushed")),
        "--delay",
        "1",
        "--monitor",
        "6",
    ]);
    assert_eq!(code, 1, "{out}\n{err}");
    println!("{out}{err}");
    assert!(out.contains("rolled back by the engine"), "{out}");
    assert!(out.contains(&format!("runs {original} again")), "{out}");
    assert_eq!(spec_image(&name), original);
    wait_tasks(&name, 3, &original);
    let _ = service_wheels;
}
