//! Temporary containers: created from an image (never started, no network, labelled with
//! the session), removed whatever happens — after errors, SIGINT and SIGTERM too.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use super::api::NewContainer;
use super::{ContainerFilter, Engine, EngineApi, EngineError, SESSION_LABEL};

async fn remove_container<A: EngineApi>(api: &A, id: &str) {
    for _ in 0..600 {
        match api.remove_container(id).await {
            Ok(()) => return,
            Err(e) if e.status == Some(404) => return,
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
}

/// `app:1 (sha256:0123456789ab)`, or the short id alone when that is the reference.
fn describe(reference: &str, image_id: &str) -> String {
    let id = image_id.strip_prefix("sha256:").unwrap_or(image_id);
    let id = super::short(id);
    let bare = reference.strip_prefix("sha256:").unwrap_or(reference);
    if id.starts_with(bare) || bare.starts_with(&id) {
        format!("sha256:{id}")
    } else {
        format!("{reference} (sha256:{id})")
    }
}

impl<A: EngineApi> Engine<A> {
    /// `reference` names the image in messages (`app:1`); the container is created from
    /// `image_id`, the id pindrift inspected, so a tag moved meanwhile is never read.
    pub(super) async fn create_temp(
        &self,
        reference: &str,
        image_id: &str,
    ) -> Result<String, EngineError> {
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let name = format!("pindrift-drift-{}-{n}", self.session);
        let mut labels = HashMap::new();
        labels.insert(SESSION_LABEL.to_string(), self.session.clone());
        let spec = NewContainer {
            name,
            image: image_id.to_string(),
            // Never started; a command is only needed for images that have none.
            cmd: vec!["/pindrift-never-started".to_string()],
            labels,
        };
        // The name and the session label are set before the request is sent, and the request
        // runs as its own task: if this read is interrupted, `cleanup` waits for it and then
        // finds the container by label and name, even if its id was never seen here.
        let api = self.api.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(async move {
            let _ = tx.send(api.create_container(spec).await);
        });
        if let Ok(mut p) = self.pending.lock() {
            p.push(task);
        }
        let created = rx
            .await
            .map_err(|e| EngineError::Api {
                context: format!("creating a container from {image_id}"),
                message: e.to_string(),
            })?
            .map_err(|e| {
                // Removed (`docker rmi -f`) since pindrift inspected it: say so, not a 404.
                if e.image_gone() {
                    EngineError::ImageGone(describe(reference, image_id))
                } else {
                    EngineError::api(format!("creating a container from {image_id}"), e)
                }
            })?;
        Ok(created)
    }

    /// Remove a container and wait until it is gone: a removal already in progress (409, e.g.
    /// one an interrupted read started) or any other refusal is retried, for up to a minute;
    /// only "no such container" (or success) ends it.
    async fn remove(&self, id: &str) {
        remove_container(&self.api, id).await;
    }

    /// Remove a temporary container in a task of its own, so that an interrupted read cannot
    /// cut the removal short; `cleanup` waits for it.
    pub(super) fn remove_detached(&self, id: &str) {
        let api = self.api.clone();
        let id = id.to_string();
        let task = tokio::spawn(async move { remove_container(&api, &id).await });
        if let Ok(mut p) = self.pending.lock() {
            p.push(task);
        }
    }

    /// Remove every temporary container this run created (also after SIGINT, SIGTERM or an
    /// error): wait for creations still in flight, then remove by session label and by name.
    pub async fn cleanup(&self) {
        let pending: Vec<_> = match self.pending.lock() {
            Ok(mut p) => std::mem::take(&mut *p),
            Err(_) => Vec::new(),
        };
        for task in pending {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(60), task).await;
        }
        for n in 0..self.counter.load(Ordering::SeqCst) {
            self.remove(&format!("pindrift-drift-{}-{n}", self.session))
                .await;
        }
        let mine = ContainerFilter::AllWithLabel(format!("{SESSION_LABEL}={}", self.session));
        // Until the engine lists none (a removal it was still finishing included).
        for _ in 0..100 {
            let Ok(list) = self.api.list_containers(mine.clone()).await else {
                return;
            };
            if list.is_empty() {
                return;
            }
            for c in list {
                self.remove(&c.id).await;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}
