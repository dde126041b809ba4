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
    /// A direct URL to an archive a code host makes from a branch on each download
    /// (`…/archive/refs/heads/main.zip`, GitLab `…/-/archive/main/…`): it moves like a VCS
    /// branch (PD103). `reference` is the branch as written, `None` for the default branch;
    /// `hashed` as for [`Self::DirectUrl`].
    BranchArchive {
        host: &'static str,
        reference: Option<String>,
        hashed: bool,
    },
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
            url,
            has_hash_fragment,
            ..
        } => match branch_archive(url) {
            Some((host, reference)) => PinStatus::BranchArchive {
                host,
                reference,
                hashed: *has_hash_fragment,
            },
            None => PinStatus::DirectUrl {
                hashed: *has_hash_fragment,
            },
        },
        RequirementSource::Path {
            wheel_version: Some(_),
            ..
        } => PinStatus::Pinned,
        RequirementSource::Path { .. } => PinStatus::Local,
    }
}

/// Archive suffixes the code hosts serve.
const ARCHIVE_EXTENSIONS: &[&str] = &[".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".zip", ".tar"];

fn strip_archive_extension(s: &str) -> Option<&str> {
    ARCHIVE_EXTENSIONS
        .iter()
        .find_map(|e| s.strip_suffix(e))
        .filter(|r| !r.is_empty())
}

/// The code host and the git reference of an archive URL that a code host builds from a
/// reference on each download, when that reference can move (a branch, or a name that is
/// neither a commit nor a version tag). GitHub (`/O/R/archive/REF.EXT`,
/// `/O/R/archive/refs/heads/B.EXT`, `/O/R/tarball/REF`, `codeload.github.com/O/R/zip/REF`),
/// Codeberg and gitea.com (GitHub's shape), GitLab on any host (`/-/archive/REF/NAME.EXT`)
/// and Bitbucket (`/O/R/get/REF.EXT`). A tarball URL without a reference is the default
/// branch. Release files (`/releases/download/…`) and tag archives (`refs/tags/…`) do not
/// move and are not matched.
pub fn branch_archive(url: &str) -> Option<(&'static str, Option<String>)> {
    let url = url.split(['#', '?']).next().unwrap_or(url);
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let (host, path) = rest.split_once('/')?;
    let host = host.rsplit('@').next().unwrap_or(host).to_ascii_lowercase();
    let host = host.split(':').next().unwrap_or(&host).to_string();
    let segments: Vec<&str> = path.split('/').collect();
    let (name, reference): (&'static str, String) = if let Some(at) = path.find("/-/archive/") {
        // GitLab: /group/project/-/archive/REF/project-REF.tar.gz (REF may hold slashes).
        let after = &path[at + "/-/archive/".len()..];
        let (reference, file) = after.rsplit_once('/')?;
        strip_archive_extension(file)?;
        ("GitLab", reference.to_string())
    } else {
        match (host.as_str(), segments.as_slice()) {
            ("github.com" | "codeberg.org" | "gitea.com", [_, _, "archive", tail @ ..])
                if !tail.is_empty() =>
            {
                let joined = tail.join("/");
                let reference = strip_archive_extension(&joined)?.to_string();
                (host_label(&host), reference)
            }
            ("github.com", [_, _, "tarball" | "zipball", tail @ ..])
            | ("api.github.com", ["repos", _, _, "tarball" | "zipball", tail @ ..])
            | (
                "codeload.github.com",
                [_, _, "zip" | "tar.gz" | "legacy.tar.gz" | "legacy.zip", tail @ ..],
            ) => ("GitHub", tail.join("/")),
            ("bitbucket.org", [_, _, "get", tail @ ..]) if !tail.is_empty() => {
                let joined = tail.join("/");
                let reference = strip_archive_extension(&joined)?.to_string();
                ("Bitbucket", reference)
            }
            _ => return None,
        }
    };
    let reference = reference.trim_end_matches('/').to_string();
    if reference.is_empty() {
        // The default branch.
        return Some((name, None));
    }
    if let Some(branch) = reference.strip_prefix("refs/heads/") {
        return (!branch.is_empty()).then(|| (name, Some(branch.to_string())));
    }
    if reference.starts_with("refs/tags/")
        || is_commit_like(&reference)
        || is_version_tag(&reference)
    {
        return None;
    }
    Some((name, Some(reference)))
}

fn host_label(host: &str) -> &'static str {
    match host {
        "codeberg.org" => "Codeberg",
        "gitea.com" => "Gitea",
        _ => "GitHub",
    }
}

