//! Property test of `pin` over every requirements file of the fixtures and of
//! `../shared/corpus/real`, pinned against a synthetic source that runs every name they
//! mention (version 9.9.9, VCS packages at a known commit), with `--sync` so that exact pins
//! are rewritten too:
//!
//! * every byte outside the edited spans is unchanged (BOM, line ends, encoding included);
//! * pindrift's parser reads the rewritten file as the same lines: same names, extras,
//!   markers, each pinned line now `==9.9.9` (or at the commit), every other line as it was;
//! * a second plan over the rewritten file changes nothing;
//! * (the `#[ignore]`d half) pip's own parser reads the original and the rewritten file the
//!   same way, but for the new `==` on the pinned lines.
//!
//! The corpus lives in `../shared`: without it the test says so and runs over the fixtures
//! only, unless `CI=true`, where its absence fails the test.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

#[path = "support/venv.rs"]
mod venv;

use pindrift::config::Settings;
use pindrift::drift::reqcheck::MarkerFacts;
use pindrift::inventory::{DirectUrl, Package};
use pindrift::lint::requirements::parse::{parse_requirements, LineKind, RequirementsFile};
use pindrift::lint::requirements::requirement::RequirementSource;
use pindrift::pin::facts::Facts;
use pindrift::pin::plan::{FilePlan, PinOptions};
use pindrift::pin::requirements::plan_file;
use pindrift::source::SourceFile;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use venv::{cached_venv, repo_root, unavailable};

const VERSION: &str = "9.9.9";
const COMMIT: &str = "abcdef0123456789abcdef0123456789abcdef01";

/// (name shown, bytes) of every requirements file to pin.
fn requirement_files() -> Vec<(String, Vec<u8>)> {
    let root = repo_root();
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(root.join("fixtures")).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_file()
            && pindrift::discover::classify(entry.path())
                == Some(pindrift::discover::FileKind::Requirements)
        {
            let name = entry
                .path()
                .strip_prefix(&root)
                .unwrap()
                .display()
                .to_string();
            files.push((name, std::fs::read(entry.path()).unwrap()));
        }
    }
    let corpus = root.join("../shared/corpus/real");
    match std::fs::read_to_string(corpus.join("INDEX.tsv")) {
        Ok(index) => {
            for line in index.lines().skip(1) {
                let fields: Vec<&str> = line.split('\t').collect();
                let [repo, path, kind, ..] = fields.as_slice() else {
                    continue;
                };
                if !matches!(*kind, "requirements" | "constraints" | "pip-in") {
                    continue;
                }
                let file = format!("{}/{path}", repo.replace('/', "+"));
                files.push((file.clone(), std::fs::read(corpus.join(&file)).unwrap()));
            }
        }
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{} is absent (CI=true)", corpus.display())
        }
        Err(_) => eprintln!(
            "note: {} is absent: pinning the fixtures only",
            corpus.display()
        ),
    }
    assert!(files.len() > 20, "only {} files", files.len());
    files
}

fn parse(name: &str, bytes: Vec<u8>) -> RequirementsFile {
    parse_requirements(SourceFile::from_pip_bytes(name, name, bytes))
}

/// A source that runs every name the file mentions.
fn facts_for(file: &RequirementsFile) -> Facts {
    let names: Vec<String> = file
        .lines
        .iter()
        .filter_map(|line| match &line.kind {
            LineKind::Requirement(r) => r.requirement.name.clone(),
            _ => None,
        })
        .collect();
    let mut facts = Facts::from_versions(
        "freeze:synthetic",
        names.iter().map(|n| (n.as_str(), VERSION)),
        MarkerFacts {
            python_version: Some("3.11".into()),
            platform: Some("linux".into()),
        },
    );
    for line in &file.lines {
        if let LineKind::Requirement(r) = &line.kind {
            if let (
                Some(name),
                RequirementSource::Url {
                    vcs: Some(_), url, ..
                },
            ) = (&r.requirement.name, &r.requirement.source)
            {
                facts.insert(Package {
                    name: pindrift::names::normalize_name(name),
                    display_name: name.clone(),
                    version: Some(VERSION.into()),
                    direct: Some(DirectUrl {
                        url: url.clone(),
                        kind: "vcs".into(),
                        commit: Some(COMMIT.into()),
                    }),
                    location: "synthetic".into(),
                });
            }
        }
    }
    facts
}

fn options() -> PinOptions {
    PinOptions {
        sync: true,
        source: "freeze:synthetic".into(),
        ..PinOptions::default()
    }
}

fn plan(file: &RequirementsFile) -> FilePlan {
    plan_file(
        file,
        None,
        &Settings::default(),
        &facts_for(file),
        &options(),
    )
}

