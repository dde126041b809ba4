//! Pure comparison of two package inventories: PEP 503 names, PEP 440 order, bump classes.
//!
//! Nothing here touches the engine or the disk; [`crate::docker`] and [`crate::inventory`]
//! produce the inputs, [`report`] renders the outcome.

pub mod fleet;
pub mod osver;
pub mod report;
pub mod reqcheck;
pub mod session;

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use pep440_rs::Version;
use serde::Serialize;

use crate::inventory::{Inventory, OsInventory, Package, PythonEnv};
use crate::names::normalize_name;

/// What happened to one package between the two sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Only on the after side.
    Added,
    /// Only on the before side.
    Removed,
    /// The after version is newer.
    Upgrade,
    /// The after version is older.
    Downgrade,
    /// Same version (or no orderable version) but a different source, e.g. another VCS commit.
    Changed,
    /// Same version and source (only listed with `--all`).
    Unchanged,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Upgrade => "upgrade",
            ChangeKind::Downgrade => "downgrade",
            ChangeKind::Changed => "changed",
            ChangeKind::Unchanged => "unchanged",
        }
    }

    /// Heading used by the table and markdown renderers.
    pub fn heading(self) -> &'static str {
        match self {
            ChangeKind::Added => "Added",
            ChangeKind::Removed => "Removed",
            ChangeKind::Upgrade => "Upgraded",
            ChangeKind::Downgrade => "Downgraded",
            ChangeKind::Changed => "Changed source",
            ChangeKind::Unchanged => "Unchanged",
        }
    }
}

/// How big a version change is, from the release segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    Major,
    Minor,
    Patch,
    Pre,
    Post,
    Local,
    Other,
}

impl Bump {
    pub fn as_str(self) -> &'static str {
        match self {
            Bump::Major => "major",
            Bump::Minor => "minor",
            Bump::Patch => "patch",
            Bump::Pre => "pre",
            Bump::Post => "post",
            Bump::Local => "local",
            Bump::Other => "other",
        }
    }

    /// Severity used by `--fail-on`: major 4, minor 3, patch 2, pre/post/local 1.
    /// `other` (an unorderable version or an epoch change) counts as major: its size is unknown.
    pub fn rank(self) -> u8 {
        match self {
            Bump::Major | Bump::Other => 4,
            Bump::Minor => 3,
            Bump::Patch => 2,
            Bump::Pre | Bump::Post | Bump::Local => 1,
        }
    }
}

/// Result of comparing two version strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionDelta {
    pub order: Option<Ordering>,
    pub bump: Option<Bump>,
}

/// Compare two PEP 440 versions. `1.0` equals `1.0.0`. Unparseable versions are compared as
/// strings: equal strings are equal, different ones are unordered with bump `other`.
pub fn compare_pep440(before: &str, after: &str) -> VersionDelta {
    match (
        Version::from_str(before.trim()),
        Version::from_str(after.trim()),
    ) {
        (Ok(a), Ok(b)) => {
            let order = a.cmp(&b);
            let bump = if order == Ordering::Equal {
                None
            } else {
                Some(pep440_bump(&a, &b))
            };
            VersionDelta {
                order: Some(order),
                bump,
            }
        }
        _ if before.trim() == after.trim() => VersionDelta {
            order: Some(Ordering::Equal),
            bump: None,
        },
        _ => VersionDelta {
            order: None,
            bump: Some(Bump::Other),
        },
    }
}

fn pep440_bump(a: &Version, b: &Version) -> Bump {
    if a.epoch() != b.epoch() {
        return Bump::Other;
    }
    let (ra, rb) = (a.release(), b.release());
    let len = ra.len().max(rb.len()).max(3);
    for i in 0..len {
        let x = ra.get(i).copied().unwrap_or(0);
        let y = rb.get(i).copied().unwrap_or(0);
        if x != y {
            return match i {
                0 => Bump::Major,
                1 => Bump::Minor,
                _ => Bump::Patch,
            };
        }
    }
    if a.pre() != b.pre() || a.dev() != b.dev() {
        return Bump::Pre;
    }
    if a.post() != b.post() {
        return Bump::Post;
    }
    if a.local() != b.local() {
        return Bump::Local;
    }
    Bump::Other
}

