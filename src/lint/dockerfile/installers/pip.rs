//! pip, `python -m pip`, `uv pip install`, `uv tool install`, `pipx install`.
//!
//! `pip download` and `pip wheel` fetch packages into the build exactly like `pip install`
//! (the wheels are installed later, often `--no-index`), so they are read the same way.
//! The option lists are pip's own (`src/pip/_internal/cli/cmdoptions.py`,
//! `commands/install.py`, `commands/download.py`, `commands/wheel.py`, pip 23 to 26, including options that were removed or added over those
//! versions, so that no value is ever read as a package): every option that takes a value
//! consumes it, long options match unique prefixes (optparse does), short options cluster.

use super::opts::{scan, Spec, Tok};
use super::{Arg, Install, Package, ReqFile, Tool};

/// pip options that take a value (general options plus the options of `pip install`,
/// `pip download`: `-d`/`--dest`, and `pip wheel`: `-w`/`--wheel-dir`; the target-python
/// options `--platform`, `--python-version`, `--implementation`, `--abi` are shared).
pub const PIP_LONG_VALUES: &[&str] = &[
    "abi",
    "all-releases",
    "build-constraint",
    "build-option",
    "cache-dir",
    "cert",
    "client-cert",
    "config-settings",
    "constraint",
    "default-timeout",
    "dest",
    "destination-dir",
    "destination-directory",
    "editable",
    "exists-action",
    "extra-index-url",
    "find-links",
    "global-option",
    "group",
    "implementation",
    "index-url",
    "install-option",
    "keyring-provider",
    "local-log",
    "log",
    "log-file",
    "no-binary",
    "only-binary",
    "only-final",
    "platform",
    "prefix",
    "progress-bar",
    "proxy",
    "pypi-url",
    "python",
    "python-version",
    "report",
    "requirement",
    "requirements-from-script",
    "resume-retries",
    "retries",
    "root",
    "root-user-action",
    "source",
    "source-dir",
    "source-directory",
    "src",
    "target",
    "timeout",
    "trusted-host",
    "upgrade-strategy",
    "uploaded-prior-to",
    "use-deprecated",
    "use-feature",
    "wheel-dir",
];

/// pip options without a value (for prefix matching).
pub const PIP_LONG_FLAGS: &[&str] = &[
    "break-system-packages",
    "check-build-dependencies",
    "compile",
    "debug",
    "disable-pip-version-check",
    "dry-run",
    "force-reinstall",
    "help",
    "ignore-installed",
    "ignore-requires-python",
    "isolated",
    "no-build-isolation",
    "no-cache-dir",
    "no-clean",
    "no-color",
    "no-compile",
    "no-dependencies",
    "no-deps",
    "no-index",
    "no-input",
    "no-python-version-warning",
    "no-use-pep517",
    "no-user",
    "no-verify",
    "no-warn-conflicts",
    "no-warn-script-location",
    "only-deps",
    "only-dependencies",
    "pre",
    "prefer-binary",
    "quiet",
    "require-hashes",
    "require-venv",
    "require-virtualenv",
    "upgrade",
    "use-pep517",
    "user",
    "verbose",
    "version",
];

const PIP: Spec = Spec {
    long_values: PIP_LONG_VALUES,
    long_flags: PIP_LONG_FLAGS,
    short_values: "cefirtbCdw",
    prefixes: true,
    go_style: false,
};

