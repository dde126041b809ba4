//! `--check URL`: what a user of the service saw during and after a reload.
//!
//! A poller sends plain HTTP/1.1 `GET`s (std `TcpStream`, one connection per request,
//! `Connection: close`) at a steady rate (200 a second by default), open loop: each request
//! starts on time on a thread of its own, whatever the earlier ones are doing, as users'
//! requests do. Every request is a [`Sample`]; [`summarize`] turns them into a
//! [`CheckReport`]: requests sent, answers by status, answers slower than the DOWN mark (0.1 s
//! by default: the write-up's poller marked such a request DOWN), requests that got no answer
//! by kind (timeout — none within the give-up limit, 2 s by default —, refused, reset,
//! closed), the longest time without any answer, and when the service became healthy (N
//! consecutive expected answers within the DOWN mark, counted from the end of the reload).
//!
//! Only `http://` URLs; the host is whatever the user gives (resolved once, before the
//! reload starts).

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Requests a second by default (the issue asks for at least 100).
pub const DEFAULT_RATE: u32 = 200;
/// An answer slower than this is DOWN (late), by default, as in the write-up.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_millis(100);
/// A request without an answer after this long is a timeout (lost), by default.
pub const DEFAULT_GIVE_UP: Duration = Duration::from_secs(2);
/// The most requests in flight at once (beyond it, a tick sends nothing and is counted).
const MAX_IN_FLIGHT: usize = 1024;
/// How long to wait for the service to become healthy after the reload, by default.
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to keep polling once healthy, by default.
pub const DEFAULT_TAIL: Duration = Duration::from_secs(1);
/// The most bytes read of one answer.
const MAX_ANSWER: usize = 64 * 1024;

/// What to check and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckSpec {
    /// `http://HOST[:PORT][/PATH]`.
    pub url: String,
    /// The status a healthy service answers.
    pub expect: u16,
    /// Healthy = this many consecutive expected answers after the reload.
    pub healthy_after: u32,
    /// How long after the reload started to wait for healthy (`--check-timeout`).
    pub timeout: Duration,
    /// The DOWN mark: an answer slower than this is late.
    pub request_timeout: Duration,
    /// No answer after this long: a timeout (the request is lost).
    pub give_up: Duration,
    /// Requests a second.
    pub rate: u32,
    /// How long to keep polling once healthy (the service must stay up, not just come up).
    pub tail: Duration,
}

