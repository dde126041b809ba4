//! RPM-family package managers: `yum`, `dnf` (and `dnf5`), `microdnf`, `tdnf`, `zypper`, and
//! `rpm -i|-U|-F` of package files.
//!
//! A yum/dnf package argument names a package the way `dnf` resolves it: `name`,
//! `name.arch`, `name-version`, `name-version-release`, `name-epoch:version-release` (each
//! optionally `.arch`), a dependency expression (`'name >= 1.2'`, zypper's `name=1.2.3`), a
//! file provide (`/usr/bin/which`), or an `.rpm` file or URL. dnf tries these forms against the
//! repositories; pindrift has no repositories, so [`split_version`] reads a version only where
//! it cannot be part of a name: a package name may contain digits (`java-11-openjdk`,
//! `python3.11`, `gcc-toolset-12`, `compat-openssl11`), and a last `-NN` of bare digits is read
//! as a name (`java-17`), not as the version `17`.

use super::opts::{scan, Spec, Tok};
use super::os::Pin;
use super::{Arg, Install, Package, Tool};

/// Options of yum(8), dnf(8) (dnf 4 and dnf5), microdnf(8) and tdnf(8) that take a value:
/// `-c`/`--config`, `-d`/`--debuglevel`, `-e`/`--errorlevel`, `-x`/`--exclude`,
/// `-R`/`--randomwait`, `--installroot`, `--releasever`, `--setopt`, `--setvar`,
/// `--enablerepo`/`--disablerepo` (and dnf5's `--enable-repo`), `--repo`/`--repoid`,
/// `--repofrompath`, `--from-repo`, plugins, advisories, and the like. `-y`, `-q`, `-C`,
/// `--nodocs`, `--nogpgcheck`, `--setopt=…` inline and everything else are flags or carry
/// their value.
const YUM: Spec = Spec {
    long_values: &[
        "config",
        "debuglevel",
        "errorlevel",
        "rpmverbosity",
        "installroot",
        "releasever",
        "setopt",
        "setvar",
        "enablerepo",
        "disablerepo",
        "enable-repo",
        "disable-repo",
        "repo",
        "repoid",
        "repofrompath",
        "from-repo",
        "exclude",
        "excludepkgs",
        "includepkgs",
        "disableexcludes",
        "disableexcludepkgs",
        "color",
        "downloaddir",
        "destdir",
        "forcearch",
        "enableplugin",
        "disableplugin",
        "enable-plugin",
        "disable-plugin",
        "comment",
        "advisory",
        "advisories",
        "advisory-severities",
        "bz",
        "bzs",
        "cve",
        "cves",
        "sec-severity",
        "secseverity",
        "randomwait",
        "module-platform-id",
        "platform-module",
        "use-host-config-dir",
    ],
    long_flags: &[],
    short_values: "cdexR",
    prefixes: false,
    go_style: false,
};

/// zypper(8)'s global options that take a value (before the command): `-R`/`--root`,
/// `-c`/`--config`, `-D`/`--reposd-dir`, `-C`/`--cache-dir`, `-p`/`--plus-repo`,
/// `--plus-content`, `--raw-cache-dir`, `--solv-cache-dir`, `--pkg-cache-dir`, `--userdata`,
/// `-s`/`--table-style`, `--installroot`, `--releasever`.
const ZYPPER_GLOBAL: Spec = Spec {
    long_values: &[
        "root",
        "config",
        "reposd-dir",
        "cache-dir",
        "raw-cache-dir",
        "solv-cache-dir",
        "pkg-cache-dir",
        "plus-repo",
        "plus-content",
        "userdata",
        "table-style",
        "installroot",
        "releasever",
    ],
    long_flags: &[],
    short_values: "RcDCps",
    prefixes: false,
    go_style: false,
};

/// `zypper install`'s options that take a value: `-r`/`--repo`/`--from`, `-t`/`--type`,
/// `--download`, `--solver-focus`. (`-D` here is `--dry-run` and `-C` `--capability`: flags.)
const ZYPPER_INSTALL: Spec = Spec {
    long_values: &["repo", "from", "type", "download", "solver-focus"],
    long_flags: &[],
    short_values: "rt",
    prefixes: false,
    go_style: false,
};

