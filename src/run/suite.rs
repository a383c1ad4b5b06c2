//! One suite, step by step (design §2.2): checks that start no process,
//! the suite directory, fixtures, the command (with retries) in its own
//! process group, the sweep of anything it left running, teardown,
//! artifacts, JUnit, cleanup, and the classification of what happened.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};

use super::capture::{CaptureConfig, Captured};
use super::child;
use super::env::{LabVars, Placeholders, SuiteEnv, process_tag, suite_env};
use super::host::{Host, find_program};
use super::redact::Redactor;
use super::run_dir::{RunDir, create_private_subdir};
use super::signals::Interrupts;
use crate::registry::Registry;
use crate::registry::model::{Cleanup, Display, Network, Suite};
use crate::report::schema::{
    Attempt, LeakedRecord, ProcessRecord, Rationale, Status, SuiteManifest, SuiteResult, TestCounts,
};

/// At most this many lines in a suite's excerpt.
pub const EXCERPT_LINES: usize = 12;

/// What every suite of one run shares.
pub struct RunContext<'a> {
    /// The registry.
    pub registry: &'a Registry,
    /// The run directory.
    pub run: &'a RunDir,
    /// lab's own environment.
    pub host_env: &'a BTreeMap<String, String>,
    /// Host probes.
    pub host: &'a Host,
    /// Ctrl-C and friends.
    pub interrupts: &'a Interrupts,
    /// `--stream`: the terminal, shared by every suite.
    pub tee: Option<Arc<Mutex<std::io::Stderr>>>,
    /// `--retries N`, overriding each suite's own.
    pub retries: Option<u32>,
    /// `--repeat N`: run each suite's command N times.
    pub repeat: u32,
}

/// A finished suite: its summary entry and its manifest entry.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// For summary.json.
    pub result: SuiteResult,
    /// For manifest.json.
    pub manifest: SuiteManifest,
}

/// The name of a signal, for reasons.
pub fn signal_name(signal: i32) -> String {
    let name = match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => return format!("signal {signal}"),
    };
    name.to_string()
}

/// Human duration: `850ms`, `12.3s`, `5m02s`.
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms / 1000) % 60)
    }
}

/// Everything a suite's processes are started with.
pub struct Prepared {
    /// The suite directory.
    pub dir: Utf8PathBuf,
    /// The suite directory relative to the run directory.
    pub rel_dir: String,
    /// The working directory.
    pub cwd: Utf8PathBuf,
    /// The command, placeholders filled in.
    pub command: String,
    /// The environment.
    pub env: SuiteEnv,
    /// What placeholders stand for.
    pub places: Placeholders,
    /// Marks the suite's escaped processes.
    pub tag: Vec<String>,
    /// Keeps secrets out of logs.
    pub redactor: Redactor,
    /// In front of every process of the suite (a network namespace).
    pub wrapper: Vec<String>,
    /// In front of the command only (the namespace, then xvfb-run).
    pub command_wrapper: Vec<String>,
}

/// Works out directories, command and environment of `suite` (no I/O).
pub fn prepare(cx: &RunContext<'_>, suite: &Suite) -> Prepared {
    let registry = cx.registry;
    let rel_dir = format!("suites/{}", suite.id);
    let dir = cx.run.path.join(&rel_dir);
    let (command, _) = registry.suite_command(suite);
    let places = Placeholders::new(
        &registry.workspace,
        &cx.run.path,
        &dir,
        suite.args.as_deref().unwrap_or(""),
    );
    let profile = registry.merged_profile(suite);
    let lab_vars = LabVars {
        prefix: &registry.settings.env_prefix,
        run_id: &cx.run.id,
        suite_id: &suite.id,
    };
    let env = suite_env(
        registry,
        suite,
        profile.as_ref(),
        cx.host_env,
        &places,
        &lab_vars,
    );
    let redactor = Redactor::new(env.secret_values());
    Prepared {
        cwd: registry.workspace.join(&suite.cwd),
        command: places.fill(&command),
        tag: process_tag(&lab_vars),
        rel_dir,
        dir,
        env,
        places,
        redactor,
        wrapper: Vec::new(),
        command_wrapper: Vec::new(),
    }
}

