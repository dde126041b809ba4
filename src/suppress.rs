//! Inline suppression comments: `# pindrift: ignore[CODE,...] reason` or bare `# pindrift: ignore`,
//! and hadolint's `# hadolint ignore=DL3008,...` (mapped through [`HADOLINT_EQUIVALENTS`]).
//!
//! A comment is a [`Directive`] that covers a range of lines: the line it stands on (the
//! same-line form) or the next line (the line-before form: a comment on a line of its own,
//! with only comment lines between it and that line). The file formats decide where a comment
//! can stand (see `lint::requirements::parse` and `lint::dockerfile::suppressions`); [`apply`]
//! is the same for both: it drops the findings a directive covers and reports directives that
//! name unknown codes (PD004) and, when asked, codes that suppressed nothing (PD003).

use crate::config::Settings;
use crate::diagnostic::{Finding, Level, Span};
use crate::fix::FixAvailability;
use crate::lint::dockerfile::installers::Tool;
use crate::registry::Rule;
use crate::source::SourceFile;

/// hadolint rules and the pindrift codes that cover the same problem, so that
/// `# hadolint ignore=DL3013` keeps working. The installers' pin rules (DL3008 apt-get,
/// DL3013 pip, DL3018 apk, DL3028 gem, DL3033 yum, DL3037 zypper, DL3041 dnf/microdnf) also
/// cover PD214: hadolint reports a package list it cannot read (`apt-get install $PKGS`)
/// under those codes, so a team's `# hadolint ignore=DL3008` on such a line meant it.
pub const HADOLINT_EQUIVALENTS: &[(&str, &[Rule])] = &[
    ("DL3006", &[Rule::ImageWithoutTag]),
    ("DL3007", &[Rule::LatestTag]),
    (
        "DL3008",
        &[Rule::UnpinnedOsPackage, Rule::UnverifiablePackageList],
    ),
    (
        "DL3013",
        &[
            Rule::UnpinnedRequirement,
            Rule::LooseSpecifier,
            Rule::VcsRefNotCommit,
            Rule::UnverifiablePackageList,
        ],
    ),
    ("DL3016", &[Rule::UnpinnedLanguagePackage]),
    (
        "DL3018",
        &[Rule::UnpinnedOsPackage, Rule::UnverifiablePackageList],
    ),
    (
        "DL3028",
        &[Rule::UnpinnedLanguagePackage, Rule::UnverifiablePackageList],
    ),
    (
        "DL3033",
        &[Rule::UnpinnedOsPackage, Rule::UnverifiablePackageList],
    ),
    (
        "DL3037",
        &[Rule::UnpinnedOsPackage, Rule::UnverifiablePackageList],
    ),
    (
        "DL3041",
        &[Rule::UnpinnedOsPackage, Rule::UnverifiablePackageList],
    ),
    ("DL3062", &[Rule::UnpinnedLanguagePackage]),
];

/// The installers a hadolint rule is about: its mapped codes cover a Dockerfile package
/// finding (PD210, PD211, PD214) only when the finding is about one of them, as hadolint's
/// rule would only fire for them (`# hadolint global ignore=DL3018`, apk's rule, leaves
/// `apt-get install git` reported). Empty: any finding of the mapped codes.
fn hadolint_installers(dl: &str) -> &'static [Tool] {
    match dl.to_ascii_uppercase().as_str() {
        "DL3008" => &[Tool::AptGet, Tool::Apt, Tool::Aptitude],
        "DL3013" => &[Tool::Pip, Tool::Uv, Tool::Pipx],
        "DL3016" => &[Tool::Npm, Tool::Yarn, Tool::Pnpm],
        "DL3018" => &[Tool::Apk],
        "DL3028" => &[Tool::Gem],
        "DL3033" => &[Tool::Yum],
        "DL3037" => &[Tool::Zypper],
        "DL3041" => &[Tool::Dnf, Tool::Microdnf, Tool::Tdnf, Tool::Rpm],
        "DL3062" => &[Tool::Go, Tool::Cargo, Tool::Conda],
        _ => &[],
    }
}

/// Reported for a suppression that suppressed nothing (strict, or when enabled by name).
pub const UNUSED: Rule = Rule::UnusedSuppression;
/// Reported for a suppression that names an unknown code or cannot be read.
pub const INVALID: Rule = Rule::InvalidSuppression;
/// PD003 carries no fix yet (deleting the comment is for a later `pin`/`fix` job).
pub const UNUSED_FIX: FixAvailability = FixAvailability::None;
/// PD004 carries no fix: which code was meant needs a human.
pub const INVALID_FIX: FixAvailability = FixAvailability::None;

