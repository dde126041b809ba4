//! One requirement as pip's `install_req_from_line` reads it: a PEP 508 specifier
//! (through pep508_rs), a bare URL with `#egg=`, a local path or a wheel file.

use pep508_rs::pep440_rs::{Operator, VersionSpecifiers};
use pep508_rs::{Requirement, VersionOrUrl};
use std::str::FromStr;

/// Version-control systems pip knows, by URL scheme prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vcs {
    Git,
    Mercurial,
    Subversion,
    Bazaar,
}

impl Vcs {
    fn from_scheme(scheme: &str) -> Option<Self> {
        let kind = scheme.split('+').next().unwrap_or(scheme);
        match kind {
            "git" => Some(Vcs::Git),
            "hg" => Some(Vcs::Mercurial),
            "svn" => Some(Vcs::Subversion),
            "bzr" => Some(Vcs::Bazaar),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Vcs::Git => "git",
            Vcs::Mercurial => "hg",
            Vcs::Subversion => "svn",
            Vcs::Bazaar => "bzr",
        }
    }
}

/// Where a requirement is installed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequirementSource {
    /// A package index: name plus version specifiers (possibly none).
    Index {
        specifiers: Option<VersionSpecifiers>,
    },
    /// A direct URL (`name @ url` or a bare URL).
    Url {
        url: String,
        vcs: Option<Vcs>,
        /// The revision after `@` in a VCS URL.
        reference: Option<String>,
        /// A `#sha256=…` style hash fragment on an archive URL.
        has_hash_fragment: bool,
        /// The URL names a wheel: pip reads `name==version` from the file name.
        wheel_version: Option<String>,
    },
    /// A local directory or archive.
    Path {
        path: String,
        wheel_version: Option<String>,
    },
}

/// A requirement after parsing; names are as written, `normalized_name` per PEP 503.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRequirement {
    pub name: Option<String>,
    pub normalized_name: Option<String>,
    pub extras: Vec<String>,
    pub source: RequirementSource,
    pub marker: Option<String>,
}

impl ParsedRequirement {
    /// The exact version this requirement pins, if it pins one (`==X` without
    /// wildcard, `===X`, or a wheel file's version).
    pub fn exact_version(&self) -> Option<String> {
        match &self.source {
            RequirementSource::Index {
                specifiers: Some(specifiers),
            } => specifiers.iter().find_map(|spec| match spec.operator() {
                Operator::Equal | Operator::ExactEqual => Some(spec.version().to_string()),
                _ => None,
            }),
            RequirementSource::Url { wheel_version, .. }
            | RequirementSource::Path { wheel_version, .. } => wheel_version.clone(),
            _ => None,
        }
    }

    /// The specifier text (`>=1.0,<2`), empty when there is none.
    pub fn specifier_text(&self) -> String {
        match &self.source {
            RequirementSource::Index {
                specifiers: Some(specifiers),
            } => specifiers.to_string(),
            _ => String::new(),
        }
    }
}

/// PEP 503 normalization: lowercase, runs of `-_.` become `-`.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut last_was_separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !last_was_separator {
                out.push('-');
            }
            last_was_separator = true;
        } else {
            out.push(c.to_ascii_lowercase());
            last_was_separator = false;
        }
    }
    out
}

const VCS_SCHEMES: &[&str] = &[
    "git",
    "git+http",
    "git+https",
    "git+ssh",
    "git+git",
    "git+file",
    "hg+file",
    "hg+http",
    "hg+https",
    "hg+ssh",
    "hg+static-http",
    "svn",
    "svn+ssh",
    "svn+http",
    "svn+https",
    "svn+svn",
    "svn+file",
    "bzr+http",
    "bzr+https",
    "bzr+ssh",
    "bzr+sftp",
    "bzr+ftp",
    "bzr+lp",
    "bzr+file",
];

fn url_scheme(text: &str) -> Option<String> {
    let (scheme, _) = text.split_once(':')?;
    Some(scheme.to_ascii_lowercase())
}

/// pip's `is_url`: a scheme it can install from.
pub fn is_url(text: &str) -> bool {
    match url_scheme(text) {
        Some(scheme) => {
            matches!(scheme.as_str(), "http" | "https" | "file" | "ftp")
                || VCS_SCHEMES.contains(&scheme.as_str())
        }
        None => false,
    }
}

/// pip's `_looks_like_path`.
fn looks_like_path(text: &str) -> bool {
    text.contains('/') || text.starts_with('.') || (cfg!(windows) && text.contains('\\'))
}

const ARCHIVE_EXTENSIONS: &[&str] = &[
    ".zip",
    ".whl",
    ".tar.bz2",
    ".tbz",
    ".tar.xz",
    ".txz",
    ".tlz",
    ".tar.lz",
    ".tar.lzma",
    ".tar.gz",
    ".tgz",
    ".tar",
];

fn is_archive_file(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ARCHIVE_EXTENSIONS.iter().any(|ext| lower.ends_with(ext))
}

