//! gem, go, cargo and conda (mamba, micromamba).

use super::opts::{scan, Spec, Tok};
use super::os::Pin;
use super::{Arg, Install, Package, ReqFile, Tool};

const GEM: Spec = Spec {
    long_values: &[
        "version",
        "platform",
        "install-dir",
        "bindir",
        "source",
        "http-proxy",
        "build-root",
        "file",
        "target-rbconfig",
        "document",
        "trust-policy",
        "without",
        "with",
    ],
    long_flags: &[],
    short_values: "vinsPpgb",
    prefixes: false,
    go_style: false,
};

/// `gem install|i name[:version]... [-v VERSION] [-- build options]`. RubyGems accepts the
/// alias `i` and any unambiguous prefix of `install` (`ins`, `inst`, …); what follows `--` is
/// passed to the extensions' build (`-- --with-pg-config=…`), not packages.
pub fn gem(args: &[Arg], i: usize) -> Option<Install> {
    let sub = args.get(i + 1)?.text.as_str();
    if !(sub == "i" || sub.len() >= 3 && "install".starts_with(sub)) {
        return None;
    }
    let end = args[i + 2..]
        .iter()
        .position(|a| a.text == "--")
        .map_or(args.len(), |p| i + 2 + p);
    let toks = scan(&args[..end], i + 2, &GEM);
    let mut version = None;
    let mut packages = Vec::new();
    for t in toks {
        match t {
            Tok::Pos(p) => packages.push(Package {
                arg: p,
                text: args[p].text.clone(),
                version: None,
                editable: false,
            }),
            Tok::Opt {
                name,
                value: Some(v),
                ..
            } if name == "v" || name == "version" => version = Some(v),
            _ => {}
        }
    }
    if let Some(v) = version {
        for p in &mut packages {
            p.version = Some(v.clone());
        }
    }
    Some(Install {
        tool: Tool::Gem,
        tool_arg: i,
        packages,
        files: Vec::new(),
        upgrade: false,
    })
}

/// Exact gem version: `1.2.3`, `= 1.2.3`; not `~> 1.2`, `>= 0`.
pub fn judge_gem(name: &str, version: Option<&str>) -> Pin {
    if name.ends_with(".gem") {
        return Pin::Local;
    }
    let v = match (name.split_once(':'), version) {
        (_, Some(v)) => v.to_string(),
        (Some((_, v)), None) => v.to_string(),
        (None, None) => return Pin::Unpinned("no version".into()),
    };
    let v = v.trim();
    let v = v.strip_prefix('=').map_or(v, str::trim);
    if !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && v.starts_with(|c: char| c.is_ascii_digit())
    {
        Pin::Pinned
    } else {
        Pin::Unpinned(format!("`{v}` is not one exact version"))
    }
}

const GO: Spec = Spec {
    long_values: &[
        "ldflags",
        "gcflags",
        "asmflags",
        "tags",
        "o",
        "modfile",
        "mod",
        "p",
        "C",
        "buildmode",
        "pkgdir",
        "toolexec",
        "overlay",
        "pgo",
        "compiler",
        "installsuffix",
        "exec",
        "gccgoflags",
        "covermode",
        "coverpkg",
        "debug-actiongraph",
        "debug-deps-trace",
        "debug-runtime-trace",
        "debug-trace",
    ],
    long_flags: &[],
    short_values: "",
    prefixes: false,
    go_style: true,
};

/// `go install|get [flags] pkg[@version]...`.
pub fn go(args: &[Arg], i: usize) -> Option<Install> {
    let sub = args.get(i + 1)?.text.as_str();
    if !matches!(sub, "install" | "get") {
        return None;
    }
    let packages = scan(args, i + 2, &GO)
        .into_iter()
        .filter_map(|t| match t {
            Tok::Pos(p) => Some(Package {
                arg: p,
                text: args[p].text.clone(),
                version: None,
                editable: sub == "install",
            }),
            _ => None,
        })
        .collect();
    Some(Install {
        tool: Tool::Go,
        tool_arg: i,
        packages,
        files: Vec::new(),
        upgrade: false,
    })
}

