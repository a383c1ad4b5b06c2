//! The registry file format as a JSON Schema, for TOML editors (taplo /
//! Even Better TOML read the `#:schema` line at the top of suites.toml).
//! These types describe what may be written; they are never deserialized —
//! `load.rs` reads the TOML itself so that it can report every problem with
//! its place. A test keeps the keys here equal to `Kind::fields`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

/// A duration: `"90s"`, `"10m"`, `"1h30m"`, `"500ms"` or integer seconds.
pub struct DurationValue;

impl JsonSchema for DurationValue {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A duration: \"90s\", \"10m\", \"1h30m\", \"500ms\", or an integer of seconds.",
            "oneOf": [
                { "type": "string", "pattern": "^([0-9]+(d|h|m|min|s|ms))+$" },
                { "type": "integer", "minimum": 0 }
            ]
        })
    }
}

/// A size: `"64MiB"`, `"1GB"` or integer bytes.
pub struct SizeValue;

impl JsonSchema for SizeValue {
    fn schema_name() -> Cow<'static, str> {
        "Size".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A size: \"64MiB\", \"1GB\", or an integer of bytes.",
            "oneOf": [
                { "type": "string", "pattern": "^[0-9]+ ?(B|KB|kB|MB|GB|TB|KiB|MiB|GiB|TiB)?$" },
                { "type": "integer", "minimum": 0 }
            ]
        })
    }
}

/// Environment variables: names to strings (numbers and booleans allowed).
pub struct EnvTable;

impl JsonSchema for EnvTable {
    fn schema_name() -> Cow<'static, str> {
        "Env".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Variables: NAME = \"value\". Placeholders such as {state.data} are filled in at run time.",
            "type": "object",
            "propertyNames": { "pattern": "^[A-Za-z_][A-Za-z0-9_]*$" },
            "additionalProperties": { "type": ["string", "integer", "number", "boolean"] }
        })
    }
}

/// A table of `T` definitions nested to any depth: `[suite.api.health]`
/// is a definition under the namespace `api`.
pub struct Node<T>(PhantomData<T>);

impl<T: JsonSchema> JsonSchema for Node<T> {
    fn schema_name() -> Cow<'static, str> {
        format!("{}Node", T::schema_name()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let definition = generator.subschema_for::<T>();
        let node = generator.subschema_for::<Self>();
        json_schema!({
            "description": "A definition, or a namespace of further definitions (the next id segment).",
            "anyOf": [
                definition,
                { "type": "object", "additionalProperties": node }
            ]
        })
    }
}

/// `[lab]`: registry-wide settings.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct Lab {
    /// The workspace, relative to this file's directory: "../.." for a registry kept in tools/lab/. Default: this file's directory.
    workspace: Option<String>,
    /// Prefix of every variable lab reads or sets. Default "LAB".
    env_prefix: Option<String>,
    /// Where run directories go, relative to the workspace. Default "target/lab/runs".
    run_root: Option<String>,
    /// Where cache entries go, relative to the workspace (docs/running.md#caching). Default: "cache" beside run_root.
    cache_dir: Option<String>,
    /// What --changed diffs against: a jj revset or a git ref. Default "main".
    base: Option<String>,
    /// Globs of extra definition files. Default profiles/*.toml, fixtures/*.toml, runners/*.toml.
    include: Option<Vec<String>>,
    /// Paths whose change selects every suite.
    global_paths: Option<Vec<String>>,
    /// Default parallelism of verify.
    #[schemars(range(min = 1))]
    jobs: Option<u32>,
    /// Per-suite timeout when a suite names none. Default "10m".
    default_timeout: Option<DurationValue>,
    /// Cap for each captured stream. Default "64MiB".
    max_log_bytes: Option<SizeValue>,
    /// What `lab runs prune` keeps by default. Default 50.
    #[schemars(range(min = 1))]
    keep_runs: Option<u32>,
    /// Files one suite may collect as artifacts. Default 10000.
    #[schemars(range(min = 1))]
    max_artifact_files: Option<u32>,
    /// Bytes one suite may collect as artifacts. Default "1GiB".
    max_artifact_bytes: Option<SizeValue>,
    /// `lab verify` with an empty selection exits 1 instead of 0. Default false.
    require_selection: Option<bool>,
}

