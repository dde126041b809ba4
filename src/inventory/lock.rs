//! Lock files as a *specification* (the `lock:FILE` source of `pindrift drift`): `uv.lock`,
//! `poetry.lock`, `Pipfile.lock` and PEP 751 `pylock.toml` (or `pylock.NAME.toml`), read into
//! the same entries as a requirements file, each pinned to the one version the lock
//! resolved, with the marker under which the lock installs it. Markers are evaluated later,
//! for the other side's environment ([`crate::drift::reqcheck`]).
//!
//! Nothing is dropped. A package the lock installs only for a development group or an extra
//! (uv's `dev-dependencies` and root extras, Poetry groups other than `main`, Pipfile.lock's
//! `develop`, pylock's packages gated on `extras`/`dependency_groups`) is kept as a
//! *constraint*: when it is installed its version must match, when it is not it is
//! not applicable. The files are parsed with `toml` and `serde_json`, never by hand.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;
use std::str::FromStr;

use pep440_rs::VersionSpecifiers;
use serde::Deserialize;

use super::requirements::{ReqEntry, Wanted};
use super::Warning;
use crate::names::normalize_name;

/// The lock formats pindrift reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockFormat {
    Uv,
    Poetry,
    Pipfile,
    /// PEP 751.
    Pylock,
}

impl LockFormat {
    /// The format a file name says (`uv.lock`, `poetry.lock`, `Pipfile.lock`, `pylock.toml`,
    /// `pylock.NAME.toml`).
    pub fn from_file_name(name: &str) -> Option<LockFormat> {
        match name {
            "uv.lock" => Some(LockFormat::Uv),
            "poetry.lock" => Some(LockFormat::Poetry),
            "Pipfile.lock" => Some(LockFormat::Pipfile),
            "pylock.toml" => Some(LockFormat::Pylock),
            n if n.starts_with("pylock.") && n.ends_with(".toml") && n.len() > 12 => {
                Some(LockFormat::Pylock)
            }
            _ => None,
        }
    }
}

/// Why a lock file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LockFileError {
    #[error("{path}: not a lock file pindrift reads; name it uv.lock, poetry.lock, Pipfile.lock or pylock.toml (PEP 751)")]
    UnknownFormat { path: String },
    #[error("{path}: {reason}")]
    Read {
        path: String,
        reason: crate::read::ReadError,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// Every entry of the lock file at `path` (no larger than `max_file_size`, a regular file),
/// and warnings for what could not be followed.
pub fn read_lock(
    path: &Path,
    max_file_size: u64,
) -> Result<(Vec<ReqEntry>, Vec<Warning>), LockFileError> {
    let display = crate::paths::display_path(path);
    let format = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(LockFormat::from_file_name)
        .ok_or_else(|| LockFileError::UnknownFormat {
            path: display.clone(),
        })?;
    let bytes =
        crate::read::read_regular(path, max_file_size).map_err(|reason| LockFileError::Read {
            path: display.clone(),
            reason,
        })?;
    let text = String::from_utf8(bytes).map_err(|_| LockFileError::Invalid {
        path: display.clone(),
        message: "not UTF-8".into(),
    })?;
    parse_lock(format, &text, &display).map_err(|message| LockFileError::Invalid {
        path: display,
        message,
    })
}

/// Parse lock text of a known format; `display` names the file in locations.
pub fn parse_lock(
    format: LockFormat,
    text: &str,
    display: &str,
) -> Result<(Vec<ReqEntry>, Vec<Warning>), String> {
    match format {
        LockFormat::Uv => parse_uv(text, display),
        LockFormat::Poetry => parse_poetry(text, display),
        LockFormat::Pipfile => parse_pipfile(text, display),
        LockFormat::Pylock => parse_pylock(text, display),
    }
}

/// The line (1-based) of each `[[HEADER]]` array-of-tables header, in order: the Nth entry's
/// location. Every lock tool writes its packages this way; when the counts disagree (a
/// hand-written inline array), locations fall back to the file alone.
fn header_lines(text: &str, header: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == header)
        .map(|(i, _)| i + 1)
        .collect()
}

fn location(display: &str, lines: &[usize], count: usize, i: usize) -> String {
    if lines.len() == count {
        format!("{display}:{}", lines[i])
    } else {
        display.to_string()
    }
}

fn exact(version: &str) -> Wanted {
    match VersionSpecifiers::from_str(&format!("=={version}")) {
        Ok(s) => Wanted::Index {
            specifiers: Some(s),
            arbitrary_equal: None,
        },
        Err(_) => Wanted::Index {
            specifiers: None,
            arbitrary_equal: Some(version.to_string()),
        },
    }
}

