//! Renderers for drift results, one file per format: [`table`] (comfy-table),
//! [`json`] (versioned), [`markdown`], [`github`] (annotations). They return strings; the
//! CLI prints them.

mod github;
mod json;
mod markdown;
mod table;

pub use json::to_json;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::reqcheck::{ReqCheck, ReqResult, ReqStatus};
use super::{Change, ChangeKind, DriftOutcome, FailOn, FileChange};
use crate::inventory::{Inventory, SourceInfo, Warning};

/// Version of the JSON output; bumped on incompatible changes. 2: `req:` sources are checked
/// as specifications (`requirements`), not diffed into `changes`; `tool` is `pindrift` as in
/// `check`'s JSON (plus `tool_version`, `command`).
pub const JSON_VERSION: u32 = 2;

/// Escape what a terminal or a markdown viewer would act on: control characters (ESC, `\r`,
/// `\n`, BEL…) and bidirectional overrides, written as `\x1b`, `\r`, `\u{202e}`. Names,
/// versions and paths come from images and containers: untrusted.
pub fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    let bad =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if bad(c) && (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if bad(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Escape every line of a rendered text (the line breaks themselves are kept).
fn esc_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&esc(line));
    }
    out
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Markdown,
    Github,
}

impl std::str::FromStr for Format {
    type Err = super::OptionError;
    fn from_str(s: &str) -> Result<Self, super::OptionError> {
        match s {
            "table" | "human" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "markdown" | "md" => Ok(Format::Markdown),
            "github" => Ok(Format::Github),
            other => Err(super::OptionError::Format(other.to_string())),
        }
    }
}

/// Everything a renderer needs for one comparison.
pub struct DriftReport<'a> {
    pub before: &'a Inventory,
    pub after: &'a Inventory,
    pub outcome: &'a DriftOutcome,
    pub show_all: bool,
    pub fail_on: FailOn,
    /// Container compared with the image it was created from.
    pub in_place: bool,
}

impl DriftReport<'_> {
    /// Does the report fail the gate? Files changed in place (a container against its own
    /// image) count at `--fail-on any`.
    pub fn tripped(&self) -> bool {
        (self.fail_on != FailOn::Never && self.unread() > 0)
            || self.outcome.trips(self.fail_on)
            || (self.in_place && self.fail_on == FailOn::Any && !self.outcome.files.is_empty())
    }

    /// Packages (or freeze lines) that could not be read on either side: never "clean".
    pub fn unread(&self) -> usize {
        self.warnings()
            .iter()
            .filter(|(_, w)| w.package_unread())
            .count()
    }

    fn warnings(&self) -> Vec<(&str, &Warning)> {
        let mut w: Vec<(&str, &Warning)> = self
            .before
            .warnings
            .iter()
            .map(|w| (self.before.source.spec.as_str(), w))
            .chain(
                self.after
                    .warnings
                    .iter()
                    .map(|w| (self.after.source.spec.as_str(), w)),
            )
            .collect();
        w.sort();
        w.dedup();
        w
    }
}

fn dash(v: &Option<String>) -> std::borrow::Cow<'_, str> {
    esc(v.as_deref().unwrap_or("-"))
}

fn arrow(c: &Change) -> String {
    format!("{} → {}", dash(&c.before), dash(&c.after))
}

fn visible(changes: &[Change], all: bool) -> Vec<&Change> {
    let mut v: Vec<&Change> = changes
        .iter()
        .filter(|c| all || c.change != ChangeKind::Unchanged)
        .collect();
    v.sort_by(|a, b| (a.change, &a.name).cmp(&(b.change, &b.name)));
    v
}

fn short_id(id: &str) -> &str {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    &id[..id.len().min(12)]
}

/// One line describing a source.
pub fn describe_source(s: &SourceInfo) -> String {
    let mut parts = Vec::new();
    if let Some(n) = &s.name {
        parts.push(format!("container {}", esc(n)));
    }
    if let Some(r) = &s.image_ref {
        parts.push(format!("image {}", esc(r)));
    }
    if let Some(i) = &s.image_id {
        parts.push(format!("image id {}", esc(short_id(i))));
    }
    parts.push(format!("via {}", s.via));
    format!("{} ({})", esc(&s.spec), parts.join(", "))
}

