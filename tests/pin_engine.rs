//! `pin` against real parts, the Dockerfile and engine side: a real registry (Debian's
//! `docker-registry` on 127.0.0.1) that the engine pushes to and resolves digests from, images
//! the tests build themselves, `docker build` of the pinned Dockerfiles, and the demo pinned
//! from a container (requirements and the Dockerfile's `pip install`).

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod support;

use pindrift::docker::{DigestError, DigestOrigin, Engine};
use support::registry::{push, Registry};
use support::*;

/// A tiny image of its own (FROM scratch, one file unique to the call): pushing it sends a
/// few hundred bytes, and no other test run can have pushed the same manifest.
fn tiny_image(tag: &str) -> ImageGuard {
    let marker = unique("layer");
    build_image(
        tag,
        "FROM scratch\nCOPY marker /marker\n",
        &[("marker", marker.as_bytes())],
        false,
    )
}

/// Image ids of the engine (for checking that a test leaves no image behind).
fn image_ids(reference: &str) -> Vec<String> {
    let out = std::process::Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Id}}", reference])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// Pushed, local tag removed: the engine's distribution endpoint gives the digest `docker push`
/// printed. A local image with that digest in `RepoDigests` answers without the registry.
/// Missing tags and unreachable registries are typed errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Docker Engine"]
async fn digests_come_from_the_local_image_or_the_registry() {
    require_docker();
    let registry = Registry::start();
    let reference = format!("{}/pindrift-test/{}:1", registry.host(), unique("x"));
    let image = tiny_image(&reference);
    let pushed = push(&reference);
    assert!(
        pushed.starts_with("sha256:") && pushed.len() == 71,
        "{pushed}"
    );

    let engine = Engine::connect(pindrift::docker::DEFAULT_TIMEOUT)
        .await
        .unwrap();

    // Local: RepoDigests holds the pushed manifest.
    let local = engine.resolve_digest(&reference).await.unwrap();
    assert_eq!(local.digest, pushed);
    assert_eq!(local.origin, DigestOrigin::Local);

    // Not local any more: the registry answers through the engine.
    docker(&["rmi", &reference]);
    assert!(image_ids(&reference).is_empty(), "the local tag is gone");
    let remote = engine.resolve_digest(&reference).await.unwrap();
    assert_eq!(remote.digest, pushed);
    assert_eq!(remote.origin, DigestOrigin::Registry);
    assert!(
        image_ids(&reference).is_empty(),
        "resolving a digest pulls nothing"
    );

    // A tag the registry does not have.
    let missing = reference.replace(":1", ":2");
    let err = engine.resolve_digest(&missing).await.unwrap_err();
    assert!(matches!(err, DigestError::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains(&missing), "{err}");

    // A registry nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let nowhere = format!("localhost:{port}/pindrift-test/x:1");
    let err = engine.resolve_digest(&nowhere).await.unwrap_err();
    assert!(matches!(err, DigestError::Unreachable { .. }), "{err:?}");
    drop(image);
}

/// The registry guard leaves nothing: the process is gone and its storage removed.
#[test]
#[ignore = "needs the Docker Engine"]
fn the_registry_guard_removes_the_process_and_its_data() {
    let registry = Registry::start();
    let pid = registry.pid();
    let data = registry.data_dir();
    assert!(data.is_dir());
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    drop(registry);
    assert!(!data.exists(), "{} left behind", data.display());
    // Reaped by the guard: no process, not even a zombie.
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("bad JSON ({e}):\n{stdout}"))
}

/// gunicorn's wheel (pure Python), downloaded once into target/pin-wheels.
fn gunicorn_wheel() -> (String, Vec<u8>) {
    static WHEEL: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let path = WHEEL.get_or_init(|| {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/pin-wheels");
        let find = |d: &std::path::Path| {
            std::fs::read_dir(d).ok().and_then(|r| {
                r.filter_map(|e| e.ok()).map(|e| e.path()).find(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("gunicorn-21.2.0-"))
                })
            })
        };
        if let Some(p) = find(&dir) {
            return p;
        }
        let tmp = dir.with_extension(format!("tmp{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap();
        pip_download(&tmp, "gunicorn==21.2.0");
        std::fs::create_dir_all(&dir).unwrap();
        let got = find(&tmp).expect("gunicorn wheel downloaded");
        let dest = dir.join(got.file_name().unwrap());
        std::fs::rename(&got, &dest).unwrap();
        let _ = std::fs::remove_dir_all(&tmp);
        dest
    });
    (
        path.file_name().unwrap().to_string_lossy().into_owned(),
        std::fs::read(path).unwrap(),
    )
}

