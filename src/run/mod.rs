//! Running suites: the run directory, one suite's steps, processes, output
//! capture, redaction, artifacts, JUnit, and the run as a whole.

pub mod artifacts;
pub mod capture;
pub mod child;
pub mod engine;
pub mod env;
pub mod evidence;
pub mod history;
pub mod host;
pub mod junit;
pub mod netns;
pub mod plan;
pub mod probe;
pub mod process;
pub mod progress;
pub mod redact;
pub mod run_dir;
pub mod services;
pub mod setup;
pub mod signals;
pub mod suite;
