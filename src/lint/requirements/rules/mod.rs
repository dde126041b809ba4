//! Requirement rules, one file each.
//!
//! PD101, PD102, PD103, PD108 and PD109 judge one Python requirement wherever it is written:
//! a line of a requirements file or a package argument of `pip install` in a Dockerfile. Both
//! callers describe it as a [`PythonRequirement`] and call [`check_requirement`]; the rules
//! return [`Violation`]s, which the caller places at the requirement's span. PD107 (missing
//! hash) needs the install, so it takes a [`LineContext`]; the install-wide rule (conflicting
//! pins) takes every pin of one install.

pub mod conflicting_pins;
pub mod local_requirement;
pub mod loose_specifier;
pub mod missing_hash;
pub mod unpinned_requirement;
pub mod url_without_hash;
pub mod vcs_ref_not_commit;

use super::install::Install;
use super::parse::RequirementLine;
use super::pinning::PinStatus;
use super::requirement::ParsedRequirement;
use crate::config::Settings;
use crate::diagnostic::{Finding, Message, Span, Violation};
use crate::registry::Rule;
use crate::source::SourceFile;

/// Where a Python requirement is written (some fixes differ: `--hash` exists only in files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// A line of a requirements or constraints file.
    RequirementsFile,
    /// An argument of `pip install` (or `uv pip`, `pipx`) on a command line.
    CommandLine,
}

/// One Python requirement as the pinning rules see it, wherever it is written.
pub struct PythonRequirement<'a> {
    /// The requirement as written (after variable expansion), without `-e`.
    pub text: &'a str,
    pub parsed: &'a ParsedRequirement,
    pub status: &'a PinStatus,
    /// `-e` / `--editable`.
    pub editable: bool,
    /// `--hash` options go with it.
    pub hashed: bool,
    /// Pinning rules (PD101-PD103) do not apply: it is read as a constraint (a cap such as
    /// `Django<6.0` narrows, it installs nothing), a constraint of the install pins the
    /// package exactly, or configuration lets it float.
    pub exempt_from_pinning: bool,
    pub strict: bool,
    pub site: Site,
    /// Where `text` stands in the file byte for byte, when it does; a rule builds a fix only
    /// on this span. `None` for text from `${VAR}`, joined continuation lines, quotes or
    /// escapes, an `sh -c` body or a script a shell reads from a heredoc.
    pub edit_span: Option<Span>,
}

impl PythonRequirement<'_> {
    /// The package name as written, or the whole text when it has none (a bare URL).
    pub fn display_name(&self) -> &str {
        self.parsed.name.as_deref().unwrap_or(self.text)
    }

    /// The requirement as written, without its environment marker.
    pub fn without_marker(&self) -> &str {
        self.text.split(';').next().map_or(self.text, str::trim)
    }
}

/// Runs the rules that judge one Python requirement.
pub fn check_requirement(requirement: &PythonRequirement) -> Vec<Violation> {
    let mut out = Vec::new();
    unpinned_requirement::check(requirement, &mut out);
    loose_specifier::check(requirement, &mut out);
    vcs_ref_not_commit::check(requirement, &mut out);
    url_without_hash::check(requirement, &mut out);
    local_requirement::check(requirement, &mut out);
    out
}

/// What a per-line rule of a requirements file sees.
pub struct LineContext<'a> {
    /// The file the line is in.
    pub source: &'a SourceFile,
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
        Finding::new(code, self.source, self.requirement.span, message)
    }

    /// The line as the shared Python requirement rules see it.
    pub fn python_requirement(&self) -> PythonRequirement<'_> {
        let allowed_to_float = self
            .requirement
            .requirement
            .name
            .as_deref()
            .is_some_and(|name| self.settings.allows_floating(name));
        PythonRequirement {
            text: &self.requirement.text,
            parsed: &self.requirement.requirement,
            status: self.status,
            editable: self.requirement.editable,
            hashed: !self.requirement.hashes.is_empty(),
            exempt_from_pinning: self.is_constraint
                || self.pinned_by_constraint.is_some()
                || allowed_to_float,
            strict: self.settings.strict(),
            site: Site::RequirementsFile,
            edit_span: self.requirement.verbatim.then_some(self.requirement.span),
        }
    }
}

/// Most requirement texts a [`Verdicts`] remembers.
const REMEMBERED_MAX: usize = 1 << 16;

