//! A POSIX-ish shell tokenizer for `RUN` lines, with byte spans back into the Dockerfile.
//!
//! It does not run anything and does not build a full syntax tree: it splits a script into
//! simple commands (words and leading `NAME=value` assignments) across `&&`, `||`, `;`, `|`,
//! `&`, newlines, subshells `( )`, brace groups `{ }` and the reserved words of `if`/`while`/
//! `for`/`case`, removes redirections (and reads here-document bodies), and keeps every word as
//! parts: literal text (quotes and escapes removed), parameter expansions (`$X`, `${X:-d}`, ...)
//! and command substitutions. Every byte of a literal remembers its place in the file.

use crate::span::{Mapped, Span};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Literal text with quotes and escapes removed.
    Lit { text: Mapped, quoted: bool },
    /// `$NAME`, `${NAME}`, `${NAME<op><word>}`.
    Param {
        name: String,
        /// Operator such as `:-`, `-`, `:+`, `+`, `:?`, `?`, `#`, `%`, `/`; empty for none.
        op: String,
        /// The operator's word, raw (unexpanded, quotes kept).
        arg: Mapped,
        /// The whole expansion as written (`${X:-d}`).
        raw: Mapped,
        quoted: bool,
    },
    /// `$(...)`, `` `...` `` or `$((...))`: not knowable without running it.
    Command { body: Mapped, raw: Mapped },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// Span of the word in the file.
    pub span: Span,
    pub parts: Vec<Part>,
}

impl Word {
    /// The word's value when it has no expansions.
    pub fn literal(&self) -> Option<String> {
        let mut s = String::new();
        for p in &self.parts {
            match p {
                Part::Lit { text, .. } => s.push_str(text.as_str()),
                _ => return None,
            }
        }
        Some(s)
    }

    /// Literal text, or expansions written back as they were (for handing a body to an inner
    /// shell, which expands the same variables).
    pub fn reraw(&self) -> Mapped {
        let mut m = Mapped::new();
        for p in &self.parts {
            match p {
                Part::Lit { text, .. } => m.push_mapped(text),
                Part::Param { raw, .. } | Part::Command { raw, .. } => m.push_mapped(raw),
            }
        }
        m
    }

    /// Where the word's value stands in the file byte for byte: a word of literal text with
    /// no escape inside, and no quote inside its value (`'flask'` gives the span of `flask`);
    /// `None` for anything else, and for every word of text marked derived (`sh -c` bodies).
    pub fn verbatim_span(&self) -> Option<Span> {
        match self.parts.as_slice() {
            [Part::Lit { text, .. }] => text.verbatim_span(0..text.len()),
            _ => None,
        }
    }

    /// The text for display: literals plus raw expansions.
    pub fn display(&self) -> String {
        self.reraw().into_string()
    }

    /// True when the word starts with unquoted literal text equal to `s`.
    pub fn is_unquoted(&self, s: &str) -> bool {
        matches!(self.parts.as_slice(), [Part::Lit { text, quoted: false }] if text.as_str() == s)
    }

    /// `NAME=` prefix of an assignment word (unquoted name).
    pub fn assignment_name(&self) -> Option<&str> {
        let Some(Part::Lit {
            text,
            quoted: false,
        }) = self.parts.first()
        else {
            return None;
        };
        let t = text.as_str();
        let eq = t.find('=')?;
        let name = &t[..eq];
        is_name(name).then_some(name)
    }
}

