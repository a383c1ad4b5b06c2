//! One suite, by the stages it goes through (docs/running.md): `prepare`
//! (directories, command, environment), `preflight` (checks that start no
//! process), `runner_probe` (each runner's probe, once per run), `setup` (isolation, services, `fixtures`), `command`
//! (repetitions and retries of the command), `evidence` (`artifacts`,
//! `report_paths`, `junit` with `junit_xml` and `decisive`, then the
//! `excerpt`), `cleanup`. `steps.rs` strings them together.
//!
//! A new evidence kind goes in `evidence.rs`; a new check that blocks a
//! suite before it starts goes in `preflight.rs`.

pub mod artifacts;
pub mod cleanup;
pub mod command;
pub mod decisive;
pub mod env;
pub mod evidence;
pub mod excerpt;
pub mod fixtures;
pub mod junit;
pub mod junit_xml;
pub mod preflight;
pub mod prepare;
pub mod report_paths;
pub mod runner_probe;
pub mod secret_names;
pub mod setup;
pub mod shell;
pub mod steps;

pub use prepare::Prepared;
pub use steps::run_suite;
