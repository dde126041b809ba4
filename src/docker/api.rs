//! The engine seam: every Docker Engine operation pindrift uses, as one trait
//! ([`EngineApi`]), implemented with bollard ([`Bollard`]). The rest of `docker/` (and what
//! hotfix adds: put-archive, exec, signal, commit, service update) calls the engine only
//! through it, so connection, errors and clean-up are shared, and a fake can stand in for
//! the engine in unit tests.

use std::collections::HashMap;
use std::future::Future;

use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use bollard::models::{ContainerConfig, ContainerCreateBody};
use bollard::query_parameters::{
    CommitContainerOptionsBuilder, ContainerArchiveInfoOptionsBuilder,
    CreateContainerOptionsBuilder, DownloadFromContainerOptionsBuilder,
    KillContainerOptionsBuilder, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
    RestartContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};
use bollard::Docker;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};

use super::{split_env, ContainerFacts, Replica};
use crate::drift::FileChangeKind;

/// An error the engine answered with (or a failure to reach it): the HTTP status when there
/// is one, and the message as bollard words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub status: Option<u16>,
    pub message: String,
    /// The engine did not answer within this many seconds (`--timeout`).
    pub timeout: Option<u64>,
}

impl ApiError {
    /// Does this error say the image is gone (a creation from an image id that was removed)?
    pub fn image_gone(&self) -> bool {
        self.status == Some(404) && self.message.to_ascii_lowercase().contains("no such image")
    }

    /// Is this the engine's "page not found": an endpoint it does not have (an engine too
    /// old for it, or not a Docker Engine), never "no such path"?
    pub fn no_endpoint(&self) -> bool {
        self.status == Some(404) && self.message.to_ascii_lowercase().contains("page not found")
    }

    /// Does this error say the container itself is gone (not a path in it)?
    pub fn container_gone(&self) -> bool {
        let m = self.message.to_ascii_lowercase();
        self.status == Some(404)
            && (m.contains("no such container") || m.contains("marked for removal"))
    }
}

impl From<bollard::errors::Error> for ApiError {
    fn from(e: bollard::errors::Error) -> Self {
        let status = match &e {
            bollard::errors::Error::DockerResponseServerError { status_code, .. } => {
                Some(*status_code)
            }
            _ => None,
        };
        ApiError {
            status,
            message: e.to_string(),
            timeout: None,
        }
    }
}

impl ApiError {
    /// A bollard error from a client that waits `seconds` for an answer.
    fn of(e: bollard::errors::Error, seconds: u64) -> ApiError {
        let timed_out = matches!(e, bollard::errors::Error::RequestTimeoutError);
        ApiError {
            timeout: timed_out.then_some(seconds),
            ..ApiError::from(e)
        }
    }
}

/// What an image's configuration says.
#[derive(Debug, Clone, Default)]
pub struct ImageConfig {
    pub id: Option<String>,
    pub env: Vec<(String, String)>,
    pub working_dir: Option<String>,
    pub os: Option<String>,
    /// `RepoDigests`: `name@sha256:…` of the manifests this image was pulled by or pushed as.
    pub repo_digests: Vec<String>,
    /// `RepoTags`: the local tags of this image.
    pub repo_tags: Vec<String>,
    /// `Config.Labels` (`org.opencontainers.image.base.name`, …).
    pub labels: std::collections::BTreeMap<String, String>,
    /// `RootFS.Layers`: the layer chain, base layers first.
    pub layers: Vec<String>,
}

/// One entry of an image's history (`GET /images/{ref}/history`), newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The local image this step made, when the engine still knows it (else `<missing>`).
    pub id: String,
    /// The local tags of that image.
    pub tags: Vec<String>,
    pub created_by: String,
}

/// What the engine's distribution endpoint says a reference names in its registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributionInfo {
    /// Digest of the manifest the tag points to (the index digest for multi-platform images).
    pub digest: String,
    pub media_type: Option<String>,
    /// `os/architecture[/variant]` of each platform the index lists.
    pub platforms: Vec<String>,
}

/// A container to create: never started, no network, labelled.
#[derive(Debug, Clone)]
pub struct NewContainer {
    pub name: String,
    pub image: String,
    pub cmd: Vec<String>,
    pub labels: HashMap<String, String>,
}

