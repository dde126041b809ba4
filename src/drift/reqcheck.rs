//! A requirements file (a specification) checked against an environment (an inventory):
//! every requirement is satisfied, violated, unpinned, missing, not applicable (its marker
//! is false there) or unknown (pindrift could not judge it, and says why); every installed
//! package the file does not name is "not in the requirements". Nothing is dropped.
//!
//! Two requirements files are compared requirement by requirement ([`diff_specs`]).

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder, MarkerTree};
use serde::Serialize;

use super::{compare_pep440, Bump, Change, ChangeKind, FailOn};
use crate::inventory::requirements::{ReqEntry, Wanted};
use crate::inventory::Package;

/// What became of one requirement (or one installed package the file does not name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReqStatus {
    /// Installed, and the installed version is outside the specifier.
    Violated,
    /// Not installed (and its marker, if any, is true for the environment).
    Missing,
    /// pindrift could not judge it: a marker it cannot evaluate for this environment with a
    /// package not installed, a version that is not PEP 440, a URL it cannot match.
    Unknown,
    /// Installed; the file allows any version.
    Unpinned,
    /// Installed, and the installed version satisfies the specifier.
    Satisfied,
    /// Its marker is false for the environment (or a constraint of something not installed).
    NotApplicable,
    /// Installed but not named in the requirements.
    NotInRequirements,
}

impl ReqStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReqStatus::Violated => "violated",
            ReqStatus::Missing => "missing",
            ReqStatus::Unknown => "unknown",
            ReqStatus::Unpinned => "unpinned",
            ReqStatus::Satisfied => "satisfied",
            ReqStatus::NotApplicable => "not-applicable",
            ReqStatus::NotInRequirements => "not-in-requirements",
        }
    }

    /// Does this status trip the gate? Violated, missing and unknown (never "clean" when
    /// pindrift could not judge) trip every threshold but `never`; unpinned trips `any`
    /// only; installed packages the file does not name trip only with `--strict-extra`.
    pub fn trips(self, fail_on: FailOn, strict_extra: bool) -> bool {
        if fail_on == FailOn::Never {
            return false;
        }
        match self {
            ReqStatus::Violated | ReqStatus::Missing | ReqStatus::Unknown => true,
            ReqStatus::Unpinned => fail_on == FailOn::Any,
            ReqStatus::NotInRequirements => strict_extra,
            ReqStatus::Satisfied | ReqStatus::NotApplicable => false,
        }
    }
}

/// One row of a requirements check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReqResult {
    pub name: String,
    pub status: ReqStatus,
    /// The specifier as written (`>=21.2`, `==1.0`, `@ URL`); `""` for any version; `null`
    /// for packages not in the requirements.
    pub specifier: Option<String>,
    /// Installed version (or source), `null` when not installed.
    pub installed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extras: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub constraint: bool,
    /// `FILE:LINE` of the requirement; `null` for packages not in the requirements.
    pub location: Option<String>,
    /// Why, in words (the marker that could not be evaluated, the extras not checked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A requirements file checked against one environment.
#[derive(Debug, Clone, Serialize)]
pub struct ReqCheck {
    /// The `req:` source.
    pub spec: String,
    /// `before` or `after`: where the requirements file stands on the command line.
    pub side: &'static str,
    /// The environment source and the environment key compared with it.
    pub environment: String,
    pub env: String,
    /// Requirements in the order pip reads them, then packages not in the requirements by
    /// name.
    pub results: Vec<ReqResult>,
    pub strict_extra: bool,
    /// What marker evaluation knew about the environment (`python_version`, `sys_platform`…).
    pub marker_facts: BTreeMap<&'static str, String>,
}