fn is_hex(s: &str) -> bool {
    s.len() >= 7 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `pkg@v1.2.3` (or a pseudo-version or commit hash) is pinned; `@latest`, `@master`, a
/// branch or no version is not; local paths are. `go install pkg` without a version inside a
/// module uses the module's go.mod (`in_module` = `go install`), so only a path that looks
/// remote (has a dot in its first element) counts as unpinned there.
pub fn judge_go(t: &str) -> Pin {
    if t.starts_with("./")
        || t.starts_with("../")
        || t.starts_with('/')
        || t == "."
        || t.starts_with("./...")
    {
        return Pin::Local;
    }
    match t.split_once('@') {
        Some((_, v)) => {
            if v.starts_with('v')
                && v[1..].starts_with(|c: char| c.is_ascii_digit())
                && !matches!(v, "latest" | "upgrade" | "patch")
            {
                let core = &v[1..];
                let parts: Vec<&str> = core
                    .split(['-', '+'])
                    .next()
                    .unwrap_or("")
                    .split('.')
                    .collect();
                if parts.len() == 3 {
                    return Pin::Pinned;
                }
                return Pin::Unpinned(format!("`@{v}` is not a full version"));
            }
            if is_hex(v) {
                return Pin::Pinned;
            }
            Pin::Unpinned(format!("`@{v}` moves"))
        }
        None => Pin::Unpinned("no `@version`".into()),
    }
}

const CARGO: Spec = Spec {
    long_values: &[
        "version",
        "vers",
        "git",
        "branch",
        "tag",
        "rev",
        "path",
        "root",
        "index",
        "registry",
        "features",
        "jobs",
        "target",
        "target-dir",
        "profile",
        "bin",
        "example",
        "config",
        "color",
        "message-format",
    ],
    long_flags: &[],
    short_values: "FjZ",
    prefixes: false,
    go_style: false,
};

/// `cargo install [opts] crate[@version]...`.
pub fn cargo(args: &[Arg], i: usize) -> Option<Install> {
    if args.get(i + 1)?.text != "install" {
        return None;
    }
    let mut version = None;
    let mut git: Option<(usize, String)> = None;
    let mut rev = false;
    let mut path: Option<(usize, String)> = None;
    let mut packages = Vec::new();
    for t in scan(args, i + 2, &CARGO) {
        match t {
            Tok::Pos(p) => packages.push(Package {
                arg: p,
                text: args[p].text.clone(),
                version: None,
                editable: false,
            }),
            Tok::Opt {
                name,
                value: Some(v),
                ..
            } => match name.as_str() {
                "version" | "vers" => version = Some(v),
                "git" => git = Some(v),
                "rev" | "tag" => rev = true,
                "path" => path = Some(v),
                _ => {}
            },
            _ => {}
        }
    }
    if packages.is_empty() {
        // `cargo install --git URL` / `--path DIR`: the source is the package.
        if let Some((a, u)) = git {
            packages.push(Package {
                arg: a,
                text: format!("git+{u}{}", if rev { "#rev" } else { "" }),
                version: None,
                editable: false,
            });
        } else if let Some((a, p)) = path {
            packages.push(Package {
                arg: a,
                text: p,
                version: Some((a, "path".into())),
                editable: true,
            });
        }
    } else if git.is_some() || path.is_some() {
        for p in &mut packages {
            p.version = Some((
                p.arg,
                if rev || path.is_some() {
                    "=source".into()
                } else {
                    "source".into()
                },
            ));
        }
    }
    if let Some(v) = version {
        for p in &mut packages {
            p.version = Some(v.clone());
        }
    }
    Some(Install {
        tool: Tool::Cargo,
        tool_arg: i,
        packages,
        files: Vec::new(),
        upgrade: false,
    })
}

/// Cargo: a bare `MAJOR.MINOR.PATCH` (or `=X.Y.Z`) is exact; `^1`, `~1.2` are ranges.
pub fn judge_cargo(name: &str, version: Option<&str>) -> Pin {
    if name.starts_with("git+") {
        return if name.ends_with("#rev") {
            Pin::Pinned
        } else {
            Pin::Unpinned("git source without `--rev` or `--tag`".into())
        };
    }
    let v = match (version, name.split_once('@')) {
        (Some("path"), _) => return Pin::Local,
        (Some("=source"), _) => return Pin::Pinned,
        (Some("source"), _) => {
            return Pin::Unpinned("git source without `--rev` or `--tag`".into())
        }
        (Some(v), _) => v,
        (None, Some((_, v))) => v,
        (None, None) => return Pin::Unpinned("no version".into()),
    };
    let v = v.strip_prefix('=').unwrap_or(v);
    let core = v.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        Pin::Pinned
    } else {
        Pin::Unpinned(format!("`{v}` is a version requirement, not one version"))
    }
}

const CONDA: Spec = Spec {
    long_values: &[
        "channel",
        "name",
        "prefix",
        "file",
        "repodata-fn",
        "solver",
        "experimental-solver",
        "platform",
        "subdir",
        "channel-priority",
        "root-prefix",
        "rc-file",
        "log-level",
        "clone",
        "category",
        "relocate-prefix",
        "channel-alias",
    ],
    long_flags: &[],
    short_values: "cnpfr",
    prefixes: false,
    go_style: false,
};

