//! The only code that talks to the Docker Engine (bollard + tokio).
//!
//! Inventory through the archive API: candidate folders are archived one by one
//! (`GET /containers/{id}/archive`), each tar stream is read in memory by
//! [`crate::inventory::tarscan`] on a blocking thread while it arrives, and only metadata
//! files are kept. Nothing is extracted, nothing is pulled, temporary containers are removed.

mod exec;
mod overlay;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, DownloadFromContainerOptionsBuilder,
    ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
};
use bollard::Docker;
use futures_util::{stream, StreamExt};

use crate::drift::FileChange;
use crate::inventory::cache::{self, Roots};
use crate::inventory::sites::{group, system_site_candidates};
use crate::inventory::tarscan::{scan_tar, Collected};
use crate::inventory::{Inventory, SourceInfo, SourceKind};

pub use exec::exec_inventory;

/// Label put on temporary containers: `pindrift.session=<pid>-<nonce>`.
pub const SESSION_LABEL: &str = "pindrift.session";

/// How many archive requests run at once.
const CONCURRENCY: usize = 8;

/// Errors talking to the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(
        "cannot reach the Docker Engine at {host} ({origin}): {reason}\n  \
         check that the daemon is running (`docker info`), that DOCKER_HOST is right, \
         and that this user may use the socket (e.g. is in the `docker` group)"
    )]
    Unreachable {
        host: String,
        origin: &'static str,
        reason: String,
    },
    #[error("no such container: {0}")]
    NoSuchContainer(String),
    #[error(
        "container {0} was removed while pindrift was reading it; nothing was compared and nothing was cached (run again)"
    )]
    ContainerGone(String),
    #[error("no such image: {0} (pindrift never pulls; build or load it first)")]
    NoSuchImage(String),
    #[error("container {0} is not running; --via exec needs a running container (the default archive reading works on stopped containers)")]
    NotRunning(String),
    #[error("`{command}` in {container} failed (exit {code}): {stderr}")]
    ExecFailed {
        container: String,
        command: String,
        code: i64,
        stderr: String,
    },
    #[error("{context}: {message}")]
    Api { context: String, message: String },
}

impl EngineError {
    fn api(context: impl Into<String>, e: bollard::errors::Error) -> Self {
        EngineError::Api {
            context: context.into(),
            message: e.to_string(),
        }
    }
}

