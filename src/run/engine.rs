//! A whole run (`lab verify`, `lab launch`): the run directory,
//! manifest.json, the suites in dependency order on a pool of workers,
//! summary.json as they finish, lab.log.jsonl events, and an orderly stop on
//! Ctrl-C. What people see of it is the [`Reporter`]'s business.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::context::{Outcome, RunContext};
use super::host::Host;
use super::isolation::netns;
use super::plan::{Item, Plan};
use super::process::signals::Interrupts;
use super::provenance as manifest;
use super::reporter::Reporter;
use super::run_dir::{RunDir, write_json};
use super::suite::run_suite;
use super::suite_dirs::SuiteDirs;
use super::summary_writer::SummaryWriter;
use crate::error::Error;
use crate::outputs::*;
use crate::registry::Registry;
use crate::select::Selected;

/// How a run was asked to go.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `cmd.verify`, `cmd.launch`, … (manifest.json, summary.json).
    pub command_id: &'static str,
    /// The command takes the terminal: stdio inherited, lab's process
    /// group, no timeout; Ctrl-C stops it (`lab launch`).
    pub interactive: bool,
    /// Stop starting suites after the first failure.
    pub fail_fast: bool,
    /// Override every suite's `retries`.
    pub retries: Option<u32>,
    /// Suites run at once (slots; weights take several).
    pub jobs: u32,
    /// Run each suite this many times (at least 1).
    pub repeat: u32,
    /// `--strict`: every quarantine ignored, every suite gates.
    pub strict: bool,
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
    /// What could not be recorded (then lab exits 74).
    pub lost: Vec<String>,
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

/// `SOURCE_DATE_EPOCH` of the run's hermetic suites: the commit's time;
/// `None` when no selected suite is hermetic (no VCS query then).
fn source_date_epoch(
    registry: &Registry,
    selected: &[Selected<'_>],
    env: &BTreeMap<String, String>,
) -> Option<String> {
    let hermetic = selected
        .iter()
        .any(|s| registry.merged_profile(s.suite).is_some_and(|p| p.hermetic));
    if !hermetic {
        return None;
    }
    let path = env.get("PATH").map(String::as_str);
    crate::vcs::commit_time(&registry.workspace, path).map(|t| t.to_string())
}

/// Runs every runner's `version` command once (unless `known` has its
/// answer already); first line of its output.
fn tool_versions(
    registry: &Registry,
    selected: &[Selected<'_>],
    env: &BTreeMap<String, String>,
    known: &BTreeMap<String, Option<String>>,
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
        let version = match known.get(id) {
            Some(version) => version.clone(),
            None => {
                super::tools::runner_version(registry, runner, env.get("PATH").map(String::as_str))
            }
        };
        tools.insert(
            id.to_string(),
            Tool {
                program: runner.program.clone(),
                version,
                path: None,
            },
        );
    }
    tools
}

/// summary.json is rewritten at most this often while suites finish
/// faster than that, and always after the last one: a run killed with
/// SIGKILL leaves a summary listing every suite that finished more than
/// this long before the kill.
pub const SUMMARY_INTERVAL: Duration = Duration::from_millis(50);

/// How often the engine looks at Ctrl-C while nothing finishes.
const TICK: Duration = Duration::from_millis(100);

/// What a run is asked to do: the suites, and what selected them.
pub struct Request<'r> {
    /// The selected suites.
    pub selected: Vec<Selected<'r>>,
    /// What selected them, as recorded.
    pub criteria: Criteria,
    /// The changed paths, with `--changed`.
    pub changed: Option<Changed>,
    /// lab's argv, as recorded.
    pub argv: Vec<String>,
    /// The registry and overrides reproduce commands carry.
    pub invocation: Invocation,
    /// Expected duration of each suite in ms, from history: the longest
    /// ready suite starts first.
    pub expected_ms: HashMap<String, u64>,
    /// Cache keys and hits of the selected suites; `None`: no caching.
    pub cache: Option<super::cache::CachePlan>,
}

