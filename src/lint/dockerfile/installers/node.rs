//! npm, yarn and pnpm.

use super::opts::{scan, Spec, Tok};
use super::os::Pin;
use super::{Arg, Install, Package, Tool};

const NPM: Spec = Spec {
    long_values: &[
        "prefix",
        "registry",
        "cache",
        "loglevel",
        "userconfig",
        "globalconfig",
        "workspace",
        "omit",
        "include",
        "install-strategy",
        "save-prefix",
        "tag",
        "before",
        "fetch-retries",
        "fetch-timeout",
        "proxy",
        "https-proxy",
        "cafile",
        "location",
        "script-shell",
        "os",
        "cpu",
        "libc",
        "only",
        "also",
        "otp",
        "scope",
        "auth-type",
        "cert",
        "key",
        "ca",
        "node-options",
        "logs-dir",
        "logs-max",
        "maxsockets",
        "noproxy",
        "fetch-retry-factor",
        "fetch-retry-mintimeout",
        "fetch-retry-maxtimeout",
        "lockfile-version",
    ],
    long_flags: &[],
    short_values: "wC",
    prefixes: false,
    go_style: false,
};

fn packages_after(args: &[Arg], toks: &[Tok], sub: usize) -> Vec<Package> {
    toks.iter()
        .filter_map(|t| match t {
            Tok::Pos(p) if *p > sub => Some(Package {
                arg: *p,
                text: args[*p].text.clone(),
                version: None,
                editable: false,
            }),
            _ => None,
        })
        .collect()
}

fn first_pos(toks: &[Tok]) -> Option<usize> {
    toks.iter().find_map(|t| match t {
        Tok::Pos(p) => Some(*p),
        _ => None,
    })
}

/// `npm install|i|add|isntall pkg...` (no packages: installs from package.json; not here).
pub fn npm(args: &[Arg], i: usize) -> Option<Install> {
    let toks = scan(args, i + 1, &NPM);
    let sub = first_pos(&toks)?;
    if !matches!(
        args[sub].text.as_str(),
        "install"
            | "i"
            | "add"
            | "isntall"
            | "in"
            | "ins"
            | "inst"
            | "insta"
            | "instal"
            | "isnt"
            | "isnta"
            | "isntal"
    ) {
        return None;
    }
    Some(Install {
        tool: Tool::Npm,
        tool_arg: i,
        packages: packages_after(args, &toks, sub),
        files: Vec::new(),
        upgrade: false,
    })
}

const YARN: Spec = Spec {
    long_values: &[
        "cwd",
        "registry",
        "network-timeout",
        "mutex",
        "modules-folder",
        "cache-folder",
        "global-folder",
        "prefix",
        "link-folder",
        "network-concurrency",
        "use-yarnrc",
        "preferred-cache-folder",
        "proxy",
        "https-proxy",
        "otp",
        // yarn 2+: `yarn add --mode skip-build pkg`.
        "mode",
    ],
    long_flags: &[],
    short_values: "",
    prefixes: false,
    go_style: false,
};

/// `yarn [global] add pkg...`.
pub fn yarn(args: &[Arg], i: usize) -> Option<Install> {
    let toks = scan(args, i + 1, &YARN);
    let mut sub = first_pos(&toks)?;
    if args[sub].text == "global" {
        sub = toks.iter().find_map(|t| match t {
            Tok::Pos(p) if *p > sub => Some(*p),
            _ => None,
        })?;
    }
    if args[sub].text != "add" {
        return None;
    }
    Some(Install {
        tool: Tool::Yarn,
        tool_arg: i,
        packages: packages_after(args, &toks, sub),
        files: Vec::new(),
        upgrade: false,
    })
}

const PNPM: Spec = Spec {
    long_values: &[
        "filter",
        "dir",
        "store-dir",
        "registry",
        "virtual-store-dir",
        "modules-dir",
        "reporter",
        "loglevel",
        "global-dir",
        "global-bin-dir",
        "lockfile-dir",
        "network-concurrency",
        "child-concurrency",
        "allow-build",
    ],
    long_flags: &[],
    short_values: "CF",
    prefixes: false,
    go_style: false,
};

/// `pnpm add pkg...`.
pub fn pnpm(args: &[Arg], i: usize) -> Option<Install> {
    let toks = scan(args, i + 1, &PNPM);
    let sub = first_pos(&toks)?;
    if args[sub].text != "add" {
        return None;
    }
    Some(Install {
        tool: Tool::Pnpm,
        tool_arg: i,
        packages: packages_after(args, &toks, sub),
        files: Vec::new(),
        upgrade: false,
    })
}