/// Runs one suite. `need_status` answers how an already finished suite ended.
pub fn run_suite(
    cx: &RunContext<'_>,
    suite: &Suite,
    rationale: Vec<Rationale>,
    need_status: &dyn Fn(&str) -> Option<Status>,
) -> Outcome {
    let started = Instant::now();
    let registry = cx.registry;
    let prep = prepare(cx, suite);
    let profile = registry.merged_profile(suite);
    let mut outcome = new_outcome(registry, suite, &prep, rationale);
    let virtual_display = profile
        .as_ref()
        .is_some_and(|p| p.display == Display::Virtual);
    if let Err((status, step, reason)) = preflight(cx, suite, &prep, virtual_display, need_status) {
        finish_early(&mut outcome, status, step, reason, started);
        return outcome;
    }
    if let Err(e) = prepare_dirs(&prep) {
        finish_early(&mut outcome, Status::Blocked, "setup", e, started);
        return outcome;
    }
    let mut prep = prep;
    let policy = profile.as_ref().map_or(Cleanup::OnSuccess, |p| p.cleanup);
    let Ok(active) = set_up(cx, &mut prep, suite, &mut outcome, started) else {
        // Blocked before the command: secrets still go, state per policy.
        cleanup(&prep, policy, outcome.result.status);
        return outcome;
    };
    // The command: `repeat` repetitions, each retried up to `retries` times.
    let retries = cx.retries.unwrap_or(suite.retries);
    let repeat = cx.repeat.max(1);
    let timeout = registry.suite_timeout(suite);
    let mut captures = (Captured::default(), Captured::default());
    let mut repetitions: Vec<Status> = Vec::new();
    let mut last_failure: Option<String> = None;
    'repetitions: for _ in 0..repeat {
        let mut failed_before = false;
        for _ in 0..=retries {
            let previous = outcome.result.attempts.len();
            if previous > 0 {
                for stream in ["stdout", "stderr"] {
                    let _ = std::fs::rename(
                        prep.dir.join(format!("{stream}.log")),
                        prep.dir.join(format!("{stream}.attempt-{previous}.log")),
                    );
                }
            }
            let run = run_command(cx, &prep, timeout);
            outcome.manifest.processes.push(run.process.clone());
            outcome.manifest.leaked.extend(run.leaked.iter().cloned());
            captures = (run.stdout, run.stderr);
            let status = classify(&run.attempt);
            outcome.result.attempts.push(Attempt {
                status,
                ..run.attempt.clone()
            });
            outcome.result.exit_code = run.attempt.exit_code;
            outcome.result.signal = run.attempt.signal;
            outcome.result.timed_out = run.attempt.timed_out;
            outcome.result.reason = run.reason;
            if status == Status::Failed {
                failed_before = true;
                last_failure = outcome.result.reason.clone();
                if cx.interrupts.interrupted() {
                    repetitions.push(Status::Failed);
                    break 'repetitions;
                }
                continue;
            }
            repetitions.push(if status == Status::Passed && failed_before {
                Status::Flaky
            } else {
                status
            });
            continue 'repetitions;
        }
        repetitions.push(Status::Failed);
    }
    outcome.result.stdout = Some(format!("{}/stdout.log", prep.rel_dir));
    outcome.result.stderr = Some(format!("{}/stderr.log", prep.rel_dir));
    outcome.result.status = combine(&repetitions);
    let failures = repetitions.iter().filter(|r| **r == Status::Failed).count();
    if outcome.result.status == Status::Failed && repetitions.len() > 1 {
        outcome.result.reason = Some(format!(
            "failed {failures} of {} repetitions; last: {}",
            repetitions.len(),
            last_failure.as_deref().unwrap_or("failed")
        ));
    } else if outcome.result.status == Status::Flaky {
        outcome.result.reason = Some(format!(
            "passed after failing ({} attempts)",
            outcome.result.attempts.len()
        ));
    }
    outcome.result.step = (!outcome.result.status.is_pass()).then(|| "command".to_string());
    if !outcome.manifest.leaked.is_empty() {
        cx.run.event(
            "processes_leaked",
            serde_json::json!({ "suite": suite.id, "leaked": outcome.manifest.leaked }),
        );
    }
    wind_down(cx, &prep, active, &mut outcome);
    collect_evidence(cx, suite, &prep, &captures, &mut outcome);
    outcome.result.excerpt = excerpt(&prep, outcome.result.tests.as_ref(), &outcome.result);
    cleanup(&prep, policy, outcome.result.status);
    outcome.result.duration_ms = started.elapsed().as_millis() as u64;
    outcome
}