async fn remove_container(docker: &Docker, id: &str) {
    let opts = RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(true)
        .build();
    for _ in 0..600 {
        match docker.remove_container(id, Some(opts.clone())).await {
            Ok(()) => return,
            Err(e) if status_of(&e) == Some(404) => return,
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
}

/// Does this error say the container itself is gone (not a path in it)?
fn is_container_gone(e: &bollard::errors::Error) -> bool {
    match e {
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            message,
        } => {
            let m = message.to_ascii_lowercase();
            m.contains("no such container") || m.contains("marked for removal")
        }
        _ => false,
    }
}

fn short(id: &str) -> String {
    id[..id.len().min(12)].to_string()
}

fn status_of(e: &bollard::errors::Error) -> Option<u16> {
    match e {
        bollard::errors::Error::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

/// What the engine says about a container.
#[derive(Debug, Clone)]
pub struct ContainerFacts {
    pub id: String,
    pub name: String,
    pub image_id: String,
    pub image_ref: Option<String>,
    pub env: Vec<(String, String)>,
    pub working_dir: Option<String>,
    pub running: bool,
    /// Destinations of volumes, bind mounts and tmpfs mounts.
    pub mounts: Vec<String>,
    /// Storage driver (`overlay2`, `fuse-overlayfs`, …).
    pub driver: Option<String>,
    /// The OS the engine runs it on (`linux`).
    pub platform: Option<String>,
}

impl ContainerFacts {
    pub fn env_var(&self, key: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A connection to the engine plus the temporary containers this run created.
pub struct Engine {
    docker: Docker,
    host: String,
    session: String,
    counter: AtomicU32,
    cache_dir: Option<PathBuf>,
    changes: ChangesPolicy,
    /// Container creations in flight: run as tasks of their own, so that an interrupted read
    /// never leaves a container the engine creates after pindrift stopped looking.
    pending: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

/// When a container is read as its image plus the Engine's list of changes instead of whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangesPolicy {
    /// When the image is cached and the storage driver computes changes natively (overlay2
    /// with native diff, aufs); other drivers compare the whole file tree, which costs more
    /// than reading the container (seconds on fuse-overlayfs).
    Auto,
    Always,
    Never,
}

impl ChangesPolicy {
    /// From `PINDRIFT_CHANGES` (`auto`, `always`, `never`); `auto` when unset or unknown.
    pub fn from_env() -> Self {
        match std::env::var("PINDRIFT_CHANGES").as_deref() {
            Ok("always") => ChangesPolicy::Always,
            Ok("never") => ChangesPolicy::Never,
            _ => ChangesPolicy::Auto,
        }
    }
}

/// An image opened for reading: its id, what its config says, the cached roots, and the
/// temporary container when the cache does not have it.
pub struct ImageHandle {
    reference: String,
    facts: ContainerFacts,
    base: Roots,
    temp: Option<String>,
}

/// Where a root's content comes from while reading.
enum Target {
    /// An image: from the cache, else from a temporary container made on first need.
    Image {
        image_id: String,
        temp: Option<String>,
    },
    /// A container, read whole.
    Direct { id: String },
    /// A container read as its image plus the changes the Engine reports.
    Overlay {
        id: String,
        changes: Vec<(String, String)>,
        mounts: Vec<String>,
    },
}

/// Reads roots for one source, remembering what is known to be the image's content.
struct Reader {
    target: Target,
    /// The image's content known before this read (from the cache).
    base: Roots,
    /// The image's content learned by this read (to be added to the cache).
    learned: Roots,
}

/// A running replica found by a selector.
#[derive(Debug, Clone)]
pub struct Replica {
    pub id: String,
    pub name: String,
    pub image_id: String,
}

impl Engine {
    /// Connect through `DOCKER_HOST` or the default socket and negotiate the API version.
    pub async fn connect() -> Result<Engine, EngineError> {
        let (host, origin) = match std::env::var("DOCKER_HOST") {
            Ok(h) if !h.is_empty() => (h, "from DOCKER_HOST"),
            _ => (
                "unix:///var/run/docker.sock".to_string(),
                "the default socket",
            ),
        };
        let unreachable = |reason: String| EngineError::Unreachable {
            host: host.clone(),
            origin,
            reason,
        };
        let docker = if host.starts_with("unix://") {
            Docker::connect_with_unix(&host, 120, bollard::API_DEFAULT_VERSION)
        } else {
            Docker::connect_with_host(&host)
        }
        .map_err(|e| unreachable(e.to_string()))?;
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        Ok(Engine {
            docker,
            session: format!("{}-{nonce:x}", std::process::id()),
            host,
            counter: AtomicU32::new(0),
            cache_dir: None,
            changes: ChangesPolicy::from_env(),
            pending: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Use (or, with `None`, do not use) an inventory cache folder for images.
    pub fn set_cache_dir(&mut self, dir: Option<PathBuf>) {
        self.cache_dir = dir;
    }

    fn load_cache(&self, image_id: &str) -> Option<Roots> {
        cache::load(self.cache_dir.as_deref()?, image_id)
    }

    /// Add what a read learned about an image to its cache entry. Failing to write the cache
    /// does not fail the run.
    fn store_cache(&self, image_id: &str, mut base: Roots, learned: Roots) {
        let Some(dir) = self.cache_dir.as_deref() else {
            return;
        };
        if learned.is_empty() {
            return;
        }
        base.extend(learned);
        let _ = cache::store(dir, image_id, &base);
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub(crate) fn docker(&self) -> &Docker {
        &self.docker
    }

    /// Inspect a container by name or id.
    pub async fn container_facts(&self, name: &str) -> Result<ContainerFacts, EngineError> {
        let c = self
            .docker
            .inspect_container(name, None)
            .await
            .map_err(|e| match status_of(&e) {
                Some(404) => EngineError::NoSuchContainer(name.to_string()),
                _ => EngineError::api(format!("inspecting container {name}"), e),
            })?;
        let config = c.config.unwrap_or_default();
        let env = split_env(config.env.unwrap_or_default());
        Ok(ContainerFacts {
            id: c.id.unwrap_or_else(|| name.to_string()),
            name: c
                .name
                .map(|n| n.trim_start_matches('/').to_string())
                .unwrap_or_else(|| name.to_string()),
            image_id: c.image.unwrap_or_default(),
            image_ref: config.image,
            env,
            working_dir: config.working_dir.filter(|w| !w.is_empty()),
            running: c.state.and_then(|s| s.running).unwrap_or(false),
            mounts: c
                .mounts
                .unwrap_or_default()
                .into_iter()
                .filter_map(|m| m.destination)
                .collect(),
            driver: c.graph_driver.map(|g| g.name),
            platform: c.platform.filter(|p| !p.is_empty()),
        })
    }

    /// Does the storage driver compute a container's changes from its own layer (cheap),
    /// rather than by comparing whole file trees?
    async fn native_changes(&self, driver: Option<&str>) -> bool {
        match driver {
            Some("aufs") => true,
            Some("overlay2") => {
                match self.docker.info().await {
                    Ok(info) => info.driver_status.unwrap_or_default().iter().any(|kv| {
                        kv.len() == 2 && kv[0] == "Native Overlay Diff" && kv[1] == "true"
                    }),
                    Err(_) => false,
                }
            }
            _ => false,
        }
    }

    /// Read a container's inventory through the archive API.
    pub async fn container_inventory(
        &self,
        name: &str,
        spec: &str,
    ) -> Result<Inventory, EngineError> {
        Ok(self.container_inventory_changes(name, spec, false).await?.0)
    }

    /// Read a container's inventory; with `need_changes`, also return the Engine's list of
    /// changes (`(path, kind)`), which then is also used to read the container as its image
    /// plus those changes.
    pub async fn container_inventory_changes(
        &self,
        name: &str,
        spec: &str,
        need_changes: bool,
    ) -> Result<(Inventory, Option<Vec<(String, String)>>), EngineError> {
        let facts = self.container_facts(name).await?;
        let source = SourceInfo {
            spec: spec.to_string(),
            kind: SourceKind::Container,
            id: Some(facts.id.clone()),
            name: Some(facts.name.clone()),
            image_id: Some(facts.image_id.clone()),
            image_ref: facts.image_ref.clone(),
            via: "archive".into(),
            platform: facts.platform.clone(),
        };
        let base = self.load_cache(&facts.image_id);
        let use_changes = self.cache_dir.is_some()
            && match self.changes {
                ChangesPolicy::Never => false,
                ChangesPolicy::Always => true,
                ChangesPolicy::Auto => {
                    base.is_some() && self.native_changes(facts.driver.as_deref()).await
                }
            };
        let changes = if need_changes {
            Some(self.raw_changes(&facts.id).await?)
        } else if use_changes {
            // Without the list the container is read whole.
            self.raw_changes(&facts.id).await.ok()
        } else {
            None
        };
        let target = match (&changes, self.cache_dir.is_some()) {
            (Some(list), true) => Target::Overlay {
                id: facts.id.clone(),
                changes: list.clone(),
                mounts: facts.mounts.clone(),
            },
            _ => Target::Direct {
                id: facts.id.clone(),
            },
        };
        let mut reader = Reader {
            target,
            base: base.unwrap_or_default(),
            learned: Roots::new(),
        };
        let inv = self
            .read_archive_inventory(&facts, source, &mut reader)
            .await?;
        self.store_cache(&facts.image_id, reader.base, reader.learned);
        Ok((inv, changes))
    }

    /// Read an image's inventory: create a container (never started, no network), read it,
    /// remove it, whatever happens.
    pub async fn image_inventory(
        &self,
        reference: &str,
        spec: &str,
    ) -> Result<Inventory, EngineError> {
        let image =
            self.docker
                .inspect_image(reference)
                .await
                .map_err(|e| match status_of(&e) {
                    Some(404) => EngineError::NoSuchImage(reference.to_string()),
                    _ => EngineError::api(format!("inspecting image {reference}"), e),
                })?;
        let handle = self.open_image_inspected(reference, image).await?;
        self.read_image(handle, spec).await
    }

    /// Resolve an image and get ready to read it: its cached inventory, or a temporary
    /// container (created, never started) when there is none. Never pulls.
    pub async fn open_image(&self, reference: &str) -> Result<ImageHandle, EngineError> {
        let image =
            self.docker
                .inspect_image(reference)
                .await
                .map_err(|e| match status_of(&e) {
                    Some(404) => EngineError::NoSuchImage(reference.to_string()),
                    _ => EngineError::api(format!("inspecting image {reference}"), e),
                })?;
        self.open_image_inspected(reference, image).await
    }

    async fn open_image_inspected(
        &self,
        reference: &str,
        image: bollard::models::ImageInspect,
    ) -> Result<ImageHandle, EngineError> {
        let image_id = image.id.unwrap_or_else(|| reference.to_string());
        let config = image.config.unwrap_or_default();
        let facts = ContainerFacts {
            id: image_id.clone(),
            name: String::new(),
            image_id: image_id.clone(),
            image_ref: Some(reference.to_string()),
            env: split_env(config.env.unwrap_or_default()),
            working_dir: config.working_dir.filter(|w| !w.is_empty()),
            running: false,
            mounts: Vec::new(),
            driver: None,
            platform: image.os.filter(|o| !o.is_empty()),
        };
        let base = self.load_cache(&image_id);
        let temp = match base {
            Some(_) => None,
            None => Some(self.create_temp(&image_id).await?),
        };
        Ok(ImageHandle {
            reference: reference.to_string(),
            facts,
            base: base.unwrap_or_default(),
            temp,
        })
    }

    /// Read an opened image and remove its temporary container, whatever happens.
    pub async fn read_image(
        &self,
        handle: ImageHandle,
        spec: &str,
    ) -> Result<Inventory, EngineError> {
        let image_id = handle.facts.image_id.clone();
        let source = SourceInfo {
            spec: spec.to_string(),
            kind: SourceKind::Image,
            id: Some(image_id.clone()),
            name: None,
            image_id: Some(image_id.clone()),
            image_ref: Some(handle.reference.clone()),
            via: "archive".into(),
            platform: handle.facts.platform.clone(),
        };
        let mut reader = Reader {
            target: Target::Image {
                image_id: image_id.clone(),
                temp: handle.temp,
            },
            base: handle.base,
            learned: Roots::new(),
        };
        let result = self
            .read_archive_inventory(&handle.facts, source, &mut reader)
            .await;
        if let Target::Image {
            temp: Some(temp), ..
        } = &reader.target
        {
            self.remove_detached(temp);
        }
        let inv = result?;
        self.store_cache(&image_id, reader.base, reader.learned);
        Ok(inv)
    }

    async fn create_temp(&self, image_id: &str) -> Result<String, EngineError> {
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let name = format!("pindrift-drift-{}-{n}", self.session);
        let mut labels = HashMap::new();
        labels.insert(SESSION_LABEL.to_string(), self.session.clone());
        let body = ContainerCreateBody {
            image: Some(image_id.to_string()),
            // Never started; a command is only needed for images that have none.
            cmd: Some(vec!["/pindrift-never-started".to_string()]),
            network_disabled: Some(true),
            labels: Some(labels),
            ..Default::default()
        };
        let opts = CreateContainerOptionsBuilder::default().name(&name).build();
        // The name and the session label are set before the request is sent, and the request
        // runs as its own task: if this read is interrupted, `cleanup` waits for it and then
        // finds the container by label and name, even if its id was never seen here.
        let docker = self.docker.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let _ = tx.send(docker.create_container(Some(opts), body).await);
        });
        if let Ok(mut p) = self.pending.lock() {
            p.push(task);
        }
        let created = rx
            .await
            .map_err(|e| EngineError::Api {
                context: format!("creating a container from {image_id}"),
                message: e.to_string(),
            })?
            .map_err(|e| EngineError::api(format!("creating a container from {image_id}"), e))?;
        Ok(created.id)
    }

    /// Remove a container and wait until it is gone: a removal already in progress (409, e.g.
    /// one an interrupted read started) or any other refusal is retried, for up to a minute;
    /// only "no such container" (or success) ends it.
    async fn remove(&self, id: &str) {
        remove_container(&self.docker, id).await;
    }

    /// Remove a temporary container in a task of its own, so that an interrupted read cannot
    /// cut the removal short; `cleanup` waits for it.
    fn remove_detached(&self, id: &str) {
        let docker = self.docker.clone();
        let id = id.to_string();
        let task = tokio::spawn(async move { remove_container(&docker, &id).await });
        if let Ok(mut p) = self.pending.lock() {
            p.push(task);
        }
    }

    /// Remove every temporary container this run created (also after SIGINT, SIGTERM or an
    /// error): wait for creations still in flight, then remove by session label and by name.
    pub async fn cleanup(&self) {
        let pending: Vec<_> = match self.pending.lock() {
            Ok(mut p) => std::mem::take(&mut *p),
            Err(_) => Vec::new(),
        };
        for task in pending {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(60), task).await;
        }
        for n in 0..self.counter.load(Ordering::SeqCst) {
            self.remove(&format!("pindrift-drift-{}-{n}", self.session))
                .await;
        }
        let mut filters = HashMap::new();
        filters.insert(
            "label".to_string(),
            vec![format!("{SESSION_LABEL}={}", self.session)],
        );
        let opts = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        // Until the engine lists none (a removal it was still finishing included).
        for _ in 0..100 {
            let Ok(list) = self.docker.list_containers(Some(opts.clone())).await else {
                return;
            };
            if list.is_empty() {
                return;
            }
            for c in list {
                if let Some(id) = c.id {
                    self.remove(&id).await;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Running containers selected by `LABEL=VALUE` or `image:REF`, sorted by name.
    pub async fn replicas(&self, selector: &str) -> Result<Vec<Replica>, EngineError> {
        let mut filters = HashMap::new();
        if let Some(image) = selector.strip_prefix("image:") {
            filters.insert("ancestor".to_string(), vec![image.to_string()]);
        } else {
            filters.insert("label".to_string(), vec![selector.to_string()]);
        }
        let opts = ListContainersOptionsBuilder::default()
            .filters(&filters)
            .build();
        let list = self
            .docker
            .list_containers(Some(opts))
            .await
            .map_err(|e| EngineError::api(format!("listing containers for {selector}"), e))?;
        let mut out: Vec<Replica> = list
            .into_iter()
            .filter_map(|c| {
                Some(Replica {
                    id: c.id?,
                    name: c
                        .names
                        .and_then(|n| n.into_iter().next())
                        .map(|n| n.trim_start_matches('/').to_string())
                        .unwrap_or_default(),
                    image_id: c.image_id.unwrap_or_default(),
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Files changed in a container since it was created, focused on application and
    /// site-packages folders. Parent folders and bytecode caches are left out; changes inside
    /// a site folder are summed up per top-level package folder.
    pub async fn changes(
        &self,
        container: &str,
        focus: &[String],
        site_dirs: &[String],
    ) -> Result<Vec<FileChange>, EngineError> {
        let raw = self.raw_changes(container).await?;
        Ok(summarize_changes(&raw, focus, site_dirs))
    }

    /// The Engine's list of files changed in a container since it was created:
    /// `(path, added|changed|deleted)`.
    pub async fn raw_changes(&self, container: &str) -> Result<Vec<(String, String)>, EngineError> {
        let list = self
            .docker
            .container_changes(container)
            .await
            .map_err(|e| EngineError::api(format!("reading changes of {container}"), e))?
            .unwrap_or_default();
        let raw: Vec<(String, String)> = list
            .into_iter()
            .map(|c| {
                let kind = match c.kind as i32 {
                    1 => "added",
                    2 => "deleted",
                    _ => "changed",
                };
                (c.path, kind.to_string())
            })
            .collect();
        Ok(raw)
    }

    /// Archive one container path and keep its metadata files. `Ok(None)` when it does not
    /// exist.
    async fn scan_path(&self, id: &str, path: &str) -> Result<Option<Collected>, EngineError> {
        let opts = DownloadFromContainerOptionsBuilder::default()
            .path(path)
            .build();
        let mut body = Box::pin(self.docker.download_from_container(id, Some(opts)));
        let first = match body.next().await {
            None => return Ok(Some(Collected::default())),
            // A 404 is either "no such path" or "no such container": only the first is absence.
            Some(Err(e)) if is_container_gone(&e) => {
                return Err(EngineError::ContainerGone(short(id)))
            }
            Some(Err(e)) if matches!(status_of(&e), Some(404) | Some(400)) => return Ok(None),
            Some(Err(e)) => return Err(EngineError::api(format!("archiving {path}"), e)),
            Some(Ok(b)) => b,
        };
        let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Vec<u8>>>(16);
        let archived = path.to_string();
        let reader = tokio::task::spawn_blocking(move || {
            let mut c = Collected::default();
            scan_tar(
                ChannelReader {
                    rx,
                    cur: Vec::new(),
                    pos: 0,
                },
                &archived,
                &mut c,
            );
            c
        });
        let mut ok = tx.send(Ok(first.to_vec())).await.is_ok();
        let mut broke = None;
        while ok {
            match body.next().await {
                None => break,
                Some(Ok(b)) => ok = tx.send(Ok(b.to_vec())).await.is_ok(),
                Some(Err(e)) => {
                    let _ = tx.send(Err(io::Error::other(e.to_string()))).await;
                    broke = Some(e);
                    break;
                }
            }
        }
        drop(tx);
        drop(body);
        let collected = reader.await.map_err(|e| EngineError::Api {
            context: format!("reading the archive of {path}"),
            message: e.to_string(),
        })?;
        // The engine's stream broke off (the container went away, the daemon restarted):
        // what was read is incomplete, and must not pass for the path's content.
        if let Some(e) = broke {
            return Err(EngineError::api(
                format!("archiving {path} (the stream broke off)"),
                e,
            ));
        }
        Ok(Some(collected))
    }

    /// Round one: OS package databases, folders that may hold venvs or user sites, Debian's
    /// shared dist-packages, `PYTHONPATH` entries and venvs named by the environment.
    fn first_round(facts: &ContainerFacts) -> (Vec<String>, Vec<String>) {
        let mut paths: Vec<String> = [
            "/var/lib/dpkg/status",
            "/var/lib/dpkg/status.d",
            "/lib/apk/db/installed",
            "/opt",
            "/home",
            "/root/.local/lib",
            "/usr/lib/python3/dist-packages",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut venvs: Vec<String> = vec!["/venv".into(), "/.venv".into()];
        if let Some(v) = facts.env_var("VIRTUAL_ENV") {
            venvs.push(v.to_string());
        }
        if let Some(path) = facts.env_var("PATH") {
            for p in path.split(':') {
                if let Some(root) = p.trim_end_matches('/').strip_suffix("/bin") {
                    if !matches!(root, "/usr" | "/usr/local" | "") {
                        venvs.push(root.to_string());
                    }
                }
            }
        }
        if let Some(wd) = &facts.working_dir {
            let wd = wd.trim_end_matches('/');
            if !wd.is_empty() {
                venvs.push(format!("{wd}/.venv"));
            }
        }
        // A venv folder is archived whole: pyvenv.cfg, bin/ (small) and lib/.
        paths.extend(venvs.into_iter().filter(|v| v.starts_with('/')));
        let pythonpath: Vec<String> = facts
            .env_var("PYTHONPATH")
            .unwrap_or("")
            .split(':')
            .filter(|p| p.starts_with('/'))
            .map(|p| p.trim_end_matches('/').to_string())
            .filter(|p| !p.is_empty())
            .collect();
        paths.extend(pythonpath.iter().cloned());
        (dedupe_nested(paths), pythonpath)
    }

    /// Archive each path of one container; `None` for missing paths.
    async fn scan_each(&self, id: &str, paths: &[String]) -> Result<Roots, EngineError> {
        let results: Vec<(String, Result<Option<Collected>, EngineError>)> =
            stream::iter(paths.iter())
                .map(|p| async move { (p.clone(), self.scan_path(id, p).await) })
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
        let mut out = Roots::new();
        for (p, r) in results {
            out.insert(p, r?);
        }
        Ok(out)
    }

    /// The content of `paths` for the reader's source, merged.
    async fn read_roots(
        &self,
        reader: &mut Reader,
        paths: &[String],
    ) -> Result<Collected, EngineError> {
        let mut got = Roots::new();
        match &mut reader.target {
            Target::Direct { id } => got = self.scan_each(id, paths).await?,
            Target::Image { image_id, temp } => {
                let missing: Vec<String> = paths
                    .iter()
                    .filter(|p| !reader.base.contains_key(*p) && !reader.learned.contains_key(*p))
                    .cloned()
                    .collect();
                if !missing.is_empty() {
                    if temp.is_none() {
                        *temp = Some(self.create_temp(image_id).await?);
                    }
                    let id = temp.clone().unwrap_or_default();
                    let read = self.scan_each(&id, &missing).await?;
                    reader.learned.extend(read);
                }
                for p in paths {
                    let c = reader
                        .base
                        .get(p)
                        .or_else(|| reader.learned.get(p))
                        .cloned()
                        .flatten();
                    got.insert(p.clone(), c);
                }
            }
            Target::Overlay {
                id,
                changes,
                mounts,
            } => {
                let mut whole = Vec::new();
                let mut patches = Vec::new();
                for p in paths {
                    let mounted = mounts.iter().any(|m| overlay::overlaps(m, p));
                    let known = reader.base.get(p).or_else(|| reader.learned.get(p));
                    let Some(image) = known else {
                        whole.push(p.clone());
                        continue;
                    };
                    match overlay::plan_root(p, image.as_ref(), changes, mounted) {
                        overlay::RootPlan::Clean => {
                            got.insert(p.clone(), image.clone());
                        }
                        overlay::RootPlan::Whole => whole.push(p.clone()),
                        overlay::RootPlan::Patch { drop, reread } => {
                            patches.push((
                                p.clone(),
                                image.clone().unwrap_or_default(),
                                drop,
                                reread,
                            ));
                        }
                    }
                }
                let units: Vec<String> = patches
                    .iter()
                    .flat_map(|(_, _, _, r)| r.iter().cloned())
                    .collect();
                let mut fetched = self.scan_each(id, &whole).await?;
                let fetched_units = self.scan_each(id, &units).await?;
                for (p, mut c, drop, reread) in patches {
                    for d in drop.iter().chain(reread.iter()) {
                        overlay::drop_below(&mut c, d);
                    }
                    for u in &reread {
                        if let Some(Some(more)) = fetched_units.get(u) {
                            c.merge(more.clone());
                        }
                    }
                    got.insert(p, Some(c));
                }
                for p in &whole {
                    let content = fetched.remove(p).flatten();
                    // Read whole and nothing changed there: that is the image's content too.
                    let mounted = mounts.iter().any(|m| overlay::overlaps(m, p));
                    let touched = changes.iter().any(|(c, _)| overlay::overlaps(c, p));
                    if !mounted && !touched && !reader.base.contains_key(p) {
                        reader.learned.insert(p.clone(), content.clone());
                    }
                    got.insert(p.clone(), content);
                }
            }
        }
        let mut all = Collected::default();
        for p in paths {
            if let Some(Some(c)) = got.remove(p) {
                all.merge(c);
            }
        }
        Ok(all)
    }

    /// Archive the candidate folders and group what was found.
    ///
    /// The engine serializes archive requests per container and each costs a few
    /// milliseconds even when the path is missing, so the Python versions whose standard
    /// site folders are read come from hints (`PYTHON_VERSION`, the OS package database,
    /// `pyvenv.cfg`) first; only when there are none is every known version tried.
    async fn read_archive_inventory(
        &self,
        facts: &ContainerFacts,
        source: SourceInfo,
        reader: &mut Reader,
    ) -> Result<Inventory, EngineError> {
        let (first, pythonpath) = Self::first_round(facts);
        let mut all = self.read_roots(reader, &first).await?;
        test_pause(&reader.target).await;
        let versions = version_hints(facts, &all);
        let second: Vec<String> = system_site_candidates()
            .into_iter()
            .filter(|p| !first.contains(p))
            .filter(|p| match &versions {
                Some(vs) => vs.iter().any(|v| p.contains(&format!("/python{v}/"))),
                None => true,
            })
            .collect();
        all.merge(self.read_roots(reader, &second).await?);
        // Every "missing" path above is only true if the container was there all along.
        self.still_there(&reader.target).await?;
        let g = group(&all, &pythonpath);
        Ok(Inventory {
            source,
            envs: g.envs,
            os: g.os,
            warnings: g.warnings,
            requirements: Vec::new(),
        })
    }
}

impl Engine {
    /// Fail when the container a read used was removed meanwhile: its 404s were not
    /// "missing paths".
    async fn still_there(&self, target: &Target) -> Result<(), EngineError> {
        let id = match target {
            Target::Direct { id } | Target::Overlay { id, .. } => id,
            Target::Image {
                temp: Some(temp), ..
            } => temp,
            Target::Image { temp: None, .. } => return Ok(()),
        };
        match self.docker.inspect_container(id, None).await {
            Ok(c) if c.state.as_ref().and_then(|s| s.dead) == Some(true) => {
                Err(EngineError::ContainerGone(short(id)))
            }
            Ok(_) => Ok(()),
            Err(e) if status_of(&e) == Some(404) => Err(EngineError::ContainerGone(short(id))),
            Err(e) => Err(EngineError::api(format!("inspecting container {id}"), e)),
        }
    }
}

/// Test hook (debug builds only): with `PINDRIFT_TEST_PAUSE_FILE=PATH`, stop between the two
/// rounds of archive reads, print `pindrift-test-pause <container id>` on stderr and wait
/// until PATH exists. Lets the test suite remove a container mid-read deterministically.
#[allow(clippy::print_stderr)] // telling the waiting test is this hook's job
async fn test_pause(target: &Target) {
    if !cfg!(debug_assertions) {
        return;
    }
    let Some(go) = std::env::var_os("PINDRIFT_TEST_PAUSE_FILE") else {
        return;
    };
    let id = match target {
        Target::Direct { id } | Target::Overlay { id, .. } => id.clone(),
        Target::Image { temp, .. } => temp.clone().unwrap_or_default(),
    };
    eprintln!("pindrift-test-pause {id}");
    let go = PathBuf::from(go);
    for _ in 0..3000 {
        if go.exists() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn split_env(env: Vec<String>) -> Vec<(String, String)> {
    env.into_iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (kv, String::new()),
        })
        .collect()
}

/// Python `X.Y` versions suggested by the container's environment and the files read so far;
/// `None` when nothing hints at any.
fn version_hints(facts: &ContainerFacts, c: &Collected) -> Option<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    let xy = |v: &str| -> Option<String> {
        let mut it = v.trim().split('.');
        let (a, b) = (it.next()?, it.next()?);
        let b: String = b.chars().take_while(|c| c.is_ascii_digit()).collect();
        (a.chars().all(|c| c.is_ascii_digit()) && !a.is_empty() && !b.is_empty())
            .then(|| format!("{a}.{b}"))
    };
    if let Some(v) = facts.env_var("PYTHON_VERSION").and_then(xy) {
        out.insert(v);
    }
    for (path, data) in &c.files {
        let text = String::from_utf8_lossy(data);
        if path.ends_with("/pyvenv.cfg") {
            for line in text.lines() {
                if let Some((k, v)) = line.split_once('=') {
                    if matches!(k.trim(), "version" | "version_info") {
                        out.extend(xy(v));
                    }
                }
            }
        } else if path.starts_with("/var/lib/dpkg/status") {
            for line in text.lines() {
                if let Some(name) = line.strip_prefix("Package:") {
                    let name = name.trim();
                    let name = name.strip_prefix("lib").unwrap_or(name);
                    if let Some(rest) = name.strip_prefix("python") {
                        let ver = rest
                            .strip_suffix("-minimal")
                            .or_else(|| rest.strip_suffix("-stdlib"))
                            .unwrap_or(rest);
                        if ver.contains('.') {
                            out.extend(xy(ver));
                        }
                    }
                }
            }
        } else if path == "/lib/apk/db/installed" {
            let mut pkg = "";
            for line in text.lines() {
                if let Some(p) = line.strip_prefix("P:") {
                    pkg = p.trim();
                } else if let Some(v) = line.strip_prefix("V:") {
                    if pkg == "python3" || pkg == "python2" {
                        out.extend(xy(v));
                    }
                }
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Drop candidates inside another candidate folder (the outer archive already covers them).
fn dedupe_nested(paths: Vec<String>) -> Vec<String> {
    let set: BTreeSet<String> = paths.into_iter().collect();
    set.iter()
        .filter(|p| {
            !set.iter().any(|q| {
                q != *p && p.starts_with(q.as_str()) && p.as_bytes().get(q.len()) == Some(&b'/')
            })
        })
        .cloned()
        .collect()
}

/// See [`Engine::changes`].
pub fn summarize_changes(
    raw: &[(String, String)],
    focus: &[String],
    site_dirs: &[String],
) -> Vec<FileChange> {
    let under = |p: &str, dir: &str| {
        let dir = dir.trim_end_matches('/');
        p.starts_with(dir) && p.as_bytes().get(dir.len()) == Some(&b'/')
    };
    let all: BTreeSet<&str> = raw.iter().map(|(p, _)| p.as_str()).collect();
    let mut out: BTreeMap<(String, String), (u32, bool)> = BTreeMap::new();
    for (path, kind) in raw {
        if path.contains("/__pycache__") || path.ends_with(".pyc") {
            continue;
        }
        // A folder listed because something below it changed.
        let prefix = format!("{path}/");
        if all
            .range(prefix.as_str()..)
            .next()
            .is_some_and(|n| n.starts_with(&prefix))
        {
            continue;
        }
        if let Some(site) = site_dirs.iter().find(|d| under(path, d)) {
            let rest = &path[site.trim_end_matches('/').len() + 1..];
            let top = rest.split('/').next().unwrap_or(rest);
            let key = if rest.contains('/') {
                format!("{}/{top}/", site.trim_end_matches('/'))
            } else {
                path.clone()
            };
            let e = out.entry((key, kind.clone())).or_insert((0, true));
            e.0 += 1;
            continue;
        }
        if focus.iter().any(|d| under(path, d) || path == d) {
            out.entry((path.clone(), kind.clone()))
                .or_insert((0, false))
                .0 += 1;
        }
    }
    out.into_iter()
        .map(|((path, kind), (count, site))| FileChange {
            path,
            kind,
            count,
            site,
        })
        .collect()
}

/// Adapts a channel of byte chunks to `std::io::Read` for the tar reader.
struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    cur: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.cur.len() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Ok(b)) => {
                    self.cur = b;
                    self.pos = 0;
                }
                Some(Err(e)) => return Err(e),
            }
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_candidates_are_dropped() {
        let v = dedupe_nested(vec!["/opt".into(), "/opt/venv/lib".into(), "/optx".into()]);
        assert_eq!(v, ["/opt", "/optx"]);
    }

    #[test]
    fn changes_are_focused() {
        let raw: Vec<(String, String)> = [
            ("/usr", "changed"),
            ("/usr/src", "changed"),
            ("/usr/src/app", "changed"),
            ("/usr/src/app/app.py", "changed"),
            ("/usr/src/app/__pycache__", "added"),
            ("/usr/src/app/__pycache__/app.cpython-311.pyc", "added"),
            ("/tmp/x", "added"),
            (
                "/usr/local/lib/python3.11/dist-packages/eventlet/__init__.py",
                "changed",
            ),
            (
                "/usr/local/lib/python3.11/dist-packages/eventlet/hubs/hub.py",
                "changed",
            ),
            (
                "/usr/local/lib/python3.11/dist-packages/eventlet-0.20.1.dist-info/METADATA",
                "added",
            ),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let got = summarize_changes(
            &raw,
            &["/usr/src/app".into()],
            &["/usr/local/lib/python3.11/dist-packages".into()],
        );
        let lines: Vec<String> = got
            .iter()
            .map(|c| format!("{} {} {}", c.kind, c.path, c.count))
            .collect();
        assert_eq!(
            lines,
            [
                "added /usr/local/lib/python3.11/dist-packages/eventlet-0.20.1.dist-info/ 1",
                "changed /usr/local/lib/python3.11/dist-packages/eventlet/ 2",
                "changed /usr/src/app/app.py 1",
            ]
        );
    }
}
