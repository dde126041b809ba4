//! Recognizes install commands in tokenized shell commands.
//!
//! [`classify`] takes the words of one simple command (already expanded, see [`Arg`]), looks
//! through wrappers (`sudo`, `env`, `nice`, `exec`, `timeout`, `gosu`, ...), recognizes shells
//! whose script is a `-c` argument or standard input, and hands the rest to the per-tool
//! recognizers, which consume every option value exactly as the tool does.

pub mod node;
pub mod opts;
pub mod os;
pub mod other;
pub mod pip;
pub mod rpm;

use crate::span::Span;

/// One argument of a command after expansion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    /// Expanded text; for unknown parts the expansion as written (`${X}`).
    pub text: String,
    pub span: Span,
    /// Variables the value depends on that are not known.
    pub unresolved: Vec<String>,
    /// A command substitution or an unsupported operator is part of the value.
    pub opaque: bool,
    /// Where `text` stands in the file byte for byte, if it does: `None` when it came from a
    /// variable, lost quotes or escapes inside it, or was read from an `sh -c` body or a
    /// script a shell reads from a heredoc. A fix may only edit this span.
    pub verbatim: Option<Span>,
}

impl Arg {
    pub fn known(&self) -> bool {
        self.unresolved.is_empty() && !self.opaque
    }

    #[cfg(test)]
    pub fn lit(s: &str) -> Self {
        Arg {
            text: s.to_string(),
            span: Span::default(),
            unresolved: Vec::new(),
            opaque: false,
            verbatim: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tool {
    Pip,
    Uv,
    Pipx,
    AptGet,
    Apt,
    Aptitude,
    Apk,
    Yum,
    Dnf,
    Microdnf,
    Tdnf,
    Zypper,
    Rpm,
    Npm,
    Yarn,
    Pnpm,
    Gem,
    Go,
    Cargo,
    Conda,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::Pip => "pip",
            Tool::Uv => "uv pip",
            Tool::Pipx => "pipx",
            Tool::AptGet => "apt-get",
            Tool::Apt => "apt",
            Tool::Aptitude => "aptitude",
            Tool::Apk => "apk",
            Tool::Yum => "yum",
            Tool::Dnf => "dnf",
            Tool::Microdnf => "microdnf",
            Tool::Tdnf => "tdnf",
            Tool::Zypper => "zypper",
            Tool::Rpm => "rpm",
            Tool::Npm => "npm",
            Tool::Yarn => "yarn",
            Tool::Pnpm => "pnpm",
            Tool::Gem => "gem",
            Tool::Go => "go",
            Tool::Cargo => "cargo",
            Tool::Conda => "conda",
        }
    }

    /// Python package installers, judged like requirements lines.
    pub fn is_python(self) -> bool {
        matches!(self, Tool::Pip | Tool::Uv | Tool::Pipx)
    }

    pub fn is_os(self) -> bool {
        matches!(self, Tool::AptGet | Tool::Apt | Tool::Aptitude | Tool::Apk) || self.is_rpm()
    }

    /// yum, dnf, microdnf, tdnf, zypper and rpm: versions are written `name-version`
    /// (zypper also `name=version`), and `pin` does not read their database.
    pub fn is_rpm(self) -> bool {
        matches!(
            self,
            Tool::Yum | Tool::Dnf | Tool::Microdnf | Tool::Tdnf | Tool::Zypper | Tool::Rpm
        )
    }
}

/// A package argument of an install command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    /// Index of the argument in the command.
    pub arg: usize,
    /// The package text (for `-e X`/`--editable=X`, just `X`).
    pub text: String,
    /// A version given by a separate option (`gem install x -v 1`, `cargo install x --version 1`).
    pub version: Option<(usize, String)>,
    pub editable: bool,
}

