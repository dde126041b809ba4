//! Output formats for `check`. The only place (with `cli`) that writes to the terminal.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use crate::diagnostic::Finding;
use std::borrow::Cow;
use std::io::{self, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `path:line:col`, the code, the message, the source line with a caret.
    Human,
    /// Versioned JSON (`"version": 1`), documented in the README.
    Json,
    /// SARIF 2.1.0 for code-scanning dashboards.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

/// What a report shows besides the findings.
pub struct Summary {
    /// Files read: those found or named, and every file reached through `-r`/`-c` or a
    /// Dockerfile's `pip install -r`/`-c`.
    pub files: usize,
    /// Files the findings are in.
    pub files_with_findings: usize,
}

pub fn render(
    format: Format,
    findings: &[Finding],
    summary: &Summary,
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::render(findings, summary, color, out),
        Format::Json => json::render(findings, summary, out),
        Format::Sarif => sarif::render(findings, out),
        Format::Github => github::render(findings, out),
    }
}

/// What a terminal shows for `c`, one character wide: tabs become spaces, control characters
/// (C0, DEL, C1: ESC could recolour or retitle the terminal) their Unicode control pictures
/// (`␛`) or `�`, and bidirectional overrides (which reorder what is shown) `�`. A requirements
/// file can contain any of them; what is printed must not act on the terminal.
pub fn visible_char(c: char) -> char {
    match c {
        '\t' => ' ',
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
        '\u{7f}' => '\u{2421}',
        '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => '\u{fffd}',
        c => c,
    }
}

fn needs_escape(c: char) -> bool {
    visible_char(c) != c
}

/// `text` with every character made visible (see [`visible_char`]); borrowed when nothing changes.
pub fn visible(text: &str) -> Cow<'_, str> {
    if text.chars().any(needs_escape) {
        Cow::Owned(text.chars().map(visible_char).collect())
    } else {
        Cow::Borrowed(text)
    }
}
