//! Every rule pindrift knows: code, name, default level, and its documentation page.
//! Codes are stable: a retired code is never reused.
//!
//! One declaration below makes both the [`Rule`] enum (what findings carry, so a mistyped
//! code does not compile) and the [`RULES`] table, in the same order. Whether a rule is
//! fixable is not written here: each entry names the `FIX` constant its implementation
//! declares, and tests hold the implementation to it.

use crate::config::Profile;
use crate::diagnostic::Level;
use crate::fix::FixAvailability;
use std::fmt;

/// Where a rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Requirements,
    Dockerfile,
    Any,
}

/// What `pindrift pin` does for a rule's findings. Findings carry no fix for these: `check`
/// does not know what a source runs; `pin` reads it and rewrites the text itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PinAction {
    /// `pin` rewrites what the finding is about from the source (a version, a commit, a
    /// digest) where the text stands verbatim in the file.
    Rewrites,
    /// `pin` leaves it alone; the rule's page says why.
    Nothing,
}

#[derive(Debug, Clone, Copy)]
pub struct RuleMeta {
    pub rule: Rule,
    pub code: &'static str,
    pub name: &'static str,
    /// One line: what the rule reports.
    pub summary: &'static str,
    pub default_level: Level,
    /// The least profile that reports it: `Strict` rules are only reported under
    /// `profile = "strict"` (or when the rule says otherwise on its page).
    pub profile: Profile,
    /// Whether its findings can carry a fix (from the rule's implementation).
    pub fix: FixAvailability,
    /// What `pindrift pin` does for its findings (the page's "What `pin` does" says how).
    pub pin: PinAction,
    pub scope: Scope,
    /// The page from `rules/CODE.md`.
    pub doc: &'static str,
}

impl RuleMeta {
    pub fn strict_only(&self) -> bool {
        self.profile == Profile::Strict
    }

    pub fn fixable(&self) -> bool {
        self.fix.is_fixable()
    }

    /// `pindrift pin` rewrites what its findings are about.
    pub fn pinned_by_pin(&self) -> bool {
        self.pin == PinAction::Rewrites
    }
}

macro_rules! registry {
    ($(
        $variant:ident = $code:ident $name:literal {
            level: $level:ident,
            profile: $profile:ident,
            scope: $scope:ident,
            fix: $fix:path,
            pin: $pin:ident,
            summary: $summary:literal,
        }
    )*) => {
        /// A rule, by its stable code (`Rule::UnpinnedRequirement` is PD101).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $(
                #[doc = concat!("`", stringify!($code), "` ", $name, ": ", $summary)]
                $variant,
            )*
        }

        /// The registry, sorted by code; `RULES[rule as usize].rule == rule`.
        pub static RULES: &[RuleMeta] = &[
            $(
                RuleMeta {
                    rule: Rule::$variant,
                    code: stringify!($code),
                    name: $name,
                    summary: $summary,
                    default_level: Level::$level,
                    profile: Profile::$profile,
                    fix: $fix,
                    pin: PinAction::$pin,
                    scope: Scope::$scope,
                    doc: include_str!(concat!("../rules/", stringify!($code), ".md")),
                },
            )*
        ];
    };
}

