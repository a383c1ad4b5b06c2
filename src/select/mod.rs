//! Selection: which suites a command line asks for, and why.

pub mod changed;
pub mod escalate;

pub mod request;
pub mod selection;
pub mod shard;

pub use selection::{Selected, select};
