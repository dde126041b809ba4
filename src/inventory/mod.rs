//! Installed packages: what a container, an image, a freeze file or a requirements file holds.
//!
//! The parsers here are pure: they take bytes that [`crate::docker`] streamed out of a
//! container (or a file's text) and never touch the engine or the disk themselves.

pub mod cache;
pub mod freeze;
pub mod lock;
pub mod metadata;
pub mod os;
pub mod requirements;
pub mod sites;
pub mod tarscan;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Where a package was installed from, from `direct_url.json` or a freeze line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirectUrl {
    pub url: String,
    /// `editable`, `vcs`, `archive` or `dir`.
    pub kind: String,
    /// VCS commit (`vcs_info.commit_id`) when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

impl DirectUrl {
    /// What identifies the installed code: the commit for VCS installs, else the URL.
    pub fn identity(&self) -> String {
        match &self.commit {
            Some(c) => format!("{}@{}", strip_vcs_ref(&self.url), c),
            None => self.url.clone(),
        }
    }

    /// Short human description.
    pub fn describe(&self) -> String {
        match (&self.commit, self.kind.as_str()) {
            (Some(c), _) => format!("git {}", &c[..c.len().min(12)]),
            (None, "editable") => format!("editable {}", self.url),
            _ => self.url.clone(),
        }
    }
}

fn strip_vcs_ref(url: &str) -> &str {
    let url = url.strip_prefix("git+").unwrap_or(url);
    match url.rfind('@') {
        Some(i) if i > url.find("://").map(|p| p + 3).unwrap_or(0) && !url[i..].contains('/') => {
            &url[..i]
        }
        _ => url,
    }
}

/// One installed Python distribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Package {
    /// PEP 503 normalized name.
    pub name: String,
    /// The name as the metadata spells it.
    pub display_name: String,
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direct: Option<DirectUrl>,
    /// Where it was read: a metadata path in the container, or `FILE:LINE`.
    pub location: String,
}

/// What kind of Python environment this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnvKind {
    /// The interpreter's own site-packages / dist-packages folders.
    System,
    /// A virtual environment (a folder with `pyvenv.cfg`).
    Venv,
    /// An interpreter installed under its own prefix (e.g. /opt/conda).
    Prefix,
    /// A user site (`~/.local/lib/pythonX.Y/site-packages`).
    UserSite,
    /// A folder named in the container's `PYTHONPATH`.
    PythonPath,
    /// A `pip freeze` file.
    Freeze,
    /// The pins of a requirements file.
    Requirements,
}

/// One Python environment: packages by normalized name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PythonEnv {
    /// Stable key used to pair environments of two sources: `system`, `system-python3.12`,
    /// `venv:/opt/venv`, `user:/root/.local`, `pythonpath:/app/lib`, `freeze`, `requirements`.
    pub key: String,
    pub kind: EnvKind,
    /// Python version (`3.11`) when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub python: Option<String>,
    /// Root of the environment (venv or prefix path) when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    /// Site folders read, in import order.
    pub dirs: Vec<String>,
    #[serde(skip)]
    pub packages: BTreeMap<String, Package>,
}

impl PythonEnv {
    pub fn new(key: impl Into<String>, kind: EnvKind) -> Self {
        PythonEnv {
            key: key.into(),
            kind,
            python: None,
            root: None,
            dirs: Vec::new(),
            packages: BTreeMap::new(),
        }
    }

    /// Does `--python-env PATH` select this environment? Matches the key, the root, or one of
    /// the site folders (trailing slashes ignored).
    pub fn matches(&self, wanted: &str) -> bool {
        let w = wanted.trim_end_matches('/');
        if self.key == wanted || self.key.split_once(':').map(|(_, p)| p) == Some(w) {
            return true;
        }
        if self.root.as_deref() == Some(w) {
            return true;
        }
        self.dirs.iter().any(|d| d.trim_end_matches('/') == w)
    }

