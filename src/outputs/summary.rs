//! summary.json: what happened, suite by suite.

use schemars::JsonSchema;
use serde::Serialize;

use super::*;
use crate::error::exit_code;

/// How a suite or a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Exit 0.
    Passed,
    /// Any other exit, a signal, a timeout, a required artifact missing.
    Failed,
    /// Exit 77, or a platform the suite does not run on.
    Skipped,
    /// Exit 78, an unmet need or requirement, a fixture or service that failed.
    Blocked,
    /// Failed, then passed on a retry (counts as passing).
    Flaky,
}

impl Status {
    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::Blocked => "blocked",
            Status::Flaky => "flaky",
        }
    }

    /// Passed or flaky.
    pub fn is_pass(self) -> bool {
        matches!(self, Status::Passed | Status::Flaky)
    }
}

/// Where a run stands: while it goes on `running`; a run found `running`
/// with no lab process holding it is `incomplete` (killed, or lab
/// crashed); only the final write sets the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Every selected suite passed, was flaky or skipped with one passing.
    Passed,
    /// A suite failed.
    Failed,
    /// Every suite was skipped.
    Skipped,
    /// A suite was blocked, none failed.
    Blocked,
    /// The run is in progress: lab holds its directory.
    Running,
    /// The run stopped without finishing its summary (lab was killed or
    /// crashed): what is listed finished, the rest never will.
    Incomplete,
}

impl RunStatus {
    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            RunStatus::Passed => "passed",
            RunStatus::Failed => "failed",
            RunStatus::Skipped => "skipped",
            RunStatus::Blocked => "blocked",
            RunStatus::Running => "running",
            RunStatus::Incomplete => "incomplete",
        }
    }

    /// The outcome as a suite status, for a finished run.
    pub fn outcome(self) -> Option<Status> {
        match self {
            RunStatus::Passed => Some(Status::Passed),
            RunStatus::Failed => Some(Status::Failed),
            RunStatus::Skipped => Some(Status::Skipped),
            RunStatus::Blocked => Some(Status::Blocked),
            RunStatus::Running | RunStatus::Incomplete => None,
        }
    }
}

impl From<Status> for RunStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Passed | Status::Flaky => RunStatus::Passed,
            Status::Failed => RunStatus::Failed,
            Status::Skipped => RunStatus::Skipped,
            Status::Blocked => RunStatus::Blocked,
        }
    }
}

/// How many suites ended how.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
pub struct Counts {
    /// Suites selected.
    pub selected: usize,
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Skipped.
    pub skipped: usize,
    /// Blocked.
    pub blocked: usize,
    /// Flaky (passed after a failure).
    pub flaky: usize,
}

/// One attempt at a suite's command.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct Attempt {
    /// How the attempt ended.
    pub status: Status,
    /// Exit code, when it exited.
    pub exit_code: Option<i32>,
    /// Signal number, when a signal ended it.
    pub signal: Option<i32>,
    /// Killed for exceeding the timeout.
    pub timed_out: bool,
    /// Wall time of the attempt.
    pub duration_ms: u64,
}

/// Where an artifact came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactSource {
    /// Declared in the registry.
    Declared,
    /// Printed by the suite as a `…_ARTIFACT_PATH=` marker.
    Marker,
}

/// One collected (or missing) artifact.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct ArtifactRecord {
    /// The artifact id, or `marker` for marker-reported ones.
    pub id: String,
    /// What it holds.
    pub kind: ArtifactKind,
    /// Path relative to the run directory (of the copy), or as declared when missing.
    pub path: String,
    /// Declared or marker.
    pub source: ArtifactSource,
    /// Not found after the suite.
    pub missing: bool,
}

/// One failing test from JUnit. Every string in it is redacted.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct TestFailure {
    /// The test's name.
    pub name: String,
    /// Its class name (module path for Rust tests).
    pub classname: Option<String>,
    /// Its decisive lines from the report (a Rust panic with an
    /// assertion's `left`/`right`; pytest's `>` line and `E` lines), one
    /// per line; else the report's own failure message.
    pub message: String,
}

/// Per-test results parsed from the JUnit a runner wrote.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, JsonSchema)]
pub struct TestCounts {
    /// Test cases.
    pub total: u64,
    /// Passed.
    pub passed: u64,
    /// Failed or errored.
    pub failed: u64,
    /// Skipped.
    pub skipped: u64,
    /// The failures, the first 100 of them (all are counted in `failed`).
    pub failures: Vec<TestFailure>,
    /// The reports these counts come from, as kept in the suite directory
    /// (redacted), relative to the run directory: `suites/<id>/junit.xml`.
    /// Since schema_version 1.
    #[serde(default)]
    pub reports: Vec<String>,
}

