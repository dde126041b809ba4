//! The `github` format: workflow commands (`::error`/`::warning` annotations).

use std::fmt::Write as _;

use super::*;
use crate::drift::ReplicaResult;

fn gh_escape(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// One `::level title=…::message` line: the title escaped as a property, the message as data.
fn annotation(out: &mut String, level: &str, title: &str, message: &str) {
    let _ = writeln!(
        out,
        "::{level} title=pindrift drift ({})::{}",
        gh_escape(title).replace(',', "%2C").replace(':', "%3A"),
        gh_escape(message)
    );
}

pub(super) fn github(r: &DriftReport<'_>) -> String {
    let mut out = String::new();
    let title = format!("{} → {}", r.before.source.spec, r.after.source.spec);
    let mut emit = |c: &Change, section: &str| {
        if c.change == ChangeKind::Unchanged {
            return;
        }
        let level = if r.fail_on.trips(c) {
            "error"
        } else {
            "warning"
        };
        let bump = c
            .bump
            .map(|b| format!(", {}", b.as_str()))
            .unwrap_or_default();
        annotation(
            &mut out,
            level,
            &title,
            &format!(
                "{section}: {} {} ({}{bump})",
                c.name,
                arrow(c),
                c.change.as_str()
            ),
        );
    };
    for e in &r.outcome.envs {
        for c in &e.changes {
            emit(c, &format!("Python {}", e.env));
        }
    }
    if let Some(os) = &r.outcome.os {
        for c in os {
            emit(c, "OS");
        }
    }
    if let Some(c) = &r.outcome.requirements {
        for x in &c.results {
            if matches!(x.status, ReqStatus::Satisfied | ReqStatus::NotApplicable)
                || (x.status == ReqStatus::NotInRequirements && !c.strict_extra)
            {
                continue;
            }
            let level = if x.status.trips(r.fail_on, c.strict_extra) {
                "error"
            } else {
                "warning"
            };
            let detail = x
                .detail
                .as_deref()
                .map(|d| format!("; {d}"))
                .unwrap_or_default();
            annotation(
                &mut out,
                level,
                &title,
                &format!(
                    "{}: {} {} ({}, {}){detail}",
                    x.location.as_deref().unwrap_or(&c.environment),
                    x.name,
                    req_spec_text(x),
                    x.status.as_str(),
                    req_installed_text(x),
                ),
            );
        }
    }
    // Files changed in place fail `--fail-on any` on their own: say so, or the run fails
    // without a word.
    if r.in_place && r.outcome.files.iter().any(|f| !f.site) {
        let level = if r.tripped() { "error" } else { "warning" };
        let files: Vec<String> = r
            .outcome
            .files
            .iter()
            .filter(|f| !f.site)
            .map(file_phrase)
            .collect();
        annotation(
            &mut out,
            level,
            &title,
            &format!(
                "files changed in the container since it was created: {}",
                files.join("; ")
            ),
        );
    }
    for (src, w) in r.warnings() {
        let _ = writeln!(
            out,
            "::warning title=pindrift drift::{}",
            gh_escape(&format!("{src}: {}: {}", w.path, w.message))
        );
    }
    out
}

/// `--replicas` as annotations: one per replica that drifted or is the odd one out.
pub(super) fn replicas(
    results: &[ReplicaResult],
    failed: bool,
    fleet: Option<&crate::drift::fleet::FleetNotes>,
) -> String {
    let mut out = String::new();
    if let Some(f) = fleet {
        for e in f.unreachable() {
            let _ = writeln!(
                out,
                "::warning title=pindrift drift: engine not reached::{}",
                gh_escape(&format!(
                    "{} ({}): {}",
                    e.name,
                    e.url,
                    e.error.as_deref().unwrap_or("")
                ))
            );
        }
        for u in &f.unread {
            let _ = writeln!(
                out,
                "::warning title=pindrift drift: not read::{}",
                gh_escape(&format!("{}: {}", u.name, u.reason))
            );
        }
    }
    for r in results {
        let os = r
            .outcome
            .os
            .iter()
            .flatten()
            .filter(|c| c.change != ChangeKind::Unchanged)
            .count();
        let summary = match (in_place_summary(&r.outcome), os) {
            (Some(s), 0) => Some(s),
            (Some(s), n) => Some(format!("{s}; {}", plural(n, "OS package change"))),
            (None, 0) if r.odd_one_out => Some("differs from the other replicas".into()),
            (None, 0) => None,
            (None, n) => Some(plural(n, "OS package change")),
        };
        if let Some(s) = summary {
            let level = if failed { "error" } else { "warning" };
            let odd = if r.odd_one_out { " (odd one out)" } else { "" };
            let _ = writeln!(
                out,
                "::{level} title=pindrift drift replicas::{}",
                gh_escape(&format!("{}{odd}: {s}", r.name))
            );
        }
    }
    out
}
