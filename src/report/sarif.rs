//! `--format sarif`: SARIF 2.1.0, one run, every registered rule with its help text.

use crate::diagnostic::{Finding, Level};
use crate::registry::RULES;
use serde::Serialize;
use serde_json::{json, Value};
use std::io::{self, Write};

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

/// One finding as a SARIF result.
fn result(f: &Finding) -> Value {
    let rule_index = f.code as usize;
    let mut message = f.message.to_string();
    if let Some(hint) = &f.hint {
        message.push_str(" (hint: ");
        message.push_str(hint);
        message.push(')');
    }
    json!({
        "ruleId": f.code,
        "ruleIndex": rule_index,
        "level": sarif_level(f.level),
        "message": { "text": message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": f.path, "uriBaseId": "%SRCROOT%" },
                "region": {
                    "startLine": f.line,
                    "startColumn": f.column,
                    "endLine": f.end_line,
                    "endColumn": f.end_column.max(f.column),
                }
            }
        }],
    })
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
