//! `lab launch TARGET --profile ID`: a runner's `launch` command run by the
//! one engine as an interactive suite: a prepared run directory (profile,
//! fixtures, services, isolation), the terminal handed over; Ctrl-C stops
//! it and everything it started. lab exits as `verify` would for that one
//! suite.

use std::collections::BTreeMap;
use std::sync::Mutex;

use camino::{Utf8Path, Utf8PathBuf};

use crate::cli::LaunchArgs;
use crate::context::Context;
use crate::error::{Error, exit_code};
use crate::outputs::{Criteria, Status, SuiteResult, Summary};
use crate::registry::Registry;
use crate::registry::diagnostic::did_you_mean;
use crate::registry::model::{Ref, Runner, Suite};
use crate::run::engine::{self, Options};
use crate::run::process::signals::Interrupts;
use crate::run::reporter::Reporter;
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

/// Runs `lab launch`: the runner's `launch` command as the one suite of a
/// run, interactively, with the profile's isolation, fixtures and services.
pub fn run(ctx: &Context, args: &LaunchArgs) -> Result<u8, Error> {
    let interrupts = Interrupts::install();
    let registry = ctx.registry()?;
    let runner = pick_runner(&registry, &args.target, args.runner.as_deref())?;
    let profile = resolve("profile", &args.profile, registry.profiles.keys())?;
    let mut fixtures = Vec::new();
    for f in &args.fixtures {
        fixtures.push(resolve("fixture", f, registry.fixtures.keys())?);
    }
    let app = app_suite(runner, &args.target, &profile, &fixtures);
    let request = engine::Request {
        invocation: crate::outputs::Invocation {
            registry: ctx.registry.as_ref().map(|r| r.to_string()),
            repeat: 1,
            ..Default::default()
        },
        selected: vec![Selected {
            suite: &app,
            rationale: Vec::new(),
        }],
        criteria: Criteria {
            targets: vec![args.target.clone()],
            ..Criteria::default()
        },
        changed: None,
        argv: std::env::args().collect(),
        expected_ms: Default::default(),
        cache: None,
    };
    let options = Options {
        command_id: "cmd.launch",
        interactive: true,
        fail_fast: false,
        retries: Some(0),
        jobs: 1,
        repeat: 1,
        strict: false,
    };
    let output = LaunchOutput {
        target: args.target.clone(),
        runner: runner.id.clone(),
        run_dir: Mutex::new(Utf8PathBuf::new()),
    };
    let result = engine::run(&registry, request, &options, &interrupts, &output)?;
    if result.summary.suites.is_empty() {
        return Ok(exit_code::BLOCKED);
    }
    // The app's exit read as a suite's, the run's code as `verify`'s: 0,
    // 1 (any other exit, or a signal), 77, 78, 130. Its own code is in
    // summary.json and was said on stderr.
    Ok(result.exit_code)
}

/// The suite `lab launch` runs: the runner's `launch` command with the
/// profile and fixtures asked for.
fn app_suite(runner: &Runner, target: &str, profile: &str, fixtures: &[String]) -> Suite {
    let span = runner.span;
    let reference = |id: &str| Ref {
        id: id.to_string(),
        span,
    };
    Suite {
        id: format!("launch.{target}"),
        span,
        description: Some(format!("lab launch {target}")),
        command: runner.launch.clone(),
        args: None,
        cwd: ".".into(),
        level: None,
        targets: vec![target.to_string()],
        platforms: Vec::new(),
        risk: None,
        tags: Vec::new(),
        paths: Vec::new(),
        profile: Some(reference(profile)),
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
        cache: None,
        inputs: None,
        quarantine: None,
    }
}

/// What `lab launch` shows: the app starting, why it could not, the run.
struct LaunchOutput {
    target: String,
    runner: String,
    run_dir: Mutex<Utf8PathBuf>,
}

impl Reporter for LaunchOutput {
    fn run_started(&self, run_dir: &Utf8Path, _selected: usize) {
        *self.run_dir.lock().unwrap_or_else(|e| e.into_inner()) = run_dir.to_path_buf();
    }

    fn suite_started(&self, _id: &str) {}

    fn command_starting(&self, _id: &str, suite_dir: &Utf8Path) {
        eprintln!(
            "lab: launching {} ({}) in {suite_dir}",
            self.target, self.runner
        );
    }

    fn suite_finished(&self, result: &SuiteResult, _done: usize, _total: usize) {
        if !result.attempts.is_empty() && result.status != Status::Passed {
            // How the app itself ended: lab's own exit says it as a status.
            eprintln!(
                "lab: {} {}",
                self.target,
                crate::style::printable(result.reason.as_deref().unwrap_or("failed"))
            );
        } else if result.attempts.is_empty() && result.status != Status::Passed {
            eprintln!(
                "lab: cannot launch {}: {}",
                self.target,
                crate::style::printable(result.reason.as_deref().unwrap_or("set-up failed"))
            );
            for line in &result.excerpt {
                eprintln!("  | {}", crate::style::printable(line));
            }
        }
    }

    fn run_finished(&self, _summary: &Summary) {
        eprintln!(
            "run: {}",
            self.run_dir.lock().unwrap_or_else(|e| e.into_inner())
        );
    }
}
