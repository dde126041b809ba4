//! A file's text with a line index, so byte spans turn into `line:column`.

use crate::fix::{Edit, FixError};
use std::path::PathBuf;
use std::sync::Arc;

/// One input file: its text (BOM stripped) and where its lines start.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path used to open the file.
    pub path: PathBuf,
    /// The path shown to the user (relative to the working directory where possible),
    /// shared with every finding in the file.
    pub display: Arc<str>,
    /// The text, without a leading UTF-8 byte order mark; findings share it to show their line.
    pub text: Arc<str>,
    /// Byte offset of the start of every line.
    line_starts: Vec<usize>,
    /// Whether the file on disk started with a byte order mark (kept when rewriting).
    pub had_bom: bool,
    /// How the bytes on disk were decoded (kept when rewriting).
    pub encoding: Encoding,
    /// `display` and `text` behind one pointer, for findings ([`FileRef`]).
    shared: FileRef,
    /// Bytes that were not valid in the encoding became replacement characters: the text is
    /// not the file, so it is never written back.
    pub lossy: bool,
}

/// What a finding keeps of its file, one pointer shared by all its findings: the path
/// shown to the user (what it dereferences to and displays as) and the text, to show the
/// line a finding is on. Compared, ordered and hashed as the path.
#[derive(Clone)]
pub struct FileRef(Arc<(Arc<str>, Arc<str>)>);

impl FileRef {
    /// The path shown, shared.
    pub fn display(&self) -> &Arc<str> {
        &self.0 .0
    }

    /// The file's text.
    pub fn text(&self) -> &str {
        &self.0 .1
    }

    /// The line around byte `offset`, without its line ending.
    pub fn line_at(&self, offset: usize) -> &str {
        let text = self.text();
        let bytes = text.as_bytes();
        let offset = offset.min(bytes.len());
        let start = memchr::memrchr(b'\n', &bytes[..offset]).map_or(0, |i| i + 1);
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        text.get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }
}

impl std::ops::Deref for FileRef {
    type Target = str;

    fn deref(&self) -> &str {
        self.display()
    }
}

impl std::fmt::Display for FileRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

impl std::fmt::Debug for FileRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

impl PartialEq for FileRef {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || **self == **other
    }
}

impl Eq for FileRef {}

impl PartialOrd for FileRef {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for FileRef {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if Arc::ptr_eq(&self.0, &other.0) {
            return std::cmp::Ordering::Equal;
        }
        (**self).cmp(&**other)
    }
}

impl std::hash::Hash for FileRef {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

/// The encodings pip's `auto_decode` recognizes by byte order mark or coding line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    Utf32Be,
    Latin1,
}

impl SourceFile {
    pub fn new(
        path: impl Into<PathBuf>,
        display: impl AsRef<str>,
        text: impl Into<String>,
    ) -> Self {
        let mut text: String = text.into();
        let had_bom = text.starts_with('\u{feff}');
        if had_bom {
            text.drain(..'\u{feff}'.len_utf8());
        }
        let mut line_starts = Vec::with_capacity(text.len() / 24 + 1);
        line_starts.push(0);
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        let display: Arc<str> = Arc::from(display.as_ref());
        let text: Arc<str> = Arc::from(text);
        Self {
            path: path.into(),
            shared: FileRef(Arc::new((display.clone(), text.clone()))),
            display,
            text,
            line_starts,
            had_bom,
            encoding: Encoding::Utf8,
            lossy: false,
        }
    }

    /// Decodes a requirements file as pip's `auto_decode` does: a UTF-8, UTF-16 or UTF-32
    /// byte order mark (in pip's order, so FF FE is UTF-16 little-endian), else a PEP 263
    /// `coding:` comment in the first two lines (`latin-1`, `utf-8`), else UTF-8.
    /// PowerShell's `pip freeze > requirements.txt` writes UTF-16 with a BOM.
    pub fn from_pip_bytes(
        path: impl Into<PathBuf>,
        display: impl AsRef<str>,
        bytes: Vec<u8>,
    ) -> Self {
        let (text, encoding, had_bom, lossy) = decode_pip(bytes);
        let mut source = Self::new(path, display, text);
        source.had_bom |= had_bom;
        source.encoding = encoding;
        source.lossy = lossy;
        source
    }

