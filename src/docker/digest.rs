//! Image references to manifest digests, through the engine.
//!
//! A local image answers first: its `RepoDigests` entry for the reference's repository is the
//! manifest it was pulled by or pushed as — the image that was built and tested here. Else the
//! engine's distribution endpoint (`GET /distribution/{name}/json`) asks the registry which
//! manifest the tag names now, without pulling; for a multi-platform image that is the index
//! digest, which is what `FROM name:tag@digest` must name to build on every platform.
//!
//! The endpoint sends the registry only the credentials the client passes in `X-Registry-Auth`
//! (the engine keeps none of its own); pindrift passes none, so private repositories answer
//! [`DigestError::Unauthorized`].

use std::collections::HashMap;
use std::sync::Mutex;

use futures_util::future::BoxFuture;

use super::api::ApiError;
use super::{Engine, EngineApi};
use crate::lint::dockerfile::image_ref::{self, ImageRef};

/// How long the engine may take to hear from a registry (a firewalled registry would
/// otherwise hold every Dockerfile naming it for the engine's own TCP timeout).
pub const REGISTRY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Where a digest came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestOrigin {
    /// The local image's `RepoDigests`.
    Local,
    /// The registry, through the engine's distribution endpoint.
    Registry,
}

impl DigestOrigin {
    pub fn describe(self) -> &'static str {
        match self {
            DigestOrigin::Local => "digest of the local image",
            DigestOrigin::Registry => "digest from the registry",
        }
    }
}

/// A reference's manifest digest (`sha256:…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedDigest {
    pub digest: String,
    pub origin: DigestOrigin,
}

/// Why a reference has no digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    #[error("`{reference}` is not a valid image reference: {message}")]
    InvalidReference { reference: String, message: String },
    #[error("`{reference}` is not in its registry {registry} ({message}) and no local image of it has a registry digest")]
    NotFound {
        reference: String,
        registry: String,
        message: String,
    },
    #[error("the engine cannot reach the registry {registry} for `{reference}`: {message}")]
    Unreachable {
        reference: String,
        registry: String,
        message: String,
    },
    #[error("the registry {registry} refused to say what `{reference}` is ({message}); the engine asks it anonymously")]
    Unauthorized {
        reference: String,
        registry: String,
        message: String,
    },
    #[error("the local image `{reference}` has {count} digests for {repository} and the registry did not decide: {message}")]
    Ambiguous {
        reference: String,
        repository: String,
        count: usize,
        message: String,
    },
    #[error("the engine failed on `{reference}`: {message}")]
    Engine { reference: String, message: String },
    #[error("no Docker Engine to ask: {message}")]
    NoEngine { reference: String, message: String },
}

/// Resolves image references to digests; object safe, so `pin` takes any (the engine, a cache
/// over it, a table in tests).
pub trait DigestResolver: Send + Sync {
    fn resolve<'a>(
        &'a self,
        reference: &'a str,
    ) -> BoxFuture<'a, Result<ResolvedDigest, DigestError>>;
}

impl<A: EngineApi> DigestResolver for Engine<A> {
    fn resolve<'a>(
        &'a self,
        reference: &'a str,
    ) -> BoxFuture<'a, Result<ResolvedDigest, DigestError>> {
        Box::pin(self.resolve_digest(reference))
    }
}

/// Asks `inner` once per reference (a tree names the same base image in many Dockerfiles).
pub struct CachedDigests<R> {
    inner: R,
    seen: Mutex<HashMap<String, Result<ResolvedDigest, DigestError>>>,
}

impl<R: DigestResolver> CachedDigests<R> {
    pub fn new(inner: R) -> Self {
        CachedDigests {
            inner,
            seen: Mutex::new(HashMap::new()),
        }
    }

    pub fn inner(&self) -> &R {
        &self.inner
    }
}

impl<R: DigestResolver> DigestResolver for CachedDigests<R> {
    fn resolve<'a>(
        &'a self,
        reference: &'a str,
    ) -> BoxFuture<'a, Result<ResolvedDigest, DigestError>> {
        Box::pin(async move {
            if let Some(hit) = self
                .seen
                .lock()
                .ok()
                .and_then(|m| m.get(reference).cloned())
            {
                return hit;
            }
            let answer = self.inner.resolve(reference).await;
            if let Ok(mut m) = self.seen.lock() {
                m.insert(reference.to_string(), answer.clone());
            }
            answer
        })
    }
}

/// `docker.io/library/python` for `python`: the repository as the engine records it, so that
/// `RepoDigests` entries written either way compare equal.
pub fn canonical_repository(r: &ImageRef) -> String {
    let domain = match r.domain.as_deref() {
        None | Some("index.docker.io" | "registry-1.docker.io") => "docker.io",
        Some(d) => d,
    };
    if domain == "docker.io" && !r.path.contains('/') {
        format!("docker.io/library/{}", r.path)
    } else {
        format!("{domain}/{}", r.path)
    }
}

