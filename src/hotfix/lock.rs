//! Locks: one active hotfix per container (`STATE/active/<container full id>` holds the
//! hotfix id, created with O_EXCL), and one process at a time working on a hotfix
//! (`STATE/<id>/lock` = `{pid, start_time, host}`, created with O_EXCL, removed when the
//! command ends). A lock whose process is gone (no such pid, or a pid reused by another
//! process: its start time differs) is dead: it is reported, and only taken over when the
//! caller says so (status, rollback, `--break-lock`) — never silently.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::state::{self, StateDir};
use super::HotfixError;

/// The file name of the process lock in a hotfix folder.
pub const LOCK_FILE: &str = "lock";

/// Who holds a process lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: i32,
    /// Field 22 of `/proc/<pid>/stat` (clock ticks after boot): tells a reused pid apart.
    pub start_time: Option<u64>,
    pub host: String,
}

impl Holder {
    /// This process.
    pub fn me() -> Holder {
        let pid = i32::try_from(std::process::id()).unwrap_or(i32::MAX);
        Holder {
            pid,
            start_time: start_time(pid),
            host: hostname(),
        }
    }

    /// Is the holder still running? A holder on another host is assumed alive.
    pub fn alive(&self) -> bool {
        if self.host != hostname() {
            return true;
        }
        if self.pid <= 0 {
            return false;
        }
        // SAFETY: kill(2) with signal 0 only checks that the process exists.
        let exists = unsafe { libc::kill(self.pid, 0) } == 0
            || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
        if !exists {
            return false;
        }
        match (self.start_time, start_time(self.pid)) {
            (Some(recorded), Some(now)) => recorded == now,
            _ => true,
        }
    }
}

/// What was found when taking a process lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acquired {
    /// The lock was free.
    Fresh,
    /// A dead process held it; it was taken over (the caller says so).
    TookOver(Holder),
}

/// A held process lock; dropping it removes the lock file.
#[derive(Debug)]
pub struct ProcessLock {
    path: PathBuf,
    released: bool,
}

impl ProcessLock {
    /// Take the lock of the hotfix folder `dir`. An alive holder → [`HotfixError::Locked`].
    /// A dead holder → taken over when `take_over_dead`, else [`HotfixError::DeadLock`]
    /// (with `last_step` describing where it died, for the message).
    pub fn acquire(
        dir: &Path,
        id: &str,
        take_over_dead: bool,
        last_step: Option<String>,
    ) -> Result<(ProcessLock, Acquired), HotfixError> {
        let path = dir.join(LOCK_FILE);
        let me = Holder::me();
        let mut took_over = None;
        // Two rounds: a dead lock is removed once, then created afresh with O_EXCL (another
        // process that raced us to it wins, and we report it as alive).
        for _ in 0..2 {
            match create_exclusive(&path, &me) {
                Ok(()) => {
                    let lock = ProcessLock {
                        path,
                        released: false,
                    };
                    let how = match took_over {
                        Some(h) => Acquired::TookOver(h),
                        None => Acquired::Fresh,
                    };
                    return Ok((lock, how));
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    let holder = read_holder(&path)?;
                    let Some(holder) = holder else {
                        // Created but not yet written (or emptied by a crash at creation).
                        if take_over_dead {
                            remove(&path)?;
                            took_over = Some(Holder {
                                pid: 0,
                                start_time: None,
                                host: hostname(),
                            });
                            continue;
                        }
                        return Err(HotfixError::DeadLock {
                            id: id.to_string(),
                            pid: 0,
                            host: hostname(),
                            last_step,
                        });
                    };
                    if holder.alive() {
                        return Err(HotfixError::Locked {
                            id: id.to_string(),
                            pid: holder.pid,
                            host: holder.host,
                            path,
                        });
                    }
                    if !take_over_dead {
                        return Err(HotfixError::DeadLock {
                            id: id.to_string(),
                            pid: holder.pid,
                            host: holder.host,
                            last_step,
                        });
                    }
                    remove(&path)?;
                    took_over = Some(holder);
                }
                Err(e) => return Err(HotfixError::io("creating lock", &path, e)),
            }
        }
        Err(HotfixError::Other(format!(
            "could not take the lock {} (another process keeps taking it)",
            path.display()
        )))
    }

    /// Release the lock now (removing the file).
    pub fn release(mut self) -> Result<(), HotfixError> {
        self.released = true;
        remove(&self.path)
    }
}

impl Drop for ProcessLock {
    fn drop(&mut self) {
        if !self.released {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// The holder recorded in a hotfix folder's lock, if any (a dead or alive one).
pub fn holder(dir: &Path) -> Result<Option<Holder>, HotfixError> {
    let path = dir.join(LOCK_FILE);
    if !path.exists() {
        return Ok(None);
    }
    Ok(Some(read_holder(&path)?.unwrap_or(Holder {
        pid: 0,
        start_time: None,
        host: hostname(),
    })))
}

fn create_exclusive(path: &Path, me: &Holder) -> std::io::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    let bytes = serde_json::to_vec(me).map_err(std::io::Error::other)?;
    f.write_all(&bytes)?;
    f.sync_all()?;
    if let Some(parent) = path.parent() {
        fs::File::open(parent)?.sync_all()?;
    }
    Ok(())
}

fn read_holder(path: &Path) -> Result<Option<Holder>, HotfixError> {
    match fs::read(path) {
        Ok(b) if b.is_empty() => Ok(None),
        Ok(b) => serde_json::from_slice(&b).map(Some).map_err(|e| {
            HotfixError::Other(format!("lock {} is not readable: {e}", path.display()))
        }),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(HotfixError::io("reading lock", path, e)),
    }
}

fn remove(path: &Path) -> Result<(), HotfixError> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(HotfixError::io("removing lock", path, e)),
    }
    if let Some(parent) = path.parent() {
        state::fsync_dir(parent)?;
    }
    Ok(())
}

