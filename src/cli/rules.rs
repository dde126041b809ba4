//! `pindrift rules` and `pindrift rule CODE`.

use crate::registry::{rule, RULES};
use anyhow::anyhow;
use comfy_table::{presets::UTF8_BORDERS_ONLY, Table};
use std::io::{self, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RulesFormat {
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  pindrift rules --format json")]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value = "table")]
    format: RulesFormat,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  pindrift rule PD101")]
pub struct RuleArgs {
    /// A rule code, e.g. PD101.
    code: String,
}

pub fn list(args: RulesArgs) -> anyhow::Result<u8> {
    let mut out = io::stdout().lock();
    match args.format {
        RulesFormat::Table => {
            let mut table = Table::new();
            table.load_style(UTF8_BORDERS_ONLY);
            table.set_header(vec![
                "code", "name", "level", "profile", "fixable", "pin", "summary",
            ]);
            for rule in RULES {
                table.add_row(vec![
                    rule.code,
                    rule.name,
                    rule.default_level.as_str(),
                    if rule.strict_only() {
                        "strict"
                    } else {
                        "default"
                    },
                    if rule.fixable() { "yes" } else { "no" },
                    if rule.pinned_by_pin() { "yes" } else { "no" },
                    rule.summary,
                ]);
            }
            writeln!(out, "{table}")?;
        }
        RulesFormat::Json => {
            let rows: Vec<_> = RULES
                .iter()
                .map(|rule| {
                    serde_json::json!({
                        "code": rule.code,
                        "name": rule.name,
                        "level": rule.default_level,
                        "strict_only": rule.strict_only(),
                        "fixable": rule.fixable(),
                        "pin": rule.pinned_by_pin(),
                        "scope": rule.scope,
                        "summary": rule.summary,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
    }
    Ok(0)
}

pub fn show(args: RuleArgs) -> anyhow::Result<u8> {
    let rule = rule(&args.code)
        .ok_or_else(|| anyhow!("unknown rule `{}` (see `pindrift rules`)", args.code))?;
    let mut out = io::stdout().lock();
    write!(out, "{}", rule.doc)?;
    Ok(0)
}
