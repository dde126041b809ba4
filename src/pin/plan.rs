//! The shared vocabulary of `pin`: what it will change ([`Change`]), what it saw and left
//! alone and why ([`Left`]), per file ([`FilePlan`]). Requirements files (P1) and Dockerfiles
//! (P2) both plan into these; the writer, the reports and `--check` read only these.

use crate::fix::Edit;
use crate::registry::Rule;
use crate::source::SourceFile;
use std::path::PathBuf;
use std::sync::Arc;

/// One splice pindrift will make (reuses [`crate::fix::Edit`] for the bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Span in the [`SourceFile`]'s text, and its replacement.
    pub edit: Edit,
    /// 1-based line and column (characters) of the span start.
    pub line: u32,
    pub column: u32,
    /// The text the span holds now.
    pub before: String,
    /// `== edit.replacement`.
    pub after: String,
    /// The finding it resolves (PD101, PD102, PD103, PD203, PD210…).
    pub rule: Option<Rule>,
    /// In words: "eventlet 0.20.0 from container:web", "digest from registry".
    pub reason: String,
}

impl Change {
    /// A change replacing `span` of `source`'s text with `after`; line, column and `before`
    /// are read from the source.
    pub fn new(
        source: &SourceFile,
        span: crate::span::Span,
        after: impl Into<String>,
        rule: Option<Rule>,
        reason: impl Into<String>,
    ) -> Self {
        let after = after.into();
        let (line, column) = source.line_col(span.start);
        Self {
            before: source
                .text
                .get(span.range())
                .unwrap_or_default()
                .to_string(),
            edit: Edit::replace(span, after.clone()),
            line,
            column,
            after,
            rule,
            reason: reason.into(),
        }
    }
}

/// Something pin saw and did not change, and why (always reported, never dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Left {
    pub line: u32,
    pub column: u32,
    /// What was left: the requirement as written, the image reference, the file.
    pub subject: String,
    pub why: LeftReason,
}

/// Why something was left as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeftReason {
    /// The package is absent from the source.
    NotInSource,
    /// The marker is false for the source environment.
    MarkerFalse(String),
    /// The marker cannot be evaluated for the source (why).
    MarkerUnknown(String),
    /// Text from `${VAR}`, a joined continuation, an `sh -c` body, a heredoc escape.
    NotVerbatim,
    /// A `--hash` line: rewriting the version would leave a hash that no longer matches.
    Hashed,
    /// Exactly pinned to another version than the source runs; rewritten only with `--sync`.
    Drift {
        pinned: String,
        running: String,
    },
    /// A VCS reference, but the source has no commit id for it.
    NoCommit,
    /// Dockerfile images: a build stage.
    Stage,
    /// Dockerfile images: `scratch`.
    Scratch,
    /// Dockerfile images: behind a build argument with no value.
    UnresolvedArg(String),
    /// Compose images: the value uses `${VAR}` interpolation (the value as written).
    Interpolated(String),
    /// Dockerfile images: the digest could not be had (why).
    DigestUnavailable(String),
    /// The file is not valid in its encoding: never rewritten.
    NotUtf8,
    /// Left on purpose (configuration lets it float, a constraints file pins it): nothing
    /// to resolve. Addition to the shared contract.
    Exempt(String),
    Other(String),
}

impl LeftReason {
    /// Does this make `pin --check` fail? Everything does but what can never be resolved
    /// against this source by editing (a false marker, a stage, `scratch`) and what is left
    /// on purpose.
    pub fn is_unresolved(&self) -> bool {
        !matches!(
            self,
            LeftReason::MarkerFalse(_)
                | LeftReason::Stage
                | LeftReason::Scratch
                | LeftReason::Exempt(_)
        )
    }

    /// A short code for tables and JSON.
    pub fn code(&self) -> &'static str {
        match self {
            LeftReason::NotInSource => "not-in-source",
            LeftReason::MarkerFalse(_) => "marker-false",
            LeftReason::MarkerUnknown(_) => "marker-unknown",
            LeftReason::NotVerbatim => "not-verbatim",
            LeftReason::Hashed => "hashed",
            LeftReason::Drift { .. } => "drift",
            LeftReason::NoCommit => "no-commit",
            LeftReason::Stage => "stage",
            LeftReason::Scratch => "scratch",
            LeftReason::UnresolvedArg(_) => "unresolved-arg",
            LeftReason::Interpolated(_) => "interpolated",
            LeftReason::DigestUnavailable(_) => "digest-unavailable",
            LeftReason::NotUtf8 => "not-utf8",
            LeftReason::Exempt(_) => "exempt",
            LeftReason::Other(_) => "other",
        }
    }
}

