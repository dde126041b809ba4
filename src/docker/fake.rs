//! An engine in memory behind [`EngineApi`], for fast unit tests of what the engine code does
//! with the engine's answers: which containers it creates and removes, what it reads, how it
//! takes a 404. The real engine stays the acceptance test (`tests/drift_*.rs`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use futures_util::stream::BoxStream;
use futures_util::StreamExt;

use super::api::{
    ByteStream, DistributionInfo, ExecChunk, ImageConfig, NewContainer, PathStat, Top,
};
use super::{ApiError, ContainerFacts, ContainerFilter, EngineApi, RawChange, Replica};

/// A container of the fake engine: its facts, labels, and the files of its image.
#[derive(Debug, Clone)]
pub struct FakeContainer {
    pub facts: ContainerFacts,
    pub labels: HashMap<String, String>,
}

#[derive(Debug, Default)]
pub struct State {
    /// Image id → files (absolute path → content).
    pub images: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
    pub containers: BTreeMap<String, FakeContainer>,
    /// Every container ever created, in order.
    pub created: Vec<String>,
    /// Archive requests: (container id, path).
    pub archived: Vec<(String, String)>,
    /// Remove the container after this many archive requests.
    pub vanish_after: Option<usize>,
    /// Archive streams send their first piece, then nothing ever again.
    pub stall_archives: bool,
    /// Local image references (tags) → their `RepoDigests`.
    pub local_tags: BTreeMap<String, Vec<String>>,
    /// What the distribution endpoint answers, by reference.
    pub registry: BTreeMap<String, Result<DistributionInfo, ApiError>>,
    /// Every distribution endpoint request, in order.
    pub distribution_calls: Vec<String>,
    /// `docker rmi -f` right after the image is inspected (before any container is made).
    pub remove_image_after_inspect: bool,
    /// Archives put into containers: (container id, folder, tar).
    pub uploads: Vec<(String, String, Vec<u8>)>,
    /// What `top` answers.
    pub top: Top,
    /// Signals sent with `kill`: (container, signal).
    pub signals: Vec<(String, String)>,
    /// Restarts: (container, timeout).
    pub restarts: Vec<(String, Option<i64>)>,
    /// Images committed from containers: (container, `repo:tag`, labels, comment).
    pub commits: Vec<(String, String, HashMap<String, String>, String)>,
}

#[derive(Clone, Default)]
pub struct Fake(pub Arc<Mutex<State>>);

fn not_found(what: &str) -> ApiError {
    ApiError {
        status: Some(404),
        message: format!("Docker responded with status code 404: {what}"),
        timeout: None,
    }
}

impl Fake {
    pub fn with_image(id: &str, files: &[(&str, &str)]) -> Fake {
        let fake = Fake::default();
        fake.0.lock().unwrap().images.insert(
            id.to_string(),
            files
                .iter()
                .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
                .collect(),
        );
        fake
    }

    /// A tar of everything at or below `path` (entry names start with its last component,
    /// as the engine's archive endpoint writes them); `None` when nothing is there.
    fn tar(files: &BTreeMap<String, Vec<u8>>, path: &str) -> Option<Vec<u8>> {
        let base = path.rsplit_once('/').map(|(b, _)| b).unwrap_or("");
        let below: Vec<(&String, &Vec<u8>)> = files
            .iter()
            .filter(|(p, _)| p.as_str() == path || p.starts_with(&format!("{path}/")))
            .collect();
        if below.is_empty() {
            return None;
        }
        let mut builder = tar::Builder::new(Vec::new());
        for (p, content) in below {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            let name = p[base.len()..].trim_start_matches('/');
            builder
                .append_data(&mut header, name, content.as_slice())
                .unwrap();
        }
        Some(builder.into_inner().unwrap())
    }
}

impl EngineApi for Fake {
    async fn driver_status(&self) -> Result<Vec<(String, String)>, ApiError> {
        Ok(Vec::new())
    }

    async fn inspect_container(&self, id: &str) -> Result<ContainerFacts, ApiError> {
        let state = self.0.lock().unwrap();
        state
            .containers
            .get(id)
            .map(|c| c.facts.clone())
            .ok_or_else(|| not_found(&format!("No such container: {id}")))
    }

