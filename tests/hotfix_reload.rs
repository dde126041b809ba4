//! `hotfix reload` against the real engine: a gunicorn or uwsgi service built from nothing
//! (tests/support/service.rs) answers `500 BIG_PROBLEM`; the fixed app.py is copied in;
//! the reload runs while a poller sends at least 100 requests a second to 127.0.0.1, and the
//! report says what a user saw. Each test prints its numbers (`-- --nocapture`).
//!
//! The tests take turns (one service at a time): on a loaded machine, two services and two
//! pollers at once would starve each other and every timeout would be the machine's.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod support;

use std::sync::Mutex;
use std::time::Duration;

use pindrift::docker::Engine;
use pindrift::hotfix::journal::{ContainerRecord, Header, StepState};
use pindrift::hotfix::probe::CheckSpec;
use pindrift::hotfix::reload::{self, Method, ReloadReport, ReloadRequest, Strategy, Via};
use pindrift::hotfix::{Journal, StateDir};
use support::service::{build_service_image, start_service, Service, Variant, FIXED_APP};

static TURN: Mutex<()> = Mutex::new(());

/// Starts `variant`, copies the fixed app in, reloads with `strategy` under a check, and
/// returns the report (and the service, still running).
fn reload_fixed(
    variant: Variant,
    strategy: Strategy,
    check_timeout: Duration,
) -> (ReloadReport, Service, Journal, support::service::SuiteImage) {
    support::require_docker();
    let image = build_service_image();
    let svc = start_service(&image.0, variant);
    assert_eq!(svc.status(), Some(500), "the broken app answers 500");
    svc.put_file("/app/app.py", FIXED_APP);
    assert_eq!(
        svc.status(),
        Some(500),
        "the running code does not change by itself"
    );
    let state = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (report, journal) = runtime.block_on(async {
        let engine = Engine::connect(Duration::from_secs(60)).await.unwrap();
        let facts = engine.container_facts(&svc.name).await.unwrap();
        let header = Header::new(
            "cause a problem flag",
            ContainerRecord {
                id: facts.id.clone(),
                name: facts.name.clone(),
                image_id: facts.image_id.clone(),
                image_ref: facts.image_ref.clone(),
                stop_timeout: Some(3),
                labels: Default::default(),
            },
            1_700_000_000,
        );
        let mut journal =
            Journal::create(&StateDir::at(state.path().to_path_buf()).unwrap(), header).unwrap();
        let request = ReloadRequest {
            check: Some(CheckSpec {
                timeout: check_timeout,
                ..CheckSpec::new(&svc.url(), 200)
            }),
            ..ReloadRequest::new(strategy)
        };
        let report = reload::reload(&engine, &mut journal, &facts.id, &request)
            .await
            .unwrap();
        (report, journal)
    });
    runtime.shutdown_background();
    let c = report.check.as_ref().unwrap();
    eprintln!(
        "{variant:?} --strategy {}: {} | sent {} ({}/s), ok {}, other answers {:?}, late (>0.1 s) {}, \
         failed {} {:?}, longest gap {} ms, healthy after {:?} ms, new processes after {} ms",
        strategy.name(),
        report.plan.method.describe(),
        c.sent,
        c.rate,
        c.ok,
        c.unexpected,
        c.late,
        c.failed,
        c.failed_by_kind,
        c.longest_gap_ms,
        c.healthy_after_ms,
        report.settled_ms
    );
    // The journal holds the step, done.
    let step = journal.step(report.step).unwrap();
    assert!(
        matches!(step.state, StepState::Done(_)),
        "journal step {step:?}"
    );
    drop(state);
    (report, svc, journal, image)
}

fn assert_polled_fast_enough(r: &ReloadReport) {
    let c = r.check.as_ref().unwrap();
    assert!(c.sent >= 100, "{c:?}");
    assert!(c.rate >= 100.0, "at least 100 requests a second: {c:?}");
}

