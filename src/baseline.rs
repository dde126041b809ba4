//! `check --baseline FILE`: adopting pindrift on a repository that already has findings.
//!
//! A baseline records today's findings as fingerprints that survive edits elsewhere in the
//! file: the rule code, the file (relative to the baseline's folder, `/`-separated, so the
//! same baseline works from any working directory) and the finding's subject — the
//! requirement's name (PEP 503 normalized) in a requirements file, the flagged text (an
//! image, a package) in a Dockerfile — never a line or column. Identical fingerprints are
//! counted: two unpinned `flask` lines in one file are two findings, and a third is new.
//!
//! Later runs report only findings the baseline does not hold and say how many it matched
//! and how many of its entries are gone (fixed). The format is documented in
//! docs/baseline.md; it is versioned (`"version": 1`), and a file that is not a baseline of a
//! known version is an error naming the file, never an empty baseline.

use crate::diagnostic::Finding;
use crate::discover::{classify, FileKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The version this build writes and reads.
pub const VERSION: u32 = 1;

/// A baseline larger than this is refused (a legacy repository's is a few hundred KiB).
const MAX_BASELINE_SIZE: u64 = 256 * 1024 * 1024;

/// A subject longer than this is cut (a fingerprint, not a copy of the file).
const MAX_SUBJECT: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{path}: no such baseline file (create it with --update-baseline)")]
    Missing { path: String },
    #[error("{path}: cannot read the baseline: {message}")]
    Read { path: String, message: String },
    #[error("{path}:{line}:{column}: not a pindrift baseline: {message}")]
    Garbled {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{path}: baseline version {found} is not supported (this pindrift reads version {VERSION})"
    )]
    Version { path: String, found: u32 },
    #[error("{0}")]
    Write(#[from] crate::pin::write::WriteError),
}

/// One fingerprint and how many findings have it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub code: String,
    pub path: String,
    pub subject: String,
    pub count: usize,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    tool: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    findings: Vec<Entry>,
}

/// The fingerprint of a finding without its count: (code, path, subject).
pub type Key = (String, String, String);

/// A baseline read from (or to be written to) a file.
#[derive(Debug)]
pub struct Baseline {
    path: PathBuf,
    /// The file's folder, resolved: paths in the baseline are relative to it.
    base: PathBuf,
    counts: BTreeMap<Key, usize>,
    /// The bytes read (None when the file did not exist): a rewrite replaces only them.
    original: Option<Vec<u8>>,
}

/// What filtering against a baseline did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Matched {
    /// Findings the baseline holds (not reported).
    pub matched: usize,
    /// Baseline entries no finding matched any more (fixed, or the file is gone).
    pub gone: usize,
}

fn display(path: &Path) -> String {
    crate::paths::display_path(path)
}

