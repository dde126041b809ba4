//! The verdict: pure. The facts and the policy give the NO-GO reasons, one line each, and
//! mark what fails in the facts (`fails` fields) so that every format shows the same thing.

use std::collections::{BTreeMap, BTreeSet};

use super::policy::{ChangeClass, Policy};
use super::{
    AuditReport, ClassGroup, ExactPin, Facts, HotfixSection, PackageChange, Reason, ReasonKind,
    Verdict, FORMAT_VERSION,
};
use crate::drift::{file_of_ignored_package, FileChange};
use crate::names::normalize_name;

/// How many items a reason names before "and N more".
const NAMED: usize = 5;

/// `a, b, c and 2 more`.
fn list(items: &[String]) -> String {
    list_with(items, ", ")
}

/// The first [`NAMED`] items joined with `sep`, and how many more.
fn list_with(items: &[String], sep: &str) -> String {
    if items.len() <= NAMED {
        return items.join(sep);
    }
    format!(
        "{} and {} more",
        items[..NAMED].join(sep),
        items.len() - NAMED
    )
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The words for a class of changes, in a reason.
fn heading(class: ChangeClass, n: usize) -> &'static str {
    match (class, n == 1) {
        (ChangeClass::Major, true) => "major bump",
        (ChangeClass::Major, false) => "major bumps",
        (ChangeClass::Minor, true) => "minor bump",
        (ChangeClass::Minor, false) => "minor bumps",
        (ChangeClass::Patch, true) => "patch bump",
        (ChangeClass::Patch, false) => "patch bumps",
        (ChangeClass::Other, true) => "other version change",
        (ChangeClass::Other, false) => "other version changes",
        (ChangeClass::Added, true) => "new package",
        (ChangeClass::Added, false) => "new packages",
        (ChangeClass::Removed, true) => "removed package",
        (ChangeClass::Removed, false) => "removed packages",
    }
}

/// Marks allowed packages and failing groups; returns the failing groups' (class, changes
/// named) for the reasons.
fn judge_groups(
    groups: &mut [ClassGroup],
    failing: &[ChangeClass],
    declared_failing: &[ChangeClass],
    pins: &[ExactPin],
    policy: &Policy,
) -> Vec<(ChangeClass, Vec<String>)> {
    let mut out = Vec::new();
    for g in groups.iter_mut() {
        for c in &mut g.changes {
            c.allowed = policy.allows(&c.name);
            c.declared = declared(c, pins);
        }
        let class = g.class;
        let named: Vec<String> = g
            .changes
            .iter()
            .filter(|c| !c.allowed && (c.declared.is_none() || declared_failing.contains(&class)))
            .map(PackageChange::describe)
            .collect();
        g.fails = failing.contains(&g.class) && !named.is_empty();
        if g.fails {
            out.push((g.class, named));
        }
    }
    out
}

/// Where the repository pins exactly the version the candidate has, if it does.
fn declared(c: &PackageChange, pins: &[ExactPin]) -> Option<String> {
    let after = c.after.as_deref()?;
    if c.env == "os" {
        return None;
    }
    let name = normalize_name(&c.name);
    pins.iter()
        .find(|p| {
            p.name == name
                && crate::drift::compare_pep440(&p.version, after).order
                    == Some(std::cmp::Ordering::Equal)
        })
        .map(|p| p.location.clone())
}

/// What a hotfixed container changed, in a few words each: files by name, packages as
/// "eventlet 0.20.0 pinned by hand", open journals.
pub fn hotfix_items(h: &HotfixSection) -> Vec<String> {
    let changed: BTreeSet<String> = h.packages.iter().map(|p| normalize_name(&p.name)).collect();
    let mut items = Vec::new();
    for f in &h.files {
        let as_change = FileChange {
            path: f.path.clone(),
            kind: f.kind,
            count: f.count,
            site: f.site,
        };
        if f.site && file_of_ignored_package(&as_change, &changed) {
            continue;
        }
        let trimmed = f.path.trim_end_matches('/');
        let name = trimmed.rsplit('/').next().unwrap_or(trimmed);
        items.push(match (f.site, f.kind) {
            (true, _) => format!("{name} edited in place"),
            (false, crate::drift::FileChangeKind::Deleted) => format!("{name} deleted"),
            (false, _) => name.to_string(),
        });
    }
    for p in h.packages.iter().chain(h.os_packages.iter()) {
        let os = if p.env == "os" { " (OS)" } else { "" };
        items.push(match (p.change.as_str(), &p.after) {
            ("removed", _) | (_, None) => format!("{}{os} removed by hand", p.name),
            ("added", Some(v)) => format!("{} {v}{os} installed by hand", p.name),
            (_, Some(v)) => format!("{} {v}{os} pinned by hand", p.name),
        });
    }
    for j in &h.journals {
        items.push(format!("open hotfix {j}"));
    }
    items
}

