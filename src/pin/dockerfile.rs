//! The plan for one Dockerfile: what `pin` rewrites in it, and what it leaves and why.
//!
//! The places come from the lint walk itself ([`crate::lint::dockerfile::pin_sites`]), so
//! `pin` sees every `pip install` spelling, wrapper, `sh -c` body and heredoc that `check`
//! sees, with the same build-arg scopes:
//!
//! - Python packages in `RUN` are rewritten by the same function as requirement lines
//!   ([`super::requirement::pin_requirement_why`]), where the file holds the argument byte
//!   for byte; text from `${VAR}`, an `sh -c` body or a heredoc a shell reads is left
//!   ([`LeftReason::NotVerbatim`]).
//! - Images (`FROM`, `COPY --from`, `RUN --mount=…,from=`, `# syntax=`) get the digest the
//!   engine resolves ([`crate::docker::digest`]), keeping the tag: `python:3.11-slim` →
//!   `python:3.11-slim@sha256:…`. When the reference ends with a global `ARG` (`FROM
//!   python:${PY}`, `FROM ${BASE}`), the digest is written into that `ARG`'s default, so a
//!   `--build-arg` override replaces tag and digest together. Stages, `scratch`, named build
//!   contexts and references behind unset build args are left and reported. A reference that
//!   already has a digest is never rewritten; a digest that differs from what its tag names
//!   now is reported.
//! - With `--os`, `apt-get`/`apt`/`aptitude install` and `apk add` packages get the exact
//!   version of the source's dpkg/apk database (`curl=7.88.1-10+deb12u5`).
//!
//! Every replacement is checked to mean the same to the shell (bare, quoted, JSON, heredoc)
//! as a plain word would: a pin never adds a character a shell or JSON string would read
//! differently.

use std::collections::HashMap;
use std::sync::Arc;

use super::facts::Facts;
use super::plan::{Change, FilePlan, LeftReason, PinOptions};
use super::requirement::pin_requirement_why;
use crate::config::Settings;
use crate::discover::Discovered;
use crate::docker::digest::{DigestError, DigestResolver, ResolvedDigest};
use crate::docker::Engine;
use crate::lint::dockerfile::installers::os::{judge_apk, judge_apt, Pin};
use crate::lint::dockerfile::installers::{Arg, Tool};
use crate::lint::dockerfile::rules::unverifiable_package_list::{unseen_in, Unseen};
use crate::lint::dockerfile::sites::{ImageSite, ImageTarget, PackageSite, Sites};
use crate::lint::dockerfile::{image_ref, pin_sites};
use crate::lint::requirements::install::FileCache;
use crate::lint::requirements::requirement::parse_requirement;
use crate::paths::display_path;
use crate::read::read_regular;
use crate::registry::Rule;
use crate::source::SourceFile;
use crate::span::Span;

