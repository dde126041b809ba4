//! The `markdown` format: a pull-request comment or a job summary.

use std::fmt::Write as _;

use super::*;

pub(super) fn md_escape(s: &str) -> String {
    esc(s).replace('|', "\\|")
}

pub(super) fn markdown(r: &DriftReport<'_>) -> String {
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
