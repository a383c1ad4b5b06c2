//! `lab completions SHELL`: a completion script generated from the clap
//! definitions, so it never drifts from the real flags.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::error::{Error, exit_code};

/// Prints the completion script for the requested shell.
pub fn run(args: &CompletionsArgs) -> Result<u8, Error> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "lab", &mut out);
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&out)
        .or_else(crate::report::json::ignore_broken_pipe)
        .map_err(|e| Error::io("failed to write to stdout", e))?;
    Ok(exit_code::SUCCESS)
}
