//! The plan for Compose files: every `services.*.image` gets the digest the engine resolves,
//! keeping its tag, as `FROM` lines do (`python:3.12-slim` → `python:3.12-slim@sha256:…`).
//!
//! Only the bytes of the value change (inside its quotes when it is quoted), so comments,
//! quoting, anchors and line ends stay as they are. An image that comes through an alias is
//! pinned once, in the anchor. A value that uses `${VAR}` interpolation is reported as not
//! pinnable and never rewritten: the digest belongs to whatever the variable names, which
//! is decided where the variable is set. A value the file does not hold verbatim (a block
//! scalar, an escape inside quotes) is left and reported, as is a value whose digest cannot
//! be had.

use std::sync::Arc;

use super::dockerfile::{resolve_keys, Resolved};
use super::plan::{Change, FilePlan, LeftReason, PinOptions};
use crate::config::Settings;
use crate::discover::Discovered;
use crate::docker::digest::DigestError;
use crate::lint::compose::{dotenv_for, images, lint_compose, ComposeImage};
use crate::lint::dockerfile::image_ref;
use crate::paths::display_path;
use crate::read::read_regular;
use crate::registry::Rule;
use crate::source::SourceFile;
use crate::span::Span;

/// One Compose file read: its source and its images (or the parser's error).
type Parsed = (Arc<SourceFile>, Result<Vec<ComposeImage>, String>);

/// Plans every Compose file found. Every distinct image reference is resolved once through
/// one engine connection (made only when some file names an image), on a runtime of this
/// call's own. Returns the plans and the files that could not be read or parsed.
pub fn plan_compose_files(
    files: &[&Discovered],
    settings: &Settings,
    options: &PinOptions,
) -> (Vec<FilePlan>, Vec<String>) {
    let mut errors = Vec::new();
    let mut parsed: Vec<Parsed> = Vec::new();
    for file in files {
        match read_regular(&file.path, settings.max_file_size) {
            Ok(bytes) => {
                let source = Arc::new(SourceFile::from_bytes(
                    &file.path,
                    display_path(&file.path),
                    bytes,
                ));
                let vars = dotenv_for(&file.path, settings.max_file_size);
                let found = images(&source.text, &vars);
                if let Err(message) = &found {
                    errors.push(format!("{}: {message}", source.display));
                    continue;
                }
                parsed.push((source, found));
            }
            Err(e) => errors.push(format!("{}: {e}", display_path(&file.path))),
        }
    }
    let mut keys: Vec<String> = parsed
        .iter()
        .filter(|(source, _)| !source.lossy)
        .filter_map(|(_, found)| found.as_ref().ok())
        .flatten()
        .filter_map(lookup_key)
        .collect();
    keys.sort();
    keys.dedup();
    let resolved = if keys.is_empty() {
        Resolved::new()
    } else {
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime.block_on(resolve_keys(keys, options.timeout)),
            Err(e) => keys
                .into_iter()
                .map(|k| {
                    let e = DigestError::Engine {
                        reference: k.clone(),
                        message: format!("cannot start the async runtime: {e}"),
                    };
                    (k, Err(e))
                })
                .collect(),
        }
    };
    let plans = parsed
        .into_iter()
        .map(|(source, found)| plan_compose(source, &found.unwrap_or_default(), &resolved))
        .collect();
    (plans, errors)
}

/// What to ask the resolver for an image: the reference without its digest; `None` for a
/// value with interpolation, one that does not parse, or a digest without a tag.
fn lookup_key(image: &ComposeImage) -> Option<String> {
    if image.written.contains('$') {
        return None;
    }
    let r = image_ref::parse(&image.written).ok()?;
    if r.digest.is_some() {
        let tag = r.tag.as_ref()?;
        return Some(format!("{}:{tag}", r.name()));
    }
    Some(image.written.clone())
}

/// The bytes to replace for a value written `written`: the scalar itself when plain, the
/// inside of its quotes when quoted without escapes; `None` when the file does not hold the
/// value verbatim (a block scalar, an escape, a quote doubled).
fn verbatim_span(text: &str, span: Span, written: &str) -> Option<Span> {
    let held = text.get(span.range())?;
    if held == written {
        return Some(span);
    }
    for quote in ['"', '\''] {
        let inner = held
            .strip_prefix(quote)
            .and_then(|h| h.strip_suffix(quote))
            .filter(|inner| *inner == written && !inner.contains(['\\', quote]));
        if inner.is_some() {
            return Some(Span {
                start: span.start + 1,
                end: span.end - 1,
            });
        }
    }
    None
}

