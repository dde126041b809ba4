//! PD214: package names in `RUN` that cannot be known before the build runs — a variable
//! with no known value as a package argument (`apt-get install $PKGS`), names computed by a
//! command substitution (`P=$(curl …); pip install $P`), or read from a file or standard
//! input (`xargs apt-get install < pkgs.txt`, `while read p; do pip install "$p"; done`).
//! A list whose values are known (`PKGS="curl git"`, `for p in a b`) is expanded instead,
//! and a variable only in the version (`flask==$V`) is PD212.

use super::super::installers::{Arg, Install, Tool};
use super::super::Cx;
use crate::fix::FixAvailability;
use crate::registry::Rule;

pub const RULE: Rule = Rule::UnverifiablePackageList;
/// Whether its findings carry a fix (the registry reads it from here).
pub const FIX: FixAvailability = FixAvailability::None;

/// Where package names of one argument come from, when pindrift cannot see them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unseen {
    /// Variables with no known value (`$PKGS`).
    Variables(Vec<String>),
    /// A command substitution, in the argument or in the variable it expands.
    Computed,
    /// Read at build time from standard input or a file (`xargs`, `read`); the text says
    /// from where (`standard input`, `pkgs.txt`).
    Read(String),
}

/// The value of a shell variable computed at build time (`deps="$(scanelf …)"`).
pub const COMPUTED: &str = "\u{0}computed\u{0}";

/// The value of a shell variable that depends on variables with no known value.
pub fn vars_marker(names: &[String]) -> String {
    format!("\u{0}vars:{}\u{0}", names.join(","))
}

/// The value of a shell variable (or an argument) read at build time from `from`.
pub fn read_marker(from: &str) -> String {
    format!("\u{0}read:{from}\u{0}")
}

/// What a marker at the start of an argument's text says about its package names; `None`
/// when the text does not start with one (a literal name, perhaps with a computed version).
pub fn unseen_in(text: &str) -> Option<Unseen> {
    let text = text.trim_start_matches(['\'', '"']);
    let rest = text.strip_prefix('\0')?;
    let (marker, _) = rest.split_once('\0')?;
    Some(if let Some(from) = marker.strip_prefix("read:") {
        Unseen::Read(from.to_string())
    } else if let Some(names) = marker.strip_prefix("vars:") {
        Unseen::Variables(names.split(',').map(str::to_string).collect())
    } else {
        Unseen::Computed
    })
}

/// Whether the package name of an argument that is not known is itself unknown: the
/// argument starts with an expansion (`$PKGS`, `${PKG}==1.0`, `$(cat list)`), unlike
/// `flask==${V}`, whose name is written.
pub fn name_unknown(arg: &Arg) -> Option<Unseen> {
    if let Some(u) = unseen_in(&arg.text) {
        return Some(u);
    }
    if arg.known() {
        return None;
    }
    let t = arg.text.trim_start_matches(['\'', '"']);
    if !(t.starts_with('$') || t.starts_with('`')) {
        return None;
    }
    Some(
        if t.starts_with("$(") || t.starts_with('`') || arg.unresolved.is_empty() {
            Unseen::Computed
        } else {
            Unseen::Variables(arg.unresolved.clone())
        },
    )
}

/// `apk add --no-network`: apk takes the packages from what is installed or cached and
/// fetches nothing, so names computed from the image itself (docker-library's
/// `scanelf … | xargs -rt apk add --no-network --virtual .rundeps`) cannot change with
/// the mirror.
pub fn offline(install: &Install, args: &[Arg]) -> bool {
    install.tool == Tool::Apk
        && args[install.tool_arg..]
            .iter()
            .any(|a| a.text == "--no-network")
}

/// Reports one argument whose package names are unseen. `command` is the installer as
/// written (`apt-get`, `pip`).
pub fn check(cx: &mut Cx, arg: &Arg, tool: Tool, command: &str, unseen: &Unseen) {
    let what = match unseen {
        Unseen::Variables(names) => {
            let names: Vec<String> = names.iter().map(|n| format!("`${n}`")).collect();
            format!(
                "the packages `{command}` installs come from {}, which has no known value here",
                names.join(", ")
            )
        }
        Unseen::Computed => {
            format!("the packages `{command}` installs are computed when the image is built")
        }
        Unseen::Read(from) => {
            format!(
                "the packages `{command}` installs are read from {from} when the image is built"
            )
        }
    };
    let f = cx
        .finding(RULE, arg.span, format!("{what}: whether they are pinned cannot be checked"))
        .with_hint("name the packages (with their versions) in the Dockerfile, or give the variable a known value with `ARG`/`ENV` or --build-arg")
        .with_installer(tool);
    cx.push(f);
}