/// The bytes between the edits of `plan`, in `old` and in `new`, are the same.
fn assert_outside_unchanged(name: &str, plan: &FilePlan, old: &str, new: &str) {
    let mut edits: Vec<_> = plan.changes.iter().map(|c| &c.edit).collect();
    edits.sort();
    let (mut old_at, mut new_at) = (0, 0);
    for edit in edits {
        let keep = edit.span.start - old_at;
        assert_eq!(
            &old[old_at..edit.span.start],
            &new[new_at..new_at + keep],
            "{name}: bytes before {} changed",
            edit.span.start
        );
        new_at += keep;
        assert_eq!(
            &new[new_at..new_at + edit.replacement.len()],
            edit.replacement
        );
        new_at += edit.replacement.len();
        old_at = edit.span.end;
    }
    assert_eq!(&old[old_at..], &new[new_at..], "{name}: the tail changed");
}

/// The name as written, extras, the white space around the version part, the marker and
/// what follows it are the same before and after; the URL of a VCS requirement differs only
/// in its revision.
fn assert_only_the_version_part_changed(name: &str, before: &str, after: &str) {
    let head = |t: &str| {
        let name_len = t
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
            .unwrap_or(t.len());
        let rest = &t[name_len..];
        let extras = match rest.trim_start().strip_prefix('[') {
            Some(inner) => rest.len() - inner.len() + inner.find(']').map_or(0, |i| i + 1),
            None => 0,
        };
        t[..name_len + extras].to_string()
    };
    if before.contains("://") {
        let strip = |t: &str| {
            let (base, fragment) = t.split_once('#').unwrap_or((t, ""));
            let cut = base
                .rfind('@')
                .filter(|&i| base[..i].contains("://"))
                .unwrap_or(base.len());
            let base = if base[..cut].contains("://") {
                &base[..cut]
            } else {
                base
            };
            format!("{base}#{fragment}")
        };
        assert_eq!(
            strip(before),
            strip(after),
            "{name}: `{before}` -> `{after}`"
        );
        return;
    }
    assert_eq!(head(before), head(after), "{name}: `{before}` -> `{after}`");
    let tail = |t: &str| {
        let (spec, marker) = t.split_once(';').map_or((t, None), |(s, m)| (s, Some(m)));
        let trailing = spec.len() - spec.trim_end().len();
        (marker.map(str::to_string), trailing)
    };
    assert_eq!(tail(before), tail(after), "{name}: `{before}` -> `{after}`");
    assert!(!after.contains(['\n', '\r', '#']), "{name}: `{after}`");
}

#[derive(Debug, PartialEq)]
struct Seen {
    line: u32,
    kind: &'static str,
    name: Option<String>,
    extras: Vec<String>,
    marker: Option<String>,
    text: String,
}

fn seen(file: &RequirementsFile) -> Vec<Seen> {
    file.lines
        .iter()
        .map(|line| match &line.kind {
            LineKind::Requirement(r) => Seen {
                line: line.line,
                kind: if r.editable {
                    "editable"
                } else {
                    "requirement"
                },
                name: r.requirement.normalized_name.clone(),
                extras: r.requirement.extras.clone(),
                marker: r.requirement.marker.clone(),
                text: r.text.clone(),
            },
            other => Seen {
                line: line.line,
                kind: match other {
                    LineKind::Include { .. } => "include",
                    LineKind::Options { .. } => "options",
                    _ => "invalid",
                },
                name: None,
                extras: Vec::new(),
                marker: None,
                text: file.source.line_text(line.line).to_string(),
            },
        })
        .collect()
}

struct Pinned {
    name: String,
    old: Vec<u8>,
    new: Vec<u8>,
    /// Lines that were pinned.
    lines: Vec<u32>,
}

