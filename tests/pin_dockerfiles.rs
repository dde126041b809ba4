//! `pin` over every Dockerfile of the fixtures and of `../shared/corpus/real`, against a
//! synthetic source that has every package each file names (Python and OS) and a resolver
//! that knows every image: the edits never overlap and splice exactly the text they say they
//! replace (all other bytes stay), the lint finds nothing unpinned where pin wrote, and a
//! second run changes nothing. No engine, no network: the digests are made up.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use pindrift::config::Settings;
use pindrift::docker::{DigestError, DigestOrigin, DigestResolver, ResolvedDigest};
use pindrift::inventory::{
    EnvKind, Inventory, OsInventory, OsPackage, Package, PythonEnv, SourceInfo, SourceKind,
};
use pindrift::lint::dockerfile::pin_sites;
use pindrift::lint::requirements::requirement::parse_requirement;
use pindrift::names::normalize_name;
use pindrift::pin::dockerfile::{plan_dockerfile, still_unpinned};
use pindrift::pin::facts::Facts;
use pindrift::pin::plan::{FilePlan, PinOptions};
use pindrift::source::SourceFile;

/// Every reference has a digest: a hash of its text.
struct Everything;

impl DigestResolver for Everything {
    fn resolve<'a>(
        &'a self,
        reference: &'a str,
    ) -> BoxFuture<'a, Result<ResolvedDigest, DigestError>> {
        let mut hex = String::new();
        for salt in 0..4u8 {
            let mut h = DefaultHasher::new();
            (reference, salt).hash(&mut h);
            hex.push_str(&format!("{:016x}", h.finish()));
        }
        Box::pin(async move {
            Ok(ResolvedDigest {
                digest: format!("sha256:{hex}"),
                origin: DigestOrigin::Registry,
            })
        })
    }
}

/// A source with every Python and OS package the file names.
fn facts_for(source: &SourceFile) -> Facts {
    let mut env = PythonEnv::new("system", EnvKind::System);
    env.python = Some("3.12".into());
    let mut os = BTreeMap::new();
    if let Ok(sites) = pin_sites(source, &Settings::default(), None) {
        for site in &sites.packages {
            let text = site.package.text.trim();
            if site.tool.is_python() {
                if let Some(name) = parse_requirement(text).ok().and_then(|r| r.name) {
                    env.packages.insert(
                        normalize_name(&name),
                        Package {
                            name: normalize_name(&name),
                            display_name: name,
                            version: Some("1.0.0".into()),
                            direct: None,
                            location: "/usr/lib/python3/dist-packages".into(),
                        },
                    );
                }
            } else if site.tool.is_os() {
                let head = text.split(['=', '/', '~', '<', '>']).next().unwrap_or(text);
                let name = head.split([':', '@']).next().unwrap_or(head).to_string();
                os.insert(
                    name.clone(),
                    OsPackage {
                        name,
                        version: "1.0-1".into(),
                        arch: None,
                    },
                );
            }
        }
    }
    let inventory = Inventory {
        source: SourceInfo::file("image:everything", SourceKind::Image),
        envs: vec![env],
        os: Some(OsInventory {
            manager: "dpkg+apk".into(),
            sources: Vec::new(),
            packages: os,
        }),
        warnings: Vec::new(),
        requirements: Vec::new(),
    };
    let mut facts = Facts::from_inventory(inventory, None).unwrap();
    facts.assume(Some("3.12".into()), Some("linux".into()));
    facts
}

fn plan(source: Arc<SourceFile>, facts: &Facts, rt: &tokio::runtime::Runtime) -> FilePlan {
    let options = PinOptions {
        os: true,
        source: "image:everything".into(),
        ..PinOptions::default()
    };
    rt.block_on(plan_dockerfile(
        source,
        &Settings::default(),
        facts,
        Some(&Everything),
        &options,
    ))
}

