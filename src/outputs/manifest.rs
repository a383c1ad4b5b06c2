//! manifest.json: what ran, where, with what.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::*;

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

/// A native tool's version, recorded once per run: a runner's (keyed by
/// its id), or a program a suite's command runs (keyed by its name).
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct Tool {
    /// The runner's program, or the program's name.
    pub program: Option<String>,
    /// First line of the runner's `version` command, or of the program's
    /// `--version` (null when it failed: dash has none).
    pub version: Option<String>,
    /// Where the program was found on PATH (programs only). Since
    /// schema_version 1 (issue 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// The registry content a run used.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, JsonSchema)]
pub struct RegistryRecord {
    /// The root registry file, workspace-relative.
    pub file: String,
    /// How many files the registry was loaded from (includes, profiles/, …).
    pub files: usize,
    /// `sha1:<hex>` over every file's path and git blob id, in path order:
    /// editing any of them changes it, committed or not.
    pub digest: String,
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
    /// The program its command runs (a key of the manifest's `tools`),
    /// when found on PATH. Since schema_version 1 (issue 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    /// How the profile's isolation was enforced (network namespace, virtual
    /// display). Since schema_version 1.
    #[serde(default)]
    pub isolation: Vec<String>,
    /// The suite's roots (`tmp`, `state.config`, `state.data`,
    /// `state.secrets`) → their real paths, outside the workspace; the
    /// suite directory links to each. Absent for a suite stopped before
    /// its directory was made. Since schema_version 1 (issue 22).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub roots: BTreeMap<String, String>,
    /// Its profile is hermetic: a fixed, minimal environment, umask 022.
    #[serde(default)]
    pub hermetic: bool,
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
    /// Runner versions (by runner id) and the versions of the programs the
    /// suites' commands run (by program name; `cargo` brings `rustc`).
    pub tools: BTreeMap<String, Tool>,
    /// The registry content the run used. Since schema_version 1 (issue 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<RegistryRecord>,
    /// The selection.
    pub selection: SelectionRecord,
    /// lab's own environment, secret values redacted.
    pub env: BTreeMap<String, String>,
    /// Every selected suite.
    pub suites: Vec<SuiteManifest>,
    /// The programs `network = "loopback"` is built with (`unshare`,
    /// `nsenter`, `ip`, `sleep`), found on lab's own PATH when the run
    /// started: name → absolute path. Absent when no selected suite
    /// needs them. Since schema_version 1 (issue 22).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub isolation_tools: BTreeMap<String, String>,
}
