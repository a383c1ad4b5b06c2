//! lab: a declarative registry of verification suites and a thin
//! orchestrator over the test tools a repository already uses.
//!
//! The binary (`main.rs`) parses arguments and calls [`run`]; each
//! subcommand lives in `commands/`. The contract users read is `docs/`.
//!
//! # Layers
//!
//! Modules are layered, lowest first; a module imports only from the
//! layers below its own, never from its own layer's other modules or from
//! above (`tests/lab/layers.rs` checks it, and that no two files import
//! each other):
//!
//! 1. `error`, `files`, `style` — errors and exit codes, filesystem
//!    helpers, terminal styling;
//! 2. `registry` — suites.toml and its includes, loaded and checked;
//! 3. `vcs` — git and jj: state, changed paths, files at a base;
//! 4. `select` — which suites a request selects, and why;
//! 5. `outputs` — the public JSON types (the wire), converted from the
//!    working types of the layers below and above;
//! 6. `run` — running suites: the engine, a suite's stages, processes;
//! 7. `history` — finished runs, indexed and queried;
//! 8. `report` — HTML, JUnit, Markdown and GitHub reports, suite views;
//! 9. `context` — what a command starts from (cwd, registry discovery);
//! 10. `cli` — clap types only;
//! 11. `commands` — one file per subcommand: parse, call, print;
//!
//! then this file, which routes a command line. Nothing below `commands`
//! knows clap types; below `run`, nothing prints.

pub mod cli;
pub mod commands;
pub mod context;
pub mod error;
pub mod files;
pub mod history;
pub mod outputs;
pub mod registry;
pub mod report;
pub mod run;
pub mod select;
pub mod style;
pub mod vcs;

use std::io::Write;

/// Routes a command line to its subcommand.
fn dispatch(cli: cli::Cli) -> Result<u8, error::Error> {
    use cli::{Command, SuiteCommand};
    if let Command::Completions(args) = &cli.command {
        return commands::completions::run(args);
    }
    if let Command::Probe(args) = &cli.command {
        let ready = match args.kind.as_str() {
            "tcp" => run::isolation::probe::tcp(&args.target, run::isolation::probe::PROBE_TIMEOUT),
            "http" => {
                run::isolation::probe::http_status(
                    &args.target,
                    run::isolation::probe::PROBE_TIMEOUT,
                ) == Some(args.status.unwrap_or(200))
            }
            _ => false,
        };
        return Ok(if ready {
            error::exit_code::SUCCESS
        } else {
            error::exit_code::FAILED
        });
    }
    if let Command::Watchdog(args) = &cli.command {
        run::process::watchdog::watch(&args.tag);
        return Ok(error::exit_code::SUCCESS);
    }
    let ctx = context::Context::from_env(cli.registry)?;
    match cli.command {
        Command::Check(args) => commands::check::run(&ctx, &args),
        Command::Verify(args) => commands::verify::run(&ctx, &args),
        Command::Launch(args) => commands::launch::run(&ctx, &args),
        Command::Runs(command) => commands::runs::run(&ctx, &command),
        Command::Report(args) => commands::report::run(&ctx, &args),
        Command::Init => commands::init::run(&ctx),
        Command::Suite(SuiteCommand::List(args)) => commands::suite_list::run(&ctx, &args),
        Command::Suite(SuiteCommand::Show(args)) => commands::suite_show::run(&ctx, &args),
        Command::Schema(args) => commands::schema::run(&ctx, &args),
        Command::Completions(args) => commands::completions::run(&args),
        Command::Probe(_) | Command::Watchdog(_) => Ok(error::exit_code::FAILED), // handled above
    }
}

/// Runs one parsed command line and returns lab's exit status.
pub fn run(cli: cli::Cli) -> u8 {
    let style = style::Style::for_stderr();
    match dispatch(cli) {
        Ok(code) => code,
        Err(err) => {
            let (red, reset) = style.red_bold();
            let mut stderr = std::io::stderr().lock();
            // stderr is where an error would be reported; the exit status
            // still says it.
            let _ = writeln!(stderr, "{red}error{reset}: {err}");
            if let Some(hint) = err.hint_text() {
                let _ = writeln!(stderr, "  hint: {hint}");
            }
            err.exit_code()
        }
    }
}