/// `[suite.*]`: why and how a behaviour is verified.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Suite")]
#[allow(dead_code)]
pub struct Suite {
    /// One line for humans.
    description: Option<String>,
    /// Run with `sh -c` in cwd; required unless a runner supplies a command template.
    command: Option<String>,
    /// Substituted for {args} in a runner's command template.
    args: Option<String>,
    /// Working directory relative to the workspace. Default ".".
    cwd: Option<String>,
    /// unit, integration, e2e, smoke, policy, profile, …
    level: Option<String>,
    /// What is verified: daemon, web, desktop, linux, …
    targets: Option<Vec<String>>,
    /// Where it may run: linux, macos, windows. Empty = anywhere; elsewhere the suite is skipped.
    platforms: Option<Vec<String>>,
    /// low < medium < high.
    risk: Option<RiskName>,
    /// Free labels, e.g. lab-smoke, fast.
    tags: Option<Vec<String>>,
    /// Files whose change selects this suite: "dir/" (everything under it), globs ("src/**/*.rs"), or exact files / directory prefixes.
    paths: Option<Vec<String>>,
    /// The profile id (isolated environment).
    profile: Option<String>,
    /// A fixture id (deterministic state to seed).
    fixture: Option<String>,
    /// Fixture ids.
    fixtures: Option<Vec<String>>,
    /// Runner ids: the native tools it invokes.
    runners: Option<Vec<String>>,
    /// Service ids: processes started and waited for before the command.
    services: Option<Vec<String>>,
    /// Suites that must pass first; otherwise this one is blocked (78).
    needs: Option<Vec<String>>,
    /// Host capabilities: cmd:<program>, env:<VAR>, docker, display, root, netns, os:<name>. Unmet → blocked (78).
    requires: Option<Vec<String>>,
    /// Extra variables.
    env: Option<EnvTable>,
    /// Kill the process group after this long.
    timeout: Option<DurationValue>,
    /// The timeout as an integer of seconds.
    #[schemars(range(min = 1))]
    timeout_seconds: Option<u64>,
    /// Re-run a failing suite up to N times; a pass after a failure is flaky.
    retries: Option<u32>,
    /// Job slots it occupies under --jobs. Default 1.
    #[schemars(range(min = 1))]
    weight: Option<u32>,
    /// Runs alone, with no other suite at the same time.
    exclusive: Option<bool>,
    /// Declared artifact or log ids to collect.
    artifacts: Option<Vec<String>>,
    /// Skip the suite when its cache key matches a passed run (docs/running.md#caching). Default: the profile's, else false.
    cache: Option<bool>,
    /// Path patterns whose content enters the cache key. Default: paths.
    inputs: Option<Vec<String>>,
    /// Runs, but its failure does not gate until `until` (included); `lab check` warns 7 days before and errors after.
    quarantine: Option<QuarantineTable>,
}

/// A suite's `quarantine`.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Quarantine")]
#[allow(dead_code)]
pub struct QuarantineTable {
    /// Why the suite is out of the gate.
    reason: Option<String>,
    /// The issue tracking the fix: a URL or an id.
    issue: Option<String>,
    /// The last day the quarantine holds: "YYYY-MM-DD".
    #[schemars(regex(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    until: String,
}

/// A risk level.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum RiskName {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