impl ReqCheck {
    pub fn trips(&self, fail_on: FailOn) -> bool {
        self.results
            .iter()
            .any(|r| r.status.trips(fail_on, self.strict_extra))
    }

    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut m = BTreeMap::new();
        for r in &self.results {
            *m.entry(r.status.as_str()).or_default() += 1;
        }
        m
    }

    /// Something other than satisfied / not applicable (extras only with `--strict-extra`).
    pub fn has_drift(&self) -> bool {
        self.results.iter().any(|r| match r.status {
            ReqStatus::Satisfied | ReqStatus::NotApplicable => false,
            ReqStatus::NotInRequirements => self.strict_extra,
            _ => true,
        })
    }
}

/// What is known about an environment for evaluating markers. Unknown facts stay `None`;
/// a marker that needs one is reported as not evaluated, never guessed.
#[derive(Debug, Clone, Default)]
pub struct MarkerFacts {
    /// `X.Y`.
    pub python_version: Option<String>,
    /// The engine's OS of the image or container (`linux`, `windows`).
    pub platform: Option<String>,
}

impl MarkerFacts {
    fn known(&self) -> BTreeMap<&'static str, String> {
        let mut m = BTreeMap::new();
        if let Some(v) = &self.python_version {
            m.insert("python_version", v.clone());
        }
        match self.platform.as_deref() {
            Some("linux") => {
                m.insert("sys_platform", "linux".into());
                m.insert("os_name", "posix".into());
                m.insert("platform_system", "Linux".into());
            }
            Some("windows") => {
                m.insert("sys_platform", "win32".into());
                m.insert("os_name", "nt".into());
                m.insert("platform_system", "Windows".into());
            }
            _ => {}
        }
        m
    }
}

const MARKER_VARS: &[&str] = &[
    "implementation_name",
    "implementation_version",
    "os_name",
    "os.name",
    "platform_machine",
    "platform.machine",
    "platform_python_implementation",
    "platform.python_implementation",
    "python_implementation",
    "platform_release",
    "platform.release",
    "platform_system",
    "platform_version",
    "platform.version",
    "python_full_version",
    "python_version",
    "sys_platform",
    "sys.platform",
    "extra",
];

/// The marker variables a marker refers to (quoted values are not looked at).
fn marker_vars(marker: &str) -> BTreeSet<&'static str> {
    let mut bare = String::with_capacity(marker.len());
    let mut quote: Option<char> = None;
    for c in marker.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                bare.push(' ');
            }
            None => bare.push(c),
        }
    }
    let mut out = BTreeSet::new();
    for token in bare.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')) {
        if let Some(v) = MARKER_VARS.iter().find(|v| **v == token) {
            out.insert(*v);
        }
    }
    out
}

/// Why a marker could not be evaluated (the marker is a requirement's: its file and line are
/// the requirement's `location`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarkerError {
    #[error("the marker `{marker}` does not parse: {message}")]
    Parse { marker: String, message: String },
    #[error("the marker `{marker}` needs {} of the environment, which pindrift does not know", .unknown.join(", "))]
    Unknown {
        marker: String,
        unknown: Vec<&'static str>,
    },
    #[error("the marker `{marker}` could not be evaluated: {message}")]
    Evaluate { marker: String, message: String },
}

/// Evaluate a marker with what is known: `Ok(bool)`, or `Err(why)` when it needs a fact
/// pindrift does not have (or does not parse).
pub fn eval_marker(marker: &str, facts: &MarkerFacts) -> Result<bool, MarkerError> {
    let tree = MarkerTree::from_str(marker).map_err(|e| MarkerError::Parse {
        marker: marker.to_string(),
        message: e.to_string(),
    })?;
    let known = facts.known();
    let unknown: Vec<&'static str> = marker_vars(marker)
        .into_iter()
        .filter(|v| *v != "extra")
        .filter(|v| {
            let canonical = v.replace('.', "_");
            !known.contains_key(canonical.as_str())
        })
        .collect();
    if !unknown.is_empty() {
        return Err(MarkerError::Unknown {
            marker: marker.to_string(),
            unknown,
        });
    }
    let get = |k: &str| known.get(k).cloned();
    let python_version = get("python_version").unwrap_or_else(|| "0.0".into());
    let env = MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: "",
        implementation_version: "0",
        os_name: &get("os_name").unwrap_or_default(),
        platform_machine: "",
        platform_python_implementation: "",
        platform_release: "",
        platform_system: &get("platform_system").unwrap_or_default(),
        platform_version: "",
        python_full_version: &python_version,
        python_version: &python_version,
        sys_platform: &get("sys_platform").unwrap_or_default(),
    })
    .map_err(|e| MarkerError::Evaluate {
        marker: marker.to_string(),
        message: e.to_string(),
    })?;
    Ok(tree.evaluate(&env, &[]))
}

