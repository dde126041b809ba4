//! Byte spans into a file's text: the one span type of findings, edits and parsers.

use serde::Serialize;
use std::ops::Range;

/// A byte range in a file's text (after the BOM).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    /// An empty span at `at`.
    pub const fn at(at: usize) -> Self {
        Self { start: at, end: at }
    }

    pub const fn len(self) -> usize {
        self.end.saturating_sub(self.start)
    }

    pub const fn is_empty(self) -> bool {
        self.end <= self.start
    }

    /// For slicing: `&text[span.range()]`.
    pub const fn range(self) -> Range<usize> {
        self.start..self.end
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    pub fn contains(self, offset: usize) -> bool {
        self.start <= offset && offset < self.end
    }
}

impl From<Range<usize>> for Span {
    fn from(range: Range<usize>) -> Self {
        Span::new(range.start, range.end)
    }
}

/// Marks an origin whose byte is not a copy of the file's byte there (an escape's result, an
/// expanded variable, pip's joining space): such text cannot be edited in place.
const DERIVED: u32 = 1 << 31;
const MAX_ORIGIN: u32 = DERIVED - 1;

fn origin_u32(offset: usize) -> u32 {
    u32::try_from(offset).map_or(MAX_ORIGIN, |o| o.min(MAX_ORIGIN))
}

/// Text read from a file (or derived from such text), remembering for every byte the byte
/// offset in the file it came from, and whether it is a verbatim copy of that byte.
///
/// A requirements line joined from continuations or with `${VAR}` expanded, a Dockerfile
/// instruction read from several lines, shell words without their quotes and escapes, a
/// `sh -c` body: each is a `Mapped`, so a token found anywhere points back at the exact place
/// in the file ([`Mapped::span`]), and a fixer can tell whether it may rewrite that place
/// ([`Mapped::verbatim_span`]). Text that is one contiguous piece of the file (most lines)
/// keeps no per-byte table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mapped {
    text: String,
    /// Origin of byte 0 while the text is one verbatim piece of the file (`origin` is `None`).
    base: u32,
    /// Per-byte origins, with [`DERIVED`] set on bytes that are not copies.
    origin: Option<Vec<u32>>,
}

impl Mapped {
    pub fn new() -> Self {
        Self::default()
    }

    /// A contiguous piece of the file.
    pub fn from_source(src: &str, range: std::ops::Range<usize>) -> Self {
        let mut m = Self::new();
        m.push_source(src, range);
        m
    }

    /// Appends a contiguous piece of the file (`src[range]`).
    pub fn push_source(&mut self, src: &str, range: std::ops::Range<usize>) {
        let start = range.start;
        self.push_verbatim(&src[range], start);
    }

    /// Appends `piece`, a verbatim copy of the file's bytes from `origin` onwards.
    pub fn push_verbatim(&mut self, piece: &str, origin: usize) {
        if self.origin.is_none() {
            if self.text.is_empty() {
                self.base = origin_u32(origin);
            }
            if origin == self.base as usize + self.text.len() {
                self.text.push_str(piece);
                return;
            }
        }
        let table = self.table();
        table.extend((origin..origin + piece.len()).map(origin_u32));
        self.text.push_str(piece);
    }

    /// Appends text that is not in the file as written (an escape's result, a variable's
    /// value, a joining space); all its bytes point at `origin`.
    pub fn push_derived(&mut self, piece: &str, origin: usize) {
        let o = origin_u32(origin) | DERIVED;
        let table = self.table();
        table.extend(std::iter::repeat_n(o, piece.len()));
        self.text.push_str(piece);
    }

    /// Appends one character read at `origin` that is not a copy (escapes map to the backslash).
    pub fn push_char_at(&mut self, c: char, origin: usize) {
        let mut buf = [0u8; 4];
        self.push_derived(c.encode_utf8(&mut buf), origin);
    }

    /// Appends bytes `r` of another mapped text (with their origins).
    pub fn push_from(&mut self, other: &Mapped, r: std::ops::Range<usize>) {
        match &other.origin {
            None => self.push_verbatim(&other.text[r.clone()], other.base as usize + r.start),
            Some(origins) => {
                let table = self.table();
                table.extend_from_slice(&origins[r.clone()]);
                self.text.push_str(&other.text[r]);
            }
        }
    }

    /// Appends another mapped text.
    pub fn push_mapped(&mut self, other: &Mapped) {
        self.push_from(other, 0..other.len());
    }

    /// The same text, all of it marked as not verbatim: for text handed to another
    /// interpreter (an `sh -c` body, a heredoc read by a shell), whose bytes stand in the file
    /// inside another level of quoting.
    pub fn derived(mut self) -> Self {
        for o in self.table().iter_mut() {
            *o |= DERIVED;
        }
        self
    }

    /// Switches from `base + index` to an explicit table.
    fn table(&mut self) -> &mut Vec<u32> {
        let (base, len) = (self.base as usize, self.text.len());
        self.origin
            .get_or_insert_with(|| (base..base + len).map(origin_u32).collect())
    }

    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn into_string(self) -> String {
        self.text
    }

    fn raw_origin(&self, i: usize) -> u32 {
        match &self.origin {
            Some(origins) => origins[i],
            None => origin_u32(self.base as usize + i),
        }
    }

