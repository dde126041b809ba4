//! The `table` format: what a person reads in a terminal.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use comfy_table::{presets, Cell, ContentArrangement, Table};

use super::markdown::md_escape;
use super::*;
use crate::drift::reqcheck::ReqCheck;
use crate::drift::ReplicaResult;

pub(super) fn change_table(changes: &[&Change], env_col: bool) -> String {
    let mut t = Table::new();
    t.load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled);
    for c in changes {
        let mut row = vec![
            Cell::new(c.change.as_str()),
            Cell::new(esc(&c.name)),
            Cell::new(arrow(c)),
            Cell::new(c.bump.map(|b| b.as_str()).unwrap_or("")),
        ];
        if env_col {
            row.push(Cell::new(esc(c.detail.as_deref().unwrap_or(""))));
        }
        t.add_row(row);
    }
    t.lines()
        .map(|l| format!("  {}", l.trim_end()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn req_table(c: &ReqCheck, all: bool) -> String {
    let mut out = String::new();
    let rows = req_rows(c, all);
    let _ = writeln!(
        out,
        "\nRequirements ({} against {} {}): {}",
        esc(&c.spec),
        esc(&c.environment),
        esc(&c.env),
        req_counts_text(c)
    );
    let mut t = Table::new();
    t.load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled);
    for r in &rows {
        t.add_row(vec![
            Cell::new(r.status.as_str()),
            Cell::new(esc(&r.name)),
            Cell::new(req_spec_text(r)),
            Cell::new(req_installed_text(r)),
            Cell::new(esc(r.location.as_deref().unwrap_or(""))),
            Cell::new(esc(r.detail.as_deref().unwrap_or(""))),
        ]);
    }
    if !rows.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            t.lines()
                .map(|l| format!("  {}", l.trim_end()))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    let extra = c
        .results
        .iter()
        .filter(|r| r.status == ReqStatus::NotInRequirements)
        .count();
    if extra > 0 && !all && !c.strict_extra {
        let _ = writeln!(
            out,
            "  + {} not in the requirements (--all lists them; --strict-extra makes them drift)",
            plural(extra, "installed package")
        );
    }
    out
}

pub(super) fn table(r: &DriftReport<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "before: {}", describe_source(&r.before.source));
    let _ = writeln!(out, "after:  {}", describe_source(&r.after.source));
    let mut total = 0;
    let mut by_bump: BTreeMap<&str, usize> = BTreeMap::new();
    for env in &r.outcome.envs {
        let v = visible(&env.changes, r.show_all);
        let n = env
            .changes
            .iter()
            .filter(|c| c.change != ChangeKind::Unchanged)
            .count();
        total += n;
        for c in env
            .changes
            .iter()
            .filter(|c| c.change != ChangeKind::Unchanged)
        {
            *by_bump
                .entry(c.bump.map(|b| b.as_str()).unwrap_or(c.change.as_str()))
                .or_default() += 1;
        }
        let label = match (&env.before_env, &env.after_env) {
            (Some(a), Some(b)) if a != b => format!("{a} → {b}"),
            _ => env.env.clone(),
        };
        let _ = writeln!(out, "\nPython packages ({label}): {}", plural(n, "change"));
        if !v.is_empty() {
            let has_detail = v.iter().any(|c| c.detail.is_some());
            let _ = writeln!(out, "{}", change_table(&v, has_detail));
        }
    }
    if let Some(c) = &r.outcome.requirements {
        out.push_str(&req_table(c, r.show_all));
    }
    match &r.outcome.os {
        Some(os) => {
            let v = visible(os, r.show_all);
            let n = os
                .iter()
                .filter(|c| c.change != ChangeKind::Unchanged)
                .count();
            total += n;
            let manager = r
                .before
                .os
                .as_ref()
                .map(|o| o.manager.as_str())
                .unwrap_or("os");
            let _ = writeln!(out, "\nOS packages ({manager}): {}", plural(n, "change"));
            if !v.is_empty() {
                let _ = writeln!(out, "{}", change_table(&v, false));
            }
        }
        None => {
            let _ = writeln!(
                out,
                "\nOS packages: not compared ({})",
                esc(r
                    .outcome
                    .os_not_compared
                    .as_deref()
                    .unwrap_or("unknown reason"))
            );
        }
    }
    if r.in_place {
        if !r.outcome.files.is_empty() {
            let _ = writeln!(
                out,
                "\nFiles changed in the container since it was created:"
            );
            for f in &r.outcome.files {
                let _ = writeln!(out, "  {}", file_phrase(f));
            }
        }
        if let Some(s) = in_place_summary(r.outcome) {
            let _ = writeln!(out, "\n{s}");
        }
    }
    for n in &r.outcome.notes {
        let _ = writeln!(out, "\nnote: {}", esc(n));
    }
    let warnings = r.warnings();
    if !warnings.is_empty() {
        let _ = writeln!(out);
        for (src, w) in warnings {
            let _ = writeln!(
                out,
                "warning: {}: {}: {}",
                esc(src),
                esc(&w.path),
                esc(&w.message)
            );
        }
    }
    let bumps = by_bump
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut headline = match &r.outcome.requirements {
        Some(c) if total == 0 => req_counts_text(c),
        Some(c) => format!("{}; {}", req_counts_text(c), plural(total, "OS change")),
        None if bumps.is_empty() => plural(total, "change"),
        None => format!("{} ({bumps})", plural(total, "change")),
    };
    let unread = r.unread();
    if unread > 0 {
        let _ = write!(
            headline,
            "; {} could not be read (see the warnings)",
            plural(unread, "package")
        );
    }
    let _ = writeln!(
        out,
        "\n{headline}{}",
        if r.tripped() {
            format!("; fails --fail-on {}", fail_on_str(r.fail_on))
        } else {
            String::new()
        }
    );
    out
}

