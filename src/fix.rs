//! Fixes as data: byte-range edits on a file's text, and one [`apply`] that splices them in.
//!
//! A finding may carry a [`Fix`]: the [`Edit`]s that would resolve it and how safe they are.
//! Nothing here writes a file. `pin` (and any later job that changes files) collects the fixes
//! it wants, splices them into the original text with [`apply`] (edits never overlap, their
//! order does not matter) and writes the bytes [`crate::source::SourceFile::encode`] gives back,
//! so comments, layout, line endings, BOM and encoding survive. A span that does not map
//! verbatim to the file (text expanded from `${VAR}`, an `sh -c` body, a heredoc escape) never
//! carries an edit: see [`crate::span::Mapped::verbatim_span`].

use crate::span::Span;
use std::fmt;

/// Replace the bytes of `span` (in the text the finding's spans index) with `replacement`.
/// An empty span inserts, an empty replacement deletes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

impl Edit {
    pub fn replace(span: Span, replacement: impl Into<String>) -> Self {
        Self {
            span,
            replacement: replacement.into(),
        }
    }

    pub fn insert(at: usize, text: impl Into<String>) -> Self {
        Self::replace(Span::new(at, at), text)
    }

    pub fn delete(span: Span) -> Self {
        Self::replace(span, String::new())
    }
}

/// How safe a fix is to apply without a human looking at it (ruff's levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Applicability {
    /// Only shown: a suggestion that needs a decision (e.g. which version to pin).
    DisplayOnly,
    /// Changes what gets installed in a way the user may not expect: applied on request.
    Unsafe,
    /// Keeps what is installed today: applied by default.
    Safe,
}

/// The edits that resolve one finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub edits: Vec<Edit>,
    pub applicability: Applicability,
}

impl Fix {
    pub fn safe(edits: Vec<Edit>) -> Self {
        Self {
            edits,
            applicability: Applicability::Safe,
        }
    }

    pub fn unsafe_edits(edits: Vec<Edit>) -> Self {
        Self {
            edits,
            applicability: Applicability::Unsafe,
        }
    }

    pub fn display_only(edits: Vec<Edit>) -> Self {
        Self {
            edits,
            applicability: Applicability::DisplayOnly,
        }
    }
}

/// Whether a rule's findings can carry a [`Fix`]. Each rule implementation declares it next to
/// its code; the registry takes it from there, and tests hold every rule to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FixAvailability {
    /// No finding of the rule carries a fix.
    None,
    /// Findings carry a fix when enough is known (e.g. the version to pin).
    Sometimes,
    /// Every finding carries a fix.
    Always,
}

impl FixAvailability {
    pub fn is_fixable(self) -> bool {
        self != FixAvailability::None
    }
}

/// Why edits could not be applied. Nothing is applied then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FixError {
    /// Two edits touch the same bytes (or insert at the same place with different text).
    Overlap(Span, Span),
    /// An edit reaches past the end of the text or splits a character.
    OutOfBounds(Span),
    /// The file's text is not its bytes (invalid UTF-8 decoded with replacement characters):
    /// writing it back would change bytes no edit touched.
    LossyText,
    /// The replacement cannot be written in the file's encoding (latin-1).
    Unencodable(char),
}

impl fmt::Display for FixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FixError::Overlap(a, b) => write!(
                f,
                "edits at bytes {}..{} and {}..{} overlap",
                a.start, a.end, b.start, b.end
            ),
            FixError::OutOfBounds(s) => {
                write!(
                    f,
                    "edit at bytes {}..{} is outside the text",
                    s.start, s.end
                )
            }
            FixError::LossyText => f.write_str(
                "the file is not valid in its encoding: rewriting it would change other bytes",
            ),
            FixError::Unencodable(c) => {
                write!(f, "`{c}` cannot be written in the file's encoding")
            }
        }
    }
}

impl std::error::Error for FixError {}

