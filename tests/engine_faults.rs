//! Issue 14, engine faults, against a fake Docker Engine on a unix socket (HTTP/1.1 written by
//! hand, so that the test decides exactly what goes over the wire): an engine that closes the
//! connection mid-stream, or ends an archive before its end, is an error (exit 2, never "no
//! drift"), and the temporary container is still removed; an engine that speaks an older API
//! is negotiated down to, or named as too old.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

const IMAGE_ID: &str = "sha256:abababababababababababababababababababababababababababababababab";
const CONTAINER_ID: &str = "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd";
const SITE: &str = "/usr/lib/python3/dist-packages";

/// How the fake answers the archive of [`SITE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Archive {
    /// The whole tar, properly ended.
    Whole,
    /// Part of the tar (mid-entry), then the connection is closed (no last chunk).
    CutConnection,
    /// Part of the tar (mid-entry), then a proper end of the HTTP body.
    CutMidEntry,
    /// The tar up to the second entry's header (a block boundary, no end-of-archive
    /// blocks), then a proper end of the HTTP body.
    CutAtBoundary,
    /// No archive endpoint at all: "page not found" (an engine older than API 1.20, or a
    /// proxy that forwards only some endpoints).
    NoEndpoint,
}

struct Fake {
    api_version: &'static str,
    archive: Archive,
    /// Every request: `METHOD PATH` (with the version prefix).
    log: Mutex<Vec<String>>,
}

/// A tar of [`SITE`] with two distributions, as the engine's archive endpoint writes it.
fn site_tar() -> (Vec<u8>, usize) {
    let mut b = tar::Builder::new(Vec::new());
    let mut first_end = 0;
    for (name, version) in [("attrs", "23.1.0"), ("six", "1.16.0")] {
        let data = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n");
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(
            &mut h,
            format!("dist-packages/{name}-{version}.dist-info/METADATA"),
            data.as_bytes(),
        )
        .unwrap();
        if first_end == 0 {
            first_end = b.get_ref().len();
        }
    }
    (b.into_inner().unwrap(), first_end)
}

