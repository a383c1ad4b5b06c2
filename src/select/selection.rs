//! The selection engine (design §3): which suites a set of criteria picks,
//! with a rationale entry for every reason. Pure: no I/O, no process.
//!
//! Changed-path sources live elsewhere; this module receives criteria only.

use std::collections::{BTreeMap, BTreeSet};

use globset::{GlobBuilder, GlobMatcher};

use crate::error::Error;
use crate::registry::diagnostic::did_you_mean;
use crate::registry::model::{Registry, Risk, Suite};
use crate::report::schema::{Criteria, Rationale, RationaleKind};

/// A selected suite and why.
#[derive(Debug, Clone)]
pub struct Selected<'r> {
    /// The suite.
    pub suite: &'r Suite,
    /// Every reason it was selected.
    pub rationale: Vec<Rationale>,
}

/// `suite.api.*` or `api.*` → `suite.api.*`.
pub fn canonical_suite_pattern(pattern: &str) -> String {
    if pattern.starts_with("suite.") {
        pattern.to_string()
    } else {
        format!("suite.{pattern}")
    }
}

enum IdPattern {
    Exact(String),
    Glob(GlobMatcher),
}

impl IdPattern {
    fn new(text: &str) -> Result<Self, Error> {
        if text.contains(['*', '?', '[', '{']) {
            let glob = GlobBuilder::new(text)
                .literal_separator(false)
                .build()
                .map_err(|e| {
                    Error::usage(format!("`{text}` is not a valid id glob: {}", e.kind()))
                })?;
            Ok(IdPattern::Glob(glob.compile_matcher()))
        } else {
            Ok(IdPattern::Exact(text.to_string()))
        }
    }

    fn is_match(&self, id: &str) -> bool {
        match self {
            IdPattern::Exact(e) => e == id,
            IdPattern::Glob(g) => g.is_match(id),
        }
    }
}

fn rationale(kind: RationaleKind, detail: impl Into<String>) -> Rationale {
    Rationale {
        kind,
        detail: detail.into(),
    }
}

/// The first of `wanted` that `have` holds.
fn first_shared<'a>(have: &[String], wanted: &'a [String]) -> Option<&'a String> {
    wanted.iter().find(|w| have.contains(w))
}

/// Whether `suite` meets every criterion (different flags AND, values of
/// one flag OR); the rationale when it does.
fn matches(suite: &Suite, criteria: &Criteria, ids: &[IdPattern]) -> Option<Vec<Rationale>> {
    let mut why = Vec::new();
    if !ids.is_empty() {
        let i = ids.iter().position(|p| p.is_match(&suite.id))?;
        why.push(rationale(RationaleKind::Id, &criteria.ids[i]));
    }
    if !criteria.tags.is_empty() {
        why.push(rationale(
            RationaleKind::Tag,
            first_shared(&suite.tags, &criteria.tags)?,
        ));
    }
    if !criteria.targets.is_empty() {
        let target = first_shared(&suite.targets, &criteria.targets)?;
        why.push(rationale(RationaleKind::Target, target));
    }
    if !criteria.levels.is_empty() {
        let level = suite.level.as_ref()?;
        let wanted = criteria.levels.iter().find(|l| *l == level)?;
        why.push(rationale(RationaleKind::Level, wanted));
    }
    if !criteria.platforms.is_empty() {
        let detail = if suite.platforms.is_empty() {
            format!("{} (runs anywhere)", criteria.platforms[0])
        } else {
            first_shared(&suite.platforms, &criteria.platforms)?.clone()
        };
        why.push(rationale(RationaleKind::Platform, detail));
    }
    if let Some(threshold) = criteria.risk {
        // An undeclared risk counts as low.
        let risk = suite.risk.unwrap_or(Risk::Low);
        if risk < threshold {
            return None;
        }
        why.push(rationale(
            RationaleKind::Risk,
            format!("{} ≥ {}", risk.name(), threshold.name()),
        ));
    }
    if criteria.all {
        why.push(rationale(RationaleKind::All, "--all"));
    }
    if criteria.is_empty() {
        why.push(rationale(RationaleKind::All, "no selector: every suite"));
    }
    Some(why)
}

