//! PD103: a VCS requirement on a branch, a tag or no revision at all.

use super::LineContext;
use crate::diagnostic::Finding;
use crate::fix::FixAvailability;
use crate::lint::requirements::pinning::PinStatus;
use crate::registry::Rule;

pub const RULE: Rule = Rule::VcsRefNotCommit;
/// Whether its findings carry a fix (the registry reads it from here).
pub const FIX: FixAvailability = FixAvailability::None;

pub fn check(ctx: &LineContext, out: &mut Vec<Finding>) {
    let PinStatus::VcsUnpinned { vcs, reference } = ctx.status else {
        return;
    };
    if ctx.exempt_from_pinning() {
        return;
    }
    let message = match reference {
        Some(reference) => format!(
            "{} revision `{reference}` is a branch, tag or short hash: it can move",
            vcs.name()
        ),
        None => format!(
            "{} URL without a revision installs whatever the default branch holds",
            vcs.name()
        ),
    };
    out.push(
        ctx.finding(RULE, message)
            .with_hint("append `@<full commit hash>` to the repository URL"),
    );
}
