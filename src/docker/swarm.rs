//! Swarm through the engine's own API: services, their tasks and nodes, a service update
//! with a rolling policy, the engine's service rollback, and an image push. pindrift does
//! no orchestration of its own: the engine rolls, monitors and rolls back.

use std::collections::HashMap;

use bollard::auth::DockerCredentials;
use bollard::models::{
    ServiceSpec, ServiceSpecRollbackConfig, ServiceSpecRollbackConfigFailureActionEnum,
    ServiceSpecRollbackConfigOrderEnum, ServiceSpecUpdateConfig,
    ServiceSpecUpdateConfigFailureActionEnum, ServiceSpecUpdateConfigOrderEnum,
};
use bollard::query_parameters::{
    InspectServiceOptionsBuilder, ListNodesOptions, ListTasksOptionsBuilder,
    PushImageOptionsBuilder, TagImageOptionsBuilder, UpdateServiceOptionsBuilder,
};
use futures_util::StreamExt;

use super::api::{ApiError, Bollard};

/// What this engine says about its place in a swarm (`GET /info`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SwarmMembership {
    /// This engine's node id; `None` when it is in no swarm.
    pub node_id: Option<String>,
    /// A manager (it can answer for services, tasks and nodes).
    pub manager: bool,
}

/// A service as the manager describes it.
#[derive(Debug, Clone)]
pub struct ServiceInfo {
    pub id: String,
    pub name: String,
    /// The object version, for an update.
    pub version: u64,
    /// The spec's image: `repo:tag@sha256:…` as the CLI resolved it when it created the
    /// service.
    pub image: String,
    /// The whole spec, as the engine returned it (saved in the hotfix journal).
    pub spec: serde_json::Value,
    /// `UpdateStatus`: state (`updating`, `completed`, `rollback_started`,
    /// `rollback_completed`, `paused`, …) and the engine's message.
    pub update_state: Option<String>,
    pub update_message: Option<String>,
    /// Replicas asked for (`None` for a global service).
    pub replicas: Option<u64>,
    /// The spec's health check, if it sets one (`None`: the image's own).
    pub has_healthcheck: bool,
}

/// A task of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskInfo {
    pub id: String,
    pub slot: Option<i64>,
    pub node_id: String,
    pub container_id: Option<String>,
    /// `running`, `starting`, `failed`, `shutdown`, …
    pub state: String,
    pub desired_state: String,
    /// The image of the task's spec.
    pub image: String,
    pub message: String,
    pub error: Option<String>,
}

/// A node of the swarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    pub id: String,
    pub hostname: String,
    pub addr: Option<String>,
    /// `ready`, `down`, …
    pub state: String,
}

/// How a service is rolled to a new image: the engine's `UpdateConfig` (and the same
/// `RollbackConfig` for the way back).
#[derive(Debug, Clone, PartialEq)]
pub struct RollPolicy {
    /// Tasks updated at once.
    pub parallelism: u64,
    /// Wait between two batches.
    pub delay: std::time::Duration,
    /// How long a new task is watched (its health check included) before it counts as
    /// updated.
    pub monitor: std::time::Duration,
    /// Share of failed tasks tolerated before the failure action.
    pub max_failure_ratio: f64,
}

impl Default for RollPolicy {
    fn default() -> Self {
        RollPolicy {
            parallelism: 1,
            delay: std::time::Duration::from_secs(2),
            monitor: std::time::Duration::from_secs(15),
            max_failure_ratio: 0.0,
        }
    }
}