    async fn inspect_image(&self, reference: &str) -> Result<ImageConfig, ApiError> {
        let mut state = self.0.lock().unwrap();
        if let Some(digests) = state.local_tags.get(reference) {
            return Ok(ImageConfig {
                id: Some(format!("sha256:{:064x}", reference.len())),
                os: Some("linux".into()),
                repo_digests: digests.clone(),
                ..ImageConfig::default()
            });
        }
        if !state.images.contains_key(reference) {
            return Err(not_found(&format!("No such image: {reference}")));
        }
        if state.remove_image_after_inspect {
            state.images.remove(reference);
        }
        Ok(ImageConfig {
            id: Some(reference.to_string()),
            os: Some("linux".into()),
            ..ImageConfig::default()
        })
    }

    async fn image_history(
        &self,
        reference: &str,
    ) -> Result<Vec<super::api::HistoryEntry>, ApiError> {
        if !self.0.lock().unwrap().images.contains_key(reference) {
            return Err(not_found(&format!("No such image: {reference}")));
        }
        Ok(Vec::new())
    }

    async fn distribution_inspect(&self, reference: &str) -> Result<DistributionInfo, ApiError> {
        let mut state = self.0.lock().unwrap();
        state.distribution_calls.push(reference.to_string());
        state
            .registry
            .get(reference)
            .cloned()
            .unwrap_or_else(|| Err(not_found("manifest unknown: manifest unknown")))
    }

    async fn create_container(&self, spec: NewContainer) -> Result<String, ApiError> {
        let mut state = self.0.lock().unwrap();
        if !state.images.contains_key(&spec.image) {
            return Err(not_found(&format!("No such image: {}", spec.image)));
        }
        let id = format!("{:064x}", state.created.len() + 1);
        state.created.push(id.clone());
        let facts = ContainerFacts {
            id: id.clone(),
            name: spec.name,
            image_id: spec.image,
            image_ref: None,
            env: Vec::new(),
            working_dir: None,
            running: false,
            dead: false,
            mounts: Vec::new(),
            driver: None,
            platform: Some("linux".into()),
            labels: spec.labels.clone().into_iter().collect(),
            stop_timeout: None,
            ports: Vec::new(),
            created: None,
            layers: None,
        };
        state.containers.insert(
            id.clone(),
            FakeContainer {
                facts,
                labels: spec.labels,
            },
        );
        Ok(id)
    }

    async fn remove_container(&self, id: &str) -> Result<(), ApiError> {
        let mut state = self.0.lock().unwrap();
        let key = state
            .containers
            .iter()
            .find(|(k, c)| k.as_str() == id || c.facts.name == id)
            .map(|(k, _)| k.clone());
        match key {
            Some(k) => {
                state.containers.remove(&k);
                Ok(())
            }
            None => Err(not_found(&format!("No such container: {id}"))),
        }
    }

    async fn list_containers(&self, filter: ContainerFilter) -> Result<Vec<Replica>, ApiError> {
        let state = self.0.lock().unwrap();
        let label = match &filter {
            ContainerFilter::Label(l) | ContainerFilter::AllWithLabel(l) => l.clone(),
            ContainerFilter::Ancestor(_) => return Ok(Vec::new()),
        };
        let (k, v) = label.split_once('=').unwrap_or((&label, ""));
        Ok(state
            .containers
            .values()
            .filter(|c| c.labels.get(k).is_some_and(|x| x == v))
            .map(|c| Replica {
                id: c.facts.id.clone(),
                name: c.facts.name.clone(),
                image_id: c.facts.image_id.clone(),
            })
            .collect())
    }

    async fn container_changes(&self, _id: &str) -> Result<Vec<RawChange>, ApiError> {
        Ok(Vec::new())
    }

    fn archive(&self, id: &str, path: &str) -> ByteStream {
        let mut state = self.0.lock().unwrap();
        state.archived.push((id.to_string(), path.to_string()));
        if state.vanish_after.is_some_and(|n| state.archived.len() > n) {
            state.containers.remove(id);
        }
        let answer = match state.containers.get(id) {
            None => Err(not_found(&format!("No such container: {id}"))),
            Some(c) => match Fake::tar(&state.images[&c.facts.image_id], path) {
                Some(bytes) => Ok(bytes),
                None => Err(not_found(&format!(
                    "Could not find the file {path} in container {id}"
                ))),
            },
        };
        if state.stall_archives {
            let first = futures_util::stream::iter([Ok(vec![0u8; 512])]);
            return first.chain(futures_util::stream::pending()).boxed();
        }
        futures_util::stream::iter([answer]).boxed()
    }

