//! PD210: an OS package (`apt-get install`, `apk add`) without an exact version.

use super::super::installers::{Arg, Tool};
use super::super::Cx;

pub const CODE: &str = "PD210";

pub fn check(cx: &mut Cx, arg: &Arg, tool: Tool, text: &str, reason: &str) {
    let example = match tool {
        Tool::Apk => "name=<version>",
        _ => "name=<version>",
    };
    let f = cx
        .finding(
            CODE,
            arg.span.clone(),
            format!("`{}` is not pinned ({reason}) in `{}`", text, tool.name()),
        )
        .with_hint(format!(
            "pin it as `{example}`, or switch PD210 off if your mirrors drop old versions (see `pindrift rule PD210`)"
        ));
    cx.push(f);
}
