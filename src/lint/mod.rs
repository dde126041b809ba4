//! The `check` job: lint every discovered file, in parallel, and settle levels.

pub mod compose;
pub mod dockerfile;
pub mod requirements;

use crate::config::Settings;
use crate::diagnostic::{Finding, Level};
use crate::discover::{Discovered, FileKind};
use crate::paths::display_path;
use crate::read::{read_regular, ReadError};
use crate::registry::Rule;
use crate::source::SourceFile;
use requirements::install::{include_path, FileCache, FileId, Install};
use rustc_hash::FxHashSet as HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// What a check run found.
#[derive(Debug, Default)]
pub struct CheckOutcome {
    /// Sorted findings, levels settled, `off` removed.
    pub findings: Vec<Finding>,
    /// Files read: found or named, and reached through includes or a Dockerfile's pip.
    pub files: usize,
    /// Files the findings are in.
    pub files_with_findings: usize,
    /// Files that could not be read (`path: reason`); they make the run exit 2.
    pub errors: Vec<String>,
}

/// Runs `work` over `items` on all cores.
pub fn parallel_for_each<T: Sync>(items: &[T], work: impl Fn(&T) + Sync) {
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

/// The Dockerfiles the Compose files among `discovered` build (canonical path → builds).
fn compose_builds(
    discovered: &[Discovered],
    settings: &Settings,
) -> std::collections::HashMap<PathBuf, Vec<compose::ComposeBuild>> {
    let mut out: std::collections::HashMap<PathBuf, Vec<compose::ComposeBuild>> =
        std::collections::HashMap::new();
    for file in discovered.iter().filter(|f| f.kind == FileKind::Compose) {
        let Ok(bytes) = read_regular(&file.path, settings.max_file_size) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let vars = compose::dotenv_for(&file.path, settings.max_file_size);
        let dir = file.path.parent().unwrap_or(std::path::Path::new("."));
        for b in compose::builds(&text, dir, &vars).unwrap_or_default() {
            let key = std::fs::canonicalize(&b.dockerfile).unwrap_or_else(|_| b.dockerfile.clone());
            out.entry(key).or_default().push(b);
        }
    }
    out
}

/// The Compose files that those among `discovered` reach through `include:` and
/// `extends.file` (transitively, each once), to be linted as Compose files whatever their
/// names; and PD002 for each reference that cannot be followed (missing, not a regular
/// file, outside the tree, an unset variable) or is remote (a note).
fn reached_compose_files(
    discovered: &[Discovered],
    settings: &Settings,
) -> (Vec<Discovered>, Vec<Finding>) {
    let canonical =
        |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let mut seen: HashSet<PathBuf> = discovered.iter().map(|f| canonical(&f.path)).collect();
    let mut queue: Vec<PathBuf> = discovered
        .iter()
        .filter(|f| f.kind == FileKind::Compose)
        .map(|f| f.path.clone())
        .collect();
    let mut reached = Vec::new();
    let mut findings = Vec::new();
    while let Some(path) = queue.pop() {
        // A file that cannot be read or parsed is reported when it is linted.
        let Ok(bytes) = read_regular(&path, settings.max_file_size) else {
            continue;
        };
        let source = SourceFile::from_bytes(&path, display_path(&path), bytes);
        let vars = compose::dotenv_for(&path, settings.max_file_size);
        let dir = path.parent().unwrap_or(std::path::Path::new("."));
        let Ok(references) = compose::references(&source.text, dir, &vars) else {
            continue;
        };
        for reference in references {
            let what = format!("{} `{}`", reference.kind.key(), excerpt(&reference.written));
            let problem = match &reference.path {
                _ if reference.remote => {
                    let mut note = Finding::new(
                        Rule::IncludeError,
                        &source,
                        reference.span,
                        format!("{what} is remote: not read, so its services are not judged"),
                    );
                    note.level = Level::Note;
                    findings.push(note);
                    continue;
                }
                None => format!("{what} has an unset variable: the file it names is not read"),
                Some(target) if !settings.trees.contains(target) => format!(
                    "{what} is outside the tree pindrift reads ({}): not read; \
                     pass --allow-outside (or `allow-outside = true`) to read it",
                    settings.trees.describe()
                ),
                Some(target) => match std::fs::metadata(target) {
                    Err(err) => format!("{what}: {}", crate::paths::io_message(&err)),
                    Ok(_) => match crate::read::not_regular(target) {
                        Some(kind) => format!("{what}: {kind}, not a regular file: not opened"),
                        None => {
                            if seen.insert(canonical(target)) {
                                reached.push(Discovered {
                                    path: target.clone(),
                                    kind: FileKind::Compose,
                                    explicit: false,
                                });
                                queue.push(target.clone());
                            }
                            continue;
                        }
                    },
                },
            };
            findings.push(Finding::new(
                Rule::IncludeError,
                &source,
                reference.span,
                problem,
            ));
        }
    }
    (reached, findings)
}

pub fn check(discovered: &[Discovered], settings: &Settings) -> CheckOutcome {
    let cache =
        FileCache::within(settings.trees.clone()).with_max_file_size(settings.max_file_size);
    let findings = Mutex::new(Vec::new());
    let errors = Mutex::new(Vec::new());
    // Requirements files a Dockerfile's `pip install -r`/`-c` reads: linted there, as that
    // install (with its command-line constraints), and not as installs of their own.
    let installed_by_dockerfiles = Mutex::new(Vec::new());
    // A link found by the walk that leads out of the tree: not read, and said so.
    let (discovered, outside): (Vec<Discovered>, Vec<Discovered>) = discovered
        .iter()
        .cloned()
        .partition(|file| file.explicit || !leads_outside(&file.path, settings));
    if let Ok(mut errors) = errors.lock() {
        errors.extend(outside.iter().map(|file| {
            format!(
                "{}: a symlink to a file outside the tree ({}): not read; pass --allow-outside to read it",
                display_path(&file.path),
                settings.trees.describe()
            )
        }));
    }
    // Compose files reached through `include:` and `extends.file` are linted like the rest.
    let mut discovered = discovered;
    let (reached, reference_findings) = reached_compose_files(&discovered, settings);
    discovered.extend(reached);
    if let Ok(mut findings) = findings.lock() {
        findings.extend(reference_findings);
    }
    let discovered = &discovered[..];
    let compose_builds = compose_builds(discovered, settings);
    parallel_for_each(discovered, |file| match file.kind {
        FileKind::Requirements => {
            // Past the size cap is a finding (PD005), made when the install reads it.
            if let Err(message) = cache.load(&file.path).as_ref() {
                if matches!(message, ReadError::TooLarge { .. }) {
                    return;
                }
                if let Ok(mut errors) = errors.lock() {
                    errors.push(format!("{}: {message}", display_path(&file.path)));
                }
            }
        }
        FileKind::Compose => match read_regular(&file.path, settings.max_file_size) {
            Ok(bytes) => {
                let source = SourceFile::from_bytes(&file.path, display_path(&file.path), bytes);
                match compose::lint_compose(&source, settings) {
                    Ok(found) => {
                        if let Ok(mut findings) = findings.lock() {
                            findings.extend(found);
                        }
                    }
                    Err(message) => {
                        if let Ok(mut errors) = errors.lock() {
                            errors.push(format!("{}: {message}", display_path(&file.path)));
                        }
                    }
                }
            }
            Err(ReadError::TooLarge { limit }) => {
                if let Ok(mut findings) = findings.lock() {
                    findings.push(requirements::install::too_large(&file.path, limit));
                }
            }
            Err(err) => {
                if let Ok(mut errors) = errors.lock() {
                    errors.push(format!("{}: {err}", display_path(&file.path)));
                }
            }
        },
        FileKind::Dockerfile => match read_regular(&file.path, settings.max_file_size) {
            Ok(bytes) => {
                let source = SourceFile::from_bytes(&file.path, display_path(&file.path), bytes);
                // A Dockerfile a Compose service builds is linted as Compose builds it: with
                // its context and args (`--build-arg` still wins), once per such service.
                let key = std::fs::canonicalize(&file.path).unwrap_or_else(|_| file.path.clone());
                let as_built: Vec<Settings> = compose_builds
                    .get(&key)
                    .map(|builds| {
                        builds
                            .iter()
                            .map(|b| {
                                let mut s = settings.clone();
                                s.build_args = b.args.clone();
                                s.build_args.extend(settings.build_args.iter().cloned());
                                if settings.context.is_none() {
                                    s.context = Some(b.context.clone());
                                }
                                s
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let runs: Vec<&Settings> = if as_built.is_empty() {
                    vec![settings]
                } else {
                    as_built.iter().collect()
                };
                for run in runs {
                    let outcome = dockerfile::lint_dockerfile_cached(&source, run, Some(&cache));
                    if let Ok(mut findings) = findings.lock() {
                        findings.extend(outcome.findings);
                    }
                    if let Ok(mut installed) = installed_by_dockerfiles.lock() {
                        installed.extend(outcome.installed);
                    }
                }
            }
            Err(ReadError::TooLarge { limit }) => {
                if let Ok(mut findings) = findings.lock() {
                    findings.push(requirements::install::too_large(&file.path, limit));
                }
            }
            Err(err) => {
                if let Ok(mut errors) = errors.lock() {
                    errors.push(format!("{}: {err}", display_path(&file.path)));
                }
            }
        },
    });
    let installed_by_dockerfiles: HashSet<PathBuf> = installed_by_dockerfiles
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let mut findings: Vec<Finding> = findings
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|finding| settle_level(finding, settings))
        .collect();
    let requirement_files: Vec<&Discovered> = discovered
        .iter()
        .filter(|file| file.kind == FileKind::Requirements)
        .collect();
    let installs = install_roots(&requirement_files, &cache, &installed_by_dockerfiles);
    let mut requirement_findings = lint_requirement_installs(&installs, settings);
    // The parsed files are no longer needed: free them before sorting (peak memory).
    drop(installs);
    let mut read: HashSet<FileId> = cache.files_read().into_iter().collect();
    drop(cache);
    read.extend(
        discovered
            .iter()
            .filter(|file| matches!(file.kind, FileKind::Dockerfile | FileKind::Compose))
            .map(|file| FileId::of(&file.path)),
    );
    requirement_findings.append(&mut findings);
    let mut findings = requirement_findings;
    // Unstable: equal keys are duplicates that dedup removes; no scratch buffer needed.
    findings.sort_unstable_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    // A requirements file read by two installs (two Dockerfiles, or a Dockerfile and a
    // requirements file that includes it) is reported once per problem. One word that
    // stands for several packages (`$PKGS`, the `"$p"` of `for p in a b`) keeps one finding
    // per package: their messages differ.
    findings.dedup_by(|a, b| {
        a.path == b.path && a.span == b.span && a.code == b.code && a.message == b.message
    });
    // Sorted by path: a file's findings are in a row (counted without a list of paths).
    let files_with_findings = findings
        .iter()
        .enumerate()
        .filter(|(index, f)| *index == 0 || findings[index - 1].path != f.path)
        .count();
    let mut errors = errors.into_inner().unwrap_or_default();
    errors.sort();
    CheckOutcome {
        findings,
        files: read.len(),
        files_with_findings,
        errors,
    }
}

/// The finding with its configured level, or None when that level is `off`.
fn settle_level(mut finding: Finding, settings: &Settings) -> Option<Finding> {
    finding.level = settings.level_for(finding.code, finding.level);
    (finding.level != Level::Off).then_some(finding)
}

/// At most this many characters of file content are echoed in a message.
const EXCERPT_CHARS: usize = 60;

/// A short, escaped excerpt of text read from a file, for messages: control characters
/// are escaped and anything past [`EXCERPT_CHARS`] is cut (`…`), so a message never
/// carries a file's raw content of arbitrary length (`-r /etc/shadow` in CI logs).
pub fn excerpt(text: &str) -> String {
    escaped_prefix(text, EXCERPT_CHARS)
}

/// A message that may quote file content, bounded: control characters escaped and at most
/// a few excerpts' worth of characters kept.
pub fn bounded_message(message: &str) -> String {
    escaped_prefix(message, 4 * EXCERPT_CHARS)
}

/// The first `limit` characters of `text` (then `…`), control characters escaped.
fn escaped_prefix(text: &str, limit: usize) -> String {
    let mut out = String::new();
    for (index, c) in text.chars().enumerate() {
        if index == limit {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Lints every install, in parallel. A file read by several installs is reported once
/// per problem (the first install's finding is kept, as `requirements::lint_installs`
/// does); `off` findings are dropped as soon as they are made, to keep memory low.
fn lint_requirement_installs(installs: &[Install], settings: &Settings) -> Vec<Finding> {
    let indexed: Vec<(usize, &Install)> = installs.iter().enumerate().collect();
    let per_install = Mutex::new(Vec::with_capacity(installs.len()));
    parallel_for_each(&indexed, |&(index, install)| {
        let mut found: Vec<Finding> = requirements::lint_install(install, settings)
            .into_iter()
            .filter_map(|finding| settle_level(finding, settings))
            .collect();
        // The vector grew by doubling: give the slack back (up to half of it is unused).
        found.shrink_to_fit();
        if let Ok(mut per_install) = per_install.lock() {
            per_install.push((index, found));
        }
    });
    let mut per_install = per_install.into_inner().unwrap_or_default();
    per_install.sort_by_key(|(index, _)| *index);
    let mut found: Vec<Vec<Finding>> = per_install.into_iter().map(|(_, f)| f).collect();
    requirements::keep_unused_suppressions_unused_everywhere(&mut found, installs);
    if let [install] = installs {
        // One install whose files are each read once: nothing to de-duplicate, and no set
        // of every finding's key (64 bytes each: 200 MB for a file with 3,000,000 findings).
        let mut displays = HashSet::default();
        if install
            .members
            .iter()
            .filter_map(|m| m.parsed())
            .all(|file| displays.insert(&*file.source.display))
        {
            return found.pop().unwrap_or_default();
        }
    }
    let per_install: Vec<(usize, Vec<Finding>)> = found.into_iter().enumerate().collect();
    // Keep the first finding per (path, span, code), in install order. Marking first and
    // moving after avoids copying paths and the scratch memory of a stable sort.
    let mut seen = HashSet::default();
    let keep: Vec<Vec<bool>> = per_install
        .iter()
        .map(|(_, found)| {
            found
                .iter()
                .map(|f| seen.insert((&*f.path, f.span.start, f.span.end, f.code)))
                .collect()
        })
        .collect();
    drop(seen);
    let kept = keep.iter().flatten().filter(|k| **k).count();
    let mut findings = Vec::with_capacity(kept);
    for ((_, found), keep) in per_install.into_iter().zip(keep) {
        findings.extend(
            found
                .into_iter()
                .zip(keep)
                .filter_map(|(finding, keep)| keep.then_some(finding)),
        );
    }
    findings
}

/// The installs to lint, each collected once: one per requirements file that starts an
/// install, i.e. those named on the command line and those no other discovered file
/// includes. Files only reachable through a cycle of includes start installs too, so
/// every file is linted.
pub fn install_roots(
    files: &[&Discovered],
    cache: &FileCache,
    installed_by_dockerfiles: &HashSet<PathBuf>,
) -> Vec<Install> {
    let key = |path: &std::path::Path| crate::paths::absolute(path);
    let mut included = installed_by_dockerfiles.clone();
    for file in files {
        if let Ok(parsed) = cache.load(&file.path).as_ref() {
            for include in &parsed.outline.includes {
                included.insert(key(&include_path(&file.path, &include.target)));
            }
        }
    }
    // A found `constraints*.txt` that nothing reads is read as pip reads such a file, with
    // `-c`: its caps (`Django<6.0`) constrain, they are not installs. Named on the command
    // line, a file is an install root whatever its name.
    let roots: Vec<(PathBuf, bool)> = files
        .iter()
        .filter(|file| file.explicit || !included.contains(&key(&file.path)))
        .map(|file| {
            (
                file.path.clone(),
                !file.explicit && is_constraints_name(&file.path),
            )
        })
        .collect();
    let collected = Mutex::new(Vec::with_capacity(roots.len()));
    let indexed: Vec<(usize, &(PathBuf, bool))> = roots.iter().enumerate().collect();
    parallel_for_each(&indexed, |&(index, (root, constraint))| {
        let install = if *constraint {
            requirements::install::collect_install_of(&[], std::slice::from_ref(root), cache)
        } else {
            requirements::install::collect_install(root, cache)
        };
        if let Ok(mut collected) = collected.lock() {
            collected.push((index, install));
        }
    });
    let mut collected = collected.into_inner().unwrap_or_default();
    collected.sort_by_key(|(index, _)| *index);
    let mut installs: Vec<Install> = collected.into_iter().map(|(_, install)| install).collect();
    let mut covered: HashSet<PathBuf> = installs
        .iter()
        .flat_map(|install| install.included_paths.iter().map(|p| key(p)))
        .collect();
    covered.extend(installed_by_dockerfiles.iter().cloned());
    for file in files {
        if !covered.contains(&key(&file.path)) {
            let install = if !file.explicit && is_constraints_name(&file.path) {
                requirements::install::collect_install_of(
                    &[],
                    std::slice::from_ref(&file.path),
                    cache,
                )
            } else {
                requirements::install::collect_install(&file.path, cache)
            };
            covered.extend(install.included_paths.iter().map(|p| key(p)));
            installs.push(install);
        }
    }
    installs
}

/// `constraints*.txt`: by convention read with `pip install -c`.
fn is_constraints_name(path: &std::path::Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.to_ascii_lowercase().starts_with("constraints"))
}

/// A symlink whose target is outside the trees pindrift may read.
pub fn leads_outside(path: &std::path::Path, settings: &Settings) -> bool {
    !settings.trees.roots().is_empty()
        && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
        && !settings.trees.contains(path)
}
