//! What every suite of one run shares ([`RunContext`]) and what one suite
//! hands back when it ends ([`Outcome`]). Shared by the engine and every
//! stage in `suite/`; it imports none of them, so imports run one way.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::host::Host;
use super::process::signals::Interrupts;
use super::reporter::Reporter;
use super::run_dir::RunDir;
use super::suite_dirs::SuiteDirs;
use crate::outputs::{
    ArtifactRecord, Attempt, LeakedRecord, PortRecord, ProcessRecord, Status, SuiteManifest,
    SuiteResult, TestCounts,
};
use crate::registry::Registry;
use crate::select::Reason;

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
    /// Suite directories and their roots, made ahead and recycled.
    pub dirs: &'a SuiteDirs,
    /// The command takes the terminal (`lab launch`).
    pub interactive: bool,
    /// The tools of `network = "loopback"`, found on lab's own PATH.
    pub netns_tools: &'a super::isolation::netns::Tools,
    /// Hears what happens.
    pub reporter: &'a dyn Reporter,
    /// Hermetic suites' `SOURCE_DATE_EPOCH`: the commit's time (none
    /// outside a repository, or when no selected suite is hermetic).
    pub source_date_epoch: Option<String>,
}

/// A suite as the run knows it: what happened (summary.json's entry) and
/// what ran (manifest.json's entry), in one working record the stages
/// fill in; [`Outcome::into_external`] makes the two public entries, once,
/// where the run's files are written.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Canonical id.
    pub id: String,
    /// How it ended so far.
    pub status: Status,
    /// Why it was skipped, blocked or failed, one line.
    pub reason: Option<String>,
    /// The last attempt's exit code.
    pub exit_code: Option<i32>,
    /// The last attempt's signal.
    pub signal: Option<i32>,
    /// The last attempt timed out (or was interrupted).
    pub timed_out: bool,
    /// Wall time of the whole suite.
    pub duration_ms: u64,
    /// Every attempt at the command.
    pub attempts: Vec<Attempt>,
    /// Where it stopped, when it did not pass.
    pub step: Option<String>,
    /// The command's logs, relative to the run directory.
    pub logs: Option<(String, String)>,
    /// Collected (or missing) artifacts.
    pub artifacts: Vec<ArtifactRecord>,
    /// Per-test results from JUnit.
    pub tests: Option<TestCounts>,
    /// Why `tests` is missing although a report was expected.
    pub tests_missing: Option<String>,
    /// At most [`EXCERPT_LINES`] decisive lines.
    pub excerpt: Vec<String>,
    /// For each excerpt line, the file it was taken from, relative to the
    /// run directory.
    pub excerpt_sources: Vec<String>,
    /// For each of `tests.failures`, the kept report it came from.
    pub failure_reports: Vec<String>,
    /// Why it was selected.
    pub reasons: Vec<Reason>,
    /// When it started, by the clock files are stamped with; a report
    /// older than this was not written by this suite.
    pub started_at: std::time::SystemTime,
    /// What ran, where, with what.
    pub ran: Ran,
    /// The cache hit standing in for a run.
    pub cached: Option<crate::outputs::Cached>,
}

/// What ran for a suite (manifest.json's entry, but for the id and the
/// artifacts, which the outcome holds).
#[derive(Debug, Clone, Default)]
pub struct Ran {
    /// The profile.
    pub profile: Option<String>,
    /// The fixtures.
    pub fixtures: Vec<String>,
    /// The runners.
    pub runners: Vec<String>,
    /// The services.
    pub services: Vec<String>,
    /// The command, redacted.
    pub command: String,
    /// The working directory.
    pub cwd: String,
    /// The environment, redacted.
    pub env: std::collections::BTreeMap<String, String>,
    /// The suite directory, relative to the run directory.
    pub dir: String,
    /// Every process lab started for it.
    pub processes: Vec<ProcessRecord>,
    /// Ports allocated for its services.
    pub ports: Vec<PortRecord>,
    /// Processes that outlived their command, killed.
    pub leaked: Vec<LeakedRecord>,
    /// How it was isolated.
    pub isolation: Vec<String>,
    /// Its roots (`tmp`, `state.*`) → where they are.
    pub roots: std::collections::BTreeMap<String, String>,
    /// Its profile is hermetic.
    pub hermetic: bool,
}

impl Outcome {
    /// A suite nothing has happened to yet: passed until a stage says
    /// otherwise, started now, nothing ran.
    pub fn new(id: &str, reasons: Vec<Reason>, ran: Ran) -> Self {
        Outcome {
            id: id.to_string(),
            status: Status::Passed,
            reason: None,
            exit_code: None,
            signal: None,
            timed_out: false,
            duration_ms: 0,
            attempts: Vec::new(),
            step: None,
            logs: None,
            artifacts: Vec::new(),
            tests: None,
            tests_missing: None,
            excerpt: Vec::new(),
            excerpt_sources: Vec::new(),
            failure_reports: Vec::new(),
            reasons,
            cached: None,
            started_at: std::time::SystemTime::now(),
            ran,
        }
    }

    /// Sets the excerpt from lines paired with the log each came from.
    pub fn set_excerpt(&mut self, lines: Vec<(String, String)>) {
        (self.excerpt, self.excerpt_sources) = lines.into_iter().unzip();
    }

    /// Ends a suite before (or instead of) its command.
    pub fn finish_early(&mut self, status: Status, step: &str, reason: String, started: Instant) {
        self.status = status;
        self.step = Some(step.to_string());
        self.reason = Some(reason);
        self.duration_ms = started.elapsed().as_millis() as u64;
    }

    /// summary.json's and manifest.json's entries for this suite.
    pub fn into_external(self) -> (SuiteResult, SuiteManifest) {
        let ran = self.ran;
        let manifest = SuiteManifest {
            id: self.id.clone(),
            profile: ran.profile,
            fixtures: ran.fixtures,
            runners: ran.runners,
            services: ran.services,
            command: ran.command,
            cwd: ran.cwd,
            env: ran.env,
            dir: ran.dir,
            processes: ran.processes,
            ports: ran.ports,
            leaked: ran.leaked,
            artifacts: self.artifacts.clone(),
            program: None,
            isolation: ran.isolation,
            roots: ran.roots,
            hermetic: ran.hermetic,
        };
        let (stdout, stderr) = match self.logs {
            Some((out, err)) => (Some(out), Some(err)),
            None => (None, None),
        };
        let result = SuiteResult {
            id: self.id,
            status: self.status,
            reason: self.reason,
            exit_code: self.exit_code,
            signal: self.signal,
            timed_out: self.timed_out,
            duration_ms: self.duration_ms,
            attempts: self.attempts,
            step: self.step,
            stdout,
            stderr,
            artifacts: self.artifacts,
            tests: self.tests,
            tests_missing: self.tests_missing,
            excerpt: self.excerpt,
            excerpt_sources: self.excerpt_sources,
            rationale: crate::outputs::rationale(&self.reasons),
            cached: self.cached,
            quarantined: false,
            quarantine: None,
        };
        (result, manifest)
    }
}
