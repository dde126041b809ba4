//! PD103: a VCS requirement on a branch, a tag or no revision at all, and an archive URL a
//! code host makes from a branch (`…/archive/refs/heads/main.zip`), unless a hash holds it.

use super::PythonRequirement;
use crate::diagnostic::Violation;
use crate::fix::FixAvailability;
use crate::lint::requirements::pinning::PinStatus;
use crate::registry::Rule;

pub const RULE: Rule = Rule::VcsRefNotCommit;
/// Whether its findings carry a fix (the registry reads it from here).
pub const FIX: FixAvailability = FixAvailability::None;

pub fn check(req: &PythonRequirement, out: &mut Vec<Violation>) {
    if let PinStatus::BranchArchive {
        host,
        reference,
        hashed,
    } = req.status
    {
        // A hash holds the content: a moved branch fails the install instead of changing it.
        if req.exempt_from_pinning || *hashed || req.hashed {
            return;
        }
        let from = match reference {
            Some(r) => format!("branch `{r}`"),
            None => "the default branch".to_string(),
        };
        out.push(
            Violation::new(
                RULE,
                format!("{host} builds this archive from {from} on each download: it moves with every push"),
            )
            .with_hint("use the archive of a full commit hash or a released file instead of a branch"),
        );
        return;
    }
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