/// One row of the comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub name: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub change: ChangeKind,
    pub bump: Option<Bump>,
    /// Extra words for the reader, e.g. "git commit 1234abc → 5678def".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Change {
    /// Severity for the gate; added and removed packages count as major.
    pub fn rank(&self) -> u8 {
        match self.change {
            ChangeKind::Unchanged => 0,
            ChangeKind::Added | ChangeKind::Removed => 4,
            _ => self.bump.map(Bump::rank).unwrap_or(4),
        }
    }
}

fn version_label(p: &Package) -> Option<String> {
    match (&p.version, &p.direct) {
        (Some(v), _) => Some(v.clone()),
        (None, Some(d)) => Some(d.describe()),
        (None, None) => None,
    }
}

/// Compare one package present on both sides.
pub fn compare_package(name: &str, a: &Package, b: &Package) -> Change {
    let before = version_label(a);
    let after = version_label(b);
    let source_a = a.direct.as_ref().map(|d| d.identity());
    let source_b = b.direct.as_ref().map(|d| d.identity());
    let (change, bump, detail) = match (&a.version, &b.version) {
        (Some(va), Some(vb)) => {
            let delta = compare_pep440(va, vb);
            match delta.order {
                Some(Ordering::Less) => (ChangeKind::Upgrade, delta.bump, None),
                Some(Ordering::Greater) => (ChangeKind::Downgrade, delta.bump, None),
                Some(Ordering::Equal) => source_change(&source_a, &source_b, a, b),
                None => (ChangeKind::Changed, Some(Bump::Other), None),
            }
        }
        _ => source_change(&source_a, &source_b, a, b),
    };
    Change {
        name: name.to_string(),
        before,
        after,
        change,
        bump,
        detail,
    }
}

fn source_change(
    sa: &Option<String>,
    sb: &Option<String>,
    a: &Package,
    b: &Package,
) -> (ChangeKind, Option<Bump>, Option<String>) {
    // A freeze file knows no direct URL for an index install; only compare sources when both
    // sides say where the package came from, or versions are missing.
    let differs = match (sa, sb) {
        (Some(x), Some(y)) => x != y,
        _ => a.version.is_none() || b.version.is_none(),
    };
    if differs && (sa.is_some() || sb.is_some()) && (sa != sb) {
        let detail = format!(
            "{} → {}",
            a.direct
                .as_ref()
                .map(|d| d.describe())
                .unwrap_or_else(|| "index".into()),
            b.direct
                .as_ref()
                .map(|d| d.describe())
                .unwrap_or_else(|| "index".into())
        );
        (ChangeKind::Changed, Some(Bump::Other), Some(detail))
    } else {
        (ChangeKind::Unchanged, None, None)
    }
}

/// Compare two package maps keyed by normalized name. Sorted by name.
pub fn diff_packages(
    before: &BTreeMap<String, Package>,
    after: &BTreeMap<String, Package>,
    ignore: &BTreeSet<String>,
) -> Vec<Change> {
    let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let mut out = Vec::new();
    for name in names {
        if ignore.contains(name) {
            continue;
        }
        let change = match (before.get(name), after.get(name)) {
            (Some(a), Some(b)) => compare_package(name, a, b),
            (Some(a), None) => Change {
                name: name.clone(),
                before: version_label(a),
                after: None,
                change: ChangeKind::Removed,
                bump: None,
                detail: None,
            },
            (None, Some(b)) => Change {
                name: name.clone(),
                before: None,
                after: version_label(b),
                change: ChangeKind::Added,
                bump: None,
                detail: None,
            },
            (None, None) => continue,
        };
        out.push(change);
    }
    out
}

/// Compare two OS package databases (dpkg or apk versions).
pub fn diff_os(
    before: &OsInventory,
    after: &OsInventory,
    ignore: &BTreeSet<String>,
) -> Vec<Change> {
    let names: BTreeSet<&String> = before
        .packages
        .keys()
        .chain(after.packages.keys())
        .collect();
    let mut out = Vec::new();
    for name in names {
        if ignore.contains(name) || ignore.contains(&normalize_name(name)) {
            continue;
        }
        let a = before.packages.get(name);
        let b = after.packages.get(name);
        let (change, bump) = match (a, b) {
            (Some(a), Some(b)) => match osver::compare(&a.version, &b.version) {
                Ordering::Less => (
                    ChangeKind::Upgrade,
                    Some(osver::bump(&a.version, &b.version)),
                ),
                Ordering::Greater => (
                    ChangeKind::Downgrade,
                    Some(osver::bump(&b.version, &a.version)),
                ),
                Ordering::Equal => (ChangeKind::Unchanged, None),
            },
            (Some(_), None) => (ChangeKind::Removed, None),
            (None, Some(_)) => (ChangeKind::Added, None),
            (None, None) => continue,
        };
        out.push(Change {
            name: name.clone(),
            before: a.map(|p| p.version.clone()),
            after: b.map(|p| p.version.clone()),
            change,
            bump,
            detail: None,
        });
    }
    out
}

