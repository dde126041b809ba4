//! pip requirements and constraints files: parsing as pip does, and the pinning rules.

pub mod install;
pub mod outline;
pub mod parse;
pub mod pinning;
pub mod pins;
pub mod requirement;
pub mod rules;

use crate::config::Settings;
use crate::diagnostic::{Finding, Interner};
use crate::registry::Rule;
use crate::source::FileRef;
use install::{collect_install, FileCache, Install};
use outline::OutlinedFile;
use parse::LineKind;
use pinning::pin_status;
use rules::conflicting_pins::Pins;
use rules::LineContext;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Lints the installs rooted at `roots`. A file read by several installs is reported
/// once per problem; a requirement counts as pinned by constraints only if every
/// install that reads it pins it.
pub fn lint_installs(roots: &[PathBuf], cache: &FileCache, settings: &Settings) -> Vec<Finding> {
    let mut unique: BTreeMap<(FileRef, usize, usize, Rule), Finding> = BTreeMap::new();
    let installs: Vec<Install> = roots
        .iter()
        .map(|root| collect_install(root, cache))
        .collect();
    let mut per_install: Vec<Vec<Finding>> = installs
        .iter()
        .map(|install| lint_install(install, settings))
        .collect();
    keep_unused_suppressions_unused_everywhere(&mut per_install, &installs);
    for found in per_install {
        for finding in found {
            let key = (
                finding.path.clone(),
                finding.span.start,
                finding.span.end,
                finding.code,
            );
            unique.entry(key).or_insert(finding);
        }
    }
    unique.into_values().collect()
}

/// Lints one requirements file as the root of an install (used for `pip install -r FILE`
/// found in a Dockerfile).
pub fn lint_install_from(root: &Path, settings: &Settings) -> Vec<Finding> {
    let cache = FileCache::new();
    lint_install(&collect_install(root, &cache), settings)
}

pub fn lint_install(install: &Install, settings: &Settings) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut conflicts = Vec::new();
    let mut pins = Pins::default();
    let mut interner = Interner::default();
    let mut verdicts = rules::Verdicts::default();
    // Per member: whether its template markup was reported (once per file, not per line).
    let mut template_reported = vec![false; install.members.len()];
    let mut line_findings = Vec::new();
    for (member_index, line) in install.lines() {
        let member = &install.members[member_index];
        let Some(file) = member.parsed() else {
            continue;
        };
        match &line.kind {
            LineKind::Invalid { error, span, .. } => {
                if is_template_line(file.source.line_text(line.line)) {
                    // A template is one problem, not one per `{% if %}` line: the file's
                    // lines come in order, so the first such line is the one reported.
                    if !std::mem::replace(&mut template_reported[member_index], true) {
                        line_findings.push(Finding::new(
                            Rule::SyntaxError,
                            &file.source,
                            *span,
                            "template markup (Jinja `{% %}` / `{{ }}`): pip cannot read this file until it is rendered; \
                             lines without markup are still linted",
                        ));
                    }
                } else {
                    // A line pip rejects may be anything (`-r /etc/shadow`): quote little of it.
                    line_findings.push(Finding::new(
                        Rule::SyntaxError,
                        &file.source,
                        *span,
                        crate::lint::bounded_message(&error.to_string()),
                    ));
                }
            }
            LineKind::Requirement(requirement) => {
                let parsed = &requirement.requirement;
                let pinned_by_constraint = match (&parsed.normalized_name, member.constraint) {
                    (Some(name), false) => install.constraint_pins.get(name).map(String::as_str),
                    _ => None,
                };
                let status = pin_status(parsed);
                let ctx = LineContext {
                    source: &file.source,
                    requirement,
                    status: &status,
                    is_constraint: member.constraint,
                    pinned_by_constraint,
                    install,
                    settings,
                };
                rules::check_line(&ctx, &mut verdicts, &mut line_findings);
                if let (Some(name), Some(version)) =
                    (&parsed.normalized_name, parsed.exact_version())
                {
                    pins.check(
                        &file.source,
                        name,
                        version,
                        parsed.marker.as_deref(),
                        requirement.span,
                        &mut conflicts,
                    );
                }
            }
            _ => {}
        }
        for mut finding in line_findings.drain(..) {
            interner.intern(&mut finding);
            findings.push(finding);
        }
    }
    findings.extend(install.include_findings.iter().cloned());
    findings.append(&mut conflicts);
    apply_suppressions(install, findings, settings)
}

/// Applies each file's suppression comments to its findings (see [`crate::suppress`]).
fn apply_suppressions(
    install: &Install,
    findings: Vec<Finding>,
    settings: &Settings,
) -> Vec<Finding> {
    let report_unused = crate::suppress::reports_unused(settings);
    // The files with suppression comments, first reading of each, in reading order; each
    // finding goes to its file's bucket in one pass (not one pass per file: an install
    // of 10,000 commented files would move every finding 10,000 times).
    let mut bucket_of: rustc_hash::FxHashMap<&str, usize> = rustc_hash::FxHashMap::default();
    let mut commented: Vec<(&OutlinedFile, Vec<Finding>)> = Vec::new();
    for file in install.members.iter().filter_map(|m| m.parsed()) {
        if file.directives.is_empty() || bucket_of.contains_key(&*file.source.display) {
            continue;
        }
        bucket_of.insert(&file.source.display, commented.len());
        commented.push((file, Vec::new()));
    }
    if commented.is_empty() {
        return findings;
    }
    let mut out = Vec::with_capacity(findings.len());
    let mut rest = Vec::new();
    for finding in findings {
        match bucket_of.get(&*finding.path) {
            Some(&index) => commented[index].1.push(finding),
            None => rest.push(finding),
        }
    }
    for (file, mine) in commented {
        out.extend(crate::suppress::apply(
            &file.directives,
            mine,
            &file.source,
            report_unused,
        ));
    }
    out.append(&mut rest);
    out
}

/// A suppression is unused (PD003) only if it is unused in every install that reads its file:
/// `common.txt` read by two installs may need its `ignore` for one of them only. `per_install`
/// holds the findings of `installs[i]` at index `i`.
pub fn keep_unused_suppressions_unused_everywhere(
    per_install: &mut [Vec<Finding>],
    installs: &[Install],
) {
    use std::collections::HashMap;
    let unused = |f: &Finding| f.code == crate::suppress::UNUSED;
    if !per_install.iter().flatten().any(unused) {
        return;
    }
    let mut readers: HashMap<std::sync::Arc<str>, usize> = HashMap::new();
    for install in installs {
        let mut paths: Vec<&std::sync::Arc<str>> = install
            .members
            .iter()
            .filter_map(|m| m.parsed())
            .map(|file| &file.source.display)
            .collect();
        paths.sort();
        paths.dedup();
        for path in paths {
            *readers.entry(path.clone()).or_default() += 1;
        }
    }
    let mut reported: HashMap<(FileRef, usize), usize> = HashMap::new();
    for finding in per_install.iter().flatten().filter(|f| unused(f)) {
        *reported
            .entry((finding.path.clone(), finding.span.start))
            .or_default() += 1;
    }
    for found in per_install.iter_mut() {
        found.retain(|f| {
            let readers = readers.get(&*f.path).copied().unwrap_or(1);
            let unused_in = reported
                .get(&(f.path.clone(), f.span.start))
                .copied()
                .unwrap_or(0);
            !unused(f) || unused_in >= readers
        });
    }
}

/// Jinja-style markup, as in cookiecutter templates.
fn is_template_line(text: &str) -> bool {
    text.contains("{%") || text.contains("{{") || text.contains("{#")
}