fn installed_label(p: &Package) -> Option<String> {
    match (&p.version, &p.direct) {
        (Some(v), _) => Some(v.clone()),
        (None, Some(d)) => Some(d.describe()),
        (None, None) => None,
    }
}

fn strip_fragment(url: &str) -> &str {
    url.split('#').next().unwrap_or(url)
}

/// Judge one requirement against the environment's packages.
fn judge(
    e: &ReqEntry,
    packages: &BTreeMap<String, Package>,
    facts: &MarkerFacts,
) -> (ReqStatus, Option<String>) {
    if e.nameless {
        return (
            ReqStatus::Unknown,
            Some(
                "names no package (pip reads the name from the project; add `#egg=NAME` or write `NAME @ URL`)"
                    .into(),
            ),
        );
    }
    let mut marker_unknown = None;
    if let Some(m) = &e.marker {
        match eval_marker(m, facts) {
            Ok(true) => {}
            Ok(false) => {
                return (
                    ReqStatus::NotApplicable,
                    Some(format!("the marker `{m}` is false for this environment")),
                )
            }
            Err(why) => marker_unknown = Some(why.to_string()),
        }
    }
    let Some(p) = packages.get(&e.name) else {
        if e.constraint {
            return (
                ReqStatus::NotApplicable,
                Some("a constraint; the package is not installed".into()),
            );
        }
        return match marker_unknown {
            Some(why) => (
                ReqStatus::Unknown,
                Some(format!("not installed, and {why}")),
            ),
            None => (ReqStatus::Missing, None),
        };
    };
    let extras_note = (!e.extras.is_empty()).then(|| {
        format!(
            "extras [{}] not checked (their dependencies are judged only where the file names them)",
            e.extras.join(",")
        )
    });
    let (status, detail) = match &e.wanted {
        _ if e.unpinned() => (ReqStatus::Unpinned, None),
        Wanted::Index {
            specifiers,
            arbitrary_equal,
        } => {
            let Some(v) = &p.version else {
                return (
                    ReqStatus::Unknown,
                    Some("the installed package has no version".into()),
                );
            };
            if let Some(a) = arbitrary_equal {
                if v.trim() != a.trim() {
                    return (ReqStatus::Violated, extras_note);
                }
            }
            match (specifiers, Version::from_str(v.trim())) {
                (None, _) => (ReqStatus::Satisfied, None),
                (Some(s), Ok(ver)) => {
                    if s.contains(&ver) {
                        (ReqStatus::Satisfied, None)
                    } else {
                        (ReqStatus::Violated, None)
                    }
                }
                (Some(_), Err(_)) => (
                    ReqStatus::Unknown,
                    Some(format!(
                        "the installed version `{v}` is not a PEP 440 version"
                    )),
                ),
            }
        }
        Wanted::Direct { url, version } => match (version, &p.version, &p.direct) {
            (Some(want), Some(have), _) => {
                if compare_pep440(want, have).order == Some(std::cmp::Ordering::Equal) {
                    (ReqStatus::Satisfied, None)
                } else {
                    (ReqStatus::Violated, None)
                }
            }
            (_, _, Some(d)) if strip_fragment(&d.url) == strip_fragment(url) => {
                (ReqStatus::Satisfied, None)
            }
            (_, _, d) => (
                ReqStatus::Unknown,
                Some(format!(
                    "the requirement names {url}; the installed package came from {}",
                    d.as_ref()
                        .map(|d| d.describe())
                        .unwrap_or_else(|| "an index (or the source does not say)".into())
                )),
            ),
        },
    };
    let detail = match (detail, extras_note) {
        (Some(a), Some(b)) => Some(format!("{a}; {b}")),
        (a, b) => a.or(b),
    };
    // Installed at another version, but whether the requirement applies here is unknown
    // (a lock's other fork, `numpy==1.26.4; python_version < '3.12'`): not judged.
    if let (ReqStatus::Violated, Some(why)) = (status, marker_unknown) {
        return (
            ReqStatus::Unknown,
            Some(format!("the installed version does not match, and {why}")),
        );
    }
    (status, detail)
}