/// Copies fixtures/demo into a temporary folder.
fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    for e in std::fs::read_dir(demo).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    dir
}

/// The eventlet incident, fixed at the source: production's container runs eventlet 0.20.0;
/// `pin --from container:` writes what it runs into requirements.txt and into the
/// Dockerfile's `pip install --upgrade pip`, and `check` then finds nothing unpinned.
#[test]
#[ignore = "needs the Docker Engine"]
fn pin_from_a_container_pins_the_demo_to_what_production_runs() {
    require_docker();
    let base = base_image();
    let (wheel_name, wheel) = gunicorn_wheel();
    let extra = format!("extra/{wheel_name}");
    let tag = unique("pinapp") + ":1";
    let _image = build_image(
        &tag,
        &format!(
            "FROM {base}\nCOPY wheels/ /wheels/\nCOPY extra/ /wheels/\n\
             RUN python3 -m pip install --no-index --find-links /wheels --no-deps \
             eventlet==0.20.0 gunicorn==21.2.0 && rm -rf /wheels /root/.cache\n\
             LABEL pindrift.test.run={}\n",
            unique("run")
        ),
        &[(&extra, &wheel)],
        true,
    );
    let prod = unique("prod");
    let _prod = run_container(&prod, &tag, &[]);
    // What production runs, asked of its own Python (eventlet itself cannot be imported
    // without its dependencies: its metadata is what counts).
    let out = docker(&[
        "exec",
        &prod,
        "python3",
        "-c",
        "import importlib.metadata as m; print(*(m.version(n) for n in ('pip', 'eventlet', 'gunicorn')))",
    ]);
    let running = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let [pip, eventlet, gunicorn]: [&str; 3] = running
        .split_whitespace()
        .collect::<Vec<_>>()
        .try_into()
        .unwrap_or_else(|_| panic!("{running}"));
    assert_eq!(eventlet, "0.20.0");

    let dir = demo_copy();
    let path = dir.path().to_str().unwrap();
    let from = format!("container:{prod}");
    let (code, out, err) = pindrift(&["pin", path, "--from", &from, "--format", "json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let plan = json(&out);
    let requirements = std::fs::read_to_string(dir.path().join("requirements.txt")).unwrap();
    assert_eq!(
        requirements,
        format!(
            "# Web service dependencies\nflask==2.0.3\neventlet=={eventlet}\ngunicorn=={gunicorn}\n"
        )
    );
    let dockerfile = std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap();
    let original = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo/Dockerfile"),
    )
    .unwrap();
    assert_eq!(
        dockerfile,
        original.replace(
            "pip install --upgrade pip \\",
            &format!("pip install --upgrade pip=={pip} \\")
        )
    );
    assert_ne!(dockerfile, original);
    // What is left is said: flask is not in production; python:3.11-slim cannot be resolved
    // here (no route to Docker Hub), so its digest is reported, not guessed.
    let left: Vec<(String, String)> = plan["left"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["subject"].as_str().unwrap().to_string(),
                l["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        left.contains(&("flask==2.0.3".into(), "not-in-source".into())),
        "{left:?}"
    );
    assert!(
        left.contains(&("python:3.11-slim".into(), "digest-unavailable".into())),
        "{left:?}"
    );
    let reasons: Vec<&str> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons.contains(&format!("pip {pip} from {from}").as_str()),
        "{reasons:?}"
    );

    // check: nothing unpinned or loose any more.
    let (code, out, err) = pindrift(&["check", path, "--format", "json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(!out.contains("PD101") && !out.contains("PD102"), "{out}");
    // A second pin changes nothing.
    let (_, out, err) = pindrift(&["pin", path, "--from", &from, "--format", "json"]);
    let again = json(&out);
    assert_eq!(again["changes"], serde_json::json!([]), "{out}\n{err}");
}

/// Digests from a real registry: the image was pushed and its local tag removed, so the
/// digest can only come from the engine's distribution endpoint. The pinned Dockerfile (FROM,
/// COPY --from, and a tag from a global ARG) still builds, pulling by digest.
#[test]
#[ignore = "needs the Docker Engine"]
fn pin_writes_registry_digests_and_the_pinned_dockerfile_builds() {
    require_docker();
    let registry = Registry::start();
    let host = registry.host();
    let x = format!("{host}/pindrift-test/{}", unique("x"));
    let y = format!("{host}/pindrift-test/{}", unique("y"));
    let x_digest = {
        let _local = tiny_image(&format!("{x}:1"));
        push(&format!("{x}:1"))
    };
    let y_digest = {
        let _local = tiny_image(&format!("{y}:2"));
        push(&format!("{y}:2"))
    };
    assert!(image_ids(&format!("{x}:1")).is_empty() && image_ids(&format!("{y}:2")).is_empty());

    let dir = tempfile::tempdir().unwrap();
    let dockerfile = format!(
        "ARG YTAG=2\n\
         FROM {y}:${{YTAG}} AS other\n\
         FROM {x}:1\n\
         COPY --from={y}:2 /marker /from-y\n\
         COPY --from=other /marker /from-other\n\
         COPY note /note\n"
    );
    std::fs::write(dir.path().join("Dockerfile"), &dockerfile).unwrap();
    std::fs::write(dir.path().join("note"), "pinned\n").unwrap();
    let freeze = dir.path().join("freeze.txt");
    std::fs::write(&freeze, "six==1.16.0\n").unwrap();
    let from = format!("freeze:{}", freeze.display());
    let path = dir.path().to_str().unwrap();

    let (code, out, err) = pindrift(&["pin", path, "--from", &from, "--format", "json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let pinned = std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap();
    assert_eq!(
        pinned,
        format!(
            "ARG YTAG=2@{y_digest}\n\
             FROM {y}:${{YTAG}} AS other\n\
             FROM {x}:1@{x_digest}\n\
             COPY --from={y}:2@{y_digest} /marker /from-y\n\
             COPY --from=other /marker /from-other\n\
             COPY note /note\n"
        )
    );
    let plan = json(&out);
    for c in plan["changes"].as_array().unwrap() {
        assert_eq!(c["rule"], "PD203", "{c}");
        assert!(
            c["reason"]
                .as_str()
                .unwrap()
                .starts_with("digest from the registry"),
            "{c}"
        );
    }
    // Nothing left unresolved: `pin --check` is satisfied, and a second pin changes nothing.
    let (code, out, err) = pindrift(&["pin", path, "--from", &from, "--check"]);
    assert_eq!(code, 0, "{out}\n{err}");

    // The pinned Dockerfile builds: the engine pulls both images by digest.
    let built = unique("built") + ":1";
    let _built = ImageGuard(built.clone());
    let _pulled = [
        ImageGuard(format!("{x}@{x_digest}")),
        ImageGuard(format!("{y}@{y_digest}")),
    ];
    run(std::process::Command::new("docker")
        .env("DOCKER_BUILDKIT", "0")
        .args(["build", "-q", "-t", &built])
        .arg(dir.path()));
    let out = docker(&["create", "--name", &unique("c"), &built, "x"]);
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let _c = ContainerGuard(id.clone());
    let note = docker(&["cp", &format!("{id}:/note"), "-"]);
    assert!(!note.stdout.is_empty());
    // A digest that no longer matches its tag is reported, never rewritten.
    let stale = pinned.replace(&x_digest, &format!("sha256:{}", "0".repeat(64)));
    std::fs::write(dir.path().join("Dockerfile"), &stale).unwrap();
    let (code, out, err) = pindrift(&["pin", path, "--from", &from, "--format", "json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap(),
        stale
    );
    assert!(
        out.contains(&x_digest) && out.contains("not rewritten"),
        "{out}"
    );
}

/// `--os`: apt-get packages get the exact versions of the image's dpkg database, as
/// `dpkg-query` in the image reports them; a package the image does not have is left.
#[test]
#[ignore = "needs the Docker Engine"]
fn os_packages_are_pinned_to_the_images_dpkg_versions() {
    require_docker();
    let base = base_image();
    let versions = docker(&[
        "run",
        "--rm",
        "--network",
        "none",
        base,
        "dpkg-query",
        "-W",
        "-f",
        "${Version} ",
        "python3-pip",
        "python3-venv",
    ]);
    let versions = String::from_utf8_lossy(&versions.stdout).to_string();
    let [pip, venv]: [&str; 2] = versions
        .split_whitespace()
        .collect::<Vec<_>>()
        .try_into()
        .unwrap_or_else(|_| panic!("{versions}"));
    let dir = tempfile::tempdir().unwrap();
    let text = "FROM debian:bookworm\n\
                RUN apt-get update \\\n \
                && apt-get install -y --no-install-recommends python3-pip python3-venv nosuchpkg \\\n \
                && rm -rf /var/lib/apt/lists/*\n";
    std::fs::write(dir.path().join("Dockerfile"), text).unwrap();
    let path = dir.path().to_str().unwrap();
    let from = format!("image:{base}");
    // Without --os nothing changes in the RUN line.
    let (code, out, err) = pindrift(&["pin", path, "--from", &from, "--diff"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(!out.contains("python3-pip="), "{out}");
    let (code, out, err) = pindrift(&["pin", path, "--from", &from, "--os", "--format", "json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap(),
        text.replace(
            "python3-pip python3-venv",
            &format!("python3-pip={pip} python3-venv={venv}")
        )
    );
    let plan = json(&out);
    assert!(
        plan["left"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["subject"] == "nosuchpkg" && l["reason"] == "not-in-source"),
        "{out}"
    );
    // `check` has no PD210 left for the pinned packages.
    let (_, out, _) = pindrift(&["check", path, "--format", "json"]);
    let findings = json(&out);
    let pd210: Vec<&serde_json::Value> = findings["findings"]
        .as_array()
        .map(|a| a.iter().filter(|f| f["code"] == "PD210").collect())
        .unwrap_or_default();
    assert_eq!(pd210.len(), 1, "only nosuchpkg: {out}");
}

/// Compose `image:` values get the registry's digest like FROM lines: the value in the anchor
/// that two services merge is pinned once, quotes, comments and CRLF line ends stay as they
/// are, a `${VAR}` value is reported as not pinnable and never rewritten, and
/// `docker-compose config` reads the pinned file with the digests.
#[test]
#[ignore = "needs the Docker Engine"]
fn pin_writes_digests_into_compose_image_values() {
    require_docker();
    let registry = Registry::start();
    let host = registry.host();
    let x = format!("{host}/pindrift-test/{}", unique("a-compose-x"));
    let y = format!("{host}/pindrift-test/{}", unique("a-compose-y"));
    let x_digest = {
        let _local = tiny_image(&format!("{x}:1"));
        push(&format!("{x}:1"))
    };
    let y_digest = {
        let _local = tiny_image(&format!("{y}:latest"));
        push(&format!("{y}:latest"))
    };
    let dir = tempfile::tempdir().unwrap();
    let compose = format!(
        "# shop services\r\n\
         x-base: &base\r\n  image: \"{x}:1\"   # pinned here, once\r\n  restart: always\r\n\
         services:\r\n  api:\r\n    <<: *base\r\n  worker:\r\n    <<: *base\r\n\
         \x20 cache:\r\n    image: '{y}'\r\n\
         \x20 job:\r\n    image: {x}:${{JOB_TAG:-1}}\r\n"
    );
    let path = dir.path().join("compose.yaml");
    std::fs::write(&path, &compose).unwrap();
    let freeze = dir.path().join("freeze.txt");
    std::fs::write(&freeze, "six==1.16.0\n").unwrap();
    let from = format!("freeze:{}", freeze.display());
    let root = dir.path().to_str().unwrap();

    // --check first: it writes nothing and fails (changes pending, one value not pinnable).
    let (code, out, err) = pindrift(&["pin", root, "--from", &from, "--check"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), compose);

    let (code, out, err) = pindrift(&["pin", root, "--from", &from, "--format", "json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let pinned = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        pinned,
        compose
            .replace(&format!("\"{x}:1\""), &format!("\"{x}:1@{x_digest}\""))
            .replace(&format!("'{y}'"), &format!("'{y}@{y_digest}'"))
    );
    let plan = json(&out);
    let changes = plan["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{plan}");
    let rules: Vec<&str> = changes
        .iter()
        .map(|c| c["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["PD203", "PD201"], "{plan}");
    let left = plan["left"].as_array().unwrap();
    assert!(
        left.iter()
            .any(|l| l["reason"] == "interpolated" && l["line"] == 13),
        "{plan}"
    );

    // Compose reads the pinned file: every service names its image by digest.
    let config = std::process::Command::new("docker-compose")
        .current_dir(dir.path())
        .args(["-f", "compose.yaml", "config"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&config.stdout);
    assert!(
        config.status.success(),
        "docker-compose config (Debian's docker-compose): {}",
        String::from_utf8_lossy(&config.stderr)
    );
    assert_eq!(
        text.matches(&format!("image: {x}:1@{x_digest}")).count(),
        2,
        "{text}"
    );
    assert!(text.contains(&format!("image: {y}@{y_digest}")), "{text}");
    assert!(text.contains(&format!("image: {x}:1\n")), "{text}");

    // A second pin changes nothing; --check still fails on the value it cannot pin.
    let (code, out, err) = pindrift(&["pin", root, "--from", &from, "--check"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("interpolation"), "{out}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), pinned);
}
