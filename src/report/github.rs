//! `--format github`: workflow commands that GitHub Actions turns into annotations.

use crate::diagnostic::{Finding, Level};
use std::borrow::Cow;
use std::io::{self, Write};

/// Escapes a command's message (`%`, CR, LF); other control characters (an ESC from a
/// requirements file) are shown as their pictures, never passed to the log. Borrowed when
/// nothing needs escaping (almost every message).
pub fn escape_data(text: &str) -> Cow<'_, str> {
    if !text.bytes().any(|b| matches!(b, b'%' | b'\r' | b'\n')) {
        return super::visible(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(super::visible_char(c)),
        }
    }
    Cow::Owned(out)
}

/// Escapes a command property (also `:` and `,`).
pub fn escape_property(text: &str) -> Cow<'_, str> {
    let data = escape_data(text);
    if !data.bytes().any(|b| matches!(b, b':' | b',')) {
        return data;
    }
    Cow::Owned(data.replace(':', "%3A").replace(',', "%2C"))
}

pub fn command_for(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note | Level::Off => "notice",
    }
}

pub fn render(findings: &[Finding], errors: &[String], out: &mut dyn Write) -> io::Result<()> {
    for message in errors {
        writeln!(out, "::error title=pindrift::{}", escape_data(message))?;
    }
    for f in findings {
        writeln!(
            out,
            "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            command_for(f.level),
            escape_property(&f.path),
            f.line,
            f.column,
            f.end_line,
            f.end_column,
            escape_property(f.code.code()),
            escape_data(&f.message)
        )?;
    }
    Ok(())
}