/// A suite's outcome before anything happened: passed, no attempts.
pub fn new_outcome(
    registry: &Registry,
    suite: &Suite,
    prep: &Prepared,
    rationale: Vec<Rationale>,
) -> Outcome {
    Outcome {
        result: SuiteResult {
            id: suite.id.clone(),
            status: Status::Passed,
            reason: None,
            exit_code: None,
            signal: None,
            timed_out: false,
            duration_ms: 0,
            attempts: Vec::new(),
            step: None,
            stdout: None,
            stderr: None,
            artifacts: Vec::new(),
            tests: None,
            excerpt: Vec::new(),
            rationale,
        },
        manifest: SuiteManifest {
            id: suite.id.clone(),
            profile: suite.profile.as_ref().map(|p| p.id.clone()),
            fixtures: suite.fixtures.iter().map(|f| f.id.clone()).collect(),
            runners: suite.runners.iter().map(|r| r.id.clone()).collect(),
            services: registry.suite_services(suite),
            command: prep.redactor.redact_str(&prep.command),
            cwd: prep.cwd.to_string(),
            env: prep.env.redacted(),
            dir: prep.rel_dir.clone(),
            processes: Vec::new(),
            ports: Vec::new(),
            leaked: Vec::new(),
            artifacts: Vec::new(),
            isolation: Vec::new(),
        },
    }
}

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

/// A suite's status from its repetitions' (each already retried): any
/// failure fails it, then any block blocks it, a pass after a retry is
/// flaky, all skipped is skipped.
fn combine(repetitions: &[Status]) -> Status {
    let any = |s: Status| repetitions.contains(&s);
    if any(Status::Failed) {
        Status::Failed
    } else if any(Status::Blocked) {
        Status::Blocked
    } else if any(Status::Flaky) {
        Status::Flaky
    } else if !repetitions.is_empty() && repetitions.iter().all(|r| *r == Status::Skipped) {
        Status::Skipped
    } else {
        Status::Passed
    }
}

/// Status of one attempt from its exit.
fn classify(attempt: &Attempt) -> Status {
    if attempt.timed_out || attempt.signal.is_some() {
        return Status::Failed;
    }
    match attempt.exit_code {
        Some(0) => Status::Passed,
        Some(77) => Status::Skipped,
        Some(78) => Status::Blocked,
        _ => Status::Failed,
    }
}

fn describe_exit(code: Option<i32>, signal: Option<i32>) -> String {
    match (code, signal) {
        (_, Some(s)) => format!("was killed by {}", signal_name(s)),
        (Some(c), _) => format!("exited with {c}"),
        _ => "did not finish".to_string(),
    }
}

/// Ends a suite before (or instead of) its command.
pub fn finish_early(
    outcome: &mut Outcome,
    status: Status,
    step: &str,
    reason: String,
    started: Instant,
) {
    outcome.result.status = status;
    outcome.result.step = Some(step.to_string());
    outcome.result.reason = Some(reason);
    outcome.result.duration_ms = started.elapsed().as_millis() as u64;
}

