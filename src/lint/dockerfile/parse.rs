//! A Dockerfile reader that follows BuildKit's parser (`frontend/dockerfile/parser`) and keeps
//! exact byte spans.
//!
//! Why not the `dockerfile-parser` crate alone: it has no heredocs, no `# escape=` directive
//! (backtick continuations), drops comment lines inside continuations only in some positions and
//! gives spans per instruction, not per token. The linter needs the position of every package
//! and image token, so this module reads the file the way BuildKit does and records, for every
//! byte of every logical line, where it came from (see [`Mapped`]). The crate is still used in
//! the tests as a second opinion on the files it can read.
//!
//! What is accepted is what BuildKit accepts: parser directives at the top (`syntax`, `escape`,
//! `check`), instructions in any case, continuations with comment and blank lines inside them,
//! heredocs on `RUN`/`COPY`/`ADD` (several per line, `<<-` chomping, quoted delimiters, after a
//! continued line), JSON forms, `ONBUILD`, CRLF, a BOM, no trailing newline, empty files.
//! What is rejected (one [`ParseError`], the first): an unknown instruction (such as Jinja
//! `{% if %}` lines), an unterminated heredoc, an invalid `escape` directive, a repeated
//! directive, `ONBUILD` of `FROM`/`ONBUILD`/`MAINTAINER`.

use std::ops::Range;

use crate::span::{Mapped, Span};