/// Runs the suites of `request` in a new run directory; `reporter` hears
/// what happens as it happens.
pub fn run(
    registry: &Registry,
    request: Request<'_>,
    options: &Options,
    interrupts: &Interrupts,
    reporter: &dyn Reporter,
) -> Result<RunResult, Error> {
    let Request {
        selected,
        criteria,
        changed,
        argv,
        invocation,
        expected_ms,
        cache,
    } = request;
    let started = Instant::now();
    super::process::spawn::become_subreaper();
    let host_env: BTreeMap<String, String> = std::env::vars().collect();
    let run_root = registry.workspace.join(&registry.settings.run_root);
    let run = RunDir::create(&run_root)?;
    // Should lab be killed outright, the watchdog kills what the run
    // started; it is sent away when this function returns.
    let _watchdog = super::process::watchdog::Watchdog::start(&format!(
        "{}_RUN_ID={}",
        registry.settings.env_prefix, run.id
    ));
    let selected = order(selected);
    let netns_tools = netns_tools(registry, &selected, &host_env);
    let programs = programs_of(registry, &run_root, &selected, &host_env, interrupts);
    let no_versions = BTreeMap::new();
    reporter.run_started(&run.path, selected.len());
    // Where the changed paths came from, for whoever reads the event log.
    let changed_event = changed.as_ref().map(|c| {
        serde_json::json!({
            "source": c.source,
            "base": c.base,
            "paths": c.paths.len(),
            "notes": c.notes,
        })
    });
    let (manifest, summary) = begin(
        registry,
        &run,
        &selected,
        Start {
            argv,
            command_id: options.command_id,
            criteria,
            changed,
            invocation,
            host_env: &host_env,
            netns_tools: &netns_tools,
            programs: &programs,
            runner_versions: cache.as_ref().map_or(&no_versions, |c| &c.runner_versions),
        },
    )?;
    run.event(
        "run_started",
        serde_json::json!({ "run_id": run.id, "suites": selected.len(), "changed": changed_event }),
    );
    let host = Host::default();
    let temp_base = super::suite_roots::temp_base(&registry.workspace);
    let dirs = SuiteDirs::new(
        run.path.parent().unwrap_or(&run_root),
        &temp_base,
        &run.path,
    )
    .map_err(|source| super::run_dir::RecordError::Create {
        path: temp_base.join("lab-<uid>"),
        source,
    })?;
    let cx = RunContext {
        registry,
        run: &run,
        host_env: &host_env,
        host: &host,
        interrupts,
        tee: reporter.tee(),
        interactive: options.interactive,
        reporter,
        retries: options.retries,
        repeat: options.repeat.max(1),
        dirs: &dirs,
        netns_tools: &netns_tools,
        source_date_epoch: source_date_epoch(registry, &selected, &host_env),
    };
    let plan = plan_for(&selected, &expected_ms, options.jobs);
    let mut state = Running {
        cx: &cx,
        options,
        reporter,
        started,
        plan,
        total: selected.len(),
        slots: selected.into_iter().map(Some).collect(),
        statuses: HashMap::new(),
        stop_starting: false,
        done: 0,
        manifest,
        summary,
        program_of: programs.by_suite,
        // The first suite to finish is written at once: coalescing only
        // starts when suites finish within SUMMARY_INTERVAL of each other.
        written_at: Instant::now()
            .checked_sub(SUMMARY_INTERVAL)
            .unwrap_or_else(Instant::now),
        dirty: false,
        cache: cache.as_ref(),
        instant: Vec::new(),
    };
    // The janitor disposes of what suites leave and keeps directories
    // ready; every disposal is done before the run's last write.
    dirs.with_janitor(|| state.run_all())?;
    state.block_the_rest();
    state.finish()
}