/// A file of requirements named on the command line (`-r`, `-c`, `conda --file`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReqFile {
    pub arg: usize,
    pub path: String,
    pub constraint: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Install {
    pub tool: Tool,
    /// Index of the argument naming the tool.
    pub tool_arg: usize,
    pub packages: Vec<Package>,
    pub files: Vec<ReqFile>,
    /// `-U`/`--upgrade` given.
    pub upgrade: bool,
}

/// What one simple command is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Classified {
    Install(Install),
    /// A shell running the script in argument `n` (`sh -c '…'`).
    ShellArg(usize),
    /// A shell reading its script from standard input (`bash <<EOF`, `sh -s`).
    ShellStdin,
    Other,
}

/// Basename of a command path.
pub fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

fn is_versioned(name: &str, stem: &str) -> bool {
    // stem, stem3, stem3.11, stem2.7
    let Some(rest) = name.strip_prefix(stem) else {
        return false;
    };
    rest.is_empty()
        || rest.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && rest.as_bytes()[0].is_ascii_digit()
            && !rest.ends_with('.')
}

pub fn is_pip(name: &str) -> bool {
    is_versioned(basename(name), "pip")
}

pub fn is_python(name: &str) -> bool {
    let b = basename(name);
    is_versioned(b, "python") || is_versioned(b, "pypy")
}

fn is_shell(name: &str) -> bool {
    matches!(
        basename(name),
        "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh" | "mksh" | "busybox-sh"
    )
}

/// Skips the options of a wrapper; returns the index of the wrapped command.
fn skip_wrapper(args: &[Arg], i: usize) -> Option<usize> {
    let name = basename(&args[i].text);
    let mut j = i + 1;
    let take = |j: &mut usize, values: &str, long_values: &[&str]| {
        while *j < args.len() {
            let t = args[*j].text.as_str();
            if t == "--" {
                *j += 1;
                break;
            }
            if let Some(long) = t.strip_prefix("--") {
                *j += 1;
                if !long.contains('=') && long_values.contains(&long) {
                    *j += 1;
                }
                continue;
            }
            if t.len() > 1 && t.starts_with('-') {
                *j += 1;
                // A value option as the last letter of the cluster takes the next word.
                let letters = &t[1..];
                if let Some(pos) = letters.find(|c| values.contains(c)) {
                    if pos == letters.len() - 1 {
                        *j += 1;
                    }
                }
                continue;
            }
            break;
        }
    };
    match name {
        "sudo" | "doas" => {
            take(
                &mut j,
                "ugpCDrtUTh",
                &[
                    "user",
                    "group",
                    "prompt",
                    "close-from",
                    "chdir",
                    "role",
                    "type",
                    "other-user",
                    "command-timeout",
                    "host",
                ],
            );
            while j < args.len()
                && args[j].text.contains('=')
                && !args[j].text.starts_with('-')
                && shell_name_eq(&args[j].text)
            {
                j += 1;
            }
        }
        "env" => {
            take(&mut j, "uCS", &["unset", "chdir", "split-string"]);
            while j < args.len() && shell_name_eq(&args[j].text) {
                j += 1;
            }
        }
        "nice" => {
            // `nice -10 cmd`, `nice -n 10 cmd`
            while j < args.len() {
                let t = &args[j].text;
                if t == "-n" {
                    j += 2;
                } else if t.starts_with('-') && t.len() > 1 {
                    j += 1;
                } else {
                    break;
                }
            }
        }
        "ionice" => take(
            &mut j,
            "cnpPt",
            &["class", "classdata", "pid", "pgid", "uid"],
        ),
        "stdbuf" => take(&mut j, "ioe", &["input", "output", "error"]),
        "exec" => take(&mut j, "a", &[]),
        "command" | "builtin" => {
            if args
                .get(j)
                .is_some_and(|a| a.text == "-v" || a.text == "-V")
            {
                return None;
            }
            take(&mut j, "", &[]);
        }
        "time" | "nohup" | "eatmydata" | "chronic" | "catchsegv" | "xargs-free" => {
            take(&mut j, "fo", &["format", "output"])
        }
        "timeout" => {
            take(&mut j, "sk", &["signal", "kill-after"]);
            j += 1; // the duration
        }
        "gosu" | "su-exec" | "chpst" => j += 1,
        "chroot" => {
            take(&mut j, "", &["userspec", "groups"]);
            j += 1;
        }
        "runuser" => take(
            &mut j,
            "ugGw",
            &["user", "group", "supp-group", "whitelist-environment"],
        ),
        _ => return None,
    }
    (j < args.len()).then_some(j)
}