/// Splices `edits` into `text`, the text their spans index. The edits may come in any order
/// and from several fixes; identical edits count once; edits that overlap (or insert different
/// text at one place) are refused, as is an edit outside `text` or inside a character.
/// Every byte no edit touches is kept as it was (line endings included).
pub fn apply<'e>(
    text: &str,
    edits: impl IntoIterator<Item = &'e Edit>,
) -> Result<String, FixError> {
    let mut edits: Vec<&Edit> = edits.into_iter().collect();
    edits.sort_unstable();
    edits.dedup();
    for edit in &edits {
        let Span { start, end } = edit.span;
        if start > end
            || end > text.len()
            || !text.is_char_boundary(start)
            || !text.is_char_boundary(end)
        {
            return Err(FixError::OutOfBounds(edit.span));
        }
    }
    for pair in edits.windows(2) {
        let (a, b) = (pair[0].span, pair[1].span);
        // Sorted by start: `b` overlaps `a` if it starts inside it, or both insert at one place.
        if b.start < a.end || (a.start == a.end && a == b) {
            return Err(FixError::Overlap(a, b));
        }
    }
    let grown: usize = edits.iter().map(|e| e.replacement.len()).sum();
    let mut out = String::with_capacity(text.len() + grown);
    let mut copied = 0;
    for edit in edits {
        out.push_str(&text[copied..edit.span.start]);
        out.push_str(&edit.replacement);
        copied = edit.span.end;
    }
    out.push_str(&text[copied..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn edit(start: usize, end: usize, text: &str) -> Edit {
        Edit::replace(Span::new(start, end), text)
    }

    #[test]
    fn splices_replacements_insertions_and_deletions() {
        let text = "flask\nrequests>=2\n";
        let edits = [
            edit(0, 5, "flask==3.0.3"),
            edit(14, 17, "==2.32.3"),
            Edit::insert(18, "six==1.16.0\n"),
        ];
        assert_eq!(
            apply(text, &edits).unwrap(),
            "flask==3.0.3\nrequests==2.32.3\nsix==1.16.0\n"
        );
        assert_eq!(
            apply(text, &[Edit::delete(Span::new(0, 6))]).unwrap(),
            "requests>=2\n"
        );
        assert_eq!(apply(text, &[]).unwrap(), text);
    }

    #[test]
    fn order_does_not_matter() {
        let text = "a b c d";
        let edits = vec![
            edit(0, 1, "A"),
            edit(2, 3, "BB"),
            edit(4, 4, "x"),
            edit(6, 7, ""),
        ];
        let want = apply(text, &edits).unwrap();
        assert_eq!(want, "A BB xc ");
        let mut reversed = edits.clone();
        reversed.reverse();
        assert_eq!(apply(text, &reversed).unwrap(), want);
        let rotated: Vec<Edit> = edits[2..].iter().chain(&edits[..2]).cloned().collect();
        assert_eq!(apply(text, &rotated).unwrap(), want);
    }

    #[test]
    fn overlapping_edits_are_refused() {
        let text = "requests>=2,<3";
        for pair in [
            [edit(0, 8, "r"), edit(4, 10, "x")],
            [edit(8, 14, "==2.32.3"), edit(0, 9, "x")],
            [edit(3, 3, "a"), edit(3, 3, "b")],
            [edit(2, 6, "a"), edit(3, 4, "b")],
        ] {
            assert!(
                matches!(apply(text, &pair), Err(FixError::Overlap(..))),
                "{pair:?}"
            );
        }
        // Touching is not overlapping; an insertion before a replacement at the same place is
        // well defined; the same edit from two fixes counts once.
        assert_eq!(
            apply(text, &[edit(0, 8, "R"), edit(8, 14, "==2")]).unwrap(),
            "R==2"
        );
        assert_eq!(
            apply(text, &[edit(8, 14, "==2"), edit(8, 8, "[x]")]).unwrap(),
            "requests[x]==2"
        );
        assert_eq!(
            apply(text, &[edit(8, 14, "==2"), edit(8, 14, "==2")]).unwrap(),
            "requests==2"
        );
    }

    #[test]
    fn edits_outside_the_text_or_inside_a_character_are_refused() {
        assert_eq!(
            apply("abc", &[edit(2, 4, "x")]),
            Err(FixError::OutOfBounds(Span::new(2, 4)))
        );
        assert_eq!(
            apply("é", &[edit(1, 2, "x")]),
            Err(FixError::OutOfBounds(Span::new(1, 2)))
        );
        assert_eq!(
            apply("abc", &[edit(2, 1, "x")]),
            Err(FixError::OutOfBounds(Span::new(2, 1)))
        );
    }

    /// The spans of a file index its text after the BOM; the written bytes keep the BOM, the
    /// CRLF line endings and the encoding.
    #[test]
    fn crlf_bom_and_encoding_survive() {
        let bytes = b"\xef\xbb\xbfflask\r\nsix>=1\r\n".to_vec();
        let source = SourceFile::from_pip_bytes("r.txt", "r.txt", bytes);
        let edits = [edit(0, 5, "flask==3.0.3"), edit(10, 13, "==1.16.0")];
        assert_eq!(&source.text[10..13], ">=1");
        assert_eq!(
            source.apply_edits(&edits).unwrap(),
            b"\xef\xbb\xbfflask==3.0.3\r\nsix==1.16.0\r\n".to_vec()
        );

        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("six\r\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let source = SourceFile::from_pip_bytes("r.txt", "r.txt", utf16);
        let want: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("six==1.16.0\r\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(
            source.apply_edits(&[Edit::insert(3, "==1.16.0")]).unwrap(),
            want
        );

        let latin1 = b"# -*- coding: latin-1 -*-\ncaf\xe9\n".to_vec();
        let source = SourceFile::from_pip_bytes("r.txt", "r.txt", latin1);
        assert_eq!(
            source.apply_edits(&[Edit::insert(31, "==1")]).unwrap(),
            b"# -*- coding: latin-1 -*-\ncaf\xe9==1\n".to_vec()
        );
        assert_eq!(
            source.apply_edits(&[Edit::insert(31, "\u{2603}")]),
            Err(FixError::Unencodable('\u{2603}'))
        );
    }

    #[test]
    fn a_file_decoded_with_replacement_characters_is_not_rewritten() {
        let source = SourceFile::from_bytes("Dockerfile", "Dockerfile", b"FROM a\xff\n".to_vec());
        assert_eq!(
            source.apply_edits(&[Edit::insert(0, "# x\n")]),
            Err(FixError::LossyText)
        );
    }
}
