//! Progress on a terminal: one line on stderr, redrawn in place, for work that can take more
//! than a second (reading an image or a container, a big tree).
//!
//! Shown only when a person is watching: stderr is a terminal, `TERM` is not `dumb`, not in
//! CI (`CI` set and not `false`/`0`), `PINDRIFT_NO_PROGRESS` unset, and the output format
//! is for people (the caller says). Nothing is drawn before [`DELAY`] has passed
//! (`PINDRIFT_PROGRESS_DELAY` seconds when set), so quick
//! runs never flicker; the line is erased when the work ends, so what follows (a report, an
//! error) starts on a clean line. Never written to stdout: a piped report stays clean.
//!
//! A small thread redraws a spinner, the message, a count when there is one and the seconds
//! spent; the work updates the count with an atomic add. No dependency (indicatif would
//! bring four crates for one line).

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long work runs before its progress appears.
pub const DELAY: Duration = Duration::from_secs(1);
const TICK: Duration = Duration::from_millis(120);
const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// [`DELAY`], or `$PINDRIFT_PROGRESS_DELAY` seconds (`0`: at once).
fn delay() -> Duration {
    std::env::var("PINDRIFT_PROGRESS_DELAY")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0 && *s < 3600.0)
        .map_or(DELAY, Duration::from_secs_f64)
}

/// Whether progress may be drawn, from the environment and whether stderr is a terminal.
/// `for_people`: the chosen output format is for people (not json, sarif, github, markdown).
pub fn wanted(for_people: bool) -> bool {
    decide(for_people, io::stderr().is_terminal(), |name| {
        std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
    })
}

/// The decision, with the terminal test and the environment passed in (tested).
pub fn decide(
    for_people: bool,
    stderr_is_terminal: bool,
    env: impl Fn(&str) -> Option<String>,
) -> bool {
    let ci = env("CI").is_some_and(|v| !matches!(v.trim(), "" | "0" | "false" | "False"));
    for_people
        && stderr_is_terminal
        && !ci
        && env("PINDRIFT_NO_PROGRESS").is_none_or(|v| v.is_empty())
        && env("TERM").is_none_or(|t| t != "dumb")
}

struct Shared {
    message: Mutex<String>,
    count: AtomicU64,
    counted: AtomicBool,
    done: Mutex<bool>,
    wake: Condvar,
}

/// Progress of one piece of work; erased when dropped (or [`Progress::finish`]ed).
pub struct Progress {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Progress that shows `message` when [`wanted`] says so, else does nothing.
    pub fn start(message: impl Into<String>, for_people: bool) -> Self {
        if wanted(for_people) {
            Self::drawing(message, delay(), Box::new(io::stderr()))
        } else {
            Self::hidden()
        }
    }

    /// Progress that draws nothing.
    pub fn hidden() -> Self {
        Self {
            shared: Arc::new(Shared {
                message: Mutex::new(String::new()),
                count: AtomicU64::new(0),
                counted: AtomicBool::new(false),
                done: Mutex::new(true),
                wake: Condvar::new(),
            }),
            thread: None,
        }
    }

    /// Progress drawn on `out` after `delay` (tests pass a buffer and no delay).
    pub fn drawing(
        message: impl Into<String>,
        delay: Duration,
        mut out: Box<dyn Write + Send>,
    ) -> Self {
        let shared = Arc::new(Shared {
            message: Mutex::new(message.into()),
            count: AtomicU64::new(0),
            counted: AtomicBool::new(false),
            done: Mutex::new(false),
            wake: Condvar::new(),
        });
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("pindrift-progress".into())
            .spawn(move || {
                let started = Instant::now();
                let mut frame = 0usize;
                let mut drawn = false;
                let mut wait = delay;
                loop {
                    let Ok(done) = worker.done.lock() else { return };
                    let Ok((done, _)) = worker.wake.wait_timeout_while(done, wait, |d| !*d) else {
                        return;
                    };
                    if *done {
                        break;
                    }
                    drop(done);
                    wait = TICK;
                    let message = worker.message.lock().map(|m| m.clone()).unwrap_or_default();
                    let count = worker
                        .counted
                        .load(Ordering::Relaxed)
                        .then(|| worker.count.load(Ordering::Relaxed));
                    let line = render_line(
                        FRAMES[frame % FRAMES.len()],
                        &message,
                        count,
                        started.elapsed(),
                    );
                    frame += 1;
                    // `\r`, the line, erase to the end: redrawn in place.
                    let _ = write!(out, "\r{line}\x1b[K");
                    let _ = out.flush();
                    drawn = true;
                }
                if drawn {
                    let _ = write!(out, "\r\x1b[K");
                    let _ = out.flush();
                }
            })
            .ok();
        Self { shared, thread }
    }