    /// File offset of text byte `i` (the end of the text maps just past its last byte).
    pub fn origin_of(&self, i: usize) -> usize {
        if i < self.text.len() {
            (self.raw_origin(i) & MAX_ORIGIN) as usize
        } else if self.text.is_empty() {
            self.base as usize
        } else {
            self.origin_of(self.text.len() - 1) + 1
        }
    }

    /// File span covering text bytes `r` (for a derived byte, the place it was read from).
    pub fn span(&self, r: std::ops::Range<usize>) -> Span {
        if r.start >= r.end {
            return Span::at(self.origin_of(r.start));
        }
        let start = self.origin_of(r.start);
        let end = self.origin_of(r.end - 1) + 1;
        Span::new(start, end.max(start))
    }

    /// File span of the whole text.
    pub fn full_span(&self) -> Span {
        self.span(0..self.text.len())
    }

    /// The file span that holds text bytes `r` byte for byte, if there is one: every byte a
    /// verbatim copy, at consecutive offsets. `None` for text that came from `${VAR}`, from an
    /// escape, from across a continuation or from an `sh -c` body: no fixer may rewrite it.
    pub fn verbatim_span(&self, r: std::ops::Range<usize>) -> Option<Span> {
        if r.start >= r.end || r.end > self.text.len() {
            return None;
        }
        let Some(origins) = &self.origin else {
            let base = self.base as usize;
            return Some(Span::new(base + r.start, base + r.end));
        };
        let slice = &origins[r.clone()];
        let first = *slice.first()?;
        let contiguous = slice
            .iter()
            .enumerate()
            .all(|(k, &o)| o & DERIVED == 0 && o as usize == first as usize + k);
        contiguous.then(|| Span::new(first as usize, first as usize + slice.len()))
    }

    /// The sub-text `r` (byte range of the text, on char boundaries).
    pub fn slice(&self, r: std::ops::Range<usize>) -> Mapped {
        let mut m = Mapped::new();
        m.push_from(self, r);
        m
    }

    /// Keeps bytes `r` only, in place.
    pub fn trim_to(mut self, r: std::ops::Range<usize>) -> Mapped {
        self.text.truncate(r.end);
        self.text.drain(..r.start);
        match &mut self.origin {
            Some(origin) => {
                origin.truncate(r.end);
                origin.drain(..r.start);
            }
            None => self.base = origin_u32(self.base as usize + r.start),
        }
        self
    }

    /// The text with leading and trailing ASCII whitespace removed.
    pub fn trim(&self) -> Mapped {
        let t = self
            .text
            .trim_start_matches(|c: char| c.is_ascii_whitespace());
        let start = self.text.len() - t.len();
        let t = t.trim_end_matches(|c: char| c.is_ascii_whitespace());
        self.slice(start..start + t.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_follow_pieces() {
        let src = "RUN a \\\n  b";
        let mut m = Mapped::from_source(src, 4..6);
        m.push_source(src, 8..11);
        assert_eq!(m.as_str(), "a   b");
        assert_eq!(m.span(4..5), Span::new(10, 11));
        assert_eq!(m.span(0..5), Span::new(4, 11));
        assert_eq!(m.trim().as_str(), "a   b");
        assert_eq!(m.span(5..5), Span::at(11));
        assert_eq!(m.full_span(), Span::new(4, 11));
    }

    #[test]
    fn verbatim_spans_only_where_the_text_is_the_file() {
        let src = "pip install fla\\sk ${PKG} 'six'";
        // One piece: verbatim anywhere.
        let whole = Mapped::from_source(src, 0..src.len());
        assert_eq!(whole.verbatim_span(4..11), Some(Span::new(4, 11)));
        // `fla\sk` read as a shell word: the backslash is gone, so no span holds `flask`.
        let mut word = Mapped::new();
        word.push_source(src, 12..15);
        word.push_source(src, 16..18);
        assert_eq!(word.as_str(), "flask");
        assert_eq!(word.span(0..5), Span::new(12, 18));
        assert_eq!(word.verbatim_span(0..5), None);
        assert_eq!(word.verbatim_span(0..3), Some(Span::new(12, 15)));
        // An expanded variable is derived; so is an escape's result.
        let mut expanded = Mapped::new();
        expanded.push_derived("flask==3.0", 19);
        assert_eq!(expanded.span(0..10), Span::new(19, 20));
        assert_eq!(expanded.verbatim_span(0..10), None);
        let mut escaped = Mapped::new();
        escaped.push_char_at('\n', 3);
        assert_eq!(escaped.verbatim_span(0..1), None);
        // A quoted word's text stands in the file without its quotes.
        let quoted = whole.slice(27..30);
        assert_eq!(quoted.as_str(), "six");
        assert_eq!(quoted.verbatim_span(0..3), Some(Span::new(27, 30)));
        // Handed to another shell (`sh -c '…'`), nothing is verbatim any more.
        let body = quoted.clone().derived();
        assert_eq!(body.span(0..3), Span::new(27, 30));
        assert_eq!(body.verbatim_span(0..3), None);
        // Copies keep what they copy.
        let mut joined = Mapped::new();
        joined.push_mapped(&quoted);
        joined.push_mapped(&expanded);
        assert_eq!(joined.verbatim_span(0..3), Some(Span::new(27, 30)));
        assert_eq!(joined.verbatim_span(2..5), None);
        assert_eq!(
            joined.trim_to(0..3).verbatim_span(0..3),
            Some(Span::new(27, 30))
        );
    }
}
