//! PD201: an image without a tag or digest (`FROM python`), which means `latest`.

use super::super::image_ref::ImageRef;
use super::super::installers::Arg;
use super::super::Cx;

pub const CODE: &str = "PD201";

pub fn check(cx: &mut Cx, arg: &Arg, r: &ImageRef, what: &str) {
    if r.tag.is_some() || r.digest.is_some() {
        return;
    }
    let f = cx
        .finding(
            CODE,
            arg.span.clone(),
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
