//! The exact pins of a requirements file and everything it includes: the `req:FILE`
//! source of `pindrift drift`.

use super::install::{collect_install, FileCache};
use super::parse::LineKind;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum PinsError {
    #[error("{path}: {message}")]
    Read { path: String, message: String },
}

/// One exactly pinned requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// PEP 503-normalized name.
    pub name: String,
    pub version: String,
    pub path: PathBuf,
    pub line: u32,
}

/// Every requirement with an exact version in `path` and its `-r` includes (constraints
/// files are not installs and are left out). Unpinned requirements are skipped: they
/// say nothing about which version runs.
pub fn collect_pins(path: &Path) -> Result<Vec<Pin>, PinsError> {
    let cache = FileCache::new();
    let install = collect_install(path, &cache);
    let mut pins = Vec::new();
    for member in &install.members {
        let file = match member.file.as_ref() {
            Ok(file) => file,
            Err(message) => {
                return Err(PinsError::Read {
                    path: crate::paths::display_path(path),
                    message: message.to_string(),
                })
            }
        };
        if member.constraint {
            continue;
        }
        for line in file.lines() {
            if let LineKind::Requirement(req) = &line.kind {
                if let (Some(name), Some(version)) = (
                    &req.requirement.normalized_name,
                    req.requirement.exact_version(),
                ) {
                    pins.push(Pin {
                        name: name.clone(),
                        version,
                        path: file.source.path.clone(),
                        line: line.line,
                    });
                }
            }
        }
    }
    Ok(pins)
}
