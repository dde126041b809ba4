//! Gathering the facts of an audit: `check` on the paths, the running sources and the
//! candidate (through the drift readers and one [`Engine`]), each running container against
//! its own image (the engine's changes, its packages, open hotfix journals), and the base
//! image of every image read. The temporary containers are removed whatever happens.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::{Path, PathBuf};

use super::policy::ChangeClass;
use super::{
    BaseComparison, BaseInfo, BaseSection, ChangedFile, ClassGroup, DriftSection, ExactPin, Facts,
    HotfixSection, PackageChange, PinsSection, ReplicaDifference, ReplicaVersion, ReplicasSection,
    RuleSummary, SourceSummary,
};
use crate::config::Settings;
use crate::diagnostic::{Finding, Level};
use crate::docker::{summarize_changes, Engine, EngineError, ImageLineage, RawChange};
use crate::drift::session::{self, SessionError, Source};
use crate::drift::{compare_with, Bump, Change, ChangeKind, FileChange, Options, PairError};
use crate::hotfix::state::StateDir;
use crate::hotfix::HotfixError;
use crate::inventory::{Inventory, SourceKind, Via};

/// How many locations a rule's summary lists.
pub const LOCATIONS_SHOWN: usize = 3;

/// What an audit is asked to do: the command line, resolved.
#[derive(Debug, Clone)]
pub struct Request {
    /// Files or folders `check` lints (`.` when none were named).
    pub paths: Vec<PathBuf>,
    /// `--running` sources as given.
    pub running: Vec<String>,
    /// `--candidate` as given.
    pub candidate: String,
    /// The settings `check` runs with (configuration file, `--context`).
    pub settings: Settings,
    /// The candidate's build context (`--context DIR`): its files' findings come first.
    pub context: Option<PathBuf>,
    /// Where hotfix journals live (`--state-dir`, else as `hotfix` resolves it).
    pub state_dir: Option<PathBuf>,
    pub no_cache: bool,
    pub timeout: std::time::Duration,
}

