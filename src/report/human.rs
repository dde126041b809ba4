//! The default, human-readable format.

use super::{visible, visible_char, Summary};
use crate::diagnostic::{Finding, Level};
use std::borrow::Cow;
use std::io::{self, Write};

/// `text` in a colour when colour is on.
fn paint(block: &mut String, color: bool, code: &str, text: &str) {
    if color {
        block.push_str("\x1b[");
        block.push_str(code);
        block.push('m');
        block.push_str(text);
        block.push_str("\x1b[0m");
    } else {
        block.push_str(text);
    }
}

/// `n` copies of a character.
fn push_repeat(block: &mut String, c: char, n: usize) {
    block.extend(std::iter::repeat_n(c, n));
}

/// `n` in decimal, without the formatting machinery.
fn push_number(block: &mut String, n: u32) {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        block.push(char::from(d));
    }
}

/// How many digits `n` has in decimal (the width of the gutter).
fn digits(n: u32) -> usize {
    n.checked_ilog10().map_or(1, |log| log as usize + 1)
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
    errors: &[String],
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    // Each finding is put together in one reused buffer and written at once: millions of
    // findings (a generated file) spend their time here, and `write!` to the output would
    // go through the formatting machinery for every piece.
    let mut block = String::with_capacity(512);
    for finding in findings {
        block.clear();
        let level = level_color(finding.level);
        paint(&mut block, color, "1", &visible(&finding.path));
        block.push(':');
        push_number(&mut block, finding.line);
        block.push(':');
        push_number(&mut block, finding.column);
        block.push_str(": ");
        paint(&mut block, color, level, finding.code.code());
        block.push(' ');
        let bracketed = ["[", finding.level.as_str(), "]"].concat();
        paint(&mut block, color, level, &bracketed);
        block.push(' ');
        block.push_str(&visible(&finding.message));
        block.push('\n');
        let gutter = digits(finding.line);
        // A finding about the whole file (PD005: not read) has no text to point at.
        let about_whole_file = finding.span.is_empty() && finding.source_line().is_empty();
        if !about_whole_file {
            let start = finding.column.saturating_sub(1) as usize;
            let width = (finding.end_line == finding.line)
                .then(|| finding.end_column.saturating_sub(finding.column) as usize);
            let shown = excerpt(finding.source_line(), start, width);
            push_repeat(&mut block, ' ', gutter);
            block.push_str(" |\n");
            push_number(&mut block, finding.line);
            block.push_str(" | ");
            block.push_str(&shown.text);
            block.push('\n');
            push_repeat(&mut block, ' ', gutter);
            block.push_str(" | ");
            push_repeat(&mut block, ' ', shown.pad);
            if color {
                block.push_str("\x1b[");
                block.push_str(level);
                block.push('m');
            }
            push_repeat(&mut block, '^', shown.width);
            if color {
                block.push_str("\x1b[0m");
            }
            block.push('\n');
        }
        if let Some(hint) = finding.hint() {
            push_repeat(&mut block, ' ', gutter);
            block.push_str(" = hint: ");
            block.push_str(&visible(hint));
            block.push('\n');
        }
        block.push('\n');
        out.write_all(block.as_bytes())?;
    }
    let count = |level| findings.iter().filter(|f| f.level == level).count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    // What could not be read is said next to what was found, never as "No problems".
    let unread = if errors.is_empty() {
        String::new()
    } else {
        format!("; {} could not be read", plural(errors.len(), "file"))
    };
    let accepted = summary.accepted_note();
    if findings.is_empty() && errors.is_empty() && accepted.is_empty() {
        writeln!(out, "No problems in {}.", plural(summary.files, "file"))
    } else if findings.is_empty() && errors.is_empty() {
        writeln!(
            out,
            "No new problems in {}{accepted}.",
            plural(summary.files, "file")
        )
    } else if findings.is_empty() {
        writeln!(
            out,
            "Found 0 problems in {}{unread}{accepted}.",
            plural(summary.files, "file")
        )
    } else {
        // "in N files": the files the findings are in; files read besides them in brackets.
        let read = if summary.files > summary.files_with_findings {
            format!(" ({} read)", plural(summary.files, "file"))
        } else {
            String::new()
        };
        writeln!(
            out,
            "Found {} ({}, {}, {}) in {}{read}{unread}{accepted}.",
            plural(findings.len(), "problem"),
            plural(count(Level::Error), "error"),
            plural(count(Level::Warning), "warning"),
            plural(count(Level::Note), "note"),
            plural(summary.files_with_findings, "file")
        )
    }
}