impl std::fmt::Display for LeftReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LeftReason::NotInSource => f.write_str("not installed in the source"),
            LeftReason::MarkerFalse(marker) => {
                write!(f, "marker `{marker}` is false for the source")
            }
            LeftReason::MarkerUnknown(why) => f.write_str(why),
            LeftReason::NotVerbatim => f.write_str(
                "not written verbatim (continuation, ${VAR}, quotes or escapes): edit by hand",
            ),
            LeftReason::Hashed => f.write_str(
                "has --hash options: a new version would not match them; pin it with its hashes by hand",
            ),
            LeftReason::Drift { pinned, running } => write!(
                f,
                "pinned to {pinned}, the source runs {running} (--sync rewrites it)"
            ),
            LeftReason::NoCommit => {
                f.write_str("VCS reference, but the source has no commit id for it")
            }
            LeftReason::Stage => f.write_str("a build stage, not an image"),
            LeftReason::Scratch => f.write_str("`scratch` has no digest"),
            LeftReason::UnresolvedArg(arg) => {
                write!(f, "depends on build argument `{arg}`, which has no value")
            }
            LeftReason::Interpolated(written) => write!(
                f,
                "`{written}` uses Compose interpolation: not pinnable here; pin the value where the variable is set"
            ),
            LeftReason::DigestUnavailable(why) => write!(f, "no digest: {why}"),
            LeftReason::NotUtf8 => f.write_str(
                "not valid in its encoding: rewriting it would change other bytes; never rewritten",
            ),
            LeftReason::Exempt(why) | LeftReason::Other(why) => f.write_str(why),
        }
    }
}

/// Everything `pin` will do to one file, and everything it leaves.
#[derive(Debug, Clone)]
pub struct FilePlan {
    pub path: PathBuf,
    pub source: Arc<SourceFile>,
    pub changes: Vec<Change>,
    pub left: Vec<Left>,
    /// Set for kinds read other than by name: a Compose file (the lint that verifies the
    /// rewrite is chosen by it).
    pub kind: Option<crate::discover::FileKind>,
}

impl FilePlan {
    pub fn new(path: impl Into<PathBuf>, source: Arc<SourceFile>) -> Self {
        Self {
            path: path.into(),
            source,
            changes: Vec::new(),
            left: Vec::new(),
            kind: None,
        }
    }

    /// A left item at `span`'s start.
    pub fn leave(&mut self, span: crate::span::Span, subject: impl Into<String>, why: LeftReason) {
        let (line, column) = self.source.line_col(span.start);
        self.left.push(Left {
            line,
            column,
            subject: subject.into(),
            why,
        });
    }

    /// The file's new bytes with every change spliced in (encoding, BOM, line ends kept).
    pub fn new_bytes(&self) -> Result<Vec<u8>, crate::fix::FixError> {
        self.source
            .apply_edits(self.changes.iter().map(|c| &c.edit))
    }

    pub fn unresolved(&self) -> usize {
        self.left.iter().filter(|l| l.why.is_unresolved()).count()
    }
}

/// What the user asked of `pin` that changes what is planned.
#[derive(Debug, Clone)]
pub struct PinOptions {
    /// Rewrite exact pins that differ from the source (drift) to the source's version.
    pub sync: bool,
    /// Also pin `-c` constraints files.
    pub constraints: bool,
    /// Also pin OS packages (P2: apt-get / apk in Dockerfiles).
    pub os: bool,
    /// The source as given (`container:web`), for reasons.
    pub source: String,
    /// How long to wait for each answer of the Docker Engine (`--timeout`).
    pub timeout: std::time::Duration,
}

impl Default for PinOptions {
    fn default() -> Self {
        Self {
            sync: false,
            constraints: false,
            os: false,
            source: String::new(),
            timeout: crate::docker::DEFAULT_TIMEOUT,
        }
    }
}
