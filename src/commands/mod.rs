//! One file per subcommand, each with one `run` function.

pub mod check;
pub mod completions;
pub mod init;
pub mod launch;
pub mod report;
pub mod runs;
pub mod schema;
pub mod selecting;
pub mod suite_list;
pub mod suite_show;
pub mod verify;
