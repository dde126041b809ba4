//! OS package managers: `apt-get`/`apt`/`aptitude install` and `apk add`.

use super::opts::{scan, Spec, Tok};
use super::{Arg, Install, Package, Tool};

const APT: Spec = Spec {
    long_values: &[
        "option",
        "config-file",
        "target-release",
        "default-release",
        "host-architecture",
        "architecture",
        "solver",
        "comment",
    ],
    long_flags: &[],
    short_values: "octa",
    prefixes: false,
    go_style: false,
};

/// `apt-get [opts] install [opts] pkg[=version|/release]...`.
pub fn apt(args: &[Arg], i: usize) -> Option<Install> {
    subcommand_packages(args, i, &APT, "install", Tool::AptGet)
}

/// The packages of `TOOL [opts] SUBCOMMAND [opts] pkg...`: every positional argument after
/// the subcommand, with the tool's value-taking options consumed.
fn subcommand_packages(
    args: &[Arg],
    i: usize,
    spec: &Spec,
    subcommand: &str,
    tool: Tool,
) -> Option<Install> {
    let toks = scan(args, i + 1, spec);
    let sub = toks.iter().find_map(|t| match t {
        Tok::Pos(p) => Some(*p),
        _ => None,
    })?;
    if args[sub].text != subcommand {
        return None;
    }
    let packages = toks
        .iter()
        .filter_map(|t| match t {
            Tok::Pos(p) if *p != sub => Some(Package {
                arg: *p,
                text: args[*p].text.clone(),
                version: None,
                editable: false,
            }),
            _ => None,
        })
        .collect();
    Some(Install {
        tool,
        tool_arg: i,
        packages,
        files: Vec::new(),
        upgrade: false,
    })
}

const APK: Spec = Spec {
    long_values: &[
        "virtual",
        "repository",
        "root",
        "arch",
        "keys-dir",
        "cache-dir",
        "repositories-file",
        "cache-max-age",
        "timeout",
        "progress-fd",
        "wait",
    ],
    long_flags: &[],
    short_values: "tXpt",
    prefixes: false,
    go_style: false,
};

/// `apk [opts] add [opts] pkg[=version|~version]...`.
pub fn apk(args: &[Arg], i: usize) -> Option<Install> {
    subcommand_packages(args, i, &APK, "add", Tool::Apk)
}

/// How a package token of any non-Python tool is pinned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pin {
    Pinned,
    /// A local file or directory: pinned by content.
    Local,
    /// Not pinned; the string says why.
    Unpinned(String),
}

fn is_local_path(t: &str) -> bool {
    t.starts_with('/') || t.starts_with("./") || t.starts_with("../") || t == "." || t == ".."
}

fn wildcard(v: &str) -> bool {
    v.contains('*') || v.contains('?')
}

/// `pkg=version` pins (an apt version glob does not); `pkg/release` and bare names do not.
pub fn judge_apt(t: &str) -> Pin {
    if t.ends_with(".deb") && (is_local_path(t) || t.contains('/')) {
        return Pin::Local;
    }
    match t.split_once('=') {
        Some((_, v)) if !v.is_empty() && !wildcard(v) => Pin::Pinned,
        Some((_, v)) if wildcard(v) => Pin::Unpinned(format!("version `{v}` is a pattern")),
        _ if t.contains('/') => Pin::Unpinned("a release is not a version".into()),
        _ => Pin::Unpinned("no version".into()),
    }
}

/// `pkg=version` or `pkg~version` pin; `>`, `<` constraints and bare names do not.
pub fn judge_apk(t: &str) -> Pin {
    if t.ends_with(".apk") && (is_local_path(t) || t.contains('/')) {
        return Pin::Local;
    }
    // name[@tag][op version]
    if let Some(pos) = t.find(['=', '~', '<', '>']) {
        let op_end = t[pos..]
            .find(|c: char| !matches!(c, '=' | '~' | '<' | '>'))
            .map_or(t.len(), |e| pos + e);
        let op = &t[pos..op_end];
        let v = &t[op_end..];
        if v.is_empty() {
            return Pin::Unpinned("no version".into());
        }
        return match op {
            "=" | "~" | "~=" | "==" => Pin::Pinned,
            _ => Pin::Unpinned(format!("`{op}{v}` is a range")),
        };
    }
    Pin::Unpinned("no version".into())
}

#[cfg(test)]
mod tests {
    use super::super::{args, classify, Classified};
    use super::*;

    fn pk(s: &str) -> Vec<String> {
        match classify(&args(s)) {
            Classified::Install(i) => i.packages.into_iter().map(|p| p.text).collect(),
            _ => vec!["<none>".into()],
        }
    }

    #[test]
    fn apt_table() {
        let cases: &[(&str, &[&str])] = &[
            (
                "apt-get install -y --no-install-recommends curl=7.88.1-10 git",
                &["curl=7.88.1-10", "git"],
            ),
            ("apt-get -y install curl", &["curl"]),
            (
                "apt-get -o Dpkg::Options::=--force-confdef install -y curl",
                &["curl"],
            ),
            (
                "apt-get install -o Acquire::Retries=3 -t bookworm-backports curl",
                &["curl"],
            ),
            ("apt-get install --target-release=stable curl", &["curl"]),
            ("apt install -qq curl", &["curl"]),
            ("apt-get -qq update", &["<none>"]),
            ("apt-get remove curl", &["<none>"]),
        ];
        for (s, want) in cases {
            assert_eq!(pk(s), *want, "{s}");
        }
    }

    #[test]
    fn apk_table() {
        let cases: &[(&str, &[&str])] = &[
            (
                "apk add --no-cache curl=8.5.0-r0 git",
                &["curl=8.5.0-r0", "git"],
            ),
            (
                "apk add --no-cache --virtual .build-deps gcc musl-dev",
                &["gcc", "musl-dev"],
            ),
            ("apk add -t .deps gcc", &["gcc"]),
            ("apk add --repository http://x/edge/testing foo", &["foo"]),
            ("apk -U add bash", &["bash"]),
            ("apk update", &["<none>"]),
        ];
        for (s, want) in cases {
            assert_eq!(pk(s), *want, "{s}");
        }
    }

    #[test]
    fn judgments() {
        assert_eq!(judge_apt("curl=7.88.1-10"), Pin::Pinned);
        assert!(matches!(judge_apt("curl"), Pin::Unpinned(_)));
        assert!(matches!(judge_apt("curl=7.*"), Pin::Unpinned(_)));
        assert!(matches!(
            judge_apt("curl/bookworm-backports"),
            Pin::Unpinned(_)
        ));
        assert_eq!(judge_apt("./pkg.deb"), Pin::Local);
        assert_eq!(judge_apk("curl=8.5.0-r0"), Pin::Pinned);
        assert_eq!(judge_apk("curl~8.5"), Pin::Pinned);
        assert!(matches!(judge_apk("curl>8"), Pin::Unpinned(_)));
        assert!(matches!(judge_apk("curl"), Pin::Unpinned(_)));
        assert!(matches!(judge_apk("curl="), Pin::Unpinned(_)));
        assert_eq!(judge_apk("/tmp/x.apk"), Pin::Local);
    }
}