/// `--fail-on` threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Any,
    Major,
    Minor,
    Patch,
    Downgrade,
    /// Report only: never exit 1.
    Never,
}

/// A `--fail-on` or `--format` value `pindrift drift` does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    #[error(
        "unknown --fail-on value `{0}` (expected any, major, minor, patch, downgrade or never)"
    )]
    FailOn(String),
    #[error("unknown format `{0}` (expected table, json, markdown or github)")]
    Format(String),
}

impl FromStr for FailOn {
    type Err = OptionError;
    fn from_str(s: &str) -> Result<Self, OptionError> {
        match s {
            "any" => Ok(FailOn::Any),
            "major" => Ok(FailOn::Major),
            "minor" => Ok(FailOn::Minor),
            "patch" => Ok(FailOn::Patch),
            "downgrade" => Ok(FailOn::Downgrade),
            "never" => Ok(FailOn::Never),
            other => Err(OptionError::FailOn(other.to_string())),
        }
    }
}

impl FailOn {
    /// Does this change trip the gate?
    pub fn trips(self, c: &Change) -> bool {
        if c.change == ChangeKind::Unchanged {
            return false;
        }
        match self {
            FailOn::Never => false,
            FailOn::Any => true,
            FailOn::Downgrade => c.change == ChangeKind::Downgrade,
            FailOn::Major => c.rank() >= 4,
            FailOn::Minor => c.rank() >= 3,
            FailOn::Patch => c.rank() >= 2,
        }
    }
}

/// The comparison of one pair of Python environments.
#[derive(Debug, Clone, Serialize)]
pub struct EnvDiff {
    /// Environment key, e.g. `system`, `venv:/opt/venv`.
    pub env: String,
    pub before_env: Option<String>,
    pub after_env: Option<String>,
    pub changes: Vec<Change>,
}

/// The full outcome of `pindrift drift` for two sources.
#[derive(Debug, Clone)]
pub struct DriftOutcome {
    pub envs: Vec<EnvDiff>,
    /// `None` when the OS packages were not compared; `os_not_compared` says why.
    pub os: Option<Vec<Change>>,
    pub os_not_compared: Option<String>,
    /// A requirements file checked against an environment (`req:` with any other source).
    pub requirements: Option<reqcheck::ReqCheck>,
    /// "file changed" lines from the engine's changes endpoint (container vs its image).
    pub files: Vec<FileChange>,
    pub notes: Vec<String>,
}

/// How a file changed in a container since it was created. Ordered as the words sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileChangeKind {
    Added,
    Changed,
    Deleted,
}

impl FileChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FileChangeKind::Added => "added",
            FileChangeKind::Changed => "changed",
            FileChangeKind::Deleted => "deleted",
        }
    }
}

impl std::fmt::Display for FileChangeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One file changed in a container since it was created.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FileChange {
    pub path: String,
    /// `added`, `changed` or `deleted`.
    pub kind: FileChangeKind,
    /// Files summed up under `path` (a site-packages package folder ends in `/`).
    pub count: u32,
    /// Inside a site-packages folder (explained by the package changes).
    pub site: bool,
}

impl DriftOutcome {
    /// All changes (Python and OS), unchanged ones included.
    pub fn all_changes(&self) -> impl Iterator<Item = &Change> {
        self.envs
            .iter()
            .flat_map(|e| e.changes.iter())
            .chain(self.os.iter().flatten())
    }

    /// Does the outcome trip the gate?
    pub fn trips(&self, fail_on: FailOn) -> bool {
        self.all_changes().any(|c| fail_on.trips(c))
            || self.requirements.as_ref().is_some_and(|r| r.trips(fail_on))
    }

    pub fn has_drift(&self) -> bool {
        self.all_changes()
            .any(|c| c.change != ChangeKind::Unchanged)
            || self.requirements.as_ref().is_some_and(|r| r.has_drift())
    }
}

