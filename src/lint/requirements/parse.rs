//! A requirements file read line by line exactly as pip's `req_file.py` reads it:
//! continuation joining, comment stripping, `${VAR}` expansion, splitting a line
//! into its requirement and its options, and optparse-style option parsing. Every
//! piece keeps its byte span in the original file so rules and fixes can point at it.

use super::requirement::{is_url, parse_requirement, ParsedRequirement};
use crate::diagnostic::Span;
use crate::source::SourceFile;
use crate::suppress::{parse_suppression, Suppression};

/// A parsed requirements file.
#[derive(Debug, Clone)]
pub struct RequirementsFile {
    pub source: SourceFile,
    pub lines: Vec<Line>,
}

/// One logical line (continuations joined), as pip yields it.
#[derive(Debug, Clone)]
pub struct Line {
    /// 1-based number of the first physical line, as pip reports it.
    pub line: u32,
    /// Span of the line's content (comment excluded).
    pub span: Span,
    pub kind: LineKind,
    pub suppression: Option<Suppression>,
}

// Lines are few and live in one Vec per file; boxing the large variant would cost an
// allocation per requirement for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum LineKind {
    Requirement(RequirementLine),
    /// `-r FILE` (constraint = false) or `-c FILE`.
    Include {
        constraint: bool,
        target: String,
        target_span: Span,
    },
    /// A line of file-wide options (`--index-url`, `--require-hashes`, ...).
    Options {
        require_hashes: bool,
    },
    /// A line pip would reject.
    Invalid {
        message: String,
        span: Span,
    },
}

#[derive(Debug, Clone)]
pub struct RequirementLine {
    /// The requirement text as pip sees it (after `${VAR}` expansion).
    pub text: String,
    /// Where that text stands in the file.
    pub span: Span,
    pub editable: bool,
    pub hashes: Vec<String>,
    pub requirement: ParsedRequirement,
}

/// A string built from pieces of the file, remembering for every byte where it came from.
struct Mapped {
    text: String,
    origin: Vec<usize>,
}

impl Mapped {
    fn new() -> Self {
        Self {
            text: String::new(),
            origin: Vec::new(),
        }
    }

    fn push_from(&mut self, piece: &str, start: usize) {
        self.text.push_str(piece);
        self.origin.extend(start..start + piece.len());
    }

    fn push_synthetic(&mut self, piece: &str, origin: usize) {
        self.text.push_str(piece);
        self.origin.extend(std::iter::repeat_n(origin, piece.len()));
    }

    /// The original span covering bytes `start..end` of this string.
    fn span(&self, start: usize, end: usize) -> Span {
        if self.origin.is_empty() {
            return Span::new(0, 0);
        }
        let first = self.origin[start.min(self.origin.len() - 1)];
        let last = if end > start {
            self.origin[(end - 1).min(self.origin.len() - 1)] + 1
        } else {
            first
        };
        Span::new(first, last.max(first))
    }

    fn slice(&self, start: usize, end: usize) -> Mapped {
        Mapped {
            text: self.text[start..end].to_string(),
            origin: self.origin[start..end].to_vec(),
        }
    }
}

/// Physical lines: (start, end without terminator).
fn physical_lines(text: &str) -> Vec<(usize, usize)> {
    let mut lines = Vec::new();
    let mut start = 0;
    for newline in memchr::memchr_iter(b'\n', text.as_bytes()) {
        let end = if newline > start && text.as_bytes()[newline - 1] == b'\r' {
            newline - 1
        } else {
            newline
        };
        lines.push((start, end));
        start = newline + 1;
    }
    if start < text.len() {
        let end = if text.ends_with('\r') {
            text.len() - 1
        } else {
            text.len()
        };
        lines.push((start, end));
    }
    lines
}

/// pip's COMMENT_RE `(^|\s+)#.*$`: where the comment (with the white space before it) starts,
/// and where the `#` is.
fn comment_start(text: &str) -> Option<(usize, usize)> {
    let mut previous_whitespace_start: Option<usize> = None;
    for (index, c) in text.char_indices() {
        if c == '#' {
            if index == 0 {
                return Some((0, 0));
            }
            if let Some(ws) = previous_whitespace_start {
                return Some((ws, index));
            }
        }
        if c.is_whitespace() {
            previous_whitespace_start.get_or_insert(index);
        } else {
            previous_whitespace_start = None;
        }
    }
    None
}

fn is_comment_line(text: &str) -> bool {
    text.trim_start().starts_with('#')
}

