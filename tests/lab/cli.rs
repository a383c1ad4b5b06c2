//! The clap definition of lab's command line, checked the way clap checks
//! it in debug builds of the binary (conflicting flags, bad defaults, …),
//! but for every subcommand at once rather than only the one a run parses.

use clap::CommandFactory;

#[test]
fn the_command_line_definition_is_consistent() {
    lab::cli::Cli::command().debug_assert();
}