pub fn is_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeredocRedirect {
    pub fd: Option<u32>,
    pub delimiter: String,
    pub strip_tabs: bool,
    /// The body when it was part of the text; `None` for a Dockerfile-level heredoc, whose
    /// body the caller takes from the instruction.
    pub body: Option<Mapped>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Command {
    pub assigns: Vec<Word>,
    pub words: Vec<Word>,
    pub heredocs: Vec<HeredocRedirect>,
    /// Files this command's standard input is redirected from (`< file`).
    pub stdin_file: Option<Word>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Script {
    pub commands: Vec<Command>,
    /// Bodies of command substitutions, to be scanned as scripts of their own.
    pub substitutions: Vec<Mapped>,
    /// Source spans of the comments the shell skips (`# …` where a word could start).
    pub comments: Vec<Span>,
}

const RESERVED_SKIP: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "{", "}", "!", "time",
    "esac", "[[", "]]",
];

struct Lexer<'a> {
    src: &'a Mapped,
    b: &'a [u8],
    pos: usize,
    script: Script,
    cur: Command,
    /// Heredocs waiting for their body: (command index or usize::MAX for current, heredoc idx).
    pending: Vec<(usize, usize)>,
    /// Read everything as one word (the word of `${X:-word}`): blanks and operators are text.
    whole: bool,
}

/// Tokenizes a shell script.
pub fn parse_script(src: &Mapped) -> Script {
    let mut lx = Lexer {
        src,
        b: src.as_str().as_bytes(),
        pos: 0,
        script: Script::default(),
        cur: Command::default(),
        pending: Vec::new(),
        whole: false,
    };
    lx.run();
    lx.script
}

/// Reads all of `src` as one word, as the shell reads the word of `${X:-word}`: quotes,
/// escapes and expansions are processed; blanks and operator characters are literal.
pub fn parse_word(src: &Mapped) -> Word {
    let mut lx = Lexer {
        src,
        b: src.as_str().as_bytes(),
        pos: 0,
        script: Script::default(),
        cur: Command::default(),
        pending: Vec::new(),
        whole: true,
    };
    lx.word()
}