type Refusal = (Status, &'static str, String);

/// Checks that start no process: platform, needs, requirements, runner programs.
fn preflight(
    cx: &RunContext<'_>,
    suite: &Suite,
    prep: &Prepared,
    virtual_display: bool,
    need_status: &dyn Fn(&str) -> Option<Status>,
) -> Result<(), Refusal> {
    let os = std::env::consts::OS;
    if !suite.platforms.is_empty() && !suite.platforms.iter().any(|p| p == os) {
        return Err((
            Status::Skipped,
            "platform",
            format!("runs on {}; this host is {os}", suite.platforms.join(", ")),
        ));
    }
    for need in &suite.needs {
        match need_status(&need.id) {
            Some(s) if s.is_pass() => {}
            Some(s) => {
                return Err((
                    Status::Blocked,
                    "needs",
                    format!("needs {}, which {}", need.id, s.name()),
                ));
            }
            None => {
                return Err((
                    Status::Blocked,
                    "needs",
                    format!("needs {}, which did not run", need.id),
                ));
            }
        }
    }
    for req in &suite.requires {
        cx.host
            .check(req, &prep.env.vars, virtual_display)
            .map_err(|reason| (Status::Blocked, "requires", reason))?;
    }
    let path = prep.env.vars.get("PATH").map(String::as_str);
    for r in suite
        .runners
        .iter()
        .filter_map(|r| cx.registry.runners.get(&r.id))
    {
        if let Some(program) = &r.program
            && find_program(program, path).is_none()
        {
            return Err((
                Status::Blocked,
                "requires",
                format!("{}: program `{program}` not found on PATH", r.id),
            ));
        }
    }
    if !prep.cwd.is_dir() {
        return Err((
            Status::Blocked,
            "cwd",
            format!("working directory `{}` does not exist", prep.cwd),
        ));
    }
    Ok(())
}

/// Creates the suite directory, its state roots (0700) and profile secrets.
pub fn prepare_dirs(prep: &Prepared) -> Result<(), String> {
    // `suites/` exists already; one mkdir per directory, no parent walks.
    create_private_subdir(&prep.dir).map_err(|e| e.to_string())?;
    for sub in [
        "state.config",
        "state.data",
        "state.secrets",
        "tmp",
        "artifacts",
    ] {
        create_private_subdir(&prep.dir.join(sub)).map_err(|e| e.to_string())?;
    }
    for (name, value) in &prep.env.profile_secrets {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let path = prep.dir.join("state.secrets").join(name);
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .and_then(|mut f| f.write_all(value.as_bytes()))
            .map_err(|e| format!("cannot write `{path}`: {e}"))?;
    }
    Ok(())
}

/// One finished attempt at the command.
struct CommandRun {
    attempt: Attempt,
    reason: Option<String>,
    process: ProcessRecord,
    leaked: Vec<LeakedRecord>,
    stdout: Captured,
    stderr: Captured,
}

fn capture_config(
    cx: &RunContext<'_>,
    prep: &Prepared,
    path: Utf8PathBuf,
    stream: &str,
) -> CaptureConfig {
    let suite_id = prep.rel_dir.trim_start_matches("suites/");
    CaptureConfig {
        path,
        max_bytes: cx.registry.settings.max_log_bytes,
        marker: format!("{}_ARTIFACT_PATH=", cx.registry.settings.env_prefix),
        tee: cx
            .tee
            .as_ref()
            .map(|t| (Arc::clone(t), format!("[{suite_id} {stream}] "))),
    }
}

fn run_command(cx: &RunContext<'_>, prep: &Prepared, timeout: Duration) -> CommandRun {
    let mut process_record = ProcessRecord {
        pid: 0,
        role: "command".into(),
        command: prep.redactor.redact_str(&prep.command),
        exit_code: None,
        signal: None,
    };
    let spec = child::Spec {
        command: &prep.command,
        cwd: prep.cwd.as_std_path(),
        env: &prep.env.vars,
        stdout: capture_config(cx, prep, prep.dir.join("stdout.log"), "stdout"),
        stderr: capture_config(cx, prep, prep.dir.join("stderr.log"), "stderr"),
        redactor: &prep.redactor,
        timeout: Some(timeout),
        tag: &prep.tag,
        interrupts: cx.interrupts,
        wrapper: &prep.command_wrapper,
    };
    let driven = match child::drive(&spec) {
        Ok(d) => d,
        Err(e) => {
            return CommandRun {
                attempt: Attempt {
                    status: Status::Failed,
                    exit_code: None,
                    signal: None,
                    timed_out: false,
                    duration_ms: 0,
                },
                reason: Some(format!("could not start the command: {e}")),
                process: process_record,
                leaked: Vec::new(),
                stdout: Captured::default(),
                stderr: Captured::default(),
            };
        }
    };
    process_record.pid = driven.pid;
    process_record.exit_code = driven.exit_code;
    process_record.signal = driven.signal;
    let reason = if driven.timed_out {
        Some(format!("timed out after {}", human_duration(timeout)))
    } else if driven.interrupted {
        Some(format!(
            "interrupted by {}",
            signal_name(cx.interrupts.signal().unwrap_or(2))
        ))
    } else {
        match (driven.exit_code, driven.signal) {
            (Some(0), _) => None,
            (Some(77), _) => Some(with_last_line(
                "exited 77 (skipped)",
                &prep.dir.join("stderr.log"),
            )),
            (Some(78), _) => Some(with_last_line(
                "exited 78 (blocked)",
                &prep.dir.join("stderr.log"),
            )),
            (code, sig) => Some(describe_exit(code, sig)),
        }
    };
    CommandRun {
        attempt: Attempt {
            status: Status::Failed,
            exit_code: driven.exit_code,
            signal: driven.signal,
            timed_out: driven.timed_out || driven.interrupted,
            duration_ms: driven.duration.as_millis() as u64,
        },
        reason,
        process: process_record,
        leaked: driven.leaked,
        stdout: driven.stdout,
        stderr: driven.stderr,
    }
}

/// `what: <last non-empty line of log>`, or just `what`.
fn with_last_line(what: &str, log: &Utf8Path) -> String {
    match tail_lines(log, 1).pop() {
        Some(line) => format!("{what}: {line}"),
        None => what.to_string(),
    }
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

/// Declared artifacts, marker artifacts, JUnit.
fn collect_evidence(
    cx: &RunContext<'_>,
    suite: &Suite,
    prep: &Prepared,
    captures: &(Captured, Captured),
    outcome: &mut Outcome,
) {
    // The run directory's path is resolved once, when it is created.
    let collector = super::artifacts::Collector {
        run_dir: cx.run.path.clone().into(),
        artifact_dir: prep.dir.join("artifacts").into(),
        cwd: &prep.cwd,
    };
    for r in &suite.artifacts {
        let Some(def) = cx.registry.artifacts.get(&r.id) else {
            continue;
        };
        let record = collector.declared(def, &prep.places.fill(&def.path));
        if record.missing && def.required && outcome.result.status.is_pass() {
            outcome.result.status = Status::Failed;
            outcome.result.step = Some(format!("artifact:{}", def.id));
            outcome.result.reason = Some(format!(
                "required artifact {} (`{}`) is missing",
                def.id, record.path
            ));
        }
        outcome.result.artifacts.push(record);
    }
    for printed in captures.0.markers.iter().chain(&captures.1.markers) {
        match collector.marker(printed) {
            Ok(record) => outcome.result.artifacts.push(record),
            Err(reason) => cx.run.event(
                "artifact_ignored",
                serde_json::json!({ "suite": suite.id, "path": prep.redactor.redact_str(printed), "reason": prep.redactor.redact_str(&reason) }),
            ),
        }
    }
    outcome.manifest.artifacts = outcome.result.artifacts.clone();
    let mut tests: Option<TestCounts> = None;
    for r in suite
        .runners
        .iter()
        .filter_map(|r| cx.registry.runners.get(&r.id))
    {
        let Some(pattern) = &r.junit else { continue };
        match super::junit::collect(&prep.cwd, &prep.places.fill(pattern), &prep.redactor) {
            None => {}
            Some(Ok(counts)) => {
                let t = tests.get_or_insert_with(TestCounts::default);
                t.total += counts.total;
                t.passed += counts.passed;
                t.failed += counts.failed;
                t.skipped += counts.skipped;
                t.failures.extend(counts.failures);
            }
            Some(Err(e)) => cx.run.event(
                "junit_unreadable",
                serde_json::json!({ "suite": suite.id, "runner": r.id, "error": e }),
            ),
        }
    }
    if let Some(t) = &tests
        && let Some(first) = t.failures.first()
        && outcome.result.status == Status::Failed
        && outcome.result.step.as_deref() == Some("command")
    {
        outcome.result.step = Some(format!("test:{}", first.name));
    }
    outcome.result.tests = tests;
}

/// Applies the cleanup policy to the state roots and always empties
/// `state.secrets`.
pub fn cleanup(prep: &Prepared, policy: Cleanup, status: Status) {
    let remove_state = match policy {
        Cleanup::Always => true,
        Cleanup::Never => false,
        Cleanup::OnSuccess => status.is_pass() || status == Status::Skipped,
    };
    if remove_state {
        let _ = std::fs::remove_dir_all(prep.dir.join("state.config"));
        let _ = std::fs::remove_dir_all(prep.dir.join("state.data"));
    }
    // Secrets never outlive the suite, whatever the policy.
    let secrets = prep.dir.join("state.secrets");
    if let Ok(entries) = std::fs::read_dir(&secrets) {
        for entry in entries.flatten() {
            let path = entry.path();
            let _ = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
        }
    }
}

/// The last `n` non-empty lines of a log (reading at most its last 64 KiB).
pub fn tail_lines(path: &Utf8Path, n: usize) -> Vec<String> {
    use std::io::{Seek, SeekFrom};
    let Ok(mut file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(64 * 1024);
    if file.seek(SeekFrom::Start(start)).is_err() {
        return Vec::new();
    }
    let mut buf = Vec::new();
    let _ = file.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    let mut lines: Vec<String> = text
        .lines()
        .skip(usize::from(start > 0))
        .map(strip_ansi)
        .map(|l| l.trim_end().to_string())
        .filter(|l| !l.is_empty())
        .map(|l| truncate(&l, 300))
        .collect();
    let keep = lines.len().saturating_sub(n);
    lines.drain(..keep);
    lines
}

/// `line` without terminal escape sequences (colours, cursor moves).
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.next() {
            // CSI: parameters, then one final byte in @..~.
            Some('[') => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            // Character-set and other two-byte sequences: ESC ( B, …
            Some('(' | ')') => {
                chars.next();
            }
            _ => {}
        }
    }
    out
}

fn truncate(line: &str, max: usize) -> String {
    if line.chars().count() <= max {
        return line.to_string();
    }
    let mut s: String = line.chars().take(max).collect();
    s.push('…');
    s
}

/// Lines that look like the reason something failed.
fn looks_like_error(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    [
        "error",
        "panicked",
        "failed",
        "failure",
        "fatal",
        "assert",
        "exception",
        "traceback",
        "fail ",
    ]
    .iter()
    .any(|w| l.contains(w))
}

/// At most [`EXCERPT_LINES`] decisive lines: JUnit failures first, then the
/// last error-looking lines of stderr and stdout, else their last lines.
fn excerpt(prep: &Prepared, tests: Option<&TestCounts>, result: &SuiteResult) -> Vec<String> {
    if result.status.is_pass() && result.status != Status::Flaky {
        return Vec::new();
    }
    let mut lines = Vec::new();
    if let Some(t) = tests {
        for f in &t.failures {
            let first = f.message.lines().next().unwrap_or("");
            let name = match &f.classname {
                Some(c) if !c.is_empty() => format!("{c}::{}", f.name),
                _ => f.name.clone(),
            };
            lines.push(truncate(&format!("FAIL {name}: {first}"), 300));
            if lines.len() >= EXCERPT_LINES / 2 {
                break;
            }
        }
    }
    let room = EXCERPT_LINES - lines.len();
    let stderr = tail_lines(&prep.dir.join("stderr.log"), 200);
    let stdout = tail_lines(&prep.dir.join("stdout.log"), 200);
    let errors: Vec<&String> = stderr
        .iter()
        .chain(&stdout)
        .filter(|l| looks_like_error(l))
        .collect();
    if errors.is_empty() {
        let source = if stderr.is_empty() { &stdout } else { &stderr };
        lines.extend(
            source
                .iter()
                .skip(source.len().saturating_sub(room))
                .cloned(),
        );
    } else {
        lines.extend(
            errors
                .iter()
                .skip(errors.len().saturating_sub(room))
                .map(|s| (*s).clone()),
        );
    }
    lines.truncate(EXCERPT_LINES);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_sequences_are_stripped() {
        assert_eq!(strip_ansi("\x1b[31m-    let x\x1b(B\x1b[m"), "-    let x");
        assert_eq!(strip_ansi("plain"), "plain");
    }

    #[test]
    fn repetitions_combine_worst_first() {
        use Status::*;
        assert_eq!(combine(&[Passed, Failed, Passed]), Failed);
        assert_eq!(combine(&[Passed, Blocked]), Blocked);
        assert_eq!(combine(&[Passed, Flaky]), Flaky);
        assert_eq!(combine(&[Skipped, Skipped]), Skipped);
        assert_eq!(combine(&[Skipped, Passed]), Passed);
    }

    #[test]
    fn classification_follows_the_exit_code() {
        let a = |exit_code, signal, timed_out| Attempt {
            status: Status::Failed,
            exit_code,
            signal,
            timed_out,
            duration_ms: 0,
        };
        assert_eq!(classify(&a(Some(0), None, false)), Status::Passed);
        assert_eq!(classify(&a(Some(77), None, false)), Status::Skipped);
        assert_eq!(classify(&a(Some(78), None, false)), Status::Blocked);
        assert_eq!(classify(&a(Some(1), None, false)), Status::Failed);
        assert_eq!(classify(&a(None, Some(9), false)), Status::Failed);
        assert_eq!(classify(&a(Some(0), None, true)), Status::Failed);
    }
}
