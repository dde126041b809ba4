//! `pindrift pin --from container:…` against the real Docker Engine: a container of an image
//! with eventlet 0.20.0 installed offline from real wheels (and a VCS package whose PEP 610
//! `direct_url.json` names the commit) pins a copy of `fixtures/demo`.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod support;

use std::fs;
use support::*;

const COMMIT: &str = "4f1c5b0e2d3a49c8b7e6f5a4d3c2b1a0f9e8d7c6";

fn dockerfile(base: &str) -> String {
    format!(
        "FROM {base}\nCOPY wheels/ /wheels/\n\
         RUN python3 -m pip install --no-index --find-links /wheels --no-deps eventlet==0.20.0 six==1.16.0 \
         && rm -rf /wheels /root/.cache\n\
         COPY site/ /usr/local/lib/python3.11/dist-packages/\n\
         LABEL pindrift.test.run={}\n",
        unique("run")
    )
}

#[test]
#[ignore = "needs the Docker Engine"]
fn pins_the_demo_to_what_the_container_runs() {
    require_docker();
    let base = base_image();
    let tag = unique("pin") + ":1";
    let direct_url = format!(
        "{{\"url\": \"https://git.example/org/mylib.git\", \"vcs_info\": {{\"vcs\": \"git\", \"requested_revision\": \"main\", \"commit_id\": \"{COMMIT}\"}}}}"
    );
    let _image = build_image(
        &tag,
        &dockerfile(base),
        &[
            (
                "site/mylib-1.0.dist-info/METADATA",
                b"Metadata-Version: 2.1\nName: mylib\nVersion: 1.0\n",
            ),
            (
                "site/mylib-1.0.dist-info/direct_url.json",
                direct_url.as_bytes(),
            ),
        ],
        true,
    );
    let name = unique("pin-prod");
    let _container = run_container(&name, &tag, &[]);

    // A copy of the demo: the repository's fixtures are never rewritten.
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    fs::create_dir_all(&demo).unwrap();
    let repo = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for file in ["Dockerfile", "app.py", "requirements.txt"] {
        fs::copy(repo.join("fixtures/demo").join(file), demo.join(file)).unwrap();
    }
    let original = fs::read_to_string(demo.join("requirements.txt")).unwrap();
    fs::write(
        demo.join("requirements.txt"),
        format!("{original}pywin32; sys_platform == \"win32\"\nmylib @ git+https://git.example/org/mylib.git@main\n"),
    )
    .unwrap();
    let source = format!("container:{name}");
    let requirements = demo.join("requirements.txt");
    let path = requirements.to_str().unwrap();

    let (code, out, err) = pindrift(&["pin", path, "--from", &source, "--check"]);
    assert_eq!(code, 1, "{out}{err}");
    let (code, out, err) = pindrift(&["pin", path, "--from", &source]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        fs::read_to_string(&requirements).unwrap(),
        format!(
            "# Web service dependencies\nflask==2.0.3\neventlet==0.20.0\ngunicorn>=20.1\n\
             pywin32; sys_platform == \"win32\"\nmylib @ git+https://git.example/org/mylib.git@{COMMIT}\n"
        )
    );
    // What was left, and why: not in the container, or the marker is false on Linux.
    for (what, why) in [
        ("flask==2.0.3", "not-in-source"),
        ("gunicorn>=20.1", "not-in-source"),
        ("pywin32", "marker-false"),
    ] {
        assert!(
            out.lines().any(|l| l.contains(what) && l.contains(why)),
            "{what} {why}:\n{out}"
        );
    }
    // Pinned lines pass check now.
    let (_, out, _) = pindrift(&["check", path, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let findings: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{}:{}", f["line"], f["code"].as_str().unwrap()))
        .collect();
    assert!(!findings.contains(&"3:PD101".to_string()), "{findings:?}");
    assert!(
        !findings.iter().any(|f| f.starts_with("6:")),
        "{findings:?}"
    );

    // --lock: every package of the container, transitive ones included.
    let lock = demo.join("constraints.txt");
    let (code, out, err) = pindrift(&[
        "pin",
        path,
        "--from",
        &source,
        "--lock",
        lock.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let text = fs::read_to_string(&lock).unwrap();
    assert!(text.contains(&format!("# container:{name} (id ")), "{text}");
    for line in ["eventlet==0.20.0\n", "six==1.16.0\n", "mylib==1.0\n"] {
        assert!(text.contains(line), "{line}: {text}");
    }
    assert!(fs::read_to_string(&requirements)
        .unwrap()
        .ends_with("\n-c constraints.txt\n"));
    // The image says the same (read through the archive API, its temporary container
    // removed): nothing left to pin.
    let (code, out, err) = pindrift(&["pin", path, "--from", &format!("image:{tag}"), "--check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("Would pin 0 in 0 files"), "{out}");
    // Only the test's container is left; removed by its guard.
    assert_eq!(containers_of(&tag).len(), 1);
}