    /// Adds `n` to the count shown (files read, entries scanned).
    pub fn add(&self, n: u64) {
        self.shared.counted.store(true, Ordering::Relaxed);
        self.shared.count.fetch_add(n, Ordering::Relaxed);
    }

    /// Replaces the message.
    pub fn set_message(&self, message: impl Into<String>) {
        if let Ok(mut m) = self.shared.message.lock() {
            *m = message.into();
        }
    }

    /// Erases the line and stops drawing (also done on drop).
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Ok(mut done) = self.shared.done.lock() {
            *done = true;
        }
        self.shared.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `⠋ reading image:app:1.2 · 1,234 · 3s`, made visible (a message can carry a name from
/// the user) and cut to 100 characters.
pub fn render_line(frame: char, message: &str, count: Option<u64>, elapsed: Duration) -> String {
    let message: String = super::visible(message).chars().take(100).collect();
    let mut line = format!("{frame} {message}");
    if let Some(count) = count {
        line.push_str(" · ");
        line.push_str(&thousands(count));
    }
    line.push_str(&format!(" · {}s", elapsed.as_secs()));
    line
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn shown_only_on_a_terminal_outside_ci_for_people() {
        assert!(decide(true, true, env(&[("TERM", "xterm")])));
        assert!(!decide(true, false, env(&[])), "a pipe or a file");
        assert!(!decide(false, true, env(&[])), "a machine format");
        assert!(!decide(true, true, env(&[("CI", "true")])));
        assert!(!decide(true, true, env(&[("CI", "1")])));
        assert!(decide(true, true, env(&[("CI", "false")])));
        assert!(decide(true, true, env(&[("CI", "")])));
        assert!(!decide(true, true, env(&[("TERM", "dumb")])));
        assert!(!decide(true, true, env(&[("PINDRIFT_NO_PROGRESS", "1")])));
    }

    #[test]
    fn line_shows_message_count_and_time_made_visible() {
        assert_eq!(
            render_line(
                '⠋',
                "reading image:app:1.2",
                Some(1_234_567),
                Duration::from_secs(3)
            ),
            "⠋ reading image:app:1.2 · 1,234,567 · 3s"
        );
        assert_eq!(
            render_line('⠙', "a\u{1b}[31mb", None, Duration::ZERO),
            "⠙ a\u{241b}[31mb · 0s"
        );
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
    }

    /// A writer the test can read after the progress thread wrote to it.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn draws_after_the_delay_and_erases_its_line() {
        let buffer = Buffer::default();
        let progress = Progress::drawing("scanning", Duration::ZERO, Box::new(buffer.clone()));
        progress.add(41);
        progress.add(1);
        std::thread::sleep(TICK * 3);
        progress.finish();
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert!(text.contains("scanning · 42 · 0s\x1b[K"), "{text:?}");
        assert!(text.ends_with("\r\x1b[K"), "{text:?}");

        // Work that ends before the delay draws nothing at all.
        let buffer = Buffer::default();
        let progress = Progress::drawing("quick", Duration::from_secs(5), Box::new(buffer.clone()));
        drop(progress);
        assert!(buffer.0.lock().unwrap().is_empty());
    }
}
