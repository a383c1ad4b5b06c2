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
use crate::outputs::{Status, SuiteManifest, SuiteResult};
use crate::registry::Registry;

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
    /// Suite directories made ahead and recycled (none: made and removed
    /// in place).
    pub dirs: Option<&'a SuiteDirs>,
    /// The command takes the terminal (`lab launch`).
    pub interactive: bool,
    /// Hears what happens.
    pub reporter: &'a dyn Reporter,
}

/// A finished suite: its summary entry and its manifest entry.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// For summary.json.
    pub result: SuiteResult,
    /// For manifest.json.
    pub manifest: SuiteManifest,
}

impl Outcome {
    /// Ends a suite before (or instead of) its command.
    pub fn finish_early(&mut self, status: Status, step: &str, reason: String, started: Instant) {
        self.result.status = status;
        self.result.step = Some(step.to_string());
        self.result.reason = Some(reason);
        self.result.duration_ms = started.elapsed().as_millis() as u64;
    }
}
