//! Command-line types (clap derive) and nothing else: turning them into
//! work is `commands/`'s job.

use camino::Utf8PathBuf;
use clap::{Args, Parser, Subcommand};

use crate::registry::model::Risk;

/// lab: run the verification suites a repository declares, and say why.
#[derive(Debug, Parser)]
#[command(name = "lab", version, about, max_term_width = 100)]
pub struct Cli {
    /// The registry file (default: the nearest suites.toml from the current directory up).
    #[arg(long, global = true, env = "LAB_REGISTRY", value_name = "PATH")]
    pub registry: Option<Utf8PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// lab's subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the registry: every problem with file:line:col; exit 2 if any error.
    Check(CheckArgs),
    /// Run the selected suites in a disposable run directory.
    Verify(VerifyArgs),
    /// Start an app interactively in a disposable run directory.
    Launch(LaunchArgs),
    /// Work with run directories.
    #[command(subcommand)]
    Runs(RunsCommand),
    /// Report a run as HTML, JUnit, markdown or GitHub annotations.
    Report(ReportArgs),
    /// List or inspect suites.
    #[command(subcommand)]
    Suite(SuiteCommand),
    /// Print, write or verify the JSON Schemas of lab's documents.
    Schema(SchemaArgs),
    /// Scaffold suites.toml, profiles/, runners/ and schemas/ for this repository.
    Init,
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// One readiness probe, run by lab inside a suite's network namespace.
    #[command(name = "__probe", hide = true)]
    Probe(ProbeArgs),
    /// Kills a run's processes should lab die without saying `done`.
    #[command(name = "__watchdog", hide = true)]
    Watchdog(WatchdogArgs),
}

/// `lab __watchdog NAME=value`: the environment entry that tags the run.
#[derive(Debug, Args)]
pub struct WatchdogArgs {
    /// `<PREFIX>_RUN_ID=<run id>`.
    pub tag: String,
}

/// `lab __probe tcp ADDR` / `lab __probe http URL STATUS`: exit 0 when ready.
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// `tcp` or `http`.
    pub kind: String,
    /// The address or URL.
    pub target: String,
    /// The expected HTTP status.
    pub status: Option<u16>,
}

/// `lab check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Print the diagnostics as one JSON document on stdout.
    #[arg(long)]
    pub json: bool,
    /// Write a commented stub for every profile, fixture, runner and
    /// artifact the registry names but never defines, then check again.
    /// Never overwrites a file.
    #[arg(long)]
    pub write_stubs: bool,
}

/// `lab suite …`.
#[derive(Debug, Subcommand)]
pub enum SuiteCommand {
    /// List the suites a selection picks, with the reasons.
    List(SuiteListArgs),
    /// Show one suite fully resolved: profile, fixtures, runners, services, env.
    Show(SuiteShowArgs),
}

/// Selectors shared by `suite list` and `verify`. Repeating a flag ORs its
/// values; different flags AND.
#[derive(Debug, Args, Default, Clone)]
pub struct SelectArgs {
    /// Suite ids or id globs (`suite.api.*`; the `suite.` prefix may be left out).
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// Suites with this tag.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Suites verifying this target.
    #[arg(long = "target", value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Suites at this level (unit, integration, e2e, …).
    #[arg(long = "level", value_name = "LEVEL")]
    pub levels: Vec<String>,
    /// Suites that may run on this platform (a suite with no platforms runs anywhere).
    #[arg(long = "platform", value_name = "OS")]
    pub platforms: Vec<String>,
    /// Suites of at least this risk (an undeclared risk counts as low).
    #[arg(long, value_enum, value_name = "RISK")]
    pub risk: Option<Risk>,
    /// Leave out suites with this tag (the needs of selected suites stay).
    #[arg(long = "exclude-tag", value_name = "TAG")]
    pub exclude_tags: Vec<String>,
    /// Every suite.
    #[arg(long)]
    pub all: bool,
    /// Suites that the changed files could break (git or jj, or --changed-paths).
    #[arg(long)]
    pub changed: bool,
    /// Read the changed paths from FILE (`-` = stdin) instead of git or jj.
    #[arg(long, value_name = "FILE", requires = "changed")]
    pub changed_paths: Option<Utf8PathBuf>,
    /// The --changed-paths list is NUL-separated, as `git diff -z` writes names.
    #[arg(short = 'z', long = "null", requires = "changed_paths")]
    pub null: bool,
    /// What --changed diffs against (default: [lab].base, then origin/<base>, master).
    #[arg(long, value_name = "REV", requires = "changed")]
    pub base: Option<String>,
    /// Keep only the K-th of N deterministic shards (needs stay together).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<crate::select::shard::Shard>,
}

