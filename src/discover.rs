//! Finding the files to lint: a parallel, gitignore-aware walk that skips version
//! control, virtualenvs and build output, and classifies files by name.

use crate::config::Settings;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    Requirements,
    Dockerfile,
    /// A Compose file (`compose.yaml`, `docker-compose.*.yml` …).
    Compose,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Discovered {
    pub path: PathBuf,
    pub kind: FileKind,
    /// Named on the command line (linted whatever its name).
    pub explicit: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("{path}: No such file or directory")]
    Missing { path: String },
    #[error("{path}: {kind}, not a regular file: not read")]
    NotRegular { path: String, kind: &'static str },
    #[error("{path}: {message}")]
    Walk { path: String, message: String },
    #[error("{path}: cannot tell whether this is a Dockerfile or a requirements file ({reason}); pass --kind dockerfile, --kind requirements or --kind compose")]
    UnknownKind { path: String, reason: KindUnknown },
    #[error("exclude pattern `{pattern}`: {message}")]
    Pattern { pattern: String, message: String },
}

/// Why the content of a file whose name says nothing does not tell its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KindUnknown {
    /// It could not be read (the I/O error, as pindrift words it).
    #[error("{message}")]
    Unreadable { message: String },
    /// Its first meaningful line (1-based `line`, starting at byte `offset`) is neither an
    /// instruction nor a requirement; `excerpt` is that line, shortened and escaped.
    #[error("its first line is `{excerpt}`")]
    FirstLine {
        line: usize,
        offset: usize,
        excerpt: String,
    },
}

/// Folders never worth walking into.
const SKIPPED_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "target",
    "site-packages",
    "dist-packages",
    "__pycache__",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
];

/// Names that start like a Dockerfile but are not one: BuildKit's per-Dockerfile ignore
/// file (`Dockerfile.dockerignore`), documentation and scripts about it, editor and merge
/// leftovers. Compared case-insensitively with the end of the name.
const NOT_DOCKERFILE_SUFFIXES: &[&str] = &[
    ".dockerignore",
    ".md",
    ".markdown",
    ".rst",
    ".txt",
    ".sh",
    ".bash",
    ".ps1",
    ".py",
    ".json",
    ".yml",
    ".yaml",
    ".toml",
    ".swp",
    ".swo",
    ".orig",
    ".bak",
    ".rej",
    ".tmp",
    ".old",
    ".patch",
    ".diff",
    "~",
];

/// Classifies a file by its name.
pub fn classify(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    let look_alike = NOT_DOCKERFILE_SUFFIXES
        .iter()
        .any(|suffix| lower.ends_with(suffix));
    let dockerfile_name = ["Dockerfile", "Containerfile"].iter().any(|base| {
        name.strip_prefix(base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '-']))
    });
    if crate::lint::compose::is_compose_name(name) {
        return Some(FileKind::Compose);
    }
    if !look_alike && (dockerfile_name || lower.ends_with(".dockerfile")) {
        return Some(FileKind::Dockerfile);
    }
    let in_requirements_dir = path
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|dir| dir == "requirements");
    if (lower.contains("requirements") && lower.ends_with(".txt"))
        || (lower.starts_with("requirements") && lower.ends_with(".in"))
        || (lower.starts_with("constraints") && lower.ends_with(".txt"))
        || (in_requirements_dir && lower.ends_with(".txt"))
    {
        return Some(FileKind::Requirements);
    }
    None
}

/// The file that marks a virtualenv's root folder.
const VIRTUALENV_MARKER: &str = "pyvenv.cfg";

/// Walks `paths` (files or folders) and returns the files to lint, sorted; the first folder
/// that cannot be walked is an error.
pub fn discover(
    paths: &[PathBuf],
    forced: Option<FileKind>,
    settings: &Settings,
) -> Result<Vec<Discovered>, DiscoverError> {
    let (found, unwalkable) = discover_all(paths, forced, settings)?;
    match unwalkable.into_iter().next() {
        Some(error) => Err(error),
        None => Ok(found),
    }
}

