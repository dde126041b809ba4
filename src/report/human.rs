//! The default, human-readable format.

use super::Summary;
use crate::diagnostic::{Finding, Level};
use std::io::{self, Write};

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
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
    let paint = Paint { on: color };
    for finding in findings {
        writeln!(
            out,
            "{}:{}:{}: {} {} {}",
            paint.wrap("1", &finding.path),
            finding.line,
            finding.column,
            paint.wrap(level_color(finding.level), finding.code),
            paint.wrap(level_color(finding.level), &format!("[{}]", finding.level)),
            finding.message
        )?;
        let gutter = finding.line.to_string().len();
        let source_line = finding.source_line().replace('\t', " ");
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
        let pad = " ".repeat(finding.column.saturating_sub(1) as usize);
        writeln!(
            out,
            "{:gutter$} | {pad}{}",
            "",
            paint.wrap(level_color(finding.level), &"^".repeat(width))
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
        writeln!(
            out,
            "Found {} ({}, {}, {}) in {}.",
            plural(findings.len(), "problem"),
            plural(count(Level::Error), "error"),
            plural(count(Level::Warning), "warning"),
            plural(count(Level::Note), "note"),
            plural(summary.files, "file")
        )
    }
}
