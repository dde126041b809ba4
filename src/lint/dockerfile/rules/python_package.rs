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
    #[cfg(test)]
    tests::SEEN.with(|seen| {
        seen.borrow_mut()
            .push((text.to_string(), requirement.edit_span.map(|s| s.range())))
    });
    for violation in check_requirement(&requirement) {
        let f = violation.at(cx.source, arg.span);
        cx.push(f);
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;
    use crate::lint::dockerfile::lint_dockerfile;
    use crate::source::SourceFile;
    use std::cell::RefCell;
    use std::ops::Range;

    thread_local! {
        /// Every pip argument judged on this thread, with the span a fix could edit.
        pub(super) static SEEN: RefCell<Vec<(String, Option<Range<usize>>)>> =
            const { RefCell::new(Vec::new()) };
    }

    /// On the real lint path, a pip argument has an edit span exactly when the Dockerfile
    /// holds it byte for byte outside any other quoting level.
    #[test]
    fn pip_arguments_have_edit_spans_only_where_the_file_holds_them() {
        let text = "FROM python:3.12\n\
                    ARG V=1.0\n\
                    RUN pip install flask 'six>=1' re\\quests attrs==$V --editable=./x \\\n    \
                    && sh -c 'pip install click' \\\n    \
                    && bash <<EOF\n\
                    pip install rich\n\
                    EOF\n\
                    RUN <<EOT\n\
                    pip install toml\n\
                    EOT\n\
                    RUN [\"pip\", \"install\", \"tqdm\", \"h\\u0069\"]\n";
        let source = SourceFile::new("Dockerfile", "Dockerfile", text);
        SEEN.with(|seen| seen.borrow_mut().clear());
        lint_dockerfile(&source, &Settings::default());
        let seen: Vec<(String, Option<&str>)> = SEEN.with(|seen| {
            seen.borrow()
                .iter()
                .map(|(t, r)| (t.clone(), r.clone().map(|r| &text[r])))
                .collect()
        });
        let want = [
            ("flask", Some("flask")),
            ("six>=1", Some("six>=1")),
            ("requests", None),
            ("attrs==1.0", None),
            ("./x", None),
            ("click", None),
            ("rich", None),
            ("toml", Some("toml")),
            ("tqdm", Some("tqdm")),
            ("hi", None),
        ];
        let want: Vec<(String, Option<&str>)> =
            want.iter().map(|(t, s)| (t.to_string(), *s)).collect();
        assert_eq!(seen, want);
    }
}