/// Why an audit stopped without a verdict (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("--running needs at least one SOURCE (container:NAME, image:REF or freeze:FILE)")]
    NoRunning,
    #[error("{spec}: a requirements or lock file is a specification, not what runs or what is deployed; --running and --candidate take container:NAME, image:REF or freeze:FILE")]
    Specification { spec: String },
    #[error("--running {0} is given twice")]
    Duplicate(String),
    #[error(transparent)]
    Source(#[from] SessionError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Pair(#[from] PairError),
    #[error(transparent)]
    Discover(#[from] crate::discover::DiscoverError),
    #[error("the hotfix state folder: {0}")]
    Hotfix(#[from] HotfixError),
    #[error("pins: {} file(s) could not be read:\n  {}", .0.len(), .0.join("\n  "))]
    Check(Vec<String>),
    #[error("interrupted by {0}; temporary containers removed")]
    Interrupted(&'static str),
}

/// Sources the audit reads: what runs and what is deployed, never a specification.
fn parse_source(spec: &str) -> Result<Source, AuditError> {
    let source: Source = spec.parse()?;
    match source {
        Source::Req(_) | Source::Lock(_) => Err(AuditError::Specification {
            spec: spec.to_string(),
        }),
        other => Ok(other),
    }
}

/// Checks the request before anything is read: usage errors first.
pub fn check_request(request: &Request) -> Result<(), AuditError> {
    if request.running.is_empty() {
        return Err(AuditError::NoRunning);
    }
    let mut seen = BTreeSet::new();
    for spec in &request.running {
        parse_source(spec)?;
        if !seen.insert(spec.as_str()) {
            return Err(AuditError::Duplicate(spec.clone()));
        }
    }
    parse_source(&request.candidate)?;
    Ok(())
}

/// `check` on the paths, summarized by rule. Files that cannot be read are an error.
pub fn pins(request: &Request) -> Result<PinsSection, AuditError> {
    let mut settings = request.settings.clone();
    let paths = if request.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        request.paths.clone()
    };
    settings.context = request.context.clone();
    if !settings.allow_outside {
        let named: Vec<PathBuf> = paths.iter().chain(&request.context).cloned().collect();
        settings.trees = crate::paths::Trees::of(&named);
    }
    let (files, unwalkable) = crate::discover::discover_all(&paths, None, &settings)?;
    let mut outcome = crate::lint::check(&files, &settings);
    outcome
        .errors
        .extend(unwalkable.iter().map(ToString::to_string));
    if !outcome.errors.is_empty() {
        return Err(AuditError::Check(outcome.errors));
    }
    let context = request.context.as_deref().map(crate::paths::absolute);
    let mut exact_pins = Vec::new();
    for file in files
        .iter()
        .filter(|f| f.kind == crate::discover::FileKind::Requirements)
    {
        // A file pip would refuse has its findings already; it asks for nothing here.
        let Ok(entries) =
            crate::inventory::requirements::read_requirements(&file.path, settings.max_file_size)
        else {
            continue;
        };
        for e in entries.iter().filter(|e| !e.nameless) {
            if let Some(version) = e.exact_version() {
                exact_pins.push(ExactPin {
                    name: e.name.clone(),
                    version,
                    location: e.location.clone(),
                });
            }
        }
    }
    exact_pins.sort_by(|a, b| (&a.name, &a.location).cmp(&(&b.name, &b.location)));
    exact_pins.dedup();
    Ok(PinsSection {
        exact_pins,
        paths: paths
            .iter()
            .map(|p| crate::paths::display_path(p))
            .collect(),
        context: request.context.as_deref().map(crate::paths::display_path),
        files: outcome.files,
        findings: outcome.findings.len(),
        rules: summarize_findings(&outcome.findings, context.as_deref()),
    })
}

/// Findings by rule: count, highest level, the first locations (build-context files first).
/// Rules with findings in the build context come first, then by code.
pub fn summarize_findings(findings: &[Finding], context: Option<&Path>) -> Vec<RuleSummary> {
    let in_context = |f: &Finding| {
        context.is_some_and(|dir| {
            crate::paths::absolute(Path::new(&**f.path.display())).starts_with(dir)
        })
    };
    let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        by_rule.entry(f.code.code()).or_default().push(f);
    }
    let mut out: Vec<RuleSummary> = by_rule
        .into_iter()
        .map(|(code, mut list)| {
            list.sort_by_key(|f| (!in_context(f), f.sort_key()));
            let level = list.iter().map(|f| f.level).max().unwrap_or(Level::Note);
            RuleSummary {
                code: code.to_string(),
                name: list[0].code.name().to_string(),
                level: level.as_str().to_string(),
                count: list.len(),
                in_context: list.iter().filter(|f| in_context(f)).count(),
                locations: list
                    .iter()
                    .take(LOCATIONS_SHOWN)
                    .map(|f| format!("{}:{}", f.path.display(), f.line))
                    .collect(),
                fails: false,
            }
        })
        .collect();
    out.sort_by(|a, b| (b.in_context > 0, &a.code).cmp(&(a.in_context > 0, &b.code)));
    out
}

/// The class of a change: its bump for a version change, `added`, `removed`, else `other`.
pub fn class_of(change: &Change) -> Option<ChangeClass> {
    Some(match change.change {
        ChangeKind::Unchanged => return None,
        ChangeKind::Added => ChangeClass::Added,
        ChangeKind::Removed => ChangeClass::Removed,
        ChangeKind::Upgrade | ChangeKind::Downgrade | ChangeKind::Changed => match change.bump {
            Some(Bump::Major) => ChangeClass::Major,
            Some(Bump::Minor) => ChangeClass::Minor,
            Some(Bump::Patch) => ChangeClass::Patch,
            _ => ChangeClass::Other,
        },
    })
}

fn package_change(c: &Change, env: &str) -> PackageChange {
    PackageChange {
        name: c.name.clone(),
        env: env.to_string(),
        before: c.before.clone(),
        after: c.after.clone(),
        change: c.change.as_str().to_string(),
        allowed: false,
        declared: None,
    }
}

/// Changes grouped by class, in class order; unchanged ones left out.
pub fn group(changes: &[(String, &Change)]) -> Vec<ClassGroup> {
    let mut groups: BTreeMap<ChangeClass, Vec<PackageChange>> = BTreeMap::new();
    for (env, c) in changes {
        if let Some(class) = class_of(c) {
            groups
                .entry(class)
                .or_default()
                .push(package_change(c, env));
        }
    }
    groups
        .into_iter()
        .map(|(class, changes)| ClassGroup {
            class,
            changes,
            fails: false,
        })
        .collect()
}

/// The changed paths the audit never reports: temporary and runtime folders, caches, logs,
/// bytecode. Listed in docs/audit.md.
pub const NOISE_PREFIXES: &[&str] = &[
    "/tmp",
    "/var/tmp",
    "/run",
    "/var/run",
    "/proc",
    "/sys",
    "/dev",
    "/var/cache",
    "/var/log",
    "/var/lib/apt/lists",
    "/etc/hostname",
    "/etc/hosts",
    "/etc/resolv.conf",
    "/etc/mtab",
];

/// Is a changed path noise? [`NOISE_PREFIXES`] (the path or below), any `__pycache__` or
/// `.cache` folder, `*.pyc`/`*.pyo`, and anything at or below a mount of the container.
pub fn is_noise(path: &str, mounts: &[String]) -> bool {
    let at_or_under = |dir: &str| {
        let dir = dir.trim_end_matches('/');
        path == dir || (path.starts_with(dir) && path.as_bytes().get(dir.len()) == Some(&b'/'))
    };
    NOISE_PREFIXES.iter().any(|p| at_or_under(p))
        || mounts
            .iter()
            .any(|m| !m.is_empty() && m != "/" && at_or_under(m))
        || path
            .split('/')
            .any(|part| part == "__pycache__" || part == ".cache")
        || path.ends_with(".pyc")
        || path.ends_with(".pyo")
}

/// The engine's changes of a container, noise left out, site-packages changes summed up per
/// package folder: (files, how many changed paths were noise).
pub fn changed_files(
    raw: &[RawChange],
    mounts: &[String],
    site_dirs: &[String],
) -> (Vec<FileChange>, usize) {
    let summarized = summarize_changes(raw, &["/".to_string()], site_dirs);
    let noise = raw.iter().filter(|c| is_noise(&c.path, mounts)).count();
    let files = summarized
        .into_iter()
        .filter(|f| !is_noise(f.path.trim_end_matches('/'), mounts))
        .collect();
    (files, noise)
}

/// For each (environment or `os`, package) whose versions differ between the inventories,
/// every inventory's version.
pub fn replica_differences(invs: &[(String, &Inventory)]) -> Vec<ReplicaDifference> {
    let mut table: BTreeMap<(String, String), Vec<Option<String>>> = BTreeMap::new();
    let n = invs.len();
    for (i, (_, inv)) in invs.iter().enumerate() {
        let mut put = |env: &str, name: &str, version: String| {
            table
                .entry((env.to_string(), name.to_string()))
                .or_insert_with(|| vec![None; n])[i] = Some(version);
        };
        for env in &inv.envs {
            for p in env.packages.values() {
                let v = p
                    .version
                    .clone()
                    .or_else(|| p.direct.as_ref().map(|d| d.describe()))
                    .unwrap_or_default();
                put(&env.key, &p.name, v);
            }
        }
        if let Some(os) = &inv.os {
            for p in os.packages.values() {
                put("os", &p.name, p.version.clone());
            }
        }
    }
    table
        .into_iter()
        .filter(|(_, versions)| versions.iter().any(|v| v != &versions[0]))
        .map(|((env, name), versions)| ReplicaDifference {
            name,
            env,
            versions: invs
                .iter()
                .zip(versions)
                .map(|((label, _), version)| ReplicaVersion {
                    source: label.clone(),
                    version,
                })
                .collect(),
        })
        .collect()
}

/// What an image's lineage says about its base: the labels first, else the nearest tagged
/// image in its history whose layers its own start with; else unknown, with why.
pub fn base_info(source: &str, lineage: &ImageLineage) -> BaseInfo {
    if lineage.base_name_label.is_some() || lineage.base_digest_label.is_some() {
        return BaseInfo {
            source: source.to_string(),
            image_id: Some(lineage.id.clone()),
            name: lineage.base_name_label.clone(),
            digest: lineage.base_digest_label.clone(),
            how: "label".into(),
            layers: None,
            why_unknown: None,
        };
    }
    let ancestor = lineage.tagged_ancestors.iter().find(|a| {
        !a.layers.is_empty()
            && a.layers.len() <= lineage.layers.len()
            && lineage.layers.starts_with(&a.layers)
    });
    match ancestor {
        Some(a) => BaseInfo {
            source: source.to_string(),
            image_id: Some(lineage.id.clone()),
            name: a.tags.first().cloned(),
            digest: Some(a.id.clone()),
            how: "history".into(),
            layers: Some(a.layers.len()),
            why_unknown: None,
        },
        None => BaseInfo {
            source: source.to_string(),
            image_id: Some(lineage.id.clone()),
            name: None,
            digest: None,
            how: "unknown".into(),
            layers: None,
            why_unknown: Some(
                "no org.opencontainers.image.base.* label, and no tagged local image in its history"
                    .into(),
            ),
        },
    }
}

/// A base that cannot be known (a freeze file has no image).
pub fn base_unknown(source: &str, why: &str) -> BaseInfo {
    BaseInfo {
        source: source.to_string(),
        image_id: None,
        name: None,
        digest: None,
        how: "unknown".into(),
        layers: None,
        why_unknown: Some(why.to_string()),
    }
}

fn base_words(b: &BaseInfo) -> String {
    match (&b.name, &b.digest) {
        (Some(n), Some(d)) => format!("{n} ({})", short_digest(d)),
        (Some(n), None) => n.clone(),
        (None, Some(d)) => short_digest(d),
        (None, None) => "unknown".into(),
    }
}

/// `sha256:0123456789ab`.
pub fn short_digest(d: &str) -> String {
    match d.split_once(':') {
        Some((algo, hex)) => format!("{algo}:{}", &hex[..hex.len().min(12)]),
        None => d[..d.len().min(12)].to_string(),
    }
}

/// The candidate's base versus a running source's: `same` and `changed` only when the same
/// kind of identity is known on both sides (two label digests, or two history image ids);
/// else `unknown`, saying what is known.
pub fn compare_bases(candidate: &BaseInfo, running: &BaseInfo) -> (String, String) {
    let unknown = |detail: String| ("unknown".to_string(), detail);
    if candidate.how == "unknown" || running.how == "unknown" {
        let which = if candidate.how == "unknown" {
            candidate
        } else {
            running
        };
        return unknown(format!(
            "base image of {} unknown: {}",
            which.source,
            which.why_unknown.as_deref().unwrap_or("not told")
        ));
    }
    match (&candidate.digest, &running.digest) {
        (Some(c), Some(r)) if candidate.how == running.how => {
            if c == r {
                (
                    "same".into(),
                    format!("same base image {}", base_words(candidate)),
                )
            } else {
                (
                    "changed".into(),
                    format!(
                        "base image {} → {}",
                        base_words(running),
                        base_words(candidate)
                    ),
                )
            }
        }
        _ => unknown(format!(
            "{} → {}: the identities known ({} and {}) cannot be compared",
            base_words(running),
            base_words(candidate),
            running.how,
            candidate.how
        )),
    }
}

/// One source read, with what the audit needs from it.
struct Read {
    summary: SourceSummary,
    inventory: Inventory,
    hotfix: Option<HotfixSection>,
    base: BaseInfo,
}

fn summary(spec: &str, inv: &Inventory) -> SourceSummary {
    SourceSummary {
        spec: spec.to_string(),
        kind: match inv.source.kind {
            SourceKind::Container => "container",
            SourceKind::Image => "image",
            _ => "freeze",
        }
        .to_string(),
        name: inv.source.name.clone(),
        image_id: inv.source.image_id.clone().or_else(|| {
            (inv.source.kind == SourceKind::Image)
                .then(|| inv.source.id.clone())
                .flatten()
        }),
        image_ref: inv.source.image_ref.clone(),
    }
}

struct Gatherer<'a> {
    engine: Option<&'a Engine>,
    request: &'a Request,
    state: Option<StateDir>,
    candidate_spec: String,
}