/// `lab suite list`.
#[derive(Debug, Args)]
pub struct SuiteListArgs {
    /// Which suites (none: every suite).
    #[command(flatten)]
    pub select: SelectArgs,
    /// Print one JSON document on stdout (schemas/suite-list.schema.json).
    #[arg(long)]
    pub json: bool,
    /// Also list the suites not selected, and why.
    #[arg(long)]
    pub explain: bool,
    /// Split the selection into N shards and print them as a CI matrix.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), conflicts_with = "shard")]
    pub shards: Option<u32>,
}

/// `lab verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Which suites (required: ids, --tag, --target, --level, --platform, --risk or --all).
    #[command(flatten)]
    pub select: SelectArgs,
    /// Print summary.json on stdout (schemas/summary.schema.json).
    #[arg(long)]
    pub json: bool,
    /// Copy every suite's output to stderr, each line prefixed with the suite id.
    #[arg(long)]
    pub stream: bool,
    /// Start no new suite after the first failure; the rest are blocked.
    #[arg(long)]
    pub fail_fast: bool,
    /// Re-run a failing suite up to N times (overrides each suite's `retries`).
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,
    /// Run up to N suites at once (default [lab].jobs); `weight` takes several slots.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    /// Re-run the failed and blocked suites of RUN (default: the latest run).
    #[arg(long, value_name = "RUN", num_args = 0..=1, default_missing_value = "latest")]
    pub rerun_failed: Option<String>,
    /// Do not write report.html into the run directory.
    #[arg(long)]
    pub no_report: bool,
    /// An empty selection fails (exit 1) instead of passing: for gates that must run something.
    #[arg(long)]
    pub require_selection: bool,
    /// Run each selected suite N times, to hunt intermittent failures.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Run every selected suite, cached or not (passes are still recorded in the cache).
    #[arg(long, conflicts_with = "cache_only")]
    pub no_cache: bool,
    /// Say which selected suites would run and which are cached, and run none.
    #[arg(long)]
    pub cache_only: bool,
    /// Ignore every quarantine: quarantined suites gate like the rest.
    #[arg(long)]
    pub strict: bool,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// `<run>/report.html`, self-contained.
    Html,
    /// JUnit XML for CI test reporting.
    Junit,
    /// A PR comment.
    Markdown,
    /// Markdown appended to $GITHUB_STEP_SUMMARY, and ::error annotations.
    Github,
}

/// `lab report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run id, a path to a run directory, or `latest`.
    #[arg(default_value = "latest", value_name = "RUN")]
    pub run: String,
    /// What to produce.
    #[arg(long, value_enum, default_value = "html")]
    pub format: ReportFormat,
    /// Write to FILE instead of stdout (html: instead of <run>/report.html).
    #[arg(long, value_name = "FILE")]
    pub output: Option<Utf8PathBuf>,
}

/// `lab runs …`.
#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// List runs, newest first.
    List(RunsListArgs),
    /// Show one run's summary (default: latest).
    Show(RunArgs),
    /// What changed between two runs (default: each suite of the latest run against its own previous run).
    Diff(RunsDiffArgs),
    /// Suites ranked by status flips and passes after a retry.
    Flaky(RunsFlakyArgs),
    /// Delete old runs, keeping the newest and the last run of every failing suite.
    Prune(RunsPruneArgs),
    /// Join shard runs (a CI matrix) into one run with one summary.
    Merge(RunsMergeArgs),
}

