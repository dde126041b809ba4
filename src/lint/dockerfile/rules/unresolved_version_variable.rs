//! PD212 (note): a package, version or requirements file in `RUN` that comes from a variable
//! pindrift cannot resolve (not an `ARG`/`ENV` in scope with a known value).

use super::super::installers::Arg;
use super::super::Cx;
use crate::fix::FixAvailability;
use crate::registry::Rule;

pub const RULE: Rule = Rule::UnresolvedVersionVariable;
/// Whether its findings carry a fix (the registry reads it from here).
pub const FIX: FixAvailability = FixAvailability::None;

pub fn check(cx: &mut Cx, arg: &Arg, what: &str) {
    let message = if arg.unresolved.is_empty() {
        format!("{what} is computed at build time; its pin cannot be checked")
    } else {
        let names: Vec<String> = arg.unresolved.iter().map(|n| format!("`${n}`")).collect();
        format!(
            "{what} depends on {} which has no known value here; its pin cannot be checked",
            names.join(", ")
        )
    };
    let f = cx
        .finding(RULE, arg.span, message)
        .with_hint("declare it with `ARG NAME=<version>` or `ENV NAME=<version>` in this stage, or pass --build-arg");
    cx.push(f);
}