impl Baseline {
    /// Opens `path`. A missing file is an error unless `may_be_missing` (`--update-baseline`).
    pub fn open(path: &Path, may_be_missing: bool) -> Result<Self, BaselineError> {
        let absolute = crate::paths::absolute(path);
        let base = crate::paths::resolve(absolute.parent().unwrap_or(Path::new("/")));
        let mut baseline = Self {
            path: path.to_path_buf(),
            base,
            counts: BTreeMap::new(),
            original: None,
        };
        if let Err(err) = std::fs::metadata(path) {
            if err.kind() == std::io::ErrorKind::NotFound && may_be_missing {
                return Ok(baseline);
            }
            return Err(if err.kind() == std::io::ErrorKind::NotFound {
                BaselineError::Missing {
                    path: display(path),
                }
            } else {
                BaselineError::Read {
                    path: display(path),
                    message: crate::paths::io_message(&err),
                }
            });
        }
        let bytes = crate::read::read_regular(path, MAX_BASELINE_SIZE).map_err(|err| {
            BaselineError::Read {
                path: display(path),
                message: err.to_string(),
            }
        })?;
        let garbled = |line, column, message: String| BaselineError::Garbled {
            path: display(path),
            line,
            column,
            message,
        };
        // The version first, so a newer format says so instead of "unknown field".
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| garbled(e.line(), e.column(), e.to_string()))?;
        match value.get("version").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(VERSION) => {}
            Some(v) => {
                return Err(BaselineError::Version {
                    path: display(path),
                    found: u32::try_from(v).unwrap_or(u32::MAX),
                })
            }
            None => return Err(garbled(1, 1, "no \"version\" number".into())),
        }
        let file: File = serde_json::from_value(value).map_err(|e| garbled(1, 1, e.to_string()))?;
        if file.tool != "pindrift" {
            return Err(garbled(
                1,
                1,
                format!("written by {:?}, not pindrift", file.tool),
            ));
        }
        for entry in file.findings {
            if entry.count == 0 {
                return Err(garbled(
                    1,
                    1,
                    format!("{} {} {:?}: count 0", entry.code, entry.path, entry.subject),
                ));
            }
            *baseline
                .counts
                .entry((entry.code, entry.path, entry.subject))
                .or_default() += entry.count;
        }
        baseline.original = Some(bytes);
        Ok(baseline)
    }

    /// The fingerprint of `finding`.
    pub fn key(&self, finding: &Finding) -> Key {
        (
            finding.code.code().to_string(),
            self.relative(&finding.path),
            subject(finding),
        )
    }

    /// `path` (as findings show it) relative to the baseline's folder, `/`-separated.
    fn relative(&self, shown: &str) -> String {
        let real = crate::paths::resolve(Path::new(shown));
        match real.strip_prefix(&self.base) {
            Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
            Err(_) => real.to_string_lossy().replace('\\', "/"),
        }
    }

    /// Keeps the findings the baseline does not hold. Findings are in report order, so
    /// when a fingerprint has more findings than the baseline counts, the later ones are new.
    pub fn filter(&self, findings: Vec<Finding>) -> (Vec<Finding>, Matched) {
        let mut left = self.counts.clone();
        let mut matched = 0;
        let mut new = Vec::new();
        for finding in findings {
            match left.get_mut(&self.key(&finding)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    matched += 1;
                }
                _ => new.push(finding),
            }
        }
        let gone = left.values().sum();
        (new, Matched { matched, gone })
    }

    /// Replaces the baseline with `findings` and writes it atomically (a temporary file
    /// renamed over it; a file changed since it was read is not overwritten).
    pub fn write(&mut self, findings: &[Finding]) -> Result<usize, BaselineError> {
        let mut counts: BTreeMap<Key, usize> = BTreeMap::new();
        for finding in findings {
            *counts.entry(self.key(finding)).or_default() += 1;
        }
        let file = File {
            version: VERSION,
            tool: "pindrift".into(),
            comment: Some(
                "Findings accepted when pindrift was adopted; `pindrift check --baseline` \
                 reports only others. Rewrite with --update-baseline. Format: docs/baseline.md."
                    .into(),
            ),
            findings: counts
                .iter()
                .map(|((code, path, subject), count)| Entry {
                    code: code.clone(),
                    path: path.clone(),
                    subject: subject.clone(),
                    count: *count,
                })
                .collect(),
        };
        let mut text = serde_json::to_vec_pretty(&file).unwrap_or_default();
        text.push(b'\n');
        crate::pin::write::write_new_or_replace(&self.path, self.original.as_deref(), &text)?;
        self.original = Some(text);
        self.counts = counts;
        Ok(findings.len())
    }
}

/// What a finding is about, without its position: in a requirements file the name of the
/// requirement on the finding's line (whatever part of it the finding points at: the name,
/// the specifier, a marker); elsewhere the flagged text, white space collapsed (an image, a
/// package, a flag).
pub fn subject(finding: &Finding) -> String {
    let text = finding
        .path
        .text()
        .get(finding.span.start..finding.span.end)
        .unwrap_or("");
    let dockerfile = classify(Path::new(&*finding.path)) == Some(FileKind::Dockerfile);
    if !dockerfile {
        if let Some(name) = leading_name(finding.source_line()) {
            return name;
        }
    }
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.chars().take(MAX_SUBJECT).collect()
}

/// The requirement name a requirements line starts with, normalized; None for options
/// (`-r`, `--hash`, `-e`), comments and empty lines.
fn leading_name(line: &str) -> Option<String> {
    let name: String = line
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .collect();
    name.starts_with(|c: char| c.is_ascii_alphanumeric())
        .then(|| crate::names::normalize_name(&name))
}

#[cfg(test)]
mod tests {
    use super::leading_name;

    #[test]
    fn names_of_requirement_lines() {
        assert_eq!(
            leading_name("Flask_Login>=0.6 ; python_version>'3'").as_deref(),
            Some("flask-login")
        );
        assert_eq!(leading_name("  eventlet").as_deref(), Some("eventlet"));
        assert_eq!(
            leading_name("zope.interface[x]==5").as_deref(),
            Some("zope-interface")
        );
        assert_eq!(leading_name("-r base.txt"), None);
        assert_eq!(leading_name("    --hash=sha256:abc"), None);
        assert_eq!(leading_name("# comment"), None);
        assert_eq!(leading_name(""), None);
    }
}