fn shell_name_eq(t: &str) -> bool {
    t.split_once('=')
        .is_some_and(|(n, _)| super::shell::is_name(n))
}

/// `su [user] -c 'cmd'`: index of the command string.
fn su_command(args: &[Arg], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < args.len() {
        let t = args[j].text.as_str();
        if t == "-c" || t == "--command" {
            return (j + 1 < args.len()).then_some(j + 1);
        }
        if let Some(v) = t.strip_prefix("--command=") {
            let _ = v;
            return None;
        }
        j += 1;
    }
    None
}

/// Shell options: returns the classification for `sh …` at `i`.
fn shell(args: &[Arg], i: usize) -> Classified {
    let mut j = i + 1;
    let mut has_c = false;
    let mut stdin = false;
    while j < args.len() {
        let t = args[j].text.as_str();
        if t == "--" {
            j += 1;
            break;
        }
        if t.starts_with("--") {
            j += 1;
            if matches!(t, "--rcfile" | "--init-file") {
                j += 1;
            }
            continue;
        }
        if (t.starts_with('-') || t.starts_with('+')) && t.len() > 1 {
            let letters = &t[1..];
            if letters.contains('c') {
                has_c = true;
            }
            if letters.contains('s') {
                stdin = true;
            }
            j += 1;
            // -o / +o / -O take the option name
            if letters.ends_with('o') || letters.ends_with('O') {
                j += 1;
            }
            continue;
        }
        break;
    }
    if has_c {
        return if j < args.len() {
            Classified::ShellArg(j)
        } else {
            Classified::Other
        };
    }
    if stdin || j >= args.len() {
        Classified::ShellStdin
    } else {
        Classified::Other
    }
}

/// Classifies one simple command.
pub fn classify(args: &[Arg]) -> Classified {
    classify_at(args, 0, 0)
}

fn classify_at(args: &[Arg], i: usize, depth: usize) -> Classified {
    if i >= args.len() || depth > 8 {
        return Classified::Other;
    }
    let t = args[i].text.as_str();
    let name = basename(t);
    if let Some(j) = skip_wrapper(args, i) {
        return classify_at(args, j, depth + 1);
    }
    if matches!(name, "su" | "runuser") {
        return su_command(args, i).map_or(Classified::Other, Classified::ShellArg);
    }
    if is_shell(t) {
        return shell(args, i);
    }
    let found = if is_pip(t) {
        pip::pip(args, i + 1, i)
    } else if is_python(t) {
        pip::python_m_pip(args, i)
    } else {
        match name {
            "uv" => pip::uv(args, i),
            "pipx" => pip::pipx(args, i),
            // `xx-apt-get`, `xx-apt`, `xx-apk`: tonistiigi/xx's cross-compilation wrappers run
            // the package manager with the target's architecture; the arguments are the same.
            "apt-get" | "xx-apt-get" => os::apt(args, i, Tool::AptGet),
            "apt" | "xx-apt" => os::apt(args, i, Tool::Apt),
            "aptitude" => os::apt(args, i, Tool::Aptitude),
            "apk" | "xx-apk" => os::apk(args, i),
            _ if rpm::tool_of(name).is_some() => {
                rpm::tool_of(name).and_then(|tool| rpm::install(args, i, tool))
            }
            "npm" | "cnpm" => node::npm(args, i),
            "yarn" => node::yarn(args, i),
            "pnpm" => node::pnpm(args, i),
            "gem" => other::gem(args, i),
            "go" => other::go(args, i),
            "cargo" => other::cargo(args, i),
            "conda" | "mamba" | "micromamba" => other::conda(args, i),
            _ => None,
        }
    };
    found.map_or(Classified::Other, Classified::Install)
}

