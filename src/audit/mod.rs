//! `pindrift audit`: one GO / NO-GO before a deploy.
//!
//! - [`gather`]: the facts — `check` on the paths, the running sources and the candidate read
//!   through the drift readers, what each running container changed in place, open hotfix
//!   journals, and each image's base (labels, history, layers). The only effectful part.
//! - [`policy`]: which facts fail (`[audit]` of `pindrift.toml`, with defaults);
//! - [`verdict`]: pure — the facts and the policy give the reasons, one line each;
//! - [`render`]: human, markdown and JSON (`"version": 1`, `docs/audit.schema.json`).

pub mod gather;
pub mod policy;
pub mod render;
pub mod verdict;

use serde::Serialize;

use crate::drift::FileChangeKind;
use policy::{ChangeClass, Policy};

/// The JSON format's version.
pub const FORMAT_VERSION: u32 = 1;

/// One side of the audit: a running source or the candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceSummary {
    /// As given: `container:prod-1`, `image:app:2.3`, `freeze:prod.txt`.
    pub spec: String,
    /// `container`, `image` or `freeze`.
    pub kind: String,
    /// Container name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The image id (of the image, or the image a container was created from).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// The image reference a container was created from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_ref: Option<String>,
}

impl SourceSummary {
    /// The shortest name a reader knows it by: the container's name, else the spec.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.spec)
    }
}

/// The findings of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSummary {
    pub code: String,
    pub name: String,
    /// The highest level of its findings.
    pub level: String,
    pub count: usize,
    /// How many are in files of the candidate's build context (`--context`).
    pub in_context: usize,
    /// The first locations (`FILE:LINE`), build-context files first.
    pub locations: Vec<String>,
    /// Does this rule fail the audit (policy)?
    pub fails: bool,
}

/// `check` on the paths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PinsSection {
    pub paths: Vec<String>,
    /// The candidate's build context (`--context`), when given.
    pub context: Option<String>,
    /// Files read.
    pub files: usize,
    pub findings: usize,
    /// By rule, rules with findings in the build context first, then by code.
    pub rules: Vec<RuleSummary>,
    /// Exact pins (`==`, `===`) of the requirements files found: the changes the
    /// repository asks for.
    pub exact_pins: Vec<ExactPin>,
}

/// One exact pin of a requirements file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExactPin {
    /// PEP 503 normalized.
    pub name: String,
    pub version: String,
    /// `FILE:LINE`.
    pub location: String,
}

/// One package that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageChange {
    pub name: String,
    /// The Python environment (`system`, `venv:/opt/venv`) or `os`.
    pub env: String,
    pub before: Option<String>,
    pub after: Option<String>,
    /// `upgrade`, `downgrade`, `added`, `removed` or `changed` (same version, another source).
    pub change: String,
    /// Listed in `[audit] allow`: never fails.
    pub allowed: bool,
    /// Where the repository pins exactly the candidate's version (`FILE:LINE`): a change
    /// the repository asks for, which fails only for the classes of
    /// `fail-on-declared-changes`.
    pub declared: Option<String>,
}

impl PackageChange {
    /// `eventlet 0.20.0 → 0.20.1`, `six 1.16.0` (added), `six (was 1.16.0)` (removed).
    pub fn describe(&self) -> String {
        match (&self.before, &self.after) {
            (Some(b), Some(a)) if b != a => format!("{} {b} → {a}", self.name),
            (_, Some(a)) => format!("{} {a}", self.name),
            (Some(b), None) => format!("{} (was {b})", self.name),
            (None, None) => self.name.clone(),
        }
    }
}

/// The changes of one class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassGroup {
    pub class: ChangeClass,
    pub changes: Vec<PackageChange>,
    /// Does this group fail the audit (policy, allowed packages left out)?
    pub fails: bool,
}

