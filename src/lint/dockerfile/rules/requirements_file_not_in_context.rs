//! PD213 (note): `pip install -r FILE` / `-c FILE` whose file is not in the build context, so
//! its pins cannot be checked. The path is mapped back through `COPY`/`ADD` and bind mounts
//! (`RUN --mount=type=bind,source=…,target=…`) and `WORKDIR` to the context (`--context DIR`,
//! or the Dockerfile's folder).

use crate::fix::FixAvailability;
use crate::registry::Rule;
use std::path::PathBuf;

use super::super::installers::Arg;
use super::super::{CopyMap, Cx};

pub const RULE: Rule = Rule::RequirementsFileNotInContext;
/// Whether its findings carry a fix (the registry reads it from here).
pub const FIX: FixAvailability = FixAvailability::None;

/// Finds the file in the build context, if it is there.
/// A file is in the context when it is there with symlinks and `..` resolved: a link out of
/// the context is not followed (BuildKit copies the link, not its target), and a file
/// outside the trees pindrift reads is never opened.
pub(in super::super) fn resolve(cx: &Cx, path: &str, binds: &[CopyMap]) -> Option<PathBuf> {
    let trees = cx.cache.trees();
    let context = trees.resolve(&cx.context);
    let inside =
        |p: &PathBuf| trees.resolve(p).starts_with(&context) && p.is_file() && cx.cache.may_read(p);
    if let Some(p) = cx.context_path(path, binds) {
        if inside(&p) {
            return Some(p);
        }
    }
    if !path.starts_with('/') {
        let p = cx.context.join(path);
        if inside(&p) {
            return Some(p);
        }
    }
    None
}

pub fn check(cx: &mut Cx, arg: &Arg, path: &str, constraint: bool) {
    let kind = if constraint {
        "constraints"
    } else {
        "requirements"
    };
    let context = crate::paths::display_path(&cx.context);
    let f = cx
        .finding(
            RULE,
            arg.span,
            format!("{kind} file `{path}` is not in the build context (`{context}`); its pins cannot be checked"),
        )
        .with_hint("COPY the file from the build context before this RUN, or pass --context DIR");
    cx.push(f);
}

/// A `PIP_CONSTRAINT` file (from `ENV`, `ARG` or `VAR=… pip`) that is not in the context.
pub fn check_env(cx: &mut Cx, arg: &Arg, path: &str) {
    let context = crate::paths::display_path(&cx.context);
    let f = cx
        .finding(
            RULE,
            arg.span,
            format!(
                "constraints file `{path}` (from `PIP_CONSTRAINT`) is not in the build context (`{context}`); its pins cannot be checked"
            ),
        )
        .with_hint("COPY the file from the build context before this RUN, or pass --context DIR");
    cx.push(f);
}