#[cfg(test)]
pub(crate) fn args(s: &str) -> Vec<Arg> {
    s.split_whitespace().map(Arg::lit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkgs(s: &str) -> Option<(Tool, Vec<String>)> {
        match classify(&args(s)) {
            Classified::Install(i) => {
                Some((i.tool, i.packages.into_iter().map(|p| p.text).collect()))
            }
            _ => None,
        }
    }

    #[test]
    fn wrappers() {
        let cases: &[(&str, Option<Tool>, &[&str])] = &[
            ("sudo pip install a", Some(Tool::Pip), &["a"]),
            ("sudo -u app -H pip install a", Some(Tool::Pip), &["a"]),
            ("sudo -E PIP_X=1 pip install a", Some(Tool::Pip), &["a"]),
            ("env -i A=1 B=2 pip3 install a", Some(Tool::Pip), &["a"]),
            ("env -u X pip install a", Some(Tool::Pip), &["a"]),
            ("nice -n 10 pip install a", Some(Tool::Pip), &["a"]),
            ("nice -10 pip install a", Some(Tool::Pip), &["a"]),
            ("exec pip install a", Some(Tool::Pip), &["a"]),
            ("timeout 300 pip install a", Some(Tool::Pip), &["a"]),
            ("timeout -s KILL 5m pip install a", Some(Tool::Pip), &["a"]),
            ("gosu app pip install a", Some(Tool::Pip), &["a"]),
            ("time pip install a", Some(Tool::Pip), &["a"]),
            ("command pip install a", Some(Tool::Pip), &["a"]),
            ("command -v pip", None, &[]),
            ("echo pip install a", None, &[]),
        ];
        for (s, tool, want) in cases {
            let got = pkgs(s);
            match tool {
                Some(t) => assert_eq!(
                    got,
                    Some((*t, want.iter().map(|s| s.to_string()).collect())),
                    "{s}"
                ),
                None => assert_eq!(got, None, "{s}"),
            }
        }
    }

    #[test]
    fn shells() {
        assert_eq!(classify(&args("sh -c x")), Classified::ShellArg(2));
        assert_eq!(
            classify(&args("/bin/bash -euxo pipefail -c x")),
            Classified::ShellArg(4)
        );
        assert_eq!(classify(&args("bash -lc x")), Classified::ShellArg(2));
        assert_eq!(classify(&args("sudo sh -c x")), Classified::ShellArg(3));
        assert_eq!(classify(&args("su app -c x")), Classified::ShellArg(3));
        assert_eq!(classify(&args("bash")), Classified::ShellStdin);
        assert_eq!(classify(&args("bash -s")), Classified::ShellStdin);
        assert_eq!(classify(&args("bash -ex")), Classified::ShellStdin);
        assert_eq!(classify(&args("bash script.sh")), Classified::Other);
    }

    #[test]
    fn names() {
        for n in [
            "pip",
            "pip3",
            "pip3.11",
            "/opt/venv/bin/pip",
            "/usr/local/bin/pip3.12",
        ] {
            assert!(is_pip(n), "{n}");
        }
        for n in ["pipx", "pip-compile", "pip3.", "pipenv", "pip-sync"] {
            assert!(!is_pip(n), "{n}");
        }
        for n in [
            "python",
            "python3",
            "python3.11",
            "/usr/bin/python3",
            "pypy3",
        ] {
            assert!(is_python(n), "{n}");
        }
        assert!(!is_python("python-config"));
    }
}