    /// Add a package unless one of the same name was found earlier on the import path
    /// (earlier folders shadow later ones, as `import` and `pip freeze` see it).
    pub fn insert_first(&mut self, pkg: Package) -> Option<Package> {
        if self.packages.contains_key(&pkg.name) {
            return Some(pkg);
        }
        self.packages.insert(pkg.name.clone(), pkg);
        None
    }
}

/// One OS package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OsPackage {
    pub name: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
}

/// OS package database contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OsInventory {
    /// `dpkg`, `apk` (or `dpkg+apk` in odd images).
    pub manager: String,
    /// Files read, e.g. `/var/lib/dpkg/status`.
    pub sources: Vec<String>,
    #[serde(skip)]
    pub packages: BTreeMap<String, OsPackage>,
}

/// Ends the message of a warning about a package (or a line that may name one) that could not
/// be read at all: it is missing from the comparison, so the run is never called clean.
pub const NOT_COMPARED: &str = "; not compared";

/// Something odd in the input that did not stop the run (malformed metadata, a capped file).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Warning {
    /// Path in the container, or `FILE:LINE`.
    pub path: String,
    pub message: String,
}

/// Kind of source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Container,
    Image,
    Freeze,
    Requirements,
    /// A lock file (`uv.lock`, `poetry.lock`, `Pipfile.lock`, `pylock.toml`): a specification
    /// like a requirements file, every entry pinned.
    Lock,
}

/// How a source's packages were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// Metadata files read through the Engine's archive API.
    Archive,
    /// `pip freeze --all` run inside a running container.
    Exec,
    /// A freeze or requirements file.
    File,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Archive => "archive",
            Via::Exec => "exec",
            Via::File => "file",
        }
    }
}

impl std::fmt::Display for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Description of one side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceInfo {
    /// As given on the command line, e.g. `container:web`.
    pub spec: String,
    pub kind: SourceKind,
    /// Container or image id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Container name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Image id a container was created from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// Image reference as the container config or the command line names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_ref: Option<String>,
    /// `archive` (metadata read through the archive API), `exec` (pip freeze inside) or `file`.
    pub via: Via,
    /// The engine's OS of the image or container (`linux`); used to evaluate markers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

impl Warning {
    /// A package that could not be read and is missing from the comparison.
    pub fn package_unread(&self) -> bool {
        self.message.ends_with(NOT_COMPARED)
    }
}

impl SourceInfo {
    pub fn file(spec: impl Into<String>, kind: SourceKind) -> Self {
        SourceInfo {
            spec: spec.into(),
            kind,
            id: None,
            name: None,
            image_id: None,
            image_ref: None,
            via: Via::File,
            platform: None,
        }
    }
}

/// Everything read from one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inventory {
    pub source: SourceInfo,
    pub envs: Vec<PythonEnv>,
    /// `None` when the source has no OS package database (freeze files, requirements).
    pub os: Option<OsInventory>,
    pub warnings: Vec<Warning>,
    /// A `req:` source: the requirements as written (a specification, not an inventory).
    #[serde(skip)]
    pub requirements: Vec<requirements::ReqEntry>,
}

impl Inventory {
    /// A freeze file or requirements file is one environment with no identity of its own: it is
    /// compared with whichever environment the other side selects.
    pub fn single_env_source(&self) -> bool {
        matches!(
            self.source.kind,
            SourceKind::Freeze | SourceKind::Requirements | SourceKind::Lock
        )
    }

    /// A specification (a requirements or lock file), not an inventory: its entries are in
    /// `requirements`.
    pub fn is_spec(&self) -> bool {
        matches!(
            self.source.kind,
            SourceKind::Requirements | SourceKind::Lock
        )
    }

    /// Total Python packages over all environments.
    pub fn package_count(&self) -> usize {
        self.envs.iter().map(|e| e.packages.len()).sum()
    }
}
