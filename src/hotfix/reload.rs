//! Reloading the service after a change. (A placeholder: helper B's module replaces it and
//! keeps this signature, which rollback calls.)

use super::{HotfixError, Journal};
use crate::docker::{Engine, EngineApi};

/// Reload the container's service with `strategy` (`auto`, `hup`, `usr2`, `restart`),
/// recording the step in `journal`.
pub async fn reload<A: EngineApi>(
    _engine: &Engine<A>,
    _journal: &mut Journal,
    _strategy: &str,
) -> Result<serde_json::Value, HotfixError> {
    Err(HotfixError::NotBuilt("hotfix reload"))
}
