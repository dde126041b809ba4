//! A requirements file read line by line exactly as pip's `req_file.py` reads it:
//! continuation joining, comment stripping, `${VAR}` expansion, splitting a line
//! into its requirement and its options, and optparse-style option parsing. Every
//! piece keeps its byte span in the original file so rules and fixes can point at it.

use super::requirement::{is_url, parse_requirement, ParsedRequirement, RequirementError};
use crate::source::SourceFile;
use crate::span::{Mapped, Span};
use crate::suppress::Directive;

/// A parsed requirements file.
#[derive(Debug, Clone)]
pub struct RequirementsFile {
    pub source: SourceFile,
    pub lines: Vec<Line>,
    /// `# pindrift: ignore[…]` comments: at the end of a line (that line) or on a line of
    /// their own (the next line, with only comment lines between).
    pub directives: Vec<Directive>,
}

/// One logical line (continuations joined), as pip yields it.
#[derive(Debug, Clone)]
pub struct Line {
    /// 1-based number of the first physical line, as pip reports it.
    pub line: u32,
    /// Span of the line's content (comment excluded).
    pub span: Span,
    pub kind: LineKind,
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
    /// A line pip would reject: why, the span the finding points at, and the byte offset
    /// in the file where the problem is.
    Invalid {
        error: LineError,
        span: Span,
        offset: usize,
    },
}

/// Why pip would reject a line, in pip's (optparse's, shlex's) words. Offsets are in the
/// logical line; [`LineKind::Invalid`] carries the file offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// shlex: `No closing quotation`, `No escaped character`.
    #[error("Could not split options: {reason}")]
    Split { reason: &'static str, offset: usize },
    #[error("no such option: {name}")]
    NoSuchOption { name: String, offset: usize },
    #[error("ambiguous option: {name} ({}?)", candidates.join(", "))]
    AmbiguousOption {
        name: String,
        candidates: Vec<&'static str>,
        offset: usize,
    },
    #[error("{option} option does not take a value")]
    TakesNoValue { option: &'static str, offset: usize },
    #[error("{option} option requires 1 argument")]
    MissingValue { option: String, offset: usize },
    #[error(
        "Arguments to --hash must be a hash name followed by a value, like --hash=sha256:abcde..."
    )]
    HashFormat { offset: usize },
    #[error("Allowed hash algorithms for --hash are sha256, sha384, sha512 (got {algorithm}).")]
    HashAlgorithm { algorithm: String, offset: usize },
    #[error("Arguments to --config-settings must be of the form KEY=VAL")]
    ConfigSettings { offset: usize },
    #[error(
        "option --use-feature: invalid choice: '{value}' (choose from {})",
        FEATURES.iter().map(|f| format!("'{f}'")).collect::<Vec<_>>().join(", ")
    )]
    UseFeature { value: String, offset: usize },
    #[error("--no-binary / --only-binary option requires 1 argument.")]
    BinaryFormats { offset: usize },
    #[error("--all-releases / --only-final option requires 1 argument.")]
    ReleaseKinds { offset: usize },
    #[error(transparent)]
    Requirement(#[from] RequirementError),
    #[error("{target} is not a valid editable requirement. It should either be a path to a local project or a VCS URL (beginning with bzr+http, bzr+https, bzr+ssh, bzr+sftp, bzr+ftp, bzr+lp, bzr+file, git+http, git+https, git+ssh, git+git, git+file, hg+file, hg+http, hg+https, hg+ssh, hg+static-http, svn+ssh, svn+http, svn+https, svn+svn, svn+file).")]
    NotEditable { target: String, offset: usize },
    #[error("Could not detect requirement name for '{target}', please specify one with your_package_name @ URL")]
    EditableWithoutName { target: String, offset: usize },
}

impl LineError {
    /// Byte offset in the logical line where the problem is.
    pub fn offset(&self) -> usize {
        match self {
            LineError::Requirement(err) => err.offset(),
            LineError::Split { offset, .. }
            | LineError::NoSuchOption { offset, .. }
            | LineError::AmbiguousOption { offset, .. }
            | LineError::TakesNoValue { offset, .. }
            | LineError::MissingValue { offset, .. }
            | LineError::HashFormat { offset }
            | LineError::HashAlgorithm { offset, .. }
            | LineError::ConfigSettings { offset }
            | LineError::UseFeature { offset, .. }
            | LineError::BinaryFormats { offset }
            | LineError::ReleaseKinds { offset }
            | LineError::NotEditable { offset, .. }
            | LineError::EditableWithoutName { offset, .. } => *offset,
        }
    }