/// At most this many characters of a source line are shown (plus an ellipsis at each cut end).
const MAX_EXCERPT: usize = 200;
/// Characters shown before the span when a long line is cut.
const CONTEXT_BEFORE: usize = 60;

/// The part of a source line shown under a finding, and where its caret goes.
struct Excerpt<'a> {
    text: Cow<'a, str>,
    /// Characters before the caret.
    pad: usize,
    /// Carets.
    width: usize,
}

/// A window of at most [`MAX_EXCERPT`] characters of `line` around the span starting at
/// character `start` (`width` characters, or to the end of the line when `None`), made
/// visible (tabs, control characters), with `…` where the line is cut: a multi-kilobyte line
/// (a minified file, a generated requirements file) shows a readable window, not all of it.
fn excerpt(line: &str, start: usize, width: Option<usize>) -> Excerpt<'_> {
    let len = line.chars().count();
    let start = start.min(len);
    let width = width.unwrap_or(len.saturating_sub(start)).max(1);
    if len <= MAX_EXCERPT {
        let text = visible(line);
        return Excerpt {
            text,
            pad: start,
            width,
        };
    }
    let to = (start.saturating_sub(CONTEXT_BEFORE) + MAX_EXCERPT).min(len);
    let from = to.saturating_sub(MAX_EXCERPT);
    let mut text = String::with_capacity(MAX_EXCERPT + 8);
    if from > 0 {
        text.push('…');
    }
    text.extend(line.chars().skip(from).take(to - from).map(visible_char));
    if to < len {
        text.push('…');
    }
    let lead = usize::from(from > 0);
    Excerpt {
        text: Cow::Owned(text),
        pad: start - from + lead,
        // The caret stops at the cut (under the ellipsis when the span goes on).
        width: width
            .min(to.saturating_sub(start) + usize::from(to < len))
            .max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gutters_are_as_wide_as_the_line_number() {
        for n in [0, 1, 9, 10, 99, 100, 65_535, u32::MAX] {
            assert_eq!(digits(n), n.to_string().len(), "{n}");
        }
        let mut block = String::new();
        push_repeat(&mut block, '^', 130);
        push_repeat(&mut block, '✓', 3);
        assert_eq!(block, "^".repeat(130) + "✓✓✓");
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        for n in [0, 7, 10, 99, 100, 65_536, u32::MAX] {
            let mut block = String::new();
            push_number(&mut block, n);
            assert_eq!(block, n.to_string());
        }
    }

    #[test]
    fn short_lines_are_shown_whole_and_visible() {
        let e = excerpt("fl\u{1b}[31mask\t# x", 0, Some(5));
        assert_eq!(e.text, "fl\u{241b}[31mask # x");
        assert_eq!((e.pad, e.width), (0, 5));
    }

    #[test]
    fn long_lines_show_a_window_around_the_span() {
        let line = format!("{}flask{}", " ".repeat(70_000), "x".repeat(5_000));
        let e = excerpt(&line, 70_000, Some(5));
        assert_eq!(e.text.chars().count(), MAX_EXCERPT + 2);
        assert!(e.text.starts_with('…') && e.text.ends_with('…'));
        assert_eq!(e.pad, CONTEXT_BEFORE + 1);
        assert_eq!(
            &e.text[e.text.char_indices().nth(e.pad).unwrap().0..][..5],
            "flask"
        );
        // A span running to the end of a long line stops at the cut.
        let e = excerpt(&line, 70_000, None);
        assert_eq!(e.width, MAX_EXCERPT - CONTEXT_BEFORE + 1);
        // Near the end of the line: the window ends with the line.
        let e = excerpt(&line, 74_998, Some(2));
        assert!(e.text.starts_with('…') && !e.text.ends_with('…'));
        assert_eq!(e.pad, MAX_EXCERPT - 7 + 1);
    }
}
