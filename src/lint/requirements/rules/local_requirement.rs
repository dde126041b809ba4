//! PD109 (note): local folders, archives and editable installs are pinned only by what
//! is on disk when the image is built. Not wrong, but worth knowing in an audit.

use super::PythonRequirement;
use crate::diagnostic::Violation;
use crate::fix::FixAvailability;
use crate::lint::requirements::pinning::PinStatus;
use crate::registry::Rule;

pub const RULE: Rule = Rule::LocalRequirement;
/// Whether its findings carry a fix (the registry reads it from here).
pub const FIX: FixAvailability = FixAvailability::None;

pub fn check(req: &PythonRequirement, out: &mut Vec<Violation>) {
    let what = req.text.trim();
    if req.editable {
        out.push(Violation::new(
            RULE,
            format!("`{what}` is an editable install: its version is whatever the working tree holds at build time"),
        ));
    } else if *req.status == PinStatus::Local {
        out.push(Violation::new(
            RULE,
            format!(
                "`{what}` is a local path: its version is whatever the folder holds at build time"
            ),
        ));
    }
}
