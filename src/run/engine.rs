//! A whole `lab verify` run: the run directory, manifest.json, the suites in
//! dependency order, summary.json after every suite, lab.log.jsonl events,
//! the lines people read on stderr, and an orderly stop on Ctrl-C.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::host::Host;
use super::plan::{Item, Plan};
use super::progress::Progress;
use super::run_dir::{RunDir, write_json};
use super::signals::Interrupts;
use super::suite::{Outcome, RunContext, human_duration, run_suite};
use crate::error::Error;
use crate::registry::Registry;
use crate::report::manifest;
use crate::report::schema::*;
use crate::report::summary::SummaryWriter;
use crate::select::Selected;
use crate::style::Style;

/// How `verify` was asked to run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Copy every suite's output to stderr, each line prefixed.
    pub stream: bool,
    /// Stop starting suites after the first failure.
    pub fail_fast: bool,
    /// Override every suite's `retries`.
    pub retries: Option<u32>,
    /// Suites run at once (slots; weights take several).
    pub jobs: u32,
    /// Run each suite this many times (at least 1).
    pub repeat: u32,
}

/// The result of a run.
#[derive(Debug)]
pub struct RunResult {
    /// The final summary.
    pub summary: Summary,
    /// lab's exit code.
    pub exit_code: u8,
    /// The run directory.
    pub run_dir: camino::Utf8PathBuf,
}

/// Orders `selected` so every suite comes after the suites it needs
/// (ids break ties).
pub fn order<'r>(selected: Vec<Selected<'r>>) -> Vec<Selected<'r>> {
    let ids: BTreeSet<String> = selected.iter().map(|s| s.suite.id.clone()).collect();
    let mut pending: BTreeMap<String, Selected<'r>> = selected
        .into_iter()
        .map(|s| (s.suite.id.clone(), s))
        .collect();
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready: Vec<String> = pending
            .values()
            .filter(|s| {
                s.suite
                    .needs
                    .iter()
                    .all(|n| done.contains(&n.id) || !ids.contains(&n.id))
            })
            .map(|s| s.suite.id.clone())
            .collect();
        // `check` rejects cycles; should one slip through, run the rest anyway.
        let ready = if ready.is_empty() {
            pending.keys().take(1).cloned().collect()
        } else {
            ready
        };
        for id in ready {
            if let Some(s) = pending.remove(&id) {
                done.insert(id);
                out.push(s);
            }
        }
    }
    out
}

