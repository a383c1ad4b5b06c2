//! Run history: the run directories, read through an index that can always
//! be rebuilt from them, and the questions asked of it (diff, flakiness,
//! pruning, expected durations for scheduling and shards).

pub mod durations;
pub mod index;
pub mod queries;
