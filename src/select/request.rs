//! A command line's selection, resolved: criteria checked, changed paths
//! gathered when `--changed` asks for them, and what they select. Shared by
//! `suite list` and `verify`.

use crate::cli::SelectArgs;
use crate::error::Error;
use crate::registry::Registry;
use crate::report::schema::{Changed, Criteria};

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
    let (selected, not_selected) = select_explained(registry, &criteria, selection.as_ref())?;
    Ok(Resolved {
        criteria,
        changed,
        selected,
        not_selected,
    })
}
