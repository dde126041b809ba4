//! Rewriting ONE requirement's text to what the source runs: used for requirement lines and
//! for `pip install` arguments alike. Only the version part changes (or the VCS revision);
//! the name as written, extras, the marker with its spacing and everything after it stay.

use super::facts::{Facts, MarkerVerdict};
use super::plan::{LeftReason, PinOptions};
use crate::lint::requirements::requirement::{
    parse_requirement, ParsedRequirement, RequirementSource,
};
use crate::registry::Rule;
use pep508_rs::pep440_rs::Version;
use std::str::FromStr;

/// A requirement's new text, the rule it resolves and the reason in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pinned {
    pub text: String,
    pub rule: Option<Rule>,
    pub reason: String,
}

/// New text for one requirement written verbatim as `text` (no `-e`), or why it is left alone.
/// Keeps the name as written, extras, marker and its spacing, and everything after the marker.
/// `Ok(None)`: already right, nothing to do.
pub fn pin_requirement(
    text: &str,
    parsed: &ParsedRequirement,
    facts: &Facts,
    options: &PinOptions,
) -> Result<Option<String>, LeftReason> {
    pin_requirement_why(text, parsed, facts, options).map(|p| p.map(|p| p.text))
}

/// [`pin_requirement`], with the rule the rewrite resolves and the reason in words.
pub fn pin_requirement_why(
    text: &str,
    parsed: &ParsedRequirement,
    facts: &Facts,
    options: &PinOptions,
) -> Result<Option<Pinned>, LeftReason> {
    // A local folder or archive is not pinned by a version: nothing pin can do.
    if matches!(parsed.source, RequirementSource::Path { .. }) {
        return Ok(None);
    }
    // An archive URL pins what it downloads (PD108 asks for its hash, not pin's business).
    if matches!(parsed.source, RequirementSource::Url { vcs: None, .. }) {
        return Ok(None);
    }
    let Some(name) = parsed.name.as_deref() else {
        return Err(LeftReason::Other(
            "names no package (add `#egg=NAME` or write `NAME @ URL`)".into(),
        ));
    };
    if let Some(marker) = &parsed.marker {
        match facts.marker(marker) {
            MarkerVerdict::True => {}
            MarkerVerdict::False => return Err(LeftReason::MarkerFalse(marker.clone())),
            MarkerVerdict::Unknown(why) => return Err(LeftReason::MarkerUnknown(why)),
        }
    }
    let Some(package) = facts.installed(name) else {
        return Err(LeftReason::NotInSource);
    };
    let source = facts.spec();
    match &parsed.source {
        RequirementSource::Index { specifiers } => {
            let Some(running) = package.version.as_deref() else {
                return Err(LeftReason::Other(format!(
                    "{source} does not say which version of {name} it runs"
                )));
            };
            let running_version = Version::from_str(running.trim()).map_err(|_| {
                LeftReason::Other(format!(
                    "{source} runs {name} {running}, which is not a PEP 440 version"
                ))
            })?;
            let rule = match (specifiers, parsed.exact_version()) {
                (_, Some(pinned)) => {
                    let same = match (&parsed.arbitrary_equal, Version::from_str(pinned.trim())) {
                        (Some(value), _) => value.trim() == running.trim(),
                        (None, Ok(version)) => version == running_version,
                        (None, Err(_)) => false,
                    };
                    if same {
                        return Ok(None);
                    }
                    if !options.sync {
                        return Err(LeftReason::Drift {
                            pinned,
                            running: running.to_string(),
                        });
                    }
                    None
                }
                (None, None) => Some(Rule::UnpinnedRequirement),
                (Some(specifiers), None) => {
                    if !specifiers.contains(&running_version) && !options.sync {
                        return Err(LeftReason::Drift {
                            pinned: parsed.specifier_text(),
                            running: running.to_string(),
                        });
                    }
                    Some(Rule::LooseSpecifier)
                }
            };
            let new = replace_specifier(text, &format!("=={running}")).ok_or_else(|| {
                LeftReason::Other("pindrift cannot find the version part of this text".into())
            })?;
            verify(parsed, &new, |reparsed| {
                reparsed.exact_version().as_deref().map(Version::from_str)
                    == Some(Ok(running_version.clone()))
            })?;
            Ok(Some(Pinned {
                text: new,
                rule,
                reason: format!("{} {running} from {source}", package.display_name),
            }))
        }
        RequirementSource::Url {
            url,
            vcs: Some(_),
            reference,
            ..
        } => {
            let commit = package
                .direct
                .as_ref()
                .and_then(|d| d.commit.as_deref())
                .ok_or(LeftReason::NoCommit)?;
            if reference.as_deref() == Some(commit) {
                return Ok(None);
            }
            let rule = match reference.as_deref() {
                Some(r) if is_commit_id(r) => {
                    if !options.sync {
                        return Err(LeftReason::Drift {
                            pinned: r.to_string(),
                            running: commit.to_string(),
                        });
                    }
                    None
                }
                _ => Some(Rule::VcsRefNotCommit),
            };
            let at = text.find(url.as_str()).ok_or_else(|| {
                LeftReason::Other("pindrift cannot find the URL in this text".into())
            })?;
            let new_url = with_revision(url, commit);
            let new = format!("{}{}{}", &text[..at], new_url, &text[at + url.len()..]);
            verify(parsed, &new, |reparsed| match &reparsed.source {
                RequirementSource::Url { reference, .. } => reference.as_deref() == Some(commit),
                _ => false,
            })?;
            Ok(Some(Pinned {
                text: new,
                rule,
                reason: format!(
                    "{} commit {} from {source}",
                    package.display_name,
                    &commit[..commit.len().min(12)]
                ),
            }))
        }
        RequirementSource::Url { .. } | RequirementSource::Path { .. } => Ok(None),
    }
}

