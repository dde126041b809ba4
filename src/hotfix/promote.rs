//! `hotfix promote`: roll a committed hotfix out to a Swarm service through the engine's own
//! machinery. The image of the journal's last `Commit` step is tagged and pushed (the
//! engine's push, with the Docker CLI's credentials for that registry), the service is
//! updated to it **by digest** with a rolling policy (one task at a time, a delay,
//! `failure_action: rollback`, a monitor window; the health check is the service's, else
//! the image's), and the roll-out is followed task by task until the engine says it
//! completed or rolled back. The previous spec is saved in the journal first; `hotfix
//! rollback --service` asks the engine for its service rollback.

use std::time::{Duration, Instant};

use super::journal::{Action, Journal, StepId, StepState};
use super::HotfixError;
use crate::docker::swarm::{config_auth, RollPolicy, ServiceInfo, TaskInfo};
use crate::docker::{Engine, EngineApi};

/// Why a promotion or a service rollback stopped before the engine finished.
#[derive(Debug, thiserror::Error)]
pub enum PromoteError {
    #[error(transparent)]
    Journal(#[from] HotfixError),
    #[error("hotfix {id} has no committed image: run `pindrift hotfix commit {container}` first")]
    NotCommitted { id: String, container: String },
    #[error("{context}: {message}")]
    Engine { context: String, message: String },
    #[error("the engine at {0} is not a Swarm manager; promote through a manager (--host URL)")]
    NotManager(String),
    #[error("no such service: {0}")]
    NoService(String),
    #[error("`{0}` is not a repository to push to (e.g. registry.example:5000/team/app)")]
    BadRepository(String),
    #[error("the push of {0} gave no digest; the service is not updated")]
    NoDigest(String),
    #[error("service {service} already runs {image}; nothing to roll out")]
    AlreadyRuns { service: String, image: String },
    #[error("no `hotfix promote` of service {0} in the journals of {1}")]
    NoPromotion(String, String),
    #[error(
        "service {service} runs {current}, not the image promoted in step {step} ({promoted}); \
         it changed since: not rolled back"
    )]
    Changed {
        service: String,
        current: String,
        promoted: String,
        step: StepId,
    },
}

fn engine_err(context: impl Into<String>, e: crate::docker::ApiError) -> PromoteError {
    PromoteError::Engine {
        context: context.into(),
        message: e.message,
    }
}

/// How a roll-out (or a rollback) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every running task runs the target image.
    Converged,
    /// The engine rolled the service back; why, in its words and the failed tasks'.
    RolledBack(String),
    /// The engine paused the update (or the rollback); why.
    Paused(String),
    /// Not finished within the wait; where it stood.
    TimedOut(String),
}

/// Where a roll-out stands, for the progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The engine's update state (`updating`, `rollback_started`, …).
    pub state: String,
    /// Running tasks on the target image, out of the replicas asked for.
    pub on_target: usize,
    pub wanted: usize,
    /// Task lines (`app.2 running sha256:…`), by slot.
    pub tasks: Vec<String>,
}

/// What a promotion did.
#[derive(Debug, Clone)]
pub struct Promoted {
    pub step: StepId,
    pub service: String,
    /// `REPO:TAG@sha256:…`
    pub image: String,
    pub previous_image: String,
    pub outcome: Outcome,
    /// The engine's warnings on the update.
    pub warnings: Vec<String>,
    /// Whose health check gates the roll-out (`the service's`, `the image's`).
    pub healthcheck: &'static str,
}

/// The repository part of a reference: `reg:5000/app:1@sha256:…` → `reg:5000/app`.
pub fn repository_of(reference: &str) -> &str {
    let no_digest = reference.split('@').next().unwrap_or(reference);
    match no_digest.rfind(':') {
        Some(i) if !no_digest[i..].contains('/') => &no_digest[..i],
        _ => no_digest,
    }
}

/// The registry host of a repository (`docker.io` when it names none).
pub fn registry_of(repo: &str) -> String {
    match repo.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            first.to_string()
        }
        _ => "docker.io".to_string(),
    }
}

/// The Docker CLI's credentials for `registry` from its `config.json`, if it has some.
fn credentials(registry: &str) -> Option<String> {
    let dir = std::env::var_os("DOCKER_CONFIG")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".docker"))
        })?;
    let text = std::fs::read_to_string(dir.join("config.json")).ok()?;
    let key = if registry == "docker.io" {
        "https://index.docker.io/v1/"
    } else {
        registry
    };
    config_auth(key, &text)
}

