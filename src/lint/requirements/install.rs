//! The files one `pip install -r ROOT` reads: the root, its `-r` includes and its `-c`
//! constraints, recursively, each read once, with cycles reported instead of followed.

use super::parse::{parse_requirements, LineKind, RequirementsFile};
use crate::diagnostic::{Finding, Span};
use crate::fix::FixAvailability;
use crate::paths::{display_path, Trees};
use crate::registry::Rule;
use crate::source::SourceFile;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Parsed files by path, shared across installs and threads so each file is read once.
#[derive(Default)]
pub struct FileCache {
    files: Mutex<HashMap<PathBuf, Arc<Result<RequirementsFile, String>>>>,
    /// File identities (for cycle detection), resolved once per path.
    identities: Mutex<HashMap<PathBuf, FileId>>,
    /// Where includes may lead; an include outside is reported, never opened.
    trees: Trees,
}

/// What makes two paths the same file: device and inode where the platform has them (one
/// `stat`, symlinks followed), else the canonical path; a path that cannot be resolved is
/// its own identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FileId {
    Inode(u64, u64),
    Path(PathBuf),
}

impl FileId {
    fn of(path: &Path) -> FileId {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            if let Ok(metadata) = std::fs::metadata(path) {
                return FileId::Inode(metadata.dev(), metadata.ino());
            }
        }
        FileId::Path(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
    }
}

impl FileCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// A cache whose includes may only lead inside `trees`.
    pub fn within(trees: Trees) -> Self {
        Self {
            trees,
            ..Self::default()
        }
    }

    /// Whether an include may be read (inside the trees, symlinks and `..` resolved).
    pub fn may_read(&self, path: &Path) -> bool {
        self.trees.contains(path)
    }

    /// The trees includes may lead into, for messages.
    pub fn trees(&self) -> &Trees {
        &self.trees
    }

    /// Distinct files read successfully so far (by identity).
    pub fn files_read(&self) -> Vec<PathBuf> {
        let files = match self.files.lock() {
            Ok(files) => files,
            Err(_) => return Vec::new(),
        };
        files
            .iter()
            .filter(|(_, loaded)| loaded.is_ok())
            .map(|(path, _)| crate::paths::resolve(path))
            .collect()
    }

    /// Reads and parses `path` (once, whatever its spelling: `./a.txt`, `a.txt` and the
    /// absolute path a Dockerfile's `pip -r` resolves to are one entry).
    pub fn load(&self, path: &Path) -> Arc<Result<RequirementsFile, String>> {
        let key = crate::paths::absolute(path);
        if let Some(found) = self
            .files
            .lock()
            .ok()
            .and_then(|files| files.get(&key).cloned())
        {
            return found;
        }
        let loaded = Arc::new(
            std::fs::read(path)
                .map(|bytes| {
                    parse_requirements(SourceFile::from_pip_bytes(path, display_path(path), bytes))
                })
                .map_err(|err| crate::paths::io_message(&err)),
        );
        if let Ok(mut files) = self.files.lock() {
            files.insert(key, loaded.clone());
        }
        loaded
    }
}

/// One file as read by an install.
pub struct Member {
    pub file: Arc<Result<RequirementsFile, String>>,
    /// Read through `-c`: its lines constrain, they do not install.
    pub constraint: bool,
}

impl Member {
    pub fn parsed(&self) -> Option<&RequirementsFile> {
        self.file.as_ref().as_ref().ok()
    }
}

/// Everything one install reads.
pub struct Install {
    pub root: PathBuf,
    pub members: Vec<Member>,
    /// pip is in hash-checking mode: some requirement has `--hash`, or `--require-hashes` is set.
    pub hash_checking: bool,
    /// Exact versions set by constraints files, by normalized name.
    pub constraint_pins: HashMap<String, String>,
    /// Missing, unreadable or circular includes.
    pub include_findings: Vec<Finding>,
    /// Every file path this install read (for root detection).
    pub included_paths: Vec<PathBuf>,
    /// (member, line) pairs in the order pip reads them, includes expanded in place.
    pub reading_order: Vec<(usize, usize)>,
}

/// pip's SCHEME_RE: an include that is a URL is fetched by pip; pindrift does not fetch.
fn is_remote(target: &str) -> bool {
    let lower = target.get(..8).unwrap_or(target).to_ascii_lowercase();
    lower.starts_with("http:") || lower.starts_with("https:") || lower.starts_with("file:")
}

/// Where pip looks for an include: relative to the including file's folder.
pub fn include_path(including: &Path, target: &str) -> PathBuf {
    including.parent().unwrap_or(Path::new("")).join(target)
}

impl FileCache {
    /// The file's identity, resolved once per path.
    fn identity(&self, path: &Path) -> FileId {
        if let Some(found) = self
            .identities
            .lock()
            .ok()
            .and_then(|ids| ids.get(path).cloned())
        {
            return found;
        }
        let id = FileId::of(path);
        if let Ok(mut ids) = self.identities.lock() {
            ids.insert(path.to_path_buf(), id.clone());
        }
        id
    }
}