    /// Decodes raw bytes as UTF-8 (with or without BOM), as BuildKit reads a Dockerfile;
    /// other bytes are replaced.
    pub fn from_bytes(path: impl Into<PathBuf>, display: impl AsRef<str>, bytes: Vec<u8>) -> Self {
        let (text, lossy) = lossy_utf8(bytes);
        let mut source = Self::new(path, display, text);
        source.lossy = lossy;
        source
    }

    /// The bytes of this file with `text` (this file's text, edited) in place of its text:
    /// the BOM and the encoding are kept, so an edit-free `text` gives back the file's bytes.
    pub fn encode(&self, text: &str) -> Result<Vec<u8>, FixError> {
        if self.lossy {
            return Err(FixError::LossyText);
        }
        let bom: &[u8] = match (self.had_bom, self.encoding) {
            (false, _) => b"",
            (true, Encoding::Utf8 | Encoding::Latin1) => b"\xef\xbb\xbf",
            (true, Encoding::Utf16Le) => b"\xff\xfe",
            (true, Encoding::Utf16Be) => b"\xfe\xff",
            (true, Encoding::Utf32Be) => b"\x00\x00\xfe\xff",
        };
        let mut out = Vec::with_capacity(bom.len() + text.len());
        out.extend_from_slice(bom);
        match self.encoding {
            Encoding::Utf8 => out.extend_from_slice(text.as_bytes()),
            Encoding::Utf16Le => out.extend(text.encode_utf16().flat_map(u16::to_le_bytes)),
            Encoding::Utf16Be => out.extend(text.encode_utf16().flat_map(u16::to_be_bytes)),
            Encoding::Utf32Be => out.extend(text.chars().flat_map(|c| u32::from(c).to_be_bytes())),
            Encoding::Latin1 => {
                for c in text.chars() {
                    out.push(u8::try_from(u32::from(c)).map_err(|_| FixError::Unencodable(c))?);
                }
            }
        }
        Ok(out)
    }

