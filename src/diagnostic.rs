//! Findings: what a rule reports, with an exact location.

use crate::fix::Fix;
use crate::registry::Rule;
use crate::source::{FileRef, SourceFile};
use serde::Serialize;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

pub use crate::span::Span;

/// How serious a finding is. `Off` disables a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Off,
    Note,
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Off => "off",
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "off" => Some(Level::Off),
            "note" => Some(Level::Note),
            "warning" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rule says about one thing, before it is placed in a file: the rule, the message,
/// a hint and, when the rule can make one, a fix. The caller that knows where the thing is
/// written turns it into a [`Finding`] ([`Violation::at`]), so one rule implementation serves
/// every place the thing can be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub rule: Rule,
    pub message: String,
    pub hint: Option<Cow<'static, str>>,
    pub fix: Option<Fix>,
}

impl Violation {
    pub fn new(rule: Rule, message: impl Into<String>) -> Self {
        Self {
            rule,
            message: message.into(),
            hint: None,
            fix: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<Cow<'static, str>>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The finding at `span` of `source`.
    pub fn at(self, source: &SourceFile, span: Span) -> Finding {
        let mut finding = Finding::new(self.rule, source, span, self.message);
        if let Some(hint) = self.hint {
            finding = finding.with_hint(hint);
        }
        match self.fix {
            Some(fix) => finding.with_fix(fix),
            None => finding,
        }
    }
}

/// What a finding says: its message (what this dereferences to and displays as) and its
/// hint, behind one pointer that the findings saying the same thing share ([`Interner`]).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Message(Arc<Said>);

#[derive(PartialEq, Eq, Hash)]
struct Said {
    text: Box<str>,
    hint: Option<Box<str>>,
}

impl Message {
    pub fn new(text: impl Into<String>, hint: Option<Box<str>>) -> Self {
        Self(Arc::new(Said {
            text: text.into().into_boxed_str(),
            hint,
        }))
    }

    /// How to resolve the problem, when there is more to say than the message.
    pub fn hint(&self) -> Option<&str> {
        self.0.hint.as_deref()
    }

    /// Whether both are one shared allocation.
    pub fn is_shared_with(&self, other: &Message) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for Message {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0.text
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.hint() {
            Some(hint) => write!(f, "{:?} (hint: {hint:?})", &**self),
            None => fmt::Debug::fmt(&**self, f),
        }
    }
}

/// One problem found in one file. Kept small (64 bytes): the file (path and text) is one
/// pointer shared with the other findings of the file, and message and hint one pointer
/// shared with the findings that say the same thing ([`Interner`]), so a run with millions
/// of findings stays small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule; displayed and serialized as its code (`PD101`).
    pub code: Rule,
    pub level: Level,
    /// The message; its hint is [`Finding::hint`].
    pub message: Message,
    /// The file: dereferences to (and displays as) its display path (relative to the
    /// working directory where possible).
    pub path: FileRef,
    pub span: Span,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    /// The edits that would resolve it, when the rule can make them (see [`crate::fix`]).
    /// Boxed: few findings have one, and every finding would pay for its size.
    pub fix: Option<Box<Fix>>,
    /// The installer a Dockerfile package finding is about (PD210, PD211, PD214), so that a
    /// hadolint pragma covers it only for its own installer (`DL3018` is apk's).
    pub installer: Option<crate::lint::dockerfile::installers::Tool>,
}

impl Finding {
    /// A finding at `span` of `source`; its level comes from the registry until
    /// configuration overrides it.
    pub fn new(code: Rule, source: &SourceFile, span: Span, message: impl Into<String>) -> Self {
        Self::saying(code, source, span, Message::new(message, None))
    }

    /// A finding at `span` of `source` that says `message` (shared with other findings).
    pub fn saying(code: Rule, source: &SourceFile, span: Span, message: Message) -> Self {
        let (line, column) = source.line_col(span.start);
        let (end_line, end_column) = source.line_col(span.end.max(span.start));
        Self {
            code,
            level: code.default_level(),
            message,
            path: source.file_ref().clone(),
            span,
            line,
            column,
            end_line,
            end_column,
            fix: None,
            installer: None,
        }
    }

    /// The installer this finding is about (see [`Finding::installer`]).
    pub fn with_installer(mut self, tool: crate::lint::dockerfile::installers::Tool) -> Self {
        self.installer = Some(tool);
        self
    }

    pub fn with_hint(mut self, hint: impl Into<Cow<'static, str>>) -> Self {
        let hint: Box<str> = match hint.into() {
            Cow::Borrowed(hint) => Box::from(hint),
            Cow::Owned(hint) => hint.into_boxed_str(),
        };
        match Arc::get_mut(&mut self.message.0) {
            Some(said) => said.hint = Some(hint),
            None => self.message = Message::new(&*self.message, Some(hint)),
        }
        self
    }

    /// How to resolve it, when there is more to say than the message.
    pub fn hint(&self) -> Option<&str> {
        self.message.hint()
    }

    /// Attaches a fix. Only rules whose implementation declares a fix availability other
    /// than `None` make fixes (the registry reads that declaration; tests hold rules to it).
    pub fn with_fix(mut self, fix: Fix) -> Self {
        debug_assert!(
            self.code.meta().fixable(),
            "{} is registered as not fixable but made a fix",
            self.code
        );
        self.fix = Some(Box::new(fix));
        self
    }

    /// The text of the line the finding starts on, without its line ending.
    pub fn source_line(&self) -> &str {
        self.path.line_at(self.span.start)
    }

    /// Sort key: path, position, code, message.
    pub fn sort_key(&self) -> (&str, u32, u32, Rule, &str) {
        (&self.path, self.line, self.column, self.code, &self.message)
    }
}

/// Most entries an [`Interner`] keeps: a file of distinct names would otherwise hold a
/// table as large as its findings for no sharing.
const INTERNED_MAX: usize = 1 << 16;

/// Shares equal messages and hints between findings: a file with 3,000,000 lines naming 1,000
/// packages keeps 1,000 messages, not 3,000,000. Up to [`INTERNED_MAX`] distinct texts.
#[derive(Debug, Default)]
pub struct Interner {
    said: rustc_hash::FxHashSet<Message>,
}

impl Interner {
    /// `finding` with its message and hint shared, remembered when there is room.
    pub fn intern(&mut self, finding: &mut Finding) {
        if let Some(shared) = self.said.get(&finding.message) {
            finding.message = shared.clone();
        } else if self.said.len() < INTERNED_MAX {
            self.said.insert(finding.message.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_stay_small() {
        assert!(std::mem::size_of::<Finding>() <= 64);
    }

    #[test]
    fn equal_messages_and_hints_are_shared() {
        let source = SourceFile::new("r.txt", "r.txt", "a\nb\n");
        let make =
            |span| Finding::new(Rule::UnpinnedRequirement, &source, span, "same").with_hint("hint");
        let mut interner = Interner::default();
        let (mut a, mut b) = (make(Span::new(0, 1)), make(Span::new(2, 3)));
        interner.intern(&mut a);
        interner.intern(&mut b);
        assert!(a.message.is_shared_with(&b.message));
        assert_eq!(
            (&*b.message, b.hint(), b.source_line()),
            ("same", Some("hint"), "b")
        );
    }
}
