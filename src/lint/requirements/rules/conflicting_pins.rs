//! PD104: one package pinned to two different versions by files of one install.
//! pip fails with "Cannot install ... because these package versions have conflicting
//! dependencies" — or, with constraints, silently follows the constraint.

use crate::diagnostic::Finding;
use crate::fix::FixAvailability;
use crate::lint::requirements::parse::RequirementsFile;
use crate::registry::Rule;
use pep508_rs::pep440_rs::Version;
use rustc_hash::FxHashMap as HashMap;
use std::str::FromStr;

pub const RULE: Rule = Rule::ConflictingPins;
/// Whether its findings carry a fix (the registry reads it from here).
pub const FIX: FixAvailability = FixAvailability::None;

/// One exact pin of an install, in reading order.
pub struct PinSite<'a> {
    pub file: &'a RequirementsFile,
    pub normalized_name: &'a str,
    pub version: String,
    pub marker: Option<&'a str>,
    pub span: crate::diagnostic::Span,
}

pub fn check(pins: &[PinSite], out: &mut Vec<Finding>) {
    let mut first_seen: HashMap<(&str, Option<&str>), &PinSite> = HashMap::default();
    for pin in pins {
        let key = (pin.normalized_name, pin.marker);
        match first_seen.get(&key) {
            None => {
                first_seen.insert(key, pin);
            }
            Some(first) if !same_version(&first.version, &pin.version) => {
                let (line, _) = first.file.source.line_col(first.span.start);
                out.push(
                    Finding::new(
                        RULE,
                        &pin.file.source,
                        pin.span,
                        format!(
                            "`{}` is pinned to {} here but to {} at {}:{line}",
                            pin.normalized_name,
                            pin.version,
                            first.version,
                            first.file.source.display
                        ),
                    )
                    .with_hint("keep one pin per package for each install"),
                );
            }
            Some(_) => {}
        }
    }
}

/// PEP 440 equality (`1.0` equals `1.0.0`); falls back to text for unparseable versions.
fn same_version(a: &str, b: &str) -> bool {
    match (Version::from_str(a), Version::from_str(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
