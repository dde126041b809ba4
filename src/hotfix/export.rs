//! `hotfix export`: carry the fix back to the repository the image was built from.
//!
//! Each changed file is mapped to its place in the repository (`--map CONTAINER_DIR=REPO_DIR`,
//! else through the Dockerfile's `WORKDIR` and `COPY`/`ADD` of its last stage: a later copy
//! overwrites an earlier one, as in the build; a path no copy provides, or that several could
//! provide, is an error that asks for `--map`). The requirements files are pinned to what the
//! container now runs (`pin --sync` from the container, pin's own library). Everything is
//! committed on a new branch `hotfix-<slug>`, made from the image's
//! `org.opencontainers.image.revision` label when present, else `HEAD`, in a worktree of its own
//! in a temporary folder: the user's checkout, index and uncommitted work are never touched.
//! The worktree is removed afterwards; on an error before the commit, the branch is not made.

use std::path::{Component, Path, PathBuf};
use std::process::Command;

use super::commit::{changed_files, changed_packages, refuse_unfinished};
use super::packages::read_archive;
use super::{Action, HotfixError, Journal, StepState};
use crate::config::Settings;
use crate::docker::{Engine, EngineApi};
use crate::lint::dockerfile::{ContextCopy, FinalStage};
use crate::source::SourceFile;

/// The label naming the commit an image was built from.
pub const REVISION_LABEL: &str = "org.opencontainers.image.revision";

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Unfinished(String),
    #[error("{0}")]
    Map(String),
    #[error("git {args} (in {dir}): {message}")]
    Git {
        args: String,
        dir: String,
        message: String,
    },
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{0}")]
    Container(String),
    #[error(transparent)]
    Hotfix(#[from] HotfixError),
}

/// What the user asked of `hotfix export`, resolved.
#[derive(Debug, Clone, Default)]
pub struct ExportRequest {
    pub repo: PathBuf,
    /// `--map CONTAINER_DIR=REPO_DIR` (repository side relative to its top folder).
    pub maps: Vec<(String, String)>,
    /// `--dockerfile PATH` (relative to the repository's top folder, or inside it).
    pub dockerfile: Option<PathBuf>,
    /// `--python-env KEY`: the environment the requirements are pinned from (default: the one
    /// the hotfix pinned packages in, else the only one).
    pub python_env: Option<String>,
}

/// Parses `CONTAINER_DIR=REPO_DIR`.
pub fn parse_map(text: &str) -> Result<(String, String), ExportError> {
    let Some((container, repo)) = text.split_once('=') else {
        return Err(ExportError::Usage(format!(
            "--map {text}: expected CONTAINER_DIR=REPO_DIR"
        )));
    };
    if !container.starts_with('/') {
        return Err(ExportError::Usage(format!(
            "--map {text}: the container side must be an absolute path"
        )));
    }
    Ok((
        fold(container),
        repo.trim_end_matches('/')
            .trim_start_matches("./")
            .to_string(),
    ))
}