/// The registry host a reference lives in (`docker.io` when none is written).
pub fn registry_of(r: &ImageRef) -> String {
    r.domain.clone().unwrap_or_else(|| "docker.io".to_string())
}

/// The digests among `repo_digests` (`name@sha256:…`) that belong to `repository`
/// (canonical), deduplicated in order.
pub fn matching_digests(repo_digests: &[String], repository: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for entry in repo_digests {
        let Some((name, digest)) = entry.split_once('@') else {
            continue;
        };
        let Ok(r) = image_ref::parse(name) else {
            continue;
        };
        if canonical_repository(&r) == repository && !out.iter().any(|d| d == digest) {
            out.push(digest.to_string());
        }
    }
    out
}

impl<A: EngineApi> Engine<A> {
    /// The manifest digest `reference` names: the local image's, else the registry's.
    pub async fn resolve_digest(&self, reference: &str) -> Result<ResolvedDigest, DigestError> {
        let parsed = image_ref::parse(reference).map_err(|e| DigestError::InvalidReference {
            reference: reference.to_string(),
            message: e.0,
        })?;
        let repository = canonical_repository(&parsed);
        let registry = registry_of(&parsed);
        let local = match self.api().inspect_image(reference).await {
            Ok(image) => matching_digests(&image.repo_digests, &repository),
            Err(e) if e.status == Some(404) => Vec::new(),
            Err(e) => {
                return Err(DigestError::Engine {
                    reference: reference.to_string(),
                    message: e.message,
                })
            }
        };
        if let [only] = local.as_slice() {
            return Ok(ResolvedDigest {
                digest: only.clone(),
                origin: DigestOrigin::Local,
            });
        }
        let asked =
            tokio::time::timeout(REGISTRY_TIMEOUT, self.api().distribution_inspect(reference))
                .await
                .map_err(|_| DigestError::Unreachable {
                    reference: reference.to_string(),
                    registry: registry.clone(),
                    message: format!("no answer within {} s", REGISTRY_TIMEOUT.as_secs()),
                })?;
        match asked {
            Ok(info) => Ok(ResolvedDigest {
                digest: info.digest,
                origin: DigestOrigin::Registry,
            }),
            Err(e) if local.len() > 1 => Err(DigestError::Ambiguous {
                reference: reference.to_string(),
                repository,
                count: local.len(),
                message: e.message,
            }),
            Err(e) => Err(classify(reference, &registry, e)),
        }
    }
}

/// Sorts the engine's answer from the distribution endpoint into a [`DigestError`].
fn classify(reference: &str, registry: &str, e: ApiError) -> DigestError {
    let m = e.message.to_ascii_lowercase();
    let reference = reference.to_string();
    let registry = registry.to_string();
    let message = engine_message(&e.message);
    let any = |words: &[&str]| words.iter().any(|w| m.contains(w));
    if e.status == Some(404) || any(&["manifest unknown", "not found", "name unknown"]) {
        DigestError::NotFound {
            reference,
            registry,
            message,
        }
    } else if matches!(e.status, Some(401 | 403))
        || any(&[
            "unauthorized",
            "authentication required",
            "access denied",
            "denied",
        ])
    {
        DigestError::Unauthorized {
            reference,
            registry,
            message,
        }
    } else if any(&[
        "dial tcp",
        "connection refused",
        "no such host",
        "i/o timeout",
        "timeout",
        "tls",
        "http response to https client",
        "network is unreachable",
    ]) {
        DigestError::Unreachable {
            reference,
            registry,
            message,
        }
    } else {
        DigestError::Engine { reference, message }
    }
}

