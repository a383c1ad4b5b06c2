//! One suite, step by step (docs/running.md): the checks that start no
//! process, the suite directory, set-up, the command, wind-down, evidence,
//! cleanup. Each step lives in its own file of `suite/`; this one only
//! strings them together.

use std::time::Instant;

use super::cleanup::cleanup;
use super::command::run_repetitions;
use super::evidence::{collect_evidence, excerpt};
use super::preflight::preflight;
use super::prepare::{new_outcome, prepare, write_secrets};
use super::setup::{set_up, wind_down};
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
    let made = match cx.dirs {
        Some(dirs) => dirs.take(&prep.dir),
        None => crate::run::suite_dirs::build_in_place(&prep.dir),
    };
    let made = made
        .map_err(|e| format!("cannot create `{}`: {e}", prep.dir))
        .and_then(|()| write_secrets(&prep));
    if let Err(e) = made {
        outcome.finish_early(Status::Blocked, "setup", e, started);
        return outcome;
    }
    let policy = profile.as_ref().map_or(Cleanup::OnSuccess, |p| p.cleanup);
    let Ok(active) = set_up(cx, &mut prep, suite, &mut outcome, started) else {
        // Blocked before the command: secrets still go, state per policy.
        cleanup(&prep, policy, outcome.status, cx.dirs);
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
    collect_evidence(cx, suite, &prep, &captures, &mut outcome);
    outcome.excerpt = excerpt(&prep, &outcome);
    cleanup(&prep, policy, outcome.status, cx.dirs);
    outcome.duration_ms = started.elapsed().as_millis() as u64;
    outcome
}