/// rpm(8)'s options that take a value: `-r`/`--root`, `--dbpath`, `-D`/`--define`,
/// `-E`/`--eval`, `--predefine`, `--undefine`, `--rcfile`, `--macros`, `--load`, `--pipe`,
/// `--prefix`, `--relocate`, `--excludepath`, `--httpproxy`, `--httpport`, `--ftpproxy`,
/// `--ftpport`.
const RPM: Spec = Spec {
    long_values: &[
        "root",
        "dbpath",
        "define",
        "eval",
        "predefine",
        "undefine",
        "rcfile",
        "macros",
        "load",
        "pipe",
        "prefix",
        "relocate",
        "excludepath",
        "httpproxy",
        "httpport",
        "ftpproxy",
        "ftpport",
    ],
    long_flags: &[],
    short_values: "rDE",
    prefixes: false,
    go_style: false,
};

/// The tool a command name runs, if it is one of this family.
pub fn tool_of(name: &str) -> Option<Tool> {
    Some(match name {
        "yum" => Tool::Yum,
        "dnf" | "dnf4" | "dnf5" | "dnf-3" => Tool::Dnf,
        "microdnf" => Tool::Microdnf,
        "tdnf" => Tool::Tdnf,
        "zypper" => Tool::Zypper,
        "rpm" => Tool::Rpm,
        _ => return None,
    })
}

/// Recognizes `args[i..]` for a tool of this family.
pub fn install(args: &[Arg], i: usize, tool: Tool) -> Option<Install> {
    match tool {
        Tool::Zypper => zypper(args, i),
        Tool::Rpm => rpm(args, i),
        _ => yum(args, i, tool),
    }
}

fn package(args: &[Arg], p: usize) -> Package {
    Package {
        arg: p,
        text: args[p].text.clone(),
        version: None,
        editable: false,
    }
}

fn first_pos(toks: &[Tok]) -> Option<usize> {
    toks.iter().find_map(|t| match t {
        Tok::Pos(p) => Some(*p),
        _ => None,
    })
}

