//! Running suites, by stage. Imports run one way, top to bottom:
//!
//! - `engine` — a whole run: scheduling on worker threads (`plan`), the run
//!   directory (`run_dir`), summary (`summary_writer`) and manifest
//!   (`provenance`), events for a `reporter`, suite directories made ahead
//!   and recycled (`suite_dirs`), their roots outside the workspace
//!   (`suite_roots`);
//! - `suite/` — one suite, stage by stage (prepare, preflight, set-up,
//!   command, evidence, cleanup);
//! - `isolation/` — network namespaces, services and readiness probes;
//! - `process/` — child processes: spawn, drive, capture, redact, signals;
//! - `cache/` — input-hash caching: keys, the cache directory, hits;
//!   `tools` — the versions runners report;
//! - `context` — the types the engine and the stages share; `host` — what
//!   the machine offers; `programs` — the versions of the programs suites
//!   run (`command_words` finds them), cached across runs.

pub mod cache;
pub mod command_words;
pub mod context;
pub mod engine;

pub mod host;
pub mod isolation;
pub mod plan;
pub mod process;
pub mod programs;
pub mod provenance;
pub mod quarantine;
pub mod reporter;
pub mod run_dir;
pub mod suite;
pub mod suite_dirs;
pub mod suite_roots;
pub mod summary_writer;
pub mod tools;
