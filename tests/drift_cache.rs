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
        Some(dir) => {
            // The changes from the engine's endpoint and from the container's layer read on
            // this host must say the same.
            let from_engine = pindrift_env(
                &args,
                &[
                    ("PINDRIFT_CACHE_DIR", dir),
                    ("PINDRIFT_CHANGES", "always"),
                    ("PINDRIFT_LOCAL_LAYERS", "0"),
                ],
            );
            let from_layer = pindrift_env(
                &args,
                &[("PINDRIFT_CACHE_DIR", dir), ("PINDRIFT_CHANGES", "always")],
            );
            assert_eq!(
                from_engine.1, from_layer.1,
                "changes endpoint vs the container's layer"
            );
            from_layer
        }
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
    let entries: Vec<_> = std::fs::read_dir(cache.path().join("inventory/v3"))
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
    assert_eq!(v1["version"], 3);

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
    let status = wait_for_exit(&mut child, Duration::from_secs(30), "after SIGINT");
    drop(stdin);
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert_eq!(temp(), "", "the temporary container was not removed");
}

/// A metadata-only image (FROM scratch) with a label of its own, so that its id is new and
/// no cache holds it.
fn small_image(tag: &str) -> ImageGuard {
    let mut files: Vec<(String, Vec<u8>)> = vec![(
        "root/usr/local/lib/python3.11/site-packages/six-1.16.0.dist-info/METADATA".into(),
        b"Name: six\nVersion: 1.16.0\n".to_vec(),
    )];
    for i in 0..40 {
        files.push((
            format!("root/usr/local/lib/python3.11/site-packages/pkg{i}-1.{i}.dist-info/METADATA"),
            format!("Name: pkg{i}\nVersion: 1.{i}\n").into_bytes(),
        ));
    }
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_slice()))
        .collect();
    build_image(
        tag,
        &format!("FROM scratch\nLABEL pindrift.test={tag}\nCOPY root/ /\n"),
        &refs,
        false,
    )
}

