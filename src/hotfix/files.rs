//! Files of the container through the archive API: read (`GET archive`, whose tar header
//! carries bytes, mode, owner and mtime), check where a write would land (`HEAD archive`),
//! and write (`PUT archive`), journaled: the original is saved in a blob before the first
//! change to a path, the intent is fsynced before the write.

use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::journal::{Action, FileMeta, Journal};
use super::{engine_error, Hotfix, HotfixError};
use crate::docker::api::ExecChunk;
use crate::docker::{Engine, EngineApi};

/// The largest file (and archive) a hotfix reads from a container.
pub const MAX_FILE: usize = 64 * 1024 * 1024;

/// A file read from the container.
#[derive(Debug, Clone)]
pub struct ContainerFile {
    pub meta: FileMeta,
    pub content: Vec<u8>,
    /// The archive as the engine sent it (what a restore puts back).
    pub tar: Vec<u8>,
}

/// The sha256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A container path a hotfix may write: absolute, no `..`, not the root, not a folder
/// (no trailing `/`). Returned with `//` and `/./` folded.
pub fn check_path(path: &str) -> Result<String, HotfixError> {
    let bad = |reason: &str| HotfixError::BadPath {
        path: path.to_string(),
        reason: reason.to_string(),
    };
    if !path.starts_with('/') {
        return Err(bad("not an absolute path (write CONTAINER:/path/to/file)"));
    }
    if path.contains('\0') {
        return Err(bad("it holds a NUL byte"));
    }
    if path.ends_with('/') {
        return Err(bad("it names a folder; name the file"));
    }
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(bad("it holds `..` (paths outside the intended one)")),
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Err(bad("it is the root folder"));
    }
    Ok(format!("/{}", parts.join("/")))
}

/// `(parent folder, file name)` of a checked path.
pub fn split_path(path: &str) -> (&str, &str) {
    match path.rsplit_once('/') {
        Some(("", name)) => ("/", name),
        Some((parent, name)) => (parent, name),
        None => ("/", path),
    }
}

