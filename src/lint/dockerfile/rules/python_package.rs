//! Python packages in `RUN` (pip, `python -m pip`, `uv pip`, `uv tool`, pipx): each argument is
//! parsed by the requirements parser and judged by [`pin_status`], and reported under the
//! requirements codes: PD101 (no specifier), PD102 (loose), PD103 (VCS ref not a commit),
//! PD108 (strict: URL archive without hash), PD109 (note: local path or editable).

use super::super::installers::{Arg, Package};
use super::super::Cx;
use crate::lint::requirements::pinning::{pin_status, pinned_form, PinStatus};
use crate::lint::requirements::requirement::parse_requirement;
use crate::registry::Rule;

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
                arg.span.clone(),
                &format!("pip cannot read the requirement `{text}`: {message}"),
            );
            cx.push(f);
            return;
        }
    };
    let status = if p.editable {
        match pin_status(&req) {
            PinStatus::VcsUnpinned { vcs, reference } => PinStatus::VcsUnpinned { vcs, reference },
            _ => PinStatus::Local,
        }
    } else {
        pin_status(&req)
    };
    let name = req.name.clone().unwrap_or_else(|| text.to_string());
    let floats = req
        .name
        .as_deref()
        .is_some_and(|n| cx.settings.allows_floating(n));
    let constrained = req
        .normalized_name
        .as_ref()
        .is_some_and(|n| constraint_pins.iter().any(|c| c == n));
    let f = match status {
        PinStatus::Pinned | PinStatus::VcsPinned => return,
        PinStatus::NoSpecifier => {
            if floats || constrained {
                return;
            }
            cx.finding(
                Rule::UnpinnedRequirement,
                arg.span.clone(),
                format!("`{name}` has no version specifier: any release may be installed"),
            )
            .with_hint(format!(
                "pin the version you tested: `{}`",
                pinned_form(text)
            ))
        }
        PinStatus::Loose { .. } => {
            if floats || constrained {
                return;
            }
            let written = text.split(';').next().unwrap_or(text).trim();
            cx.finding(
                Rule::LooseSpecifier,
                arg.span.clone(),
                format!("`{written}` admits more than one version"),
            )
            .with_hint(format!("use one exact version: `{}`", pinned_form(text)))
        }
        PinStatus::VcsUnpinned { reference, .. } => {
            let what = match reference {
                Some(r) => format!("ref `{r}`, which is not a full commit hash"),
                None => "no ref: the default branch".to_string(),
            };
            cx.finding(
                Rule::VcsRefNotCommit,
                arg.span.clone(),
                format!("`{name}` is installed from version control at {what}"),
            )
            .with_hint("pin the full 40-character commit hash: `…@<commit>`")
        }
        PinStatus::DirectUrl { hashed } => {
            if hashed || !cx.settings.strict() {
                return;
            }
            cx.finding(
                Rule::UrlWithoutHash,
                arg.span.clone(),
                format!("`{name}` is a direct URL archive without a hash"),
            )
            .with_hint("append `#sha256=<hash>` to the URL")
        }
        PinStatus::Local => cx
            .finding(
                Rule::LocalRequirement,
                arg.span.clone(),
                format!(
                    "`{text}` is a local path or editable install: pinned by whatever is on disk"
                ),
            )
            .with_hint("fine for the project itself; pin its dependencies in a requirements file"),
    };
    cx.push(f);
}
