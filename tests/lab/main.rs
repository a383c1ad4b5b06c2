//! lab's integration tests: one binary that drives the real `lab`
//! executable against registries written into temp directories.

mod cmd;
mod harness;

mod artifacts;
mod cache;
mod changed;
mod check;
mod cli;
mod discovery;
mod docs;
mod excerpt_sources;
mod foreign;
mod hermetic;
mod history;
mod history_concurrency;
mod hostile;
mod init;
mod interrupts;
mod isolation;
mod junit;
mod launch;
mod layers;
mod lean;
mod orphans;
mod promises;
mod provenance;
mod quarantine;
mod readiness;
mod roots;
mod runner_probe;
mod schedule;
mod schema;
mod secrets;
mod services;
mod suite_list;
mod terminal;
mod verify;