/// The program each selected suite's command runs, with its version
/// (cached across runs in the run root).
fn programs_of(
    registry: &Registry,
    run_root: &camino::Utf8Path,
    selected: &[Selected<'_>],
    host_env: &BTreeMap<String, String>,
    interrupts: &Interrupts,
) -> super::programs::Programs {
    let commands: Vec<(String, String)> = selected
        .iter()
        .map(|s| (s.suite.id.clone(), registry.suite_command(s.suite).0))
        .collect();
    super::programs::record(
        run_root,
        &commands,
        host_env.get("PATH").map(String::as_str),
        &registry.workspace,
        interrupts,
    )
}

/// The tools of `network = "loopback"`, found on lab's own PATH once,
/// when some selected suite needs them (a profile's PATH never decides
/// which `nsenter` isolates a suite).
fn netns_tools(
    registry: &Registry,
    selected: &[Selected<'_>],
    host_env: &BTreeMap<String, String>,
) -> netns::Tools {
    let loopback = selected.iter().any(|s| {
        registry
            .merged_profile(s.suite)
            .is_some_and(|p| p.network == crate::registry::model::Network::Loopback)
    });
    if loopback {
        netns::Tools::resolve(host_env.get("PATH").map(String::as_str))
    } else {
        netns::Tools::default()
    }
}

/// The scheduling plan of `selected` (in run order): needs, weights,
/// exclusivity, and expected durations from history.
fn plan_for(selected: &[Selected<'_>], expected: &HashMap<String, u64>, jobs: u32) -> Plan {
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
    Plan::new(items, jobs)
}

/// One suite handed to a worker: its index, selection, and how the suites
/// it needs ended.
struct Job<'r> {
    index: usize,
    selected: Selected<'r>,
    needs: HashMap<String, Status>,
}

/// A `verify` run in progress: the plan, the suites not started yet, what
/// finished, and the documents being written.
struct Running<'a, 'r> {
    cx: &'a RunContext<'r>,
    options: &'a Options,
    reporter: &'a dyn Reporter,
    started: Instant,
    plan: Plan,
    total: usize,
    slots: Vec<Option<Selected<'r>>>,
    statuses: HashMap<String, Status>,
    stop_starting: bool,
    done: usize,
    manifest: Manifest,
    summary: SummaryWriter,
    /// Suite id → the program its command runs (a key of manifest.tools).
    program_of: BTreeMap<String, String>,
    /// When summary.json was last written.
    written_at: Instant,
    /// Suites finished since then.
    dirty: bool,
    /// Cache keys and hits.
    cache: Option<&'a super::cache::CachePlan>,
    /// Cache hits started but not recorded yet.
    instant: Vec<(usize, Outcome)>,
}

impl<'r> Running<'_, 'r> {
    /// Starts suites as they become ready on a pool of at most `--jobs`
    /// worker threads (reused: no thread per suite) and records each as
    /// it finishes, until nothing runs and nothing more may start. A
    /// worker ends only once the queue is closed, after every suite it ran
    /// was wound down: the processes it spawned die with the thread that
    /// spawned them (`process/parent_death.rs`), so no worker may end
    /// while one of its children is still needed.
    fn run_all(&mut self) -> Result<(), Error> {
        let (work_tx, work_rx) = std::sync::mpsc::channel::<Job<'r>>();
        let work_rx = Mutex::new(work_rx);
        let (done_tx, done_rx) = std::sync::mpsc::channel::<(usize, Outcome)>();
        let workers = (self.options.jobs.max(1) as usize).min(self.total.max(1));
        let cx = self.cx;
        std::thread::scope(|scope| -> Result<(), Error> {
            for _ in 0..workers {
                let (work_rx, done_tx) = (&work_rx, done_tx.clone());
                scope.spawn(move || {
                    loop {
                        let job = match work_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        let needs = job.needs;
                        let outcome =
                            run_suite(cx, job.selected.suite, &job.selected.rationale, &|id| {
                                needs.get(id).copied()
                            });
                        if done_tx.send((job.index, outcome)).is_err() {
                            return;
                        }
                    }
                });
            }
            let result = self.dispatch_until_done(&work_tx, &done_rx);
            drop(work_tx); // the workers end once the queue is closed
            result
        })
    }

    fn dispatch_until_done(
        &mut self,
        work: &std::sync::mpsc::Sender<Job<'r>>,
        done: &std::sync::mpsc::Receiver<(usize, Outcome)>,
    ) -> Result<(), Error> {
        loop {
            self.start_ready(work);
            while let Some((i, outcome)) = self.instant.pop() {
                self.finished(i, outcome, work)?;
            }
            if self.plan.running() == 0 && (self.stop_starting || !self.plan.has_pending()) {
                return Ok(());
            }
            let wait = if self.dirty {
                (self.written_at + SUMMARY_INTERVAL).saturating_duration_since(Instant::now())
            } else {
                TICK
            };
            match done.recv_timeout(wait) {
                Ok((i, outcome)) => self.finished(i, outcome, work)?,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
            }
            if self.dirty && self.written_at.elapsed() >= SUMMARY_INTERVAL {
                self.write_summary()?;
            }
        }
    }

    /// Hands every suite the plan lets start to the workers.
    fn start_ready(&mut self, work: &std::sync::mpsc::Sender<Job<'r>>) {
        if self.stop_starting {
            return;
        }
        if self.cx.interrupts.interrupted() {
            self.stop_starting = true;
            return;
        }
        for index in self.plan.start_ready() {
            let Some(selected) = self.slots[index].take() else {
                continue;
            };
            let needs: HashMap<String, Status> = selected
                .suite
                .needs
                .iter()
                .filter_map(|n| self.statuses.get(&n.id).map(|s| (n.id.clone(), *s)))
                .collect();
            if let Some(outcome) = self.cache_hit(&selected, &needs) {
                self.instant.push((index, outcome));
                continue;
            }
            self.cx.run.event(
                "suite_started",
                serde_json::json!({ "suite": selected.suite.id }),
            );
            self.reporter.suite_started(&selected.suite.id);
            // The workers outlive this loop; a send fails only if they all died.
            let _ = work.send(Job {
                index,
                selected,
                needs,
            });
        }
    }

    /// The outcome standing in for `selected` when it hits the cache and
    /// every suite it needs that ran passed or hit too.
    fn cache_hit(
        &self,
        selected: &Selected<'r>,
        needs: &HashMap<String, Status>,
    ) -> Option<Outcome> {
        let entry = self.cache?.hits.get(&selected.suite.id)?;
        if needs.values().any(|s| *s != Status::Passed) {
            return None;
        }
        Some(super::cache::hit_outcome(
            selected.suite,
            selected.rationale.clone(),
            entry,
        ))
    }

    /// Records that a suite which ran passed, under its cache key.
    fn record_cache(&self, outcome: &Outcome) {
        let Some(cache) = self.cache else { return };
        if outcome.status != Status::Passed || outcome.cached.is_some() {
            return;
        }
        if let Some(k) = cache.keys.get(&outcome.id)
            && k.unreadable.is_none()
        {
            let entry = super::cache::Entry {
                lab_cache: 1,
                suite: outcome.id.clone(),
                key: k.key.clone(),
                run_id: self.cx.run.id.clone(),
                stdout: outcome.logs.as_ref().map(|l| l.0.clone()),
                stderr: outcome.logs.as_ref().map(|l| l.1.clone()),
                inputs: k.inputs.clone(),
            };
            if let Err(e) = cache.store.record(&entry) {
                eprintln!(
                    "lab: warning: could not write a cache entry in {}: {e}",
                    cache.store.dir
                );
            }
        }
    }

    /// Records a finished suite: its event at once, the suites it lets
    /// start handed to the workers before anything slower (so the next
    /// suite's spawn overlaps this bookkeeping), summary.json within
    /// [`SUMMARY_INTERVAL`].
    fn finished(
        &mut self,
        index: usize,
        outcome: Outcome,
        work: &std::sync::mpsc::Sender<Job<'r>>,
    ) -> Result<(), Error> {
        self.plan.finish(index);
        self.done += 1;
        if self.options.fail_fast
            && outcome.status == Status::Failed
            && super::quarantine::in_force(self.cx.registry, &outcome.id, self.options.strict)
                .is_none()
        {
            self.stop_starting = true;
        }
        self.statuses.insert(outcome.id.clone(), outcome.status);
        self.cx.run.event(
            "suite_finished",
            serde_json::json!({
                "suite": outcome.id,
                "status": outcome.status,
                "duration_ms": outcome.duration_ms,
                "reason": outcome.reason,
            }),
        );
        self.start_ready(work);
        self.record_cache(&outcome);
        let (mut result, mut entry) = outcome.into_external();
        entry.program = self.program_of.get(&entry.id).cloned();
        super::quarantine::mark(&mut result, self.cx.registry, self.options.strict);
        self.reporter.suite_finished(&result, self.done, self.total);
        self.manifest.suites.push(entry);
        self.summary.push(result);
        self.dirty = true;
        if self.written_at.elapsed() >= SUMMARY_INTERVAL {
            self.write_summary()?;
        }
        Ok(())
    }

    fn write_summary(&mut self) -> Result<(), Error> {
        self.summary
            .refresh(self.started.elapsed().as_millis() as u64);
        self.summary.write()?;
        self.written_at = Instant::now();
        self.dirty = false;
        Ok(())
    }

    /// --fail-fast: what never started is blocked, and says why.
    fn block_the_rest(&mut self) {
        if !self.options.fail_fast || self.cx.interrupts.interrupted() {
            return;
        }
        for index in self.plan.pending() {
            let Some(sel) = self.slots[index].take() else {
                continue;
            };
            // Never made: the suite's environment names them all the same.
            let reserved = self.cx.dirs.reserve();
            let prep = super::suite::prepare::prepare(self.cx, sel.suite, reserved.roots());
            self.cx.dirs.release(reserved);
            let mut o =
                super::suite::prepare::new_outcome(self.cx, sel.suite, &prep, sel.rationale);
            let reason = "fail-fast: an earlier suite failed".to_string();
            o.finish_early(Status::Blocked, "fail-fast", reason, Instant::now());
            let (mut result, mut entry) = o.into_external();
            entry.program = self.program_of.get(&entry.id).cloned();
            super::quarantine::mark(&mut result, self.cx.registry, self.options.strict);
            self.reporter.suite_finished(&result, self.done, self.total);
            self.manifest.suites.push(entry);
            self.summary.push(result);
        }
    }

    /// The final summary.json and manifest.json, `run_finished`, the
    /// history index, the closing lines.
    fn finish(mut self) -> Result<RunResult, Error> {
        let run = self.cx.run;
        let interrupted = self.cx.interrupts.interrupted();
        let mut exit_code = self
            .summary
            .finish(interrupted, self.started.elapsed().as_millis() as u64);
        self.summary.write()?;
        let lost = run.losses();
        if !lost.is_empty() && !interrupted {
            exit_code = crate::error::exit_code::NOT_RECORDED;
        }
        write_json(&run.path.join("manifest.json"), &self.manifest, true)?;
        run.event(
            "run_finished",
            serde_json::json!({
                "status": self.summary.header().status,
                "interrupted": interrupted,
                "duration_ms": self.summary.header().duration_ms,
                "exit_code": exit_code,
            }),
        );
        let final_summary = self.summary.summary();
        self.reporter.run_finished(&final_summary);
        Ok(RunResult {
            summary: final_summary,
            exit_code,
            run_dir: run.path.clone(),
            lost,
        })
    }
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
    /// The registry and overrides reproduce commands carry.
    pub invocation: Invocation,
    /// lab's environment.
    pub host_env: &'a BTreeMap<String, String>,
    /// The tools network namespaces are built with, as found.
    pub netns_tools: &'a netns::Tools,
    /// The programs the suites run, with their versions.
    pub programs: &'a super::programs::Programs,
    /// Runner versions probed already (for cache keys).
    pub runner_versions: &'a BTreeMap<String, Option<String>>,
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
    let mut manifest = start_manifest(
        registry,
        run,
        &start.argv,
        start.command_id,
        &start.criteria,
        &start.changed,
        selected,
        start.host_env,
        start.runner_versions,
        &started_at,
    );
    manifest.isolation_tools = start.netns_tools.record();
    manifest.tools.extend(start.programs.tools.clone());
    write_json(&run.path.join("manifest.json"), &manifest, true)?;
    let mut summary = start_summary(run, start, selected, started_at);
    summary.set_provenance(
        manifest.vcs.clone(),
        manifest.registry.as_ref().map(|r| r.digest.clone()),
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
    runner_versions: &BTreeMap<String, Option<String>>,
    started_at: &str,
) -> Manifest {
    let secret_names: BTreeSet<String> = registry.declared_secrets();
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
        tools: tool_versions(registry, selected, host_env, runner_versions),
        registry: Some(manifest::registry(registry)),
        selection: SelectionRecord {
            criteria: criteria.clone(),
            changed: changed.clone(),
            suites: selected
                .iter()
                .map(|s| SelectedRecord {
                    id: s.suite.id.clone(),
                    rationale: crate::outputs::rationale(&s.rationale),
                })
                .collect(),
        },
        env: manifest::redact_env(host_env, &secret_names),
        suites: Vec::new(),
        isolation_tools: BTreeMap::new(),
    }
}

/// summary.json before any suite finished: every suite pending.
fn start_summary(
    run: &RunDir,
    start: Start<'_>,
    selected: &[Selected<'_>],
    started_at: String,
) -> SummaryWriter {
    let Start {
        argv,
        command_id,
        criteria,
        changed,
        invocation,
        ..
    } = start;
    SummaryWriter::new(
        run.path.join("summary.json"),
        Summary {
            schema_version: SCHEMA_VERSION,
            run_id: run.id.clone(),
            status: RunStatus::Running,
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
            reproduce_selected: {
                let mut ids: Vec<String> = selected.iter().map(|s| s.suite.id.clone()).collect();
                ids.sort();
                invocation.ids_command(&ids)
            },
            invocation,
            links: Links::default(),
            vcs: None,
            registry_digest: None,
            quarantined: None,
        },
    )
}
