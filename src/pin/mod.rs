//! `pindrift pin`: rewrite requirements files and Dockerfiles in place to what a known-good
//! source (container, image, freeze file, requirements file) runs.
//!
//! Planning reads files and the source's [`facts::Facts`] and makes [`plan::FilePlan`]s of
//! byte-exact edits ([`requirements`] for requirements files and their includes, the
//! Dockerfile side next to it); [`write`] is the only place that changes files, and every
//! rewritten file is read again by the lint ([`verify`]).

pub mod compose;
pub mod dockerfile;
pub mod facts;
pub mod lock;
pub mod plan;
pub mod report;
pub mod requirement;
pub mod requirements;
pub mod write;

use crate::config::Settings;
use crate::discover::{Discovered, FileKind};
use crate::lint::requirements::install::FileCache;
use crate::paths::{absolute, display_path};
use facts::Facts;
use lock::LockFile;
use plan::{FilePlan, PinOptions};
use std::path::PathBuf;

/// What the user wants done with the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Rewrite the files (the default).
    Write,
    /// Write nothing; exit 1 when anything would change or cannot be resolved.
    Check,
    /// Write nothing; print a unified diff.
    Diff,
}

/// One `pin` run, resolved.
pub struct PinRequest<'a> {
    /// Files found as `check` finds them.
    pub discovered: &'a [Discovered],
    pub settings: &'a Settings,
    pub options: &'a PinOptions,
    /// `--lock FILE`.
    pub lock: Option<PathBuf>,
}

/// The plan of a run: per file, and the lock file.
#[derive(Debug)]
pub struct PinOutcome {
    /// The source as given (`container:web`).
    pub source: String,
    /// One per file read, in the order found (files with nothing to do included).
    pub plans: Vec<FilePlan>,
    pub lock: Option<LockFile>,
    /// Things not read or not done that are not errors (an include outside the tree).
    pub notes: Vec<String>,
    /// Files that could not be read or written: exit 2.
    pub errors: Vec<String>,
}

impl PinOutcome {
    /// Anything to write?
    pub fn pending(&self) -> bool {
        self.plans.iter().any(|p| !p.changes.is_empty())
            || self.lock.as_ref().is_some_and(|l| !l.unchanged())
    }

    pub fn unresolved(&self) -> usize {
        self.plans.iter().map(FilePlan::unresolved).sum()
    }
}

/// Plans the run: reads every file, writes nothing.
pub fn plan(request: &PinRequest, facts: &Facts) -> PinOutcome {
    let settings = request.settings;
    let mut errors = Vec::new();
    // A link found by the walk that leads out of the tree is not read, as `check` does.
    let (discovered, outside): (Vec<Discovered>, Vec<Discovered>) = request
        .discovered
        .iter()
        .filter(|file| {
            request
                .lock
                .as_ref()
                .is_none_or(|lock| absolute(&file.path) != absolute(lock))
        })
        .cloned()
        .partition(|file| file.explicit || !crate::lint::leads_outside(&file.path, settings));
    errors.extend(outside.iter().map(|file| {
        format!(
            "{}: a symlink to a file outside the tree ({}): not read; pass --allow-outside to read it",
            display_path(&file.path),
            settings.trees.describe()
        )
    }));
    let cache =
        FileCache::within(settings.trees.clone()).with_max_file_size(settings.max_file_size);
    let mut planned =
        requirements::plan_requirements(&discovered, &cache, settings, facts, request.options);
    errors.append(&mut planned.errors);
    let mut notes = planned.notes;
    let dockerfiles: Vec<&Discovered> = discovered
        .iter()
        .filter(|file| file.kind == FileKind::Dockerfile)
        .collect();
    let (docker_plans, mut docker_errors) =
        dockerfile::plan_dockerfiles(&dockerfiles, settings, facts, request.options);
    errors.append(&mut docker_errors);
    let compose_files: Vec<&Discovered> = discovered
        .iter()
        .filter(|file| file.kind == FileKind::Compose)
        .collect();
    let (compose_plans, mut compose_errors) =
        compose::plan_compose_files(&compose_files, settings, request.options);
    errors.append(&mut compose_errors);
    let mut plans = planned.plans;
    plans.extend(docker_plans);
    plans.extend(compose_plans);
    let lock = request.lock.as_ref().map(|path| {
        let (content, packages, skipped) = lock::lock_content(facts, &lock::today());
        let lock = LockFile {
            path: path.clone(),
            content,
            existing: std::fs::read(path).ok(),
            packages,
            skipped,
        };
        if lock.foreign() {
            errors.push(format!(
                "{}: exists and was not written by `pindrift pin --lock`: not overwritten (name another file)",
                display_path(path)
            ));
            return lock;
        }
        for root in &planned.roots {
            if *root == absolute(path) {
                continue;
            }
            let Some(plan) = plans.iter_mut().find(|p| absolute(&p.path) == *root) else {
                continue;
            };
            if plan.source.lossy {
                notes.push(format!(
                    "{}: not valid UTF-8: `-c {}` not added",
                    plan.source.display,
                    display_path(path)
                ));
                continue;
            }
            let lines: Vec<_> = match cache.load(&plan.path).as_ref() {
                Ok(file) => file.lines().map(|l| l.kind).collect(),
                Err(_) => continue,
            };
            if let Some(change) = lock::include_change(plan, &lines, path) {
                plan.changes.push(change);
            }
        }
        lock
    });
    PinOutcome {
        source: request.options.source.clone(),
        plans,
        lock,
        notes,
        errors,
    }
}