    /// The same error for a text that starts `by` bytes later in the line.
    fn shifted(self, by: usize) -> Self {
        match self {
            LineError::Requirement(err) => LineError::Requirement(err.shifted(by)),
            LineError::NotEditable { target, offset } => LineError::NotEditable {
                target,
                offset: offset + by,
            },
            LineError::EditableWithoutName { target, offset } => LineError::EditableWithoutName {
                target,
                offset: offset + by,
            },
            // Option errors are made with line offsets already.
            other => other,
        }
    }
}

/// A line pip would reject, with the file it is in (uv's `RequirementsTxtFileError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {error}")]
pub struct RequirementsFileError {
    /// The file as pindrift shows it.
    pub file: std::sync::Arc<str>,
    /// 1-based line number of the logical line, as pip reports it.
    pub line: u32,
    /// Byte offset in the file where the problem is.
    pub offset: usize,
    pub error: LineError,
}

impl RequirementsFile {
    /// Every line pip would reject, with its file and offset.
    pub fn errors(&self) -> impl Iterator<Item = RequirementsFileError> + '_ {
        self.lines.iter().filter_map(|line| match &line.kind {
            LineKind::Invalid { error, offset, .. } => Some(RequirementsFileError {
                file: self.source.display.clone(),
                line: line.line,
                offset: *offset,
                error: error.clone(),
            }),
            _ => None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct RequirementLine {
    /// The requirement text as pip sees it (after `${VAR}` expansion).
    pub text: String,
    /// Where that text stands in the file.
    pub span: Span,
    /// `span` holds `text` byte for byte (not joined from continuation lines, no `${VAR}`
    /// expanded in it, no quotes around an `-e` target): only then may a fix edit it.
    pub verbatim: bool,
    pub editable: bool,
    pub hashes: Vec<String>,
    pub requirement: ParsedRequirement,
}

/// Physical lines as Python's `str.splitlines()` makes them: (start, end without
/// terminator). Besides `\n`, `\r\n` and `\r`, Python also breaks lines at `\x0b`,
/// `\x0c`, `\x1c`-`\x1e`, `\u{85}`, `\u{2028}` and `\u{2029}`. An iterator, not a vector:
/// a file of millions of lines is read one line at a time.
struct PhysicalLines<'a> {
    text: &'a str,
    start: usize,
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
}

impl<'a> PhysicalLines<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            start: 0,
            chars: text.char_indices().peekable(),
        }
    }
}

impl Iterator for PhysicalLines<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        while let Some((index, c)) = self.chars.next() {
            let next = match c {
                '\n' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}'
                | '\u{2029}' => index + c.len_utf8(),
                '\r' => {
                    if self.chars.peek().is_some_and(|&(_, n)| n == '\n') {
                        self.chars.next();
                        index + 2
                    } else {
                        index + 1
                    }
                }
                _ => continue,
            };
            let line = (self.start, index);
            self.start = next;
            return Some(line);
        }
        if self.start < self.text.len() {
            let line = (self.start, self.text.len());
            self.start = self.text.len();
            return Some(line);
        }
        None
    }
}

/// Python's `str.isspace()` (what `\s`, `strip()` and `split()` use): Unicode white
/// space plus the information separators `\x1c`-`\x1f`.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
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
        if is_py_space(c) {
            previous_whitespace_start.get_or_insert(index);
        } else {
            previous_whitespace_start = None;
        }
    }
    None
}

fn is_comment_line(text: &str) -> bool {
    text.trim_start_matches(is_py_space).starts_with('#')
}

/// pip's `join_lines`: (first line number, joined text) of every logical line, in order.
/// One line at a time: the joined lines of a huge file are never all held.
struct LogicalLines<'a> {
    text: &'a str,
    physical: std::iter::Enumerate<PhysicalLines<'a>>,
}

impl<'a> LogicalLines<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            physical: PhysicalLines::new(text).enumerate(),
        }
    }
}

