//! PD202: an image with the `latest` tag and no digest.

use super::super::image_ref::ImageRef;
use super::super::installers::Arg;
use super::super::Cx;
use crate::fix::FixAvailability;
use crate::registry::Rule;

pub const RULE: Rule = Rule::LatestTag;
/// Whether its findings carry a fix (the registry reads it from here).
pub const FIX: FixAvailability = FixAvailability::None;

pub fn check(cx: &mut Cx, arg: &Arg, r: &ImageRef, what: &str) {
    if r.tag.as_deref() != Some("latest") || r.digest.is_some() {
        return;
    }
    let f = cx
        .finding(
            RULE,
            arg.span,
            format!("{what} `{}` uses the `latest` tag, which moves", arg.text),
        )
        .with_hint(format!("use a version tag, e.g. `{}:<version>`", r.name()));
    cx.push(f);
}
