//! Requirement rules, one file each. Per-line rules take a [`LineContext`]; the
//! install-wide rule (conflicting pins) takes every pin of one install.

pub mod conflicting_pins;
pub mod local_requirement;
pub mod loose_specifier;
pub mod missing_hash;
pub mod unpinned_requirement;
pub mod url_without_hash;
pub mod vcs_ref_not_commit;

use super::install::Install;
use super::parse::{RequirementLine, RequirementsFile};
use super::pinning::PinStatus;
use crate::config::Settings;
use crate::diagnostic::Finding;
use crate::registry::Rule;

/// What a per-line rule sees.
pub struct LineContext<'a> {
    pub file: &'a RequirementsFile,
    pub requirement: &'a RequirementLine,
    pub status: &'a PinStatus,
    /// The line is read as a constraint (`-c`), not installed.
    pub is_constraint: bool,
    /// A constraints file of this install pins the package exactly.
    pub pinned_by_constraint: Option<&'a str>,
    pub install: &'a Install,
    pub settings: &'a Settings,
}

impl LineContext<'_> {
    pub fn finding(&self, code: Rule, message: impl Into<String>) -> Finding {
        Finding::new(code, &self.file.source, self.requirement.span, message)
    }

    pub fn display_name(&self) -> String {
        self.requirement
            .requirement
            .name
            .clone()
            .unwrap_or_else(|| self.requirement.text.clone())
    }

    /// Pinning rules do not apply: the line is read as a constraint (a cap such as
    /// `Django<6.0` narrows, it installs nothing), a constraints file pins the package
    /// exactly, or configuration lets it float.
    pub fn exempt_from_pinning(&self) -> bool {
        self.is_constraint || self.pinned_by_constraint.is_some() || self.allowed_to_float()
    }

    /// The package may float by configuration.
    pub fn allowed_to_float(&self) -> bool {
        self.requirement
            .requirement
            .name
            .as_deref()
            .is_some_and(|name| self.settings.allows_floating(name))
    }
}

/// Runs every per-line rule.
pub fn check_line(ctx: &LineContext, out: &mut Vec<Finding>) {
    unpinned_requirement::check(ctx, out);
    loose_specifier::check(ctx, out);
    vcs_ref_not_commit::check(ctx, out);
    missing_hash::check(ctx, out);
    url_without_hash::check(ctx, out);
    local_requirement::check(ctx, out);
}
