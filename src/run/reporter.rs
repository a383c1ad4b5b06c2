//! What the engine tells whoever shows a run to people: the run started,
//! a suite started or finished, a command is about to take the terminal,
//! the run ended. Implemented above `run` (`commands/`), so nothing in
//! `run/` decides what a terminal shows.

use std::sync::{Arc, Mutex};

use camino::Utf8Path;

use crate::outputs::{SuiteResult, Summary};

/// Receives a run's events as they happen (from several threads).
pub trait Reporter: Sync {
    /// The run directory `run_dir` exists; `selected` suites will run.
    fn run_started(&self, run_dir: &Utf8Path, selected: usize);
    /// A suite was handed to a worker.
    fn suite_started(&self, id: &str);
    /// An interactive suite's command is about to take the terminal;
    /// `suite_dir` is its suite directory.
    fn command_starting(&self, id: &str, suite_dir: &Utf8Path) {
        let _ = (id, suite_dir);
    }
    /// A suite finished; `done` of `total` now.
    fn suite_finished(&self, result: &SuiteResult, done: usize, total: usize);
    /// The run ended; `summary` is final.
    fn run_finished(&self, summary: &Summary);
    /// Where `--stream` copies suites' output, when it is asked for.
    fn tee(&self) -> Option<Arc<Mutex<std::io::Stderr>>> {
        None
    }
}
