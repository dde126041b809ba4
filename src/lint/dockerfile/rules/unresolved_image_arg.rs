//! PD204 (note): an image reference that depends on a build argument with no default and no
//! `--build-arg` value, so what gets built cannot be known from the repository.

use super::super::installers::Arg;
use super::super::Cx;
use crate::fix::FixAvailability;
use crate::registry::Rule;

pub const RULE: Rule = Rule::UnresolvedImageArg;
/// Whether its findings carry a fix (the registry reads it from here).
pub const FIX: FixAvailability = FixAvailability::None;

pub fn check(cx: &mut Cx, arg: &Arg, what: &str) {
    let message = if arg.unresolved.is_empty() {
        format!("{what} `{}` cannot be resolved statically", arg.text)
    } else {
        let names: Vec<String> = arg.unresolved.iter().map(|n| format!("`{n}`")).collect();
        format!(
            "{what} `{}` depends on build arg {} with no default and no --build-arg",
            arg.text,
            names.join(", ")
        )
    };
    let hint = match arg.unresolved.first() {
        Some(n) => format!(
            "give `ARG {n}` a pinned default, or pass `--build-arg {n}=...` to pindrift check"
        ),
        None => "give the image a literal reference".to_string(),
    };
    let f = cx.finding(RULE, arg.span, message).with_hint(hint);
    cx.push(f);
}