/// Runs every runner's `version` command once; first line of its output.
fn tool_versions(
    registry: &Registry,
    selected: &[Selected<'_>],
    env: &BTreeMap<String, String>,
) -> BTreeMap<String, Tool> {
    let mut tools = BTreeMap::new();
    let used: BTreeSet<&str> = selected
        .iter()
        .flat_map(|s| s.suite.runners.iter().map(|r| r.id.as_str()))
        .collect();
    for id in used {
        let Some(runner) = registry.runners.get(id) else {
            continue;
        };
        let version = runner.version.as_ref().and_then(|cmd| {
            let path = env.get("PATH").map(String::as_str);
            if let Some(p) = &runner.program
                && super::host::find_program(p, path).is_none()
            {
                return None;
            }
            let out = std::process::Command::new("sh")
                .args(["-c", cmd])
                .current_dir(&registry.workspace)
                .stdin(std::process::Stdio::null())
                .output()
                .ok()?;
            let text = if out.stdout.is_empty() {
                out.stderr
            } else {
                out.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .map(|l| l.trim().to_string())
        });
        tools.insert(
            id.to_string(),
            Tool {
                program: runner.program.clone(),
                version,
            },
        );
    }
    tools
}

fn status_label(status: Status, style: Style) -> String {
    let (label, paint) = match status {
        Status::Passed => ("PASS ", style.bold()),
        Status::Flaky => ("FLAKY", style.yellow_bold()),
        Status::Failed => ("FAIL ", style.red_bold()),
        Status::Skipped => ("SKIP ", style.dim()),
        Status::Blocked => ("BLOCK", style.yellow_bold()),
    };
    format!("{}{label}{}", paint.0, paint.1)
}

/// Runs `selected` and writes the run directory.
pub fn verify(
    registry: &Registry,
    selected: Vec<Selected<'_>>,
    criteria: Criteria,
    changed: Option<Changed>,
    argv: Vec<String>,
    options: &Options,
    interrupts: &Interrupts,
) -> Result<RunResult, Error> {
    let started = Instant::now();
    super::process::become_subreaper();
    let host_env: BTreeMap<String, String> = std::env::vars().collect();
    let run_root = registry.workspace.join(&registry.settings.run_root);
    let run = RunDir::create(&run_root)?;
    let selected = order(selected);
    let style = Style::for_stderr();
    let stderr = Arc::new(Mutex::new(std::io::stderr()));
    let progress = Progress::start(
        Arc::clone(&stderr),
        !options.stream && std::io::stderr().is_terminal() && style != Style::plain(),
        selected.len(),
    );
    let rel_run = run
        .path
        .strip_prefix(&registry.workspace)
        .map(|p| p.to_string())
        .unwrap_or_else(|_| run.path.to_string());
    progress.print(&format!(
        "lab: {} suite{} selected → {rel_run}\n",
        selected.len(),
        if selected.len() == 1 { "" } else { "s" }
    ));

    let (mut manifest, mut summary) = begin(
        registry,
        &run,
        &selected,
        Start {
            argv,
            command_id: "cmd.verify",
            criteria,
            changed,
            host_env: &host_env,
        },
    )?;
    run.event(
        "run_started",
        serde_json::json!({ "run_id": run.id, "suites": selected.len() }),
    );

    let host = Host::default();
    let cx = RunContext {
        registry,
        run: &run,
        host_env: &host_env,
        host: &host,
        interrupts,
        tee: options.stream.then(|| Arc::clone(&stderr)),
        retries: options.retries,
        repeat: options.repeat.max(1),
    };
    let expected = super::history::expected_durations(&run_root, true);
    let index: HashMap<&str, usize> = selected
        .iter()
        .enumerate()
        .map(|(i, s)| (s.suite.id.as_str(), i))
        .collect();
    let items: Vec<Item> = selected
        .iter()
        .map(|s| Item {
            needs: s
                .suite
                .needs
                .iter()
                .filter_map(|n| index.get(n.id.as_str()).copied())
                .collect(),
            weight: s.suite.weight,
            exclusive: s.suite.exclusive,
            expected_ms: expected.get(&s.suite.id).copied().unwrap_or(0),
        })
        .collect();
    let mut plan = Plan::new(items, options.jobs);
    let mut slots: Vec<Option<Selected<'_>>> = selected.into_iter().map(Some).collect();
    let total = slots.len();
    let mut statuses: HashMap<String, Status> = HashMap::new();
    let mut stop_starting = false;
    let mut done = 0;
    let (tx, rx) = std::sync::mpsc::channel::<(usize, Outcome)>();
    std::thread::scope(|scope| -> Result<(), Error> {
        loop {
            if !stop_starting {
                if interrupts.interrupted() {
                    stop_starting = true;
                } else {
                    for i in plan.start_ready() {
                        let Some(sel) = slots[i].take() else { continue };
                        let needs: HashMap<String, Status> = sel
                            .suite
                            .needs
                            .iter()
                            .filter_map(|n| statuses.get(&n.id).map(|s| (n.id.clone(), *s)))
                            .collect();
                        run.event(
                            "suite_started",
                            serde_json::json!({ "suite": sel.suite.id }),
                        );
                        progress.running(&sel.suite.id);
                        let (tx, cx) = (tx.clone(), &cx);
                        scope.spawn(move || {
                            let outcome = run_suite(cx, sel.suite, sel.rationale, &|id| {
                                needs.get(id).copied()
                            });
                            let _ = tx.send((i, outcome));
                        });
                    }
                }
            }
            if plan.running() == 0 && (stop_starting || plan.pending().is_empty()) {
                break;
            }
            let Ok((i, outcome)) = rx.recv_timeout(Duration::from_millis(100)) else {
                continue;
            };
            plan.finish(i);
            done += 1;
            let result = outcome.result;
            if options.fail_fast && result.status == Status::Failed {
                stop_starting = true;
            }
            statuses.insert(result.id.clone(), result.status);
            run.event(
                "suite_finished",
                serde_json::json!({
                    "suite": result.id,
                    "status": result.status,
                    "duration_ms": result.duration_ms,
                    "reason": result.reason,
                }),
            );
            progress.finished(&result.id, done, total);
            progress.print(&suite_lines(&result, &rel_run, style));
            manifest.suites.push(outcome.manifest);
            summary.push(result);
            summary.refresh(started.elapsed().as_millis() as u64);
            summary.write()?;
        }
        Ok(())
    })?;
    // --fail-fast: what never started is blocked, and says why.
    if options.fail_fast && !interrupts.interrupted() {
        for i in plan.pending() {
            let Some(sel) = slots[i].take() else { continue };
            let prep = super::suite::prepare(&cx, sel.suite);
            let mut o = super::suite::new_outcome(registry, sel.suite, &prep, sel.rationale);
            let reason = "fail-fast: an earlier suite failed".to_string();
            super::suite::finish_early(
                &mut o,
                Status::Blocked,
                "fail-fast",
                reason,
                Instant::now(),
            );
            progress.print(&suite_lines(&o.result, &rel_run, style));
            manifest.suites.push(o.manifest);
            summary.push(o.result);
        }
    }
    progress.finish();
    let interrupted = interrupts.interrupted();
    summary.header.interrupted = interrupted;
    summary.header.finished_at = Some(jiff::Timestamp::now().to_string());
    let exit_code = summary.refresh(started.elapsed().as_millis() as u64);
    summary.write()?;
    write_json(&run.path.join("manifest.json"), &manifest, true)?;
    run.event(
        "run_finished",
        serde_json::json!({
            "status": summary.header.status,
            "interrupted": interrupted,
            "duration_ms": summary.header.duration_ms,
            "exit_code": exit_code,
        }),
    );
    let final_summary = summary.summary();
    crate::history::index::append(&run_root, &final_summary);
    progress.print(&closing_lines(&final_summary, &rel_run, style));
    Ok(RunResult {
        summary: final_summary,
        exit_code,
        run_dir: run.path.clone(),
    })
}

/// What a run starts from, for [`begin`].
pub struct Start<'a> {
    /// lab's argv.
    pub argv: Vec<String>,
    /// `cmd.verify`, `cmd.launch`, …
    pub command_id: &'a str,
    /// What was selected by.
    pub criteria: Criteria,
    /// The changed paths, with `--changed`.
    pub changed: Option<Changed>,
    /// lab's environment.
    pub host_env: &'a BTreeMap<String, String>,
}

/// Writes manifest.json and summary.json as they are before anything runs
/// (every suite pending) and returns them for the run to fill in.
pub fn begin(
    registry: &Registry,
    run: &RunDir,
    selected: &[Selected<'_>],
    start: Start<'_>,
) -> Result<(Manifest, SummaryWriter), Error> {
    let started_at = jiff::Timestamp::now().to_string();
    let manifest = start_manifest(
        registry,
        run,
        &start.argv,
        start.command_id,
        &start.criteria,
        &start.changed,
        selected,
        start.host_env,
        &started_at,
    );
    write_json(&run.path.join("manifest.json"), &manifest, true)?;
    let mut summary = start_summary(
        run,
        start.argv,
        start.command_id,
        start.criteria,
        start.changed,
        selected,
        started_at,
    );
    summary.refresh(0);
    summary.write()?;
    Ok((manifest, summary))
}

/// manifest.json as it is known before anything runs.
#[allow(clippy::too_many_arguments)]
fn start_manifest(
    registry: &Registry,
    run: &RunDir,
    argv: &[String],
    command_id: &str,
    criteria: &Criteria,
    changed: &Option<Changed>,
    selected: &[Selected<'_>],
    host_env: &BTreeMap<String, String>,
    started_at: &str,
) -> Manifest {
    let secret_names: BTreeSet<String> = selected
        .iter()
        .filter_map(|s| registry.merged_profile(s.suite))
        .flat_map(|p| p.secrets)
        .collect();
    Manifest {
        schema_version: SCHEMA_VERSION,
        run_id: run.id.clone(),
        command: argv.to_vec(),
        command_id: command_id.into(),
        lab_version: env!("CARGO_PKG_VERSION").into(),
        started_at: started_at.into(),
        workspace: registry.workspace.to_string(),
        vcs: manifest::vcs(
            &registry.workspace,
            host_env.get("PATH").map(String::as_str),
        ),
        platform: manifest::platform(),
        machine_id: manifest::machine_id(),
        provenance: manifest::provenance(host_env),
        tools: tool_versions(registry, selected, host_env),
        selection: SelectionRecord {
            criteria: criteria.clone(),
            changed: changed.clone(),
            suites: selected
                .iter()
                .map(|s| SelectedRecord {
                    id: s.suite.id.clone(),
                    rationale: s.rationale.clone(),
                })
                .collect(),
        },
        env: manifest::redact_env(host_env, &secret_names),
        suites: Vec::new(),
    }
}

/// summary.json before any suite finished: every suite pending.
fn start_summary(
    run: &RunDir,
    argv: Vec<String>,
    command_id: &str,
    criteria: Criteria,
    changed: Option<Changed>,
    selected: &[Selected<'_>],
    started_at: String,
) -> SummaryWriter {
    SummaryWriter::new(
        run.path.join("summary.json"),
        Summary {
            schema_version: SCHEMA_VERSION,
            run_id: run.id.clone(),
            status: Status::Passed,
            interrupted: false,
            started_at,
            finished_at: None,
            duration_ms: 0,
            command: argv,
            command_id: command_id.into(),
            criteria,
            changed,
            counts: Counts {
                selected: selected.len(),
                ..Counts::default()
            },
            suites: Vec::new(),
            pending: selected.iter().map(|s| s.suite.id.clone()).collect(),
            first_failure: None,
            reproduce: String::new(),
            links: Links::default(),
        },
    )
}

/// The stderr lines for one finished suite.
fn suite_lines(r: &SuiteResult, rel_run: &str, style: Style) -> String {
    let ms = Duration::from_millis(r.duration_ms);
    let mut out = format!(
        "  {}  {}  {}",
        status_label(r.status, style),
        r.id,
        human_duration(ms)
    );
    if let Some(reason) = &r.reason
        && r.status != Status::Passed
    {
        out.push_str(&format!("  {reason}"));
    }
    out.push('\n');
    if matches!(r.status, Status::Failed | Status::Blocked | Status::Flaky) {
        for line in &r.excerpt {
            out.push_str(&format!("        | {line}\n"));
        }
        if let Some(stderr) = &r.stderr {
            out.push_str(&format!("        logs: {rel_run}/{stderr}\n"));
        }
    }
    out
}

/// The last lines of a run: counts, run directory, reproduce command.
fn closing_lines(s: &Summary, rel_run: &str, style: Style) -> String {
    let c = &s.counts;
    let mut parts = vec![crate::report::summary::counts_phrase(c)];
    let not_run = c.selected.saturating_sub(s.suites.len());
    if not_run > 0 {
        parts.push(format!("{not_run} not run"));
    }
    let (paint, reset) = match s.status {
        Status::Failed => style.red_bold(),
        Status::Blocked => style.yellow_bold(),
        _ => style.bold(),
    };
    let mut out = String::new();
    if s.interrupted {
        out.push_str("lab: interrupted; stopped every running suite\n");
    }
    out.push_str(&format!(
        "{paint}{}{reset}: {} in {}\n",
        s.status.name(),
        parts.join(", "),
        human_duration(Duration::from_millis(s.duration_ms))
    ));
    out.push_str(&format!("run: {rel_run}\n"));
    out.push_str(&format!("reproduce: {}\n", s.reproduce));
    out
}
