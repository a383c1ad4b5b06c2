//! The checked registry: every definition typed, every id canonical and
//! resolved, every duration and size parsed. Nothing past `registry::load`
//! sees the TOML.
//!
//! Loading lives in `load.rs`; cross-definition checks in `check.rs`.

use std::collections::BTreeMap;
use std::time::Duration;

use camino::Utf8PathBuf;

use super::source::{Location, Sources, Span};

/// The kinds of definition, i.e. the first segment of every canonical id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// `suite.*`: why and how a behaviour is verified.
    Suite,
    /// `profile.*`: execution environment and policy.
    Profile,
    /// `fixture.*`: deterministic state.
    Fixture,
    /// `runner.*`: a native tool.
    Runner,
    /// `service.*`: a process a suite needs running.
    Service,
    /// `artifact.*`: declared evidence.
    Artifact,
    /// `log.*`: declared evidence of kind `log`.
    Log,
    /// `escalate.*`: selection across behavioural boundaries.
    Escalate,
}

impl Kind {
    /// Every kind, in the order the registry documents them.
    pub const ALL: [Kind; 8] = [
        Kind::Suite,
        Kind::Profile,
        Kind::Fixture,
        Kind::Runner,
        Kind::Service,
        Kind::Artifact,
        Kind::Log,
        Kind::Escalate,
    ];

    /// The id prefix, e.g. `suite`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Suite => "suite",
            Kind::Profile => "profile",
            Kind::Fixture => "fixture",
            Kind::Runner => "runner",
            Kind::Service => "service",
            Kind::Artifact => "artifact",
            Kind::Log => "log",
            Kind::Escalate => "escalate",
        }
    }

    /// The kind named `name`.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The keys a definition of this kind may hold.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Kind::Suite => &[
                "description",
                "command",
                "args",
                "cwd",
                "level",
                "targets",
                "platforms",
                "risk",
                "tags",
                "paths",
                "profile",
                "fixture",
                "fixtures",
                "runners",
                "services",
                "needs",
                "requires",
                "env",
                "timeout",
                "timeout_seconds",
                "retries",
                "weight",
                "exclusive",
                "artifacts",
                "cache",
                "inputs",
                "quarantine",
            ],
            Kind::Profile => &[
                "description",
                "extends",
                "env",
                "env_clear",
                "pass_env",
                "secrets",
                "network",
                "display",
                "cleanup",
                "services",
                "cache",
                "inputs",
                "hermetic",
            ],
            Kind::Fixture => &[
                "description",
                "copy",
                "setup",
                "after_services",
                "teardown",
                "env",
            ],
            Kind::Runner => &[
                "description",
                "program",
                "version",
                "probe",
                "env",
                "command",
                "junit",
                "targets",
                "launch",
            ],
            Kind::Service => &[
                "description",
                "command",
                "port",
                "ready",
                "ready_timeout",
                "stop_timeout",
                "env",
            ],
            Kind::Artifact | Kind::Log => &["description", "path", "kind", "required", "outside"],
            Kind::Escalate => &["description", "when", "select", "reason"],
        }
    }
}

impl Kind {
    /// The fields of this kind whose values are tables (`env`, `ready`, …):
    /// a sub-table with one of these names is a field, any other sub-table
    /// is a further id segment.
    pub fn table_fields(self) -> &'static [&'static str] {
        match self {
            Kind::Service => &["env", "ready"],
            Kind::Escalate => &["select"],
            Kind::Artifact | Kind::Log => &[],
            _ => &["env"],
        }
    }
}

/// Keys of the `[lab]` table.
pub const LAB_FIELDS: &[&str] = &[
    "workspace",
    "env_prefix",
    "run_root",
    "cache_dir",
    "base",
    "include",
    "global_paths",
    "jobs",
    "default_timeout",
    "max_log_bytes",
    "keep_runs",
    "max_artifact_files",
    "max_artifact_bytes",
    "require_selection",
];

