//! Compose files (`compose.yaml`, `docker-compose.yml`, `docker-compose.*.yml` …):
//! `services.*.image` under PD201/PD202/PD203, with `${VAR}`, `${VAR:-default}` and
//! `${VAR-default}` resolved from the `.env` next to the file, as Compose does. Spans point
//! at the image value. Parsed with `saphyr` (YAML 1.2, with the position of every node).

use std::collections::BTreeMap;
use std::path::Path;

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use super::dockerfile::image_ref;
use crate::config::Settings;
use crate::diagnostic::Finding;
use crate::registry::Rule;
use crate::source::SourceFile;
use crate::span::Span;

/// Is this file name one Compose reads by default, or an override or variant file
/// (`compose.override.yaml`, `docker-compose.prod.yml`)? `.yaml` and `.yml` alike; the
/// part between the dots is not empty. Case-sensitive, as Compose is.
pub fn is_compose_name(name: &str) -> bool {
    let Some(stem) = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))
    else {
        return false;
    };
    let Some(rest) = stem
        .strip_prefix("docker-compose")
        .or_else(|| stem.strip_prefix("compose"))
    else {
        return false;
    };
    rest.is_empty() || rest.strip_prefix('.').is_some_and(|m| !m.is_empty())
}

/// One `services.NAME.image` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeImage {
    pub service: String,
    /// As written (before interpolation).
    pub written: String,
    /// After interpolation; `None` when a variable has no value and no default.
    pub resolved: Option<String>,
    /// Bytes of the value in the file (the scalar, quotes included when quoted).
    pub span: Span,
}

/// `KEY=VALUE` lines of a `.env` file (comments, `export `, and one level of quotes).
pub fn parse_dotenv(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim();
        let v = if (v.starts_with('"') && v.ends_with('"') && v.len() >= 2)
            || (v.starts_with('\'') && v.ends_with('\'') && v.len() >= 2)
        {
            v[1..v.len() - 1].to_string()
        } else {
            v.split(" #").next().unwrap_or(v).trim().to_string()
        };
        out.insert(k.trim().to_string(), v);
    }
    out
}

/// Compose interpolation: `$$` is `$`; `${VAR}`, `$VAR`, `${VAR:-d}` (unset or empty),
/// `${VAR-d}` (unset). `None` when a variable has no value and no default (or `${VAR:?}`).
pub fn interpolate(s: &str, vars: &BTreeMap<String, String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = body.find('}')?;
            let expr = &body[..end];
            let name_end = expr
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(expr.len());
            let (name, op) = expr.split_at(name_end);
            let value = vars.get(name);
            let v = if let Some(d) = op.strip_prefix(":-") {
                value
                    .filter(|v| !v.is_empty())
                    .cloned()
                    .unwrap_or(interpolate(d, vars)?)
            } else if let Some(d) = op.strip_prefix('-') {
                value.cloned().unwrap_or(interpolate(d, vars)?)
            } else if op.is_empty() {
                value.cloned()?
            } else {
                // `:?`, `?`, `:+`, `+`: required or alternative values, not resolved here.
                return None;
            };
            out.push_str(&v);
            rest = &body[end + 1..];
        } else {
            let name_end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if name_end == 0 {
                out.push('$');
                rest = after;
                continue;
            }
            out.push_str(vars.get(&after[..name_end])?);
            rest = &after[name_end..];
        }
    }
    out.push_str(rest);
    Some(out)
}

/// Character indexes (saphyr's markers) to byte offsets, in constant time: the identity for
/// ASCII text, a table otherwise (built once per file, not once per node).
struct Offsets {
    len: usize,
    /// Byte offset of every character; empty when the text is ASCII.
    table: Vec<usize>,
}

impl Offsets {
    fn new(text: &str) -> Self {
        let table = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices().map(|(b, _)| b).collect()
        };
        Self {
            len: text.len(),
            table,
        }
    }

    fn byte(&self, chars: usize) -> usize {
        if self.table.is_empty() {
            chars.min(self.len)
        } else {
            self.table.get(chars).copied().unwrap_or(self.len)
        }
    }

    fn span(&self, node: &MarkedYaml<'_>) -> Span {
        let start = self.byte(node.span.start.index());
        Span {
            start,
            end: self.byte(node.span.end.index()).max(start),
        }
    }
}