/// `conda install|create [opts] pkg[=version]...` (mamba, micromamba too).
pub fn conda(args: &[Arg], i: usize) -> Option<Install> {
    let sub = args.get(i + 1)?.text.as_str();
    if !matches!(sub, "install" | "create") {
        return None;
    }
    let mut inst = Install {
        tool: Tool::Conda,
        tool_arg: i,
        packages: Vec::new(),
        files: Vec::new(),
        upgrade: false,
    };
    for t in scan(args, i + 2, &CONDA) {
        match t {
            Tok::Pos(p) => inst.packages.push(Package {
                arg: p,
                text: args[p].text.clone(),
                version: None,
                editable: false,
            }),
            Tok::Opt {
                name,
                value: Some((a, v)),
                ..
            } if name == "file" || name == "f" => inst.files.push(ReqFile {
                arg: a,
                path: v,
                constraint: false,
            }),
            _ => {}
        }
    }
    Some(inst)
}

/// conda: `name==1.2.3`, `name=1.2.3`, `name=1.2.3=build`, `name==1.2` pin; `name`,
/// `name>=1`, `name=1.2.*` do not, and neither does `name=1.26` or `python=3.11`: a single `=`
/// is a prefix match to conda (`1.26.*`, any 3.11.x), so it pins only a full version
/// (three or more parts) or one followed by a build string. `==` is an exact match.
pub fn judge_conda(t: &str) -> Pin {
    let t = t.rsplit_once("::").map_or(t, |(_, n)| n);
    if let Some(pos) = t.find(['=', '<', '>', '!', '~']) {
        let rest = &t[pos..];
        let (op, v) = if let Some(v) = rest.strip_prefix("==") {
            ("==", v)
        } else if let Some(v) = rest.strip_prefix('=') {
            ("=", v)
        } else {
            return Pin::Unpinned(format!("`{rest}` is a range"));
        };
        let mut parts = v.splitn(2, '=');
        let version = parts.next().unwrap_or("");
        let build = parts.next().filter(|b| !b.is_empty() && !b.contains('*'));
        if version.is_empty() {
            return Pin::Unpinned("no version".into());
        }
        if version.contains(['*', ',', '|', '>', '<']) {
            return Pin::Unpinned(format!("`{op}{version}` is not one version"));
        }
        if op == "=" && build.is_none() && version.split('.').count() < 3 {
            return Pin::Unpinned(format!(
                "`={version}` matches any `{version}.*` in conda: write the full version"
            ));
        }
        return Pin::Pinned;
    }
    Pin::Unpinned("no version".into())
}

#[cfg(test)]
mod tests {
    use super::super::{args, classify, Classified};
    use super::*;

    fn inst(s: &str) -> Option<Install> {
        match classify(&args(s)) {
            Classified::Install(i) => Some(i),
            _ => None,
        }
    }

    fn judged(s: &str) -> Vec<(String, bool)> {
        let Some(i) = inst(s) else {
            return vec![("<none>".into(), false)];
        };
        i.packages
            .iter()
            .map(|p| {
                let v = p.version.as_ref().map(|(_, v)| v.as_str());
                let pin = match i.tool {
                    Tool::Gem => judge_gem(&p.text, v),
                    Tool::Go => judge_go(&p.text),
                    Tool::Cargo => judge_cargo(&p.text, v),
                    Tool::Conda => judge_conda(&p.text),
                    _ => Pin::Unpinned("?".into()),
                };
                (p.text.clone(), !matches!(pin, Pin::Unpinned(_)))
            })
            .collect()
    }

