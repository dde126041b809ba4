//! Engine errors need no engine: an unreachable socket is exit 2 with a useful message.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod support;

#[test]
fn unreachable_engine_names_the_socket() {
    let (code, out, err) = support::pindrift_env(
        &["drift", "container:web", "image:app:1"],
        &[("DOCKER_HOST", "unix:///nonexistent/pindrift-test.sock")],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("unix:///nonexistent/pindrift-test.sock"),
        "{err}"
    );
    assert!(
        err.contains("DOCKER_HOST") && err.contains("docker info"),
        "{err}"
    );
}
