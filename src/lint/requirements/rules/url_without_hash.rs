//! PD108 (strict): a direct URL to an archive with neither `#sha256=` nor `--hash`.

use super::LineContext;
use crate::diagnostic::Finding;
use crate::lint::requirements::pinning::PinStatus;

pub const CODE: &str = "PD108";

pub fn check(ctx: &LineContext, out: &mut Vec<Finding>) {
    if !ctx.settings.strict() || !ctx.requirement.hashes.is_empty() {
        return;
    }
    if let PinStatus::DirectUrl { hashed: false } = ctx.status {
        out.push(
            ctx.finding(
                CODE,
                "the file behind this URL can change without anyone noticing",
            )
            .with_hint("append `#sha256=<digest>` to the URL or add `--hash=sha256:<digest>`"),
        );
    }
}