/// pip's `join_lines`: returns (first line number, joined text).
fn join_lines(source: &SourceFile) -> Vec<(u32, Mapped)> {
    let text = source.text.as_str();
    let mut joined = Vec::new();
    let mut pending: Option<(u32, Mapped)> = None;
    for (index, (start, end)) in physical_lines(text).into_iter().enumerate() {
        let number = index as u32 + 1;
        let line = &text[start..end];
        if !line.ends_with('\\') || is_comment_line(line) {
            let mut current = pending.take().unwrap_or_else(|| (number, Mapped::new()));
            if is_comment_line(line) {
                // pip prefixes comment lines with a space so the comment is always stripped.
                current.1.push_synthetic(" ", start);
            }
            current.1.push_from(line, start);
            joined.push(current);
        } else {
            let stripped_start = line.len() - line.trim_start_matches('\\').len();
            let stripped = line.trim_matches('\\');
            let entry = pending.get_or_insert_with(|| (number, Mapped::new()));
            entry.1.push_from(stripped, start + stripped_start);
        }
    }
    if let Some(last) = pending {
        joined.push(last);
    }
    joined
}

/// pip's ENV_VAR_RE expansion: `${NAME}` with NAME of `[A-Z0-9_]+`, replaced when set and non-empty.
fn expand_env(line: Mapped, lookup: &dyn Fn(&str) -> Option<String>) -> Mapped {
    if !line.text.contains("${") {
        return line;
    }
    let mut out = Mapped::new();
    let bytes = line.text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'$' && bytes.get(index + 1) == Some(&b'{') {
            let name_start = index + 2;
            let name_len = bytes[name_start..]
                .iter()
                .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || **b == b'_')
                .count();
            let close = name_start + name_len;
            if name_len > 0 && bytes.get(close) == Some(&b'}') {
                if let Some(value) = lookup(&line.text[name_start..close]).filter(|v| !v.is_empty())
                {
                    out.push_synthetic(&value, line.origin[index]);
                    index = close + 1;
                    continue;
                }
            }
        }
        let char_len = line.text[index..].chars().next().map_or(1, char::len_utf8);
        out.text.push_str(&line.text[index..index + char_len]);
        out.origin
            .extend_from_slice(&line.origin[index..index + char_len]);
        index += char_len;
    }
    out
}

/// A token of the options part, with its span in the (mapped) line.
#[derive(Debug)]
struct Token {
    text: String,
    start: usize,
    end: usize,
}

/// POSIX `shlex.split` with positions.
fn shlex_split(text: &str, offset: usize) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut token = String::new();
        let mut end = start;
        while let Some(&(index, c)) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            chars.next();
            end = index + c.len_utf8();
            match c {
                '\'' => loop {
                    match chars.next() {
                        Some((i, '\'')) => {
                            end = i + 1;
                            break;
                        }
                        Some((_, other)) => token.push(other),
                        None => return Err("No closing quotation".into()),
                    }
                },
                '"' => loop {
                    match chars.next() {
                        Some((i, '"')) => {
                            end = i + 1;
                            break;
                        }
                        Some((_, '\\')) => match chars.next() {
                            Some((_, escaped @ ('"' | '\\'))) => token.push(escaped),
                            Some((_, other)) => {
                                token.push('\\');
                                token.push(other);
                            }
                            None => return Err("No closing quotation".into()),
                        },
                        Some((_, other)) => token.push(other),
                        None => return Err("No closing quotation".into()),
                    }
                },
                '\\' => match chars.next() {
                    Some((i, escaped)) => {
                        token.push(escaped);
                        end = i + escaped.len_utf8();
                    }
                    None => return Err("No escaped character".into()),
                },
                other => token.push(other),
            }
        }
        tokens.push(Token {
            text: token,
            start: offset + start,
            end: offset + end,
        });
    }
    Ok(tokens)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Opt {
    IndexUrl,
    ExtraIndexUrl,
    NoIndex,
    Constraint,
    Requirement,
    Editable,
    FindLinks,
    NoBinary,
    OnlyBinary,
    PreferBinary,
    RequireHashes,
    Pre,
    TrustedHost,
    UseFeature,
    GlobalOption,
    Hash,
    ConfigSettings,
}

