//! lab's integration tests: one binary that drives the real `lab`
//! executable against registries written into temp directories.

mod cmd;
mod harness;

mod artifacts;
mod changed;
mod check;
mod cli;
mod discovery;
mod docs;
mod foreign;
mod hermetic;
mod history;
mod hostile;
mod interrupts;
mod isolation;
mod junit;
mod launch;
mod layers;
mod lean;
mod orphans;
mod promises;
mod quarantine;
mod readiness;
mod roots;
mod schedule;
mod schema;
mod secrets;
mod services;
mod suite_list;
mod terminal;
mod verify;
