//! Lints every Dockerfile in `../shared/corpus/real/`: no panic, and no parse error on any
//! file BuildKit accepts (the only files allowed a PD001 are the template files listed
//! below). `#[ignore]`d (needs `../shared`); run with `--include-ignored`, fails when it is absent.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use pindrift::config::Settings;
use pindrift::lint::dockerfile::lint_dockerfile;
use pindrift::source::SourceFile;
use std::path::{Path, PathBuf};

/// Template files (Jinja / cookiecutter) that are not valid Dockerfiles.
const TEMPLATES: &[&str] = &[
    "cookiecutter+cookiecutter-django/{{cookiecutter.project_slug}}/compose/local/django/Dockerfile",
    "cookiecutter+cookiecutter-django/{{cookiecutter.project_slug}}/compose/production/django/Dockerfile",
    "cookiecutter+cookiecutter-django/{{cookiecutter.project_slug}}/compose/production/postgres/Dockerfile",
    "overhangio+tutor/tutor/templates/build/openedx/Dockerfile",
];

fn corpus() -> Option<PathBuf> {
    let root = Path::new("../shared/corpus/real");
    if root.is_dir() {
        return Some(root.to_path_buf());
    }
    panic!(
        "../shared/corpus/real is absent; this test is #[ignore]d: run `cargo test` without --include-ignored to leave it out"
    );
}

#[test]
#[ignore = "needs ../shared"]
fn every_real_dockerfile_lints_without_a_parse_error() {
    let Some(root) = corpus() else { return };
    let index = std::fs::read_to_string(root.join("INDEX.tsv")).unwrap();
    let mut count = 0;
    let mut errors = Vec::new();
    for line in index.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.get(2) != Some(&"dockerfile") {
            continue;
        }
        let rel = format!("{}/{}", cols[0].replace('/', "+"), cols[1]);
        let path = root.join(&rel);
        let bytes = std::fs::read(&path).unwrap();
        let source = SourceFile::from_bytes(&path, rel.clone(), bytes);
        let findings = lint_dockerfile(&source, &Settings::default());
        count += 1;
        let parse_errors: Vec<_> = findings
            .iter()
            .filter(|f| f.code == pindrift::registry::Rule::SyntaxError)
            .collect();
        if TEMPLATES.contains(&rel.as_str()) {
            assert_eq!(
                parse_errors.len(),
                1,
                "{rel}: exactly one precise error expected"
            );
            assert_eq!(findings.len(), 1, "{rel}: nothing but the error");
        } else if !parse_errors.is_empty() {
            errors.push(format!(
                "{rel}:{}: {}",
                parse_errors[0].line, parse_errors[0].message
            ));
        }
    }
    assert!(count >= 200, "only {count} Dockerfiles found");
    assert!(
        errors.is_empty(),
        "parse errors on valid files:\n{}",
        errors.join("\n")
    );
}

#[test]
#[ignore = "needs ../shared"]
fn dockerfile_parser_crate_agrees_on_from_lines() {
    // A second opinion: where the dockerfile-parser crate can read a file, both see the same
    // base images in the same order.
    let Some(root) = corpus() else { return };
    let index = std::fs::read_to_string(root.join("INDEX.tsv")).unwrap();
    let mut compared = 0;
    for line in index.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.get(2) != Some(&"dockerfile") {
            continue;
        }
        let rel = format!("{}/{}", cols[0].replace('/', "+"), cols[1]);
        let text = std::fs::read_to_string(root.join(&rel)).unwrap();
        let Ok(theirs) = dockerfile_parser::Dockerfile::parse(&text) else {
            continue;
        };
        let Ok(ours) = pindrift::lint::dockerfile::parse::parse(&text) else {
            continue;
        };
        let their_images: Vec<String> = theirs
            .instructions
            .iter()
            .filter_map(|i| match i {
                dockerfile_parser::Instruction::From(f) => Some(f.image.content.clone()),
                _ => None,
            })
            .collect();
        let our_images: Vec<String> = ours
            .instructions
            .iter()
            .filter(|i| i.keyword == "FROM")
            .map(|i| {
                let s = pindrift::lint::dockerfile::shell::parse_script(&i.args);
                s.commands[0].words[0].display()
            })
            .collect();
        assert_eq!(our_images, their_images, "{rel}");
        compared += 1;
    }
    assert!(compared >= 50, "only {compared} files compared");
}
