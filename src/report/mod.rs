//! Output formats for `check`. The only place (with `cli`) that writes to the terminal.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use crate::diagnostic::Finding;
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
