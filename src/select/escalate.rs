//! What a set of changed paths selects (docs/selection.md), with a rationale for
//! each cause: suites whose `paths` match; every suite when a global path
//! changes; the suites whose definitions — or the profiles, fixtures,
//! runners, services and artifacts they use — changed in a registry file
//! (compared with the base revision when it can be read); the users of a
//! fixture whose data changed; and `[escalate.*]` rules. The `needs`
//! closure is added by the selection engine.

use std::collections::{BTreeMap, BTreeSet};

use super::changed::ChangedPaths;
use super::criteria::{Reason, ReasonKind};
use crate::registry::model::{Kind, Registry, Suite};
use crate::registry::paths::PathIndex;
use crate::vcs::read_at_base;

/// Suites selected by changes, each with its reasons.
pub type ChangeSelection = BTreeMap<String, Vec<Reason>>;

fn why(kind: ReasonKind, detail: impl Into<String>) -> Reason {
    Reason::new(kind, detail)
}

fn add(sel: &mut ChangeSelection, suite: &str, r: Reason) {
    let list = sel.entry(suite.to_string()).or_default();
    if !list.contains(&r) {
        list.push(r);
    }
}

/// Every definition id a suite uses (its profile chain, fixtures, runners,
/// services, artifacts), and its own id.
fn uses(registry: &Registry, suite: &Suite) -> Vec<String> {
    let mut ids = vec![suite.id.clone()];
    if let Some(p) = &suite.profile {
        ids.extend(registry.profile_chain(&p.id).iter().map(|p| p.id.clone()));
    }
    ids.extend(suite.fixtures.iter().map(|r| r.id.clone()));
    ids.extend(suite.runners.iter().map(|r| r.id.clone()));
    ids.extend(registry.suite_services(suite));
    ids.extend(suite.artifacts.iter().map(|r| r.id.clone()));
    ids
}

/// The definitions in a registry file's text, by canonical id (`[lab]` as
/// `lab`), each as its TOML value, for comparing two versions of a file.
pub fn definitions_of(text: &str) -> Option<BTreeMap<String, toml::Value>> {
    let table: toml::Table = toml::from_str(text).ok()?;
    let mut out = BTreeMap::new();
    for (key, value) in table {
        if key == "lab" {
            out.insert(key, value);
            continue;
        }
        let (Some(kind), toml::Value::Table(t)) = (Kind::from_name(&key), value) else {
            continue;
        };
        let mut stack = vec![(key.clone(), t)];
        while let Some((id, t)) = stack.pop() {
            let is_def = id != key
                && (t.is_empty()
                    || t.iter()
                        .any(|(k, v)| !v.is_table() || kind.table_fields().contains(&k.as_str())));
            if is_def {
                out.insert(id, toml::Value::Table(t));
            } else {
                for (k, v) in t {
                    if let toml::Value::Table(child) = v {
                        stack.push((format!("{id}.{k}"), child));
                    }
                }
            }
        }
    }
    Some(out)
}

/// Ids whose definition differs between two versions of a file.
fn changed_definitions(
    old: &BTreeMap<String, toml::Value>,
    new: &BTreeMap<String, toml::Value>,
) -> BTreeSet<String> {
    old.keys()
        .chain(new.keys())
        .filter(|id| old.get(*id) != new.get(*id))
        .cloned()
        .collect()
}

/// What `changed` selects in `registry`.
pub fn select_changed(registry: &Registry, changed: &ChangedPaths) -> ChangeSelection {
    let mut sel = ChangeSelection::new();
    by_suite_paths(registry, changed, &mut sel);
    by_global_paths(registry, changed, &mut sel);
    let changed_ids = changed_definition_ids(registry, changed);
    by_definitions(registry, &changed_ids, &mut sel);
    by_fixture_data(registry, changed, &mut sel);
    by_escalations(registry, changed, &changed_ids, &mut sel);
    sel
}

/// Adds `r` to every suite.
fn add_to_all(registry: &Registry, sel: &mut ChangeSelection, r: Reason) {
    for id in registry.suites.keys() {
        add(sel, id, r.clone());
    }
}

/// Suites whose own `paths` match a changed path.
fn by_suite_paths(registry: &Registry, changed: &ChangedPaths, sel: &mut ChangeSelection) {
    let owners: Vec<(&str, &str)> = registry
        .suites
        .values()
        .flat_map(|s| {
            s.paths
                .iter()
                .map(move |p| (s.id.as_str(), p.text.as_str()))
        })
        .collect();
    // Patterns were checked when the registry was loaded.
    let Ok(index) = PathIndex::new(owners.iter().map(|(_, p)| *p)) else {
        return;
    };
    let mut hits = Vec::new();
    for path in &changed.paths {
        hits.clear();
        index.matches(path, &mut hits);
        let is_dir = registry.workspace.join(path).is_dir();
        if is_dir {
            index.under(path, &mut hits);
        }
        hits.sort_unstable();
        hits.dedup();
        for &i in &hits {
            let (suite, pattern) = owners[i];
            let holds = is_dir && pattern.starts_with(&format!("{path}/"));
            let detail = if holds {
                format!("{path}/ holds {pattern}")
            } else {
                format!("{path} matches {pattern}")
            };
            add(sel, suite, why(ReasonKind::ChangedPath, detail));
        }
    }
}

