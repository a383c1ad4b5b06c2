//! Runner probes (docs/registry.md#runners-runner): a runner's `probe`
//! command runs once per run, the first time a suite using the runner is
//! about to start, in the workspace with lab's own environment; its output
//! goes to `runners/<runner-id>.probe.{stdout,stderr}.log` in the run
//! directory. A probe that does not exit 0 blocks every suite using the
//! runner (step `runner:<id>:probe`) before any of its processes starts.
//! The cache lives in `run/host.rs`; what a blocked suite looks like is
//! `steps.rs`'s business.

use std::time::Duration;

use camino::Utf8Path;

use super::evidence::tail_lines;
use crate::registry::model::{Runner, Suite};
use crate::run::context::{EXCERPT_LINES, RunContext};
use crate::run::host::ProbeFailed;
use crate::run::process::capture::CaptureConfig;
use crate::run::process::child;
use crate::run::process::exit::describe_exit;
use crate::run::process::redact::Redactor;

/// A probe still running after this long is killed and counts as failed.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(60);

/// The first runner of `suite` whose probe fails: the step to block the
/// suite at and why. Runners without a probe pass.
pub fn probe_runners(cx: &RunContext<'_>, suite: &Suite) -> Result<(), (String, ProbeFailed)> {
    for runner in suite
        .runners
        .iter()
        .filter_map(|r| cx.registry.runners.get(&r.id))
    {
        let Some(probe) = &runner.probe else {
            continue;
        };
        cx.host
            .runner_probe(&runner.id, || run_probe(cx, runner, probe))
            .map_err(|failed| (format!("runner:{}:probe", runner.id), failed))?;
    }
    Ok(())
}

/// Runs `probe` for `runner`; its logs stay in the run directory.
fn run_probe(cx: &RunContext<'_>, runner: &Runner, probe: &str) -> Result<(), ProbeFailed> {
    let rel = format!("runners/{}.probe", runner.id);
    let dir = cx.run.path.join("runners");
    let secrets: Vec<&String> = cx
        .registry
        .declared_secrets()
        .iter()
        .filter_map(|name| cx.host_env.get(name))
        .collect::<Vec<_>>();
    let redactor = Redactor::new(secrets);
    let failed = |why: String| ProbeFailed {
        reason: redactor.redact_str(&format!("{}: probe `{probe}` {why}", runner.id)),
        excerpt: Vec::new(),
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return Err(failed(format!("could not run: cannot create `{dir}`: {e}")));
    }
    let config = |stream: &str| CaptureConfig {
        path: cx.run.path.join(format!("{rel}.{stream}.log")),
        max_bytes: cx.registry.settings.max_log_bytes,
        marker: format!("{}_ARTIFACT_PATH=", cx.registry.settings.env_prefix),
        tee: None,
    };
    // Tagged like a suite's processes, so what it leaves running is swept.
    let prefix = &cx.registry.settings.env_prefix;
    let tag = [
        (format!("{prefix}_RUN_ID"), cx.run.id.clone()),
        (format!("{prefix}_SUITE_ID"), runner.id.clone()),
    ];
    let mut env = cx.host_env.clone();
    env.extend(tag.iter().cloned());
    let tag: Vec<String> = tag.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let spec = child::Spec {
        command: probe,
        cwd: cx.registry.workspace.as_std_path(),
        env: &env,
        stdout: config("stdout"),
        stderr: config("stderr"),
        redactor: &redactor,
        timeout: Some(PROBE_TIMEOUT),
        tag: &tag,
        interrupts: cx.interrupts,
        wrapper: &[],
        watch: None,
        umask: None,
    };
    let started = std::time::Instant::now();
    let driven = child::drive(&spec);
    let (ok, how) = match &driven {
        Ok(d) if d.timed_out => (
            false,
            format!("did not finish in {}s", PROBE_TIMEOUT.as_secs()),
        ),
        Ok(d) => (d.exit_code == Some(0), describe_exit(d.exit_code, d.signal)),
        Err(e) => (false, format!("could not run: {}", crate::error::Chain(e))),
    };
    cx.run.event(
        "runner_probed",
        serde_json::json!({
            "runner": runner.id,
            "ok": ok,
            "exit_code": driven.as_ref().ok().and_then(|d| d.exit_code),
            "duration_ms": started.elapsed().as_millis() as u64,
        }),
    );
    if ok {
        return Ok(());
    }
    let excerpt = output_tail(&cx.run.path, &rel);
    let last = excerpt.last().map(|(l, _)| format!(": {}", l.trim()));
    let mut failure = failed(format!("{how}{}", last.unwrap_or_default()));
    failure.excerpt = excerpt;
    Err(failure)
}

/// The probe's last output lines, stdout's then stderr's (the tool's own
/// complaint usually ends stderr), each with the log it came from.
fn output_tail(run_dir: &Utf8Path, rel: &str) -> Vec<(String, String)> {
    let mut lines = Vec::new();
    for stream in ["stdout", "stderr"] {
        let log = format!("{rel}.{stream}.log");
        lines.extend(
            tail_lines(&run_dir.join(&log), EXCERPT_LINES)
                .into_iter()
                .map(|l| (l, log.clone())),
        );
    }
    let skip = lines.len().saturating_sub(EXCERPT_LINES);
    lines.drain(..skip);
    lines
}
