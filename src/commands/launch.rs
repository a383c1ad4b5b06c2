//! `lab launch TARGET --profile ID`: a runner's `launch` command started in
//! a prepared run directory (profile, fixtures, environment), in the
//! foreground with the terminal; Ctrl-C stops it and everything it started.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::cli::LaunchArgs;
use crate::context::Context;
use crate::error::{Error, exit_code};
use crate::outputs::{Attempt, Criteria, Status};
use crate::registry::Registry;
use crate::registry::diagnostic::did_you_mean;
use crate::registry::model::{Ref, Runner, Suite};
use crate::run::context::RunContext;
use crate::run::engine::{Start, begin};
use crate::run::host::Host;
use crate::run::process::child::STOP_GRACE;
use crate::run::process::exit::exit_parts;
use crate::run::process::signals::Interrupts;
use crate::run::process::spawn as process;
use crate::run::run_dir::{RunDir, write_json};
use crate::run::suite::{cleanup, prepare as suite, setup};
use crate::select::Selected;

/// Finds the definition `raw` names among `ids` of `kind`, or a usage error.
fn resolve<'a>(
    kind: &str,
    raw: &str,
    ids: impl Iterator<Item = &'a String> + Clone,
) -> Result<String, Error> {
    let prefixed = format!("{kind}.{raw}");
    if let Some(id) = ids.clone().find(|id| *id == raw || **id == prefixed) {
        return Ok(id.clone());
    }
    let err = Error::usage(format!("no {kind} `{raw}`"));
    Err(match did_you_mean(&prefixed, ids.map(String::as_str)) {
        Some(near) => err.hint(format!("did you mean `{near}`?")),
        None => err.hint(format!(
            "`lab check --json` lists the registry's {kind} definitions"
        )),
    })
}

