//! A drift session: what `pindrift drift` does between parsing its arguments and printing.
//! It checks the request, reads the sources (files, containers, images through one
//! [`Engine`]), compares them, decides whether the gate fails, and removes the temporary
//! containers it made, also when interrupted. The CLI parses arguments, owns the runtime and
//! the signals, renders and prints; hotfix reuses the session to read what it patches.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::io::Read;
use std::path::Path;
use std::str::FromStr;

use super::report::{render, render_replicas, DriftReport, Format};
use super::{
    compare_with, file_of_ignored_package, fingerprint, normalize_name, odd_ones_out, DriftOutcome,
    FailOn, FileChange, Options, PairError, ReplicaResult,
};
use crate::docker::{
    exec_inventory, summarize_changes, ContainerFacts, Engine, EngineError, ImageHandle, RawChange,
};
use crate::inventory::freeze::parse_freeze;
use crate::inventory::lock::{read_lock, LockFileError};
use crate::inventory::requirements::{read_requirements, ReqFileError};
use crate::inventory::{Inventory, SourceInfo, SourceKind, Via};

/// Folders whose changed files are reported when a container is compared with its image,
/// besides its working folder.
pub const WATCHED_FOLDERS: &[&str] = &["/app", "/usr/src/app", "/srv", "/opt", "/home", "/code"];

/// One source as given on the command line (`container:NAME`, `image:REF`, `freeze:FILE`,
/// `req:FILE`, `lock:FILE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Container(String),
    Image(String),
    Freeze(String),
    Req(String),
    /// A lock file: `uv.lock`, `poetry.lock`, `Pipfile.lock`, `pylock.toml`.
    Lock(String),
    /// A Swarm service: every running task, on the manager's engine (see [`super::fleet`]).
    Service(String),
}

impl FromStr for Source {
    type Err = SessionError;
    fn from_str(s: &str) -> Result<Source, SessionError> {
        let (kind, rest) = s.split_once(':').unwrap_or(("", s));
        if rest.is_empty() {
            return Err(SessionError::EmptySource(s.to_string()));
        }
        Ok(match kind {
            "container" => Source::Container(rest.to_string()),
            "image" => Source::Image(rest.to_string()),
            "freeze" => Source::Freeze(rest.to_string()),
            "req" => Source::Req(rest.to_string()),
            "lock" => Source::Lock(rest.to_string()),
            "service" => Source::Service(rest.to_string()),
            _ => return Err(SessionError::NoKind(s.to_string())),
        })
    }
}

/// What a drift run is asked to do: the command line, resolved.
#[derive(Debug, Clone)]
pub struct Request {
    /// Sources as given (`container:web`), 0 to 2.
    pub sources: Vec<String>,
    /// `--replicas LABEL=VALUE|image:REF`.
    pub replicas: Option<String>,
    pub fail_on: FailOn,
    /// Package names to leave out, as given.
    pub ignore: Vec<String>,
    pub strict_extra: bool,
    /// Show unchanged packages too.
    pub all: bool,
    /// How containers are read: [`Via::Archive`] or [`Via::Exec`].
    pub via: Via,
    pub python_env: Option<String>,
    pub no_os: bool,
    pub no_cache: bool,
    /// The most bytes read from a `freeze:` or `req:` file (or stdin): past it, an error.
    pub max_file_size: u64,
    /// How long to wait for each answer of the engine (`--timeout`).
    pub timeout: std::time::Duration,
    /// `--host` and `--hosts-file`: the engines of a fleet (none: `DOCKER_HOST` or the
    /// default socket).
    pub hosts: Vec<crate::docker::hosts::HostSpec>,
    /// `--require-all`: an engine or a task that cannot be read is an error (exit 2), not
    /// a warning.
    pub require_all: bool,
}

