//! `pin` against real parts: a real registry (Debian's `docker-registry` on 127.0.0.1) that
//! the engine pushes to and resolves digests from, images the tests build themselves, and
//! `docker build` of the pinned Dockerfiles.

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

    let engine = Engine::connect().await.unwrap();

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
