//! PD108 (strict): a direct URL to an archive with neither `#sha256=` nor `--hash`.

use super::LineContext;
use crate::diagnostic::Finding;
use crate::fix::FixAvailability;
use crate::lint::requirements::pinning::PinStatus;
use crate::registry::Rule;

pub const RULE: Rule = Rule::UrlWithoutHash;
/// Whether its findings carry a fix (the registry reads it from here).
pub const FIX: FixAvailability = FixAvailability::None;

pub fn check(ctx: &LineContext, out: &mut Vec<Finding>) {
    if !ctx.settings.strict() || !ctx.requirement.hashes.is_empty() {
        return;
    }
    if let PinStatus::DirectUrl { hashed: false } = ctx.status {
        out.push(
            ctx.finding(
                RULE,
                "the file behind this URL can change without anyone noticing",
            )
            .with_hint("append `#sha256=<digest>` to the URL or add `--hash=sha256:<digest>`"),
        );
    }
}