impl Gatherer<'_> {
    fn engine(&self) -> Result<&Engine, AuditError> {
        self.engine.ok_or_else(|| {
            AuditError::Engine(EngineError::Api {
                context: "audit".into(),
                message: "no engine connection".into(),
            })
        })
    }

    async fn base_of(&self, spec: &str, image_id: Option<&str>) -> BaseInfo {
        match (image_id, self.engine) {
            (Some(id), Some(engine)) => match engine.image_lineage(id).await {
                Ok(lineage) => base_info(spec, &lineage),
                Err(e) => base_unknown(spec, &format!("its image could not be inspected: {e}")),
            },
            _ => base_unknown(spec, "a pip freeze file has no image"),
        }
    }

    async fn read(&self, spec: &str, running: bool) -> Result<Read, AuditError> {
        let source = parse_source(spec)?;
        match &source {
            Source::Container(name) if running => self.read_running_container(spec, name).await,
            Source::Container(name) => {
                let inv = self.engine()?.container_inventory(name, spec).await?;
                let base = self.base_of(spec, inv.source.image_id.as_deref()).await;
                Ok(Read {
                    summary: summary(spec, &inv),
                    inventory: inv,
                    hotfix: None,
                    base,
                })
            }
            Source::Image(r) => {
                let inv = self.engine()?.image_inventory(r, spec).await?;
                let id = inv.source.id.clone().unwrap_or_else(|| r.clone());
                let base = self.base_of(spec, Some(&id)).await;
                Ok(Read {
                    summary: summary(spec, &inv),
                    inventory: inv,
                    hotfix: None,
                    base,
                })
            }
            _ => {
                let inv = session::read_source(
                    spec,
                    Via::File,
                    self.request.no_cache,
                    self.request.settings.max_file_size,
                    self.request.timeout,
                    std::future::pending(),
                )
                .await?;
                Ok(Read {
                    summary: summary(spec, &inv),
                    inventory: inv,
                    hotfix: None,
                    base: base_unknown(spec, "a pip freeze file has no image"),
                })
            }
        }
    }

    /// A running container, its image, and what it changed in place.
    async fn read_running_container(&self, spec: &str, name: &str) -> Result<Read, AuditError> {
        let engine = self.engine()?;
        let (inv, raw) = engine.container_inventory_changes(name, spec, true).await?;
        let facts = engine
            .container_facts(inv.source.id.as_deref().unwrap_or(name))
            .await?;
        let image_spec = format!(
            "image:{}",
            facts.image_ref.clone().unwrap_or(facts.image_id.clone())
        );
        let mut image = engine
            .image_inventory(&facts.image_id, &image_spec)
            .await
            .map_err(|source| SessionError::BaseImage {
                container: name.to_string(),
                source,
            })?;
        image.source.image_ref = facts.image_ref.clone();
        let ignore = BTreeSet::new();
        let in_place = compare_with(&image, &inv, &Options::new(None, &ignore))?;
        let mut packages = Vec::new();
        for env in &in_place.envs {
            for c in &env.changes {
                if c.change != ChangeKind::Unchanged {
                    packages.push(package_change(c, &env.env));
                }
            }
        }
        let os_packages: Vec<PackageChange> = in_place
            .os
            .iter()
            .flatten()
            .filter(|c| c.change != ChangeKind::Unchanged)
            .map(|c| package_change(c, "os"))
            .collect();
        let site_dirs: Vec<String> = inv
            .envs
            .iter()
            .chain(image.envs.iter())
            .flat_map(|e| e.dirs.iter().cloned())
            .collect();
        let raw = raw.unwrap_or_default();
        let (files, noise) = changed_files(&raw, &facts.mounts, &site_dirs);
        let journals = match &self.state {
            Some(state) => crate::hotfix::lock::active(state, &facts.id)?
                .into_iter()
                .collect(),
            None => Vec::new(),
        };
        let hotfix = HotfixSection {
            source: spec.to_string(),
            container: facts.name.clone(),
            image: facts.image_ref.clone().unwrap_or(facts.image_id.clone()),
            files: files
                .into_iter()
                .map(|f| ChangedFile {
                    path: f.path,
                    kind: f.kind,
                    count: f.count,
                    site: f.site,
                })
                .collect(),
            noise,
            packages,
            os_packages,
            journals,
            state_dir: self.state.as_ref().map(|s| s.root().display().to_string()),
            fails: false,
        };
        let base = self.base_of(spec, Some(&facts.image_id)).await;
        let mut warnings_inv = inv;
        // Packages of the image that could not be read make the in-place comparison
        // incomplete too.
        warnings_inv
            .warnings
            .extend(image.warnings.into_iter().filter(|w| w.package_unread()));
        Ok(Read {
            summary: summary(spec, &warnings_inv),
            inventory: warnings_inv,
            hotfix: Some(hotfix),
            base,
        })
    }
}

