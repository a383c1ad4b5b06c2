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
use super::setup::{set_up, wind_down};
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
    let mut prep = prepare(cx, suite);
    let profile = registry.merged_profile(suite);
    let mut outcome = new_outcome(cx, suite, &prep, rationale.to_vec());
    let virtual_display = profile
        .as_ref()
        .is_some_and(|p| p.display == Display::Virtual);
    if let Err((status, step, reason)) = preflight(cx, suite, &prep, virtual_display, need_status) {
        outcome.finish_early(status, step, reason, started);
        return outcome;
    }
    if let Err((step, failed)) = probe_runners(cx, suite) {
        outcome.set_excerpt(failed.excerpt);
        outcome.finish_early(Status::Blocked, &step, failed.reason, started);
        return outcome;
    }
    let made = match cx.dirs {
        Some(dirs) => dirs.take(&prep.dir),
        None => crate::run::suite_dirs::build_in_place(&prep.dir),
    };
    if let Err(e) = made {
        let reason = format!("cannot create `{}`: {e}", prep.dir);
        outcome.finish_early(Status::Blocked, "setup", reason, started);
        return outcome;
    }
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
    let Ok(active) = set_up(cx, &mut prep, suite, &mut outcome, started) else {
        // Blocked before the command: secrets still go, state per policy.
        clean_up(cx, &prep, policy, &outcome);
        return outcome;
    };
    let retries = cx.retries.unwrap_or(suite.retries);
    let timeout = registry.suite_timeout(suite);
    if cx.interactive {
        cx.reporter.command_starting(&suite.id, &prep.dir);
    }
    let captures = run_repetitions(cx, &prep, retries, timeout, &mut outcome);
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
