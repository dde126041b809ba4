//! Fleets against real engines: a second `dockerd` started by the test (its own socket,
//! data root, exec root, bridge), `drift --host A --host B` finding the odd one out on the
//! second engine and naming an engine that cannot be reached; a single-node Swarm and a
//! 3-replica service for `service:NAME` and `hotfix promote` (see tests/fleet_swarm.rs).

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod support;

use serde_json::Value;
use support::engine2::SecondEngine;
use support::*;

fn app_dockerfile(base: &str) -> String {
    format!(
        "FROM {base}\nCOPY wheels/ /wheels/\n\
         RUN python3 -m pip install --no-index --find-links /wheels --no-deps eventlet==0.20.0 six==1.16.0 \
         && rm -rf /root/.cache\n\
         COPY app.py /usr/src/app/app.py\nWORKDIR /usr/src/app\nLABEL pindrift.test.run={}\n",
        unique("run")
    )
}

const APP: &[u8] = b"import eventlet\nprint(eventlet.__version__)\n";

/// Runs a sleeping container on the engine at `url` (`None`: the host's).
fn run_on(url: Option<&str>, name: &str, image: &str, label: &str) {
    let mut args = vec![];
    if let Some(u) = url {
        args.extend(["-H", u]);
    }
    args.extend([
        "run",
        "-d",
        "--network",
        "none",
        "--label",
        label,
        "--name",
        name,
        image,
        "sleep",
        "3600",
    ]);
    docker(&args);
}

#[test]
#[ignore = "needs the Docker Engine"]
fn two_engines_name_the_odd_one_out_and_an_unreachable_engine() {
    require_docker();
    let tag = format!("{}:1", unique("c-fleet"));
    let _image = build_image(
        &tag,
        &app_dockerfile(base_image()),
        &[("app.py", APP)],
        true,
    );
    let b = SecondEngine::start();
    let b_dir = b.dir();
    let bridge = b.bridge().to_string();
    b.load_from_host(&tag);

    let label = format!("pindrift.test={}", unique("c-fleet"));
    let a1 = unique("c-a1");
    let a2 = unique("c-a2");
    let b1 = unique("c-b1");
    let _g1 = ContainerGuard(a1.clone());
    let _g2 = ContainerGuard(a2.clone());
    run_on(None, &a1, &tag, &label);
    run_on(None, &a2, &tag, &label);
    run_on(Some(&b.url), &b1, &tag, &label);
    // One package changed in place on engine B.
    b.docker(&[
        "exec",
        &b1,
        "python3",
        "-m",
        "pip",
        "install",
        "-q",
        "--no-index",
        "--no-deps",
        "--find-links",
        "/wheels",
        "eventlet==0.20.1",
    ]);

    let host_a = "a=unix:///var/run/docker.sock".to_string();
    let host_b = format!("b={}", b.url);
    let gone = "unix:///tmp/pindrift-test-c-no-such-engine.sock";

    // Both engines and one that does not exist: the odd one out on B is named, the third
    // engine is named as not reached, and the run still reports (exit 1: drift).
    let (code, out, err) = pindrift(&[
        "drift",
        "--host",
        &host_a,
        "--host",
        &host_b,
        "--host",
        gone,
        "--replicas",
        &label,
    ]);
    println!("{out}{err}");
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        out.contains(&format!("odd ones out: {b1}@b")),
        "{out}\n{err}"
    );
    assert!(
        out.contains(&format!("{b1}@b: eventlet 0.20.1, others 0.20.0")),
        "{out}"
    );
    assert!(
        out.contains(&format!("{a1}@a")) && out.contains(&format!("{a2}@a")),
        "{out}"
    );
    assert!(
        out.contains(&format!("engine {gone}: NOT REACHED")),
        "{out}"
    );
    assert!(out.contains("not everything was read"), "{out}");
    assert!(
        err.contains(&format!("warning: engine {gone}")) && err.contains("not reached"),
        "{err}"
    );

    // JSON: the same, with the engines.
    let (code, out, err) = pindrift(&[
        "drift",
        "--host",
        &host_a,
        "--host",
        &host_b,
        "--host",
        gone,
        "--replicas",
        &label,
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{out}\n{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["odd_ones_out"], serde_json::json!([format!("{b1}@b")]));
    let engines = v["fleet"]["engines"].as_array().unwrap();
    assert_eq!(engines.len(), 3);
    assert!(engines[0]["error"].is_null() && engines[1]["error"].is_null());
    assert!(
        engines[2]["error"].as_str().unwrap().contains(gone),
        "{out}"
    );

    // --require-all: an engine not reached is an error.
    let (code, out, err) = pindrift(&[
        "drift",
        "--host",
        &host_a,
        "--host",
        &host_b,
        "--host",
        gone,
        "--replicas",
        &label,
        "--require-all",
    ]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(err.contains(&format!("engine {gone} not reached")), "{err}");

    // A hosts file, and a container named on its engine against one on the other.
    let hosts = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        hosts.path(),
        format!("# the fleet\na unix:///var/run/docker.sock\nb {}\n", b.url),
    )
    .unwrap();
    let hosts_path = hosts.path().to_str().unwrap();
    let (code, out, err) = pindrift(&[
        "drift",
        "--hosts-file",
        hosts_path,
        &format!("container:{a1}@a"),
        &format!("container:{b1}@b"),
    ]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("eventlet"), "{out}");
    assert!(out.contains("0.20.0") && out.contains("0.20.1"), "{out}");
    // The container on B against its own image (read on B).
    let (code, out, err) = pindrift(&[
        "drift",
        "--hosts-file",
        hosts_path,
        &format!("container:{b1}@b"),
    ]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("0.20.1"), "{out}");
    // An engine no --host names.
    let (code, _, err) = pindrift(&["drift", &format!("container:{b1}@nowhere")]);
    assert_eq!(code, 2);
    assert!(err.contains("no engine `nowhere`"), "{err}");
    // Without B, the same label on A alone: no odd ones out.
    let (code, out, err) = pindrift(&["drift", "--host", &host_a, "--replicas", &label]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("no odd ones out"), "{out}");

    // Nothing is left behind: the daemon, its bridge, its folders.
    let pid = b.pid();
    drop(b);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists() || {
            let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            s.contains(") Z ")
        }
    );
    assert!(!b_dir.exists(), "{} left behind", b_dir.display());
    let links = std::process::Command::new("ip")
        .args(["link"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&links.stdout).contains(&bridge));
    let docker0 = std::process::Command::new("ip")
        .args(["link", "show", "docker0"])
        .output()
        .unwrap();
    assert!(docker0.status.success(), "the host's docker0 must survive");
}