impl Iterator for LogicalLines<'_> {
    type Item = (u32, Mapped);

    fn next(&mut self) -> Option<(u32, Mapped)> {
        let mut pending: Option<(u32, Mapped)> = None;
        for (index, (start, end)) in self.physical.by_ref() {
            let number = index as u32 + 1;
            let line = &self.text[start..end];
            if !line.ends_with('\\') || is_comment_line(line) {
                let mut current = pending.take().unwrap_or_else(|| (number, Mapped::new()));
                if is_comment_line(line) {
                    // pip prefixes comment lines with a space so the comment is always stripped.
                    current.1.push_derived(" ", start);
                }
                current.1.push_verbatim(line, start);
                return Some(current);
            }
            let stripped_start = line.len() - line.trim_start_matches('\\').len();
            let stripped = line.trim_matches('\\');
            let entry = pending.get_or_insert_with(|| (number, Mapped::new()));
            entry.1.push_verbatim(stripped, start + stripped_start);
        }
        pending
    }
}

/// pip's ENV_VAR_RE expansion: `${NAME}` with NAME of `[A-Z0-9_]+`, replaced when set and non-empty.
fn expand_env(line: Mapped, lookup: &dyn Fn(&str) -> Option<String>) -> Mapped {
    if !line.as_str().contains("${") {
        return line;
    }
    let mut out = Mapped::new();
    let bytes = line.as_str().as_bytes();
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
                if let Some(value) =
                    lookup(&line.as_str()[name_start..close]).filter(|v| !v.is_empty())
                {
                    out.push_derived(&value, line.origin_of(index));
                    index = close + 1;
                    continue;
                }
            }
        }
        let char_len = line.as_str()[index..]
            .chars()
            .next()
            .map_or(1, char::len_utf8);
        out.push_from(&line, index..index + char_len);
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

/// `shlex.split`'s white space: only these four characters.
fn is_shlex_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// POSIX `shlex.split` with positions.
fn shlex_split(text: &str, offset: usize) -> Result<Vec<Token>, LineError> {
    let unclosed = |at: usize| LineError::Split {
        reason: "No closing quotation",
        offset: offset + at,
    };
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if is_shlex_space(c) {
            chars.next();
            continue;
        }
        let mut token = String::new();
        let mut end = start;
        while let Some(&(index, c)) = chars.peek() {
            if is_shlex_space(c) {
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
                        None => return Err(unclosed(index)),
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
                            None => return Err(unclosed(index)),
                        },
                        Some((_, other)) => token.push(other),
                        None => return Err(unclosed(index)),
                    }
                },
                '\\' => match chars.next() {
                    Some((i, escaped)) => {
                        token.push(escaped);
                        end = i + escaped.len_utf8();
                    }
                    None => {
                        return Err(LineError::Split {
                            reason: "No escaped character",
                            offset: offset + index,
                        })
                    }
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
    NoRequireHashes,
    AllReleases,
    OnlyFinal,
    Pre,
    TrustedHost,
    UseFeature,
    Hash,
    ConfigSettings,
}

/// pip's `SUPPORTED_OPTIONS` + `SUPPORTED_OPTIONS_REQ` (pip 26): name, option, takes a value.
const LONG_OPTIONS: &[(&str, Opt, bool)] = &[
    ("--index-url", Opt::IndexUrl, true),
    ("--pypi-url", Opt::IndexUrl, true),
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
    ("--no-require-hashes", Opt::NoRequireHashes, false),
    ("--pre", Opt::Pre, false),
    ("--all-releases", Opt::AllReleases, true),
    ("--only-final", Opt::OnlyFinal, true),
    ("--trusted-host", Opt::TrustedHost, true),
    ("--use-feature", Opt::UseFeature, true),
    ("--hash", Opt::Hash, true),
    ("--config-settings", Opt::ConfigSettings, true),
];

const SHORT_OPTIONS: &[(char, Opt)] = &[
    ('i', Opt::IndexUrl),
    ('c', Opt::Constraint),
    ('r', Opt::Requirement),
    ('e', Opt::Editable),
    ('f', Opt::FindLinks),
    ('C', Opt::ConfigSettings),
];

/// The values pip accepts for `--use-feature` (optparse `choices`).
const FEATURES: &[&str] = &[
    "fast-deps",
    "inprocess-build-deps",
    "venv-isolation",
    "truststore",
    "no-binary-enable-wheel-cache",
    "build-constraint",
];