/// Plans every Dockerfile found, read as `check` reads them. Every distinct image reference of
/// the tree is resolved once, a few at a time, through one engine connection made only when
/// some Dockerfile names an image, on a runtime of this call's own (so call this outside any
/// async runtime). An engine that cannot be reached leaves the images, each reported with
/// the reason. Returns the plans and the files that could not be read (each message names
/// its file).
pub fn plan_dockerfiles(
    files: &[&Discovered],
    settings: &Settings,
    facts: &Facts,
    options: &PinOptions,
) -> (Vec<FilePlan>, Vec<String>) {
    // Reading and parsing are pure and per file: on all cores, as `check` does.
    type Parsed = (
        Arc<SourceFile>,
        Option<Result<Sites, crate::lint::dockerfile::parse::ParseError>>,
    );
    let cache =
        FileCache::within(settings.trees.clone()).with_max_file_size(settings.max_file_size);
    let indexed: Vec<(usize, &Discovered)> = files.iter().copied().enumerate().collect();
    let read: std::sync::Mutex<Vec<(usize, Result<Parsed, String>)>> =
        std::sync::Mutex::new(Vec::new());
    crate::lint::parallel_for_each(&indexed, |(i, file)| {
        let item = match read_regular(&file.path, settings.max_file_size) {
            Ok(bytes) => {
                let source = Arc::new(SourceFile::from_bytes(
                    &file.path,
                    display_path(&file.path),
                    bytes,
                ));
                let sites = (!source.lossy).then(|| pin_sites(&source, settings, Some(&cache)));
                Ok((source, sites))
            }
            Err(e) => Err(format!("{}: {e}", display_path(&file.path))),
        };
        if let Ok(mut read) = read.lock() {
            read.push((*i, item));
        }
    });
    let mut read = read.into_inner().unwrap_or_default();
    read.sort_by_key(|(i, _)| *i);
    let mut errors = Vec::new();
    let mut parsed: Vec<Parsed> = Vec::new();
    for (_, item) in read {
        match item {
            Ok(p) => parsed.push(p),
            Err(e) => errors.push(e),
        }
    }
    let mut keys: Vec<String> = parsed
        .iter()
        .filter_map(|(_, sites)| sites.as_ref()?.as_ref().ok())
        .flat_map(|sites| sites.images.iter().filter_map(lookup_key))
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
    let indexed: Vec<(usize, &Parsed)> = parsed.iter().enumerate().collect();
    let plans = std::sync::Mutex::new(Vec::new());
    crate::lint::parallel_for_each(&indexed, |(i, (source, sites))| {
        let plan = plan_parsed(
            source.clone(),
            sites.as_ref(),
            facts,
            &resolved,
            true,
            options,
        );
        if let Ok(mut plans) = plans.lock() {
            plans.push((*i, plan));
        }
    });
    let mut plans = plans.into_inner().unwrap_or_default();
    plans.sort_by_key(|(i, _)| *i);
    (plans.into_iter().map(|(_, p)| p).collect(), errors)
}

/// How many references the engine is asked about at once.
const CONCURRENT_LOOKUPS: usize = 8;

/// Resolves `keys` through one engine connection, [`CONCURRENT_LOOKUPS`] at a time.
pub(crate) async fn resolve_keys(keys: Vec<String>, timeout: std::time::Duration) -> Resolved {
    use futures_util::StreamExt;
    let engine = match Engine::connect(timeout).await {
        Ok(engine) => engine,
        Err(e) => {
            // The first line: the advice after it is for a terminal, not a table cell.
            let message = e.to_string().lines().next().unwrap_or_default().to_string();
            return keys
                .into_iter()
                .map(|k| {
                    let e = DigestError::NoEngine {
                        reference: k.clone(),
                        message: message.clone(),
                    };
                    (k, Err(e))
                })
                .collect();
        }
    };
    let engine = &engine;
    futures_util::stream::iter(keys)
        .map(|k| async move {
            let answer = engine.resolve_digest(&k).await;
            (k, answer)
        })
        .buffer_unordered(CONCURRENT_LOOKUPS)
        .collect()
        .await
}

/// Reads rewritten Dockerfiles again with the lint: no argument or image pin wrote may still
/// be unpinned (PD101, PD102, PD103), without a digest (PD201, PD202, PD203) or without a
/// version (PD210). Returns one message per finding left where pin wrote.
pub fn verify_written(written: &[&FilePlan], settings: &Settings) -> Vec<String> {
    let mut errors = Vec::new();
    for plan in written {
        let Ok(bytes) = read_regular(&plan.path, settings.max_file_size) else {
            errors.push(format!(
                "{}: cannot be read again after pin",
                plan.source.display
            ));
            continue;
        };
        let source = SourceFile::from_bytes(&plan.path, plan.source.display.as_ref(), bytes);
        errors.extend(still_unpinned(plan, &source, settings));
    }
    errors
}