#[derive(Default, Debug)]
struct Tally {
    files: usize,
    changed: usize,
    changes: usize,
    left: BTreeMap<&'static str, usize>,
}

/// Checks one file; returns what went wrong.
fn check_file(path: &Path, rt: &tokio::runtime::Runtime, tally: &mut Tally) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap();
    let shown = path.display().to_string();
    let source = Arc::new(SourceFile::from_bytes(path, &shown, bytes));
    let facts = facts_for(&source);
    let first = plan(source.clone(), &facts, rt);
    let mut problems = Vec::new();
    tally.files += 1;
    tally.changes += first.changes.len();
    tally.changed += usize::from(!first.changes.is_empty());
    for l in &first.left {
        *tally.left.entry(l.why.code()).or_default() += 1;
        if std::env::var_os("PIN_SHOW_LEFT").is_some() {
            println!("{shown}:{}: {} ({})", l.line, l.subject, l.why);
        }
        if l.line == 0 || l.line as usize > source.line_count().max(1) {
            problems.push(format!("{shown}: left item at line {}", l.line));
        }
    }
    // The edits: in order, apart, each replacing exactly what it says.
    let mut end = 0;
    for c in &first.changes {
        let span = c.edit.span;
        if span.start < end {
            problems.push(format!("{shown}:{}: overlapping edits", c.line));
        }
        end = span.end;
        if source.text.get(span.range()) != Some(c.before.as_str()) || c.after != c.edit.replacement
        {
            problems.push(format!(
                "{shown}:{}: change does not match its span",
                c.line
            ));
        }
    }
    if first.changes.is_empty() {
        return problems;
    }
    let new = match first.new_bytes() {
        Ok(b) => String::from_utf8(b).unwrap(),
        Err(e) => {
            problems.push(format!("{shown}: {e}"));
            return problems;
        }
    };
    // Every byte outside the edits is where it was.
    let mut expected = String::new();
    let mut at = 0;
    if source.had_bom {
        expected.push('\u{feff}');
    }
    for c in &first.changes {
        expected.push_str(&source.text[at..c.edit.span.start]);
        expected.push_str(&c.after);
        at = c.edit.span.end;
    }
    expected.push_str(&source.text[at..]);
    if new != expected {
        problems.push(format!("{shown}: bytes outside the edits changed"));
    }
    let rewritten = SourceFile::new(path, &shown, new.as_str());
    problems.extend(still_unpinned(&first, &rewritten, &Settings::default()));
    let second = plan(Arc::new(rewritten), &facts, rt);
    for c in &second.changes {
        problems.push(format!(
            "{shown}:{}: second run changes `{}` to `{}`",
            c.line, c.before, c.after
        ));
    }
    let before: BTreeSet<(String, &str)> = first
        .left
        .iter()
        .map(|l| (l.subject.clone(), l.why.code()))
        .collect();
    for l in &second.left {
        if !before.contains(&(l.subject.clone(), l.why.code())) {
            problems.push(format!(
                "{shown}:{}: second run leaves `{}` ({}), the first did not",
                l.line,
                l.subject,
                l.why.code()
            ));
        }
    }
    problems
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

fn report(tally: &Tally, problems: &[String]) {
    println!("{tally:?}");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_fixture_dockerfile_pins_cleanly() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let rt = runtime();
    let mut tally = Tally::default();
    let mut problems = Vec::new();
    for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy();
        if entry.file_type().is_file()
            && (name.ends_with("Dockerfile") || name.ends_with(".Dockerfile"))
        {
            problems.extend(check_file(entry.path(), &rt, &mut tally));
        }
    }
    assert!(tally.files >= 15 && tally.changes > 50, "{tally:?}");
    report(&tally, &problems);
}