/// Selects suites by `criteria` (no `--changed` paths: those join through
/// the caller), then adds the `needs` closure. An id or id glob that
/// matches no suite is a usage error naming the near ids.
pub fn select<'r>(registry: &'r Registry, criteria: &Criteria) -> Result<Vec<Selected<'r>>, Error> {
    let ids = criteria
        .ids
        .iter()
        .map(|p| IdPattern::new(p))
        .collect::<Result<Vec<_>, _>>()?;
    for (pattern, text) in ids.iter().zip(&criteria.ids) {
        if !registry.suites.keys().any(|id| pattern.is_match(id)) {
            let mut err = Error::usage(format!("no suite matches `{text}`"));
            err = match did_you_mean(text, registry.suites.keys().map(String::as_str)) {
                Some(near) => err.hint(format!("did you mean `{near}`?")),
                None => err.hint("`lab suite list` shows every suite id"),
            };
            return Err(err);
        }
    }
    let mut chosen: BTreeMap<&str, Selected<'r>> = BTreeMap::new();
    for suite in registry.suites.values() {
        if suite.tags.iter().any(|t| criteria.exclude_tags.contains(t)) {
            continue;
        }
        if let Some(rationale) = matches(suite, criteria, &ids) {
            chosen.insert(&suite.id, Selected { suite, rationale });
        }
    }
    add_needs(registry, &mut chosen);
    Ok(chosen.into_values().collect())
}

/// Adds, transitively, every suite a selected suite needs, with a
/// `needed_by` entry for each selected suite that needs it.
pub fn add_needs<'r>(registry: &'r Registry, chosen: &mut BTreeMap<&'r str, Selected<'r>>) {
    let mut queue: Vec<&'r Suite> = chosen.values().map(|s| s.suite).collect();
    let mut queued: BTreeSet<&str> = queue.iter().map(|s| s.id.as_str()).collect();
    while let Some(dependent) = queue.pop() {
        for need in &dependent.needs {
            let Some(needed) = registry.suites.get(&need.id) else {
                continue;
            };
            let entry = chosen.entry(&needed.id).or_insert_with(|| Selected {
                suite: needed,
                rationale: Vec::new(),
            });
            let already_selected_directly = entry
                .rationale
                .iter()
                .any(|r| r.kind != RationaleKind::NeededBy);
            if !already_selected_directly {
                entry
                    .rationale
                    .push(rationale(RationaleKind::NeededBy, &dependent.id));
            }
            if queued.insert(&needed.id) {
                queue.push(needed);
            }
        }
    }
    for s in chosen.values_mut() {
        s.rationale
            .sort_by(|a, b| (a.kind as u8, &a.detail).cmp(&(b.kind as u8, &b.detail)));
        s.rationale.dedup();
    }
}

/// Turns command-line selectors into checked criteria: ids canonical,
/// platforms known.
pub fn criteria(args: &crate::cli::SelectArgs) -> Result<Criteria, Error> {
    use crate::registry::load::PLATFORMS;
    for p in &args.platforms {
        if !PLATFORMS.contains(&p.as_str()) {
            let err = Error::usage(format!("unknown platform `{p}`"));
            return Err(match did_you_mean(p, PLATFORMS.iter().copied()) {
                Some(near) => err.hint(format!("did you mean `{near}`?")),
                None => err.hint(format!("platforms are {}", PLATFORMS.join(", "))),
            });
        }
    }
    Ok(Criteria {
        ids: args
            .ids
            .iter()
            .map(|i| canonical_suite_pattern(i))
            .collect(),
        tags: args.tags.clone(),
        targets: args.targets.clone(),
        levels: args.levels.clone(),
        platforms: args.platforms.clone(),
        risk: args.risk,
        changed: false,
        all: args.all,
        exclude_tags: args.exclude_tags.clone(),
    })
}