/// Walks `paths` like [`discover`], but a folder that cannot be walked (permissions) does
/// not hide the rest: the files found and the walk errors are both returned.
pub fn discover_all(
    paths: &[PathBuf],
    forced: Option<FileKind>,
    settings: &Settings,
) -> Result<(Vec<Discovered>, Vec<DiscoverError>), DiscoverError> {
    let mut found = Vec::new();
    let mut folders = Vec::new();
    for path in paths {
        let metadata = std::fs::metadata(path).map_err(|_| DiscoverError::Missing {
            path: crate::paths::display_path(path),
        })?;
        if metadata.is_dir() {
            folders.push(path.clone());
        } else if let Some(kind) = crate::read::not_regular(path) {
            // A FIFO would block, a device never ends: refused before it is opened.
            return Err(DiscoverError::NotRegular {
                path: crate::paths::display_path(path),
                kind,
            });
        } else {
            // A file named explicitly is linted whatever its name; a name that says nothing
            // is recognised by its content.
            let kind = match forced.or_else(|| classify(path)) {
                Some(kind) => kind,
                None => kind_by_content(path).map_err(|reason| DiscoverError::UnknownKind {
                    path: crate::paths::display_path(path),
                    reason,
                })?,
            };
            found.push(Discovered {
                path: path.clone(),
                kind,
                explicit: true,
            });
        }
    }
    let mut unwalkable = Vec::new();
    if !folders.is_empty() {
        // `--kind` is for the files named; what a walk finds is classified by name.
        let (walked, errors) = walk(&folders, settings)?;
        found.extend(walked);
        unwalkable = errors;
    }
    found.sort();
    found.dedup_by(|a, b| a.path == b.path);
    Ok((found, unwalkable))
}