/// `pip [general options] install|download|wheel ...`; `sub_start` is the first word after
/// `pip`.
pub fn pip(args: &[Arg], sub_start: usize, tool_arg: usize) -> Option<Install> {
    // General options may come before the subcommand.
    let toks = scan(args, sub_start, &PIP);
    let first_pos = toks.iter().find_map(|t| match t {
        Tok::Pos(i) => Some(*i),
        _ => None,
    })?;
    if !matches!(
        args[first_pos].text.as_str(),
        "install" | "download" | "wheel"
    ) {
        return None;
    }
    let mut inst = Install {
        tool: Tool::Pip,
        tool_arg,
        packages: Vec::new(),
        files: Vec::new(),
        upgrade: false,
    };
    for t in toks {
        match t {
            Tok::Pos(i) if i == first_pos => {}
            Tok::Pos(i) => inst.packages.push(Package {
                arg: i,
                text: args[i].text.clone(),
                version: None,
                editable: false,
            }),
            Tok::Opt { name, value, .. } => match (name.as_str(), value) {
                ("r" | "requirement", Some((i, v))) => inst.files.push(ReqFile {
                    arg: i,
                    path: v,
                    constraint: false,
                }),
                ("c" | "constraint", Some((i, v))) => inst.files.push(ReqFile {
                    arg: i,
                    path: v,
                    constraint: true,
                }),
                ("e" | "editable", Some((i, v))) => inst.packages.push(Package {
                    arg: i,
                    text: v,
                    version: None,
                    editable: true,
                }),
                ("U" | "upgrade", _) => inst.upgrade = true,
                _ => {}
            },
        }
    }
    Some(inst)
}

/// `python [options] -m pip ...`.
pub fn python_m_pip(args: &[Arg], i: usize) -> Option<Install> {
    let mut j = i + 1;
    while j < args.len() {
        let t = args[j].text.as_str();
        if !t.starts_with('-') || t == "-" {
            return None; // a script
        }
        if t == "--check-hash-based-pycs" {
            j += 2;
            continue;
        }
        if t.starts_with("--") {
            j += 1;
            continue;
        }
        let letters = &t[1..];
        let mut consumed_next = false;
        for (k, c) in letters.char_indices() {
            match c {
                'm' => {
                    let rest = &letters[k + 1..];
                    let (module, next) = if rest.is_empty() {
                        (args.get(j + 1)?.text.as_str(), j + 2)
                    } else {
                        (rest, j + 1)
                    };
                    return if module == "pip" {
                        pip(args, next, i)
                    } else {
                        None
                    };
                }
                'c' => return None,
                'W' | 'X' => {
                    if k + 1 == letters.len() {
                        consumed_next = true;
                    }
                    break;
                }
                _ => {}
            }
        }
        j += if consumed_next { 2 } else { 1 };
    }
    None
}

const UV_GLOBAL_VALUES: &[&str] = &[
    "directory",
    "project",
    "config-file",
    "cache-dir",
    "python-preference",
    "python-fetch",
    "color",
    "allow-insecure-host",
    "managed-python",
];

const UV_PIP_VALUES: &[&str] = &[
    "requirement",
    "requirements",
    "constraint",
    "constraints",
    "override",
    "overrides",
    "exclude",
    "excludes",
    "build-constraint",
    "build-constraints",
    "editable",
    "extra",
    "group",
    "index",
    "default-index",
    "index-url",
    "extra-index-url",
    "find-links",
    "index-strategy",
    "keyring-provider",
    "python",
    "target",
    "prefix",
    "no-binary",
    "only-binary",
    "python-version",
    "python-platform",
    "resolution",
    "prerelease",
    "fork-strategy",
    "exclude-newer",
    "exclude-newer-package",
    "config-setting",
    "config-settings",
    "config-settings-package",
    "link-mode",
    "no-build-isolation-package",
    "reinstall-package",
    "upgrade-package",
    "refresh-package",
    "torch-backend",
    "allow-insecure-host",
    "directory",
    "project",
    "config-file",
    "cache-dir",
    "python-preference",
    "color",
    "with",
    "with-requirements",
    "with-editable",
    "with-executables-from",
    "from",
];

const UV_PIP: Spec = Spec {
    long_values: UV_PIP_VALUES,
    long_flags: &[],
    short_values: "rcebipPfC",
    prefixes: false,
    go_style: false,
};

