//! Inventories through the archive API: which folders are read (two rounds, guided by what
//! the first finds), from where (the image cache, a temporary container, the container, or
//! the image plus the container's changes), and the check that the container was there for
//! the whole read.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use futures_util::{stream, StreamExt};

use super::api::ImageConfig;
use super::{
    overlay, proof, short, ChangesPolicy, ContainerFacts, Engine, EngineApi, EngineError, RawChange,
};
use crate::inventory::cache::{Cached, PathFacts, Proof, Proofs, Roots};
use crate::inventory::sites::{group, pth_folders, system_site_candidates, MAX_PTH_FOLDERS};
use crate::inventory::tarscan::{Budget, Collected};
use crate::inventory::{Inventory, SourceInfo, SourceKind, Via};

/// How many archive requests run at once.
const CONCURRENCY: usize = 8;

/// An image opened for reading: its id, what its config says, the cached roots, and the
/// temporary container when the cache does not have it.
pub struct ImageHandle {
    reference: String,
    facts: ContainerFacts,
    base: Cached,
    temp: Option<String>,
}

/// Where a root's content comes from while reading.
enum Target {
    /// An image: from the cache, else from a temporary container made on first need.
    Image {
        reference: String,
        image_id: String,
        temp: Option<String>,
    },
    /// A container, read whole.
    Direct { id: String },
    /// A container read as its image plus the changes the Engine reports.
    Overlay {
        id: String,
        changes: Vec<RawChange>,
        mounts: Vec<String>,
    },
    /// A container whose roots are the image's where a proof holds ([`proof`]), else read
    /// whole.
    Proven {
        id: String,
        mounts: Vec<String>,
        created: Option<String>,
    },
}

/// Reads roots for one source, remembering what is known to be the image's content.
struct Reader {
    target: Target,
    /// The image's content known before this read (from the cache).
    base: Roots,
    /// Proofs of the image's roots known before this read (from the cache).
    proofs: Proofs,
    /// The image's content learned by this read (to be added to the cache).
    learned: Roots,
    /// Proofs of the image's roots made by this read (to be added to the cache).
    learned_proofs: Proofs,
    /// The metadata bytes this inventory may still keep, over all its folders.
    budget: Arc<Budget>,
    /// A path read from the container itself was missing: believed only once the container
    /// is known to have been there all along ([`Engine::still_there`]).
    missing_read: bool,
}

impl Reader {
    fn new(target: Target, known: Cached, metadata_cap: u64) -> Self {
        Reader {
            target,
            base: known.roots,
            proofs: known.proofs,
            learned: Roots::new(),
            learned_proofs: Proofs::new(),
            budget: Arc::new(Budget::new(metadata_cap)),
            missing_read: false,
        }
    }

    /// What to store in the cache: the known entry, what was learned, the new proofs.
    fn into_cache(self) -> (Cached, Roots, Proofs) {
        (
            Cached {
                roots: self.base,
                proofs: self.proofs,
            },
            self.learned,
            self.learned_proofs,
        )
    }
}

/// Learns what was read of the image's folders, except those whose read stopped at the
/// budget: they are not the folder's content, and a cache must not say they are.
fn learn(learned: &mut Roots, read: Roots) {
    learned.extend(
        read.into_iter()
            .filter(|(_, c)| !c.as_ref().is_some_and(|c| c.cut_short)),
    );
}

impl<A: EngineApi> Engine<A> {
    /// Read a container's inventory through the archive API.
    pub async fn container_inventory(
        &self,
        name: &str,
        spec: &str,
    ) -> Result<Inventory, EngineError> {
        Ok(self.container_inventory_changes(name, spec, false).await?.0)
    }

    /// Read a container's inventory; with `need_changes`, also return the Engine's list of
    /// changes, which then is also used to read the container as its image
    /// plus those changes.
    pub async fn container_inventory_changes(
        &self,
        name: &str,
        spec: &str,
        need_changes: bool,
    ) -> Result<(Inventory, Option<Vec<RawChange>>), EngineError> {
        let (inv, changes, _) = self
            .container_inventory_facts(name, spec, need_changes)
            .await?;
        Ok((inv, changes))
    }