/// `lab runs list`.
#[derive(Debug, Args)]
pub struct RunsListArgs {
    /// At most N runs.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// A command about one run.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// A run id, a path to a run directory, or `latest`.
    #[arg(default_value = "latest", value_name = "RUN")]
    pub run: String,
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `lab runs diff`.
#[derive(Debug, Args)]
pub struct RunsDiffArgs {
    /// The newer run (default: latest); with two runs, the older one first.
    #[arg(value_name = "RUN", num_args = 0..=2)]
    pub runs: Vec<String>,
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `lab runs flaky`.
#[derive(Debug, Args)]
pub struct RunsFlakyArgs {
    /// Look at the last N runs.
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub last: usize,
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Print the `quarantine` TOML to paste for each of them (until today +
    /// 14 days), and which quarantined suites passed their last 20 runs.
    #[arg(long)]
    pub suggest: bool,
}

/// `lab runs prune`.
#[derive(Debug, Args)]
pub struct RunsPruneArgs {
    /// Keep the newest N runs (default [lab].keep_runs).
    #[arg(long, value_name = "N")]
    pub keep: Option<usize>,
    /// Only delete runs older than this (e.g. 7d, 12h).
    #[arg(long, value_name = "DURATION")]
    pub older_than: Option<String>,
    /// Say what would be deleted, delete nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `lab runs merge`.
#[derive(Debug, Args)]
pub struct RunsMergeArgs {
    /// Run ids, paths to run directories, or `latest`.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<String>,
    /// Print the merged summary.json on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `lab launch`.
#[derive(Debug, Args)]
pub struct LaunchArgs {
    /// The target to launch (a runner with `launch` and this target in `targets`).
    pub target: String,
    /// The profile to launch it in.
    #[arg(long)]
    pub profile: String,
    /// A fixture to seed first (repeatable).
    #[arg(long = "fixture", value_name = "ID")]
    pub fixtures: Vec<String>,
    /// The runner, when several launch the target.
    #[arg(long)]
    pub runner: Option<String>,
}

/// `lab suite show`.
#[derive(Debug, Args)]
pub struct SuiteShowArgs {
    /// The suite id (the `suite.` prefix may be left out).
    pub id: String,
    /// Print one JSON document on stdout (schemas/suite-show.schema.json).
    #[arg(long)]
    pub json: bool,
}

/// `lab schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which schema (none: all of them).
    #[arg(value_enum)]
    pub name: Option<SchemaName>,
    /// Compare the workspace's schemas/ with what this lab generates; exit 1 when stale.
    #[arg(long, conflicts_with = "write")]
    pub check: bool,
    /// Write the schemas into the workspace's schemas/.
    #[arg(long)]
    pub write: bool,
}

/// `lab completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The schemas lab publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaName {
    /// suites.toml and included files (for TOML editors).
    Registry,
    /// `lab suite list --json`.
    SuiteList,
    /// `lab suite show --json`.
    SuiteShow,
    /// `lab check --json`.
    Check,
    /// `<run>/manifest.json`.
    Manifest,
    /// `<run>/summary.json` and `lab verify --json`.
    Summary,
}

impl SchemaName {
    /// Every schema.
    pub const ALL: [SchemaName; 6] = [
        SchemaName::Registry,
        SchemaName::SuiteList,
        SchemaName::SuiteShow,
        SchemaName::Check,
        SchemaName::Manifest,
        SchemaName::Summary,
    ];

    /// The name on the command line and in the file name.
    pub fn name(self) -> &'static str {
        match self {
            SchemaName::Registry => "registry",
            SchemaName::SuiteList => "suite-list",
            SchemaName::SuiteShow => "suite-show",
            SchemaName::Check => "check",
            SchemaName::Manifest => "manifest",
            SchemaName::Summary => "summary",
        }
    }

    /// The path inside the workspace: `schemas/<name>.schema.json`.
    pub fn file(self) -> camino::Utf8PathBuf {
        camino::Utf8PathBuf::from(format!("schemas/{}.schema.json", self.name()))
    }
}