/// `uv [global options] pip install|sync ...` and `uv tool install ...`.
pub fn uv(args: &[Arg], i: usize) -> Option<Install> {
    let glob = Spec {
        long_values: UV_GLOBAL_VALUES,
        long_flags: &[],
        short_values: "",
        prefixes: false,
        go_style: false,
    };
    let toks = scan(args, i + 1, &glob);
    let sub = toks.iter().find_map(|t| match t {
        Tok::Pos(p) => Some(*p),
        _ => None,
    })?;
    let (tool_install, start) = match args[sub].text.as_str() {
        "pip" => {
            let s = sub + 1;
            let toks = scan(args, s, &glob);
            let subsub = toks.iter().find_map(|t| match t {
                Tok::Pos(p) => Some(*p),
                _ => None,
            })?;
            match args[subsub].text.as_str() {
                "install" => (false, subsub + 1),
                "sync" => return uv_sync(args, subsub + 1, i),
                _ => return None,
            }
        }
        "tool" => {
            if args.get(sub + 1).map(|a| a.text.as_str()) != Some("install") {
                return None;
            }
            (true, sub + 2)
        }
        _ => return None,
    };
    let mut inst = Install {
        tool: Tool::Uv,
        tool_arg: i,
        packages: Vec::new(),
        files: Vec::new(),
        upgrade: false,
    };
    for t in scan(args, start, &UV_PIP) {
        match t {
            Tok::Pos(p) => inst.packages.push(Package {
                arg: p,
                text: args[p].text.clone(),
                version: None,
                editable: false,
            }),
            Tok::Opt { name, value, .. } => match (name.as_str(), value) {
                ("r" | "requirement" | "requirements" | "with-requirements", Some((a, v))) => {
                    inst.files.push(ReqFile {
                        arg: a,
                        path: v,
                        constraint: false,
                    })
                }
                ("c" | "constraint" | "constraints" | "override" | "overrides", Some((a, v))) => {
                    inst.files.push(ReqFile {
                        arg: a,
                        path: v,
                        constraint: true,
                    })
                }
                ("e" | "editable" | "with-editable", Some((a, v))) => inst.packages.push(Package {
                    arg: a,
                    text: v,
                    version: None,
                    editable: true,
                }),
                ("with", Some((a, v))) if tool_install => inst.packages.push(Package {
                    arg: a,
                    text: v,
                    version: None,
                    editable: false,
                }),
                ("U" | "upgrade", _) => inst.upgrade = true,
                _ => {}
            },
        }
    }
    Some(inst)
}

/// `uv pip sync FILE...`: every positional is a requirements file.
fn uv_sync(args: &[Arg], start: usize, tool_arg: usize) -> Option<Install> {
    let mut inst = Install {
        tool: Tool::Uv,
        tool_arg,
        packages: Vec::new(),
        files: Vec::new(),
        upgrade: false,
    };
    for t in scan(args, start, &UV_PIP) {
        if let Tok::Pos(p) = t {
            inst.files.push(ReqFile {
                arg: p,
                path: args[p].text.clone(),
                constraint: false,
            });
        } else if let Tok::Opt {
            name,
            value: Some((a, v)),
            ..
        } = t
        {
            if matches!(name.as_str(), "c" | "constraint" | "constraints") {
                inst.files.push(ReqFile {
                    arg: a,
                    path: v,
                    constraint: true,
                });
            }
        }
    }
    Some(inst)
}

const PIPX: Spec = Spec {
    long_values: &[
        "python",
        "pip-args",
        "index-url",
        "suffix",
        "spec",
        "preinstall",
        "backend",
        "installer",
    ],
    long_flags: &[],
    short_values: "",
    prefixes: false,
    go_style: false,
};

