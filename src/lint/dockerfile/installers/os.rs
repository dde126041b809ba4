//! OS package managers: `apt-get`/`apt`/`aptitude install` and `apk add`.

use super::opts::{scan, Spec, Tok};
use super::{Arg, Install, Package, Tool};

/// Options of apt-get(8) and apt(8) (apt 1.x to 3.x) that take a value: `-o`/`--option`
/// (apt.conf, `-o Dpkg::Options::=--force-confold`), `-c`/`--config-file`,
/// `-t`/`--target-release`/`--default-release`, `-a`/`--host-architecture`,
/// `-P`/`--build-profiles`, `-S`/`--snapshot` (apt 2.7+), `--with-source`, and apt 3's
/// `--solver`, `--planner` and `--comment`. Everything else (`-y`, `-qq`, `-q=2`,
/// `--no-install-recommends`, `--update`, …) is a flag.
const APT: Spec = Spec {
    long_values: &[
        "option",
        "config-file",
        "target-release",
        "default-release",
        "host-architecture",
        "architecture",
        "build-profiles",
        "snapshot",
        "with-source",
        "solver",
        "planner",
        "comment",
    ],
    long_flags: &[],
    short_values: "octaPS",
    prefixes: false,
    go_style: false,
};

/// Options of aptitude(8) that take a value: `-o`, `-t`/`--target-release`,
/// `-F`/`--display-format`, `-O`/`--sort`, `-w`/`--width`, `-S` (a state file: not apt's
/// `--snapshot`), `--log-file`, `--log-level`.
const APTITUDE: Spec = Spec {
    long_values: &[
        "option",
        "target-release",
        "default-release",
        "display-format",
        "sort",
        "width",
        "log-file",
        "log-level",
    ],
    long_flags: &[],
    short_values: "otFOwS",
    prefixes: false,
    go_style: false,
};

/// `apt-get|apt|aptitude [opts] install|reinstall [opts] pkg[=version|/release]...`.
/// `build-dep` (build dependencies of source packages: the names are source packages, the
/// versions installed are chosen by apt), `update`, `remove`, `download`, `source` … install
/// nothing pindrift can pin.
pub fn apt(args: &[Arg], i: usize, tool: Tool) -> Option<Install> {
    let spec = if tool == Tool::Aptitude {
        &APTITUDE
    } else {
        &APT
    };
    subcommand_packages(args, i, spec, &["install", "reinstall"], tool)
}

/// The packages of `TOOL [opts] SUBCOMMAND [opts] pkg...`: every positional argument after
/// the subcommand, with the tool's value-taking options consumed.
fn subcommand_packages(
    args: &[Arg],
    i: usize,
    spec: &Spec,
    subcommands: &[&str],
    tool: Tool,
) -> Option<Install> {
    let toks = scan(args, i + 1, spec);
    let sub = toks.iter().find_map(|t| match t {
        Tok::Pos(p) => Some(*p),
        _ => None,
    })?;
    if !subcommands.contains(&args[sub].text.as_str()) {
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

/// Options of apk(8) (apk-tools 2 and 3) that take a value: the global `-X`/`--repository`,
/// `-p`/`--root`, `--arch`, `--keys-dir`, `--cache-dir`, `--cache-max-age`,
/// `--repositories-file`, `--progress-fd`, `--timeout`, `--wait`, apk 3's
/// `--repository-config`, `--root-tmpfs`, `--sync`, `--uvol-manager`, `--from`, and `add`'s
/// `-t`/`--virtual`.
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
        "repository-config",
        "root-tmpfs",
        "sync",
        "uvol-manager",
        "from",
    ],
    long_flags: &[],
    short_values: "tXp",
    prefixes: false,
    go_style: false,
};

/// `apk [opts] add [opts] pkg[=version|~version]...`.
pub fn apk(args: &[Arg], i: usize) -> Option<Install> {
    subcommand_packages(args, i, &APK, &["add"], Tool::Apk)
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
            (
                "apt-get install -y --snapshot 20260101T000000Z curl",
                &["curl"],
            ),
            ("apt-get install -y -S 20260101T000000Z curl", &["curl"]),
            ("apt-get install -yS 20260101T000000Z curl", &["curl"]),
            (
                "apt-get install --snapshot=20260101T000000Z curl",
                &["curl"],
            ),
            ("apt-get -c /etc/apt/x.conf install curl", &["curl"]),
            ("apt-get -a arm64 install curl:arm64", &["curl:arm64"]),
            ("apt-get install -P nocheck,nodoc curl", &["curl"]),
            ("apt-get install --with-source ./Packages curl", &["curl"]),
            (
                "apt-get install -q=2 -oAPT::Get::Assume-Yes=1 curl",
                &["curl"],
            ),
            ("apt install --solver 3.0 --update curl", &["curl"]),
            ("apt-get reinstall curl", &["curl"]),
            ("apt-get build-dep python3", &["<none>"]),
            ("apt-get -o Debug::pkgProblemResolver=1 update", &["<none>"]),
            ("aptitude -y -w 120 -F %p install curl", &["curl"]),
            // tonistiigi/xx's cross-compilation wrappers.
            (
                "xx-apt-get install -y --no-install-recommends gcc libc6-dev",
                &["gcc", "libc6-dev"],
            ),
            ("xx-apt install -y binutils=2.40-2", &["binutils=2.40-2"]),
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
            ("apk -X http://x/edge/main add curl", &["curl"]),
            (
                "apk add -p /sysroot --keys-dir /k --arch aarch64 curl",
                &["curl"],
            ),
            ("apk --root=/sysroot --cache-dir /c add curl", &["curl"]),
            (
                "apk add --repositories-file /r --cache-max-age 60 curl",
                &["curl"],
            ),
            ("apk add -qt .deps gcc", &["gcc"]),
            (
                "xx-apk add --no-cache musl-dev zlib-dev=1.3.1-r0",
                &["musl-dev", "zlib-dev=1.3.1-r0"],
            ),
            (
                "apk add --timeout 30 --wait 10 --progress-fd 3 curl",
                &["curl"],
            ),
        ];
        for (s, want) in cases {
            assert_eq!(pk(s), *want, "{s}");
        }
    }

    #[test]
    fn the_tool_is_the_one_used() {
        for (s, tool) in [
            ("apt-get install curl", Tool::AptGet),
            ("apt install curl", Tool::Apt),
            ("/usr/bin/aptitude install curl", Tool::Aptitude),
            ("apk add curl", Tool::Apk),
            ("xx-apt-get install curl", Tool::AptGet),
            ("xx-apk add curl", Tool::Apk),
        ] {
            match classify(&args(s)) {
                Classified::Install(i) => assert_eq!(i.tool, tool, "{s}"),
                other => panic!("{s}: {other:?}"),
            }
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
