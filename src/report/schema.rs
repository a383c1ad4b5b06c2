//! The public JSON types lab prints: stable, documented, additive-only.
//! Every document carries `schema_version`; `schemas/` is generated from
//! these types (`lab schema --write`) and a test fails when it is stale.
//!
//! Building these documents from the registry lives in `suite_view.rs`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::registry::Diagnostic;
use crate::registry::model::{Cleanup, Display, FixtureCopy, Network, Probe, Risk};

/// The version of every JSON document lab writes.
pub const SCHEMA_VERSION: u32 = 1;

/// What a command line selected by (docs/selection.md#selectors).
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, JsonSchema)]
pub struct Criteria {
    /// Positional ids and id globs, canonical (`suite.` prefixed).
    pub ids: Vec<String>,
    /// `--tag` values.
    pub tags: Vec<String>,
    /// `--target` values.
    pub targets: Vec<String>,
    /// `--level` values.
    pub levels: Vec<String>,
    /// `--platform` values.
    pub platforms: Vec<String>,
    /// `--risk`: this risk and above.
    pub risk: Option<Risk>,
    /// `--changed`.
    pub changed: bool,
    /// `--all`.
    pub all: bool,
    /// `--exclude-tag` values. Since schema_version 1.
    pub exclude_tags: Vec<String>,
    /// `--shard K/N`. Since schema_version 1.
    #[serde(default)]
    pub shard: Option<String>,
}

impl Criteria {
    /// `true` when no selector was given (exclusions do not select).
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
            && self.tags.is_empty()
            && self.targets.is_empty()
            && self.levels.is_empty()
            && self.platforms.is_empty()
            && self.risk.is_none()
            && !self.changed
            && !self.all
    }
}

/// The changed paths `--changed` selected by.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct Changed {
    /// Where the paths came from: `paths-file`, `env`, `jj` or `git`.
    pub source: String,
    /// The revision diffed against, when a VCS answered.
    pub base: Option<String>,
    /// Workspace-relative changed paths.
    pub paths: Vec<String>,
    /// What the user should know about how the paths were found (a missing
    /// base, a shallow clone, …). Since schema_version 1.
    pub notes: Vec<String>,
}

/// Why a suite was selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RationaleKind {
    /// A positional id or id glob matched; detail: the pattern.
    Id,
    /// `--tag`; detail: the tag.
    Tag,
    /// `--target`; detail: the target.
    Target,
    /// `--level`; detail: the level.
    Level,
    /// `--platform`; detail: the platform.
    Platform,
    /// `--risk`; detail: the suite's risk and the threshold.
    Risk,
    /// `--all`, or no selector on a listing.
    All,
    /// A changed path matched a pattern; detail: `<path> matches <pattern>`.
    ChangedPath,
    /// A registry file or global path changed; detail: the path.
    RegistryChanged,
    /// A definition the suite uses changed; detail: its id.
    DefinitionChanged,
    /// An escalation rule fired; detail: the rule id.
    Escalation,
    /// Another selected suite needs this one; detail: that suite's id.
    NeededBy,
}

/// One reason a suite was selected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
pub struct Rationale {
    /// What kind of reason.
    pub kind: RationaleKind,
    /// The specifics, as described for each kind.
    pub detail: String,
}

/// Where a definition is written.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DefinedAt {
    /// Workspace-relative file.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column. Since schema_version 1.
    pub column: u32,
}