/// Check requirements against one environment's packages.
#[allow(clippy::too_many_arguments)]
pub fn check(
    spec: &str,
    side: &'static str,
    environment: &str,
    env_key: &str,
    entries: &[ReqEntry],
    packages: &BTreeMap<String, Package>,
    facts: &MarkerFacts,
    ignore: &BTreeSet<String>,
    strict_extra: bool,
) -> ReqCheck {
    let mut results = Vec::new();
    let mut named = BTreeSet::new();
    for e in entries {
        if !e.nameless {
            named.insert(e.name.clone());
        }
        if ignore.contains(&e.name) {
            continue;
        }
        let (status, detail) = judge(e, packages, facts);
        results.push(ReqResult {
            name: e.name.clone(),
            status,
            specifier: Some(e.specifier()),
            installed: packages
                .get(&e.name)
                .filter(|_| !e.nameless)
                .and_then(installed_label),
            marker: e.marker.clone(),
            extras: e.extras.clone(),
            constraint: e.constraint,
            location: Some(e.location.clone()),
            detail,
        });
    }
    for (name, p) in packages {
        if named.contains(name) || ignore.contains(name) {
            continue;
        }
        results.push(ReqResult {
            name: name.clone(),
            status: ReqStatus::NotInRequirements,
            specifier: None,
            installed: installed_label(p),
            marker: None,
            extras: Vec::new(),
            constraint: false,
            location: None,
            detail: None,
        });
    }
    ReqCheck {
        spec: spec.to_string(),
        side,
        environment: environment.to_string(),
        env: env_key.to_string(),
        results,
        strict_extra,
        marker_facts: facts.known(),
    }
}

/// What one file asks of a package: `1.0` for one exact pin, else the requirement lines'
/// specifiers (`>=21.2`, `any`, with markers), joined.
fn spec_label(entries: &[&ReqEntry]) -> (Option<String>, String) {
    if let [one] = entries {
        if one.marker.is_none() && !one.constraint {
            if let Some(v) = one.exact_version() {
                if one.specifier().starts_with("==") || matches!(one.wanted, Wanted::Direct { .. })
                {
                    return (Some(v.clone()), v);
                }
            }
        }
    }
    let label = entries
        .iter()
        .map(|e| {
            let s = e.specifier();
            let s = if s.is_empty() { "any".to_string() } else { s };
            let s = if e.constraint {
                format!("{s} (constraint)")
            } else {
                s
            };
            match &e.marker {
                Some(m) => format!("{s}; {m}"),
                None => s,
            }
        })
        .collect::<Vec<_>>()
        .join(" | ");
    (None, label)
}