/// Instructions BuildKit knows (lowercase).
pub const INSTRUCTIONS: &[&str] = &[
    "add",
    "arg",
    "cmd",
    "copy",
    "entrypoint",
    "env",
    "expose",
    "from",
    "healthcheck",
    "label",
    "maintainer",
    "onbuild",
    "run",
    "shell",
    "stopsignal",
    "user",
    "volume",
    "workdir",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// Lowercase name: `syntax`, `escape` or `check`.
    pub name: String,
    pub value: String,
    pub value_span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// Text after `#`, trimmed.
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    /// Name without the leading `--`, as written.
    pub name: String,
    /// Value after `=` with quotes removed; `None` for `--flag` without `=`.
    pub value: Option<Mapped>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heredoc {
    /// Delimiter with quotes removed.
    pub name: String,
    /// `<<-`: leading tabs are stripped from the body and the terminator.
    pub chomp: bool,
    /// False when the delimiter was quoted (the body is not expanded).
    pub expand: bool,
    /// File descriptor number written before `<<` (`3<<EOF`), if any.
    pub fd: Option<u32>,
    /// Body lines (with their newlines), without the terminator line.
    pub body: Mapped,
    /// Span of the `<<EOF` word in the instruction line.
    pub word_span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonArg {
    pub value: Mapped,
    /// Span of the string literal including quotes.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    /// Uppercase keyword (`RUN`, `FROM`, ...).
    pub keyword: String,
    pub keyword_span: Span,
    /// From the keyword to the end of the last continuation line (heredoc bodies excluded).
    pub span: Span,
    /// Byte offset where the instruction's first line starts.
    pub line_start: usize,
    pub flags: Vec<Flag>,
    /// Everything after the flags, trimmed, continuations joined.
    pub args: Mapped,
    /// The arguments as a JSON array of strings, when they are one.
    pub json: Option<Vec<JsonArg>>,
    pub heredocs: Vec<Heredoc>,
    /// Comment lines directly above the instruction (no blank line between).
    pub comments_before: Vec<Comment>,
    /// Comment lines inside the instruction's continuation.
    pub comments_inside: Vec<Comment>,
    /// For `ONBUILD`, the instruction it registers.
    pub onbuild: Option<Box<Instruction>>,
}

impl Instruction {
    pub fn is(&self, keyword: &str) -> bool {
        self.keyword.eq_ignore_ascii_case(keyword)
    }

    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dockerfile {
    pub directives: Vec<Directive>,
    /// The escape character: `\` or `` ` ``.
    pub escape: char,
    pub instructions: Vec<Instruction>,
}

impl Dockerfile {
    pub fn directive(&self, name: &str) -> Option<&Directive> {
        self.directives.iter().find(|d| d.name == name)
    }
}

/// One physical line: `start..end` excludes the line break (`\n` or `\r\n`).
#[derive(Clone, Copy, Debug)]
struct Line {
    start: usize,
    end: usize,
}

fn split_lines(text: &str, from: usize) -> Vec<Line> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let mut start = from;
    while start < bytes.len() {
        let nl = memchr::memchr(b'\n', &bytes[start..]).map(|i| start + i);
        let (mut end, next) = match nl {
            Some(i) => (i, i + 1),
            None => (bytes.len(), bytes.len()),
        };
        while end > start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        lines.push(Line { start, end });
        start = next;
    }
    lines
}

fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Offset of the first non-blank byte of `s[r]`.
fn skip_ws(s: &str, r: Range<usize>) -> usize {
    let b = s.as_bytes();
    let mut i = r.start;
    while i < r.end && (is_ws(b[i]) || b[i] == b'\r' || b[i] == 0x0b || b[i] == 0x0c) {
        i += 1;
    }
    i
}

fn is_comment_line(text: &str, l: Line) -> bool {
    let i = skip_ws(text, l.start..l.end);
    i < l.end && text.as_bytes()[i] == b'#'
}

fn is_blank_line(text: &str, l: Line) -> bool {
    skip_ws(text, l.start..l.end) == l.end
}

fn comment_of(text: &str, l: Line) -> Comment {
    let i = skip_ws(text, l.start..l.end);
    Comment {
        text: text[i + 1..l.end].trim().to_string(),
        span: Span::new(i, l.end),
    }
}

/// `# name = value` at the top of the file.
fn parse_directive(text: &str, l: Line) -> Option<(String, String, Span)> {
    let s = &text[l.start..l.end];
    let t = s.trim_start();
    let rest = t.strip_prefix('#')?;
    let off = l.start + (s.len() - rest.len());
    let r = rest.trim_start();
    let name_start = off + (rest.len() - r.len());
    let name_len = r
        .char_indices()
        .take_while(|(i, c)| {
            if *i == 0 {
                c.is_ascii_alphabetic()
            } else {
                c.is_ascii_alphanumeric()
            }
        })
        .count();
    if name_len == 0 {
        return None;
    }
    let name = &r[..name_len];
    let after = r[name_len..].trim_start();
    let after = after.strip_prefix('=')?;
    let value = after.trim();
    if value.is_empty() {
        return None;
    }
    let value_start = l.end - after.trim_start().len();
    let _ = name_start;
    Some((
        name.to_ascii_lowercase(),
        value.to_string(),
        Span::new(value_start, value_start + value.len()),
    ))
}

/// Removes a trailing escape character (plus trailing blanks) from `m`; true if it was there.
fn strip_continuation(m: &mut Mapped, escape: char) -> bool {
    let t = m.as_str().trim_end_matches([' ', '\t']);
    if t.ends_with(escape) {
        let keep = t.len() - escape.len_utf8();
        *m = m.slice(0..keep);
        true
    } else {
        false
    }
}

/// Parses a Dockerfile.
pub fn parse(text: &str) -> Result<Dockerfile, ParseError> {
    let from = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let lines = split_lines(text, from);
    let mut df = Dockerfile {
        escape: '\\',
        ..Dockerfile::default()
    };

    // Parser directives: only at the very top, stop at the first line that is not one.
    let mut i = 0;
    while i < lines.len() {
        let Some((name, value, span)) = parse_directive(text, lines[i]) else {
            break;
        };
        if !matches!(name.as_str(), "syntax" | "escape" | "check") {
            break;
        }
        if df.directives.iter().any(|d| d.name == name) {
            return Err(ParseError {
                message: format!("only one `{name}` parser directive can be used"),
                span,
            });
        }
        if name == "escape" {
            df.escape = match value.as_str() {
                "\\" => '\\',
                "`" => '`',
                _ => {
                    return Err(ParseError {
                        message: format!("invalid escape directive `{value}`: must be ` or \\"),
                        span,
                    })
                }
            };
        }
        df.directives.push(Directive {
            name,
            value,
            value_span: span,
        });
        i += 1;
    }

    let mut pending: Vec<Comment> = Vec::new();
    while i < lines.len() {
        let l = lines[i];
        if is_comment_line(text, l) {
            pending.push(comment_of(text, l));
            i += 1;
            continue;
        }
        if is_blank_line(text, l) {
            pending.clear();
            i += 1;
            continue;
        }
        let first = skip_ws(text, l.start..l.end);
        let mut logical = Mapped::from_source(text, first..l.end);
        let mut comments_inside = Vec::new();
        let mut end_of_line = !strip_continuation(&mut logical, df.escape);
        let mut last_end = l.end;
        i += 1;
        while !end_of_line && i < lines.len() {
            let c = lines[i];
            i += 1;
            if is_comment_line(text, c) {
                comments_inside.push(comment_of(text, c));
                continue;
            }
            if is_blank_line(text, c) {
                continue;
            }
            let mut piece = Mapped::from_source(text, c.start..c.end);
            end_of_line = !strip_continuation(&mut piece, df.escape);
            logical.push_mapped(&piece);
            last_end = c.end;
        }
        let mut inst = parse_instruction(&logical)?;
        inst.span = Span::new(inst.keyword_span.start, last_end.max(inst.keyword_span.end));
        inst.line_start = l.start;
        inst.comments_before = std::mem::take(&mut pending);
        inst.comments_inside = comments_inside;

        // Heredocs: bodies follow the (whole, continued) instruction line.
        if matches!(inst.keyword.as_str(), "RUN" | "COPY" | "ADD")
            && inst.json.is_none()
            && logical.as_str().contains("<<")
        {
            for (mut doc, word) in heredoc_words(&logical) {
                let mut body = Mapped::new();
                let mut terminated = false;
                while i < lines.len() {
                    let b = lines[i];
                    i += 1;
                    let mut candidate = &text[b.start..b.end];
                    if doc.chomp {
                        candidate = candidate.trim_start_matches('\t');
                    }
                    if candidate == doc.name {
                        terminated = true;
                        break;
                    }
                    // Keep the line break in the body (a shell reads the body line by line).
                    let next = lines.get(i).map_or(text.len(), |n| n.start);
                    let line_end = if b.end < next { next } else { b.end };
                    if doc.chomp {
                        let s = &text[b.start..line_end];
                        let t = s.trim_start_matches('\t');
                        body.push_source(text, b.start + (s.len() - t.len())..line_end);
                    } else {
                        body.push_source(text, b.start..line_end);
                    }
                }
                if !terminated {
                    return Err(ParseError {
                        message: format!(
                            "unterminated heredoc `{}`: no line `{}` before the end of the file",
                            word.as_str(),
                            doc.name
                        ),
                        span: word.full_span(),
                    });
                }
                doc.body = body;
                inst.heredocs.push(doc);
            }
        }
        df.instructions.push(inst);
    }
    Ok(df)
}

/// Parses keyword, flags and arguments of one logical line.
fn parse_instruction(logical: &Mapped) -> Result<Instruction, ParseError> {
    let s = logical.as_str();
    let kw_len = s.find(|c: char| c.is_ascii_whitespace()).unwrap_or(s.len());
    let keyword = s[..kw_len].to_ascii_lowercase();
    let keyword_span = logical.span(0..kw_len);
    if !INSTRUCTIONS.contains(&keyword.as_str()) {
        let shown: String = s[..kw_len].chars().take(40).collect();
        return Err(ParseError {
            message: format!("unknown instruction `{shown}`: this is not a valid Dockerfile line"),
            span: keyword_span,
        });
    }
    let rest = logical.slice(kw_len..s.len()).trim();
    let mut inst = Instruction {
        keyword: keyword.to_ascii_uppercase(),
        keyword_span,
        span: keyword_span,
        line_start: 0,
        flags: Vec::new(),
        args: Mapped::new(),
        json: None,
        heredocs: Vec::new(),
        comments_before: Vec::new(),
        comments_inside: Vec::new(),
        onbuild: None,
    };
    if keyword == "onbuild" {
        // `ONBUILD ONBUILD` is refused before recursing, so a long chain cannot overflow
        // the stack.
        let inner_len = rest
            .as_str()
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        if rest.as_str()[..inner_len].eq_ignore_ascii_case("onbuild") {
            return Err(ParseError {
                message: "`ONBUILD` is not allowed as an ONBUILD instruction".to_string(),
                span: rest.span(0..inner_len),
            });
        }
        let inner = parse_instruction(&rest)?;
        if matches!(inner.keyword.as_str(), "ONBUILD" | "FROM" | "MAINTAINER") {
            return Err(ParseError {
                message: format!(
                    "`{}` is not allowed as an ONBUILD instruction",
                    inner.keyword
                ),
                span: inner.keyword_span,
            });
        }
        inst.args = rest;
        inst.onbuild = Some(Box::new(inner));
        return Ok(inst);
    }
    let (flags, args) = extract_flags(&rest);
    inst.flags = flags;
    inst.args = args.trim();
    if inst.args.as_str().starts_with('[') {
        inst.json = parse_json_array(&inst.args);
    }
    Ok(inst)
}

/// BuildKit's `extractBuilderFlags`: leading `--name[=value]` words.
fn extract_flags(rest: &Mapped) -> (Vec<Flag>, Mapped) {
    let s = rest.as_str();
    let b = s.as_bytes();
    let mut flags = Vec::new();
    let mut pos = 0;
    loop {
        while pos < b.len() && b[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if pos + 1 >= b.len() || b[pos] != b'-' || b[pos + 1] != b'-' {
            break;
        }
        let start = pos;
        let mut word = Mapped::new();
        let mut quote: Option<u8> = None;
        let mut name_end_in_word: Option<usize> = None;
        while pos < b.len() {
            let c = b[pos];
            if let Some(q) = quote {
                if c == q {
                    quote = None;
                    pos += 1;
                    continue;
                }
            } else {
                if c.is_ascii_whitespace() {
                    break;
                }
                if c == b'\'' || c == b'"' {
                    quote = Some(c);
                    pos += 1;
                    continue;
                }
            }
            if c == b'\\' && pos + 1 < b.len() {
                pos += 1;
            }
            let ch_len = utf8_len(b[pos]);
            let ch = &s[pos..(pos + ch_len).min(s.len())];
            if ch == "=" && name_end_in_word.is_none() && quote.is_none() {
                name_end_in_word = Some(word.len());
            }
            word.push_from(rest, pos..pos + ch.len());
            pos += ch_len;
        }
        if word.as_str() == "--" {
            break;
        }
        let span = rest.span(start..pos);
        let (name, value) = match name_end_in_word {
            Some(e) => (
                word.as_str()[2..e].to_string(),
                Some(word.slice(e + 1..word.len())),
            ),
            None => (word.as_str()[2..].to_string(), None),
        };
        flags.push(Flag { name, value, span });
    }
    (flags, rest.slice(pos.min(s.len())..s.len()))
}

fn utf8_len(b: u8) -> usize {
    match b {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    }
}

/// Parses `["a", "b"]` with spans; `None` if it is not a JSON array of strings.
pub fn parse_json_array(m: &Mapped) -> Option<Vec<JsonArg>> {
    let s = m.as_str();
    let b = s.as_bytes();
    let mut pos = 0;
    let ws = |pos: &mut usize| {
        while *pos < b.len() && b[*pos].is_ascii_whitespace() {
            *pos += 1;
        }
    };
    ws(&mut pos);
    if b.get(pos) != Some(&b'[') {
        return None;
    }
    pos += 1;
    let mut out = Vec::new();
    ws(&mut pos);
    if b.get(pos) == Some(&b']') {
        pos += 1;
        ws(&mut pos);
        return (pos == b.len()).then_some(out);
    }
    loop {
        ws(&mut pos);
        if b.get(pos) != Some(&b'"') {
            return None;
        }
        let start = pos;
        pos += 1;
        let mut value = Mapped::new();
        loop {
            let c = *b.get(pos)?;
            match c {
                b'"' => {
                    pos += 1;
                    break;
                }
                b'\\' => {
                    let e = *b.get(pos + 1)?;
                    let (ch, len) = match e {
                        b'"' => ('"', 2),
                        b'\\' => ('\\', 2),
                        b'/' => ('/', 2),
                        b'b' => ('\u{8}', 2),
                        b'f' => ('\u{c}', 2),
                        b'n' => ('\n', 2),
                        b'r' => ('\r', 2),
                        b't' => ('\t', 2),
                        b'u' => {
                            let hex = s.get(pos + 2..pos + 6)?;
                            let cp = u32::from_str_radix(hex, 16).ok()?;
                            (char::from_u32(cp).unwrap_or('\u{fffd}'), 6)
                        }
                        _ => return None,
                    };
                    value.push_char_at(ch, m.origin_of(pos));
                    pos += len;
                }
                0x00..=0x1f => return None,
                _ => {
                    let l = utf8_len(c);
                    value.push_from(m, pos..pos + l);
                    pos += l;
                }
            }
        }
        out.push(JsonArg {
            value,
            span: m.span(start..pos),
        });
        ws(&mut pos);
        match b.get(pos) {
            Some(b',') => pos += 1,
            Some(b']') => {
                pos += 1;
                break;
            }
            _ => return None,
        }
    }
    ws(&mut pos);
    (pos == b.len()).then_some(out)
}

/// Words of the line that BuildKit treats as heredoc openers (`^(\d*)<<(-?)([^<]*)$` on shell
/// words with quotes kept), in order.
fn heredoc_words(line: &Mapped) -> Vec<(Heredoc, Mapped)> {
    let s = line.as_str();
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < b.len() {
        while pos < b.len() && b[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if pos >= b.len() {
            break;
        }
        let start = pos;
        let mut quote: Option<u8> = None;
        while pos < b.len() {
            let c = b[pos];
            match quote {
                Some(q) if c == q => quote = None,
                Some(b'"') if c == b'\\' => pos += 1,
                Some(_) => {}
                None if c.is_ascii_whitespace() => break,
                None if c == b'\'' || c == b'"' => quote = Some(c),
                None if c == b'\\' => pos += 1,
                None => {}
            }
            pos += 1;
        }
        let end = pos.min(b.len());
        let word = &s[start..end];
        let digits = word.bytes().take_while(u8::is_ascii_digit).count();
        let Some(after) = word[digits..].strip_prefix("<<") else {
            continue;
        };
        let (chomp, rest) = match after.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, after),
        };
        if rest.is_empty() || rest.contains('<') {
            continue;
        }
        let mut name = String::new();
        let mut quoted = false;
        let mut q: Option<char> = None;
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match q {
                Some(qc) if c == qc => q = None,
                Some(_) => name.push(c),
                None if c == '\'' || c == '"' => {
                    q = Some(c);
                    quoted = true;
                }
                None if c == '\\' => {
                    quoted = true;
                    if let Some(n) = chars.next() {
                        name.push(n);
                    }
                }
                None => name.push(c),
            }
        }
        if name.is_empty() {
            continue;
        }
        let fd = if digits > 0 {
            word[..digits].parse().ok()
        } else {
            None
        };
        out.push((
            Heredoc {
                name,
                chomp,
                expand: !quoted,
                fd,
                body: Mapped::new(),
                word_span: line.span(start..end),
            },
            line.slice(start..end),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Dockerfile {
        match parse(s) {
            Ok(d) => d,
            Err(e) => panic!("parse error {e:?} for {s:?}"),
        }
    }

    fn kw(d: &Dockerfile) -> Vec<String> {
        d.instructions.iter().map(|i| i.keyword.clone()).collect()
    }

    #[test]
    fn empty_and_comment_only_files() {
        for s in ["", "\n", "# just a comment\n", "\u{feff}", "   \n\t\n"] {
            assert!(p(s).instructions.is_empty(), "{s:?}");
        }
    }

    #[test]
    fn lowercase_and_no_trailing_newline() {
        let d = p("from python:3.12\nrun pip install flask");
        assert_eq!(kw(&d), ["FROM", "RUN"]);
        assert_eq!(d.instructions[1].args.as_str(), "pip install flask");
        assert_eq!(d.instructions[1].span, Span::new(17, 38));
    }

    #[test]
    fn crlf_and_bom() {
        let s = "\u{feff}FROM a:1\r\nRUN x \\\r\n  y\r\n";
        let d = p(s);
        assert_eq!(kw(&d), ["FROM", "RUN"]);
        assert_eq!(d.instructions[1].args.as_str(), "x   y");
        let y = d.instructions[1].args.span(4..5);
        assert_eq!(&s[y.range()], "y");
    }

    #[test]
    fn directives_and_backtick_escape() {
        let s = "# syntax=docker/dockerfile:1.7\n# escape=`\nFROM mcr/windows:1\nRUN dir c:\\ `\n  && echo hi\n";
        let d = p(s);
        assert_eq!(d.escape, '`');
        assert_eq!(
            d.directive("syntax").map(|x| x.value.as_str()),
            Some("docker/dockerfile:1.7")
        );
        let sx = d
            .directive("syntax")
            .map(|x| x.value_span)
            .unwrap_or_default();
        assert_eq!(&s[sx.range()], "docker/dockerfile:1.7");
        assert_eq!(d.instructions[1].args.as_str(), "dir c:\\   && echo hi");
    }

    #[test]
    fn directive_after_comment_is_a_comment() {
        let d = p("# hello\n# escape=`\nFROM a\nRUN x \\\n y\n");
        assert_eq!(d.escape, '\\');
        assert!(d.directives.is_empty());
        assert_eq!(d.instructions[1].args.as_str(), "x  y");
    }

    #[test]
    fn bad_escape_and_duplicate_directive() {
        assert!(parse("# escape=x\nFROM a\n").is_err());
        assert!(parse("# syntax=a\n# syntax=b\nFROM a\n").is_err());
    }

    #[test]
    fn comments_and_blank_lines_inside_continuation() {
        let s = "RUN apt-get update && \\\n    # a comment \\\n\n    apt-get install -y curl\n";
        let d = p(s);
        assert_eq!(d.instructions.len(), 1);
        assert_eq!(
            d.instructions[0].args.as_str(),
            "apt-get update &&     apt-get install -y curl"
        );
        assert_eq!(d.instructions[0].comments_inside.len(), 1);
    }

    #[test]
    fn flags_with_quotes() {
        let s = "RUN --mount=type=cache,target=/root/.cache --network=none \"echo\"";
        let d = p(s);
        let i = &d.instructions[0];
        assert_eq!(i.flags.len(), 2);
        assert_eq!(i.flags[0].name, "mount");
        assert_eq!(
            i.flags[0].value.as_ref().map(|v| v.as_str()),
            Some("type=cache,target=/root/.cache")
        );
        assert_eq!(&s[i.flags[1].span.range()], "--network=none");
        assert_eq!(i.args.as_str(), "\"echo\"");
    }

    #[test]
    fn json_form() {
        let s = r#"RUN ["pip", "install", "fla\u0073k==1.0"]"#;
        let d = p(s);
        let j = d.instructions[0].json.clone().unwrap_or_default();
        assert_eq!(j.len(), 3);
        assert_eq!(j[2].value.as_str(), "flask==1.0");
        assert_eq!(&s[j[1].value.full_span().range()], "install");
        // not JSON -> shell form
        assert!(p("RUN [ -f x ] && echo").instructions[0].json.is_none());
    }

    #[test]
    fn heredocs() {
        let s = "FROM a\nRUN <<EOF\npip install flask\nEOF\nRUN <<-'A' cat <<B\n\tone\n\tA\ntwo\nB\nCOPY <<x /etc/y\ncontent\nx\n";
        let d = p(s);
        assert_eq!(kw(&d), ["FROM", "RUN", "RUN", "COPY"]);
        let h = &d.instructions[1].heredocs[0];
        assert_eq!(h.name, "EOF");
        assert_eq!(h.body.as_str(), "pip install flask\n");
        assert_eq!(&s[h.body.span(0..3).range()], "pip");
        let hs = &d.instructions[2].heredocs;
        assert_eq!(hs.len(), 2);
        assert!(hs[0].chomp && !hs[0].expand);
        assert_eq!(hs[0].body.as_str(), "one\n");
        assert_eq!(hs[1].body.as_str(), "two\n");
        assert_eq!(d.instructions[3].heredocs[0].body.as_str(), "content\n");
    }

    #[test]
    fn heredoc_after_continued_line() {
        let s = "FROM a\nRUN --mount=type=cache,target=/root/.cache \\\n    <<EOF\nset -e\npip install x\nEOF\nRUN echo done\n";
        let d = p(s);
        assert_eq!(kw(&d), ["FROM", "RUN", "RUN"]);
        assert_eq!(
            d.instructions[1].heredocs[0].body.as_str(),
            "set -e\npip install x\n"
        );
    }

    #[test]
    fn heredoc_at_eof_without_newline() {
        let d = p("RUN <<EOF\necho\nEOF");
        assert_eq!(d.instructions[0].heredocs[0].body.as_str(), "echo\n");
    }

    #[test]
    fn unterminated_heredoc_is_an_error() {
        let e = parse("FROM a\nRUN <<EOF\necho\n").err();
        assert!(
            e.is_some_and(|e| e.message.contains("unterminated") && e.span == Span::new(11, 16))
        );
    }

    #[test]
    fn not_heredocs() {
        // `cat<<EOF` is one word: BuildKit does not read a heredoc there; JSON form neither.
        let d = p("RUN echo a<<b\nRUN [\"cat\", \"<<EOF\"]\nRUN echo '<<EOF'\n");
        assert!(d.instructions.iter().all(|i| i.heredocs.is_empty()));
        assert_eq!(d.instructions.len(), 3);
    }

    #[test]
    fn onbuild() {
        let d = p("FROM a\nONBUILD RUN pip install x\n");
        let inner = d.instructions[1].onbuild.as_deref();
        assert_eq!(inner.map(|i| i.keyword.as_str()), Some("RUN"));
        assert_eq!(inner.map(|i| i.args.as_str()), Some("pip install x"));
        assert!(parse("ONBUILD FROM x\n").is_err());
        // A 10,000-long chain is one error, not a stack overflow.
        let chain = format!("FROM a\n{}RUN true\n", "ONBUILD ".repeat(10_000));
        let err = parse(&chain).err().map(|e| e.message);
        assert_eq!(
            err.as_deref(),
            Some("`ONBUILD` is not allowed as an ONBUILD instruction")
        );
    }

    #[test]
    fn jinja_is_one_precise_error() {
        let s = "FROM python:3.11\n{% if dev %}\nRUN pip install x\n{% endif %}\n";
        let e = parse(s).err();
        assert_eq!(e.as_ref().map(|e| e.span), Some(Span::new(17, 19)));
        assert!(e.is_some_and(|e| e.message.contains("`{%`")));
    }

    #[test]
    fn comments_before() {
        let d = p("FROM a\n# hadolint ignore=DL3013\n# pindrift: ignore[PD101]\nRUN x\n\n# far\n\nRUN y\n");
        assert_eq!(d.instructions[1].comments_before.len(), 2);
        assert!(d.instructions[2].comments_before.is_empty());
    }

    #[test]
    fn continuation_at_eof() {
        let d = p("RUN a \\");
        assert_eq!(d.instructions[0].args.as_str(), "a");
    }
}
