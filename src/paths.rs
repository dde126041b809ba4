//! Paths as shown to the user: relative to the working directory, `/`-separated.

use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

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
    shown.to_string_lossy().replace('\\', "/")
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
}
