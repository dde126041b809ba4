//! The summary a person reads: per file, what was (or would be) pinned, what was left and why.

use super::esc;
use crate::pin::{Mode, PinOutcome};
use comfy_table::{presets, Cell, ContentArrangement, Table};
use std::fmt::Write as _;

pub fn render(outcome: &PinOutcome, mode: Mode) -> String {
    let verb = match mode {
        Mode::Write => "pinned",
        Mode::Check | Mode::Diff => "would pin",
    };
    let mut out = String::new();
    for plan in &outcome.plans {
        if plan.changes.is_empty() && plan.left.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "{}: {} {}, {} left",
            esc(&plan.source.display),
            verb,
            plan.changes.len(),
            plan.left.len()
        );
        let mut table = Table::new();
        table
            .load_style(presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Disabled);
        // Changes and left items together, in file order.
        let mut rows: Vec<(u32, u32, Vec<Cell>)> = Vec::new();
        for change in &plan.changes {
            rows.push((
                change.line,
                change.column,
                vec![
                    Cell::new(format!("{}:{}", change.line, change.column)),
                    Cell::new(verb),
                    Cell::new(format!(
                        "{} -> {}",
                        esc(change.before.trim_end()),
                        esc(change.after.trim_end())
                    )),
                    Cell::new(esc(&change.reason)),
                ],
            ));
        }
        for left in &plan.left {
            rows.push((
                left.line,
                left.column,
                vec![
                    Cell::new(format!("{}:{}", left.line, left.column)),
                    Cell::new(format!("left ({})", left.why.code())),
                    Cell::new(esc(&left.subject)),
                    Cell::new(esc(&left.why.to_string())),
                ],
            ));
        }
        rows.sort_by_key(|(line, column, _)| (*line, *column));
        for (_, _, row) in rows {
            table.add_row(row);
        }
        for line in table.lines() {
            let _ = writeln!(out, "  {}", line.trim_end());
        }
    }
    if let Some(lock) = &outcome.lock {
        let state = if lock.unchanged() {
            "up to date"
        } else if mode == Mode::Write {
            "written"
        } else {
            "would be written"
        };
        let _ = writeln!(
            out,
            "{}: lock file {state}: {} packages",
            esc(&crate::paths::display_path(&lock.path)),
            lock.packages
        );
    }
    let pinned: usize = outcome.plans.iter().map(|p| p.changes.len()).sum();
    let files = outcome
        .plans
        .iter()
        .filter(|p| !p.changes.is_empty())
        .count();
    let left: usize = outcome.plans.iter().map(|p| p.left.len()).sum();
    let unresolved: usize = outcome.plans.iter().map(|p| p.unresolved()).sum();
    let _ = writeln!(
        out,
        "{} {pinned} in {files} file{} from {}; left {left} ({unresolved} unresolved); {} file{} read",
        match mode {
            Mode::Write => "Pinned",
            Mode::Check | Mode::Diff => "Would pin",
        },
        if files == 1 { "" } else { "s" },
        esc(&outcome.source),
        outcome.plans.len(),
        if outcome.plans.len() == 1 { "" } else { "s" },
    );
    out
}
