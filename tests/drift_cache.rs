//! The image inventory cache and reading containers as their image plus the Engine's changes,
//! against the real engine: both ways must give identical inventories after packages are
//! installed, upgraded and removed in place, with a volume over a site folder, and with a
//! corrupt cache file. Also: Ctrl-C while an image's temporary container exists.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod support;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::*;

const SITE: &str = "/usr/local/lib/python3.11/dist-packages";

fn app_dockerfile(base: &str) -> String {
    format!(
        "FROM {base}\nCOPY wheels/ /wheels/\n\
         RUN python3 -m pip install --no-index --find-links /wheels --no-deps eventlet==0.20.0 six==1.16.0 \
         && rm -rf /root/.cache\n"
    )
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("bad JSON ({e}):\n{stdout}"))
}

/// `image:IMG container:C --all` as JSON, either without the cache or with the cache in
/// `dir` and the container read as image + changes.
fn read(image: &str, container: &str, cache: Option<&str>) -> Value {
    let img = format!("image:{image}");
    let ctr = format!("container:{container}");
    let mut args = vec!["drift", &img, &ctr, "--all", "--format", "json"];
    let (code, out, err) = match cache {
        None => {
            args.push("--no-cache");
            pindrift_env(&args, &[("PINDRIFT_CHANGES", "never")])
        }
        Some(dir) => pindrift_env(
            &args,
            &[("PINDRIFT_CACHE_DIR", dir), ("PINDRIFT_CHANGES", "always")],
        ),
    };
    assert!(code == 0 || code == 1, "{code}: {out}\n{err}");
    json(&out)
}