/// The pinning findings (PD101–PD103, PD201–PD203, PD210) that the lint still reports inside
/// the text `plan`'s changes wrote, `rewritten` being the file with the plan applied.
pub fn still_unpinned(plan: &FilePlan, rewritten: &SourceFile, settings: &Settings) -> Vec<String> {
    // Digests are judged only in strict: read with it so PD203 is seen.
    let strict = Settings {
        profile: crate::config::Profile::Strict,
        ..settings.clone()
    };
    // Where each change's text stands in the rewritten file.
    let mut changes: Vec<&Change> = plan.changes.iter().collect();
    changes.sort_by_key(|c| c.edit.span.start);
    let mut shift: isize = 0;
    let mut spans = Vec::new();
    for c in changes {
        let start = c.edit.span.start.saturating_add_signed(shift);
        spans.push((c.rule, start..start + c.after.len()));
        shift += c.after.len() as isize - c.edit.span.len() as isize;
    }
    let mut errors = Vec::new();
    for f in crate::lint::dockerfile::lint_dockerfile(rewritten, &strict) {
        let pinning_rule = matches!(
            f.code,
            Rule::UnpinnedRequirement
                | Rule::LooseSpecifier
                | Rule::VcsRefNotCommit
                | Rule::ImageWithoutTag
                | Rule::LatestTag
                | Rule::TagWithoutDigest
                | Rule::UnpinnedOsPackage
        );
        let written_here = spans
            .iter()
            .any(|(rule, r)| rule.is_some() && f.span.start < r.end && r.start < f.span.end);
        // Findings in the requirements files its `pip install -r` reads are not this file's.
        let here = *f.path == *rewritten.display;
        if pinning_rule && here && written_here {
            errors.push(format!(
                "{}:{}: still {} after pin: {}",
                f.path,
                f.line,
                f.code.code(),
                f.message
            ));
        }
    }
    errors
}

/// Plans one Dockerfile. `digests` resolves image references (the engine, usually cached
/// over the whole run); without one, images are left and reported.
pub async fn plan_dockerfile(
    source: Arc<SourceFile>,
    settings: &Settings,
    facts: &Facts,
    digests: Option<&dyn DigestResolver>,
    options: &PinOptions,
) -> FilePlan {
    let sites = (!source.lossy).then(|| pin_sites(&source, settings, None));
    let resolved = match &sites {
        Some(Ok(sites)) => resolve_all(sites, digests).await,
        _ => Resolved::new(),
    };
    plan_parsed(
        source,
        sites.as_ref(),
        facts,
        &resolved,
        digests.is_some(),
        options,
    )
}

/// The plan of one Dockerfile from its sites (`None`: not valid UTF-8) and the digests
/// resolved for its images.
fn plan_parsed(
    source: Arc<SourceFile>,
    sites: Option<&Result<Sites, crate::lint::dockerfile::parse::ParseError>>,
    facts: &Facts,
    resolved: &Resolved,
    have_resolver: bool,
    options: &PinOptions,
) -> FilePlan {
    let mut plan = FilePlan::new(source.path.clone(), source.clone());
    let sites = match sites {
        None => {
            plan.leave(Span::at(0), source.display.to_string(), LeftReason::NotUtf8);
            return plan;
        }
        Some(Err(e)) => {
            plan.leave(
                e.span,
                source.display.to_string(),
                LeftReason::Other(format!("cannot be parsed: {}", e.message)),
            );
            return plan;
        }
        Some(Ok(sites)) => sites,
    };
    for site in &sites.packages {
        if site.tool.is_python() {
            plan_python(&mut plan, site, facts, options);
        } else if options.os && site.tool.is_os() {
            plan_os(&mut plan, site, facts, options);
        }
    }
    plan_images(&mut plan, sites, resolved, have_resolver);
    plan.changes
        .sort_by_key(|c| (c.edit.span.start, c.edit.span.end));
    plan.changes.dedup_by(|a, b| a.edit == b.edit);
    plan
}