    async fn create_exec(
        &self,
        _container: &str,
        _cmd: Vec<String>,
        _env: Vec<String>,
    ) -> Result<String, ApiError> {
        Err(not_found("exec is not faked"))
    }

    async fn start_exec(
        &self,
        _exec: &str,
    ) -> Result<BoxStream<'static, Result<ExecChunk, ApiError>>, ApiError> {
        Err(not_found("exec is not faked"))
    }

    async fn exec_exit_code(&self, _exec: &str) -> Result<Option<i64>, ApiError> {
        Ok(None)
    }

    async fn path_stat(&self, id: &str, path: &str) -> Result<Option<PathStat>, ApiError> {
        let state = self.0.lock().unwrap();
        let c = state
            .containers
            .get(id)
            .ok_or_else(|| not_found(&format!("No such container: {id}")))?;
        let files = &state.images[&c.facts.image_id];
        let name = path.rsplit('/').next().unwrap_or("").to_string();
        if let Some(content) = files.get(path) {
            return Ok(Some(PathStat {
                name,
                size: content.len() as i64,
                mode: 0o644,
                mtime: None,
                link_target: String::new(),
            }));
        }
        let dir = format!("{}/", path.trim_end_matches('/'));
        Ok(files.keys().any(|p| p.starts_with(&dir)).then(|| PathStat {
            name,
            size: 4096,
            mode: (1 << 31) | 0o755,
            mtime: None,
            link_target: String::new(),
        }))
    }

    async fn put_archive(&self, id: &str, dir: &str, tar: Vec<u8>) -> Result<(), ApiError> {
        let mut state = self.0.lock().unwrap();
        let image = state
            .containers
            .get(id)
            .ok_or_else(|| not_found(&format!("No such container: {id}")))?
            .facts
            .image_id
            .clone();
        state
            .uploads
            .push((id.to_string(), dir.to_string(), tar.clone()));
        let mut archive = tar::Archive::new(tar.as_slice());
        let mut put = Vec::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let name = entry.path().unwrap().to_string_lossy().to_string();
            let mut content = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut content).unwrap();
            put.push((format!("{}/{name}", dir.trim_end_matches('/')), content));
        }
        if let Some(files) = state.images.get_mut(&image) {
            files.extend(put);
        }
        Ok(())
    }

    async fn top(&self, id: &str) -> Result<Top, ApiError> {
        let state = self.0.lock().unwrap();
        if !state.containers.contains_key(id) {
            return Err(not_found(&format!("No such container: {id}")));
        }
        Ok(state.top.clone())
    }

    async fn commit(
        &self,
        container: &str,
        repo: &str,
        tag: &str,
        labels: HashMap<String, String>,
        comment: &str,
        _pause: bool,
    ) -> Result<String, ApiError> {
        let mut state = self.0.lock().unwrap();
        let Some(c) = state.containers.get(container) else {
            return Err(not_found(&format!("No such container: {container}")));
        };
        let mut all = c.labels.clone();
        all.extend(labels);
        state.commits.push((
            container.to_string(),
            format!("{repo}:{tag}"),
            all,
            comment.to_string(),
        ));
        Ok(format!("sha256:{:064x}", state.commits.len()))
    }

    async fn create_exec_as(
        &self,
        _container: &str,
        _cmd: Vec<String>,
        _user: &str,
    ) -> Result<String, ApiError> {
        Err(not_found("exec is not faked"))
    }

    async fn kill(&self, id: &str, signal: &str) -> Result<(), ApiError> {
        let mut state = self.0.lock().unwrap();
        if !state.containers.contains_key(id) {
            return Err(not_found(&format!("No such container: {id}")));
        }
        state.signals.push((id.to_string(), signal.to_string()));
        Ok(())
    }

    async fn restart(&self, id: &str, timeout_secs: Option<i64>) -> Result<(), ApiError> {
        let mut state = self.0.lock().unwrap();
        if !state.containers.contains_key(id) {
            return Err(not_found(&format!("No such container: {id}")));
        }
        state.restarts.push((id.to_string(), timeout_secs));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::{Engine, EngineError};

    const IMAGE: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const SIX: &str = "/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA";

    fn engine(fake: &Fake) -> Engine<Fake> {
        Engine::with_api(fake.clone(), "fake://".into())
    }

    #[tokio::test]
    async fn an_image_is_read_through_a_temporary_container_that_is_removed() {
        let fake = Fake::with_image(
            IMAGE,
            &[(SIX, "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n\n")],
        );
        let engine = engine(&fake);
        let inv = engine.image_inventory(IMAGE, "image:x").await.unwrap();
        engine.cleanup().await;
        let names: Vec<(String, Option<String>)> = inv
            .envs
            .iter()
            .flat_map(|e| e.packages.values())
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect();
        assert_eq!(names, [("six".to_string(), Some("1.16.0".to_string()))]);
        let state = fake.0.lock().unwrap();
        assert_eq!(state.created.len(), 1, "one temporary container");
        assert!(state.containers.is_empty(), "and it is gone");
        assert!(state.archived.iter().all(|(id, _)| id == &state.created[0]));
    }

    #[tokio::test]
    async fn a_container_that_vanishes_mid_read_is_an_error_not_an_empty_inventory() {
        let fake = Fake::with_image(IMAGE, &[(SIX, "Name: six\nVersion: 1.16.0\n\n")]);
        fake.0.lock().unwrap().vanish_after = Some(2);
        let engine = engine(&fake);
        let err = engine.image_inventory(IMAGE, "image:x").await.unwrap_err();
        engine.cleanup().await;
        assert!(matches!(err, EngineError::ContainerGone(_)), "{err}");
        assert!(fake.0.lock().unwrap().containers.is_empty());
    }

    /// Issue 14: the metadata cap is per inventory: three site folders whose headers fit the
    /// cap one by one, not together, give a warning naming what was not read (the run is not
    /// clean), and the cut folder is not cached as if it were whole.
    #[tokio::test]
    async fn the_metadata_cap_counts_every_site_folder_of_one_image() {
        let header = |name: &str| format!("Name: {name}\nVersion: 1.0\n{}\n", "X: y\n".repeat(50));
        let dist = |site: &str, name: &str| format!("{site}/{name}-1.0.dist-info/METADATA");
        let sites = [
            "/usr/lib/python3/dist-packages",
            "/usr/local/lib/python3.12/site-packages",
            "/opt/venv/lib/python3.12/site-packages",
        ];
        let files: Vec<(String, String)> = sites
            .iter()
            .zip(["aaa", "bbb", "ccc"])
            .map(|(site, name)| (dist(site, name), header(name)))
            .chain([(
                "/opt/venv/pyvenv.cfg".to_string(),
                "home = /usr/bin\n".to_string(),
            )])
            .collect();
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, c)| (p.as_str(), c.as_str()))
            .collect();
        let fake = Fake::with_image(IMAGE, &refs);
        let cache = tempfile::tempdir().unwrap();
        let mut engine = engine(&fake);
        engine.set_cache_dir(Some(cache.path().to_path_buf()));
        // Room for two headers and the pyvenv.cfg, not three headers.
        engine.set_metadata_cap(header("aaa").len() as u64 * 2 + 100);
        let inv = engine.image_inventory(IMAGE, "image:x").await.unwrap();
        engine.cleanup().await;
        assert_eq!(inv.package_count(), 2, "{inv:?}");
        let unread: Vec<&crate::inventory::Warning> =
            inv.warnings.iter().filter(|w| w.package_unread()).collect();
        assert_eq!(unread.len(), 1, "{:?}", inv.warnings);
        assert!(
            unread[0].path.ends_with("-1.0.dist-info/METADATA"),
            "{unread:?}"
        );
        assert!(
            unread[0].message.contains("all its folders together"),
            "{unread:?}"
        );
        // The same image with the default cap: all three (the cut folder was not cached).
        let mut engine = super::super::Engine::with_api(fake.clone(), "fake://".into());
        engine.set_cache_dir(Some(cache.path().to_path_buf()));
        let inv = engine.image_inventory(IMAGE, "image:x").await.unwrap();
        engine.cleanup().await;
        assert_eq!(inv.package_count(), 3, "{:?}", inv.warnings);
        assert!(
            inv.warnings.iter().all(|w| !w.package_unread()),
            "{:?}",
            inv.warnings
        );
    }

    /// Issue 14: a folder that a `.pth` file puts on `sys.path` is read too (pip freeze
    /// lists what is there), once, after the site folders.
    #[tokio::test]
    async fn folders_named_by_pth_files_are_read() {
        let site = "/usr/local/lib/python3.12/site-packages";
        let fake = Fake::with_image(
            IMAGE,
            &[
                (
                    &format!("{site}/six-1.16.0.dist-info/METADATA"),
                    "Name: six\nVersion: 1.16.0\n",
                ),
                (
                    &format!("{site}/shared.pth"),
                    "/srv/shared/lib\nimport sys\n",
                ),
                (
                    "/srv/shared/lib/attrs-23.1.0.dist-info/METADATA",
                    "Name: attrs\nVersion: 23.1.0\n",
                ),
            ],
        );
        let engine = engine(&fake);
        let inv = engine.image_inventory(IMAGE, "image:x").await.unwrap();
        engine.cleanup().await;
        let names: Vec<&str> = inv
            .envs
            .iter()
            .flat_map(|e| e.packages.keys())
            .map(String::as_str)
            .collect();
        assert_eq!(names, ["attrs", "six"], "{inv:?}");
        let state = fake.0.lock().unwrap();
        let reads = state
            .archived
            .iter()
            .filter(|(_, p)| p == "/srv/shared/lib")
            .count();
        assert_eq!(reads, 1);
    }

    /// Issue 14: an engine that stops sending an archive is a timeout with a clear message,
    /// and the temporary container is still removed.
    #[tokio::test]
    async fn an_archive_that_stops_is_a_timeout_and_the_temporary_container_is_removed() {
        let fake = Fake::with_image(IMAGE, &[(SIX, "Name: six\nVersion: 1.16.0\n\n")]);
        fake.0.lock().unwrap().stall_archives = true;
        let mut engine = engine(&fake);
        engine.answer_timeout = std::time::Duration::from_millis(200);
        let started = std::time::Instant::now();
        let err = engine.image_inventory(IMAGE, "image:x").await.unwrap_err();
        engine.cleanup().await;
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert!(matches!(err, EngineError::Timeout { .. }), "{err}");
        assert!(err.to_string().starts_with("archiving /"), "{err}");
        let state = fake.0.lock().unwrap();
        assert_eq!(state.created.len(), 1);
        assert!(
            state.containers.is_empty(),
            "the temporary container is removed"
        );
    }

    /// Issue 14: an image removed between inspect and create is a clear error naming it; no
    /// container is left and nothing is cached.
    #[tokio::test]
    async fn an_image_removed_after_inspect_is_named_and_nothing_is_cached() {
        let fake = Fake::with_image(IMAGE, &[(SIX, "Name: six\nVersion: 1.16.0\n\n")]);
        fake.0.lock().unwrap().remove_image_after_inspect = true;
        let cache = tempfile::tempdir().unwrap();
        let mut engine = engine(&fake);
        engine.set_cache_dir(Some(cache.path().to_path_buf()));
        let err = engine.image_inventory(IMAGE, "image:x").await.unwrap_err();
        engine.cleanup().await;
        assert!(matches!(err, EngineError::ImageGone(_)), "{err}");
        assert_eq!(
            err.to_string(),
            "image sha256:111111111111 was removed while pindrift was reading it (after it \
             was inspected); nothing was compared and nothing was cached (run again)"
        );
        let state = fake.0.lock().unwrap();
        assert!(state.containers.is_empty());
        assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn a_missing_image_is_named() {
        let fake = Fake::default();
        let err = engine(&fake)
            .image_inventory("app:9", "image:app:9")
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "no such image: app:9 (pindrift never pulls; build or load it first)"
        );
        assert!(fake.0.lock().unwrap().created.is_empty());
    }
}
