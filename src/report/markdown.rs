//! `--format markdown`: a pull-request comment or a GitHub job summary
//! (`$GITHUB_STEP_SUMMARY`). Every finding is listed (the `github` format stops at GitHub's
//! annotation limits; this one does not), each rule code linking to its page.

use super::{visible, Summary};
use crate::diagnostic::{Finding, Level};
use std::io::{self, Write};

/// Where the rule pages live: `rules/PDxxx.md` of the repository, at the branch the
/// documentation is published from. Also SARIF's `helpUri`.
pub const RULES_URL: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/rules/");

/// The page of a rule (`https://…/rules/PD101.md`).
pub fn rule_url(code: &str) -> String {
    format!("{RULES_URL}{code}.md")
}

/// Text made inert in a table cell: characters that would act on a terminal made visible
/// (as the other formats do), and Markdown's own punctuation (`|` ends a cell, `<` opens
/// HTML, `` ` `` `*` `_` `[` … format or link) escaped with a backslash, which CommonMark
/// allows before any ASCII punctuation.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in visible(text).chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '~' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

pub fn render(
    findings: &[Finding],
    summary: &Summary,
    errors: &[String],
    out: &mut dyn Write,
) -> io::Result<()> {
    let count = |level| findings.iter().filter(|f| f.level == level).count();
    writeln!(out, "### pindrift check\n")?;
    let accepted = summary.accepted_note();
    if findings.is_empty() && errors.is_empty() {
        if accepted.is_empty() {
            writeln!(out, "No problems in {}.", plural(summary.files, "file"))?;
        } else {
            writeln!(
                out,
                "No new problems in {}{accepted}.",
                plural(summary.files, "file")
            )?;
        }
        return Ok(());
    }
    // As the human summary: the files the findings are in, the files read when more.
    let read = if summary.files > summary.files_with_findings {
        format!(" ({} read)", plural(summary.files, "file"))
    } else {
        String::new()
    };
    writeln!(
        out,
        "Found {} ({}, {}, {}) in {}{read}{accepted}.",
        plural(findings.len(), "problem"),
        plural(count(Level::Error), "error"),
        plural(count(Level::Warning), "warning"),
        plural(count(Level::Note), "note"),
        plural(summary.files_with_findings, "file"),
    )?;
    if !errors.is_empty() {
        writeln!(
            out,
            "\n**{} could not be read:**\n",
            plural(errors.len(), "file or folder")
        )?;
        for message in errors {
            writeln!(out, "- {}", escape(message))?;
        }
    }
    if findings.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n| Level | Rule | Location | Message |")?;
    writeln!(out, "|---|---|---|---|")?;
    for f in findings {
        let code = f.code.code();
        let hint = f
            .hint()
            .map(|hint| format!("<br>hint: {}", escape(hint)))
            .unwrap_or_default();
        writeln!(
            out,
            "| {} | [{code}]({}) | {}:{}:{} | {}{hint} |",
            f.level,
            rule_url(code),
            escape(&f.path),
            f.line,
            f.column,
            escape(&f.message),
        )?;
    }
    Ok(())
}
