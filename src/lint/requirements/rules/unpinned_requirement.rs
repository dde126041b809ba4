//! PD101: a requirement with no version specifier at all.

use super::LineContext;
use crate::diagnostic::Finding;
use crate::fix::FixAvailability;
use crate::lint::requirements::pinning::{pinned_form, PinStatus};
use crate::registry::Rule;

pub const RULE: Rule = Rule::UnpinnedRequirement;
/// Whether its findings carry a fix (the registry reads it from here).
pub const FIX: FixAvailability = FixAvailability::None;

pub fn check(ctx: &LineContext, out: &mut Vec<Finding>) {
    if *ctx.status != PinStatus::NoSpecifier || ctx.exempt_from_pinning() {
        return;
    }
    let name = ctx.display_name();
    let pinned = pinned_form(&ctx.requirement.text);
    out.push(
        ctx.finding(RULE, format!("`{name}` has no version specifier: any release may be installed"))
            .with_hint(format!("pin the version you tested, e.g. `{pinned}` (`pindrift drift` shows what a container runs)")),
    );
}