/// What a suppression comment switches off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// `None` means every code.
    pub codes: Option<Vec<String>>,
    pub reason: Option<String>,
}

impl Suppression {
    pub fn covers(&self, code: &str) -> bool {
        match &self.codes {
            None => true,
            Some(codes) => codes.iter().any(|c| c.eq_ignore_ascii_case(code)),
        }
    }
}

/// Parses the text of a comment (with or without its leading `#`). Returns `None`
/// when the comment is not a (well-formed) pindrift directive.
pub fn parse_suppression(comment: &str) -> Option<Suppression> {
    match parse_comment(comment)? {
        Parsed::Pindrift { codes, reason, .. } => Some(Suppression {
            codes: codes.map(|codes| codes.into_iter().map(|(code, _)| code).collect()),
            reason,
        }),
        _ => None,
    }
}

/// A comment read as a directive; ranges are byte offsets in the comment text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Parsed {
    Pindrift {
        /// `None`: bare `ignore`, every code.
        codes: Option<Vec<(String, std::ops::Range<usize>)>>,
        reason: Option<String>,
        /// The `ignore` word.
        keyword: std::ops::Range<usize>,
    },
    /// `# pindrift: …` that is not a valid directive: what is wrong, and where.
    Malformed(String, std::ops::Range<usize>),
    /// pindrift codes of the mapped hadolint rules, each with the installers it covers
    /// (empty: any); `global` for hadolint's file-wide `# hadolint global ignore=…`.
    Hadolint {
        codes: Vec<(Rule, &'static [Tool])>,
        global: bool,
    },
}

fn parse_comment(comment: &str) -> Option<Parsed> {
    let at = |rest: &str| comment.len() - rest.len();
    let body = comment.trim_start().trim_start_matches('#').trim_start();
    if let Some((list, global)) = hadolint_ignore(body) {
        let mut codes = Vec::new();
        for dl in list.split([',', ' ', '\t']).map(str::trim) {
            if let Some((_, pds)) = HADOLINT_EQUIVALENTS
                .iter()
                .find(|(d, _)| d.eq_ignore_ascii_case(dl))
            {
                let tools = hadolint_installers(dl);
                codes.extend(pds.iter().map(|&rule| (rule, tools)));
            }
        }
        return Some(Parsed::Hadolint { codes, global });
    }
    let rest = body.strip_prefix("pindrift:")?.trim_start();
    let first_word = |text: &str| {
        let word = text.split_whitespace().next().unwrap_or("");
        (word.to_string(), at(text)..at(text) + word.len())
    };
    let Some(after) = rest.strip_prefix("ignore") else {
        let (word, range) = first_word(rest);
        return Some(Parsed::Malformed(
            format!("`{word}` is not a pindrift directive (expected `pindrift: ignore[CODE,…]`)"),
            range,
        ));
    };
    let keyword = at(rest)..at(after);
    if let Some(list) = after.strip_prefix('[') {
        let Some(close) = list.find(']') else {
            return Some(Parsed::Malformed(
                "`ignore[` without a closing `]`".to_string(),
                keyword.start..at(list),
            ));
        };
        let base = at(list);
        let mut codes = Vec::new();
        let mut offset = 0;
        for piece in list[..close].split(',') {
            let lead = piece.len() - piece.trim_start().len();
            let code = piece.trim();
            if !code.is_empty() {
                let start = base + offset + lead;
                codes.push((code.to_ascii_uppercase(), start..start + code.len()));
            }
            offset += piece.len() + 1;
        }
        if codes.is_empty() {
            return Some(Parsed::Malformed(
                "`ignore[]` names no code (use a bare `ignore` for every code)".to_string(),
                keyword.start..base + close + 1,
            ));
        }
        return Some(Parsed::Pindrift {
            codes: Some(codes),
            reason: reason_of(&list[close + 1..]),
            keyword,
        });
    }
    if !after.is_empty() && !after.starts_with(char::is_whitespace) {
        let (word, range) = first_word(rest);
        return Some(Parsed::Malformed(
            format!("`{word}` is not a pindrift directive (expected `ignore` or `ignore[CODE,…]`)"),
            range,
        ));
    }
    let reason = reason_of(after);
    let next = after.trim_start();
    let word = next.split([' ', ',', '\t']).next().unwrap_or("");
    if looks_like_code(word) {
        return Some(Parsed::Malformed(
            format!(
                "codes go in brackets: `ignore[{word}]` (a bare `ignore` followed by `{word}` would switch off every code)"
            ),
            at(next)..at(next) + word.len(),
        ));
    }
    Some(Parsed::Pindrift {
        codes: None,
        reason,
        keyword,
    })
}