fn drift_section(
    running: &str,
    candidate: &str,
    before: &Inventory,
    after: &Inventory,
) -> Result<DriftSection, AuditError> {
    let ignore = BTreeSet::new();
    let outcome = compare_with(before, after, &Options::new(None, &ignore))?;
    let python: Vec<(String, &Change)> = outcome
        .envs
        .iter()
        .flat_map(|e| e.changes.iter().map(move |c| (e.env.clone(), c)))
        .collect();
    let os = outcome.os.as_ref().map(|changes| {
        let list: Vec<(String, &Change)> = changes.iter().map(|c| ("os".to_string(), c)).collect();
        group(&list)
    });
    Ok(DriftSection {
        running: running.to_string(),
        candidate: candidate.to_string(),
        python: group(&python),
        os,
        os_not_compared: outcome.os_not_compared.clone(),
        notes: outcome.notes.clone(),
    })
}

/// Gather every fact of the audit. `interrupted` resolves (to the signal's name) when the
/// run must stop; the temporary containers are removed whatever happens.
pub async fn gather(
    request: &Request,
    interrupted: impl Future<Output = &'static str>,
) -> Result<Facts, AuditError> {
    check_request(request)?;
    let pins = pins(request)?;
    let needs_engine = request
        .running
        .iter()
        .chain(std::iter::once(&request.candidate))
        .any(|s| {
            matches!(
                s.parse::<Source>(),
                Ok(Source::Container(_) | Source::Image(_))
            )
        });
    let engine = if needs_engine {
        let mut engine = Engine::connect(request.timeout).await?;
        if !request.no_cache {
            engine.set_cache_dir(crate::inventory::cache::default_dir());
        }
        Some(engine)
    } else {
        None
    };
    let gatherer = Gatherer {
        engine: engine.as_ref(),
        request,
        state: StateDir::existing(request.state_dir.as_deref())?,
        candidate_spec: request.candidate.clone(),
    };
    let work = async {
        let candidate = gatherer.read(&gatherer.candidate_spec, false).await?;
        let mut running = Vec::new();
        for spec in &request.running {
            running.push(gatherer.read(spec, true).await?);
        }
        Ok::<_, AuditError>((candidate, running))
    };
    let result = tokio::select! {
        r = work => r,
        sig = interrupted => Err(AuditError::Interrupted(sig)),
    };
    if let Some(e) = &engine {
        e.cleanup().await;
    }
    let (candidate, running) = result?;
    assemble(pins, candidate, running)
}