/// The plan of one Compose file from its images and the resolved digests.
pub fn plan_compose(
    source: Arc<SourceFile>,
    found: &[ComposeImage],
    resolved: &Resolved,
) -> FilePlan {
    let mut plan = FilePlan::new(source.path.clone(), source.clone());
    plan.kind = Some(crate::discover::FileKind::Compose);
    if source.lossy {
        plan.leave(
            Span { start: 0, end: 0 },
            source.display.to_string(),
            LeftReason::NotUtf8,
        );
        return plan;
    }
    let mut done: Vec<Span> = Vec::new();
    for image in found {
        // An anchored value that several services share through aliases: planned once,
        // naming every service that uses it.
        if done.contains(&image.span) {
            continue;
        }
        done.push(image.span);
        let services: Vec<String> = found
            .iter()
            .filter(|other| other.span == image.span)
            .map(|other| format!("`{}`", other.service))
            .collect();
        let subject = if services.len() == 1 {
            format!("{} (service {})", image.written, services[0])
        } else {
            format!("{} (services {})", image.written, services.join(", "))
        };
        if image.written.contains('$') {
            plan.leave(
                image.span,
                subject,
                LeftReason::Interpolated(image.written.clone()),
            );
            continue;
        }
        let r = match image_ref::parse(&image.written) {
            Ok(r) => r,
            Err(e) => {
                plan.leave(
                    image.span,
                    subject,
                    LeftReason::Other(format!("not a valid image reference: {e}")),
                );
                continue;
            }
        };
        let Some(key) = lookup_key(image) else {
            continue; // a digest without a tag: nothing to compare it with
        };
        let found = match resolved.get(&key) {
            Some(Ok(found)) => found,
            Some(Err(e)) if r.digest.is_none() => {
                plan.leave(
                    image.span,
                    subject,
                    LeftReason::DigestUnavailable(e.to_string()),
                );
                continue;
            }
            Some(Err(_)) => continue, // already pinned, the tag cannot be looked up: it stands
            None => {
                plan.leave(
                    image.span,
                    subject,
                    LeftReason::DigestUnavailable("no Docker Engine to ask".into()),
                );
                continue;
            }
        };
        if let Some(pinned) = &r.digest {
            if *pinned != found.digest {
                plan.leave(
                    image.span,
                    subject,
                    LeftReason::Other(format!(
                        "pinned to {pinned}, but {key} is now {} ({}); not rewritten",
                        found.digest,
                        found.origin.describe()
                    )),
                );
            }
            continue;
        }
        let Some(span) = verbatim_span(&source.text, image.span, &image.written) else {
            plan.leave(image.span, subject, LeftReason::NotVerbatim);
            continue;
        };
        let rule = match r.tag.as_deref() {
            None => Rule::ImageWithoutTag,
            Some("latest") => Rule::LatestTag,
            Some(_) => Rule::TagWithoutDigest,
        };
        let reason = format!(
            "{} (image of {})",
            found.origin.describe(),
            subject
                .split_once(" (")
                .map_or("", |(_, who)| who.trim_end_matches(')'))
        );
        let after = format!("{}@{}", image.written, found.digest);
        plan.changes
            .push(Change::new(&source, span, after, Some(rule), reason));
    }
    plan
}