/// The span of `text` inside an argument the file holds verbatim (`--editable=X` holds `X`
/// at its end; `"flask"` holds `flask` inside its quotes).
fn verbatim_span_of(arg: &Arg, text: &str) -> Option<Span> {
    let whole = arg.verbatim?;
    let at = arg.text.find(text)?;
    Some(Span::new(whole.start + at, whole.start + at + text.len()))
}

/// Characters a pin may add without quoting: the same bare, in `'…'`, in `"…"`, in a JSON
/// string and in a heredoc script. Anything else must already be in the text it replaces.
fn splice_is_safe(before: &str, after: &str) -> bool {
    after
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-=+:/@,~%".contains(c) || before.contains(c))
}

fn unresolved(arg: &Arg) -> LeftReason {
    if arg.unresolved.is_empty() {
        LeftReason::UnresolvedArg(arg.text.clone())
    } else {
        LeftReason::UnresolvedArg(arg.unresolved.join(", "))
    }
}

/// The package argument's text when `pin` may judge it: known (not from a variable with no
/// value, a command substitution, a file or standard input) and not exempt; the others are
/// left and reported here.
fn judgeable<'a>(plan: &mut FilePlan, site: &'a PackageSite) -> Option<&'a str> {
    let arg = &site.arg;
    if arg.text.contains('\0') {
        // Names or a version the shell makes at build time (PD214 / PD212 in `check`).
        let (subject, why) = match unseen_in(&arg.text) {
            Some(unseen) => (
                match unseen {
                    Unseen::Variables(names) => format!("${}", names.join(", $")),
                    Unseen::Computed => "names computed at build time".to_string(),
                    Unseen::Read(from) => format!("names read from {from}"),
                },
                "the package names are made when the image is built (PD214)",
            ),
            None => (
                format!("{}…", arg.text.split('\0').next().unwrap_or_default()),
                "its version is computed when the image is built",
            ),
        };
        plan.leave(arg.span, subject, LeftReason::Other(why.to_string()));
        return None;
    }
    let text = site.package.text.trim();
    if !arg.known() {
        plan.leave(arg.span, arg.text.clone(), unresolved(arg));
        return None;
    }
    if let Some(why) = site.exempt {
        plan.leave(arg.span, text, LeftReason::Exempt(why.to_string()));
        return None;
    }
    Some(text)
}

fn plan_python(plan: &mut FilePlan, site: &PackageSite, facts: &Facts, options: &PinOptions) {
    let arg = &site.arg;
    let Some(text) = judgeable(plan, site) else {
        return;
    };
    let parsed = match parse_requirement(text) {
        Ok(p) => p,
        // A shell glob or `~` path: the shell expands it before pip reads it.
        Err(_) if text.contains(['*', '?']) || text.starts_with('~') => return,
        Err(message) => {
            plan.leave(
                arg.span,
                text,
                LeftReason::Other(format!("pip cannot read it: {message}")),
            );
            return;
        }
    };
    let pinned = match pin_requirement_why(text, &parsed, facts, options) {
        Ok(Some(p)) => p,
        Ok(None) => return,
        Err(why) => {
            plan.leave(arg.span, text, why);
            return;
        }
    };
    let Some(span) = verbatim_span_of(arg, text) else {
        plan.leave(arg.span, text, LeftReason::NotVerbatim);
        return;
    };
    if !splice_is_safe(text, &pinned.text) {
        plan.leave(
            arg.span,
            text,
            LeftReason::Other(format!(
                "`{}` would need shell quoting here: edit by hand",
                pinned.text
            )),
        );
        return;
    }
    let change = Change::new(&plan.source, span, pinned.text, pinned.rule, pinned.reason);
    plan.changes.push(change);
}