/// The verdict on `facts` under `policy`.
pub fn decide(mut facts: Facts, policy: &Policy) -> AuditReport {
    let mut reasons = Vec::new();
    let reason = |kind, text: String| Reason { kind, text };

    for rule in &mut facts.pins.rules {
        let level =
            crate::diagnostic::Level::parse(&rule.level).unwrap_or(crate::diagnostic::Level::Note);
        rule.fails = policy.finding_fails(&rule.code, level);
        if rule.fails {
            reasons.push(reason(
                ReasonKind::Pins,
                format!(
                    "{} {}: {} ({})",
                    rule.code,
                    rule.name,
                    plural(rule.count, "finding", "findings"),
                    list(&rule.locations)
                        + if rule.count > rule.locations.len() {
                            ", …"
                        } else {
                            ""
                        }
                ),
            ));
        }
    }

    // The same failing group for several replicas is one reason naming them all.
    let mut drift_reasons: BTreeMap<(bool, ChangeClass, Vec<String>), Vec<String>> =
        BTreeMap::new();
    let labels: BTreeMap<String, String> = facts
        .running
        .iter()
        .map(|r| (r.spec.clone(), r.label().to_string()))
        .collect();
    for d in &mut facts.drift {
        let label = labels.get(&d.running).cloned().unwrap_or(d.running.clone());
        let pins = &facts.pins.exact_pins;
        for (class, named) in judge_groups(
            &mut d.python,
            &policy.fail_on_changes,
            &policy.fail_on_declared_changes,
            pins,
            policy,
        ) {
            drift_reasons
                .entry((false, class, named))
                .or_default()
                .push(label.clone());
        }
        if let Some(os) = &mut d.os {
            for (class, named) in judge_groups(os, &policy.fail_on_os_changes, &[], &[], policy) {
                drift_reasons
                    .entry((true, class, named))
                    .or_default()
                    .push(label.clone());
            }
        }
    }
    let candidate = facts.candidate.spec.clone();
    for ((os, class, named), from) in drift_reasons {
        let what = if os { "OS " } else { "" };
        reasons.push(reason(
            if os {
                ReasonKind::OsDrift
            } else {
                ReasonKind::Drift
            },
            format!(
                "{} → {candidate}: {what}{} {}",
                from.join(", "),
                heading(class, named.len()),
                list(&named)
            ),
        ));
    }

    if let Some(replicas) = &mut facts.replicas {
        let differing: Vec<String> = replicas
            .differences
            .iter()
            .filter(|d| !policy.allows(&d.name))
            .map(|d| {
                let versions: Vec<String> = d
                    .versions
                    .iter()
                    .map(|v| {
                        format!(
                            "{} {}",
                            v.source,
                            v.version.as_deref().unwrap_or("not installed")
                        )
                    })
                    .collect();
                let os = if d.env == "os" { " (OS)" } else { "" };
                format!("{}{os}: {}", d.name, versions.join(", "))
            })
            .collect();
        replicas.fails = policy.fail_on_replica_drift && !differing.is_empty();
        if replicas.fails {
            reasons.push(reason(
                ReasonKind::Replicas,
                format!(
                    "the running replicas differ from each other ({})",
                    list_with(&differing, "; ")
                ),
            ));
        }
    }

    for b in &mut facts.base_image.running {
        b.fails = policy.fail_on_base_change && b.status == "changed";
        if b.fails {
            reasons.push(reason(
                ReasonKind::BaseImage,
                format!("{}: {}", b.base.source, b.detail),
            ));
        }
    }

    for h in &mut facts.hotfixes {
        h.fails = policy.fail_on_hotfixes && h.changed();
        if h.fails {
            reasons.push(reason(
                ReasonKind::Hotfix,
                format!(
                    "container {} was changed in place ({}); deploying {candidate} drops that change",
                    h.container,
                    list(&hotfix_items(h))
                ),
            ));
        }
    }

    if !facts.unread.is_empty() {
        reasons.push(reason(
            ReasonKind::Unread,
            format!(
                "{} could not be read, so nothing can be said about {} (see warnings)",
                plural(facts.unread.len(), "package", "packages"),
                if facts.unread.len() == 1 {
                    "it"
                } else {
                    "them"
                }
            ),
        ));
    }

    AuditReport {
        version: FORMAT_VERSION,
        verdict: if reasons.is_empty() {
            Verdict::Go
        } else {
            Verdict::NoGo
        },
        reasons,
        facts,
        policy: policy.clone(),
    }
}
