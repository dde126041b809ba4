//! The audit's formats: `human` (the verdict first, details after), `markdown` (a pull
//! request comment or a job summary) and `json` (`"version": 1`, described by
//! `docs/audit.schema.json`). Pure: a report in, text out.

use std::fmt::Write;

use super::{AuditReport, ClassGroup, DriftSection, HotfixSection, Verdict};

/// An output format of `pindrift audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Markdown,
    Json,
}

pub fn render(report: &AuditReport, format: Format) -> String {
    match format {
        Format::Human => human(report),
        Format::Markdown => markdown(report),
        Format::Json => json(report),
    }
}

pub fn json(report: &AuditReport) -> String {
    let mut s = serde_json::to_string_pretty(report).unwrap_or_else(|e| {
        format!("{{\"version\": 1, \"error\": \"cannot serialize the report: {e}\"}}")
    });
    s.push('\n');
    s
}

fn verdict_line(report: &AuditReport) -> String {
    match report.verdict {
        Verdict::Go => format!(
            "GO: deploying {} changes nothing the policy forbids",
            report.facts.candidate.spec
        ),
        Verdict::NoGo => format!(
            "NO-GO: {} {}",
            report.reasons.len(),
            if report.reasons.len() == 1 {
                "reason"
            } else {
                "reasons"
            }
        ),
    }
}

fn group_line(g: &ClassGroup) -> String {
    let items: Vec<String> = g
        .changes
        .iter()
        .map(|c| match (&c.declared, c.allowed) {
            (_, true) => format!("{} (allowed)", c.describe()),
            (Some(at), false) => format!("{} (pinned in {at})", c.describe()),
            (None, false) => c.describe(),
        })
        .collect();
    format!(
        "{:<8} {}{}",
        g.class.as_str(),
        items.join(", "),
        if g.fails { "  [fails]" } else { "" }
    )
}

fn drift_human(out: &mut String, d: &DriftSection) {
    let _ = writeln!(out, "\nDrift {} → {}", d.running, d.candidate);
    if d.python.is_empty() {
        let _ = writeln!(out, "  Python packages: no change");
    } else {
        let _ = writeln!(out, "  Python packages:");
        for g in &d.python {
            let _ = writeln!(out, "    {}", group_line(g));
        }
    }
    match (&d.os, &d.os_not_compared) {
        (Some(groups), _) if groups.is_empty() => {
            let _ = writeln!(out, "  OS packages: no change");
        }
        (Some(groups), _) => {
            let _ = writeln!(out, "  OS packages:");
            for g in groups {
                let _ = writeln!(out, "    {}", group_line(g));
            }
        }
        (None, why) => {
            let _ = writeln!(
                out,
                "  OS packages: not compared ({})",
                why.as_deref().unwrap_or("unknown")
            );
        }
    }
    for n in &d.notes {
        let _ = writeln!(out, "  note: {n}");
    }
}

/// A hotfix section: its headline and the changes, one per item.
fn hotfix_parts(h: &HotfixSection) -> (String, Vec<String>) {
    if !h.changed() {
        return (
            format!("{}: same as its image {}", h.container, h.image),
            Vec::new(),
        );
    }
    let mut parts = Vec::new();
    for f in &h.files {
        parts.push(if f.count > 1 {
            format!("{} {} ({} files)", f.kind, f.path, f.count)
        } else {
            format!("{} {}", f.kind, f.path)
        });
    }
    for p in h.packages.iter().chain(h.os_packages.iter()) {
        parts.push(format!("{} {} ({})", p.change, p.describe(), p.env));
    }
    for j in &h.journals {
        parts.push(format!("open hotfix journal {j}"));
    }
    (
        format!(
            "{}: differs from its image {}{}",
            h.container,
            h.image,
            if h.fails { "  [fails]" } else { "" }
        ),
        parts,
    )
}

fn hotfix_summary(h: &HotfixSection) -> String {
    let (head, parts) = hotfix_parts(h);
    let mut out = head;
    for p in parts {
        out.push_str("\n      ");
        out.push_str(&p);
    }
    out
}