/// Check that every folder above `path` exists and is a real folder, not a symlink: the
/// engine resolves symlinks, so a symlinked folder would land the write somewhere other
/// than the path asked for.
pub async fn check_parents<A: EngineApi>(
    engine: &Engine<A>,
    container: &str,
    name: &str,
    path: &str,
) -> Result<(), HotfixError> {
    let (parent, _) = split_path(path);
    let mut prefix = String::new();
    for part in parent.split('/').filter(|p| !p.is_empty()) {
        prefix.push('/');
        prefix.push_str(part);
        let stat = engine
            .api()
            .path_stat(container, &prefix)
            .await
            .map_err(|e| engine_error(format!("checking {prefix} in {container}"), container, e))?;
        let bad = |reason: String| HotfixError::BadPath {
            path: path.to_string(),
            reason,
        };
        match stat {
            None => return Err(bad(format!("the folder {prefix} does not exist in {name}"))),
            Some(s) if s.is_symlink() => {
                return Err(bad(format!(
                    "{prefix} is a symlink to {}: the write would land outside the requested path",
                    if s.link_target.is_empty() {
                        "?"
                    } else {
                        &s.link_target
                    }
                )))
            }
            Some(s) if !s.is_dir() => {
                return Err(bad(format!("{prefix} is not a folder")));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Refuse a path on a volume, bind mount or tmpfs: that is not the container's own
/// filesystem (a commit would not keep the change, and it may be shared with the host or
/// other containers).
pub fn check_not_mounted(path: &str, mounts: &[String]) -> Result<(), HotfixError> {
    for m in mounts {
        let m = m.trim_end_matches('/');
        if m.is_empty() || path == m || path.starts_with(&format!("{m}/")) {
            return Err(HotfixError::BadPath {
                path: path.to_string(),
                reason: format!(
                    "it is on the mount at {} (a volume, bind mount or tmpfs), outside the \
                     container's own filesystem: a commit would not keep the change and others \
                     may share it",
                    if m.is_empty() { "/" } else { m }
                ),
            });
        }
    }
    Ok(())
}

/// Read the regular file at `path` (`None` when nothing is there). A symlink, a folder or
/// anything but a regular file is an error naming it.
pub async fn read_file<A: EngineApi>(
    engine: &Engine<A>,
    container: &str,
    path: &str,
) -> Result<Option<ContainerFile>, HotfixError> {
    let stat = engine
        .api()
        .path_stat(container, path)
        .await
        .map_err(|e| engine_error(format!("checking {path} in {container}"), container, e))?;
    let Some(stat) = stat else {
        return Ok(None);
    };
    let bad = |reason: String| HotfixError::BadPath {
        path: path.to_string(),
        reason,
    };
    if stat.is_symlink() {
        return Err(bad(format!(
            "it is a symlink (to {}); hotfix never writes through a symlink",
            stat.link_target
        )));
    }
    if stat.is_dir() {
        return Err(bad("it is a folder; name a file".to_string()));
    }
    if !stat.is_file() {
        return Err(bad("it is not a regular file".to_string()));
    }
    let tar = read_archive(engine, container, path).await?;
    let (meta, content) = file_from_tar(&tar, path)?;
    Ok(Some(ContainerFile { meta, content, tar }))
}

/// The archive of `path`, whole (at most [`MAX_FILE`] bytes).
async fn read_archive<A: EngineApi>(
    engine: &Engine<A>,
    container: &str,
    path: &str,
) -> Result<Vec<u8>, HotfixError> {
    let mut stream = engine.api().archive(container, path);
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| engine_error(format!("reading {path} in {container}"), container, e))?;
        out.extend_from_slice(&chunk);
        if out.len() > MAX_FILE + 64 * 1024 {
            return Err(HotfixError::BadPath {
                path: path.to_string(),
                reason: format!("it is larger than {} MiB", MAX_FILE / (1024 * 1024)),
            });
        }
    }
    Ok(out)
}

/// The one regular file of an archive of `path`: its metadata and bytes.
pub fn file_from_tar(tar: &[u8], path: &str) -> Result<(FileMeta, Vec<u8>), HotfixError> {
    let bad = |reason: String| HotfixError::Other(format!("archive of {path}: {reason}"));
    let mut archive = tar::Archive::new(tar);
    let entries = archive.entries().map_err(|e| bad(e.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| bad(e.to_string()))?;
        let header = entry.header();
        if header.entry_type() != tar::EntryType::Regular {
            continue;
        }
        let mode = header.mode().map_err(|e| bad(e.to_string()))? & 0o7777;
        let uid = header.uid().map_err(|e| bad(e.to_string()))?;
        let gid = header.gid().map_err(|e| bad(e.to_string()))?;
        let mtime = header.mtime().map_err(|e| bad(e.to_string()))?;
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut content).map_err(|e| bad(e.to_string()))?;
        return Ok((
            FileMeta {
                mode,
                uid,
                gid,
                mtime: i64::try_from(mtime).unwrap_or(i64::MAX),
                size: content.len() as u64,
                sha256: sha256_hex(&content),
                kind: "file".to_string(),
            },
            content,
        ));
    }
    Err(bad("no regular file in it".to_string()))
}

/// A tar of one regular file `name` with this content, mode, owner and mtime.
pub fn build_tar(
    name: &str,
    content: &[u8],
    mode: u32,
    uid: u64,
    gid: u64,
    mtime: i64,
) -> Result<Vec<u8>, HotfixError> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(content.len() as u64);
    header.set_mode(mode);
    header.set_uid(uid);
    header.set_gid(gid);
    header.set_mtime(u64::try_from(mtime).unwrap_or(0));
    let mut builder = tar::Builder::new(Vec::new());
    builder
        .append_data(&mut header, name, content)
        .and_then(|()| builder.finish())
        .map_err(|e| HotfixError::Other(format!("building the archive of {name}: {e}")))?;
    builder
        .into_inner()
        .map_err(|e| HotfixError::Other(format!("building the archive of {name}: {e}")))
}

/// The blob name of the original of `path`.
pub fn backup_blob_name(path: &str) -> String {
    format!("orig-{}.tar", &sha256_hex(path.as_bytes())[..24])
}

/// What the first change to `path` in this hotfix saved: `(backup blob, original)`.
/// `Some((None, None))`: the hotfix created the file. `None`: the hotfix never changed it.
pub fn first_change(journal: &Journal, path: &str) -> Option<(Option<String>, Option<FileMeta>)> {
    journal.steps().iter().find_map(|s| match &s.action {
        Action::PutFile {
            path: p,
            backup,
            original,
            ..
        } if p == path => Some((backup.clone(), original.clone())),
        _ => None,
    })
}

/// What a write did.
#[derive(Debug, Clone)]
pub struct PutOutcome {
    pub step: u32,
    pub path: String,
    /// The file did not exist before the hotfix.
    pub created: bool,
    /// The file already had exactly these bytes (the write was still made and recorded).
    pub unchanged: bool,
    pub sha256: String,
}

