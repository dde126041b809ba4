//! Renderers for drift results: table (comfy-table), JSON (versioned), markdown, GitHub
//! annotations. They return strings; the CLI prints them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use comfy_table::{presets, Cell, ContentArrangement, Table};
use serde_json::{json, Value};

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
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "table" | "human" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "markdown" | "md" => Ok(Format::Markdown),
            "github" => Ok(Format::Github),
            other => Err(format!(
                "unknown format `{other}` (expected table, json, markdown or github)"
            )),
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
        Format::Table => esc_lines(&table(r)),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&to_json(r)).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Markdown => esc_lines(&markdown(r)),
        Format::Github => esc_lines(&github(r)),
    }
}

fn change_table(changes: &[&Change], env_col: bool) -> String {
    let mut t = Table::new();
    t.load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .force_no_tty();
    for c in changes {
        let mut row = vec![
            Cell::new(c.change.as_str()),
            Cell::new(esc(&c.name)),
            Cell::new(arrow(c)),
            Cell::new(c.bump.map(|b| b.as_str()).unwrap_or("")),
        ];
        if env_col {
            row.push(Cell::new(esc(c.detail.as_deref().unwrap_or(""))));
        }
        t.add_row(row);
    }
    t.lines()
        .map(|l| format!("  {}", l.trim_end()))
        .collect::<Vec<_>>()
        .join("\n")
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

fn req_table(c: &ReqCheck, all: bool) -> String {
    let mut out = String::new();
    let rows = req_rows(c, all);
    let _ = writeln!(
        out,
        "\nRequirements ({} against {} {}): {}",
        esc(&c.spec),
        esc(&c.environment),
        esc(&c.env),
        req_counts_text(c)
    );
    let mut t = Table::new();
    t.load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .force_no_tty();
    for r in &rows {
        t.add_row(vec![
            Cell::new(r.status.as_str()),
            Cell::new(esc(&r.name)),
            Cell::new(req_spec_text(r)),
            Cell::new(req_installed_text(r)),
            Cell::new(esc(r.location.as_deref().unwrap_or(""))),
            Cell::new(esc(r.detail.as_deref().unwrap_or(""))),
        ]);
    }
    if !rows.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            t.lines()
                .map(|l| format!("  {}", l.trim_end()))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    let extra = c
        .results
        .iter()
        .filter(|r| r.status == ReqStatus::NotInRequirements)
        .count();
    if extra > 0 && !all && !c.strict_extra {
        let _ = writeln!(
            out,
            "  + {} not in the requirements (--all lists them; --strict-extra makes them drift)",
            plural(extra, "installed package")
        );
    }
    out
}

fn table(r: &DriftReport<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "before: {}", describe_source(&r.before.source));
    let _ = writeln!(out, "after:  {}", describe_source(&r.after.source));
    let mut total = 0;
    let mut by_bump: BTreeMap<&str, usize> = BTreeMap::new();
    for env in &r.outcome.envs {
        let v = visible(&env.changes, r.show_all);
        let n = env
            .changes
            .iter()
            .filter(|c| c.change != ChangeKind::Unchanged)
            .count();
        total += n;
        for c in env
            .changes
            .iter()
            .filter(|c| c.change != ChangeKind::Unchanged)
        {
            *by_bump
                .entry(c.bump.map(|b| b.as_str()).unwrap_or(c.change.as_str()))
                .or_default() += 1;
        }
        let label = match (&env.before_env, &env.after_env) {
            (Some(a), Some(b)) if a != b => format!("{a} → {b}"),
            _ => env.env.clone(),
        };
        let _ = writeln!(out, "\nPython packages ({label}): {}", plural(n, "change"));
        if !v.is_empty() {
            let has_detail = v.iter().any(|c| c.detail.is_some());
            let _ = writeln!(out, "{}", change_table(&v, has_detail));
        }
    }
    if let Some(c) = &r.outcome.requirements {
        out.push_str(&req_table(c, r.show_all));
    }
    match &r.outcome.os {
        Some(os) => {
            let v = visible(os, r.show_all);
            let n = os
                .iter()
                .filter(|c| c.change != ChangeKind::Unchanged)
                .count();
            total += n;
            let manager = r
                .before
                .os
                .as_ref()
                .map(|o| o.manager.as_str())
                .unwrap_or("os");
            let _ = writeln!(out, "\nOS packages ({manager}): {}", plural(n, "change"));
            if !v.is_empty() {
                let _ = writeln!(out, "{}", change_table(&v, false));
            }
        }
        None => {
            let _ = writeln!(
                out,
                "\nOS packages: not compared ({})",
                esc(r
                    .outcome
                    .os_not_compared
                    .as_deref()
                    .unwrap_or("unknown reason"))
            );
        }
    }
    if r.in_place {
        if !r.outcome.files.is_empty() {
            let _ = writeln!(
                out,
                "\nFiles changed in the container since it was created:"
            );
            for f in &r.outcome.files {
                let _ = writeln!(out, "  {}", file_phrase(f));
            }
        }
        if let Some(s) = in_place_summary(r.outcome) {
            let _ = writeln!(out, "\n{s}");
        }
    }
    for n in &r.outcome.notes {
        let _ = writeln!(out, "\nnote: {}", esc(n));
    }
    let warnings = r.warnings();
    if !warnings.is_empty() {
        let _ = writeln!(out);
        for (src, w) in warnings {
            let _ = writeln!(
                out,
                "warning: {}: {}: {}",
                esc(src),
                esc(&w.path),
                esc(&w.message)
            );
        }
    }
    let bumps = by_bump
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut headline = match &r.outcome.requirements {
        Some(c) if total == 0 => req_counts_text(c),
        Some(c) => format!("{}; {}", req_counts_text(c), plural(total, "OS change")),
        None if bumps.is_empty() => plural(total, "change"),
        None => format!("{} ({bumps})", plural(total, "change")),
    };
    let unread = r.unread();
    if unread > 0 {
        let _ = write!(
            headline,
            "; {} could not be read (see the warnings)",
            plural(unread, "package")
        );
    }
    let _ = writeln!(
        out,
        "\n{headline}{}",
        if r.tripped() {
            format!("; fails --fail-on {}", fail_on_str(r.fail_on))
        } else {
            String::new()
        }
    );
    out
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

fn source_json(inv: &Inventory) -> Value {
    let mut v = serde_json::to_value(&inv.source).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert(
            "python_envs".into(),
            inv.envs
                .iter()
                .map(|e| {
                    json!({
                        "key": e.key,
                        "kind": e.kind,
                        "python": e.python,
                        "root": e.root,
                        "dirs": e.dirs,
                        "packages": e.packages.len(),
                    })
                })
                .collect(),
        );
        if inv.source.kind == crate::inventory::SourceKind::Requirements {
            m.insert("requirements".into(), json!(inv.requirements.len()));
        }
        m.insert(
            "os".into(),
            match &inv.os {
                Some(o) => json!({"manager": o.manager, "sources": o.sources, "packages": o.packages.len()}),
                None => Value::Null,
            },
        );
    }
    v
}

