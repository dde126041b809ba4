//! PD109 (note): local folders, archives and editable installs are pinned only by what
//! is on disk when the image is built. Not wrong, but worth knowing in an audit.

use super::LineContext;
use crate::diagnostic::Finding;
use crate::fix::FixAvailability;
use crate::lint::requirements::pinning::PinStatus;
use crate::registry::Rule;

pub const RULE: Rule = Rule::LocalRequirement;
/// Whether its findings carry a fix (the registry reads it from here).
pub const FIX: FixAvailability = FixAvailability::None;

pub fn check(ctx: &LineContext, out: &mut Vec<Finding>) {
    if ctx.requirement.editable {
        out.push(ctx.finding(
            RULE,
            "editable install: its version is whatever the working tree holds at build time",
        ));
    } else if *ctx.status == PinStatus::Local {
        out.push(ctx.finding(
            RULE,
            "local path: its version is whatever the folder holds at build time",
        ));
    }
}
