//! One suite, step by step (docs/running.md): the checks that start no
//! process, the runners' probes, the suite directory, set-up, the command, wind-down, evidence,
//! cleanup. Each step lives in its own file of `suite/`; this one only
//! strings them together.

use std::time::Instant;

use super::cleanup::cleanup;
use super::command::run_repetitions;
use super::evidence::collect_evidence;
use super::excerpt::excerpt;
use super::preflight::preflight;
use super::prepare::{Prepared, new_outcome, prepare, write_secret_files};
use super::runner_probe::probe_runners;
use super::setup::{block_for_dead_service, set_up, wind_down};
use crate::error::Chain;
use crate::outputs::Status;
use crate::registry::model::{Cleanup, Display, Suite};
use crate::run::context::{Outcome, RunContext};
use crate::select::Reason;

/// Runs one suite. `need_status` answers how an already finished suite ended.
pub fn run_suite(
    cx: &RunContext<'_>,
    suite: &Suite,
    rationale: &[Reason],
    need_status: &dyn Fn(&str) -> Option<Status>,
) -> Outcome {
    let started = Instant::now();
    let registry = cx.registry;
    let reserved = cx.dirs.reserve();
    let mut prep = prepare(cx, suite, reserved.roots());
    let profile = registry.merged_profile(suite);
    let mut outcome = new_outcome(cx, suite, &prep, rationale.to_vec());
    let virtual_display = profile
        .as_ref()
        .is_some_and(|p| p.display == Display::Virtual);
    if let Err((status, step, reason)) = preflight(cx, suite, &prep, virtual_display, need_status) {
        cx.dirs.release(reserved);
        outcome.finish_early(status, step, reason, started);
        return outcome;
    }
    if let Err((step, failed)) = probe_runners(cx, suite) {
        cx.dirs.release(reserved);
        outcome.set_excerpt(failed.excerpt);
        outcome.finish_early(Status::Blocked, &step, failed.reason, started);
        return outcome;
    }
    if let Err(e) = cx.dirs.take(&prep.dir, reserved) {
        let reason = format!(
            "cannot create `{}` and its roots `{}`: {e}",
            prep.dir, prep.roots
        );
        outcome.finish_early(Status::Blocked, "setup", reason, started);
        return outcome;
    }
    outcome.ran.roots = crate::run::suite_roots::ROOTS
        .iter()
        .map(|r| (r.to_string(), prep.roots.join(r).to_string()))
        .collect();
    let policy = profile.as_ref().map_or(Cleanup::OnSuccess, |p| p.cleanup);
    if let Err(e) = write_secret_files(&prep) {
        // Some secrets may be written already: they go too.
        outcome.finish_early(Status::Blocked, "setup", Chain(&e).to_string(), started);
        clean_up(cx, &prep, policy, &outcome);
        return outcome;
    }
    if let Err(e) = super::report_paths::write_nextest_config(registry, suite, &prep) {
        outcome.finish_early(Status::Blocked, "setup", Chain(&e).to_string(), started);
        clean_up(cx, &prep, policy, &outcome);
        return outcome;
    }
    let Ok(mut active) = set_up(cx, &mut prep, suite, &mut outcome, started) else {
        // Blocked before the command: secrets still go, state per policy.
        clean_up(cx, &prep, policy, &outcome);
        return outcome;
    };
    let retries = cx.retries.unwrap_or(suite.retries);
    let timeout = registry.suite_timeout(suite);
    if cx.interactive {
        cx.reporter.command_starting(&suite.id, &prep.dir);
    }
    let services_gone = || active.any_service_ended();
    let captures = run_repetitions(cx, &prep, retries, timeout, &mut outcome, &services_gone);
    // A service that died while the suite ran blocks it: whatever the
    // command saw, it did not see the service it was meant to.
    let died = active.died("while the suite ran");
    if !cx.interactive {
        // An interactive command's output went to the terminal.
        outcome.logs = Some((
            format!("{}/stdout.log", prep.rel_dir),
            format!("{}/stderr.log", prep.rel_dir),
        ));
    }
    if !outcome.ran.leaked.is_empty() {
        cx.run.event(
            "processes_leaked",
            serde_json::json!({ "suite": suite.id, "leaked": outcome.ran.leaked }),
        );
    }
    wind_down(cx, &prep, active, &mut outcome);
    collect_evidence(cx, suite, &prep, &captures, timeout, &mut outcome);
    let lines = excerpt(&prep, &outcome);
    outcome.set_excerpt(lines);
    if let Some(died) = died {
        block_for_dead_service(&prep, &died, &mut outcome);
    }
    clean_up(cx, &prep, policy, &outcome);
    outcome.duration_ms = started.elapsed().as_millis() as u64;
    outcome
}

/// [`cleanup`], with a secret it could not remove reported as a
/// `secret_left` event (the path, never the value).
fn clean_up(cx: &RunContext<'_>, prep: &Prepared, policy: Cleanup, outcome: &Outcome) {
    if let Some(left) = cleanup(prep, policy, outcome.status, cx.dirs) {
        cx.run.event(
            "secret_left",
            serde_json::json!({ "suite": outcome.id, "path": left.path.as_str(), "error": Chain(&left).to_string() }),
        );
    }
}