fn change_json(c: &Change, env: Option<&str>) -> Value {
    let mut v = json!({
        "name": c.name,
        "before": c.before,
        "after": c.after,
        "change": c.change,
        "bump": c.bump,
    });
    if let Value::Object(m) = &mut v {
        if let Some(e) = env {
            m.insert("env".into(), json!(e));
        }
        if let Some(d) = &c.detail {
            m.insert("detail".into(), json!(d));
        }
    }
    v
}

/// The JSON document (see docs/drift.md).
pub fn to_json(r: &DriftReport<'_>) -> Value {
    let changes: Vec<Value> = r
        .outcome
        .envs
        .iter()
        .flat_map(|e| {
            visible(&e.changes, r.show_all)
                .into_iter()
                .map(move |c| change_json(c, Some(&e.env)))
        })
        .collect();
    let os_changes = r.outcome.os.as_ref().map(|os| {
        visible(os, r.show_all)
            .into_iter()
            .map(|c| change_json(c, None))
            .collect::<Vec<_>>()
    });
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for c in r.outcome.envs.iter().flat_map(|e| e.changes.iter()) {
        if c.change != ChangeKind::Unchanged {
            *counts.entry(c.change.as_str()).or_default() += 1;
        }
    }
    let requirements = r.outcome.requirements.as_ref().map(|c| {
        json!({
            "spec": c.spec,
            "side": c.side,
            "environment": c.environment,
            "env": c.env,
            "strict_extra": c.strict_extra,
            "marker_facts": c.marker_facts,
            "results": c.results,
        })
    });
    json!({
        "version": JSON_VERSION,
        "tool": crate::report::json::TOOL,
        "tool_version": crate::report::json::TOOL_VERSION,
        "command": "drift",
        "before": source_json(r.before),
        "after": source_json(r.after),
        "changes": changes,
        "requirements": requirements,
        "os_changes": os_changes,
        "os_not_compared": r.outcome.os_not_compared,
        "files_changed": if r.in_place { json!(r.outcome.files) } else { Value::Null },
        "modified_in_place": if r.in_place { json!(in_place_summary(r.outcome)) } else { Value::Null },
        "notes": r.outcome.notes,
        "warnings": r.warnings().iter().map(|(s, w)| json!({"source": s, "path": w.path, "message": w.message})).collect::<Vec<_>>(),
        "summary": {
            "changes": counts.values().sum::<usize>(),
            "by_change": counts,
            "os_changes": r.outcome.os.as_ref().map(|os| os.iter().filter(|c| c.change != ChangeKind::Unchanged).count()),
            "requirements": r.outcome.requirements.as_ref().map(|c| c.counts()),
            "unread_packages": r.unread(),
            "fail_on": fail_on_str(r.fail_on),
            "failed": r.tripped(),
        }
    })
}