/// One suite's result in summary.json.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct SuiteResult {
    /// Canonical id.
    pub id: String,
    /// How it ended.
    pub status: Status,
    /// Why it was skipped, blocked or failed: one line.
    pub reason: Option<String>,
    /// Exit code of the last attempt.
    pub exit_code: Option<i32>,
    /// Signal that ended the last attempt.
    pub signal: Option<i32>,
    /// The last attempt timed out.
    pub timed_out: bool,
    /// Wall time, all attempts and steps included.
    pub duration_ms: u64,
    /// Every attempt at the command.
    pub attempts: Vec<Attempt>,
    /// Where it stopped: `requires`, `fixture:<id>:setup`, `command`, `artifact:<id>`, `test:<name>`, …
    pub step: Option<String>,
    /// stdout log, relative to the run directory.
    pub stdout: Option<String>,
    /// stderr log, relative to the run directory.
    pub stderr: Option<String>,
    /// Collected artifacts.
    pub artifacts: Vec<ArtifactRecord>,
    /// JUnit results, when a runner declared `junit` (or the command uses
    /// `{junit}`) and this suite wrote a report.
    pub tests: Option<TestCounts>,
    /// Why `tests` is null although a report was expected ("no JUnit
    /// written to … : the command stopped before its tests reported"), or
    /// why a report could not be read. Since schema_version 1.
    #[serde(default)]
    pub tests_missing: Option<String>,
    /// At most 12 decisive lines: failing tests with their decisive lines
    /// (else the tool's first error), then the last error lines.
    pub excerpt: Vec<String>,
    /// Where each line of `excerpt` was taken from, in the same order: a
    /// file relative to the run directory (`suites/<id>/stdout.log`,
    /// `suites/<id>/stderr.log`, `suites/<id>/junit.xml`,
    /// `suites/<id>/services/<service-id>.log`, …). Since schema_version 1.
    #[serde(default)]
    pub excerpt_sources: Vec<String>,
    /// Why it was selected.
    pub rationale: Vec<Rationale>,
    /// Ran under a quarantine in force: its status does not gate the run
    /// (never the exit code, never `first_failure`).
    #[serde(default)]
    pub quarantined: bool,
    /// The quarantine, when `quarantined`.
    #[serde(default)]
    pub quarantine: Option<QuarantineRecord>,
    /// Set when the suite was not started because its cache key matched
    /// a run where it passed (docs/running.md#caching); its logs are that
    /// run's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached: Option<Cached>,
}

/// The cache hit that stood in for a suite.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct Cached {
    /// The run it passed in.
    pub run_id: String,
    /// The cache key (40 hex digits).
    pub key: String,
}

/// The first suite that failed or was blocked.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct FirstFailure {
    /// Its id.
    pub suite: String,
    /// `failed` or `blocked` (summaries written before this field read as
    /// `failed`).
    #[serde(default = "failed")]
    pub status: Status,
    /// Where it stopped.
    pub step: Option<String>,
    /// Why.
    pub message: String,
}

fn failed() -> Status {
    Status::Failed
}

/// Paths (relative to the run directory) worth opening first.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, JsonSchema)]
pub struct Links {
    /// Logs of the suites that did not pass.
    pub logs: Vec<String>,
    /// Screenshot artifacts.
    pub screenshots: Vec<String>,
    /// Trace artifacts.
    pub traces: Vec<String>,
    /// Video artifacts.
    pub videos: Vec<String>,
}

/// `summary.json`: what happened. Rewritten atomically as suites finish (at
/// most every ~50 ms while they finish faster, always after the last).
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct Summary {
    /// Always 1.
    pub schema_version: u32,
    /// The run's id.
    pub run_id: String,
    /// passed, failed, skipped or blocked (flaky counts as passed) once the
    /// run has finished; `running` until then, and `incomplete` for a run
    /// that will never finish (read back by `lab runs` and `lab report`).
    pub status: RunStatus,
    /// Stopped by a signal before every suite ran.
    pub interrupted: bool,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339; null while the run is in progress (or was killed).
    pub finished_at: Option<String>,
    /// Wall time so far.
    pub duration_ms: u64,
    /// lab's argv.
    pub command: Vec<String>,
    /// `cmd.verify`, `cmd.launch`, …
    pub command_id: String,
    /// What was selected by.
    pub criteria: Criteria,
    /// The changed paths, with `--changed`.
    pub changed: Option<Changed>,
    /// Counts over the finished suites (selected counts all).
    pub counts: Counts,
    /// Finished suites, in the order they finished.
    pub suites: Vec<SuiteResult>,
    /// Selected suites that have not finished. Since schema_version 1.
    pub pending: Vec<String>,
    /// The first suite that failed or was blocked.
    pub first_failure: Option<FirstFailure>,
    /// The `lab verify …` that re-runs the failed and blocked suites, or the whole selection.
    pub reproduce: String,
    /// `lab verify <every selected id>`: the same suites, however they were
    /// selected (changed paths from stdin included).
    #[serde(default)]
    pub reproduce_selected: String,
    /// The registry when it was not discovered, and the overrides
    /// (`--jobs`, `--retries`, `--repeat`, `--fail-fast`) the reproduce
    /// commands carry.
    #[serde(default)]
    pub invocation: Invocation,
    /// Where to look first.
    pub links: Links,
    /// The workspace's version control state when the run started, as
    /// manifest.json records it. Since schema_version 1 (issue 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcs: Option<Vcs>,
    /// The digest of the registry content the run used (manifest.json's
    /// `registry.digest`). Since schema_version 1 (issue 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_digest: Option<String>,
    /// The suites that ran quarantined, when any did.
    #[serde(default)]
    pub quarantined: Option<QuarantinedSection>,
}

