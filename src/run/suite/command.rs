//! The suite's command (docs/running.md, steps 5, 6 and 8): `repeat`
//! repetitions, each retried up to `retries` times, every attempt in its
//! own process group with its output captured; each attempt classified by
//! its exit (0 passed, 77 skipped, 78 blocked, else failed) and the
//! repetitions combined into the suite's status.

use std::sync::Arc;
use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};

use super::evidence::tail_lines;
use super::prepare::Prepared;
use crate::error::Chain;
use crate::outputs::{Attempt, LeakedRecord, ProcessRecord, Status};
use crate::run::context::{Outcome, RunContext};
use crate::run::process::capture::{CaptureConfig, Captured};
use crate::run::process::child::{DriveError, Driven};
use crate::run::process::exit::{describe_exit, signal_name};
use crate::run::process::{child, interactive};
use crate::style::human_duration;

/// Runs the command `repeat` times, each retried up to `retries` times,
/// recording every attempt in `outcome`; returns the last attempt's
/// captures (for artifact markers). `services_gone` is asked while an
/// attempt runs: once it says a service died, the attempt is stopped and
/// nothing more is tried (the suite is blocked for it).
pub fn run_repetitions(
    cx: &RunContext<'_>,
    prep: &Prepared,
    retries: u32,
    timeout: Duration,
    outcome: &mut Outcome,
    services_gone: &dyn Fn() -> bool,
) -> (Captured, Captured) {
    let repeat = cx.repeat.max(1);
    let mut captures = (Captured::default(), Captured::default());
    let mut repetitions: Vec<Status> = Vec::new();
    let mut last_failure: Option<String> = None;
    'repetitions: for _ in 0..repeat {
        let mut failed_before = false;
        for _ in 0..=retries {
            keep_previous_logs(prep, outcome.attempts.len());
            let run = run_command(cx, prep, timeout, services_gone);
            outcome.ran.processes.push(run.process.clone());
            outcome.ran.leaked.extend(run.leaked.iter().cloned());
            captures = (run.stdout, run.stderr);
            let status = classify(&run.attempt);
            outcome.attempts.push(Attempt {
                status,
                ..run.attempt.clone()
            });
            outcome.exit_code = run.attempt.exit_code;
            outcome.signal = run.attempt.signal;
            outcome.timed_out = run.attempt.timed_out;
            outcome.reason = run.reason;
            if services_gone() {
                // The suite is blocked for it: no result of its own counts.
                repetitions.push(status);
                break 'repetitions;
            }
            if status == Status::Failed {
                failed_before = true;
                last_failure = outcome.reason.clone();
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
    outcome.status = combine(&repetitions);
    let failures = repetitions.iter().filter(|r| **r == Status::Failed).count();
    if outcome.status == Status::Failed && repetitions.len() > 1 {
        outcome.reason = Some(format!(
            "failed {failures} of {} repetitions; last: {}",
            repetitions.len(),
            last_failure.as_deref().unwrap_or("failed")
        ));
    } else if outcome.status == Status::Flaky {
        outcome.reason = Some(format!(
            "passed after failing ({} attempts)",
            outcome.attempts.len()
        ));
    }
    outcome.step = (!outcome.status.is_pass()).then(|| "command".to_string());
    captures
}

/// Before attempt `previous + 1`: the logs of the one before become
/// `<stream>.attempt-<previous>.log`.
fn keep_previous_logs(prep: &Prepared, previous: usize) {
    if previous == 0 {
        return;
    }
    for stream in ["stdout", "stderr"] {
        // Fails when the attempt left no log (it never started): nothing
        // to keep then.
        let _ = std::fs::rename(
            prep.dir.join(format!("{stream}.log")),
            prep.dir.join(format!("{stream}.attempt-{previous}.log")),
        );
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
pub fn classify(attempt: &Attempt) -> Status {
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

/// One finished attempt at the command.
struct CommandRun {
    attempt: Attempt,
    reason: Option<String>,
    process: ProcessRecord,
    leaked: Vec<LeakedRecord>,
    stdout: Captured,
    stderr: Captured,
}

/// How one stream of a suite's process is captured.
pub fn capture_config(
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

fn run_command(
    cx: &RunContext<'_>,
    prep: &Prepared,
    timeout: Duration,
    services_gone: &dyn Fn() -> bool,
) -> CommandRun {
    let mut process = ProcessRecord {
        pid: 0,
        role: "command".into(),
        command: prep.redactor.redact_str(&prep.command),
        exit_code: None,
        signal: None,
    };
    let driven = match drive(cx, prep, timeout, services_gone) {
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
                reason: Some(unrecorded(cx, &e)),
                process,
                leaked: Vec::new(),
                stdout: Captured::default(),
                stderr: Captured::default(),
            };
        }
    };
    process.pid = driven.pid;
    process.exit_code = driven.exit_code;
    process.signal = driven.signal;
    CommandRun {
        attempt: Attempt {
            status: Status::Failed,
            exit_code: driven.exit_code,
            signal: driven.signal,
            timed_out: driven.timed_out || driven.interrupted,
            duration_ms: driven.duration.as_millis() as u64,
        },
        reason: reason(cx, prep, timeout, &driven),
        process,
        leaked: driven.leaked,
        stdout: driven.stdout,
        stderr: driven.stderr,
    }
}

/// The reason of an attempt lab could not drive; one it could not record
/// also marks the run as not fully recorded (lab exits 74).
fn unrecorded(cx: &RunContext<'_>, e: &DriveError) -> String {
    let reason = Chain(e).to_string();
    if let DriveError::Record(_) = e {
        cx.run.lost(&reason);
    }
    reason
}

/// Runs the command once: on the terminal when the run is interactive,
/// else with its output captured and a timeout.
fn drive(
    cx: &RunContext<'_>,
    prep: &Prepared,
    timeout: Duration,
    services_gone: &dyn Fn() -> bool,
) -> Result<Driven, DriveError> {
    if cx.interactive {
        return interactive::drive_interactive(
            &prep.command,
            prep.cwd.as_std_path(),
            &prep.env.vars,
            &prep.command_wrapper,
            cx.interrupts,
            &prep.redactor,
        )
        .map_err(DriveError::Start);
    }
    child::drive(&child::Spec {
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
        umask: prep.env.umask(),
        watch: Some(services_gone),
    })
}

/// Why an attempt did not pass, in one line; `None` when it passed.
fn reason(
    cx: &RunContext<'_>,
    prep: &Prepared,
    timeout: Duration,
    driven: &Driven,
) -> Option<String> {
    if driven.timed_out {
        return Some(format!("timed out after {}", human_duration(timeout)));
    }
    if driven.interrupted {
        let signal = signal_name(cx.interrupts.signal().unwrap_or(2));
        return Some(format!("interrupted by {signal}"));
    }
    let stderr = prep.dir.join("stderr.log");
    match (driven.exit_code, driven.signal) {
        (Some(0), _) => None,
        (Some(77), _) => Some(with_last_line("exited 77 (skipped)", &stderr)),
        (Some(78), _) => Some(with_last_line("exited 78 (blocked)", &stderr)),
        (code, sig) => Some(describe_exit(code, sig)),
    }
}

/// `what: <last non-empty line of log>`, or just `what`.
fn with_last_line(what: &str, log: &Utf8Path) -> String {
    match tail_lines(log, 1).pop() {
        Some(line) => format!("{what}: {line}"),
        None => what.to_string(),
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
