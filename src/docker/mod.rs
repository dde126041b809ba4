//! The only code that talks to the Docker Engine, through one seam: [`api::EngineApi`],
//! implemented with bollard ([`api::Bollard`]).
//!
//! - [`connect`]: reaching the engine (`DOCKER_HOST` or the default socket);
//! - [`temp`]: temporary containers (created never started, always removed);
//! - [`read`]: inventories through the archive API — candidate folders are archived one by
//!   one (`GET /containers/{id}/archive`), each tar stream is read in memory by
//!   [`crate::inventory::tarscan`] on a blocking thread while it arrives ([`stream`]), and
//!   only metadata files are kept; nothing is extracted, nothing is pulled;
//! - [`changes`]: the engine's list of changed files, and when to read a container as its
//!   image plus those changes ([`overlay`] plans it);
//! - [`cache`]: the image inventory cache, read and written on blocking threads;
//! - [`exec`]: `--via exec`;
//! - [`digest`]: image references to manifest digests for `pin` (the local image's
//!   `RepoDigests`, else the engine's distribution endpoint; never a pull).

pub mod api;
mod cache;
mod changes;
mod connect;
pub mod digest;
mod exec;
#[cfg(test)]
pub(crate) mod fake;
pub mod hosts;
pub mod lineage;
mod overlay;
pub mod proof;
mod read;
mod stream;
pub mod swarm;
mod temp;
pub mod upper;

use std::path::PathBuf;
use std::sync::atomic::AtomicU32;

pub use api::{
    ApiError, Bollard, ContainerFilter, DistributionInfo, EngineApi, HistoryEntry, PathStat,
    RawChange, Top,
};
pub use changes::{summarize_changes, ChangesPolicy};
pub use connect::DEFAULT_SOCKET;
pub use digest::{CachedDigests, DigestError, DigestOrigin, DigestResolver, ResolvedDigest};
pub use exec::{exec_inventory, system_python};
pub use lineage::{ImageLineage, BASE_DIGEST_LABEL, BASE_NAME_LABEL};
pub use read::ImageHandle;

/// Label put on temporary containers: `pindrift.session=<pid>-<nonce>`.
pub const SESSION_LABEL: &str = "pindrift.session";

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
    #[error(
        "image {0} was removed while pindrift was reading it (after it was inspected); \
         nothing was compared and nothing was cached (run again)"
    )]
    ImageGone(String),
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
    #[error(
        "the Docker Engine at {host} speaks API {version}; pindrift needs {}.{} or newer \
         (Docker 1.12 or newer)",
        MIN_API.0,
        MIN_API.1
    )]
    TooOld { host: String, version: String },
    #[error(
        "--via exec needs Docker Engine API {}.{} or newer (exec with environment variables); \
         the engine at {host} speaks {version} (the default archive reading works with it)",
        EXEC_MIN_API.0,
        EXEC_MIN_API.1
    )]
    ExecTooOld { host: String, version: String },
    #[error(
        "{context}: the Docker Engine did not answer within {seconds} s; nothing was compared \
         (--timeout SECONDS waits longer)"
    )]
    Timeout { context: String, seconds: u64 },
}

impl EngineError {
    fn api(context: impl Into<String>, e: ApiError) -> Self {
        match e.timeout {
            Some(seconds) => EngineError::Timeout {
                context: context.into(),
                seconds,
            },
            None => EngineError::Api {
                context: context.into(),
                message: e.message,
            },
        }
    }
}

/// The oldest Engine API pindrift talks to: 1.24 (Docker 1.12), the oldest that current
/// engines still accept, and newer than every endpoint pindrift reads through (the archive
/// endpoint is 1.20, the `ancestor` filter 1.21).
pub const MIN_API: (usize, usize) = (1, 24);

/// `--via exec` sets environment variables on the exec (`Env`, API 1.25).
pub const EXEC_MIN_API: (usize, usize) = (1, 25);

/// How long pindrift waits for the engine to answer one request (or to send the next
/// piece of an archive) by default: an engine that never answers must not hold a
/// pre-commit hook or a CI gate for minutes.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

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
    /// The engine marks it dead (a removal failed half-way).
    pub dead: bool,
    /// Destinations of volumes, bind mounts and tmpfs mounts.
    pub mounts: Vec<String>,
    /// Storage driver (`overlay2`, `fuse-overlayfs`, …).
    pub driver: Option<String>,
    /// The OS the engine runs it on (`linux`).
    pub platform: Option<String>,
    /// The container's labels (not secrets, unlike its environment).
    pub labels: std::collections::BTreeMap<String, String>,
    /// `StopTimeout`: seconds the engine waits on stop before it kills, when set.
    pub stop_timeout: Option<i64>,
    /// Container ports the engine publishes on the host.
    pub ports: Vec<PublishedPort>,
    /// When the container was created (RFC 3339, as the engine writes it).
    pub created: Option<String>,
    /// Its layer folders, for the overlay drivers (read on this host when they are here).
    pub layers: Option<upper::Layers>,
}

