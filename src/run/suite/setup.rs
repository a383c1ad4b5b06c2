//! Everything around a suite's command: its network namespace and virtual
//! display, ports, fixtures and services started (before) and stopped
//! (after). Fixtures themselves are `fixtures.rs`; services and namespaces
//! are `run/isolation/`.

use std::sync::Arc;
use std::time::Instant;

use super::evidence::tail_lines;
use super::fixtures::{setup_after_services, setup_fixtures, teardown};
use super::prepare::Prepared;
use crate::error::Chain;
use crate::files::find_program;
use crate::outputs::Status;
use crate::registry::model::{Display, Fixture, Network, Suite};
use crate::run::context::{EXCERPT_LINES, Outcome, RunContext};
use crate::run::isolation::{netns, services};
use crate::run::process::redact::Redactor;

/// What runs around a suite's command: its namespace, services, fixtures.
pub struct Active<'r> {
    namespace: Option<netns::Namespace>,
    running: Vec<services::Running>,
    fixtures: Vec<&'r Fixture>,
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
    // Isolation: a network namespace for every process, a virtual display
    // for the command. Whatever cannot be had blocks the suite.
    let loopback = profile
        .as_ref()
        .is_some_and(|p| p.network == Network::Loopback);
    let namespace = if loopback {
        Some(enter_namespace(cx, prep, outcome, started)?)
    } else {
        None
    };
    prep.command_wrapper = prep.wrapper.clone();
    if profile
        .as_ref()
        .is_some_and(|p| p.display == Display::Virtual)
    {
        add_virtual_display(prep, outcome, started)?;
    }
    // Ports first: every process of the suite sees every service's port.
    allocate_ports(cx, prep, outcome, started)?;
    let service_ids = outcome.ran.services.clone();
    let fixtures = setup_fixtures(cx, prep, suite, outcome, started)?;
    let mut active = Active {
        namespace,
        running: Vec::new(),
        fixtures,
    };
    if !start_services(
        cx,
        prep,
        &service_ids,
        &mut active.running,
        outcome,
        started,
    ) || !setup_after_services(cx, prep, &active.fixtures, outcome, started)
        || !still_running(cx, prep, &mut active, outcome)
    {
        stop_services(cx, prep, std::mem::take(&mut active.running), outcome);
        teardown(cx, prep, &active.fixtures, outcome);
        drop(active.namespace);
        return Err(());
    }
    Ok(active)
}

impl Active<'_> {
    /// `true` once any of the suite's services has ended (asked while its
    /// command runs).
    pub fn any_service_ended(&self) -> bool {
        self.running.iter().any(|s| s.has_ended())
    }

    /// The first service that is no longer running, and how it ended.
    pub fn died(&mut self, when: &'static str) -> Option<services::ReadyError> {
        self.running.iter_mut().find_map(|s| s.died(when))
    }
}

/// Before the command: every service still runs. `false` (the suite
/// blocked, step `service:<id>:died`) when one has ended since it was ready.
fn still_running(
    cx: &RunContext<'_>,
    prep: &Prepared,
    active: &mut Active<'_>,
    outcome: &mut Outcome,
) -> bool {
    let Some(died) = active.died("before the suite's command started") else {
        return true;
    };
    stop_services(cx, prep, std::mem::take(&mut active.running), outcome);
    block_for_dead_service(prep, &died, outcome);
    false
}

/// Blocks the suite for a service that died once it was ready (step
/// `service:<id>:died`), with the tail of that service's log as its
/// excerpt. The service must be stopped already (its log complete).
pub fn block_for_dead_service(prep: &Prepared, died: &services::ReadyError, outcome: &mut Outcome) {
    if let services::ReadyError::Died { id, .. } = died {
        let source = services::log_path(camino::Utf8Path::new(&prep.rel_dir), id).to_string();
        let tail = tail_lines(&services::log_path(&prep.dir, id), EXCERPT_LINES);
        outcome.set_excerpt(tail.into_iter().map(|l| (l, source.clone())).collect());
    }
    outcome.status = Status::Blocked;
    outcome.step = Some(died.step());
    outcome.reason = Some(Chain(died).to_string());
}

/// `network = "loopback"`: a namespace every process of the suite enters.
fn enter_namespace(
    cx: &RunContext<'_>,
    prep: &mut Prepared,
    outcome: &mut Outcome,
    started: Instant,
) -> Result<netns::Namespace, ()> {
    match netns::Namespace::create(cx.netns_tools) {
        Ok(ns) => {
            prep.wrapper = ns.wrapper.clone();
            outcome.ran.isolation.push(format!("network: {}", ns.how));
            Ok(ns)
        }
        Err(e) => {
            outcome.finish_early(Status::Blocked, "network", Chain(&e).to_string(), started);
            Err(())
        }
    }
}