/// Field 22 of `/proc/<pid>/stat`: the process's start time.
fn start_time(pid: i32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command (field 2) is in parentheses and may hold spaces: split after its end.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

fn hostname() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

/// The active hotfix of a container (by full id), if any.
pub fn active(state: &StateDir, container_id: &str) -> Result<Option<String>, HotfixError> {
    let path = state.active_dir().join(container_id);
    match fs::read_to_string(&path) {
        Ok(id) => Ok(Some(id.trim().to_string())),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(HotfixError::io("reading", &path, e)),
    }
}

/// Every active hotfix: `(container full id, hotfix id)`, sorted.
pub fn all_active(state: &StateDir) -> Result<Vec<(String, String)>, HotfixError> {
    let dir = state.active_dir();
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(HotfixError::io("reading", &dir, e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| HotfixError::io("reading", &dir, e))?;
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        if let Some(id) = active(state, &name)? {
            out.push((name, id));
        }
    }
    out.sort();
    Ok(out)
}

/// Mark `hotfix_id` active for the container (O_EXCL): a container with an active hotfix →
/// [`HotfixError::AlreadyActive`].
pub fn claim_active(
    state: &StateDir,
    container_id: &str,
    container_name: &str,
    hotfix_id: &str,
) -> Result<(), HotfixError> {
    let dir = state.active_dir();
    state::create_private_dir_all(&dir)?;
    state::fsync_dir(state.root())?;
    let path = dir.join(container_id);
    let created = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path);
    match created {
        Ok(mut f) => {
            f.write_all(hotfix_id.as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(|e| HotfixError::io("writing", &path, e))?;
            state::fsync_dir(&dir)
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(HotfixError::AlreadyActive {
            container: container_name.to_string(),
            id: active(state, container_id)?.unwrap_or_default(),
        }),
        Err(e) => Err(HotfixError::io("creating", &path, e)),
    }
}

/// The container has no active hotfix any more (finish, a completed rollback). Only removes
/// the marker when it names `hotfix_id`.
pub fn release_active(
    state: &StateDir,
    container_id: &str,
    hotfix_id: &str,
) -> Result<(), HotfixError> {
    if active(state, container_id)?.as_deref() == Some(hotfix_id) {
        let dir = state.active_dir();
        let path = dir.join(container_id);
        fs::remove_file(&path).map_err(|e| HotfixError::io("removing", &path, e))?;
        state::fsync_dir(&dir)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_active_hotfix_per_container() {
        let t = tempfile::tempdir().expect("tempdir");
        let s = StateDir::at(t.path().to_path_buf()).expect("state");
        claim_active(&s, "abc", "web", "h1").expect("claim");
        let err = claim_active(&s, "abc", "web", "h2").expect_err("second");
        assert!(err.to_string().contains("h1"), "{err}");
        assert_eq!(all_active(&s).expect("all"), [("abc".into(), "h1".into())]);
        release_active(&s, "abc", "other").expect("not mine");
        assert_eq!(active(&s, "abc").expect("active").as_deref(), Some("h1"));
        release_active(&s, "abc", "h1").expect("release");
        assert_eq!(active(&s, "abc").expect("active"), None);
    }

    #[test]
    fn process_lock_alive_dead_and_taken_over() {
        let t = tempfile::tempdir().expect("tempdir");
        let (lock, how) = ProcessLock::acquire(t.path(), "h", false, None).expect("lock");
        assert_eq!(how, Acquired::Fresh);
        // This process holds it: alive.
        let err = ProcessLock::acquire(t.path(), "h", true, None).expect_err("held");
        assert!(
            err.to_string()
                .contains(&format!("in use by pid {}", std::process::id())),
            "{err}"
        );
        lock.release().expect("release");
        assert!(!t.path().join(LOCK_FILE).exists());

        // A dead holder: a child that has exited.
        let mut child = std::process::Command::new("true").spawn().expect("spawn");
        let pid = i32::try_from(child.id()).expect("pid");
        child.wait().expect("wait");
        let dead = Holder {
            pid,
            start_time: Some(1),
            host: hostname(),
        };
        fs::write(
            t.path().join(LOCK_FILE),
            serde_json::to_vec(&dead).expect("json"),
        )
        .expect("write");
        assert!(!dead.alive());
        let err = ProcessLock::acquire(t.path(), "h", false, Some("step 2 put-file /a".into()))
            .expect_err("dead");
        let msg = err.to_string();
        assert!(msg.contains("died during step 2 put-file /a"), "{msg}");
        assert!(t.path().join(LOCK_FILE).exists(), "never silently stolen");
        let (_lock, how) = ProcessLock::acquire(t.path(), "h", true, None).expect("take over");
        assert_eq!(how, Acquired::TookOver(dead));
    }

    #[test]
    fn reused_pid_is_dead() {
        let mut me = Holder::me();
        assert!(me.alive());
        me.start_time = me.start_time.map(|s| s + 1);
        assert!(!me.alive());
    }
}
