//! The public JSON types lab writes and prints: stable, documented,
//! additive-only (docs/outputs.md). Every document carries
//! `schema_version`; `schemas/` is generated from these types (`lab schema
//! --write`) and a test fails when it is stale.
//!
//! These are the wire, not the working state: select, run, history and
//! report keep their own types and convert to these where files are
//! written or documents printed. Nothing here does I/O.

mod check;
mod definitions;
mod manifest;
mod quarantine;
mod selection;
mod suite_list;
mod suite_show;
mod summary;

pub use check::*;
pub use definitions::*;
pub use manifest::*;
pub use quarantine::*;
pub use selection::*;
pub use suite_list::*;
pub use suite_show::*;
pub use summary::*;

/// The version of every JSON document lab writes.
pub const SCHEMA_VERSION: u32 = 1;
