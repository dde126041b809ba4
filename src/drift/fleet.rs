//! Drift over a fleet: several engines (`--host`, `--hosts-file`), containers on a named
//! engine (`container:NAME@HOST`), and Swarm services (`service:NAME`).
//!
//! Engines are connected and read concurrently, at most [`POOL`] reads at once; each image
//! is read once, whatever number of containers run it. An engine that cannot be reached,
//! and a task whose container is on no reachable engine, are named in the report (and make
//! the run fail with `--require-all`); the others are still compared.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use futures_util::StreamExt;
use serde::Serialize;

use super::report::in_place_summary;
use super::session::{
    ignore_set, replicas_fail, watched_folders, Comparison, Finished, ReplicasRun, Request,
    Session, SessionError, Source,
};
use super::{compare_with, fingerprint, odd_ones_out, ChangeKind, ReplicaResult};
use crate::docker::hosts::{connect_all, split_at_host, FleetEngine, HostSpec};
use crate::docker::{Engine, EngineApi, DEFAULT_SOCKET};
use crate::inventory::{Inventory, Via};

/// Reads (containers and images) in flight at once over all engines.
pub const POOL: usize = crate::docker::hosts::DEFAULT_POOL;

/// What a fleet report says besides the members: the engines, the members not read, and
/// why each odd one out is odd.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FleetNotes {
    /// A line about what was read (`service app: image …@sha256:…; 3 tasks running`).
    pub title: Option<String>,
    pub engines: Vec<EngineNote>,
    /// Members (tasks, containers) listed but not read, with the reason.
    pub unread: Vec<Unread>,
    /// One line per odd one out: what it has that the others do not.
    pub odd_details: Vec<String>,
}

/// One engine of the fleet.
#[derive(Debug, Clone, Serialize)]
pub struct EngineNote {
    pub name: String,
    pub url: String,
    /// Why it was not reached; `None`: it was.
    pub error: Option<String>,
}

/// A member that was listed but not read.
#[derive(Debug, Clone, Serialize)]
pub struct Unread {
    pub name: String,
    pub reason: String,
}

impl FleetNotes {
    /// Engines that could not be reached.
    pub fn unreachable(&self) -> impl Iterator<Item = &EngineNote> {
        self.engines.iter().filter(|e| e.error.is_some())
    }