fn fold(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// A repository-relative path that stays inside the repository.
fn inside(rel: &str) -> Option<PathBuf> {
    let path = Path::new(rel);
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// Where the container's `path` lives in the repository. `exists` says whether a
/// repository-relative path exists at the branch's base.
pub fn map_path(
    path: &str,
    maps: &[(String, String)],
    stage: Option<&FinalStage>,
    exists: &dyn Fn(&Path) -> bool,
) -> Result<PathBuf, ExportError> {
    let ask = |why: String| {
        ExportError::Map(format!(
            "{path}: {why}; say where it belongs with --map CONTAINER_DIR=REPO_DIR"
        ))
    };
    // --map: the longest container folder that holds the path.
    let best = maps
        .iter()
        .filter(|(c, _)| path == c || path.starts_with(&format!("{}/", c.trim_end_matches('/'))))
        .max_by_key(|(c, _)| c.len());
    if let Some((c, r)) = best {
        let rest = path[c.len()..].trim_start_matches('/');
        let rel = match (r.as_str(), rest) {
            ("" | ".", rest) => rest.to_string(),
            (r, "") => r.to_string(),
            (r, rest) => format!("{r}/{rest}"),
        };
        return inside(&rel)
            .ok_or_else(|| ask(format!("--map {c}={r} leads outside the repository")));
    }
    let Some(stage) = stage else {
        return Err(ask("there is no Dockerfile to map it through".into()));
    };
    // Through the last stage's copies: the last one that provides the file wins, as in the
    // build. A folder copy provides it when the source exists; a file copy always.
    let candidate = |c: &ContextCopy| -> Option<String> {
        if c.dest_is_dir {
            let prefix = format!("{}/", c.dest.trim_end_matches('/'));
            let rest = path.strip_prefix(&prefix)?;
            if c.src_is_dir {
                Some(if c.src == "." {
                    rest.to_string()
                } else {
                    format!("{}/{rest}", c.src)
                })
            } else {
                let name = c.src.rsplit('/').next().unwrap_or(&c.src);
                (name == rest).then(|| c.src.clone())
            }
        } else {
            (path == c.dest.trim_end_matches('/')).then(|| c.src.clone())
        }
    };
    let mut folder_candidates: Vec<String> = Vec::new();
    for c in stage.copies.iter().rev() {
        let under = path.starts_with(&format!("{}/", c.dest.trim_end_matches('/')));
        if c.src.contains(['*', '?', '[']) && under {
            return Err(ask(format!(
                "it may come from the pattern `{}` of a COPY (ambiguous)",
                c.src
            )));
        }
        let Some(rel) = candidate(c) else { continue };
        let Some(rel_path) = inside(&rel) else {
            return Err(ask(format!(
                "its COPY source `{}` is outside the repository",
                c.src
            )));
        };
        if !c.src_is_dir || exists(&rel_path) {
            return Ok(rel_path);
        }
        folder_candidates.push(rel);
    }
    folder_candidates.dedup();
    match folder_candidates.as_slice() {
        // A file the hotfix created: the one folder copied there.
        [one] => inside(one).ok_or_else(|| ask("outside the repository".into())),
        [] => Err(ask(format!(
            "the Dockerfile's last stage (WORKDIR {}) copies nothing from the repository there",
            stage.workdir
        ))),
        many => Err(ask(format!(
            "it is new, and {} folders are copied there ({}): ambiguous",
            many.len(),
            many.join(", ")
        ))),
    }
}

/// Runs git in `dir`; its stdout, trimmed.
fn git(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<String, ExportError> {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(dir).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().map_err(|e| ExportError::Git {
        args: args.join(" "),
        dir: dir.display().to_string(),
        message: format!("cannot run git: {e}"),
    })?;
    if !out.status.success() {
        return Err(ExportError::Git {
            args: args.join(" "),
            dir: dir.display().to_string(),
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// What `hotfix export` did.
#[derive(Debug, Clone)]
pub struct Exported {
    pub repo: PathBuf,
    pub branch: String,
    /// The commit the branch was made from, and where that came from (`label`, `HEAD`).
    pub base: String,
    pub base_from: String,
    pub commit: Option<String>,
    /// Container path → repository path.
    pub files: Vec<(String, PathBuf)>,
    /// Requirements files pin rewrote (repository-relative).
    pub pinned: Vec<PathBuf>,
    pub notes: Vec<String>,
}

/// A temporary worktree, removed (with its registration) when dropped.
struct Worktree {
    repo: PathBuf,
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let path = self.path.to_string_lossy().into_owned();
        let _ = git(&self.repo, &["worktree", "remove", "--force", &path], &[]);
        let _ = git(&self.repo, &["worktree", "prune"], &[]);
    }
}

/// `hotfix export` of the hotfix of `journal` into the repository of `request.repo`.
pub async fn export<A: EngineApi>(
    engine: &Engine<A>,
    journal: &mut Journal,
    request: &ExportRequest,
    settings: &Settings,
) -> Result<Exported, ExportError> {
    refuse_unfinished(journal, "export").map_err(ExportError::Unfinished)?;
    let header = journal.header().clone();
    let container = header.container.id.clone();
    let name = header.container.name.clone();
    let top = PathBuf::from(git(&request.repo, &["rev-parse", "--show-toplevel"], &[])?);
    let branch = format!("hotfix-{}", header.slug);
    let exists = git(
        &top,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/heads/{branch}"),
        ],
        &[],
    );
    if exists.is_ok_and(|s| !s.is_empty()) {
        return Err(ExportError::Usage(format!(
            "branch {branch} already exists in {}: not overwritten (delete it with `git branch -D {branch}` to export again)",
            top.display()
        )));
    }
    let (base_rev, base_from) = match header.container.labels.get(REVISION_LABEL) {
        Some(rev) if !rev.trim().is_empty() => {
            (rev.trim().to_string(), format!("label {REVISION_LABEL}"))
        }
        _ => ("HEAD".to_string(), "HEAD".to_string()),
    };
    let base = git(
        &top,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{base_rev}^{{commit}}"),
        ],
        &[],
    )
    .map_err(|_| {
        ExportError::Usage(format!(
            "{}: no commit {base_rev} (from the image's {base_from}); fetch it first",
            top.display()
        ))
    })?;
    let files = changed_files(journal);
    let packages = changed_packages(journal);
    // The container's files as they are now, and what it runs.
    let mut contents: Vec<(String, Vec<u8>, u32)> = Vec::new();
    for path in &files {
        let tar = read_archive(engine, &container, path)
            .await
            .map_err(|e| ExportError::Container(e.to_string()))?
            .ok_or_else(|| {
                ExportError::Container(format!("{path} is gone from container {name}"))
            })?;
        let (bytes, mode) = first_file(&tar).ok_or_else(|| {
            ExportError::Container(format!("{path} in container {name} is not a regular file"))
        })?;
        contents.push((path.clone(), bytes, mode));
    }
    let inventory = engine
        .container_inventory(&container, &format!("container:{name}"))
        .await
        .map_err(|e| ExportError::Container(e.to_string()))?;
    let pip_env = journal
        .steps()
        .iter()
        .rev()
        .find_map(|s| match (&s.action, &s.state) {
            (Action::PipInstall { env_key, .. }, StepState::Done(_)) => Some(env_key.clone()),
            _ => None,
        });
    let step = journal.intend(Action::Export {
        repo: top.display().to_string(),
        branch: branch.clone(),
    })?;
    let result = carry(
        &top,
        &base,
        &branch,
        request,
        settings,
        &contents,
        inventory,
        request.python_env.clone().or(pip_env),
        &format!("container:{name}"),
        &commit_message(journal, &packages),
    );
    match result {
        Ok((commit, mapped, pinned, notes)) => {
            journal.done(
                step,
                serde_json::json!({
                    "base": base,
                    "commit": commit,
                    "files": mapped.iter().map(|(c, r)| (c.clone(), r.display().to_string())).collect::<Vec<_>>(),
                    "pinned": pinned.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
                }),
            )?;
            Ok(Exported {
                repo: top,
                branch,
                base,
                base_from,
                commit,
                files: mapped,
                pinned,
                notes,
            })
        }
        Err(e) => {
            journal.failed(step, &e.to_string())?;
            Err(e)
        }
    }
}

type Carried = (
    Option<String>,
    Vec<(String, PathBuf)>,
    Vec<PathBuf>,
    Vec<String>,
);

/// The part in the repository: worktree, files, pins, branch, commit.
#[allow(clippy::too_many_arguments)]
fn carry(
    top: &Path,
    base: &str,
    branch: &str,
    request: &ExportRequest,
    settings: &Settings,
    contents: &[(String, Vec<u8>, u32)],
    inventory: crate::inventory::Inventory,
    python_env: Option<String>,
    source: &str,
    message: &str,
) -> Result<Carried, ExportError> {
    let dir = tempfile::Builder::new()
        .prefix("pindrift-export-")
        .tempdir()
        .map_err(|e| ExportError::Io {
            path: std::env::temp_dir().display().to_string(),
            message: e.to_string(),
        })?;
    let path = dir.path().join("worktree");
    let path_text = path.to_string_lossy().into_owned();
    git(
        top,
        &["worktree", "add", "--quiet", "--detach", &path_text, base],
        &[],
    )?;
    let wt = Worktree {
        repo: top.to_path_buf(),
        path: path.clone(),
        _dir: dir,
    };
    let mut notes = Vec::new();
    // The Dockerfile, as the base revision has it.
    let dockerfile = match &request.dockerfile {
        Some(d) => {
            let rel = if d.is_absolute() {
                let abs = crate::paths::absolute(d);
                abs.strip_prefix(top).map(Path::to_path_buf).map_err(|_| {
                    ExportError::Usage(format!(
                        "--dockerfile {}: not inside the repository {}",
                        d.display(),
                        top.display()
                    ))
                })?
            } else {
                d.clone()
            };
            let full = wt.path.join(&rel);
            if !full.is_file() {
                return Err(ExportError::Usage(format!(
                    "--dockerfile {}: no such file at {base}",
                    d.display()
                )));
            }
            Some(full)
        }
        None => Some(wt.path.join("Dockerfile")).filter(|p| p.is_file()),
    };
    let stage = match &dockerfile {
        Some(p) => {
            let text = std::fs::read(p).map_err(|e| ExportError::Io {
                path: p.display().to_string(),
                message: e.to_string(),
            })?;
            let source = SourceFile::from_bytes(p, p.display().to_string(), text);
            let mut s = settings.clone();
            s.context = p.parent().map(Path::to_path_buf);
            let stage = crate::lint::dockerfile::final_stage(&source, &s).map_err(|e| {
                ExportError::Usage(format!("{}: cannot be read: {}", p.display(), e.message))
            })?;
            Some(stage)
        }
        None => None,
    };
    // Paths in the Dockerfile's context are relative to its folder.
    let context_rel = dockerfile
        .as_ref()
        .and_then(|p| p.parent())
        .and_then(|p| p.strip_prefix(&wt.path).ok())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut mapped = Vec::new();
    for (cpath, _, _) in contents {
        let exists = |rel: &Path| wt.path.join(&context_rel).join(rel).exists();
        let rel = map_path(cpath, &request.maps, stage.as_ref(), &exists)?;
        // --map is relative to the top folder; the Dockerfile's copies to its folder.
        let in_maps = request.maps.iter().any(|(c, _)| {
            cpath == c || cpath.starts_with(&format!("{}/", c.trim_end_matches('/')))
        });
        let rel = if in_maps { rel } else { context_rel.join(rel) };
        mapped.push((cpath.clone(), rel));
    }
    for ((_, bytes, mode), (cpath, rel)) in contents.iter().zip(&mapped) {
        let full = wt.path.join(rel);
        // A link in the repository (the file or a folder above it) would take the write
        // out of the worktree: refused.
        let mut walked = wt.path.clone();
        for part in rel.components() {
            walked.push(part);
            if walked
                .symlink_metadata()
                .is_ok_and(|m| m.file_type().is_symlink())
            {
                return Err(ExportError::Map(format!(
                    "{cpath}: {} in the repository is a symbolic link; not written through it \
                     (say where the file belongs with --map CONTAINER_DIR=REPO_DIR)",
                    walked.strip_prefix(&wt.path).unwrap_or(&walked).display()
                )));
            }
        }
        if full.is_dir() {
            return Err(ExportError::Map(format!(
                "{cpath}: maps to {}, a folder in the repository; say where it belongs with --map CONTAINER_DIR=REPO_DIR",
                rel.display()
            )));
        }
        let io = |e: std::io::Error| ExportError::Io {
            path: full.display().to_string(),
            message: e.to_string(),
        };
        let existed = full.exists();
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(&full, bytes).map_err(io)?;
        #[cfg(unix)]
        if !existed {
            use std::os::unix::fs::PermissionsExt;
            let exec = if mode & 0o111 != 0 { 0o755 } else { 0o644 };
            std::fs::set_permissions(&full, std::fs::Permissions::from_mode(exec)).map_err(io)?;
        }
        #[cfg(not(unix))]
        let _ = (existed, mode);
    }
    // The requirements, pinned to what the container runs now.
    let pinned = pin_requirements(
        &wt.path, settings, inventory, python_env, source, &mut notes,
    )?;
    let mut add: Vec<String> = vec!["add".into(), "--".into()];
    add.extend(mapped.iter().map(|(_, r)| r.to_string_lossy().into_owned()));
    add.extend(pinned.iter().map(|r| r.to_string_lossy().into_owned()));
    let add_refs: Vec<&str> = add.iter().map(String::as_str).collect();
    git(&wt.path, &add_refs, &[])?;
    let staged = Command::new("git")
        .arg("-C")
        .arg(&wt.path)
        .args(["diff", "--cached", "--quiet"])
        .status()
        .map(|s| !s.success())
        .unwrap_or(true);
    if !staged {
        notes.push(format!(
            "the repository at {base} already has every change: no branch made"
        ));
        return Ok((None, mapped, pinned, notes));
    }
    git(&wt.path, &["switch", "--quiet", "-c", branch], &[])?;
    let identity: Vec<(&str, &str)> = if git(&wt.path, &["var", "GIT_COMMITTER_IDENT"], &[]).is_ok()
    {
        Vec::new()
    } else {
        vec![
            ("GIT_AUTHOR_NAME", "pindrift hotfix"),
            ("GIT_AUTHOR_EMAIL", "pindrift@localhost"),
            ("GIT_COMMITTER_NAME", "pindrift hotfix"),
            ("GIT_COMMITTER_EMAIL", "pindrift@localhost"),
        ]
    };
    let committed = git(&wt.path, &["commit", "--quiet", "-m", message], &identity);
    if let Err(e) = committed {
        // No commit: the branch would point at the base; take it away again.
        let _ = git(&wt.path, &["switch", "--quiet", "--detach"], &[]);
        let _ = git(top, &["branch", "-D", branch], &[]);
        return Err(e);
    }
    let commit = git(&wt.path, &["rev-parse", "HEAD"], &[])?;
    drop(wt);
    Ok((Some(commit), mapped, pinned, notes))
}

/// `pin --sync --from container:…` on the requirements files of the worktree: pin's own
/// planner and writer (which checks the written files with the lint). Dockerfiles are left
/// alone (their images are not what the hotfix changed). Returns the files rewritten.
fn pin_requirements(
    wt: &Path,
    settings: &Settings,
    inventory: crate::inventory::Inventory,
    python_env: Option<String>,
    source: &str,
    notes: &mut Vec<String>,
) -> Result<Vec<PathBuf>, ExportError> {
    use crate::discover::{discover_all, FileKind};
    let mut settings = settings.clone();
    settings.trees = crate::paths::Trees::of(&[wt.to_path_buf()]);
    settings.context = None;
    let (files, _) =
        discover_all(&[wt.to_path_buf()], None, &settings).map_err(|e| ExportError::Io {
            path: wt.display().to_string(),
            message: e.to_string(),
        })?;
    let requirements: Vec<_> = files
        .into_iter()
        .filter(|f| f.kind == FileKind::Requirements)
        .collect();
    if requirements.is_empty() {
        notes.push("no requirements file in the repository: nothing pinned".into());
        return Ok(Vec::new());
    }
    let facts = match crate::pin::facts::Facts::from_inventory(inventory, python_env.as_deref()) {
        Ok(f) => f,
        Err(e) => {
            return Err(ExportError::Usage(format!(
                "pinning the requirements: {e} (--python-env KEY)"
            )))
        }
    };
    let options = crate::pin::plan::PinOptions {
        sync: true,
        source: source.to_string(),
        ..Default::default()
    };
    let request = crate::pin::PinRequest {
        discovered: &requirements,
        settings: &settings,
        options: &options,
        lock: None,
    };
    let outcome = crate::pin::plan(&request, &facts);
    if !outcome.errors.is_empty() {
        return Err(ExportError::Usage(format!(
            "pinning the requirements: {}",
            outcome.errors.join("; ")
        )));
    }
    let errors = crate::pin::write(&outcome, &settings);
    if !errors.is_empty() {
        return Err(ExportError::Usage(format!(
            "pinning the requirements: {}",
            errors.join("; ")
        )));
    }
    notes.extend(outcome.notes.iter().cloned());
    for plan in &outcome.plans {
        let file = plan
            .path
            .strip_prefix(wt)
            .unwrap_or(&plan.path)
            .display()
            .to_string();
        for left in plan.left.iter().filter(|l| l.why.is_unresolved()) {
            notes.push(format!(
                "{file}:{} `{}` not pinned: {}",
                left.line, left.subject, left.why
            ));
        }
    }
    Ok(outcome
        .plans
        .iter()
        .filter(|p| !p.changes.is_empty())
        .filter_map(|p| p.path.strip_prefix(wt).ok().map(Path::to_path_buf))
        .collect())
}

/// The first regular file of a tar: bytes and mode.
fn first_file(tar_bytes: &[u8]) -> Option<(Vec<u8>, u32)> {
    use std::io::Read;
    let mut archive = tar::Archive::new(tar_bytes);
    for entry in archive.entries().ok()? {
        let mut entry = entry.ok()?;
        if entry.header().entry_type().is_file() {
            let mode = entry.header().mode().unwrap_or(0o644);
            let mut out = Vec::new();
            entry.read_to_end(&mut out).ok()?;
            return Some((out, mode));
        }
    }
    None
}

/// `hotfix <slug>: <reason>`, then what and where.
fn commit_message(journal: &Journal, packages: &[super::commit::PackageChange]) -> String {
    let h = journal.header();
    let mut m = format!("hotfix {}: {}\n\n", h.slug, h.reason);
    m.push_str(&format!(
        "Carried back by pindrift from hotfix {} of container {} (image {}, {}).\n",
        h.id,
        h.container.name,
        h.container.image_ref.as_deref().unwrap_or("unnamed"),
        h.container.image_id
    ));
    let files = changed_files(journal);
    if !files.is_empty() {
        m.push_str("\nFiles changed in the container:\n");
        for f in files {
            m.push_str(&format!("  {f}\n"));
        }
    }
    if !packages.is_empty() {
        m.push_str("\nPackages:\n");
        for p in packages {
            m.push_str(&format!(
                "  {} {} -> {}\n",
                p.name,
                p.before.as_deref().unwrap_or("(absent)"),
                p.after.as_deref().unwrap_or("(removed)")
            ));
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(src: &str, dest: &str, dest_is_dir: bool, src_is_dir: bool) -> ContextCopy {
        ContextCopy {
            src: src.into(),
            dest: dest.into(),
            dest_is_dir,
            src_is_dir,
        }
    }

    fn stage(copies: Vec<ContextCopy>) -> FinalStage {
        FinalStage {
            workdir: "/app".into(),
            copies,
        }
    }

    fn map(
        path: &str,
        maps: &[(&str, &str)],
        st: &FinalStage,
        have: &[&str],
    ) -> Result<String, String> {
        let maps: Vec<(String, String)> = maps
            .iter()
            .map(|(c, r)| parse_map(&format!("{c}={r}")).unwrap())
            .collect();
        let exists = |p: &Path| have.iter().any(|h| Path::new(h) == p);
        map_path(path, &maps, Some(st), &exists)
            .map(|p| p.display().to_string())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn paths_map_through_the_last_copy_that_provides_them() {
        let st = stage(vec![
            copy(".", "/app", true, true),
            copy("conf/prod.py", "/app/settings.py", false, false),
            copy("requirements.txt", "/tmp/", true, false),
        ]);
        assert_eq!(map("/app/app.py", &[], &st, &["app.py"]).unwrap(), "app.py");
        assert_eq!(
            map(
                "/app/settings.py",
                &[],
                &st,
                &["settings.py", "conf/prod.py"]
            )
            .unwrap(),
            "conf/prod.py"
        );
        assert_eq!(
            map("/tmp/requirements.txt", &[], &st, &[]).unwrap(),
            "requirements.txt"
        );
        // A new file: the one folder copied there.
        assert_eq!(map("/app/new.py", &[], &st, &[]).unwrap(), "new.py");
        let err = map("/etc/app.conf", &[], &st, &[]).unwrap_err();
        assert!(err.contains("--map CONTAINER_DIR=REPO_DIR"), "{err}");
    }

    #[test]
    fn a_new_file_two_folders_could_hold_is_ambiguous_and_map_decides() {
        let st = stage(vec![
            copy("src", "/app", true, true),
            copy("lib", "/app", true, true),
        ]);
        assert_eq!(
            map("/app/a.py", &[], &st, &["src/a.py"]).unwrap(),
            "src/a.py"
        );
        assert_eq!(
            map("/app/a.py", &[], &st, &["src/a.py", "lib/a.py"]).unwrap(),
            "lib/a.py"
        );
        let err = map("/app/new.py", &[], &st, &[]).unwrap_err();
        assert!(err.contains("ambiguous") && err.contains("--map"), "{err}");
        assert_eq!(
            map("/app/new.py", &[("/app", "src")], &st, &[]).unwrap(),
            "src/new.py"
        );
        assert_eq!(
            map(
                "/app/x/y.py",
                &[("/app", "."), ("/app/x", "vendor/x")],
                &st,
                &[]
            )
            .unwrap(),
            "vendor/x/y.py"
        );
        let err = map("/app/y.py", &[("/app", "../elsewhere")], &st, &[]).unwrap_err();
        assert!(err.contains("outside the repository"), "{err}");
    }

    #[test]
    fn patterns_are_ambiguous() {
        let st = stage(vec![copy("*.py", "/app/", true, false)]);
        let err = map("/app/a.py", &[], &st, &[]).unwrap_err();
        assert!(err.contains("pattern"), "{err}");
    }

    #[test]
    fn the_dockerfile_reader_gives_the_last_stage() {
        let text = "FROM python:3.12 AS build\nCOPY . /src\nFROM python:3.12\nARG D=/app\nWORKDIR $D\nCOPY . .\nCOPY --from=build /src/x /x\n";
        let source = SourceFile::new("/nonexistent/Dockerfile", "Dockerfile", text);
        let st = crate::lint::dockerfile::final_stage(&source, &Settings::default()).unwrap();
        assert_eq!(st.workdir, "/app");
        assert_eq!(st.copies, [copy(".", "/app", true, true)]);
    }

    #[test]
    fn maps_are_checked() {
        assert!(parse_map("app=src").is_err());
        assert!(parse_map("/app").is_err());
        assert_eq!(
            parse_map("/app/=./src/").unwrap(),
            ("/app".into(), "src".into())
        );
    }
}