#[test]
#[ignore = "needs ../shared"]
fn every_corpus_dockerfile_pins_cleanly() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real");
    let index = std::fs::read_to_string(dir.join("INDEX.tsv")).unwrap_or_else(|_| {
        panic!(
            "{} is absent; this test is #[ignore]d: run `cargo test` without --include-ignored to leave it out",
            dir.display()
        )
    });
    let rt = runtime();
    let mut tally = Tally::default();
    let mut problems = Vec::new();
    for line in index.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [repo, path, kind, ..] = cols.as_slice() else {
            continue;
        };
        if *kind != "dockerfile" {
            continue;
        }
        let file = dir.join(repo.replace('/', "+")).join(path);
        problems.extend(check_file(&file, &rt, &mut tally));
    }
    assert!(tally.files > 250, "{tally:?}");
    report(&tally, &problems);
}

/// Without an engine, `pin` still pins the Dockerfile's pip arguments, leaves each image with
/// the reason, and `--check` counts the images as unresolved.
#[test]
fn without_an_engine_images_are_left_and_the_rest_is_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        "FROM python:3.11-slim AS build\nRUN pip install --no-cache-dir eventlet\nFROM build\n";
    std::fs::write(dir.path().join("Dockerfile"), text).unwrap();
    let freeze = dir.path().join("prod.freeze.txt");
    std::fs::write(&freeze, "eventlet==0.20.0\n").unwrap();
    let from = format!("freeze:{}", freeze.display());
    let run = |args: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("pindrift")
            .unwrap()
            .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let path = dir.path().to_str().unwrap();
    let (code, out) = run(&["pin", path, "--from", &from, "--check", "--format", "json"]);
    assert_eq!(code, Some(1), "{out}");
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    let left = &plan["left"];
    assert_eq!(left[0]["subject"], "python:3.11-slim", "{out}");
    assert_eq!(left[0]["reason"], "digest-unavailable");
    assert_eq!(left[0]["unresolved"], true);
    assert!(
        left[0]["message"]
            .as_str()
            .unwrap()
            .contains("no Docker Engine to ask"),
        "{out}"
    );
    assert_eq!(left[1]["reason"], "stage");
    assert_eq!(left[1]["unresolved"], false);
    let (code, out) = run(&["pin", path, "--from", &from]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap(),
        text.replace("eventlet\n", "eventlet==0.20.0\n")
    );
}

#[test]
fn rpm_packages_are_left_and_reported_not_rewritten() {
    // `pin --os` reads dpkg and apk databases: even with a source that "has" every package,
    // an unpinned yum/dnf/zypper/rpm package is left with its reason, and no RPM line changes.
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/dockerfile/rpm_packages.Dockerfile");
    let bytes = std::fs::read(&path).unwrap();
    let source = Arc::new(SourceFile::from_bytes(
        &path,
        "rpm_packages.Dockerfile",
        bytes,
    ));
    let facts = facts_for(&source);
    let plan = plan(source.clone(), &facts, &runtime());
    let rpm_lines: Vec<u32> = (1..=source.line_count() as u32)
        .filter(|&l| {
            let t = source.line_text(l);
            !t.trim_start().starts_with("FROM") && !t.trim_start().starts_with('#')
        })
        .collect();
    for c in &plan.changes {
        let line = source.line_text(c.line);
        assert!(
            line.trim_start().starts_with("FROM"),
            "only images change: {line}"
        );
    }
    let left: Vec<(u32, &str)> = plan
        .left
        .iter()
        .filter(|l| l.why.to_string().contains("pin --os"))
        .map(|l| (l.line, l.subject.as_str()))
        .collect();
    for want in [
        "java-17-openjdk-devel",
        "python3.11",
        "libstdc++-devel",
        "curl.x86_64",
        "shadow-utils",
        "shadow",
        "python311",
    ] {
        assert!(
            left.iter().any(|(_, s)| *s == want),
            "{want} not left: {left:?}"
        );
    }
    assert!(left.iter().all(|(l, _)| rpm_lines.contains(l)));
    // Pinned ones are not reported as left.
    assert!(!left
        .iter()
        .any(|(_, s)| s.starts_with("java-11-openjdk-11")));
}
