//! `lab suite list --json`: the selected suites, shards, what was left out.

use schemars::JsonSchema;
use serde::Serialize;

use super::*;

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
    /// `hit` (verify would not start it), `miss` or `off` (caching is off
    /// for it); `lab suite show` always says `off` (docs/running.md#caching).
    pub cache: String,
    /// For a miss, why: the first input that changed since it last passed
    /// (`file src/a.rs changed`, `command changed`, `version of runner.x changed`, …).
    pub cache_miss: Option<String>,
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