/// An OS package token split into the name to look up and how to write it back:
/// (`name` in the database, `arch` qualifier, the token up to where `=version` goes).
fn os_token(tool: Tool, text: &str) -> (String, Option<String>, String) {
    match tool {
        Tool::Apk => {
            // name[@tag][op version]
            let end = text.find(['=', '~', '<', '>']).unwrap_or(text.len());
            let head = &text[..end];
            let name = head.split('@').next().unwrap_or(head);
            (name.to_string(), None, head.to_string())
        }
        _ => {
            // name[:arch][=version|/release]
            let end = text.find(['=', '/']).unwrap_or(text.len());
            let head = &text[..end];
            match head.split_once(':') {
                Some((name, arch)) => (name.to_string(), Some(arch.to_string()), head.to_string()),
                None => (head.to_string(), None, head.to_string()),
            }
        }
    }
}

fn plan_os(plan: &mut FilePlan, site: &PackageSite, facts: &Facts, options: &PinOptions) {
    let arg = &site.arg;
    let Some(text) = judgeable(plan, site) else {
        return;
    };
    if site.tool.is_rpm() {
        // pin reads dpkg and apk databases; an rpm database is not read (yet).
        if let Pin::Unpinned(_) = crate::lint::dockerfile::installers::rpm::judge(site.tool, text) {
            plan.leave(
                arg.span,
                text,
                LeftReason::Other(format!(
                    "`{}` packages are not pinned by `pin --os` (it reads dpkg and apk databases)",
                    site.command
                )),
            );
        }
        return;
    }
    let judged = match site.tool {
        Tool::Apk => judge_apk(text),
        _ => judge_apt(text),
    };
    let exact = match &judged {
        Pin::Local => return,
        Pin::Pinned => match text.split_once('=') {
            // apk's `~` (fuzzy) pins a version family: not compared.
            Some((_, v)) if !v.starts_with(['=', '~']) || site.tool != Tool::Apk => {
                Some(v.trim_start_matches('=').to_string())
            }
            _ => return,
        },
        Pin::Unpinned(_) => None,
    };
    let (name, arch, head) = os_token(site.tool, text);
    let wanted = if site.tool == Tool::Apk {
        "apk"
    } else {
        "dpkg"
    };
    let Some(os) = facts.os() else {
        plan.leave(
            arg.span,
            text,
            LeftReason::Other(format!(
                "{} has no OS package database to pin from",
                facts.spec()
            )),
        );
        return;
    };
    if !os.manager.split('+').any(|m| m == wanted) {
        plan.leave(
            arg.span,
            text,
            LeftReason::Other(format!(
                "{} has a {} database, and `{}` installs {wanted} packages",
                facts.spec(),
                os.manager,
                site.command
            )),
        );
        return;
    }
    let package = os.packages.get(&name).filter(|p| match &arch {
        Some(a) => p.arch.as_deref() == Some(a.as_str()),
        None => true,
    });
    let Some(package) = package else {
        plan.leave(arg.span, text, LeftReason::NotInSource);
        return;
    };
    let rule = match exact {
        Some(v) if v == package.version => return,
        Some(v) if !options.sync => {
            plan.leave(
                arg.span,
                text,
                LeftReason::Drift {
                    pinned: v,
                    running: package.version.clone(),
                },
            );
            return;
        }
        Some(_) => None,
        None => Some(Rule::UnpinnedOsPackage),
    };
    let new = format!("{head}={}", package.version);
    let Some(span) = verbatim_span_of(arg, text) else {
        plan.leave(arg.span, text, LeftReason::NotVerbatim);
        return;
    };
    if !splice_is_safe(text, &new) {
        plan.leave(
            arg.span,
            text,
            LeftReason::Other(format!(
                "`{new}` would need shell quoting here: edit by hand"
            )),
        );
        return;
    }
    let reason = format!("{name} {} from {}", package.version, facts.spec());
    plan.changes
        .push(Change::new(&plan.source, span, new, rule, reason));
}

/// What to ask the resolver for each image site: the reference without its digest.
fn lookup_key(site: &ImageSite) -> Option<String> {
    if site.target != ImageTarget::Image || !site.arg.known() {
        return None;
    }
    let r = image_ref::parse(&site.arg.text).ok()?;
    if r.is_scratch() {
        return None;
    }
    if r.digest.is_some() {
        // Already pinned: compare with what the tag names now (no tag, nothing to compare).
        let tag = r.tag.as_ref()?;
        return Some(format!("{}:{tag}", r.name()));
    }
    Some(site.arg.text.clone())
}

