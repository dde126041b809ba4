//! `pindrift hotfix promote` and `hotfix rollback --service`: a committed hotfix rolled out
//! to a Swarm service by the engine, and rolled back by it.

use std::io::{IsTerminal, Write};

use anyhow::{anyhow, Result};
use clap::Args;

use super::hotfix::{block_on, HotfixOpts};
use super::{EXIT_ERROR, EXIT_FINDINGS};
use crate::docker::swarm::RollPolicy;
use crate::hotfix::journal::Journal;
use crate::hotfix::promote::{self, Outcome, Progress, PromoteRequest};
use crate::hotfix::{Hotfix, LockMode};

/// Roll the committed hotfix out to a Swarm service: push the image, update the service
/// to it by digest with a rolling policy, follow it task by task.
///
/// Run `hotfix commit CONTAINER` first. The image is pushed by the engine (with the
/// Docker CLI's credentials for the registry) to --push-to, else to the repository of the
/// service's image, tagged `hotfix-ID`; the service is updated to `REPO:TAG@DIGEST` one
/// task at a time (--parallelism), waiting --delay between tasks, each new task watched
/// for --monitor seconds (its health check included: the service's, else the image's),
/// with `failure_action: rollback`: a task that fails makes the engine roll the service
/// back. Exit 0 when every task runs the new digest, 1 when the engine rolled back (or
/// paused) and why, 2 on errors. `hotfix rollback --service NAME` undoes it.
#[derive(Debug, Args)]
pub struct PromoteArgs {
    /// The hotfixed container (its hotfix has a `commit` step).
    pub container: String,
    /// The Swarm service to update.
    #[arg(long, value_name = "NAME")]
    pub service: String,
    /// Repository to push to (default: the service image's repository).
    #[arg(long, value_name = "REPO")]
    pub push_to: Option<String>,
    /// Tasks updated at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub parallelism: u64,
    /// Seconds between two tasks (or batches).
    #[arg(long, value_name = "SECS", default_value_t = 2)]
    pub delay: u64,
    /// Seconds each new task is watched before it counts as updated.
    #[arg(long, value_name = "SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub monitor: u64,
    /// Seconds to follow the roll-out before giving up waiting (the engine goes on).
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    pub wait: u64,
    /// Take over the lock of a process that died.
    #[arg(long)]
    pub break_lock: bool,
}

/// Progress on a terminal only (stderr): one line each time the roll-out moves.
fn show(p: &Progress) {
    let mut err = std::io::stderr().lock();
    if !err.is_terminal() {
        return;
    }
    let _ = writeln!(
        err,
        "[{}/{}] {}: {}",
        p.on_target,
        p.wanted,
        if p.state.is_empty() {
            "starting"
        } else {
            &p.state
        },
        p.tasks.join(", ")
    );
}

pub fn promote(opts: &HotfixOpts, args: PromoteArgs) -> Result<u8> {
    let request = PromoteRequest {
        service: args.service.clone(),
        push_to: args.push_to.clone(),
        policy: RollPolicy {
            parallelism: args.parallelism,
            delay: std::time::Duration::from_secs(args.delay),
            monitor: std::time::Duration::from_secs(args.monitor),
            max_failure_ratio: 0.0,
        },
        wait: std::time::Duration::from_secs(args.wait),
    };
    block_on(async {
        let state = opts.state()?;
        let engine = opts.engine().await?;
        let mode = if args.break_lock {
            LockMode::TakeOverDead
        } else {
            LockMode::Take
        };
        let (mut hotfix, _) = Hotfix::open_running(&engine, &state, &args.container, mode).await?;
        let result = promote::promote(
            &engine,
            &mut hotfix.journal,
            &args.container,
            &request,
            show,
        )
        .await;
        let id = hotfix.id().to_string();
        hotfix.release()?;
        let p = result.map_err(|e| anyhow!("{e}"))?;
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "hotfix {id}: service {} updated to {} (step {}; was {})",
            p.service, p.image, p.step, p.previous_image
        )?;
        writeln!(
            out,
            "  policy: {} at a time, {} s apart, monitored {} s, failure action rollback; health check: {}",
            request.policy.parallelism,
            request.policy.delay.as_secs(),
            request.policy.monitor.as_secs(),
            p.healthcheck
        )?;
        for w in &p.warnings {
            writeln!(out, "  engine warning: {w}")?;
        }
        match &p.outcome {
            Outcome::Converged => {
                writeln!(
                    out,
                    "converged: every task of {} runs {}",
                    p.service, p.image
                )?;
                Ok(0)
            }
            o => {
                writeln!(out, "{}", promote::describe(o))?;
                if matches!(o, Outcome::RolledBack(_)) {
                    writeln!(out, "service {} runs {} again", p.service, p.previous_image)?;
                }
                Ok(if matches!(o, Outcome::TimedOut(_)) {
                    EXIT_ERROR
                } else {
                    EXIT_FINDINGS
                })
            }
        }
    })
}

/// `hotfix rollback --service NAME [CONTAINER]`: the journal holding the last promotion of
/// the service (CONTAINER's hotfix, else the newest journal that promoted it).
pub fn rollback_service(
    opts: &HotfixOpts,
    service: &str,
    container: Option<&str>,
    wait: u64,
) -> Result<u8> {
    let wait = std::time::Duration::from_secs(wait);
    block_on(async {
        let state = opts.state()?;
        let engine = opts.engine().await?;
        let (id, result) = match container {
            Some(c) => {
                let (mut h, _) =
                    Hotfix::open_running(&engine, &state, c, LockMode::TakeOverDead).await?;
                let r =
                    promote::rollback_service(&engine, &mut h.journal, service, wait, show).await;
                let id = h.id().to_string();
                h.release()?;
                (id, r)
            }
            None => {
                let mut found: Option<Journal> = None;
                for id in state.hotfix_ids()? {
                    let Ok(j) = Journal::open(&state.hotfix_dir(&id)) else {
                        continue;
                    };
                    if promote::last_promotion(&j, service).is_some()
                        && found
                            .as_ref()
                            .is_none_or(|f| j.header().created > f.header().created)
                    {
                        found = Some(j);
                    }
                }
                let found = found.ok_or_else(|| {
                    anyhow!(
                        "no hotfix journal in {} promoted service {service}",
                        state.root().display()
                    )
                })?;
                // The hotfix's lock, as with a CONTAINER: no other pindrift may write this
                // journal while the rollback is recorded in it.
                let id = found.header().id.clone();
                drop(found);
                let mut h = Hotfix::open_id(
                    &state,
                    &id,
                    LockMode::TakeOverDead,
                    "hotfix rollback --service",
                )?;
                let r =
                    promote::rollback_service(&engine, &mut h.journal, service, wait, show).await;
                h.release()?;
                (id, r)
            }
        };
        let r = result.map_err(|e| anyhow!("{e}"))?;
        let mut out = std::io::stdout().lock();
        match &r.outcome {
            Outcome::Converged => {
                writeln!(
                    out,
                    "hotfix {id}: service {} rolled back (step {}); every task runs {}",
                    r.service, r.step, r.image
                )?;
                Ok(0)
            }
            o => {
                writeln!(out, "service {}: {}", r.service, promote::describe(o))?;
                Ok(EXIT_ERROR)
            }
        }
    })
}