pub fn human(report: &AuditReport) -> String {
    let f = &report.facts;
    let mut out = String::new();
    let _ = writeln!(out, "{}", verdict_line(report));
    for r in &report.reasons {
        let _ = writeln!(out, "  - {}", r.text);
    }
    let running: Vec<&str> = f.running.iter().map(|r| r.spec.as_str()).collect();
    let _ = writeln!(
        out,
        "\nRunning: {}\nCandidate: {}",
        running.join(", "),
        f.candidate.spec
    );

    let _ = writeln!(
        out,
        "\nPins (check on {}{}): {} in {}",
        f.pins.paths.join(" "),
        f.pins
            .context
            .as_deref()
            .map(|c| format!("; build context {c}"))
            .unwrap_or_default(),
        plural(f.pins.findings, "finding", "findings"),
        plural(f.pins.files, "file", "files"),
    );
    for r in &f.pins.rules {
        let _ = writeln!(
            out,
            "  {} {:<8} {:<28} {:>4}  {}{}",
            r.code,
            r.level,
            r.name,
            r.count,
            r.locations.join(", "),
            if r.fails { "  [fails]" } else { "" }
        );
    }

    for d in &f.drift {
        drift_human(&mut out, d);
    }

    if let Some(rep) = &f.replicas {
        let _ = writeln!(out, "\nReplicas ({})", rep.compared.join(", "));
        if rep.differences.is_empty() {
            let _ = writeln!(out, "  all run the same packages");
        }
        for d in &rep.differences {
            let versions: Vec<String> = d
                .versions
                .iter()
                .map(|v| format!("{} {}", v.source, v.version.as_deref().unwrap_or("-")))
                .collect();
            let _ = writeln!(out, "  {} ({}): {}", d.name, d.env, versions.join(", "));
        }
    }

    let _ = writeln!(out, "\nBase image");
    let c = &f.base_image.candidate;
    let _ = writeln!(out, "  {}: {}", c.source, base_line(c));
    for b in &f.base_image.running {
        let _ = writeln!(out, "  {}: {}", b.base.source, base_line(&b.base));
        let _ = writeln!(
            out,
            "  → {}: {}{}",
            b.status,
            b.detail,
            if b.fails { "  [fails]" } else { "" }
        );
    }

    let _ = writeln!(out, "\nUnsaved hotfixes");
    if f.hotfixes.is_empty() {
        let _ = writeln!(out, "  no running container among the sources");
    }
    for h in &f.hotfixes {
        let _ = writeln!(out, "  {}", hotfix_summary(h));
    }
    if !f.warnings.is_empty() {
        let _ = writeln!(out, "\nWarnings");
        for w in &f.warnings {
            let _ = writeln!(out, "  {w}");
        }
    }
    out
}