    /// What `--require-all` refuses, in words; `None` when everything was read.
    pub fn missing(&self) -> Option<String> {
        let mut parts: Vec<String> = self
            .unreachable()
            .map(|e| format!("engine {} not reached", e.name))
            .collect();
        parts.extend(self.unread.iter().map(|u| format!("{} not read", u.name)));
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// Does this request go through the fleet (several engines, an engine named by a source,
/// or a service)?
pub fn applies(request: &Request, sources: &[Source]) -> bool {
    !request.hosts.is_empty()
        || sources.iter().any(|s| match s {
            Source::Service(_) => true,
            Source::Container(n) => split_at_host(n).1.is_some(),
            _ => false,
        })
}

/// The engines this run uses: the `--host` ones, else `DOCKER_HOST` or the default socket.
fn engine_list(request: &Request) -> Vec<HostSpec> {
    if !request.hosts.is_empty() {
        return request.hosts.clone();
    }
    let url = std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| DEFAULT_SOCKET.to_string());
    vec![HostSpec {
        label: url.clone(),
        url,
    }]
}

/// Run a fleet request; `interrupted` resolves when the run must stop. Temporary containers
/// are removed from every engine whatever happens.
pub async fn run(
    request: &Request,
    sources: &[Source],
    interrupted: impl Future<Output = &'static str>,
) -> Result<Finished, SessionError> {
    let mut hosts = engine_list(request);
    // An engine named only by a source's `@URL`.
    for s in sources {
        if let Source::Container(n) = s {
            if let (_, Some(h)) = split_at_host(n) {
                if !hosts.iter().any(|x| x.is(h)) {
                    if !h.contains("://") {
                        return Err(SessionError::UnknownHost {
                            spec: format!("container:{n}"),
                            host: h.to_string(),
                        });
                    }
                    hosts.push(HostSpec {
                        label: h.to_string(),
                        url: h.to_string(),
                    });
                }
            }
        }
    }
    let mut engines = connect_all(&hosts, request.timeout, POOL).await;
    if !request.no_cache {
        for e in &mut engines {
            if let Ok(engine) = &mut e.engine {
                if let Some(engine) = Arc::get_mut(engine) {
                    engine.set_cache_dir(crate::inventory::cache::default_dir());
                }
            }
        }
    }
    let work = async {
        if let [Source::Service(name)] = sources {
            return service(request, &engines, name).await;
        }
        if let Some(selector) = &request.replicas {
            return replicas(request, &engines, selector).await;
        }
        compare(request, sources, &engines).await
    };
    let result = tokio::select! {
        r = work => r,
        sig = interrupted => Err(SessionError::Interrupted(sig)),
    };
    for e in &engines {
        if let Ok(engine) = &e.engine {
            engine.cleanup().await;
        }
    }
    let finished = result?;
    if request.require_all {
        if let Finished::Replicas(r) = &finished {
            if let Some(missing) = r.fleet.as_ref().and_then(FleetNotes::missing) {
                return Err(SessionError::NotAllRead(missing));
            }
        }
    }
    Ok(finished)
}

fn engine_notes(engines: &[FleetEngine]) -> Vec<EngineNote> {
    engines
        .iter()
        .map(|e| EngineNote {
            name: e.host.label.clone(),
            url: e.host.url.clone(),
            error: e.engine.as_ref().err().map(|e| first_line(&e.to_string())),
        })
        .collect()
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

/// The engine a source reads from: its `@HOST`, else the first engine.
fn engine_of<'a>(
    engines: &'a [FleetEngine],
    spec: &str,
    host: Option<&str>,
) -> Result<&'a Engine, SessionError> {
    let e = match host {
        Some(h) => {
            engines
                .iter()
                .find(|e| e.host.is(h))
                .ok_or_else(|| SessionError::UnknownHost {
                    spec: spec.to_string(),
                    host: h.to_string(),
                })?
        }
        None => engines
            .first()
            .ok_or_else(|| SessionError::Fleet("no engine given".into()))?,
    };
    match &e.engine {
        Ok(engine) => Ok(engine),
        Err(err) => Err(SessionError::Fleet(format!(
            "`{spec}` is on engine {}, which could not be reached: {}",
            e.host.label,
            first_line(&err.to_string())
        ))),
    }
}

/// One or two sources, each on its engine.
async fn compare(
    request: &Request,
    sources: &[Source],
    engines: &[FleetEngine],
) -> Result<Finished, SessionError> {
    // Each source's engine (None: a file) and its source without the engine suffix.
    let mut bare = Vec::new();
    let mut owners: Vec<Option<&Engine>> = Vec::new();
    for (spec, source) in request.sources.iter().zip(sources) {
        let (source, host) = match source {
            Source::Container(n) => {
                let (name, host) = split_at_host(n);
                (Source::Container(name.to_string()), host)
            }
            s => (s.clone(), None),
        };
        let owner = match source {
            Source::Container(_) | Source::Image(_) => Some(engine_of(engines, spec, host)?),
            _ => None,
        };
        bare.push(source);
        owners.push(owner);
    }
    let mut used: Vec<&Engine> = owners.iter().flatten().copied().collect();
    used.dedup_by(|a, b| std::ptr::eq(*a, *b));
    let ignore = ignore_set(&request.ignore);
    if used.len() <= 1 {
        // One engine: the ordinary comparison on it (a container against its image
        // included).
        let session = Session {
            engine: used.first().copied(),
            request,
            ignore,
        };
        return Ok(Finished::Compare(Box::new(session.compare(&bare).await?)));
    }
    // Two sources on two engines: each read on its own, then compared.
    let read = |i: usize| {
        let session = Session {
            engine: owners[i],
            request,
            ignore: ignore.clone(),
        };
        let spec = request.sources[i].clone();
        let source = bare[i].clone();
        async move { session.read_source(&spec, &source).await }
    };
    let (before, after) = tokio::try_join!(read(0), read(1))?;
    let session = Session {
        engine: None,
        request,
        ignore: ignore.clone(),
    };
    let outcome = compare_with(&before, &after, &session.options())?;
    Ok(Finished::Compare(Box::new(Comparison {
        before,
        after,
        outcome,
        in_place: false,
        show_all: request.all,
        fail_on: request.fail_on,
    })))
}

