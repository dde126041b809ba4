//! The files one `pip install -r ROOT` reads: the root, its `-r` includes and its `-c`
//! constraints, recursively, each read once, with cycles reported instead of followed.

use super::outline::OutlinedFile;
use super::parse::{Line, LineKind, LineReader};
use crate::diagnostic::{Finding, Span};
use crate::fix::FixAvailability;
use crate::paths::{display_path, Trees};
use crate::read::{read_regular, ReadError};
use crate::registry::Rule;
use crate::source::SourceFile;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A file as loaded: outlined, or why it was not read.
pub type Loaded = Arc<Result<OutlinedFile, ReadError>>;

/// Parsed files by path, shared across installs and threads so each file is read once.
pub struct FileCache {
    files: Mutex<HashMap<PathBuf, Loaded>>,
    /// File identities (for cycle detection), resolved once per path.
    identities: Mutex<HashMap<PathBuf, FileId>>,
    /// Where includes may lead; an include outside is reported, never opened.
    trees: Trees,
    /// Files larger than this are not read (PD005).
    max_file_size: u64,
}

impl Default for FileCache {
    fn default() -> Self {
        Self {
            files: Mutex::default(),
            identities: Mutex::default(),
            trees: Trees::default(),
            max_file_size: crate::read::DEFAULT_MAX_FILE_SIZE,
        }
    }
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
    pub fn of(path: &Path) -> FileId {
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

    /// The same cache with another per-file size cap.
    pub fn with_max_file_size(mut self, max_file_size: u64) -> Self {
        self.max_file_size = max_file_size;
        self
    }

    /// Whether an include may be read (inside the trees, symlinks and `..` resolved).
    pub fn may_read(&self, path: &Path) -> bool {
        self.trees.contains(path)
    }

    /// The trees includes may lead into, for messages.
    pub fn trees(&self) -> &Trees {
        &self.trees
    }

    /// Distinct files read successfully so far (by identity: one `stat` each, where a
    /// realpath would cost a `readlink` per path component).
    pub fn files_read(&self) -> Vec<FileId> {
        let files = match self.files.lock() {
            Ok(files) => files,
            Err(_) => return Vec::new(),
        };
        files
            .iter()
            .filter(|(_, loaded)| loaded.is_ok())
            .map(|(path, _)| FileId::of(path))
            .collect()
    }

    /// Reads and outlines `path` (once, whatever its spelling: `./a.txt`, `a.txt` and the
    /// absolute path a Dockerfile's `pip -r` resolves to are one entry).
    pub fn load(&self, path: &Path) -> Loaded {
        let key = crate::paths::absolute(path);
        if let Some(found) = self
            .files
            .lock()
            .ok()
            .and_then(|files| files.get(&key).cloned())
        {
            return found;
        }
        // Only regular files, and never past the cap: a FIFO, a device or a huge file
        // named by `-r` must neither hang the run nor fill memory.
        let loaded = Arc::new(read_regular(path, self.max_file_size).map(|bytes| {
            OutlinedFile::new(SourceFile::from_pip_bytes(path, display_path(path), bytes))
        }));
        if let Ok(mut files) = self.files.lock() {
            files.insert(key, loaded.clone());
        }
        loaded
    }
}

/// One file as read by an install.
pub struct Member {
    pub file: Loaded,
    /// Read through `-c`: its lines constrain, they do not install.
    pub constraint: bool,
}

impl Member {
    pub fn parsed(&self) -> Option<&OutlinedFile> {
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
    /// Runs of members' lines in the order pip reads them, includes expanded in place
    /// (read them with [`Install::lines`]).
    pub reading_order: Vec<Stretch>,
}

/// Lines `lines` (indices among the lines with content) of member `member`, read in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stretch {
    pub member: usize,
    pub lines: std::ops::Range<usize>,
}

impl Install {
    /// Every line the install reads, as (member index, line), in the order pip reads them.
    /// Each member's lines are parsed as they come, one at a time.
    pub fn lines(&self) -> InstallLines<'_> {
        InstallLines {
            install: self,
            stretches: self.reading_order.iter(),
            current: None,
            readers: std::iter::repeat_with(|| None)
                .take(self.members.len())
                .collect(),
        }
    }
}

/// The lines of an install in reading order (see [`Install::lines`]).
pub struct InstallLines<'a> {
    install: &'a Install,
    stretches: std::slice::Iter<'a, Stretch>,
    /// The member being read and the lines of its stretch still to come.
    current: Option<(usize, std::ops::Range<usize>)>,
    /// Per member: its reader and how many lines it has read.
    readers: Vec<Option<(LineReader<'a>, usize)>>,
}

