//! PD211: a package installed by npm, yarn, pnpm, gem, go, cargo or conda without an exact
//! version.

use super::super::installers::{Arg, Tool};
use super::super::Cx;
use crate::fix::FixAvailability;
use crate::registry::Rule;

pub const RULE: Rule = Rule::UnpinnedLanguagePackage;
/// Whether its findings carry a fix (the registry reads it from here).
pub const FIX: FixAvailability = FixAvailability::None;

/// `command` is the tool as the RUN line calls it (`apt`, `apt-get`, `mamba`).
pub fn check(cx: &mut Cx, arg: &Arg, tool: Tool, command: &str, text: &str, reason: &str) {
    let hint = match tool {
        Tool::Npm | Tool::Yarn | Tool::Pnpm => "pin one version: `name@1.2.3`",
        Tool::Gem => "pin one version: `gem install name -v 1.2.3` or `name:1.2.3`",
        Tool::Go => "pin one version: `module/path@v1.2.3`",
        Tool::Cargo => "pin one version: `cargo install name --version 1.2.3 --locked`",
        Tool::Conda => "pin one version: `name=1.2.3`",
        _ => "pin one version",
    };
    let f = cx
        .finding(
            RULE,
            arg.span,
            format!("`{text}` is not pinned ({reason}) in `{command}`"),
        )
        .with_hint(hint)
        .with_installer(tool);
    cx.push(f);
}