fn image_id(tag: &str) -> String {
    let out = docker(&["image", "inspect", "--format", "{{.Id}}", tag]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn cache_entry(cache: &std::path::Path, id: &str) -> std::path::PathBuf {
    cache
        .join("inventory/v3")
        .join(format!("sha256-{}.json", id.trim_start_matches("sha256:")))
}

/// Issue 14: 8 pindrift processes reading the same image with a cold cache at once all
/// succeed with the same output; the cache file is whole afterwards (and a warm run agrees).
#[test]
#[ignore = "needs the Docker Engine"]
fn eight_concurrent_runs_with_a_cold_cache_agree() {
    require_docker();
    let tag = unique("conc") + ":1";
    let _img = small_image(&tag);
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let freeze = dir.path().join("f.txt");
    std::fs::write(&freeze, "six==1.15.0\npkg3==1.3\n").unwrap();
    let args = [
        "drift".to_string(),
        format!("image:{tag}"),
        format!("freeze:{}", freeze.display()),
        "--format".into(),
        "json".into(),
    ];
    let run_all = |n: usize| -> Vec<(i32, String, String)> {
        let children: Vec<_> = (0..n)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_pindrift"))
                    .args(&args)
                    .env("PINDRIFT_CACHE_DIR", &cache)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        children
            .into_iter()
            .map(|c| {
                let o = c.wait_with_output().unwrap();
                (
                    o.status.code().unwrap_or(-1),
                    String::from_utf8_lossy(&o.stdout).into_owned(),
                    String::from_utf8_lossy(&o.stderr).into_owned(),
                )
            })
            .collect()
    };
    let cold = run_all(8);
    for (code, out, err) in &cold {
        assert_eq!(*code, 1, "{out}\n{err}");
        assert_eq!(out, &cold[0].1, "every run says the same");
        assert!(err.is_empty(), "{err}");
    }
    let v = json(&cold[0].1);
    assert_eq!(lines(&v, "changes").len(), 40, "{v}"); // 39 removed + six downgraded
    let entry = cache_entry(&cache, &image_id(&tag));
    let text = std::fs::read_to_string(&entry).unwrap();
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed["version"], 3);
    // Only the entry itself: no temporary files left beside it.
    let names: Vec<String> = std::fs::read_dir(entry.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    let warm = run_all(1);
    assert_eq!(warm[0].1, cold[0].1);
    assert!(containers_of(&tag).is_empty());
}

/// Issue 14: a cache file truncated, or filled with garbage, is ignored (never an error or a
/// false drift) and rewritten whole.
#[test]
#[ignore = "needs the Docker Engine"]
fn a_truncated_or_garbage_cache_file_is_ignored_and_rewritten() {
    require_docker();
    let tag = unique("garb") + ":1";
    let _img = small_image(&tag);
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let cache_s = cache.to_str().unwrap().to_string();
    let img = format!("image:{tag}");
    let run = || {
        let (code, out, err) = pindrift_env(
            &["drift", &img, &img, "--all", "--format", "json"],
            &[("PINDRIFT_CACHE_DIR", &cache_s)],
        );
        assert_eq!(code, 0, "{out}\n{err}");
        assert!(err.is_empty(), "{err}");
        out
    };
    let first = run();
    assert_eq!(lines(&json(&first), "changes").len(), 41);
    let entry = cache_entry(&cache, &image_id(&tag));
    let whole = std::fs::read(&entry).unwrap();
    let garbage: Vec<u8> = (0..whole.len()).map(|i| (i * 7 + 13) as u8).collect();
    for (what, bytes) in [
        ("truncated", whole[..whole.len() / 2].to_vec()),
        ("truncated to nothing", Vec::new()),
        ("garbage", garbage),
        ("NUL bytes", vec![0u8; 4096]),
    ] {
        std::fs::write(&entry, &bytes).unwrap();
        assert_eq!(run(), first, "{what}");
        let back = std::fs::read(&entry).unwrap();
        let parsed: Value =
            serde_json::from_slice(&back).unwrap_or_else(|e| panic!("{what}: not rewritten ({e})"));
        assert_eq!(parsed["version"], 3, "{what}");
    }
    assert!(containers_of(&tag).is_empty());
}

/// Issue 13 (performance): a container of a cached image is read from the cache when the
/// engine's path-stat answers prove its folders unchanged, and read again from the container
/// after an install, an uninstall, an upgrade and a reinstall of the same version, each in a
/// container of its own. The cache is poisoned on purpose (eventlet's version there is one
/// no container holds), so each read shows where its answer came from.
#[test]
#[ignore = "needs the Docker Engine"]
fn proven_containers_come_from_the_cache_and_every_pip_change_is_read_again() {
    require_docker();
    let base = base_image();
    let tag = unique("proof") + ":1";
    let dockerfile = format!(
        "FROM {base}\nCOPY wheels/ /wheels/\n\
         RUN python3 -m pip install --no-index --find-links /wheels --no-deps eventlet==0.20.0 \
         && rm -rf /root/.cache\n"
    );
    let _img = build_image(&tag, &dockerfile, &[], true);
    // The engine states mtimes to the second: a container created in the same second as
    // the image's last change could not be told from it (pindrift then reads it whole).
    std::thread::sleep(Duration::from_millis(1100));
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().to_str().unwrap().to_string();
    let empty = cache.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let freeze = format!("freeze:{}", empty.display());

    // The image is read once (a temporary container) and cached with its proofs.
    let img = format!("image:{tag}");
    let (code, out, err) = pindrift_env(
        &["drift", &img, &freeze, "--all", "--format", "json"],
        &[("PINDRIFT_CACHE_DIR", &dir)],
    );
    assert_eq!(code, 1, "{out}\n{err}");
    let entry = cache_entry(cache.path(), &image_id(&tag));
    let text = std::fs::read_to_string(&entry).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert!(
        v["proofs"][SITE].is_object(),
        "the site folder has a proof: {}",
        v["proofs"]
    );
    assert!(text.contains("Version: 0.20.0"), "{text}");
    std::fs::write(
        &entry,
        text.replace("Version: 0.20.0", "Version: 0.20.0+cached"),
    )
    .unwrap();

    // (container side of `drift container:C freeze:EMPTY --all`) eventlet and six, as read:
    // whole (`--no-cache`), through proofs (the container's layer not read on this host),
    // or as image + changes from the container's layer where it can be read here.
    #[derive(Clone, Copy, Debug)]
    enum Way {
        Whole,
        Proofs,
        Default,
    }
    let versions = |c: &str, way: Way| -> (Option<String>, Option<String>) {
        let ctr = format!("container:{c}");
        let mut args = vec![
            "drift",
            ctr.as_str(),
            freeze.as_str(),
            "--all",
            "--format",
            "json",
        ];
        let mut env = vec![("PINDRIFT_CACHE_DIR", dir.as_str())];
        match way {
            Way::Whole => args.push("--no-cache"),
            Way::Proofs => env.push(("PINDRIFT_LOCAL_LAYERS", "0")),
            Way::Default => {}
        }
        let (code, out, err) = pindrift_env(&args, &env);
        assert!(code == 0 || code == 1, "{code}: {out}\n{err}");
        let v = json(&out);
        let find = |name: &str| {
            v["changes"].as_array().unwrap().iter().find_map(|c| {
                (c["name"] == name).then(|| c["before"].as_str().unwrap_or("").to_string())
            })
        };
        (find("eventlet"), find("six"))
    };
    let wheel = |c: &str, name: &str| {
        docker(&[
            "cp",
            &format!("{}/{name}", wheels().display()),
            &format!("{c}:/tmp/"),
        ]);
        format!("/tmp/{name}")
    };
    let pip = "python3 -m pip -q --disable-pip-version-check";
    type Case<'a> = (
        &'a str,
        &'a dyn Fn(&str) -> String,
        (Option<&'a str>, Option<&'a str>),
    );
    let cases: [Case; 4] = [
        (
            "install",
            &|c| {
                format!(
                    "{pip} install --no-index --no-deps {}",
                    wheel(c, "six-1.16.0-py2.py3-none-any.whl")
                )
            },
            (Some("0.20.0"), Some("1.16.0")),
        ),
        (
            "uninstall",
            &|_| format!("{pip} uninstall -y eventlet"),
            (None, None),
        ),
        (
            "upgrade",
            &|c| {
                format!(
                    "{pip} install --no-index --no-deps {}",
                    wheel(c, "eventlet-0.20.1-py2.py3-none-any.whl")
                )
            },
            (Some("0.20.1"), None),
        ),
        (
            "reinstall",
            &|c| {
                format!(
                    "{pip} install --force-reinstall --no-index --no-deps {}",
                    wheel(c, "eventlet-0.20.0-py2.py3-none-any.whl")
                )
            },
            (Some("0.20.0"), None),
        ),
    ];
    for (what, script, want) in cases {
        let c = unique(&format!("proof-{what}"));
        let _c = run_container(&c, &tag, &[]);
        // Untouched (a wheel copied to /tmp changes no proven folder): from the cache.
        let script = script(&c);
        for way in [Way::Proofs, Way::Default] {
            assert_eq!(
                versions(&c, way),
                (Some("0.20.0+cached".to_string()), None),
                "{what}, {way:?}: an untouched container is read from the cache"
            );
        }
        sh(&c, &script);
        let want = (want.0.map(str::to_string), want.1.map(str::to_string));
        assert_eq!(versions(&c, Way::Whole), want, "{what}: read whole");
        // Through proofs the changed site folder is read again whole; as image + changes
        // only what changed is (an install leaves eventlet's folder, so it stays the
        // cache's), and a reinstall of the same version is a change like any other.
        assert_eq!(
            versions(&c, Way::Proofs),
            want,
            "{what}: after `{script}` the proof must fail and the folder be read again"
        );
        let mut patched = want.clone();
        if what == "install" {
            patched.0 = Some("0.20.0+cached".to_string());
        }
        assert_eq!(
            versions(&c, Way::Default),
            patched,
            "{what}: after `{script}` the changed metadata must be read again"
        );
    }
    assert!(
        containers_of(&tag).is_empty(),
        "no temporary container left"
    );
}
