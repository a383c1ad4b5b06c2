//! A suite's fixtures (docs/registry.md, `[fixture.*]`): copies into the
//! state roots, `setup` commands before or after services, `teardown`
//! after the suite, each helper command with its own logs.

use std::time::Instant;

use super::evidence::tail_lines;
use super::prepare::Prepared;
use crate::outputs::{ProcessRecord, Status};
use crate::registry::model::{Fixture, Suite};
use crate::run::context::{EXCERPT_LINES, Outcome, RunContext};
use crate::run::process::capture::CaptureConfig;
use crate::run::process::child;
use crate::run::process::exit::describe_exit;

/// The suite's fixtures: copies, then the setup commands that do not wait
/// for services. `Err` when one failed; `outcome` then says why (blocked,
/// step `fixture:<id>:setup`).
#[allow(clippy::result_unit_err)]
pub fn setup_fixtures<'r>(
    cx: &RunContext<'r>,
    prep: &Prepared,
    suite: &Suite,
    outcome: &mut Outcome,
    started: Instant,
) -> Result<Vec<&'r Fixture>, ()> {
    let fixtures: Vec<_> = suite
        .fixtures
        .iter()
        .filter_map(|r| cx.registry.fixtures.get(&r.id))
        .collect();
    for fixture in &fixtures {
        for copy in &fixture.copy {
            let from = cx.registry.workspace.join(&copy.from);
            let mut to = prep.roots.join(match copy.to.split_once('/') {
                Some((root, rest)) => format!("state.{root}/{rest}"),
                None => format!("state.{}", copy.to),
            });
            // A file copied to a directory lands inside it, under its own name;
            // a tree copied to a directory is merged into it.
            if from.is_file() && to.is_dir() {
                to = to.join(from.file_name().unwrap_or("file"));
            }
            let root = crate::files::resolve(cx.registry.workspace.as_std_path())
                .unwrap_or_else(|| cx.registry.workspace.clone().into());
            if let Err(e) =
                crate::files::copy_tree_within(from.as_std_path(), to.as_std_path(), &root)
            {
                let reason = format!(
                    "{}: cannot copy `{}` to `{}`: {e}",
                    fixture.id, copy.from, copy.to
                );
                outcome.finish_early(
                    Status::Blocked,
                    &format!("fixture:{}:copy", fixture.id),
                    reason,
                    started,
                );
                return Err(());
            }
        }
        if let Some(setup) = &fixture.setup
            && !fixture.after_services
            && !run_setup(cx, prep, fixture, setup, outcome, started)
        {
            teardown(cx, prep, &fixtures, outcome);
            return Err(());
        }
    }
    Ok(fixtures)
}

/// Runs the `setup` of fixtures that wait for services. `false` when one
/// failed; `outcome` then says why.
pub fn setup_after_services(
    cx: &RunContext<'_>,
    prep: &Prepared,
    fixtures: &[&Fixture],
    outcome: &mut Outcome,
    started: Instant,
) -> bool {
    fixtures.iter().all(|fixture| match &fixture.setup {
        Some(setup) if fixture.after_services => {
            run_setup(cx, prep, fixture, setup, outcome, started)
        }
        _ => true,
    })
}

/// Runs one fixture setup; on failure the suite is blocked with step
/// `fixture:<id>:setup` and the tail of its log as the excerpt.
fn run_setup(
    cx: &RunContext<'_>,
    prep: &Prepared,
    fixture: &Fixture,
    setup: &str,
    outcome: &mut Outcome,
    started: Instant,
) -> bool {
    let log = format!("fixture.{}.setup", fixture.id);
    let (record, ok) = helper(cx, prep, "fixture", &prep.places.fill_shell(setup), &log);
    outcome.ran.processes.push(record.clone());
    if ok {
        return true;
    }
    let reason = format!(
        "fixture {} setup {}",
        fixture.id,
        describe_exit(record.exit_code, record.signal)
    );
    let mut stream = "stderr";
    let mut excerpt = tail_lines(&prep.dir.join(format!("{log}.stderr.log")), EXCERPT_LINES);
    if excerpt.is_empty() {
        stream = "stdout";
        excerpt = tail_lines(&prep.dir.join(format!("{log}.stdout.log")), EXCERPT_LINES);
    }
    let source = format!("{}/{log}.{stream}.log", prep.rel_dir);
    outcome.set_excerpt(excerpt.into_iter().map(|l| (l, source.clone())).collect());
    outcome.finish_early(
        Status::Blocked,
        &format!("fixture:{}:setup", fixture.id),
        reason,
        started,
    );
    false
}

/// Runs a helper command (fixture setup or teardown) with its output in
/// `<log>.stdout.log` and `<log>.stderr.log`; returns its record and
/// whether it exited 0.
fn helper(
    cx: &RunContext<'_>,
    prep: &Prepared,
    role: &str,
    command: &str,
    log: &str,
) -> (ProcessRecord, bool) {
    let mut record = ProcessRecord {
        pid: 0,
        role: role.into(),
        command: prep.redactor.redact_str(command),
        exit_code: None,
        signal: None,
    };
    let config = |stream: &str| CaptureConfig {
        path: prep.dir.join(format!("{log}.{stream}.log")),
        max_bytes: cx.registry.settings.max_log_bytes,
        marker: format!("{}_ARTIFACT_PATH=", cx.registry.settings.env_prefix),
        tee: None,
    };
    let spec = child::Spec {
        command,
        cwd: prep.cwd.as_std_path(),
        env: &prep.env.vars,
        stdout: config("stdout"),
        stderr: config("stderr"),
        redactor: &prep.redactor,
        timeout: Some(cx.registry.settings.default_timeout),
        tag: &prep.tag,
        interrupts: cx.interrupts,
        wrapper: &prep.wrapper,
        umask: prep.env.umask(),
        watch: None,
    };
    match child::drive(&spec) {
        Ok(d) => {
            record.pid = d.pid;
            record.exit_code = d.exit_code;
            record.signal = d.signal;
            (record, d.exit_code == Some(0))
        }
        Err(e) => {
            if let child::DriveError::Record(_) = e {
                cx.run.lost(&crate::error::Chain(&e).to_string());
            }
            (record, false)
        }
    }
}

/// Runs every fixture's teardown; a failure is recorded, not fatal.
pub fn teardown(
    cx: &RunContext<'_>,
    prep: &Prepared,
    fixtures: &[&Fixture],
    outcome: &mut Outcome,
) {
    for fixture in fixtures {
        if let Some(teardown) = &fixture.teardown {
            let log = format!("fixture.{}.teardown", fixture.id);
            let (record, ok) = helper(cx, prep, "fixture", &prep.places.fill_shell(teardown), &log);
            if !ok {
                cx.run.event(
                    "teardown_failed",
                    serde_json::json!({ "suite": outcome.id, "fixture": fixture.id, "exit_code": record.exit_code }),
                );
            }
            outcome.ran.processes.push(record);
        }
    }
}
