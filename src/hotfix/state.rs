//! The state folder on the host: `--state-dir`, else `$PINDRIFT_STATE_DIR`, else
//! `$XDG_STATE_HOME/pindrift/hotfix`, else `~/.local/state/pindrift/hotfix`. Folders are
//! created 0700 and files 0600: a journal holds the original bytes of files of a production
//! container.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::HotfixError;

/// The resolved state folder (it exists, mode 0700).
#[derive(Debug, Clone)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    /// Resolve the folder from the flag and the environment, and create it (0700).
    pub fn resolve(flag: Option<&Path>) -> Result<StateDir, HotfixError> {
        let root = match flag {
            Some(p) => p.to_path_buf(),
            None => default_root()?,
        };
        StateDir::at(root)
    }

    /// The folder the flag and the environment name, when it exists; never created (for
    /// read-only callers such as `audit`).
    pub fn existing(flag: Option<&Path>) -> Result<Option<StateDir>, HotfixError> {
        let root = match flag {
            Some(p) => p.to_path_buf(),
            None => default_root()?,
        };
        Ok(root.is_dir().then_some(StateDir { root }))
    }

    /// Use `root` (created 0700 when missing).
    pub fn at(root: PathBuf) -> Result<StateDir, HotfixError> {
        create_private_dir_all(&root)?;
        Ok(StateDir { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of hotfix `id`.
    pub fn hotfix_dir(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    /// `STATE/active`: one file per container with an active hotfix.
    pub fn active_dir(&self) -> PathBuf {
        self.root.join("active")
    }

    /// Every hotfix folder (those holding a journal), sorted by id (which starts with the
    /// creation time).
    pub fn hotfix_ids(&self) -> Result<Vec<String>, HotfixError> {
        let mut out = Vec::new();
        let entries =
            fs::read_dir(&self.root).map_err(|e| HotfixError::io("reading", &self.root, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| HotfixError::io("reading", &self.root, e))?;
            let path = entry.path();
            if path.join(super::journal::JOURNAL_FILE).is_file() {
                if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                    out.push(name.to_string());
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

fn default_root() -> Result<PathBuf, HotfixError> {
    root_from(|key| std::env::var(key).ok())
}

/// The default folder from environment variables (`env` looks one up).
fn root_from(env: impl Fn(&str) -> Option<String>) -> Result<PathBuf, HotfixError> {
    let non_empty_env = |key: &str| env(key).filter(|v| !v.is_empty());
    if let Some(p) = non_empty_env("PINDRIFT_STATE_DIR") {
        return Ok(PathBuf::from(p));
    }
    if let Some(p) = non_empty_env("XDG_STATE_HOME") {
        return Ok(PathBuf::from(p).join("pindrift").join("hotfix"));
    }
    match non_empty_env("HOME") {
        Some(home) => Ok(PathBuf::from(home).join(".local/state/pindrift/hotfix")),
        None => Err(HotfixError::Other(
            "no state folder: set --state-dir, PINDRIFT_STATE_DIR, XDG_STATE_HOME or HOME"
                .to_string(),
        )),
    }
}

/// Create `path` and its missing parents with mode 0700; an existing `path` is made 0700.
pub fn create_private_dir_all(path: &Path) -> Result<(), HotfixError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|e| HotfixError::io("creating folder", path, e))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o700))
        .map_err(|e| HotfixError::io("setting mode 0700 on", path, e))
}

/// Create the folder `path` (its parent must exist) with mode 0700; an existing one is an
/// error. The parent is fsynced so the new entry survives a crash.
pub fn create_private_dir(path: &Path) -> Result<(), HotfixError> {
    fs::DirBuilder::new()
        .mode(0o700)
        .create(path)
        .map_err(|e| HotfixError::io("creating folder", path, e))?;
    if let Some(parent) = path.parent() {
        fsync_dir(parent)?;
    }
    Ok(())
}

/// Create a new file (O_EXCL, 0600) for appending.
pub fn create_private_file(path: &Path) -> Result<File, HotfixError> {
    let f = OpenOptions::new()
        .append(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| HotfixError::io("creating", path, e))?;
    if let Some(parent) = path.parent() {
        fsync_dir(parent)?;
    }
    Ok(f)
}

/// Write `bytes` to `path` atomically: a temporary file beside it (0600), fsync, rename,
/// fsync of the folder.
pub fn write_private_atomic(path: &Path, bytes: &[u8]) -> Result<(), HotfixError> {
    let parent = path
        .parent()
        .ok_or_else(|| HotfixError::Other(format!("{} has no parent folder", path.display())))?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("blob")
        .to_string();
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| HotfixError::io("creating", &tmp, e))?;
    f.write_all(bytes)
        .map_err(|e| HotfixError::io("writing", &tmp, e))?;
    f.sync_all()
        .map_err(|e| HotfixError::io("fsyncing", &tmp, e))?;
    drop(f);
    fs::rename(&tmp, path).map_err(|e| HotfixError::io("renaming into place", path, e))?;
    fsync_dir(parent)
}

/// fsync a folder (its entries: a created, renamed or removed file).
pub fn fsync_dir(path: &Path) -> Result<(), HotfixError> {
    File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(|e| HotfixError::io("fsyncing folder", path, e))
}

/// The slug of a reason: lower-cased, runs of anything but `[a-z0-9]` become `-`, trimmed
/// of `-`, at most 40 characters (`hotfix` when nothing is left).
pub fn slug(reason: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in reason.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else {
            dash = true;
        }
    }
    out.truncate(40);
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "hotfix".to_string()
    } else {
        out
    }
}

