//! `pindrift drift` against the real Docker Engine, with images the test builds itself:
//! the debootstrapped base, real eventlet wheels installed offline, and FROM scratch images
//! that carry only metadata.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod support;

use serde_json::Value;
use support::*;

/// The last line gives the image an id of its own: with the builder's cache, the same
/// Dockerfile built by another test run (another worktree on the same engine) would be the
/// same image, and `ancestor=` filters would count that run's containers.
fn app_dockerfile(base: &str, version: &str) -> String {
    format!(
        "FROM {base}\nCOPY wheels/ /wheels/\n\
         RUN python3 -m pip install --no-index --find-links /wheels --no-deps eventlet=={version} six==1.16.0 \
         && rm -rf /wheels /root/.cache\n\
         COPY app.py /usr/src/app/app.py\nWORKDIR /usr/src/app\nLABEL pindrift.test.run={}\n",
        unique("run")
    )
}

const APP: &[u8] = b"import eventlet\nprint(eventlet.__version__)\n";

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("bad JSON ({e}):\n{stdout}"))
}

/// `drift image:IMAGE container:CONTAINER --via VIA --all`, which must find no drift: every
/// Python package as `name change version`.
fn every_package(image: &str, container: &str, via: &str, extra: &[&str]) -> Vec<String> {
    let image = format!("image:{image}");
    let container = format!("container:{container}");
    let mut args = vec![
        "drift",
        image.as_str(),
        container.as_str(),
        "--via",
        via,
        "--all",
        "--no-os",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = pindrift(&args);
    assert_eq!(code, 0, "{via}: {out}\n{err}");
    names(&json(&out)["changes"])
}

fn names(changes: &Value) -> Vec<String> {
    changes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {} {}",
                c["name"].as_str().unwrap(),
                c["change"].as_str().unwrap(),
                c["after"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

/// The incident: production runs eventlet 0.20.0, the rebuilt image carries 0.20.1. Also:
/// archive and exec agree; a container patched in place is called out; replicas name the odd
/// one out; temporary containers are removed.
#[test]
#[ignore = "needs the Docker Engine"]
fn eventlet_story() {
    require_docker();
    let base = base_image();
    let old_tag = unique("app") + ":0.20.0";
    let new_tag = unique("app") + ":0.20.1";
    let _old = build_image(
        &old_tag,
        &app_dockerfile(base, "0.20.0"),
        &[("app.py", APP)],
        true,
    );
    let _new = build_image(
        &new_tag,
        &app_dockerfile(base, "0.20.1"),
        &[("app.py", APP)],
        true,
    );
    let prod = unique("prod");
    let _prod = run_container(&prod, &old_tag, &[]);

    // Headline: exactly one change, a patch, and --fail-on patch exits 1.
    let (code, out, err) = pindrift(&[
        "drift",
        &format!("container:{prod}"),
        &format!("image:{new_tag}"),
        "--fail-on",
        "patch",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{out}\n{err}");
    let v = json(&out);
    assert_eq!(v["version"], 2);
    assert_eq!(v["tool"], "pindrift");
    assert_eq!(
        v["changes"],
        serde_json::json!([{"name": "eventlet", "before": "0.20.0", "after": "0.20.1", "change": "upgrade", "bump": "patch", "env": "system"}])
    );
    assert_eq!(v["os_changes"], serde_json::json!([]));
    assert_eq!(v["before"]["kind"], "container");
    assert_eq!(v["after"]["kind"], "image");
    assert!(v["after"]["os"]["packages"].as_u64().unwrap() > 50);
    // A minor threshold is not tripped by a patch.
    let (code, _, _) = pindrift(&[
        "drift",
        &format!("container:{prod}"),
        &format!("image:{new_tag}"),
        "--fail-on",
        "minor",
    ]);
    assert_eq!(code, 0);
    // --ignore drops it.
    let (code, _, _) = pindrift(&[
        "drift",
        &format!("container:{prod}"),
        &format!("image:{new_tag}"),
        "--ignore",
        "Eventlet",
    ]);
    assert_eq!(code, 0);
    // The table says it plainly.
    let (code, out, _) = pindrift(&[
        "drift",
        &format!("container:{prod}"),
        &format!("image:{new_tag}"),
    ]);
    assert_eq!(code, 1);
    let line = out
        .lines()
        .find(|l| l.contains("eventlet"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains("upgrade") && line.contains("0.20.0 → 0.20.1") && line.contains("patch"),
        "{line}"
    );

    // Archive and exec agree, package by package.
    let by_archive = every_package(&old_tag, &prod, "archive", &[]);
    let by_exec = every_package(&old_tag, &prod, "exec", &[]);
    assert_eq!(by_archive, by_exec);
    for want in [
        "eventlet unchanged 0.20.0",
        "pip unchanged 23.0.1",
        "six unchanged 1.16.0",
        "setuptools unchanged 66.1.1",
        "wheel unchanged 0.38.4",
    ] {
        assert!(
            by_archive.contains(&want.to_string()),
            "{want} not in {by_archive:?}"
        );
    }
    // Exec with a freeze of the same container also agrees.
    let freeze = docker(&["exec", &prod, "python3", "-m", "pip", "freeze", "--all"]);
    let dir = tempfile::tempdir().unwrap();
    let fpath = dir.path().join("freeze.txt");
    std::fs::write(&fpath, &freeze.stdout).unwrap();
    let (code, out, err) = pindrift(&[
        "drift",
        &format!("freeze:{}", fpath.display()),
        &format!("container:{prod}"),
    ]);
    assert_eq!(code, 0, "{out}\n{err}");

    // Replicas: three of them, one hotfixed in place.
    let label = format!("pindrift.test={}", unique("svc"));
    let reps: Vec<String> = (0..3).map(|i| format!("{}-r{i}", unique("rep"))).collect();
    let _guards: Vec<ContainerGuard> = reps
        .iter()
        .map(|r| run_container(r, &old_tag, &[&label]))
        .collect();
    let odd = &reps[1];
    docker(&[
        "cp",
        &format!(
            "{}/eventlet-0.20.1-py2.py3-none-any.whl",
            wheels().display()
        ),
        &format!("{odd}:/tmp/"),
    ]);
    docker(&[
        "exec",
        odd,
        "python3",
        "-m",
        "pip",
        "install",
        "-q",
        "--no-index",
        "--no-deps",
        "/tmp/eventlet-0.20.1-py2.py3-none-any.whl",
    ]);
    docker(&[
        "exec",
        odd,
        "sh",
        "-c",
        "echo '# hotfix' >> /usr/src/app/app.py && rm /tmp/eventlet-0.20.1-py2.py3-none-any.whl",
    ]);

    let (code, out, err) = pindrift(&["drift", &format!("container:{odd}")]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        out.contains("modified in place: /usr/src/app/app.py changed; eventlet 0.20.0 → 0.20.1"),
        "{out}"
    );
    // An untouched replica matches its image.
    let (code, out, err) = pindrift(&["drift", &format!("container:{}", reps[0])]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(!out.contains("modified in place"), "{out}");

    let (code, out, err) = pindrift(&["drift", "--replicas", &label, "--format", "json"]);
    assert_eq!(code, 1, "{out}\n{err}");
    let v = json(&out);
    assert_eq!(v["odd_ones_out"], serde_json::json!([odd]));
    let r1 = v["replicas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == odd.as_str())
        .unwrap();
    assert_eq!(names(&r1["changes"]), ["eventlet upgrade 0.20.1"]);
    let (_, out, _) = pindrift(&["drift", "--replicas", &label]);
    assert!(out.contains(&format!("odd ones out: {odd}")), "{out}");

    // No temporary container survives.
    assert_eq!(
        containers_of(&old_tag).len(),
        4,
        "only the test's own containers remain"
    );
    assert!(containers_of(&new_tag).is_empty());
}

fn scratch_files(libc: &str, foo_version: &str) -> Vec<(String, Vec<u8>)> {
    vec![
        (
            "root/var/lib/dpkg/status.d/libc6".into(),
            format!("Package: libc6\nVersion: {libc}\nArchitecture: amd64\n").into_bytes(),
        ),
        (
            "root/var/lib/dpkg/status.d/tzdata".into(),
            b"Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n".to_vec(),
        ),
        (
            "root/usr/lib/python3.11/site-packages/foo-1.0.dist-info/METADATA".into(),
            format!("Metadata-Version: 2.1\nName: Foo\nVersion: {foo_version}\n").into_bytes(),
        ),
        (
            "root/usr/lib/python3.11/site-packages/broken-1.0.dist-info/METADATA".into(),
            b"\xff\xfe garbage".to_vec(),
        ),
        (
            "root/usr/lib/python3.11/site-packages/legacy-2.0-py3.11.egg-info".into(),
            b"Metadata-Version: 1.1\nName: legacy\nVersion: 2.0\n".to_vec(),
        ),
        (
            "root/opt/venv/pyvenv.cfg".into(),
            b"home = /usr/bin\nversion = 3.11.2\n".to_vec(),
        ),
        (
            "root/opt/venv/lib/python3.11/site-packages/flask-2.0.1.dist-info/METADATA".into(),
            b"Name: Flask\nVersion: 2.0.1\n".to_vec(),
        ),
    ]
}

/// Distroless-style images: no shell, no pip, dpkg status.d, a venv beside the system site,
/// malformed metadata.
#[test]
#[ignore = "needs the Docker Engine"]
fn scratch_metadata_only_images() {
    require_docker();
    let a_tag = unique("scratch") + ":a";
    let b_tag = unique("scratch") + ":b";
    let df = "FROM scratch\nCOPY root/ /\n";
    let build = |tag: &str, files: Vec<(String, Vec<u8>)>| {
        let refs: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(p, d)| (p.as_str(), d.as_slice()))
            .collect();
        build_image(tag, df, &refs, false)
    };
    let _a = build(&a_tag, scratch_files("2.36-9+deb12u4", "1.0"));
    let _b = build(&b_tag, scratch_files("2.36-9+deb12u7", "1.0.0"));

    let (code, out, err) = pindrift(&[
        "drift",
        &format!("image:{a_tag}"),
        &format!("image:{b_tag}"),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{out}\n{err}");
    let v = json(&out);
    // 1.0 == 1.0.0: no Python drift; the OS section has the libc6 rebuild.
    assert_eq!(v["changes"], serde_json::json!([]));
    assert_eq!(
        v["os_changes"],
        serde_json::json!([{"name": "libc6", "before": "2.36-9+deb12u4", "after": "2.36-9+deb12u7", "change": "upgrade", "bump": "post"}])
    );
    let envs: Vec<&str> = v["before"]["python_envs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    assert_eq!(envs, ["system", "venv:/opt/venv"]);
    assert_eq!(v["before"]["os"]["manager"], "dpkg");
    let warnings = v["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w["path"].as_str().unwrap().contains("broken-1.0.dist-info")),
        "{warnings:?}"
    );

    // A freeze file against a two-environment image needs --python-env.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("f.txt");
    std::fs::write(&f, "Flask==2.0.2\n").unwrap();
    let (code, _, err) = pindrift(&[
        "drift",
        &format!("image:{a_tag}"),
        &format!("freeze:{}", f.display()),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--python-env"), "{err}");
    let (code, out, err) = pindrift(&[
        "drift",
        &format!("image:{a_tag}"),
        &format!("freeze:{}", f.display()),
        "--python-env",
        "/opt/venv",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{out}\n{err}");
    let v = json(&out);
    assert_eq!(names(&v["changes"]), ["flask upgrade 2.0.2"]);
    assert_eq!(
        v["os_changes"],
        Value::Null,
        "no OS drift against a freeze file"
    );
    assert!(containers_of(&a_tag).is_empty() && containers_of(&b_tag).is_empty());
}

/// apk databases, in their own section.
#[test]
#[ignore = "needs the Docker Engine"]
fn apk_database() {
    require_docker();
    let a = unique("apk") + ":a";
    let b = unique("apk") + ":b";
    let df = "FROM scratch\nCOPY root/ /\n";
    let _ga = build_image(
        &a,
        df,
        &[(
            "root/lib/apk/db/installed",
            b"P:musl\nV:1.2.4-r2\n\nP:busybox\nV:1.36.1-r5\n",
        )],
        false,
    );
    let _gb = build_image(
        &b,
        df,
        &[(
            "root/lib/apk/db/installed",
            b"P:musl\nV:1.2.5-r0\n\nP:busybox\nV:1.36.1-r5\n",
        )],
        false,
    );
    let (code, out, err) = pindrift(&[
        "drift",
        &format!("image:{a}"),
        &format!("image:{b}"),
        "--format",
        "json",
        "--fail-on",
        "patch",
    ]);
    assert_eq!(code, 1, "{out}\n{err}");
    let v = json(&out);
    assert_eq!(names(&v["os_changes"]), ["musl upgrade 1.2.5-r0"]);
    assert_eq!(v["os_changes"][0]["bump"], "patch");
    assert_eq!(v["before"]["os"]["manager"], "apk");
}

#[test]
#[ignore = "needs the Docker Engine"]
fn missing_image_and_container_are_errors() {
    require_docker();
    let (code, _, err) = pindrift(&[
        "drift",
        "image:pindrift-t-no-such-image:0",
        "image:pindrift-t-no-such-image:1",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no such image") && err.contains("never pulls"),
        "{err}"
    );
    let (code, _, err) = pindrift(&["drift", "container:pindrift-t-no-such-container"]);
    assert_eq!(code, 2);
    assert!(err.contains("no such container"), "{err}");
}

/// Issue 7.3 against an image and a container: a requirements file is checked requirement
/// by requirement, markers are evaluated with the image's Python version and OS, and the
/// image's other packages are "not in the requirements", never "removed".
#[test]
#[ignore = "needs the Docker Engine"]
fn requirements_against_image_and_container() {
    require_docker();
    let tag = unique("req") + ":1";
    let site = "root/usr/local/lib/python3.11/site-packages";
    let meta = |n: &str, v: &str| {
        (
            format!("{site}/{n}-{v}.dist-info/METADATA"),
            format!("Metadata-Version: 2.1\nName: {n}\nVersion: {v}\n").into_bytes(),
        )
    };
    let files = [
        meta("eventlet", "0.20.1"),
        meta("gunicorn", "19.6.0"),
        meta("requests", "2.31.0"),
        meta("greenlet", "0.4.12"),
        meta("six", "1.16.0"),
    ];
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, d)| (p.as_str(), d.as_slice()))
        .collect();
    let _img = build_image(&tag, "FROM scratch\nCOPY root/ /\n", &refs, false);
    let dir = tempfile::tempdir().unwrap();
    let req = dir.path().join("requirements.txt");
    std::fs::write(
        &req,
        "eventlet\ngunicorn>=21.2\nredis\nrequests~=2.31\n\
         pywin32==306; sys_platform == \"win32\"\n\
         tomli>=2; python_version < \"3.11\"\n\
         typing-extensions; python_version >= \"3.8\"\n\
         uvloop; platform_machine == \"x86_64\"\n",
    )
    .unwrap();
    let req_src = format!("req:{}", req.display());
    let ctr = unique("req-ctr");
    let _c = ContainerGuard(ctr.clone());
    docker(&["create", "--name", &ctr, &tag, "/nothing"]);
    for env in [format!("image:{tag}"), format!("container:{ctr}")] {
        for (a, b) in [(&req_src, &env), (&env, &req_src)] {
            let (code, out, err) = pindrift(&["drift", a, b, "--format", "json"]);
            assert_eq!(code, 1, "{out}\n{err}");
            let v = json(&out);
            let got: Vec<String> = v["requirements"]["results"]
                .as_array()
                .unwrap_or_else(|| panic!("{out}"))
                .iter()
                .map(|r| {
                    format!(
                        "{} {} {}",
                        r["name"].as_str().unwrap(),
                        r["status"].as_str().unwrap(),
                        r["installed"].as_str().unwrap_or("-")
                    )
                })
                .collect();
            assert_eq!(
                got,
                [
                    "eventlet unpinned 0.20.1",
                    "gunicorn violated 19.6.0",
                    "redis missing -",
                    "requests satisfied 2.31.0",
                    "pywin32 not-applicable -",
                    "tomli not-applicable -",
                    "typing-extensions missing -",
                    "uvloop unknown -",
                    "greenlet not-in-requirements 0.4.12",
                    "six not-in-requirements 1.16.0",
                ],
                "{a} {b}"
            );
            assert_eq!(v["changes"], serde_json::json!([]));
            assert_eq!(v["requirements"]["marker_facts"]["python_version"], "3.11");
            assert_eq!(v["requirements"]["marker_facts"]["sys_platform"], "linux");
        }
        // The table never calls the image's other packages "removed".
        let (_, out, _) = pindrift(&["drift", &req_src, &env]);
        assert!(!out.contains("removed"), "{out}");
        assert!(
            out.contains("2 installed packages not in the requirements"),
            "{out}"
        );
    }
    assert!(
        containers_of(&tag).len() == 1,
        "only the test's own container"
    );
}

/// Options reach the model everywhere: `--ignore` and `--no-os` in the odd-one-out
/// comparison of `--replicas` and in the files changed in place, `--via exec` for replicas;
/// the JSON's `failed` is the exit code.
#[test]
#[ignore = "needs the Docker Engine"]
fn replicas_and_in_place_honour_options() {
    require_docker();
    let base = base_image();
    let label = format!("pindrift.test={}", unique("opts"));
    let reps: Vec<String> = (0..3).map(|i| format!("{}-r{i}", unique("opt"))).collect();
    let _guards: Vec<ContainerGuard> = reps
        .iter()
        .map(|r| run_container(r, base, &[&label]))
        .collect();
    // r1 loses `wheel` (an ignorable package); r2 gets an app file changed in place.
    docker(&[
        "exec",
        &reps[1],
        "sh",
        "-c",
        "rm -rf /usr/lib/python3/dist-packages/wheel /usr/lib/python3/dist-packages/wheel-0.38.4.egg-info",
    ]);
    docker(&[
        "exec",
        &reps[2],
        "sh",
        "-c",
        "mkdir -p /app && echo x > /app/hotfix.py",
    ]);

    let run = |args: &[&str]| {
        let (code, out, err) = pindrift(args);
        assert!(code == 0 || code == 1, "{args:?}: {code}\n{out}\n{err}");
        let v = json(&out);
        assert_eq!(
            v["summary"]["failed"].as_bool(),
            Some(code == 1),
            "{args:?}: summary.failed must match the exit code\n{out}"
        );
        (code, v)
    };
    // r1 alone: wheel removed; ignored, nothing is left (its deleted files included).
    let (code, _) = run(&[
        "drift",
        &format!("container:{}", reps[1]),
        "--no-os",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let (code, v) = run(&[
        "drift",
        &format!("container:{}", reps[1]),
        "--no-os",
        "--ignore",
        "wheel",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["files_changed"], serde_json::json!([]));
    // r2 alone: only an app file changed: that fails --fail-on any, and the JSON says so.
    let (code, v) = run(&[
        "drift",
        &format!("container:{}", reps[2]),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["changes"], serde_json::json!([]));
    // ... and the github format says why it fails.
    let (code, gh, _) = pindrift(&[
        "drift",
        &format!("container:{}", reps[2]),
        "--format",
        "github",
    ]);
    assert_eq!(code, 1);
    assert!(
        gh.lines()
            .any(|l| l.starts_with("::error ") && l.contains("/app/hotfix.py")),
        "{gh}"
    );

    // Replicas: with wheel ignored, only r2 (hotfixed in place) is odd.
    let (code, v) = run(&[
        "drift",
        "--replicas",
        &label,
        "--ignore",
        "wheel",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["odd_ones_out"], serde_json::json!([reps[2]]), "{v}");
    // --via exec reaches the replicas.
    let (_, v) = run(&[
        "drift",
        "--replicas",
        &label,
        "--via",
        "exec",
        "--format",
        "json",
    ]);
    for r in v["replicas"].as_array().unwrap() {
        assert_eq!(r["source"]["via"], "exec", "{r}");
    }
    let r1 = v["replicas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == reps[1].as_str())
        .unwrap();
    assert_eq!(names(&r1["changes"]), ["wheel removed -"]);
}

/// Issue 14: a `.pth` file in a site folder puts another folder on `sys.path`, and pip
/// freeze lists the packages there; the archive reading reads that folder too, so both ways
/// agree, package by package.
#[test]
#[ignore = "needs the Docker Engine and PyPI (wheels)"]
fn packages_in_a_folder_named_by_a_pth_file_are_read() {
    require_docker();
    let base = base_image();
    let tag = unique("pth") + ":1";
    let _image = build_image(
        &tag,
        &format!(
            "FROM {base}\nCOPY wheels/ /wheels/\n\
             RUN python3 -m pip install --no-index --find-links /wheels --no-deps six==1.16.0 \
             && python3 -m pip install --no-index --find-links /wheels --no-deps --target /srv/shared/lib eventlet==0.20.0 \
             && python3 -c \"import site; open(site.getsitepackages()[0] + '/shared.pth', 'w').write('/srv/shared/lib\\n')\" \
             && rm -rf /wheels /root/.cache\n\
             LABEL pindrift.test.run={}\n",
            unique("run")
        ),
        &[],
        true,
    );
    let name = unique("pth");
    let _c = run_container(&name, &tag, &[]);
    let by_archive = every_package(&tag, &name, "archive", &["--no-cache"]);
    assert!(
        by_archive.contains(&"eventlet unchanged 0.20.0".to_string()),
        "{by_archive:?}"
    );
    assert_eq!(
        by_archive,
        every_package(&tag, &name, "exec", &["--no-cache"])
    );
}
