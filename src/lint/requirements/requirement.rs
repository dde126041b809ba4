//! One requirement as pip's `install_req_from_line` reads it: a PEP 508 specifier
//! (through pep508_rs), a bare URL with `#egg=`, a local path or a wheel file.

use pep508_rs::pep440_rs::{Operator, VersionSpecifiers};
use pep508_rs::{Requirement, VersionOrUrl};
use std::str::FromStr;

use crate::names::normalize_name;

/// Why pip would reject a requirement. The text is pip's wording (checked against pip by
/// tests/pip_differential.rs); `offset` is the byte offset in the requirement text where
/// the problem is, for the caller to map into its file (uv's `RequirementsTxtParserError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequirementError {
    /// pip's `InvalidEggFragment`.
    #[error("Invalid egg fragment {value:?} in {url}: it must be a project name, without extras or version")]
    EggFragment {
        value: String,
        url: String,
        offset: usize,
    },
    #[error("{file_name} is not a valid wheel filename.")]
    WheelFileName { file_name: String, offset: usize },
    /// Not PEP 508 as packaging reads it; `reason` is the parser's first line.
    #[error(
        "Invalid requirement: \"{excerpt}\": {reason}{}",
        if *equals_hint { " (= is not a valid operator. Did you mean == ?)" } else { "" }
    )]
    Pep508 {
        excerpt: String,
        reason: String,
        equals_hint: bool,
        offset: usize,
    },
    #[error(
        "Invalid requirement: parentheses nested {depth} deep (more than {MAX_MARKER_NESTING})"
    )]
    Nesting { depth: usize, offset: usize },
    #[error("Invalid requirement: \"{excerpt}\": Package name must end with an alphanumeric character, not '{last}'")]
    NameEnd {
        excerpt: String,
        last: char,
        offset: usize,
    },
    #[error("Invalid marker {marker:?}: {reason}")]
    Marker {
        marker: String,
        reason: String,
        offset: usize,
    },
}

impl RequirementError {
    /// Byte offset in the requirement text where the problem is.
    pub fn offset(&self) -> usize {
        match self {
            RequirementError::EggFragment { offset, .. }
            | RequirementError::WheelFileName { offset, .. }
            | RequirementError::Pep508 { offset, .. }
            | RequirementError::Nesting { offset, .. }
            | RequirementError::NameEnd { offset, .. }
            | RequirementError::Marker { offset, .. } => *offset,
        }
    }

    /// The same error for a text that starts `by` bytes later in a larger text.
    pub fn shifted(self, by: usize) -> Self {
        self.map_offset(|offset| offset + by)
    }

    /// The same error with its offset moved into another text.
    pub fn map_offset(mut self, f: impl FnOnce(usize) -> usize) -> Self {
        match &mut self {
            RequirementError::EggFragment { offset, .. }
            | RequirementError::WheelFileName { offset, .. }
            | RequirementError::Pep508 { offset, .. }
            | RequirementError::Nesting { offset, .. }
            | RequirementError::NameEnd { offset, .. }
            | RequirementError::Marker { offset, .. } => *offset = f(*offset),
        }
        self
    }
}

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
    /// The value of `===VALUE` when VALUE is not a PEP 440 version (`===foobar`): pip
    /// compares it as a string, and pep440_rs cannot hold it in `specifiers`.
    pub arbitrary_equal: Option<String>,
}

impl ParsedRequirement {
    /// The exact version this requirement pins, if it pins one (`==X` without
    /// wildcard, `===X`, or a wheel file's version).
    pub fn exact_version(&self) -> Option<String> {
        if let Some(value) = &self.arbitrary_equal {
            return Some(value.clone());
        }
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
        let text = match &self.source {
            RequirementSource::Index {
                specifiers: Some(specifiers),
            } => specifiers.to_string(),
            _ => String::new(),
        };
        match &self.arbitrary_equal {
            Some(value) if text.is_empty() => format!("==={value}"),
            Some(value) => format!("{text}, ==={value}"),
            None => text,
        }
    }
}

