//! `pip freeze` output.
//!
//! Lines are `name==version`, `name===version`, `name @ url`, `-e url#egg=name`, comments
//! (`# Editable install with no version control (name==1.0)` names the next `-e` line) and
//! pip options, which are skipped. Anything else becomes a warning with the line number.

use super::{DirectUrl, EnvKind, Package, PythonEnv, Warning};
use crate::names::normalize_name;

/// Parse freeze text. `display` names the file in locations and warnings (`-` for stdin).
pub fn parse_freeze(text: &str, display: &str, key: &str) -> (PythonEnv, Vec<Warning>) {
    let mut env = PythonEnv::new(key, EnvKind::Freeze);
    let mut warnings = Vec::new();
    let mut pending_editable: Option<(String, String)> = None;
    for (idx, raw) in text.lines().enumerate() {
        let lineno = idx + 1;
        let location = format!("{display}:{lineno}");
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            pending_editable = editable_comment(comment);
            continue;
        }
        let pkg = if let Some(rest) = line
            .strip_prefix("-e ")
            .or_else(|| line.strip_prefix("--editable "))
            .or_else(|| line.strip_prefix("--editable="))
        {
            let url = rest.trim().to_string();
            let (name, version) = match (egg_name(&url), pending_editable.take()) {
                (_, Some((n, v))) => (n, Some(v)),
                (Some(n), None) => (n, None),
                (None, None) => {
                    warnings.push(Warning {
                        path: location,
                        message: format!(
                            "editable line without a package name: `{line}`{}",
                            super::NOT_COMPARED
                        ),
                    });
                    continue;
                }
            };
            let (url_only, commit) = split_vcs_commit(&url);
            Some(Package {
                name: normalize_name(name.trim()),
                display_name: name,
                version,
                direct: Some(DirectUrl {
                    url: url_only,
                    kind: "editable".into(),
                    commit,
                }),
                location,
            })
        } else if line.starts_with('-') {
            // -i, --index-url, --find-links, -r ...: not packages.
            None
        } else if let Some((name, url)) = line.split_once(" @ ") {
            let url = url.split(';').next().unwrap_or("").trim().to_string();
            let (url_only, commit) = split_vcs_commit(&url);
            let kind = if commit.is_some() { "vcs" } else { "archive" };
            Some(Package {
                name: normalize_name(name.trim()),
                display_name: name.trim().to_string(),
                version: None,
                direct: Some(DirectUrl {
                    url: url_only,
                    kind: kind.into(),
                    commit,
                }),
                location,
            })
        } else if let Some((name, version)) =
            line.split_once("===").or_else(|| line.split_once("=="))
        {
            let version = version.split(';').next().unwrap_or("").trim();
            let name = name.trim();
            if name.is_empty()
                || version.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                warnings.push(Warning {
                    path: location,
                    message: format!(
                        "not a `name==version` line: `{line}`{}",
                        super::NOT_COMPARED
                    ),
                });
                continue;
            }
            Some(Package {
                name: normalize_name(name),
                display_name: name.to_string(),
                version: Some(version.to_string()),
                direct: None,
                location,
            })
        } else {
            warnings.push(Warning {
                path: location,
                message: format!("not a pip freeze line: `{line}`{}", super::NOT_COMPARED),
            });
            None
        };
        if let Some(pkg) = pkg {
            if let Some(dup) = env.insert_first(pkg) {
                warnings.push(Warning {
                    path: dup.location.clone(),
                    message: format!("`{}` is listed twice; the first line wins", dup.name),
                });
            }
        }
    }
    (env, warnings)
}

fn editable_comment(comment: &str) -> Option<(String, String)> {
    let comment = comment.trim();
    if !comment.to_ascii_lowercase().contains("editable") {
        return None;
    }
    let open = comment.rfind('(')?;
    let inner = comment[open + 1..].strip_suffix(')')?;
    let (n, v) = inner.split_once("==")?;
    Some((n.trim().to_string(), v.trim().to_string()))
}

fn egg_name(url: &str) -> Option<String> {
    let frag = url.split_once('#')?.1;
    frag.split('&')
        .find_map(|kv| kv.strip_prefix("egg="))
        .map(|n| n.split('-').next().unwrap_or(n).to_string())
        .filter(|n| !n.is_empty())
}

/// `git+https://host/repo@COMMIT#egg=x` -> (`git+https://host/repo`, Some(COMMIT)).
fn split_vcs_commit(url: &str) -> (String, Option<String>) {
    let no_frag = url.split('#').next().unwrap_or(url);
    let is_vcs = ["git+", "hg+", "svn+", "bzr+"]
        .iter()
        .any(|p| no_frag.starts_with(p));
    if !is_vcs {
        return (no_frag.to_string(), None);
    }
    let scheme_end = no_frag.find("://").map(|i| i + 3).unwrap_or(0);
    match no_frag.rfind('@') {
        Some(i) if i > scheme_end && !no_frag[i..].contains('/') => {
            (no_frag[..i].to_string(), Some(no_frag[i + 1..].to_string()))
        }
        _ => (no_frag.to_string(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
# a comment
eventlet==0.20.1
Flask===2.0.1
greenlet==0.4.12
mylib @ git+https://example.org/mylib.git@0123456789abcdef0123456789abcdef01234567
wheelie @ file:///tmp/wheelie-1.0-py3-none-any.whl
# Editable install with no version control (app==0.1)
-e /usr/src/app
-e git+https://example.org/tool.git@abcdef0#egg=tool
-i https://pypi.org/simple
garbage line here
zope.interface==5.0
";

    #[test]
    fn parses_freeze() {
        let (env, warnings) = parse_freeze(SAMPLE, "freeze.txt", "freeze");
        let names: Vec<_> = env.packages.keys().cloned().collect();
        assert_eq!(
            names,
            [
                "app",
                "eventlet",
                "flask",
                "greenlet",
                "mylib",
                "tool",
                "wheelie",
                "zope-interface"
            ]
        );
        assert_eq!(env.packages["eventlet"].version.as_deref(), Some("0.20.1"));
        assert_eq!(env.packages["flask"].version.as_deref(), Some("2.0.1"));
        assert_eq!(env.packages["app"].version.as_deref(), Some("0.1"));
        let mylib = &env.packages["mylib"];
        assert_eq!(mylib.version, None);
        assert_eq!(
            mylib.direct.as_ref().and_then(|d| d.commit.as_deref()),
            Some("0123456789abcdef0123456789abcdef01234567")
        );
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].path, "freeze.txt:11");
    }
}