fn assemble(pins: PinsSection, candidate: Read, running: Vec<Read>) -> Result<Facts, AuditError> {
    let mut drift = Vec::new();
    for r in &running {
        drift.push(drift_section(
            &r.summary.spec,
            &candidate.summary.spec,
            &r.inventory,
            &candidate.inventory,
        )?);
    }
    let replicas = (running.len() > 1).then(|| {
        let invs: Vec<(String, &Inventory)> = running
            .iter()
            .map(|r| (r.summary.label().to_string(), &r.inventory))
            .collect();
        ReplicasSection {
            compared: invs.iter().map(|(l, _)| l.clone()).collect(),
            differences: replica_differences(&invs),
            fails: false,
        }
    });
    let base_image = BaseSection {
        running: running
            .iter()
            .map(|r| {
                let (status, detail) = compare_bases(&candidate.base, &r.base);
                BaseComparison {
                    base: r.base.clone(),
                    status,
                    detail,
                    fails: false,
                }
            })
            .collect(),
        candidate: candidate.base.clone(),
    };
    let mut warnings = Vec::new();
    let mut unread = Vec::new();
    for r in std::iter::once(&candidate).chain(running.iter()) {
        for w in &r.inventory.warnings {
            let line = format!("{}: {}: {}", r.summary.spec, w.path, w.message);
            if w.package_unread() {
                unread.push(line.clone());
            }
            warnings.push(line);
        }
    }
    Ok(Facts {
        candidate: candidate.summary.clone(),
        running: running.iter().map(|r| r.summary.clone()).collect(),
        pins,
        drift,
        replicas,
        base_image,
        hotfixes: running.iter().filter_map(|r| r.hotfix.clone()).collect(),
        warnings,
        unread,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::FileChangeKind;

    #[test]
    fn noise_is_left_out_and_counted() {
        let raw: Vec<RawChange> = [
            "/tmp/x",
            "/run/gunicorn.pid",
            "/root/.cache/pip/http/a",
            "/app/__pycache__/app.cpython-311.pyc",
            "/app/app.py",
            "/data/db.sqlite",
            "/etc/app.conf",
        ]
        .iter()
        .map(|p| RawChange {
            path: p.to_string(),
            kind: FileChangeKind::Changed,
        })
        .collect();
        let (files, noise) = changed_files(&raw, &["/data".to_string()], &[]);
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["/app/app.py", "/etc/app.conf"]);
        assert_eq!(noise, 5);
        assert!(is_noise("/tmp", &[]) && !is_noise("/tmpfile", &[]));
    }

    #[test]
    fn classes_of_changes() {
        let c = |change, bump| Change {
            name: "x".into(),
            before: Some("1".into()),
            after: Some("2".into()),
            change,
            bump,
            detail: None,
        };
        assert_eq!(
            class_of(&c(ChangeKind::Upgrade, Some(Bump::Patch))),
            Some(ChangeClass::Patch)
        );
        assert_eq!(
            class_of(&c(ChangeKind::Downgrade, Some(Bump::Major))),
            Some(ChangeClass::Major)
        );
        assert_eq!(
            class_of(&c(ChangeKind::Upgrade, Some(Bump::Post))),
            Some(ChangeClass::Other)
        );
        assert_eq!(
            class_of(&c(ChangeKind::Changed, Some(Bump::Other))),
            Some(ChangeClass::Other)
        );
        assert_eq!(
            class_of(&c(ChangeKind::Added, None)),
            Some(ChangeClass::Added)
        );
        assert_eq!(class_of(&c(ChangeKind::Unchanged, None)), None);
    }

    #[test]
    fn bases_are_compared_only_when_comparable() {
        let b = |how: &str, digest: Option<&str>| BaseInfo {
            source: "s".into(),
            image_id: None,
            name: Some("base:1".into()),
            digest: digest.map(String::from),
            how: how.into(),
            layers: None,
            why_unknown: None,
        };
        assert_eq!(
            compare_bases(
                &b("history", Some("sha256:a")),
                &b("history", Some("sha256:a"))
            )
            .0,
            "same"
        );
        assert_eq!(
            compare_bases(&b("label", Some("sha256:a")), &b("label", Some("sha256:b"))).0,
            "changed"
        );
        assert_eq!(
            compare_bases(
                &b("label", Some("sha256:a")),
                &b("history", Some("sha256:a"))
            )
            .0,
            "unknown"
        );
        assert_eq!(
            compare_bases(
                &base_unknown("f", "no image"),
                &b("label", Some("sha256:a"))
            )
            .0,
            "unknown"
        );
    }

    #[test]
    fn base_from_history_needs_a_layer_prefix() {
        let lineage = ImageLineage {
            id: "sha256:c".into(),
            layers: vec!["l1".into(), "l2".into(), "l3".into()],
            tagged_ancestors: vec![
                crate::docker::lineage::Ancestor {
                    id: "sha256:x".into(),
                    tags: vec!["other:1".into()],
                    layers: vec!["zz".into()],
                },
                crate::docker::lineage::Ancestor {
                    id: "sha256:b".into(),
                    tags: vec!["base:1".into()],
                    layers: vec!["l1".into()],
                },
            ],
            ..ImageLineage::default()
        };
        let info = base_info("image:c", &lineage);
        assert_eq!(
            (info.name.as_deref(), info.how.as_str()),
            (Some("base:1"), "history")
        );
        let none = base_info("image:c", &ImageLineage::default());
        assert_eq!(none.how, "unknown");
    }
}