/// What the shared requirement rules said about the requirements of an install already
/// judged, by what they judge (the text, and whether it is editable, hashed, exempt from
/// pinning): a file repeating `flask` a million times is judged once, and its findings
/// share one message. Only verdicts without a fix are kept (a fix edits one place).
#[derive(Default)]
pub struct Verdicts {
    /// By text, then by [`Verdicts::slot`] of the flags.
    said: rustc_hash::FxHashMap<Box<str>, [Option<Verdict>; 8]>,
}

/// The rules that fired on a requirement, with what they said.
type Verdict = Vec<(Rule, Message)>;

impl Verdicts {
    fn slot(requirement: &PythonRequirement) -> usize {
        usize::from(requirement.editable)
            | usize::from(requirement.hashed) << 1
            | usize::from(requirement.exempt_from_pinning) << 2
    }
}

/// Runs every per-line rule.
pub fn check_line(ctx: &LineContext, verdicts: &mut Verdicts, out: &mut Vec<Finding>) {
    let requirement = ctx.python_requirement();
    let slot = Verdicts::slot(&requirement);
    let (source, span) = (ctx.source, ctx.requirement.span);
    if let Some(said) = verdicts
        .said
        .get(requirement.text)
        .and_then(|slots| slots[slot].as_ref())
    {
        out.extend(
            said.iter()
                .map(|(rule, message)| Finding::saying(*rule, source, span, message.clone())),
        );
    } else {
        let violations = check_requirement(&requirement);
        let remember = violations.iter().all(|v| v.fix.is_none())
            && (verdicts.said.len() < REMEMBERED_MAX
                || verdicts.said.contains_key(requirement.text));
        let first = out.len();
        out.extend(violations.into_iter().map(|v| v.at(source, span)));
        if remember {
            let said = out[first..]
                .iter()
                .map(|f| (f.code, f.message.clone()))
                .collect();
            verdicts
                .said
                .entry(Box::from(requirement.text))
                .or_default()[slot] = Some(said);
        }
    }
    missing_hash::check(ctx, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::{Edit, Fix};
    use crate::lint::requirements::parse::{parse_requirements_with_env, LineKind};
    use crate::lint::requirements::pinning::pin_status;

    /// The seam `pin` will stand on: the shared rules see an edit span only where the file
    /// holds the requirement byte for byte; edits on those spans, applied once, keep the
    /// BOM, CRLF, comments and continuations; the rest is left alone.
    #[test]
    fn edit_spans_are_where_fixes_may_go() {
        let text = "\u{feff}flask  # web\r\nsix>=1 \\\r\n    --hash=sha256:abc\r\nreq\\\r\nuests\r\nattrs==${ATTRS}\r\n";
        let source = SourceFile::from_pip_bytes("r.txt", "r.txt", text.as_bytes().to_vec());
        let file = parse_requirements_with_env(source, &|name| {
            (name == "ATTRS").then(|| "23.1".to_string())
        });
        let install = Install {
            root: "r.txt".into(),
            members: Vec::new(),
            hash_checking: false,
            constraint_pins: Default::default(),
            include_findings: Vec::new(),
            included_paths: Vec::new(),
            reading_order: Vec::new(),
        };
        let settings = Settings::default();
        let mut edits = Vec::new();
        let mut left_alone = Vec::new();
        for line in &file.lines {
            let LineKind::Requirement(requirement) = &line.kind else {
                continue;
            };
            let status = pin_status(&requirement.requirement);
            let ctx = LineContext {
                source: &file.source,
                requirement,
                status: &status,
                is_constraint: false,
                pinned_by_constraint: None,
                install: &install,
                settings: &settings,
            };
            let req = ctx.python_requirement();
            match req.edit_span {
                Some(span) => {
                    edits.push(Edit::replace(span, format!("{}==1.0", req.display_name())))
                }
                None => left_alone.push(req.text.to_string()),
            }
        }
        assert_eq!(left_alone, ["requests", "attrs==23.1"]);
        let fix = Fix::safe(edits);
        let written = file.source.apply_edits(&fix.edits).unwrap();
        assert_eq!(
            String::from_utf8(written).unwrap(),
            "\u{feff}flask==1.0  # web\r\nsix==1.0 \\\r\n    --hash=sha256:abc\r\nreq\\\r\nuests\r\nattrs==${ATTRS}\r\n"
        );
    }
}
