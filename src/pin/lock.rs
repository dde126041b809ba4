//! `pin --lock FILE`: a constraints file with every package the source runs, transitive ones
//! included, `name==version` sorted by normalized name, under a header naming the source —
//! what pip-compile produces by resolution, produced instead from what really ran — and the
//! `-c FILE` line that makes each root requirements file read it.

use super::facts::Facts;
use super::plan::{Change, FilePlan};
use crate::lint::requirements::install::include_path;
use crate::lint::requirements::parse::LineKind;
use crate::paths::absolute;
use crate::span::Span;
use std::path::{Component, Path, PathBuf};

/// The lock file to write.
#[derive(Debug, Clone)]
pub struct LockFile {
    pub path: PathBuf,
    /// The new content.
    pub content: String,
    /// The bytes there now (`None`: no file yet).
    pub existing: Option<Vec<u8>>,
    /// Packages written.
    pub packages: usize,
    /// Packages left out, with why (installed from a local folder).
    pub skipped: Vec<String>,
}

impl LockFile {
    /// Nothing to write: the file there lists the same packages (only the date differs).
    pub fn unchanged(&self) -> bool {
        self.existing
            .as_deref()
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .is_some_and(|old| without_date(old) == without_date(&self.content))
    }
}

const DATE_PREFIX: &str = "# Date: ";
/// The first line of every lock file: only a file that starts with it is ever replaced.
pub const HEADER: &str = "# Constraints written by `pindrift pin --lock` from what runs in\n";

impl LockFile {
    /// An existing file that is not a lock file this command wrote (a requirements file
    /// named by mistake): never overwritten.
    pub fn foreign(&self) -> bool {
        self.existing
            .as_deref()
            .is_some_and(|bytes| !bytes.starts_with(HEADER.as_bytes()))
    }
}

fn without_date(text: &str) -> String {
    text.lines()
        .filter(|line| !line.starts_with(DATE_PREFIX))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The lock file's content for `facts`, dated `date` (`YYYY-MM-DD`).
pub fn lock_content(facts: &Facts, date: &str) -> (String, usize, Vec<String>) {
    let mut out = String::new();
    out.push_str(HEADER);
    out.push_str(&format!("# {}\n", facts.describe()));
    out.push_str(&format!("{DATE_PREFIX}{date}\n"));
    out.push_str(
        "# Every package of that environment, transitive ones included. Regenerate, do not edit.\n",
    );
    let mut packages = 0;
    let mut skipped = Vec::new();
    // Packages are kept by normalized name: the order is PEP 503's.
    for package in facts.packages() {
        let local = package
            .direct
            .as_ref()
            .is_some_and(|d| matches!(d.kind.as_str(), "editable" | "dir"));
        match (&package.version, local) {
            (Some(version), false) => {
                out.push_str(&format!("{}=={}\n", package.display_name, version.trim()));
                packages += 1;
            }
            (_, true) => skipped.push(format!(
                "{}: installed from a local folder, not constrained",
                package.display_name
            )),
            (None, false) => skipped.push(format!(
                "{}: the source does not say its version",
                package.display_name
            )),
        }
    }
    for note in &skipped {
        out.push_str(&format!("# {note}\n"));
    }
    (out, packages, skipped)
}

/// Today's date (UTC), or `SOURCE_DATE_EPOCH`'s when set (reproducible output).
pub fn today() -> String {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
        });
    let (y, m, d) = civil_from_days(seconds.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `to` relative to the folder `from`, with `/` separators (what a requirements file holds).
pub fn relative_path(from: &Path, to: &Path) -> String {
    let from = crate::paths::normalize_lexically(&absolute(from));
    let to = crate::paths::normalize_lexically(&absolute(to));
    let from_parts: Vec<Component> = from.components().collect();
    let to_parts: Vec<Component> = to.components().collect();
    let common = from_parts
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<String> = Vec::new();
    parts.extend(std::iter::repeat_n(
        "..".to_string(),
        from_parts.len() - common,
    ));
    parts.extend(
        to_parts[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// The change that adds `-c LOCK` at the end of a root requirements file, unless the file
/// already reads the lock file through `-c` or `-r`.
pub fn include_change(plan: &FilePlan, file_lines: &[LineKind], lock: &Path) -> Option<Change> {
    let lock_key = crate::lint::requirements::install::FileId::of(lock);
    let lock_abs = crate::paths::normalize_lexically(&absolute(lock));
    let already = file_lines.iter().any(|kind| match kind {
        LineKind::Include { target, .. } => {
            let target = include_path(&plan.path, target);
            crate::paths::normalize_lexically(&absolute(&target)) == lock_abs
                || (lock.exists()
                    && crate::lint::requirements::install::FileId::of(&target) == lock_key)
        }
        _ => false,
    });
    if already {
        return None;
    }
    let folder = plan.path.parent().unwrap_or(Path::new(""));
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    let text = &plan.source.text;
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lead = if text.is_empty() || text.ends_with('\n') || text.ends_with('\r') {
        ""
    } else {
        eol
    };
    let line = format!("{lead}-c {}{eol}", relative_path(folder, lock));
    let mut change = Change::new(
        &plan.source,
        Span::at(text.len()),
        line,
        None,
        "read the lock file as constraints",
    );
    change.before = String::new();
    Some(change)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_relative_paths() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_422), (2025, 11, 30));
        assert_eq!(
            relative_path(Path::new("/a/b"), Path::new("/a/b/c.txt")),
            "c.txt"
        );
        assert_eq!(
            relative_path(Path::new("/a/b/svc"), Path::new("/a/b/locks/c.txt")),
            "../locks/c.txt"
        );
    }
}