/// How Python environments of the two sides are paired.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PairError {
    #[error("{side} has no Python environment named `{wanted}`; it has: {have}")]
    NoSuchEnv {
        side: String,
        wanted: String,
        have: String,
    },
    #[error("{side} has {count} Python environments ({have}); choose one with --python-env PATH")]
    Ambiguous {
        side: String,
        count: usize,
        have: String,
    },
}

fn env_list(inv: &Inventory) -> String {
    if inv.envs.is_empty() {
        "none".into()
    } else {
        inv.envs
            .iter()
            .map(|e| e.key.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The environment of `inv` to compare (or pin from): the one `wanted` names, else the only one.
pub fn pick<'a>(
    inv: &'a Inventory,
    wanted: Option<&str>,
) -> Result<Option<&'a PythonEnv>, PairError> {
    if let Some(w) = wanted {
        if inv.single_env_source() {
            return Ok(inv.envs.first());
        }
        return match inv.envs.iter().find(|e| e.matches(w)) {
            Some(e) => Ok(Some(e)),
            None => Err(PairError::NoSuchEnv {
                side: inv.source.spec.clone(),
                wanted: w.to_string(),
                have: env_list(inv),
            }),
        };
    }
    match inv.envs.len() {
        0 => Ok(None),
        1 => Ok(inv.envs.first()),
        n => Err(PairError::Ambiguous {
            side: inv.source.spec.clone(),
            count: n,
            have: env_list(inv),
        }),
    }
}

/// Compare two inventories. Environments with the same key are paired; a side made of one
/// environment (a freeze file) is paired with the one chosen by `python_env` on the other side.
pub fn compare(
    before: &Inventory,
    after: &Inventory,
    python_env: Option<&str>,
    ignore: &BTreeSet<String>,
) -> Result<DriftOutcome, PairError> {
    compare_with(before, after, &Options::new(python_env, ignore))
}

/// How two sources are compared.
pub struct Options<'a> {
    pub python_env: Option<&'a str>,
    pub ignore: &'a BTreeSet<String>,
    /// Leave OS packages out (`--no-os`).
    pub no_os: bool,
    /// Installed packages a requirements file does not name are drift (`--strict-extra`).
    pub strict_extra: bool,
}

impl<'a> Options<'a> {
    pub fn new(python_env: Option<&'a str>, ignore: &'a BTreeSet<String>) -> Self {
        Options {
            python_env,
            ignore,
            no_os: false,
            strict_extra: false,
        }
    }
}

fn os_outcome(
    before: &Inventory,
    after: &Inventory,
    opts: &Options<'_>,
) -> (Option<Vec<Change>>, Option<String>) {
    if opts.no_os {
        return (None, Some("--no-os".into()));
    }
    match (&before.os, &after.os) {
        (Some(a), Some(b)) => (Some(diff_os(a, b, opts.ignore)), None),
        (a, _) => {
            let side = if a.is_none() { before } else { after };
            let why = match side.source.kind {
                crate::inventory::SourceKind::Freeze => "a pip freeze file has no OS packages",
                crate::inventory::SourceKind::Requirements => {
                    "a requirements file has no OS packages"
                }
                crate::inventory::SourceKind::Lock => "a lock file has no OS packages",
                _ => "no OS package database (dpkg, apk) was found",
            };
            (None, Some(format!("{}: {why}", side.source.spec)))
        }
    }
}