const LONG_OPTIONS: &[(&str, Opt, bool)] = &[
    ("--index-url", Opt::IndexUrl, true),
    ("--extra-index-url", Opt::ExtraIndexUrl, true),
    ("--no-index", Opt::NoIndex, false),
    ("--constraint", Opt::Constraint, true),
    ("--requirement", Opt::Requirement, true),
    ("--editable", Opt::Editable, true),
    ("--find-links", Opt::FindLinks, true),
    ("--no-binary", Opt::NoBinary, true),
    ("--only-binary", Opt::OnlyBinary, true),
    ("--prefer-binary", Opt::PreferBinary, false),
    ("--require-hashes", Opt::RequireHashes, false),
    ("--pre", Opt::Pre, false),
    ("--trusted-host", Opt::TrustedHost, true),
    ("--use-feature", Opt::UseFeature, true),
    ("--global-option", Opt::GlobalOption, true),
    ("--hash", Opt::Hash, true),
    ("--config-settings", Opt::ConfigSettings, true),
];

const SHORT_OPTIONS: &[(char, Opt)] = &[
    ('i', Opt::IndexUrl),
    ('c', Opt::Constraint),
    ('r', Opt::Requirement),
    ('e', Opt::Editable),
    ('f', Opt::FindLinks),
];

