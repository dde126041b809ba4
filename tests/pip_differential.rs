//! Differential test: pindrift's requirements parser against pip's own.
//!
//! The test setup makes a virtualenv under `target/pip-reference-venv` (reused when
//! present) with the latest pip from PyPI, runs `tests/support/pip_reference.py` over
//! every requirements fixture and every requirements file of `../shared/corpus/real`,
//! and compares pip's view of each line with pindrift's:
//!
//! * which lines exist (after joining continuations and dropping comments) and their
//!   first line number;
//! * what each line is: requirement, editable, include (`-r`/`-c` and its target),
//!   file option, or an error pip rejects;
//! * for requirements: the PEP 503 normalized name, the set of specifiers (versions
//!   PEP 440 normalized; a wheel file counts as `==its version`, as pip makes it), whether
//!   there is a marker, where it installs from (index, URL, local path) and, for URLs,
//!   the URL itself, whether it is a VCS checkout or an archive, and whether it carries a
//!   hash fragment (what PD103 reads to tell a branch archive that moves, such as
//!   `fixtures/requirements/archives.txt`, from one a hash holds).
//!
//! Local paths are the one place where pip's answer depends on the disk: pip rejects a
//! folder that does not exist or holds no `setup.py`/`pyproject.toml`, and turns the rest
//! into `file:` links. pip runs with the file's folder as working directory (pip reads
//! paths relative to the working directory). When pindrift classifies a line as a local
//! path, the line agrees if pip also saw a local path (same editable flag, same name and
//! wheel version) or rejected it; pindrift does not look at the disk.
//!
//! Environment variables for `${VAR}` lines are set identically for both sides: pip's
//! process gets `ENV`, pindrift's parser looks variables up in the same map.
//!
//! Needs `../shared` (the corpus test) and python3 + venv + PyPI for the reference: the tests
//! are `#[ignore]`d; run with `--include-ignored`, they fail when these are unavailable.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

#[path = "support/venv.rs"]
mod venv;
use pindrift::lint::requirements::parse::{parse_requirements_with_env, LineKind};
use pindrift::lint::requirements::requirement::RequirementSource;
use pindrift::source::SourceFile;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use venv::{cached_venv, repo_root, unavailable};

/// Known, justified differences: (path suffix, line, why). Keep this tiny.
const ALLOWED_DIFFERENCES: &[(&str, u32, &str)] = &[];

/// Variables both sides see for `${VAR}` expansion (the tricky fixtures use them).
const ENV: &[(&str, &str)] = &[
    ("PINDRIFT_TEST_FLASK_VERSION", "2.3.2"),
    ("PINDRIFT_TEST_INDEX", "https://pypi.example/simple"),
    ("PINDRIFT_TEST_EMPTY", ""),
    ("PINDRIFT_TEST_PKG", "requests"),
];
/// Variables removed from pip's environment, so both sides see them unset.
const UNSET: &[&str] = &["PINDRIFT_TEST_UNSET"];

fn corpus_dir() -> Option<PathBuf> {
    let dir = repo_root().join("../shared/corpus/real");
    if dir.join("INDEX.tsv").is_file() {
        Some(dir)
    } else {
        unavailable(&format!("{} is absent", dir.display()))
    }
}

