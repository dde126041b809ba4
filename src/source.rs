//! A file's text with a line index, so byte spans turn into `line:column`.

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
        Self {
            path: path.into(),
            display: Arc::from(display.as_ref()),
            text: Arc::from(text),
            line_starts,
            had_bom,
        }
    }

    /// Decodes raw bytes as pip does: UTF-8 (with or without BOM); other bytes are replaced.
    pub fn from_bytes(path: impl Into<PathBuf>, display: impl AsRef<str>, bytes: Vec<u8>) -> Self {
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
        };
        Self::new(path, display, text)
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

    /// Byte range of a 1-based line without its line ending.
    pub fn line_range(&self, line: u32) -> (u32, u32) {
        let start = self.line_start(line);
        let end = start + self.line_text(line).len();
        (start as u32, end as u32)
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

#[cfg(test)]
mod tests {
    use super::*;

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