fn pin_all() -> Vec<Pinned> {
    let mut pinned = Vec::new();
    let mut changes = 0;
    for (name, bytes) in requirement_files() {
        let file = parse(&name, bytes.clone());
        let plan = plan(&file);
        if file.source.lossy {
            assert!(plan.changes.is_empty(), "{name}: a lossy file got changes");
            continue;
        }
        // The text encodes back to the file's bytes: the spans index those bytes faithfully.
        assert_eq!(
            file.source.encode(&file.source.text).unwrap(),
            bytes,
            "{name}"
        );
        // Every requirement the source runs is pinned, or left for a reason that is not
        // pindrift failing to rewrite it.
        for left in &plan.left {
            if let pindrift::pin::plan::LeftReason::Other(why) = &left.why {
                assert!(
                    why.starts_with("names no package"),
                    "{name}:{}: {why}",
                    left.line
                );
            }
        }
        let new_bytes = plan.new_bytes().unwrap();
        let new_text =
            pindrift::fix::apply(&file.source.text, plan.changes.iter().map(|c| &c.edit)).unwrap();
        assert_outside_unchanged(&name, &plan, &file.source.text, &new_text);
        let new_file = parse(&name, new_bytes.clone());
        assert_eq!(
            &*new_file.source.text, new_text,
            "{name}: encoding round trip"
        );
        let lines: Vec<u32> = plan.changes.iter().map(|c| c.line).collect();
        let before = seen(&file);
        let after = seen(&new_file);
        assert_eq!(before.len(), after.len(), "{name}: line count");
        for (b, a) in before.iter().zip(&after) {
            if lines.contains(&b.line) {
                assert_eq!(
                    (b.line, b.kind, &b.name, &b.extras, &b.marker),
                    (a.line, a.kind, &a.name, &a.extras, &a.marker),
                    "{name}"
                );
            } else {
                assert_eq!(b, a, "{name}: an unpinned line changed");
            }
        }
        for change in &plan.changes {
            assert_only_the_version_part_changed(&name, &change.before, &change.after);
        }
        for line in &new_file.lines {
            if let LineKind::Requirement(r) = &line.kind {
                if lines.contains(&line.line) {
                    let ok = match &r.requirement.source {
                        RequirementSource::Index { .. } => {
                            r.requirement.exact_version().as_deref() == Some(VERSION)
                        }
                        RequirementSource::Url { reference, .. } => {
                            reference.as_deref() == Some(COMMIT)
                        }
                        RequirementSource::Path { .. } => false,
                    };
                    assert!(ok, "{name}:{}: `{}` is not pinned", line.line, r.text);
                }
            }
        }
        let again = plan_file(
            &new_file,
            None,
            &Settings::default(),
            &facts_for(&new_file),
            &options(),
        );
        assert!(
            again.changes.is_empty(),
            "{name}: a second run changes {:?}",
            again.changes
        );
        changes += plan.changes.len();
        if !plan.changes.is_empty() {
            pinned.push(Pinned {
                name,
                old: bytes,
                new: new_bytes,
                lines,
            });
        }
    }
    assert!(
        changes > 50,
        "only {changes} changes: the test would prove little"
    );
    pinned
}

#[test]
fn pinning_every_requirements_file_keeps_everything_else() {
    let pinned = pin_all();
    eprintln!("{} files pinned", pinned.len());
}

/// The pip-reference virtualenv (made by tests/pip_differential.rs's setup, shared).
fn reference_python() -> PathBuf {
    let has_pip = |venv: &Path| {
        Command::new(venv.join("bin/python"))
            .args(["-c", "import pip._internal.req.req_file"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    match cached_venv("pip-reference-venv", &["--upgrade", "pip"], has_pip) {
        Ok(venv) => venv.join("bin/python"),
        Err(message) => unavailable(&format!("cannot set up pip from PyPI: {message}")),
    }
}

/// pip's view of each file: line number → entry.
fn pip_read(python: &Path, dir: &Path, files: &[String]) -> Vec<BTreeMap<u64, Value>> {
    let out = Command::new(python)
        .current_dir(dir)
        .arg(repo_root().join("tests/support/pip_reference.py"))
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["lines"]
                .as_array()
                .map(|lines| {
                    lines
                        .iter()
                        .map(|l| (l["line"].as_u64().unwrap(), l.clone()))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

#[test]
#[ignore = "needs python3 with venv and PyPI (pip's own parser)"]
fn pip_reads_the_pinned_files_as_the_same_requirements() {
    let python = reference_python();
    let pinned = pin_all();
    let dir = tempfile::tempdir().unwrap();
    let mut names = Vec::new();
    for (index, p) in pinned.iter().enumerate() {
        let file_name = Path::new(&p.name)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let rel = format!("{index}/{file_name}");
        for (side, bytes) in [("old", &p.old), ("new", &p.new)] {
            let path = dir.path().join(side).join(&rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        names.push(rel);
    }
    let old = pip_read(&python, &dir.path().join("old"), &names);
    let new = pip_read(&python, &dir.path().join("new"), &names);
    let mut compared = 0;
    for ((p, old), new) in pinned.iter().zip(&old).zip(&new) {
        assert_eq!(
            old.keys().collect::<Vec<_>>(),
            new.keys().collect::<Vec<_>>(),
            "{}: pip sees other lines",
            p.name
        );
        for (line, before) in old {
            let after = &new[line];
            let keys: &[&str] = if p.lines.contains(&(*line as u32)) {
                compared += 1;
                let pinned_spec = after["specifiers"]
                    == serde_json::json!([format!("=={VERSION}")])
                    || after["url"].as_str().is_some_and(|u| u.contains(COMMIT));
                assert!(pinned_spec, "{}:{line}: pip reads {after}", p.name);
                &["kind", "name", "marker", "origin", "hashes"]
            } else {
                &[
                    "kind",
                    "name",
                    "marker",
                    "origin",
                    "hashes",
                    "specifiers",
                    "url",
                    "error",
                ]
            };
            for key in keys {
                assert_eq!(before.get(*key), after.get(*key), "{}:{line} {key}", p.name);
            }
        }
    }
    assert!(compared > 50, "only {compared} pinned lines compared");
}
