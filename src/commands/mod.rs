//! One file per subcommand, each with one `run` function; what `verify`
//! shows on the terminal (`verify_output.rs`, `progress.rs`) and the
//! selectors of the command line (`selecting.rs`) beside them.

pub mod check;
pub mod completions;
pub mod flaky_suggest;
pub mod init;
pub mod init_layout;
pub mod launch;
pub mod progress;
pub mod report;
pub mod runs;
pub mod schema;
pub mod selecting;
pub mod suite_list;
pub mod suite_show;
pub mod verify;
pub mod verify_output;