/// optparse's long-option lookup, with unique-prefix abbreviations.
fn find_long(name: &str, offset: usize) -> Result<(Opt, bool, &'static str), LineError> {
    if let Some(&(full, opt, takes)) = LONG_OPTIONS.iter().find(|(full, ..)| *full == name) {
        return Ok((opt, takes, full));
    }
    let matches: Vec<_> = LONG_OPTIONS
        .iter()
        .filter(|(full, ..)| full.starts_with(name))
        .collect();
    match matches.as_slice() {
        [(full, opt, takes)] => Ok((*opt, *takes, full)),
        [] => Err(LineError::NoSuchOption {
            name: name.to_string(),
            offset,
        }),
        many => Err(LineError::AmbiguousOption {
            name: name.to_string(),
            candidates: many.iter().map(|(full, ..)| *full).collect(),
            offset,
        }),
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
fn parse_options(tokens: &[Token]) -> Result<ParsedOptions, LineError> {
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
            let (opt, takes_value, full) = find_long(name, token.start)?;
            if !takes_value {
                if inline.is_some() {
                    return Err(LineError::TakesNoValue {
                        option: full,
                        offset: token.start,
                    });
                }
                (opt, None)
            } else if let Some(value) = inline {
                let value_start = token.end - value.len();
                (opt, Some((value.to_string(), value_start, token.end)))
            } else {
                let next = tokens.get(index).ok_or_else(|| LineError::MissingValue {
                    option: full.to_string(),
                    offset: token.start,
                })?;
                index += 1;
                (opt, Some((next.text.clone(), next.start, next.end)))
            }
        } else if text.len() > 1 && text.starts_with('-') {
            let short = text[1..].chars().next().unwrap_or('-');
            let Some(&(_, opt)) = SHORT_OPTIONS.iter().find(|(c, _)| *c == short) else {
                return Err(LineError::NoSuchOption {
                    name: format!("-{short}"),
                    offset: token.start,
                });
            };
            let attached = &text[1 + short.len_utf8()..];
            if !attached.is_empty() {
                (
                    opt,
                    Some((attached.to_string(), token.end - attached.len(), token.end)),
                )
            } else {
                let next = tokens.get(index).ok_or_else(|| LineError::MissingValue {
                    option: format!("-{short}"),
                    offset: token.start,
                })?;
                index += 1;
                (opt, Some((next.text.clone(), next.start, next.end)))
            }
        } else {
            // optparse allows positional arguments between options; pip ignores them.
            continue;
        };
        // Where the option's value starts (the option itself when it has none).
        let at = value.as_ref().map_or(token.start, |(_, start, _)| *start);
        match (opt, value) {
            (Opt::Requirement, Some(value)) => parsed.requirements.push(value),
            (Opt::Constraint, Some(value)) => parsed.constraints.push(value),
            (Opt::Editable, Some(value)) => parsed.editables.push(value),
            (Opt::Hash, Some((value, ..))) => {
                let Some((algorithm, _)) = value.split_once(':') else {
                    return Err(LineError::HashFormat { offset: at });
                };
                if !matches!(algorithm, "sha256" | "sha384" | "sha512") {
                    return Err(LineError::HashAlgorithm {
                        algorithm: algorithm.to_string(),
                        offset: at,
                    });
                }
                parsed.hashes.push(value);
            }
            (Opt::ConfigSettings, Some((value, ..))) if !value.contains('=') => {
                return Err(LineError::ConfigSettings { offset: at });
            }
            (Opt::RequireHashes, _) => parsed.require_hashes = true,
            (Opt::UseFeature, Some((value, ..))) if !FEATURES.contains(&value.as_str()) => {
                return Err(LineError::UseFeature { value, offset: at });
            }
            (Opt::NoBinary | Opt::OnlyBinary, Some((value, ..))) if value.starts_with('-') => {
                return Err(LineError::BinaryFormats { offset: at });
            }
            (Opt::AllReleases | Opt::OnlyFinal, Some((value, ..))) if value.starts_with('-') => {
                return Err(LineError::ReleaseKinds { offset: at });
            }
            _ => {}
        }
    }
    Ok(parsed)
}

/// The lines of a requirements file with content, one at a time, as pip reads them (with
/// `${VAR}` taken from a lookup); the suppression comments are gathered on the way
/// ([`LineReader::finish`]). Nothing is kept of the lines already read: a file of millions
/// of lines is linted without holding them.
pub struct LineReader<'a> {
    source: &'a SourceFile,
    logical: LogicalLines<'a>,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    directives: Vec<Directive>,
    /// Line-before directives waiting for the next line with content.
    pending: Vec<Directive>,
}