pub(crate) type Resolved = HashMap<String, Result<ResolvedDigest, DigestError>>;

/// Resolves every distinct reference once.
async fn resolve_all(sites: &Sites, digests: Option<&dyn DigestResolver>) -> Resolved {
    let mut out = Resolved::new();
    let Some(resolver) = digests else {
        return out;
    };
    for key in sites.images.iter().filter_map(lookup_key) {
        if let std::collections::hash_map::Entry::Vacant(slot) = out.entry(key) {
            let answer = resolver.resolve(slot.key()).await;
            slot.insert(answer);
        }
    }
    out
}

/// One wanted edit for an image, before edits on a shared `ARG` default are reconciled.
struct ImageEdit {
    span: Span,
    replacement: String,
    rule: Rule,
    reason: String,
    /// The image site (for reporting a conflict).
    site_span: Span,
    subject: String,
}

fn plan_images(plan: &mut FilePlan, sites: &Sites, resolved: &Resolved, have_resolver: bool) {
    let mut edits: Vec<ImageEdit> = Vec::new();
    for site in &sites.images {
        let arg = &site.arg;
        match &site.target {
            ImageTarget::Stage(name) => {
                plan.leave(arg.span, name.clone(), LeftReason::Stage);
                continue;
            }
            ImageTarget::Context(name) => {
                plan.leave(
                    arg.span,
                    arg.text.clone(),
                    LeftReason::Exempt(format!(
                        "names the build context `{name}` of the configuration, not an image"
                    )),
                );
                continue;
            }
            ImageTarget::Image => {}
        }
        if !arg.known() {
            plan.leave(arg.span, arg.text.clone(), unresolved(arg));
            continue;
        }
        let r = match image_ref::parse(&arg.text) {
            Ok(r) => r,
            Err(e) => {
                plan.leave(
                    arg.span,
                    arg.text.clone(),
                    LeftReason::Other(format!("not a valid image reference: {e}")),
                );
                continue;
            }
        };
        if r.is_scratch() {
            plan.leave(arg.span, arg.text.clone(), LeftReason::Scratch);
            continue;
        }
        let Some(key) = lookup_key(site) else {
            continue; // a digest without a tag: nothing to compare it with
        };
        let answer = match resolved.get(&key) {
            Some(a) => a,
            None if have_resolver => continue,
            None => {
                plan.leave(
                    arg.span,
                    arg.text.clone(),
                    LeftReason::DigestUnavailable("no Docker Engine to ask".into()),
                );
                continue;
            }
        };
        let found = match answer {
            Ok(found) => found,
            Err(e) if r.digest.is_none() => {
                plan.leave(
                    arg.span,
                    arg.text.clone(),
                    LeftReason::DigestUnavailable(e.to_string()),
                );
                continue;
            }
            // Already pinned, and the tag cannot be looked up: the pin stands.
            Err(_) => continue,
        };
        if let Some(pinned) = &r.digest {
            if *pinned != found.digest {
                plan.leave(
                    arg.span,
                    arg.text.clone(),
                    LeftReason::Other(format!(
                        "pinned to {pinned}, but {key} is now {} ({}); not rewritten",
                        found.digest,
                        found.origin.describe()
                    )),
                );
            }
            continue;
        }
        let rule = match r.tag.as_deref() {
            None => Rule::ImageWithoutTag,
            Some("latest") => Rule::LatestTag,
            Some(_) => Rule::TagWithoutDigest,
        };
        let reason = format!("{} ({})", found.origin.describe(), site.place.describe());
        let wanted = format!("{}@{}", arg.text, found.digest);
        let target = match (arg.verbatim, &site.tail_param) {
            (Some(span), _) => Ok((span, wanted)),
            (None, Some(name)) => arg_default_edit(plan, sites, name, &found.digest),
            (None, None) => Err(LeftReason::NotVerbatim),
        };
        match target {
            Ok((span, replacement)) => edits.push(ImageEdit {
                span,
                replacement,
                rule,
                reason,
                site_span: arg.span,
                subject: arg.text.clone(),
            }),
            Err(why) => plan.leave(arg.span, arg.text.clone(), why),
        }
    }
    // Several images may end with the same ARG: one edit if they agree, none if not.
    let mut by_span: HashMap<Span, Vec<&ImageEdit>> = HashMap::new();
    for e in &edits {
        by_span.entry(e.span).or_default().push(e);
    }
    let mut spans: Vec<&Span> = by_span.keys().collect();
    spans.sort_by_key(|s| (s.start, s.end));
    for span in spans {
        let group = &by_span[span];
        let first = group[0];
        if group.iter().all(|e| e.replacement == first.replacement) {
            let change = Change::new(
                &plan.source,
                *span,
                first.replacement.clone(),
                Some(first.rule),
                first.reason.clone(),
            );
            plan.changes.push(change);
        } else {
            let arg_text = plan
                .source
                .text
                .get(span.range())
                .unwrap_or_default()
                .to_string();
            for e in group {
                plan.leave(
                    e.site_span,
                    e.subject.clone(),
                    LeftReason::Other(format!(
                        "its tag comes from the ARG default `{arg_text}`, which images with different digests share"
                    )),
                );
            }
        }
    }
}