/// `[profile.*]`: execution environment and policy.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Profile")]
#[allow(dead_code)]
pub struct Profile {
    /// One line for humans.
    description: Option<String>,
    /// Another profile id; tables merge, the child wins.
    extends: Option<String>,
    /// Variables for every suite using the profile.
    env: Option<EnvTable>,
    /// true: start from an empty environment plus pass_env.
    env_clear: Option<bool>,
    /// Variables kept when env_clear.
    pass_env: Option<Vec<String>>,
    /// Host variables passed through as secrets and redacted everywhere.
    secrets: Option<Vec<String>>,
    /// "inherit" or "loopback" (a new network namespace with only lo).
    network: Option<NetworkName>,
    /// "inherit" or "virtual" (xvfb-run -a).
    display: Option<DisplayName>,
    /// When state.config and state.data are deleted: on-success, always, never.
    cleanup: Option<CleanupName>,
    /// Services started for every suite using the profile.
    services: Option<Vec<String>>,
    /// cache for every suite using the profile (a suite's own cache wins). Default: the parent's.
    cache: Option<bool>,
    /// Path patterns added to the cache inputs of every suite using the profile.
    inputs: Option<Vec<String>>,
    /// true: a fixed, minimal environment (PATH, HOME, TZ=UTC, LANG/LC_ALL=C.UTF-8, TMPDIR, lab's variables, env), umask 022, SOURCE_DATE_EPOCH.
    hermetic: Option<bool>,
}

/// Network policy.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum NetworkName {
    /// Lab's own network.
    Inherit,
    /// Only loopback.
    Loopback,
}

/// Display policy.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum DisplayName {
    /// Lab's own display.
    Inherit,
    /// A virtual X display.
    Virtual,
}

/// Cleanup policy.
#[derive(JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
pub enum CleanupName {
    /// After a pass.
    OnSuccess,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// One copy of a fixture.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct Copy {
    /// A file or tree in the workspace.
    from: String,
    /// config, data or secrets, optionally with a sub-path ("data/mail").
    to: String,
}

/// `[fixture.*]`: explicit, deterministic state.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Fixture")]
#[allow(dead_code)]
pub struct Fixture {
    /// One line for humans.
    description: Option<String>,
    /// Files or trees copied into the suite's state roots.
    copy: Option<Vec<Copy>>,
    /// Command run in the suite directory after the copies; non-zero → blocked.
    setup: Option<String>,
    /// Run setup after the services are ready.
    after_services: Option<bool>,
    /// Command run after the suite whatever its result.
    teardown: Option<String>,
    /// Variables added for suites using the fixture.
    env: Option<EnvTable>,
}

/// `[runner.*]`: a native tool.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Runner")]
#[allow(dead_code)]
pub struct Runner {
    /// One line for humans.
    description: Option<String>,
    /// Executable that must be on PATH; missing → blocked.
    program: Option<String>,
    /// Command whose first output line is recorded as the tool version.
    version: Option<String>,
    /// Command that exits 0 when the tool can run ("python3 -m pytest --version"); run once per run, its failure blocks every suite using the runner.
    probe: Option<String>,
    /// Variables for suites using this runner.
    env: Option<EnvTable>,
    /// Command template used when a suite has no command; {args} is the suite's args.
    command: Option<String>,
    /// JUnit XML path or glob the tool writes, relative to the suite's cwd; "{junit}" for the suite's own report path.
    junit: Option<String>,
    /// Targets `lab launch` can start.
    targets: Option<Vec<String>>,
    /// Command that starts the app interactively.
    launch: Option<String>,
}

/// A readiness probe: exactly one of http, tcp, log, file, command.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct Ready {
    /// URL polled until it answers `status`.
    http: Option<String>,
    /// Expected HTTP status. Default 200.
    status: Option<u16>,
    /// host:port to connect to.
    tcp: Option<String>,
    /// Regex over the service's output.
    log: Option<String>,
    /// File that must exist.
    file: Option<String>,
    /// Command that must exit 0.
    command: Option<String>,
}

/// `[service.*]`: a process a suite needs running.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Service")]
#[allow(dead_code)]
pub struct Service {
    /// One line for humans.
    description: Option<String>,
    /// Started in its own process group before the suite's command.
    command: String,
    /// true: a free loopback port, offered as {port} and <PREFIX>_PORT_<NAME>.
    port: Option<bool>,
    /// Readiness probe.
    ready: Option<Ready>,
    /// How long to wait for readiness. Default "60s".
    ready_timeout: Option<DurationValue>,
    /// Grace between TERM and KILL. Default "5s".
    stop_timeout: Option<DurationValue>,
    /// Variables for the service.
    env: Option<EnvTable>,
}

