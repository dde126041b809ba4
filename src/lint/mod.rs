//! The `check` job: lint every discovered file, in parallel, and settle levels.

pub mod dockerfile;
pub mod requirements;

use crate::config::Settings;
use crate::diagnostic::{Finding, Level};
use crate::discover::{Discovered, FileKind};
use crate::paths::{display_path, io_message, normalize_lexically};
use crate::source::SourceFile;
use requirements::install::{include_path, FileCache};
use requirements::parse::LineKind;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// What a check run found.
#[derive(Debug, Default)]
pub struct CheckOutcome {
    /// Sorted findings, levels settled, `off` removed.
    pub findings: Vec<Finding>,
    /// Files linted.
    pub files: usize,
    /// Files that could not be read (`path: reason`); they make the run exit 2.
    pub errors: Vec<String>,
}

/// Runs `work` over `items` on all cores.
fn parallel_for_each<T: Sync>(items: &[T], work: impl Fn(&T) + Sync) {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len().max(1));
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(index) else { break };
                work(item);
            });
        }
    });
}

pub fn check(discovered: &[Discovered], settings: &Settings) -> CheckOutcome {
    let cache = FileCache::new();
    // Requirements files the walker lints anyway: a Dockerfile's `pip install -r` need not
    // lint them a second time.
    let discovered_requirements: HashSet<PathBuf> = discovered
        .iter()
        .filter(|file| file.kind == FileKind::Requirements)
        .map(|file| {
            normalize_lexically(
                &std::path::absolute(&file.path).unwrap_or_else(|_| file.path.clone()),
            )
        })
        .collect();
    let findings = Mutex::new(Vec::new());
    let errors = Mutex::new(Vec::new());
    parallel_for_each(discovered, |file| match file.kind {
        FileKind::Requirements => {
            if let Err(message) = cache.load(&file.path).as_ref() {
                if let Ok(mut errors) = errors.lock() {
                    errors.push(format!("{}: {message}", display_path(&file.path)));
                }
            }
        }
        FileKind::Dockerfile => match std::fs::read(&file.path) {
            Ok(bytes) => {
                let source = SourceFile::from_bytes(&file.path, display_path(&file.path), bytes);
                let found = dockerfile::lint_dockerfile_cached(
                    &source,
                    settings,
                    Some(&cache),
                    Some(&discovered_requirements),
                );
                if let Ok(mut findings) = findings.lock() {
                    findings.extend(found);
                }
            }
            Err(err) => {
                if let Ok(mut errors) = errors.lock() {
                    errors.push(format!(
                        "{}: {}",
                        display_path(&file.path),
                        io_message(&err)
                    ));
                }
            }
        },
    });
    let mut findings = findings.into_inner().unwrap_or_default();
    let requirement_files: Vec<&Discovered> = discovered
        .iter()
        .filter(|file| file.kind == FileKind::Requirements)
        .collect();
    findings.extend(requirements::lint_installs(
        &install_roots(&requirement_files, &cache),
        &cache,
        settings,
    ));

    let mut findings: Vec<Finding> = findings
        .into_iter()
        .filter_map(|mut finding| {
            finding.level = settings.level_for(finding.code, finding.level);
            (finding.level != Level::Off).then_some(finding)
        })
        .collect();
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    // A requirements file reached from a Dockerfile's `pip install -r` is also linted on its
    // own when discovered: report each problem once.
    findings.dedup_by(|a, b| a.path == b.path && a.span == b.span && a.code == b.code);
    let mut errors = errors.into_inner().unwrap_or_default();
    errors.sort();
    CheckOutcome {
        findings,
        files: discovered.len(),
        errors,
    }
}

/// Requirements files that start an install: those named on the command line, and those
/// no other discovered file includes. Files only reachable through a cycle of includes
/// become roots too, so every file is linted.
fn install_roots(files: &[&Discovered], cache: &FileCache) -> Vec<PathBuf> {
    let key = |path: &std::path::Path| {
        normalize_lexically(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
    };
    let mut included = HashSet::new();
    for file in files {
        if let Ok(parsed) = cache.load(&file.path).as_ref() {
            for line in &parsed.lines {
                if let LineKind::Include { target, .. } = &line.kind {
                    included.insert(key(&include_path(&file.path, target)));
                }
            }
        }
    }
    let mut roots: Vec<PathBuf> = files
        .iter()
        .filter(|file| file.explicit || !included.contains(&key(&file.path)))
        .map(|file| file.path.clone())
        .collect();
    let mut covered: HashSet<PathBuf> = HashSet::new();
    for root in &roots {
        let install = requirements::install::collect_install(root, cache);
        covered.extend(install.included_paths.iter().map(|p| key(p)));
    }
    for file in files {
        if !covered.contains(&key(&file.path)) {
            let install = requirements::install::collect_install(&file.path, cache);
            covered.extend(install.included_paths.iter().map(|p| key(p)));
            roots.push(file.path.clone());
        }
    }
    roots
}