/// The virtualenv's python with the latest pip, made once (and reused across runs).
fn setup_reference() -> Result<PathBuf, String> {
    let has_pip = |venv: &Path| {
        Command::new(venv.join("bin/python"))
            .args(["-c", "import pip._internal.req.req_file"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let venv = cached_venv("pip-reference-venv", &["--upgrade", "pip"], has_pip)?;
    Ok(venv.join("bin/python"))
}

fn reference_python() -> Option<PathBuf> {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(setup_reference) {
        Ok(python) => Some(python.clone()),
        Err(message) => unavailable(&format!(
            "cannot set up pip from PyPI in a virtualenv: {message}"
        )),
    }
}

/// How one side sees one line, reduced to what both can be compared on.
#[derive(Debug, Clone, PartialEq, Eq)]
enum View {
    Requirement {
        editable: bool,
        name: Option<String>,
        specifiers: BTreeSet<String>,
        has_marker: bool,
        origin: &'static str,
        /// Only for `url` origins.
        url: Option<String>,
        /// Only for `url` origins: a VCS checkout (else an archive), and a hash fragment
        /// (`#sha256=…`) on the URL — what PD103 needs to tell a branch archive that moves
        /// from one a hash holds.
        vcs: bool,
        url_hash: bool,
    },
    Include {
        constraint: bool,
        target: String,
    },
    Option,
    Error(String),
}

fn pip_view(entry: &Value) -> View {
    let str_field = |key: &str| entry.get(key).and_then(Value::as_str).map(str::to_string);
    match entry.get("kind").and_then(Value::as_str).unwrap_or("") {
        kind @ ("requirement" | "editable") => {
            let origin = match str_field("origin").as_deref() {
                Some("index") => "index",
                Some("url") => "url",
                _ => "path",
            };
            let flag = |key: &str| {
                origin == "url" && entry.get(key).and_then(Value::as_bool) == Some(true)
            };
            View::Requirement {
                editable: kind == "editable",
                name: str_field("name"),
                specifiers: entry
                    .get("specifiers")
                    .and_then(Value::as_array)
                    .map(|specs| {
                        specs
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
                has_marker: entry.get("marker").is_some_and(|m| !m.is_null()),
                origin,
                url: (origin == "url").then(|| str_field("url")).flatten(),
                vcs: flag("vcs"),
                url_hash: flag("url_hash"),
            }
        }
        "include" => View::Include {
            constraint: entry
                .get("constraint")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            target: str_field("include").unwrap_or_default(),
        },
        "option" => View::Option,
        _ => View::Error(str_field("error").unwrap_or_default()),
    }
}

/// A PEP 440 specifier as pip prints it after the script's normalization.
fn normalize_specifier(text: &str) -> String {
    text.replace(' ', "")
}

fn pindrift_view(kind: &LineKind) -> View {
    match kind {
        LineKind::Requirement(line) => {
            let parsed = &line.requirement;
            let (origin, url, mut specifiers) = match &parsed.source {
                RequirementSource::Index { specifiers } => (
                    "index",
                    None,
                    specifiers
                        .iter()
                        .flat_map(|specs| specs.iter())
                        .map(|spec| normalize_specifier(&spec.to_string()))
                        .chain(parsed.arbitrary_equal.iter().map(|v| format!("==={v}")))
                        .collect::<BTreeSet<_>>(),
                ),
                RequirementSource::Url { url, .. }
                    if url
                        .get(..5)
                        .is_some_and(|s| s.eq_ignore_ascii_case("file:")) =>
                {
                    ("path", None, BTreeSet::new())
                }
                RequirementSource::Url { url, .. } => ("url", Some(url.clone()), BTreeSet::new()),
                RequirementSource::Path { .. } => ("path", None, BTreeSet::new()),
            };
            let (vcs, url_hash) = match &parsed.source {
                RequirementSource::Url {
                    vcs,
                    has_hash_fragment,
                    ..
                } if origin == "url" => (vcs.is_some(), *has_hash_fragment),
                _ => (false, false),
            };
            if origin != "index" {
                // pip turns a wheel file into `name==version`.
                if let Some(version) = parsed.exact_version() {
                    let version = pep508_version(&version);
                    specifiers.insert(format!("=={version}"));
                }
            }
            View::Requirement {
                editable: line.editable,
                name: parsed.normalized_name.clone(),
                specifiers,
                has_marker: parsed.marker.is_some(),
                origin,
                url,
                vcs,
                url_hash,
            }
        }
        LineKind::Include {
            constraint, target, ..
        } => View::Include {
            constraint: *constraint,
            target: target.clone(),
        },
        LineKind::Options { .. } => View::Option,
        LineKind::Invalid { error, .. } => View::Error(error.to_string()),
    }
}

fn pep508_version(text: &str) -> String {
    use std::str::FromStr;
    pep508_rs::pep440_rs::Version::from_str(text)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| text.to_string())
}

/// Whether two views of one line agree (see the module docs for local paths).
fn agree(pip: &View, ours: &View) -> bool {
    match (pip, ours) {
        (View::Error(_), View::Error(_)) => true,
        (View::Error(_), View::Requirement { origin: "path", .. }) => true,
        (
            View::Requirement {
                editable: pe,
                name: pn,
                specifiers: ps,
                origin: "path",
                ..
            },
            View::Requirement {
                editable: oe,
                name: on,
                specifiers: os,
                origin: "path",
                ..
            },
        ) => pe == oe && pn == on && ps == os,
        (a, b) => a == b,
    }
}

struct Tally {
    files: usize,
    lines: usize,
    same: usize,
    differences: Vec<String>,
    allowed: usize,
    /// Lines pindrift reads as a local path that pip rejected because of the disk.
    local_path_rejected_by_pip: usize,
}

fn compare_files(label: &str, files: &[PathBuf]) -> Option<Tally> {
    let python = reference_python()?;
    let script = repo_root().join("tests/support/pip_reference.py");
    let env: HashMap<String, String> = std::env::vars()
        .filter(|(k, _)| !UNSET.contains(&k.as_str()))
        .chain(ENV.iter().map(|(k, v)| (k.to_string(), v.to_string())))
        .collect();

    // One pip process per folder: pip resolves local paths against its working directory.
    let mut by_dir: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    for file in files {
        let dir = file.parent().unwrap_or(Path::new(".")).to_path_buf();
        by_dir.entry(dir).or_default().push(file.clone());
    }
    let mut tally = Tally {
        files: 0,
        lines: 0,
        same: 0,
        differences: Vec::new(),
        allowed: 0,
        local_path_rejected_by_pip: 0,
    };
    for (dir, files) in by_dir {
        let names: Vec<String> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        let output = Command::new(&python)
            .arg(&script)
            .args(&names)
            .current_dir(&dir)
            .env_clear()
            .envs(&env)
            .output()
            .expect("run pip reference script");
        assert!(
            output.status.success(),
            "pip reference failed in {}: {}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let report: Value = serde_json::from_slice(&output.stdout).expect("pip reference JSON");
        let reports = report["files"].as_array().expect("files array");
        for (path, pip_file) in files.iter().zip(reports) {
            tally.files += 1;
            let shown = path
                .strip_prefix(repo_root())
                .unwrap_or(path)
                .display()
                .to_string();
            let pip_lines: BTreeMap<u32, (String, View)> = pip_file["lines"]
                .as_array()
                .expect("lines")
                .iter()
                .map(|entry| {
                    (
                        entry["line"].as_u64().expect("line number") as u32,
                        (
                            entry["text"].as_str().unwrap_or("").to_string(),
                            pip_view(entry),
                        ),
                    )
                })
                .collect();
            let bytes = std::fs::read(path).expect("read file");
            let source = SourceFile::from_pip_bytes(path, &shown, bytes);
            let parsed = parse_requirements_with_env(source, &|name| env.get(name).cloned());
            let our_lines: BTreeMap<u32, View> = parsed
                .lines
                .iter()
                .map(|line| (line.line, pindrift_view(&line.kind)))
                .collect();
            let numbers: BTreeSet<u32> =
                pip_lines.keys().chain(our_lines.keys()).copied().collect();
            for number in numbers {
                tally.lines += 1;
                let pip = pip_lines.get(&number);
                let ours = our_lines.get(&number);
                let same = match (pip, ours) {
                    (Some((_, pip)), Some(ours)) => agree(pip, ours),
                    _ => false,
                };
                if same {
                    if let Some((_, View::Error(_))) = pip {
                        if matches!(ours, Some(View::Requirement { .. })) {
                            tally.local_path_rejected_by_pip += 1;
                        }
                    }
                    tally.same += 1;
                    continue;
                }
                let allowed = ALLOWED_DIFFERENCES
                    .iter()
                    .any(|(suffix, line, _)| shown.ends_with(suffix) && *line == number);
                if allowed {
                    tally.allowed += 1;
                    continue;
                }
                tally.differences.push(format!(
                    "{shown}:{number}: {:?}\n    pip:      {:?}\n    pindrift: {:?}",
                    pip.map(|(text, _)| text.as_str()).unwrap_or("<no line>"),
                    pip.map(|(_, view)| view),
                    ours
                ));
            }
        }
    }
    let percent = if tally.lines == 0 {
        100.0
    } else {
        100.0 * tally.same as f64 / tally.lines as f64
    };
    eprintln!(
        "pip differential ({label}): {}/{} lines judged the same ({percent:.2}%) over {} files ({} of them local paths pip rejected); {} allowed differences, {} unexpected",
        tally.same,
        tally.lines,
        tally.files,
        tally.local_path_rejected_by_pip,
        tally.allowed,
        tally.differences.len()
    );
    Some(tally)
}

fn assert_all_agree(label: &str, tally: &Tally) {
    assert!(
        tally.differences.is_empty(),
        "pindrift and pip disagree on {} line(s) of the {label}:\n{}",
        tally.differences.len(),
        tally.differences.join("\n")
    );
}

/// Every file under `dir` that pindrift would lint as a requirements file, plus every
/// `.txt`/`.in` under `fixtures/requirements/`.
fn requirement_fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(repo_root().join("fixtures"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .filter(|path| {
            let in_requirements = path.components().any(|c| c.as_os_str() == "requirements");
            let ext_ok = path.extension().is_some_and(|e| e == "txt" || e == "in");
            pindrift::discover::classify(path) == Some(pindrift::discover::FileKind::Requirements)
                || (in_requirements && ext_ok)
        })
        .collect();
    files.sort();
    files
}

/// The corpus's requirements, constraints and pip-compile input files (from INDEX.tsv).
fn corpus_files(dir: &Path) -> Vec<PathBuf> {
    let index = std::fs::read_to_string(dir.join("INDEX.tsv")).expect("read INDEX.tsv");
    let mut files: Vec<PathBuf> = index
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let (repo, path, kind) = (fields.first()?, fields.get(1)?, fields.get(2)?);
            matches!(*kind, "requirements" | "constraints" | "pip-in")
                .then(|| dir.join(repo.replace('/', "+")).join(path))
        })
        .collect();
    files.sort();
    files
}

#[test]
#[ignore = "needs python3 and PyPI"]
fn pip_agrees_on_requirement_fixtures() {
    let files = requirement_fixtures();
    assert!(
        files.iter().any(|f| f.to_string_lossy().contains("tricky")),
        "the tricky fixtures are missing"
    );
    let Some(tally) = compare_files("fixtures", &files) else {
        return;
    };
    assert_all_agree("fixtures", &tally);
}

#[test]
#[ignore = "needs ../shared, python3 and PyPI"]
fn pip_agrees_on_real_world_corpus() {
    let Some(dir) = corpus_dir() else { return };
    let files = corpus_files(&dir);
    assert!(
        files.len() >= 50,
        "expected the corpus's requirements files"
    );
    for file in &files {
        assert!(
            file.is_file(),
            "{} listed in INDEX.tsv is missing",
            file.display()
        );
    }
    let Some(tally) = compare_files("corpus", &files) else {
        return;
    };
    assert!(
        tally.lines > 1000,
        "suspiciously few lines: {}",
        tally.lines
    );
    assert_all_agree("corpus", &tally);
}