/// How deep merge keys (`<<: *base`, whose anchor may itself merge another) are followed.
const MERGE_DEPTH: usize = 16;

/// `key` of a mapping, as YAML's merge keys make it: the mapping's own key first, then
/// the mappings `<<` names (`<<: *base`, `<<: [*a, *b]`, earlier ones first), followed
/// recursively. Compose (compose-go, and docker-compose 1.x through PyYAML) reads them so.
pub(crate) fn get<'a, 'i>(node: &'a MarkedYaml<'i>, key: &str) -> Option<&'a MarkedYaml<'i>> {
    get_within(node, key, MERGE_DEPTH)
}

fn get_within<'a, 'i>(
    node: &'a MarkedYaml<'i>,
    key: &str,
    depth: usize,
) -> Option<&'a MarkedYaml<'i>> {
    if !node.data.is_mapping() {
        return None;
    }
    if let Some(value) = node.data.as_mapping_get(key) {
        return Some(value);
    }
    let depth = depth.checked_sub(1)?;
    let merged = node.data.as_mapping_get("<<")?;
    match &merged.data {
        YamlData::Mapping(_) => get_within(merged, key, depth),
        YamlData::Sequence(items) => items.iter().find_map(|m| get_within(m, key, depth)),
        _ => None,
    }
}