/// `${VAR}` from this process's environment, as pip expands it.
fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl<'a> LineReader<'a> {
    /// The lines of `source`, with `${VAR}` taken from `lookup`.
    pub fn with_env(source: &'a SourceFile, lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self {
            source,
            logical: LogicalLines::new(&source.text),
            lookup,
            directives: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// The lines of `source`, with `${VAR}` from this process's environment.
    pub fn new(source: &'a SourceFile) -> Self {
        Self::with_env(source, &process_env)
    }

    /// Reads the rest of the file and returns its suppression comments.
    pub fn finish(mut self) -> Vec<Directive> {
        self.by_ref().for_each(drop);
        self.directives.append(&mut self.pending);
        self.directives
    }
}

impl Iterator for LineReader<'_> {
    type Item = Line;

    fn next(&mut self) -> Option<Line> {
        let (number, line) = self.next_content()?;
        let span = line.full_span();
        let kind = parse_line(&line);
        Some(Line {
            line: number,
            span,
            kind,
        })
    }
}

impl LineReader<'_> {
    /// The next line with content, sketched: what an outline needs, found without parsing
    /// its requirement (pep508 parsing is most of the cost of reading a line).
    pub fn next_sketch(&mut self) -> Option<LineSketch> {
        let (_, line) = self.next_content()?;
        Some(sketch_line(&line))
    }

    /// The next line with content: its number and its text, `${VAR}` expanded.
    fn next_content(&mut self) -> Option<(u32, Mapped)> {
        loop {
            let (number, joined) = self.logical.next()?;
            if let Some(line) = self.read(number, joined) {
                return Some((number, line));
            }
        }
    }

    /// One logical line: its directive noted, and its content when it has some.
    fn read(&mut self, number: u32, joined: Mapped) -> Option<Mapped> {
        let (content_end, comment) = match comment_start(joined.as_str()) {
            Some((cut, hash)) => (cut, Some(hash)),
            None => (joined.as_str().len(), None),
        };
        let directive = comment.and_then(|hash| {
            Directive::parse(
                &joined.as_str()[hash..],
                |r| joined.span(hash + r.start..hash + r.end),
                None,
            )
        });
        let content = &joined.as_str()[..content_end];
        let leading = content.len() - content.trim_start_matches(is_py_space).len();
        let trimmed_end = content.trim_end_matches(is_py_space).len();
        if trimmed_end <= leading {
            match directive {
                Some(directive) => self.pending.push(directive),
                // Only comment lines may stand between a directive and its line.
                None if comment.is_none() => self.directives.append(&mut self.pending),
                None => {}
            }
            return None;
        }
        if !self.pending.is_empty() || directive.is_some() {
            // Every physical line of the logical line (a trailing comment ends its last one).
            let last_line = self
                .source
                .line_col(joined.full_span().end.saturating_sub(1))
                .0
                .max(number);
            for mut directive in self.pending.drain(..).chain(directive) {
                directive.lines = Some((number, last_line));
                self.directives.push(directive);
            }
        }
        Some(expand_env(
            joined.trim_to(leading..trimmed_end),
            self.lookup,
        ))
    }
}

/// What an outline needs to know of one line ([`LineReader::next_sketch`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineSketch {
    /// `-r FILE` or `-c FILE`, as [`LineKind::Include`].
    Include {
        constraint: bool,
        target: String,
        target_span: Span,
    },
    /// A line of options that sets `--require-hashes`.
    RequireHashes,
    /// A requirement with `--hash`.
    HashedRequirement,
    /// Anything else: a requirement without `--hash`, other options, a line pip rejects.
    Other,
}

/// [`parse_line`] as far as a [`LineSketch`] needs: the requirement itself is parsed only
/// when the line has `--hash` (whether it is valid decides whether the hash counts).
fn sketch_line(line: &Mapped) -> LineSketch {
    let text = line.as_str();
    let (args_end, options_start) = split_args_options(text);
    let Ok(options) = shlex_split(&text[options_start..], options_start)
        .and_then(|tokens| parse_options(&tokens))
    else {
        return LineSketch::Other;
    };
    if args_end > 0 {
        // A requirement (an editable one when the options have `-e`), hashed when valid.
        let valid = || matches!(parse_line(line), LineKind::Requirement(_));
        return if !options.hashes.is_empty() && valid() {
            LineSketch::HashedRequirement
        } else {
            LineSketch::Other
        };
    }
    if !options.editables.is_empty() {
        // `-e TARGET` alone: an editable requirement, which never has hashes.
        return LineSketch::Other;
    }
    match parse_line(line) {
        LineKind::Include {
            constraint,
            target,
            target_span,
        } => LineSketch::Include {
            constraint,
            target,
            target_span,
        },
        LineKind::Options {
            require_hashes: true,
        } => LineSketch::RequireHashes,
        _ => LineSketch::Other,
    }
}