#[test]
#[ignore = "needs the Docker Engine"]
fn gunicorn_hup_while_polling_loses_no_request_and_serves_the_fix() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let (r, svc, _j, _i) = reload_fixed(Variant::Gunicorn, Strategy::Auto, Duration::from_secs(30));
    assert_eq!(
        r.plan.method,
        Method::Signal {
            signal: "SIGHUP".into(),
            pid: 1,
            via: Via::Engine
        }
    );
    let c = r.check.as_ref().unwrap();
    assert_polled_fast_enough(&r);
    assert_eq!(c.failed, 0, "zero failed requests: {c:?}");
    assert!(c.longest_gap_ms < 1000, "{c:?}");
    assert!(c.healthy, "{c:?}");
    assert!(
        c.unexpected.get("status 500").copied().unwrap_or(0) > 0,
        "the old code answered 500 before the reload: {c:?}"
    );
    assert_eq!(r.master_after, Some(1));
    assert_eq!(r.workers_after.len(), 2);
    assert!(r
        .workers_after
        .iter()
        .all(|w| !r.workers_before.contains(w)));
    assert_eq!(svc.status(), Some(200), "the fix is served");
}

#[test]
#[ignore = "needs the Docker Engine"]
fn the_restart_strategy_reports_the_failures_it_causes() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let (r, svc, _j, _i) = reload_fixed(
        Variant::Gunicorn,
        Strategy::Restart,
        Duration::from_secs(30),
    );
    assert_eq!(r.plan.method, Method::Restart { timeout: Some(3) });
    let c = r.check.as_ref().unwrap();
    assert_polled_fast_enough(&r);
    assert!(c.failed > 0, "a restart drops requests, and says so: {c:?}");
    assert!(c.longest_gap_ms > 100, "{c:?}");
    assert!(c.healthy, "{c:?}");
    assert_eq!(svc.status(), Some(200));
}

#[test]
#[ignore = "needs the Docker Engine"]
fn a_master_that_is_not_pid_1_is_found_and_signalled_inside_the_container() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let (r, svc, _j, _i) = reload_fixed(
        Variant::GunicornUnderShell,
        Strategy::Auto,
        Duration::from_secs(30),
    );
    match &r.plan.method {
        Method::Signal { signal, pid, via } => {
            assert_eq!(signal, "SIGHUP");
            assert_ne!(*pid, 1, "the master is sh's child, not PID 1");
            assert_eq!(*via, Via::Exec);
        }
        m => panic!("{m:?}"),
    }
    let c = r.check.as_ref().unwrap();
    assert_polled_fast_enough(&r);
    assert_eq!(c.failed, 0, "{c:?}");
    assert!(c.healthy, "{c:?}");
    assert_eq!(svc.status(), Some(200));
}

#[test]
#[ignore = "needs the Docker Engine"]
fn a_preloaded_gunicorn_under_an_init_that_outlives_it_is_upgraded_with_usr2() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let (r, svc, _j, _i) = reload_fixed(
        Variant::GunicornPreloadUnderReaper,
        Strategy::Auto,
        Duration::from_secs(30),
    );
    assert!(
        matches!(r.plan.method, Method::Usr2Upgrade { .. }),
        "{:?}",
        r.plan
    );
    assert_ne!(r.master_after, r.master_before, "a new master");
    let c = r.check.as_ref().unwrap();
    assert_polled_fast_enough(&r);
    assert_eq!(c.failed, 0, "{c:?}");
    assert!(c.healthy, "{c:?}");
    assert_eq!(
        svc.status(),
        Some(200),
        "the new master loaded the new code"
    );
    // The container still runs (the old master's exit did not stop it).
    let out = support::docker(&["inspect", "-f", "{{.State.Running}}", &svc.name]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "true");
}

#[test]
#[ignore = "needs the Docker Engine"]
fn a_preloaded_gunicorn_as_pid_1_must_restart_and_auto_says_so() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let (r, svc, _j, _i) = reload_fixed(
        Variant::GunicornPreload,
        Strategy::Auto,
        Duration::from_secs(30),
    );
    assert_eq!(r.plan.method, Method::Restart { timeout: Some(3) });
    assert!(r.plan.why.contains("--preload"), "{}", r.plan.why);
    assert!(r.plan.why.contains("PID 1"), "{}", r.plan.why);
    let c = r.check.as_ref().unwrap();
    assert!(c.healthy, "{c:?}");
    assert_eq!(svc.status(), Some(200));
}