/// The image the journal's last `Commit` step made.
pub fn committed_image(journal: &Journal) -> Option<String> {
    journal
        .steps()
        .iter()
        .rev()
        .find_map(|s| match (&s.action, &s.state) {
            (Action::Commit { image }, StepState::Done(_)) => Some(image.clone()),
            _ => None,
        })
}

/// Settings of a promotion.
#[derive(Debug, Clone)]
pub struct PromoteRequest {
    pub service: String,
    /// `--push-to REPO` (default: the repository of the service's image).
    pub push_to: Option<String>,
    pub policy: RollPolicy,
    /// How long to follow the roll-out before giving up waiting (the engine goes on).
    pub wait: Duration,
}

/// Push the committed image, update the service by digest, follow the roll-out.
pub async fn promote<A: EngineApi>(
    engine: &Engine<A>,
    journal: &mut Journal,
    container: &str,
    request: &PromoteRequest,
    mut progress: impl FnMut(&Progress),
) -> Result<Promoted, PromoteError> {
    let api = engine.api();
    let image = committed_image(journal).ok_or_else(|| PromoteError::NotCommitted {
        id: journal.header().id.clone(),
        container: container.to_string(),
    })?;
    let membership = api
        .swarm_membership()
        .await
        .map_err(|e| engine_err("asking the engine about its swarm", e))?;
    if !membership.manager {
        return Err(PromoteError::NotManager(engine.host().to_string()));
    }
    let service = inspect(engine, &request.service).await?;
    let repo = match &request.push_to {
        Some(r) => r.trim().to_string(),
        None => repository_of(&service.image).to_string(),
    };
    if repo.is_empty() || repo.contains('@') || repository_of(&repo) != repo {
        return Err(PromoteError::BadRepository(repo));
    }
    let tag = format!("hotfix-{}", journal.header().id);
    let tag: String = tag
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(128)
        .collect();
    let auth = credentials(&registry_of(&repo));
    api.tag_image(&image, &repo, &tag)
        .await
        .map_err(|e| engine_err(format!("tagging {image} as {repo}:{tag}"), e))?;
    let digest = api
        .push_image(&repo, &tag, auth.clone())
        .await
        .map_err(|e| engine_err(format!("pushing {repo}:{tag}"), e))?
        .ok_or_else(|| PromoteError::NoDigest(format!("{repo}:{tag}")))?;
    let target = format!("{repo}:{tag}@{digest}");
    if service.image == target {
        return Err(PromoteError::AlreadyRuns {
            service: service.name.clone(),
            image: target,
        });
    }
    // The previous spec, saved before anything changes.
    let blob = format!("service-spec-{}.json", sanitize(&service.name));
    let spec = serde_json::to_vec_pretty(&service.spec).unwrap_or_default();
    journal.write_blob(&blob, &spec)?;
    let step = journal.intend(Action::Promote {
        service: service.name.clone(),
        image: target.clone(),
        previous_image: service.image.clone(),
        previous_spec: blob,
    })?;
    let healthcheck = if service.has_healthcheck {
        "the service's"
    } else {
        "the image's"
    };
    let warnings = match api
        .update_service_image(&service.name, &target, &request.policy, auth)
        .await
    {
        Ok(w) => w,
        Err(e) => {
            let err = engine_err(format!("updating service {}", service.name), e);
            journal.failed(step, &err.to_string())?;
            return Err(err);
        }
    };
    let outcome = follow(
        engine,
        &service.name,
        &target,
        service.update_state.as_deref(),
        request.wait,
        &mut progress,
    )
    .await;
    match &outcome {
        Ok(Outcome::Converged) => journal.done(
            step,
            serde_json::json!({ "result": "converged", "image": target }),
        )?,
        Ok(o) => journal.failed(step, &describe(o))?,
        Err(e) => journal.failed(step, &e.to_string())?,
    }
    Ok(Promoted {
        step,
        service: service.name,
        image: target,
        previous_image: service.image,
        outcome: outcome?,
        warnings,
        healthcheck,
    })
}