    /// [`Engine::container_inventory_changes`], with what `inspect` said of the container.
    pub async fn container_inventory_facts(
        &self,
        name: &str,
        spec: &str,
        need_changes: bool,
    ) -> Result<(Inventory, Option<Vec<RawChange>>, ContainerFacts), EngineError> {
        let facts = self.container_facts(name).await?;
        let source = SourceInfo {
            spec: spec.to_string(),
            kind: SourceKind::Container,
            id: Some(facts.id.clone()),
            name: Some(facts.name.clone()),
            image_id: Some(facts.image_id.clone()),
            image_ref: facts.image_ref.clone(),
            via: Via::Archive,
            platform: facts.platform.clone(),
        };
        let base = self.load_cache(&facts.image_id).await;
        let use_changes = self.cache_dir.is_some()
            && match self.changes {
                ChangesPolicy::Never => false,
                ChangesPolicy::Always => true,
                ChangesPolicy::Auto => {
                    base.is_some()
                        && (self.local_layers(&facts).is_some()
                            || self.native_changes(facts.driver.as_deref()).await)
                }
            };
        let proven = base.as_ref().is_some_and(|b| !b.proofs.is_empty());
        let changes = if need_changes {
            Some(self.raw_changes_of(&facts).await?)
        } else if use_changes {
            // Without the list the container is read whole.
            self.raw_changes_of(&facts).await.ok()
        } else {
            None
        };
        let target = match (&changes, self.cache_dir.is_some()) {
            (Some(list), true) => Target::Overlay {
                id: facts.id.clone(),
                changes: list.clone(),
                mounts: facts.mounts.clone(),
            },
            (None, true) if proven => Target::Proven {
                id: facts.id.clone(),
                mounts: facts.mounts.clone(),
                created: facts.created.clone(),
            },
            _ => Target::Direct {
                id: facts.id.clone(),
            },
        };
        let mut reader = Reader::new(target, base.unwrap_or_default(), self.metadata_cap);
        let inv = self
            .read_archive_inventory(&facts, source, &mut reader)
            .await?;
        let (known, learned, learned_proofs) = reader.into_cache();
        self.store_cache(&facts.image_id, known, learned, learned_proofs)
            .await;
        Ok((inv, changes, facts))
    }

    /// Read an image's inventory: create a container (never started, no network), read it,
    /// remove it, whatever happens.
    pub async fn image_inventory(
        &self,
        reference: &str,
        spec: &str,
    ) -> Result<Inventory, EngineError> {
        let handle = self.open_image(reference).await?;
        self.read_image(handle, spec).await
    }

    /// Resolve an image and get ready to read it: its cached inventory, or a temporary
    /// container (created, never started) when there is none. Never pulls.
    pub async fn open_image(&self, reference: &str) -> Result<ImageHandle, EngineError> {
        let image = self
            .api
            .inspect_image(reference)
            .await
            .map_err(|e| match e.status {
                Some(404) => EngineError::NoSuchImage(reference.to_string()),
                _ => EngineError::api(format!("inspecting image {reference}"), e),
            })?;
        self.open_image_inspected(reference, image).await
    }