/// What an artifact holds.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ArtifactKindName {
    /// JUnit XML.
    Junit,
    /// A log.
    Log,
    /// An image.
    Screenshot,
    /// A trace.
    Trace,
    /// A video.
    Video,
    /// A file.
    File,
    /// A directory.
    Dir,
}

/// `[artifact.*]` and `[log.*]`: declared evidence.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Artifact")]
#[allow(dead_code)]
pub struct Artifact {
    /// One line for humans.
    description: Option<String>,
    /// Path relative to the suite's cwd; placeholders allowed.
    path: String,
    /// What it holds. Default "file" ("log" for log.*).
    kind: Option<ArtifactKindName>,
    /// Missing → the suite fails.
    required: Option<bool>,
    /// `path` is a fixed absolute path outside the workspace, allowed on purpose.
    outside: Option<bool>,
}

/// What an escalation selects.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct EscalateSelect {
    /// Every suite.
    all: Option<bool>,
    /// Suite ids.
    suites: Option<Vec<String>>,
    /// Tags.
    tags: Option<Vec<String>>,
    /// Targets.
    targets: Option<Vec<String>>,
    /// Levels.
    levels: Option<Vec<String>>,
}

/// `[escalate.*]`: selection across behavioural boundaries.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Escalate")]
#[allow(dead_code)]
pub struct Escalate {
    /// One line for humans.
    description: Option<String>,
    /// Changed paths that fire the rule.
    when: Vec<String>,
    /// What it adds to the selection.
    select: EscalateSelect,
    /// Why, shown in the rationale.
    reason: Option<String>,
}

/// A registry file: suites.toml or an included file.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "lab registry")]
#[allow(dead_code)]
pub struct RegistryFile {
    /// Registry-wide settings (suites.toml only).
    lab: Option<Lab>,
    /// Suites: why and how a behaviour is verified.
    suite: Option<BTreeMap<String, Node<Suite>>>,
    /// Profiles: execution environment and policy.
    profile: Option<BTreeMap<String, Node<Profile>>>,
    /// Fixtures: explicit, deterministic state.
    fixture: Option<BTreeMap<String, Node<Fixture>>>,
    /// Runners: native tools.
    runner: Option<BTreeMap<String, Node<Runner>>>,
    /// Services: processes a suite needs running.
    service: Option<BTreeMap<String, Node<Service>>>,
    /// Artifacts: declared evidence.
    artifact: Option<BTreeMap<String, Node<Artifact>>>,
    /// Logs: declared evidence of kind log.
    log: Option<BTreeMap<String, Node<Artifact>>>,
    /// Escalation rules.
    escalate: Option<BTreeMap<String, Node<Escalate>>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::model::{Kind, LAB_FIELDS};

    fn keys<T: JsonSchema>() -> Vec<String> {
        let schema = schemars::schema_for!(T);
        let mut keys: Vec<String> = schema
            .get("properties")
            .and_then(|p| p.as_object())
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        keys
    }

    fn sorted(fields: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    /// The schema editors see and the keys the loader accepts are one list.
    #[test]
    fn schema_keys_equal_loader_keys() {
        assert_eq!(keys::<Lab>(), sorted(LAB_FIELDS));
        assert_eq!(keys::<Suite>(), sorted(Kind::Suite.fields()));
        assert_eq!(keys::<Profile>(), sorted(Kind::Profile.fields()));
        assert_eq!(keys::<Fixture>(), sorted(Kind::Fixture.fields()));
        assert_eq!(keys::<Runner>(), sorted(Kind::Runner.fields()));
        assert_eq!(keys::<Service>(), sorted(Kind::Service.fields()));
        assert_eq!(keys::<Artifact>(), sorted(Kind::Artifact.fields()));
        assert_eq!(keys::<Artifact>(), sorted(Kind::Log.fields()));
        assert_eq!(keys::<Escalate>(), sorted(Kind::Escalate.fields()));
        let mut kinds: Vec<String> = Kind::ALL.iter().map(|k| k.name().to_string()).collect();
        kinds.push("lab".into());
        kinds.sort();
        assert_eq!(keys::<RegistryFile>(), kinds);
    }
}