fn respond(s: &mut UnixStream, status: &str, headers: &[(&str, &str)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = s.write_all(head.as_bytes());
    let _ = s.write_all(body);
}

fn json(s: &mut UnixStream, status: &str, body: &str) {
    respond(
        s,
        status,
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    );
}

fn chunk(s: &mut UnixStream, data: &[u8]) {
    let _ = s.write_all(format!("{:x}\r\n", data.len()).as_bytes());
    let _ = s.write_all(data);
    let _ = s.write_all(b"\r\n");
}

/// Serve one connection (keep-alive) until the client closes it or the fake cuts it.
fn serve(fake: &Fake, mut s: UnixStream) {
    let mut reader = BufReader::new(s.try_clone().unwrap());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("").to_string();
        let mut length = 0usize;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            if h == "\r\n" {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        let _ = reader.read_exact(&mut body);
        fake.log.lock().unwrap().push(format!("{method} {target}"));
        // Strip `/v1.NN` (absent before negotiation).
        let path = match target.strip_prefix("/v") {
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest
                .find('/')
                .map(|i| rest[i..].to_string())
                .unwrap_or_default(),
            _ => target.clone(),
        };
        let (route, query) = path.split_once('?').unwrap_or((&path, ""));
        let ping = [
            ("Api-Version", fake.api_version),
            ("Docker-Experimental", "false"),
            ("Ostype", "linux"),
            ("Server", "Docker/fake (linux)"),
            ("Cache-Control", "no-cache, no-store, must-revalidate"),
            ("Pragma", "no-cache"),
        ];
        match (method.as_str(), route) {
            ("GET" | "HEAD", "/_ping") => {
                respond(&mut s, "200 OK", &ping, b"OK");
            }
            ("GET", "/version") => json(
                &mut s,
                "200 OK",
                &format!(
                    r#"{{"Version":"fake","ApiVersion":"{}","MinAPIVersion":"1.12","Os":"linux","Arch":"amd64"}}"#,
                    fake.api_version
                ),
            ),
            ("GET", "/info") => json(&mut s, "200 OK", r#"{"DriverStatus":[]}"#),
            ("GET", r) if r.starts_with("/images/") && r.ends_with("/json") => json(
                &mut s,
                "200 OK",
                &format!(
                    r#"{{"Id":"{IMAGE_ID}","Os":"linux","Config":{{"Env":["PATH=/usr/bin"]}}}}"#
                ),
            ),
            ("POST", "/containers/create") => json(
                &mut s,
                "201 Created",
                &format!(r#"{{"Id":"{CONTAINER_ID}","Warnings":[]}}"#),
            ),
            ("GET", "/containers/json") => json(&mut s, "200 OK", "[]"),
            ("GET", r) if r == format!("/containers/{CONTAINER_ID}/json") => json(
                &mut s,
                "200 OK",
                &format!(
                    r#"{{"Id":"{CONTAINER_ID}","Name":"/t","Image":"{IMAGE_ID}","State":{{"Running":false,"Dead":false}},"Config":{{}}}}"#
                ),
            ),
            ("DELETE", r) if r.starts_with("/containers/") => {
                respond(&mut s, "204 No Content", &[], b"");
            }
            ("GET", r) if r.starts_with("/containers/") && r.ends_with("/archive") => {
                let archived = query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("path="))
                    .unwrap_or("")
                    .replace("%2F", "/");
                if fake.archive == Archive::NoEndpoint {
                    json(&mut s, "404 Not Found", r#"{"message":"page not found"}"#);
                    continue;
                }
                if archived != SITE {
                    json(
                        &mut s,
                        "404 Not Found",
                        &format!(
                            r#"{{"message":"Could not find the file {archived} in container {CONTAINER_ID}"}}"#
                        ),
                    );
                    continue;
                }
                let (tar, first_end) = site_tar();
                let _ = s.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n",
                );
                match fake.archive {
                    Archive::Whole | Archive::NoEndpoint => {
                        chunk(&mut s, &tar);
                        let _ = s.write_all(b"0\r\n\r\n");
                    }
                    Archive::CutConnection => {
                        chunk(&mut s, &tar[..first_end + 512 + 20]);
                        let _ = s.flush();
                        let _ = s.shutdown(std::net::Shutdown::Both);
                        return;
                    }
                    Archive::CutMidEntry => {
                        chunk(&mut s, &tar[..first_end + 512 + 20]);
                        let _ = s.write_all(b"0\r\n\r\n");
                    }
                    Archive::CutAtBoundary => {
                        chunk(&mut s, &tar[..first_end]);
                        let _ = s.write_all(b"0\r\n\r\n");
                    }
                }
            }
            _ => json(
                &mut s,
                "404 Not Found",
                &format!(r#"{{"message":"page not found: {method} {route}"}}"#),
            ),
        }
    }
}

/// Start the fake engine on a socket in `dir`.
fn start(dir: &Path, api_version: &'static str, archive: Archive) -> (Arc<Fake>, PathBuf) {
    let sock = dir.join("docker.sock");
    let listener = UnixListener::bind(&sock).unwrap();
    let fake = Arc::new(Fake {
        api_version,
        archive,
        log: Mutex::new(Vec::new()),
    });
    let f = fake.clone();
    // The thread ends with the test process (the socket's folder is removed with `dir`).
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let f = f.clone();
            std::thread::spawn(move || serve(&f, conn));
        }
    });
    (fake, sock)
}