/// The edit that appends `@digest` to the default of the global `ARG name`, or why not.
fn arg_default_edit(
    plan: &FilePlan,
    sites: &Sites,
    name: &str,
    digest: &str,
) -> Result<(Span, String), LeftReason> {
    let Some(decl) = sites.global_arg(name) else {
        return Err(LeftReason::NotVerbatim);
    };
    if decl.overridden {
        return Err(LeftReason::Other(format!(
            "`ARG {name}` is set by a build arg: its default is not what builds"
        )));
    }
    if sites
        .args
        .iter()
        .any(|a| !a.global && a.name == name && a.default.is_some())
    {
        return Err(LeftReason::Other(format!(
            "a stage gives `ARG {name}` a default of its own: write the digest by hand"
        )));
    }
    let Some(raw) = &decl.default else {
        return Err(LeftReason::UnresolvedArg(name.to_string()));
    };
    let t = raw.as_str();
    let quoted = t.len() >= 2
        && (t.starts_with('"') && t.ends_with('"') || t.starts_with('\'') && t.ends_with('\''));
    let inner = if quoted { 1..t.len() - 1 } else { 0..t.len() };
    let value = &t[inner.clone()];
    if value.is_empty() || value.contains(|c: char| c.is_whitespace() || "$\\\"'`".contains(c)) {
        return Err(LeftReason::NotVerbatim);
    }
    let Some(span) = raw.verbatim_span(inner) else {
        return Err(LeftReason::NotVerbatim);
    };
    // The value must feed image references only: `${PY}` in a RUN line would read the digest.
    let uses = count_uses(&plan.source.text, name);
    let image_uses = sites
        .images
        .iter()
        .filter(|s| s.tail_param.as_deref() == Some(name))
        .count();
    if uses > image_uses {
        return Err(LeftReason::Other(format!(
            "`ARG {name}` is also used outside image references: write the digest by hand"
        )));
    }
    Ok((span, format!("{value}@{digest}")))
}

/// How many times `$name` / `${name…}` appears in `text`.
fn count_uses(text: &str, name: &str) -> usize {
    let b = text.as_bytes();
    let is_name_byte = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut n = 0;
    for (i, _) in text.match_indices('$') {
        let start = if b.get(i + 1) == Some(&b'{') {
            i + 2
        } else {
            i + 1
        };
        let end = (start..b.len())
            .find(|&j| !is_name_byte(b[j]))
            .unwrap_or(b.len());
        if &text[start..end] == name {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests;