/// Reads rewritten Compose files again with the lint, strict: no image pin wrote may still
/// be without a tag, on `latest` or without a digest (PD201–PD203).
pub fn verify_written(written: &[&FilePlan], settings: &Settings) -> Vec<String> {
    let strict = Settings {
        profile: crate::config::Profile::Strict,
        ..settings.clone()
    };
    let mut errors = Vec::new();
    for plan in written {
        let Ok(bytes) = read_regular(&plan.path, settings.max_file_size) else {
            errors.push(format!(
                "{}: cannot be read again after pin",
                plan.source.display
            ));
            continue;
        };
        let rewritten = SourceFile::from_bytes(&plan.path, plan.source.display.as_ref(), bytes);
        let mut changes: Vec<&Change> = plan.changes.iter().collect();
        changes.sort_by_key(|c| c.edit.span.start);
        let mut shift: isize = 0;
        let mut spans = Vec::new();
        for c in changes {
            let start = c.edit.span.start.saturating_add_signed(shift);
            spans.push(start..start + c.after.len());
            shift += c.after.len() as isize - c.edit.span.len() as isize;
        }
        match lint_compose(&rewritten, &strict) {
            Ok(findings) => {
                for f in findings {
                    let here = spans.iter().any(|r| {
                        f.span.start < r.end && r.start < f.span.end.max(f.span.start + 1)
                    });
                    if here {
                        errors.push(format!(
                            "{}:{}: still {} after pin: {}",
                            f.path,
                            f.line,
                            f.code.code(),
                            f.message
                        ));
                    }
                }
            }
            Err(message) => errors.push(format!(
                "{}: does not parse after pin: {message}",
                plan.source.display
            )),
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::digest::{DigestOrigin, ResolvedDigest};
    use std::collections::BTreeMap;

    fn digest(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    fn plan_of(text: &str, resolved: &[(&str, char)]) -> (FilePlan, String) {
        let source = Arc::new(SourceFile::from_bytes(
            "compose.yaml",
            "compose.yaml",
            text.as_bytes().to_vec(),
        ));
        let found = images(&source.text, &BTreeMap::new()).unwrap();
        let resolved: Resolved = resolved
            .iter()
            .map(|(k, c)| {
                (
                    k.to_string(),
                    Ok(ResolvedDigest {
                        digest: digest(*c),
                        origin: DigestOrigin::Registry,
                    }),
                )
            })
            .collect();
        let plan = plan_compose(source, &found, &resolved);
        let new = String::from_utf8(plan.new_bytes().unwrap()).unwrap();
        (plan, new)
    }

    #[test]
    fn values_get_digests_and_the_rest_stays_byte_for_byte() {
        let text = "# top\r\nx-py: &py \"python:3.12\" # shared\r\nservices:\r\n  a:\r\n    image: *py\r\n  b:\r\n    image: *py\r\n  c:\r\n    image: 'redis'   # cache\r\n  d:\r\n    image: app:${TAG:-1}\r\n  e:\r\n    image: >-\r\n      nginx:1\r\n  f:\r\n    image: \"x:\\u0031\"\r\n  g:\r\n    image: |\r\n      x:2\r\n";
        let resolved = [
            ("python:3.12", 'a'),
            ("redis", 'b'),
            ("nginx:1", 'c'),
            ("x:1", 'd'),
            ("x:2\n", 'e'),
        ];
        let (plan, new) = plan_of(text, &resolved);
        let (a, b, c) = (digest('a'), digest('b'), digest('c'));
        // A folded block scalar on one line holds its value verbatim; an escape and a
        // literal block (its value ends with a line feed) do not.
        assert_eq!(
            new,
            text.replace("\"python:3.12\"", &format!("\"python:3.12@{a}\""))
                .replace("'redis'", &format!("'redis@{b}'"))
                .replace("nginx:1", &format!("nginx:1@{c}"))
        );
        assert_eq!(plan.changes.len(), 3);
        assert_eq!(plan.changes[0].rule, Some(Rule::TagWithoutDigest));
        assert_eq!(plan.changes[1].rule, Some(Rule::ImageWithoutTag));
        let why: Vec<&str> = plan.left.iter().map(|l| l.why.code()).collect();
        assert_eq!(why, ["interpolated", "not-verbatim", "other"]);
        assert_eq!(plan.left[0].line, 11);
    }

    #[test]
    fn pinned_values_are_compared_not_rewritten() {
        let a = digest('a');
        let text = format!("services:\n  a:\n    image: python:3.12@{a}\n  b:\n    image: x:1\n");
        let (plan, new) = plan_of(&text, &[("python:3.12", 'b')]);
        assert_eq!(new, text);
        assert_eq!(plan.left.len(), 2);
        assert!(plan.left[0].why.to_string().contains("not rewritten"));
        assert_eq!(plan.left[1].why.code(), "digest-unavailable");
    }
}
