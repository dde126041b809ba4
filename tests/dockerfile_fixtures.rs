//! Every annotated fixture under `fixtures/dockerfile/` is linted and must report exactly the
//! codes its `# expect: CODE, CODE` comments announce for the next line (`# expect@N: CODE`
//! for line N; requirements files reached through `-r` use a same-line `# expect:`), and the
//! rendered report is snapshotted.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use pindrift::config::{Profile, Settings};
use pindrift::discover::{discover, FileKind};
use pindrift::lint::check;
use pindrift::report::{render, Format, Summary};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

type Expected = BTreeSet<(String, u32, String)>;

fn dockerfile_expectations(path: &Path, display: &str) -> Expected {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = BTreeSet::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("# expect@") {
            let (n, codes) = rest.split_once(':').unwrap();
            for code in codes.split(',') {
                out.insert((
                    display.to_string(),
                    n.parse().unwrap(),
                    code.trim().to_string(),
                ));
            }
        } else if let Some(codes) = t.strip_prefix("# expect:") {
            let target = (i + 1..lines.len())
                .find(|&j| !lines[j].trim().starts_with("# expect"))
                .unwrap();
            for code in codes.split(',') {
                out.insert((
                    display.to_string(),
                    target as u32 + 1,
                    code.trim().to_string(),
                ));
            }
        }
    }
    out
}

fn same_line_expectations(path: &Path, display: &str) -> Expected {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if let Some((_, codes)) = line.split_once("# expect:") {
            for code in codes.split(',') {
                out.insert((display.to_string(), i as u32 + 1, code.trim().to_string()));
            }
        }
    }
    out
}

fn settings_for(path: &Path) -> Settings {
    let mut settings = Settings {
        fail_on: pindrift::diagnostic::Level::Note,
        ..Settings::default()
    };
    let text = std::fs::read_to_string(path).unwrap();
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix("# fixture:") else {
            continue;
        };
        let rest = rest.trim();
        if rest == "strict" {
            settings.profile = Profile::Strict;
        } else if let Some(kv) = rest.strip_prefix("build-arg ") {
            let (k, v) = kv.split_once('=').unwrap();
            settings.build_args.push((k.to_string(), v.to_string()));
        } else if let Some(dir) = rest.strip_prefix("context ") {
            settings.context = Some(path.parent().unwrap().join(dir));
        }
    }
    settings
}

fn fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir("fixtures/dockerfile")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    v.sort();
    v
}

#[test]
fn fixtures_report_exactly_their_annotations() {
    let all = fixtures();
    assert!(all.len() >= 12, "fixtures missing: {all:?}");
    for path in all {
        let settings = settings_for(&path);
        let files = discover(
            std::slice::from_ref(&path),
            Some(FileKind::Dockerfile),
            &settings,
        )
        .unwrap();
        let outcome = check(&files, &settings);
        assert!(
            outcome.errors.is_empty(),
            "{}: {:?}",
            path.display(),
            outcome.errors
        );
        let display = path.to_string_lossy().replace('\\', "/");
        let mut expected = dockerfile_expectations(&path, &display);
        // Requirements files reached through `-r` in this fixture.
        let reached: BTreeSet<String> = outcome
            .findings
            .iter()
            .map(|f| f.path.to_string())
            .filter(|p| *p != display)
            .collect();
        for other in &reached {
            expected.extend(same_line_expectations(Path::new(other), other));
        }
        let actual: Expected = outcome
            .findings
            .iter()
            .map(|f| (f.path.to_string(), f.line, f.code.to_string()))
            .collect();
        assert_eq!(actual, expected, "fixture {}", path.display());
        // Findings point at the token, never past the end of its line.
        for f in &outcome.findings {
            assert!(
                f.span.start < f.span.end || f.code == pindrift::registry::Rule::SyntaxError,
                "{f:?}"
            );
        }

        let mut rendered = Vec::new();
        render(
            Format::Human,
            &outcome.findings,
            &Summary {
                files: outcome.files,
                files_with_findings: outcome.files_with_findings,
                accepted_by_baseline: 0,
            },
            false,
            &mut rendered,
        )
        .unwrap();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(
            format!("dockerfile_{name}"),
            String::from_utf8(rendered).unwrap()
        );
    }
}

#[test]
fn the_requirements_fixture_is_in_the_context() {
    // A guard for the fixture above: if the context file vanished, PD213 would hide the test.
    assert!(Path::new("fixtures/dockerfile/context/requirements.txt").is_file());
}

/// Tricky Dockerfiles written independently of the other fixtures and of pindrift's output
/// (`fixtures/dockerfile/independent/`, annotated the same way): the share of files on which
/// pindrift reports exactly the annotated (line, code) set must be at least 97%, and every
/// file that is not right is named.
#[test]
fn independent_fixtures_are_right() {
    let mut all: Vec<PathBuf> = std::fs::read_dir("fixtures/dockerfile/independent")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    all.sort();
    assert!(all.len() >= 30, "only {} independent fixtures", all.len());
    let mut wrong = Vec::new();
    for path in &all {
        let settings = settings_for(path);
        let files = discover(
            std::slice::from_ref(path),
            Some(FileKind::Dockerfile),
            &settings,
        )
        .unwrap();
        let outcome = check(&files, &settings);
        let display = path.to_string_lossy().replace('\\', "/");
        let expected = dockerfile_expectations(path, &display);
        let actual: Expected = outcome
            .findings
            .iter()
            .map(|f| (f.path.to_string(), f.line, f.code.to_string()))
            .collect();
        if actual != expected || !outcome.errors.is_empty() {
            wrong.push(format!(
                "{display}:\n  missing {:?}\n  extra {:?}\n  errors {:?}",
                expected.difference(&actual).collect::<Vec<_>>(),
                actual.difference(&expected).collect::<Vec<_>>(),
                outcome.errors
            ));
        }
    }
    let right = all.len() - wrong.len();
    let share = right as f64 / all.len() as f64;
    println!(
        "independent fixtures: {right}/{} right ({:.1}%)\n{}",
        all.len(),
        share * 100.0,
        wrong.join("\n")
    );
    assert!(
        share >= 0.97,
        "{right}/{} right ({:.1}%):\n{}",
        all.len(),
        share * 100.0,
        wrong.join("\n")
    );
}