/// hadolint's `hadolint [global] ignore = DL3008, DL3009 [# comment]` as hadolint's own
/// parser reads it (blanks allowed around the words, `=` and `,`): the list of codes, and
/// whether it is the file-wide `global` form.
fn hadolint_ignore(body: &str) -> Option<(&str, bool)> {
    let blank = |c: char| c == ' ' || c == '\t';
    let rest = body.strip_prefix("hadolint")?;
    let after = rest.trim_start_matches(blank);
    if after.len() == rest.len() {
        return None;
    }
    let (global, rest) = match after.strip_prefix("global") {
        Some(r) if r.starts_with(blank) => (true, r.trim_start_matches(blank)),
        _ => (false, after),
    };
    let list = rest
        .strip_prefix("ignore")?
        .trim_start_matches(blank)
        .strip_prefix('=')?;
    let list = list.split('#').next().unwrap_or(list);
    Some((list, global))
}

/// Whether a comment is hadolint's file-wide `# hadolint global ignore=…`.
pub fn is_hadolint_global(comment: &str) -> bool {
    matches!(
        parse_comment(comment),
        Some(Parsed::Hadolint { global: true, .. })
    )
}

fn looks_like_code(word: &str) -> bool {
    let letters = word.bytes().take_while(u8::is_ascii_alphabetic).count();
    (2..=3).contains(&letters)
        && word.len() > letters
        && word[letters..].bytes().all(|b| b.is_ascii_digit())
}

