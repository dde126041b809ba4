//! `--format sarif`: SARIF 2.1.0, one run, every registered rule with its help text.

use crate::diagnostic::{Finding, Level};
use crate::registry::RULES;
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
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let rule_index = f.code as usize;
            let mut message = f.message.clone();
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
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "pindrift",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "invocations": [invocation],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &sarif)?;
    writeln!(out)
}
