//! `lab suite show --json`: one suite fully resolved.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::*;

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
    /// Availability probe: run once per run, its failure blocks the suite.
    pub probe: Option<String>,
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
    pub kind: ArtifactKind,
    /// Missing → the suite fails.
    pub required: bool,
    /// A fixed absolute path outside the workspace, allowed on purpose.
    pub outside: bool,
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
    /// With a hermetic profile: the whole environment the suite gets
    /// (secret values `[REDACTED]`; `<run>`, `<run-id>` and `<roots>`
    /// stand for what a run makes).
    pub hermetic_env: Option<BTreeMap<String, String>>,
}
