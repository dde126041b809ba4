//! `--format json`, version 1. Fields are only ever added, never renamed; a breaking
//! change bumps `version`.

use super::Summary;
use crate::diagnostic::{Finding, Level};
use serde::Serialize;
use std::io::{self, Write};

pub const VERSION: u32 = 1;
/// `tool` and `tool_version` of every JSON document pindrift writes (`drift`'s too).
pub const TOOL: &str = "pindrift";
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    tool: &'static str,
    tool_version: &'static str,
    findings: Findings<'a>,
    /// Files and folders that could not be read (added in 0.1; empty when all were read).
    errors: Vec<JsonError<'a>>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonError<'a> {
    /// `path: reason`, as printed on stderr.
    message: &'a str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'a str,
    name: &'a str,
    level: Level,
    message: &'a str,
    path: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    hint: Option<&'a str>,
}

/// The findings, serialized one at a time as they are written (no copy of the list).
struct Findings<'a>(&'a [Finding]);

impl Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|f| JsonFinding {
            code: f.code.code(),
            name: f.code.name(),
            level: f.level,
            message: &f.message,
            path: &f.path,
            line: f.line,
            column: f.column,
            end_line: f.end_line,
            end_column: f.end_column,
            hint: f.hint(),
        }))
    }
}

#[derive(Serialize)]
struct JsonSummary {
    /// Files read.
    files: usize,
    /// Files the findings are in (added in 0.1: `files` counts files read).
    files_with_findings: usize,
    findings: usize,
    errors: usize,
    warnings: usize,
    notes: usize,
    /// Files and folders that could not be read (`errors`), added in 0.1.
    unreadable: usize,
}

pub fn render(
    findings: &[Finding],
    summary: &Summary,
    errors: &[String],
    out: &mut dyn Write,
) -> io::Result<()> {
    let count = |level| findings.iter().filter(|f| f.level == level).count();
    let report = Report {
        version: VERSION,
        tool: TOOL,
        tool_version: TOOL_VERSION,
        findings: Findings(findings),
        errors: errors.iter().map(|message| JsonError { message }).collect(),
        summary: JsonSummary {
            files: summary.files,
            files_with_findings: summary.files_with_findings,
            findings: findings.len(),
            errors: count(Level::Error),
            warnings: count(Level::Warning),
            notes: count(Level::Note),
            unreadable: errors.len(),
        },
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}
