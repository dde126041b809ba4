//! PD102: version specifiers that admit more than one version.

use super::LineContext;
use crate::diagnostic::Finding;
use crate::fix::FixAvailability;
use crate::lint::requirements::pinning::{pinned_form, PinStatus};
use crate::registry::Rule;

pub const RULE: Rule = Rule::LooseSpecifier;
/// Whether its findings carry a fix (the registry reads it from here).
pub const FIX: FixAvailability = FixAvailability::None;

pub fn check(ctx: &LineContext, out: &mut Vec<Finding>) {
    let PinStatus::Loose { specifiers } = ctx.status else {
        return;
    };
    if ctx.exempt_from_pinning() {
        return;
    }
    let pinned = pinned_form(&ctx.requirement.text);
    out.push(
        ctx.finding(
            RULE,
            format!(
                "`{}` admits more than one version",
                written(ctx, specifiers)
            ),
        )
        .with_hint(format!("use one exact version: `{pinned}`")),
    );
}

/// The requirement as written, without its marker.
fn written<'a>(ctx: &'a LineContext, specifiers: &'a str) -> &'a str {
    ctx.requirement
        .text
        .split(';')
        .next()
        .map_or(specifiers, str::trim)
}