impl Iterator for InstallLines<'_> {
    type Item = (usize, Line);

    fn next(&mut self) -> Option<(usize, Line)> {
        loop {
            if let Some((member, lines)) = &mut self.current {
                if let Some(wanted) = lines.next() {
                    let install = self.install;
                    let Some(slot) = self.readers.get_mut(*member) else {
                        self.current = None;
                        continue;
                    };
                    if slot.is_none() {
                        let Some(file) = install.members[*member].parsed() else {
                            self.current = None;
                            continue;
                        };
                        *slot = Some((file.lines(), 0));
                    }
                    let Some((reader, read)) = slot.as_mut() else {
                        continue;
                    };
                    // A member's stretches come in file order: the reader is at `wanted`.
                    while *read < wanted {
                        reader.next();
                        *read += 1;
                    }
                    *read += 1;
                    match reader.next() {
                        Some(line) => return Some((*member, line)),
                        None => self.current = None,
                    }
                    continue;
                }
            }
            let stretch = self.stretches.next()?;
            self.current = Some((stretch.member, stretch.lines.clone()));
        }
    }
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
    for path in roots {
        visit(path, false, cache, &mut install, &mut seen);
    }
    for path in constraints {
        visit(path, true, cache, &mut install, &mut seen);
    }

    for member in &install.members {
        let Some(file) = member.parsed() else {
            continue;
        };
        install.hash_checking |= file.outline.require_hashes;
        if !member.constraint {
            install.hash_checking |= file.outline.hashed;
            continue;
        }
        for line in file.lines() {
            let LineKind::Requirement(req) = &line.kind else {
                continue;
            };
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
    }
    install
}

/// A file being read: where its next line is.
struct Frame {
    path: PathBuf,
    id: FileId,
    file: Loaded,
    member_index: usize,
    /// The first line not yet read, and the first include not yet followed.
    next_line: usize,
    next_include: usize,
}