    async fn open_image_inspected(
        &self,
        reference: &str,
        image: ImageConfig,
    ) -> Result<ImageHandle, EngineError> {
        let image_id = image.id.unwrap_or_else(|| reference.to_string());
        let facts = ContainerFacts {
            id: image_id.clone(),
            name: String::new(),
            image_id: image_id.clone(),
            image_ref: Some(reference.to_string()),
            env: image.env,
            working_dir: image.working_dir,
            running: false,
            dead: false,
            mounts: Vec::new(),
            driver: None,
            platform: image.os,
            labels: Default::default(),
            stop_timeout: None,
            ports: Vec::new(),
            created: None,
            layers: None,
        };
        let base = self.load_cache(&image_id).await;
        let temp = match base {
            Some(_) => None,
            None => {
                test_pause_before_create(&image_id).await;
                Some(self.create_temp(reference, &image_id).await?)
            }
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
            via: Via::Archive,
            platform: handle.facts.platform.clone(),
        };
        let mut reader = Reader::new(
            Target::Image {
                reference: handle.reference.clone(),
                image_id: image_id.clone(),
                temp: handle.temp,
            },
            handle.base,
            self.metadata_cap,
        );
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
        let (known, learned, learned_proofs) = reader.into_cache();
        self.store_cache(&image_id, known, learned, learned_proofs)
            .await;
        Ok(inv)
    }