/// An outcome in words (for the journal and the report).
pub fn describe(o: &Outcome) -> String {
    match o {
        Outcome::Converged => "converged".into(),
        Outcome::RolledBack(why) => format!("rolled back by the engine: {why}"),
        Outcome::Paused(why) => format!("paused by the engine: {why}"),
        Outcome::TimedOut(at) => format!("not finished in time: {at}"),
    }
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

async fn inspect<A: EngineApi>(
    engine: &Engine<A>,
    name: &str,
) -> Result<ServiceInfo, PromoteError> {
    engine.api().inspect_service(name).await.map_err(|e| {
        if e.status == Some(404) {
            PromoteError::NoService(name.to_string())
        } else {
            engine_err(format!("inspecting service {name}"), e)
        }
    })
}

/// Follow an update (or a rollback) to `target` until the engine says it is over.
async fn follow<A: EngineApi>(
    engine: &Engine<A>,
    name: &str,
    target: &str,
    state_before: Option<&str>,
    wait: Duration,
    progress: &mut impl FnMut(&Progress),
) -> Result<Outcome, PromoteError> {
    let start = Instant::now();
    let mut last: Option<Progress> = None;
    // A terminal state left from an earlier update counts only once this one has begun.
    let mut begun = false;
    // Why tasks failed, as the engine says (kept: they are gone from the list later).
    let mut failures: Vec<String> = Vec::new();
    let mut messages: Vec<String> = Vec::new();
    loop {
        let svc = inspect(engine, name).await?;
        let tasks = engine
            .api()
            .service_tasks(&svc.id)
            .await
            .map_err(|e| engine_err(format!("listing the tasks of {name}"), e))?;
        for t in &tasks {
            if let Some(line) = failure(t) {
                if !failures.contains(&line) {
                    failures.push(line);
                }
            }
        }
        if let Some(m) = &svc.update_message {
            if !messages.contains(m) {
                messages.push(m.clone());
            }
        }
        let p = progress_of(&svc, &tasks, target);
        if last.as_ref() != Some(&p) {
            progress(&p);
            last = Some(p.clone());
        }
        let why = || {
            let mut parts = messages.clone();
            parts.extend(failures.iter().cloned());
            if parts.is_empty() {
                "the engine gave no reason".to_string()
            } else {
                parts.join("; ")
            }
        };
        let state = svc.update_state.as_deref().unwrap_or("");
        begun |= svc.update_state.as_deref() != state_before || state == "updating";
        match state {
            "rollback_completed" if begun => return Ok(Outcome::RolledBack(why())),
            "paused" | "rollback_paused" if begun => return Ok(Outcome::Paused(why())),
            "completed" if p.on_target >= p.wanted && svc.image == target => {
                return Ok(Outcome::Converged)
            }
            // No update status yet: the engine has not started; or a rollback target.
            "" if svc.image == target && p.on_target >= p.wanted && p.wanted > 0 => {
                return Ok(Outcome::Converged)
            }
            _ => {}
        }
        if start.elapsed() > wait {
            return Ok(Outcome::TimedOut(format!(
                "update {}; {} of {} tasks on {target}",
                if state.is_empty() {
                    "not started"
                } else {
                    state
                },
                p.on_target,
                p.wanted
            )));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A failed or rejected task, in the engine's words.
fn failure(t: &TaskInfo) -> Option<String> {
    if !matches!(t.state.as_str(), "failed" | "rejected") {
        return None;
    }
    let slot = t.slot.map(|s| format!(".{s}")).unwrap_or_default();
    Some(format!(
        "task{slot} {}: {}{}",
        t.state,
        t.message,
        t.error
            .as_deref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default()
    ))
}

fn progress_of(svc: &ServiceInfo, tasks: &[TaskInfo], target: &str) -> Progress {
    let running: Vec<&TaskInfo> = tasks
        .iter()
        .filter(|t| t.desired_state == "running")
        .collect();
    let on_target = running
        .iter()
        .filter(|t| t.state == "running" && t.image == target)
        .count();
    let wanted = svc.replicas.map(|r| r as usize).unwrap_or(running.len());
    Progress {
        state: svc.update_state.clone().unwrap_or_default(),
        on_target,
        wanted,
        tasks: running
            .iter()
            .map(|t| {
                format!(
                    "{}.{} {} {}",
                    svc.name,
                    t.slot.map(|s| s.to_string()).unwrap_or_default(),
                    t.state,
                    t.image.rsplit('@').next().unwrap_or(&t.image)
                )
            })
            .collect(),
    }
}

/// What a service rollback did.
#[derive(Debug, Clone)]
pub struct RolledBackService {
    pub step: StepId,
    pub service: String,
    /// The image the service runs again.
    pub image: String,
    pub outcome: Outcome,
}

/// The last `Promote` step of `service` in `journal`: its id, image and previous image.
pub fn last_promotion(journal: &Journal, service: &str) -> Option<(StepId, String, String)> {
    journal.steps().iter().rev().find_map(|s| match &s.action {
        Action::Promote {
            service: sv,
            image,
            previous_image,
            ..
        } if sv == service => Some((s.id, image.clone(), previous_image.clone())),
        _ => None,
    })
}

/// `hotfix rollback --service`: the engine's rollback of the promotion in `journal`.
pub async fn rollback_service<A: EngineApi>(
    engine: &Engine<A>,
    journal: &mut Journal,
    service: &str,
    wait: Duration,
    mut progress: impl FnMut(&Progress),
) -> Result<RolledBackService, PromoteError> {
    let (of_step, promoted, previous) = last_promotion(journal, service).ok_or_else(|| {
        PromoteError::NoPromotion(service.to_string(), journal.header().id.clone())
    })?;
    let svc = inspect(engine, service).await?;
    if svc.image == previous {
        // The engine rolled back already (a failed roll-out), or someone did.
        return Ok(RolledBackService {
            step: of_step,
            service: svc.name,
            image: previous,
            outcome: Outcome::Converged,
        });
    }
    if svc.image != promoted {
        return Err(PromoteError::Changed {
            service: svc.name,
            current: svc.image,
            promoted,
            step: of_step,
        });
    }
    let step = journal.intend(Action::ServiceRollback {
        service: svc.name.clone(),
        of_step,
    })?;
    if let Err(e) = engine.api().rollback_service(&svc.name).await {
        let err = engine_err(format!("rolling back service {}", svc.name), e);
        journal.failed(step, &err.to_string())?;
        return Err(err);
    }
    let outcome = follow_rollback(engine, &svc.name, &previous, wait, &mut progress).await;
    match &outcome {
        Ok(Outcome::Converged) => journal.done(
            step,
            serde_json::json!({ "result": "rolled-back", "image": previous }),
        )?,
        Ok(o) => journal.failed(step, &describe(o))?,
        Err(e) => journal.failed(step, &e.to_string())?,
    }
    Ok(RolledBackService {
        step,
        service: svc.name,
        image: previous,
        outcome: outcome?,
    })
}

/// Follow the engine's rollback until every task runs `previous` again.
async fn follow_rollback<A: EngineApi>(
    engine: &Engine<A>,
    name: &str,
    previous: &str,
    wait: Duration,
    progress: &mut impl FnMut(&Progress),
) -> Result<Outcome, PromoteError> {
    let start = Instant::now();
    let mut last: Option<Progress> = None;
    loop {
        let svc = inspect(engine, name).await?;
        let tasks = engine
            .api()
            .service_tasks(&svc.id)
            .await
            .map_err(|e| engine_err(format!("listing the tasks of {name}"), e))?;
        let p = progress_of(&svc, &tasks, previous);
        if last.as_ref() != Some(&p) {
            progress(&p);
            last = Some(p.clone());
        }
        let state = svc.update_state.as_deref().unwrap_or("");
        if svc.image == previous
            && p.on_target >= p.wanted
            && matches!(state, "rollback_completed" | "completed" | "")
        {
            return Ok(Outcome::Converged);
        }
        if state == "rollback_paused" {
            return Ok(Outcome::Paused(
                svc.update_message
                    .unwrap_or_else(|| "no reason given".into()),
            ));
        }
        if start.elapsed() > wait {
            return Ok(Outcome::TimedOut(format!(
                "rollback {state}; {} of {} tasks on {previous}",
                p.on_target, p.wanted
            )));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_and_registries() {
        assert_eq!(
            repository_of("localhost:5000/app:1@sha256:abc"),
            "localhost:5000/app"
        );
        assert_eq!(repository_of("localhost:5000/app"), "localhost:5000/app");
        assert_eq!(repository_of("app:1"), "app");
        assert_eq!(registry_of("localhost:5000/app"), "localhost:5000");
        assert_eq!(registry_of("reg.example/team/app"), "reg.example");
        assert_eq!(registry_of("team/app"), "docker.io");
        assert_eq!(registry_of("app"), "docker.io");
    }

    #[test]
    fn failed_tasks_are_named() {
        let t = TaskInfo {
            id: "t".into(),
            slot: Some(2),
            node_id: "n".into(),
            container_id: None,
            state: "failed".into(),
            desired_state: "shutdown".into(),
            image: "i".into(),
            message: "started".into(),
            error: Some("task: non-zero exit (1): unhealthy container".into()),
        };
        assert_eq!(
            failure(&t).unwrap(),
            "task.2 failed: started (task: non-zero exit (1): unhealthy container)"
        );
    }
}