/// One running source → the candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftSection {
    pub running: String,
    pub candidate: String,
    /// Python packages by class (classes without changes left out).
    pub python: Vec<ClassGroup>,
    /// OS packages by class; `None` when they were not compared (`os_not_compared` says why).
    pub os: Option<Vec<ClassGroup>>,
    pub os_not_compared: Option<String>,
    pub notes: Vec<String>,
}

/// One package whose version differs between replicas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplicaDifference {
    pub name: String,
    /// The Python environment or `os`.
    pub env: String,
    /// Each replica (its label) with its version (`None`: not installed).
    pub versions: Vec<ReplicaVersion>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplicaVersion {
    pub source: String,
    pub version: Option<String>,
}

/// Several `--running` sources compared with each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplicasSection {
    pub compared: Vec<String>,
    pub differences: Vec<ReplicaDifference>,
    pub fails: bool,
}

/// What is known of one image's base image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BaseInfo {
    pub source: String,
    /// The image read (an id), when the source is one.
    pub image_id: Option<String>,
    /// The base image's name (label `org.opencontainers.image.base.name`, or the tag of the
    /// nearest tagged image in the history).
    pub name: Option<String>,
    /// The base's manifest digest (label) or image id (history).
    pub digest: Option<String>,
    /// `label`, `history` or `unknown`.
    pub how: String,
    /// Layers of the base image, when known (history).
    pub layers: Option<usize>,
    /// Why nothing is known, when nothing is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why_unknown: Option<String>,
}

/// The candidate's base image versus each running source's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BaseSection {
    pub candidate: BaseInfo,
    pub running: Vec<BaseComparison>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BaseComparison {
    pub base: BaseInfo,
    /// `same`, `changed` or `unknown`.
    pub status: String,
    pub detail: String,
    pub fails: bool,
}

/// A file changed in a running container since it was created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedFile {
    pub path: String,
    pub kind: FileChangeKind,
    /// Files summed up under a site-packages package folder (`path` ends in `/`).
    pub count: u32,
    /// In a site-packages folder (explained by the package changes when there are some).
    pub site: bool,
}

/// A running container against its own image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HotfixSection {
    pub source: String,
    pub container: String,
    /// The image it was created from (reference, else id).
    pub image: String,
    pub files: Vec<ChangedFile>,
    /// Changed paths left out as noise (see docs/audit.md).
    pub noise: usize,
    pub packages: Vec<PackageChange>,
    pub os_packages: Vec<PackageChange>,
    /// Open (active) hotfix journals of this container: their ids.
    pub journals: Vec<String>,
    /// Where the journals were looked for (`None`: no state folder exists).
    pub state_dir: Option<String>,
    pub fails: bool,
}

impl HotfixSection {
    pub fn changed(&self) -> bool {
        !self.files.is_empty()
            || !self.packages.is_empty()
            || !self.os_packages.is_empty()
            || !self.journals.is_empty()
    }
}

/// Everything the audit found, before the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Facts {
    pub candidate: SourceSummary,
    pub running: Vec<SourceSummary>,
    pub pins: PinsSection,
    pub drift: Vec<DriftSection>,
    pub replicas: Option<ReplicasSection>,
    pub base_image: BaseSection,
    pub hotfixes: Vec<HotfixSection>,
    /// Packages that could not be read, odd metadata: never hidden.
    pub warnings: Vec<String>,
    /// Some package could not be read at all: the audit cannot say GO.
    pub unread: Vec<String>,
}

/// The kind of a NO-GO reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReasonKind {
    Pins,
    Drift,
    OsDrift,
    Replicas,
    BaseImage,
    Hotfix,
    Unread,
}

/// One NO-GO reason: one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub kind: ReasonKind,
    pub text: String,
}

/// GO or NO-GO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Verdict {
    #[serde(rename = "GO")]
    Go,
    #[serde(rename = "NO-GO")]
    NoGo,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Go => "GO",
            Verdict::NoGo => "NO-GO",
        }
    }
}

/// The audit's result: the facts, the policy, the verdict and its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    pub version: u32,
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
    #[serde(flatten)]
    pub facts: Facts,
    pub policy: Policy,
}
