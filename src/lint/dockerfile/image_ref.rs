//! Image references as the distribution reference grammar
//! (`github.com/distribution/reference`) reads them:
//!
//! ```text
//! reference := name [ ":" tag ] [ "@" digest ]
//! name      := [domain "/"] path-component ["/" path-component]*
//! domain    := host [":" port]
//! ```
//!
//! The first path component is a registry host when it contains `.` or `:`, is `localhost`, or
//! has an uppercase letter (Docker's normalisation rule), so `localhost:5000/team/app:1.2` has
//! the host `localhost:5000` and the tag `1.2`, never the tag `5000/team/app:1.2`.

use std::ops::Range;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry host (with port), if written.
    pub domain: Option<String>,
    /// Repository path without the domain (`library/python` is written `python`).
    pub path: String,
    pub tag: Option<String>,
    /// `algorithm:hex`.
    pub digest: Option<String>,
    /// Byte range of the tag (after `:`) within the parsed string.
    pub tag_range: Option<Range<usize>>,
}

impl ImageRef {
    /// `name` as written (domain and path).
    pub fn name(&self) -> String {
        match &self.domain {
            Some(d) => format!("{d}/{}", self.path),
            None => self.path.clone(),
        }
    }

    pub fn is_scratch(&self) -> bool {
        self.domain.is_none()
            && self.path == "scratch"
            && self.tag.is_none()
            && self.digest.is_none()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefError(pub String);

impl std::fmt::Display for RefError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn valid_component(c: &str) -> bool {
    // [a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*
    let b = c.as_bytes();
    if b.is_empty() || !b[0].is_ascii_lowercase() && !b[0].is_ascii_digit() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let ch = b[i];
        if ch.is_ascii_lowercase() || ch.is_ascii_digit() {
            i += 1;
            continue;
        }
        // separator
        let sep_start = i;
        if ch == b'.' {
            i += 1;
        } else if ch == b'_' {
            i += 1;
            if b.get(i) == Some(&b'_') {
                i += 1;
            }
        } else if ch == b'-' {
            while b.get(i) == Some(&b'-') {
                i += 1;
            }
        } else {
            return false;
        }
        let _ = sep_start;
        match b.get(i) {
            Some(n) if n.is_ascii_lowercase() || n.is_ascii_digit() => {}
            _ => return false,
        }
    }
    true
}

fn valid_domain(d: &str) -> bool {
    if d.is_empty() {
        return false;
    }
    // IPv6 literal
    if let Some(rest) = d.strip_prefix('[') {
        return rest.contains(']');
    }
    let (host, port) = match d.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (d, None),
    };
    if let Some(p) = port {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn valid_tag(t: &str) -> bool {
    // [\w][\w.-]{0,127}
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

fn valid_digest(d: &str) -> bool {
    let Some((alg, hex)) = d.split_once(':') else {
        return false;
    };
    let alg_ok = !alg.is_empty()
        && alg.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'+' | b'.' | b'_' | b'-')
        });
    let hex_ok = hex.len() >= 32
        && hex
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'=' || b == b'_' || b == b'-');
    if alg == "sha256" {
        return hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    }
    if alg == "sha512" {
        return hex.len() == 128
            && hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    }
    alg_ok && hex_ok
}