/// `yum|dnf|microdnf|tdnf [opts] install|in|localinstall|reinstall [opts] pkg...`. Groups and
/// module streams (`@core`, `@nodejs:20`) are sets the repositories define: not packages a
/// line can pin, like `apt-get build-dep`. `clean`, `update`, `makecache`, `module`, `group`
/// … install nothing pindrift can pin.
fn yum(args: &[Arg], i: usize, tool: Tool) -> Option<Install> {
    let toks = scan(args, i + 1, &YUM);
    let sub = first_pos(&toks)?;
    if !matches!(
        args[sub].text.as_str(),
        "install" | "in" | "localinstall" | "reinstall" | "rei"
    ) {
        return None;
    }
    let packages = toks
        .iter()
        .filter_map(|t| match t {
            Tok::Pos(p) if *p != sub && !args[*p].text.starts_with('@') => Some(package(args, *p)),
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

/// `zypper [global opts] install|in [opts] pkg...`. `-pkg`, `!pkg` and `~pkg` remove a
/// package (zypper's own syntax), so they are not installs.
fn zypper(args: &[Arg], i: usize) -> Option<Install> {
    let global = scan(args, i + 1, &ZYPPER_GLOBAL);
    let sub = first_pos(&global)?;
    if !matches!(args[sub].text.as_str(), "install" | "in") {
        return None;
    }
    let packages = scan(args, sub + 1, &ZYPPER_INSTALL)
        .iter()
        .filter_map(|t| match t {
            Tok::Pos(p) if !args[*p].text.starts_with(['!', '~', '-']) => Some(package(args, *p)),
            _ => None,
        })
        .collect();
    Some(Install {
        tool: Tool::Zypper,
        tool_arg: i,
        packages,
        files: Vec::new(),
        upgrade: false,
    })
}

/// `rpm -i|-U|-F|--install|--upgrade|--freshen [opts] FILE|URL...`. Query (`-q`, where `-i`
/// is `--info`), verify, erase and `--import` install nothing.
fn rpm(args: &[Arg], i: usize) -> Option<Install> {
    let toks = scan(args, i + 1, &RPM);
    let mut installs = false;
    for t in &toks {
        if let Tok::Opt { name, .. } = t {
            match name.as_str() {
                "q" | "query" | "V" | "verify" | "e" | "erase" | "import" | "checksig" | "K" => {
                    return None
                }
                "i" | "U" | "F" | "install" | "upgrade" | "freshen" | "reinstall" => {
                    installs = true
                }
                _ => {}
            }
        }
    }
    if !installs {
        return None;
    }
    let packages = toks
        .iter()
        .filter_map(|t| match t {
            Tok::Pos(p) => Some(package(args, *p)),
            _ => None,
        })
        .collect();
    Some(Install {
        tool: Tool::Rpm,
        tool_arg: i,
        packages,
        files: Vec::new(),
        upgrade: false,
    })
}

/// Architectures an RPM name can end with (`curl.x86_64`).
const ARCHES: &[&str] = &[
    "noarch",
    "x86_64",
    "i386",
    "i486",
    "i586",
    "i686",
    "aarch64",
    "armv7hl",
    "armv7l",
    "armhfp",
    "ppc64le",
    "ppc64",
    "s390x",
    "riscv64",
    "loongarch64",
    "src",
    "nosrc",
];

/// `name` without a trailing `.arch`.
fn strip_arch(t: &str) -> &str {
    match t.rsplit_once('.') {
        Some((head, arch)) if !head.is_empty() && ARCHES.contains(&arch) => head,
        _ => t,
    }
}

fn version_chars(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '~' | '^'))
}

/// `[epoch:]version`; returns whether an epoch was given.
fn epoch_version(s: &str) -> Option<bool> {
    match s.split_once(':') {
        Some((e, v)) => {
            (!e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) && version_chars(v))
                .then_some(true)
        }
        None => version_chars(s).then_some(false),
    }
}

/// Splits `name-[epoch:]version[-release][.arch]` into name and version (without the arch)
/// where the text
/// cannot be read as a name alone: `curl-7.76.1-26.el9`, `foo-1:2.0-1`, `epel-release-9-7.el9`
/// (a release follows), `openssl-1.1.1k`, `foo-1:2` (a version with a dot, a letter or an
/// epoch). `java-11-openjdk`, `python3.11`, `gcc-toolset-12`, `libstdc++-devel` are names.
pub fn split_version(t: &str) -> Option<(&str, &str)> {
    let body = strip_arch(t);
    let mut parts = body.rsplitn(3, '-');
    let last = parts.next()?;
    let second = parts.next();
    let rest = parts.next();
    // name-version-release
    if let (Some(v), Some(name)) = (second, rest) {
        if !name.is_empty() && version_chars(last) && epoch_version(v).is_some() {
            let at = name.len() + 1;
            return Some((name, &body[at..]));
        }
    }
    // name-version
    let name_len = body.len() - last.len();
    if name_len < 2 {
        return None;
    }
    let name = &body[..name_len - 1];
    match epoch_version(last)? {
        true => Some((name, last)),
        false if !last.bytes().all(|b| b.is_ascii_digit()) => Some((name, last)),
        false => None,
    }
}

fn is_url(t: &str) -> bool {
    t.contains("://")
}

fn pattern(t: &str) -> bool {
    t.contains(['*', '?', '['])
}

/// A dotted version anywhere in a URL's path (`/v1.2.3/`, `_0.50.1_`).
fn url_has_version(url: &str) -> bool {
    let path = url.split_once("://").map_or(url, |(_, p)| p);
    let path = path.split_once('/').map_or("", |(_, p)| p);
    path.split(['/', '_', '-', '+'])
        .map(|w| w.strip_prefix('v').unwrap_or(w))
        .any(|w| {
            let mut n = 0;
            let dotted = w.split('.').all(|p| {
                n += 1;
                !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())
            });
            dotted && n >= 2
        })
}

