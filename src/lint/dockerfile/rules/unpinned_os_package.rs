//! PD210: an OS package (`apt-get install`, `apk add`, `dnf install`, `zypper in`, `rpm -i URL`) without an exact version.

use super::super::installers::{Arg, Tool};
use super::super::Cx;
use crate::fix::FixAvailability;
use crate::registry::Rule;

pub const RULE: Rule = Rule::UnpinnedOsPackage;
/// Whether its findings carry a fix (the registry reads it from here).
pub const FIX: FixAvailability = FixAvailability::None;

/// `command` is the tool as the RUN line calls it (`apt`, `apt-get`, `mamba`).
pub fn check(cx: &mut Cx, arg: &Arg, tool: Tool, command: &str, text: &str, reason: &str) {
    // `curl/bookworm-backports` → `curl=<version>`; apk's `name@tag` keeps its tag.
    let name_end = match tool {
        Tool::Apk => text.find(['=', '~', '<', '>']),
        _ => text.find(['=', '/']),
    };
    let example = if tool.is_rpm() {
        super::super::installers::rpm::pin_example(tool, text)
    } else {
        format!("`{}=<version>`", &text[..name_end.unwrap_or(text.len())])
    };
    let f = cx
        .finding(
            RULE,
            arg.span,
            format!("`{text}` is not pinned ({reason}) in `{command}`"),
        )
        .with_hint(format!(
            "pin it as {example}, or switch PD210 off if your mirrors drop old versions (see `pindrift rule PD210`)"
        ))
        .with_installer(tool);
    cx.push(f);
}