    /// Archive each path of one container; `None` for missing paths.
    async fn scan_each(
        &self,
        id: &str,
        paths: &[String],
        budget: &Arc<Budget>,
    ) -> Result<Roots, EngineError> {
        let results: Vec<(String, Result<Option<Collected>, EngineError>)> =
            stream::iter(paths.iter())
                .map(|p| async move { (p.clone(), self.scan_path(id, p, budget.clone()).await) })
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
        let budget = reader.budget.clone();
        match &mut reader.target {
            Target::Direct { id } => {
                got = self.scan_each(id, paths, &budget).await?;
                reader.missing_read |= got.values().any(Option::is_none);
            }
            Target::Image {
                reference,
                image_id,
                temp,
            } => {
                let missing: Vec<String> = paths
                    .iter()
                    .filter(|p| !reader.base.contains_key(*p) && !reader.learned.contains_key(*p))
                    .cloned()
                    .collect();
                if !missing.is_empty() {
                    if temp.is_none() {
                        *temp = Some(self.create_temp(reference, image_id).await?);
                    }
                    let id = temp.clone().unwrap_or_default();
                    let mut read = self.scan_each(&id, &missing, &budget).await?;
                    let cut: Roots = read
                        .iter()
                        .filter(|(_, c)| c.as_ref().is_some_and(|c| c.cut_short))
                        .map(|(p, c)| (p.clone(), c.clone()))
                        .collect();
                    read.retain(|p, _| !cut.contains_key(p));
                    let proofs = self.make_proofs(&id, &read).await?;
                    reader.learned_proofs.extend(proofs);
                    for c in read.values_mut().flatten() {
                        c.dirs = Vec::new();
                    }
                    learn(&mut reader.learned, read);
                    got.extend(cut);
                }
                for p in paths {
                    if got.contains_key(p) {
                        continue;
                    }
                    let c = reader
                        .base
                        .get(p)
                        .or_else(|| reader.learned.get(p))
                        .cloned()
                        .flatten();
                    got.insert(p.clone(), c);
                }
            }
            Target::Proven {
                id,
                mounts,
                created,
            } => {
                let mut candidates: Vec<(String, Proof)> = Vec::new();
                let mut whole = Vec::new();
                for p in paths {
                    let mounted = mounts.iter().any(|m| overlay::overlaps(m, p));
                    let known = reader.base.contains_key(p) || reader.learned.contains_key(p);
                    match reader.proofs.get(p) {
                        Some(proof) if known && !mounted => {
                            candidates.push((p.clone(), proof.clone()))
                        }
                        _ => whole.push(p.clone()),
                    }
                }
                let (id, created) = (&*id, created.as_deref());
                let missing = &std::sync::atomic::AtomicBool::new(false);
                let checked: Vec<Result<(String, bool), EngineError>> =
                    stream::iter(candidates.iter())
                        .map(|(p, image)| async move {
                            let now = self.stat_proof_paths(id, image.keys()).await?;
                            if now.iter().any(|(_, f)| f.is_none()) {
                                missing.store(true, std::sync::atomic::Ordering::Relaxed);
                            }
                            Ok((p.clone(), proof::holds(image, &now, created)))
                        })
                        .buffer_unordered(CONCURRENCY)
                        .collect()
                        .await;
                for r in checked {
                    let (p, held) = r?;
                    if held {
                        let c = reader
                            .base
                            .get(&p)
                            .or_else(|| reader.learned.get(&p))
                            .cloned()
                            .flatten();
                        got.insert(p, c);
                    } else {
                        whole.push(p);
                    }
                }
                let read = self.scan_each(id, &whole, &budget).await?;
                reader.missing_read |= missing.load(std::sync::atomic::Ordering::Relaxed)
                    || read.values().any(Option::is_none);
                got.extend(read);
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
                let mut fetched = self.scan_each(id, &whole, &budget).await?;
                let fetched_units = self.scan_each(id, &units, &budget).await?;
                reader.missing_read |= fetched
                    .values()
                    .chain(fetched_units.values())
                    .any(Option::is_none);
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
                    let touched = changes.iter().any(|c| overlay::overlaps(&c.path, p));
                    if !mounted && !touched && !reader.base.contains_key(p) {
                        learn(
                            &mut reader.learned,
                            Roots::from([(p.clone(), content.clone())]),
                        );
                    }
                    got.insert(p.clone(), content);
                }
            }
        }
        let mut all = Collected::default();
        for p in paths {
            if let Some(Some(mut c)) = got.remove(p) {
                // The folder listing serves proofs only.
                c.dirs = Vec::new();
                all.merge_within(c, budget.limit());
            }
        }
        Ok(all)
    }

    /// Proofs for roots just read from an image's temporary container `id`: the facts of
    /// each root's proof paths there. A root whose paths cannot all be stated has none.
    async fn make_proofs(&self, id: &str, read: &Roots) -> Result<Proofs, EngineError> {
        let wanted: Vec<(String, Vec<String>)> = read
            .iter()
            .filter_map(|(root, c)| Some((root.clone(), proof::proof_paths(root, c.as_ref())?)))
            .collect();
        let made: Vec<Result<(String, Option<Proof>), EngineError>> = stream::iter(wanted)
            .map(|(root, paths)| async move {
                let facts = self.stat_proof_paths(id, paths.iter()).await?;
                // A path that exists without an mtime proves nothing.
                let complete = paths.len() == facts.len();
                Ok((root, complete.then(|| facts.into_iter().collect())))
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut out = Proofs::new();
        for r in made {
            if let (root, Some(p)) = r? {
                out.insert(root, p);
            }
        }
        Ok(out)
    }

    /// The facts of each path in container `id` (`None`: no such path). A path the engine
    /// states without an mtime is left out, so a proof with it does not hold. Fails only
    /// when the container is gone.
    async fn stat_proof_paths<'p>(
        &self,
        id: &str,
        paths: impl Iterator<Item = &'p String>,
    ) -> Result<Vec<(String, Option<PathFacts>)>, EngineError> {
        let mut out = Vec::new();
        for path in paths {
            match self.api.path_stat(id, path).await {
                Ok(None) => out.push((path.clone(), None)),
                Ok(Some(stat)) => {
                    if let Some(f) = proof::facts(&stat) {
                        out.push((path.clone(), Some(f)));
                    }
                }
                Err(e) if e.container_gone() => return Err(EngineError::ContainerGone(short(id))),
                // Anything else: this path proves nothing; the root is read whole.
                Err(_) => {}
            }
        }
        Ok(out)
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
        let second_read = self.read_roots(reader, &second).await?;
        all.merge_within(second_read, reader.budget.limit());
        // Folders that `.pth` files put on `sys.path` (pip freeze lists what is there),
        // unless a folder already read holds them.
        let read: Vec<&String> = first.iter().chain(second.iter()).collect();
        let named: Vec<(String, String)> = pth_folders(&all)
            .into_iter()
            .filter(|(folder, _)| !read.iter().any(|r| overlay::at_or_under(folder, r)))
            .collect();
        let (third, left): (Vec<_>, Vec<_>) = named
            .into_iter()
            .enumerate()
            .partition(|(i, _)| *i < MAX_PTH_FOLDERS);
        let third: Vec<String> = third.into_iter().map(|(_, (folder, _))| folder).collect();
        if !third.is_empty() {
            let third_read = self.read_roots(reader, &third).await?;
            all.merge_within(third_read, reader.budget.limit());
        }
        for (_, (folder, site)) in left {
            all.warnings.push(crate::inventory::Warning {
                path: folder,
                message: format!(
                    "named by a .pth file in {site}, past the first {MAX_PTH_FOLDERS} such folders: not read{}",
                    crate::inventory::NOT_COMPARED
                ),
            });
        }
        // Every "missing" path above is only true if the container was there all along.
        // (An image's temporary container is always checked: its missing paths are cached.)
        if reader.missing_read || matches!(reader.target, Target::Image { .. }) {
            self.still_there(&reader.target).await?;
        }
        let g = group(&all, &pythonpath);
        Ok(Inventory {
            source,
            envs: g.envs,
            os: g.os,
            warnings: g.warnings,
            requirements: Vec::new(),
        })
    }

    /// Fail when the container a read used was removed meanwhile: its 404s were not
    /// "missing paths".
    async fn still_there(&self, target: &Target) -> Result<(), EngineError> {
        let id = match target {
            Target::Direct { id } | Target::Overlay { id, .. } | Target::Proven { id, .. } => id,
            Target::Image {
                temp: Some(temp), ..
            } => temp,
            Target::Image { temp: None, .. } => return Ok(()),
        };
        match self.api.inspect_container(id).await {
            Ok(c) if c.dead => Err(EngineError::ContainerGone(short(id))),
            Ok(_) => Ok(()),
            Err(e) if e.status == Some(404) => Err(EngineError::ContainerGone(short(id))),
            Err(e) => Err(EngineError::api(format!("inspecting container {id}"), e)),
        }
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
}

/// Test hook (debug builds only): with `PINDRIFT_TEST_PAUSE_FILE=PATH`, stop between the two
/// rounds of archive reads, print `pindrift-test-pause <container id>` on stderr and wait
/// until PATH exists. Lets the test suite remove a container mid-read deterministically.
async fn test_pause(target: &Target) {
    let id = match target {
        Target::Direct { id } | Target::Overlay { id, .. } | Target::Proven { id, .. } => {
            id.clone()
        }
        Target::Image { temp, .. } => temp.clone().unwrap_or_default(),
    };
    test_pause_at("rounds", &id).await;
}

/// Test hook: with `PINDRIFT_TEST_PAUSE_AT=create` (and `PINDRIFT_TEST_PAUSE_FILE`), stop
/// after an image was inspected and before its temporary container is created, printing the
/// image id: lets the suite remove the image in that window.
async fn test_pause_before_create(image_id: &str) {
    test_pause_at("create", image_id).await;
}

/// Pause at `stage` (`rounds`, the default, or `create`) when the hook asks for it.
#[allow(clippy::print_stderr)] // telling the waiting test is this hook's job
async fn test_pause_at(stage: &str, id: &str) {
    if !cfg!(debug_assertions) {
        return;
    }
    let Some(go) = std::env::var_os("PINDRIFT_TEST_PAUSE_FILE") else {
        return;
    };
    let at = std::env::var("PINDRIFT_TEST_PAUSE_AT").unwrap_or_else(|_| "rounds".into());
    if at != stage {
        return;
    }
    eprintln!("pindrift-test-pause {id}");
    let go = PathBuf::from(go);
    for _ in 0..3000 {
        if go.exists() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_candidates_are_dropped() {
        let v = dedupe_nested(vec!["/opt".into(), "/opt/venv/lib".into(), "/optx".into()]);
        assert_eq!(v, ["/opt", "/optx"]);
    }
}