/// The entries of a mapping with its merge keys applied: its own keys win over merged
/// ones, an earlier merged mapping over a later one. In file order, own keys first.
fn entries<'a, 'i>(node: &'a MarkedYaml<'i>) -> Vec<(String, &'a MarkedYaml<'i>)> {
    type Seen = std::collections::HashSet<String>;
    fn fill<'a, 'i>(
        node: &'a MarkedYaml<'i>,
        out: &mut Vec<(String, &'a MarkedYaml<'i>)>,
        seen: &mut Seen,
        depth: usize,
    ) {
        let YamlData::Mapping(m) = &node.data else {
            return;
        };
        for (k, v) in m.iter() {
            if let Some(k) = scalar_text(k).filter(|k| k != "<<") {
                if seen.insert(k.clone()) {
                    out.push((k, v));
                }
            }
        }
        let Some(depth) = depth.checked_sub(1) else {
            return;
        };
        let Some(merged) = node.data.as_mapping_get("<<") else {
            return;
        };
        match &merged.data {
            YamlData::Mapping(_) => fill(merged, out, seen, depth),
            YamlData::Sequence(items) => {
                for item in items {
                    fill(item, out, seen, depth);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    fill(node, &mut out, &mut Seen::default(), MERGE_DEPTH);
    out
}

/// The services of a Compose document: what `services:` holds, each with its definition.
/// Top-level extension fields (`x-base: &base {image: …}`) are not services: their values
/// count where a service reaches them through an alias or a merge key. A key under
/// `services:` is a service whatever its name (`x-helper` too, as `docker-compose config`
/// has it: the Compose spec ignores `x-` keys only where names are not the user's).
fn services<'a, 'i>(doc: &'a MarkedYaml<'i>) -> Vec<(String, &'a MarkedYaml<'i>)> {
    get(doc, "services").map(entries).unwrap_or_default()
}

/// The byte span of a node's value in `text`. A value that comes through an alias
/// (`image: *py`) points at the anchored value (`x-py: &py python:3.12`), where it is
/// written; saphyr gives an alias the span of the `*py` itself.
fn value_span(text: &str, offsets: &Offsets, node: &MarkedYaml<'_>, doc: &MarkedYaml<'_>) -> Span {
    let span = scalar_end(text, without_properties(text, offsets.span(node)));
    let written = &text[span.start..span.end];
    let Some(alias) = written.strip_prefix('*') else {
        return span;
    };
    anchored_span(text, offsets, alias, span.start, doc).unwrap_or(span)
}

/// A scalar's span without the anchor and tag written before it (`&py !!str python:3`):
/// saphyr's span of such a node starts at them.
fn without_properties(text: &str, mut span: Span) -> Span {
    loop {
        let rest = &text[span.start..span.end];
        if !rest.starts_with(['&', '!']) {
            return span;
        }
        let Some(gap) = rest.find(char::is_whitespace) else {
            return span;
        };
        let value = rest[gap..].trim_start();
        span.start = span.end - value.len();
    }
}

/// A scalar's span ending where the scalar does: saphyr's span of a block-context scalar
/// runs on over the spaces and the comment after it, up to the next token. A quoted
/// scalar ends at its closing quote; a plain one before ` #` and trailing white space.
fn scalar_end(text: &str, span: Span) -> Span {
    let held = &text[span.start..span.end];
    let end = if let Some(body) = held.strip_prefix('"') {
        let mut escaped = false;
        body.char_indices()
            .find(|&(_, c)| {
                let close = c == '"' && !escaped;
                escaped = c == '\\' && !escaped;
                close
            })
            .map(|(i, _)| 1 + i + 1)
    } else if let Some(body) = held.strip_prefix('\'') {
        let bytes = body.as_bytes();
        let mut i = 0;
        let mut close = None;
        while i < bytes.len() {
            if bytes[i] == b'\'' {
                if bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                close = Some(1 + i + 1);
                break;
            }
            i += 1;
        }
        close
    } else {
        let cut = [" #", "\t#"]
            .iter()
            .filter_map(|c| held.find(c))
            .min()
            .unwrap_or(held.len());
        Some(held[..cut].trim_end().len())
    };
    Span {
        start: span.start,
        end: span.start + end.unwrap_or(held.len()),
    }
}

/// The span of the scalar `&name` anchors, the last such anchor before `before`.
fn anchored_span(
    text: &str,
    offsets: &Offsets,
    name: &str,
    before: usize,
    doc: &MarkedYaml<'_>,
) -> Option<Span> {
    let marker = format!("&{name}");
    let head = &text[..before];
    let mut search = head.len();
    let anchor_end = loop {
        let at = head[..search].rfind(&marker)?;
        let end = at + marker.len();
        let next = head[end..].chars().next();
        if next.is_none_or(|c| c.is_whitespace() || matches!(c, ',' | ']' | '}')) {
            break end;
        }
        search = at;
    };
    let mut best: Option<Span> = None;
    let mut stack = vec![doc];
    while let Some(node) = stack.pop() {
        match &node.data {
            YamlData::Mapping(m) => {
                for (k, v) in m.iter() {
                    stack.push(k);
                    stack.push(v);
                }
            }
            YamlData::Sequence(items) => stack.extend(items.iter()),
            _ => {
                let Span { start, end } = offsets.span(node);
                // saphyr's span of an anchored scalar starts at its `&name`.
                if end > anchor_end
                    && start < before
                    && !text[start..end].starts_with('*')
                    && best.is_none_or(|b| start < b.start)
                {
                    best = Some(scalar_end(
                        text,
                        without_properties(text, Span { start, end }),
                    ));
                }
            }
        }
    }
    best
}

/// Every `services.*.image` of a Compose file, or the parser's error.
pub fn images(text: &str, vars: &BTreeMap<String, String>) -> Result<Vec<ComposeImage>, String> {
    let docs = MarkedYaml::load_from_str(text).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let Some(doc) = docs.first() else {
        return Ok(out);
    };
    let offsets = Offsets::new(text);
    for (name, service) in services(doc) {
        let Some(image) = get(service, "image") else {
            continue;
        };
        let written = match &image.data {
            YamlData::Value(Scalar::String(s)) => s.to_string(),
            YamlData::Representation(s, _, _) => s.to_string(),
            _ => continue,
        };
        out.push(ComposeImage {
            service: name,
            resolved: interpolate(&written, vars),
            written,
            span: value_span(text, &offsets, image, doc),
        });
    }
    Ok(out)
}

/// One `services.NAME.build`: the Dockerfile it builds and the args Compose passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeBuild {
    pub service: String,
    /// The build context, relative to the Compose file's folder (joined with it).
    pub context: std::path::PathBuf,
    /// `context/dockerfile` (default `Dockerfile`).
    pub dockerfile: std::path::PathBuf,
    /// `build.args`, interpolated; an arg without a value (or with an unresolved variable)
    /// is left out, as Compose leaves it to the Dockerfile's default.
    pub args: Vec<(String, String)>,
}

fn scalar_text(node: &MarkedYaml<'_>) -> Option<String> {
    match &node.data {
        YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
        YamlData::Value(Scalar::Integer(i)) => Some(i.to_string()),
        YamlData::Value(Scalar::FloatingPoint(f)) => Some(f.to_string()),
        YamlData::Value(Scalar::Boolean(b)) => Some(b.to_string()),
        YamlData::Representation(s, _, _) => Some(s.to_string()),
        _ => None,
    }
}

/// Every `services.*.build` of a Compose file in folder `dir`.
pub fn builds(
    text: &str,
    dir: &Path,
    vars: &BTreeMap<String, String>,
) -> Result<Vec<ComposeBuild>, String> {
    let docs = MarkedYaml::load_from_str(text).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let Some(doc) = docs.first() else {
        return Ok(out);
    };
    for (name, service) in services(doc) {
        let Some(build) = get(service, "build") else {
            continue;
        };
        let (context, dockerfile, args) = match &build.data {
            YamlData::Mapping(_) => (
                get(build, "context").and_then(scalar_text),
                get(build, "dockerfile").and_then(scalar_text),
                get(build, "args"),
            ),
            _ => (scalar_text(build), None, None),
        };
        if get(build, "dockerfile_inline").is_some() {
            continue;
        }
        let Some(context) = interpolate(context.as_deref().unwrap_or("."), vars) else {
            continue;
        };
        if context.contains("://") || context.starts_with("git@") {
            continue; // a remote context: nothing on disk to lint
        }
        let Some(dockerfile) = interpolate(dockerfile.as_deref().unwrap_or("Dockerfile"), vars)
        else {
            continue;
        };
        let mut pairs = Vec::new();
        match args.map(|a| &a.data) {
            Some(YamlData::Mapping(_)) => {
                for (k, v) in args.map(entries).unwrap_or_default() {
                    if let Some(v) = scalar_text(v) {
                        if let Some(v) = interpolate(&v, vars) {
                            pairs.push((k, v));
                        }
                    }
                }
            }
            Some(YamlData::Sequence(items)) => {
                for item in items {
                    if let Some((k, v)) =
                        scalar_text(item).as_deref().and_then(|t| t.split_once('='))
                    {
                        if let Some(v) = interpolate(v, vars) {
                            pairs.push((k.to_string(), v));
                        }
                    }
                }
            }
            _ => {}
        }
        let context = dir.join(context);
        out.push(ComposeBuild {
            service: name,
            dockerfile: context.join(dockerfile),
            context,
            args: pairs,
        });
    }
    Ok(out)
}

/// How a Compose file reaches another: a top-level `include:` entry, or a service's
/// `extends: {file: …}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceKind {
    Include,
    Extends,
}

impl ReferenceKind {
    pub fn key(self) -> &'static str {
        match self {
            Self::Include => "include",
            Self::Extends => "extends.file",
        }
    }
}

/// Another Compose file that this one reads services from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeReference {
    pub kind: ReferenceKind,
    /// As written.
    pub written: String,
    /// Interpolated and joined with the Compose file's folder; None when a variable is unset.
    pub path: Option<std::path::PathBuf>,
    /// A remote include (`oci://…`, a git URL): nothing on disk to read.
    pub remote: bool,
    /// Bytes of the value in the file.
    pub span: Span,
}