/// Registry-wide settings from `[lab]`, defaults filled in.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `workspace` as written, relative to the registry file's directory;
    /// `None`: that directory is the workspace.
    pub workspace: Option<WorkspaceSetting>,
    /// Prefix of every variable lab reads or sets.
    pub env_prefix: String,
    /// Where run directories go, relative to the workspace.
    pub run_root: Utf8PathBuf,
    /// Where cache entries go, relative to the workspace; `None` =
    /// `<run_root>/../cache` ([`Settings::cache_dir`]).
    pub cache_dir: Option<Utf8PathBuf>,
    /// What `--changed` diffs against.
    pub base: String,
    /// Globs of extra definition files.
    pub include: Vec<String>,
    /// `include` was written; the default is taken from the registry
    /// file's directory, which may lie below the workspace.
    pub include_written: bool,
    /// Paths whose change selects every suite.
    pub global_paths: Vec<PathPattern>,
    /// Default parallelism of `verify`.
    pub jobs: u32,
    /// Per-suite timeout when a suite names none.
    pub default_timeout: Duration,
    /// Cap for each captured stream.
    pub max_log_bytes: u64,
    /// What `lab runs prune` keeps by default.
    pub keep_runs: u32,
    /// Files one suite may collect as artifacts.
    pub max_artifact_files: u64,
    /// Bytes one suite may collect as artifacts.
    pub max_artifact_bytes: u64,
    /// `verify` with an empty selection fails.
    pub require_selection: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            workspace: None,
            env_prefix: "LAB".into(),
            run_root: "target/lab/runs".into(),
            cache_dir: None,
            base: "main".into(),
            include: vec![
                "profiles/*.toml".into(),
                "fixtures/*.toml".into(),
                "runners/*.toml".into(),
            ],
            include_written: false,
            global_paths: Vec::new(),
            jobs: 1,
            default_timeout: Duration::from_secs(600),
            max_log_bytes: 64 << 20,
            keep_runs: 50,
            max_artifact_files: 10_000,
            max_artifact_bytes: 1 << 30,
            require_selection: false,
        }
    }
}

impl Settings {
    /// The cache directory, relative to the workspace: `cache_dir`, else
    /// the `cache` directory beside the run root.
    pub fn cache_dir(&self) -> Utf8PathBuf {
        match &self.cache_dir {
            Some(dir) => dir.clone(),
            None => match self.run_root.parent() {
                Some(parent) if !parent.as_str().is_empty() => parent.join("cache"),
                _ => "cache".into(),
            },
        }
    }
}

/// `[lab] workspace`: the directory the registry's paths are relative to.
#[derive(Debug, Clone)]
pub struct WorkspaceSetting {
    /// As written: relative to the registry file's directory (`"../.."`).
    pub path: Utf8PathBuf,
    /// Where it was written.
    pub span: Span,
}

/// How a suite's risk ranks; `--risk X` selects X and above.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Risk {
    /// Low risk.
    Low,
    /// Medium risk.
    Medium,
    /// High risk.
    High,
}

impl Risk {
    /// Every risk, lowest first.
    pub const ALL: [Risk; 3] = [Risk::Low, Risk::Medium, Risk::High];

    /// The name as written in the registry.
    pub fn name(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
        }
    }
}

/// A path pattern as written, with its place (docs/selection.md).
#[derive(Debug, Clone)]
pub struct PathPattern {
    /// The normalized pattern (no leading `./`).
    pub text: String,
    /// Where it was written.
    pub span: Span,
}

impl PathPattern {
    /// `true` when the pattern holds glob syntax.
    pub fn is_glob(&self) -> bool {
        self.text.contains(['*', '?', '[', '{'])
    }
}

/// A host capability a suite requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// `cmd:<program>`: the program is on PATH.
    Command(String),
    /// `env:<VAR>`: the variable is set.
    Env(String),
    /// `docker`: a Docker daemon answers.
    Docker,
    /// `display`: an X or Wayland display, or a virtual one.
    Display,
    /// `root`: lab runs as root.
    Root,
    /// `netns`: a network namespace can be created.
    Netns,
    /// `os:<name>`: the host operating system.
    Os(String),
}