/// `display = "virtual"`: the command runs under `xvfb-run -a`.
fn add_virtual_display(
    prep: &mut Prepared,
    outcome: &mut Outcome,
    started: Instant,
) -> Result<(), ()> {
    let path = prep.env.vars.get("PATH").map(String::as_str);
    let Some(xvfb) = find_program("xvfb-run", path) else {
        let reason = "display = \"virtual\" needs `xvfb-run` on PATH (Debian: xvfb)".to_string();
        outcome.finish_early(Status::Blocked, "display", reason, started);
        return Err(());
    };
    prep.command_wrapper
        .push(xvfb.to_string_lossy().into_owned());
    prep.command_wrapper.push("-a".into());
    outcome.ran.isolation.push("display: xvfb-run -a".into());
    Ok(())
}

/// A free port for every service that asks for one, in every process's
/// environment as `<PREFIX>_PORT_<NAME>`.
fn allocate_ports(
    cx: &RunContext<'_>,
    prep: &mut Prepared,
    outcome: &mut Outcome,
    started: Instant,
) -> Result<(), ()> {
    match services::allocate_ports(cx.registry, &outcome.ran.services) {
        Ok(ports) => {
            for p in &ports {
                let name = services::port_var(&cx.registry.settings.env_prefix, &p.service);
                prep.env.vars.insert(name, p.port.to_string());
            }
            outcome.ran.ports = ports;
            outcome.ran.env = prep.env.redacted();
            Ok(())
        }
        Err(e) => {
            let reason = format!("cannot allocate a port: {e}");
            outcome.finish_early(Status::Blocked, "ports", reason, started);
            Err(())
        }
    }
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
    running: &mut Vec<services::Running>,
    outcome: &mut Outcome,
    started: Instant,
) -> bool {
    let fill = |text: &str, port: Option<u16>| {
        let mut places = prep.places.clone();
        places.port = port;
        places.fill(text)
    };
    let fill_shell = |text: &str, port: Option<u16>| {
        let mut places = prep.places.clone();
        places.port = port;
        places.fill_shell(text)
    };
    let launch = services::Launch {
        env: &prep.env.vars,
        cwd: prep.cwd.as_std_path(),
        run_dir: &cx.run.path,
        suite_dir: &prep.dir,
        redactor: Arc::new(Redactor::new(prep.env.secret_values())),
        wrapper: &prep.wrapper,
        prefix: &cx.registry.settings.env_prefix,
        max_log_bytes: cx.registry.settings.max_log_bytes,
        fill: &fill,
        fill_shell: &fill_shell,
        interrupts: cx.interrupts,
    };
    for id in ids {
        let Some(service) = cx.registry.services.get(id) else {
            continue;
        };
        let port = outcome
            .ran
            .ports
            .iter()
            .find(|p| p.service == *id)
            .map(|p| p.port);
        match services::start(service, port, &launch) {
            Ok((svc, elapsed)) => {
                cx.run.event(
                    "service_ready",
                    serde_json::json!({ "suite": outcome.id, "service": id, "port": port, "ready_ms": elapsed.as_millis() as u64 }),
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
                let log = services::log_path(&prep.dir, id);
                let source =
                    services::log_path(camino::Utf8Path::new(&prep.rel_dir), id).to_string();
                let lines = match why.reason.probe_lines() {
                    Some(lines) => lines.to_vec(),
                    None => tail_lines(&log, EXCERPT_LINES),
                };
                outcome.set_excerpt(lines.into_iter().map(|l| (l, source.clone())).collect());
                let reason = Chain(&why.reason).to_string();
                outcome.finish_early(Status::Blocked, &why.step, reason, started);
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
    running: Vec<services::Running>,
    outcome: &mut Outcome,
) {
    for svc in running.into_iter().rev() {
        let id = svc.id.clone();
        let stopped = svc.stop(&prep.tag, cx.interrupts);
        if let Some(e) = stopped.log_error {
            cx.run.event(
                "service_log_failed",
                serde_json::json!({ "suite": outcome.id, "service": id, "error": Chain(&e).to_string() }),
            );
        }
        outcome.ran.processes.push(stopped.process);
        outcome.ran.leaked.extend(stopped.leaked);
    }
}