/// Why a drift run stopped. Messages are what the CLI prints after `pindrift: error: `.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(
        "source `{0}` names nothing; expected container:NAME, image:REF, freeze:FILE, req:FILE or lock:FILE"
    )]
    EmptySource(String),
    #[error("source `{0}` has no kind; write container:NAME, image:REF, freeze:FILE, req:FILE or lock:FILE")]
    NoKind(String),
    #[error(
        "give one or two sources (e.g. `container:web image:app:1.2`), or --replicas LABEL=VALUE"
    )]
    NoSources,
    #[error("one source is only enough for `container:NAME` (compared with its image); give two sources")]
    OneSourceNotContainer,
    #[error(
        "--strict-extra applies to a `req:` or `lock:` source compared with an environment; there is none"
    )]
    StrictExtraUnused,
    #[error("--via exec reads running containers; none of the sources is a `container:` (images are always read through the archive API)")]
    ViaExecUnused,
    #[error("no running container matches --replicas {0}")]
    NoReplicas(String),
    #[error("reading pip freeze output from stdin")]
    Stdin(#[source] std::io::Error),
    #[error("pip freeze output on stdin is larger than the {} limit (--max-file-size): not read on", crate::read::human_size(*limit))]
    StdinTooLarge { limit: u64 },
    /// A FIFO, a device, a folder or a file past the cap: never opened or never read on.
    #[error("{path}: {reason}")]
    FreezeFile {
        path: String,
        reason: crate::read::ReadError,
    },
    #[error("reading {path}")]
    ReadFreeze {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Requirements(#[from] ReqFileError),
    #[error(transparent)]
    Lock(#[from] LockFileError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("reading the image container {container} was created from")]
    BaseImage {
        container: String,
        #[source]
        source: EngineError,
    },
    #[error(transparent)]
    Pair(#[from] PairError),
    #[error("interrupted by {0}; temporary containers removed")]
    Interrupted(&'static str),
    #[error("`service:NAME` is compared alone (its tasks with the spec image and each other): `pindrift drift service:NAME`")]
    ServiceNotAlone,
    #[error("`{spec}`: no engine `{host}` among --host/--hosts-file (give it with --host {host} or --host NAME=URL)")]
    UnknownHost { spec: String, host: String },
    #[error("{0}")]
    Fleet(String),
    #[error("--require-all: {0}")]
    NotAllRead(String),
}

/// What a finished run found.
pub enum Finished {
    /// Two sources, or a container against its image.
    Compare(Box<Comparison>),
    /// `--replicas`.
    Replicas(ReplicasRun),
}

impl Finished {
    /// Does the run fail the gate (exit 1)?
    pub fn failed(&self) -> bool {
        match self {
            Finished::Compare(c) => c.report().tripped(),
            Finished::Replicas(r) => r.failed,
        }
    }

    pub fn render(&self, format: Format) -> String {
        match self {
            Finished::Compare(c) => render(&c.report(), format),
            Finished::Replicas(r) => render_replicas(
                &r.selector,
                &r.results,
                &r.inventories,
                format,
                r.fail_on,
                r.all,
                r.failed,
                r.fleet.as_ref(),
            ),
        }
    }
}

/// Two inventories and their comparison.
pub struct Comparison {
    pub before: Inventory,
    pub after: Inventory,
    pub outcome: DriftOutcome,
    /// A container compared with the image it was created from.
    pub in_place: bool,
    pub show_all: bool,
    pub fail_on: FailOn,
}

impl Comparison {
    pub fn report(&self) -> DriftReport<'_> {
        DriftReport {
            before: &self.before,
            after: &self.after,
            outcome: &self.outcome,
            show_all: self.show_all,
            fail_on: self.fail_on,
            in_place: self.in_place,
        }
    }
}

/// Every replica against its image.
pub struct ReplicasRun {
    pub selector: String,
    pub results: Vec<ReplicaResult>,
    pub inventories: Vec<Inventory>,
    pub fail_on: FailOn,
    pub all: bool,
    pub failed: bool,
    /// Several engines or a Swarm service: engines, unread members, why the odd ones are odd.
    pub fleet: Option<super::fleet::FleetNotes>,
}

/// Check the request, connect to the engine when a source needs it, run, and remove the
/// temporary containers whatever happens. `interrupted` resolves (to the signal's name) when
/// the run must stop.
pub async fn run(
    request: &Request,
    interrupted: impl Future<Output = &'static str>,
) -> Result<Finished, SessionError> {
    let sources: Vec<Source> = request
        .sources
        .iter()
        .map(|s| s.parse())
        .collect::<Result<_, _>>()?;
    check(request, &sources)?;
    if super::fleet::applies(request, &sources) {
        return super::fleet::run(request, &sources, interrupted).await;
    }
    let engine = if request.replicas.is_some() || needs_engine(&sources) {
        Some(connect(request).await?)
    } else {
        None
    };
    let session = Session {
        engine: engine.as_ref(),
        request,
        ignore: ignore_set(&request.ignore),
    };
    let work = async {
        match (&request.replicas, &engine) {
            (Some(sel), Some(engine)) => {
                session.replicas(engine, sel).await.map(Finished::Replicas)
            }
            _ => session
                .compare(&sources)
                .await
                .map(|c| Finished::Compare(Box::new(c))),
        }
    };
    let result = tokio::select! {
        r = work => r,
        sig = interrupted => Err(SessionError::Interrupted(sig)),
    };
    if let Some(e) = &engine {
        e.cleanup().await;
    }
    result
}

/// Reads one source for another job (`pin`): connects to the engine when the source needs
/// it, reads through the same readers as drift, and removes the temporary containers it made
/// whatever happens. `interrupted` resolves (to the signal's name) when the run must stop.
pub async fn read_source(
    spec: &str,
    via: Via,
    no_cache: bool,
    max_file_size: u64,
    timeout: std::time::Duration,
    interrupted: impl Future<Output = &'static str>,
) -> Result<Inventory, SessionError> {
    let source: Source = spec.parse()?;
    let request = Request {
        sources: vec![spec.to_string()],
        replicas: None,
        fail_on: FailOn::Any,
        ignore: Vec::new(),
        strict_extra: false,
        all: false,
        via,
        python_env: None,
        no_os: false,
        no_cache,
        max_file_size,
        timeout,
        hosts: Vec::new(),
        require_all: false,
    };
    if via == Via::Exec && !matches!(source, Source::Container(_)) {
        return Err(SessionError::ViaExecUnused);
    }
    let engine = if needs_engine(std::slice::from_ref(&source)) {
        Some(connect(&request).await?)
    } else {
        None
    };
    let session = Session {
        engine: engine.as_ref(),
        request: &request,
        ignore: BTreeSet::new(),
    };
    let result = tokio::select! {
        r = session.read_source(spec, &source) => r,
        sig = interrupted => Err(SessionError::Interrupted(sig)),
    };
    if let Some(e) = &engine {
        e.cleanup().await;
    }
    result
}

/// The engine, with the image cache unless the request says `--no-cache`.
async fn connect(request: &Request) -> Result<Engine, SessionError> {
    let mut engine = Engine::connect(request.timeout).await?;
    if !request.no_cache {
        engine.set_cache_dir(crate::inventory::cache::default_dir());
    }
    Ok(engine)
}

/// Options that would have no effect are usage errors, not silently dropped.
fn check(request: &Request, sources: &[Source]) -> Result<(), SessionError> {
    if request.replicas.is_none() && sources.is_empty() {
        return Err(SessionError::NoSources);
    }
    if sources.iter().any(|s| matches!(s, Source::Service(_)))
        && (sources.len() != 1 || request.replicas.is_some())
    {
        return Err(SessionError::ServiceNotAlone);
    }
    if sources.len() == 1 && !matches!(sources[0], Source::Container(_) | Source::Service(_)) {
        return Err(SessionError::OneSourceNotContainer);
    }
    if request.strict_extra
        && (request.replicas.is_some()
            || !sources
                .iter()
                .any(|s| matches!(s, Source::Req(_) | Source::Lock(_))))
    {
        return Err(SessionError::StrictExtraUnused);
    }
    if request.via == Via::Exec
        && request.replicas.is_none()
        && !sources.iter().any(|s| matches!(s, Source::Container(_)))
    {
        return Err(SessionError::ViaExecUnused);
    }
    Ok(())
}

fn needs_engine(sources: &[Source]) -> bool {
    sources.iter().any(|s| {
        matches!(
            s,
            Source::Container(_) | Source::Image(_) | Source::Service(_)
        )
    })
}

/// `--ignore` names, as given and PEP 503-normalized.
pub(super) fn ignore_set(names: &[String]) -> BTreeSet<String> {
    names
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .flat_map(|n| [normalize_name(n), n.to_string()])
        .collect()
}

/// The folders watched for changed files in a container: [`WATCHED_FOLDERS`] and its working
/// folder. `with_home: false` leaves `/home` out, as `--replicas` always has (the one-source
/// comparison watches it); kept as it was when this moved out of the CLI.
pub fn watched_folders(facts: &ContainerFacts, with_home: bool) -> Vec<String> {
    let mut focus: Vec<String> = WATCHED_FOLDERS
        .iter()
        .filter(|f| with_home || **f != "/home")
        .map(|s| s.to_string())
        .collect();
    if let Some(wd) = facts.working_dir.clone().filter(|w| w != "/") {
        focus.push(wd);
    }
    focus
}

/// A `freeze:` file (`-`: stdin), never more than `limit` bytes of it. Only a regular file
/// is opened: a FIFO would block and `/dev/zero` never ends.
async fn read_freeze(spec: &str, file: &str, limit: u64) -> Result<Inventory, SessionError> {
    let (text, display) = if file == "-" {
        // On a blocking thread, so that Ctrl-C is still seen while stdin stays open.
        let t = tokio::task::spawn_blocking(move || {
            let mut t = String::new();
            std::io::stdin()
                .take(limit.saturating_add(1))
                .read_to_string(&mut t)
                .map(|_| t)
        })
        .await
        .map_err(|e| SessionError::Stdin(std::io::Error::other(e)))?
        .map_err(SessionError::Stdin)?;
        if t.len() as u64 > limit {
            return Err(SessionError::StdinTooLarge { limit });
        }
        (t, "<stdin>".to_string())
    } else {
        let path = Path::new(file).to_path_buf();
        let display = crate::paths::display_path(&path);
        let bytes = tokio::task::spawn_blocking(move || crate::read::read_regular(&path, limit))
            .await
            .map_err(|e| SessionError::ReadFreeze {
                path: display.clone(),
                source: std::io::Error::other(e),
            })?
            .map_err(|reason| SessionError::FreezeFile {
                path: display.clone(),
                reason,
            })?;
        let t = String::from_utf8(bytes).map_err(|e| SessionError::ReadFreeze {
            path: display.clone(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        })?;
        (t, display)
    };
    let (env, warnings) = parse_freeze(&text, &display, "freeze");
    Ok(Inventory {
        source: SourceInfo::file(spec, SourceKind::Freeze),
        envs: vec![env],
        os: None,
        warnings,
        requirements: Vec::new(),
    })
}

async fn read_req(spec: &str, file: &str, limit: u64) -> Result<Inventory, SessionError> {
    let path = Path::new(file).to_path_buf();
    let requirements = tokio::task::spawn_blocking(move || read_requirements(&path, limit))
        .await
        .map_err(|e| ReqFileError::Unreadable(e.to_string()))??;
    Ok(Inventory {
        source: SourceInfo::file(spec, SourceKind::Requirements),
        envs: Vec::new(),
        os: None,
        warnings: Vec::new(),
        requirements,
    })
}

/// A `lock:` file: its entries, as a specification.
async fn read_lock_source(spec: &str, file: &str, limit: u64) -> Result<Inventory, SessionError> {
    let path = Path::new(file).to_path_buf();
    let display = crate::paths::display_path(&path);
    let (requirements, warnings) = tokio::task::spawn_blocking(move || read_lock(&path, limit))
        .await
        .map_err(|e| LockFileError::Invalid {
            path: display,
            message: e.to_string(),
        })??;
    Ok(Inventory {
        source: SourceInfo::file(spec, SourceKind::Lock),
        envs: Vec::new(),
        os: None,
        warnings,
        requirements,
    })
}

/// A source after its first step: file sources are read, images are opened (their
/// temporary container exists, unless the cache has them).
enum Opened {
    Done(Box<Inventory>),
    Image(Box<ImageHandle>),
    Container,
}

pub(super) struct Session<'a> {
    pub(super) engine: Option<&'a Engine>,
    pub(super) request: &'a Request,
    pub(super) ignore: BTreeSet<String>,
}

impl Session<'_> {
    fn engine(&self) -> &Engine {
        self.engine
            .expect("checked: a container or image source connects to the engine")
    }

    pub(super) fn options(&self) -> Options<'_> {
        Options {
            python_env: self.request.python_env.as_deref(),
            ignore: &self.ignore,
            no_os: self.request.no_os,
            strict_extra: self.request.strict_extra,
        }
    }

    /// Open image sources first (creating their temporary containers), then read files and
    /// stdin, so that an interrupted read of stdin also exercises the clean-up of containers.
    async fn open_source(&self, spec: &str, source: &Source) -> Result<Opened, SessionError> {
        Ok(match source {
            Source::Image(r) => Opened::Image(Box::new(self.engine().open_image(r).await?)),
            Source::Container(_) => Opened::Container,
            Source::Service(_) => return Err(SessionError::ServiceNotAlone),
            Source::Freeze(f) => Opened::Done(Box::new(
                read_freeze(spec, f, self.request.max_file_size).await?,
            )),
            Source::Req(f) => Opened::Done(Box::new(
                read_req(spec, f, self.request.max_file_size).await?,
            )),
            Source::Lock(f) => Opened::Done(Box::new(
                read_lock_source(spec, f, self.request.max_file_size).await?,
            )),
        })
    }

    async fn finish_source(
        &self,
        spec: &str,
        source: &Source,
        opened: Opened,
    ) -> Result<Inventory, SessionError> {
        match opened {
            Opened::Done(inv) => Ok(*inv),
            Opened::Image(h) => Ok(self.engine().read_image(*h, spec).await?),
            Opened::Container => self.read_source(spec, source).await,
        }
    }

    pub(super) async fn read_source(
        &self,
        spec: &str,
        source: &Source,
    ) -> Result<Inventory, SessionError> {
        match source {
            Source::Freeze(f) => read_freeze(spec, f, self.request.max_file_size).await,
            Source::Req(f) => read_req(spec, f, self.request.max_file_size).await,
            Source::Lock(f) => read_lock_source(spec, f, self.request.max_file_size).await,
            Source::Container(name) => Ok(self.read_container(name, spec).await?),
            // Images are never started: they are always read through the archive API.
            Source::Image(r) => Ok(self.engine().image_inventory(r, spec).await?),
            Source::Service(_) => Err(SessionError::ServiceNotAlone),
        }
    }

    pub(super) async fn read_container(
        &self,
        name: &str,
        spec: &str,
    ) -> Result<Inventory, EngineError> {
        match self.request.via {
            Via::Exec => exec_inventory(self.engine(), name, spec).await,
            Via::Archive | Via::File => self.engine().container_inventory(name, spec).await,
        }
    }

    /// The files changed in place in a container, without those of `--ignore`d packages.
    pub(super) fn files_changed(
        &self,
        raw: &[RawChange],
        focus: &[String],
        site_dirs: &[String],
    ) -> Vec<FileChange> {
        let mut files = summarize_changes(raw, focus, site_dirs);
        files.retain(|f| !file_of_ignored_package(f, &self.ignore));
        files
    }

    pub(super) async fn compare(&self, sources: &[Source]) -> Result<Comparison, SessionError> {
        let specs = &self.request.sources;
        let (before, after, raw_changes) = if sources.len() == 1 {
            let Source::Container(name) = &sources[0] else {
                return Err(SessionError::OneSourceNotContainer);
            };
            let engine = self.engine();
            let (after, raw) = match self.request.via {
                Via::Exec => (self.read_container(name, &specs[0]).await?, None),
                Via::Archive | Via::File => {
                    engine
                        .container_inventory_changes(name, &specs[0], true)
                        .await?
                }
            };
            let image_id = after.source.image_id.clone().unwrap_or_default();
            let image_spec = format!(
                "image:{}",
                after.source.image_ref.clone().unwrap_or(image_id.clone())
            );
            let mut before = engine
                .image_inventory(&image_id, &image_spec)
                .await
                .map_err(|source| SessionError::BaseImage {
                    container: name.clone(),
                    source,
                })?;
            before.source.image_ref = after.source.image_ref.clone();
            (before, after, Some(raw))
        } else {
            // Images are opened (temporary containers created) before stdin is read.
            let mut order: Vec<usize> = vec![0, 1];
            order.sort_by_key(|&i| !matches!(sources[i], Source::Image(_)));
            let mut opened: [Option<Opened>; 2] = [None, None];
            for i in order {
                opened[i] = Some(self.open_source(&specs[i], &sources[i]).await?);
            }
            let [Some(oa), Some(ob)] = opened else {
                unreachable!("both sources were opened")
            };
            let (a, b) = tokio::try_join!(
                self.finish_source(&specs[0], &sources[0], oa),
                self.finish_source(&specs[1], &sources[1], ob),
            )?;
            (a, b, None)
        };
        let mut outcome = compare_with(&before, &after, &self.options())?;
        let in_place = raw_changes.is_some();
        if let Some(raw) = raw_changes {
            let engine = self.engine();
            let id = after.source.id.clone().unwrap_or_default();
            let facts = engine.container_facts(&id).await?;
            let focus = watched_folders(&facts, true);
            let site_dirs: Vec<String> = after
                .envs
                .iter()
                .chain(before.envs.iter())
                .flat_map(|e| e.dirs.iter().cloned())
                .collect();
            let raw = match raw {
                Some(raw) => raw,
                None => engine.raw_changes_of(&facts).await?,
            };
            outcome.files = self.files_changed(&raw, &focus, &site_dirs);
        }
        Ok(Comparison {
            before,
            after,
            outcome,
            in_place,
            show_all: self.request.all,
            fail_on: self.request.fail_on,
        })
    }

    async fn replicas(&self, engine: &Engine, selector: &str) -> Result<ReplicasRun, SessionError> {
        let list = engine.replicas(selector).await?;
        if list.is_empty() {
            return Err(SessionError::NoReplicas(selector.to_string()));
        }
        let opts = self.options();
        let mut images = BTreeMap::new();
        let mut results = Vec::new();
        let mut fingerprints = Vec::new();
        let mut inventories = Vec::new();
        for r in &list {
            let spec = format!("container:{}", r.name);
            let inv = self.read_container(&r.id, &spec).await?;
            if !images.contains_key(&r.image_id) {
                let img = engine
                    .image_inventory(
                        &r.image_id,
                        &format!("image:{}", inv.source.image_ref.clone().unwrap_or_default()),
                    )
                    .await?;
                images.insert(r.image_id.clone(), img);
            }
            let image = &images[&r.image_id];
            let mut outcome = compare_with(image, &inv, &opts)?;
            let facts = engine.container_facts(&r.id).await?;
            let focus = watched_folders(&facts, false);
            let site_dirs: Vec<String> = inv
                .envs
                .iter()
                .flat_map(|e| e.dirs.iter().cloned())
                .collect();
            let raw = engine.raw_changes_of(&facts).await?;
            outcome.files = self.files_changed(&raw, &focus, &site_dirs);
            fingerprints.push((fingerprint(&inv, &opts), r.image_id.clone()));
            results.push(ReplicaResult {
                name: r.name.clone(),
                id: r.id.clone(),
                image_id: r.image_id.clone(),
                outcome,
                odd_one_out: false,
            });
            inventories.push(inv);
        }
        let matches: Vec<bool> = results
            .iter()
            .map(|r| !r.outcome.has_drift() && r.outcome.files.is_empty())
            .collect();
        let fps: Vec<_> = results
            .iter()
            .zip(fingerprints.iter())
            .map(|(r, (fp, img))| (fp.clone(), img.clone(), r.outcome.files.clone()))
            .collect();
        for (r, odd) in results.iter_mut().zip(odd_ones_out(&fps, &matches)) {
            r.odd_one_out = odd;
        }
        let failed = replicas_fail(
            self.request.fail_on,
            inventories.iter().chain(images.values()),
            &results,
        );
        Ok(ReplicasRun {
            selector: selector.to_string(),
            results,
            inventories,
            fail_on: self.request.fail_on,
            all: self.request.all,
            failed,
            fleet: None,
        })
    }
}

/// Does a replicas comparison fail at `fail_on`: a package that could not be read (unless
/// `never`), a replica whose drift trips the threshold, or with `any` an odd one out or a
/// file changed in place? `read` is every inventory compared, replicas and images.
pub(super) fn replicas_fail<'a>(
    fail_on: FailOn,
    mut read: impl Iterator<Item = &'a Inventory>,
    results: &[ReplicaResult],
) -> bool {
    let unread = read.any(|i| i.warnings.iter().any(|w| w.package_unread()));
    (unread && fail_on != FailOn::Never)
        || results.iter().any(|r| r.outcome.trips(fail_on))
        || (fail_on == FailOn::Any
            && results
                .iter()
                .any(|r| r.odd_one_out || !r.outcome.files.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(sources: &[&str]) -> Request {
        Request {
            sources: sources.iter().map(|s| s.to_string()).collect(),
            replicas: None,
            fail_on: FailOn::Any,
            ignore: Vec::new(),
            strict_extra: false,
            all: false,
            via: Via::Archive,
            python_env: None,
            no_os: false,
            no_cache: true,
            max_file_size: crate::read::DEFAULT_MAX_FILE_SIZE,
            timeout: crate::docker::DEFAULT_TIMEOUT,
            hosts: Vec::new(),
            require_all: false,
        }
    }

    /// The usage error `r` gives, in words (`Ok` when there is none).
    fn checked(r: &Request) -> Result<(), SessionError> {
        let sources: Vec<Source> = r
            .sources
            .iter()
            .map(|s| s.parse())
            .collect::<Result<_, _>>()?;
        check(r, &sources)
    }

    fn usage_error(r: &Request) -> String {
        checked(r).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn usage_errors_are_found_before_anything_is_read() {
        assert!(usage_error(&request(&[])).starts_with("give one or two"));
        assert!(usage_error(&request(&["freeze:a"])).starts_with("one source is only enough"));
        assert!(usage_error(&request(&["web"])).contains("has no kind"));
        assert!(usage_error(&request(&["image:"])).contains("names nothing"));
        let mut r = request(&["freeze:a", "freeze:b"]);
        r.via = Via::Exec;
        assert!(usage_error(&r).starts_with("--via exec"));
        r.via = Via::Archive;
        r.strict_extra = true;
        assert!(usage_error(&r).starts_with("--strict-extra"));
        assert!(checked(&request(&["container:web"])).is_ok());
    }

    #[test]
    fn replicas_leave_home_out_of_the_watched_folders() {
        let facts = ContainerFacts {
            id: "c".into(),
            name: "web".into(),
            image_id: String::new(),
            image_ref: None,
            env: Vec::new(),
            working_dir: Some("/work".into()),
            running: true,
            dead: false,
            mounts: Vec::new(),
            driver: None,
            platform: None,
            labels: Default::default(),
            stop_timeout: None,
            ports: Vec::new(),
            created: None,
            layers: None,
        };
        assert_eq!(
            watched_folders(&facts, true),
            [
                "/app",
                "/usr/src/app",
                "/srv",
                "/opt",
                "/home",
                "/code",
                "/work"
            ]
        );
        assert!(!watched_folders(&facts, false).contains(&"/home".to_string()));
    }
}