#[test]
#[ignore = "needs the Docker Engine"]
fn hup_on_a_preloaded_gunicorn_keeps_the_old_code_and_the_check_fails() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let (r, svc, _j, _i) = reload_fixed(
        Variant::GunicornPreload,
        Strategy::Hup,
        Duration::from_secs(3),
    );
    assert_eq!(r.plan.warnings.len(), 1, "{:?}", r.plan);
    let c = r.check.as_ref().unwrap();
    assert!(!c.healthy, "the old code still answers 500: {c:?}");
    assert!(r.check_failed());
    assert_eq!(c.ok, 0, "{c:?}");
    assert_eq!(svc.status(), Some(500));
}

#[test]
#[ignore = "needs the Docker Engine"]
fn uwsgi_hup_reloads_the_fix_without_losing_a_request() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let (r, svc, _j, _i) = reload_fixed(Variant::Uwsgi, Strategy::Auto, Duration::from_secs(30));
    assert_eq!(
        r.plan.method,
        Method::Signal {
            signal: "SIGHUP".into(),
            pid: 1,
            via: Via::Engine
        }
    );
    let c = r.check.as_ref().unwrap();
    assert_polled_fast_enough(&r);
    assert!(c.healthy, "{c:?}");
    // The listening socket stays open across the graceful reload: no request is refused or
    // lost; the ones that arrive while the master re-executes wait in the backlog (about a
    // second: uwsgi buries its old workers on its one-second master cycle) and are answered
    // late, which the report counts (`late`) and shows as the longest gap.
    assert_eq!(c.failed, 0, "{c:?}");
    assert_eq!(svc.status(), Some(200));
}

#[test]
#[ignore = "needs the Docker Engine"]
fn uwsgi_with_a_master_fifo_and_lazy_apps_chain_reloads_without_a_failure() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let (r, svc, _j, _i) =
        reload_fixed(Variant::UwsgiChain, Strategy::Auto, Duration::from_secs(30));
    assert!(
        matches!(r.plan.method, Method::ChainReload { .. }),
        "{:?}",
        r.plan
    );
    let c = r.check.as_ref().unwrap();
    assert_polled_fast_enough(&r);
    assert_eq!(c.failed, 0, "{c:?}");
    assert!(c.healthy, "{c:?}");
    assert_eq!(svc.status(), Some(200));
}

#[test]
#[ignore = "needs the Docker Engine"]
fn a_uwsgi_whose_graceful_reload_would_exit_is_restarted_instead() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let (r, svc, _j, _i) = reload_fixed(
        Variant::UwsgiNoBinaryPath,
        Strategy::Auto,
        Duration::from_secs(30),
    );
    assert_eq!(r.plan.method, Method::Restart { timeout: Some(3) });
    assert!(r.plan.why.contains("--binary-path"), "{}", r.plan.why);
    assert!(r.check.as_ref().unwrap().healthy);
    assert_eq!(svc.status(), Some(200));
}

#[test]
#[ignore = "needs the Docker Engine"]
fn a_preloaded_gunicorn_under_a_shell_is_restarted_not_upgraded() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let (r, svc, _j, _i) = reload_fixed(
        Variant::GunicornPreloadUnderShell,
        Strategy::Auto,
        Duration::from_secs(30),
    );
    assert_eq!(r.plan.method, Method::Restart { timeout: Some(3) });
    assert!(r.plan.why.contains("`sh`"), "{}", r.plan.why);
    assert!(r.check.as_ref().unwrap().healthy);
    assert_eq!(svc.status(), Some(200));
}

#[test]
#[ignore = "needs the Docker Engine"]
fn an_unknown_server_is_restarted() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let (r, svc, _j, _i) = reload_fixed(Variant::Wsgiref, Strategy::Auto, Duration::from_secs(30));
    assert_eq!(r.plan.server, None);
    assert_eq!(r.plan.method, Method::Restart { timeout: Some(3) });
    let c = r.check.as_ref().unwrap();
    assert!(c.healthy, "{c:?}");
    assert_eq!(svc.status(), Some(200));
}