/// bollard words a server error `Docker responded with status code 404: manifest unknown`;
/// the part after the status is the engine's own message.
fn engine_message(m: &str) -> String {
    match m.split_once("status code ") {
        Some((_, rest)) => rest
            .split_once(": ")
            .map_or(rest, |(_, msg)| msg)
            .to_string(),
        None => m.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::api::DistributionInfo;
    use crate::docker::fake::Fake;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    fn engine(fake: &Fake) -> Engine<Fake> {
        Engine::with_api(fake.clone(), "fake://".into())
    }

    fn api_error(status: Option<u16>, message: &str) -> ApiError {
        ApiError {
            status,
            message: message.to_string(),
            timeout: None,
        }
    }

    #[test]
    fn canonical_names() {
        let c = |s: &str| canonical_repository(&image_ref::parse(s).unwrap());
        assert_eq!(c("python:3.11"), "docker.io/library/python");
        assert_eq!(c("docker.io/library/python"), "docker.io/library/python");
        assert_eq!(c("index.docker.io/python"), "docker.io/library/python");
        assert_eq!(c("team/app:1"), "docker.io/team/app");
        assert_eq!(c("localhost:5000/a/b:1"), "localhost:5000/a/b");
        assert_eq!(c("ghcr.io/o/i"), "ghcr.io/o/i");
    }

    #[test]
    fn repo_digests_match_by_repository() {
        let digests = vec![
            format!("python@{D1}"),
            format!("localhost:5000/python@{D2}"),
            format!("docker.io/library/python@{D1}"),
            "garbage".to_string(),
        ];
        assert_eq!(matching_digests(&digests, "docker.io/library/python"), [D1]);
        assert_eq!(matching_digests(&digests, "localhost:5000/python"), [D2]);
        assert!(matching_digests(&digests, "docker.io/library/pypy").is_empty());
    }

    #[tokio::test]
    async fn a_local_image_answers_from_its_repo_digests_without_asking_the_registry() {
        let fake = Fake::default();
        fake.0.lock().unwrap().local_tags.insert(
            "python:3.11-slim".into(),
            vec![format!("other/python@{D2}"), format!("python@{D1}")],
        );
        let got = engine(&fake).resolve_digest("python:3.11-slim").await;
        assert_eq!(
            got,
            Ok(ResolvedDigest {
                digest: D1.into(),
                origin: DigestOrigin::Local
            })
        );
        assert!(fake.0.lock().unwrap().distribution_calls.is_empty());
    }

    #[tokio::test]
    async fn a_local_image_without_a_digest_for_its_repository_asks_the_registry() {
        let fake = Fake::default();
        {
            let mut s = fake.0.lock().unwrap();
            // Built here and tagged: no digest of this repository.
            s.local_tags
                .insert("localhost:5000/app:1".into(), vec![format!("app@{D1}")]);
            s.registry.insert(
                "localhost:5000/app:1".into(),
                Ok(DistributionInfo {
                    digest: D2.into(),
                    media_type: None,
                    platforms: vec!["linux/amd64".into()],
                }),
            );
        }
        let got = engine(&fake).resolve_digest("localhost:5000/app:1").await;
        assert_eq!(
            got,
            Ok(ResolvedDigest {
                digest: D2.into(),
                origin: DigestOrigin::Registry
            })
        );
        assert_eq!(
            fake.0.lock().unwrap().distribution_calls,
            ["localhost:5000/app:1"]
        );
    }

    #[tokio::test]
    async fn registry_errors_are_typed() {
        let cases = [
            (
                api_error(
                    Some(404),
                    "Docker responded with status code 404: manifest unknown: manifest unknown",
                ),
                "NotFound",
            ),
            (
                api_error(Some(500), "Docker responded with status code 500: Get \"http://localhost:45999/v2/\": dial tcp 127.0.0.1:45999: connect: connection refused"),
                "Unreachable",
            ),
            (
                api_error(Some(401), "Docker responded with status code 401: unauthorized: authentication required"),
                "Unauthorized",
            ),
            (
                api_error(Some(500), "Docker responded with status code 500: something else"),
                "Engine",
            ),
        ];
        for (error, want) in cases {
            let fake = Fake::default();
            fake.0
                .lock()
                .unwrap()
                .registry
                .insert("localhost:5000/app:1".into(), Err(error.clone()));
            let got = engine(&fake)
                .resolve_digest("localhost:5000/app:1")
                .await
                .unwrap_err();
            let kind = match &got {
                DigestError::NotFound { registry, .. }
                | DigestError::Unreachable { registry, .. }
                | DigestError::Unauthorized { registry, .. } => {
                    assert_eq!(registry, "localhost:5000");
                    format!("{got:?}")
                }
                other => format!("{other:?}"),
            };
            assert!(kind.starts_with(want), "{error:?} → {kind}");
            assert!(
                !got.to_string().contains("Docker responded"),
                "the engine's own words only: {got}"
            );
        }
    }

    #[tokio::test]
    async fn two_local_digests_and_no_registry_is_ambiguous() {
        let fake = Fake::default();
        fake.0.lock().unwrap().local_tags.insert(
            "python:3".into(),
            vec![format!("python@{D1}"), format!("python@{D2}")],
        );
        let err = engine(&fake).resolve_digest("python:3").await.unwrap_err();
        assert!(
            matches!(err, DigestError::Ambiguous { count: 2, .. }),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn an_invalid_reference_never_reaches_the_engine() {
        let fake = Fake::default();
        let err = engine(&fake).resolve_digest("Python:3").await.unwrap_err();
        assert!(matches!(err, DigestError::InvalidReference { .. }));
        assert!(fake.0.lock().unwrap().distribution_calls.is_empty());
    }

    #[tokio::test]
    async fn the_cache_asks_once_per_reference() {
        let fake = Fake::default();
        fake.0.lock().unwrap().registry.insert(
            "a:1".into(),
            Ok(DistributionInfo {
                digest: D1.into(),
                media_type: None,
                platforms: Vec::new(),
            }),
        );
        let cached = CachedDigests::new(engine(&fake));
        for _ in 0..3 {
            assert_eq!(cached.resolve("a:1").await.map(|r| r.digest), Ok(D1.into()));
            assert!(cached.resolve("b:1").await.is_err());
        }
        assert_eq!(fake.0.lock().unwrap().distribution_calls, ["a:1", "b:1"]);
    }
}