impl std::fmt::Display for Requirement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Requirement::Command(p) => write!(f, "cmd:{p}"),
            Requirement::Env(v) => write!(f, "env:{v}"),
            Requirement::Docker => f.write_str("docker"),
            Requirement::Display => f.write_str("display"),
            Requirement::Root => f.write_str("root"),
            Requirement::Netns => f.write_str("netns"),
            Requirement::Os(o) => write!(f, "os:{o}"),
        }
    }
}

/// A reference to another definition, canonical once loading succeeded.
#[derive(Debug, Clone)]
pub struct Ref {
    /// The canonical id, e.g. `profile.dev`.
    pub id: String,
    /// Where the reference was written.
    pub span: Span,
}

/// Environment variables in definition order, values as strings.
pub type Env = BTreeMap<String, String>;

/// `[suite.*]`.
#[derive(Debug, Clone)]
pub struct Suite {
    /// Canonical id.
    pub id: String,
    /// Where the definition starts.
    pub span: Span,
    /// One line for humans.
    pub description: Option<String>,
    /// Run with `sh -c`; `None` when a runner supplies it.
    pub command: Option<String>,
    /// Substituted for `{args}`.
    pub args: Option<String>,
    /// Relative to the workspace.
    pub cwd: Utf8PathBuf,
    /// `unit`, `integration`, …
    pub level: Option<String>,
    /// What is verified.
    pub targets: Vec<String>,
    /// Where it may run; empty = anywhere.
    pub platforms: Vec<String>,
    /// How risky the verified behaviour is.
    pub risk: Option<Risk>,
    /// Free labels.
    pub tags: Vec<String>,
    /// Files whose change selects this suite.
    pub paths: Vec<PathPattern>,
    /// Isolated environment.
    pub profile: Option<Ref>,
    /// State to seed, `fixture` first then `fixtures`.
    pub fixtures: Vec<Ref>,
    /// Native tools it invokes.
    pub runners: Vec<Ref>,
    /// Processes to start first.
    pub services: Vec<Ref>,
    /// Suites that must pass first.
    pub needs: Vec<Ref>,
    /// Host capabilities.
    pub requires: Vec<Requirement>,
    /// Extra variables.
    pub env: Env,
    /// Own timeout; `None` means `[lab].default_timeout`.
    pub timeout: Option<Duration>,
    /// Re-runs of a failing suite.
    pub retries: u32,
    /// Job slots it occupies.
    pub weight: u32,
    /// Runs alone.
    pub exclusive: bool,
    /// Declared artifacts to collect.
    pub artifacts: Vec<Ref>,
    /// `cache`: `None` = the profile chain's choice (docs/running.md#caching).
    pub cache: Option<bool>,
    /// `inputs`: what the cache key hashes; `None` = the suite's `paths`.
    pub inputs: Option<Vec<PathPattern>>,
    /// Kept out of the gate until a date (docs/registry.md#quarantine).
    pub quarantine: Option<Quarantine>,
}

/// A suite's `quarantine`: it still runs, but its failure does not gate
/// until `until` (included) has passed.
#[derive(Debug, Clone)]
pub struct Quarantine {
    /// Why, for humans.
    pub reason: Option<String>,
    /// The issue tracking the fix: a URL or an id.
    pub issue: Option<String>,
    /// The last day the quarantine holds.
    pub until: jiff::civil::Date,
    /// Where `until` was written.
    pub span: Span,
}

/// Network policy of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Network {
    /// Lab's own network.
    #[default]
    Inherit,
    /// A new network namespace with only loopback up.
    Loopback,
}

/// Display policy of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Display {
    /// Lab's own display, if any.
    #[default]
    Inherit,
    /// A virtual X display (`xvfb-run -a`).
    Virtual,
}

/// When a suite's `tmp/` and `state.*` roots are deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cleanup {
    /// After a passing suite.
    #[default]
    OnSuccess,
    /// Whatever the result.
    Always,
    /// Never.
    Never,
}

