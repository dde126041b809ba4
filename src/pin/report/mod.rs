//! What `pin` tells the user: a summary table per file ([`human`]), a unified diff
//! ([`diff`]) and the plan as JSON ([`json`]). Rendering returns text; the CLI prints it.

pub mod diff;
pub mod human;
pub mod json;

/// File text shown in a report: control characters escaped, so a file cannot drive the
/// terminal.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}