fn is_exact_semver(v: &str) -> bool {
    let v = v.strip_prefix('=').unwrap_or(v);
    let v = v.strip_prefix('v').unwrap_or(v);
    let core = v.split(['-', '+']).next().unwrap_or("");
    let nums: Vec<&str> = core.split('.').collect();
    nums.len() == 3
        && nums
            .iter()
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Judges an npm/yarn/pnpm package spec: exact versions, git refs, `file:`, tarball URLs and
/// local paths are pinned; bare names, ranges (`^1`, `~1.2`, `1.x`, `1`) and dist-tags are not.
pub fn judge(t: &str) -> Pin {
    if t.starts_with("file:")
        || t.starts_with("link:")
        || t.starts_with('/')
        || t.starts_with("./")
        || t.starts_with("../")
        || t == "."
        || t.ends_with(".tgz")
        || t.ends_with(".tar.gz")
    {
        return Pin::Local;
    }
    let is_git = t.starts_with("git+")
        || t.starts_with("git://")
        || t.starts_with("github:")
        || t.starts_with("gitlab:")
        || t.starts_with("bitbucket:")
        || t.starts_with("gist:")
        || (!t.starts_with('@') && t.contains('/') && !t.contains('@') && !t.contains(':'));
    if is_git {
        return match t.split_once('#') {
            Some((_, r)) if !r.is_empty() && !r.starts_with("semver:") => Pin::Pinned,
            Some((_, r)) if r.starts_with("semver:") && is_exact_semver(&r[7..]) => Pin::Pinned,
            _ => Pin::Unpinned("git dependency without a `#ref`".into()),
        };
    }
    if t.starts_with("http://") || t.starts_with("https://") {
        return Pin::Local;
    }
    // [@scope/]name[@spec]
    let body = t.strip_prefix('@').unwrap_or(t);
    let spec = body.split_once('@').map(|(_, s)| s);
    match spec {
        None => Pin::Unpinned("no version".into()),
        Some("") => Pin::Unpinned("no version".into()),
        Some(s) if s.starts_with("npm:") => judge(&s[4..]),
        Some(s) if is_exact_semver(s) => Pin::Pinned,
        Some(s)
            if s.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) && !s.starts_with('v') =>
        {
            Pin::Unpinned(format!("`{s}` is a dist-tag, which moves"))
        }
        Some(s) => Pin::Unpinned(format!("`{s}` is a range, not one version")),
    }
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
    fn recognizers() {
        let cases: &[(&str, &[&str])] = &[
            ("npm install -g pnpm@8.15.1", &["pnpm@8.15.1"]),
            (
                "npm i --prefix /app --registry https://r left-pad",
                &["left-pad"],
            ),
            ("npm --loglevel warn install -g yarn", &["yarn"]),
            ("npm install", &[]),
            ("npm ci", &["<none>"]),
            ("yarn add react@18.2.0", &["react@18.2.0"]),
            ("yarn global add --network-timeout 100000 serve", &["serve"]),
            ("yarn install --frozen-lockfile", &["<none>"]),
            (
                "pnpm add -g --filter web typescript@5.3.3",
                &["typescript@5.3.3"],
            ),
            ("pnpm install", &["<none>"]),
            // pnpm's `--workspace` is a switch: the next word is a package.
            ("pnpm add --workspace shared-utils", &["shared-utils"]),
            (
                "pnpm add --lockfile-dir /app --allow-build esbuild esbuild@0.20.2",
                &["esbuild@0.20.2"],
            ),
            (
                "yarn add --mode skip-build left-pad@1.3.0",
                &["left-pad@1.3.0"],
            ),
            (
                "npm install --otp 123456 --scope @acme left-pad",
                &["left-pad"],
            ),
            (
                "npm install --cafile /c.pem --logs-dir /tmp/l left-pad",
                &["left-pad"],
            ),
        ];
        for (s, want) in cases {
            assert_eq!(pk(s), *want, "{s}");
        }
    }

    #[test]
    fn judgments() {
        let pinned = [
            "pnpm@8.15.1",
            "@angular/cli@17.0.3",
            "react@=18.2.0",
            "x@1.2.3-beta.1",
            "git+https://github.com/a/b.git#v1.2.3",
            "github:a/b#0123abc",
            "a/b#main",
            "alias@npm:react@18.2.0",
        ];
        for t in pinned {
            assert_eq!(judge(t), Pin::Pinned, "{t}");
        }
        for t in ["file:../lib", "./pkg.tgz", "/tmp/x", "https://x/y.tgz"] {
            assert_eq!(judge(t), Pin::Local, "{t}");
        }
        for t in [
            "pnpm",
            "@angular/cli",
            "x@latest",
            "x@next",
            "x@^1.2.3",
            "x@~1.2",
            "x@1",
            "x@1.x",
            "x@>=1 <2",
            "git+https://github.com/a/b.git",
            "a/b",
            "x@",
        ] {
            assert!(matches!(judge(t), Pin::Unpinned(_)), "{t}");
        }
    }
}