/// optparse's long-option lookup, with unique-prefix abbreviations.
fn find_long(name: &str) -> Result<(Opt, bool, &'static str), String> {
    if let Some(&(full, opt, takes)) = LONG_OPTIONS.iter().find(|(full, ..)| *full == name) {
        return Ok((opt, takes, full));
    }
    let matches: Vec<_> = LONG_OPTIONS
        .iter()
        .filter(|(full, ..)| full.starts_with(name))
        .collect();
    match matches.as_slice() {
        [(full, opt, takes)] => Ok((*opt, *takes, full)),
        [] => Err(format!("no such option: {name}")),
        many => Err(format!(
            "ambiguous option: {name} ({}?)",
            many.iter()
                .map(|(full, ..)| *full)
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

#[derive(Default)]
struct ParsedOptions {
    requirements: Vec<(String, usize, usize)>,
    constraints: Vec<(String, usize, usize)>,
    editables: Vec<(String, usize, usize)>,
    hashes: Vec<String>,
    require_hashes: bool,
}

/// optparse over the option tokens of one line.
fn parse_options(tokens: &[Token]) -> Result<ParsedOptions, String> {
    let mut parsed = ParsedOptions::default();
    let mut index = 0;
    while index < tokens.len() {
        let token = &tokens[index];
        index += 1;
        let text = token.text.as_str();
        if text == "--" {
            break;
        }
        let (opt, value) = if let Some(long) = text.strip_prefix("--").map(|_| text) {
            let (name, inline) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (long, None),
            };
            let (opt, takes_value, full) = find_long(name)?;
            if !takes_value {
                if inline.is_some() {
                    return Err(format!("{full} option does not take a value"));
                }
                (opt, None)
            } else if let Some(value) = inline {
                let value_start = token.end - value.len();
                (opt, Some((value.to_string(), value_start, token.end)))
            } else {
                let next = tokens
                    .get(index)
                    .ok_or_else(|| format!("{full} option requires 1 argument"))?;
                index += 1;
                (opt, Some((next.text.clone(), next.start, next.end)))
            }
        } else if text.len() > 1 && text.starts_with('-') {
            let short = text[1..].chars().next().unwrap_or('-');
            let Some(&(_, opt)) = SHORT_OPTIONS.iter().find(|(c, _)| *c == short) else {
                return Err(format!("no such option: -{short}"));
            };
            let attached = &text[1 + short.len_utf8()..];
            if !attached.is_empty() {
                (
                    opt,
                    Some((attached.to_string(), token.end - attached.len(), token.end)),
                )
            } else {
                let next = tokens
                    .get(index)
                    .ok_or_else(|| format!("-{short} option requires 1 argument"))?;
                index += 1;
                (opt, Some((next.text.clone(), next.start, next.end)))
            }
        } else {
            // optparse allows positional arguments between options; pip ignores them.
            continue;
        };
        match (opt, value) {
            (Opt::Requirement, Some(value)) => parsed.requirements.push(value),
            (Opt::Constraint, Some(value)) => parsed.constraints.push(value),
            (Opt::Editable, Some(value)) => parsed.editables.push(value),
            (Opt::Hash, Some((value, ..))) => {
                let Some((algorithm, _)) = value.split_once(':') else {
                    return Err("Arguments to --hash must be a hash name followed by a value, like --hash=sha256:abcde...".into());
                };
                if !matches!(algorithm, "sha256" | "sha384" | "sha512") {
                    return Err(format!(
                        "Allowed hash algorithms for --hash are sha256, sha384, sha512 (got {algorithm})."
                    ));
                }
                parsed.hashes.push(value);
            }
            (Opt::ConfigSettings, Some((value, ..))) if !value.contains('=') => {
                return Err("Arguments to --config-settings must be of the form KEY=VAL".into());
            }
            (Opt::RequireHashes, _) => parsed.require_hashes = true,
            _ => {}
        }
    }
    Ok(parsed)
}

/// Reads a requirements file as pip would, with `${VAR}` taken from `lookup`.
pub fn parse_requirements_with_env(
    source: SourceFile,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> RequirementsFile {
    let mut lines = Vec::new();
    for (number, joined) in join_lines(&source) {
        let (content_end, suppression) = match comment_start(&joined.text) {
            Some((cut, hash)) => (cut, parse_suppression(&joined.text[hash..])),
            None => (joined.text.len(), None),
        };
        let content = &joined.text[..content_end];
        let leading = content.len() - content.trim_start().len();
        let trimmed_end = content.trim_end().len();
        if trimmed_end <= leading {
            continue;
        }
        let line = expand_env(joined.slice(leading, trimmed_end), lookup);
        let span = line.span(0, line.text.len());
        let kind = parse_line(&line);
        lines.push(Line {
            line: number,
            span,
            kind,
            suppression,
        });
    }
    RequirementsFile { source, lines }
}

/// Reads a requirements file as pip would, expanding `${VAR}` from this process's environment.
pub fn parse_requirements(source: SourceFile) -> RequirementsFile {
    parse_requirements_with_env(source, &|name| std::env::var(name).ok())
}

/// pip's `break_args_options`: the requirement is everything before the first
/// space-separated token that starts with `-`.
fn split_args_options(text: &str) -> (usize, usize) {
    let mut position: usize = 0;
    for token in text.split(' ') {
        if token.starts_with('-') {
            return (position.saturating_sub(1), position);
        }
        position += token.len() + 1;
    }
    (text.len(), text.len())
}

fn parse_line(line: &Mapped) -> LineKind {
    let text = line.text.as_str();
    let (args_end, options_start) = split_args_options(text);
    let args = &text[..args_end];
    let tokens = match shlex_split(&text[options_start..], options_start) {
        Ok(tokens) => tokens,
        Err(message) => {
            return LineKind::Invalid {
                message: format!("Could not split options: {message}"),
                span: line.span(options_start, text.len()),
            }
        }
    };
    let options = match parse_options(&tokens) {
        Ok(options) => options,
        Err(message) => {
            return LineKind::Invalid {
                message,
                span: line.span(options_start, text.len()),
            }
        }
    };

    if !args.is_empty() {
        let requirement_text = args.trim_end();
        let span = line.span(0, requirement_text.len());
        return match parse_requirement(requirement_text) {
            Ok(requirement) => LineKind::Requirement(RequirementLine {
                text: requirement_text.to_string(),
                span,
                editable: false,
                hashes: options.hashes,
                requirement,
            }),
            Err(message) => LineKind::Invalid { message, span },
        };
    }
    if let Some((target, start, end)) = options.editables.into_iter().next() {
        let span = line.span(start, end);
        return match parse_editable(&target) {
            Ok(requirement) => LineKind::Requirement(RequirementLine {
                text: target,
                span,
                editable: true,
                hashes: Vec::new(),
                requirement,
            }),
            Err(message) => LineKind::Invalid { message, span },
        };
    }
    let include = options
        .requirements
        .into_iter()
        .next()
        .map(|target| (false, target))
        .or_else(|| {
            options
                .constraints
                .into_iter()
                .next()
                .map(|target| (true, target))
        });
    if let Some((constraint, (target, start, end))) = include {
        return LineKind::Include {
            constraint,
            target,
            target_span: line.span(start, end),
        };
    }
    LineKind::Options {
        require_hashes: options.require_hashes,
    }
}

/// pip's `parse_editable`: a local folder or a VCS URL (with `#egg=` for the name).
fn parse_editable(target: &str) -> Result<ParsedRequirement, String> {
    use super::requirement::RequirementSource;
    let (path, extras) = match target.strip_suffix(']').and_then(|t| t.rsplit_once('[')) {
        Some((path, extras)) if !is_url(target) => (
            path,
            extras.split(',').map(|e| e.trim().to_string()).collect(),
        ),
        _ => (target, Vec::new()),
    };
    if is_url(path) && !path.to_ascii_lowercase().starts_with("file:") {
        let parsed = parse_requirement(path)?;
        if !matches!(parsed.source, RequirementSource::Url { vcs: Some(_), .. }) {
            return Err(format!(
                "{target} is not a valid editable requirement. It should either be a path to a local project or a VCS URL (beginning with bzr+http, bzr+https, bzr+ssh, bzr+sftp, bzr+ftp, bzr+lp, bzr+file, git+http, git+https, git+ssh, git+git, git+file, hg+file, hg+http, hg+https, hg+ssh, hg+static-http, svn+ssh, svn+http, svn+https, svn+svn, svn+file)."
            ));
        }
        return Ok(parsed);
    }
    Ok(ParsedRequirement {
        name: None,
        normalized_name: None,
        extras,
        source: RequirementSource::Path {
            path: path.to_string(),
            wheel_version: None,
        },
        marker: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> RequirementsFile {
        parse_requirements_with_env(SourceFile::new("r.txt", "r.txt", text), &|name| {
            (name == "FLASK_VERSION").then(|| "2.3.2".to_string())
        })
    }

    fn requirement(line: &Line) -> &RequirementLine {
        match &line.kind {
            LineKind::Requirement(r) => r,
            other => panic!("not a requirement: {other:?}"),
        }
    }

    #[test]
    fn comments_only_at_line_start_or_after_whitespace() {
        let file =
            parse("# top\nflask==2.0 # pinned\npkg @ https://x.example/p.tar.gz#sha256=ab\n");
        assert_eq!(file.lines.len(), 2);
        assert_eq!(requirement(&file.lines[0]).text, "flask==2.0");
        assert_eq!(
            requirement(&file.lines[1]).text,
            "pkg @ https://x.example/p.tar.gz#sha256=ab"
        );
    }

    #[test]
    fn continuations_join_and_keep_the_first_line_number() {
        let src = "a==1\nflask==2.0 \\\n    --hash=sha256:abc \\\n    --hash=sha256:def\nb\n";
        let file = parse(src);
        assert_eq!(file.lines[1].line, 2);
        let flask = requirement(&file.lines[1]);
        assert_eq!(flask.hashes, vec!["sha256:abc", "sha256:def"]);
        assert_eq!(&src[flask.span.start..flask.span.end], "flask==2.0");
        assert_eq!(file.lines[2].line, 5);
    }

    #[test]
    fn includes_in_every_spelling() {
        for (text, target, constraint) in [
            ("-r base.txt", "base.txt", false),
            ("-rbase.txt", "base.txt", false),
            ("--requirement=base.txt", "base.txt", false),
            ("--requirement base.txt", "base.txt", false),
            ("-c c.txt", "c.txt", true),
            ("--constraint=c.txt", "c.txt", true),
            ("--constr c.txt", "c.txt", true),
        ] {
            let file = parse(text);
            match &file.lines[0].kind {
                LineKind::Include {
                    constraint: c,
                    target: t,
                    target_span,
                } => {
                    assert_eq!((t.as_str(), *c), (target, constraint), "{text}");
                    assert_eq!(&text[target_span.start..target_span.end], target, "{text}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn env_vars_expand_like_pip() {
        let file = parse("flask==${FLASK_VERSION}\nother==${UNSET}\n");
        assert_eq!(
            requirement(&file.lines[0])
                .requirement
                .exact_version()
                .as_deref(),
            Some("2.3.2")
        );
        assert!(matches!(file.lines[1].kind, LineKind::Invalid { .. }));
    }

    #[test]
    fn option_errors_are_invalid_lines() {
        for text in [
            "--bogus",
            "--pre=1",
            "-r",
            "flask --hash=md5:abc",
            "--requir x",
            "flask --config-settings x",
        ] {
            assert!(
                matches!(parse(text).lines[0].kind, LineKind::Invalid { .. }),
                "{text}"
            );
        }
    }

    #[test]
    fn crlf_bom_and_editables() {
        let file = parse("\u{feff}-e ./libs/core\r\n-e git+https://h.example/r.git@abc#egg=r\r\n--require-hashes\r\n");
        assert!(requirement(&file.lines[0]).editable);
        assert_eq!(
            requirement(&file.lines[1]).requirement.name.as_deref(),
            Some("r")
        );
        assert!(matches!(
            file.lines[2].kind,
            LineKind::Options {
                require_hashes: true
            }
        ));
    }

    #[test]
    fn suppression_comment_is_attached() {
        let file = parse("flask  # pindrift: ignore[PD101] tracked upstream\n");
        let s = file.lines[0].suppression.as_ref().unwrap();
        assert!(s.covers("PD101"));
    }
}