/// Write `content` to `path` in the container, journaled. The path must be absolute with
/// no `..`, every folder above it a real folder, the target a regular file or nothing.
/// The new file keeps the replaced file's mode and owner (a created one gets `new_mode`,
/// owned by root). Before the first change to `path` its archive is saved as a blob.
pub async fn put_file<A: EngineApi>(
    engine: &Engine<A>,
    hotfix: &mut Hotfix,
    path: &str,
    content: &[u8],
    new_mode: u32,
) -> Result<PutOutcome, HotfixError> {
    put_file_expecting(engine, hotfix, path, content, new_mode, None).await
}

/// [`put_file`], refused when the file's sha256 is no longer `expected` (it changed since it
/// was read, e.g. while `edit` waited for the editor).
pub async fn put_file_expecting<A: EngineApi>(
    engine: &Engine<A>,
    hotfix: &mut Hotfix,
    path: &str,
    content: &[u8],
    new_mode: u32,
    expected: Option<&str>,
) -> Result<PutOutcome, HotfixError> {
    let container = hotfix.container_id().to_string();
    let name_for_messages = hotfix.journal.header().container.name.clone();
    let path = check_path(path)?;
    let facts = super::running_container(engine, &container)
        .await
        .map_err(|e| match e {
            HotfixError::NotRunning(_) => HotfixError::NotRunning(name_for_messages.clone()),
            HotfixError::NoSuchContainer(_) => {
                HotfixError::NoSuchContainer(name_for_messages.clone())
            }
            e => e,
        })?;
    check_not_mounted(&path, &facts.mounts)?;
    check_parents(engine, &container, &name_for_messages, &path).await?;
    let current = read_file(engine, &container, &path).await?;
    if let Some(expected) = expected {
        let now = current.as_ref().map(|f| f.meta.sha256.as_str());
        if now != Some(expected) {
            return Err(HotfixError::BadPath {
                path,
                reason: format!(
                    "it changed in {name_for_messages} since it was read (sha256 {} then, {} now); nothing was written",
                    &expected[..expected.len().min(12)],
                    now.map_or("missing", |s| &s[..s.len().min(12)])
                ),
            });
        }
    }
    let (backup, original) = match first_change(&hotfix.journal, &path) {
        Some(saved) => saved,
        None => match &current {
            Some(file) => {
                let blob = backup_blob_name(&path);
                hotfix.journal.write_blob(&blob, &file.tar)?;
                (Some(blob), Some(file.meta.clone()))
            }
            None => (None, None),
        },
    };
    let (mode, uid, gid) = match &current {
        Some(f) => (f.meta.mode, f.meta.uid, f.meta.gid),
        None => (new_mode & 0o7777, 0, 0),
    };
    let (parent, name) = split_path(&path);
    let tar = build_tar(name, content, mode, uid, gid, super::state::now_seconds())?;
    let new_sha256 = sha256_hex(content);
    let step = hotfix.journal.intend(Action::PutFile {
        path: path.clone(),
        backup: backup.clone(),
        original,
        new_sha256: new_sha256.clone(),
    })?;
    if let Err(e) = engine.api().put_archive(&container, parent, tar).await {
        let read_only = e.message.to_ascii_lowercase().contains("read-only");
        let err = if read_only {
            HotfixError::ReadOnly {
                container: name_for_messages,
                path: path.clone(),
                message: e.message.clone(),
            }
        } else {
            engine_error(format!("writing {path} in {container}"), &container, e)
        };
        hotfix.journal.failed(step, &err.to_string())?;
        return Err(err);
    }
    hotfix
        .journal
        .done(step, serde_json::json!({ "sha256": new_sha256 }))?;
    Ok(PutOutcome {
        step,
        path,
        created: backup.is_none(),
        unchanged: current.is_some_and(|f| f.meta.sha256 == new_sha256),
        sha256: new_sha256,
    })
}

/// Remove the file at `path` in the container (there is no delete in the archive API): an
/// exec of `rm -f -- PATH`, or, in an image without `rm` (distroless), of Python's
/// `os.remove` — never through a shell. A file already gone is not an error.
pub async fn remove_file<A: EngineApi>(
    engine: &Engine<A>,
    container: &str,
    path: &str,
) -> Result<(), HotfixError> {
    const PY: &str =
        "import os, sys\ntry:\n    os.remove(sys.argv[1])\nexcept FileNotFoundError:\n    pass\n";
    let attempts: [Vec<String>; 3] = [
        vec!["rm".into(), "-f".into(), "--".into(), path.into()],
        vec!["python3".into(), "-c".into(), PY.into(), path.into()],
        vec!["python".into(), "-c".into(), PY.into(), path.into()],
    ];
    let mut tried = Vec::new();
    for cmd in attempts {
        let shown = format!(
            "`{}`",
            if cmd[0] == "rm" {
                format!("rm -f -- {path}")
            } else {
                format!("{} os.remove", cmd[0])
            }
        );
        match exec(engine, container, cmd).await {
            Ok(out) if out.code == 0 => return Ok(()),
            // No such program in the image: the next way.
            Ok(out) if out.code == 126 || out.code == 127 => tried.push(shown),
            Ok(out) => {
                return Err(HotfixError::Other(format!(
                    "removing {path} in {container}: {shown} exited {}: {}",
                    out.code,
                    String::from_utf8_lossy(&out.stderr).trim()
                )))
            }
            Err(HotfixError::Engine { message, .. })
                if message.contains("executable file not found")
                    || message.contains("no such file or directory") =>
            {
                tried.push(shown)
            }
            Err(e) => return Err(e),
        }
    }
    Err(HotfixError::Other(format!(
        "removing {path} in {container}: the image has neither `rm` nor Python ({} could not run)",
        tried.join(", ")
    )))
}

