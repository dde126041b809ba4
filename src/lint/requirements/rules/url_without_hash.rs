//! PD108 (strict): a direct URL to an archive with neither `#sha256=` nor `--hash`.

use super::PythonRequirement;
use super::Site;
use crate::diagnostic::Violation;
use crate::fix::FixAvailability;
use crate::lint::requirements::pinning::PinStatus;
use crate::registry::Rule;

pub const RULE: Rule = Rule::UrlWithoutHash;
/// Whether its findings carry a fix (the registry reads it from here).
pub const FIX: FixAvailability = FixAvailability::None;

pub fn check(req: &PythonRequirement, out: &mut Vec<Violation>) {
    if !req.strict || req.hashed {
        return;
    }
    if let PinStatus::DirectUrl { hashed: false } = req.status {
        // `--hash` is a requirements-file option: pip's command line has none.
        let hint = match req.site {
            Site::RequirementsFile => {
                "append `#sha256=<digest>` to the URL or add `--hash=sha256:<digest>`"
            }
            Site::CommandLine => "append `#sha256=<digest>` to the URL",
        };
        out.push(
            Violation::new(
                RULE,
                "the file behind this URL can change without anyone noticing",
            )
            .with_hint(hint),
        );
    }
}