/// A full hexadecimal commit id (git's 40, or 64 for SHA-256 repositories).
fn is_commit_id(reference: &str) -> bool {
    matches!(reference.len(), 40 | 64) && reference.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The new text must read as the same requirement (name, extras, marker) with the new pin:
/// a rewrite pip would read differently is refused, never written.
fn verify(
    parsed: &ParsedRequirement,
    new: &str,
    pinned: impl Fn(&ParsedRequirement) -> bool,
) -> Result<(), LeftReason> {
    let refused = || {
        LeftReason::Other(format!(
            "the rewrite `{}` would not read as the same requirement; left as it is",
            crate::lint::excerpt(new)
        ))
    };
    let reparsed = parse_requirement(new).map_err(|_| refused())?;
    let same = reparsed.normalized_name == parsed.normalized_name
        && reparsed.extras == parsed.extras
        && reparsed.marker == parsed.marker
        && pinned(&reparsed);
    same.then_some(()).ok_or_else(refused)
}

/// The text with its version part (between the name and extras and the marker) replaced by
/// `specifier`; white space around the version part is kept. `None` when the text does not
/// start with a name.
pub fn replace_specifier(text: &str, specifier: &str) -> Option<String> {
    let (start, end) = specifier_range(text)?;
    let region = &text[start..end];
    let core = region.trim_matches(|c: char| c.is_ascii_whitespace());
    let lead = region.len()
        - region
            .trim_start_matches(|c: char| c.is_ascii_whitespace())
            .len();
    let (core_start, core_end) = if core.is_empty() {
        // Nothing written: the pin goes right after the name (and extras).
        (start, start)
    } else {
        (start + lead, start + lead + core.len())
    };
    let core_text = &text[core_start..core_end];
    let replacement = match core_text
        .strip_prefix('(')
        .and_then(|inner| inner.strip_suffix(')'))
    {
        // `name (>=1.0)`: the parentheses stay.
        Some(_) => format!("({specifier})"),
        None => specifier.to_string(),
    };
    Some(format!(
        "{}{}{}",
        &text[..core_start],
        replacement,
        &text[core_end..]
    ))
}

/// Byte range of the version part: after the name and `[extras]`, up to the marker's `;`
/// (or the end).
fn specifier_range(text: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut i = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    let name_start = i;
    while i < bytes.len()
        && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'.' | b'_' | b'-'))
    {
        i += 1;
    }
    if i == name_start {
        return None;
    }
    let after_name = i;
    let mut j = i;
    while j < bytes.len() && bytes[j].is_ascii_whitespace() {
        j += 1;
    }
    let start = if bytes.get(j) == Some(&b'[') {
        j + text[j..].find(']')? + 1
    } else {
        after_name
    };
    let end = text[start..].find(';').map_or(text.len(), |k| start + k);
    Some((start, end))
}