fn entry(name: &str, wanted: Wanted, marker: Option<String>, location: String) -> ReqEntry {
    ReqEntry {
        name: normalize_name(name),
        display_name: name.to_string(),
        wanted,
        marker,
        extras: Vec::new(),
        constraint: false,
        editable: false,
        nameless: false,
        location,
    }
}

// ---------------------------------------------------------------- uv.lock

#[derive(Deserialize)]
struct UvLock {
    #[serde(default)]
    package: Vec<UvPackage>,
}

#[derive(Deserialize)]
struct UvPackage {
    name: String,
    version: Option<String>,
    #[serde(default)]
    source: BTreeMap<String, toml::Value>,
    #[serde(default)]
    dependencies: Vec<UvDep>,
    #[serde(default, rename = "optional-dependencies")]
    optional_dependencies: BTreeMap<String, Vec<UvDep>>,
    #[serde(default, rename = "dev-dependencies")]
    dev_dependencies: BTreeMap<String, Vec<UvDep>>,
}

#[derive(Deserialize)]
struct UvDep {
    name: String,
    version: Option<String>,
    marker: Option<String>,
    #[serde(default)]
    extra: Vec<String>,
}

/// A condition under which a package is installed: the markers of every edge on one path
/// from a root (all must hold).
type Clause = BTreeSet<String>;

/// The most paths kept per package; past it the package is kept without a marker (and a
/// warning says so).
const MAX_CLAUSES: usize = 16;

/// An edge of the dependency graph: the package, the edge's marker, the extras it asks for.
type Edge = (usize, Option<String>, Vec<String>);

/// The edges out of a node: `(package, extra, follow the root's dev groups and extras)`.
type EdgesOf<'a> = dyn Fn(usize, Option<&str>, bool) -> Vec<Edge> + 'a;

/// Clauses per package: each path from the roots, following `edges(package, extra, root)`
/// (a node is a package, or one extra of it). Also the packages past [`MAX_CLAUSES`].
fn reach(
    count: usize,
    roots: &[usize],
    edges: &EdgesOf<'_>,
    follow_root_optional: bool,
) -> (Vec<Vec<Clause>>, BTreeSet<usize>) {
    let mut nodes: BTreeMap<(usize, Option<String>), Vec<Clause>> = BTreeMap::new();
    let mut overflow = BTreeSet::new();
    let mut queue: VecDeque<(usize, Option<String>, Clause, bool)> = VecDeque::new();
    for &r in roots {
        nodes.insert((r, None), vec![Clause::new()]);
        queue.push_back((r, None, Clause::new(), true));
    }
    while let Some((p, extra, clause, is_root)) = queue.pop_front() {
        for (q, marker, extras) in edges(p, extra.as_deref(), is_root && follow_root_optional) {
            let mut c = clause.clone();
            if let Some(m) = marker {
                c.insert(m);
            }
            let targets = std::iter::once(None).chain(extras.into_iter().map(Some));
            for t in targets {
                let known = nodes.entry((q, t.clone())).or_default();
                // Subsumed by a path already known (fewer conditions): nothing new.
                if known.iter().any(|k| k.is_subset(&c)) {
                    continue;
                }
                let next = if known.len() >= MAX_CLAUSES {
                    overflow.insert(q);
                    *known = vec![Clause::new()];
                    Clause::new()
                } else {
                    known.retain(|k| !c.is_subset(k));
                    known.push(c.clone());
                    c.clone()
                };
                queue.push_back((q, t, next, false));
            }
        }
    }
    let mut clauses = vec![Vec::new(); count];
    for ((p, extra), cs) in nodes {
        if extra.is_none() {
            clauses[p] = cs;
        }
    }
    (clauses, overflow)
}

/// `None` when one path needs no marker; else the paths joined with `or`.
fn marker_of(clauses: &[Clause]) -> Option<String> {
    if clauses.iter().any(|c| c.is_empty()) {
        return None;
    }
    let parts: Vec<String> = clauses
        .iter()
        .map(|c| match c.len() {
            1 => c.iter().map(|m| python_version_marker(m)).collect(),
            _ => c
                .iter()
                .map(|m| format!("({})", python_version_marker(m)))
                .collect::<Vec<_>>()
                .join(" and "),
        })
        .collect();
    if parts.len() == 1 {
        parts.into_iter().next()
    } else {
        Some(
            parts
                .iter()
                .map(|p| format!("({p})"))
                .collect::<Vec<_>>()
                .join(" or "),
        )
    }
}

