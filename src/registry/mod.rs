//! The suite registry: `suites.toml` and its included files, loaded into
//! checked model types with diagnostics that point into the source.

pub mod check;
pub mod definitions;
pub mod diagnostic;
pub mod discover;
pub mod fixed_ports;
pub mod ids;
pub mod load;
pub mod model;
pub mod paths;
pub mod quarantine;
pub mod reader;
pub mod resolved;
pub mod shared_reports;
pub mod source;
pub mod stubs;
pub mod units;
pub mod wire;
pub mod words;

pub use diagnostic::{Diagnostic, Severity};
pub use discover::discover;
pub use load::{Loaded, load};
pub use model::Registry;
