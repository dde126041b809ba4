//! `pin --format json`: the plan, versioned. Every change with its file, place, text before
//! and after, the source and the reason; every item left with why.

use crate::pin::{Mode, PinOutcome};
use serde::Serialize;

#[derive(Serialize)]
struct Plan<'a> {
    version: u32,
    mode: &'static str,
    source: &'a str,
    changes: Vec<ChangeOut<'a>>,
    left: Vec<LeftOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lock: Option<LockOut>,
    notes: &'a [String],
    errors: &'a [String],
    summary: Summary,
}

#[derive(Serialize)]
struct ChangeOut<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    before: &'a str,
    after: &'a str,
    rule: Option<&'static str>,
    source: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct LeftOut<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    subject: &'a str,
    reason: &'static str,
    message: String,
    unresolved: bool,
}

#[derive(Serialize)]
struct LockOut {
    file: String,
    packages: usize,
    unchanged: bool,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    files_changed: usize,
    pinned: usize,
    left: usize,
    unresolved: usize,
}

pub fn render(outcome: &PinOutcome, mode: Mode) -> String {
    let mut changes = Vec::new();
    let mut left = Vec::new();
    for plan in &outcome.plans {
        for c in &plan.changes {
            changes.push(ChangeOut {
                file: &plan.source.display,
                line: c.line,
                column: c.column,
                before: &c.before,
                after: &c.after,
                rule: c.rule.map(|r| r.code()),
                source: &outcome.source,
                reason: &c.reason,
            });
        }
        for l in &plan.left {
            left.push(LeftOut {
                file: &plan.source.display,
                line: l.line,
                column: l.column,
                subject: &l.subject,
                reason: l.why.code(),
                message: l.why.to_string(),
                unresolved: l.why.is_unresolved(),
            });
        }
    }
    let plan = Plan {
        version: 1,
        mode: match mode {
            Mode::Write => "write",
            Mode::Check => "check",
            Mode::Diff => "diff",
        },
        source: &outcome.source,
        summary: Summary {
            files: outcome.plans.len(),
            files_changed: outcome
                .plans
                .iter()
                .filter(|p| !p.changes.is_empty())
                .count(),
            pinned: changes.len(),
            left: left.len(),
            unresolved: left.iter().filter(|l| l.unresolved).count(),
        },
        changes,
        left,
        lock: outcome.lock.as_ref().map(|l| LockOut {
            file: crate::paths::display_path(&l.path),
            packages: l.packages,
            unchanged: l.unchanged(),
        }),
        notes: &outcome.notes,
        errors: &outcome.errors,
    };
    let mut text = serde_json::to_string_pretty(&plan).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    text
}
