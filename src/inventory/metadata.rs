//! Core metadata (`METADATA`, `PKG-INFO`) and `direct_url.json` parsing.
//!
//! The input is untrusted bytes from a container: invalid UTF-8, missing fields and absurd
//! sizes become errors the caller turns into warnings, never panics.

use super::DirectUrl;

/// Only the header block matters; a long description after it is ignored.
pub const MAX_HEADER_BYTES: usize = 256 * 1024;

/// Name and version from a metadata header block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreMetadata {
    pub name: String,
    pub version: String,
}

/// Why a metadata file could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    #[error("no `Name:` field in the metadata headers")]
    NoName,
    #[error("no `Version:` field in the metadata headers")]
    NoVersion,
    #[error("metadata headers are not UTF-8 text")]
    NotText,
    #[error("invalid direct_url.json: {0}")]
    DirectUrl(String),
}

/// Parse the `Name` and `Version` headers. Continuation lines and the body are skipped.
pub fn parse_core_metadata(bytes: &[u8]) -> Result<CoreMetadata, MetadataError> {
    let bytes = &bytes[..bytes.len().min(MAX_HEADER_BYTES)];
    // Tolerate a cut in the middle of a multi-byte character at the cap.
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) if e.valid_up_to() > 0 && e.error_len().is_none() => {
            std::str::from_utf8(&bytes[..e.valid_up_to()]).map_err(|_| MetadataError::NotText)?
        }
        Err(e) if e.valid_up_to() > 0 => {
            std::str::from_utf8(&bytes[..e.valid_up_to()]).map_err(|_| MetadataError::NotText)?
        }
        Err(_) => return Err(MetadataError::NotText),
    };
    let mut name = None;
    let mut version = None;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if key.eq_ignore_ascii_case("name") && name.is_none() && !value.is_empty() {
            name = Some(value.to_string());
        } else if key.eq_ignore_ascii_case("version") && version.is_none() && !value.is_empty() {
            version = Some(value.to_string());
        }
        if name.is_some() && version.is_some() {
            break;
        }
    }
    Ok(CoreMetadata {
        name: name.ok_or(MetadataError::NoName)?,
        version: version.ok_or(MetadataError::NoVersion)?,
    })
}

/// Parse PEP 610 `direct_url.json`.
pub fn parse_direct_url(bytes: &[u8]) -> Result<DirectUrl, MetadataError> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| MetadataError::DirectUrl(e.to_string()))?;
    let url = v
        .get("url")
        .and_then(|u| u.as_str())
        .ok_or_else(|| MetadataError::DirectUrl("no `url` string".into()))?
        .to_string();
    if let Some(vcs) = v.get("vcs_info") {
        let commit = vcs
            .get("commit_id")
            .and_then(|c| c.as_str())
            .map(str::to_string);
        let tool = vcs.get("vcs").and_then(|c| c.as_str()).unwrap_or("git");
        return Ok(DirectUrl {
            url: format!("{tool}+{url}"),
            kind: "vcs".into(),
            commit,
        });
    }
    if let Some(dir) = v.get("dir_info") {
        let editable = dir
            .get("editable")
            .and_then(|e| e.as_bool())
            .unwrap_or(false);
        return Ok(DirectUrl {
            url,
            kind: if editable { "editable" } else { "dir" }.into(),
            commit: None,
        });
    }
    Ok(DirectUrl {
        url,
        kind: "archive".into(),
        commit: None,
    })
}

/// Name and version from a `.dist-info` / `.egg-info` folder or file name, as a fallback
/// (`eventlet-0.20.1.dist-info`, `wheel-0.38.4.egg-info`, `six-1.16.0-py3.11.egg-info`).
pub fn split_info_name(file_name: &str) -> Option<(String, Option<String>)> {
    let stem = file_name
        .strip_suffix(".dist-info")
        .or_else(|| file_name.strip_suffix(".egg-info"))?;
    let mut parts = stem.splitn(3, '-');
    let name = parts.next().filter(|n| !n.is_empty())?.to_string();
    let version = parts.next().map(str::to_string);
    Some((name, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_headers_only() {
        let m = b"Metadata-Version: 2.1\nName: eventlet\nVersion: 0.20.1\nSummary: x\n\
                  Description: a\n   Name: not-this\n\nName: body\n";
        let c = parse_core_metadata(m).unwrap();
        assert_eq!(c.name, "eventlet");
        assert_eq!(c.version, "0.20.1");
    }

    #[test]
    fn missing_fields_are_errors() {
        assert_eq!(
            parse_core_metadata(b"Metadata-Version: 2.1\nName: x\n"),
            Err(MetadataError::NoVersion)
        );
        assert_eq!(
            parse_core_metadata(b"\nName: x\nVersion: 1\n"),
            Err(MetadataError::NoName)
        );
        assert_eq!(
            parse_core_metadata(&[0xff, 0xfe, 0x00]),
            Err(MetadataError::NotText)
        );
    }

    #[test]
    fn crlf_and_case() {
        let c = parse_core_metadata(b"name: Foo_Bar\r\nversion: 1.0\r\n\r\n").unwrap();
        assert_eq!((c.name.as_str(), c.version.as_str()), ("Foo_Bar", "1.0"));
    }

    #[test]
    fn direct_urls() {
        let d = parse_direct_url(
            br#"{"url":"https://github.com/eventlet/eventlet","vcs_info":{"vcs":"git","commit_id":"0123456789abcdef0123456789abcdef01234567"}}"#,
        )
        .unwrap();
        assert_eq!(d.kind, "vcs");
        assert_eq!(
            d.commit.as_deref(),
            Some("0123456789abcdef0123456789abcdef01234567")
        );
        let e =
            parse_direct_url(br#"{"url":"file:///src/app","dir_info":{"editable":true}}"#).unwrap();
        assert_eq!(e.kind, "editable");
        let a =
            parse_direct_url(br#"{"url":"file:///w/x-1.0-py3-none-any.whl","archive_info":{}}"#)
                .unwrap();
        assert_eq!(a.kind, "archive");
        assert!(parse_direct_url(b"{not json").is_err());
    }

    #[test]
    fn info_names() {
        assert_eq!(
            split_info_name("six-1.16.0-py3.11.egg-info"),
            Some(("six".into(), Some("1.16.0".into())))
        );
        assert_eq!(
            split_info_name("eventlet-0.20.1.dist-info"),
            Some(("eventlet".into(), Some("0.20.1".into())))
        );
        assert_eq!(split_info_name("foo.py"), None);
    }
}