/// One suite as `lab suite list --json` shows it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SuiteEntry {
    /// Canonical id.
    pub id: String,
    /// One line for humans.
    pub description: Option<String>,
    /// `unit`, `integration`, …
    pub level: Option<String>,
    /// What it verifies.
    pub targets: Vec<String>,
    /// Where it may run; empty = anywhere.
    pub platforms: Vec<String>,
    /// Declared risk.
    pub risk: Option<Risk>,
    /// Free labels.
    pub tags: Vec<String>,
    /// Path patterns whose change selects it.
    pub paths: Vec<String>,
    /// Profile id.
    pub profile: Option<String>,
    /// Fixture ids.
    pub fixtures: Vec<String>,
    /// Runner ids.
    pub runners: Vec<String>,
    /// Service ids (the profile's first, then the suite's).
    pub services: Vec<String>,
    /// Suites that must pass first.
    pub needs: Vec<String>,
    /// Host requirements, as written.
    pub requires: Vec<String>,
    /// Artifact and log ids.
    pub artifacts: Vec<String>,
    /// The command that runs, a runner's template filled in when the suite has none.
    pub command: String,
    /// Workspace-relative working directory.
    pub cwd: String,
    /// Effective timeout in seconds (the suite's or `[lab].default_timeout`).
    pub timeout_seconds: u64,
    /// Re-runs of a failing suite.
    pub retries: u32,
    /// Job slots it occupies. Since schema_version 1.
    pub weight: u32,
    /// Runs alone. Since schema_version 1.
    pub exclusive: bool,
    /// Where it is defined.
    pub defined_at: DefinedAt,
    /// Why it was selected.
    pub rationale: Vec<Rationale>,
}

/// `lab suite list --json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SuiteList {
    /// Always 1.
    pub schema_version: u32,
    /// Absolute path of the workspace.
    pub workspace: String,
    /// Workspace-relative path of the root registry file.
    pub registry: String,
    /// What was asked for.
    pub criteria: Criteria,
    /// The changed paths, with `--changed`; otherwise null.
    pub changed: Option<Changed>,
    /// The selected suites, by id.
    pub suites: Vec<SuiteEntry>,
    /// With `--explain`: the suites not selected, and why. Since schema_version 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_selected: Option<Vec<NotSelected>>,
    /// With `--shards N`: the selection split for a CI matrix. Since schema_version 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matrix: Option<Vec<ShardEntry>>,
}

/// One shard of a CI matrix.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct ShardEntry {
    /// `K/N`, to pass to `lab verify --shard`.
    pub shard: String,
    /// K.
    pub index: u32,
    /// N.
    pub count: u32,
    /// The suites of this shard.
    pub suites: Vec<String>,
}

/// A suite the selection left out.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct NotSelected {
    /// Its id.
    pub id: String,
    /// The first criterion it did not meet.
    pub reason: String,
}

/// One environment variable of a resolved suite and where it comes from.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EnvEntry {
    /// The value as written (placeholders not yet filled in).
    pub value: String,
    /// The definition that set it last, e.g. `profile.dev` or `suite.api`.
    pub from: String,
}

/// A profile as a suite sees it, `extends` merged.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ProfileView {
    /// The profile's id.
    pub id: String,
    /// The profile then its ancestors, child first.
    pub chain: Vec<String>,
    /// Start from an empty environment.
    pub env_clear: bool,
    /// Variables kept when `env_clear`.
    pub pass_env: Vec<String>,
    /// Host variables passed as secrets.
    pub secrets: Vec<String>,
    /// Network policy.
    pub network: Network,
    /// Display policy.
    pub display: Display,
    /// Cleanup policy.
    pub cleanup: Cleanup,
}

/// A fixture as `suite show` prints it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FixtureView {
    /// The fixture's id.
    pub id: String,
    /// Files copied into the state roots.
    pub copy: Vec<FixtureCopy>,
    /// Setup command.
    pub setup: Option<String>,
    /// Setup runs after services are ready.
    pub after_services: bool,
    /// Teardown command.
    pub teardown: Option<String>,
}

/// A runner as `suite show` prints it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RunnerView {
    /// The runner's id.
    pub id: String,
    /// Executable that must be on PATH.
    pub program: Option<String>,
    /// Version command.
    pub version: Option<String>,
    /// Command template.
    pub command: Option<String>,
    /// JUnit path or glob.
    pub junit: Option<String>,
}

