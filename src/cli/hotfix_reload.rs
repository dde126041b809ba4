//! `pindrift hotfix reload CONTAINER [--strategy …] [--check URL …]`: reload the service of a
//! container with an active hotfix, and say what a user of it saw.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;

use super::hotfix::HotfixOpts;
use crate::hotfix::probe::{self, CheckReport, CheckSpec};
use crate::hotfix::reload::{self, ReloadReport, ReloadRequest, Strategy};
use crate::hotfix::{rollback, Hotfix, LockMode};

/// Reload the service of a container with an active hotfix.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  pindrift hotfix reload web --check http://localhost:8000/health"
)]
pub struct ReloadArgs {
    /// Container name or id.
    pub container: String,
    /// auto: from the server found (gunicorn HUP, or the USR2 upgrade for a preloaded app;
    /// uwsgi HUP or chain reload; else restart). hup, usr2, restart: that one.
    #[arg(long, default_value = "auto", value_parser = ["auto", "hup", "usr2", "restart"])]
    pub strategy: String,
    /// Poll this http:// URL during and after the reload.
    #[arg(long, value_name = "URL")]
    pub check: Option<String>,
    /// The status a healthy service answers.
    #[arg(long, value_name = "STATUS", default_value_t = 200, requires = "check")]
    pub expect: u16,
    /// Healthy = this many consecutive expected answers after the reload.
    #[arg(long, value_name = "N", default_value_t = 10, requires = "check")]
    pub healthy_after: u32,
    /// Seconds to wait, from the signal, for the service to become healthy.
    #[arg(long, value_name = "SECS", default_value_t = 30.0, requires = "check")]
    pub check_timeout: f64,
    /// Seconds an answer may take before it counts as DOWN (late); a request without an
    /// answer after 2 s (or this, when longer) is a timeout.
    #[arg(long, value_name = "SECS", default_value_t = 0.1, requires = "check")]
    pub request_timeout: f64,
    /// Requests a second.
    #[arg(long, value_name = "N", default_value_t = probe::DEFAULT_RATE, requires = "check")]
    pub rate: u32,
    /// When the check fails, roll the hotfix back (and reload again).
    #[arg(long, requires = "check")]
    pub rollback_on_fail: bool,
    /// Output format: human or json.
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    pub format: String,
}

fn seconds(what: &str, s: f64) -> Result<Duration> {
    if !(s.is_finite() && s > 0.0 && s < 86_400.0) {
        anyhow::bail!("{what}: {s} is not a number of seconds between 0 and 86400");
    }
    Ok(Duration::from_secs_f64(s))
}

pub fn run(opts: &HotfixOpts, args: ReloadArgs) -> Result<u8> {
    let strategy = Strategy::parse(&args.strategy)
        .with_context(|| format!("--strategy {}: unknown", args.strategy))?;
    let check = match &args.check {
        None => None,
        Some(url) => {
            // `{port:N}` is replaced per container (its published host port) before use.
            if !url.contains("{port:") {
                probe::Target::parse(url)?;
            }
            Some(CheckSpec {
                url: url.clone(),
                expect: args.expect,
                healthy_after: args.healthy_after,
                timeout: seconds("--check-timeout", args.check_timeout)?,
                request_timeout: seconds("--request-timeout", args.request_timeout)?,
                give_up: probe::DEFAULT_GIVE_UP,
                rate: args.rate,
                tail: probe::DEFAULT_TAIL,
            })
        }
    };
    let request = ReloadRequest {
        strategy,
        check,
        rollback_on_fail: args.rollback_on_fail,
        settle_timeout: reload::DEFAULT_SETTLE_TIMEOUT,
    };
    let state = opts.state()?;
    super::hotfix::block_on(async {
        let engine = opts.engine().await?;
        let (mut hotfix, facts) =
            Hotfix::open_running(&engine, &state, &args.container, LockMode::Take).await?;
        if let Some(group) = super::hotfix_group::for_change(&state, &hotfix, &facts, "reload")? {
            // A group always rolls back on the first failure (--rollback-on-fail or not).
            hotfix.release()?;
            return super::hotfix_group::reload(
                &engine,
                &state,
                &group,
                &request,
                args.format == "json",
                render,
            )
            .await;
        }
        let mut request = request;
        if let Some(check) = &mut request.check {
            check.url = crate::hotfix::group::expand_ports(&check.url, &facts.name, &facts.ports)?;
            probe::Target::parse(&check.url)?;
        }
        let report = reload::reload(&engine, &mut hotfix.journal, &facts.id, &request).await?;
        let mut out = String::new();
        if args.format == "json" {
            out = serde_json::to_string_pretty(&report).context("writing the report as JSON")?;
            out.push('\n');
        } else {
            render(&mut out, &report);
        }
        std::io::stdout()
            .write_all(out.as_bytes())
            .context("writing to stdout")?;
        if report.check_failed() && args.rollback_on_fail {
            // Undo every step, reload again (auto) and verify; the rollback's own report.
            let rolled = rollback::rollback(&engine, &mut hotfix, true).await?;
            let mut out = String::new();
            let _ = writeln!(
                out,
                "--rollback-on-fail: the check failed; rolled back {} file(s) and {} package \
                 step(s){}{}",
                rolled.files.len(),
                rolled.dists.len(),
                match &rolled.reload {
                    Some(Ok(_)) => ", reloaded".to_string(),
                    Some(Err(e)) => format!(", reload FAILED: {e}"),
                    None => String::new(),
                },
                if rolled.completed {
                    "; the hotfix is closed"
                } else {
                    "; NOT complete (see `pindrift hotfix status`)"
                }
            );
            std::io::stderr()
                .write_all(out.as_bytes())
                .context("writing to stderr")?;
        }
        hotfix.release()?;
        Ok(if report.check_failed() {
            super::EXIT_FINDINGS
        } else {
            0
        })
    })
}

