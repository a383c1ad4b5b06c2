//! Child processes, below any notion of a suite: spawning in a process
//! group, driving one child to its end, capturing and redacting its output,
//! signals lab receives, and sweeping away what a child left running.
//!
//! Nothing here knows the registry or a suite; `suite/` and `isolation/`
//! build on it.

pub mod bounded;
pub mod capture;
pub mod child;
pub mod exit;
pub mod interactive;
pub mod parent_death;
pub mod redact;
pub mod signals;
pub mod spawn;
pub mod watchdog;
