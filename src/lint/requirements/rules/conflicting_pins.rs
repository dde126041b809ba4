//! PD104: one package pinned to two different versions by files of one install.
//! pip fails with "Cannot install ... because these package versions have conflicting
//! dependencies" — or, with constraints, silently follows the constraint.

use crate::diagnostic::Finding;
use crate::diagnostic::Span;
use crate::fix::FixAvailability;
use crate::registry::Rule;
use crate::source::SourceFile;
use pep508_rs::pep440_rs::Version;
use rustc_hash::FxHashMap as HashMap;
use std::str::FromStr;

pub const RULE: Rule = Rule::ConflictingPins;
/// Whether its findings carry a fix (the registry reads it from here).
pub const FIX: FixAvailability = FixAvailability::None;

/// The first exact pin of each package (and marker) of an install, as its lines are read:
/// one entry per package, however many lines pin it.
#[derive(Default)]
pub struct Pins<'a> {
    first_seen: HashMap<(String, Option<String>), FirstPin<'a>>,
}

/// Where a package was first pinned, and to what.
struct FirstPin<'a> {
    source: &'a SourceFile,
    span: Span,
    version: String,
}

impl<'a> Pins<'a> {
    /// Notes the pin of `normalized_name` to `version` at `span` of `source` (in reading
    /// order) and reports it when an earlier pin of the install says another version.
    pub fn check(
        &mut self,
        source: &'a SourceFile,
        normalized_name: &str,
        version: String,
        marker: Option<&str>,
        span: Span,
        out: &mut Vec<Finding>,
    ) {
        let key = (normalized_name.to_string(), marker.map(str::to_string));
        let Some(first) = self.first_seen.get(&key) else {
            self.first_seen.insert(
                key,
                FirstPin {
                    source,
                    span,
                    version,
                },
            );
            return;
        };
        if same_version(&first.version, &version) {
            return;
        }
        let (line, _) = first.source.line_col(first.span.start);
        out.push(
            Finding::new(
                RULE,
                source,
                span,
                format!(
                    "`{normalized_name}` is pinned to {version} here but to {} at {}:{line}",
                    first.version, first.source.display
                ),
            )
            .with_hint("keep one pin per package for each install"),
        );
    }
}

/// PEP 440 equality (`1.0` equals `1.0.0`); falls back to text for unparseable versions.
fn same_version(a: &str, b: &str) -> bool {
    match (Version::from_str(a), Version::from_str(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
