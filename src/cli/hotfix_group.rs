//! Replica groups on the command line: `start --replicas`, and the commands given the canary
//! of a group (`cp`, `edit`, `pin`, `reload`, `rollback`, `finish`), which act on every
//! member in order, verify each before the next, and on the first failure stop and roll back
//! the members already changed (see docs/hotfix.md, "Replicas").

use std::io::Write;

use anyhow::{Context, Result};

use super::hotfix::{print_started, short, start_one, GroupSpec, HotfixOpts};
use super::{EXIT_ERROR, EXIT_FINDINGS};
use crate::docker::{ContainerFacts, Engine};
use crate::hotfix::group::{self, Selector};
use crate::hotfix::journal::{GroupMember, Header};
use crate::hotfix::reload::{self, ReloadReport, ReloadRequest};
use crate::hotfix::rollback::{self, RollbackReport};
use crate::hotfix::{
    files, lock, probe, running_container, Hotfix, HotfixError, LockMode, StateDir,
};

/// A group's members with their active hotfix ids, the canary first.
pub struct Group {
    pub id: String,
    pub members: Vec<(GroupMember, String)>,
    /// Every member, as the header lists them (for the replicas' places in messages).
    pub all: Vec<GroupMember>,
}

impl Group {
    /// `replica K/N NAME`, `(canary)` after the first: the place in the whole group.
    fn label(&self, i: usize) -> String {
        let n = self.all.len();
        let m = &self.members[i].0;
        match self.all.iter().position(|a| a.id == m.id) {
            Some(0) => format!("replica 1/{n} {} (canary)", m.name),
            Some(k) => format!("replica {}/{n} {}", k + 1, m.name),
            None => format!("replica {}", m.name),
        }
    }
}