fn pick_runner<'r>(
    registry: &'r Registry,
    target: &str,
    runner: Option<&str>,
) -> Result<&'r Runner, Error> {
    if let Some(raw) = runner {
        let id = resolve("runner", raw, registry.runners.keys())?;
        let r = &registry.runners[&id];
        if r.launch.is_none() {
            return Err(Error::usage(format!("{id} has no `launch` command")));
        }
        return Ok(r);
    }
    let candidates: Vec<&Runner> = registry
        .runners
        .values()
        .filter(|r| r.launch.is_some() && r.targets.iter().any(|t| t == target))
        .collect();
    match candidates.as_slice() {
        [one] => Ok(one),
        [] => {
            let launchable: Vec<String> = registry
                .runners
                .values()
                .filter(|r| r.launch.is_some())
                .map(|r| format!("{} ({})", r.id, r.targets.join(", ")))
                .collect();
            let err = Error::usage(format!("no runner launches target `{target}`"));
            Err(if launchable.is_empty() {
                err.hint("give a runner `launch = \"…\"` and `targets = [\"…\"]`")
            } else {
                err.hint(format!("runners with `launch`: {}", launchable.join(", ")))
            })
        }
        many => Err(Error::usage(format!(
            "several runners launch `{target}`: {}",
            many.iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .hint("choose one with --runner ID")),
    }
}

/// Runs `lab launch`.
pub fn run(ctx: &Context, args: &LaunchArgs) -> Result<u8, Error> {
    let interrupts = Interrupts::install();
    let registry = ctx.registry()?;
    let runner = pick_runner(&registry, &args.target, args.runner.as_deref())?;
    let profile = resolve("profile", &args.profile, registry.profiles.keys())?;
    let mut fixtures = Vec::new();
    for f in &args.fixtures {
        fixtures.push(resolve("fixture", f, registry.fixtures.keys())?);
    }
    let span = runner.span;
    let reference = |id: &str| Ref {
        id: id.to_string(),
        span,
    };
    let app = Suite {
        id: format!("launch.{}", args.target),
        span,
        description: Some(format!("lab launch {}", args.target)),
        command: runner.launch.clone(),
        args: None,
        cwd: ".".into(),
        level: None,
        targets: vec![args.target.clone()],
        platforms: Vec::new(),
        risk: None,
        tags: Vec::new(),
        paths: Vec::new(),
        profile: Some(reference(&profile)),
        fixtures: fixtures.iter().map(|f| reference(f)).collect(),
        runners: vec![reference(&runner.id)],
        services: Vec::new(),
        needs: Vec::new(),
        requires: Vec::new(),
        env: BTreeMap::new(),
        timeout: None,
        retries: 0,
        weight: 1,
        exclusive: false,
        artifacts: Vec::new(),
    };
    let started = Instant::now();
    process::become_subreaper();
    let host_env: BTreeMap<String, String> = std::env::vars().collect();
    let run = RunDir::create(&registry.workspace.join(&registry.settings.run_root))?;
    let argv: Vec<String> = std::env::args().collect();
    let criteria = Criteria {
        targets: vec![args.target.clone()],
        ..Criteria::default()
    };
    let selected = vec![Selected {
        suite: &app,
        rationale: Vec::new(),
    }];
    let (mut manifest, mut summary) = begin(
        &registry,
        &run,
        &selected,
        Start {
            argv,
            command_id: "cmd.launch",
            criteria,
            changed: None,
            host_env: &host_env,
        },
    )?;

    let host = Host::default();
    let cx = RunContext {
        registry: &registry,
        run: &run,
        host_env: &host_env,
        host: &host,
        interrupts: &interrupts,
        tee: None,
        retries: None,
        repeat: 1,
        dirs: None,
    };
    let mut prep = suite::prepare(&cx, &app);
    let mut outcome = suite::new_outcome(&cx, &app, &prep, Vec::new());
    crate::run::suite_dirs::build_in_place(&prep.dir)
        .map_err(|e| Error::io(format!("failed to create `{}`", prep.dir), e))?;
    suite::write_secrets(&prep).map_err(|e| Error::io(e, std::io::Error::other("launch")))?;
    // Isolation, ports, fixtures and the profile's services, as for a suite.
    let ready = setup::set_up(&cx, &mut prep, &app, &mut outcome, started);
    let mut code = exit_code::BLOCKED;
    if let Err(()) = &ready {
        eprintln!(
            "lab: cannot launch {}: {}",
            args.target,
            outcome.result.reason.as_deref().unwrap_or("set-up failed")
        );
        for line in &outcome.result.excerpt {
            eprintln!("  | {line}");
        }
    }
    if let Ok(active) = ready {
        eprintln!(
            "lab: launching {} ({}) in {}",
            args.target, runner.id, prep.dir
        );
        let mut child = process::spawn_interactive(
            &prep.command,
            prep.cwd.as_std_path(),
            &prep.env.vars,
            &prep.command_wrapper,
        )
        .map_err(|e| Error::io("failed to start the launch command", e))?;
        let pid = child.id();
        let mut stop_sent: Option<Instant> = None;
        let status = loop {
            if let Ok(Some(status)) = child.try_wait() {
                break Some(status);
            }
            if interrupts.interrupted() {
                let signal = match stop_sent {
                    None => Some(rustix::process::Signal::TERM),
                    Some(at) if at.elapsed() >= STOP_GRACE || interrupts.again() => {
                        Some(rustix::process::Signal::KILL)
                    }
                    Some(_) => None,
                };
                if let Some(signal) = signal {
                    process::signal_each(&process::tree(pid), signal);
                    stop_sent.get_or_insert_with(Instant::now);
                }
            }
            std::thread::sleep(Duration::from_millis(25));
        };
        process::forget(pid);
        // Everything the app started and left behind (all of lab's other
        // descendants are the app's: lab runs nothing else).
        outcome.manifest.leaked =
            process::sweep_redacted(pid, &[], STOP_GRACE, &interrupts, &prep.redactor);
        let (exit, signal) = status.map(exit_parts).unwrap_or((None, None));
        outcome
            .manifest
            .processes
            .push(crate::outputs::ProcessRecord {
                pid,
                role: "command".into(),
                command: prep.redactor.redact_str(&prep.command),
                exit_code: exit,
                signal,
            });
        let status = match exit {
            Some(0) => Status::Passed,
            Some(77) => Status::Skipped,
            Some(78) => Status::Blocked,
            _ => Status::Failed,
        };
        outcome.result.status = status;
        outcome.result.exit_code = exit;
        outcome.result.signal = signal;
        outcome.result.attempts.push(Attempt {
            status,
            exit_code: exit,
            signal,
            timed_out: false,
            duration_ms: started.elapsed().as_millis() as u64,
        });
        setup::wind_down(&cx, &prep, active, &mut outcome);
        code = if interrupts.interrupted() {
            exit_code::INTERRUPTED
        } else {
            exit.map_or(exit_code::FAILED, |c| c.clamp(0, 255) as u8)
        };
    }
    let policy = registry
        .merged_profile(&app)
        .map_or(crate::registry::model::Cleanup::OnSuccess, |p| p.cleanup);
    cleanup::cleanup(&prep, policy, outcome.result.status, None);
    outcome.result.duration_ms = started.elapsed().as_millis() as u64;
    manifest.suites.push(outcome.manifest);
    summary.push(outcome.result);
    summary.header.interrupted = interrupts.interrupted();
    summary.header.finished_at = Some(jiff::Timestamp::now().to_string());
    summary.refresh(started.elapsed().as_millis() as u64);
    summary.write()?;
    write_json(&run.path.join("manifest.json"), &manifest, true)?;
    eprintln!("run: {}", run.path);
    Ok(code)
}