/// pip's wheel file name pattern: name and version of `name-ver[-build]-py-abi-plat.whl`.
pub fn wheel_name_version(file_name: &str) -> Option<(String, String)> {
    let stem = file_name.strip_suffix(".whl").or_else(|| {
        file_name
            .len()
            .checked_sub(4)
            .filter(|&cut| {
                file_name.is_char_boundary(cut) && file_name[cut..].eq_ignore_ascii_case(".whl")
            })
            .map(|cut| &file_name[..cut])
    })?;
    let parts: Vec<&str> = stem.split('-').collect();
    if !(parts.len() == 5 || parts.len() == 6)
        || parts
            .iter()
            .any(|p| p.is_empty() || p.contains(char::is_whitespace))
    {
        return None;
    }
    if parts.len() == 6 && !parts[2].starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some((parts[0].replace('_', "-"), parts[1].replace('_', "-")))
}

fn is_valid_project_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Splits `url#egg=name&subdirectory=x` style fragments.
fn egg_fragment(url: &str) -> Option<String> {
    let fragment = url.split_once('#')?.1;
    fragment
        .split('&')
        .find_map(|part| part.strip_prefix("egg="))
        .map(str::to_string)
}

fn has_hash_fragment(url: &str) -> bool {
    url.split_once('#').is_some_and(|(_, fragment)| {
        fragment.split('&').any(|part| {
            part.split_once('=').is_some_and(|(algo, _)| {
                matches!(
                    algo,
                    "sha1" | "sha224" | "sha256" | "sha384" | "sha512" | "md5"
                )
            })
        })
    })
}

/// The `@rev` of a VCS URL (`git+https://host/repo.git@v1.2#egg=x`). An `@` in the
/// authority (user@host) is not a revision.
fn vcs_reference(url: &str) -> Option<String> {
    let without_fragment = url.split('#').next().unwrap_or(url);
    let after_scheme = without_fragment
        .split_once("://")
        .map_or(without_fragment, |(_, rest)| rest);
    let path_start = after_scheme.find('/').unwrap_or(after_scheme.len());
    let path = &after_scheme[path_start..];
    let (_, reference) = path.rsplit_once('@')?;
    (!reference.is_empty()).then(|| reference.to_string())
}

fn url_source(url: &str) -> RequirementSource {
    let vcs = url_scheme(url).and_then(|scheme| Vcs::from_scheme(&scheme));
    let file_name = url
        .split(['#', '?'])
        .next()
        .unwrap_or(url)
        .rsplit('/')
        .next()
        .unwrap_or("");
    let wheel_version = if vcs.is_none() {
        wheel_name_version(file_name).map(|(_, version)| version)
    } else {
        None
    };
    RequirementSource::Url {
        url: url.to_string(),
        reference: vcs.and_then(|_| vcs_reference(url)),
        vcs,
        has_hash_fragment: has_hash_fragment(url),
        wheel_version,
    }
}

