//! PD201: an image without a tag or digest (`FROM python`), which means `latest`.

use super::super::image_ref::ImageRef;
use super::super::installers::Arg;
use super::super::Cx;
use crate::fix::FixAvailability;
use crate::registry::Rule;

pub const RULE: Rule = Rule::ImageWithoutTag;
/// Whether its findings carry a fix (the registry reads it from here).
pub const FIX: FixAvailability = FixAvailability::None;

pub fn check(cx: &mut Cx, arg: &Arg, r: &ImageRef, what: &str) {
    if r.tag.is_some() || r.digest.is_some() {
        return;
    }
    let f = cx
        .finding(
            RULE,
            arg.span,
            format!(
                "{what} `{}` has no tag: it is whatever `latest` is today",
                arg.text
            ),
        )
        .with_hint(format!(
            "name the version you tested, e.g. `{}:<tag>@sha256:<digest>`",
            r.name()
        ));
    cx.push(f);
}