const VCS_SCHEMES: &[&str] = &[
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

/// pip's `Link.egg_fragment`: the first `[#&]egg=([^&]*)` anywhere in the URL. A value
/// that is not a PEP 508 project name is an error (pip's `InvalidEggFragment`).
pub fn egg_fragment(url: &str) -> Result<Option<String>, RequirementError> {
    let bytes = url.as_bytes();
    let Some(start) = (0..bytes.len())
        .find(|&i| matches!(bytes[i], b'#' | b'&') && bytes[i + 1..].starts_with(b"egg="))
    else {
        return Ok(None);
    };
    let value = &url[start + 5..];
    let value = value.split('&').next().unwrap_or(value);
    if is_valid_project_name(value) {
        Ok(Some(value.to_string()))
    } else {
        Err(RequirementError::EggFragment {
            value: value.to_string(),
            url: url.to_string(),
            offset: start + 5,
        })
    }
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

/// The last path segment of a URL (pip's `Link.filename`, without unquoting).
fn url_file_name(url: &str) -> &str {
    let path = url.split(['#', '?']).next().unwrap_or(url);
    path.rsplit('/').next().unwrap_or("")
}

/// pip's `Link.is_wheel`: the file name ends in `.whl` (any case).
fn is_wheel_name(file_name: &str) -> bool {
    file_name.len() >= 4
        && file_name.is_char_boundary(file_name.len() - 4)
        && file_name[file_name.len() - 4..].eq_ignore_ascii_case(".whl")
}

fn url_source(url: &str) -> RequirementSource {
    let vcs = url_scheme(url).and_then(|scheme| Vcs::from_scheme(&scheme));
    let file_name = url_file_name(url);
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
pub fn parse_requirement(text: &str) -> Result<ParsedRequirement, RequirementError> {
    let marker_separator = if is_url(text) { "; " } else { ";" };
    let (spec, marker) = match text.split_once(marker_separator) {
        Some((spec, marker)) => {
            let marker_at = spec.len() + marker_separator.len();
            let marker_at = marker_at + (marker.len() - marker.trim_start().len());
            let marker = marker.trim();
            (
                spec,
                (!marker.is_empty()).then(|| (marker.to_string(), marker_at)),
            )
        }
        None => (text, None),
    };
    // Offsets of errors in `spec` are offsets in `text` once its leading blanks are counted.
    let spec_at = spec.len() - spec.trim_start().len();
    let spec = spec.trim();
    if let Some((marker, at)) = &marker {
        validate_marker(marker).map_err(|err| err.shifted(*at))?;
    }
    let marker = marker.map(|(marker, _)| marker);
    parse_spec(spec, marker).map_err(|err| err.shifted(spec_at))
}

/// The requirement before its `;` marker, trimmed.
fn parse_spec(spec: &str, marker: Option<String>) -> Result<ParsedRequirement, RequirementError> {
    if is_url(spec) {
        let egg = egg_fragment(spec)?;
        let file_name = url_file_name(spec);
        let name = if is_wheel_name(file_name) {
            let (name, _) = wheel_name_version(file_name)
                .ok_or_else(|| wheel_file_name_error(spec, file_name))?;
            Some(name)
        } else {
            egg
        };
        return Ok(ParsedRequirement {
            normalized_name: name.as_deref().map(normalize_name),
            name,
            extras: Vec::new(),
            source: url_source(spec),
            marker,
            arbitrary_equal: None,
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
            return Err(wheel_file_name_error(spec, file_name));
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
            arbitrary_equal: None,
        });
    }

    check_name_end(spec)?;
    let (requirement, arbitrary_equal, relative_url) = parse_pep508(spec)?;
    let source = match (requirement.version_or_url, relative_url) {
        (_, Some(path)) => RequirementSource::Path {
            path,
            wheel_version: None,
        },
        (None, None) => RequirementSource::Index { specifiers: None },
        (Some(VersionOrUrl::VersionSpecifier(specifiers)), None) => {
            // The `===0` that stood in for an arbitrary `===VALUE` is not a real specifier.
            let specifiers: VersionSpecifiers = specifiers
                .iter()
                .filter(|spec| {
                    arbitrary_equal.is_none()
                        || !(*spec.operator() == Operator::ExactEqual
                            && spec.version().to_string() == "0")
                })
                .cloned()
                .collect();
            RequirementSource::Index {
                specifiers: (!specifiers.is_empty()).then_some(specifiers),
            }
        }
        (Some(VersionOrUrl::Url(url)), None) => {
            let url = url.given().unwrap_or(url.raw().as_str());
            egg_fragment(url).map_err(|err| err.shifted(spec.find(url).unwrap_or(0)))?;
            url_source(url)
        }
    };
    let name = requirement.name.to_string();
    let marker = marker.or_else(|| requirement.marker.contents().map(|m| m.to_string()));
    Ok(ParsedRequirement {
        normalized_name: Some(normalize_name(&name)),
        name: Some(name),
        extras: requirement.extras.iter().map(ToString::to_string).collect(),
        source,
        marker,
        arbitrary_equal,
    })
}

/// `file_name` (a part of `text`) is not a wheel name pip accepts.
fn wheel_file_name_error(text: &str, file_name: &str) -> RequirementError {
    RequirementError::WheelFileName {
        file_name: file_name.to_string(),
        offset: text.find(file_name).unwrap_or(0),
    }
}

type Pep508Requirement = Requirement<pep508_rs::VerbatimUrl>;

/// Why pep508_rs did not take a text: its message (several lines: the text, underlined)
/// and where.
#[derive(Debug, thiserror::Error)]
enum Pep508Failure {
    #[error(transparent)]
    Nesting(RequirementError),
    #[error("{message}")]
    Parser { message: String, offset: usize },
    #[error("Invalid requirement: {0:?}")]
    Panicked(String),
}

impl Pep508Failure {
    fn offset(&self) -> usize {
        match self {
            Pep508Failure::Nesting(err) => err.offset(),
            Pep508Failure::Parser { offset, .. } => *offset,
            Pep508Failure::Panicked(_) => 0,
        }
    }
}

/// pep508_rs 0.9 panics on some input (an extra ending in `.`, non-ASCII text in a
/// marker); such text is invalid for pip too, so a panic is an invalid requirement.
fn pep508_requirement(spec: &str) -> Result<Pep508Requirement, Pep508Failure> {
    check_nesting(spec).map_err(Pep508Failure::Nesting)?;
    crate::guard::catch_panic(|| {
        Pep508Requirement::from_str(spec).map_err(|e| Pep508Failure::Parser {
            message: e.to_string(),
            offset: e.start.min(spec.len()),
        })
    })
    .unwrap_or_else(|| Err(Pep508Failure::Panicked(spec.to_string())))
}

/// A PEP 508 string through pep508_rs, accepting what pip's `packaging` accepts beyond it:
/// a trailing comma after the specifiers (`flask>=2.0,`), `===` with a value that is not
/// a PEP 440 version (`===foobar`, returned apart), and `name @ relative/path` (returned
/// apart: packaging takes any URL text, pip treats it as a local path).
fn parse_pep508(
    spec: &str,
) -> Result<(Pep508Requirement, Option<String>, Option<String>), RequirementError> {
    let error = match pep508_requirement(spec) {
        Ok(requirement) => {
            let arbitrary = arbitrary_equal_value(spec).map(|(_, value)| value.to_string());
            return Ok((requirement, arbitrary, None));
        }
        Err(err) => err,
    };
    let retry = |text: &str| pep508_requirement(text).ok();
    if let Some(without_comma) = without_trailing_comma(spec) {
        if let Some(requirement) = retry(&without_comma) {
            return Ok((requirement, None, None));
        }
    }
    if let Some((range, value)) = arbitrary_equal_value(spec) {
        let replaced = format!("{}0{}", &spec[..range.start], &spec[range.end..]);
        if let Some(requirement) = retry(&replaced) {
            return Ok((requirement, Some(value.to_string()), None));
        }
    }
    if let Some((before, url)) = spec.split_once('@') {
        let url = url.trim();
        if !url.is_empty()
            && !url.contains([' ', '\t'])
            && !url.contains("://")
            && !url.contains(':')
        {
            if let Some(requirement) = retry(&format!("{before}@ file:///pindrift-relative")) {
                return Ok((requirement, None, Some(url.to_string())));
            }
        }
    }
    Err(RequirementError::Pep508 {
        excerpt: crate::lint::excerpt(spec),
        reason: first_line(&error.to_string()).to_string(),
        equals_hint: spec.contains('=')
            && !["==", ">=", "<=", "!=", "~=", "==="]
                .iter()
                .any(|op| spec.contains(op)),
        offset: error.offset(),
    })
}

/// packaging's `version_many` allows one trailing comma (before the end or a `)`).
fn without_trailing_comma(spec: &str) -> Option<String> {
    let trimmed = spec.trim_end();
    let (body, close) = match trimmed.strip_suffix(')') {
        Some(body) => (body.trim_end(), ")"),
        None => (trimmed, ""),
    };
    let body = body.strip_suffix(',')?;
    Some(format!("{body}{close}"))
}

/// The value after `===` (packaging: `===\s*[^\s;)]*`) and its byte range.
fn arbitrary_equal_value(spec: &str) -> Option<(std::ops::Range<usize>, &str)> {
    let at = spec.find("===")? + 3;
    let rest = &spec[at..];
    let start = at + (rest.len() - rest.trim_start().len());
    let len = spec[start..]
        .find(|c: char| c.is_whitespace() || c == ';' || c == ')' || c == ',')
        .unwrap_or(spec.len() - start);
    let value = &spec[start..start + len];
    (!value.is_empty() && pep508_rs::pep440_rs::Version::from_str(value).is_err())
        .then_some((start..start + len, value))
}

/// pep508_rs parses markers recursively: thousands of nested parentheses would overflow
/// the stack, which no guard can catch. No real marker nests more than a few levels.
const MAX_MARKER_NESTING: usize = 64;

fn check_nesting(text: &str) -> Result<(), RequirementError> {
    let (mut depth, mut deepest, mut quote) = (0usize, 0usize, None);
    // Where the nesting first goes too deep.
    let mut too_deep_at = None;
    for (index, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => {
                depth += 1;
                deepest = deepest.max(depth);
                if depth > MAX_MARKER_NESTING {
                    too_deep_at.get_or_insert(index);
                }
            }
            (None, ')') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    match too_deep_at {
        Some(offset) => Err(RequirementError::Nesting {
            depth: deepest,
            offset,
        }),
        None => Ok(()),
    }
}

/// A name ending in `.`, `-` or `_` and followed by more text (`name-==1.0`) makes
/// pep508_rs 0.9 panic instead of returning an error; reject it first, as pip does.
fn check_name_end(spec: &str) -> Result<(), RequirementError> {
    let name_len = spec
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        .count();
    match spec.as_bytes().get(name_len.wrapping_sub(1)) {
        Some(last @ (b'.' | b'-' | b'_')) if name_len < spec.len() => {
            Err(RequirementError::NameEnd {
                excerpt: crate::lint::excerpt(spec),
                last: *last as char,
                offset: name_len - 1,
            })
        }
        _ => Ok(()),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

fn validate_marker(marker: &str) -> Result<(), RequirementError> {
    check_nesting(marker)?;
    let parsed = crate::guard::catch_panic(|| {
        pep508_rs::MarkerTree::from_str(marker)
            .map_err(|err| (err.to_string(), err.start.min(marker.len())))
    })
    .unwrap_or_else(|| Err(("not a valid marker".to_string(), 0)));
    parsed
        .map(|_| ())
        .map_err(|(reason, offset)| RequirementError::Marker {
            marker: marker.to_string(),
            reason: first_line(&reason).to_string(),
            offset,
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
            .to_string()
            .contains("Did you mean =="));
        assert!(parse_requirement("flask ==").is_err());
    }
}

#[cfg(test)]
mod pip_differential_fixes {
    use super::*;

    #[test]
    fn deeply_nested_markers_are_errors_not_stack_overflows() {
        let deep = format!(
            "foo; {}python_version>'3'{}",
            "(".repeat(5000),
            ")".repeat(5000)
        );
        let err = parse_requirement(&deep)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("nested 5000 deep"), "{err}");
        let fine = format!("foo; {}python_version>'3'{}", "(".repeat(8), ")".repeat(8));
        assert!(parse_requirement(&fine).is_ok());
        assert!(parse_requirement("foo; python_version > '((((('").is_ok());
    }

    #[test]
    fn pep508_rs_panics_are_invalid_requirements() {
        // Found by the requirement_line and requirements_file fuzz targets.
        for text in [
            "httpx[http2.28.",
            "foo; python_version >= \"3.10\"\u{fffd} and python_version < \"4.0\"",
        ] {
            assert!(parse_requirement(text).is_err(), "{text}");
        }
    }

    #[test]
    fn name_ending_in_separator_is_an_error_not_a_panic() {
        for text in [
            "name-==1.0",
            "name_ (==1)",
            "name.[x]",
            "a- ; python_version>'3'",
        ] {
            assert!(parse_requirement(text).is_err(), "{text}");
        }
        assert!(parse_requirement("name-").is_err());
    }

    #[test]
    fn invalid_egg_fragment_is_an_error() {
        for text in [
            "git+https://h.example/r.git@0.5.6#egg=themes==0.5.6",
            "git+https://h.example/r.git#egg=repo[extra]",
            "git+https://h.example/r.git#egg=-bad",
            "pkg @ git+https://h.example/r.git#egg=a@b",
        ] {
            assert!(parse_requirement(text).is_err(), "{text}");
        }
        // pip finds `egg=` after `&` anywhere in the URL, the first one wins.
        let r = parse_requirement("https://f.example/a?x=1&egg=pkg").unwrap();
        assert_eq!(r.name.as_deref(), Some("pkg"));
    }

    #[test]
    fn bare_git_and_svn_schemes_are_not_urls() {
        assert!(!is_url("git://github.com/org/repo.git#egg=repo"));
        assert!(!is_url("svn://svn.example/repo#egg=repo"));
        // Not a URL, so a path for pip (which rejects it as a file that does not exist).
        assert!(matches!(
            parse_requirement("git://github.com/org/repo.git#egg=repo").map(|r| r.source),
            Ok(RequirementSource::Path { .. })
        ));
        assert!(is_url("git+git://github.com/org/repo.git"));
    }

    #[test]
    fn errors_say_where_in_the_text() {
        let offset = |text: &str| parse_requirement(text).map(|_| ()).unwrap_err().offset();
        assert_eq!(offset("  name-==1.0"), 6);
        assert_eq!(offset("https://f.example/dist/notawheel.whl"), 23);
        let deep = format!(
            "foo; {}python_version>'3'{}",
            "(".repeat(70),
            ")".repeat(70)
        );
        assert_eq!(offset(&deep), 5 + MAX_MARKER_NESTING);
        assert_eq!(offset("pkg @ git+https://h.example/r.git#egg=a@b"), 38);
        assert!(matches!(
            parse_requirement("flask=1.0"),
            Err(RequirementError::Pep508 {
                equals_hint: true,
                ..
            })
        ));
    }

    #[test]
    fn wheel_url_with_a_bad_file_name_is_an_error() {
        assert!(parse_requirement("https://f.example/dist/notawheel.whl").is_err());
    }

    #[test]
    fn arbitrary_equality_keeps_its_string() {
        let r = parse_requirement("eventlet===foobar").unwrap();
        assert_eq!(r.exact_version().as_deref(), Some("foobar"));
        assert_eq!(r.specifier_text(), "===foobar");
        assert_eq!(
            crate::lint::requirements::pinning::pin_status(&r),
            crate::lint::requirements::pinning::PinStatus::Pinned
        );
        let r = parse_requirement("eventlet===foobar, >=1").unwrap();
        assert_eq!(r.specifier_text(), ">=1, ===foobar");
    }

    #[test]
    fn one_trailing_comma_is_accepted_like_packaging() {
        assert!(parse_requirement("flask>=2.0,").is_ok());
        assert!(parse_requirement("flask (>=2.0,)").is_ok());
        assert!(parse_requirement("flask>=2.0,,<3").is_err());
    }

    #[test]
    fn name_at_relative_path_is_a_local_path() {
        let r = parse_requirement("pkg @ ./localpkg").unwrap();
        assert_eq!(r.name.as_deref(), Some("pkg"));
        assert!(
            matches!(r.source, RequirementSource::Path { ref path, .. } if path == "./localpkg")
        );
    }
}