/// Dockerfile instructions (BuildKit's list), any case.
const INSTRUCTIONS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// The kind of a file whose name says nothing, from its first meaningful line: a parser
/// directive (`# syntax=`, `# escape=`, `# check=`) or an instruction (`FROM`, `ARG`, …)
/// makes a Dockerfile; a pip option or a requirement makes a requirements file; an empty
/// file is an (empty) requirements file. Anything else is an error naming the file.
fn kind_by_content(path: &Path) -> Result<FileKind, KindUnknown> {
    // The first meaningful line is near the start: a bounded prefix is enough, and a file
    // past the size cap is still classified (and then reported as too large).
    let bytes = crate::read::read_regular_prefix(path, KIND_PREFIX).map_err(|err| {
        KindUnknown::Unreadable {
            message: err.to_string(),
        }
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let bom = usize::from(text.starts_with('\u{feff}')) * '\u{feff}'.len_utf8();
    let text = &text[bom..];
    let mut directives = true;
    let mut offset = bom;
    for (number, raw) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw.len();
        let line = raw.trim();
        if line.is_empty() {
            directives = false;
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let is_directive = comment.split_once('=').is_some_and(|(key, _)| {
                matches!(
                    key.trim().to_ascii_lowercase().as_str(),
                    "syntax" | "escape" | "check"
                )
            });
            if directives && is_directive {
                return Ok(FileKind::Dockerfile);
            }
            directives = false;
            continue;
        }
        let word = line.split_whitespace().next().unwrap_or("");
        if INSTRUCTIONS.iter().any(|i| i.eq_ignore_ascii_case(word)) && line.len() > word.len() {
            return Ok(FileKind::Dockerfile);
        }
        if line.starts_with('-')
            || crate::lint::requirements::requirement::parse_requirement(
                line.split(" #").next().unwrap_or(line).trim(),
            )
            .is_ok()
        {
            return Ok(FileKind::Requirements);
        }
        return Err(KindUnknown::FirstLine {
            line: number + 1,
            offset: start,
            excerpt: crate::lint::excerpt(line),
        });
    }
    Ok(FileKind::Requirements)
}

/// How much of a file `kind_by_content` reads.
const KIND_PREFIX: u64 = 64 * 1024;

/// The configuration file's `exclude` patterns, rooted at its folder.
fn config_excludes(
    settings: &Settings,
) -> Result<Option<ignore::gitignore::Gitignore>, DiscoverError> {
    let Some(base) = settings
        .config_path
        .as_deref()
        .and_then(Path::parent)
        .filter(|_| !settings.config_exclude.is_empty())
    else {
        return Ok(None);
    };
    let base = crate::paths::absolute(base);
    let mut builder = ignore::gitignore::GitignoreBuilder::new(&base);
    for pattern in &settings.config_exclude {
        builder
            .add_line(None, pattern)
            .map_err(|err| DiscoverError::Pattern {
                pattern: pattern.clone(),
                message: err.to_string(),
            })?;
    }
    let built = builder.build().map_err(|err| DiscoverError::Pattern {
        pattern: settings.config_exclude.join(", "),
        message: err.to_string(),
    })?;
    Ok(Some(built))
}

/// The files found, and the folders that could not be walked.
type Walked = (Vec<Discovered>, Vec<DiscoverError>);

/// The ignore files the walker reads in every folder.
const IGNORE_FILES: &[&str] = &[".gitignore", ".ignore"];

/// Why the walker must not read an ignore file at `path`, if it must not: the walker
/// reads ignore files whole, so a FIFO would hang it and a link to `/dev/zero` (which git
/// can commit) would fill memory.
fn unsafe_ignore_file(path: &Path, cap: u64) -> Option<(String, String)> {
    let metadata = std::fs::metadata(path).ok()?;
    let reason = match crate::read::not_regular(path) {
        Some(kind) => format!("{kind}, not a regular file"),
        None if metadata.len() > cap => {
            format!("larger than the {} limit", crate::read::human_size(cap))
        }
        None => return None,
    };
    Some((
        crate::paths::display_path(path),
        format!("{reason}: ignore file not read, so its folder is not walked"),
    ))
}

/// The first unsafe ignore file among `names` in `dir`.
fn unsafe_ignore_in(dir: &Path, names: &[&str], cap: u64) -> Option<(String, String)> {
    names
        .iter()
        .find_map(|name| unsafe_ignore_file(&dir.join(name), cap))
}

fn walk(folders: &[PathBuf], settings: &Settings) -> Result<Walked, DiscoverError> {
    // The walked folders and their parents (whose ignore files and git exclude file the
    // walker reads too) are checked before the walk; folders below, as the walk meets them.
    let cap = settings.max_file_size;
    for folder in folders {
        for dir in crate::paths::absolute(folder).ancestors() {
            let names = [".gitignore", ".ignore", ".git/info/exclude"];
            if let Some((path, message)) = unsafe_ignore_in(dir, &names, cap) {
                return Err(DiscoverError::Walk { path, message });
            }
        }
    }
    let refused = std::sync::Arc::new(Mutex::new(Vec::new()));
    let refused_in_walk = refused.clone();
    let mut builder = ignore::WalkBuilder::new(&folders[0]);
    for folder in &folders[1..] {
        builder.add(folder);
    }
    let config_excludes = config_excludes(settings)?;
    let cwd = std::env::current_dir().unwrap_or_default();
    builder
        .hidden(false)
        .parents(true)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .require_git(false)
        .ignore(true)
        .follow_links(false)
        .filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if let Some(matcher) = &config_excludes {
                let absolute = crate::paths::normalize_lexically(&cwd.join(entry.path()));
                if absolute.starts_with(matcher.path())
                    && matcher
                        .matched_path_or_any_parents(&absolute, is_dir)
                        .is_ignore()
                {
                    return false;
                }
            }
            if !is_dir || entry.depth() == 0 {
                return true;
            }
            let name = entry.file_name().to_string_lossy();
            if SKIPPED_DIRS.contains(&name.as_ref()) {
                return false;
            }
            match unsafe_ignore_in(entry.path(), IGNORE_FILES, cap) {
                Some(refusal) => {
                    if let Ok(mut refused) = refused_in_walk.lock() {
                        refused.push(refusal);
                    }
                    false
                }
                None => true,
            }
        });
    if !settings.exclude.is_empty() {
        let mut overrides = ignore::overrides::OverrideBuilder::new(&folders[0]);
        for pattern in &settings.exclude {
            overrides
                .add(&format!("!{pattern}"))
                .map_err(|err| DiscoverError::Pattern {
                    pattern: pattern.clone(),
                    message: err.to_string(),
                })?;
        }
        let built = overrides.build().map_err(|err| DiscoverError::Pattern {
            pattern: settings.exclude.join(", "),
            message: err.to_string(),
        })?;
        builder.overrides(built);
    }
    let found = Mutex::new(Vec::new());
    let errors = Mutex::new(Vec::new());
    // Virtualenvs are recognised by their `pyvenv.cfg` as the walk meets it, and what was
    // found under them is dropped afterwards: cheaper than a stat per folder, and their
    // bulk (`site-packages`) is never walked anyway.
    let virtualenvs = Mutex::new(Vec::new());
    builder.build_parallel().run(|| {
        let found = &found;
        let errors = &errors;
        let virtualenvs = &virtualenvs;
        Box::new(move |entry| {
            match entry {
                Ok(entry) => {
                    let is_file = match entry.file_type() {
                        Some(t) if t.is_file() => true,
                        // A symlink to a file is linted; a symlink to a folder is not walked;
                        // a dangling one with a lintable name is kept, so reading it fails
                        // with an error naming it instead of vanishing from the report.
                        Some(t) if t.is_symlink() => {
                            entry.path().is_file() || !entry.path().exists()
                        }
                        _ => false,
                    };
                    if is_file && entry.file_name() == VIRTUALENV_MARKER && entry.depth() > 0 {
                        if let (Some(dir), Ok(mut venvs)) =
                            (entry.path().parent(), virtualenvs.lock())
                        {
                            venvs.push(dir.to_path_buf());
                        }
                    } else if is_file {
                        if let Some(kind) = classify(entry.path()) {
                            if let Ok(mut found) = found.lock() {
                                found.push(Discovered {
                                    path: entry.into_path(),
                                    kind,
                                    explicit: false,
                                });
                            }
                        }
                    }
                }
                Err(err) => {
                    if let Ok(mut errors) = errors.lock() {
                        errors.push(err.to_string());
                    }
                }
            }
            ignore::WalkState::Continue
        })
    });
    let mut errors: Vec<DiscoverError> = errors
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| !e.contains("File system loop"))
        .map(|message| DiscoverError::Walk {
            path: crate::paths::display_path(&folders[0]),
            message: match message.find(" (os error") {
                Some(cut) => message[..cut].to_string(),
                None => message,
            },
        })
        .collect();
    if let Ok(mut refused) = refused.lock() {
        errors.extend(
            refused
                .drain(..)
                .map(|(path, message)| DiscoverError::Walk { path, message }),
        );
    }
    errors.sort_by_key(|e| e.to_string());
    let mut found = found.into_inner().unwrap_or_default();
    let virtualenvs = virtualenvs.into_inner().unwrap_or_default();
    if !virtualenvs.is_empty() {
        found.retain(|file: &Discovered| {
            !virtualenvs.iter().any(|venv| file.path.starts_with(venv))
        });
    }
    Ok((found, errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_kind_names_the_line_and_its_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deps.lock");
        std::fs::write(&path, "\u{feff}\r\n# a comment\n!!! nonsense\n").unwrap();
        let err = kind_by_content(&path).unwrap_err();
        assert_eq!(
            err,
            KindUnknown::FirstLine {
                line: 3,
                offset: 3 + 2 + 12,
                excerpt: "!!! nonsense".into()
            }
        );
        assert_eq!(err.to_string(), "its first line is `!!! nonsense`");
        std::fs::write(&path, "FROM python:3.12\n").unwrap();
        assert_eq!(kind_by_content(&path), Ok(FileKind::Dockerfile));
    }

    #[test]
    fn classification_by_name() {
        for (name, kind) in [
            ("requirements.txt", Some(FileKind::Requirements)),
            ("dev-requirements.txt", Some(FileKind::Requirements)),
            ("requirements/base.txt", Some(FileKind::Requirements)),
            ("constraints-prod.txt", Some(FileKind::Requirements)),
            ("requirements.in", Some(FileKind::Requirements)),
            ("Dockerfile", Some(FileKind::Dockerfile)),
            ("Dockerfile.dev", Some(FileKind::Dockerfile)),
            ("api.Dockerfile", Some(FileKind::Dockerfile)),
            ("Containerfile", Some(FileKind::Dockerfile)),
            ("Dockerfile-dev", Some(FileKind::Dockerfile)),
            ("Containerfile-prod", Some(FileKind::Dockerfile)),
            ("Dockerfile.dockerignore", None),
            ("api.Dockerfile.dockerignore", None),
            ("Dockerfile.md", None),
            ("Dockerfile.sh", None),
            ("Dockerfile~", None),
            ("Dockerfile.swp", None),
            ("Dockerfile.orig", None),
            ("Dockerfile.bak", None),
            ("Dockerfile.rej", None),
            ("Dockerfiles", None),
            ("xDockerfile", None),
            ("README.md", None),
            ("docs/base.txt", None),
        ] {
            assert_eq!(classify(Path::new(name)), kind, "{name}");
        }
    }
}
