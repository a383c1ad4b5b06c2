//! Everything around a suite's command: its network namespace and virtual
//! display, ports, fixture copies and setups (before and after services),
//! services started and stopped, fixture teardown, and the helper processes
//! those run.
//!
//! The command itself and its classification are `suite.rs`.

use std::sync::Arc;
use std::time::Instant;

use super::capture::CaptureConfig;
use super::child;
use super::evidence::tail_lines;
use super::redact::Redactor;
use super::suite::{EXCERPT_LINES, Outcome, Prepared, RunContext, describe_exit, finish_early};
use crate::registry::model::{Display, Network, Suite};
use crate::report::schema::{ProcessRecord, Status};

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
) -> Result<Vec<&'r crate::registry::model::Fixture>, ()> {
    let fixtures: Vec<_> = suite
        .fixtures
        .iter()
        .filter_map(|r| cx.registry.fixtures.get(&r.id))
        .collect();
    for fixture in &fixtures {
        for copy in &fixture.copy {
            let from = cx.registry.workspace.join(&copy.from);
            let mut to = prep.dir.join(match copy.to.split_once('/') {
                Some((root, rest)) => format!("state.{root}/{rest}"),
                None => format!("state.{}", copy.to),
            });
            // A file copied to a directory lands inside it, under its own name;
            // a tree copied to a directory is merged into it.
            if from.is_file() && to.is_dir() {
                to = to.join(from.file_name().unwrap_or("file"));
            }
            if let Err(e) = crate::files::copy_tree(from.as_std_path(), to.as_std_path()) {
                let reason = format!(
                    "{}: cannot copy `{}` to `{}`: {e}",
                    fixture.id, copy.from, copy.to
                );
                finish_early(
                    outcome,
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

/// What runs around a suite's command: its namespace, services, fixtures.
pub struct Active<'r> {
    namespace: Option<super::netns::Namespace>,
    running: Vec<super::services::Running>,
    fixtures: Vec<&'r crate::registry::model::Fixture>,
}

/// Everything before the command (the suite directory exists): isolation
/// (a network namespace for every process, a virtual display for the
/// command), ports, fixtures, services, after-services fixtures. `Err` when
/// something could not be had; `outcome` says why and all is undone.
#[allow(clippy::result_unit_err)]
pub fn set_up<'r>(
    cx: &RunContext<'r>,
    prep: &mut Prepared,
    suite: &Suite,
    outcome: &mut Outcome,
    started: Instant,
) -> Result<Active<'r>, ()> {
    let profile = cx.registry.merged_profile(suite);
    let virtual_display = profile
        .as_ref()
        .is_some_and(|p| p.display == Display::Virtual);
    // Isolation: a network namespace for every process, a virtual display
    // for the command. Whatever cannot be had blocks the suite.
    let path = prep.env.vars.get("PATH").cloned();
    let mut namespace = None;
    if profile
        .as_ref()
        .is_some_and(|p| p.network == Network::Loopback)
    {
        match super::netns::Namespace::create(path.as_deref()) {
            Ok(ns) => {
                prep.wrapper = ns.wrapper.clone();
                outcome
                    .manifest
                    .isolation
                    .push(format!("network: {}", ns.how));
                namespace = Some(ns);
            }
            Err(reason) => {
                finish_early(outcome, Status::Blocked, "network", reason, started);
                return Err(());
            }
        }
    }
    prep.command_wrapper = prep.wrapper.clone();
    if virtual_display {
        match super::host::find_program("xvfb-run", path.as_deref()) {
            Some(xvfb) => {
                prep.command_wrapper
                    .push(xvfb.to_string_lossy().into_owned());
                prep.command_wrapper.push("-a".into());
                outcome
                    .manifest
                    .isolation
                    .push("display: xvfb-run -a".into());
            }
            None => {
                let reason =
                    "display = \"virtual\" needs `xvfb-run` on PATH (Debian: xvfb)".to_string();
                finish_early(outcome, Status::Blocked, "display", reason, started);
                return Err(());
            }
        }
    }
    // Ports first: every process of the suite sees every service's port.
    let service_ids = outcome.manifest.services.clone();
    match super::services::allocate_ports(cx.registry, &service_ids) {
        Ok(ports) => {
            for p in &ports {
                let name = super::services::port_var(&cx.registry.settings.env_prefix, &p.service);
                prep.env.vars.insert(name, p.port.to_string());
            }
            outcome.manifest.ports = ports;
            outcome.manifest.env = prep.env.redacted();
        }
        Err(e) => {
            finish_early(
                outcome,
                Status::Blocked,
                "ports",
                format!("cannot allocate a port: {e}"),
                started,
            );
            return Err(());
        }
    }
    let fixtures = setup_fixtures(cx, prep, suite, outcome, started)?;
    let mut running = Vec::new();
    if !start_services(cx, prep, &service_ids, &mut running, outcome, started)
        || !setup_after_services(cx, prep, &fixtures, outcome, started)
    {
        stop_services(cx, prep, running, outcome);
        teardown(cx, prep, &fixtures, outcome);
        drop(namespace);
        return Err(());
    }
    Ok(Active {
        namespace,
        running,
        fixtures,
    })
}

/// Everything after the command: services stopped, fixture teardown, the
/// namespace released.
pub fn wind_down(cx: &RunContext<'_>, prep: &Prepared, active: Active<'_>, outcome: &mut Outcome) {
    stop_services(cx, prep, active.running, outcome);
    teardown(cx, prep, &active.fixtures, outcome);
    drop(active.namespace);
}

/// Starts the suite's services in order, each waited for before the next.
/// `false` when one failed to become ready: the suite is then blocked with
/// step `service:<id>:ready` and the tail of that service's log.
fn start_services(
    cx: &RunContext<'_>,
    prep: &Prepared,
    ids: &[String],
    running: &mut Vec<super::services::Running>,
    outcome: &mut Outcome,
    started: Instant,
) -> bool {
    let fill = |text: &str, port: Option<u16>| {
        let mut places = prep.places.clone();
        places.port = port;
        places.fill(text)
    };
    let launch = super::services::Launch {
        env: &prep.env.vars,
        cwd: prep.cwd.as_std_path(),
        run_dir: &cx.run.path,
        suite_dir: &prep.dir,
        redactor: Arc::new(Redactor::new(prep.env.secret_values())),
        wrapper: &prep.wrapper,
        prefix: &cx.registry.settings.env_prefix,
        max_log_bytes: cx.registry.settings.max_log_bytes,
        fill: &fill,
        interrupts: cx.interrupts,
    };
    for id in ids {
        let Some(service) = cx.registry.services.get(id) else {
            continue;
        };
        let port = outcome
            .manifest
            .ports
            .iter()
            .find(|p| p.service == *id)
            .map(|p| p.port);
        match super::services::start(service, port, &launch) {
            Ok((svc, elapsed)) => {
                cx.run.event(
                    "service_ready",
                    serde_json::json!({ "suite": outcome.result.id, "service": id, "port": port, "ready_ms": elapsed.as_millis() as u64 }),
                );
                running.push(svc);
            }
            Err(failure) => {
                let (svc, why) = *failure;
                if let Some(svc) = svc {
                    running.push(svc);
                }
                // Stop first, so the log is complete before its tail is read.
                stop_services(cx, prep, std::mem::take(running), outcome);
                outcome.result.excerpt =
                    tail_lines(&super::services::log_path(&prep.dir, id), EXCERPT_LINES);
                finish_early(outcome, Status::Blocked, &why.step, why.reason, started);
                return false;
            }
        }
    }
    true
}

/// Stops services in reverse start order and records them.
fn stop_services(
    cx: &RunContext<'_>,
    prep: &Prepared,
    running: Vec<super::services::Running>,
    outcome: &mut Outcome,
) {
    for svc in running.into_iter().rev() {
        let (record, leaked) = svc.stop(&prep.tag, cx.interrupts);
        outcome.manifest.processes.push(record);
        outcome.manifest.leaked.extend(leaked);
    }
}

/// Runs the `setup` of fixtures that wait for services. `false` when one
/// failed; `outcome` then says why.
pub fn setup_after_services(
    cx: &RunContext<'_>,
    prep: &Prepared,
    fixtures: &[&crate::registry::model::Fixture],
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
    fixture: &crate::registry::model::Fixture,
    setup: &str,
    outcome: &mut Outcome,
    started: Instant,
) -> bool {
    let log = format!("fixture.{}.setup", fixture.id);
    let (record, ok) = helper(cx, prep, "fixture", &prep.places.fill(setup), &log);
    outcome.manifest.processes.push(record.clone());
    if ok {
        return true;
    }
    let reason = format!(
        "fixture {} setup {}",
        fixture.id,
        describe_exit(record.exit_code, record.signal)
    );
    let mut excerpt = tail_lines(&prep.dir.join(format!("{log}.stderr.log")), EXCERPT_LINES);
    if excerpt.is_empty() {
        excerpt = tail_lines(&prep.dir.join(format!("{log}.stdout.log")), EXCERPT_LINES);
    }
    outcome.result.excerpt = excerpt;
    finish_early(
        outcome,
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
    };
    match child::drive(&spec) {
        Ok(d) => {
            record.pid = d.pid;
            record.exit_code = d.exit_code;
            record.signal = d.signal;
            (record, d.exit_code == Some(0))
        }
        Err(_) => (record, false),
    }
}

/// Runs every fixture's teardown; a failure is recorded, not fatal.
pub fn teardown(
    cx: &RunContext<'_>,
    prep: &Prepared,
    fixtures: &[&crate::registry::model::Fixture],
    outcome: &mut Outcome,
) {
    for fixture in fixtures {
        if let Some(teardown) = &fixture.teardown {
            let log = format!("fixture.{}.teardown", fixture.id);
            let (record, ok) = helper(cx, prep, "fixture", &prep.places.fill(teardown), &log);
            if !ok {
                cx.run.event(
                    "teardown_failed",
                    serde_json::json!({ "suite": outcome.result.id, "fixture": fixture.id, "exit_code": record.exit_code }),
                );
            }
            outcome.manifest.processes.push(record);
        }
    }
}
