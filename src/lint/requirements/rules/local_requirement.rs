//! PD109 (note): local folders, archives and editable installs are pinned only by what
//! is on disk when the image is built. Not wrong, but worth knowing in an audit.

use super::LineContext;
use crate::diagnostic::Finding;
use crate::lint::requirements::pinning::PinStatus;

pub const CODE: &str = "PD109";

pub fn check(ctx: &LineContext, out: &mut Vec<Finding>) {
    if ctx.requirement.editable {
        out.push(ctx.finding(
            CODE,
            "editable install: its version is whatever the working tree holds at build time",
        ));
    } else if *ctx.status == PinStatus::Local {
        out.push(ctx.finding(
            CODE,
            "local path: its version is whatever the folder holds at build time",
        ));
    }
}