/// Every file a Compose file in folder `dir` reads services from: `include:` (a path, or
/// `path:` as one path or a list) and `services.*.extends.file`, in file order.
pub fn references(
    text: &str,
    dir: &Path,
    vars: &BTreeMap<String, String>,
) -> Result<Vec<ComposeReference>, String> {
    let docs = MarkedYaml::load_from_str(text).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let Some(doc) = docs.first() else {
        return Ok(out);
    };
    let offsets = Offsets::new(text);
    let mut push = |kind, node: &MarkedYaml<'_>| {
        let Some(written) = scalar_text(node) else {
            return;
        };
        let resolved = interpolate(&written, vars);
        let remote = resolved
            .as_deref()
            .is_some_and(|p| p.contains("://") || p.starts_with("git@"));
        out.push(ComposeReference {
            kind,
            path: resolved.filter(|_| !remote).map(|p| dir.join(p)),
            remote,
            span: value_span(text, &offsets, node, doc),
            written,
        });
    };
    if let Some(YamlData::Sequence(items)) = get(doc, "include").map(|i| &i.data) {
        for item in items {
            match get(item, "path").map(|p| (p, &p.data)) {
                Some((_, YamlData::Sequence(paths))) => {
                    for path in paths {
                        push(ReferenceKind::Include, path);
                    }
                }
                Some((path, _)) => push(ReferenceKind::Include, path),
                None => push(ReferenceKind::Include, item),
            }
        }
    }
    for (_, service) in services(doc) {
        if let Some(file) = get(service, "extends").and_then(|e| get(e, "file")) {
            push(ReferenceKind::Extends, file);
        }
    }
    Ok(out)
}

