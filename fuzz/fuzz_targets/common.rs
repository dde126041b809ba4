//! Invariants every fuzz target checks on the findings it gets.

#![allow(dead_code)]

use pindrift::diagnostic::Finding;
use pindrift::report::{render, Format, Summary};

/// Every finding's span lies on character boundaries inside its file, its line and column
/// exist, and rendering it in every format succeeds.
pub fn check_findings(text: &str, findings: &[Finding]) {
    for f in findings {
        assert!(f.span.start <= f.span.end, "inverted span {:?}", f.span);
        assert!(f.span.end <= text.len(), "span {:?} past the end ({})", f.span, text.len());
        assert!(text.is_char_boundary(f.span.start) && text.is_char_boundary(f.span.end));
        assert!(f.line >= 1 && f.column >= 1);
        let lines = text.split('\n').count() as u32;
        assert!(f.line <= lines && f.end_line <= lines, "line past the end");
    }
    render_all(findings);
}

pub fn render_all(findings: &[Finding]) {
    let summary = Summary { files: 1, files_with_findings: 1, accepted_by_baseline: 0 };
    for format in [Format::Human, Format::Json, Format::Sarif, Format::Github] {
        let mut out = Vec::new();
        render(format, findings, &summary, false, &mut out).expect("rendering never fails");
    }
}