fn md_escape(s: &str) -> String {
    esc(s).replace('|', "\\|")
}

fn markdown(r: &DriftReport<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### pindrift drift\n");
    let _ = writeln!(out, "- **before:** `{}`", describe_source(&r.before.source));
    let _ = writeln!(out, "- **after:** `{}`", describe_source(&r.after.source));
    let mut sections: Vec<(String, Vec<&Change>)> = r
        .outcome
        .envs
        .iter()
        .map(|e| {
            (
                format!("Python packages ({})", e.env),
                visible(&e.changes, r.show_all),
            )
        })
        .collect();
    if let Some(os) = &r.outcome.os {
        sections.push(("OS packages".into(), visible(os, r.show_all)));
    }
    for (title, changes) in sections {
        let _ = writeln!(out, "\n#### {title}\n");
        if changes.is_empty() {
            let _ = writeln!(out, "No changes.");
            continue;
        }
        let mut kind = None;
        for c in changes {
            if kind != Some(c.change) {
                kind = Some(c.change);
                let _ = writeln!(out, "\n**{}**\n", c.change.heading());
                let _ = writeln!(out, "| Package | Before | After | Bump |");
                let _ = writeln!(out, "| --- | --- | --- | --- |");
            }
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                md_escape(&c.name).replace('`', "'"),
                md_escape(&dash(&c.before)),
                md_escape(&dash(&c.after)),
                c.bump.map(|b| b.as_str()).unwrap_or("")
            );
        }
    }
    if let Some(c) = &r.outcome.requirements {
        let _ = writeln!(
            out,
            "\n#### Requirements (`{}` against `{}` {})\n\n{}\n",
            md_escape(&c.spec),
            md_escape(&c.environment),
            md_escape(&c.env),
            req_counts_text(c)
        );
        let rows = req_rows(c, r.show_all);
        if !rows.is_empty() {
            let _ = writeln!(
                out,
                "| Status | Package | Requirement | Installed | Where |"
            );
            let _ = writeln!(out, "| --- | --- | --- | --- | --- |");
            for x in rows {
                let _ = writeln!(
                    out,
                    "| {} | `{}` | {} | {} | {} |",
                    x.status.as_str(),
                    md_escape(&x.name).replace('`', "'"),
                    md_escape(&req_spec_text(x)),
                    md_escape(x.installed.as_deref().unwrap_or("-")),
                    md_escape(x.location.as_deref().unwrap_or("")),
                );
            }
        }
    }
    if let Some(why) = &r.outcome.os_not_compared {
        let _ = writeln!(out, "\nOS packages: not compared ({}).", md_escape(why));
    }
    if r.in_place {
        if let Some(s) = in_place_summary(r.outcome) {
            let _ = writeln!(out, "\n> {}", md_escape(&s));
        }
    }
    // The verdict, as in the table: the exit code never goes unexplained.
    let changed = r
        .outcome
        .all_changes()
        .filter(|c| c.change != ChangeKind::Unchanged)
        .count();
    let what = match &r.outcome.requirements {
        Some(c) if changed == 0 => req_counts_text(c),
        Some(c) => format!("{}; {}", req_counts_text(c), plural(changed, "change")),
        None => plural(changed, "change"),
    };
    let _ = writeln!(
        out,
        "\n**{}; {} --fail-on {}**",
        md_escape(&what),
        if r.tripped() { "fails" } else { "passes" },
        fail_on_str(r.fail_on)
    );
    let warnings = r.warnings();
    if !warnings.is_empty() {
        let _ = writeln!(
            out,
            "\n<details><summary>{} warnings</summary>\n",
            warnings.len()
        );
        for (src, w) in warnings {
            let _ = writeln!(out, "- `{src}`: `{}`: {}", w.path, md_escape(&w.message));
        }
        let _ = writeln!(out, "\n</details>");
    }
    out
}

