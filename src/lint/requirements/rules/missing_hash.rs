//! PD107: a requirement without `--hash`. Reported in the strict profile, and in any
//! profile once the install is in pip's hash-checking mode (one `--hash` anywhere, or
//! `--require-hashes`), where pip refuses every requirement without one.

use super::LineContext;
use crate::diagnostic::Finding;
use crate::fix::FixAvailability;
use crate::registry::Rule;

pub const RULE: Rule = Rule::MissingHash;
/// Whether its findings carry a fix (the registry reads it from here).
pub const FIX: FixAvailability = FixAvailability::None;

pub fn check(ctx: &LineContext, out: &mut Vec<Finding>) {
    if ctx.is_constraint || ctx.requirement.editable || !ctx.requirement.hashes.is_empty() {
        return;
    }
    if ctx.install.hash_checking {
        let mut finding = ctx.finding(
            RULE,
            format!(
                "`{}` has no --hash, but this install is in hash-checking mode: pip will refuse it",
                ctx.python_requirement().display_name()
            ),
        );
        finding.level = crate::diagnostic::Level::Error;
        out.push(finding.with_hint("add `--hash=sha256:<digest>` for every file of the release (pip-compile --generate-hashes does this)"));
    } else if ctx.settings.strict() {
        out.push(
            ctx.finding(
                RULE,
                format!(
                    "`{}` has no --hash: the downloaded file is not verified",
                    ctx.python_requirement().display_name()
                ),
            )
            .with_hint("add `--hash=sha256:<digest>` (pip-compile --generate-hashes does this)"),
        );
    }
}
