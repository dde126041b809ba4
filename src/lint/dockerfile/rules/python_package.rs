//! Python packages in `RUN` (pip, `python -m pip`, `uv pip`, `uv tool`, pipx): each argument is
//! parsed by the requirements parser and judged by the same rules as a requirements line
//! ([`check_requirement`]: PD101 no specifier, PD102 loose, PD103 VCS ref not a commit, PD108
//! strict: URL archive without hash, PD109 note: local path or editable), at the argument.

use super::super::installers::{Arg, Package};
use super::super::Cx;
use crate::lint::requirements::pinning::pin_status;
use crate::lint::requirements::requirement::parse_requirement;
use crate::lint::requirements::rules::{check_requirement, PythonRequirement, Site};

pub fn check(cx: &mut Cx, arg: &Arg, p: &Package, constraint_pins: &[String]) {
    let text = p.text.trim();
    let req = match parse_requirement(text) {
        Ok(req) => req,
        // A shell glob (`*.whl`) or `~` path is expanded before pip sees it.
        Err(_) if text.contains(['*', '?']) || text.starts_with('~') => return,
        Err(message) => {
            // pip stops the build on it: reported, not dropped.
            let f = super::syntax_error::finding(
                cx.source,
                arg.span,
                &format!("pip cannot read the requirement `{text}`: {message}"),
            );
            cx.push(f);
            return;
        }
    };
    let floats = req
        .name
        .as_deref()
        .is_some_and(|n| cx.settings.allows_floating(n));
    let constrained = req
        .normalized_name
        .as_ref()
        .is_some_and(|n| constraint_pins.iter().any(|c| c == n));
    let status = pin_status(&req);
    let requirement = PythonRequirement {
        text,
        parsed: &req,
        status: &status,
        editable: p.editable,
        // pip's command line has no `--hash`.
        hashed: false,
        exempt_from_pinning: floats || constrained,
        strict: cx.settings.strict(),
        site: Site::CommandLine,
        // `-e X` / `--editable=X`: only a whole argument that is the requirement.
        edit_span: arg.verbatim.filter(|_| arg.text == text),
    };
    for violation in check_requirement(&requirement) {
        let f = violation.at(cx.source, arg.span);
        cx.push(f);
    }
}