fn base_line(b: &super::BaseInfo) -> String {
    match b.how.as_str() {
        "unknown" => format!(
            "unknown ({})",
            b.why_unknown.as_deref().unwrap_or("not told")
        ),
        how => format!(
            "{}{} (from {how})",
            b.name.as_deref().unwrap_or("?"),
            b.digest
                .as_deref()
                .map(|d| format!(" {}", super::gather::short_digest(d)))
                .unwrap_or_default()
        ),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Markdown cells: pipes and line breaks escaped.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn markdown(report: &AuditReport) -> String {
    let f = &report.facts;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## pindrift audit: {}\n",
        match report.verdict {
            Verdict::Go => "✅ GO",
            Verdict::NoGo => "❌ NO-GO",
        }
    );
    let running: Vec<String> = f.running.iter().map(|r| format!("`{}`", r.spec)).collect();
    let _ = writeln!(
        out,
        "Candidate `{}`, running {}.\n",
        f.candidate.spec,
        running.join(", ")
    );
    if !report.reasons.is_empty() {
        for r in &report.reasons {
            let _ = writeln!(out, "- **{}**: {}", r.kind_str(), cell(&r.text));
        }
        out.push('\n');
    }

    let _ = writeln!(
        out,
        "### Pins\n\n`check` on {}: {} in {}.\n",
        f.pins
            .paths
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(" "),
        plural(f.pins.findings, "finding", "findings"),
        plural(f.pins.files, "file", "files"),
    );
    if !f.pins.rules.is_empty() {
        let _ = writeln!(
            out,
            "| Rule | Level | Count | First locations | Fails |\n|---|---|---:|---|---|"
        );
        for r in &f.pins.rules {
            let _ = writeln!(
                out,
                "| {} {} | {} | {} | {} | {} |",
                r.code,
                r.name,
                r.level,
                r.count,
                cell(&r.locations.join(", ")),
                if r.fails { "yes" } else { "no" }
            );
        }
        out.push('\n');
    }

    for d in &f.drift {
        let _ = writeln!(out, "### Drift `{}` → `{}`\n", d.running, d.candidate);
        let mut rows = Vec::new();
        for (what, groups) in [("Python", Some(&d.python)), ("OS", d.os.as_ref())] {
            for g in groups.into_iter().flatten() {
                for c in &g.changes {
                    rows.push(format!(
                        "| {what} | {} | {} | {} | {} | {} |",
                        g.class.as_str(),
                        cell(&c.name),
                        c.before.as_deref().unwrap_or(""),
                        c.after.as_deref().unwrap_or(""),
                        if c.allowed {
                            "allowed".to_string()
                        } else if let Some(at) = &c.declared {
                            format!("no (pinned in {at})")
                        } else if g.fails {
                            "yes".to_string()
                        } else {
                            "no".to_string()
                        }
                    ));
                }
            }
        }
        if rows.is_empty() {
            let _ = writeln!(out, "No package changes.\n");
        } else {
            let _ = writeln!(
                out,
                "| Packages | Class | Name | Running | Candidate | Fails |\n|---|---|---|---|---|---|\n{}\n",
                rows.join("\n")
            );
        }
        if let Some(why) = &d.os_not_compared {
            let _ = writeln!(out, "OS packages not compared: {}\n", cell(why));
        }
    }

    if let Some(rep) = &f.replicas {
        let _ = writeln!(out, "### Replicas\n");
        if rep.differences.is_empty() {
            let _ = writeln!(out, "{} run the same packages.\n", rep.compared.join(", "));
        } else {
            let _ = writeln!(
                out,
                "| Package | {} |\n|---|{}",
                rep.compared.join(" | "),
                "---|".repeat(rep.compared.len())
            );
            for d in &rep.differences {
                let versions: Vec<&str> = d
                    .versions
                    .iter()
                    .map(|v| v.version.as_deref().unwrap_or("—"))
                    .collect();
                let _ = writeln!(out, "| {} ({}) | {} |", d.name, d.env, versions.join(" | "));
            }
            out.push('\n');
        }
    }

    let _ = writeln!(out, "### Base image\n");
    let _ = writeln!(
        out,
        "- candidate `{}`: {}",
        f.base_image.candidate.source,
        cell(&base_line(&f.base_image.candidate))
    );
    for b in &f.base_image.running {
        let _ = writeln!(
            out,
            "- running `{}`: {} — **{}**: {}",
            b.base.source,
            cell(&base_line(&b.base)),
            b.status,
            cell(&b.detail)
        );
    }
    out.push('\n');

    let _ = writeln!(out, "### Unsaved hotfixes\n");
    if f.hotfixes.is_empty() {
        let _ = writeln!(out, "No running container among the sources.\n");
    }
    for h in &f.hotfixes {
        let _ = writeln!(
            out,
            "- {}",
            cell(&hotfix_summary(h)).replace("      ", "; ")
        );
    }
    if !f.hotfixes.is_empty() {
        out.push('\n');
    }
    if !f.warnings.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{} warnings</summary>\n",
            f.warnings.len()
        );
        for w in &f.warnings {
            let _ = writeln!(out, "- {}", cell(w));
        }
        let _ = writeln!(out, "\n</details>\n");
    }
    out
}

impl super::Reason {
    /// The kind as JSON names it (`pins`, `os-drift`, …).
    pub fn kind_str(&self) -> &'static str {
        match self.kind {
            super::ReasonKind::Pins => "pins",
            super::ReasonKind::Drift => "drift",
            super::ReasonKind::OsDrift => "os-drift",
            super::ReasonKind::Replicas => "replicas",
            super::ReasonKind::BaseImage => "base-image",
            super::ReasonKind::Hotfix => "hotfix",
            super::ReasonKind::Unread => "unread",
        }
    }
}