/// Parses an image reference.
pub fn parse(s: &str) -> Result<ImageRef, RefError> {
    if s.is_empty() {
        return Err(RefError("empty image reference".into()));
    }
    let (name_tag, digest) = match s.split_once('@') {
        Some((n, d)) => {
            if !valid_digest(d) {
                return Err(RefError(format!("invalid digest `{d}`")));
            }
            (n, Some(d.to_string()))
        }
        None => (s, None),
    };
    // Domain: first component when it looks like a host.
    let (domain, remainder, rem_off) = match name_tag.split_once('/') {
        Some((first, rest))
            if first.contains('.')
                || first.contains(':')
                || first == "localhost"
                || first.bytes().any(|b| b.is_ascii_uppercase()) =>
        {
            (Some(first.to_string()), rest, first.len() + 1)
        }
        _ => (None, name_tag, 0),
    };
    // Tag: after the last ':' of the remainder (no '/' can follow it).
    let (path, tag, tag_range) = match remainder.rfind(':') {
        Some(i) if !remainder[i + 1..].contains('/') => {
            let t = &remainder[i + 1..];
            (
                &remainder[..i],
                Some(t.to_string()),
                Some(rem_off + i + 1..rem_off + remainder.len()),
            )
        }
        _ => (remainder, None, None),
    };
    if let Some(d) = &domain {
        if !valid_domain(d) {
            return Err(RefError(format!("invalid registry host `{d}`")));
        }
    }
    if path.is_empty() {
        return Err(RefError(format!("`{s}` has no repository name")));
    }
    if path.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(RefError(format!(
            "repository name `{path}` must be lowercase"
        )));
    }
    if let Some(bad) = path.split('/').find(|c| !valid_component(c)) {
        return Err(RefError(format!(
            "invalid repository name component `{bad}` in `{s}`"
        )));
    }
    if let Some(t) = &tag {
        if !valid_tag(t) {
            return Err(RefError(format!("invalid tag `{t}`")));
        }
    }
    if name_tag.len() > 255 + tag.as_ref().map_or(0, |t| t.len() + 1) {
        return Err(RefError(
            "repository name longer than 255 characters".into(),
        ));
    }
    Ok(ImageRef {
        domain,
        path: path.to_string(),
        tag,
        digest,
        tag_range,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    #[allow(clippy::type_complexity)]
    fn table() {
        let d = D;
        let with_digest = format!("python:3.12@{d}");
        let only_digest = format!("python@{d}");
        let host_digest = format!("localhost:5000/app@{d}");
        let cases: Vec<(&str, Option<&str>, &str, Option<&str>, bool)> = vec![
            ("python", None, "python", None, false),
            ("python:3.12-slim", None, "python", Some("3.12-slim"), false),
            ("library/python:3", None, "library/python", Some("3"), false),
            (
                "localhost:5000/team/app:1.2",
                Some("localhost:5000"),
                "team/app",
                Some("1.2"),
                false,
            ),
            (
                "localhost:5000/team/app",
                Some("localhost:5000"),
                "team/app",
                None,
                false,
            ),
            ("localhost/app", Some("localhost"), "app", None, false),
            (
                "ghcr.io/org/img:latest",
                Some("ghcr.io"),
                "org/img",
                Some("latest"),
                false,
            ),
            (
                "registry.example.com:443/a/b/c:v1",
                Some("registry.example.com:443"),
                "a/b/c",
                Some("v1"),
                false,
            ),
            ("Registry/app:1", Some("Registry"), "app", Some("1"), false),
            ("team/app:1", None, "team/app", Some("1"), false),
            (&with_digest, None, "python", Some("3.12"), true),
            (&only_digest, None, "python", None, true),
            (&host_digest, Some("localhost:5000"), "app", None, true),
            ("my_app__x-y.z:1", None, "my_app__x-y.z", Some("1"), false),
        ];
        for (s, dom, path, tag, has_digest) in cases {
            let r = parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(r.domain.as_deref(), dom, "{s}");
            assert_eq!(r.path, path, "{s}");
            assert_eq!(r.tag.as_deref(), tag, "{s}");
            assert_eq!(r.digest.is_some(), has_digest, "{s}");
            if let (Some(t), Some(range)) = (&r.tag, &r.tag_range) {
                assert_eq!(&s[range.clone()], t);
            }
        }
    }

    #[test]
    fn invalid() {
        for s in [
            "",
            "Python:3",
            "python:",
            "python:3@sha256:abc",
            "-python",
            "python::3",
            "a//b",
            "host:port/app",
            "python:3 .1",
            "{{ image }}",
        ] {
            assert!(parse(s).is_err(), "{s} should be invalid");
        }
    }

    #[test]
    fn scratch() {
        assert!(parse("scratch").is_ok_and(|r| r.is_scratch()));
        assert!(parse("scratch:1").is_ok_and(|r| !r.is_scratch()));
    }
}