/// Two requirements files compared as specifications, package by package: exact pins on
/// both sides are ordered by PEP 440 (upgrade/downgrade with a bump), any other difference
/// in what the files allow is `changed`.
pub fn diff_specs(a: &[ReqEntry], b: &[ReqEntry], ignore: &BTreeSet<String>) -> Vec<Change> {
    let by_name = |v: &[ReqEntry]| {
        let mut m: BTreeMap<String, Vec<ReqEntry>> = BTreeMap::new();
        for e in v {
            m.entry(e.name.clone()).or_default().push(e.clone());
        }
        m
    };
    let (ma, mb) = (by_name(a), by_name(b));
    let names: BTreeSet<&String> = ma.keys().chain(mb.keys()).collect();
    let mut out = Vec::new();
    for name in names {
        if ignore.contains(name) {
            continue;
        }
        let la = ma
            .get(name)
            .map(|v| spec_label(&v.iter().collect::<Vec<_>>()));
        let lb = mb
            .get(name)
            .map(|v| spec_label(&v.iter().collect::<Vec<_>>()));
        let (change, bump, detail) = match (&la, &lb) {
            (Some(_), None) => (ChangeKind::Removed, None, None),
            (None, Some(_)) => (ChangeKind::Added, None, None),
            (Some((Some(va), _)), Some((Some(vb), _))) => {
                let d = compare_pep440(va, vb);
                match d.order {
                    Some(std::cmp::Ordering::Less) => (ChangeKind::Upgrade, d.bump, None),
                    Some(std::cmp::Ordering::Greater) => (ChangeKind::Downgrade, d.bump, None),
                    Some(std::cmp::Ordering::Equal) => (ChangeKind::Unchanged, None, None),
                    None => (ChangeKind::Changed, Some(Bump::Other), None),
                }
            }
            (Some((_, x)), Some((_, y))) if x == y => (ChangeKind::Unchanged, None, None),
            (Some((_, x)), Some((_, y))) => (
                ChangeKind::Changed,
                Some(Bump::Other),
                Some(format!("specifier {x} → {y}")),
            ),
            (None, None) => continue,
        };
        out.push(Change {
            name: name.clone(),
            before: la.map(|(_, l)| l),
            after: lb.map(|(_, l)| l),
            change,
            bump,
            detail,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(py: Option<&str>, platform: Option<&str>) -> MarkerFacts {
        MarkerFacts {
            python_version: py.map(str::to_string),
            platform: platform.map(str::to_string),
        }
    }

    #[test]
    fn markers_with_partial_knowledge() {
        let linux = facts(Some("3.11"), Some("linux"));
        assert_eq!(eval_marker("sys_platform == 'win32'", &linux), Ok(false));
        assert_eq!(eval_marker("python_version < \"3.8\"", &linux), Ok(false));
        assert_eq!(eval_marker("python_version >= '3.8'", &linux), Ok(true));
        let why = eval_marker("platform_machine == 'x86_64'", &linux)
            .unwrap_err()
            .to_string();
        assert!(why.contains("platform_machine"), "{why}");
        // A freeze file: nothing is known.
        let none = facts(None, None);
        assert!(eval_marker("sys_platform == 'linux'", &none).is_err());
        // Quoted values are not variables.
        assert_eq!(
            eval_marker("sys_platform == 'python_version'", &linux),
            Ok(false)
        );
        assert!(eval_marker("nonsense ==", &linux).is_err());
    }

    #[test]
    fn gate() {
        assert!(ReqStatus::Violated.trips(FailOn::Major, false));
        assert!(ReqStatus::Missing.trips(FailOn::Downgrade, false));
        assert!(ReqStatus::Unknown.trips(FailOn::Patch, false));
        assert!(ReqStatus::Unpinned.trips(FailOn::Any, false));
        assert!(!ReqStatus::Unpinned.trips(FailOn::Patch, false));
        assert!(!ReqStatus::NotInRequirements.trips(FailOn::Any, false));
        assert!(ReqStatus::NotInRequirements.trips(FailOn::Any, true));
        assert!(!ReqStatus::Violated.trips(FailOn::Never, true));
        assert!(!ReqStatus::Satisfied.trips(FailOn::Any, true));
    }
}