impl CheckSpec {
    /// A check of `url` expecting `expect`, with the defaults.
    pub fn new(url: &str, expect: u16) -> CheckSpec {
        CheckSpec {
            url: url.to_string(),
            expect,
            healthy_after: 10,
            timeout: DEFAULT_CHECK_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            give_up: DEFAULT_GIVE_UP,
            rate: DEFAULT_RATE,
            tail: DEFAULT_TAIL,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProbeError {
    #[error("--check {url}: only http:// URLs are supported")]
    NotHttp { url: String },
    #[error("--check {url}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("--check {url}: cannot resolve {host}: {reason}")]
    Resolve {
        url: String,
        host: String,
        reason: String,
    },
    #[error("--check: {what} must be at least 1")]
    Zero { what: &'static str },
}

/// A parsed `http://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

impl Target {
    pub fn parse(url: &str) -> Result<Target, ProbeError> {
        let bad = |reason: &str| ProbeError::BadUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let lower = url.to_ascii_lowercase();
        let rest = if lower.starts_with("http://") {
            &url["http://".len()..]
        } else {
            return Err(ProbeError::NotHttp {
                url: url.to_string(),
            });
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if authority.contains('@') {
            return Err(bad("credentials in the URL are not supported"));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(|| bad("unclosed '['"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => return Err(bad("garbage after ']'")),
            };
            (h.to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (authority.to_string(), None),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let port = match port {
            None => 80,
            Some(p) => p
                .parse::<u16>()
                .map_err(|_| bad(&format!("bad port {p:?}")))?,
        };
        let tail = tail.split('#').next().unwrap_or("");
        let path = if tail.is_empty() {
            "/".to_string()
        } else if tail.starts_with('?') {
            format!("/{tail}")
        } else {
            tail.to_string()
        };
        if path.bytes().any(|b| b.is_ascii_control() || b == b' ') {
            return Err(bad("spaces or control characters in the path"));
        }
        Ok(Target { host, port, path })
    }

    /// The `Host` header's value.
    fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == 80 {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// What became of one request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// An HTTP answer with this status.
    Status(u16),
    /// No complete status line within the deadline.
    Timeout,
    /// Connection refused.
    Refused,
    /// Connection reset or aborted.
    Reset,
    /// The server closed the connection without an answer.
    Closed,
    /// An answer that is not HTTP.
    Malformed,
    /// Any other error (its kind).
    Other(String),
}

impl Outcome {
    /// How a report names it: `status 500`, `timeout`, `refused`, …
    pub fn label(&self) -> String {
        match self {
            Outcome::Status(s) => format!("status {s}"),
            Outcome::Timeout => "timeout".into(),
            Outcome::Refused => "refused".into(),
            Outcome::Reset => "reset".into(),
            Outcome::Closed => "closed without an answer".into(),
            Outcome::Malformed => "not HTTP".into(),
            Outcome::Other(k) => k.clone(),
        }
    }

    pub fn answered(&self) -> bool {
        matches!(self, Outcome::Status(_))
    }
}

/// One request: when it was sent (since the poller started), how long it took, what came of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub sent: Duration,
    pub took: Duration,
    pub outcome: Outcome,
}

impl Sample {
    fn done(&self) -> Duration {
        self.sent + self.took
    }
}

/// Sends one request to `addr`; never longer than `timeout`.
pub fn request_once(addr: SocketAddr, target: &Target, timeout: Duration) -> Outcome {
    let start = Instant::now();
    let left = || {
        timeout
            .checked_sub(start.elapsed())
            .filter(|d| !d.is_zero())
    };
    let classify = |e: std::io::Error| match e.kind() {
        ErrorKind::ConnectionRefused => Outcome::Refused,
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
            Outcome::Reset
        }
        ErrorKind::TimedOut | ErrorKind::WouldBlock => Outcome::Timeout,
        ErrorKind::UnexpectedEof => Outcome::Closed,
        k => Outcome::Other(format!("{k:?}").to_ascii_lowercase()),
    };
    let mut stream = match TcpStream::connect_timeout(&addr, timeout) {
        Ok(s) => s,
        Err(e) => return classify(e),
    };
    let _ = stream.set_nodelay(true);
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: pindrift-hotfix-check\r\nAccept: */*\r\n\
         Connection: close\r\n\r\n",
        target.path,
        target.host_header()
    );
    let Some(rest) = left() else {
        return Outcome::Timeout;
    };
    let _ = stream.set_write_timeout(Some(rest));
    if let Err(e) = stream.write_all(request.as_bytes()) {
        return classify(e);
    }
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let mut status: Option<u16> = None;
    loop {
        let Some(rest) = left() else {
            return status.map(Outcome::Status).unwrap_or(Outcome::Timeout);
        };
        let _ = stream.set_read_timeout(Some(rest));
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                if buf.len() < MAX_ANSWER {
                    buf.extend_from_slice(&chunk[..n]);
                }
                if status.is_none() {
                    if let Some(end) = buf.windows(2).position(|w| w == b"\r\n") {
                        match parse_status(&buf[..end]) {
                            Some(s) => status = Some(s),
                            None => return Outcome::Malformed,
                        }
                    }
                }
                if buf.len() >= MAX_ANSWER {
                    break;
                }
            }
            // The answer is in; what follows does not matter.
            Err(_) if status.is_some() => break,
            Err(e) => return classify(e),
        }
    }
    match status {
        Some(s) => Outcome::Status(s),
        None if buf.is_empty() => Outcome::Closed,
        None => Outcome::Malformed,
    }
}

/// `HTTP/1.1 200 OK` → 200.
fn parse_status(line: &[u8]) -> Option<u16> {
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    let version = parts.next()?;
    if !version.starts_with("HTTP/") {
        return None;
    }
    let code = parts.next()?;
    if code.len() != 3 {
        return None;
    }
    code.parse().ok()
}

/// A running poller; [`Poller::stop`] returns its samples.
pub struct Poller {
    spec: CheckSpec,
    target: Target,
    addr: SocketAddr,
    epoch: Instant,
    stop: Arc<AtomicBool>,
    samples: Arc<Mutex<Vec<Sample>>>,
    in_flight: Arc<AtomicUsize>,
    skipped: Arc<AtomicUsize>,
    dispatcher: Option<JoinHandle<()>>,
}

impl Poller {
    /// Resolves the URL's host and starts sending.
    pub fn start(spec: &CheckSpec) -> Result<Poller, ProbeError> {
        if spec.rate == 0 {
            return Err(ProbeError::Zero { what: "the rate" });
        }
        if spec.healthy_after == 0 {
            return Err(ProbeError::Zero {
                what: "--healthy-after",
            });
        }
        let target = Target::parse(&spec.url)?;
        let resolve_err = |reason: String| ProbeError::Resolve {
            url: spec.url.clone(),
            host: target.host.clone(),
            reason,
        };
        let addr = (target.host.as_str(), target.port)
            .to_socket_addrs()
            .map_err(|e| resolve_err(e.to_string()))?
            .next()
            .ok_or_else(|| resolve_err("no address".into()))?;
        let epoch = Instant::now();
        let stop = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(Mutex::new(Vec::new()));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let skipped = Arc::new(AtomicUsize::new(0));
        let interval = Duration::from_secs_f64(1.0 / f64::from(spec.rate));
        let give_up = spec.give_up.max(spec.request_timeout);
        let dispatcher = {
            let (stop, samples, in_flight, skipped) = (
                stop.clone(),
                samples.clone(),
                in_flight.clone(),
                skipped.clone(),
            );
            let target = target.clone();
            std::thread::spawn(move || {
                let mut due = epoch;
                while !stop.load(Ordering::Relaxed) {
                    let now = Instant::now();
                    if due > now {
                        std::thread::sleep(due - now);
                    } else if now - due > interval * 10 {
                        // This thread was starved: go on from now, never in bursts.
                        due = now;
                    }
                    due += interval;
                    if in_flight.load(Ordering::SeqCst) >= MAX_IN_FLIGHT {
                        skipped.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    in_flight.fetch_add(1, Ordering::SeqCst);
                    let (samples, flying, target) =
                        (samples.clone(), in_flight.clone(), target.clone());
                    let spawned = std::thread::Builder::new()
                        .name("pindrift-check".into())
                        .spawn(move || {
                            let sent = Instant::now();
                            let outcome = request_once(addr, &target, give_up);
                            let sample = Sample {
                                sent: sent - epoch,
                                took: sent.elapsed(),
                                outcome,
                            };
                            if let Ok(mut s) = samples.lock() {
                                s.push(sample);
                            }
                            flying.fetch_sub(1, Ordering::SeqCst);
                        });
                    if spawned.is_err() {
                        in_flight.fetch_sub(1, Ordering::SeqCst);
                        skipped.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        };
        Ok(Poller {
            spec: spec.clone(),
            target,
            addr,
            epoch,
            stop,
            samples,
            in_flight,
            skipped,
            dispatcher: Some(dispatcher),
        })
    }

    /// Time since the poller started (the samples' clock).
    pub fn elapsed(&self) -> Duration {
        self.epoch.elapsed()
    }

    pub fn spec(&self) -> &CheckSpec {
        &self.spec
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The samples so far, in the order they were sent.
    pub fn snapshot(&self) -> Vec<Sample> {
        let mut s = self.samples.lock().map(|s| s.clone()).unwrap_or_default();
        s.sort_by_key(|s| s.sent);
        s
    }

    /// When (on the samples' clock) the service was healthy: the answer of the last of
    /// `healthy_after` consecutive expected answers within the DOWN mark to requests sent at
    /// or after `from`.
    pub fn healthy_at(&self, from: Duration) -> Option<Duration> {
        healthy_at(
            &self.snapshot(),
            from,
            self.spec.expect,
            self.spec.healthy_after,
            self.spec.request_timeout,
        )
    }

    /// Ticks that sent nothing (too many requests in flight).
    pub fn skipped(&self) -> usize {
        self.skipped.load(Ordering::Relaxed)
    }

    /// Stops sending, waits for the requests in flight (at most the give-up limit), and
    /// returns the samples in the order they were sent.
    pub fn stop(mut self) -> Vec<Sample> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(d) = self.dispatcher.take() {
            let _ = d.join();
        }
        let limit = Instant::now()
            + self.spec.give_up.max(self.spec.request_timeout)
            + Duration::from_millis(500);
        while self.in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < limit {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.snapshot()
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// See [`Poller::healthy_at`]; `samples` sorted by `sent`.
pub fn healthy_at(
    samples: &[Sample],
    from: Duration,
    expect: u16,
    n: u32,
    down: Duration,
) -> Option<Duration> {
    let mut run = 0u32;
    let mut latest = Duration::ZERO;
    for s in samples.iter().filter(|s| s.sent >= from) {
        if s.outcome == Outcome::Status(expect) && s.took <= down {
            run += 1;
            latest = latest.max(s.done());
            if run >= n {
                return Some(latest);
            }
        } else {
            run = 0;
            latest = Duration::ZERO;
        }
    }
    None
}

/// What a user of the service saw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckReport {
    pub url: String,
    pub expect: u16,
    pub healthy_after: u32,
    /// The DOWN mark (ms): slower answers are late.
    pub request_timeout_ms: u64,
    /// No answer within this (ms): a timeout.
    pub give_up_ms: u64,
    /// Requests sent.
    pub sent: u64,
    /// Requests answered with the expected status.
    pub ok: u64,
    /// Answers with another status, by status (`status 500` → count).
    pub unexpected: std::collections::BTreeMap<String, u64>,
    /// Answers (any status) slower than the DOWN mark.
    pub late: u64,
    /// Requests without an answer (timeout, refused, reset, closed, …): lost.
    pub failed: u64,
    /// … by kind.
    pub failed_by_kind: std::collections::BTreeMap<String, u64>,
    /// Requests without an answer sent after the reload was signalled.
    pub failed_during_reload: u64,
    /// The longest time (ms) the service gave no answer at all (DOWN).
    pub longest_gap_ms: u64,
    /// How long the poller ran (ms) and how many requests a second it sent.
    pub duration_ms: u64,
    pub rate: f64,
    /// From the signal to healthy (ms); `None`: never healthy within the check timeout.
    pub healthy_after_ms: Option<u64>,
    pub healthy: bool,
}

/// Sums up `samples` (sorted by `sent`); `signal` and `settled` are when the reload was
/// signalled and when it was seen complete, on the samples' clock.
pub fn summarize(
    spec: &CheckSpec,
    samples: &[Sample],
    signal: Duration,
    settled: Duration,
) -> CheckReport {
    let mut unexpected = std::collections::BTreeMap::new();
    let mut failed_by_kind = std::collections::BTreeMap::new();
    let mut ok = 0;
    let mut late = 0;
    let mut failed = 0;
    let mut failed_during = 0;
    for s in samples {
        if s.outcome.answered() && s.took > spec.request_timeout {
            late += 1;
        }
        match &s.outcome {
            Outcome::Status(code) if *code == spec.expect => ok += 1,
            Outcome::Status(_) => *unexpected.entry(s.outcome.label()).or_insert(0) += 1,
            o => {
                failed += 1;
                if s.sent >= signal {
                    failed_during += 1;
                }
                *failed_by_kind.entry(o.label()).or_insert(0) += 1;
            }
        }
    }
    let duration = samples.iter().map(Sample::done).max().unwrap_or_default();
    let first = samples.first().map(|s| s.sent).unwrap_or_default();
    // Answers in the order they came; the gap is the longest time between two of them
    // (or from the first request to the first answer, or the last answer to the end).
    let mut answers: Vec<Duration> = samples
        .iter()
        .filter(|s| s.outcome.answered())
        .map(Sample::done)
        .collect();
    answers.sort();
    let longest_gap = if samples.is_empty() {
        Duration::ZERO
    } else if answers.is_empty() {
        duration.saturating_sub(first)
    } else {
        let mut gap = answers[0].saturating_sub(first);
        for w in answers.windows(2) {
            gap = gap.max(w[1] - w[0]);
        }
        if let Some(last) = answers.last() {
            // Requests after the last answer that got none.
            let end = samples
                .iter()
                .filter(|s| !s.outcome.answered() && s.sent >= *last)
                .map(Sample::done)
                .max();
            if let Some(end) = end {
                gap = gap.max(end.saturating_sub(*last));
            }
        }
        gap
    };
    let healthy = healthy_at(
        samples,
        settled,
        spec.expect,
        spec.healthy_after,
        spec.request_timeout,
    );
    let span = duration.saturating_sub(first).as_secs_f64();
    CheckReport {
        url: spec.url.clone(),
        expect: spec.expect,
        healthy_after: spec.healthy_after,
        request_timeout_ms: spec.request_timeout.as_millis() as u64,
        give_up_ms: spec.give_up.max(spec.request_timeout).as_millis() as u64,
        sent: samples.len() as u64,
        ok,
        unexpected,
        late,
        failed,
        failed_by_kind,
        failed_during_reload: failed_during,
        longest_gap_ms: longest_gap.as_millis() as u64,
        duration_ms: duration.as_millis() as u64,
        rate: if span > 0.0 {
            ((samples.len() as f64 / span) * 10.0).round() / 10.0
        } else {
            0.0
        },
        healthy_after_ms: healthy.map(|h| h.saturating_sub(signal).as_millis() as u64),
        healthy: healthy.is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn sample(sent: u64, took: u64, outcome: Outcome) -> Sample {
        Sample {
            sent: ms(sent),
            took: ms(took),
            outcome,
        }
    }

    #[test]
    fn urls_are_parsed_and_only_http_is_accepted() {
        assert_eq!(
            Target::parse("http://127.0.0.1:8000/health?x=1").unwrap(),
            Target {
                host: "127.0.0.1".into(),
                port: 8000,
                path: "/health?x=1".into()
            }
        );
        assert_eq!(Target::parse("HTTP://example.test").unwrap().port, 80);
        assert_eq!(Target::parse("http://[::1]:81").unwrap().host, "::1");
        assert_eq!(Target::parse("http://h?q").unwrap().path, "/?q");
        assert!(matches!(
            Target::parse("https://127.0.0.1/"),
            Err(ProbeError::NotHttp { .. })
        ));
        for bad in [
            "http://",
            "http://:80/",
            "http://h:99999/",
            "http://u:p@h/",
            "http://h/a b",
        ] {
            assert!(
                matches!(Target::parse(bad), Err(ProbeError::BadUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn status_lines() {
        assert_eq!(parse_status(b"HTTP/1.1 200 OK"), Some(200));
        assert_eq!(parse_status(b"HTTP/1.0 500"), Some(500));
        assert_eq!(parse_status(b"SSH-2.0-OpenSSH"), None);
        assert_eq!(parse_status(b"HTTP/1.1 20 OK"), None);
    }

    #[test]
    fn one_request_against_a_local_listener_sees_answers_refusals_and_silence() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let target = Target::parse(&format!("http://{addr}/")).unwrap();
        let server = std::thread::spawn(move || {
            // First connection: an answer; second: silence until the client gives up;
            // third: closed without a word.
            let (mut c, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            let _ = c.read(&mut buf);
            c.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
            drop(c);
            let (c, _) = listener.accept().unwrap();
            std::thread::sleep(ms(300));
            drop(c);
            let (c, _) = listener.accept().unwrap();
            drop(c);
        });
        assert_eq!(request_once(addr, &target, ms(1000)), Outcome::Status(503));
        let t = Instant::now();
        assert_eq!(request_once(addr, &target, ms(100)), Outcome::Timeout);
        assert!(t.elapsed() < ms(250), "{:?}", t.elapsed());
        let third = request_once(addr, &target, ms(1000));
        assert!(
            matches!(third, Outcome::Closed | Outcome::Reset),
            "{third:?}"
        );
        server.join().unwrap();
        // Nobody listens any more.
        assert_eq!(request_once(addr, &target, ms(1000)), Outcome::Refused);
    }

    #[test]
    fn a_summary_counts_kinds_gap_and_time_to_healthy() {
        let spec = CheckSpec {
            healthy_after: 3,
            ..CheckSpec::new("http://127.0.0.1:1/", 200)
        };
        let samples = vec![
            sample(0, 1, Outcome::Status(500)),
            sample(10, 1, Outcome::Status(500)),
            sample(20, 100, Outcome::Timeout),
            sample(30, 1, Outcome::Refused),
            sample(40, 1, Outcome::Refused),
            sample(300, 1, Outcome::Status(200)),
            sample(310, 150, Outcome::Status(500)),
            sample(320, 1, Outcome::Status(200)),
            sample(330, 1, Outcome::Status(200)),
            sample(340, 1, Outcome::Status(200)),
        ];
        let r = summarize(&spec, &samples, ms(15), ms(200));
        assert_eq!(r.sent, 10);
        assert_eq!(r.ok, 4);
        assert_eq!(r.unexpected.get("status 500"), Some(&3));
        assert_eq!(r.late, 1, "one answer over the 0.1 s DOWN mark");
        assert_eq!(r.failed, 3);
        assert_eq!(r.failed_during_reload, 3);
        assert_eq!(r.failed_by_kind.get("refused"), Some(&2));
        assert_eq!(r.failed_by_kind.get("timeout"), Some(&1));
        // Last answer before the outage at 11 ms, next at 301 ms.
        assert_eq!(r.longest_gap_ms, 290);
        // 3 consecutive 200s from 320 ms: healthy at 341 ms, 326 ms after the signal.
        assert_eq!(r.healthy_after_ms, Some(326));
        assert!(r.healthy);
        // Never healthy when the run is broken at the end.
        let r = summarize(&spec, &samples[..9], ms(15), ms(200));
        assert!(!r.healthy);
    }

    #[test]
    fn silence_at_the_end_counts_as_a_gap() {
        let spec = CheckSpec::new("http://127.0.0.1:1/", 200);
        let samples = vec![
            sample(0, 1, Outcome::Status(200)),
            sample(10, 100, Outcome::Timeout),
            sample(200, 100, Outcome::Timeout),
        ];
        let r = summarize(&spec, &samples, ms(5), ms(5));
        assert_eq!(r.longest_gap_ms, 299);
        assert_eq!(r.failed, 2);
    }

    #[test]
    fn the_poller_keeps_its_rate() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        listener.set_nonblocking(true).unwrap();
        let server = std::thread::spawn(move || {
            while !s2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut c, _)) => {
                        c.set_nonblocking(false).unwrap();
                        let mut buf = [0u8; 1024];
                        let _ = c.read(&mut buf);
                        let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
                    }
                    Err(_) => std::thread::sleep(ms(1)),
                }
            }
        });
        let spec = CheckSpec {
            request_timeout: ms(500),
            ..CheckSpec::new(&format!("http://{addr}/"), 200)
        };
        let poller = Poller::start(&spec).unwrap();
        std::thread::sleep(ms(1000));
        let samples = poller.stop();
        stop.store(true, Ordering::Relaxed);
        server.join().unwrap();
        let r = summarize(&spec, &samples, ms(0), ms(0));
        assert!(r.sent >= 100, "{r:?}");
        assert!(r.rate >= 100.0, "{r:?}");
        assert_eq!(r.failed, 0, "{r:?}");
        assert!(r.healthy);
    }
}
