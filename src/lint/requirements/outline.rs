//! A requirements file as installs hold it: its text, its suppression comments and an
//! outline of its lines (where its includes are, whether it asks for hashes). The lines
//! themselves are parsed again each time they are read ([`OutlinedFile::lines`]): a file
//! of millions of lines is never held as millions of records, so a check's memory follows
//! its findings, not its input.

use super::parse::{parse_requirements, LineReader, LineSketch, RequirementsFile};
use crate::diagnostic::Span;
use crate::source::SourceFile;
use crate::suppress::Directive;

/// A read requirements file with the outline of its lines.
#[derive(Debug)]
pub struct OutlinedFile {
    pub source: SourceFile,
    /// `# pindrift: ignore[…]` comments (see [`RequirementsFile::directives`]).
    pub directives: Vec<Directive>,
    pub outline: Outline,
}

/// What an install needs to know of a file before it reads the file's lines.
#[derive(Debug, Default)]
pub struct Outline {
    /// How many lines have content (what [`OutlinedFile::lines`] yields).
    pub lines: usize,
    /// The `-r` and `-c` lines, in file order.
    pub includes: Vec<IncludeLine>,
    /// A line sets `--require-hashes`.
    pub require_hashes: bool,
    /// A requirement carries `--hash`.
    pub hashed: bool,
}

/// An `-r FILE` or `-c FILE` line.
#[derive(Debug, Clone)]
pub struct IncludeLine {
    /// Its index among the lines with content.
    pub index: usize,
    /// `-c`: read as constraints.
    pub constraint: bool,
    pub target: String,
    pub target_span: Span,
}

impl OutlinedFile {
    /// Reads every line of `source` once, keeping only the outline (requirements are not
    /// parsed: that is done when the lines are read).
    pub fn new(source: SourceFile) -> Self {
        let mut outline = Outline::default();
        let mut reader = LineReader::new(&source);
        while let Some(sketch) = reader.next_sketch() {
            let index = outline.lines;
            outline.lines += 1;
            match sketch {
                LineSketch::Include {
                    constraint,
                    target,
                    target_span,
                } => outline.includes.push(IncludeLine {
                    index,
                    constraint,
                    target,
                    target_span,
                }),
                LineSketch::RequireHashes => outline.require_hashes = true,
                LineSketch::HashedRequirement => outline.hashed = true,
                LineSketch::Other => {}
            }
        }
        let directives = reader.finish();
        outline.includes.shrink_to_fit();
        Self {
            source,
            directives,
            outline,
        }
    }

    /// The lines with content, parsed one at a time as they are read.
    pub fn lines(&self) -> LineReader<'_> {
        LineReader::new(&self.source)
    }

    /// The file with all its lines parsed and held, for jobs that plan edits on them.
    pub fn to_parsed(&self) -> RequirementsFile {
        parse_requirements(self.source.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outline_is_what_the_lines_say() {
        let text = "# top\nflask==2.0 --hash=sha256:ab\n-r base.txt\n\n--require-hashes\n-c c.txt\nbad line here\n-e ./x --hash=sha256:ab\n";
        let file = OutlinedFile::new(SourceFile::new("r.txt", "r.txt", text));
        let parsed = file.to_parsed();
        assert_eq!(file.outline.lines, parsed.lines.len());
        assert_eq!(file.lines().count(), parsed.lines.len());
        let includes: Vec<(usize, bool, &str)> = file
            .outline
            .includes
            .iter()
            .map(|i| (i.index, i.constraint, i.target.as_str()))
            .collect();
        assert_eq!(includes, [(1, false, "base.txt"), (3, true, "c.txt")]);
        assert!(file.outline.require_hashes && file.outline.hashed);
        // As the parsed lines say: an invalid requirement's `--hash` and `-e` alone do not
        // count, nor does `--require-hashes` after a requirement.
        for text in [
            "flask\n",
            "fla sk --hash=sha256:ab\n",
            "-e ./x --hash=sha256:ab\n",
            "flask --require-hashes\n",
        ] {
            let file = OutlinedFile::new(SourceFile::new("r.txt", "r.txt", text));
            assert!(
                !file.outline.require_hashes && !file.outline.hashed,
                "{text}"
            );
        }
    }
}
