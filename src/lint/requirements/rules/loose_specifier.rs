//! PD102: version specifiers that admit more than one version.

use super::PythonRequirement;
use crate::diagnostic::Violation;
use crate::fix::FixAvailability;
use crate::lint::requirements::pinning::{pinned_form, PinStatus};
use crate::registry::Rule;

pub const RULE: Rule = Rule::LooseSpecifier;
/// Whether its findings carry a fix (the registry reads it from here). `pin` will make one
/// when it knows the version to pin.
pub const FIX: FixAvailability = FixAvailability::None;

pub fn check(req: &PythonRequirement, out: &mut Vec<Violation>) {
    if !matches!(req.status, PinStatus::Loose { .. }) || req.exempt_from_pinning {
        return;
    }
    let pinned = pinned_form(req.text);
    out.push(
        Violation::new(
            RULE,
            format!("`{}` admits more than one version", req.without_marker()),
        )
        .with_hint(format!("use one exact version: `{pinned}`")),
    );
}