/// A service as `suite show` prints it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ServiceView {
    /// The service's id.
    pub id: String,
    /// Its command.
    pub command: String,
    /// Gets a free loopback port.
    pub port: bool,
    /// Readiness probe.
    pub ready: Option<Probe>,
    /// Seconds to wait for readiness.
    pub ready_timeout_seconds: f64,
    /// Seconds between TERM and KILL.
    pub stop_timeout_seconds: f64,
}

/// An artifact as `suite show` prints it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ArtifactView {
    /// The artifact's id.
    pub id: String,
    /// Path relative to the suite's cwd.
    pub path: String,
    /// What it holds.
    pub kind: crate::registry::model::ArtifactKind,
    /// Missing → the suite fails.
    pub required: bool,
}

/// `lab suite show ID --json`: one suite fully resolved.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SuiteShow {
    /// Always 1.
    pub schema_version: u32,
    /// The suite as listed, without rationale.
    pub suite: SuiteEntry,
    /// Where the command comes from: `suite` or a runner id.
    pub command_from: String,
    /// The profile with `extends` merged.
    pub profile: Option<ProfileView>,
    /// Fixtures in order.
    pub fixtures: Vec<FixtureView>,
    /// Runners in order.
    pub runners: Vec<RunnerView>,
    /// Services in start order (the profile's, then the suite's).
    pub services: Vec<ServiceView>,
    /// Declared artifacts.
    pub artifacts: Vec<ArtifactView>,
    /// Registry-declared variables (profile chain, fixtures, runners, suite;
    /// later wins). lab's own `LAB_*` variables are added at run time.
    pub env: BTreeMap<String, EnvEntry>,
}

/// `lab check --json`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CheckReport {
    /// Always 1.
    pub schema_version: u32,
    /// Absolute path of the workspace.
    pub workspace: String,
    /// Workspace-relative root registry file.
    pub registry: String,
    /// Every file read, workspace-relative.
    pub files: Vec<String>,
    /// `true` when there is no error.
    pub ok: bool,
    /// Number of errors.
    pub errors: usize,
    /// Number of warnings.
    pub warnings: usize,
    /// Every problem, in the order found.
    pub diagnostics: Vec<Diagnostic>,
    /// How many definitions of each kind were loaded.
    pub definitions: BTreeMap<String, usize>,
}

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
    pub kind: crate::registry::model::ArtifactKind,
    /// Path relative to the run directory (of the copy), or as declared when missing.
    pub path: String,
    /// Declared or marker.
    pub source: ArtifactSource,
    /// Not found after the suite.
    pub missing: bool,
}

/// One failing test from JUnit.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct TestFailure {
    /// The test's name.
    pub name: String,
    /// Its class name (module path for Rust tests).
    pub classname: Option<String>,
    /// The failure message, redacted.
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
    /// Every failure.
    pub failures: Vec<TestFailure>,
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
    /// JUnit results, when a runner declared `junit`.
    pub tests: Option<TestCounts>,
    /// At most 12 decisive lines: failing tests, then the last error lines.
    pub excerpt: Vec<String>,
    /// Why it was selected.
    pub rationale: Vec<Rationale>,
}

/// The first suite that failed or was blocked.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct FirstFailure {
    /// Its id.
    pub suite: String,
    /// Where it stopped.
    pub step: Option<String>,
    /// Why.
    pub message: String,
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

/// `summary.json`: what happened. Rewritten atomically after every suite.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct Summary {
    /// Always 1.
    pub schema_version: u32,
    /// The run's id.
    pub run_id: String,
    /// passed, failed, skipped or blocked (flaky counts as passed).
    pub status: Status,
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
    /// Where to look first.
    pub links: Links,
}

/// Version control state of the workspace.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct Vcs {
    /// `git`, `jj` or `none`.
    pub kind: String,
    /// The commit id of HEAD (git) or of `@` (jj).
    pub commit: Option<String>,
    /// The branch, or the jj change id.
    pub branch: Option<String>,
    /// Uncommitted changes exist.
    pub dirty: Option<bool>,
}