/// A commit hash, full or abbreviated (7 hex digits or more): an archive of it never changes
/// content, whatever the host does to its compression.
fn is_commit_like(reference: &str) -> bool {
    (7..=64).contains(&reference.len()) && reference.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A release tag: `1.2.3`, `v2.0`, `v3`, `release-1.4`, `flask-2.3.2`, `1.0rc1` — a version
/// after an optional prefix; a branch such as `1.x`, `stable/2023.1` or `main` is not.
fn is_version_tag(reference: &str) -> bool {
    if reference.contains('/') {
        return false;
    }
    let version = match reference.find(|c: char| c.is_ascii_digit()) {
        Some(0) => reference,
        Some(i) => {
            let prefix = &reference[..i];
            let ok = prefix.eq_ignore_ascii_case("v")
                || prefix.len() > 1
                    && prefix.ends_with(['-', '_'])
                    && prefix
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
            if !ok {
                return false;
            }
            &reference[i..]
        }
        None => return false,
    };
    let version = version.trim_start_matches(['v', 'V']);
    version.split(['.', '-', '_']).all(|seg| {
        seg.as_bytes().first().is_some_and(u8::is_ascii_digit)
            || matches!(
                seg.to_ascii_lowercase()
                    .trim_end_matches(|c: char| c.is_ascii_digit()),
                "rc" | "a" | "b" | "alpha" | "beta" | "post" | "dev" | "final" | "pre"
            )
    })
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
    fn branch_archives_move_and_released_files_do_not() {
        let moving = [
            ("https://github.com/o/r/archive/refs/heads/main.zip", "main"),
            ("https://github.com/o/r/archive/master.tar.gz", "master"),
            ("r @ https://github.com/o/r/archive/develop.zip", "develop"),
            ("https://github.com/o/r/archive/1.x.tar.gz", "1.x"),
            (
                "https://github.com/o/r/archive/refs/heads/feature/x.tar.gz",
                "feature/x",
            ),
            (
                "https://codeload.github.com/o/r/zip/refs/heads/main",
                "main",
            ),
            ("https://codeload.github.com/o/r/tar.gz/main", "main"),
            ("https://github.com/o/r/tarball/master", "master"),
            ("https://api.github.com/repos/o/r/zipball/main", "main"),
            ("https://github.com/o/r/tarball", ""),
            (
                "https://gitlab.com/g/sub/p/-/archive/main/p-main.tar.gz",
                "main",
            ),
            (
                "https://git.corp.example/g/p/-/archive/release/2.x/p-release-2.x.zip",
                "release/2.x",
            ),
            ("https://bitbucket.org/o/r/get/master.tar.gz", "master"),
            ("https://codeberg.org/o/r/archive/main.tar.gz", "main"),
            ("https://github.com/o/r/archive/main.zip#egg=r", "main"),
        ];
        for (text, branch) in moving {
            match status(text) {
                PinStatus::BranchArchive { reference, .. } => {
                    assert_eq!(reference.unwrap_or_default(), branch, "{text}")
                }
                other => panic!("{text}: {other:?}"),
            }
        }
        let fixed = [
            "https://github.com/o/r/archive/0123456789abcdef0123456789abcdef01234567.zip",
            "https://github.com/o/r/archive/a1b2c3d.tar.gz",
            "https://github.com/o/r/archive/refs/tags/v1.2.3.tar.gz",
            "https://github.com/o/r/archive/v1.2.3.tar.gz",
            "https://github.com/o/r/archive/1.4.0rc1.zip",
            "https://github.com/o/r/archive/release-2.0.1.tar.gz",
            "https://github.com/o/r/releases/download/v1.0/r-1.0.tar.gz",
            "https://gitlab.com/g/p/-/archive/v2.1.0/p-v2.1.0.tar.gz",
            "https://bitbucket.org/o/r/get/0123abcd4567.tar.gz",
            "https://files.pythonhosted.org/packages/ab/cd/r-1.0.tar.gz",
            "https://example.com/archive/main.zip",
        ];
        for text in fixed {
            assert!(
                matches!(status(text), PinStatus::DirectUrl { .. }),
                "{text}: {:?}",
                status(text)
            );
        }
        assert_eq!(
            status("https://github.com/o/r/archive/main.zip#sha256=abc"),
            PinStatus::BranchArchive {
                host: "GitHub",
                reference: Some("main".into()),
                hashed: true
            }
        );
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