/// The run status and lab's exit code from the finished suites (docs/exit-codes.md).
pub fn status_of(counts: &Counts, interrupted: bool) -> (Status, u8) {
    let status = if counts.failed > 0 {
        Status::Failed
    } else if counts.blocked > 0 {
        Status::Blocked
    } else if counts.skipped > 0 && counts.passed + counts.flaky == 0 {
        Status::Skipped
    } else {
        Status::Passed
    };
    let code = if interrupted {
        exit_code::INTERRUPTED
    } else {
        match status {
            Status::Failed => exit_code::FAILED,
            Status::Blocked => exit_code::BLOCKED,
            Status::Skipped => exit_code::SKIPPED,
            Status::Passed | Status::Flaky => exit_code::SUCCESS,
        }
    };
    (status, code)
}

/// `3 passed, 1 flaky, 2 failed` — passed always, the rest when non-zero.
pub fn counts_phrase(c: &Counts) -> String {
    let mut parts = vec![format!("{} passed", c.passed)];
    for (n, what) in [
        (c.flaky, "flaky"),
        (c.failed, "failed"),
        (c.skipped, "skipped"),
        (c.blocked, "blocked"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    parts.join(", ")
}

/// Counts over `results`; `selected` is the whole selection.
pub fn count(results: &[SuiteResult], selected: usize) -> Counts {
    let mut c = Counts {
        selected,
        ..Counts::default()
    };
    for r in results {
        match r.status {
            Status::Passed => c.passed += 1,
            Status::Failed => c.failed += 1,
            Status::Skipped => c.skipped += 1,
            Status::Blocked => c.blocked += 1,
            Status::Flaky => c.flaky += 1,
        }
    }
    c
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,*".contains(c))
        && !word.contains('*')
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// What shaped a run besides its selectors, so its reproduce commands
/// carry it: the registry when it was not discovered, and the overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
pub struct Invocation {
    /// `--registry` (or `LAB_REGISTRY`) as given, when lab did not discover it.
    pub registry: Option<String>,
    /// `--jobs N`.
    pub jobs: Option<u32>,
    /// `--retries N`.
    pub retries: Option<u32>,
    /// `--repeat N` (1: not given).
    pub repeat: u32,
    /// `--fail-fast`.
    pub fail_fast: bool,
    /// `--strict` (every quarantine ignored).
    #[serde(default)]
    pub strict: bool,
}

impl Invocation {
    /// `lab [--registry R] verify`, then `rest`, then the overrides.
    fn command(&self, rest: impl IntoIterator<Item = String>) -> String {
        let mut words = vec!["lab".to_string()];
        if let Some(r) = &self.registry {
            words.extend(["--registry".into(), shell_word(r)]);
        }
        words.push("verify".into());
        words.extend(rest);
        if let Some(j) = self.jobs {
            words.extend(["--jobs".into(), j.to_string()]);
        }
        if let Some(r) = self.retries {
            words.extend(["--retries".into(), r.to_string()]);
        }
        if self.repeat > 1 {
            words.extend(["--repeat".into(), self.repeat.to_string()]);
        }
        if self.fail_fast {
            words.push("--fail-fast".into());
        }
        if self.strict {
            words.push("--strict".into());
        }
        words.join(" ")
    }

    /// The command that selects exactly `ids`, with this invocation's
    /// registry and overrides.
    pub fn ids_command(&self, ids: &[String]) -> String {
        self.command(ids.iter().map(|i| shell_word(i)))
    }
}

/// `lab verify …` for the selection of `criteria`.
pub fn selection_command(criteria: &Criteria) -> String {
    selection_command_with(criteria, &Invocation::default())
}

/// `lab verify …` for the selection of `criteria`, carrying `how` (the
/// registry, `--base`, `--changed-paths`, the overrides).
pub fn selection_command_with(criteria: &Criteria, how: &Invocation) -> String {
    let mut words: Vec<String> = criteria.ids.iter().map(|i| shell_word(i)).collect();
    let mut flag = |name: &str, values: &[String]| {
        for v in values {
            words.push(format!("--{name}"));
            words.push(shell_word(v));
        }
    };
    flag("tag", &criteria.tags);
    flag("target", &criteria.targets);
    flag("level", &criteria.levels);
    flag("platform", &criteria.platforms);
    flag("exclude-tag", &criteria.exclude_tags);
    if let Some(r) = criteria.risk {
        words.push("--risk".into());
        words.push(r.name().into());
    }
    if criteria.changed {
        words.push("--changed".into());
        if let Some(base) = &criteria.base {
            words.extend(["--base".into(), shell_word(base)]);
        }
        if let Some(file) = &criteria.changed_paths {
            words.extend(["--changed-paths".into(), shell_word(file)]);
        }
    }
    if criteria.all {
        words.push("--all".into());
    }
    if let Some(shard) = &criteria.shard {
        words.push("--shard".into());
        words.push(shard.clone());
    }
    how.command(words)
}

/// The command that re-runs the failed and blocked suites, or the whole
/// selection when none failed; with the run's registry and overrides.
pub fn reproduce(results: &[SuiteResult], criteria: &Criteria, how: &Invocation) -> String {
    let bad: Vec<String> = results
        .iter()
        .filter(|r| matches!(r.status, Status::Failed | Status::Blocked))
        .map(|r| r.id.clone())
        .collect();
    if bad.is_empty() {
        selection_command_with(criteria, how)
    } else {
        how.ids_command(&bad)
    }
}

/// First failed or blocked suite not quarantined, in finishing order.
pub fn first_failure(results: &[SuiteResult]) -> Option<FirstFailure> {
    results
        .iter()
        .find(|r| matches!(r.status, Status::Failed | Status::Blocked) && !r.quarantined)
        .map(|r| FirstFailure {
            suite: r.id.clone(),
            status: r.status,
            step: r.step.clone(),
            message: r
                .reason
                .clone()
                .unwrap_or_else(|| r.status.name().to_string()),
        })
}

/// Logs of suites that did not pass, and artifacts worth opening.
pub fn links(results: &[SuiteResult]) -> Links {
    let mut links = Links::default();
    for r in results {
        if !r.status.is_pass() && r.status != Status::Skipped {
            // The command's logs, then the other logs its excerpt quotes
            // (a fixture's, a service's, a runner probe's) and the `log`
            // artifacts it kept, each once.
            let quoted = r.excerpt_sources.iter().filter(|s| s.ends_with(".log"));
            let kept = r
                .artifacts
                .iter()
                .filter(|a| !a.missing && a.kind == ArtifactKind::Log)
                .map(|a| &a.path);
            for log in r.stderr.iter().chain(&r.stdout).chain(quoted).chain(kept) {
                if !links.logs.contains(log) {
                    links.logs.push(log.clone());
                }
            }
        }
        for a in r.artifacts.iter().filter(|a| !a.missing) {
            match a.kind {
                ArtifactKind::Screenshot => links.screenshots.push(a.path.clone()),
                ArtifactKind::Trace => links.traces.push(a.path.clone()),
                ArtifactKind::Video => links.videos.push(a.path.clone()),
                _ => {}
            }
        }
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_design() {
        let c = |passed, failed, skipped, blocked, flaky| Counts {
            selected: 9,
            passed,
            failed,
            skipped,
            blocked,
            flaky,
        };
        assert_eq!(status_of(&c(1, 0, 0, 0, 0), false), (Status::Passed, 0));
        assert_eq!(status_of(&c(0, 0, 0, 0, 1), false), (Status::Passed, 0));
        assert_eq!(status_of(&c(1, 1, 0, 1, 0), false), (Status::Failed, 1));
        assert_eq!(status_of(&c(1, 0, 1, 1, 0), false), (Status::Blocked, 78));
        assert_eq!(status_of(&c(0, 0, 2, 0, 0), false), (Status::Skipped, 77));
        assert_eq!(status_of(&c(2, 0, 1, 0, 0), false), (Status::Passed, 0));
        assert_eq!(status_of(&c(0, 0, 0, 0, 0), false), (Status::Passed, 0));
        assert_eq!(status_of(&c(1, 0, 0, 0, 0), true).1, 130);
    }

    #[test]
    fn reproduce_quotes_what_the_shell_would_expand() {
        let criteria = Criteria {
            ids: vec!["suite.api.*".into()],
            tags: vec!["a b".into()],
            ..Criteria::default()
        };
        assert_eq!(
            selection_command(&criteria),
            "lab verify 'suite.api.*' --tag 'a b'"
        );
    }
}
