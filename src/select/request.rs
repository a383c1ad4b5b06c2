//! A command line's selection, resolved: criteria checked, changed paths
//! gathered when `--changed` asks for them, and what they select. Shared by
//! `suite list` and `verify`.

use crate::cli::SelectArgs;
use crate::error::Error;
use crate::registry::Registry;
use crate::outputs::{Changed, Criteria};

use super::changed::{Request, gather};
use super::escalate::{ChangeSelection, select_changed};
use super::selection::{Selected, criteria, select_explained};

/// What a command line selected.
pub struct Resolved<'r> {
    /// The criteria, as recorded in JSON.
    pub criteria: Criteria,
    /// The changed paths, with `--changed`.
    pub changed: Option<Changed>,
    /// The selected suites, by id, with rationale.
    pub selected: Vec<Selected<'r>>,
    /// Suites left out, and why.
    pub not_selected: Vec<(String, String)>,
}

/// Resolves `args` against `registry`.
pub fn resolve<'r>(registry: &'r Registry, args: &SelectArgs) -> Result<Resolved<'r>, Error> {
    let criteria = criteria(args)?;
    let mut changed = None;
    let mut selection: Option<ChangeSelection> = None;
    if criteria.changed {
        let paths = gather(&Request {
            workspace: &registry.workspace,
            paths_file: args.changed_paths.as_deref(),
            env_prefix: &registry.settings.env_prefix,
            base: args.base.as_deref().unwrap_or(&registry.settings.base),
        })?;
        for note in &paths.notes {
            eprintln!("lab: warning: {note}");
        }
        selection = Some(select_changed(registry, &paths));
        changed = Some(Changed {
            source: paths.source,
            base: paths.base,
            paths: paths.paths,
            notes: paths.notes,
        });
    }
    let (mut selected, not_selected) = select_explained(registry, &criteria, selection.as_ref())?;
    if let Some(shard) = args.shard {
        let mut shards = split(registry, &selected, shard.count);
        let keep: std::collections::HashSet<usize> = shards
            .swap_remove(shard.index as usize - 1)
            .into_iter()
            .collect();
        let mut i = 0;
        selected.retain(|_| {
            i += 1;
            keep.contains(&(i - 1))
        });
    }
    Ok(Resolved {
        criteria,
        changed,
        selected,
        not_selected,
    })
}

/// Splits `selected` into `count` shards (indexes into `selected`).
pub fn split(registry: &Registry, selected: &[Selected<'_>], count: u32) -> Vec<Vec<usize>> {
    let index: std::collections::HashMap<&str, usize> = selected
        .iter()
        .enumerate()
        .map(|(i, s)| (s.suite.id.as_str(), i))
        .collect();
    let ids: Vec<&str> = selected.iter().map(|s| s.suite.id.as_str()).collect();
    let needs: Vec<Vec<usize>> = selected
        .iter()
        .map(|s| {
            s.suite
                .needs
                .iter()
                .filter_map(|n| index.get(n.id.as_str()).copied())
                .collect()
        })
        .collect();
    let expected = crate::run::history::expected_durations(
        &registry.workspace.join(&registry.settings.run_root),
        false,
    );
    super::shard::partition(&ids, &needs, count, &expected)
}