registry! {
    SyntaxError = PD001 "syntax-error" {
        level: Error,
        profile: Default,
        scope: Any,
        fix: crate::lint::dockerfile::rules::syntax_error::FIX,
        pin: Nothing,
        summary: "A line the installer or builder would reject",
    }
    IncludeError = PD002 "include-error" {
        level: Error,
        profile: Default,
        scope: Requirements,
        fix: crate::lint::requirements::install::INCLUDE_ERROR_FIX,
        pin: Nothing,
        summary: "An -r/-c include that is missing, unreadable or circular",
    }
    UnusedSuppression = PD003 "unused-suppression" {
        level: Warning,
        profile: Strict,
        scope: Any,
        fix: crate::suppress::UNUSED_FIX,
        pin: Nothing,
        summary: "A `# pindrift: ignore` comment (or code in it) that suppressed nothing (strict)",
    }
    InvalidSuppression = PD004 "invalid-suppression" {
        level: Warning,
        profile: Default,
        scope: Any,
        fix: crate::suppress::INVALID_FIX,
        pin: Nothing,
        summary: "A suppression comment with an unknown code or that cannot be read",
    }
    FileTooLarge = PD005 "file-too-large" {
        level: Error,
        profile: Default,
        scope: Any,
        fix: crate::lint::requirements::install::FILE_TOO_LARGE_FIX,
        pin: Nothing,
        summary: "A file larger than the size cap (--max-file-size), not read",
    }
    UnpinnedRequirement = PD101 "unpinned-requirement" {
        level: Warning,
        profile: Default,
        scope: Any,
        fix: crate::lint::requirements::rules::unpinned_requirement::FIX,
        pin: Rewrites,
        summary: "Requirement without any version specifier",
    }
    LooseSpecifier = PD102 "loose-specifier" {
        level: Warning,
        profile: Default,
        scope: Any,
        fix: crate::lint::requirements::rules::loose_specifier::FIX,
        pin: Rewrites,
        summary: "Version specifier that admits more than one version",
    }
    VcsRefNotCommit = PD103 "vcs-ref-not-commit" {
        level: Warning,
        profile: Default,
        scope: Any,
        fix: crate::lint::requirements::rules::vcs_ref_not_commit::FIX,
        pin: Rewrites,
        summary: "VCS requirement or branch archive not fixed to a full commit hash",
    }
    ConflictingPins = PD104 "conflicting-pins" {
        level: Error,
        profile: Default,
        scope: Requirements,
        fix: crate::lint::requirements::rules::conflicting_pins::FIX,
        pin: Nothing,
        summary: "One package pinned to different versions in one install",
    }
    MissingHash = PD107 "missing-hash" {
        level: Warning,
        profile: Strict,
        scope: Requirements,
        fix: crate::lint::requirements::rules::missing_hash::FIX,
        pin: Nothing,
        summary: "Requirement without --hash (strict, or when pip is in hash-checking mode)",
    }
    UrlWithoutHash = PD108 "url-without-hash" {
        level: Warning,
        profile: Strict,
        scope: Any,
        fix: crate::lint::requirements::rules::url_without_hash::FIX,
        pin: Nothing,
        summary: "Direct URL archive without a hash",
    }
    LocalRequirement = PD109 "local-requirement" {
        level: Note,
        profile: Default,
        scope: Any,
        fix: crate::lint::requirements::rules::local_requirement::FIX,
        pin: Nothing,
        summary: "Local path or editable install: pinned by whatever is on disk",
    }
    ImageWithoutTag = PD201 "image-without-tag" {
        level: Warning,
        profile: Default,
        scope: Dockerfile,
        fix: crate::lint::dockerfile::rules::image_without_tag::FIX,
        pin: Rewrites,
        summary: "Image reference without a tag or digest (means `latest`)",
    }
    LatestTag = PD202 "latest-tag" {
        level: Warning,
        profile: Default,
        scope: Dockerfile,
        fix: crate::lint::dockerfile::rules::latest_tag::FIX,
        pin: Rewrites,
        summary: "Image reference with the `latest` tag and no digest",
    }
    TagWithoutDigest = PD203 "tag-without-digest" {
        level: Warning,
        profile: Strict,
        scope: Dockerfile,
        fix: crate::lint::dockerfile::rules::tag_without_digest::FIX,
        pin: Rewrites,
        summary: "Image reference with a tag but no @sha256 digest (strict)",
    }
    UnresolvedImageArg = PD204 "unresolved-image-arg" {
        level: Note,
        profile: Default,
        scope: Dockerfile,
        fix: crate::lint::dockerfile::rules::unresolved_image_arg::FIX,
        pin: Nothing,
        summary: "Image depends on a build arg with no default and no --build-arg",
    }
    UnpinnedOsPackage = PD210 "unpinned-os-package" {
        level: Warning,
        profile: Default,
        scope: Dockerfile,
        fix: crate::lint::dockerfile::rules::unpinned_os_package::FIX,
        pin: Rewrites,
        summary: "OS package (apt, apk, yum/dnf, zypper, rpm) without an exact version",
    }
    UnpinnedLanguagePackage = PD211 "unpinned-language-package" {
        level: Warning,
        profile: Default,
        scope: Dockerfile,
        fix: crate::lint::dockerfile::rules::unpinned_language_package::FIX,
        pin: Nothing,
        summary: "npm/yarn/pnpm/gem/go/cargo/conda package without an exact version",
    }
    UnresolvedVersionVariable = PD212 "unresolved-version-variable" {
        level: Note,
        profile: Default,
        scope: Dockerfile,
        fix: crate::lint::dockerfile::rules::unresolved_version_variable::FIX,
        pin: Nothing,
        summary: "Package, version or file in RUN from a variable with no known value",
    }
    RequirementsFileNotInContext = PD213 "requirements-file-not-in-context" {
        level: Note,
        profile: Default,
        scope: Dockerfile,
        fix: crate::lint::dockerfile::rules::requirements_file_not_in_context::FIX,
        pin: Nothing,
        summary: "pip -r/-c file that is not in the build context",
    }
    UnverifiablePackageList = PD214 "unverifiable-package-list" {
        level: Warning,
        profile: Default,
        scope: Dockerfile,
        fix: crate::lint::dockerfile::rules::unverifiable_package_list::FIX,
        pin: Nothing,
        summary: "Packages in RUN from a variable with no known value, a command substitution, a file or stdin",
    }
}

impl Rule {
    /// The registry entry.
    pub fn meta(self) -> &'static RuleMeta {
        &RULES[self as usize]
    }

    /// The stable code, e.g. `PD101`.
    pub fn code(self) -> &'static str {
        self.meta().code
    }

    pub fn name(self) -> &'static str {
        self.meta().name
    }

    pub fn default_level(self) -> Level {
        self.meta().default_level
    }

    /// The rule a code names (any case), if any.
    pub fn from_code(code: &str) -> Option<Rule> {
        rule(code).map(|meta| meta.rule)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Serialized as its code.
impl serde::Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

/// The registry entry for a code (any case), if any.
pub fn rule(code: &str) -> Option<&'static RuleMeta> {
    RULES
        .iter()
        .find(|rule| rule.code.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_enum_agree() {
        for (index, meta) in RULES.iter().enumerate() {
            assert_eq!(meta.rule as usize, index, "{}", meta.code);
            assert_eq!(meta.rule.meta().code, meta.code);
            assert_eq!(
                Rule::from_code(&meta.code.to_ascii_lowercase()),
                Some(meta.rule)
            );
        }
        assert_eq!(Rule::UnpinnedRequirement.code(), "PD101");
        assert_eq!(Rule::from_code("PD999"), None);
        assert_eq!(
            serde_json::to_string(&Rule::LatestTag).unwrap(),
            "\"PD202\""
        );
    }
}
