//! `lab verify SEL`: run the selected suites in a fresh run directory and
//! exit with what happened (design §2.7).

use crate::cli::VerifyArgs;
use crate::context::Context;
use crate::error::Error;
use crate::run::engine::{self, Options};
use crate::run::signals::Interrupts;
use crate::select::request;

/// Runs `lab verify`.
pub fn run(ctx: &Context, args: &VerifyArgs) -> Result<u8, Error> {
    if crate::select::selection::criteria(&args.select)?.is_empty() {
        return Err(Error::usage("verify needs a selection").hint(
            "name suite ids or globs (suite.api.*), or use --tag, --target, --level, --platform, --risk or --all; `lab suite list` shows what each would pick",
        ));
    }
    let interrupts = Interrupts::install();
    let registry = ctx.registry()?;
    let resolved = request::resolve(&registry, &args.select)?;
    let selected = resolved.selected;
    if selected.is_empty() {
        eprintln!("lab: no suite matches this selection; nothing to run");
    }
    let options = Options {
        stream: args.stream,
        fail_fast: args.fail_fast,
        retries: args.retries,
        json: args.json,
        jobs: args.jobs.unwrap_or(registry.settings.jobs),
        repeat: args.repeat,
    };
    let argv: Vec<String> = std::env::args().collect();
    let result = engine::verify(
        &registry,
        selected,
        resolved.criteria,
        resolved.changed,
        argv,
        &options,
        &interrupts,
    )?;
    if args.json {
        crate::report::json::print(&result.summary)?;
    }
    Ok(result.exit_code)
}