fn reason_of(text: &str) -> Option<String> {
    let text = text.trim().trim_start_matches([':', '-', '—']).trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// One suppression comment of a file and the lines it covers.
#[derive(Debug, Clone)]
pub struct Directive {
    /// The comment, from its `#`.
    pub span: Span,
    parsed: Parsed,
    /// First and last line (1-based, inclusive) whose findings it suppresses; `None` when it
    /// stands before a blank line or at the end of the file and covers nothing.
    pub lines: Option<(u32, u32)>,
}

impl Directive {
    /// The directive in `comment` (the file's text from `#` to the end of the comment, which
    /// starts at byte `start` of the file), if it is one. `span_of` maps a byte range of the
    /// comment text to the file (comments read through continuations are not contiguous).
    pub fn parse(
        comment: &str,
        span_of: impl Fn(std::ops::Range<usize>) -> Span,
        lines: Option<(u32, u32)>,
    ) -> Option<Self> {
        let parsed = parse_comment(comment)?;
        let parsed = match parsed {
            Parsed::Pindrift {
                codes,
                reason,
                keyword,
            } => Parsed::Pindrift {
                codes: codes.map(|codes| {
                    codes
                        .into_iter()
                        .map(|(code, range)| {
                            let span = span_of(range);
                            (code, span.start..span.end)
                        })
                        .collect()
                }),
                reason,
                keyword: {
                    let span = span_of(keyword);
                    span.start..span.end
                },
            },
            Parsed::Malformed(message, range) => {
                let span = span_of(range);
                Parsed::Malformed(message, span.start..span.end)
            }
            other => other,
        };
        // `# hadolint global ignore=…` covers the whole file, wherever it stands.
        let lines = match parsed {
            Parsed::Hadolint { global: true, .. } => Some((1, u32::MAX)),
            _ => lines,
        };
        let trimmed = comment.trim_end().len();
        Some(Self {
            span: span_of(0..trimmed),
            parsed,
            lines,
        })
    }

    fn covers_line(&self, line: u32) -> bool {
        self.lines
            .is_some_and(|(first, last)| first <= line && line <= last)
    }

    /// Whether code `k` of this directive covers a finding about `installer`: a hadolint
    /// rule covers only its own installers' findings; everything else any.
    fn covers_installer(&self, k: usize, installer: Option<Tool>) -> bool {
        match (&self.parsed, installer) {
            (Parsed::Hadolint { codes, .. }, Some(tool)) => codes
                .get(k)
                .is_none_or(|(_, tools)| tools.is_empty() || tools.contains(&tool)),
            _ => true,
        }
    }

    /// The codes this directive switches off; `None` for every code.
    fn codes(&self) -> Option<Vec<&str>> {
        match &self.parsed {
            Parsed::Pindrift { codes: None, .. } => None,
            Parsed::Pindrift {
                codes: Some(codes), ..
            } => Some(codes.iter().map(|(c, _)| c.as_str()).collect()),
            Parsed::Hadolint { codes, .. } => {
                Some(codes.iter().map(|(rule, _)| rule.code()).collect())
            }
            Parsed::Malformed(..) => Some(Vec::new()),
        }
    }
}

/// Whether unused suppressions (PD003) are reported: in the strict profile, or when the
/// configuration names PD003 itself (`select = ["PD003"]`, `[rules] PD003 = "warning"`).
pub fn reports_unused(settings: &Settings) -> bool {
    if let Some(level) = settings.levels.get(&UNUSED) {
        return *level != Level::Off;
    }
    settings.strict() || settings.select.iter().any(|code| code == UNUSED.code())
}

/// Drops the findings of `source` that a directive covers and adds the findings about the
/// directives themselves: PD004 for unknown codes and malformed directives, PD003 (when
/// `report_unused`) for each code, or bare `ignore`, that suppressed nothing. hadolint
/// comments are never reported as unused: teams keep them for hadolint.
pub fn apply(
    directives: &[Directive],
    findings: Vec<Finding>,
    source: &SourceFile,
    report_unused: bool,
) -> Vec<Finding> {
    if directives.is_empty() {
        return findings;
    }
    // used[d][k]: code k of directive d (k = 0 for a bare ignore) suppressed something.
    let mut used: Vec<Vec<bool>> = directives
        .iter()
        .map(|d| vec![false; d.codes().map_or(1, |c| c.len())])
        .collect();
    let mut kept = Vec::with_capacity(findings.len());
    for finding in findings {
        // The findings about suppressions are not themselves suppressed by them.
        if finding.code == UNUSED || finding.code == INVALID {
            kept.push(finding);
            continue;
        }
        let mut suppressed = false;
        for (d, directive) in directives.iter().enumerate() {
            if !directive.covers_line(finding.line) {
                continue;
            }
            match directive.codes() {
                None => {
                    used[d][0] = true;
                    suppressed = true;
                }
                Some(codes) => {
                    for (k, code) in codes.iter().enumerate() {
                        if code.eq_ignore_ascii_case(finding.code.code())
                            && directive.covers_installer(k, finding.installer)
                        {
                            used[d][k] = true;
                            suppressed = true;
                        }
                    }
                }
            }
        }
        if !suppressed {
            kept.push(finding);
        }
    }
    for (directive, used) in directives.iter().zip(&used) {
        let to_span = |r: &std::ops::Range<usize>| Span::new(r.start, r.end);
        match &directive.parsed {
            Parsed::Malformed(message, range) => kept.push(
                Finding::new(
                    INVALID,
                    source,
                    to_span(range),
                    format!("invalid suppression: {message}"),
                )
                .with_hint("write `# pindrift: ignore[CODE,…] reason` (see `pindrift rule PD004`)"),
            ),
            Parsed::Hadolint { .. } => {}
            Parsed::Pindrift {
                codes: None,
                keyword,
                ..
            } => {
                if report_unused && !used[0] {
                    kept.push(unused_finding(
                        source,
                        to_span(keyword),
                        "`ignore` (every code)",
                        directive,
                    ));
                }
            }
            Parsed::Pindrift {
                codes: Some(codes), ..
            } => {
                for ((code, range), used) in codes.iter().zip(used) {
                    if crate::registry::rule(code).is_none() {
                        kept.push(
                            Finding::new(
                                INVALID,
                                source,
                                to_span(range),
                                format!("`{code}` in a suppression is not a pindrift rule, so it suppresses nothing"),
                            )
                            .with_hint("`pindrift rules` lists the codes; a hadolint code goes in `# hadolint ignore=…`"),
                        );
                    } else if report_unused && !used {
                        kept.push(unused_finding(
                            source,
                            to_span(range),
                            &format!("`{code}`"),
                            directive,
                        ));
                    }
                }
            }
        }
    }
    kept
}

fn unused_finding(source: &SourceFile, span: Span, what: &str, directive: &Directive) -> Finding {
    let why = if directive.lines.is_none() {
        " (it stands before a blank line or the end of the file, so it covers no line)"
    } else {
        ""
    };
    Finding::new(
        UNUSED,
        source,
        span,
        format!("suppression of {what} suppressed nothing{why}"),
    )
    .with_hint(
        "remove it (or just the unused code): a stale suppression would hide a future problem",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hadolint_pragmas_are_read_as_hadolint_reads_them() {
        let codes = |c: &str| match parse_comment(c) {
            Some(Parsed::Hadolint { codes, global }) => Some((
                codes.into_iter().map(|(r, _)| r).collect::<Vec<_>>(),
                global,
            )),
            _ => None,
        };
        let os = vec![Rule::UnpinnedOsPackage, Rule::UnverifiablePackageList];
        for (comment, global) in [
            ("# hadolint ignore=DL3008", false),
            ("#hadolint ignore=DL3008", false),
            ("# hadolint ignore = DL3009 , DL3008", false),
            ("# hadolint global ignore=DL3008", true),
            ("#  hadolint  global\tignore = DL3041", true),
            (
                "# hadolint global ignore=DL3033 # mirrors drop old versions",
                true,
            ),
            ("# hadolint global ignore=DL3037,DL3009", true),
        ] {
            assert_eq!(codes(comment), Some((os.clone(), global)), "{comment}");
        }
        for comment in [
            "# hadolintglobal ignore=DL3008",
            "# hadolint globalignore=DL3008",
            "# hadolint shell=powershell",
            "# hadolint ignore DL3008",
        ] {
            assert_eq!(codes(comment), None, "{comment}");
        }
        assert!(is_hadolint_global("  # hadolint global ignore=DL3008"));
        assert!(!is_hadolint_global("# hadolint ignore=DL3008"));
    }

    #[test]
    fn parses_codes_and_reason() {
        let s =
            parse_suppression("# pindrift: ignore[PD101, pd102] pinned by the base image").unwrap();
        assert_eq!(s.codes, Some(vec!["PD101".into(), "PD102".into()]));
        assert_eq!(s.reason.as_deref(), Some("pinned by the base image"));
        assert!(s.covers("PD102") && !s.covers("PD103"));
    }

    #[test]
    fn bare_ignore_covers_everything() {
        let s = parse_suppression("#pindrift: ignore").unwrap();
        assert!(s.codes.is_none() && s.covers("PD999"));
        assert!(parse_suppression("# pindrift: ignored").is_none());
        assert!(parse_suppression("# just a comment").is_none());
    }

    #[test]
    fn malformed_directives_are_recognized_not_ignored() {
        for text in [
            "# pindrift: ignore[PD101",
            "# pindrift: ignore PD101",
            "# pindrift: ignored",
            "# pindrift: ignore[]",
            "# pindrift: noqa",
        ] {
            assert!(
                matches!(parse_comment(text), Some(Parsed::Malformed(..))),
                "{text}"
            );
        }
        assert_eq!(parse_comment("# a comment"), None);
        let apt: &[Tool] = &[Tool::AptGet, Tool::Apt, Tool::Aptitude];
        assert_eq!(
            parse_comment("# hadolint ignore=DL3008,DL3009"),
            Some(Parsed::Hadolint {
                codes: vec![
                    (Rule::UnpinnedOsPackage, apt),
                    (Rule::UnverifiablePackageList, apt)
                ],
                global: false
            })
        );
    }

    #[test]
    fn code_ranges_point_into_the_comment() {
        let text = "# pindrift: ignore[PD101, PD999] why";
        let Some(Parsed::Pindrift {
            codes: Some(codes), ..
        }) = parse_comment(text)
        else {
            panic!()
        };
        let got: Vec<&str> = codes.iter().map(|(_, r)| &text[r.clone()]).collect();
        assert_eq!(got, ["PD101", "PD999"]);
    }

    fn findings_of(text: &str, report_unused: bool, at: &[(u32, Rule)]) -> Vec<String> {
        let source = SourceFile::new("f", "f", text);
        let mut directives = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if let Some(hash) = line.find('#') {
                let start = source.line_start(index as u32 + 1) + hash;
                let number = index as u32 + 1;
                directives.extend(Directive::parse(
                    &line[hash..],
                    |r| Span::new(start + r.start, start + r.end),
                    Some((number, number)),
                ));
            }
        }
        let findings = at
            .iter()
            .map(|(line, code)| {
                let start = source.line_start(*line);
                Finding::new(*code, &source, Span::new(start, start + 1), "x")
            })
            .collect();
        apply(&directives, findings, &source, report_unused)
            .iter()
            .map(|f| format!("{}:{}:{}", f.line, f.column, f.code))
            .collect()
    }

    #[test]
    fn unknown_and_unused_codes_are_reported_where_they_are_written() {
        let text = "a # pindrift: ignore[PD101, PD999, PD102]\nb # pindrift: ignore\n";
        assert_eq!(
            findings_of(
                text,
                false,
                &[(1, Rule::UnpinnedRequirement), (2, Rule::LooseSpecifier)]
            ),
            ["1:29:PD004"]
        );
        assert_eq!(
            findings_of(text, true, &[(1, Rule::UnpinnedRequirement)]),
            ["1:29:PD004", "1:36:PD003", "2:15:PD003"]
        );
    }
}