    /// The file's bytes with `edits` (spans into [`Self::text`]) spliced in; see [`crate::fix::apply`].
    pub fn apply_edits<'e>(
        &self,
        edits: impl IntoIterator<Item = &'e Edit>,
    ) -> Result<Vec<u8>, FixError> {
        if self.lossy {
            return Err(FixError::LossyText);
        }
        self.encode(&crate::fix::apply(&self.text, edits)?)
    }

    /// The display path and text, shared (what a finding keeps of its file).
    pub fn file_ref(&self) -> &FileRef {
        &self.shared
    }

    /// 1-based line and column (in Unicode scalar values) of a byte offset.
    pub fn line_col(&self, byte: usize) -> (u32, u32) {
        let byte = byte.min(self.text.len());
        let line_index = match self.line_starts.binary_search(&byte) {
            Ok(exact) => exact,
            Err(next) => next - 1,
        };
        let start = self.line_starts[line_index];
        let column = self
            .text
            .get(start..byte)
            .map_or(byte - start, |prefix| prefix.chars().count());
        (line_index as u32 + 1, column as u32 + 1)
    }

    /// The text of a 1-based line, without its line ending.
    pub fn line_text(&self, line: u32) -> &str {
        let index = (line as usize).saturating_sub(1);
        let Some(&start) = self.line_starts.get(index) else {
            return "";
        };
        let end = self
            .line_starts
            .get(index + 1)
            .copied()
            .unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    /// Byte offset where a 1-based line starts.
    pub fn line_start(&self, line: u32) -> usize {
        let index = (line as usize).saturating_sub(1);
        self.line_starts
            .get(index)
            .copied()
            .unwrap_or(self.text.len())
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

/// (text, encoding, BOM seen, replacement characters inserted).
fn decode_pip(bytes: Vec<u8>) -> (String, Encoding, bool, bool) {
    let units16 = |body: &[u8], be: bool| -> (String, bool) {
        let mut lossy = false;
        let units = body.chunks(2).map(|pair| match (pair, be) {
            ([hi, lo], true) | ([lo, hi], false) => u16::from_le_bytes([*lo, *hi]),
            _ => 0xFFFD,
        });
        let text = char::decode_utf16(units)
            .map(|c| {
                c.unwrap_or_else(|_| {
                    lossy = true;
                    char::REPLACEMENT_CHARACTER
                })
            })
            .collect();
        (text, lossy || body.len() % 2 != 0)
    };
    if bytes.starts_with(b"\xef\xbb\xbf") {
        let (text, lossy) = lossy_utf8(bytes);
        return (text, Encoding::Utf8, false, lossy);
    }
    if let Some(body) = bytes.strip_prefix(b"\xff\xfe") {
        let (text, lossy) = units16(body, false);
        return (text, Encoding::Utf16Le, true, lossy);
    }
    if let Some(body) = bytes.strip_prefix(b"\xfe\xff") {
        let (text, lossy) = units16(body, true);
        return (text, Encoding::Utf16Be, true, lossy);
    }
    if let Some(body) = bytes.strip_prefix(b"\x00\x00\xfe\xff") {
        let mut lossy = body.len() % 4 != 0;
        let text = body
            .chunks(4)
            .map(|q| match q {
                [a, b, c, d] => char::from_u32(u32::from_be_bytes([*a, *b, *c, *d]))
                    .unwrap_or_else(|| {
                        lossy = true;
                        char::REPLACEMENT_CHARACTER
                    }),
                _ => char::REPLACEMENT_CHARACTER,
            })
            .collect();
        return (text, Encoding::Utf32Be, true, lossy);
    }
    let declared = bytes
        .split(|b| *b == b'\n')
        .take(2)
        .filter(|line| line.first() == Some(&b'#'))
        .find_map(coding_declaration);
    match declared.as_deref() {
        Some("latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1") => {
            let text = bytes.iter().map(|&b| char::from(b)).collect();
            (text, Encoding::Latin1, false, false)
        }
        _ => {
            let (text, lossy) = lossy_utf8(bytes);
            (text, Encoding::Utf8, false, lossy)
        }
    }
}

/// The encoding named by pip's `coding[:=]\s*([-\w.]+)` in a comment line, lowercased.
fn coding_declaration(line: &[u8]) -> Option<String> {
    let at = line.windows(6).position(|w| w == b"coding")? + 6;
    let rest = line.get(at..)?;
    let rest = rest
        .strip_prefix(b":")
        .or_else(|| rest.strip_prefix(b"="))?;
    let name: String = rest
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        .map(|&b| char::from(b).to_ascii_lowercase())
        .collect();
    (!name.is_empty()).then_some(name.replace('_', "-"))
}

/// The text, and whether invalid bytes were replaced.
fn lossy_utf8(bytes: Vec<u8>) -> (String, bool) {
    match String::from_utf8(bytes) {
        Ok(text) => (text, false),
        Err(err) => (String::from_utf8_lossy(err.as_bytes()).into_owned(), true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_decode_as_pip_auto_decode_does() {
        let utf16le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("six==1.16.0\r\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let src = SourceFile::from_pip_bytes("r", "r", utf16le);
        assert_eq!(
            (src.line_text(1), src.encoding),
            ("six==1.16.0", Encoding::Utf16Le)
        );
        let utf16be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("é==1\n".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        let src = SourceFile::from_pip_bytes("r", "r", utf16be);
        assert_eq!(
            (src.line_text(1), src.encoding),
            ("é==1", Encoding::Utf16Be)
        );
        let latin1 = b"# -*- coding: latin-1 -*-\ncaf\xe9==1\n".to_vec();
        let src = SourceFile::from_pip_bytes("r", "r", latin1);
        assert_eq!(
            (src.line_text(2), src.encoding),
            ("café==1", Encoding::Latin1)
        );
        let plain = SourceFile::from_pip_bytes("r", "r", b"\xef\xbb\xbfflask\n".to_vec());
        assert_eq!((plain.line_text(1), plain.had_bom), ("flask", true));
    }

    #[test]
    fn line_and_column_count_characters_not_bytes() {
        let src = SourceFile::new("f", "f", "a\nµb==1\r\nc");
        assert_eq!(src.line_col(0), (1, 1));
        assert_eq!(src.line_col(2), (2, 1));
        assert_eq!(src.line_col(4), (2, 2));
        assert_eq!(src.line_text(2), "µb==1");
        assert_eq!(src.line_text(3), "c");
        assert_eq!(src.line_text(9), "");
    }

    #[test]
    fn bom_is_stripped_and_remembered() {
        let src = SourceFile::new("f", "f", "\u{feff}flask\n");
        assert!(src.had_bom);
        assert_eq!(src.line_text(1), "flask");
    }
}