/// Writes the plan: the lock file first (so the `-c` line never names a missing file), then
/// every changed file atomically, then reads the rewritten files again with the lint.
/// Returns the errors (each names its file); files that could be written are written.
pub fn write(outcome: &PinOutcome, settings: &Settings) -> Vec<String> {
    let mut errors = Vec::new();
    if let Some(lock) = &outcome.lock {
        if !lock.unchanged() {
            if let Err(err) = write::write_new_or_replace(
                &lock.path,
                lock.existing.as_deref(),
                lock.content.as_bytes(),
            ) {
                // Without the lock file, the `-c` lines would name nothing: stop here.
                errors.push(err.to_string());
                return errors;
            }
        }
    }
    let mut written = Vec::new();
    for plan in outcome.plans.iter().filter(|p| !p.changes.is_empty()) {
        let result = plan
            .new_bytes()
            .map_err(|err| format!("{}: {err}: not written", plan.source.display))
            .and_then(|new| {
                let expected = plan
                    .source
                    .encode(&plan.source.text)
                    .map_err(|err| format!("{}: {err}: not written", plan.source.display))?;
                write::write_atomic(&plan.path, &expected, &new).map_err(|err| err.to_string())
            });
        match result {
            Ok(()) => written.push(plan),
            Err(message) => errors.push(message),
        }
    }
    errors.extend(verify(&written, settings));
    errors
}

/// Reads the rewritten requirements files again with the lint: no pinned line may still be
/// unpinned (PD101), loose (PD102) or on a branch (PD103).
pub fn verify(written: &[&FilePlan], settings: &Settings) -> Vec<String> {
    use crate::registry::Rule;
    let dockerfiles: Vec<&FilePlan> = written
        .iter()
        .copied()
        .filter(|plan| plan.kind != Some(FileKind::Compose))
        .filter(|plan| crate::discover::classify(&plan.path) == Some(FileKind::Dockerfile))
        .collect();
    let mut dockerfile_errors = dockerfile::verify_written(&dockerfiles, settings);
    let is_compose = |plan: &FilePlan| plan.kind == Some(FileKind::Compose);
    let composes: Vec<&FilePlan> = written.iter().copied().filter(|p| is_compose(p)).collect();
    dockerfile_errors.extend(compose::verify_written(&composes, settings));
    let discovered: Vec<Discovered> = written
        .iter()
        .filter(|plan| crate::discover::classify(&plan.path) != Some(FileKind::Dockerfile))
        .filter(|plan| !is_compose(plan))
        .map(|plan| Discovered {
            path: plan.path.clone(),
            kind: FileKind::Requirements,
            explicit: true,
        })
        .collect();
    if discovered.is_empty() {
        return dockerfile_errors;
    }
    let outcome = crate::lint::check(&discovered, settings);
    let mut errors = Vec::new();
    errors.append(&mut dockerfile_errors);
    for finding in &outcome.findings {
        if !matches!(
            finding.code,
            Rule::UnpinnedRequirement | Rule::LooseSpecifier | Rule::VcsRefNotCommit
        ) {
            continue;
        }
        let pinned_here = written.iter().any(|plan| {
            *plan.source.display == *finding.path
                && plan
                    .changes
                    .iter()
                    .any(|c| c.rule.is_some() && c.line == finding.line)
        });
        if pinned_here {
            errors.push(format!(
                "{}:{}: still {} after pin: {}",
                finding.path,
                finding.line,
                finding.code.code(),
                finding.message
            ));
        }
    }
    errors
}
