//! Selection: which suites a command line asks for, and why.

pub mod paths;
pub mod selection;

pub use selection::{Selected, select};