/// `[profile.*]`.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Canonical id.
    pub id: String,
    /// Where the definition starts.
    pub span: Span,
    /// One line for humans.
    pub description: Option<String>,
    /// The parent profile.
    pub extends: Option<Ref>,
    /// Variables for every suite using the profile.
    pub env: Env,
    /// Start from an empty environment (`None` = inherit the parent's choice).
    pub env_clear: Option<bool>,
    /// Variables kept when `env_clear`.
    pub pass_env: Vec<String>,
    /// Host variables passed through as secrets.
    pub secrets: Vec<String>,
    /// Network policy (`None` = the parent's).
    pub network: Option<Network>,
    /// Display policy (`None` = the parent's).
    pub display: Option<Display>,
    /// Cleanup policy (`None` = the parent's).
    pub cleanup: Option<Cleanup>,
    /// Services started for every suite using the profile.
    pub services: Vec<Ref>,
    /// `cache` for suites using the profile (`None` = the parent's).
    pub cache: Option<bool>,
    /// Inputs added to the cache key of every suite using the profile.
    pub inputs: Vec<PathPattern>,
    /// A fixed, minimal environment (`None` = the parent's choice).
    pub hermetic: Option<bool>,
}

/// One `copy` entry of a fixture.
#[derive(Debug, Clone)]
pub struct FixtureCopy {
    /// Workspace-relative source file or tree.
    pub from: String,
    /// `config`, `data` or `secrets`, optionally with a sub-path.
    pub to: String,
}

/// `[fixture.*]`.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// Canonical id.
    pub id: String,
    /// Where the definition starts.
    pub span: Span,
    /// One line for humans.
    pub description: Option<String>,
    /// Files to copy into the suite's state roots.
    pub copy: Vec<FixtureCopy>,
    /// Where each `copy.from` was written, parallel to `copy`.
    pub copy_spans: Vec<Span>,
    /// Command run after the copies.
    pub setup: Option<String>,
    /// Run `setup` once services are ready.
    pub after_services: bool,
    /// Command run after the suite.
    pub teardown: Option<String>,
    /// Variables added for suites using the fixture.
    pub env: Env,
}

/// `[runner.*]`.
#[derive(Debug, Clone)]
pub struct Runner {
    /// Canonical id.
    pub id: String,
    /// Where the definition starts.
    pub span: Span,
    /// One line for humans.
    pub description: Option<String>,
    /// Executable that must be on PATH.
    pub program: Option<String>,
    /// Command printing the tool's version.
    pub version: Option<String>,
    /// Command that exits 0 when the tool can run; run once per run before
    /// any suite using the runner starts, its failure blocks them.
    pub probe: Option<String>,
    /// Variables for suites using this runner.
    pub env: Env,
    /// Command template used when a suite has none.
    pub command: Option<String>,
    /// JUnit XML path or glob the tool writes.
    pub junit: Option<String>,
    /// Targets `lab launch` can start with this runner.
    pub targets: Vec<String>,
    /// Command that starts the app interactively.
    pub launch: Option<String>,
}

/// How to tell that a service is ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// An HTTP GET answering `status`.
    Http {
        /// The URL, placeholders allowed.
        url: String,
        /// Expected status code.
        status: u16,
    },
    /// A TCP connect succeeding.
    Tcp {
        /// `host:port`, placeholders allowed.
        address: String,
    },
    /// A regex matching a line of the service's output.
    Log {
        /// The regex.
        pattern: String,
    },
    /// A file existing.
    File {
        /// The path, placeholders allowed.
        path: String,
    },
    /// A command exiting 0.
    Command {
        /// The command, run with `sh -c`.
        command: String,
    },
}

/// `[service.*]`.
#[derive(Debug, Clone)]
pub struct Service {
    /// Canonical id.
    pub id: String,
    /// Where the definition starts.
    pub span: Span,
    /// One line for humans.
    pub description: Option<String>,
    /// The service's command.
    pub command: String,
    /// Allocate a free loopback port.
    pub port: bool,
    /// Readiness probe; `None` means ready once started.
    pub ready: Option<Probe>,
    /// How long to wait for readiness.
    pub ready_timeout: Duration,
    /// Grace between TERM and KILL.
    pub stop_timeout: Duration,
    /// Variables for the service.
    pub env: Env,
}

