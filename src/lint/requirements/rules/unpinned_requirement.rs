//! PD101: a requirement with no version specifier at all.

use super::LineContext;
use crate::diagnostic::Finding;
use crate::lint::requirements::pinning::{pinned_form, PinStatus};

pub const CODE: &str = "PD101";

pub fn check(ctx: &LineContext, out: &mut Vec<Finding>) {
    if *ctx.status != PinStatus::NoSpecifier || ctx.exempt_from_pinning() {
        return;
    }
    let name = ctx.display_name();
    let pinned = pinned_form(&ctx.requirement.text);
    out.push(
        ctx.finding(CODE, format!("`{name}` has no version specifier: any release may be installed"))
            .with_hint(format!("pin the version you tested, e.g. `{pinned}` (`pindrift drift` shows what a container runs)")),
    );
}
