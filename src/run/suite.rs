//! One suite, step by step (design §2.2): checks that start no process,
//! the suite directory, the command (repetitions and retries) in its own
//! process group, the classification of what happened, and cleanup.
//!
//! What runs around the command (isolation, fixtures, services) is
//! `setup.rs`; what is gathered after it (artifacts, JUnit, excerpt) is
//! `evidence.rs`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};

use super::capture::{CaptureConfig, Captured};
use super::child;
use super::env::{LabVars, Placeholders, SuiteEnv, process_tag, suite_env};
use super::evidence::{collect_evidence, excerpt, tail_lines};
use super::host::{Host, find_program};
use super::redact::Redactor;
use super::run_dir::{RunDir, create_private_subdir};
use super::setup::{set_up, wind_down};
use super::signals::Interrupts;
use crate::registry::Registry;
use crate::registry::model::{Cleanup, Display, Suite};
use crate::report::schema::{
    Attempt, LeakedRecord, ProcessRecord, Rationale, Status, SuiteManifest, SuiteResult,
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

pub(super) fn describe_exit(code: Option<i32>, signal: Option<i32>) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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
