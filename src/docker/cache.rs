//! The image inventory cache ([`crate::inventory::cache`]) as the engine code uses it: files
//! are read and written on blocking threads, never in async code.

use crate::inventory::cache::{self, Cached, Proofs, Roots};

use super::{Engine, EngineApi};

impl<A: EngineApi> Engine<A> {
    pub(super) async fn load_cache(&self, image_id: &str) -> Option<Cached> {
        let dir = self.cache_dir.clone()?;
        if let Some(c) = self.remembered(image_id) {
            return Some(c);
        }
        let id = image_id.to_string();
        let loaded = tokio::task::spawn_blocking(move || cache::load_entry(&dir, &id))
            .await
            .ok()
            .flatten()?;
        self.remember(image_id, &loaded);
        Some(loaded)
    }

    fn remembered(&self, image_id: &str) -> Option<Cached> {
        self.loaded.lock().ok()?.get(image_id).cloned()
    }

    fn remember(&self, image_id: &str, entry: &Cached) {
        if let Ok(mut map) = self.loaded.lock() {
            map.insert(image_id.to_string(), entry.clone());
        }
    }

    /// Add what a read learned about an image (content and proofs) to its cache entry.
    /// Failing to write the cache does not fail the run.
    pub(super) async fn store_cache(
        &self,
        image_id: &str,
        known: Cached,
        learned: Roots,
        learned_proofs: Proofs,
    ) {
        let Some(dir) = self.cache_dir.clone() else {
            return;
        };
        if learned.is_empty() && learned_proofs.is_empty() {
            return;
        }
        let Cached {
            mut roots,
            mut proofs,
        } = known;
        roots.extend(learned);
        proofs.extend(learned_proofs);
        let entry = Cached { roots, proofs };
        self.remember(image_id, &entry);
        let Cached { roots, proofs } = entry;
        let image_id = image_id.to_string();
        let _ = tokio::task::spawn_blocking(move || {
            cache::store_entry(&dir, &image_id, &roots, &proofs)
        })
        .await;
    }
}
