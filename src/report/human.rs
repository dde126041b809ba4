//! The default, human-readable format.

use super::Summary;
use crate::diagnostic::{Finding, Level};
use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::io::{self, Write};

/// Text in a colour when colour is on; writes straight to the output, no allocation.
struct Painted<'a, T: fmt::Display> {
    on: bool,
    code: &'a str,
    text: T,
}

impl<T: fmt::Display> fmt::Display for Painted<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.on {
            write!(f, "\x1b[{}m{}\x1b[0m", self.code, self.text)
        } else {
            self.text.fmt(f)
        }
    }
}

/// `n` copies of a character.
struct Repeat(char, usize);

impl fmt::Display for Repeat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for _ in 0..self.1 {
            f.write_char(self.0)?;
        }
        Ok(())
    }
}

fn level_color(level: Level) -> &'static str {
    match level {
        Level::Error => "1;31",
        Level::Warning => "1;33",
        Level::Note => "1;36",
        Level::Off => "0",
    }
}

pub fn render(
    findings: &[Finding],
    summary: &Summary,
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let paint = |code, text| Painted {
        on: color,
        code,
        text,
    };
    for finding in findings {
        let level = level_color(finding.level);
        writeln!(
            out,
            "{}:{}:{}: {} {} {}",
            paint("1", &*finding.path),
            finding.line,
            finding.column,
            paint(level, finding.code),
            Painted {
                on: color,
                code: level,
                text: format_args!("[{}]", finding.level)
            },
            finding.message
        )?;
        let gutter = finding.line.to_string().len();
        let raw = finding.source_line();
        let source_line: Cow<str> = if raw.contains('\t') {
            Cow::Owned(raw.replace('\t', " "))
        } else {
            Cow::Borrowed(raw)
        };
        writeln!(out, "{:gutter$} |", "")?;
        writeln!(out, "{} | {}", finding.line, source_line)?;
        let width = if finding.end_line == finding.line {
            (finding.end_column.saturating_sub(finding.column)).max(1) as usize
        } else {
            source_line
                .chars()
                .count()
                .saturating_sub(finding.column as usize - 1)
                .max(1)
        };
        let pad = finding.column.saturating_sub(1) as usize;
        writeln!(
            out,
            "{:gutter$} | {:pad$}{}",
            "",
            "",
            Painted {
                on: color,
                code: level,
                text: Repeat('^', width)
            }
        )?;
        if let Some(hint) = &finding.hint {
            writeln!(out, "{:gutter$} = hint: {hint}", "")?;
        }
        writeln!(out)?;
    }
    let count = |level| findings.iter().filter(|f| f.level == level).count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if findings.is_empty() {
        writeln!(out, "No problems in {}.", plural(summary.files, "file"))
    } else {
        // "in N files": the files the findings are in; files read besides them in brackets.
        let read = if summary.files > summary.files_with_findings {
            format!(" ({} read)", plural(summary.files, "file"))
        } else {
            String::new()
        };
        writeln!(
            out,
            "Found {} ({}, {}, {}) in {}{read}.",
            plural(findings.len(), "problem"),
            plural(count(Level::Error), "error"),
            plural(count(Level::Warning), "warning"),
            plural(count(Level::Note), "note"),
            plural(summary.files_with_findings, "file")
        )
    }
}
