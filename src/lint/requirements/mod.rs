//! pip requirements and constraints files: parsing as pip does, and the pinning rules.

pub mod install;
pub mod parse;
pub mod pinning;
pub mod pins;
pub mod requirement;
pub mod rules;

use crate::config::Settings;
use crate::diagnostic::Finding;
use install::{collect_install, FileCache, Install};
use parse::{Line, LineKind, RequirementsFile};
use pinning::pin_status;
use rules::conflicting_pins::PinSite;
use rules::LineContext;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Lints the installs rooted at `roots`. A file read by several installs is reported
/// once per problem; a requirement counts as pinned by constraints only if every
/// install that reads it pins it.
pub fn lint_installs(roots: &[PathBuf], cache: &FileCache, settings: &Settings) -> Vec<Finding> {
    let mut unique: BTreeMap<(std::sync::Arc<str>, usize, usize, &'static str), Finding> =
        BTreeMap::new();
    for root in roots {
        let install = collect_install(root, cache);
        for finding in lint_install(&install, settings) {
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

fn suppressed(line: &Line, code: &str) -> bool {
    line.suppression.as_ref().is_some_and(|s| s.covers(code))
}

fn line_at(file: &RequirementsFile, offset: usize) -> Option<&Line> {
    file.lines
        .iter()
        .find(|line| line.span.start <= offset && offset <= line.span.end.max(line.span.start))
}

pub fn lint_install(install: &Install, settings: &Settings) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut pins = Vec::new();
    for &(member_index, line_index) in &install.reading_order {
        let member = &install.members[member_index];
        let Some(file) = member.parsed() else {
            continue;
        };
        let line = &file.lines[line_index];
        {
            let mut line_findings = Vec::new();
            match &line.kind {
                LineKind::Invalid { message, span } => match template_markup(file) {
                    // A template is one problem, not one per `{% if %}` line.
                    Some(first) if is_template_line(file.source.line_text(line.line)) => {
                        if first == line.line {
                            line_findings.push(Finding::new(
                                "PD001",
                                &file.source,
                                *span,
                                "template markup (Jinja `{% %}` / `{{ }}`): pip cannot read this file until it is rendered; \
                                 lines without markup are still linted",
                            ));
                        }
                    }
                    // A line pip rejects may be anything (`-r /etc/shadow`): quote little of it.
                    _ => line_findings.push(Finding::new(
                        "PD001",
                        &file.source,
                        *span,
                        crate::lint::bounded_message(message),
                    )),
                },
                LineKind::Requirement(requirement) => {
                    let parsed = &requirement.requirement;
                    let pinned_by_constraint = match (&parsed.normalized_name, member.constraint) {
                        (Some(name), false) => {
                            install.constraint_pins.get(name).map(String::as_str)
                        }
                        _ => None,
                    };
                    let status = pin_status(parsed);
                    let ctx = LineContext {
                        file,
                        requirement,
                        status: &status,
                        is_constraint: member.constraint,
                        pinned_by_constraint,
                        install,
                        settings,
                    };
                    rules::check_line(&ctx, &mut line_findings);
                    if let (Some(name), Some(version)) =
                        (&parsed.normalized_name, parsed.exact_version())
                    {
                        pins.push(PinSite {
                            file,
                            normalized_name: name,
                            version,
                            marker: parsed.marker.as_deref(),
                            span: requirement.span,
                        });
                    }
                }
                _ => {}
            }
            findings.extend(
                line_findings
                    .into_iter()
                    .filter(|f| !suppressed(line, f.code)),
            );
        }
    }
    let mut install_findings = install.include_findings.clone();
    rules::conflicting_pins::check(&pins, &mut install_findings);
    for finding in install_findings {
        let file = install
            .members
            .iter()
            .filter_map(|m| m.parsed())
            .find(|file| file.source.display == finding.path);
        let is_suppressed = file
            .and_then(|file| line_at(file, finding.span.start))
            .is_some_and(|line| suppressed(line, finding.code));
        if !is_suppressed {
            findings.push(finding);
        }
    }
    findings
}

/// Jinja-style markup, as in cookiecutter templates.
fn is_template_line(text: &str) -> bool {
    text.contains("{%") || text.contains("{{") || text.contains("{#")
}

/// The first line pip would reject because of template markup, if any.
fn template_markup(file: &RequirementsFile) -> Option<u32> {
    file.lines
        .iter()
        .filter(|line| matches!(line.kind, LineKind::Invalid { .. }))
        .map(|line| line.line)
        .find(|&number| is_template_line(file.source.line_text(number)))
}
