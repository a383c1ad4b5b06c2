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
        Some(enter_namespace(prep, outcome, started)?)
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

/// `network = "loopback"`: a namespace every process of the suite enters.
fn enter_namespace(
    prep: &mut Prepared,
    outcome: &mut Outcome,
    started: Instant,
) -> Result<netns::Namespace, ()> {
    let path = prep.env.vars.get("PATH").map(String::as_str);
    match netns::Namespace::create(path) {
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
                let tail = tail_lines(&log, EXCERPT_LINES);
                outcome.set_excerpt(tail.into_iter().map(|l| (l, source.clone())).collect());
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
