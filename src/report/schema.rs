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

/// What a command line selected by (design §3).
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
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
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Changed {
    /// Where the paths came from: `paths-file`, `env`, `jj` or `git`.
    pub source: String,
    /// The revision diffed against, when a VCS answered.
    pub base: Option<String>,
    /// Workspace-relative changed paths.
    pub paths: Vec<String>,
}

/// Why a suite was selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
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
