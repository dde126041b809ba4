//! Pinning packages in place. (A placeholder: helper C's module replaces it and keeps this
//! signature, which rollback calls.)

use super::{HotfixError, Journal, StepId};
use crate::docker::{Engine, EngineApi};

/// Undo the `PipInstall` step `of_step`: put back the saved distributions, offline. It
/// records its own `RestoreDists` step, and is idempotent (rollback may run it again after
/// an interruption).
pub async fn undo<A: EngineApi>(
    _engine: &Engine<A>,
    _journal: &mut Journal,
    _of_step: StepId,
) -> Result<(), HotfixError> {
    Err(HotfixError::NotBuilt("undoing hotfix pin"))
}
