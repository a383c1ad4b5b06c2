//! Run history: the run directories, read through an index that can always
//! be rebuilt from them, and the questions asked of it (diff, flakiness,
//! pruning).

pub mod index;
pub mod queries;