/// Reads a requirements file as pip would, with `${VAR}` taken from `lookup`.
pub fn parse_requirements_with_env(
    source: SourceFile,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> RequirementsFile {
    let mut reader = LineReader::with_env(&source, lookup);
    let mut lines: Vec<Line> = reader.by_ref().collect();
    let directives = reader.finish();
    lines.shrink_to_fit();
    RequirementsFile {
        source,
        lines,
        directives,
    }
}

/// Reads a requirements file as pip would, expanding `${VAR}` from this process's environment.
pub fn parse_requirements(source: SourceFile) -> RequirementsFile {
    parse_requirements_with_env(source, &process_env)
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
    let text = line.as_str();
    let (args_end, options_start) = split_args_options(text);
    let args = &text[..args_end];
    // `error`'s offset is in the line; `base..end` is the text it was found in.
    let invalid = |error: LineError, span: Span, base: usize, end: usize| {
        let error = error.shifted(base);
        let at = error.offset().clamp(base, end.max(base));
        LineKind::Invalid {
            offset: line.origin_of(at),
            error,
            span,
        }
    };
    let options = shlex_split(&text[options_start..], options_start)
        .and_then(|tokens| parse_options(&tokens));
    let options = match options {
        Ok(options) => options,
        Err(error) => {
            // Option errors carry line offsets already.
            return invalid(error, line.span(options_start..text.len()), 0, text.len());
        }
    };

    if !args.is_empty() {
        let requirement_text = args.trim_end();
        let span = line.span(0..requirement_text.len());
        // pip: a line with `-e` is editable, and its requirement is the text before the
        // options when there is one (`flask -e ./x` makes `flask` the editable).
        let editable = !options.editables.is_empty();
        let parsed = if editable {
            parse_editable(requirement_text)
        } else {
            parse_requirement(requirement_text).map_err(LineError::from)
        };
        return match parsed {
            Ok(requirement) => LineKind::Requirement(RequirementLine {
                text: requirement_text.to_string(),
                span,
                verbatim: line.verbatim_span(0..requirement_text.len()).is_some(),
                editable,
                hashes: options.hashes,
                requirement,
            }),
            Err(error) => invalid(error, span, 0, requirement_text.len()),
        };
    }
    if let Some((target, start, end)) = options.editables.into_iter().next() {
        let span = line.span(start..end);
        let verbatim =
            line.verbatim_span(start..end).is_some() && line.as_str()[start..end] == target;
        return match parse_editable(&target) {
            Ok(requirement) => LineKind::Requirement(RequirementLine {
                text: target,
                span,
                verbatim,
                editable: true,
                hashes: Vec::new(),
                requirement,
            }),
            Err(error) => invalid(error, span, start, end),
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
            target_span: line.span(start..end),
        };
    }
    LineKind::Options {
        require_hashes: options.require_hashes,
    }
}

/// pip's `parse_editable`: `name @ URL ; marker`, a local folder (`path[extras]`), a
/// `file:` URL or a VCS URL (`#egg=` names it). pip looks at the disk for folders;
/// pindrift takes any other text as a local folder.
fn parse_editable(target: &str) -> Result<ParsedRequirement, LineError> {
    use super::requirement::RequirementSource;
    let not_editable = || LineError::NotEditable {
        target: target.to_string(),
        offset: 0,
    };
    // `name @ URL` (packaging's syntax) first.
    if !is_url(target) && target.contains('@') {
        if let Ok(parsed) = parse_requirement(target) {
            return match &parsed.source {
                RequirementSource::Url { vcs: Some(_), .. } => Ok(parsed),
                RequirementSource::Url { url, .. }
                    if url.to_ascii_lowercase().starts_with("file:") =>
                {
                    Ok(parsed)
                }
                // Not a URL requirement: pip falls back to its own syntax.
                RequirementSource::Index { .. } => parse_editable_pip_syntax(target, &not_editable),
                _ => Err(not_editable()),
            };
        }
    }
    parse_editable_pip_syntax(target, &not_editable)
}

/// pip's `_parse_pip_syntax_editable` + the checks of `parse_editable`.
fn parse_editable_pip_syntax(
    target: &str,
    not_editable: &dyn Fn() -> LineError,
) -> Result<ParsedRequirement, LineError> {
    use super::requirement::{egg_fragment, RequirementSource};
    use crate::names::normalize_name;
    let (path, extras) = match target.strip_suffix(']').and_then(|t| t.rsplit_once('[')) {
        Some((path, extras)) if !path.is_empty() => (
            path,
            extras.split(',').map(|e| e.trim().to_string()).collect(),
        ),
        _ => (target, Vec::new()),
    };
    let lower = path.to_ascii_lowercase();
    if lower.starts_with("file:") {
        let name = egg_fragment(path)?;
        return Ok(ParsedRequirement {
            normalized_name: name.as_deref().map(normalize_name),
            name,
            extras,
            source: RequirementSource::Path {
                path: path.to_string(),
                wheel_version: None,
            },
            marker: None,
            arbitrary_equal: None,
        });
    }
    // `git:…` and friends get their `vcs+` prefix, as pip adds it.
    let vcs_prefix = ["git", "hg", "svn", "bzr"]
        .iter()
        .find(|vcs| target.to_ascii_lowercase().starts_with(&format!("{vcs}:")));
    let url = vcs_prefix.map_or_else(|| target.to_string(), |vcs| format!("{vcs}+{target}"));
    if is_url(&url) {
        // Offsets in `url` less the `vcs+` pindrift added are offsets in `target`.
        let added = vcs_prefix.map_or(0, |vcs| vcs.len() + 1);
        let parsed = parse_requirement(&url)
            .map_err(|err| err.map_offset(|offset| offset.saturating_sub(added)))?;
        if !matches!(parsed.source, RequirementSource::Url { vcs: Some(_), .. }) {
            return Err(not_editable());
        }
        if parsed.name.is_none() {
            return Err(LineError::EditableWithoutName {
                target: target.to_string(),
                offset: 0,
            });
        }
        return Ok(parsed);
    }
    // A local folder (pip: if it exists; otherwise pip rejects it).
    egg_fragment(path)?;
    Ok(ParsedRequirement {
        name: None,
        normalized_name: None,
        extras,
        source: RequirementSource::Path {
            path: path.to_string(),
            wheel_version: None,
        },
        marker: None,
        arbitrary_equal: None,
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

    /// Only a requirement that stands in the file as pip reads it may be edited in place.
    #[test]
    fn verbatim_only_where_the_file_holds_the_text() {
        let src = "flask>=2\r\nfla\\\nsk\nflask==${FLASK_VERSION}\n-e './libs/core'\n-e ./libs/x\n";
        let file = parse(src);
        let verbatim: Vec<(&str, bool)> = file
            .lines
            .iter()
            .map(|line| {
                let r = requirement(line);
                (r.text.as_str(), r.verbatim)
            })
            .collect();
        assert_eq!(
            verbatim,
            [
                ("flask>=2", true),
                ("flask", false),
                ("flask==2.3.2", false),
                ("./libs/core", false),
                ("./libs/x", true),
            ]
        );
        let first = requirement(&file.lines[0]);
        assert_eq!(&src[first.span.range()], first.text);
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
    fn suppression_comments_cover_their_line_or_the_next() {
        let file = parse(
            "flask  # pindrift: ignore[PD101] tracked upstream\n\
             # pindrift: ignore[PD102]\n# a note\ncelery>=5 \\\n  ,<6\n\
             # pindrift: ignore\n\nrequests\n",
        );
        let lines: Vec<Option<(u32, u32)>> = file.directives.iter().map(|d| d.lines).collect();
        assert_eq!(lines, [Some((1, 1)), Some((4, 5)), None]);
    }
}

#[cfg(test)]
mod pip_differential_fixes {
    use super::*;

    fn parse(text: &str) -> RequirementsFile {
        parse_requirements_with_env(SourceFile::new("r.txt", "r.txt", text), &|_| None)
    }

    fn kinds(text: &str) -> Vec<(u32, &'static str)> {
        parse(text)
            .lines
            .iter()
            .map(|line| {
                let kind = match &line.kind {
                    LineKind::Requirement(r) if r.editable => "editable",
                    LineKind::Requirement(_) => "requirement",
                    LineKind::Include { .. } => "include",
                    LineKind::Options { .. } => "option",
                    LineKind::Invalid { .. } => "error",
                };
                (line.line, kind)
            })
            .collect()
    }

    #[test]
    fn lines_break_where_python_splitlines_breaks_them() {
        let file = parse("a==1\x0cb==2\nc\x0b==2\nd==1\re==1\n\x1cf\n");
        let numbers: Vec<u32> = file.lines.iter().map(|l| l.line).collect();
        assert_eq!(numbers, vec![1, 2, 3, 4, 5, 6, 8]);
        assert_eq!(kinds("c\x0b==2")[1], (2, "error"));
    }

    #[test]
    fn options_of_current_pip() {
        for text in [
            "--pypi-url https://p.example/simple",
            "--no-require-hashes",
            "--all-releases :all:",
            "--only-final flask",
            "flask==2.0 -C key=value",
            "--use-feature truststore",
        ] {
            assert_eq!(
                kinds(text)[0].1,
                if text.starts_with("flask") {
                    "requirement"
                } else {
                    "option"
                },
                "{text}"
            );
        }
        for text in [
            "flask==2.0 --global-option=--x",
            "--use-feature=bogus",
            "--only-binary=-x",
            "--all-releases=-x",
            "--only",
            "flask==2.0 -C key",
        ] {
            assert_eq!(kinds(text)[0].1, "error", "{text}");
        }
    }

    #[test]
    fn requirement_text_with_dash_e_is_the_editable() {
        // pip reads `flask==2.0` as the editable's folder (it rejects it unless it exists).
        assert_eq!(kinds("flask==2.0 -e ./localpkg")[0].1, "editable");
        assert_eq!(kinds("./localpkg -e ./other")[0].1, "editable");
    }

    #[test]
    fn editables_as_pip_parses_them() {
        assert_eq!(kinds("-e git+https://h.example/r.git")[0].1, "error");
        let file = parse("-e git://h.example/r.git#egg=repo\n-e file:///opt/pkg#egg=pkg\n-e \"repo @ git+https://h.example/r.git@v1 ; python_version > '3'\"\n-e \"pkg @ https://h.example/p.tar.gz\"\n");
        let names: Vec<Option<&str>> = file
            .lines
            .iter()
            .map(|l| match &l.kind {
                LineKind::Requirement(r) => r.requirement.name.as_deref(),
                _ => None,
            })
            .collect();
        assert_eq!(names, vec![Some("repo"), Some("pkg"), Some("repo"), None]);
        match &file.lines[2].kind {
            LineKind::Requirement(r) => assert!(r.requirement.marker.is_some()),
            other => panic!("{other:?}"),
        }
        assert!(matches!(file.lines[3].kind, LineKind::Invalid { .. }));
    }

    /// Each rejected line carries its file and the byte offset of the problem, and renders
    /// as pip words it.
    #[test]
    fn errors_carry_file_line_and_offset() {
        let src = "flask==2.0\nfoo --bogus\n  bar==1 --hash=md5:ab\n\
                   baz; python_version >> '3'\n-e git+https://h.example/r.git#egg=a==1\n\
                   qux --index-url \"x\n";
        let file = parse(src);
        let errors: Vec<(u32, usize, String)> = file
            .errors()
            .map(|e| (e.line, e.offset, e.to_string()))
            .collect();
        let at = |needle: &str| src.find(needle).unwrap();
        assert_eq!(
            errors,
            [
                (2, at("--bogus"), "r.txt:2: no such option: --bogus".to_string()),
                (
                    3,
                    at("md5"),
                    "r.txt:3: Allowed hash algorithms for --hash are sha256, sha384, sha512 (got md5)."
                        .to_string()
                ),
                (
                    4,
                    at(">> '3'"),
                    format!(
                        "r.txt:4: Invalid marker \"python_version >> '3'\": {}",
                        match &file.lines[3].kind {
                            LineKind::Invalid {
                                error: LineError::Requirement(RequirementError::Marker { reason, .. }),
                                ..
                            } => reason.clone(),
                            other => panic!("{other:?}"),
                        }
                    )
                ),
                (
                    5,
                    at("egg=a==1") + 4,
                    "r.txt:5: Invalid egg fragment \"a==1\" in git+https://h.example/r.git#egg=a==1: it must be a project name, without extras or version".to_string()
                ),
                (
                    6,
                    at("\"x"),
                    "r.txt:6: Could not split options: No closing quotation".to_string()
                ),
            ]
        );
    }

    #[test]
    fn shlex_splits_only_on_ascii_white_space() {
        // A no-break space is part of the hash value for shlex, so the option stays one token.
        let file = parse("flask==2.0 --hash=sha256:ab\u{a0}cd");
        match &file.lines[0].kind {
            LineKind::Requirement(r) => assert_eq!(r.hashes, vec!["sha256:ab\u{a0}cd"]),
            other => panic!("{other:?}"),
        }
    }
}
