//! A selection request, resolved: criteria checked, changed paths gathered
//! when `--changed` asks for them, what they select, and the shard kept.
//! Shared by `suite list` and `verify`; the request is built by
//! `commands/` from the command line.

use std::collections::HashMap;

use camino::Utf8PathBuf;

use crate::error::Error;
use crate::registry::Registry;

use super::changed::{ChangedPaths, Request as Sources, gather};
use super::criteria::Criteria;
use super::escalate::{ChangeSelection, select_changed};
use super::selection::{Selected, select_explained};

/// What to select.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The selectors.
    pub criteria: Criteria,
    /// `--changed-paths FILE` (`-` = stdin).
    pub changed_paths: Option<Utf8PathBuf>,
    /// `-z`: the changed paths are NUL-separated.
    pub changed_paths_nul: bool,
    /// `--base`, overriding `[lab].base`.
    pub base: Option<String>,
    /// Expected duration of each suite from history (ms), to balance shards.
    pub expected_ms: HashMap<String, u64>,
}

/// What a request selected.
pub struct Resolved<'r> {
    /// The criteria, checked.
    pub criteria: Criteria,
    /// The changed paths, with `--changed`.
    pub changed: Option<ChangedPaths>,
    /// The selected suites, by id, with their reasons.
    pub selected: Vec<Selected<'r>>,
    /// Suites left out, and why.
    pub not_selected: Vec<(String, String)>,
    /// What the user should know (a missing base, a shallow clone, …).
    pub notes: Vec<String>,
}

/// Resolves `request` against `registry`.
pub fn resolve<'r>(registry: &'r Registry, request: Request) -> Result<Resolved<'r>, Error> {
    let criteria = request.criteria.checked()?;
    let mut changed = None;
    let mut selection: Option<ChangeSelection> = None;
    if criteria.changed {
        let paths = gather(&Sources {
            workspace: &registry.workspace,
            paths_file: request.changed_paths.as_deref(),
            nul: request.changed_paths_nul,
            env_prefix: &registry.settings.env_prefix,
            base: request.base.as_deref().unwrap_or(&registry.settings.base),
            explicit_base: request.base.is_some(),
            run_root: &registry.settings.run_root,
        })?;
        selection = Some(select_changed(registry, &paths));
        changed = Some(paths);
    }
    let (mut selected, not_selected) = select_explained(registry, &criteria, selection.as_ref())?;
    if let Some(shard) = criteria.shard {
        let mut shards = split(&selected, shard.count, &request.expected_ms);
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
    let notes = changed
        .as_ref()
        .map(|c| c.notes.clone())
        .unwrap_or_default();
    Ok(Resolved {
        criteria,
        changed,
        selected,
        not_selected,
        notes,
    })
}

/// Splits `selected` into `count` shards (indexes into `selected`),
/// balanced by `expected` durations (ms).
pub fn split(
    selected: &[Selected<'_>],
    count: u32,
    expected: &HashMap<String, u64>,
) -> Vec<Vec<usize>> {
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
    super::shard::partition(&ids, &needs, count, expected)
}
