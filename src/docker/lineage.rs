//! What an image says about where it came from: its id, tags and digests, the base image its
//! labels name (`org.opencontainers.image.base.name` / `.base.digest`), its layer chain, and
//! the tagged local images its history passes through. Read for `audit` (base image of the
//! candidate versus the running image); nothing is guessed here, only collected.

use super::api::HistoryEntry;
use super::{Engine, EngineApi, EngineError};

/// The OCI annotation (and label) naming the base image's reference.
pub const BASE_NAME_LABEL: &str = "org.opencontainers.image.base.name";
/// The OCI annotation (and label) naming the base image's manifest digest.
pub const BASE_DIGEST_LABEL: &str = "org.opencontainers.image.base.digest";

/// An image's identity and ancestry, as the engine knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageLineage {
    /// `sha256:…` image id.
    pub id: String,
    pub repo_tags: Vec<String>,
    pub repo_digests: Vec<String>,
    /// `org.opencontainers.image.base.name`.
    pub base_name_label: Option<String>,
    /// `org.opencontainers.image.base.digest`.
    pub base_digest_label: Option<String>,
    /// The layer chain (`RootFS.Layers`), base first.
    pub layers: Vec<String>,
    /// Tagged local images in the history, nearest first, the image itself left out:
    /// (image id, tags, layers).
    pub tagged_ancestors: Vec<Ancestor>,
}

/// A tagged local image the history passes through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ancestor {
    pub id: String,
    pub tags: Vec<String>,
    /// Its layer chain (a prefix of the descendant's).
    pub layers: Vec<String>,
}

impl<A: EngineApi> Engine<A> {
    /// The lineage of image `reference` (a tag or an id). A history the engine cannot give
    /// leaves `tagged_ancestors` empty; an image that does not exist is an error.
    pub async fn image_lineage(&self, reference: &str) -> Result<ImageLineage, EngineError> {
        let config = self
            .api
            .inspect_image(reference)
            .await
            .map_err(|e| match e.status {
                Some(404) => EngineError::NoSuchImage(reference.to_string()),
                _ => EngineError::api(format!("inspecting image {reference}"), e),
            })?;
        let id = config.id.clone().unwrap_or_else(|| reference.to_string());
        let history: Vec<HistoryEntry> = self.api.image_history(&id).await.unwrap_or_default();
        let mut tagged_ancestors = Vec::new();
        for entry in history.iter().skip(1) {
            let tags: Vec<String> = entry
                .tags
                .iter()
                .filter(|t| !t.is_empty() && *t != "<none>:<none>")
                .cloned()
                .collect();
            if entry.id.is_empty() || entry.id == "<missing>" || entry.id == id || tags.is_empty() {
                continue;
            }
            let layers = match self.api.inspect_image(&entry.id).await {
                Ok(c) => c.layers,
                Err(_) => Vec::new(),
            };
            tagged_ancestors.push(Ancestor {
                id: entry.id.clone(),
                tags,
                layers,
            });
        }
        let label = |key: &str| {
            config
                .labels
                .get(key)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        Ok(ImageLineage {
            id,
            repo_tags: config.repo_tags.clone(),
            repo_digests: config.repo_digests.clone(),
            base_name_label: label(BASE_NAME_LABEL),
            base_digest_label: label(BASE_DIGEST_LABEL),
            layers: config.layers,
            tagged_ancestors,
        })
    }
}
