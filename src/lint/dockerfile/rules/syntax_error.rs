//! PD001 (shared with requirements files): a Dockerfile BuildKit would reject — an unknown
//! instruction (template markup such as Jinja `{% if %}`), an unterminated heredoc, an invalid
//! parser directive, an invalid image reference. Reported once per file, at the exact token.

use crate::fix::FixAvailability;
use crate::registry::Rule;

use crate::diagnostic::{Finding, Span};
use crate::source::SourceFile;

pub const RULE: Rule = Rule::SyntaxError;
/// Whether its findings carry a fix (the registry reads it from here).
pub const FIX: FixAvailability = FixAvailability::None;

pub fn finding(source: &SourceFile, span: Span, message: &str) -> Finding {
    // The message may quote the file: short and escaped (`crate::lint::bounded_message`).
    let message = crate::lint::bounded_message(message);
    Finding::new(RULE, source, span, message)
        .with_hint("docker build would fail here; if this is a template, lint the rendered file")
}
