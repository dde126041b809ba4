//! Every annotated fixture under `fixtures/requirements/` is linted and must report
//! exactly the codes its `# expect: CODE, CODE` comments name, on those lines; the
//! rendered report is snapshotted so reviewing the snapshot reviews the output.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use pindrift::config::{Profile, Settings};
use pindrift::discover::discover;
use pindrift::lint::check;
use pindrift::report::{render, Format, Summary};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn expectations(path: &Path) -> BTreeSet<(String, u32, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let display = path.to_string_lossy().replace('\\', "/");
    let mut expected = BTreeSet::new();
    for (index, line) in text.lines().enumerate() {
        if let Some((_, codes)) = line.split_once("# expect:") {
            for code in codes.split(',') {
                expected.insert((display.clone(), index as u32 + 1, code.trim().to_string()));
            }
        }
    }
    expected
}

fn settings_for(folder: &Path) -> Settings {
    let mut settings = Settings::default();
    if folder.components().any(|c| c.as_os_str() == "strict") {
        settings.profile = Profile::Strict;
    }
    settings.fail_on = pindrift::diagnostic::Level::Note;
    settings
}

/// Each fixture group: a single file, or a folder linted as one tree.
fn groups() -> Vec<PathBuf> {
    let root = Path::new("fixtures/requirements");
    let mut groups: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir() || path.extension().is_some_and(|e| e == "txt"))
        .filter(|path| !path.ends_with("tricky"))
        .collect();
    groups.sort();
    groups
}

#[test]
fn fixtures_report_exactly_their_annotations() {
    let groups = groups();
    assert!(groups.len() >= 10, "fixtures missing: {groups:?}");
    for group in groups {
        let settings = settings_for(&group);
        let files = discover(
            std::slice::from_ref(&group),
            Some(pindrift::discover::FileKind::Requirements),
            &settings,
        )
        .unwrap();
        let outcome = check(&files, &settings);
        assert!(
            outcome.errors.is_empty(),
            "{}: {:?}",
            group.display(),
            outcome.errors
        );

        let mut expected = BTreeSet::new();
        for file in &files {
            expected.extend(expectations(&file.path));
        }
        let actual: BTreeSet<(String, u32, String)> = outcome
            .findings
            .iter()
            .map(|f| (f.path.to_string(), f.line, f.code.to_string()))
            .collect();
        assert_eq!(actual, expected, "fixture group {}", group.display());

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
        let name = group.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(
            format!("requirements_{name}"),
            String::from_utf8(rendered).unwrap()
        );
    }
}