/// Parses a requirement as pip does for one line of a requirements file (or one
/// argument of `pip install`). Errors carry pip-like messages.
pub fn parse_requirement(text: &str) -> Result<ParsedRequirement, String> {
    let marker_separator = if is_url(text) { "; " } else { ";" };
    let (spec, marker) = match text.split_once(marker_separator) {
        Some((spec, marker)) => {
            let marker = marker.trim();
            (spec, (!marker.is_empty()).then(|| marker.to_string()))
        }
        None => (text, None),
    };
    let spec = spec.trim();
    if let Some(marker) = &marker {
        validate_marker(marker)?;
    }

    if is_url(spec) {
        let source = url_source(spec);
        let name = match &source {
            RequirementSource::Url {
                url,
                wheel_version: Some(_),
                ..
            } => {
                let file_name = url
                    .split(['#', '?'])
                    .next()
                    .unwrap_or(url)
                    .rsplit('/')
                    .next()
                    .unwrap_or("");
                wheel_name_version(file_name).map(|(name, _)| name)
            }
            _ => egg_fragment(spec).filter(|name| is_valid_project_name(name)),
        };
        return Ok(ParsedRequirement {
            normalized_name: name.as_deref().map(normalize_name),
            name,
            extras: Vec::new(),
            source,
            marker,
        });
    }

    // Local paths: a folder, or an archive file (pip also treats an archive name that
    // does not exist as a path, unless it reads as `name @ url`).
    let (path_part, extras) = strip_extras(spec);
    let looks_pep508_url = spec
        .split_once('@')
        .is_some_and(|(before, _)| !looks_like_path(before));
    if !looks_pep508_url && (looks_like_path(spec) || is_archive_file(path_part)) {
        let file_name = path_part.rsplit(['/', '\\']).next().unwrap_or(path_part);
        let wheel = wheel_name_version(file_name);
        if file_name.to_ascii_lowercase().ends_with(".whl") && wheel.is_none() {
            return Err(format!("{file_name} is not a valid wheel filename."));
        }
        let name = wheel.as_ref().map(|(name, _)| name.clone());
        return Ok(ParsedRequirement {
            normalized_name: name.as_deref().map(normalize_name),
            name,
            extras,
            source: RequirementSource::Path {
                path: path_part.to_string(),
                wheel_version: wheel.map(|(_, version)| version),
            },
            marker,
        });
    }

    let requirement = Requirement::<pep508_rs::VerbatimUrl>::from_str(spec).map_err(|err| {
        let mut message = format!(
            "Invalid requirement: {spec:?}: {}",
            first_line(&err.to_string())
        );
        if spec.contains('=')
            && !["==", ">=", "<=", "!=", "~=", "==="]
                .iter()
                .any(|op| spec.contains(op))
        {
            message.push_str(" (= is not a valid operator. Did you mean == ?)");
        }
        message
    })?;
    let source = match requirement.version_or_url {
        None => RequirementSource::Index { specifiers: None },
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => RequirementSource::Index {
            specifiers: (!specifiers.is_empty()).then_some(specifiers),
        },
        Some(VersionOrUrl::Url(url)) => url_source(url.given().unwrap_or(url.raw().as_str())),
    };
    let name = requirement.name.to_string();
    let marker = marker.or_else(|| requirement.marker.contents().map(|m| m.to_string()));
    Ok(ParsedRequirement {
        normalized_name: Some(normalize_name(&name)),
        name: Some(name),
        extras: requirement.extras.iter().map(ToString::to_string).collect(),
        source,
        marker,
    })
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

fn validate_marker(marker: &str) -> Result<(), String> {
    pep508_rs::MarkerTree::from_str(marker)
        .map(|_| ())
        .map_err(|err| {
            format!(
                "Invalid marker {marker:?}: {}",
                first_line(&err.to_string())
            )
        })
}

/// pip's `_strip_extras`: `path[extra1,extra2]`.
fn strip_extras(text: &str) -> (&str, Vec<String>) {
    if let Some(stripped) = text.strip_suffix(']') {
        if let Some(open) = stripped.rfind('[') {
            let inner = &stripped[open + 1..];
            if open > 0 && !inner.is_empty() && !inner.contains(']') {
                let extras = inner.split(',').map(|e| e.trim().to_string()).collect();
                return (&text[..open], extras);
            }
        }
    }
    (text, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ParsedRequirement {
        parse_requirement(text).unwrap_or_else(|err| panic!("{text}: {err}"))
    }

    #[test]
    fn pep508_forms() {
        let r = parse("Flask_Login[extra] >= 1.0, <2 ; python_version >= \"3.8\"");
        assert_eq!(r.normalized_name.as_deref(), Some("flask-login"));
        assert_eq!(r.extras, vec!["extra"]);
        assert!(r.marker.is_some());
        assert_eq!(r.exact_version(), None);
        assert_eq!(
            parse("eventlet (==0.20.0)").exact_version().as_deref(),
            Some("0.20.0")
        );
        assert_eq!(
            parse("eventlet===0.20.0").exact_version().as_deref(),
            Some("0.20.0")
        );
        assert_eq!(parse("eventlet==0.20.*").exact_version(), None);
    }

    #[test]
    fn bare_vcs_url_takes_name_from_egg() {
        let r = parse("git+https://github.com/org/repo.git@main#egg=repo");
        assert_eq!(r.name.as_deref(), Some("repo"));
        match r.source {
            RequirementSource::Url { vcs, reference, .. } => {
                assert_eq!(vcs, Some(Vcs::Git));
                assert_eq!(reference.as_deref(), Some("main"));
            }
            other => panic!("{other:?}"),
        }
        let r = parse("git+ssh://git@github.com/org/repo.git#egg=repo");
        assert!(matches!(
            r.source,
            RequirementSource::Url {
                reference: None,
                ..
            }
        ));
    }

    #[test]
    fn wheels_pin_their_version() {
        assert_eq!(
            parse("./dist/my_pkg-1.2.0-py3-none-any.whl")
                .exact_version()
                .as_deref(),
            Some("1.2.0")
        );
        let r = parse("https://files.example/eventlet-0.20.0-py2.py3-none-any.whl");
        assert_eq!(r.name.as_deref(), Some("eventlet"));
    }

    #[test]
    fn name_at_url_is_a_pep508_url() {
        let r = parse("pkg @ https://example.com/pkg-1.0.tar.gz#sha256=abc");
        assert_eq!(r.name.as_deref(), Some("pkg"));
        assert!(matches!(
            r.source,
            RequirementSource::Url {
                has_hash_fragment: true,
                ..
            }
        ));
    }

    #[test]
    fn invalid_requirements_are_errors() {
        assert!(parse_requirement("flask=1.0")
            .unwrap_err()
            .contains("Did you mean =="));
        assert!(parse_requirement("flask ==").is_err());
    }

    #[test]
    fn normalization() {
        assert_eq!(normalize_name("Zope.Interface"), "zope-interface");
        assert_eq!(normalize_name("a__-b"), "a-b");
    }
}
