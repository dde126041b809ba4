//! Paths as shown to the user: relative to the working directory, `/`-separated.

use rustc_hash::FxHashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

fn working_directory() -> Option<&'static Path> {
    static CWD: OnceLock<Option<PathBuf>> = OnceLock::new();
    CWD.get_or_init(|| std::env::current_dir().ok()).as_deref()
}

/// Removes `.` components and folds `dir/..` without touching the file system.
pub fn normalize_lexically(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// The path shown in findings: relative to the working directory when inside it.
pub fn display_path(path: &Path) -> String {
    let normalized = normalize_lexically(path);
    let shown = match (normalized.is_absolute(), working_directory()) {
        (true, Some(cwd)) => normalized
            .strip_prefix(cwd)
            .map(Path::to_path_buf)
            .unwrap_or(normalized),
        _ => normalized,
    };
    if shown.as_os_str().is_empty() {
        return ".".to_string();
    }
    shown.to_string_lossy().replace('\\', "/")
}

/// `path` made absolute against the working directory and lexically normalized, so that
/// the same file has one spelling whatever folder pindrift runs from.
pub fn absolute(path: &Path) -> PathBuf {
    let path = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    if path.is_absolute() {
        return normalize_lexically(path);
    }
    match working_directory() {
        Some(cwd) => normalize_lexically(&cwd.join(path)),
        None => normalize_lexically(path),
    }
}

/// `path` with symlinks resolved as far as the file system allows: the longest existing
/// prefix is canonicalized and the rest joined lexically (a missing file resolves too).
pub fn resolve(path: &Path) -> PathBuf {
    let path = absolute(path);
    if let Ok(real) = std::fs::canonicalize(&path) {
        return real;
    }
    let mut rest = Vec::new();
    let mut prefix = path.as_path();
    while let Some(parent) = prefix.parent() {
        if let Some(name) = prefix.file_name() {
            rest.push(name.to_os_string());
        }
        if let Ok(real) = std::fs::canonicalize(parent) {
            let mut out = real;
            for name in rest.iter().rev() {
                out.push(name);
            }
            return normalize_lexically(&out);
        }
        prefix = parent;
    }
    path
}

/// The folders pindrift may read: for each path named on the command line, the git work
/// tree that contains it, else the named folder (or a named file's folder). Files reached
/// through includes, `pip install -r` or symlinks are read only inside one of them, unless
/// `--allow-outside` / `allow-outside = true`.
#[derive(Debug, Clone, Default)]
pub struct Trees {
    /// Canonical roots; empty means "anywhere" (library use, `--allow-outside`).
    roots: Vec<PathBuf>,
    /// Folders already resolved, shared by the clones of this value (one run): a tree of
    /// 1,000 services asks about the same few folders thousands of times, and a realpath
    /// costs a `readlink` per path component.
    folders: Arc<Mutex<FxHashMap<PathBuf, PathBuf>>>,
}

impl Trees {
    /// No limit.
    pub fn anywhere() -> Self {
        Self::default()
    }

    /// The trees of the named paths.
    pub fn of(named: &[PathBuf]) -> Self {
        let mut roots: Vec<PathBuf> = named.iter().map(|path| tree_of(path)).collect();
        roots.sort();
        roots.dedup();
        Self {
            roots,
            ..Self::default()
        }
    }

    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// [`resolve`], with the folders resolved once per run: the folder from the cache and
    /// one `lstat` for the last component (a symlink there is resolved in full).
    pub fn resolve(&self, path: &Path) -> PathBuf {
        let path = absolute(path);
        if let Some(real) = self.folders.lock().ok().and_then(|f| f.get(&path).cloned()) {
            return real;
        }
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return resolve(&path);
        };
        match std::fs::symlink_metadata(&path) {
            Ok(metadata) if metadata.file_type().is_symlink() => resolve(&path),
            Ok(metadata) if metadata.is_dir() => {
                let real = normalize_lexically(&self.resolve_folder(parent).join(name));
                if let Ok(mut folders) = self.folders.lock() {
                    folders.insert(path, real.clone());
                }
                real
            }
            // A file, or missing (resolved as far as its folder goes).
            _ => normalize_lexically(&self.resolve_folder(parent).join(name)),
        }
    }

    fn resolve_folder(&self, folder: &Path) -> PathBuf {
        if let Some(real) = self
            .folders
            .lock()
            .ok()
            .and_then(|f| f.get(folder).cloned())
        {
            return real;
        }
        // Not under the lock: the parent folders recurse into this cache.
        let real = if folder.parent().is_some() {
            self.resolve(folder)
        } else {
            resolve(folder)
        };
        if let Ok(mut folders) = self.folders.lock() {
            folders.insert(folder.to_path_buf(), real.clone());
        }
        real
    }

    /// Whether `path` (symlinks and `..` resolved) is inside a tree.
    pub fn contains(&self, path: &Path) -> bool {
        self.roots.is_empty() || self.contains_resolved(&self.resolve(path))
    }

    /// Whether `real`, a path [`Trees::resolve`] gave, is inside a tree.
    pub fn contains_resolved(&self, real: &Path) -> bool {
        self.roots.is_empty() || self.roots.iter().any(|root| real.starts_with(root))
    }

    /// The trees as shown in messages.
    pub fn describe(&self) -> String {
        self.roots
            .iter()
            .map(|root| format!("`{}`", display_path(root)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The tree of one named path: the git work tree top containing it, else the folder.
fn tree_of(path: &Path) -> PathBuf {
    let real = resolve(path);
    let folder = if real.is_dir() {
        real.clone()
    } else {
        real.parent()
            .map_or_else(|| real.clone(), Path::to_path_buf)
    };
    folder
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .map_or(folder.clone(), Path::to_path_buf)
}

/// An I/O error in words, without Rust's `(os error 2)` suffix.
pub fn io_message(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "No such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "Permission denied".to_string(),
        _ => {
            let text = err.to_string();
            match text.find(" (os error") {
                Some(cut) => text[..cut].to_string(),
                None => text,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_normalization() {
        assert_eq!(
            normalize_lexically(Path::new("./a/b/../c.txt")),
            PathBuf::from("a/c.txt")
        );
        assert_eq!(
            normalize_lexically(Path::new("../x")),
            PathBuf::from("../x")
        );
    }

    #[cfg(unix)]
    #[test]
    fn cached_resolution_agrees_with_realpath() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("real/sub")).unwrap();
        std::fs::write(root.join("real/sub/a.txt"), "x").unwrap();
        std::fs::write(root.join("outside.txt"), "x").unwrap();
        std::os::unix::fs::symlink(root.join("real"), root.join("linked")).unwrap();
        std::os::unix::fs::symlink(root.join("outside.txt"), root.join("real/sub/out.txt"))
            .unwrap();
        let trees = Trees::of(&[root.join("real")]);
        let cases = [
            "real/sub/a.txt",
            "linked/sub/a.txt",
            "linked/sub/../sub/a.txt",
            "real/sub/out.txt",
            "linked/sub/out.txt",
            "real/sub/missing.txt",
            "linked/missing/deeper.txt",
            "real/sub",
            "linked",
        ];
        // Twice: the second round answers from the cache of folders.
        for _ in 0..2 {
            for case in cases {
                let path = root.join(case);
                assert_eq!(trees.resolve(&path), resolve(&path), "{case}");
            }
        }
        assert!(trees.contains(&root.join("linked/sub/a.txt")));
        assert!(!trees.contains(&root.join("linked/sub/out.txt")));
    }
}