/// The CLI: `hotfix start`, `hotfix cp` the fix, `hotfix reload --check` (HUP: zero failed
/// requests, now 200), then `--strategy restart` on the same service (its failures are
/// reported).
#[test]
#[ignore = "needs the Docker Engine"]
fn the_write_up_through_the_cli_hup_then_restart() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    support::require_docker();
    let image = build_service_image();
    let svc = start_service(&image.0, Variant::Gunicorn);
    let state = tempfile::tempdir().unwrap();
    let s = state.path().to_str().unwrap();
    let (code, out, err) = support::pindrift(&[
        "hotfix",
        "--state-dir",
        s,
        "start",
        &svc.name,
        "--reason",
        "cause a problem flag",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let local = state.path().join("app.py");
    std::fs::write(&local, FIXED_APP).unwrap();
    let target = format!("{}:/app/app.py", svc.name);
    let (code, out, err) = support::pindrift(&[
        "hotfix",
        "--state-dir",
        s,
        "cp",
        local.to_str().unwrap(),
        &target,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(svc.status(), Some(500));
    let url = svc.url();
    let reload = |strategy: &str| {
        let (code, out, err) = support::pindrift(&[
            "hotfix",
            "--state-dir",
            s,
            "reload",
            &svc.name,
            "--strategy",
            strategy,
            "--check",
            &url,
            "--format",
            "json",
        ]);
        assert_eq!(code, 0, "{out}{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        eprintln!(
            "CLI --strategy {strategy}: {}",
            serde_json::to_string(&v["check"]).unwrap()
        );
        v
    };
    let hup = reload("auto");
    assert_eq!(hup["plan"]["method"]["method"], "signal", "{hup}");
    let c = &hup["check"];
    assert_eq!(c["failed"], 0, "{c}");
    assert_eq!(c["healthy"], true, "{c}");
    assert!(c["sent"].as_u64().unwrap() >= 100, "{c}");
    assert!(c["rate"].as_f64().unwrap() >= 100.0, "{c}");
    assert_eq!(svc.status(), Some(200));
    let restart = reload("restart");
    let c = &restart["check"];
    assert!(c["failed"].as_u64().unwrap() > 0, "{c}");
    assert!(c["longest_gap_ms"].as_u64().unwrap() > 100, "{c}");
    assert_eq!(c["healthy"], true, "{c}");
    assert_eq!(svc.status(), Some(200));
    // Human output names the numbers.
    let (code, out, err) = support::pindrift(&[
        "hotfix",
        "--state-dir",
        s,
        "reload",
        &svc.name,
        "--check",
        &url,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    for needle in [
        "SIGHUP",
        "sent ",
        "failed (no answer within 2.000 s): 0",
        "longest time",
        "healthy ",
    ] {
        assert!(out.contains(needle), "{needle}: {out}");
    }
    // Every reload is a journaled step, done.
    let (code, out, err) = support::pindrift(&[
        "hotfix",
        "--state-dir",
        s,
        "status",
        &svc.name,
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.matches("\"reload\"").count(), 3, "{out}");
}

/// A check that fails (HUP on a preloaded app keeps serving the old code) exits 1, and
/// `--rollback-on-fail` puts the original file back and reloads again.
#[test]
#[ignore = "needs the Docker Engine"]
fn a_failed_check_exits_1_and_rollback_on_fail_restores_the_original() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    support::require_docker();
    let image = build_service_image();
    let svc = start_service(&image.0, Variant::GunicornPreload);
    let state = tempfile::tempdir().unwrap();
    let s = state.path().to_str().unwrap();
    let (code, out, err) = support::pindrift(&[
        "hotfix",
        "--state-dir",
        s,
        "start",
        &svc.name,
        "--reason",
        "preload",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let local = state.path().join("app.py");
    std::fs::write(&local, FIXED_APP).unwrap();
    let target = format!("{}:/app/app.py", svc.name);
    let (code, out, err) = support::pindrift(&[
        "hotfix",
        "--state-dir",
        s,
        "cp",
        local.to_str().unwrap(),
        &target,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = support::pindrift(&[
        "hotfix",
        "--state-dir",
        s,
        "reload",
        &svc.name,
        "--strategy",
        "hup",
        "--check",
        &svc.url(),
        "--check-timeout",
        "3",
        "--rollback-on-fail",
    ]);
    assert_eq!(code, 1, "a failed check exits 1: {out}{err}");
    assert!(out.contains("NOT healthy"), "{out}");
    assert!(out.contains("warning: gunicorn preloads"), "{out}");
    assert!(err.contains("rolled back 1 file"), "{err}");
    assert!(err.contains("the hotfix is closed"), "{err}");
    let now = support::docker(&["exec", &svc.name, "cat", "/app/app.py"]);
    assert_eq!(
        String::from_utf8_lossy(&now.stdout),
        support::service::BROKEN_APP,
        "the original file is back"
    );
    assert_eq!(svc.status(), Some(500), "the original code runs again");
}

/// SIGKILL at each journal boundary of `hotfix reload` (after the intent, before the signal;
/// after the signal, before `done`): `status` shows the reload step as intended and the dead
/// lock, and `rollback` takes the lock over and brings back the original file and answer.
#[test]
#[ignore = "needs the Docker Engine"]
fn a_reload_killed_at_any_boundary_is_reported_and_rolled_back() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    support::require_docker();
    let image = build_service_image();
    let svc = start_service(&image.0, Variant::Gunicorn);
    let state = tempfile::tempdir().unwrap();
    let s = state.path().to_str().unwrap();
    let local = state.path().join("app.py");
    std::fs::write(&local, FIXED_APP).unwrap();
    let target = format!("{}:/app/app.py", svc.name);
    let mut killed = 0;
    for n in 1.. {
        assert!(n < 6, "reload never completed");
        let (code, out, err) = support::pindrift(&[
            "hotfix",
            "--state-dir",
            s,
            "start",
            &svc.name,
            "--reason",
            "kill test",
        ]);
        assert_eq!(code, 0, "{out}{err}");
        let (code, out, err) = support::pindrift(&[
            "hotfix",
            "--state-dir",
            s,
            "cp",
            local.to_str().unwrap(),
            &target,
        ]);
        assert_eq!(code, 0, "{out}{err}");
        let kill_at = n.to_string();
        let (code, out, err) = support::pindrift_env(
            &["hotfix", "--state-dir", s, "reload", &svc.name],
            &[("PINDRIFT_TEST_KILL_AT", &kill_at)],
        );
        let done = code == 0;
        if !done {
            assert_eq!(code, -1, "killed by SIGKILL at boundary {n}: {out}{err}");
            killed += 1;
            // Another reload refuses the dead lock and points at status/rollback.
            let (code, out, err) =
                support::pindrift(&["hotfix", "--state-dir", s, "reload", &svc.name]);
            assert_eq!(code, 2, "{out}{err}");
            assert!(err.contains("rollback"), "{err}");
            // Status tells what happened (and takes the dead lock over, saying so).
            let (code, out, err) =
                support::pindrift(&["hotfix", "--state-dir", s, "status", &svc.name]);
            assert_eq!(code, 0, "{out}{err}");
            assert!(out.contains("reload (hup)"), "boundary {n}: {out}");
            assert!(out.contains("INTENDED"), "boundary {n}: {out}");
            assert!(err.contains("took over the lock"), "boundary {n}: {err}");
        }
        let (code, out, err) =
            support::pindrift(&["hotfix", "--state-dir", s, "rollback", &svc.name]);
        assert_eq!(code, 0, "boundary {n}: {out}{err}");
        assert!(
            out.contains("rolled back and closed"),
            "boundary {n}: {out}"
        );
        let now = support::docker(&["exec", &svc.name, "cat", "/app/app.py"]);
        assert_eq!(
            String::from_utf8_lossy(&now.stdout),
            support::service::BROKEN_APP,
            "boundary {n}"
        );
        assert_eq!(
            svc.status(),
            Some(500),
            "boundary {n}: the original code runs"
        );
        if done {
            break;
        }
    }
    assert_eq!(
        killed, 2,
        "two boundaries in a reload: after the intent, before done"
    );
}

/// Bad `--check` input is refused before anything is touched (no engine needed), exit 2.
#[test]
fn a_bad_check_url_is_exit_2_naming_it() {
    let state = tempfile::tempdir().unwrap();
    let s = state.path().to_str().unwrap();
    for (url, says) in [
        ("https://127.0.0.1/", "only http:// URLs"),
        ("http://127.0.0.1:99999/", "bad port"),
        ("http://user:pw@127.0.0.1/", "credentials"),
    ] {
        let (code, out, err) =
            support::pindrift(&["hotfix", "--state-dir", s, "reload", "web", "--check", url]);
        assert_eq!(code, 2, "{url}: {out}{err}");
        assert!(err.contains(url) && err.contains(says), "{url}: {err}");
    }
    let (code, _, err) = support::pindrift(&[
        "hotfix",
        "--state-dir",
        s,
        "reload",
        "web",
        "--check",
        "http://127.0.0.1/",
        "--check-timeout=0",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--check-timeout"), "{err}");
}