/// A VCS URL with its revision set to `commit` (`@rev` replaced, or added before `#`).
pub fn with_revision(url: &str, commit: &str) -> String {
    let fragment = url.find('#').unwrap_or(url.len());
    let base = &url[..fragment];
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    match base[path_start..].rfind('@') {
        Some(at) => format!(
            "{}{}{}",
            &url[..path_start + at + 1],
            commit,
            &url[fragment..]
        ),
        None => format!("{base}@{commit}{}", &url[fragment..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::reqcheck::MarkerFacts;
    use crate::inventory::{DirectUrl, Package};

    const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

    fn facts() -> Facts {
        let mut facts = Facts::from_versions(
            "container:web",
            [
                ("eventlet", "0.20.0"),
                ("Flask", "2.3.3"),
                ("gunicorn", "21.2.0"),
                ("zope.interface", "6.0"),
                ("six", "1.16.0"),
            ],
            MarkerFacts {
                python_version: Some("3.11".into()),
                platform: Some("linux".into()),
            },
        );
        facts.insert(Package {
            name: "mylib".into(),
            display_name: "mylib".into(),
            version: Some("1.0".into()),
            direct: Some(DirectUrl {
                url: "https://git.example/org/mylib.git".into(),
                kind: "vcs".into(),
                commit: Some(COMMIT.into()),
            }),
            location: "x".into(),
        });
        facts.insert(Package {
            name: "nocommit".into(),
            display_name: "nocommit".into(),
            version: Some("1.0".into()),
            direct: None,
            location: "x".into(),
        });
        facts
    }

    fn pin(text: &str, sync: bool) -> Result<Option<String>, LeftReason> {
        let parsed = parse_requirement(text).unwrap();
        let options = PinOptions {
            sync,
            ..PinOptions::default()
        };
        pin_requirement(text, &parsed, &facts(), &options)
    }

    #[test]
    fn table() {
        let ok = |s: &str| Ok(Some(s.to_string()));
        for (text, sync, want) in [
            ("eventlet", false, ok("eventlet==0.20.0")),
            ("gunicorn>=20.1", false, ok("gunicorn==21.2.0")),
            (
                "Flask[async] >= 2.0 ; python_version >= \"3.8\"",
                false,
                ok("Flask[async] ==2.3.3 ; python_version >= \"3.8\""),
            ),
            (
                "flask [async]>=2.0,<3;python_version>='3.8'",
                false,
                ok("flask [async]==2.3.3;python_version>='3.8'"),
            ),
            ("Zope_Interface", false, ok("Zope_Interface==6.0")),
            ("six (>=1.0)", false, ok("six (==1.16.0)")),
            ("six ; python_version > '3'", false, ok("six==1.16.0 ; python_version > '3'")),
            ("six==1.16.0", false, Ok(None)),
            ("six==1.16", false, Ok(None)),
            ("six===1.16.0", false, Ok(None)),
            (
                "six==1.15.0",
                false,
                Err(LeftReason::Drift {
                    pinned: "1.15.0".into(),
                    running: "1.16.0".into(),
                }),
            ),
            ("six==1.15.0", true, ok("six==1.16.0")),
            (
                "six>=2",
                false,
                Err(LeftReason::Drift {
                    pinned: ">=2".into(),
                    running: "1.16.0".into(),
                }),
            ),
            ("six>=2", true, ok("six==1.16.0")),
            ("six==1.*", false, ok("six==1.16.0")),
            ("notthere", false, Err(LeftReason::NotInSource)),
            (
                "pywin32; sys_platform == \"win32\"",
                false,
                Err(LeftReason::MarkerFalse("sys_platform == \"win32\"".into())),
            ),
            (
                "mylib @ git+https://git.example/org/mylib.git@main",
                false,
                ok(&format!("mylib @ git+https://git.example/org/mylib.git@{COMMIT}")),
            ),
            (
                "git+https://git.example/org/mylib.git@v1#egg=mylib",
                false,
                ok(&format!("git+https://git.example/org/mylib.git@{COMMIT}#egg=mylib")),
            ),
            (
                "git+https://git.example/org/mylib.git#egg=mylib",
                false,
                ok(&format!("git+https://git.example/org/mylib.git@{COMMIT}#egg=mylib")),
            ),
            (
                &format!("mylib @ git+https://git.example/org/mylib.git@{COMMIT}"),
                false,
                Ok(None),
            ),
            (
                "mylib @ git+https://git.example/org/mylib.git@ffffffffffffffffffffffffffffffffffffffff",
                false,
                Err(LeftReason::Drift {
                    pinned: "ffffffffffffffffffffffffffffffffffffffff".into(),
                    running: COMMIT.into(),
                }),
            ),
            (
                "nocommit @ git+https://git.example/org/n.git@main",
                false,
                Err(LeftReason::NoCommit),
            ),
            ("./libs/core", false, Ok(None)),
            ("https://files.example/p-1.0.tar.gz#egg=p", false, Ok(None)),
        ] {
            assert_eq!(pin(text, sync), want, "{text} (sync: {sync})");
        }
    }

    #[test]
    fn revisions_go_after_the_path_never_into_the_authority() {
        for (url, want) in [
            (
                "git+ssh://git@h.example/o/r.git@v1#egg=r",
                "git+ssh://git@h.example/o/r.git@C#egg=r",
            ),
            (
                "git+ssh://git@h.example/o/r.git#egg=r",
                "git+ssh://git@h.example/o/r.git@C#egg=r",
            ),
            (
                "git+https://h.example/o/r.git",
                "git+https://h.example/o/r.git@C",
            ),
            (
                "git+https://h.example/o/r.git@main#subdirectory=pkg&egg=r",
                "git+https://h.example/o/r.git@C#subdirectory=pkg&egg=r",
            ),
        ] {
            assert_eq!(with_revision(url, "C"), want, "{url}");
        }
    }

    #[test]
    fn unknown_markers_are_not_guessed() {
        assert!(matches!(
            pin("six; platform_machine == 'x86_64'", false),
            Err(LeftReason::MarkerUnknown(_))
        ));
    }

    #[test]
    fn the_rule_and_reason_say_what_is_resolved() {
        let text = "eventlet";
        let parsed = parse_requirement(text).unwrap();
        let pinned = pin_requirement_why(text, &parsed, &facts(), &PinOptions::default())
            .unwrap()
            .unwrap();
        assert_eq!(pinned.rule, Some(Rule::UnpinnedRequirement));
        assert_eq!(pinned.reason, "eventlet 0.20.0 from container:web");
    }
}