/// A container of the fleet to read.
#[derive(Debug, Clone)]
struct Member {
    /// As reports name it: `web@node-b`, `app.2 on node-b`.
    name: String,
    engine: usize,
    container: String,
    image_id: String,
    /// Why it is odd whatever its packages (a task on another spec image).
    note: Option<String>,
}

/// `--replicas SELECTOR` on every engine.
async fn replicas(
    request: &Request,
    engines: &[FleetEngine],
    selector: &str,
) -> Result<Finished, SessionError> {
    let lists = futures_util::stream::iter(engines.iter().enumerate())
        .map(|(i, e)| async move {
            match &e.engine {
                Ok(engine) => (i, Some(engine.replicas(selector).await)),
                Err(_) => (i, None),
            }
        })
        .buffered(POOL)
        .collect::<Vec<_>>()
        .await;
    let mut members = Vec::new();
    let several = engines.len() > 1;
    for (i, list) in lists {
        let Some(list) = list else { continue };
        for r in list? {
            members.push(Member {
                name: if several {
                    format!("{}@{}", r.name, engines[i].host.label)
                } else {
                    r.name.clone()
                },
                engine: i,
                container: r.id,
                image_id: r.image_id,
                note: None,
            });
        }
    }
    if members.is_empty() {
        if engines.iter().all(|e| e.engine.is_err()) {
            return Err(SessionError::Fleet(format!(
                "no engine could be reached: {}",
                engine_notes(engines)
                    .iter()
                    .map(|n| format!("{}: {}", n.name, n.error.clone().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join("; ")
            )));
        }
        return Err(SessionError::NoReplicas(selector.to_string()));
    }
    let notes = FleetNotes {
        title: None,
        engines: engine_notes(engines),
        unread: Vec::new(),
        odd_details: Vec::new(),
    };
    conclude(request, engines, selector, members, notes).await
}

/// Read every member and its image (each image once), compare, name the odd ones out.
async fn conclude(
    request: &Request,
    engines: &[FleetEngine],
    selector: &str,
    members: Vec<Member>,
    mut notes: FleetNotes,
) -> Result<Finished, SessionError> {
    let ignore = ignore_set(&request.ignore);
    // Images: read once each, on the first engine that runs a member of it.
    let mut image_engine: BTreeMap<String, usize> = BTreeMap::new();
    for m in &members {
        image_engine.entry(m.image_id.clone()).or_insert(m.engine);
    }
    let engine = |i: usize| -> &Engine {
        match &engines[i].engine {
            Ok(e) => e,
            Err(_) => unreachable!("members are only listed on reachable engines"),
        }
    };
    let image_reads = futures_util::stream::iter(image_engine.iter())
        .map(|(id, &i)| async move {
            let r = engine(i)
                .image_inventory(id, &format!("image:{}", short(id)))
                .await;
            (id.clone(), r)
        })
        .buffer_unordered(POOL)
        .collect::<Vec<_>>();
    let member_reads = futures_util::stream::iter(members.iter().enumerate())
        .map(|(k, m)| {
            let ignore = ignore.clone();
            async move {
                let session = Session {
                    engine: Some(engine(m.engine)),
                    request,
                    ignore,
                };
                (k, read_member(&session, m).await)
            }
        })
        .buffer_unordered(POOL)
        .collect::<Vec<_>>();
    // Images first: a member of a cached image is then read as the image plus its own
    // changes instead of whole (the cache is written when an image read ends).
    let images = image_reads.await;
    let mut read = member_reads.await;
    read.sort_by_key(|(k, _)| *k);
    let mut image_inv: BTreeMap<String, Inventory> = BTreeMap::new();
    for (id, r) in images {
        image_inv.insert(id, r?);
    }
    let session = Session {
        engine: None,
        request,
        ignore: ignore.clone(),
    };
    let opts = session.options();
    let mut results = Vec::new();
    let mut inventories = Vec::new();
    let mut fingerprints = Vec::new();
    let mut member_notes = Vec::new();
    for (k, r) in read {
        let m = &members[k];
        let (mut inv, files) = match r {
            Ok(x) => x,
            Err(e) => {
                notes.unread.push(Unread {
                    name: m.name.clone(),
                    reason: first_line(&e.to_string()),
                });
                continue;
            }
        };
        inv.source.spec = format!("container:{}", m.name);
        let image = &image_inv[&m.image_id];
        let mut outcome = compare_with(image, &inv, &opts)?;
        outcome.files = files;
        fingerprints.push((
            fingerprint(&inv, &opts),
            m.image_id.clone(),
            outcome.files.clone(),
            m.note.is_some(),
        ));
        member_notes.push(m.note.clone());
        results.push(ReplicaResult {
            name: m.name.clone(),
            id: m.container.clone(),
            image_id: m.image_id.clone(),
            outcome,
            odd_one_out: false,
        });
        inventories.push(inv);
    }
    let matches: Vec<bool> = results
        .iter()
        .zip(&member_notes)
        .map(|(r, n)| !r.outcome.has_drift() && r.outcome.files.is_empty() && n.is_none())
        .collect();
    for (r, odd) in results
        .iter_mut()
        .zip(odd_ones_out(&fingerprints, &matches))
    {
        r.odd_one_out = odd;
    }
    // What each odd one has that the norm (the first member that is not odd) has not.
    let norm = results.iter().position(|r| !r.odd_one_out);
    for (i, r) in results.iter().enumerate().filter(|(_, r)| r.odd_one_out) {
        let mut parts = Vec::new();
        if let Some(n) = &member_notes[i] {
            parts.push(n.clone());
        }
        if let Some(n) = norm {
            let diff = compare_with(&inventories[n], &inventories[i], &opts)?;
            for c in diff
                .envs
                .iter()
                .flat_map(|e| e.changes.iter())
                .chain(diff.os.iter().flatten())
                .filter(|c| c.change != ChangeKind::Unchanged)
            {
                parts.push(format!(
                    "{} {}, others {}",
                    c.name,
                    c.after.as_deref().unwrap_or("absent"),
                    c.before.as_deref().unwrap_or("absent")
                ));
            }
        }
        let mut files = r.outcome.clone();
        files.envs.clear();
        if let Some(s) = in_place_summary(&files) {
            parts.push(s);
        }
        if parts.is_empty() {
            parts.push("differs from its image".to_string());
        }
        notes
            .odd_details
            .push(format!("{}: {}", r.name, parts.join("; ")));
    }
    let failed = replicas_fail(
        request.fail_on,
        inventories.iter().chain(image_inv.values()),
        &results,
    );
    Ok(Finished::Replicas(ReplicasRun {
        selector: selector.to_string(),
        results,
        inventories,
        fail_on: request.fail_on,
        all: request.all,
        failed,
        fleet: Some(notes),
    }))
}

/// A member's inventory and the files changed in place (with `--ignore`d packages' left
/// out).
async fn read_member(
    session: &Session<'_>,
    m: &Member,
) -> Result<(Inventory, Vec<super::FileChange>), SessionError> {
    let Some(engine) = session.engine else {
        return Err(SessionError::Fleet("no engine".into()));
    };
    let spec = format!("container:{}", m.name);
    let (inv, raw, facts) = match session.request.via {
        Via::Exec => (
            session.read_container(&m.container, &spec).await?,
            None,
            None,
        ),
        Via::Archive | Via::File => {
            let (inv, raw, facts) = engine
                .container_inventory_facts(&m.container, &spec, true)
                .await?;
            (inv, raw, Some(facts))
        }
    };
    let raw = match raw {
        Some(r) => r,
        None => engine.raw_changes(&m.container).await?,
    };
    let facts = match facts {
        Some(f) => f,
        None => engine.container_facts(&m.container).await?,
    };
    let focus = watched_folders(&facts, false);
    let site_dirs: Vec<String> = inv.envs.iter().flat_map(|e| e.dirs.clone()).collect();
    let files = session.files_changed(&raw, &focus, &site_dirs);
    Ok((inv, files))
}

/// `service:NAME`: the service's running tasks, each on the engine of its node.
async fn service(
    request: &Request,
    engines: &[FleetEngine],
    name: &str,
) -> Result<Finished, SessionError> {
    let manager_spec = format!("service:{name}");
    let manager = engine_of(engines, &manager_spec, None)?;
    let membership = manager.api().swarm_membership().await.map_err(|e| {
        SessionError::Fleet(format!("asking {} about its swarm: {e}", manager.host()))
    })?;
    if !membership.manager {
        return Err(SessionError::Fleet(format!(
            "the engine at {} is not a Swarm manager; `service:{name}` is read on a manager \
             (give it first with --host)",
            manager.host()
        )));
    }
    let svc = manager.api().inspect_service(name).await.map_err(|e| {
        if e.status == Some(404) {
            SessionError::Fleet(format!("no such service: {name}"))
        } else {
            SessionError::Fleet(format!("inspecting service {name}: {e}"))
        }
    })?;
    let tasks = manager
        .api()
        .service_tasks(&svc.id)
        .await
        .map_err(|e| SessionError::Fleet(format!("listing the tasks of {name}: {e}")))?;
    let nodes = manager
        .api()
        .nodes()
        .await
        .map_err(|e| SessionError::Fleet(format!("listing the nodes: {e}")))?;
    let hostname = |id: &str| {
        nodes
            .iter()
            .find(|n| n.id == id)
            .map(|n| n.hostname.clone())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| short(id))
    };
    // Which engine is which node.
    let memberships = futures_util::stream::iter(engines.iter().enumerate())
        .map(|(i, e)| async move {
            match &e.engine {
                Ok(engine) => (i, engine.api().swarm_membership().await.ok()),
                Err(_) => (i, None),
            }
        })
        .buffered(POOL)
        .collect::<Vec<_>>()
        .await;
    let engine_of_node = |node: &str| {
        memberships
            .iter()
            .find(|(_, m)| m.as_ref().and_then(|m| m.node_id.as_deref()) == Some(node))
            .map(|(i, _)| *i)
    };
    let mut notes = FleetNotes {
        title: None,
        engines: engine_notes(engines),
        unread: Vec::new(),
        odd_details: Vec::new(),
    };
    let mut members: Vec<(String, usize, String, Option<String>)> = Vec::new();
    let running: Vec<_> = tasks
        .iter()
        .filter(|t| t.desired_state == "running")
        .collect();
    for t in &running {
        let task_name = match t.slot {
            Some(s) => format!("{}.{s}", svc.name),
            None => format!("{}.{}", svc.name, short(&t.node_id)),
        };
        let node = hostname(&t.node_id);
        let display = format!("{task_name} on {node}");
        if t.state != "running" {
            notes.unread.push(Unread {
                name: display,
                reason: format!(
                    "task {}: {}{}",
                    t.state,
                    t.message,
                    t.error
                        .as_deref()
                        .map(|e| format!(" ({e})"))
                        .unwrap_or_default()
                ),
            });
            continue;
        }
        let Some(container) = t.container_id.clone() else {
            notes.unread.push(Unread {
                name: display,
                reason: "the task has no container yet".into(),
            });
            continue;
        };
        let Some(i) = engine_of_node(&t.node_id) else {
            notes.unread.push(Unread {
                name: display,
                reason: format!(
                    "node {node} is on no reachable engine (give its engine with --host)"
                ),
            });
            continue;
        };
        let note = (t.image != svc.image)
            .then(|| format!("runs {}, the service spec says {}", t.image, svc.image));
        members.push((display, i, container, note));
    }
    // The image each container runs (the spec's digest, resolved on its node).
    let facts = futures_util::stream::iter(members)
        .map(|(display, i, container, note)| async move {
            let engine = match &engines[i].engine {
                Ok(e) => e,
                Err(_) => unreachable!("members are only on reachable engines"),
            };
            let f = engine.container_facts(&container).await;
            (display, i, container, note, f)
        })
        .buffered(POOL)
        .collect::<Vec<_>>()
        .await;
    let mut list = Vec::new();
    for (display, i, container, note, f) in facts {
        match f {
            Ok(f) => list.push(Member {
                name: display,
                engine: i,
                container: f.id,
                image_id: f.image_id,
                note,
            }),
            Err(e) => notes.unread.push(Unread {
                name: display,
                reason: format!("container {}: {}", short(&container), e),
            }),
        }
    }
    let digest = svc
        .image
        .split_once('@')
        .map(|(_, d)| d.to_string())
        .unwrap_or_else(|| "no digest in the spec".to_string());
    notes.title = Some(format!(
        "service {}: spec image {} ({digest}); {} of {} tasks running{}",
        svc.name,
        svc.image,
        running.iter().filter(|t| t.state == "running").count(),
        svc.replicas
            .map(|r| r.to_string())
            .unwrap_or_else(|| running.len().to_string()),
        match (&svc.update_state, &svc.update_message) {
            (Some(s), Some(m)) => format!("; update {s}: {m}"),
            (Some(s), None) => format!("; update {s}"),
            _ => String::new(),
        }
    ));
    if list.is_empty() {
        return Err(SessionError::Fleet(format!(
            "service {name}: no task could be read{}",
            if notes.unread.is_empty() {
                " (it runs no task)".to_string()
            } else {
                format!(
                    ": {}",
                    notes
                        .unread
                        .iter()
                        .map(|u| format!("{} ({})", u.name, u.reason))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            }
        )));
    }
    conclude(request, engines, &manager_spec, list, notes).await
}

/// An id as the Docker CLI shortens it (without `sha256:`, 12 characters).
fn short(id: &str) -> String {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    id.chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::report::{render_replicas, Format};
    use crate::drift::FailOn;

    fn notes() -> FleetNotes {
        FleetNotes {
            title: Some("service app: spec image reg:5000/app:1@sha256:ab (sha256:ab); 2 of 3 tasks running".into()),
            engines: vec![
                EngineNote {
                    name: "a".into(),
                    url: "unix:///var/run/docker.sock".into(),
                    error: None,
                },
                EngineNote {
                    name: "c".into(),
                    url: "tcp://10.0.0.7:2376".into(),
                    error: Some("no answer within 60 s".into()),
                },
            ],
            unread: vec![Unread {
                name: "app.3 on node-c".into(),
                reason: "node node-c is on no reachable engine (give its engine with --host)"
                    .into(),
            }],
            odd_details: vec!["app.2 on node-b: eventlet 0.20.1, others 0.20.0".into()],
        }
    }

    #[test]
    fn what_was_not_read_is_said() {
        let n = notes();
        assert_eq!(
            n.missing().as_deref(),
            Some("engine c not reached; app.3 on node-c not read")
        );
        assert_eq!(FleetNotes::default().missing(), None);
    }

    #[test]
    fn fleet_lines_in_every_format() {
        let n = notes();
        let render = |f| {
            render_replicas(
                "service:app",
                &[],
                &[],
                f,
                FailOn::Any,
                false,
                false,
                Some(&n),
            )
        };
        insta::assert_snapshot!("fleet_table", render(Format::Table));
        insta::assert_snapshot!("fleet_markdown", render(Format::Markdown));
        insta::assert_snapshot!("fleet_github", render(Format::Github));
        let json: serde_json::Value = serde_json::from_str(&render(Format::Json)).unwrap();
        insta::assert_json_snapshot!("fleet_json", json["fleet"]);
    }

    #[test]
    fn engines_and_sources() {
        let r = |hosts: Vec<HostSpec>, sources: &[&str]| {
            let request = Request {
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
                max_file_size: 1,
                timeout: std::time::Duration::from_secs(1),
                hosts,
                require_all: false,
            };
            let parsed: Vec<Source> = sources.iter().map(|s| s.parse().unwrap()).collect();
            applies(&request, &parsed)
        };
        assert!(!r(Vec::new(), &["container:web"]));
        assert!(r(Vec::new(), &["container:web@b"]));
        assert!(r(Vec::new(), &["service:app"]));
        assert!(r(
            vec![HostSpec::parse("unix:///x").unwrap()],
            &["container:web"]
        ));
        assert_eq!(short("sha256:0123456789abcdef"), "0123456789ab");
    }
}