fn lines(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {v}"))
        .iter()
        .map(|c| {
            format!(
                "{} {} {} {}",
                c["name"].as_str().unwrap_or("?"),
                c["change"].as_str().unwrap_or("?"),
                c["before"].as_str().unwrap_or("-"),
                c["after"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

fn assert_same(direct: &Value, cached: &Value, what: &str) {
    assert_eq!(
        direct, cached,
        "{what}: the cached path differs from the archive path"
    );
}

fn sh(container: &str, script: &str) {
    docker(&["exec", container, "sh", "-c", script]);
}

#[test]
#[ignore = "needs the Docker Engine"]
fn cached_inventory_matches_archive() {
    require_docker();
    let base = base_image();
    let tag = unique("cache") + ":1";
    let _img = build_image(&tag, &app_dockerfile(base), &[], true);
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().to_str().unwrap().to_string();

    let c = unique("cache-c");
    let _c = run_container(&c, &tag, &[]);

    // Untouched container, cold cache: identical, and the cache entry is written.
    let direct = read(&tag, &c, None);
    let cached = read(&tag, &c, Some(&dir));
    assert_same(&direct, &cached, "untouched");
    assert!(lines(&direct, "changes").contains(&"eventlet unchanged 0.20.0 0.20.0".to_string()));
    let entries: Vec<_> = std::fs::read_dir(cache.path().join("inventory/v2"))
        .unwrap()
        .filter_map(|e| e.ok())
        .collect();
    assert_eq!(entries.len(), 1, "one cache entry for the image");
    let entry = entries[0].path();

    // Changed in place: an upgrade (the old dist-info folder is deleted), an uninstall, a
    // new user site, and an OS package database edit.
    docker(&[
        "cp",
        &format!(
            "{}/eventlet-0.20.1-py2.py3-none-any.whl",
            wheels().display()
        ),
        &format!("{c}:/tmp/"),
    ]);
    sh(
        &c,
        "python3 -m pip install -q --no-index --no-deps /tmp/eventlet-0.20.1-py2.py3-none-any.whl \
         && python3 -m pip uninstall -q -y six \
         && mkdir -p /root/.local/lib/python3.11/site-packages/extra-1.0.dist-info \
         && printf 'Name: extra\\nVersion: 1.0\\n' > /root/.local/lib/python3.11/site-packages/extra-1.0.dist-info/METADATA \
         && printf '\\nPackage: pindrift-fake\\nStatus: install ok installed\\nVersion: 1.0-1\\n' >> /var/lib/dpkg/status",
    );
    let direct = read(&tag, &c, None);
    let cached = read(&tag, &c, Some(&dir));
    assert_same(&direct, &cached, "changed in place");
    let changes = lines(&cached, "changes");
    for want in [
        "eventlet upgrade 0.20.0 0.20.1",
        "six removed 1.16.0 -",
        "extra added - 1.0",
    ] {
        assert!(
            changes.contains(&want.to_string()),
            "{want} not in {changes:?}"
        );
    }
    assert!(
        lines(&cached, "os_changes").contains(&"pindrift-fake added - 1.0-1".to_string()),
        "{cached}"
    );

    // A volume over the site folder: the changes endpoint does not see inside it.
    let v = unique("cache-v");
    let _v = ContainerGuard(v.clone());
    docker(&[
        "run",
        "-d",
        "--network",
        "none",
        "-v",
        SITE,
        "--name",
        &v,
        &tag,
        "sleep",
        "3600",
    ]);
    sh(&v, "python3 -m pip uninstall -q -y six");
    let direct = read(&tag, &v, None);
    let cached = read(&tag, &v, Some(&dir));
    assert_same(&direct, &cached, "volume over site-packages");
    assert!(lines(&cached, "changes").contains(&"six removed 1.16.0 -".to_string()));

    // A corrupt cache entry is ignored and rewritten.
    std::fs::write(&entry, b"{\"version\": 1, \"image_id\": ").unwrap();
    let cached = read(&tag, &c, Some(&dir));
    assert_same(&read(&tag, &c, None), &cached, "corrupt cache");
    let text = std::fs::read_to_string(&entry).unwrap();
    let v1: Value = serde_json::from_str(&text).expect("cache entry rewritten as JSON");
    assert_eq!(v1["version"], 2);

    // The single-container form (image from the cache, container as image + changes) says
    // the same as without the cache.
    let one = |extra: &[(&str, &str)], no_cache: bool| {
        let ctr = format!("container:{c}");
        let mut args = vec!["drift", ctr.as_str(), "--format", "json"];
        if no_cache {
            args.push("--no-cache");
        }
        let (code, out, err) = pindrift_env(&args, extra);
        assert_eq!(code, 1, "{out}\n{err}");
        json(&out)
    };
    assert_eq!(
        one(&[("PINDRIFT_CACHE_DIR", &dir)], false),
        one(&[], true),
        "container:C with and without the cache"
    );
    assert!(
        containers_of(&tag).len() == 2,
        "no temporary container left"
    );
}

/// Ctrl-C while `image:REF freeze:-` waits for stdin, after the image's temporary container
/// was created: exit 2 and no container of the session remains.
#[test]
#[ignore = "needs the Docker Engine"]
fn ctrl_c_removes_the_temporary_container() {
    require_docker();
    let tag = unique("sigint") + ":1";
    let label = unique("sigint");
    let _img = build_image(
        &tag,
        &format!("FROM scratch\nLABEL pindrift.test={label}\nCOPY root/ /\n"),
        &[(
            "root/usr/lib/python3.11/site-packages/foo-1.0.dist-info/METADATA",
            b"Name: foo\nVersion: 1.0\n",
        )],
        false,
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_pindrift"))
        .args(["drift", &format!("image:{tag}"), "freeze:-", "--no-cache"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pindrift");
    let stdin = child.stdin.take();
    let temp = || {
        let out = docker(&[
            "ps",
            "-a",
            "-q",
            "--filter",
            &format!("ancestor={tag}"),
            "--filter",
            "label=pindrift.session",
        ]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let start = Instant::now();
    while temp().is_empty() {
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("no temporary container appeared");
        }
        assert!(child.try_wait().unwrap().is_none(), "pindrift ended early");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Blocked on stdin with the container in place.
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "pindrift should wait for stdin"
    );
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("pindrift did not stop after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(stdin);
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert_eq!(temp(), "", "the temporary container was not removed");
}
