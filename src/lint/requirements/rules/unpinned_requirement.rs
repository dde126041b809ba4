//! PD101: a requirement with no version specifier at all.

use super::PythonRequirement;
use crate::diagnostic::Violation;
use crate::fix::FixAvailability;
use crate::lint::requirements::pinning::{pinned_form, PinStatus};
use crate::registry::Rule;

pub const RULE: Rule = Rule::UnpinnedRequirement;
/// Whether its findings carry a fix (the registry reads it from here). `pin` will make one
/// when it knows the version to pin.
pub const FIX: FixAvailability = FixAvailability::None;

pub fn check(req: &PythonRequirement, out: &mut Vec<Violation>) {
    if *req.status != PinStatus::NoSpecifier || req.exempt_from_pinning {
        return;
    }
    let name = req.display_name();
    let pinned = pinned_form(req.text);
    out.push(
        Violation::new(RULE, format!("`{name}` has no version specifier: any release may be installed"))
            .with_hint(format!("pin the version you tested, e.g. `{pinned}` (`pindrift drift` shows what a container runs)")),
    );
}