/// Reads `path` and everything it includes into `install`, depth-first in file order as
/// pip reads them. Iterative (an explicit stack), so a 10,000-deep `-r` chain cannot
/// overflow the stack; the chain of files being read is indexed by identity, so cycle
/// detection is O(1) per include and the whole walk linear.
fn visit(
    path: &Path,
    constraint: bool,
    cache: &FileCache,
    install: &mut Install,
    seen: &mut HashSet<(FileId, bool)>,
) {
    let mut stack: Vec<Frame> = Vec::new();
    let mut on_chain: HashMap<FileId, usize> = HashMap::default();
    enter(
        path,
        constraint,
        cache,
        install,
        seen,
        &mut stack,
        &mut on_chain,
    );
    while let Some(frame) = stack.last_mut() {
        let loaded = frame.file.clone();
        let Ok(file) = loaded.as_ref() else {
            if let Some(done) = stack.pop() {
                on_chain.remove(&done.id);
            }
            continue;
        };
        // The lines up to the next include (with it), or to the end of the file.
        let include = file.outline.includes.get(frame.next_include);
        let end = include.map_or(file.outline.lines, |include| include.index + 1);
        if frame.next_line < end {
            install.reading_order.push(Stretch {
                member: frame.member_index,
                lines: frame.next_line..end,
            });
        }
        frame.next_line = end;
        frame.next_include += 1;
        let Some(include) = include else {
            if let Some(done) = stack.pop() {
                on_chain.remove(&done.id);
            }
            continue;
        };
        let (nested_constraint, target, target_span) =
            (&include.constraint, &include.target, &include.target_span);
        let including = frame.path.clone();
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
        let target_path = include_path(&including, target);
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
        if let Some(&position) = on_chain.get(&target_id) {
            let cycle: Vec<&Path> = stack[position..]
                .iter()
                .map(|frame| frame.path.as_path())
                .chain(std::iter::once(target_path.as_path()))
                .collect();
            install.include_findings.push(include_error(
                file,
                *target_span,
                format!("include cycle: {}", describe_cycle(&cycle)),
            ));
            continue;
        }
        match cache.load(&target_path).as_ref() {
            Err(ReadError::TooLarge { limit }) => {
                install
                    .include_findings
                    .push(too_large(&target_path, *limit));
                continue;
            }
            Err(message) => {
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
            Ok(_) => {}
        }
        enter(
            &target_path,
            *nested_constraint,
            cache,
            install,
            seen,
            &mut stack,
            &mut on_chain,
        );
    }
}

/// Starts reading `path` (unless this install has read it already with this role).
fn enter(
    path: &Path,
    constraint: bool,
    cache: &FileCache,
    install: &mut Install,
    seen: &mut HashSet<(FileId, bool)>,
    stack: &mut Vec<Frame>,
    on_chain: &mut HashMap<FileId, usize>,
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
    match loaded.as_ref() {
        Ok(_) => {
            on_chain.insert(id.clone(), stack.len());
            stack.push(Frame {
                path: path.to_path_buf(),
                id,
                file: loaded,
                member_index: install.members.len() - 1,
                next_line: 0,
                next_include: 0,
            });
        }
        // A root (named, found, or read by a Dockerfile's pip) past the cap.
        Err(ReadError::TooLarge { limit }) => {
            install.include_findings.push(too_large(path, *limit));
        }
        Err(_) => {}
    }
}

/// A cycle's files by name, at most a few of them: a 10,000-long cycle is one line.
fn describe_cycle(cycle: &[&Path]) -> String {
    const SHOWN: usize = 4;
    let name = |p: &&Path| {
        p.file_name().map_or_else(
            || p.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    };
    if cycle.len() <= 2 * SHOWN + 1 {
        return cycle.iter().map(name).collect::<Vec<_>>().join(" → ");
    }
    let head: Vec<String> = cycle[..SHOWN].iter().map(name).collect();
    let tail: Vec<String> = cycle[cycle.len() - SHOWN..].iter().map(name).collect();
    format!(
        "{} → … ({} more) … → {}",
        head.join(" → "),
        cycle.len() - 2 * SHOWN,
        tail.join(" → ")
    )
}

/// PD005 on a file past the size cap, at its start.
pub fn too_large(path: &Path, limit: u64) -> Finding {
    let source = SourceFile::new(path, display_path(path), "");
    Finding::new(
        Rule::FileTooLarge,
        &source,
        Span::new(0, 0),
        format!(
            "file is larger than the {} limit: not read, so nothing in it is checked",
            crate::read::human_size(limit)
        ),
    )
    .with_hint("raise the limit with --max-file-size or `max-file-size` in pindrift.toml if the file is meant to be this large")
}

fn include_error(file: &OutlinedFile, span: Span, message: String) -> Finding {
    Finding::new(Rule::IncludeError, &file.source, span, message)
}

/// PD002 (include-error) carries no fix: a missing or circular include needs a decision.
pub const INCLUDE_ERROR_FIX: FixAvailability = FixAvailability::None;

/// PD005 (file-too-large) carries no fix: the file was not read.
pub const FILE_TOO_LARGE_FIX: FixAvailability = FixAvailability::None;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn includes_are_read_depth_first_in_file_order_as_pip_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("a.txt", "a1==1\n-r b.txt\na2==1\n-r d.txt\n"),
            ("b.txt", "b1==1\n-r c.txt\nb2==1\n"),
            ("c.txt", "c1==1\n-r a.txt\n"),
            ("d.txt", "d1==1\n-r c.txt\n"),
        ] {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let cache = FileCache::new();
        let install = collect_install(&dir.path().join("a.txt"), &cache);
        let order: Vec<String> = install
            .lines()
            .map(|(member, line)| {
                let file = install.members[member].parsed().unwrap();
                file.source.line_text(line.line).to_string()
            })
            .collect();
        assert_eq!(
            order,
            [
                "a1==1", "-r b.txt", "b1==1", "-r c.txt", "c1==1", "-r a.txt", "b2==1", "a2==1",
                "-r d.txt", "d1==1", "-r c.txt"
            ]
        );
        // c → a closes a cycle (a is being read); d → c does not (c was read already).
        let messages: Vec<&str> = install
            .include_findings
            .iter()
            .map(|f| &*f.message)
            .collect();
        assert_eq!(messages, ["include cycle: a.txt → b.txt → c.txt → a.txt"]);
    }

    #[test]
    fn a_long_cycle_is_named_by_its_ends() {
        let paths: Vec<PathBuf> = (0..20)
            .map(|i| PathBuf::from(format!("r{i}.txt")))
            .collect();
        let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        assert_eq!(
            describe_cycle(&refs),
            "r0.txt → r1.txt → r2.txt → r3.txt → … (12 more) … → r16.txt → r17.txt → r18.txt → r19.txt"
        );
    }
}
