//! Findings: what a rule reports, with an exact location.

use crate::fix::Fix;
use crate::registry::Rule;
use crate::source::SourceFile;
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
        finding.hint = self.hint.map(|hint| Arc::from(&*hint));
        match self.fix {
            Some(fix) => finding.with_fix(fix),
            None => finding,
        }
    }
}

/// One problem found in one file. Path and file text are shared with the other findings
/// of the same file, and message and hint with the findings that say the same thing
/// ([`Interner`]), so a run with millions of findings stays small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule; displayed and serialized as its code (`PD101`).
    pub code: Rule,
    pub level: Level,
    pub message: Arc<str>,
    /// Display path of the file (relative to the working directory where possible).
    pub path: Arc<str>,
    pub span: Span,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    /// The file's text and where the finding's first line sits in it, for rendering.
    text: Arc<str>,
    line_range: (u32, u32),
    pub hint: Option<Arc<str>>,
    /// The edits that would resolve it, when the rule can make them (see [`crate::fix`]).
    /// Boxed: few findings have one, and every finding would pay for its size.
    pub fix: Option<Box<Fix>>,
}

impl Finding {
    /// A finding at `span` of `source`; its level comes from the registry until
    /// configuration overrides it.
    pub fn new(code: Rule, source: &SourceFile, span: Span, message: impl Into<String>) -> Self {
        let (line, column) = source.line_col(span.start);
        let (end_line, end_column) = source.line_col(span.end.max(span.start));
        Self {
            code,
            level: code.default_level(),
            message: Arc::from(Into::<String>::into(message)),
            path: source.display.clone(),
            span,
            line,
            column,
            end_line,
            end_column,
            text: source.text.clone(),
            line_range: source.line_range(line),
            hint: None,
            fix: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<Cow<'static, str>>) -> Self {
        self.hint = Some(Arc::from(&*hint.into()));
        self
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
        let (start, end) = self.line_range;
        self.text.get(start as usize..end as usize).unwrap_or("")
    }

    /// Sort key: path, position, code, message.
    pub fn sort_key(&self) -> (&str, u32, u32, Rule, &str) {
        (
            &*self.path,
            self.line,
            self.column,
            self.code,
            &self.message,
        )
    }
}

/// Most entries an [`Interner`] keeps: a file of distinct names would otherwise hold a
/// table as large as its findings for no sharing.
const INTERNED_MAX: usize = 1 << 16;

/// Shares equal messages and hints between findings: a file with 3,000,000 lines naming 1,000
/// packages keeps 1,000 messages, not 3,000,000. Up to [`INTERNED_MAX`] distinct texts.
#[derive(Debug, Default)]
pub struct Interner {
    texts: rustc_hash::FxHashSet<Arc<str>>,
}

impl Interner {
    /// The shared copy of `text`, remembered when there is room.
    pub fn share(&mut self, text: &Arc<str>) -> Arc<str> {
        if let Some(shared) = self.texts.get(text) {
            return shared.clone();
        }
        if self.texts.len() < INTERNED_MAX {
            self.texts.insert(text.clone());
        }
        text.clone()
    }

    /// `finding` with its message and hint shared.
    pub fn intern(&mut self, finding: &mut Finding) {
        finding.message = self.share(&finding.message);
        if let Some(hint) = &finding.hint {
            finding.hint = Some(self.share(hint));
        }
    }
}