fn gh_escape(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn github(r: &DriftReport<'_>) -> String {
    let mut out = String::new();
    let title = format!("{} → {}", r.before.source.spec, r.after.source.spec);
    let mut emit = |c: &Change, section: &str| {
        if c.change == ChangeKind::Unchanged {
            return;
        }
        let level = if r.fail_on.trips(c) {
            "error"
        } else {
            "warning"
        };
        let bump = c
            .bump
            .map(|b| format!(", {}", b.as_str()))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "::{level} title=pindrift drift ({})::{}",
            gh_escape(&title).replace(',', "%2C").replace(':', "%3A"),
            gh_escape(&format!(
                "{section}: {} {} ({}{bump})",
                c.name,
                arrow(c),
                c.change.as_str()
            ))
        );
    };
    for e in &r.outcome.envs {
        for c in &e.changes {
            emit(c, &format!("Python {}", e.env));
        }
    }
    if let Some(os) = &r.outcome.os {
        for c in os {
            emit(c, "OS");
        }
    }
    if let Some(c) = &r.outcome.requirements {
        for x in &c.results {
            if matches!(x.status, ReqStatus::Satisfied | ReqStatus::NotApplicable)
                || (x.status == ReqStatus::NotInRequirements && !c.strict_extra)
            {
                continue;
            }
            let level = if x.status.trips(r.fail_on, c.strict_extra) {
                "error"
            } else {
                "warning"
            };
            let detail = x
                .detail
                .as_deref()
                .map(|d| format!("; {d}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "::{level} title=pindrift drift ({})::{}",
                gh_escape(&title).replace(',', "%2C").replace(':', "%3A"),
                gh_escape(&format!(
                    "{}: {} {} ({}, {}){detail}",
                    x.location.as_deref().unwrap_or(&c.environment),
                    x.name,
                    req_spec_text(x),
                    x.status.as_str(),
                    req_installed_text(x),
                ))
            );
        }
    }
    // Files changed in place fail `--fail-on any` on their own: say so, or the run fails
    // without a word.
    if r.in_place && r.outcome.files.iter().any(|f| !f.site) {
        let level = if r.tripped() { "error" } else { "warning" };
        let files: Vec<String> = r
            .outcome
            .files
            .iter()
            .filter(|f| !f.site)
            .map(file_phrase)
            .collect();
        let _ = writeln!(
            out,
            "::{level} title=pindrift drift ({})::{}",
            gh_escape(&title).replace(',', "%2C").replace(':', "%3A"),
            gh_escape(&format!(
                "files changed in the container since it was created: {}",
                files.join("; ")
            ))
        );
    }
    for (src, w) in r.warnings() {
        let _ = writeln!(
            out,
            "::warning title=pindrift drift::{}",
            gh_escape(&format!("{src}: {}: {}", w.path, w.message))
        );
    }
    out
}

/// Render a `--replicas` run: every replica against its image, odd ones out named.
pub fn render_replicas(
    selector: &str,
    results: &[super::ReplicaResult],
    inventories: &[Inventory],
    format: Format,
    fail_on: FailOn,
    all: bool,
    failed: bool,
) -> String {
    let odd: Vec<&str> = results
        .iter()
        .filter(|r| r.odd_one_out)
        .map(|r| r.name.as_str())
        .collect();
    match format {
        Format::Json => {
            let replicas: Vec<Value> = results
                .iter()
                .zip(inventories)
                .map(|(r, inv)| {
                    json!({
                        "name": r.name,
                        "id": r.id,
                        "image_id": r.image_id,
                        "source": source_json(inv),
                        "odd_one_out": r.odd_one_out,
                        "matches_image": !r.outcome.has_drift() && r.outcome.files.is_empty(),
                        "changes": r.outcome.envs.iter().flat_map(|e| visible(&e.changes, all).into_iter().map(move |c| change_json(c, Some(&e.env)))).collect::<Vec<_>>(),
                        "os_changes": r.outcome.os.as_ref().map(|os| visible(os, all).into_iter().map(|c| change_json(c, None)).collect::<Vec<_>>()),
                        "files_changed": r.outcome.files,
                        "modified_in_place": in_place_summary(&r.outcome),
                        "warnings": inv.warnings,
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&json!({
                "version": JSON_VERSION,
                "tool": crate::report::json::TOOL,
                "tool_version": crate::report::json::TOOL_VERSION,
                "command": "drift",
                "replicas_selector": selector,
                "replicas": replicas,
                "odd_ones_out": odd,
                "summary": {
                    "replicas": results.len(),
                    "drifted": results.iter().filter(|r| r.outcome.has_drift() || !r.outcome.files.is_empty()).count(),
                    "fail_on": fail_on_str(fail_on),
                    "failed": failed,
                }
            }))
            .unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Github => {
            let mut out = String::new();
            for r in results {
                let os = r
                    .outcome
                    .os
                    .iter()
                    .flatten()
                    .filter(|c| c.change != ChangeKind::Unchanged)
                    .count();
                let summary = match (in_place_summary(&r.outcome), os) {
                    (Some(s), 0) => Some(s),
                    (Some(s), n) => Some(format!("{s}; {}", plural(n, "OS package change"))),
                    (None, 0) if r.odd_one_out => Some("differs from the other replicas".into()),
                    (None, 0) => None,
                    (None, n) => Some(plural(n, "OS package change")),
                };
                if let Some(s) = summary {
                    let level = if failed { "error" } else { "warning" };
                    let odd = if r.odd_one_out { " (odd one out)" } else { "" };
                    let _ = writeln!(
                        out,
                        "::{level} title=pindrift drift replicas::{}",
                        gh_escape(&format!("{}{odd}: {s}", r.name))
                    );
                }
            }
            out
        }
        Format::Table | Format::Markdown => {
            let md = format == Format::Markdown;
            let mut out = String::new();
            if md {
                let _ = writeln!(out, "### pindrift drift: replicas `{selector}`\n");
            } else {
                let _ = writeln!(out, "replicas of {selector}: {}", results.len());
            }
            for r in results {
                let state = if r.odd_one_out {
                    "ODD ONE OUT"
                } else if r.outcome.has_drift() || !r.outcome.files.is_empty() {
                    "drifted from its image"
                } else {
                    "matches its image"
                };
                let line = format!(
                    "{} ({}, image {}): {state}",
                    r.name,
                    short_id(&r.id),
                    short_id(&r.image_id)
                );
                if md {
                    let _ = writeln!(out, "- **{}**", md_escape(&line));
                } else {
                    let _ = writeln!(out, "\n{line}");
                }
                let changes: Vec<&Change> = r
                    .outcome
                    .envs
                    .iter()
                    .flat_map(|e| visible(&e.changes, all))
                    .chain(r.outcome.os.iter().flat_map(|os| visible(os, all)))
                    .collect();
                if !changes.is_empty() && !md {
                    let _ = writeln!(out, "{}", change_table(&changes, false));
                }
                if let Some(s) = in_place_summary(&r.outcome) {
                    if md {
                        let _ = writeln!(out, "  - {}", md_escape(&s));
                    } else {
                        let _ = writeln!(out, "  {s}");
                    }
                }
            }
            let _ = writeln!(
                out,
                "\n{}",
                if odd.is_empty() {
                    "no odd ones out".to_string()
                } else {
                    format!("odd ones out: {}", odd.join(", "))
                }
            );
            out
        }
    }
}