/// What an artifact holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactKind {
    /// JUnit XML.
    Junit,
    /// A log file.
    Log,
    /// An image.
    Screenshot,
    /// A trace.
    Trace,
    /// A video.
    Video,
    /// Any file.
    File,
    /// A directory tree.
    Dir,
}

impl ArtifactKind {
    /// Every kind with its registry spelling.
    pub const NAMES: [(&'static str, ArtifactKind); 7] = [
        ("junit", ArtifactKind::Junit),
        ("log", ArtifactKind::Log),
        ("screenshot", ArtifactKind::Screenshot),
        ("trace", ArtifactKind::Trace),
        ("video", ArtifactKind::Video),
        ("file", ArtifactKind::File),
        ("dir", ArtifactKind::Dir),
    ];
}

/// `[artifact.*]` and `[log.*]`.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// Canonical id.
    pub id: String,
    /// Where the definition starts.
    pub span: Span,
    /// One line for humans.
    pub description: Option<String>,
    /// Path relative to the suite's cwd, placeholders allowed.
    pub path: String,
    /// What it holds.
    pub kind: ArtifactKind,
    /// Missing → the suite fails.
    pub required: bool,
    /// `path` is a fixed absolute path outside the workspace (a service's
    /// log, say), allowed on purpose.
    pub outside: bool,
}

/// What an escalation rule adds.
#[derive(Debug, Clone, Default)]
pub struct EscalateSelect {
    /// Every suite.
    pub all: bool,
    /// Suites by canonical id.
    pub suites: Vec<Ref>,
    /// Suites with any of these tags.
    pub tags: Vec<String>,
    /// Suites verifying any of these targets.
    pub targets: Vec<String>,
    /// Suites at any of these levels.
    pub levels: Vec<String>,
}

/// `[escalate.*]`.
#[derive(Debug, Clone)]
pub struct Escalate {
    /// Canonical id.
    pub id: String,
    /// Where the definition starts.
    pub span: Span,
    /// One line for humans.
    pub description: Option<String>,
    /// Changed paths that trigger the rule.
    pub when: Vec<PathPattern>,
    /// What the rule adds.
    pub select: EscalateSelect,
    /// Why, shown in the rationale.
    pub reason: Option<String>,
}

/// A loaded, checked registry.
#[derive(Debug)]
pub struct Registry {
    /// Absolute path of the workspace (the directory of `suites.toml`).
    pub workspace: Utf8PathBuf,
    /// Workspace-relative path of the root registry file.
    pub root_file: Utf8PathBuf,
    /// Every loaded file, `suites.toml` first.
    pub sources: Sources,
    /// `[lab]`.
    pub settings: Settings,
    /// Suites by canonical id.
    pub suites: BTreeMap<String, Suite>,
    /// Profiles by canonical id.
    pub profiles: BTreeMap<String, Profile>,
    /// Fixtures by canonical id.
    pub fixtures: BTreeMap<String, Fixture>,
    /// Runners by canonical id.
    pub runners: BTreeMap<String, Runner>,
    /// Services by canonical id.
    pub services: BTreeMap<String, Service>,
    /// Artifacts and logs by canonical id.
    pub artifacts: BTreeMap<String, Artifact>,
    /// Escalation rules by canonical id.
    pub escalations: BTreeMap<String, Escalate>,
}

impl Registry {
    /// The workspace-relative path of the root registry file.
    pub fn registry_file(&self) -> &camino::Utf8Path {
        &self.root_file
    }

    /// Resolves a span to `file:line:col`.
    pub fn location(&self, span: Span) -> Location {
        self.sources.location(span)
    }

    /// The profile chain of `profile`, child first (`extends` followed).
    pub fn profile_chain(&self, profile: &str) -> Vec<&Profile> {
        let mut chain: Vec<&Profile> = Vec::new();
        let mut next = self.profiles.get(profile);
        while let Some(p) = next {
            if chain.iter().any(|seen| seen.id == p.id) {
                break; // a cycle; `check` reports it
            }
            chain.push(p);
            next = p.extends.as_ref().and_then(|r| self.profiles.get(&r.id));
        }
        chain
    }
}