/// The host.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct Platform {
    /// `linux`, `macos`, …
    pub os: String,
    /// `x86_64`, `aarch64`, …
    pub arch: String,
    /// Kernel release.
    pub kernel: Option<String>,
}

/// Who or what started the run.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct Provenance {
    /// `cli` or `ci`.
    pub trigger: String,
    /// `cli:<user>` or `ci:<provider>`.
    pub actor: String,
    /// A link to the CI job, when known.
    pub ci_url: Option<String>,
}

/// A native tool's version, recorded once per run.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct Tool {
    /// The runner's program.
    pub program: Option<String>,
    /// First line of the runner's `version` command.
    pub version: Option<String>,
}

/// The selection as recorded in the manifest.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct SelectionRecord {
    /// What was asked for.
    pub criteria: Criteria,
    /// The changed paths, with `--changed`.
    pub changed: Option<Changed>,
    /// Every selected suite and why.
    pub suites: Vec<SelectedRecord>,
}

/// One selected suite and why.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct SelectedRecord {
    /// Its id.
    pub id: String,
    /// Why.
    pub rationale: Vec<Rationale>,
}

/// A process lab started.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct ProcessRecord {
    /// Process id.
    pub pid: u32,
    /// `command`, `service`, `fixture` or `version`.
    pub role: String,
    /// What ran.
    pub command: String,
    /// Exit code, when it exited.
    pub exit_code: Option<i32>,
    /// Signal, when one ended it.
    pub signal: Option<i32>,
}

/// A process that outlived its suite's command and was killed.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct LeakedRecord {
    /// Process id.
    pub pid: u32,
    /// Its command line.
    pub command: String,
}

/// A port lab allocated for a service.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct PortRecord {
    /// The service id.
    pub service: String,
    /// The loopback port.
    pub port: u16,
}

/// One suite in manifest.json: what ran, where, with what.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct SuiteManifest {
    /// Canonical id.
    pub id: String,
    /// Profile id.
    pub profile: Option<String>,
    /// Fixture ids.
    pub fixtures: Vec<String>,
    /// Runner ids.
    pub runners: Vec<String>,
    /// Service ids.
    pub services: Vec<String>,
    /// The command, placeholders filled in.
    pub command: String,
    /// Absolute working directory.
    pub cwd: String,
    /// The environment given to the command, secret values redacted.
    pub env: BTreeMap<String, String>,
    /// The suite directory, relative to the run directory.
    pub dir: String,
    /// Every process lab started for the suite.
    pub processes: Vec<ProcessRecord>,
    /// Allocated ports.
    pub ports: Vec<PortRecord>,
    /// Processes that outlived the command and were killed.
    pub leaked: Vec<LeakedRecord>,
    /// Collected artifacts.
    pub artifacts: Vec<ArtifactRecord>,
    /// How the profile's isolation was enforced (network namespace, virtual
    /// display). Since schema_version 1.
    #[serde(default)]
    pub isolation: Vec<String>,
}

/// `manifest.json`: what ran, where, with what.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct Manifest {
    /// Always 1.
    pub schema_version: u32,
    /// The run's id.
    pub run_id: String,
    /// lab's argv.
    pub command: Vec<String>,
    /// `cmd.verify`, `cmd.launch`, …
    pub command_id: String,
    /// lab's version.
    pub lab_version: String,
    /// RFC 3339.
    pub started_at: String,
    /// Absolute path of the workspace.
    pub workspace: String,
    /// Version control state.
    pub vcs: Vcs,
    /// The host.
    pub platform: Platform,
    /// A stable, non-reversible id of this machine.
    pub machine_id: Option<String>,
    /// Who started the run.
    pub provenance: Provenance,
    /// Runner versions.
    pub tools: BTreeMap<String, Tool>,
    /// The selection.
    pub selection: SelectionRecord,
    /// lab's own environment, secret values redacted.
    pub env: BTreeMap<String, String>,
    /// Every selected suite.
    pub suites: Vec<SuiteManifest>,
}
