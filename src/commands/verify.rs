//! `lab verify SEL`: run the selected suites in a fresh run directory and
//! exit with what happened (docs/exit-codes.md).

use crate::cli::VerifyArgs;
use crate::context::Context;
use crate::error::Error;
use crate::run::engine::{self, Options};
use crate::run::process::signals::Interrupts;

/// Runs `lab verify`.
pub fn run(ctx: &Context, args: &VerifyArgs) -> Result<u8, Error> {
    let mut select = args.select.clone();
    if let Some(run) = &args.rerun_failed {
        let failed = failed_in(ctx, run)?;
        if failed.is_empty() {
            return Ok(crate::error::exit_code::SUCCESS);
        }
        select.ids.extend(failed);
    }
    if super::selecting::criteria(&select).is_empty() {
        return Err(Error::usage("verify needs a selection").hint(
            "name suite ids or globs (suite.api.*), or use --tag, --target, --level, --platform, --risk or --all; `lab suite list` shows what each would pick",
        ));
    }
    let interrupts = Interrupts::install();
    let registry = ctx.registry()?;
    let resolved = super::selecting::resolve_args(&registry, &select)?;
    let selected = resolved.selected;
    if selected.is_empty() {
        let why = match &resolved.changed {
            Some(c) => format!(
                "no suite is selected by the {} changed path{} (from {})",
                c.paths.len(),
                if c.paths.len() == 1 { "" } else { "s" },
                c.source
            ),
            None => {
                let left = &resolved.not_selected;
                let mut reasons: Vec<String> = left
                    .iter()
                    .take(3)
                    .map(|(id, why)| format!("{id}: {why}"))
                    .collect();
                if left.len() > 3 {
                    reasons.push(format!("{} more", left.len() - 3));
                }
                match reasons.is_empty() {
                    true => "the registry has no suites".to_string(),
                    false => format!("no suite matches this selection ({})", reasons.join("; ")),
                }
            }
        };
        if args.require_selection || registry.settings.require_selection {
            eprintln!("lab: error: {why}; a selection is required (--require-selection)");
            return Ok(crate::error::exit_code::FAILED);
        }
        eprintln!("lab: nothing to run: {why}");
    }
    let cache = cache_plan(&registry, &selected, args);
    if args.cache_only {
        print_cache_only(&selected, &cache);
        return Ok(crate::error::exit_code::SUCCESS);
    }
    let options = Options {
        command_id: "cmd.verify",
        interactive: false,
        fail_fast: args.fail_fast,
        retries: args.retries,
        jobs: args.jobs.unwrap_or(registry.settings.jobs),
        repeat: args.repeat,
        strict: args.strict,
    };
    let mut criteria = crate::outputs::Criteria::from(&resolved.criteria);
    criteria.base = select.base.clone();
    criteria.changed_paths = select.changed_paths.as_ref().map(|p| p.to_string());
    let request = engine::Request {
        invocation: crate::outputs::Invocation {
            registry: ctx.registry.as_ref().map(|r| r.to_string()),
            jobs: args.jobs,
            retries: args.retries,
            repeat: args.repeat,
            fail_fast: args.fail_fast,
            strict: args.strict,
        },
        selected,
        criteria,
        changed: resolved.changed.as_ref().map(crate::outputs::Changed::from),
        argv: std::env::args().collect(),
        expected_ms: crate::history::durations::expected_durations(
            &registry.workspace.join(&registry.settings.run_root),
            true,
        ),
        // No cached suite: the engine never looks at the cache.
        cache: (!cache.keys.is_empty()).then_some(cache),
    };
    let output = super::verify_output::VerifyOutput::new(&registry.workspace, args.stream);
    let result = engine::run(&registry, request, &options, &interrupts, &output)?;
    let run_root = registry.workspace.join(&registry.settings.run_root);
    if let Some(warning) = crate::history::index::append(&run_root, &result.summary) {
        eprintln!("lab: warning: {}", crate::error::Chain(&warning));
    }
    if !args.no_report {
        match crate::commands::report::write_html(&run_root, &result.run_dir, &result.summary) {
            Ok(path) => {
                let shown = path
                    .strip_prefix(&registry.workspace)
                    .map(|p| p.to_string())
                    .unwrap_or_else(|_| path.to_string());
                eprintln!("report: {shown}");
            }
            Err(e) => eprintln!("lab: warning: could not write report.html: {e}"),
        }
    }
    if args.json {
        crate::report::json::print(&result.summary)?;
    }
    for what in &result.lost {
        eprintln!(
            "lab: error: {what}; the run is recorded without it (exit {})",
            crate::error::exit_code::NOT_RECORDED
        );
    }
    Ok(result.exit_code)
}

/// The cache plan of the selected suites; `--no-cache`, `--repeat` and
/// `--rerun-failed` bypass hits. Unusable entries are warned about.
fn cache_plan(
    registry: &crate::registry::Registry,
    selected: &[crate::select::Selected<'_>],
    args: &VerifyArgs,
) -> crate::run::cache::CachePlan {
    let suites: Vec<_> = selected.iter().map(|s| s.suite).collect();
    let use_hits = !args.no_cache && args.repeat <= 1 && args.rerun_failed.is_none();
    let plan = crate::run::cache::plan(registry, &suites, use_hits);
    for warning in &plan.warnings {
        eprintln!("lab: warning: {warning}");
    }
    plan
}

/// `--cache-only`: one line per selected suite, `run` or `cached`, and why.
fn print_cache_only(
    selected: &[crate::select::Selected<'_>],
    cache: &crate::run::cache::CachePlan,
) {
    for s in selected {
        let id = &s.suite.id;
        match (cache.hits.get(id), cache.misses.get(id)) {
            (Some(e), _) => println!("cached {id} (inputs unchanged since {})", e.run_id),
            (None, Some(why)) => println!("run    {id} ({why})"),
            (None, None) => println!("run    {id} (not cached)"),
        }
    }
}

/// `--rerun-failed RUN`: the suites that failed or were blocked in `run`
/// and are still in the registry; none said on stderr.
fn failed_in(ctx: &Context, run: &str) -> Result<Vec<String>, Error> {
    let registry = ctx.registry()?;
    let run_root = registry.workspace.join(&registry.settings.run_root);
    let dir = crate::commands::runs::resolve_run(&run_root, &ctx.cwd, run)?;
    let summary = crate::history::index::read_summary(&dir)?;
    let failed: Vec<String> = summary
        .suites
        .iter()
        .filter(|s| crate::history::queries::failing(s.status))
        .map(|s| s.id.clone())
        .filter(|id| registry.suites.contains_key(id))
        .collect();
    if failed.is_empty() {
        eprintln!(
            "lab: nothing failed or was blocked in {}; nothing to re-run",
            summary.run_id
        );
    }
    Ok(failed)
}