pub fn collect_install(root: &Path, cache: &FileCache) -> Install {
    collect_install_of(&[root.to_path_buf()], &[], cache)
}

/// One `pip install`: `roots` read as `-r` (the first is the install's root), `constraints`
/// as `-c` (from the command line or `PIP_CONSTRAINT`), exactly as an `-r`/`-c` line in a
/// requirements file would be.
pub fn collect_install_of(
    roots: &[PathBuf],
    constraints: &[PathBuf],
    cache: &FileCache,
) -> Install {
    let root = roots
        .first()
        .or(constraints.first())
        .cloned()
        .unwrap_or_default();
    let mut install = Install {
        root,
        members: Vec::new(),
        hash_checking: false,
        constraint_pins: HashMap::default(),
        include_findings: Vec::new(),
        included_paths: Vec::new(),
        reading_order: Vec::new(),
    };
    let mut seen = HashSet::default();
    let mut chain = Vec::new();
    for path in roots {
        visit(path, false, cache, &mut install, &mut seen, &mut chain);
    }
    for path in constraints {
        visit(path, true, cache, &mut install, &mut seen, &mut chain);
    }

    for member in &install.members {
        let Some(file) = member.parsed() else {
            continue;
        };
        for line in &file.lines {
            match &line.kind {
                LineKind::Options {
                    require_hashes: true,
                } => install.hash_checking = true,
                LineKind::Requirement(req) if !member.constraint && !req.hashes.is_empty() => {
                    install.hash_checking = true;
                }
                LineKind::Requirement(_) if !member.constraint => {}
                LineKind::Requirement(req) => {
                    if let (Some(name), Some(version), None) = (
                        req.requirement.normalized_name.as_ref(),
                        req.requirement.exact_version(),
                        req.requirement.marker.as_ref(),
                    ) {
                        install
                            .constraint_pins
                            .entry(name.clone())
                            .or_insert(version);
                    }
                }
                _ => {}
            }
        }
    }
    install
}

fn visit(
    path: &Path,
    constraint: bool,
    cache: &FileCache,
    install: &mut Install,
    seen: &mut HashSet<(FileId, bool)>,
    chain: &mut Vec<(FileId, PathBuf)>,
) {
    let id = cache.identity(path);
    if !seen.insert((id.clone(), constraint)) {
        return;
    }
    let loaded = cache.load(path);
    install.included_paths.push(path.to_path_buf());
    install.members.push(Member {
        file: loaded.clone(),
        constraint,
    });
    let member_index = install.members.len() - 1;
    let Ok(file) = loaded.as_ref() else { return };
    chain.push((id, path.to_path_buf()));
    for (line_index, line) in file.lines.iter().enumerate() {
        install.reading_order.push((member_index, line_index));
        let LineKind::Include {
            constraint: nested_constraint,
            target,
            target_span,
        } = &line.kind
        else {
            continue;
        };
        if is_remote(target) {
            // Not fetched: a note, so the report never passes it off as judged.
            let mut note = include_error(
                file,
                *target_span,
                format!(
                    "remote include `{}` is not fetched: its requirements are not judged",
                    crate::lint::excerpt(target)
                ),
            );
            note.level = crate::diagnostic::Level::Note;
            install.include_findings.push(note);
            continue;
        }
        let target_path = include_path(path, target);
        if !cache.may_read(&target_path) {
            install.include_findings.push(include_error(
                file,
                *target_span,
                format!(
                    "included file `{}` is outside the tree pindrift reads ({}): not read; \
                     pass --allow-outside (or `allow-outside = true`) to read it",
                    crate::lint::excerpt(target),
                    cache.trees().describe()
                ),
            ));
            continue;
        }
        let target_id = cache.identity(&target_path);
        if let Some(position) = chain.iter().position(|(id, _)| *id == target_id) {
            let cycle: Vec<String> = chain[position..]
                .iter()
                .map(|(_, path)| path)
                .chain(std::iter::once(&target_path))
                .map(|p| {
                    p.file_name().map_or_else(
                        || p.display().to_string(),
                        |n| n.to_string_lossy().into_owned(),
                    )
                })
                .collect();
            install.include_findings.push(include_error(
                file,
                *target_span,
                format!("include cycle: {}", cycle.join(" → ")),
            ));
            continue;
        }
        if let Err(message) = cache.load(&target_path).as_ref() {
            install.include_findings.push(include_error(
                file,
                *target_span,
                format!(
                    "cannot read included file {}: {message}",
                    display_path(&target_path)
                ),
            ));
            continue;
        }
        visit(
            &target_path,
            *nested_constraint,
            cache,
            install,
            seen,
            chain,
        );
    }
    chain.pop();
}

fn include_error(file: &RequirementsFile, span: Span, message: String) -> Finding {
    Finding::new(Rule::IncludeError, &file.source, span, message)
}

/// PD002 (include-error) carries no fix: a missing or circular include needs a decision.
pub const INCLUDE_ERROR_FIX: FixAvailability = FixAvailability::None;