/// Compare two sources. A requirements file is a specification: against an environment it is
/// checked requirement by requirement ([`reqcheck`]); two requirements files are compared as
/// specifications ([`reqcheck::diff_specs`]); anything else is two inventories.
pub fn compare_with(
    before: &Inventory,
    after: &Inventory,
    opts: &Options<'_>,
) -> Result<DriftOutcome, PairError> {
    let (os, os_not_compared) = os_outcome(before, after, opts);
    let ignore = opts.ignore;
    let python_env = opts.python_env;
    match (before.is_spec(), after.is_spec()) {
        (true, true) => {
            return Ok(DriftOutcome {
                envs: vec![EnvDiff {
                    env: "requirements".into(),
                    before_env: Some("requirements".into()),
                    after_env: Some("requirements".into()),
                    changes: reqcheck::diff_specs(
                        &before.requirements,
                        &after.requirements,
                        ignore,
                    ),
                }],
                os,
                os_not_compared,
                requirements: None,
                files: Vec::new(),
                notes: Vec::new(),
            })
        }
        (true, false) | (false, true) => {
            let (spec, side, envside) = if before.is_spec() {
                (before, "before", after)
            } else {
                (after, "after", before)
            };
            let env = pick(envside, python_env)?;
            let empty = BTreeMap::new();
            let facts = reqcheck::MarkerFacts {
                python_version: env.and_then(|e| e.python.clone()),
                platform: envside.source.platform.clone(),
            };
            let check = reqcheck::check(
                &spec.source.spec,
                side,
                &envside.source.spec,
                env.map(|e| e.key.as_str()).unwrap_or("none"),
                &spec.requirements,
                env.map(|e| &e.packages).unwrap_or(&empty),
                &facts,
                ignore,
                opts.strict_extra,
            );
            let mut notes = Vec::new();
            if env.is_none() {
                notes.push(format!(
                    "{} has no Python environment: every requirement is missing",
                    envside.source.spec
                ));
            }
            return Ok(DriftOutcome {
                envs: Vec::new(),
                os,
                os_not_compared,
                requirements: Some(check),
                files: Vec::new(),
                notes,
            });
        }
        _ => {}
    }
    let empty = BTreeMap::new();
    let mut envs = Vec::new();
    let mut notes = Vec::new();
    let keyed = !before.single_env_source() && !after.single_env_source() && python_env.is_none();
    if keyed {
        let keys: BTreeSet<&str> = before
            .envs
            .iter()
            .chain(after.envs.iter())
            .map(|e| e.key.as_str())
            .collect();
        for key in keys {
            let a = before.envs.iter().find(|e| e.key == key);
            let b = after.envs.iter().find(|e| e.key == key);
            if a.is_none() {
                notes.push(format!(
                    "Python environment `{key}` exists only in {}",
                    after.source.spec
                ));
            }
            if b.is_none() {
                notes.push(format!(
                    "Python environment `{key}` exists only in {}",
                    before.source.spec
                ));
            }
            envs.push(EnvDiff {
                env: key.to_string(),
                before_env: a.map(|e| e.key.clone()),
                after_env: b.map(|e| e.key.clone()),
                changes: diff_packages(
                    a.map(|e| &e.packages).unwrap_or(&empty),
                    b.map(|e| &e.packages).unwrap_or(&empty),
                    ignore,
                ),
            });
        }
    } else {
        let a = pick(before, python_env)?;
        let b = pick(after, python_env)?;
        let key = a
            .filter(|_| !before.single_env_source())
            .or(b)
            .or(a)
            .map(|e| e.key.clone())
            .unwrap_or_else(|| "python".into());
        envs.push(EnvDiff {
            env: key,
            before_env: a.map(|e| e.key.clone()),
            after_env: b.map(|e| e.key.clone()),
            changes: diff_packages(
                a.map(|e| &e.packages).unwrap_or(&empty),
                b.map(|e| &e.packages).unwrap_or(&empty),
                ignore,
            ),
        });
    }
    Ok(DriftOutcome {
        envs,
        os,
        os_not_compared,
        requirements: None,
        files: Vec::new(),
        notes,
    })
}

/// One replica of a service compared with its image.
#[derive(Debug, Clone)]
pub struct ReplicaResult {
    pub name: String,
    pub id: String,
    pub image_id: String,
    /// Image → replica.
    pub outcome: DriftOutcome,
    pub odd_one_out: bool,
}

/// What identifies an inventory's content: (environment, name, version or source) triples and
/// OS packages.
/// What `--ignore`, `--no-os` and `--python-env` leave out is left out here too.
pub fn fingerprint(inv: &Inventory, opts: &Options<'_>) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = inv
        .envs
        .iter()
        .filter(|e| opts.python_env.is_none_or(|w| e.matches(w)))
        .flat_map(|e| {
            e.packages
                .values()
                .filter(|p| !opts.ignore.contains(&p.name))
                .map(move |p| {
                    (
                        e.key.clone(),
                        p.name.clone(),
                        version_label(p).unwrap_or_default(),
                    )
                })
        })
        .collect();
    if let Some(os) = inv.os.as_ref().filter(|_| !opts.no_os) {
        v.extend(
            os.packages
                .values()
                .filter(|p| {
                    !opts.ignore.contains(&p.name)
                        && !opts.ignore.contains(&normalize_name(&p.name))
                })
                .map(|p| ("os".to_string(), p.name.clone(), p.version.clone())),
        );
    }
    v.sort();
    v
}