fn ms(n: u64) -> String {
    format!("{:.3} s", n as f64 / 1000.0)
}

fn pids(v: &[i64]) -> String {
    if v.is_empty() {
        return "-".into();
    }
    v.iter().map(i64::to_string).collect::<Vec<_>>().join(" ")
}

/// The report for people.
pub fn render(out: &mut String, r: &ReloadReport) {
    let server = r
        .plan
        .server
        .map(|s| s.name().to_string())
        .unwrap_or_else(|| "no known server".into());
    let _ = writeln!(
        out,
        "reload {} ({server}, --strategy {}): {}",
        r.container,
        r.strategy.name(),
        r.plan.method.describe()
    );
    let _ = writeln!(out, "  why: {}", r.plan.why);
    for w in &r.plan.warnings {
        let _ = writeln!(out, "  warning: {w}");
    }
    let master = |m: Option<i64>| m.map(|p| p.to_string()).unwrap_or_else(|| "-".into());
    let _ = writeln!(
        out,
        "  master {} -> {}, workers {} -> {}; new processes up {} after the signal \
         (journal step {})",
        master(r.master_before),
        master(r.master_after),
        pids(&r.workers_before),
        pids(&r.workers_after),
        ms(r.settled_ms),
        r.step
    );
    if let Some(c) = &r.check {
        render_check(out, c);
        if !c.healthy && matches!(r.plan.method, reload::Method::Restart { .. }) {
            let _ = writeln!(
                out,
                "  hint: a port published without a fixed host port (`-p 127.0.0.1::8000`) \
                 gets a new one when the container restarts: `docker port {}`",
                r.container
            );
        }
    }
}

fn render_check(out: &mut String, c: &CheckReport) {
    let _ = writeln!(
        out,
        "check {} expecting {} ({} in a row = healthy; a request over {} is DOWN):",
        c.url,
        c.expect,
        c.healthy_after,
        ms(c.request_timeout_ms)
    );
    let kinds = |m: &std::collections::BTreeMap<String, u64>| {
        m.iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        out,
        "  sent {} in {} ({}/s): {} answered {}",
        c.sent,
        ms(c.duration_ms),
        c.rate,
        c.ok,
        c.expect
    );
    if !c.unexpected.is_empty() {
        let _ = writeln!(out, "  other answers: {}", kinds(&c.unexpected));
    }
    let _ = writeln!(
        out,
        "  late (answered after the {} DOWN mark): {}",
        ms(c.request_timeout_ms),
        c.late
    );
    let _ = writeln!(
        out,
        "  failed (no answer within {}): {}{}{}",
        ms(c.give_up_ms),
        c.failed,
        if c.failed > 0 {
            format!(" ({})", kinds(&c.failed_by_kind))
        } else {
            String::new()
        },
        if c.failed > 0 {
            format!(", {} after the signal", c.failed_during_reload)
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        out,
        "  longest time without an answer: {}",
        ms(c.longest_gap_ms)
    );
    match c.healthy_after_ms {
        Some(h) => {
            let _ = writeln!(out, "  healthy {} after the signal", ms(h));
        }
        None => {
            let _ = writeln!(
                out,
                "  NOT healthy: no {} consecutive {} answers after the reload",
                c.healthy_after, c.expect
            );
        }
    }
}
