//! The registry and `rules/` agree, and every page's example triggers its rule while its
//! "Use instead" block does not.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use pindrift::config::{Profile, Settings};
use pindrift::diagnostic::Finding;
use pindrift::discover::{discover, FileKind};
use pindrift::fix::FixAvailability;
use pindrift::lint::check;
use pindrift::registry::RULES;
use std::collections::BTreeSet;

#[test]
fn every_rule_has_a_page_and_every_page_a_rule() {
    let pages: BTreeSet<String> = std::fs::read_dir("rules")
        .unwrap()
        .map(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".md")
                .to_string()
        })
        .collect();
    let codes: BTreeSet<String> = RULES.iter().map(|r| r.code.to_string()).collect();
    assert_eq!(pages, codes);
    let mut sorted = RULES.iter().map(|r| r.code).collect::<Vec<_>>();
    sorted.sort();
    assert_eq!(
        sorted,
        RULES.iter().map(|r| r.code).collect::<Vec<_>>(),
        "registry must be sorted by code"
    );
    let names: BTreeSet<_> = RULES.iter().map(|r| r.name).collect();
    assert_eq!(names.len(), RULES.len(), "rule names must be unique");
    for rule in RULES {
        assert!(
            rule.doc
                .starts_with(&format!("# {}: {}\n", rule.code, rule.name)),
            "{} title",
            rule.code
        );
        for heading in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Use instead",
            "## What `pin` does",
            "## Options",
        ] {
            assert!(rule.doc.contains(heading), "{} lacks {heading}", rule.code);
        }
    }
}

/// Every page says what `pin` does, and the registry agrees with it: a rule `pin` leaves
/// alone says "Nothing" first, a rule it rewrites says what it writes.
#[test]
fn every_page_says_what_pin_does_and_the_registry_agrees() {
    use pindrift::registry::PinAction;
    for rule in RULES {
        let section = rule
            .doc
            .split("## What `pin` does\n")
            .nth(1)
            .unwrap_or_else(|| panic!("{} has no `What pin does` section", rule.code));
        let says_nothing = section.starts_with("Nothing");
        assert_eq!(
            says_nothing,
            rule.pin == PinAction::Nothing,
            "{}: the page and the registry disagree about pin",
            rule.code
        );
    }
    let rewritten: Vec<&str> = RULES
        .iter()
        .filter(|r| r.pinned_by_pin())
        .map(|r| r.code)
        .collect();
    assert_eq!(
        rewritten,
        ["PD101", "PD102", "PD103", "PD201", "PD202", "PD203", "PD210"]
    );
}

/// The first fenced block after `heading`: (file name, body).
fn block(doc: &str, heading: &str) -> Option<(String, String)> {
    let after = doc.split(heading).nth(1)?;
    let body = after.split("```").nth(1)?.trim_start_matches('\n');
    let (first, rest) = body.split_once('\n')?;
    let file = first.strip_prefix("# file: ")?.trim().to_string();
    Some((file, rest.to_string()))
}

fn codes_reported(file: &str, text: &str) -> Vec<String> {
    findings_of(file, text)
        .iter()
        .map(|f| f.code.to_string())
        .collect()
}

fn findings_of(file: &str, text: &str) -> Vec<Finding> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file);
    std::fs::write(&path, text).unwrap();
    let settings = Settings {
        profile: Profile::Strict,
        // PD005's page is linted with a small cap, as its example says.
        max_file_size: if text.contains("--max-file-size 64") {
            64
        } else {
            pindrift::read::DEFAULT_MAX_FILE_SIZE
        },
        ..Settings::default()
    };
    let kind = if file.contains("ockerfile") {
        FileKind::Dockerfile
    } else {
        FileKind::Requirements
    };
    let files = discover(&[path], Some(kind), &settings).unwrap();
    check(&files, &settings).findings
}

#[test]
fn every_example_triggers_its_rule_and_the_fix_does_not() {
    for rule in RULES {
        let (file, example) = block(rule.doc, "## Example")
            .unwrap_or_else(|| panic!("{}: no example block", rule.code));
        let reported = codes_reported(&file, &example);
        assert!(
            reported.iter().any(|c| c == rule.code),
            "{}: example reports {reported:?}",
            rule.code
        );
        let (file, fixed) = block(rule.doc, "## Use instead")
            .unwrap_or_else(|| panic!("{}: no fix block", rule.code));
        let reported = codes_reported(&file, &fixed);
        assert!(
            !reported.iter().any(|c| c == rule.code),
            "{}: fixed example still reports it",
            rule.code
        );
    }
}

/// `fixable` in the registry is the rule implementation's own `FIX` declaration; here every
/// rule is held to it on its page's example: a rule that declares no fix never attaches one,
/// one that always fixes attaches one to every finding, one that sometimes fixes to at least
/// one (its example must show the fix).
#[test]
fn fixable_matches_what_each_rule_attaches() {
    for rule in RULES {
        let (file, example) = block(rule.doc, "## Example").unwrap();
        let found: Vec<Finding> = findings_of(&file, &example)
            .into_iter()
            .filter(|f| f.code == rule.rule)
            .collect();
        assert!(!found.is_empty(), "{}", rule.code);
        let with_fix = found.iter().filter(|f| f.fix.is_some()).count();
        match rule.fix {
            FixAvailability::None => assert_eq!(with_fix, 0, "{} declares no fix", rule.code),
            FixAvailability::Sometimes => {
                assert!(with_fix > 0, "{}: example shows no fix", rule.code)
            }
            FixAvailability::Always => {
                assert_eq!(with_fix, found.len(), "{} declares a fix always", rule.code)
            }
        }
        assert_eq!(rule.fixable(), rule.fix != FixAvailability::None);
    }
}