/// Is a changed file inside a site folder part of an ignored package? Its top-level entry
/// (`six-1.16.0.dist-info/`, `six.py`, `eventlet/`) is matched by name, after PEP 503
/// normalization; a module whose name differs from its distribution's (`yaml` of PyYAML) is
/// not matched.
pub fn file_of_ignored_package(f: &FileChange, ignore: &BTreeSet<String>) -> bool {
    if !f.site || ignore.is_empty() {
        return false;
    }
    let top = f
        .path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("");
    let name = if let Some(info) = top
        .strip_suffix(".dist-info")
        .or_else(|| top.strip_suffix(".egg-info"))
    {
        info.split('-').next().unwrap_or(info)
    } else {
        top.strip_suffix(".py").unwrap_or(top)
    };
    ignore.contains(&normalize_name(name))
}

/// Which replicas are the odd ones out. `fingerprints[i]` is replica i's content,
/// `matches_image[i]` says whether it equals its image. The largest group of identical
/// replicas is the norm; on a tie, replicas that differ from their image are odd.
pub fn odd_ones_out<T: PartialEq>(fingerprints: &[T], matches_image: &[bool]) -> Vec<bool> {
    let n = fingerprints.len();
    let group_size: Vec<usize> = (0..n)
        .map(|i| {
            (0..n)
                .filter(|&j| fingerprints[j] == fingerprints[i])
                .count()
        })
        .collect();
    let max = group_size.iter().copied().max().unwrap_or(0);
    let leaders: Vec<usize> = (0..n).filter(|&i| group_size[i] == max).collect();
    let unique_max = leaders
        .iter()
        .all(|&i| fingerprints[i] == fingerprints[leaders[0]]);
    (0..n)
        .map(|i| {
            if n < 2 {
                !matches_image[i]
            } else if unique_max {
                fingerprints[i] != fingerprints[leaders[0]]
            } else {
                !matches_image[i]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_padding_is_no_drift() {
        let d = compare_pep440("1.0", "1.0.0");
        assert_eq!(d.order, Some(Ordering::Equal));
        assert_eq!(d.bump, None);
    }

    #[test]
    fn bumps() {
        let b = |x, y| compare_pep440(x, y).bump;
        assert_eq!(b("0.20.0", "0.20.1"), Some(Bump::Patch));
        assert_eq!(b("1.2.3", "1.3.0"), Some(Bump::Minor));
        assert_eq!(b("1.2.3", "2.0"), Some(Bump::Major));
        assert_eq!(b("1.0rc1", "1.0"), Some(Bump::Pre));
        assert_eq!(b("1.0.dev1", "1.0"), Some(Bump::Pre));
        assert_eq!(b("1.0", "1.0.post1"), Some(Bump::Post));
        assert_eq!(b("1.0+cpu", "1.0+cu118"), Some(Bump::Local));
        assert_eq!(b("1.0", "1!0.5"), Some(Bump::Other));
        assert_eq!(b("1.2.3.4", "1.2.3.5"), Some(Bump::Patch));
        assert_eq!(b("not a version", "other"), Some(Bump::Other));
        assert_eq!(compare_pep440("2.0", "1.9").order, Some(Ordering::Greater));
    }

    #[test]
    fn gate() {
        let c = |change, bump| Change {
            name: "x".into(),
            before: None,
            after: None,
            change,
            bump,
            detail: None,
        };
        let patch = c(ChangeKind::Upgrade, Some(Bump::Patch));
        assert!(FailOn::Patch.trips(&patch));
        assert!(!FailOn::Minor.trips(&patch));
        assert!(FailOn::Any.trips(&patch));
        assert!(!FailOn::Downgrade.trips(&patch));
        let down = c(ChangeKind::Downgrade, Some(Bump::Pre));
        assert!(FailOn::Downgrade.trips(&down));
        assert!(!FailOn::Patch.trips(&down));
        let removed = c(ChangeKind::Removed, None);
        assert!(FailOn::Major.trips(&removed));
        assert!(!FailOn::Any.trips(&c(ChangeKind::Unchanged, None)));
        assert!("nope".parse::<FailOn>().is_err());
    }

    #[test]
    fn odd_one_out() {
        assert_eq!(
            odd_ones_out(&[1, 1, 2], &[true, true, false]),
            [false, false, true]
        );
        assert_eq!(odd_ones_out(&[1, 2], &[true, false]), [false, true]);
        assert_eq!(odd_ones_out(&[1, 1], &[false, false]), [false, false]);
        assert_eq!(odd_ones_out(&[1], &[false]), [true]);
    }
}
