//! `--format sarif`: SARIF 2.1.0, one run, every registered rule with its help text.

use crate::diagnostic::{Finding, Level};
use crate::registry::RULES;
use serde::Serialize;
use serde_json::{json, Value};
use std::io::{self, Write};

/// `runAutomationDetails.id`: the category `pindrift/check`, no run id (the trailing `/`).
pub const AUTOMATION_ID: &str = "pindrift/check/";

fn sarif_level(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note => "note",
        Level::Off => "none",
    }
}

/// The first paragraph after "## What it does" in a rule page.
fn full_description(doc: &str) -> String {
    doc.split("## What it does")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .map(|text| text.trim().replace('\n', " "))
        .unwrap_or_default()
}

/// One finding as a SARIF result: written straight from the finding, fields in the order
/// `json!` gave them (sorted by key), no JSON tree made per result.
#[derive(Serialize)]
struct SarifResult<'a> {
    level: &'static str,
    locations: [Location<'a>; 1],
    message: Text<'a>,
    #[serde(rename = "ruleId")]
    rule_id: &'static str,
    #[serde(rename = "ruleIndex")]
    rule_index: usize,
}

#[derive(Serialize)]
struct Location<'a> {
    #[serde(rename = "physicalLocation")]
    physical_location: PhysicalLocation<'a>,
}

#[derive(Serialize)]
struct PhysicalLocation<'a> {
    #[serde(rename = "artifactLocation")]
    artifact_location: ArtifactLocation<'a>,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation<'a> {
    uri: &'a str,
    #[serde(rename = "uriBaseId")]
    uri_base_id: &'static str,
}

#[derive(Serialize)]
struct Region {
    #[serde(rename = "endColumn")]
    end_column: u32,
    #[serde(rename = "endLine")]
    end_line: u32,
    #[serde(rename = "startColumn")]
    start_column: u32,
    #[serde(rename = "startLine")]
    start_line: u32,
}

#[derive(Serialize)]
struct Text<'a> {
    #[serde(serialize_with = "message_with_hint")]
    text: &'a Finding,
}

/// The message, then the hint in brackets: written as one string, not put together first.
fn message_with_hint<S: serde::Serializer>(f: &&Finding, serializer: S) -> Result<S::Ok, S::Error> {
    struct Shown<'a>(&'a Finding);
    impl std::fmt::Display for Shown<'_> {
        fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            out.write_str(&self.0.message)?;
            match self.0.hint() {
                Some(hint) => write!(out, " (hint: {hint})"),
                None => Ok(()),
            }
        }
    }
    serializer.collect_str(&Shown(f))
}

fn result(f: &Finding) -> SarifResult<'_> {
    SarifResult {
        level: sarif_level(f.level),
        locations: [Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri: &f.path,
                    uri_base_id: "%SRCROOT%",
                },
                region: Region {
                    end_column: f.end_column.max(f.column),
                    end_line: f.end_line,
                    start_column: f.column,
                    start_line: f.line,
                },
            },
        }],
        message: Text { text: f },
        rule_id: f.code.code(),
        rule_index: f.code as usize,
    }
}

#[derive(Serialize)]
struct Sarif<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [Run<'a>; 1],
    version: &'static str,
}

#[derive(Serialize)]
struct Run<'a> {
    /// The run's category (`pindrift/check/`): code scanning keeps the alerts of each
    /// category apart, so pindrift's results neither replace nor are replaced by another
    /// tool's upload.
    #[serde(rename = "automationDetails")]
    automation_details: Value,
    #[serde(rename = "columnKind")]
    column_kind: &'static str,
    invocations: [Value; 1],
    results: Results<'a>,
    tool: Value,
}

/// The results, each made when it is written.
struct Results<'a>(&'a [Finding]);

impl Serialize for Results<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(result))
    }
}

pub fn render(findings: &[Finding], errors: &[String], out: &mut dyn Write) -> io::Result<()> {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|rule| {
            json!({
                "id": rule.code,
                "name": rule.name,
                "shortDescription": { "text": rule.summary },
                "fullDescription": { "text": full_description(rule.doc) },
                "help": { "text": rule.doc, "markdown": rule.doc },
                "helpUri": super::markdown::rule_url(rule.code),
                "defaultConfiguration": { "level": sarif_level(rule.default_level) },
                "properties": { "tags": [ "supply-chain", "pinning" ] },
            })
        })
        .collect();
    // What could not be read: the run was not complete, and says why.
    let mut invocation = json!({ "executionSuccessful": errors.is_empty() });
    if !errors.is_empty() {
        invocation["toolExecutionNotifications"] = errors
            .iter()
            .map(|message| json!({ "level": "error", "message": { "text": message } }))
            .collect();
    }
    let tool = json!({
        "driver": {
            "name": "pindrift",
            "version": env!("CARGO_PKG_VERSION"),
            "rules": rules,
        }
    });
    // Written as the results are made, one at a time: a run with millions of findings does
    // not hold a JSON tree of them. Fields in the order `json!` gave them (sorted by key).
    let sarif = Sarif {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        runs: [Run {
            automation_details: json!({ "id": AUTOMATION_ID }),
            column_kind: "unicodeCodePoints",
            invocations: [invocation],
            results: Results(findings),
            tool,
        }],
        version: "2.1.0",
    };
    serde_json::to_writer_pretty(&mut *out, &sarif)?;
    writeln!(out)
}