    #[test]
    fn table() {
        let cases: &[(&str, &[(&str, bool)])] = &[
            ("gem install bundler -v 2.4.22", &[("bundler", true)]),
            (
                "gem install bundler --version '~>2.4'",
                &[("bundler", false)],
            ),
            (
                "gem install bundler:2.4.22 --no-document",
                &[("bundler:2.4.22", true)],
            ),
            ("gem install -N rails", &[("rails", false)]),
            (
                "gem install --source https://x -i /gems rake",
                &[("rake", false)],
            ),
            ("gem install ./local.gem", &[("./local.gem", true)]),
            // RubyGems' `i` alias and unambiguous prefixes of `install`.
            ("gem i rails -v 7.1.3", &[("rails", true)]),
            ("gem i nokogiri", &[("nokogiri", false)]),
            ("gem inst rake:13.2.1", &[("rake:13.2.1", true)]),
            ("gem in rake", &[("<none>", false)]),
            ("gem info rake", &[("<none>", false)]),
            // After `--`: build options for the extension, not gems.
            (
                "gem install pg -v 1.5.6 -- --with-pg-config=/usr/bin/pg_config",
                &[("pg", true)],
            ),
            (
                "gem i mysql2 -- --with-mysql-dir /usr local",
                &[("mysql2", false)],
            ),
            // Elsewhere `--` only ends the options: what follows is still packages.
            ("npm install -g -- pnpm", &[("pnpm", false)]),
            (
                "go install -- golang.org/x/tools/gopls@v0.15.3",
                &[("golang.org/x/tools/gopls@v0.15.3", true)],
            ),
            ("conda install -y -- numpy", &[("numpy", false)]),
            ("conda install numpy=1.26", &[("numpy=1.26", false)]),
            ("conda create -n py python=3.14", &[("python=3.14", false)]),
            ("conda install numpy==1.26", &[("numpy==1.26", true)]),
            (
                "conda install numpy=1.26=py311h64a7726_0",
                &[("numpy=1.26=py311h64a7726_0", true)],
            ),
            (
                "conda install numpy=1.26=*mkl*",
                &[("numpy=1.26=*mkl*", false)],
            ),
            ("mamba install -y tzdata=2024a", &[("tzdata=2024a", false)]),
            // `--env-shebang` and `--only-install-dir` are switches: the next word is a gem.
            ("gem install --env-shebang rails", &[("rails", false)]),
            (
                "gem install --only-install-dir -i /g rake",
                &[("rake", false)],
            ),
            (
                "go install -debug-trace /tmp/t github.com/a/b@v1.2.3",
                &[("github.com/a/b@v1.2.3", true)],
            ),
            (
                "conda create --clone base -n work numpy",
                &[("numpy", false)],
            ),
            (
                "go install golang.org/x/tools/gopls@v0.14.2",
                &[("golang.org/x/tools/gopls@v0.14.2", true)],
            ),
            (
                "go install -ldflags -s github.com/a/b@latest",
                &[("github.com/a/b@latest", false)],
            ),
            (
                "go install -tags netgo github.com/a/b@main",
                &[("github.com/a/b@main", false)],
            ),
            ("go install github.com/a/b", &[("github.com/a/b", false)]),
            ("go install ./cmd/server", &[("./cmd/server", true)]),
            (
                "go get github.com/a/b@v1.2.3-0.20230101000000-abcdefabcdef",
                &[("github.com/a/b@v1.2.3-0.20230101000000-abcdefabcdef", true)],
            ),
            ("go get -u github.com/a/b", &[("github.com/a/b", false)]),
            (
                "go install github.com/a/b@0123456789ab",
                &[("github.com/a/b@0123456789ab", true)],
            ),
            (
                "cargo install ripgrep --version 14.1.0",
                &[("ripgrep", true)],
            ),
            (
                "cargo install ripgrep@14.1.0 --locked",
                &[("ripgrep@14.1.0", true)],
            ),
            ("cargo install --vers ^1 ripgrep", &[("ripgrep", false)]),
            (
                "cargo install -j 2 --root /usr/local just",
                &[("just", false)],
            ),
            (
                "cargo install --git https://x/y --rev abc123",
                &[("git+https://x/y#rev", true)],
            ),
            (
                "cargo install --git https://x/y --branch main",
                &[("git+https://x/y", false)],
            ),
            ("cargo install --path .", &[(".", true)]),
            (
                "conda install -y -c conda-forge numpy=1.26.4",
                &[("numpy=1.26.4", true)],
            ),
            (
                "conda install numpy==1.26.4 scipy",
                &[("numpy==1.26.4", true), ("scipy", false)],
            ),
            (
                "mamba install -n base -c conda-forge 'numpy>=1.2'",
                &[("'numpy>=1.2'", false)],
            ),
            (
                // `python=3.11` is any 3.11.x to conda.
                "micromamba install -y -n base python=3.11 pip",
                &[("python=3.11", false), ("pip", false)],
            ),
            (
                "conda create -p /env python=3.11.7=h955ad1f_0",
                &[("python=3.11.7=h955ad1f_0", true)],
            ),
            (
                "conda install conda-forge::numpy=1.26.*",
                &[("conda-forge::numpy=1.26.*", false)],
            ),
        ];
        for (s, want) in cases {
            let got = judged(s);
            let want: Vec<(String, bool)> = want.iter().map(|(a, b)| (a.to_string(), *b)).collect();
            assert_eq!(got, want, "{s}");
        }
    }

    #[test]
    fn conda_file() {
        let i = inst("conda install --file requirements.txt -y");
        assert_eq!(i.map(|i| i.files.len()), Some(1));
    }
}