/// Seconds since the epoch, now.
pub fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// `yyyymmddThhmmssZ` (the id prefix) and RFC 3339 (`yyyy-mm-ddThh:mm:ssZ`) of `seconds`.
pub fn utc_stamps(seconds: i64) -> (String, String) {
    let (y, mo, d) = civil_from_days(seconds.div_euclid(86_400));
    let rem = seconds.rem_euclid(86_400);
    let (h, mi, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    (
        format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z"),
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"),
    )
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slug("Cause a problem flag!"), "cause-a-problem-flag");
        assert_eq!(slug("  --500 BIG_PROBLEM-- "), "500-big-problem");
        assert_eq!(slug("ééé"), "hotfix");
        let long = slug(&"ab ".repeat(40));
        assert!(long.len() <= 40 && !long.ends_with('-'), "{long}");
    }

    #[test]
    fn default_folder_order() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        const ALL: &[(&str, &str)] = &[
            ("PINDRIFT_STATE_DIR", "/p"),
            ("XDG_STATE_HOME", "/x"),
            ("HOME", "/h"),
        ];
        assert_eq!(root_from(env(ALL)).expect("p"), PathBuf::from("/p"));
        assert_eq!(
            root_from(env(&[
                ("PINDRIFT_STATE_DIR", ""),
                ("XDG_STATE_HOME", "/x"),
                ("HOME", "/h")
            ]))
            .expect("x"),
            PathBuf::from("/x/pindrift/hotfix")
        );
        assert_eq!(
            root_from(env(&[("HOME", "/h")])).expect("h"),
            PathBuf::from("/h/.local/state/pindrift/hotfix")
        );
        assert!(root_from(env(&[])).is_err());
    }

    #[test]
    fn stamps() {
        assert_eq!(
            utc_stamps(1_764_460_800 + 3661),
            (
                "20251130T010101Z".to_string(),
                "2025-11-30T01:01:01Z".to_string()
            )
        );
    }

    #[test]
    fn private_modes() {
        let t = tempfile::tempdir().expect("tempdir");
        let root = t.path().join("a/b");
        let s = StateDir::at(root.clone()).expect("state");
        let mode = fs::metadata(s.root()).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let f = root.join("x");
        write_private_atomic(&f, b"hi").expect("write");
        let mode = fs::metadata(&f).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(fs::read(&f).expect("read"), b"hi");
    }
}