fn nanos(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

fn api_error(message: String) -> ApiError {
    ApiError {
        status: None,
        message,
        timeout: None,
    }
}

fn service_info(s: bollard::models::Service) -> Result<ServiceInfo, ApiError> {
    let spec = s.spec.clone().unwrap_or_default();
    let image = spec
        .task_template
        .as_ref()
        .and_then(|t| t.container_spec.as_ref())
        .and_then(|c| c.image.clone())
        .unwrap_or_default();
    let has_healthcheck = spec
        .task_template
        .as_ref()
        .and_then(|t| t.container_spec.as_ref())
        .and_then(|c| c.health_check.as_ref())
        .and_then(|h| h.test.as_ref())
        .is_some_and(|t| t.first().map(String::as_str) != Some("NONE") && !t.is_empty());
    let status = s.update_status.clone();
    Ok(ServiceInfo {
        id: s.id.clone().unwrap_or_default(),
        name: spec.name.clone().unwrap_or_default(),
        version: s.version.and_then(|v| v.index).unwrap_or(0),
        image,
        spec: serde_json::to_value(&spec)
            .map_err(|e| api_error(format!("the service spec as JSON: {e}")))?,
        update_state: status
            .as_ref()
            .and_then(|u| u.state)
            .map(|s| s.to_string())
            .filter(|s| !s.is_empty()),
        update_message: status.and_then(|u| u.message).filter(|m| !m.is_empty()),
        replicas: spec
            .mode
            .as_ref()
            .and_then(|m| m.replicated.as_ref())
            .map(|r| r.replicas.unwrap_or(1).max(0) as u64),
        has_healthcheck,
    })
}

impl Bollard {
    pub(crate) async fn swarm_membership_impl(&self) -> Result<SwarmMembership, ApiError> {
        let info = self.0.info().await.map_err(ApiError::from)?;
        let swarm = info.swarm.unwrap_or_default();
        let node_id = swarm.node_id.filter(|n| !n.is_empty());
        Ok(SwarmMembership {
            manager: node_id.is_some() && swarm.control_available == Some(true),
            node_id,
        })
    }

    pub(crate) async fn inspect_service_impl(&self, name: &str) -> Result<ServiceInfo, ApiError> {
        let s = self
            .0
            .inspect_service(name, Some(InspectServiceOptionsBuilder::default().build()))
            .await
            .map_err(ApiError::from)?;
        service_info(s)
    }

    pub(crate) async fn service_tasks_impl(
        &self,
        service_id: &str,
    ) -> Result<Vec<TaskInfo>, ApiError> {
        let mut filters: HashMap<&str, Vec<&str>> = HashMap::new();
        filters.insert("service", vec![service_id]);
        let opts = ListTasksOptionsBuilder::default().filters(&filters).build();
        let tasks = self
            .0
            .list_tasks(Some(opts))
            .await
            .map_err(ApiError::from)?;
        let mut out: Vec<TaskInfo> = tasks
            .into_iter()
            .map(|t| {
                let status = t.status.unwrap_or_default();
                TaskInfo {
                    id: t.id.unwrap_or_default(),
                    slot: t.slot,
                    node_id: t.node_id.unwrap_or_default(),
                    container_id: status
                        .container_status
                        .and_then(|c| c.container_id)
                        .filter(|c| !c.is_empty()),
                    state: status.state.map(|s| s.to_string()).unwrap_or_default(),
                    desired_state: t.desired_state.map(|s| s.to_string()).unwrap_or_default(),
                    image: t
                        .spec
                        .and_then(|s| s.container_spec)
                        .and_then(|c| c.image)
                        .unwrap_or_default(),
                    message: status.message.unwrap_or_default(),
                    error: status.err.filter(|e| !e.is_empty()),
                }
            })
            .collect();
        out.sort_by(|a, b| (a.slot, &a.id).cmp(&(b.slot, &b.id)));
        Ok(out)
    }

    pub(crate) async fn nodes_impl(&self) -> Result<Vec<NodeInfo>, ApiError> {
        let nodes = self
            .0
            .list_nodes(None::<ListNodesOptions>)
            .await
            .map_err(ApiError::from)?;
        Ok(nodes
            .into_iter()
            .map(|n| {
                let status = n.status.unwrap_or_default();
                NodeInfo {
                    id: n.id.unwrap_or_default(),
                    hostname: n.description.and_then(|d| d.hostname).unwrap_or_default(),
                    addr: status.addr.filter(|a| !a.is_empty()),
                    state: status.state.map(|s| s.to_string()).unwrap_or_default(),
                }
            })
            .collect())
    }

    pub(crate) async fn update_service_image_impl(
        &self,
        name: &str,
        image: &str,
        policy: &RollPolicy,
        auth: Option<String>,
    ) -> Result<Vec<String>, ApiError> {
        let current = self
            .0
            .inspect_service(name, None)
            .await
            .map_err(ApiError::from)?;
        let version = current.version.and_then(|v| v.index).unwrap_or(0);
        let mut spec: ServiceSpec = current.spec.unwrap_or_default();
        let mut template = spec.task_template.unwrap_or_default();
        let mut container = template.container_spec.unwrap_or_default();
        container.image = Some(image.to_string());
        template.container_spec = Some(container);
        spec.task_template = Some(template);
        // Stop-first, as the engine's default: a replica never runs twice on one port.
        spec.update_config = Some(ServiceSpecUpdateConfig {
            parallelism: Some(policy.parallelism as i64),
            delay: Some(nanos(policy.delay)),
            failure_action: Some(ServiceSpecUpdateConfigFailureActionEnum::ROLLBACK),
            monitor: Some(nanos(policy.monitor)),
            max_failure_ratio: Some(policy.max_failure_ratio),
            order: Some(ServiceSpecUpdateConfigOrderEnum::STOP_FIRST),
        });
        spec.rollback_config = Some(ServiceSpecRollbackConfig {
            parallelism: Some(policy.parallelism as i64),
            delay: Some(0),
            failure_action: Some(ServiceSpecRollbackConfigFailureActionEnum::PAUSE),
            monitor: Some(nanos(policy.monitor)),
            max_failure_ratio: Some(0.0),
            order: Some(ServiceSpecRollbackConfigOrderEnum::STOP_FIRST),
        });
        let opts = UpdateServiceOptionsBuilder::default()
            .version(i32::try_from(version).unwrap_or(i32::MAX))
            .build();
        let credentials = auth.map(|a| DockerCredentials {
            auth: Some(a),
            ..Default::default()
        });
        let r = self
            .0
            .update_service(name, spec, opts, credentials)
            .await
            .map_err(ApiError::from)?;
        Ok(r.warnings.unwrap_or_default())
    }

    pub(crate) async fn rollback_service_impl(&self, name: &str) -> Result<Vec<String>, ApiError> {
        let current = self
            .0
            .inspect_service(name, None)
            .await
            .map_err(ApiError::from)?;
        let version = current.version.and_then(|v| v.index).unwrap_or(0);
        let opts = UpdateServiceOptionsBuilder::default()
            .version(i32::try_from(version).unwrap_or(i32::MAX))
            .rollback("previous")
            .build();
        let r = self
            .0
            .update_service(name, current.spec.unwrap_or_default(), opts, None)
            .await
            .map_err(ApiError::from)?;
        Ok(r.warnings.unwrap_or_default())
    }

    pub(crate) async fn tag_image_impl(
        &self,
        image: &str,
        repo: &str,
        tag: &str,
    ) -> Result<(), ApiError> {
        let opts = TagImageOptionsBuilder::default()
            .repo(repo)
            .tag(tag)
            .build();
        self.0
            .tag_image(image, Some(opts))
            .await
            .map_err(ApiError::from)
    }

    pub(crate) async fn push_image_impl(
        &self,
        repo: &str,
        tag: &str,
        auth: Option<String>,
    ) -> Result<Option<String>, ApiError> {
        let opts = PushImageOptionsBuilder::default().tag(tag).build();
        let credentials = auth.map(|a| DockerCredentials {
            auth: Some(a),
            ..Default::default()
        });
        let mut stream = self.0.push_image(repo, Some(opts), credentials);
        let mut digest = None;
        while let Some(item) = stream.next().await {
            let info = item.map_err(ApiError::from)?;
            if let Some(d) = info.status.as_deref().and_then(digest_in_status) {
                digest = Some(d);
            }
        }
        Ok(digest)
    }
}

/// The digest in a push's last status line: `TAG: digest: sha256:… size: N`.
pub fn digest_in_status(status: &str) -> Option<String> {
    let mut words = status.split_whitespace();
    while let Some(w) = words.next() {
        if w == "digest:" {
            return words
                .next()
                .filter(|d| d.starts_with("sha256:"))
                .map(str::to_string);
        }
    }
    None
}

/// The `auth` entry of the Docker CLI's `config.json` (`$DOCKER_CONFIG`, else
/// `~/.docker`) for a registry host: what the CLI sends as credentials for a push. A
/// credential helper (`credsStore`, `credHelpers`) is not run: `None` then, and the engine
/// pushes anonymously.
pub fn config_auth(registry: &str, config_json: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(config_json).ok()?;
    let auths = v.get("auths")?.as_object()?;
    let keys = [
        registry.to_string(),
        format!("https://{registry}"),
        format!("http://{registry}"),
        format!("https://{registry}/v1/"),
    ];
    let entry = keys.iter().find_map(|k| auths.get(k))?;
    let auth = entry.get("auth")?.as_str()?;
    let json = serde_json::json!({ "auth": auth, "serveraddress": registry });
    Some(base64_url(&json.to_string()))
}

/// URL-safe base64 with padding, as the engine reads `X-Registry-Auth`.
fn base64_url(s: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_status_digest() {
        assert_eq!(
            digest_in_status("hotfix: digest: sha256:abcd size: 1234").as_deref(),
            Some("sha256:abcd")
        );
        assert_eq!(digest_in_status("Pushed"), None);
    }

    #[test]
    fn base64_matches_the_reference() {
        assert_eq!(base64_url("f"), "Zg==");
        assert_eq!(base64_url("fo"), "Zm8=");
        assert_eq!(base64_url("foo"), "Zm9v");
        assert_eq!(base64_url("\u{fb}\u{ff}"), "w7vDvw==");
    }

    #[test]
    fn credentials_from_the_cli_config() {
        let cfg = r#"{"auths":{"registry.example:5000":{"auth":"dTpw"}}}"#;
        let a = config_auth("registry.example:5000", cfg).unwrap();
        assert!(!a.is_empty());
        assert_eq!(config_auth("other:5000", cfg), None);
        assert_eq!(config_auth("x", "not json"), None);
    }
}