/// The `.env` next to a Compose file, if it is there and readable.
pub fn dotenv_for(compose: &Path, max_file_size: u64) -> BTreeMap<String, String> {
    compose
        .parent()
        .map(|d| d.join(".env"))
        .filter(|p| p.is_file())
        .and_then(|p| crate::read::read_regular(&p, max_file_size).ok())
        .map(|b| parse_dotenv(&String::from_utf8_lossy(&b)))
        .unwrap_or_default()
}

/// Lint one Compose file: PD201/PD202/PD203 on every service's image.
pub fn lint_compose(source: &SourceFile, settings: &Settings) -> Result<Vec<Finding>, String> {
    let vars = dotenv_for(&source.path, settings.max_file_size);
    let mut findings = Vec::new();
    for img in images(&source.text, &vars)? {
        let Some(text) = img.resolved.as_deref() else {
            continue;
        };
        let Ok(r) = image_ref::parse(text) else {
            continue;
        };
        let what = format!("service `{}` image", img.service);
        let shown = if text == img.written {
            format!("`{text}`")
        } else {
            format!("`{}` (`{text}`)", img.written)
        };
        if r.digest.is_some() {
            continue;
        }
        let f = match r.tag.as_deref() {
            None => Finding::new(
                Rule::ImageWithoutTag,
                source,
                img.span,
                format!("{what} {shown} has no tag: it is whatever `latest` is today"),
            )
            .with_hint(format!(
                "name the version you tested, e.g. `{}:<tag>@sha256:<digest>`",
                r.name()
            )),
            Some("latest") => Finding::new(
                Rule::LatestTag,
                source,
                img.span,
                format!("{what} {shown} uses the `latest` tag, which moves"),
            )
            .with_hint(format!("use a version tag, e.g. `{}:<version>`", r.name())),
            Some(_) if settings.strict() => Finding::new(
                Rule::TagWithoutDigest,
                source,
                img.span,
                format!("{what} {shown} has a tag but no digest: the tag can be re-pushed"),
            )
            .with_hint(format!(
                "append the digest you tested: `{text}@sha256:<digest>`"
            )),
            Some(_) => continue,
        };
        findings.push(f);
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn names() {
        for n in [
            "compose.yaml",
            "compose.yml",
            "docker-compose.yml",
            "docker-compose.yaml",
            "docker-compose.prod.yml",
            "docker-compose.prod.yaml",
            "compose.override.yaml",
            "compose.override.yml",
            "docker-compose.override.yml",
        ] {
            assert!(is_compose_name(n), "{n}");
        }
        for n in [
            "docker-compose.yml.bak",
            "compose.json",
            "docker-compose..yml",
            "compose..yaml",
            "mycompose.yml",
            "compose-prod.yml",
            "Compose.yaml",
            "compose.yaml~",
        ] {
            assert!(!is_compose_name(n), "{n}");
        }
    }

    #[test]
    fn interpolation_as_compose_does_it() {
        let v = vars(&[("TAG", "3.12-slim"), ("EMPTY", "")]);
        assert_eq!(
            interpolate("python:${TAG}", &v).as_deref(),
            Some("python:3.12-slim")
        );
        assert_eq!(
            interpolate("python:$TAG", &v).as_deref(),
            Some("python:3.12-slim")
        );
        assert_eq!(
            interpolate("redis:${R:-7.2}", &v).as_deref(),
            Some("redis:7.2")
        );
        assert_eq!(
            interpolate("redis:${EMPTY:-7.2}", &v).as_deref(),
            Some("redis:7.2")
        );
        assert_eq!(
            interpolate("redis${EMPTY-:7.2}", &v).as_deref(),
            Some("redis")
        );
        assert_eq!(interpolate("a$$b", &v).as_deref(), Some("a$b"));
        assert_eq!(interpolate("x:${NOPE}", &v), None);
        assert_eq!(interpolate("x:${NOPE:?set it}", &v), None);
    }

    #[test]
    fn dotenv() {
        let v = parse_dotenv("# c\nTAG=3.12\nexport PG=\"16.4\"\nQ='a b'\nX=1 # note\n\n");
        assert_eq!(v["TAG"], "3.12");
        assert_eq!(v["PG"], "16.4");
        assert_eq!(v["Q"], "a b");
        assert_eq!(v["X"], "1");
    }

    #[test]
    fn build_contexts_and_args() {
        let text = "services:\n  a:\n    build: ./svc\n  b:\n    build:\n      context: ${CTX:-api}\n      dockerfile: docker/Dockerfile.prod\n      args:\n        - PY=3.12\n        - BARE\n        - TAG=${T}\n  c:\n    build:\n      context: https://github.com/a/b.git\n  d:\n    build:\n      args:\n        N: 1\n";
        let got = builds(text, Path::new("root"), &vars(&[("T", "x")])).unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].dockerfile, Path::new("root/./svc/Dockerfile"));
        assert_eq!(got[1].context, Path::new("root/api"));
        assert_eq!(
            got[1].dockerfile,
            Path::new("root/api/docker/Dockerfile.prod")
        );
        assert_eq!(
            got[1].args,
            [
                ("PY".to_string(), "3.12".to_string()),
                ("TAG".into(), "x".into())
            ]
        );
        assert_eq!(got[2].service, "d");
        assert_eq!(got[2].args, [("N".to_string(), "1".to_string())]);
    }

    #[test]
    fn includes_and_extends_files() {
        let text = "include:\n  - common/services.yml\n  - path: ${DIR:-ops}/db.yaml\n  - path: [a.yml, \"b.yml\"]\n    env_file: x.env\n  - oci://registry/app:1\n  - path: ${UNSET}/c.yml\nservices:\n  web:\n    extends:\n      file: base.yml\n      service: app\n  worker:\n    extends: web\n";
        let got = references(text, Path::new("root"), &BTreeMap::new()).unwrap();
        let paths: Vec<_> = got
            .iter()
            .map(|r| (r.kind, r.path.clone(), r.remote))
            .collect();
        let p = |s: &str| Some(std::path::PathBuf::from(s));
        assert_eq!(
            paths,
            [
                (ReferenceKind::Include, p("root/common/services.yml"), false),
                (ReferenceKind::Include, p("root/ops/db.yaml"), false),
                (ReferenceKind::Include, p("root/a.yml"), false),
                (ReferenceKind::Include, p("root/b.yml"), false),
                (ReferenceKind::Include, None, true),
                (ReferenceKind::Include, None, false),
                (ReferenceKind::Extends, p("root/base.yml"), false),
            ]
        );
        assert_eq!(
            &text[got[0].span.start..got[0].span.end],
            "common/services.yml"
        );
        assert_eq!(&text[got[3].span.start..got[3].span.end], "\"b.yml\"");
        assert_eq!(got[5].written, "${UNSET}/c.yml");
        assert!(references("include: [", Path::new("."), &BTreeMap::new()).is_err());
        assert!(references("include: 3\n", Path::new("."), &BTreeMap::new())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn image_spans() {
        let text = "services:\n  web:\n    image: \"app:${TAG:-1.0}\"\n  db:\n    image: postgres\n  worker:\n    build: .\n";
        let got = images(text, &BTreeMap::new()).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].service, "web");
        assert_eq!(got[0].resolved.as_deref(), Some("app:1.0"));
        assert_eq!(&text[got[1].span.start..got[1].span.end], "postgres");
        assert!(text[got[0].span.start..got[0].span.end].contains("app:${TAG:-1.0}"));
        assert!(images("services: [", &BTreeMap::new()).is_err());
        // Flow style, block scalars, anchors, non-ASCII before the value, a list of services.
        for odd in [
            "services: {web: {image: 'app:1'}}",
            "x: &a python:3\nservices:\n  web:\n    image: *a\n",
            "# é ü\nservices:\n  w:\n    image: >-\n      app:2\n",
            "services:\n  - image: a\n",
            "services:\n  w:\n    image: [a]\n",
            "",
        ] {
            for i in images(odd, &BTreeMap::new()).unwrap() {
                assert!(
                    i.span.start <= i.span.end && i.span.end <= odd.len(),
                    "{odd}"
                );
                assert!(odd.is_char_boundary(i.span.start), "{odd}");
            }
        }
        let flow = images("services: {web: {image: 'app:1'}}", &BTreeMap::new()).unwrap();
        assert_eq!(flow[0].resolved.as_deref(), Some("app:1"));
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let text = "x-base: &base\n  image: python:3.12\n  build:\n    context: app\n    args: &args\n      PY: \"3.12\"\nx-py: &py \"redis:7\"\nservices:\n  web:\n    <<: *base\n  worker:\n    <<: [*base]\n    image: *py\n    build:\n      context: w\n      args:\n        <<: *args\n        EXTRA: 1\n  plain: {image: 'a:1'}\n";
        let got = images(text, &BTreeMap::new()).unwrap();
        let names: Vec<_> = got.iter().map(|i| i.service.as_str()).collect();
        assert_eq!(names, ["web", "worker", "plain"]);
        let at = |i: &ComposeImage| &text[i.span.start..i.span.end];
        assert_eq!(got[0].written, "python:3.12");
        assert_eq!(at(&got[0]), "python:3.12");
        assert_eq!(got[0].span.start, text.find("python:3.12").unwrap());
        assert_eq!(got[1].written, "redis:7");
        assert_eq!(at(&got[1]), "\"redis:7\"");
        assert_eq!(at(&got[2]), "'a:1'");
        let b = builds(text, Path::new("r"), &BTreeMap::new()).unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].context, Path::new("r/app"));
        assert_eq!(b[0].args, [("PY".to_string(), "3.12".to_string())]);
        assert_eq!(b[1].context, Path::new("r/w"));
        assert_eq!(
            b[1].args,
            [
                ("EXTRA".to_string(), "1".to_string()),
                ("PY".to_string(), "3.12".to_string())
            ],
            "own keys first, then merged ones"
        );
        // An anchor on the image value itself: the span is the value, not `&img`.
        let own = images(
            "services:\n  a:\n    image: &img !!str python:3\n  b:\n    image: *img\n",
            &BTreeMap::new(),
        )
        .unwrap();
        assert_eq!(own[0].span, own[1].span);
        assert_eq!(own[0].span.end - own[0].span.start, "python:3".len());
        // Non-ASCII text before and inside the anchor: byte spans on character boundaries.
        let text = "# café ☕\nx-é: &py \"pythön:3\"\nservices:\n  a:\n    image: *py\n";
        let got = images(text, &BTreeMap::new()).unwrap();
        assert_eq!(&text[got[0].span.start..got[0].span.end], "\"pythön:3\"");
        // A mapping that merges itself (the alias is not defined yet) ends.
        let looped = images("a: &a {<<: *a}\nservices: {s: *a}\n", &BTreeMap::new());
        assert!(looped.is_ok_and(|i| i.is_empty()));
    }
}