fn drift(sock: &Path, dir: &Path) -> (i32, String, String) {
    let freeze = dir.join("running.txt");
    std::fs::write(&freeze, "attrs==23.1.0\nsix==1.16.0\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pindrift"))
        .args([
            "drift",
            "image:app:1",
            &format!("freeze:{}", freeze.display()),
            "--no-os",
            "--timeout",
            "10",
        ])
        .env("DOCKER_HOST", format!("unix://{}", sock.display()))
        .env("PINDRIFT_CACHE_DIR", dir.join("cache"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn removed_temp(fake: &Fake) -> bool {
    fake.log
        .lock()
        .unwrap()
        .iter()
        .any(|r| r.starts_with("DELETE ") && r.contains(CONTAINER_ID))
}

fn cached(dir: &Path) -> usize {
    fn walk(p: &Path) -> usize {
        std::fs::read_dir(p)
            .map(|rd| {
                rd.flatten()
                    .map(|e| {
                        if e.path().is_dir() {
                            walk(&e.path())
                        } else {
                            1
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(&dir.join("cache"))
}

/// The fake itself is right: a whole archive gives both packages and no drift.
#[test]
fn a_whole_archive_from_the_fake_engine_is_no_drift() {
    let dir = tempfile::tempdir().unwrap();
    let (fake, sock) = start(dir.path(), "1.45", Archive::Whole);
    let (code, out, err) = drift(&sock, dir.path());
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(removed_temp(&fake));
    assert_eq!(cached(dir.path()), 1);
}

/// Issue 14: an engine that closes the connection mid-stream, or ends an archive before
/// the tar ends (mid-entry or at a block boundary): exit 2 with a clear error, never "no
/// drift" or "removed", the temporary container still removed, nothing cached.
#[test]
fn an_archive_cut_short_is_an_error_and_the_temporary_container_is_removed() {
    for archive in [
        Archive::CutConnection,
        Archive::CutAtBoundary,
        Archive::CutMidEntry,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (fake, sock) = start(dir.path(), "1.45", archive);
        let (code, out, err) = drift(&sock, dir.path());
        assert_eq!(code, 2, "{archive:?}: {out}\n{err}");
        assert!(out.is_empty(), "{archive:?}: {out}");
        assert!(
            err.contains(&format!("archiving {SITE}")) && err.contains("broke off"),
            "{archive:?}: {err}"
        );
        assert!(removed_temp(&fake), "{archive:?}: {:?}", fake.log);
        assert_eq!(cached(dir.path()), 0, "{archive:?}");
    }
}

/// Issue 14: an engine that speaks API 1.24 (Docker 1.12, the oldest that current engines
/// still accept): pindrift negotiates down and every request uses 1.24.
#[test]
fn an_older_api_is_negotiated_down_to() {
    let dir = tempfile::tempdir().unwrap();
    let (fake, sock) = start(dir.path(), "1.24", Archive::Whole);
    let (code, out, err) = drift(&sock, dir.path());
    assert_eq!(code, 0, "{out}\n{err}");
    let log = fake.log.lock().unwrap();
    // bollard 0.21 sends every request without the `/vX.Y` prefix (its URL join drops
    // it): the engine answers in its own newest version, whatever was negotiated.
    assert!(log.iter().any(|r| r.starts_with("GET /version")), "{log:?}");
    drop(log);
    assert!(removed_temp(&fake));
}

/// Issue 14: an engine without the archive endpoint ("page not found") is an error, not an
/// image where every folder is missing.
#[test]
fn an_engine_without_the_archive_endpoint_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (fake, sock) = start(dir.path(), "1.45", Archive::NoEndpoint);
    let (code, out, err) = drift(&sock, dir.path());
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(err.contains("no archive endpoint"), "{err}");
    assert!(removed_temp(&fake));
    assert_eq!(cached(dir.path()), 0);
}

/// Issue 14: an engine older than the archive API pindrift reads with (1.20; the 404 of a
/// missing endpoint would read as "no such path", i.e. an empty image) is named as too old.
#[test]
fn an_engine_too_old_is_named_and_nothing_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let (fake, sock) = start(dir.path(), "1.19", Archive::Whole);
    let (code, out, err) = drift(&sock, dir.path());
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("API 1.19") && err.contains("1.24 or newer"),
        "{err}"
    );
    let log = fake.log.lock().unwrap();
    assert!(
        !log.iter().any(|r| r.contains("/containers/")),
        "nothing is created or read: {log:?}"
    );
}
