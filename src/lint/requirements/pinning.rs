//! Whether one requirement names exactly one immutable artifact.

use super::requirement::{ParsedRequirement, RequirementSource, Vcs};
use pep508_rs::pep440_rs::Operator;

/// How well a requirement is pinned, judged on the requirement alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinStatus {
    /// `==X` (no wildcard), `===X`, or a wheel file whose name carries the version.
    Pinned,
    /// A name with no version specifier at all (PD101).
    NoSpecifier,
    /// Specifiers that admit more than one version: `>=`, `~=`, `!=`, `==1.*`, ranges (PD102).
    Loose { specifiers: String },
    /// A VCS URL whose revision is not a full commit (PD103). `None`: no revision at all.
    VcsUnpinned { vcs: Vcs, reference: Option<String> },
    /// A VCS URL fixed to a full commit hash (or an svn revision number).
    VcsPinned,
    /// A direct URL to an archive; `hashed` when the URL carries `#sha256=…`.
    DirectUrl { hashed: bool },
    /// A local folder or archive, or an editable install (PD109).
    Local,
}

/// The requirement as written, with its version specifier replaced by `==<version>`: name
/// (as spelled), extras and environment marker are kept, so the hint can be pasted back
/// (`sqlalchemy[asyncio]>=2.0,<2.1` → `sqlalchemy[asyncio]==<version>`,
/// `flask ; python_version<"3.12"` → `flask==<version> ; python_version<"3.12"`).
pub fn pinned_form(written: &str) -> String {
    let written = written.trim();
    let (head, marker) = match written.find(';') {
        Some(semi) => written.split_at(semi),
        None => (written, ""),
    };
    let name_end = head
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .unwrap_or(head.len());
    let rest = &head[name_end..];
    let extras_end = match rest.trim_start().strip_prefix('[') {
        Some(extras) => match extras.find(']') {
            Some(close) => name_end + (rest.len() - extras.len()) + close + 1,
            None => name_end,
        },
        None => name_end,
    };
    let name_and_extras = &head[..extras_end];
    let space_before_marker = if marker.is_empty() {
        ""
    } else {
        &head[head.trim_end().len()..]
    };
    format!("{name_and_extras}==<version>{space_before_marker}{marker}")
}

pub fn is_full_commit(reference: &str) -> bool {
    matches!(reference.len(), 40 | 64) && reference.bytes().all(|b| b.is_ascii_hexdigit())
}

pub fn pin_status(requirement: &ParsedRequirement) -> PinStatus {
    if requirement.arbitrary_equal.is_some() {
        // `===VALUE` (VALUE not a PEP 440 version) matches exactly one string.
        return PinStatus::Pinned;
    }
    match &requirement.source {
        RequirementSource::Index { specifiers: None } => PinStatus::NoSpecifier,
        RequirementSource::Index {
            specifiers: Some(specifiers),
        } => {
            let exact = specifiers
                .iter()
                .any(|spec| matches!(spec.operator(), Operator::Equal | Operator::ExactEqual));
            if exact {
                PinStatus::Pinned
            } else {
                PinStatus::Loose {
                    specifiers: specifiers.to_string(),
                }
            }
        }
        RequirementSource::Url {
            vcs: Some(vcs),
            reference,
            ..
        } => {
            let pinned = match (vcs, reference.as_deref()) {
                (Vcs::Git | Vcs::Mercurial, Some(reference)) => is_full_commit(reference),
                // Subversion and Bazaar revision numbers never move.
                (Vcs::Subversion | Vcs::Bazaar, Some(reference)) => {
                    reference.bytes().all(|b| b.is_ascii_digit())
                }
                (_, None) => false,
            };
            if pinned {
                PinStatus::VcsPinned
            } else {
                PinStatus::VcsUnpinned {
                    vcs: *vcs,
                    reference: reference.clone(),
                }
            }
        }
        // A wheel URL names its version, but the file behind the URL can still change.
        RequirementSource::Url {
            has_hash_fragment, ..
        } => PinStatus::DirectUrl {
            hashed: *has_hash_fragment,
        },
        RequirementSource::Path {
            wheel_version: Some(_),
            ..
        } => PinStatus::Pinned,
        RequirementSource::Path { .. } => PinStatus::Local,
    }
}

#[cfg(test)]
mod tests {
    use super::super::requirement::parse_requirement;
    use super::*;

    fn status(text: &str) -> PinStatus {
        pin_status(&parse_requirement(text).unwrap())
    }

    #[test]
    fn exact_pins_and_everything_else() {
        assert_eq!(status("eventlet==0.20.0"), PinStatus::Pinned);
        assert_eq!(status("eventlet===0.20.0"), PinStatus::Pinned);
        assert_eq!(
            status("eventlet==0.20.0 ; python_version < '3.9'"),
            PinStatus::Pinned
        );
        assert_eq!(status("eventlet"), PinStatus::NoSpecifier);
        assert_eq!(
            status("eventlet; python_version >= '3.8'"),
            PinStatus::NoSpecifier
        );
        for loose in [
            "eventlet>=0.20",
            "eventlet~=0.20.0",
            "eventlet==0.20.*",
            "eventlet!=0.20.1",
            "eventlet>0.1,<0.3",
        ] {
            assert!(matches!(status(loose), PinStatus::Loose { .. }), "{loose}");
        }
    }

    #[test]
    fn pinned_form_keeps_extras_and_markers() {
        for (written, want) in [
            (
                "sqlalchemy[asyncio]>=2.0,<2.1",
                "sqlalchemy[asyncio]==<version>",
            ),
            ("Flask", "Flask==<version>"),
            (
                "flask[async] ; python_version<\"3.12\"",
                "flask[async]==<version> ; python_version<\"3.12\"",
            ),
            (
                "uvicorn[standard]>=0.29;sys_platform!='win32'",
                "uvicorn[standard]==<version>;sys_platform!='win32'",
            ),
            (
                "celery [redis, msgpack] (>=5)",
                "celery [redis, msgpack]==<version>",
            ),
            ("zope.interface~=6.0", "zope.interface==<version>"),
        ] {
            assert_eq!(pinned_form(written), want, "{written}");
        }
    }

    #[test]
    fn vcs_refs() {
        let commit = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(
            status(&format!("git+https://h.example/r.git@{commit}#egg=r")),
            PinStatus::VcsPinned
        );
        assert!(matches!(
            status("git+https://h.example/r.git@v1.0#egg=r"),
            PinStatus::VcsUnpinned {
                reference: Some(_),
                ..
            }
        ));
        assert!(matches!(
            status("r @ git+https://h.example/r.git"),
            PinStatus::VcsUnpinned {
                reference: None,
                ..
            }
        ));
        assert!(matches!(
            status("git+https://h.example/r.git@0123abc#egg=r"),
            PinStatus::VcsUnpinned { .. }
        ));
    }
}