/// `--replicas` as text; the markdown format is the same list with markdown markup.
pub(super) fn replicas(
    selector: &str,
    results: &[ReplicaResult],
    odd: &[&str],
    all: bool,
    md: bool,
    fleet: Option<&crate::drift::fleet::FleetNotes>,
) -> String {
    let mut out = String::new();
    if md {
        let _ = writeln!(out, "### pindrift drift: replicas `{selector}`\n");
    } else {
        let _ = writeln!(out, "replicas of {selector}: {}", results.len());
    }
    let line = |out: &mut String, text: &str| {
        if md {
            let _ = writeln!(out, "- {}", md_escape(text));
        } else {
            let _ = writeln!(out, "{text}");
        }
    };
    if let Some(f) = fleet {
        if let Some(t) = &f.title {
            line(&mut out, t);
        }
        if f.engines.len() > 1 || f.unreachable().next().is_some() {
            for e in &f.engines {
                let text = match &e.error {
                    None => format!("engine {}: read", e.name),
                    Some(why) => format!(
                        "engine {}: NOT REACHED, nothing on it was read: {why}",
                        e.name
                    ),
                };
                line(&mut out, &text);
            }
        }
    }
    for r in results {
        let state = if r.odd_one_out {
            "ODD ONE OUT"
        } else if r.outcome.has_drift() || !r.outcome.files.is_empty() {
            "drifted from its image"
        } else {
            "matches its image"
        };
        let line = format!(
            "{} ({}, image {}): {state}",
            r.name,
            short_id(&r.id),
            short_id(&r.image_id)
        );
        if md {
            let _ = writeln!(out, "- **{}**", md_escape(&line));
        } else {
            let _ = writeln!(out, "\n{line}");
        }
        let changes: Vec<&Change> = r
            .outcome
            .envs
            .iter()
            .flat_map(|e| visible(&e.changes, all))
            .chain(r.outcome.os.iter().flat_map(|os| visible(os, all)))
            .collect();
        if !changes.is_empty() && !md {
            let _ = writeln!(out, "{}", change_table(&changes, false));
        }
        if let Some(s) = in_place_summary(&r.outcome) {
            if md {
                let _ = writeln!(out, "  - {}", md_escape(&s));
            } else {
                let _ = writeln!(out, "  {s}");
            }
        }
    }
    if let Some(f) = fleet {
        if !f.unread.is_empty() {
            let _ = writeln!(out);
            for u in &f.unread {
                line(&mut out, &format!("NOT READ {}: {}", u.name, u.reason));
            }
        }
    }
    let missing = fleet.and_then(|f| f.missing());
    let _ = writeln!(
        out,
        "\n{}{}",
        if odd.is_empty() {
            "no odd ones out".to_string()
        } else {
            format!("odd ones out: {}", odd.join(", "))
        },
        match (&missing, odd.is_empty()) {
            (Some(_), true) => " among those read (not everything was read)",
            (Some(_), false) => " (not everything was read)",
            (None, _) => "",
        }
    );
    if let Some(f) = fleet {
        for d in &f.odd_details {
            line(&mut out, d);
        }
    }
    out
}
