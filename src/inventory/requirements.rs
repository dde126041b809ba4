//! A requirements file as a *specification* (the `req:FILE` source of `pindrift drift`):
//! every requirement line of the file and its `-r`/`-c` includes, with its specifiers,
//! marker and extras, and where it was written. Nothing is dropped: unpinned requirements,
//! URL requirements and constraints are kept; a line pip would reject, an include that
//! cannot be read and a remote include are errors.

use std::path::Path;

use pep440_rs::VersionSpecifiers;

use crate::lint::requirements::install::{collect_install, FileCache};
use crate::lint::requirements::parse::{LineKind, RequirementsFileError};
use crate::lint::requirements::requirement::RequirementSource;

/// Why a requirements file cannot be used as a specification.
#[derive(Debug, thiserror::Error)]
pub enum ReqFileError {
    #[error("{0}")]
    Unreadable(String),
    /// The file named (not an include: those are `Invalid`) is not a regular file, is past
    /// the cap, or cannot be opened.
    #[error("{path}: {reason}")]
    Read {
        path: String,
        reason: crate::read::ReadError,
    },
    #[error(
        "{location}: {message}\n  pip would refuse this file too; fix it (`pindrift check {file}` shows every problem)"
    )]
    Invalid {
        location: String,
        message: String,
        file: String,
    },
    /// A line pip would reject, in `file` or one of its includes.
    #[error(
        "{error}\n  pip would refuse this file too; fix it (`pindrift check {file}` shows every problem)"
    )]
    Line {
        error: RequirementsFileError,
        file: String,
    },
}

/// What a requirement asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// From an index: the specifiers (none: any version).
    Index {
        specifiers: Option<VersionSpecifiers>,
        /// `===VALUE` that is not a PEP 440 version: compared as a string, as pip does.
        arbitrary_equal: Option<String>,
    },
    /// A direct URL or local path; `version` when a wheel file name pins it.
    Direct {
        url: String,
        version: Option<String>,
    },
}

/// One requirement line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReqEntry {
    /// PEP 503 normalized name.
    pub name: String,
    pub display_name: String,
    pub wanted: Wanted,
    pub marker: Option<String>,
    pub extras: Vec<String>,
    /// From a `-c` constraints file: limits what may be installed, installs nothing.
    pub constraint: bool,
    pub editable: bool,
    /// A requirement that names no package (`-e .`, `./pkg` without `#egg=`): reported as
    /// unknown, never matched.
    pub nameless: bool,
    /// `FILE:LINE`.
    pub location: String,
}

impl ReqEntry {
    /// The specifier as written (`>=21.2`, `==1.0`, `@ URL`); empty for "any version".
    pub fn specifier(&self) -> String {
        match &self.wanted {
            Wanted::Index {
                specifiers,
                arbitrary_equal,
            } => {
                let text = specifiers
                    .as_ref()
                    .map(|s| s.to_string())
                    .unwrap_or_default();
                match arbitrary_equal {
                    Some(v) if text.is_empty() => format!("==={v}"),
                    Some(v) => format!("{text}, ==={v}"),
                    None => text,
                }
            }
            Wanted::Direct { url, .. } => format!("@ {url}"),
        }
    }

    /// The one version this requirement allows, when it allows exactly one.
    pub fn exact_version(&self) -> Option<String> {
        match &self.wanted {
            Wanted::Index {
                arbitrary_equal: Some(v),
                ..
            } => Some(v.clone()),
            Wanted::Index {
                specifiers: Some(s),
                ..
            } => s.iter().find_map(|spec| {
                use pep440_rs::Operator;
                match spec.operator() {
                    Operator::Equal | Operator::ExactEqual => Some(spec.version().to_string()),
                    _ => None,
                }
            }),
            Wanted::Direct { version, .. } => version.clone(),
            _ => None,
        }
    }

    /// Does the requirement allow any version at all (no specifier, no URL)?
    pub fn unpinned(&self) -> bool {
        matches!(
            &self.wanted,
            Wanted::Index {
                specifiers: None,
                arbitrary_equal: None
            }
        ) || matches!(&self.wanted, Wanted::Index { specifiers: Some(s), arbitrary_equal: None } if s.iter().next().is_none())
    }
}

/// Every requirement of `path` and its includes, in the order pip reads them; no file
/// larger than `max_file_size`, and only regular files.
pub fn read_requirements(path: &Path, max_file_size: u64) -> Result<Vec<ReqEntry>, ReqFileError> {
    let cache = FileCache::new().with_max_file_size(max_file_size);
    let install = collect_install(path, &cache);
    // The file named: unreadable, it has no lines, and no include finding says so.
    if let Some(Err(reason)) = install.members.first().map(|m| m.file.as_ref()) {
        return Err(ReqFileError::Read {
            path: crate::paths::display_path(path),
            reason: reason.clone(),
        });
    }
    if let Some(f) = install.include_findings.first() {
        return Err(ReqFileError::Invalid {
            location: format!("{}:{}", f.path, f.line),
            message: f.message.to_string(),
            file: crate::paths::display_path(path),
        });
    }
    let mut out = Vec::new();
    for (m, line) in install.lines() {
        let member = &install.members[m];
        let file = match member.file.as_ref() {
            Ok(f) => f,
            Err(message) => {
                return Err(ReqFileError::Unreadable(format!(
                    "{}: {message}",
                    crate::paths::display_path(path)
                )))
            }
        };
        let location = format!("{}:{}", file.source.display, line.line);
        let invalid = |message: String| ReqFileError::Invalid {
            location: location.clone(),
            message,
            file: crate::paths::display_path(path),
        };
        match &line.kind {
            LineKind::Invalid { error, offset, .. } => {
                return Err(ReqFileError::Line {
                    error: RequirementsFileError {
                        file: file.source.display.clone(),
                        line: line.line,
                        offset: *offset,
                        error: error.clone(),
                    },
                    file: crate::paths::display_path(path),
                })
            }
            LineKind::Include { target, .. } => {
                let lower = target.to_ascii_lowercase();
                if ["http:", "https:", "file:"]
                    .iter()
                    .any(|p| lower.starts_with(p))
                {
                    return Err(invalid(format!(
                        "`{target}` is a remote include; pindrift does not fetch it, so its requirements cannot be compared"
                    )));
                }
            }
            LineKind::Options { .. } => {}
            LineKind::Requirement(req) => {
                let r = &req.requirement;
                let (display_name, name, nameless) = match (&r.name, &r.normalized_name) {
                    (Some(d), Some(n)) => (d.clone(), n.clone(), false),
                    _ => {
                        let text = if req.editable {
                            format!("-e {}", req.text)
                        } else {
                            req.text.clone()
                        };
                        (text.clone(), text, true)
                    }
                };
                let wanted = match &r.source {
                    RequirementSource::Index { specifiers } => Wanted::Index {
                        specifiers: specifiers.clone(),
                        arbitrary_equal: r.arbitrary_equal.clone(),
                    },
                    RequirementSource::Url {
                        url, wheel_version, ..
                    } => Wanted::Direct {
                        url: url.clone(),
                        version: wheel_version.clone(),
                    },
                    RequirementSource::Path {
                        path,
                        wheel_version,
                    } => Wanted::Direct {
                        url: path.clone(),
                        version: wheel_version.clone(),
                    },
                };
                out.push(ReqEntry {
                    name,
                    display_name,
                    nameless,
                    wanted,
                    marker: r.marker.clone(),
                    extras: r.extras.clone(),
                    constraint: member.constraint,
                    editable: req.editable,
                    location,
                });
            }
        }
    }
    Ok(out)
}
