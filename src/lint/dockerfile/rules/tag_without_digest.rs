//! PD203 (strict): an image named by tag only. A tag can be re-pushed; a digest cannot.

use super::super::image_ref::ImageRef;
use super::super::installers::Arg;
use super::super::Cx;
use crate::fix::FixAvailability;
use crate::registry::Rule;

pub const RULE: Rule = Rule::TagWithoutDigest;
/// Whether its findings carry a fix (the registry reads it from here).
pub const FIX: FixAvailability = FixAvailability::None;

pub fn check(cx: &mut Cx, arg: &Arg, r: &ImageRef, what: &str) {
    if !cx.settings.strict() || r.digest.is_some() || r.tag.is_none() {
        return;
    }
    if r.tag.as_deref() == Some("latest") {
        return; // PD202 already says it
    }
    let f = cx
        .finding(
            RULE,
            arg.span,
            format!("{what} `{}` has a tag but no digest: the tag can be re-pushed", arg.text),
        )
        .with_hint(format!(
            "append the digest you tested: `{}@sha256:<digest>` (`docker buildx imagetools inspect {}` shows it)",
            arg.text, arg.text
        ));
    cx.push(f);
}
