//! Text that remembers where every byte came from.
//!
//! A Dockerfile instruction is read from several physical lines (continuations, comment lines
//! removed), and shell words lose their quotes and escapes. [`Mapped`] keeps, for every byte of
//! such derived text, the byte offset in the original file it was read from, so that a token
//! found anywhere (even inside `sh -c '…'` inside a heredoc) points back at the exact place in
//! the file.

use std::ops::Range;

/// Derived text plus, per byte, the byte offset in the source file it came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mapped {
    pub text: String,
    origin: Vec<u32>,
}

impl Mapped {
    pub fn new() -> Self {
        Self::default()
    }

    /// A contiguous piece of the source file.
    pub fn from_source(src: &str, range: Range<usize>) -> Self {
        let mut m = Self::new();
        m.push_source(src, range);
        m
    }

    /// Appends a contiguous piece of the source file.
    pub fn push_source(&mut self, src: &str, range: Range<usize>) {
        let start = range.start;
        self.text.push_str(&src[range.clone()]);
        self.origin
            .extend((start..range.end).map(|o| u32::try_from(o).unwrap_or(u32::MAX)));
    }

    /// Appends a string whose bytes all come from `origin` onwards (contiguous).
    pub fn push_str_at(&mut self, s: &str, origin: usize) {
        self.text.push_str(s);
        self.origin
            .extend((origin..origin + s.len()).map(|o| u32::try_from(o).unwrap_or(u32::MAX)));
    }

    /// Appends one character read from the source at `origin` (escapes map to the backslash).
    pub fn push_char_at(&mut self, c: char, origin: usize) {
        let mut buf = [0u8; 4];
        let s = c.encode_utf8(&mut buf);
        self.text.push_str(s);
        let o = u32::try_from(origin).unwrap_or(u32::MAX);
        self.origin.resize(self.origin.len() + s.len(), o);
    }

    /// Appends bytes `r` of another mapped text (with their origins).
    pub fn push_from(&mut self, other: &Mapped, r: Range<usize>) {
        self.text.push_str(&other.text[r.clone()]);
        self.origin.extend_from_slice(&other.origin[r]);
    }

    /// Appends another mapped text.
    pub fn push_mapped(&mut self, other: &Mapped) {
        self.text.push_str(&other.text);
        self.origin.extend_from_slice(&other.origin);
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

    /// Source offset of text byte `i` (the end of the text maps just past its last byte).
    pub fn origin_of(&self, i: usize) -> usize {
        if let Some(&o) = self.origin.get(i) {
            o as usize
        } else if let Some(&o) = self.origin.last() {
            o as usize + 1
        } else {
            0
        }
    }

    /// Source span covering text bytes `r`.
    pub fn span(&self, r: Range<usize>) -> Range<usize> {
        if r.start >= r.end {
            let o = self.origin_of(r.start);
            return o..o;
        }
        let start = self.origin_of(r.start);
        let end = self.origin_of(r.end - 1) + 1;
        // A multi-byte character mapped contiguously ends at its last byte + 1 already.
        start..end.max(start)
    }

    /// Source span of the whole text.
    pub fn full_span(&self) -> Range<usize> {
        self.span(0..self.text.len())
    }

    /// The sub-text `r` (byte range of `text`, on char boundaries).
    pub fn slice(&self, r: Range<usize>) -> Mapped {
        Mapped {
            text: self.text[r.clone()].to_string(),
            origin: self.origin[r].to_vec(),
        }
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
        assert_eq!(m.span(4..5), 10..11);
        assert_eq!(m.span(0..5), 4..11);
        assert_eq!(m.trim().as_str(), "a   b");
        assert_eq!(m.span(5..5), 11..11);
    }
}
