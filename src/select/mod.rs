//! Selection: which suites a request asks for, and why. Works on its own
//! types ([`Criteria`], [`Reason`], [`ChangedPaths`]); the public documents
//! record them as `outputs::Criteria`, `outputs::Rationale` and
//! `outputs::Changed`. Prints nothing: warnings come back as notes.

pub mod changed;
pub mod criteria;
pub mod escalate;
pub mod request;
pub mod selection;
pub mod shard;

pub use changed::ChangedPaths;
pub use criteria::{Criteria, Reason, ReasonKind};
pub use selection::{Selected, select};
