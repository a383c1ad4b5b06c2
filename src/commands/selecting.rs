//! The command line's selectors turned into a selection request, resolved,
//! with its notes printed as warnings. Shared by `suite list` and `verify`.

use crate::cli::SelectArgs;
use crate::error::Error;
use crate::registry::Registry;
use crate::select::Criteria;
use crate::select::request::{Request, Resolved, resolve};

/// The selectors of `args`, as select takes them.
pub fn criteria(args: &SelectArgs) -> Criteria {
    Criteria {
        ids: args.ids.clone(),
        tags: args.tags.clone(),
        targets: args.targets.clone(),
        levels: args.levels.clone(),
        platforms: args.platforms.clone(),
        risk: args.risk,
        changed: args.changed,
        all: args.all,
        exclude_tags: args.exclude_tags.clone(),
        shard: args.shard,
    }
}

/// Expected durations from the run history, for balancing shards.
pub fn expected_ms(registry: &Registry) -> std::collections::HashMap<String, u64> {
    crate::history::durations::expected_durations(
        &registry.workspace.join(&registry.settings.run_root),
        false,
    )
}

/// Resolves `args` against `registry`; notes go to stderr as warnings.
pub fn resolve_args<'r>(registry: &'r Registry, args: &SelectArgs) -> Result<Resolved<'r>, Error> {
    let request = Request {
        criteria: criteria(args),
        changed_paths: args.changed_paths.clone(),
        changed_paths_nul: args.null,
        base: args.base.clone(),
        expected_ms: if args.shard.is_some() {
            expected_ms(registry)
        } else {
            Default::default()
        },
    };
    let resolved = resolve(registry, request)?;
    for note in &resolved.notes {
        eprintln!("lab: warning: {note}");
    }
    Ok(resolved)
}