/// An `.rpm` file: a local file is pinned by content; a URL only when it names a released
/// file (its file name or path carries a version), not `…-latest.noarch.rpm`.
fn judge_file(t: &str) -> Pin {
    if !is_url(t) {
        return Pin::Local;
    }
    let file = t.rsplit('/').next().unwrap_or(t);
    let stem = file.strip_suffix(".rpm").unwrap_or(file);
    if split_version(stem).is_some() || url_has_version(t) {
        Pin::Pinned
    } else {
        Pin::Unpinned(format!(
            "`{file}` names no version: the URL can serve another package tomorrow"
        ))
    }
}

/// How a package argument of a yum/dnf/microdnf/tdnf/zypper/rpm install is pinned.
pub fn judge(tool: Tool, t: &str) -> Pin {
    let t = t.trim();
    if tool == Tool::Rpm || t.ends_with(".rpm") {
        return judge_file(t);
    }
    // A dependency expression: `name = 1.2.3`, `name>=1.2`, zypper's `name=1.2.3`.
    if let Some(pos) = t.find(['=', '<', '>']) {
        let rest = &t[pos..];
        let op_end = rest
            .find(|c: char| !matches!(c, '=' | '<' | '>'))
            .unwrap_or(rest.len());
        let op = &rest[..op_end];
        let v = rest[op_end..].trim();
        return match op {
            _ if v.is_empty() => Pin::Unpinned("no version".into()),
            "=" | "==" if pattern(v) => Pin::Unpinned(format!("version `{v}` is a pattern")),
            "=" | "==" => Pin::Pinned,
            _ => Pin::Unpinned(format!("`{op} {v}` is a range")),
        };
    }
    if pattern(t) {
        return Pin::Unpinned("a pattern is not a version".into());
    }
    if t.starts_with('/') {
        return Pin::Unpinned("a path names whichever package provides it".into());
    }
    if split_version(t).is_some() {
        return Pin::Pinned;
    }
    Pin::Unpinned("no version".into())
}

/// The bare name of a package argument (for `allow-unpinned` and the hint).
pub fn package_name(t: &str) -> &str {
    let t = t.trim();
    let t = t.split(['=', '<', '>']).next().unwrap_or(t).trim_end();
    match split_version(t) {
        Some((name, _)) => name,
        None => strip_arch(t),
    }
}

