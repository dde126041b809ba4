//! Where a suppression comment can stand in a Dockerfile, and what it covers.
//!
//! - A comment line directly above an instruction (BuildKit's comments, no blank line
//!   between): the whole instruction, heredoc bodies included.
//! - A comment line inside a continued instruction (BuildKit removes it): the next line.
//! - A shell comment in a `RUN` script (shell form, heredoc script, `sh -c '…'` body): on a
//!   line of its own, the next line; after a command (`pip install x  # pindrift: ignore`),
//!   its own line. The shell reads `#` as a comment only where a word could start, so this
//!   is taken from pindrift's shell tokenizer, not from the text.
//!
//! - hadolint's `# hadolint global ignore=…` on a comment line anywhere outside heredoc
//!   bodies: the whole file, as in hadolint.
//!
//! A trailing `# …` on other instructions (`FROM python  # …`, `ENV`, `COPY`, JSON-form
//! `RUN [...]`) is not a comment for BuildKit but part of the arguments, so no suppression can
//! stand there; and on a continued `RUN` line (`… \`) a shell comment would swallow the rest
//! of the command.

use super::parse::{Dockerfile, Instruction};
use crate::diagnostic::Span;
use crate::source::SourceFile;
use crate::suppress::Directive;

/// Every suppression directive of `df`; `shell_comments` are the source spans of the comments
/// the shell tokenizer skipped in the file's scripts (duplicates allowed).
pub fn directives(source: &SourceFile, df: &Dockerfile, shell_comments: &[Span]) -> Vec<Directive> {
    let mut out = Vec::new();
    let mut add = |span: Span, lines: Option<(u32, u32)>| {
        let Some(comment) = source.text.get(span.range()) else {
            return;
        };
        let start = span.start;
        out.extend(Directive::parse(
            comment,
            |r| Span::new(start + r.start, start + r.end),
            lines,
        ));
    };
    for inst in &df.instructions {
        let lines = instruction_lines(source, inst);
        for comment in &inst.comments_before {
            add(comment.span, Some(lines));
        }
        for comment in &inst.comments_inside {
            let line = source.line_col(comment.span.start).0;
            add(comment.span, next_code_line(source, line));
        }
    }
    let mut seen: Vec<usize> = Vec::new();
    // hadolint's file-wide `# hadolint global ignore=…` counts wherever it stands as a comment
    // line (hadolint collects every comment of the file), also after a blank line, between
    // instructions or at the end, where BuildKit's comments end: found by its text, outside
    // heredoc bodies (those are scripts or data, not Dockerfile comments).
    let known: Vec<usize> = df
        .instructions
        .iter()
        .flat_map(|i| i.comments_before.iter().chain(&i.comments_inside))
        .map(|c| c.span.start)
        .collect();
    let bodies: Vec<(usize, usize)> = df
        .instructions
        .iter()
        .flat_map(|i| &i.heredocs)
        .map(|h| {
            let span = h.body.full_span();
            (span.start, span.end)
        })
        .collect();
    for line in 1..=source.line_count() as u32 {
        let start = source.line_start(line);
        if bodies.iter().any(|&(s, e)| s <= start && start < e) {
            continue;
        }
        let text = source.line_text(line);
        let lead = text.len() - text.trim_start().len();
        let span = Span::new(start + lead, start + text.len());
        if text.trim_start().starts_with('#')
            && crate::suppress::is_hadolint_global(text)
            && !known.contains(&span.start)
        {
            add(span, None);
        }
    }
    for span in shell_comments {
        if seen.contains(&span.start) {
            continue;
        }
        seen.push(span.start);
        // A shell comment is not a Dockerfile comment: hadolint never reads a `global`
        // pragma there (in a heredoc script or after a command).
        if source
            .text
            .get(span.range())
            .is_some_and(crate::suppress::is_hadolint_global)
        {
            continue;
        }
        let (line, column) = source.line_col(span.start);
        let before: String = source
            .line_text(line)
            .chars()
            .take(column as usize - 1)
            .collect();
        let lines = if before.trim().is_empty() {
            next_code_line(source, line)
        } else {
            Some((line, line))
        };
        add(*span, lines);
    }
    out
}

/// First and last line of an instruction, heredoc bodies included.
fn instruction_lines(source: &SourceFile, inst: &Instruction) -> (u32, u32) {
    let first = source.line_col(inst.line_start).0;
    let end = inst
        .heredocs
        .iter()
        .map(|h| h.body.full_span().end)
        .chain([inst.span.end])
        .max()
        .unwrap_or(inst.span.end);
    let last = source.line_col(end.saturating_sub(1)).0.max(first);
    (first, last)
}

/// The line a comment on a line of its own covers: the next line that is not a comment line;
/// none when a blank line (or the end of the file) comes first.
fn next_code_line(source: &SourceFile, line: u32) -> Option<(u32, u32)> {
    let count = source.line_count() as u32;
    let mut next = line + 1;
    while next <= count && source.line_text(next).trim_start().starts_with('#') {
        next += 1;
    }
    (next <= count && !source.line_text(next).trim().is_empty()).then_some((next, next))
}