/// Which containers to list.
#[derive(Debug, Clone)]
pub enum ContainerFilter {
    /// Running containers with this label (`KEY=VALUE`).
    Label(String),
    /// Running containers created from this image or its descendants.
    Ancestor(String),
    /// All containers, running or not, with this label.
    AllWithLabel(String),
}

/// One entry of the engine's list of changed files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawChange {
    pub path: String,
    pub kind: FileChangeKind,
}

/// A chunk of an exec's output.
#[derive(Debug, Clone)]
pub enum ExecChunk {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
}

/// A stream of bytes from the engine (an archive, an exec's output).
pub type ByteStream = BoxStream<'static, Result<Vec<u8>, ApiError>>;

/// The engine operations pindrift uses. Futures are `Send` so that operations can run as
/// tasks of their own (a container creation that must finish even when a read is cut short).
pub trait EngineApi: Clone + Send + Sync + 'static {
    /// `GET /info`: the storage driver's status pairs (`Native Overlay Diff`, `true`).
    fn driver_status(&self)
        -> impl Future<Output = Result<Vec<(String, String)>, ApiError>> + Send;
    /// `GET /containers/{id}/json`.
    fn inspect_container(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<ContainerFacts, ApiError>> + Send;
    /// `GET /images/{ref}/json`.
    fn inspect_image(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<ImageConfig, ApiError>> + Send;
    /// `GET /images/{ref}/history`: the steps that made the image, newest first.
    fn image_history(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Vec<HistoryEntry>, ApiError>> + Send;
    /// `GET /distribution/{name}/json`: the engine asks the reference's registry which
    /// manifest the tag names (no pull; anonymous, no client credentials are sent).
    fn distribution_inspect(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<DistributionInfo, ApiError>> + Send;
    /// `POST /containers/create`: the new container's id.
    fn create_container(
        &self,
        spec: NewContainer,
    ) -> impl Future<Output = Result<String, ApiError>> + Send;
    /// `DELETE /containers/{id}?force=true&v=true`.
    fn remove_container(&self, id: &str) -> impl Future<Output = Result<(), ApiError>> + Send;
    /// `GET /containers/json` with a filter.
    fn list_containers(
        &self,
        filter: ContainerFilter,
    ) -> impl Future<Output = Result<Vec<Replica>, ApiError>> + Send;
    /// `GET /containers/{id}/changes`.
    fn container_changes(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Vec<RawChange>, ApiError>> + Send;
    /// `GET /containers/{id}/archive?path=…`: a tar stream.
    fn archive(&self, id: &str, path: &str) -> ByteStream;
    /// `POST /containers/{id}/exec`: the exec's id.
    fn create_exec(
        &self,
        container: &str,
        cmd: Vec<String>,
        env: Vec<String>,
    ) -> impl Future<Output = Result<String, ApiError>> + Send;
    /// `POST /exec/{id}/start`, attached: its output.
    fn start_exec(
        &self,
        exec: &str,
    ) -> impl Future<Output = Result<BoxStream<'static, Result<ExecChunk, ApiError>>, ApiError>> + Send;
    /// `GET /exec/{id}/json`: the exit code (`None` while it runs).
    fn exec_exit_code(
        &self,
        exec: &str,
    ) -> impl Future<Output = Result<Option<i64>, ApiError>> + Send;
    /// `HEAD /containers/{id}/archive?path=…`: what is at `path` (`None` when nothing is).
    /// The last component is not followed: a symlink is reported as one, with the fully
    /// resolved `link_target`.
    fn path_stat(
        &self,
        id: &str,
        path: &str,
    ) -> impl Future<Output = Result<Option<PathStat>, ApiError>> + Send;
    /// `PUT /containers/{id}/archive?path=DIR&noOverwriteDirNonDir=true`: extract the tar
    /// `tar` into the folder `dir` (owners and modes as the tar headers say).
    fn put_archive(
        &self,
        id: &str,
        dir: &str,
        tar: Vec<u8>,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;
    /// `GET /containers/{id}/top`: the processes (`ps -ef` columns).
    fn top(&self, id: &str) -> impl Future<Output = Result<Top, ApiError>> + Send;
    /// `POST /containers/{id}/exec` as `user` (`0`: root, whatever user the container
    /// runs as): the exec's id.
    fn create_exec_as(
        &self,
        container: &str,
        cmd: Vec<String>,
        user: &str,
    ) -> impl Future<Output = Result<String, ApiError>> + Send;
    /// `POST /containers/{id}/kill?signal=…`: a signal to the container's PID 1.
    fn kill(&self, id: &str, signal: &str) -> impl Future<Output = Result<(), ApiError>> + Send;
    /// `POST /containers/{id}/restart?t=…`: stop (waiting `timeout_secs`, else the
    /// container's own stop timeout) and start again.
    fn restart(
        &self,
        id: &str,
        timeout_secs: Option<i64>,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;
    /// `POST /commit`: a new image `repo:tag` from the container's filesystem and
    /// configuration, with `labels` added to the labels it has (they are kept); its id.
    fn commit(
        &self,
        container: &str,
        repo: &str,
        tag: &str,
        labels: HashMap<String, String>,
        comment: &str,
        pause: bool,
    ) -> impl Future<Output = Result<String, ApiError>> + Send;

    // Swarm and registries (fleets, `hotfix promote`). The defaults answer that this
    // engine seam has no such operation, so that fakes need not implement them.

    /// `GET /info`: this engine's swarm node id and whether it is a manager.
    fn swarm_membership(
        &self,
    ) -> impl Future<Output = Result<super::swarm::SwarmMembership, ApiError>> + Send {
        async { Err(unsupported("swarm membership")) }
    }
    /// `GET /services/{name}`.
    fn inspect_service(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<super::swarm::ServiceInfo, ApiError>> + Send {
        let _ = name;
        async { Err(unsupported("services")) }
    }
    /// `GET /tasks?filters={"service":[ID]}`, by slot.
    fn service_tasks(
        &self,
        service_id: &str,
    ) -> impl Future<Output = Result<Vec<super::swarm::TaskInfo>, ApiError>> + Send {
        let _ = service_id;
        async { Err(unsupported("tasks")) }
    }
    /// `GET /nodes`.
    fn nodes(&self) -> impl Future<Output = Result<Vec<super::swarm::NodeInfo>, ApiError>> + Send {
        async { Err(unsupported("nodes")) }
    }
    /// `POST /services/{name}/update`: the spec with `image` and the rolling `policy`;
    /// the engine's warnings.
    fn update_service_image(
        &self,
        name: &str,
        image: &str,
        policy: &super::swarm::RollPolicy,
        auth: Option<String>,
    ) -> impl Future<Output = Result<Vec<String>, ApiError>> + Send {
        let _ = (name, image, policy, auth);
        async { Err(unsupported("service update")) }
    }
    /// `POST /services/{name}/update?rollback=previous`: the engine's rollback.
    fn rollback_service(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Vec<String>, ApiError>> + Send {
        let _ = name;
        async { Err(unsupported("service rollback")) }
    }
    /// `POST /images/{image}/tag?repo=…&tag=…`.
    fn tag_image(
        &self,
        image: &str,
        repo: &str,
        tag: &str,
    ) -> impl Future<Output = Result<(), ApiError>> + Send {
        let _ = (image, repo, tag);
        async { Err(unsupported("image tag")) }
    }
    /// `POST /images/{repo}/push?tag=…`: the pushed manifest's digest, when the engine
    /// says it.
    fn push_image(
        &self,
        repo: &str,
        tag: &str,
        auth: Option<String>,
    ) -> impl Future<Output = Result<Option<String>, ApiError>> + Send {
        let _ = (repo, tag, auth);
        async { Err(unsupported("image push")) }
    }
}

fn unsupported(what: &str) -> ApiError {
    ApiError {
        status: None,
        message: format!("this engine seam has no {what}"),
        timeout: None,
    }
}

/// What the engine says is at a path of a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathStat {
    pub name: String,
    pub size: i64,
    /// Go `os.FileMode` bits: permissions plus type bits ([`PathStat::is_dir`] …).
    pub mode: u32,
    /// RFC 3339, as the engine writes it.
    pub mtime: Option<String>,
    /// For a symlink: its target, fully resolved inside the container; else empty.
    pub link_target: String,
}

impl PathStat {
    const MODE_DIR: u32 = 1 << 31;
    const MODE_SYMLINK: u32 = 1 << 27;
    /// Every Go type bit: dir, append, exclusive, temporary, symlink, device, pipe,
    /// socket, setuid/setgid/sticky excluded, char device, irregular.
    const TYPE_BITS: u32 =
        (1 << 31) | (1 << 27) | (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19);

    pub fn is_dir(&self) -> bool {
        self.mode & Self::MODE_DIR != 0
    }

    pub fn is_symlink(&self) -> bool {
        self.mode & Self::MODE_SYMLINK != 0
    }

    /// A regular file: none of the type bits.
    pub fn is_file(&self) -> bool {
        self.mode & Self::TYPE_BITS == 0
    }

    /// The permission bits.
    pub fn permissions(&self) -> u32 {
        self.mode & 0o777
    }
}

/// The processes of a container, as the engine's `top` lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Top {
    pub titles: Vec<String>,
    pub processes: Vec<Vec<String>>,
}

/// The engine through bollard.
#[derive(Clone)]
pub struct Bollard(pub Docker);

impl Bollard {
    /// This client's error, saying whether the engine did not answer in time.
    fn error(&self, e: bollard::errors::Error) -> ApiError {
        ApiError::of(e, self.0.timeout().as_secs())
    }

    /// An error from bollard's own conversion, with this client's timeout when it was one.
    fn retimed(&self, e: ApiError) -> ApiError {
        if e.status.is_none() && e.message.to_ascii_lowercase().contains("timeout") {
            ApiError {
                timeout: Some(self.0.timeout().as_secs()),
                ..e
            }
        } else {
            e
        }
    }
}

/// The engine's `NetworkSettings.Ports` (`"8000/tcp" -> [{HostIp, HostPort}]`), flattened.
fn published_ports(
    ports: Option<HashMap<String, Option<Vec<bollard::models::PortBinding>>>>,
) -> Vec<crate::docker::PublishedPort> {
    let mut out = Vec::new();
    for (key, bindings) in ports.unwrap_or_default() {
        let (port, protocol) = key.split_once('/').unwrap_or((key.as_str(), "tcp"));
        let Ok(container_port) = port.parse::<u16>() else {
            continue;
        };
        for b in bindings.unwrap_or_default() {
            let Some(host_port) = b.host_port.and_then(|p| p.parse::<u16>().ok()) else {
                continue;
            };
            out.push(crate::docker::PublishedPort {
                container_port,
                protocol: protocol.to_string(),
                host_ip: b.host_ip.unwrap_or_default(),
                host_port,
            });
        }
    }
    out.sort_by(|a, b| {
        (a.container_port, &a.protocol, &a.host_ip).cmp(&(
            b.container_port,
            &b.protocol,
            &b.host_ip,
        ))
    });
    out
}

impl EngineApi for Bollard {
    async fn driver_status(&self) -> Result<Vec<(String, String)>, ApiError> {
        let info = self.0.info().await.map_err(|e| self.error(e))?;
        Ok(info
            .driver_status
            .unwrap_or_default()
            .into_iter()
            .filter_map(|kv| match kv.as_slice() {
                [k, v] => Some((k.clone(), v.clone())),
                _ => None,
            })
            .collect())
    }

    async fn inspect_container(&self, id: &str) -> Result<ContainerFacts, ApiError> {
        let c = self
            .0
            .inspect_container(id, None)
            .await
            .map_err(|e| self.error(e))?;
        let config = c.config.unwrap_or_default();
        let state = c.state.unwrap_or_default();
        Ok(ContainerFacts {
            id: c.id.unwrap_or_else(|| id.to_string()),
            name: c
                .name
                .map(|n| n.trim_start_matches('/').to_string())
                .unwrap_or_else(|| id.to_string()),
            image_id: c.image.unwrap_or_default(),
            image_ref: config.image,
            env: split_env(config.env.unwrap_or_default()),
            working_dir: config.working_dir.filter(|w| !w.is_empty()),
            running: state.running.unwrap_or(false),
            dead: state.dead == Some(true),
            mounts: c
                .mounts
                .unwrap_or_default()
                .into_iter()
                .filter_map(|m| m.destination)
                .collect(),
            layers: c
                .graph_driver
                .as_ref()
                .and_then(|g| super::upper::Layers::from_graph_driver(&g.name, &g.data)),
            driver: c.graph_driver.map(|g| g.name),
            platform: c.platform.filter(|p| !p.is_empty()),
            labels: config.labels.unwrap_or_default().into_iter().collect(),
            stop_timeout: config.stop_timeout,
            ports: published_ports(c.network_settings.and_then(|n| n.ports)),
            created: c.created.filter(|t| !t.is_empty()),
        })
    }

    async fn inspect_image(&self, reference: &str) -> Result<ImageConfig, ApiError> {
        let image = self
            .0
            .inspect_image(reference)
            .await
            .map_err(|e| self.error(e))?;
        let config = image.config.unwrap_or_default();
        Ok(ImageConfig {
            id: image.id,
            env: split_env(config.env.unwrap_or_default()),
            working_dir: config.working_dir.filter(|w| !w.is_empty()),
            os: image.os.filter(|o| !o.is_empty()),
            repo_digests: image.repo_digests.unwrap_or_default(),
            repo_tags: image.repo_tags.unwrap_or_default(),
            labels: config.labels.unwrap_or_default().into_iter().collect(),
            layers: image.root_fs.and_then(|r| r.layers).unwrap_or_default(),
        })
    }

    async fn image_history(&self, reference: &str) -> Result<Vec<HistoryEntry>, ApiError> {
        let entries = self
            .0
            .image_history(reference)
            .await
            .map_err(|e| self.error(e))?;
        Ok(entries
            .into_iter()
            .map(|h| HistoryEntry {
                id: h.id,
                tags: h.tags,
                created_by: h.created_by,
            })
            .collect())
    }

    async fn distribution_inspect(&self, reference: &str) -> Result<DistributionInfo, ApiError> {
        let info = self.0.inspect_registry_image(reference, None).await?;
        let digest = info.descriptor.digest.ok_or_else(|| ApiError {
            status: None,
            message: format!("the engine's answer for {reference} has no digest"),
            timeout: None,
        })?;
        Ok(DistributionInfo {
            digest,
            media_type: info.descriptor.media_type,
            platforms: info
                .platforms
                .into_iter()
                .map(|p| {
                    let mut s = format!(
                        "{}/{}",
                        p.os.unwrap_or_default(),
                        p.architecture.unwrap_or_default()
                    );
                    if let Some(v) = p.variant.filter(|v| !v.is_empty()) {
                        s.push('/');
                        s.push_str(&v);
                    }
                    s
                })
                .collect(),
        })
    }

    async fn create_container(&self, spec: NewContainer) -> Result<String, ApiError> {
        let body = ContainerCreateBody {
            image: Some(spec.image),
            cmd: Some(spec.cmd),
            network_disabled: Some(true),
            labels: Some(spec.labels),
            ..Default::default()
        };
        let opts = CreateContainerOptionsBuilder::default()
            .name(&spec.name)
            .build();
        Ok(self
            .0
            .create_container(Some(opts), body)
            .await
            .map_err(|e| self.error(e))?
            .id)
    }

    async fn remove_container(&self, id: &str) -> Result<(), ApiError> {
        let opts = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(true)
            .build();
        self.0
            .remove_container(id, Some(opts))
            .await
            .map_err(|e| self.error(e))
    }

    async fn list_containers(&self, filter: ContainerFilter) -> Result<Vec<Replica>, ApiError> {
        let mut filters = HashMap::new();
        let all = match filter {
            ContainerFilter::Label(l) => {
                filters.insert("label".to_string(), vec![l]);
                false
            }
            ContainerFilter::Ancestor(i) => {
                filters.insert("ancestor".to_string(), vec![i]);
                false
            }
            ContainerFilter::AllWithLabel(l) => {
                filters.insert("label".to_string(), vec![l]);
                true
            }
        };
        let mut opts = ListContainersOptionsBuilder::default().filters(&filters);
        if all {
            opts = opts.all(true);
        }
        let list = self
            .0
            .list_containers(Some(opts.build()))
            .await
            .map_err(|e| self.error(e))?;
        Ok(list
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
            .collect())
    }

    async fn container_changes(&self, id: &str) -> Result<Vec<RawChange>, ApiError> {
        let list = self
            .0
            .container_changes(id)
            .await
            .map_err(|e| self.error(e))?
            .unwrap_or_default();
        Ok(list
            .into_iter()
            .map(|c| RawChange {
                path: c.path,
                // The engine's kinds: 0 modified, 1 added, 2 deleted.
                kind: match c.kind as i32 {
                    1 => FileChangeKind::Added,
                    2 => FileChangeKind::Deleted,
                    _ => FileChangeKind::Changed,
                },
            })
            .collect())
    }

    fn archive(&self, id: &str, path: &str) -> ByteStream {
        let opts = DownloadFromContainerOptionsBuilder::default()
            .path(path)
            .build();
        let seconds = self.0.timeout().as_secs();
        self.0
            .download_from_container(id, Some(opts))
            .map_ok(|b| b.to_vec())
            .map_err(move |e| ApiError::of(e, seconds))
            .boxed()
    }

    async fn create_exec(
        &self,
        container: &str,
        cmd: Vec<String>,
        env: Vec<String>,
    ) -> Result<String, ApiError> {
        let opts = CreateExecOptions {
            cmd: Some(cmd),
            env: Some(env),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            ..Default::default()
        };
        Ok(self
            .0
            .create_exec(container, opts)
            .await
            .map_err(|e| self.error(e))?
            .id)
    }

    async fn start_exec(
        &self,
        exec: &str,
    ) -> Result<BoxStream<'static, Result<ExecChunk, ApiError>>, ApiError> {
        match self
            .0
            .start_exec(exec, None::<StartExecOptions>)
            .await
            .map_err(|e| self.error(e))?
        {
            StartExecResults::Attached { output, .. } => Ok(output
                .filter_map(|item| async move {
                    match item {
                        Ok(bollard::container::LogOutput::StdOut { message }) => {
                            Some(Ok(ExecChunk::Stdout(message.to_vec())))
                        }
                        Ok(bollard::container::LogOutput::StdErr { message }) => {
                            Some(Ok(ExecChunk::Stderr(message.to_vec())))
                        }
                        Ok(_) => None,
                        Err(e) => Some(Err(ApiError::from(e))),
                    }
                })
                .boxed()),
            StartExecResults::Detached => Ok(futures_util::stream::empty().boxed()),
        }
    }

    async fn exec_exit_code(&self, exec: &str) -> Result<Option<i64>, ApiError> {
        Ok(self
            .0
            .inspect_exec(exec)
            .await
            .map_err(|e| self.error(e))?
            .exit_code)
    }

    async fn path_stat(&self, id: &str, path: &str) -> Result<Option<PathStat>, ApiError> {
        let opts = ContainerArchiveInfoOptionsBuilder::default()
            .path(path)
            .build();
        match self.0.get_container_archive_info(id, Some(opts)).await {
            Ok(s) => Ok(Some(PathStat {
                name: s.name,
                size: s.size,
                mode: s.file_mode,
                mtime: s.modification_time,
                link_target: s.link_target,
            })),
            Err(e) => {
                let e = self.error(e);
                // A HEAD answer has no body: a 404 is "no such path" unless the container
                // itself is gone, which the caller tells by inspecting it.
                if e.status == Some(404) && !e.container_gone() {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn put_archive(&self, id: &str, dir: &str, tar: Vec<u8>) -> Result<(), ApiError> {
        let opts = UploadToContainerOptionsBuilder::default()
            .path(dir)
            .no_overwrite_dir_non_dir("true")
            .build();
        self.0
            .upload_to_container(id, Some(opts), bollard::body_full(tar.into()))
            .await
            .map_err(|e| self.error(e))
    }

    async fn top(&self, id: &str) -> Result<Top, ApiError> {
        let top = self
            .0
            .top_processes(id, None::<bollard::query_parameters::TopOptions>)
            .await
            .map_err(|e| self.error(e))?;
        Ok(Top {
            titles: top.titles.unwrap_or_default(),
            processes: top.processes.unwrap_or_default(),
        })
    }

    async fn create_exec_as(
        &self,
        container: &str,
        cmd: Vec<String>,
        user: &str,
    ) -> Result<String, ApiError> {
        let opts = CreateExecOptions {
            cmd: Some(cmd),
            env: Some(Vec::new()),
            user: Some(user.to_string()),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            ..Default::default()
        };
        Ok(self
            .0
            .create_exec(container, opts)
            .await
            .map_err(|e| self.error(e))?
            .id)
    }

    async fn kill(&self, id: &str, signal: &str) -> Result<(), ApiError> {
        let opts = KillContainerOptionsBuilder::default()
            .signal(signal)
            .build();
        self.0
            .kill_container(id, Some(opts))
            .await
            .map_err(|e| self.error(e))
    }

    async fn restart(&self, id: &str, timeout_secs: Option<i64>) -> Result<(), ApiError> {
        let mut opts = RestartContainerOptionsBuilder::default();
        if let Some(t) = timeout_secs {
            opts = opts.t(i32::try_from(t).unwrap_or(i32::MAX));
        }
        self.0
            .restart_container(id, Some(opts.build()))
            .await
            .map_err(|e| self.error(e))
    }

    async fn commit(
        &self,
        container: &str,
        repo: &str,
        tag: &str,
        labels: HashMap<String, String>,
        comment: &str,
        pause: bool,
    ) -> Result<String, ApiError> {
        // The labels of the body replace the container's: start from those it has.
        let inspected = self
            .0
            .inspect_container(container, None)
            .await
            .map_err(|e| self.error(e))?;
        let mut all = inspected.config.and_then(|c| c.labels).unwrap_or_default();
        all.extend(labels);
        let opts = CommitContainerOptionsBuilder::default()
            .container(container)
            .repo(repo)
            .tag(tag)
            .comment(comment)
            .pause(pause)
            .build();
        let config = ContainerConfig {
            labels: Some(all),
            ..Default::default()
        };
        Ok(self
            .0
            .commit_container(opts, config)
            .await
            .map_err(|e| self.error(e))?
            .id)
    }

    async fn swarm_membership(&self) -> Result<super::swarm::SwarmMembership, ApiError> {
        self.swarm_membership_impl()
            .await
            .map_err(|e| self.retimed(e))
    }

    async fn inspect_service(&self, name: &str) -> Result<super::swarm::ServiceInfo, ApiError> {
        self.inspect_service_impl(name)
            .await
            .map_err(|e| self.retimed(e))
    }

    async fn service_tasks(
        &self,
        service_id: &str,
    ) -> Result<Vec<super::swarm::TaskInfo>, ApiError> {
        self.service_tasks_impl(service_id)
            .await
            .map_err(|e| self.retimed(e))
    }

    async fn nodes(&self) -> Result<Vec<super::swarm::NodeInfo>, ApiError> {
        self.nodes_impl().await.map_err(|e| self.retimed(e))
    }

    async fn update_service_image(
        &self,
        name: &str,
        image: &str,
        policy: &super::swarm::RollPolicy,
        auth: Option<String>,
    ) -> Result<Vec<String>, ApiError> {
        self.update_service_image_impl(name, image, policy, auth)
            .await
            .map_err(|e| self.retimed(e))
    }

    async fn rollback_service(&self, name: &str) -> Result<Vec<String>, ApiError> {
        self.rollback_service_impl(name)
            .await
            .map_err(|e| self.retimed(e))
    }

    async fn tag_image(&self, image: &str, repo: &str, tag: &str) -> Result<(), ApiError> {
        self.tag_image_impl(image, repo, tag)
            .await
            .map_err(|e| self.retimed(e))
    }

    async fn push_image(
        &self,
        repo: &str,
        tag: &str,
        auth: Option<String>,
    ) -> Result<Option<String>, ApiError> {
        self.push_image_impl(repo, tag, auth)
            .await
            .map_err(|e| self.retimed(e))
    }
}