/// How to write the argument pinned, for the hint.
pub fn pin_example(tool: Tool, t: &str) -> String {
    let name = package_name(t);
    match tool {
        Tool::Rpm => "a local file or a URL to a versioned file".to_string(),
        _ if t.trim().ends_with(".rpm") => "a local file or a URL to a versioned file".into(),
        Tool::Zypper => format!("`{name}=<version>`"),
        _ => format!("`{name}-<version>-<release>`"),
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
    fn yum_family_table() {
        let cases: &[(&str, &[&str])] = &[
            ("yum install -y curl", &["curl"]),
            ("yum -y install curl git", &["curl", "git"]),
            (
                "dnf -y --setopt=tsflags=nodocs install python3.11",
                &["python3.11"],
            ),
            (
                "dnf install -y --setopt install_weak_deps=False gcc",
                &["gcc"],
            ),
            (
                "dnf --enablerepo crb --disablerepo epel install -y ninja-build",
                &["ninja-build"],
            ),
            ("dnf -c /etc/dnf.conf -x kernel* install vim", &["vim"]),
            ("dnf5 install -y --from-repo fedora make", &["make"]),
            ("dnf in -y make", &["make"]),
            (
                "microdnf install -y --nodocs shadow-utils",
                &["shadow-utils"],
            ),
            (
                "microdnf --setopt=install_weak_deps=0 install tar",
                &["tar"],
            ),
            ("tdnf install -y --releasever 5.0 curl", &["curl"]),
            ("yum localinstall -y /tmp/x.rpm", &["/tmp/x.rpm"]),
            ("yum reinstall -y glibc", &["glibc"]),
            ("dnf install -y @development-tools gcc", &["gcc"]),
            ("yum clean all", &["<none>"]),
            ("dnf makecache", &["<none>"]),
            ("dnf -y update", &["<none>"]),
            ("dnf -y module enable nodejs:20", &["<none>"]),
            ("dnf -y groupinstall Development", &["<none>"]),
            ("yum -q list installed", &["<none>"]),
        ];
        for (s, want) in cases {
            assert_eq!(pk(s), *want, "{s}");
        }
    }

    #[test]
    fn zypper_table() {
        let cases: &[(&str, &[&str])] = &[
            ("zypper install -y curl", &["curl"]),
            ("zypper --non-interactive in curl=8.0.1", &["curl=8.0.1"]),
            ("zypper -n in --no-recommends python311", &["python311"]),
            ("zypper --root /mnt -n install vim", &["vim"]),
            ("zypper -R /mnt in -r oss vim", &["vim"]),
            ("zypper in -t pattern devel_basis", &["devel_basis"]),
            ("zypper in -y vim !emacs ~nano", &["vim"]),
            ("zypper in -D -C vim", &["vim"]),
            ("zypper -n --gpg-auto-import-keys refresh", &["<none>"]),
            ("zypper clean --all", &["<none>"]),
            ("zypper rm vim", &["<none>"]),
        ];
        for (s, want) in cases {
            assert_eq!(pk(s), *want, "{s}");
        }
    }

    #[test]
    fn rpm_table() {
        let cases: &[(&str, &[&str])] = &[
            ("rpm -i /tmp/x.rpm", &["/tmp/x.rpm"]),
            ("rpm -ivh https://x/y.rpm", &["https://x/y.rpm"]),
            (
                "rpm -Uvh --nodeps /tmp/a.rpm /tmp/b.rpm",
                &["/tmp/a.rpm", "/tmp/b.rpm"],
            ),
            ("rpm --install --root /mnt x.rpm", &["x.rpm"]),
            ("rpm -qi curl", &["<none>"]),
            ("rpm -qa", &["<none>"]),
            ("rpm --import https://x/KEY", &["<none>"]),
            ("rpm -e curl", &["<none>"]),
            ("rpm -V curl", &["<none>"]),
        ];
        for (s, want) in cases {
            assert_eq!(pk(s), *want, "{s}");
        }
    }

    #[test]
    fn the_tool_is_the_one_used() {
        for (s, tool) in [
            ("yum install x", Tool::Yum),
            ("/usr/bin/dnf install x", Tool::Dnf),
            ("dnf5 install x", Tool::Dnf),
            ("microdnf install x", Tool::Microdnf),
            ("tdnf install x", Tool::Tdnf),
            ("zypper in x", Tool::Zypper),
            ("rpm -i x.rpm", Tool::Rpm),
            ("sudo yum install -y x", Tool::Yum),
        ] {
            match classify(&args(s)) {
                Classified::Install(i) => {
                    assert_eq!(i.tool, tool, "{s}");
                    assert!(i.tool.is_os(), "{s}");
                }
                other => panic!("{s}: {other:?}"),
            }
        }
    }

    #[test]
    fn versions_are_not_names() {
        let cases: &[(&str, Option<(&str, &str)>)] = &[
            ("curl-7.76.1", Some(("curl", "7.76.1"))),
            ("curl-7.76.1-26.el9", Some(("curl", "7.76.1-26.el9"))),
            (
                "curl-7.76.1-26.el9_3.x86_64",
                Some(("curl", "7.76.1-26.el9_3")),
            ),
            (
                "bind-utils-32:9.16.23-14.el9",
                Some(("bind-utils", "32:9.16.23-14.el9")),
            ),
            ("foo-1:2", Some(("foo", "1:2"))),
            ("epel-release-9-7.el9", Some(("epel-release", "9-7.el9"))),
            ("openssl-1.1.1k", Some(("openssl", "1.1.1k"))),
            ("tzdata-2024a", Some(("tzdata", "2024a"))),
            (
                "java-11-openjdk-11.0.20.0.8-1.el9",
                Some(("java-11-openjdk", "11.0.20.0.8-1.el9")),
            ),
            (
                "gcc-toolset-12-12.0-6.el9",
                Some(("gcc-toolset-12", "12.0-6.el9")),
            ),
            (
                "python3.11-3.11.5-1.el9",
                Some(("python3.11", "3.11.5-1.el9")),
            ),
            ("java-11-openjdk", None),
            ("java-1.8.0-openjdk-devel", None),
            ("java-17", None),
            ("gcc-toolset-12", None),
            ("python3.11", None),
            ("python311", None),
            ("python3.11-pip", None),
            ("libstdc++-devel", None),
            ("compat-openssl11", None),
            ("curl.x86_64", None),
            ("ncurses-libs.i686", None),
            ("-1.2", None),
            ("x", None),
        ];
        for (t, want) in cases {
            assert_eq!(split_version(t), *want, "{t}");
        }
    }

    #[test]
    fn judgments() {
        use Tool::*;
        let pinned: &[(Tool, &str)] = &[
            (Dnf, "curl-7.76.1-26.el9"),
            (Yum, "curl-7.29.0"),
            (Yum, "bash-0:5.1.8-6.el9_1"),
            (Dnf, "nginx-1:1.20.1-14.el9_2.1.x86_64"),
            (Dnf, "python3 = 3.9.18"),
            (Zypper, "curl=8.0.1"),
            (Zypper, "curl==8.0.1-1.1"),
            (Zypper, "vim-9.0.2103-150500.20.6.1"),
            (Microdnf, "tar-2:1.34-6.el9_1"),
            (Tdnf, "curl-8.5.0-1.ph5"),
            (
                Rpm,
                "https://github.com/x/y/releases/download/v0.50.1/trivy_0.50.1_Linux-64bit.rpm",
            ),
            (Rpm, "https://x/el9/foo-1.2-3.el9.x86_64.rpm"),
            (Dnf, "https://x/el9/foo-1.2-3.el9.x86_64.rpm"),
        ];
        for (tool, t) in pinned {
            assert_eq!(judge(*tool, t), Pin::Pinned, "{t}");
        }
        for (tool, t) in [
            (Rpm, "/tmp/x.rpm"),
            (Dnf, "./x.rpm"),
            (Yum, "x.rpm"),
            (Rpm, "x"),
        ] {
            assert_eq!(judge(tool, t), Pin::Local, "{t}");
        }
        let unpinned: &[(Tool, &str)] = &[
            (Yum, "curl"),
            (Dnf, "java-11-openjdk"),
            (Dnf, "java-17"),
            (Dnf, "python3.11"),
            (Dnf, "libstdc++-devel"),
            (Dnf, "curl.x86_64"),
            (Dnf, "python3 >= 3.9"),
            (Zypper, "curl>=8"),
            (Zypper, "curl="),
            (Zypper, "curl=8.*"),
            (Dnf, "kernel-devel-*"),
            (Dnf, "/usr/bin/which"),
            (Rpm, "https://dl.fedoraproject.org/pub/epel/epel-release-latest-9.noarch.rpm"),
            (Dnf, "https://download.postgresql.org/pub/repos/yum/reporpms/EL-9-x86_64/pgdg-redhat-repo-latest.noarch.rpm"),
        ];
        for (tool, t) in unpinned {
            assert!(matches!(judge(*tool, t), Pin::Unpinned(_)), "{t}");
        }
    }

    #[test]
    fn names_and_examples() {
        assert_eq!(package_name("curl.x86_64"), "curl");
        assert_eq!(package_name("python3 >= 3.9"), "python3");
        assert_eq!(package_name("curl-7.76.1-26.el9"), "curl");
        assert_eq!(package_name("java-11-openjdk"), "java-11-openjdk");
        assert_eq!(pin_example(Tool::Zypper, "curl"), "`curl=<version>`");
        assert_eq!(
            pin_example(Tool::Dnf, "curl.x86_64"),
            "`curl-<version>-<release>`"
        );
    }
}
