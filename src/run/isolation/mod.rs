//! What isolates a suite or runs beside it: its network namespace, the
//! services it needs (started, probed for readiness, stopped) and the
//! probes themselves. A new readiness probe kind goes in `probe.rs` (and
//! `readiness.rs` tries it, `services.rs` polls it); a new isolation kind
//! gets a file here.
//!
//! Builds on `process/`; knows nothing of suite steps (`suite/`).

pub mod netns;
pub mod probe;
pub mod readiness;
pub mod services;
