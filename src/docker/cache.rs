//! The image inventory cache ([`crate::inventory::cache`]) as the engine code uses it: files
//! are read and written on blocking threads, never in async code.

use crate::inventory::cache::{self, Roots};

use super::{Engine, EngineApi};

impl<A: EngineApi> Engine<A> {
    pub(super) async fn load_cache(&self, image_id: &str) -> Option<Roots> {
        let dir = self.cache_dir.clone()?;
        let image_id = image_id.to_string();
        tokio::task::spawn_blocking(move || cache::load(&dir, &image_id))
            .await
            .ok()
            .flatten()
    }

    /// Add what a read learned about an image to its cache entry. Failing to write the cache
    /// does not fail the run.
    pub(super) async fn store_cache(&self, image_id: &str, mut base: Roots, learned: Roots) {
        let Some(dir) = self.cache_dir.clone() else {
            return;
        };
        if learned.is_empty() {
            return;
        }
        base.extend(learned);
        let image_id = image_id.to_string();
        let _ = tokio::task::spawn_blocking(move || cache::store(&dir, &image_id, &base)).await;
    }
}