/// uv writes `python_version < '3.11'` as `python_full_version < '3.11'`. With a version of
/// two components and `<` or `>=` the two mean the same for every patch release, so the
/// marker is rewritten to `python_version`, which an environment's `X.Y` decides; any other
/// comparison of the full version stays as written (and needs the full version).
pub fn python_version_marker(marker: &str) -> String {
    const VAR: &str = "python_full_version";
    let mut out = String::with_capacity(marker.len());
    let mut rest = marker;
    while let Some(i) = rest.find(VAR) {
        out.push_str(&rest[..i]);
        let after = &rest[i + VAR.len()..];
        let t = after.trim_start();
        let op = ["<=", ">=", "<", "=="]
            .into_iter()
            .find(|op| t.starts_with(op))
            .unwrap_or("");
        let v = t[op.len()..].trim_start();
        let quoted = v
            .chars()
            .next()
            .filter(|q| *q == '\'' || *q == '"')
            .and_then(|q| v[1..].find(q).map(|end| &v[1..1 + end]));
        let two_parts = quoted.is_some_and(|q| {
            let parts: Vec<&str> = q.split('.').collect();
            parts.len() == 2
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        });
        if matches!(op, "<" | ">=") && two_parts {
            out.push_str("python_version");
        } else {
            out.push_str(VAR);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

fn parse_uv(text: &str, display: &str) -> Result<(Vec<ReqEntry>, Vec<Warning>), String> {
    let lock: UvLock = toml::from_str(text).map_err(|e| e.to_string())?;
    let lines = header_lines(text, "[[package]]");
    let pkgs = &lock.package;
    let index: BTreeMap<(String, Option<String>), usize> = pkgs
        .iter()
        .enumerate()
        .map(|(i, p)| ((normalize_name(&p.name), p.version.clone()), i))
        .collect();
    let mut by_name: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, p) in pkgs.iter().enumerate() {
        by_name.entry(normalize_name(&p.name)).or_default().push(i);
    }
    let mut warnings = Vec::new();
    let resolve = |d: &UvDep| -> Option<usize> {
        let n = normalize_name(&d.name);
        match &d.version {
            Some(v) => index.get(&(n, Some(v.clone()))).copied(),
            None => by_name.get(&n).and_then(|v| v.first().copied()),
        }
    };
    let is_project = |p: &UvPackage| {
        p.source.contains_key("editable")
            || p.source.contains_key("virtual")
            || p.source.contains_key("workspace")
    };
    let mut roots: Vec<usize> = (0..pkgs.len()).filter(|&i| is_project(&pkgs[i])).collect();
    if roots.is_empty() {
        // A lock with no project (a script's): every package nothing depends on.
        let depended: BTreeSet<usize> = pkgs
            .iter()
            .flat_map(|p| p.dependencies.iter().filter_map(resolve))
            .collect();
        roots = (0..pkgs.len()).filter(|i| !depended.contains(i)).collect();
    }
    let edges = |p: usize, extra: Option<&str>, optional: bool| {
        let pkg = &pkgs[p];
        let mut deps: Vec<&UvDep> = Vec::new();
        match extra {
            Some(e) => deps.extend(pkg.optional_dependencies.get(e).into_iter().flatten()),
            None => deps.extend(pkg.dependencies.iter()),
        }
        if optional && extra.is_none() {
            deps.extend(pkg.optional_dependencies.values().flatten());
            deps.extend(pkg.dev_dependencies.values().flatten());
        }
        deps.into_iter()
            .filter_map(|d| resolve(d).map(|q| (q, d.marker.clone(), d.extra.clone())))
            .collect::<Vec<_>>()
    };
    let (main, overflow) = reach(pkgs.len(), &roots, &edges, false);
    let (all, overflow_all) = reach(pkgs.len(), &roots, &edges, true);
    let mut out = Vec::new();
    for (i, p) in pkgs.iter().enumerate() {
        let loc = location(display, &lines, pkgs.len(), i);
        if p.source.contains_key("virtual") {
            // The project itself, never installed as a package.
            continue;
        }
        if overflow.contains(&i) || overflow_all.contains(&i) {
            warnings.push(Warning {
                path: loc.clone(),
                message: format!(
                    "`{}` is reached by more than {MAX_CLAUSES} marker paths; checked as if always installed",
                    p.name
                ),
            });
        }
        let (clauses, constraint) = if !main[i].is_empty() {
            (&main[i], false)
        } else {
            (&all[i], true)
        };
        let wanted = uv_wanted(p);
        let mut e = entry(&p.name, wanted, marker_of(clauses), loc);
        e.constraint = constraint || is_project(p);
        e.editable = p.source.contains_key("editable");
        out.push(e);
    }
    Ok((out, warnings))
}

fn source_str(source: &BTreeMap<String, toml::Value>, key: &str) -> Option<String> {
    source.get(key).and_then(|v| v.as_str()).map(str::to_string)
}

fn uv_wanted(p: &UvPackage) -> Wanted {
    for key in ["git", "url", "path", "directory", "editable"] {
        if let Some(url) = source_str(&p.source, key) {
            return Wanted::Direct {
                url,
                version: p.version.clone(),
            };
        }
    }
    match &p.version {
        Some(v) => exact(v),
        None => Wanted::Index {
            specifiers: None,
            arbitrary_equal: None,
        },
    }
}

// ---------------------------------------------------------------- poetry.lock

#[derive(Deserialize)]
struct PoetryLock {
    #[serde(default)]
    package: Vec<PoetryPackage>,
}

#[derive(Deserialize)]
struct PoetryPackage {
    name: String,
    version: String,
    #[serde(default)]
    optional: bool,
    /// Poetry 1.x (lock-version 1.1): `main` or `dev`.
    category: Option<String>,
    /// Poetry 2 (lock-version 2.1).
    groups: Option<Vec<String>>,
    /// Poetry 2: one marker, or one per group.
    markers: Option<toml::Value>,
    source: Option<PoetrySource>,
}

#[derive(Deserialize)]
struct PoetrySource {
    #[serde(rename = "type")]
    kind: String,
    url: String,
    resolved_reference: Option<String>,
}

fn parse_poetry(text: &str, display: &str) -> Result<(Vec<ReqEntry>, Vec<Warning>), String> {
    let lock: PoetryLock = toml::from_str(text).map_err(|e| e.to_string())?;
    let lines = header_lines(text, "[[package]]");
    let n = lock.package.len();
    let mut out = Vec::new();
    for (i, p) in lock.package.iter().enumerate() {
        let main = match (&p.groups, &p.category) {
            (Some(g), _) => g.iter().any(|g| g == "main"),
            (None, Some(c)) => c == "main",
            (None, None) => true,
        };
        let marker = match &p.markers {
            Some(toml::Value::String(m)) => Some(m.clone()),
            Some(toml::Value::Table(t)) => {
                let wanted: Vec<&toml::Value> = match t.get("main") {
                    Some(m) if main => vec![m],
                    _ => t.values().collect(),
                };
                let parts: Vec<String> = wanted
                    .iter()
                    .filter_map(|v| v.as_str())
                    .map(|m| format!("({m})"))
                    .collect();
                (parts.len() == t.len().min(wanted.len()) && !parts.is_empty())
                    .then(|| parts.join(" or "))
            }
            _ => None,
        };
        let wanted = match &p.source {
            Some(s) if s.kind == "git" => Wanted::Direct {
                url: match &s.resolved_reference {
                    Some(r) => format!("git+{}@{r}", s.url),
                    None => format!("git+{}", s.url),
                },
                version: Some(p.version.clone()),
            },
            Some(s) if matches!(s.kind.as_str(), "file" | "directory" | "url") => Wanted::Direct {
                url: s.url.clone(),
                version: Some(p.version.clone()),
            },
            _ => exact(&p.version),
        };
        let mut e = entry(&p.name, wanted, marker, location(display, &lines, n, i));
        e.constraint = !main || p.optional;
        out.push(e);
    }
    Ok((out, Vec::new()))
}

// ---------------------------------------------------------------- Pipfile.lock

#[derive(Deserialize)]
struct PipfileLock {
    #[serde(default)]
    default: BTreeMap<String, PipfileEntry>,
    #[serde(default)]
    develop: BTreeMap<String, PipfileEntry>,
}

#[derive(Deserialize)]
struct PipfileEntry {
    version: Option<String>,
    markers: Option<String>,
    git: Option<String>,
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    path: Option<String>,
    file: Option<String>,
    #[serde(default)]
    editable: bool,
    #[serde(default)]
    extras: Vec<String>,
}

fn parse_pipfile(text: &str, display: &str) -> Result<(Vec<ReqEntry>, Vec<Warning>), String> {
    let lock: PipfileLock = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let lines: Vec<&str> = text.lines().collect();
    let section_line = |section: &str| {
        let key = format!("\"{section}\"");
        lines.iter().position(|l| l.trim_start().starts_with(&key))
    };
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for (section, entries, constraint) in [
        ("default", &lock.default, false),
        ("develop", &lock.develop, true),
    ] {
        let start = section_line(section).unwrap_or(0);
        for (name, p) in entries {
            let key = format!("\"{name}\"");
            let loc = match lines[start..]
                .iter()
                .position(|l| l.trim_start().starts_with(&key))
            {
                Some(i) => format!("{display}:{}", start + i + 1),
                None => display.to_string(),
            };
            let version = p.version.as_deref().map(|v| v.trim().to_string());
            let wanted = if let Some(url) = &p.git {
                Wanted::Direct {
                    url: match &p.git_ref {
                        Some(r) => format!("git+{url}@{r}"),
                        None => format!("git+{url}"),
                    },
                    version: version
                        .as_deref()
                        .map(|v| v.trim_start_matches('=').to_string()),
                }
            } else if let Some(url) = p.file.as_ref().or(p.path.as_ref()) {
                Wanted::Direct {
                    url: url.clone(),
                    version: version
                        .as_deref()
                        .map(|v| v.trim_start_matches('=').to_string()),
                }
            } else {
                match version.as_deref().map(VersionSpecifiers::from_str) {
                    Some(Ok(s)) => Wanted::Index {
                        specifiers: Some(s),
                        arbitrary_equal: None,
                    },
                    Some(Err(e)) => {
                        warnings.push(Warning {
                            path: loc.clone(),
                            message: format!(
                                "`{name}`: the version `{}` does not parse ({e}); checked as any version",
                                version.as_deref().unwrap_or_default()
                            ),
                        });
                        Wanted::Index {
                            specifiers: None,
                            arbitrary_equal: None,
                        }
                    }
                    None => Wanted::Index {
                        specifiers: None,
                        arbitrary_equal: None,
                    },
                }
            };
            let mut e = entry(name, wanted, p.markers.clone(), loc);
            e.constraint = constraint;
            e.editable = p.editable;
            e.extras = p.extras.clone();
            out.push(e);
        }
    }
    Ok((out, warnings))
}

// ---------------------------------------------------------------- pylock.toml (PEP 751)

#[derive(Deserialize)]
struct Pylock {
    #[serde(rename = "lock-version")]
    lock_version: String,
    #[serde(default)]
    packages: Vec<PylockPackage>,
}

#[derive(Deserialize)]
struct PylockPackage {
    name: String,
    version: Option<String>,
    marker: Option<String>,
    vcs: Option<PylockVcs>,
    directory: Option<PylockDirectory>,
    archive: Option<PylockUrl>,
}

#[derive(Deserialize)]
struct PylockVcs {
    url: Option<String>,
    path: Option<String>,
    #[serde(rename = "commit-id")]
    commit_id: Option<String>,
}

#[derive(Deserialize)]
struct PylockDirectory {
    path: String,
    #[serde(default)]
    editable: bool,
}

#[derive(Deserialize)]
struct PylockUrl {
    url: Option<String>,
    path: Option<String>,
}

fn parse_pylock(text: &str, display: &str) -> Result<(Vec<ReqEntry>, Vec<Warning>), String> {
    let lock: Pylock = toml::from_str(text).map_err(|e| e.to_string())?;
    if !lock.lock_version.starts_with("1.") && lock.lock_version != "1" {
        return Err(format!(
            "lock-version {} is not one pindrift reads (1.x)",
            lock.lock_version
        ));
    }
    let lines = header_lines(text, "[[packages]]");
    let n = lock.packages.len();
    let mut out = Vec::new();
    for (i, p) in lock.packages.iter().enumerate() {
        let direct = if let Some(v) = &p.vcs {
            v.url
                .clone()
                .or(v.path.clone())
                .map(|u| match &v.commit_id {
                    Some(c) => format!("git+{u}@{c}"),
                    None => u,
                })
        } else if let Some(d) = &p.directory {
            Some(d.path.clone())
        } else {
            p.archive
                .as_ref()
                .and_then(|a| a.url.clone().or(a.path.clone()))
        };
        let wanted = match (direct, &p.version) {
            (Some(url), version) => Wanted::Direct {
                url,
                version: version.clone(),
            },
            (None, Some(v)) => exact(v),
            (None, None) => Wanted::Index {
                specifiers: None,
                arbitrary_equal: None,
            },
        };
        let mut e = entry(
            &p.name,
            wanted,
            p.marker.as_deref().map(python_version_marker),
            location(display, &lines, n, i),
        );
        // PEP 751 markers may name the extras and dependency groups asked for at install
        // time, which the environment does not record: such a package is a constraint.
        e.constraint = p
            .marker
            .as_deref()
            .is_some_and(|m| m.contains("dependency_groups") || m.contains("extras"));
        e.editable = p.directory.as_ref().is_some_and(|d| d.editable);
        out.push(e);
    }
    Ok((out, Vec::new()))
}

#[cfg(test)]
mod tests;