/// The output of a command run in the container.
#[derive(Debug, Clone)]
pub struct ExecOutput {
    pub code: i64,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Run `cmd` (no shell, no environment) in the container as root and wait for it: the
/// hotfix manages files whatever user the service runs as.
pub async fn exec<A: EngineApi>(
    engine: &Engine<A>,
    container: &str,
    cmd: Vec<String>,
) -> Result<ExecOutput, HotfixError> {
    let what = cmd.join(" ");
    let api = engine.api();
    let created = api.create_exec_as(container, cmd, "0").await.map_err(|e| {
        engine_error(
            format!("creating exec `{what}` in {container}"),
            container,
            e,
        )
    })?;
    let mut output = api
        .start_exec(&created)
        .await
        .map_err(|e| engine_error(format!("starting `{what}` in {container}"), container, e))?;
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    while let Some(item) = output.next().await {
        match item {
            Ok(ExecChunk::Stdout(m)) if stdout.len() < MAX_FILE => stdout.extend_from_slice(&m),
            Ok(ExecChunk::Stderr(m)) if stderr.len() < MAX_FILE => stderr.extend_from_slice(&m),
            Ok(_) => {}
            Err(e) => {
                return Err(engine_error(
                    format!("reading the output of `{what}` in {container}"),
                    container,
                    e,
                ))
            }
        }
    }
    let code = api
        .exec_exit_code(&created)
        .await
        .map_err(|e| engine_error(format!("inspecting `{what}` in {container}"), container, e))?;
    Ok(ExecOutput {
        code: code.unwrap_or(-1),
        stdout,
        stderr,
    })
}

/// Every path a step wrote (or may have written: intended, done or failed — a failed
/// write may have been half made), in the order of their first change.
pub fn touched_paths(journal: &Journal) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in journal.steps() {
        if let Action::PutFile { path, .. } = &s.action {
            if !out.contains(path) {
                out.push(path.clone());
            }
        }
    }
    out
}

/// Every sha256 a step of this hotfix wrote to `path`.
pub fn written_sha256s(journal: &Journal, path: &str) -> Vec<String> {
    journal
        .steps()
        .iter()
        .filter_map(|s| match &s.action {
            Action::PutFile {
                path: p,
                new_sha256,
                ..
            } if p == path => Some(new_sha256.clone()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_checked() {
        assert_eq!(check_path("/app//./app.py").expect("ok"), "/app/app.py");
        for bad in ["app.py", "/app/../etc/passwd", "/", "/app/", "//"] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
        assert_eq!(split_path("/app.py"), ("/", "app.py"));
        assert_eq!(split_path("/a/b/c"), ("/a/b", "c"));
    }

    #[test]
    fn mounts_are_refused() {
        let mounts = vec!["/data".to_string(), "/srv/cache/".to_string()];
        assert!(check_not_mounted("/data/x", &mounts).is_err());
        assert!(check_not_mounted("/srv/cache/a/b", &mounts).is_err());
        assert!(check_not_mounted("/database/x", &mounts).is_ok());
        assert!(check_not_mounted("/app/app.py", &mounts).is_ok());
    }

    #[test]
    fn tar_round_trip_keeps_mode_owner_mtime() {
        let tar = build_tar("f.py", b"print(1)\n", 0o640, 1234, 1234, 1_700_000_000).expect("tar");
        let (meta, content) = file_from_tar(&tar, "/app/f.py").expect("read");
        assert_eq!(content, b"print(1)\n");
        assert_eq!(
            (meta.mode, meta.uid, meta.gid, meta.mtime, meta.size),
            (0o640, 1234, 1234, 1_700_000_000, 9)
        );
        assert_eq!(meta.sha256, sha256_hex(b"print(1)\n"));
    }
}