/// `pipx install PKG...`, `pipx inject VENV PKG...`.
pub fn pipx(args: &[Arg], i: usize) -> Option<Install> {
    let sub = args.get(i + 1)?.text.as_str();
    let inject = match sub {
        "install" => false,
        "inject" => true,
        _ => return None,
    };
    let mut inst = Install {
        tool: Tool::Pipx,
        tool_arg: i,
        packages: Vec::new(),
        files: Vec::new(),
        upgrade: false,
    };
    let mut skipped_venv = !inject;
    for t in scan(args, i + 2, &PIPX) {
        match t {
            Tok::Pos(p) => {
                if !skipped_venv {
                    skipped_venv = true;
                    continue;
                }
                inst.packages.push(Package {
                    arg: p,
                    text: args[p].text.clone(),
                    version: None,
                    editable: false,
                })
            }
            Tok::Opt { name, value, .. } => match (name.as_str(), value) {
                ("spec" | "preinstall", Some((a, v))) => inst.packages.push(Package {
                    arg: a,
                    text: v,
                    version: None,
                    editable: false,
                }),
                ("e" | "editable", _) => {
                    if let Some(last) = inst.packages.last_mut() {
                        last.editable = true;
                    }
                }
                _ => {}
            },
        }
    }
    Some(inst)
}

#[cfg(test)]
mod tests {
    use super::super::{args, classify, Classified};
    use super::*;

    #[allow(clippy::type_complexity)]
    fn run(s: &str) -> Option<(Tool, Vec<String>, Vec<(String, bool)>, bool)> {
        match classify(&args(s)) {
            Classified::Install(i) => Some((
                i.tool,
                i.packages
                    .iter()
                    .map(|p| {
                        if p.editable {
                            format!("-e {}", p.text)
                        } else {
                            p.text.clone()
                        }
                    })
                    .collect(),
                i.files
                    .iter()
                    .map(|f| (f.path.clone(), f.constraint))
                    .collect(),
                i.upgrade,
            )),
            _ => None,
        }
    }

