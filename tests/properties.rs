//! Property tests for the invariants every finding keeps, whatever the input: its span lies
//! on character boundaries inside the file, its line and column exist, and rendering it in
//! every format succeeds. (Fuzzing in `fuzz/` searches the same space by coverage; these
//! run in every `cargo test`.)

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use pindrift::config::Settings;
use pindrift::diagnostic::Finding;
use pindrift::lint::dockerfile::lint_dockerfile;
use pindrift::lint::requirements::lint_install_from;
use pindrift::report::{render, Format, Summary};
use pindrift::source::SourceFile;
use proptest::prelude::*;

fn assert_findings_valid(text: &str, findings: &[Finding]) -> Result<(), TestCaseError> {
    let lines = text.split('\n').count() as u32;
    for f in findings {
        prop_assert!(
            f.span.start <= f.span.end && f.span.end <= text.len(),
            "{f:?}"
        );
        prop_assert!(text.is_char_boundary(f.span.start), "{f:?}");
        prop_assert!(text.is_char_boundary(f.span.end), "{f:?}");
        prop_assert!(
            f.line >= 1 && f.line <= lines && f.end_line <= lines,
            "{f:?}"
        );
        prop_assert!(f.column >= 1 && f.end_column >= 1, "{f:?}");
        let line_text = text.split('\n').nth(f.line as usize - 1).unwrap_or("");
        prop_assert!(
            f.column as usize <= line_text.chars().count() + 1,
            "column {} past the end of line {:?}",
            f.column,
            line_text
        );
    }
    for format in [Format::Human, Format::Json, Format::Sarif, Format::Github] {
        let mut out = Vec::new();
        let summary = Summary {
            files: 1,
            files_with_findings: 1,
            accepted_by_baseline: 0,
        };
        let rendered = render(format, findings, &summary, true, &mut out);
        prop_assert!(rendered.is_ok(), "{format:?}: {rendered:?}");
    }
    Ok(())
}

fn fragment(choices: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(choices).prop_map(str::to_string)
}

/// Text that is mostly requirements syntax, with odd characters mixed in.
fn requirements_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        fragment(&[
            "eventlet",
            "Django",
            "sqlalchemy[asyncio]",
            "zope.interface",
            "a_b-c.d",
            "é",
        ]),
        fragment(&[
            "==1.0",
            ">=2.0,<2.1",
            "~=2.31",
            "===foo",
            "!=1.*",
            "==1.0.post1",
            ">",
            "==",
        ]),
        fragment(&[
            " ; python_version < \"3.12\"",
            ";sys_platform=='linux'",
            " ; extra == 'x'",
        ]),
        fragment(&[
            " --hash=sha256:0123456789abcdef",
            " \\",
            "\n",
            "\r\n",
            " # note",
            "#",
            "\t",
        ]),
        fragment(&[
            "-r base.txt",
            "-c constraints.txt",
            "-e .",
            "--requirement=x.txt",
            "-i https://x",
            "--only-binary :all:",
            "--require-hashes",
            "${HOME}",
            "--pre",
        ]),
        fragment(&[
            "git+https://github.com/a/b@v1#egg=b",
            "pkg @ https://h/p-1.0.tar.gz#sha256=00",
            "./local/path",
            "pkg-1.0-py3-none-any.whl",
            "{{ cookiecutter.x }}",
            "# pindrift: ignore[PD101]",
        ]),
        "[ -~]{0,12}",
        "\\PC{0,4}",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

/// Text that is mostly Dockerfile syntax, with odd characters mixed in.
fn dockerfile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        fragment(&[
            "FROM python",
            "FROM python:3.12-slim AS build",
            "FROM $BASE",
            "FROM build",
            "FROM --platform=$BUILDPLATFORM a/b@sha256:0123",
            "FROM scratch",
            "# escape=`",
            "# syntax=docker/dockerfile:1",
        ]),
        fragment(&[
            "ARG BASE=python:3.11",
            "ARG V",
            "ENV PIP_CONSTRAINT=/c.txt",
            "WORKDIR /app",
            "COPY requirements.txt .",
            "COPY --from=build /a /b",
            "ONBUILD RUN pip install x",
        ]),
        fragment(&[
            "RUN pip install eventlet",
            "RUN pip install -r requirements.txt -c c.txt",
            "RUN python -m pip install --no-cache-dir \"flask>=2\" ${V}",
            "RUN apt-get install -y --no-install-recommends curl=7.88",
            "RUN apk add --no-cache py3-pip",
            "RUN npm install -g x@^1",
            "RUN <<EOF",
            "RUN sh -c 'pip install a && pip download b'",
            "EOF",
        ]),
        fragment(&[" \\", "\n", "\r\n", " `", " && ", "; ", "'", "\"", "$(", ")", "#"]),
        "[ -~]{0,12}",
        "\\PC{0,4}",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn dockerfile_findings_are_well_formed(text in dockerfile_text()) {
        let source = SourceFile::new("Dockerfile", "Dockerfile", text);
        let findings = lint_dockerfile(&source, &Settings::default());
        assert_findings_valid(&source.text, &findings)?;
    }

    #[test]
    fn requirements_findings_are_well_formed(text in requirements_text()) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let path = dir.path().join("requirements.txt");
        std::fs::write(&path, &text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let findings = lint_install_from(&path, &Settings::default());
        // The included files do not exist, so every finding (PD002 for those) is in this one.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        assert_findings_valid(text, &findings)?;
    }
}