fn is_op_char(c: u8) -> bool {
    matches!(c, b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>' | b'\n')
}

fn utf8_len(b: u8) -> usize {
    match b {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    }
}

impl Lexer<'_> {
    fn peek(&self, off: usize) -> Option<u8> {
        self.b.get(self.pos + off).copied()
    }

    fn end_command(&mut self) {
        let cmd = std::mem::take(&mut self.cur);
        // A redirect alone is kept: `done < list` gives a `while read` loop its input.
        if cmd.words.is_empty()
            && cmd.assigns.is_empty()
            && cmd.heredocs.is_empty()
            && cmd.stdin_file.is_none()
        {
            return;
        }
        let idx = self.script.commands.len();
        for p in &mut self.pending {
            if p.0 == usize::MAX {
                p.0 = idx;
            }
        }
        self.script.commands.push(cmd);
    }

    fn run(&mut self) {
        while self.pos < self.b.len() {
            let c = self.b[self.pos];
            match c {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\n' => {
                    self.pos += 1;
                    self.end_command();
                    self.read_heredoc_bodies();
                }
                b'#' => {
                    let start = self.pos;
                    while self.pos < self.b.len() && self.b[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                    let span = self.src.span(start..self.pos);
                    self.script.comments.push(span);
                }
                b'\\' if self.peek(1) == Some(b'\n') => self.pos += 2,
                b';' | b'|' | b'(' | b')' => {
                    self.pos += 1;
                    // `;;`, `||`, `|&` are all separators.
                    while matches!(self.peek(0), Some(b';' | b'|' | b'&')) {
                        self.pos += 1;
                    }
                    self.end_command();
                }
                b'&' => {
                    if self.peek(1) == Some(b'>') {
                        self.redirect(None);
                    } else {
                        self.pos += 1;
                        if self.peek(0) == Some(b'&') {
                            self.pos += 1;
                        }
                        self.end_command();
                    }
                }
                b'<' | b'>' => self.redirect(None),
                _ => {
                    // IO number: digits directly followed by < or >.
                    let digits = self.b[self.pos..]
                        .iter()
                        .take_while(|c| c.is_ascii_digit())
                        .count();
                    if digits > 0 && matches!(self.b.get(self.pos + digits), Some(b'<' | b'>')) {
                        let fd = std::str::from_utf8(&self.b[self.pos..self.pos + digits])
                            .ok()
                            .and_then(|s| s.parse().ok());
                        self.pos += digits;
                        self.redirect(fd);
                        continue;
                    }
                    let w = self.word();
                    self.push_word(w);
                }
            }
        }
        self.end_command();
    }

    fn push_word(&mut self, w: Word) {
        if self.cur.words.is_empty() {
            if w.assignment_name().is_some() {
                self.cur.assigns.push(w);
                return;
            }
            if let [Part::Lit {
                text,
                quoted: false,
            }] = w.parts.as_slice()
            {
                if RESERVED_SKIP.contains(&text.as_str()) {
                    return;
                }
            }
        }
        self.cur.words.push(w);
    }

    fn skip_blanks(&mut self) {
        while let Some(c) = self.peek(0) {
            if c == b' ' || c == b'\t' {
                self.pos += 1;
            } else if c == b'\\' && self.peek(1) == Some(b'\n') {
                self.pos += 2;
            } else {
                break;
            }
        }
    }

    fn redirect(&mut self, fd: Option<u32>) {
        // Operator.
        let rest = &self.b[self.pos..];
        let ops: &[&[u8]] = &[
            b"<<<", b"<<-", b"&>>", b"<<", b">>", b"<&", b">&", b"<>", b">|", b"&>", b"<", b">",
        ];
        let op = ops
            .iter()
            .find(|o| rest.starts_with(o))
            .copied()
            .unwrap_or(b">");
        self.pos += op.len();
        self.skip_blanks();
        if self.pos >= self.b.len() || is_op_char(self.b[self.pos]) && self.b[self.pos] != b'&' {
            return;
        }
        let target = self.word();
        match op {
            b"<<" | b"<<-" => {
                let mut delimiter = String::new();
                for p in &target.parts {
                    match p {
                        Part::Lit { text, .. } => delimiter.push_str(text.as_str()),
                        Part::Param { raw, .. } | Part::Command { raw, .. } => {
                            delimiter.push_str(raw.as_str())
                        }
                    }
                }
                self.cur.heredocs.push(HeredocRedirect {
                    fd,
                    delimiter,
                    strip_tabs: op == b"<<-",
                    body: None,
                });
                self.pending.push((usize::MAX, self.cur.heredocs.len() - 1));
            }
            b"<" if fd.is_none() || fd == Some(0) => self.cur.stdin_file = Some(target),
            _ => {}
        }
    }

    fn read_heredoc_bodies(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        for (ci, hi) in pending {
            let Some(h) = self
                .script
                .commands
                .get(ci)
                .and_then(|c| c.heredocs.get(hi))
            else {
                continue;
            };
            let (delim, strip) = (h.delimiter.clone(), h.strip_tabs);
            let mut body = Mapped::new();
            while self.pos < self.b.len() {
                let start = self.pos;
                let nl = memchr::memchr(b'\n', &self.b[start..]).map(|i| start + i);
                let (end, next) = match nl {
                    Some(i) => (i, i + 1),
                    None => (self.b.len(), self.b.len()),
                };
                self.pos = next;
                let mut line = &self.src.as_str()[start..end];
                line = line.trim_end_matches('\r');
                let mut off = start;
                if strip {
                    let t = line.trim_start_matches('\t');
                    off += line.len() - t.len();
                    line = t;
                }
                if line == delim {
                    break;
                }
                body.push_from(self.src, off..next);
            }
            if let Some(h) = self
                .script
                .commands
                .get_mut(ci)
                .and_then(|c| c.heredocs.get_mut(hi))
            {
                h.body = Some(body);
            }
        }
    }

    /// Reads one word starting at `pos`.
    fn word(&mut self) -> Word {
        let start = self.pos;
        let mut parts: Vec<Part> = Vec::new();
        let mut lit = Mapped::new();
        let flush = |parts: &mut Vec<Part>, lit: &mut Mapped, quoted: bool| {
            if !lit.is_empty() {
                parts.push(Part::Lit {
                    text: std::mem::take(lit),
                    quoted,
                });
            }
        };
        while self.pos < self.b.len() {
            let c = self.b[self.pos];
            match c {
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>'
                    if self.whole =>
                {
                    lit.push_from(self.src, self.pos..self.pos + 1);
                    self.pos += 1;
                }
                b' ' | b'\t' | b'\r' => break,
                c if is_op_char(c) => break,
                b'\\' => {
                    if self.peek(1) == Some(b'\n') {
                        self.pos += 2;
                        continue;
                    }
                    if self.pos + 1 < self.b.len() {
                        let l = utf8_len(self.b[self.pos + 1]);
                        lit.push_from(self.src, self.pos + 1..self.pos + 1 + l);
                        self.pos += 1 + l;
                    } else {
                        self.pos += 1;
                    }
                }
                b'\'' => {
                    flush(&mut parts, &mut lit, false);
                    self.pos += 1;
                    let s = self.pos;
                    while self.pos < self.b.len() && self.b[self.pos] != b'\'' {
                        self.pos += 1;
                    }
                    let mut q = Mapped::new();
                    q.push_from(self.src, s..self.pos);
                    self.pos = (self.pos + 1).min(self.b.len());
                    parts.push(Part::Lit {
                        text: q,
                        quoted: true,
                    });
                }
                b'"' => {
                    flush(&mut parts, &mut lit, false);
                    self.pos += 1;
                    self.double_quoted(&mut parts);
                }
                b'$' => {
                    if self.peek(1) == Some(b'\'') {
                        flush(&mut parts, &mut lit, false);
                        self.pos += 2;
                        let q = self.ansi_c();
                        parts.push(Part::Lit {
                            text: q,
                            quoted: true,
                        });
                    } else if self.peek(1) == Some(b'"') {
                        flush(&mut parts, &mut lit, false);
                        self.pos += 2;
                        self.double_quoted(&mut parts);
                    } else if let Some(p) = self.dollar(false) {
                        flush(&mut parts, &mut lit, false);
                        parts.push(p);
                    } else {
                        lit.push_from(self.src, self.pos..self.pos + 1);
                        self.pos += 1;
                    }
                }
                b'`' => {
                    flush(&mut parts, &mut lit, false);
                    let p = self.backtick();
                    parts.push(p);
                }
                _ => {
                    let l = utf8_len(c).min(self.b.len() - self.pos);
                    lit.push_from(self.src, self.pos..self.pos + l);
                    self.pos += l;
                }
            }
        }
        flush(&mut parts, &mut lit, false);
        Word {
            span: self.src.span(start..self.pos),
            parts,
        }
    }

    fn double_quoted(&mut self, parts: &mut Vec<Part>) {
        let mut lit = Mapped::new();
        let mut any = false;
        while self.pos < self.b.len() {
            let c = self.b[self.pos];
            match c {
                b'"' => {
                    self.pos += 1;
                    break;
                }
                b'\\' => match self.peek(1) {
                    Some(b'\n') => self.pos += 2,
                    Some(n @ (b'$' | b'`' | b'"' | b'\\')) => {
                        let _ = n;
                        lit.push_from(self.src, self.pos + 1..self.pos + 2);
                        self.pos += 2;
                    }
                    _ => {
                        lit.push_from(self.src, self.pos..self.pos + 1);
                        self.pos += 1;
                    }
                },
                b'$' => {
                    if let Some(p) = self.dollar(true) {
                        if !lit.is_empty() {
                            parts.push(Part::Lit {
                                text: std::mem::take(&mut lit),
                                quoted: true,
                            });
                        }
                        parts.push(p);
                        any = true;
                    } else {
                        lit.push_from(self.src, self.pos..self.pos + 1);
                        self.pos += 1;
                    }
                }
                b'`' => {
                    if !lit.is_empty() {
                        parts.push(Part::Lit {
                            text: std::mem::take(&mut lit),
                            quoted: true,
                        });
                    }
                    let p = self.backtick();
                    parts.push(p);
                    any = true;
                }
                _ => {
                    let l = utf8_len(c).min(self.b.len() - self.pos);
                    lit.push_from(self.src, self.pos..self.pos + l);
                    self.pos += l;
                }
            }
        }
        if !lit.is_empty() || !any {
            // An empty "" is still a (quoted, empty) part: `""` is an empty word.
            parts.push(Part::Lit {
                text: lit,
                quoted: true,
            });
        }
    }

    fn ansi_c(&mut self) -> Mapped {
        let mut m = Mapped::new();
        while self.pos < self.b.len() {
            let c = self.b[self.pos];
            if c == b'\'' {
                self.pos += 1;
                break;
            }
            if c == b'\\' && self.pos + 1 < self.b.len() {
                let e = self.b[self.pos + 1];
                let ch = match e {
                    b'n' => '\n',
                    b't' => '\t',
                    b'r' => '\r',
                    b'\\' => '\\',
                    b'\'' => '\'',
                    b'"' => '"',
                    b'a' => '\u{7}',
                    b'b' => '\u{8}',
                    b'e' | b'E' => '\u{1b}',
                    _ => {
                        // Kept as written: the backslash and the whole character after it
                        // (which may be more than one byte).
                        let l = 1 + utf8_len(e).min(self.b.len() - self.pos - 1);
                        m.push_from(self.src, self.pos..self.pos + l);
                        self.pos += l;
                        continue;
                    }
                };
                m.push_char_at(ch, self.src.origin_of(self.pos));
                self.pos += 2;
                continue;
            }
            let l = utf8_len(c).min(self.b.len() - self.pos);
            m.push_from(self.src, self.pos..self.pos + l);
            self.pos += l;
        }
        m
    }

    /// Index just past the bracket matching the opener at `open_pos` (`(`/`{`), skipping quotes.
    fn matching(&self, open_pos: usize, open: u8, close: u8) -> usize {
        let mut depth = 0usize;
        let mut i = open_pos;
        while i < self.b.len() {
            let c = self.b[i];
            match c {
                b'\\' => i += 1,
                b'\'' if open == b'(' => {
                    i += 1;
                    while i < self.b.len() && self.b[i] != b'\'' {
                        i += 1;
                    }
                }
                b'"' => {
                    i += 1;
                    while i < self.b.len() && self.b[i] != b'"' {
                        if self.b[i] == b'\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                }
                c if c == open => depth += 1,
                c if c == close => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        self.b.len()
    }

    /// Parses an expansion at `pos` (which is `$`); `None` when `$` is literal.
    fn dollar(&mut self, quoted: bool) -> Option<Part> {
        let start = self.pos;
        let next = self.peek(1)?;
        match next {
            b'{' => {
                let end = self.matching(start + 1, b'{', b'}');
                self.pos = end;
                let inner_end = if end > start + 2 && self.b.get(end - 1) == Some(&b'}') {
                    end - 1
                } else {
                    end
                };
                let inner = self.src.slice(start + 2..inner_end);
                let raw = self.src.slice(start..end);
                let t = inner.as_str();
                let (name, rest_at) = if let Some(n) = t.strip_prefix('#').filter(|n| is_name(n)) {
                    // ${#X}: length; treat as unknowable.
                    let _ = n;
                    return Some(Part::Command {
                        body: Mapped::new(),
                        raw,
                    });
                } else {
                    let l = t
                        .bytes()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
                        .count();
                    let l = if l == 0 && !t.is_empty() {
                        // special parameter such as ${@} or ${1}
                        utf8_len(t.as_bytes()[0])
                    } else {
                        l
                    };
                    (t[..l].to_string(), l)
                };
                let rest = &t[rest_at..];
                let op_len = [
                    ":-", ":+", ":?", ":=", "##", "%%", "//", "-", "+", "?", "=", "#", "%", "/",
                    ":",
                ]
                .iter()
                .find(|o| rest.starts_with(**o))
                .map_or(0, |o| o.len());
                let op = rest[..op_len].to_string();
                let arg = inner.slice(rest_at + op_len..t.len());
                Some(Part::Param {
                    name,
                    op,
                    arg,
                    raw,
                    quoted,
                })
            }
            b'(' => {
                let end = self.matching(start + 1, b'(', b')');
                self.pos = end;
                let body_end = if self.b.get(end - 1) == Some(&b')') {
                    end - 1
                } else {
                    end
                };
                let body = self.src.slice(start + 2..body_end.max(start + 2));
                let raw = self.src.slice(start..end);
                if !body.as_str().starts_with('(') {
                    self.script.substitutions.push(body.clone());
                }
                Some(Part::Command { body, raw })
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let l = self.b[start + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                self.pos = start + 1 + l;
                Some(Part::Param {
                    name: self.src.as_str()[start + 1..start + 1 + l].to_string(),
                    op: String::new(),
                    arg: Mapped::new(),
                    raw: self.src.slice(start..self.pos),
                    quoted,
                })
            }
            c if c.is_ascii_digit()
                || matches!(c, b'@' | b'*' | b'#' | b'?' | b'$' | b'!' | b'-') =>
            {
                self.pos = start + 2;
                Some(Part::Param {
                    name: (c as char).to_string(),
                    op: String::new(),
                    arg: Mapped::new(),
                    raw: self.src.slice(start..self.pos),
                    quoted,
                })
            }
            _ => None,
        }
    }

    fn backtick(&mut self) -> Part {
        let start = self.pos;
        let mut i = start + 1;
        while i < self.b.len() && self.b[i] != b'`' {
            if self.b[i] == b'\\' {
                i += 1;
            }
            i += 1;
        }
        let end = (i + 1).min(self.b.len());
        self.pos = end;
        let body = self.src.slice(start + 1..i.min(self.b.len()));
        self.script.substitutions.push(body.clone());
        Part::Command {
            body,
            raw: self.src.slice(start..end),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<Vec<String>> {
        let m = Mapped::from_source(s, 0..s.len());
        parse_script(&m)
            .commands
            .iter()
            .map(|c| c.words.iter().map(Word::display).collect())
            .collect()
    }

    #[test]
    fn ansi_c_escape_before_a_multibyte_character_is_kept_whole() {
        // Found by the `shell` fuzz target: `$'\Ѝ'` sliced the character in half.
        assert_eq!(
            words("echo $'a\\\u{40d}b' x"),
            vec![vec!["echo", "a\\\u{40d}b", "x"]]
        );
        assert_eq!(words("echo $'\\é"), vec![vec!["echo", "\\é"]]);
    }

    #[test]
    fn table() {
        let cases: &[(&str, &[&[&str]])] = &[
            ("a b c", &[&["a", "b", "c"]]),
            (
                "a && b || c; d | e & f",
                &[&["a"], &["b"], &["c"], &["d"], &["e"], &["f"]],
            ),
            ("'a b' \"c d\" e\\ f", &[&["a b", "c d", "e f"]]),
            (
                "(cd x && make) ; { y; }",
                &[&["cd", "x"], &["make"], &["y"]],
            ),
            ("X=1 Y=\"a b\" pip install z", &[&["pip", "install", "z"]]),
            (
                "if [ -f x ]; then pip install a; else pip install b; fi",
                &[
                    &["[", "-f", "x", "]"],
                    &["pip", "install", "a"],
                    &["pip", "install", "b"],
                ],
            ),
            ("echo a > out 2>&1 && cat < in", &[&["echo", "a"], &["cat"]]),
            (
                "echo $X ${Y:-d} \"$Z\"",
                &[&["echo", "$X", "${Y:-d}", "$Z"]],
            ),
            ("echo # comment\nls", &[&["echo"], &["ls"]]),
            ("a \\\n b", &[&["a", "b"]]),
            (
                "echo $(pip install x) `y`",
                &[&["echo", "$(pip install x)", "`y`"]],
            ),
            ("echo a|b", &[&["echo", "a"], &["b"]]),
            (
                "for p in a b; do pip install $p; done",
                &[&["for", "p", "in", "a", "b"], &["pip", "install", "$p"]],
            ),
            ("echo $'a\\tb' $\"c\"", &[&["echo", "a\tb", "c"]]),
            ("a &>/dev/null; b >| x", &[&["a"], &["b"]]),
            (
                "cat <<EOF > f\npip install nope\nEOF\npip install yes",
                &[&["cat"], &["pip", "install", "yes"]],
            ),
            ("echo \"\" ''", &[&["echo", "", ""]]),
        ];
        for (src, want) in cases {
            let got = words(src);
            let want: Vec<Vec<String>> = want
                .iter()
                .map(|c| c.iter().map(|s| s.to_string()).collect())
                .collect();
            assert_eq!(got, want, "{src:?}");
        }
    }

    /// A word's value may be edited in place only where the file holds it byte for byte.
    #[test]
    fn verbatim_spans_of_words() {
        let s = r#"pip install flask 'six' "re"quests fla\sk $PKG"#;
        let m = Mapped::from_source(s, 0..s.len());
        let script = parse_script(&m);
        let w = &script.commands[0].words;
        let spans: Vec<Option<&str>> = w
            .iter()
            .map(|w| w.verbatim_span().map(|span| &s[span.range()]))
            .collect();
        assert_eq!(
            spans,
            [
                Some("pip"),
                Some("install"),
                Some("flask"),
                Some("six"),
                None,
                None,
                None
            ]
        );
        // The same words inside `sh -c '…'`: the body is derived, nothing is verbatim.
        let derived = parse_script(&m.clone().derived());
        assert!(derived.commands[0]
            .words
            .iter()
            .all(|w| w.verbatim_span().is_none()));
    }

    #[test]
    fn spans_point_into_the_file() {
        let s = "pip install 'flask==1.0' \"re\"quests";
        let m = Mapped::from_source(s, 0..s.len());
        let sc = parse_script(&m);
        let w = &sc.commands[0].words;
        assert_eq!(&s[w[2].span.range()], "'flask==1.0'");
        assert_eq!(w[2].literal().as_deref(), Some("flask==1.0"));
        assert_eq!(&s[w[3].span.range()], "\"re\"quests");
        assert_eq!(w[3].literal().as_deref(), Some("requests"));
    }

    #[test]
    fn heredoc_bodies_and_assignments() {
        let s = "A=1 B=2 env\nbash <<-EOF\n\tpip install x\n\tEOF\n";
        let m = Mapped::from_source(s, 0..s.len());
        let sc = parse_script(&m);
        assert_eq!(sc.commands[0].assigns.len(), 2);
        let h = &sc.commands[1].heredocs[0];
        assert_eq!(h.delimiter, "EOF");
        assert_eq!(h.body.as_ref().map(|b| b.as_str()), Some("pip install x\n"));
    }

    #[test]
    fn dockerfile_heredoc_has_no_body() {
        let s = "python3 <<EOF";
        let m = Mapped::from_source(s, 0..s.len());
        let sc = parse_script(&m);
        assert_eq!(sc.commands[0].heredocs[0].body, None);
        assert_eq!(sc.commands[0].words.len(), 1);
    }

    #[test]
    fn params() {
        let s = "x ${A:-b c} $B ${C:+alt} ${D-x}";
        let m = Mapped::from_source(s, 0..s.len());
        let sc = parse_script(&m);
        let ops: Vec<(String, String, String)> = sc.commands[0].words[1..]
            .iter()
            .filter_map(|w| match &w.parts[0] {
                Part::Param { name, op, arg, .. } => {
                    Some((name.clone(), op.clone(), arg.as_str().to_string()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            ops,
            [
                ("A".into(), ":-".into(), "b c".into()),
                ("B".into(), "".into(), "".into()),
                ("C".into(), ":+".into(), "alt".into()),
                ("D".into(), "-".into(), "x".into())
            ]
        );
    }

    #[test]
    fn substitutions_are_collected() {
        let s = "echo $(pip install a) `pip install b`";
        let m = Mapped::from_source(s, 0..s.len());
        let sc = parse_script(&m);
        let subs: Vec<&str> = sc.substitutions.iter().map(|m| m.as_str()).collect();
        assert_eq!(subs, ["pip install a", "pip install b"]);
    }
}