    #[test]
    fn pip_table() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            ("pip install flask==2.0.1", &["flask==2.0.1"], &[]),
            ("pip3.11 install --no-cache-dir flask", &["flask"], &[]),
            ("/opt/venv/bin/pip install -q flask", &["flask"], &[]),
            ("pip --disable-pip-version-check install a", &["a"], &[]),
            ("pip --timeout 60 install a", &["a"], &[]),
            ("pip install --timeout 60 --retries 3 a", &["a"], &[]),
            ("pip install --config-settings K=V a", &["a"], &[]),
            ("pip install -C K=V a", &["a"], &[]),
            ("pip install -i https://x/simple a", &["a"], &[]),
            ("pip install --index-url https://x/simple a", &["a"], &[]),
            ("pip install --extra-index-url https://x a", &["a"], &[]),
            ("pip install --target /app/deps a", &["a"], &[]),
            ("pip install -t /app/deps a", &["a"], &[]),
            (
                "pip install --platform manylinux2014_x86_64 --only-binary :all: a",
                &["a"],
                &[],
            ),
            (
                "pip install --python-version 3.11 --abi cp311 --implementation cp a",
                &["a"],
                &[],
            ),
            ("pip install --prefix /install --root / a", &["a"], &[]),
            (
                "pip install --trusted-host pypi.org --cert /c.pem --client-cert /k a",
                &["a"],
                &[],
            ),
            (
                "pip install --progress-bar off --root-user-action ignore a",
                &["a"],
                &[],
            ),
            (
                "pip install --upgrade-strategy eager --exists-action w a",
                &["a"],
                &[],
            ),
            (
                "pip install --src /src --log /tmp/l --proxy http://p:3128 a",
                &["a"],
                &[],
            ),
            (
                "pip install --no-binary :all: --use-feature truststore a",
                &["a"],
                &[],
            ),
            (
                "pip install --global-option build_ext --install-option x a",
                &["a"],
                &[],
            ),
            (
                "pip install --cache-dir /c --report /r.json --keyring-provider auto a",
                &["a"],
                &[],
            ),
            (
                "pip install --group dev --resume-retries 3 --uploaded-prior-to P3D a",
                &["a"],
                &[],
            ),
            ("pip install -f /wheels --find-links=/w2 a", &["a"], &[]),
            ("pip install --no-cache flask", &["flask"], &[]),
            ("pip install --index http://x flask", &["flask"], &[]),
            (
                "pip install -r requirements.txt",
                &[],
                &["requirements.txt"],
            ),
            ("pip install -rrequirements.txt", &[], &["requirements.txt"]),
            ("pip install --requirement=req.txt", &[], &["req.txt"]),
            ("pip install -qr req.txt", &[], &["req.txt"]),
            (
                "pip install -r req.txt gunicorn",
                &["gunicorn"],
                &["req.txt"],
            ),
            ("pip install -c c.txt a", &["a"], &["c.txt"]),
            (
                "pip install -e . -e git+https://x/y#egg=y",
                &["-e .", "-e git+https://x/y#egg=y"],
                &[],
            ),
            ("pip install --editable=./lib", &["-e ./lib"], &[]),
            ("pip install -- -weird", &["-weird"], &[]),
            ("python -m pip install a", &["a"], &[]),
            ("pip download -d /wheels a", &["a"], &[]),
            ("pip download --dest=/wheels -r req.txt", &[], &["req.txt"]),
            ("pip3 download --destination-directory /w a b==1", &["a", "b==1"], &[]),
            (
                "pip download --platform manylinux2014_x86_64 --python-version 311 --implementation cp --abi cp311 --only-binary=:all: --no-deps -d /w a",
                &["a"],
                &[],
            ),
            ("pip download -qd /w a", &["a"], &[]),
            ("pip wheel -w /wheels a", &["a"], &[]),
            ("pip wheel --wheel-dir=/wheels --no-deps --no-verify -c c.txt a", &["a"], &["c.txt"]),
            ("pip wheel -w/wheels -e ./lib", &["-e ./lib"], &[]),
            ("python3 -m pip wheel --wheel-dir /w -r r.txt", &[], &["r.txt"]),
            ("python -m pip download -d /w a", &["a"], &[]),
            ("python3.11 -m pip install --upgrade a", &["a"], &[]),
            ("python3 -u -W ignore -m pip install a", &["a"], &[]),
            ("python -Im pip install a", &["a"], &[]),
            ("python -mpip install a", &["a"], &[]),
            ("uv pip install --system a", &["a"], &[]),
            ("uv pip install --system -r r.txt b", &["b"], &["r.txt"]),
            (
                "uv --no-cache pip install --python /usr/bin/python3 a",
                &["a"],
                &[],
            ),
            (
                "uv pip install --index-strategy unsafe-best-match -p 3.12 a",
                &["a"],
                &[],
            ),
            ("uv tool install ruff==0.4.1", &["ruff==0.4.1"], &[]),
            ("uv pip sync requirements.lock", &[], &["requirements.lock"]),
            ("pipx install black==24.1.0", &["black==24.1.0"], &[]),
            (
                "pipx install --python python3.11 --pip-args '-q' poetry",
                &["poetry"],
                &[],
            ),
            (
                "pipx inject poetry poetry-plugin-export==1.6.0",
                &["poetry-plugin-export==1.6.0"],
                &[],
            ),
        ];
        for (s, pk, files) in cases {
            let got = run(s).unwrap_or_else(|| panic!("not recognized: {s}"));
            assert!(got.0.is_python(), "{s}");
            assert_eq!(got.1, *pk, "{s}");
            let f: Vec<&str> = got.2.iter().map(|(p, _)| p.as_str()).collect();
            assert_eq!(f, *files, "{s}");
        }
    }

    #[test]
    fn not_installs() {
        for s in [
            "pip uninstall -y a",
            "pip cache dir",
            "pip config set global.index-url https://x",
            "pip freeze",
            "python -m venv /venv",
            "python -c 'import pip'",
            "python setup.py install",
            "uv venv",
            "uv sync --frozen",
            "pipx run black",
        ] {
            assert_eq!(run(s), None, "{s}");
        }
    }

    #[test]
    fn upgrade_and_constraints() {
        let r = run("pip install -U pip setuptools wheel");
        assert!(r.as_ref().is_some_and(|r| r.3));
        let r = run("pip install -c constraints.txt x");
        assert_eq!(
            r.map(|r| r.2),
            Some(vec![("constraints.txt".to_string(), true)])
        );
    }
}
