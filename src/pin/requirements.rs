//! The plan for requirements files: every file an install reads through `-r` (found the way
//! `check` finds them, with its tree rules), `-c` constraints files only with
//! `--constraints`. Each file is planned once, whichever installs read it.

use super::facts::Facts;
use super::plan::{Change, FilePlan, LeftReason, PinOptions};
use super::requirement::pin_requirement_why;
use crate::config::Settings;
use crate::discover::{Discovered, FileKind};
use crate::lint::requirements::install::{FileCache, FileId, Install};
use crate::lint::requirements::outline::OutlinedFile;
use crate::lint::requirements::parse::{LineKind, RequirementsFile};
use crate::paths::{absolute, display_path};
use crate::read::ReadError;
use crate::span::Span;
use rustc_hash::FxHashSet as HashSet;
use std::path::PathBuf;
use std::sync::Arc;

/// Plans of the requirements files, notes (files not read, in words) and errors (files that
/// could not be read: exit 2).
#[derive(Debug, Default)]
pub struct RequirementsPlans {
    pub plans: Vec<FilePlan>,
    /// The installs' root files (absolute), in the order found: where `--lock` adds `-c`.
    pub roots: Vec<PathBuf>,
    pub notes: Vec<String>,
    pub errors: Vec<String>,
}

/// Plans every requirements file among `discovered` and what they include.
pub fn plan_requirements(
    discovered: &[Discovered],
    cache: &FileCache,
    settings: &Settings,
    facts: &Facts,
    options: &PinOptions,
) -> RequirementsPlans {
    let mut out = RequirementsPlans::default();
    let files: Vec<&Discovered> = discovered
        .iter()
        .filter(|file| file.kind == FileKind::Requirements)
        .collect();
    for file in &files {
        match cache.load(&file.path).as_ref() {
            Ok(_) => {}
            Err(ReadError::TooLarge { limit }) => out.notes.push(format!(
                "{}: larger than the {} limit: not read, not pinned",
                display_path(&file.path),
                crate::read::human_size(*limit)
            )),
            Err(err) => out
                .errors
                .push(format!("{}: {err}", display_path(&file.path))),
        }
    }
    let installs = crate::lint::install_roots(&files, cache, &Default::default());
    // By identity: a symlink and its target are one file, planned (and written) once.
    let mut planned: HashSet<FileId> = HashSet::default();
    // Each file once: as requirements when some install reads it with `-r` (those come
    // first), else as constraints (with --constraints only).
    // Planned files are parsed whole (the cache holds outlines): pin rewrites small files.
    let mut work: Vec<(RequirementsFile, Option<&Install>)> = Vec::new();
    let mut constraint_only: Vec<&OutlinedFile> = Vec::new();
    for install in &installs {
        if !install.members.first().is_some_and(|m| m.constraint) {
            out.roots.push(absolute(&install.root));
        }
        for finding in &install.include_findings {
            if finding.code == crate::registry::Rule::IncludeError {
                out.notes.push(format!(
                    "{}:{}: {}",
                    finding.path, finding.line, finding.message
                ));
            }
        }
        for member in &install.members {
            let Some(file) = member.parsed() else {
                continue;
            };
            if member.constraint {
                constraint_only.push(file);
            } else if planned.insert(FileId::of(&file.source.path)) {
                work.push((file.to_parsed(), Some(install)));
            }
        }
    }
    if options.constraints {
        for file in constraint_only {
            if planned.insert(FileId::of(&file.source.path)) {
                work.push((file.to_parsed(), None));
            }
        }
    }
    // Planning parses every requirement again to verify its rewrite: on all cores.
    let indexed: Vec<(usize, &(RequirementsFile, Option<&Install>))> =
        work.iter().enumerate().collect();
    let plans = std::sync::Mutex::new(Vec::with_capacity(work.len()));
    crate::lint::parallel_for_each(&indexed, |&(index, (file, install))| {
        let plan = plan_file(file, *install, settings, facts, options);
        if let Ok(mut plans) = plans.lock() {
            plans.push((index, plan));
        }
    });
    let mut plans = plans.into_inner().unwrap_or_default();
    plans.sort_by_key(|(index, _)| *index);
    out.plans = plans.into_iter().map(|(_, plan)| plan).collect();
    out.notes.sort();
    out.notes.dedup();
    out
}

/// The plan of one parsed file. `install` is the install that reads it as requirements
/// (`None`: read as constraints).
pub fn plan_file(
    file: &RequirementsFile,
    install: Option<&Install>,
    settings: &Settings,
    facts: &Facts,
    options: &PinOptions,
) -> FilePlan {
    let source = Arc::new(file.source.clone());
    let mut plan = FilePlan::new(file.source.path.clone(), source.clone());
    if source.lossy {
        // Invalid bytes were decoded as U+FFFD: writing the text back would change them.
        plan.leave(Span::at(0), &*source.display, LeftReason::NotUtf8);
        return plan;
    }
    for line in &file.lines {
        let LineKind::Requirement(requirement) = &line.kind else {
            continue;
        };
        let parsed = &requirement.requirement;
        let subject = requirement.text.as_str();
        let pinned = match pin_requirement_why(&requirement.text, parsed, facts, options) {
            Ok(None) => continue,
            Ok(Some(pinned)) => pinned,
            Err(why) => {
                plan.leave(requirement.span, subject, why);
                continue;
            }
        };
        let constraint_pin = match (install, &parsed.normalized_name) {
            (Some(install), Some(name)) => install.constraint_pins.get(name),
            _ => None,
        };
        let floating = parsed
            .name
            .as_deref()
            .is_some_and(|name| settings.allows_floating(name));
        let why = if floating {
            Some(LeftReason::Exempt(
                "allowed to float by configuration (allow-unpinned)".into(),
            ))
        } else if let Some(version) = constraint_pin {
            Some(LeftReason::Exempt(format!(
                "pinned to {version} by a constraints file"
            )))
        } else if !requirement.hashes.is_empty() {
            Some(LeftReason::Hashed)
        } else if !requirement.verbatim {
            Some(LeftReason::NotVerbatim)
        } else {
            None
        };
        match why {
            Some(why) => plan.leave(requirement.span, subject, why),
            None => plan.changes.push(Change::new(
                &source,
                requirement.span,
                pinned.text,
                pinned.rule,
                pinned.reason,
            )),
        }
    }
    plan
}