/// "modified in place: /usr/src/app/app.py changed; eventlet 0.20.0 → 0.20.1"
pub fn in_place_summary(outcome: &DriftOutcome) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for f in outcome.files.iter().filter(|f| !f.site) {
        parts.push(file_phrase(f));
    }
    for c in outcome.envs.iter().flat_map(|e| visible(&e.changes, false)) {
        parts.push(match c.change {
            ChangeKind::Added => format!("{} {} added", esc(&c.name), dash(&c.after)),
            ChangeKind::Removed => format!("{} {} removed", esc(&c.name), dash(&c.before)),
            _ => format!("{} {}", esc(&c.name), arrow(c)),
        });
    }
    if parts.is_empty() {
        return None;
    }
    Some(format!("modified in place: {}", parts.join("; ")))
}

fn file_phrase(f: &FileChange) -> String {
    if f.count > 1 || f.path.ends_with('/') {
        format!("{} {} ({} files)", esc(&f.path), f.kind, f.count)
    } else {
        format!("{} {}", esc(&f.path), f.kind)
    }
}

/// Render a comparison.
pub fn render(r: &DriftReport<'_>, format: Format) -> String {
    match format {
        // Every human-facing format is escaped as a whole too: nothing from an image reaches
        // the terminal raw, whichever field it came in. JSON is escaped by serde.
        Format::Table => esc_lines(&table::table(r)),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&to_json(r)).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Markdown => esc_lines(&markdown::markdown(r)),
        Format::Github => crate::report::github::limit(&esc_lines(&github::github(r))),
    }
}

/// Requirement rows to show: every requirement; packages not in the requirements only with
/// `--all` or `--strict-extra`. Worst first, then in file order.
fn req_rows(c: &ReqCheck, all: bool) -> Vec<&ReqResult> {
    let mut v: Vec<(usize, &ReqResult)> = c
        .results
        .iter()
        .enumerate()
        .filter(|(_, r)| all || c.strict_extra || r.status != ReqStatus::NotInRequirements)
        .collect();
    v.sort_by_key(|(i, r)| (r.status, *i));
    v.into_iter().map(|(_, r)| r).collect()
}

fn req_spec_text(r: &ReqResult) -> String {
    match r.specifier.as_deref() {
        None => "-".into(),
        Some("") => "any version".into(),
        Some(s) => esc(s).into_owned(),
    }
}

fn req_installed_text(r: &ReqResult) -> String {
    match &r.installed {
        Some(v) => format!("installed {}", esc(v)),
        None => "not installed".into(),
    }
}

fn req_counts_text(c: &ReqCheck) -> String {
    let counts = c.counts();
    let named = c
        .results
        .iter()
        .filter(|r| r.status != ReqStatus::NotInRequirements)
        .count();
    let mut parts: Vec<String> = Vec::new();
    for st in [
        ReqStatus::Violated,
        ReqStatus::Missing,
        ReqStatus::Unknown,
        ReqStatus::Unpinned,
        ReqStatus::Satisfied,
        ReqStatus::NotApplicable,
    ] {
        if let Some(n) = counts.get(st.as_str()) {
            parts.push(format!("{n} {}", st.as_str()));
        }
    }
    let mut text = format!("{}: {}", plural(named, "requirement"), parts.join(", "));
    if let Some(n) = counts.get(ReqStatus::NotInRequirements.as_str()) {
        let _ = write!(
            text,
            "; {} not in the requirements",
            plural(*n, "installed package")
        );
    }
    text
}

fn plural(n: usize, word: &str) -> String {
    match n {
        0 => format!("no {word}s"),
        1 => format!("1 {word}"),
        _ => format!("{n} {word}s"),
    }
}

pub fn fail_on_str(f: FailOn) -> &'static str {
    match f {
        FailOn::Any => "any",
        FailOn::Major => "major",
        FailOn::Minor => "minor",
        FailOn::Patch => "patch",
        FailOn::Downgrade => "downgrade",
        FailOn::Never => "never",
    }
}

/// Render a `--replicas` run: every replica against its image, odd ones out named.
#[allow(clippy::too_many_arguments)]
pub fn render_replicas(
    selector: &str,
    results: &[super::ReplicaResult],
    inventories: &[Inventory],
    format: Format,
    fail_on: FailOn,
    all: bool,
    failed: bool,
    fleet: Option<&super::fleet::FleetNotes>,
) -> String {
    let odd: Vec<&str> = results
        .iter()
        .filter(|r| r.odd_one_out)
        .map(|r| r.name.as_str())
        .collect();
    match format {
        Format::Json => json::replicas(
            selector,
            results,
            inventories,
            &odd,
            fail_on,
            all,
            failed,
            fleet,
        ),
        Format::Github => crate::report::github::limit(&github::replicas(results, failed, fleet)),
        Format::Table => table::replicas(selector, results, &odd, all, false, fleet),
        Format::Markdown => table::replicas(selector, results, &odd, all, true, fleet),
    }
}