/// Every suite, for each changed path under a `[lab].global_paths` entry.
fn by_global_paths(registry: &Registry, changed: &ChangedPaths, sel: &mut ChangeSelection) {
    let globals = &registry.settings.global_paths;
    let Ok(index) = PathIndex::new(globals.iter().map(|p| p.text.as_str())) else {
        return;
    };
    let mut hits = Vec::new();
    for path in &changed.paths {
        hits.clear();
        index.matches(path, &mut hits);
        if let Some(&i) = hits.first() {
            let detail = format!("{path} (global path {})", globals[i].text);
            add_to_all(registry, sel, why(ReasonKind::RegistryChanged, detail));
        }
    }
}

/// The definitions that changed in changed registry files (compared with
/// the base when it can be read), each with its file: id → file.
fn changed_definition_ids(registry: &Registry, changed: &ChangedPaths) -> BTreeMap<String, String> {
    let mut changed_ids = BTreeMap::new();
    for file in registry.sources.iter() {
        let path = file.path.as_str();
        if !changed.paths.iter().any(|p| p == path) {
            continue;
        }
        let now = definitions_of(&file.text).unwrap_or_default();
        let before = changed
            .base_commit
            .as_deref()
            .and_then(|c| read_at_base(&registry.workspace, c, path));
        let ids: BTreeSet<String> = match before.as_deref().map(definitions_of) {
            Some(Some(old)) => changed_definitions(&old, &now),
            // Unreadable at the base (new, or not a git base): everything in it.
            _ => now.keys().cloned().collect(),
        };
        for id in ids {
            changed_ids.insert(id, path.to_string());
        }
    }
    changed_ids
}

/// Every suite when `[lab]` changed; else the suites that are, or use, a
/// changed definition.
fn by_definitions(
    registry: &Registry,
    changed_ids: &BTreeMap<String, String>,
    sel: &mut ChangeSelection,
) {
    if let Some(file) = changed_ids.get("lab") {
        let detail = format!("{file}: [lab] changed");
        add_to_all(registry, sel, why(ReasonKind::RegistryChanged, detail));
    }
    if changed_ids.len() <= usize::from(changed_ids.contains_key("lab")) {
        return;
    }
    for suite in registry.suites.values() {
        for id in uses(registry, suite) {
            if changed_ids.contains_key(&id) {
                add(sel, &suite.id, why(ReasonKind::DefinitionChanged, id));
            }
        }
    }
}

/// The users of a fixture whose `copy` data changed.
fn by_fixture_data(registry: &Registry, changed: &ChangedPaths, sel: &mut ChangeSelection) {
    for fixture in registry.fixtures.values() {
        let touched = fixture.copy.iter().find_map(|c| {
            let from = c.from.trim_end_matches('/');
            changed
                .paths
                .iter()
                .find(|p| *p == from || p.strip_prefix(from).is_some_and(|r| r.starts_with('/')))
        });
        let Some(path) = touched else { continue };
        for suite in registry.suites.values() {
            if suite.fixtures.iter().any(|f| f.id == fixture.id) {
                let detail = format!("{} (data {path})", fixture.id);
                add(sel, &suite.id, why(ReasonKind::DefinitionChanged, detail));
            }
        }
    }
}

/// What `[escalate.*]` rules select: those whose `when` matches a changed
/// path, and those that changed themselves.
fn by_escalations(
    registry: &Registry,
    changed: &ChangedPaths,
    changed_ids: &BTreeMap<String, String>,
    sel: &mut ChangeSelection,
) {
    for rule in registry.escalations.values() {
        let fired = PathIndex::new(rule.when.iter().map(|p| p.text.as_str()))
            .ok()
            .and_then(|index| {
                let mut hits = Vec::new();
                changed.paths.iter().find(|p| {
                    hits.clear();
                    index.matches(p, &mut hits);
                    !hits.is_empty()
                })
            });
        if fired.is_none() && !changed_ids.contains_key(&rule.id) {
            continue;
        }
        let detail = match &rule.reason {
            Some(reason) => format!("{}: {reason}", rule.id),
            None => rule.id.clone(),
        };
        let s = &rule.select;
        for suite in registry.suites.values() {
            let picked = s.all
                || s.suites.iter().any(|r| r.id == suite.id)
                || suite.tags.iter().any(|t| s.tags.contains(t))
                || suite.targets.iter().any(|t| s.targets.contains(t))
                || suite.level.as_ref().is_some_and(|l| s.levels.contains(l));
            if picked {
                add(sel, &suite.id, why(ReasonKind::Escalation, detail.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_flatten_like_the_loader() {
        let defs = definitions_of(
            "[lab]\nbase = \"main\"\n[suite.api.unit]\ncommand = \"x\"\n[suite.timeout]\ncommand = \"y\"\n[profile.p.env]\nA = \"1\"\n",
        )
        .expect("valid");
        let ids: Vec<&str> = defs.keys().map(String::as_str).collect();
        assert_eq!(ids, ["lab", "profile.p", "suite.api.unit", "suite.timeout"]);
    }

    #[test]
    fn only_differing_definitions_count_as_changed() {
        let old = definitions_of("[suite.a]\ncommand = \"x\"\n[suite.b]\ncommand = \"y\"\n")
            .expect("old");
        let new = definitions_of("[suite.a]\ncommand = \"x\" # same\n[suite.b]\ncommand = \"z\"\n[suite.c]\ncommand = \"n\"\n").expect("new");
        let ids: Vec<String> = changed_definitions(&old, &new).into_iter().collect();
        assert_eq!(ids, ["suite.b", "suite.c"]);
    }
}
