//! Every rule pindrift knows: code, name, default level, and its documentation page.
//! Codes are stable: a retired code is never reused.

use crate::diagnostic::Level;

/// Where a rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Requirements,
    Dockerfile,
    Any,
}

#[derive(Debug, Clone, Copy)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    /// One line: what the rule reports.
    pub summary: &'static str,
    pub default_level: Level,
    /// Only reported under `profile = "strict"` (or when the rule says otherwise on its page).
    pub strict_only: bool,
    /// A future `pindrift pin` can rewrite it (none can yet: no fixer ships).
    pub fixable: bool,
    pub scope: Scope,
    /// The page from `rules/CODE.md`.
    pub doc: &'static str,
}

macro_rules! rule {
    ($code:literal, $name:literal, $level:ident, $strict:literal, $fixable:literal, $scope:ident, $summary:literal) => {
        RuleMeta {
            code: $code,
            name: $name,
            summary: $summary,
            default_level: Level::$level,
            strict_only: $strict,
            fixable: $fixable,
            scope: Scope::$scope,
            doc: include_str!(concat!("../rules/", $code, ".md")),
        }
    };
}

/// The registry, sorted by code.
pub static RULES: &[RuleMeta] = &[
    rule!(
        "PD001",
        "syntax-error",
        Error,
        false,
        false,
        Any,
        "A line the installer or builder would reject"
    ),
    rule!(
        "PD002",
        "include-error",
        Error,
        false,
        false,
        Requirements,
        "An -r/-c include that is missing, unreadable or circular"
    ),
    rule!(
        "PD003",
        "unused-suppression",
        Warning,
        true,
        false,
        Any,
        "A `# pindrift: ignore` comment (or code in it) that suppressed nothing (strict)"
    ),
    rule!(
        "PD004",
        "invalid-suppression",
        Warning,
        false,
        false,
        Any,
        "A suppression comment with an unknown code or that cannot be read"
    ),
    rule!(
        "PD005",
        "file-too-large",
        Error,
        false,
        false,
        Any,
        "A file larger than the size cap (--max-file-size), not read"
    ),
    rule!(
        "PD101",
        "unpinned-requirement",
        Warning,
        false,
        false,
        Any,
        "Requirement without any version specifier"
    ),
    rule!(
        "PD102",
        "loose-specifier",
        Warning,
        false,
        false,
        Any,
        "Version specifier that admits more than one version"
    ),
    rule!(
        "PD103",
        "vcs-ref-not-commit",
        Warning,
        false,
        false,
        Any,
        "VCS requirement not fixed to a full commit hash"
    ),
    rule!(
        "PD104",
        "conflicting-pins",
        Error,
        false,
        false,
        Requirements,
        "One package pinned to different versions in one install"
    ),
    rule!(
        "PD107",
        "missing-hash",
        Warning,
        true,
        false,
        Requirements,
        "Requirement without --hash (strict, or when pip is in hash-checking mode)"
    ),
    rule!(
        "PD108",
        "url-without-hash",
        Warning,
        true,
        false,
        Any,
        "Direct URL archive without a hash"
    ),
    rule!(
        "PD109",
        "local-requirement",
        Note,
        false,
        false,
        Any,
        "Local path or editable install: pinned by whatever is on disk"
    ),
    rule!(
        "PD201",
        "image-without-tag",
        Warning,
        false,
        false,
        Dockerfile,
        "Image reference without a tag or digest (means `latest`)"
    ),
    rule!(
        "PD202",
        "latest-tag",
        Warning,
        false,
        false,
        Dockerfile,
        "Image reference with the `latest` tag and no digest"
    ),
    rule!(
        "PD203",
        "tag-without-digest",
        Warning,
        true,
        false,
        Dockerfile,
        "Image reference with a tag but no @sha256 digest (strict)"
    ),
    rule!(
        "PD204",
        "unresolved-image-arg",
        Note,
        false,
        false,
        Dockerfile,
        "Image depends on a build arg with no default and no --build-arg"
    ),
    rule!(
        "PD210",
        "unpinned-os-package",
        Warning,
        false,
        false,
        Dockerfile,
        "apt-get/apk package without an exact version"
    ),
    rule!(
        "PD211",
        "unpinned-language-package",
        Warning,
        false,
        false,
        Dockerfile,
        "npm/yarn/pnpm/gem/go/cargo/conda package without an exact version"
    ),
    rule!(
        "PD212",
        "unresolved-version-variable",
        Note,
        false,
        false,
        Dockerfile,
        "Package, version or file in RUN from a variable with no known value"
    ),
    rule!(
        "PD213",
        "requirements-file-not-in-context",
        Note,
        false,
        false,
        Dockerfile,
        "pip -r/-c file that is not in the build context"
    ),
];

pub fn rule(code: &str) -> Option<&'static RuleMeta> {
    RULES
        .iter()
        .find(|rule| rule.code.eq_ignore_ascii_case(code))
}

/// The registry's level for a code (`Warning` for an unknown code, which tests forbid).
pub fn default_level(code: &str) -> Level {
    rule(code).map_or(Level::Warning, |rule| rule.default_level)
}
