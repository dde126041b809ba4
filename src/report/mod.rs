//! Output formats for `check`. The only place (with `cli`) that writes to the terminal.

pub mod github;
pub mod human;
pub mod json;
pub mod markdown;
pub mod progress;
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
    /// GitHub Actions workflow commands (annotations): at most 10 per level, as GitHub shows.
    Github,
    /// A Markdown table of every finding, for a job summary or a pull-request comment.
    Markdown,
}

/// What a report shows besides the findings.
#[derive(Default)]
pub struct Summary {
    /// Files read: those found or named, and every file reached through `-r`/`-c` or a
    /// Dockerfile's `pip install -r`/`-c`.
    pub files: usize,
    /// Files the findings are in.
    pub files_with_findings: usize,
    /// Findings a baseline accepted (not among the findings): the human and Markdown
    /// summaries say so rather than "No problems".
    pub accepted_by_baseline: usize,
}

impl Summary {
    /// ` (N findings accepted by the baseline, not shown)`, or nothing.
    pub fn accepted_note(&self) -> String {
        match self.accepted_by_baseline {
            0 => String::new(),
            1 => " (1 finding accepted by the baseline, not shown)".to_string(),
            n => format!(" ({n} findings accepted by the baseline, not shown)"),
        }
    }
}

pub fn render(
    format: Format,
    findings: &[Finding],
    summary: &Summary,
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    render_with_errors(format, findings, summary, &[], color, out)
}

/// Renders the findings and what could not be read (`path: reason`, also printed on
/// stderr by the CLI): the human summary counts them instead of saying "No problems",
/// JSON lists them under `errors`, SARIF as the invocation's `toolExecutionNotifications`,
/// and the GitHub format as `::error` commands, so no format reports clean for a file it
/// never judged.
pub fn render_with_errors(
    format: Format,
    findings: &[Finding],
    summary: &Summary,
    errors: &[String],
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::render(findings, summary, errors, color, out),
        Format::Json => json::render(findings, summary, errors, out),
        Format::Sarif => sarif::render(findings, errors, out),
        Format::Github => github::render(findings, errors, out),
        Format::Markdown => markdown::render(findings, summary, errors, out),
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
    // Every character that needs escaping starts with one of these bytes in UTF-8 (C0 and
    // DEL themselves, C1 after 0xC2, the bidi controls after 0xE2): a byte scan clears
    // almost every line without decoding it.
    // No early exit, so the loop vectorizes: the strings are short.
    let candidate = text.as_bytes().iter().fold(false, |seen, &b| {
        seen | (b < 0x20) | (b == 0x7f) | (b == 0xc2) | (b == 0xe2)
    });
    if candidate && text.chars().any(needs_escape) {
        Cow::Owned(text.chars().map(visible_char).collect())
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod visible_tests {
    use super::visible;
    use std::borrow::Cow;

    #[test]
    fn escapes_c0_del_c1_and_bidi_and_borrows_clean_text() {
        assert!(matches!(visible("flask==1.0 é ü ✓"), Cow::Borrowed(_)));
        assert_eq!(visible("a\u{1b}b\u{7f}"), "a\u{241b}b\u{2421}");
        assert_eq!(
            visible("x\u{85}y\u{202e}z\u{2067}"),
            "x\u{fffd}y\u{fffd}z\u{fffd}"
        );
        // Characters that share a lead byte with a control but are not one stay.
        assert!(matches!(visible("£ ‘quoted’ €"), Cow::Borrowed(_)));
    }
}
