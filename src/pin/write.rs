//! The only place `pin` changes files: atomic writes (a temp file in the same folder,
//! fsync, rename), mode and owner kept, through a symlink to its target, and never over a
//! file that changed since it was read. A failure leaves the file as it was.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Why a file was not written. Each names the file; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path}: changed on disk since pindrift read it: not written (run pin again)")]
    Changed { path: String },
    #[error("{path}: read-only file: not written")]
    ReadOnly { path: String },
    #[error("{path}: {action}: {message}: not written")]
    Io {
        path: String,
        action: &'static str,
        message: String,
    },
}

fn io<'a>(path: &'a Path, action: &'static str) -> impl FnOnce(std::io::Error) -> WriteError + 'a {
    move |err| WriteError::Io {
        path: crate::paths::display_path(path),
        action,
        message: crate::paths::io_message(&err),
    }
}

/// What identifies a file's state cheaply: its size and modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    fn of(metadata: &fs::Metadata) -> Self {
        Self {
            len: metadata.len(),
            modified: metadata.modified().ok(),
        }
    }
}

/// Replaces the content of `path` (or of the file its symlink leads to) with `new`, provided
/// it still holds `expected` (the bytes the plan was made from).
pub fn write_atomic(path: &Path, expected: &[u8], new: &[u8]) -> Result<(), WriteError> {
    let display = || crate::paths::display_path(path);
    // Through a symlink: the link stays, its target gets the new content.
    let target: PathBuf = fs::canonicalize(path).map_err(io(path, "cannot resolve"))?;
    let metadata = fs::metadata(&target).map_err(io(path, "cannot read its metadata"))?;
    if !metadata.is_file() {
        return Err(WriteError::Io {
            path: display(),
            action: "cannot write",
            message: "not a regular file".into(),
        });
    }
    // The rename would replace a read-only file without asking (and root may write
    // anything): the mode bits decide.
    if metadata.permissions().readonly() {
        return Err(WriteError::ReadOnly { path: display() });
    }
    if let Err(err) = OpenOptions::new().write(true).open(&target) {
        return Err(match err.kind() {
            std::io::ErrorKind::PermissionDenied => WriteError::ReadOnly { path: display() },
            _ => io(path, "cannot open for writing")(err),
        });
    }
    let stamp = Stamp::of(&metadata);
    let current = fs::read(&target).map_err(io(path, "cannot read"))?;
    if current != expected {
        return Err(WriteError::Changed { path: display() });
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}.pindrift-"))
        .tempfile_in(dir)
        .map_err(io(path, "cannot create a temporary file next to it"))?;
    temp.write_all(new)
        .and_then(|()| temp.flush())
        .map_err(io(path, "cannot write the new content"))?;
    keep_mode_and_owner(temp.as_file(), &metadata)
        .map_err(io(path, "cannot keep its mode and owner"))?;
    temp.as_file()
        .sync_all()
        .map_err(io(path, "cannot flush the new content to disk"))?;
    // Last look before the rename: the file must still be the one the plan was made from.
    let now = fs::metadata(&target).map_err(io(path, "cannot read its metadata"))?;
    if Stamp::of(&now) != stamp {
        return Err(WriteError::Changed { path: display() });
    }
    temp.persist(&target)
        .map_err(|err| io(path, "cannot replace it")(err.error))?;
    // The rename itself is durable once the folder is synced.
    if let Ok(folder) = File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(())
}

/// Writes a new file `path` (`--lock`) atomically; an existing file is replaced only if it
/// still holds `expected`.
pub fn write_new_or_replace(
    path: &Path,
    expected: Option<&[u8]>,
    new: &[u8],
) -> Result<(), WriteError> {
    match expected {
        Some(expected) => write_atomic(path, expected, new),
        None => {
            if fs::symlink_metadata(path).is_ok() {
                return Err(WriteError::Changed {
                    path: crate::paths::display_path(path),
                });
            }
            let dir = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            let mut temp = tempfile::Builder::new()
                .prefix(".pindrift-lock-")
                .tempfile_in(dir)
                .map_err(io(path, "cannot create a temporary file next to it"))?;
            temp.write_all(new)
                .and_then(|()| temp.flush())
                .and_then(|()| temp.as_file().sync_all())
                .map_err(io(path, "cannot write"))?;
            // A new file gets the usual mode of a source file, not the temp file's 0600.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                fs::set_permissions(temp.path(), fs::Permissions::from_mode(0o644))
                    .map_err(io(path, "cannot set its mode"))?;
            }
            // Never replaces a file that appeared meanwhile.
            temp.persist_noclobber(path)
                .map_err(|err| io(path, "cannot create it")(err.error))?;
            if let Ok(folder) = File::open(dir) {
                let _ = folder.sync_all();
            }
            Ok(())
        }
    }
}

#[cfg(unix)]
fn keep_mode_and_owner(file: &File, metadata: &fs::Metadata) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    file.set_permissions(metadata.permissions())?;
    let mine = file.metadata()?;
    if mine.uid() != metadata.uid() || mine.gid() != metadata.gid() {
        std::os::unix::fs::fchown(file, Some(metadata.uid()), Some(metadata.gid()))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn keep_mode_and_owner(file: &File, metadata: &fs::Metadata) -> std::io::Result<()> {
    file.set_permissions(metadata.permissions())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_through_a_symlink_and_keeps_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.txt");
        fs::write(&real, "flask\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
            let link = dir.path().join("requirements.txt");
            std::os::unix::fs::symlink("real.txt", &link).unwrap();
            write_atomic(&link, b"flask\n", b"flask==3.0.3\n").unwrap();
            assert!(fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink());
            assert_eq!(fs::read_to_string(&real).unwrap(), "flask==3.0.3\n");
            assert_eq!(
                fs::metadata(&real).unwrap().permissions().mode() & 0o777,
                0o640
            );
        }
        // Nothing left next to it.
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), if cfg!(unix) { 2 } else { 1 });
    }

    #[test]
    fn a_file_changed_since_it_was_read_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.txt");
        fs::write(&path, "flask>=2\n").unwrap();
        let err = write_atomic(&path, b"flask\n", b"flask==3.0.3\n").unwrap_err();
        assert!(matches!(err, WriteError::Changed { .. }), "{err}");
        assert!(err.to_string().contains("r.txt"));
        assert_eq!(fs::read_to_string(&path).unwrap(), "flask>=2\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_read_only_file_is_not_written_even_by_root() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.txt");
        fs::write(&path, "flask\n").unwrap();
        let mut permissions = fs::metadata(&path).unwrap().permissions();
        permissions.set_readonly(true);
        fs::set_permissions(&path, permissions).unwrap();
        let err = write_atomic(&path, b"flask\n", b"flask==3.0.3\n").unwrap_err();
        assert!(matches!(err, WriteError::ReadOnly { .. }), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "flask\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_new_file_never_replaces_one_that_exists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock.txt");
        write_new_or_replace(&path, None, b"a==1\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "a==1\n");
        assert!(write_new_or_replace(&path, None, b"b==1\n").is_err());
        write_new_or_replace(&path, Some(b"a==1\n"), b"b==1\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "b==1\n");
    }
}