/// One container port published on the host (`-p HOST_IP:HOST_PORT:PORT/PROTO`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPort {
    pub container_port: u16,
    /// `tcp` or `udp`.
    pub protocol: String,
    /// Empty: every address.
    pub host_ip: String,
    pub host_port: u16,
}

impl ContainerFacts {
    pub fn env_var(&self, key: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A connection to the engine plus the temporary containers this run created. Generic over
/// the engine seam ([`EngineApi`]); [`Bollard`] is the real engine.
pub struct Engine<A = Bollard> {
    api: A,
    host: String,
    session: String,
    counter: AtomicU32,
    cache_dir: Option<PathBuf>,
    /// Cache entries already read from disk by this process, by image id (a fleet reads
    /// one image's entry for each of its containers).
    loaded: std::sync::Mutex<std::collections::HashMap<String, crate::inventory::cache::Cached>>,
    changes: ChangesPolicy,
    /// Container creations and removals in flight: run as tasks of their own, so that an
    /// interrupted read never leaves a container the engine creates after pindrift stopped
    /// looking.
    pending: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// The most metadata bytes kept for one inventory (all its folders together).
    metadata_cap: u64,
    /// How long to wait for the next piece of a stream (requests time out in the client).
    answer_timeout: std::time::Duration,
    /// The API version agreed with the engine (`MAJOR`, `MINOR`).
    api_version: (usize, usize),
}

/// A running replica found by a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replica {
    pub id: String,
    pub name: String,
    pub image_id: String,
}

impl<A: EngineApi> Engine<A> {
    /// An engine over `api`; `host` names it in messages. The session id (for the names
    /// and labels of temporary containers) is this process's id plus a nonce.
    pub fn with_api(api: A, host: String) -> Engine<A> {
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        Engine {
            api,
            session: format!("{}-{nonce:x}", std::process::id()),
            host,
            counter: AtomicU32::new(0),
            cache_dir: None,
            loaded: std::sync::Mutex::new(std::collections::HashMap::new()),
            changes: ChangesPolicy::from_env(),
            pending: std::sync::Mutex::new(Vec::new()),
            metadata_cap: crate::inventory::tarscan::MAX_TOTAL_KEPT,
            answer_timeout: DEFAULT_TIMEOUT,
            api_version: (1, 53),
        }
    }

    /// Keep at most `bytes` of metadata per inventory (tests use small caps).
    pub fn set_metadata_cap(&mut self, bytes: u64) {
        self.metadata_cap = bytes;
    }

    /// Use (or, with `None`, do not use) an inventory cache folder for images.
    pub fn set_cache_dir(&mut self, dir: Option<PathBuf>) {
        self.cache_dir = dir;
    }

    /// Read containers as image + changes: when (see [`ChangesPolicy`]).
    pub fn set_changes_policy(&mut self, policy: ChangesPolicy) {
        self.changes = policy;
    }

    /// The API version agreed with the engine.
    pub fn api_version(&self) -> (usize, usize) {
        self.api_version
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// The engine operations.
    pub fn api(&self) -> &A {
        &self.api
    }

    /// Inspect a container by name or id.
    pub async fn container_facts(&self, name: &str) -> Result<ContainerFacts, EngineError> {
        self.api
            .inspect_container(name)
            .await
            .map_err(|e| match e.status {
                Some(404) => EngineError::NoSuchContainer(name.to_string()),
                _ => EngineError::api(format!("inspecting container {name}"), e),
            })
    }

    /// Running containers selected by `LABEL=VALUE` or `image:REF`, sorted by name.
    pub async fn replicas(&self, selector: &str) -> Result<Vec<Replica>, EngineError> {
        let filter = match selector.strip_prefix("image:") {
            Some(image) => ContainerFilter::Ancestor(image.to_string()),
            None => ContainerFilter::Label(selector.to_string()),
        };
        let mut out = self
            .api
            .list_containers(filter)
            .await
            .map_err(|e| EngineError::api(format!("listing containers for {selector}"), e))?;
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

pub(crate) fn split_env(env: Vec<String>) -> Vec<(String, String)> {
    env.into_iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (kv, String::new()),
        })
        .collect()
}

fn short(id: &str) -> String {
    id[..id.len().min(12)].to_string()
}
