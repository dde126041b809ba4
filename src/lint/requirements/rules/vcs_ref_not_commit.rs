//! PD103: a VCS requirement on a branch, a tag or no revision at all.

use super::PythonRequirement;
use crate::diagnostic::Violation;
use crate::fix::FixAvailability;
use crate::lint::requirements::pinning::PinStatus;
use crate::registry::Rule;

pub const RULE: Rule = Rule::VcsRefNotCommit;
/// Whether its findings carry a fix (the registry reads it from here).
pub const FIX: FixAvailability = FixAvailability::None;

pub fn check(req: &PythonRequirement, out: &mut Vec<Violation>) {
    let PinStatus::VcsUnpinned { vcs, reference } = req.status else {
        return;
    };
    if req.exempt_from_pinning {
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
        Violation::new(RULE, message)
            .with_hint("append `@<full commit hash>` to the repository URL"),
    );
}
