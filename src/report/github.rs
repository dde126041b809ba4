//! `--format github`: workflow commands that GitHub Actions turns into annotations.

use crate::diagnostic::{Finding, Level};
use std::borrow::Cow;
use std::io::{self, Write};

/// Escapes a command's message (`%`, CR, LF); other control characters (an ESC from a
/// requirements file) are shown as their pictures, never passed to the log. Borrowed when
/// nothing needs escaping (almost every message).
pub fn escape_data(text: &str) -> Cow<'_, str> {
    if !text.bytes().any(|b| matches!(b, b'%' | b'\r' | b'\n')) {
        return super::visible(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(super::visible_char(c)),
        }
    }
    Cow::Owned(out)
}

/// Escapes a command property (also `:` and `,`).
pub fn escape_property(text: &str) -> Cow<'_, str> {
    let data = escape_data(text);
    if !data.bytes().any(|b| matches!(b, b':' | b',')) {
        return data;
    }
    Cow::Owned(data.replace(':', "%3A").replace(',', "%2C"))
}

pub fn command_for(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note | Level::Off => "notice",
    }
}

/// GitHub shows at most this many annotations of each level (error, warning, notice) per
/// step and drops the rest without a word; past it the format says how many it left out.
pub const MAX_PER_LEVEL: usize = 10;

/// Annotations, at most [`MAX_PER_LEVEL`] of each level (errors about unreadable files
/// first: they count as errors), then one line saying how many findings were left out and
/// where they all are (the job summary of `--format markdown`, SARIF). That line is a
/// `::notice` while there is room for one, else plain text on the log.
pub fn render(findings: &[Finding], errors: &[String], out: &mut dyn Write) -> io::Result<()> {
    let mut limiter = Limiter::default();
    for message in errors {
        if limiter.admit("error") {
            writeln!(out, "::error title=pindrift::{}", escape_data(message))?;
        }
    }
    for f in findings {
        let command = command_for(f.level);
        if !limiter.admit(command) {
            continue;
        }
        writeln!(
            out,
            "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            command,
            escape_property(&f.path),
            f.line,
            f.column,
            f.end_line,
            f.end_column,
            escape_property(f.code.code()),
            escape_data(&f.message)
        )?;
    }
    if let Some(line) = limiter.left_out_line() {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// The same limit applied to workflow commands already written (`drift --format github`):
/// annotation lines past [`MAX_PER_LEVEL`] of their level are dropped, other lines kept,
/// and the line saying how many were left out is added at the end.
pub fn limit(text: &str) -> String {
    let mut limiter = Limiter::default();
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let command = ["error", "warning", "notice"].into_iter().find(|c| {
            line.starts_with(&format!("::{c} ")) || line.starts_with(&format!("::{c}::"))
        });
        if command.is_none_or(|c| limiter.admit(c)) {
            out.push_str(line);
            out.push('\n');
        }
    }
    if let Some(line) = limiter.left_out_line() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Counts annotations per level: shown, and left out past the limit.
#[derive(Default)]
struct Limiter {
    /// error, warning, notice
    shown: [usize; 3],
    left_out: [usize; 3],
}

impl Limiter {
    /// Whether one more annotation of `command` is shown.
    fn admit(&mut self, command: &str) -> bool {
        let i = match command {
            "error" => 0,
            "warning" => 1,
            _ => 2,
        };
        if self.shown[i] == MAX_PER_LEVEL {
            self.left_out[i] += 1;
            false
        } else {
            self.shown[i] += 1;
            true
        }
    }

    /// How many were left out and where they all are: a `::notice` while there is room for
    /// one, else plain text on the log. None when nothing was left out.
    fn left_out_line(&self) -> Option<String> {
        let total: usize = self.left_out.iter().sum();
        if total == 0 {
            return None;
        }
        let parts: Vec<String> = [
            ("error", self.left_out[0]),
            ("warning", self.left_out[1]),
            ("note", self.left_out[2]),
        ]
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(word, n)| format!("{n} {word}{}", if *n == 1 { "" } else { "s" }))
        .collect();
        let text = format!(
            "{total} more not shown as annotations ({}): GitHub shows at most {MAX_PER_LEVEL} errors, \
             {MAX_PER_LEVEL} warnings and {MAX_PER_LEVEL} notices per step; the job summary \
             (--format markdown) and SARIF list them all",
            parts.join(", ")
        );
        Some(if self.shown[2] < MAX_PER_LEVEL {
            format!("::notice title=pindrift::{text}")
        } else {
            format!("pindrift: {text}")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_beyond_the_limit_are_counted_not_printed() {
        let errors: Vec<String> = (0..13).map(|i| format!("f{i}: unreadable")).collect();
        let mut out = Vec::new();
        render(&[], &errors, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("::error ").count(), MAX_PER_LEVEL, "{text}");
        assert!(
            text.contains("f9: unreadable") && !text.contains("f10:"),
            "{text}"
        );
        // Already written commands (drift's) get the same limit; other lines stay.
        let drift: String = (0..12)
            .map(|i| format!("::warning title=pindrift drift (a → b)::p{i}\n"))
            .chain(["plain line\n".to_string()])
            .collect();
        let limited = limit(&drift);
        assert_eq!(
            limited.matches("::warning ").count(),
            MAX_PER_LEVEL,
            "{limited}"
        );
        assert!(limited.contains("plain line\n"), "{limited}");
        assert!(limited.ends_with("::notice title=pindrift::2 more not shown as annotations (2 warnings): GitHub shows at most 10 errors, 10 warnings and 10 notices per step; the job summary (--format markdown) and SARIF list them all\n"), "{limited}");
        assert_eq!(limit("::error::x\n"), "::error::x\n");
        assert!(
            text.ends_with(
                "::notice title=pindrift::3 more not shown as annotations (3 errors): GitHub shows at most 10 errors, 10 warnings and 10 notices per step; the job summary (--format markdown) and SARIF list them all\n"
            ),
            "{text}"
        );
    }
}