/// `start CONTAINER --replicas SELECTOR`: one hotfix per replica, sharing a group id.
pub async fn start(
    opts: &HotfixOpts,
    engine: &Engine,
    state: &StateDir,
    canary: &ContainerFacts,
    reason: &str,
    selector: &str,
) -> Result<u8> {
    let selector = Selector::parse(selector)?;
    let replicas = engine
        .replicas(&selector.engine_selector(&canary.image_id))
        .await?;
    let members = group::order_members(
        &canary.id,
        &canary.name,
        &selector,
        &canary.image_id,
        replicas,
    )?;
    // Every member must run and be free before any hotfix is opened.
    let mut facts = Vec::new();
    for m in &members {
        let f = running_container(engine, &m.id).await?;
        if let Some(id) = lock::active(state, &f.id)? {
            return Err(HotfixError::AlreadyActive {
                container: f.name.clone(),
                id,
            }
            .into());
        }
        facts.push(f);
    }
    let probe_header = Header::new(
        reason,
        crate::hotfix::ContainerRecord::default(),
        crate::hotfix::state::now_seconds(),
    );
    let group_id = group::group_id(&probe_header.id);
    let mut journals = Vec::new();
    for f in &facts {
        let spec = GroupSpec {
            id: &group_id,
            members: &members,
        };
        match start_one(opts, engine, state, f, reason, Some(spec)).await {
            Ok(j) => journals.push(j),
            Err(e) => {
                // Nothing was changed yet: the hotfixes opened so far are removed.
                for j in &journals {
                    let h = j.header();
                    let _ = lock::release_active(state, &h.container.id, &h.id);
                    let _ = std::fs::remove_dir_all(j.dir());
                }
                return Err(e.context(format!(
                    "opening the hotfix of replica {}; no hotfix of group {group_id} was kept",
                    f.name
                )));
            }
        }
    }
    for j in &journals {
        print_started(j)?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "replica group {group_id}: {} replicas, in this order: {}",
        members.len(),
        members
            .iter()
            .enumerate()
            .map(|(i, m)| if i == 0 {
                format!("{} (canary)", m.name)
            } else {
                m.name.clone()
            })
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    Ok(0)
}

/// The group of the hotfix `hotfix` (of the running container `facts`), when it is one, for
/// a command that changes the group: it must be given the canary, and every member must
/// still have its hotfix. The canary's lock is released (each member is locked in turn).
pub fn for_change(
    state: &StateDir,
    hotfix: &Hotfix,
    facts: &ContainerFacts,
    command: &str,
) -> Result<Option<Group>> {
    let header = hotfix.journal.header();
    if !group::is_group(header) {
        return Ok(None);
    }
    let gid = header.group.clone().unwrap_or_default();
    let canary = &header.members[0];
    if canary.id != facts.id {
        let at = header
            .members
            .iter()
            .position(|m| m.id == facts.id)
            .map_or(0, |i| i + 1);
        anyhow::bail!(
            "{} is replica {at}/{} of group {gid}: `hotfix {command}` applies to the whole group \
             and is given its canary, {}",
            facts.name,
            header.members.len(),
            canary.name
        );
    }
    let mut members = Vec::new();
    for (m, id) in group::active_members(state, header)? {
        match id {
            Some(id) => members.push((m, id)),
            None => anyhow::bail!(
                "replica {} of group {gid} no longer has its hotfix (finished or rolled back): \
                 the group is incomplete; `pindrift hotfix rollback {}` rolls back the rest",
                m.name,
                canary.name
            ),
        }
    }
    Ok(Some(Group {
        id: gid,
        members,
        all: header.members.clone(),
    }))
}

/// `cp` (and `edit`, with the canary's original sha256 as `expected`) on every member in
/// order: write, read back and compare the sha256, then the next.
pub async fn put_file(
    engine: &Engine,
    state: &StateDir,
    group: &Group,
    path: &str,
    content: &[u8],
    mode: u32,
    expected: Option<&str>,
) -> Result<u8> {
    for i in 0..group.members.len() {
        let (m, hid) = &group.members[i];
        let result: Result<files::PutOutcome, HotfixError> = async {
            let mut h = Hotfix::open_id(state, hid, LockMode::Take, "")?;
            let put =
                files::put_file_expecting(engine, &mut h, path, content, mode, expected).await;
            let put = match put {
                Ok(o) => match files::read_file(engine, &m.id, path).await {
                    Ok(Some(f)) if f.meta.sha256 == o.sha256 => Ok(o),
                    Ok(Some(f)) => Err(HotfixError::Other(format!(
                        "{path} in {} reads back with sha256 {}, not the {} written",
                        m.name,
                        short(&f.meta.sha256),
                        short(&o.sha256)
                    ))),
                    Ok(None) => Err(HotfixError::Other(format!(
                        "{path} is not in {} after the write",
                        m.name
                    ))),
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            };
            h.release()?;
            put
        }
        .await;
        match result {
            Ok(o) => {
                let what = if o.created { "created" } else { "replaced" };
                writeln!(
                    std::io::stdout().lock(),
                    "{}: step {}: {} {what} (sha256 {}), read back: same bytes",
                    group.label(i),
                    o.step,
                    o.path,
                    short(&o.sha256)
                )?;
            }
            Err(e) => return fail(engine, state, group, i, &e.to_string(), EXIT_ERROR).await,
        }
    }
    Ok(0)
}

/// `reload` on every member in order; with `--check`, each member's own check (its
/// `{port:N}` expanded) must pass before the next is reloaded.
pub async fn reload(
    engine: &Engine,
    state: &StateDir,
    group: &Group,
    request: &ReloadRequest,
    json: bool,
    render: fn(&mut String, &ReloadReport),
) -> Result<u8> {
    let mut reports = Vec::new();
    for i in 0..group.members.len() {
        let (m, hid) = &group.members[i];
        let result: Result<ReloadReport, HotfixError> = async {
            let mut h = Hotfix::open_id(state, hid, LockMode::Take, "")?;
            let outcome = async {
                let facts = running_container(engine, &m.id).await?;
                let mut req = request.clone();
                if let Some(check) = &mut req.check {
                    check.url = group::expand_ports(&check.url, &m.name, &facts.ports)?;
                    probe::Target::parse(&check.url)
                        .map_err(|e| HotfixError::Other(format!("--check: {e}")))?;
                }
                reload::reload(engine, &mut h.journal, &facts.id, &req).await
            }
            .await;
            h.release()?;
            outcome
        }
        .await;
        match result {
            Ok(report) => {
                let failed = report.check_failed();
                if json {
                    reports.push(serde_json::json!({
                        "replica": i + 1,
                        "container": m.name,
                        "report": report,
                    }));
                } else {
                    let mut text = format!("{}:\n", group.label(i));
                    render(&mut text, &report);
                    std::io::stdout().write_all(text.as_bytes())?;
                }
                if failed {
                    print_json(json, &group.id, &reports, Some(i))?;
                    return fail(
                        engine,
                        state,
                        group,
                        i,
                        "its check did not pass (NOT healthy)",
                        EXIT_FINDINGS,
                    )
                    .await;
                }
            }
            Err(e) => {
                print_json(json, &group.id, &reports, Some(i))?;
                return fail(engine, state, group, i, &e.to_string(), EXIT_ERROR).await;
            }
        }
    }
    print_json(json, &group.id, &reports, None)?;
    Ok(0)
}

fn print_json(
    json: bool,
    group: &str,
    reports: &[serde_json::Value],
    failed: Option<usize>,
) -> Result<()> {
    if json {
        let v = serde_json::json!({
            "version": 1,
            "group": group,
            "failed_replica": failed.map(|i| i + 1),
            "replicas": reports,
        });
        writeln!(
            std::io::stdout().lock(),
            "{}",
            serde_json::to_string_pretty(&v).context("writing the report as JSON")?
        )?;
    }
    Ok(())
}

/// The first failure: say which replica and why, roll back every member of the group that
/// holds a change (the failing one included), close the others untouched, and return
/// `code` (or 2 when a rollback did not complete).
pub async fn fail(
    engine: &Engine,
    state: &StateDir,
    group: &Group,
    at: usize,
    reason: &str,
    code: u8,
) -> Result<u8> {
    writeln!(
        std::io::stderr().lock(),
        "pindrift: {} failed: {reason}\npindrift: stopped there (the replicas after it were not \
         touched by this command); rolling back group {}",
        group.label(at),
        group.id
    )?;
    let complete = roll_back_all(engine, state, group).await?;
    Ok(if complete { code } else { EXIT_ERROR })
}

/// Roll back every member that has a change (reloading it), and close the hotfix of every
/// member that never had one (without touching the container), the last member first.
/// True when every member's rollback completed.
pub async fn roll_back_all(engine: &Engine, state: &StateDir, group: &Group) -> Result<bool> {
    let mut complete = true;
    let mut err = std::io::stderr().lock();
    for i in (0..group.members.len()).rev() {
        let (m, hid) = &group.members[i];
        let label = group.label(i);
        let result: Result<(bool, RollbackReport), HotfixError> = async {
            let mut h = Hotfix::open_id(state, hid, LockMode::TakeOverDead, "group rollback")?;
            let changed = !h.journal.steps().is_empty();
            let report = if changed {
                running_container(engine, &m.id).await.map(|_| ())?;
                rollback::rollback(engine, &mut h, true).await
            } else {
                rollback::rollback(engine, &mut h, false).await
            };
            h.release()?;
            Ok((changed, report?))
        }
        .await;
        match result {
            Ok((false, r)) if r.completed => {
                writeln!(
                    err,
                    "pindrift: {label}: never changed; its hotfix is closed"
                )?;
            }
            Ok((_, r)) if r.completed => writeln!(
                err,
                "pindrift: {label}: rolled back ({} file(s), {} package step(s){}); its hotfix \
                 is closed",
                r.files.len(),
                r.dists.len(),
                match &r.reload {
                    Some(Ok(_)) => ", reloaded",
                    _ => "",
                }
            )?,
            Ok((_, r)) => {
                complete = false;
                let why = match &r.reload {
                    Some(Err(e)) => format!("the reload failed: {e}"),
                    _ => "a file differs from its original".to_string(),
                };
                writeln!(
                    err,
                    "pindrift: {label}: rollback NOT complete ({why}); see `pindrift hotfix \
                     status {}`",
                    m.name
                )?;
            }
            Err(e) => {
                complete = false;
                writeln!(
                    err,
                    "pindrift: {label}: rollback FAILED: {e}; see `pindrift hotfix status {}`",
                    m.name
                )?;
            }
        }
    }
    Ok(complete)
}

/// The members of the group of `header` that still have their hotfix (for `rollback` and
/// `finish`, which may be given any member and act on the whole group).
pub fn remaining(state: &StateDir, header: &Header) -> Result<Group> {
    let members = group::active_members(state, header)?
        .into_iter()
        .filter_map(|(m, id)| id.map(|id| (m, id)))
        .collect();
    Ok(Group {
        id: header.group.clone().unwrap_or_default(),
        members,
        all: header.members.clone(),
    })
}

/// `finish` of a group: every member's hotfix is closed.
pub fn finish(state: &StateDir, group: &Group) -> Result<u8> {
    let mut out = std::io::stdout().lock();
    for (i, (m, hid)) in group.members.iter().enumerate() {
        let mut h = Hotfix::open_id(state, hid, LockMode::Take, "")
            .with_context(|| format!("finishing the hotfix of {}", m.name))?;
        if let Some(step) = crate::hotfix::unfinished_step(&h.journal) {
            writeln!(
                std::io::stderr().lock(),
                "pindrift: warning: {}: {step} was never marked done: it may or may not have \
                 happened",
                m.name
            )?;
        }
        h.journal.finish()?;
        lock::release_active(state, &m.id, hid)?;
        h.release()?;
        writeln!(out, "{}: hotfix {hid} finished", group.label(i))?;
    }
    writeln!(out, "replica group {} finished", group.id)?;
    Ok(0)
}

/// `pin` on every member in order: install, then read the member's packages back and check
/// each pin is the installed version, then the next.
pub async fn pin(
    opts: &HotfixOpts,
    engine: &Engine,
    state: &StateDir,
    group: &Group,
    request: &crate::hotfix::packages::PinRequest,
) -> Result<u8> {
    use crate::hotfix::packages;
    let specs = if request.specs.is_empty() {
        packages::pins_of_wheels(&request.wheels)?
    } else {
        request.specs.clone()
    };
    let pins = packages::exact_pins(&specs)?;
    for i in 0..group.members.len() {
        let (m, hid) = &group.members[i];
        let result: Result<(packages::PinOutcome, Vec<String>), anyhow::Error> = async {
            let mut h = Hotfix::open_id(state, hid, LockMode::Take, "")?;
            let outcome = packages::pin(engine, &mut h.journal, request).await;
            h.release()?;
            let outcome = outcome?;
            let inventory = crate::drift::session::read_source(
                &format!("container:{}", m.id),
                crate::inventory::Via::Archive,
                false,
                crate::read::DEFAULT_MAX_FILE_SIZE,
                opts.timeout,
                super::hotfix::interrupted(),
            )
            .await
            .with_context(|| format!("reading the packages of {} after the pin", m.name))?;
            let envs = crate::hotfix::status::env_packages(&inventory);
            let env = envs.iter().find(|e| e.env_key == outcome.env_key);
            let mut wrong = Vec::new();
            let mut seen = Vec::new();
            for p in &pins {
                let now = env.and_then(|e| {
                    e.packages
                        .iter()
                        .find(|(n, _)| *n == p.name)
                        .map(|(_, v)| v.clone())
                });
                match now {
                    Some(v) if v == p.version => seen.push(format!("{}=={v}", p.name)),
                    Some(v) => wrong.push(format!("{} is {v}, not {}", p.name, p.version)),
                    None => wrong.push(format!("{} is not installed", p.name)),
                }
            }
            if !wrong.is_empty() {
                anyhow::bail!(
                    "after the pin, in {} of {}: {}",
                    outcome.env_key,
                    m.name,
                    wrong.join("; ")
                );
            }
            Ok((outcome, seen))
        }
        .await;
        match result {
            Ok((outcome, seen)) => writeln!(
                std::io::stdout().lock(),
                "{}: {} in {} (journal steps {}); installed now: {}",
                group.label(i),
                if outcome.planned.is_empty() {
                    "nothing to install".to_string()
                } else {
                    format!(
                        "installed {}",
                        outcome
                            .planned
                            .iter()
                            .map(|p| format!("{}=={}", p.name, p.after))
                            .collect::<Vec<_>>()
                            .join(" ")
                    )
                },
                outcome.env_key,
                outcome
                    .steps
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                seen.join(" ")
            )?,
            Err(e) => return fail(engine, state, group, i, &format!("{e:#}"), EXIT_ERROR).await,
        }
    }
    Ok(0)
}
