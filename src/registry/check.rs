//! Checks that need the whole registry: references resolved to canonical
//! ids (with did-you-mean), commands present, no cycles in `needs` or
//! `extends`; and, for `lab check` only, warnings about path patterns that
//! match no file in the workspace.
//!
//! Per-table checks (types, unknown keys) happen while reading, in
//! `load.rs` and `reader.rs`.

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use super::diagnostic::{Diagnostic, did_you_mean};
use super::model::{Kind, PathPattern, Ref, Registry};
use super::paths::PathIndex;
use super::source::Sources;

/// Resolves every reference to a canonical id and checks the graph.
pub fn resolve(registry: &mut Registry, diags: &mut Vec<Diagnostic>) {
    let ids = IdTable::new(registry);
    let Registry {
        sources,
        suites,
        profiles,
        escalations,
        runners,
        artifacts,
        ..
    } = registry;
    let mut resolver = Resolver {
        ids: &ids,
        sources,
        diags,
    };
    for suite in suites.values_mut() {
        let owner = suite.id.clone();
        if let Some(p) = &mut suite.profile {
            resolver.one(p, &[Kind::Profile], "profile", &owner);
        }
        resolver.all(&mut suite.fixtures, &[Kind::Fixture], "fixtures", &owner);
        resolver.all(&mut suite.runners, &[Kind::Runner], "runners", &owner);
        resolver.all(&mut suite.services, &[Kind::Service], "services", &owner);
        resolver.all(&mut suite.needs, &[Kind::Suite], "needs", &owner);
        resolver.all(
            &mut suite.artifacts,
            &[Kind::Artifact, Kind::Log],
            "artifacts",
            &owner,
        );
    }
    for profile in profiles.values_mut() {
        let owner = profile.id.clone();
        if let Some(parent) = &mut profile.extends {
            resolver.one(parent, &[Kind::Profile], "extends", &owner);
        }
        resolver.all(&mut profile.services, &[Kind::Service], "services", &owner);
    }
    for rule in escalations.values_mut() {
        let owner = rule.id.clone();
        resolver.all(
            &mut rule.select.suites,
            &[Kind::Suite],
            "select.suites",
            &owner,
        );
    }
    check_commands(sources, suites, runners, diags);
    check_artifact_paths(sources, suites, artifacts, diags);
    super::shared_reports::check_shared_reports(sources, suites, runners, diags);
    check_needs_cycles(sources, suites, diags);
    check_extends_cycles(sources, profiles, diags);
}

/// Every canonical id, and the ids of each kind.
struct IdTable {
    all: HashSet<String>,
    by_kind: HashMap<Kind, Vec<String>>,
}

impl IdTable {
    fn new(r: &Registry) -> Self {
        let mut by_kind: HashMap<Kind, Vec<String>> = HashMap::new();
        let mut add = |kind: Kind, ids: Vec<&String>| {
            by_kind
                .entry(kind)
                .or_default()
                .extend(ids.into_iter().cloned());
        };
        add(Kind::Suite, r.suites.keys().collect());
        add(Kind::Profile, r.profiles.keys().collect());
        add(Kind::Fixture, r.fixtures.keys().collect());
        add(Kind::Runner, r.runners.keys().collect());
        add(Kind::Service, r.services.keys().collect());
        add(
            Kind::Artifact,
            r.artifacts
                .keys()
                .filter(|k| k.starts_with("artifact."))
                .collect(),
        );
        add(
            Kind::Log,
            r.artifacts
                .keys()
                .filter(|k| k.starts_with("log."))
                .collect(),
        );
        add(Kind::Escalate, r.escalations.keys().collect());
        let all = by_kind.values().flatten().cloned().collect();
        IdTable { all, by_kind }
    }
}

struct Resolver<'a> {
    ids: &'a IdTable,
    sources: &'a Sources,
    diags: &'a mut Vec<Diagnostic>,
}

impl Resolver<'_> {
    fn all(&mut self, refs: &mut Vec<Ref>, kinds: &[Kind], field: &str, owner: &str) {
        for r in refs.iter_mut() {
            self.one(r, kinds, field, owner);
        }
        // `fixtures = ["a", "fixture.a"]` names one fixture once.
        let mut seen = HashSet::new();
        refs.retain(|r| seen.insert(r.id.clone()));
    }

    fn one(&mut self, r: &mut Ref, kinds: &[Kind], field: &str, owner: &str) {
        if let Some(id) = canonical(&self.ids.all, kinds, &r.id) {
            r.id = id;
            return;
        }
        // `log.x` among `artifacts` is wanted as a log, not `artifact.log.x`.
        let written = kinds
            .iter()
            .find(|k| r.id.starts_with(&format!("{}.", k.name())));
        let kind = written.copied().unwrap_or(kinds[0]);
        let wanted = match written {
            Some(_) => r.id.clone(),
            None => format!("{}.{}", kind.name(), r.id),
        };
        let candidates: Vec<&str> = kinds
            .iter()
            .flat_map(|k| self.ids.by_kind.get(k).into_iter().flatten())
            .map(String::as_str)
            .collect();
        let help = match did_you_mean(&wanted, candidates.iter().copied()) {
            Some(m) => Some(format!("did you mean `{m}`?")),
            None if candidates.is_empty() => Some(format!(
                "no {} is defined; define `[{wanted}]`",
                kind.name()
            )),
            None => None,
        };
        self.diags.push(
            Diagnostic::error(
                "undefined-reference",
                format!(
                    "`{field}` of `{owner}` names `{}`, which is not defined",
                    r.id
                ),
            )
            .at(self.sources, r.span)
            .found(format!("{:?}", r.id))
            .expected(format!("the id of a defined {}", kind.name()))
            .maybe_help(help),
        );
    }
}

/// The canonical id `raw` names among `kinds`: `profile.dev` as written, or
/// `dev` with the kind prefixed.
fn canonical(all: &HashSet<String>, kinds: &[Kind], raw: &str) -> Option<String> {
    for kind in kinds {
        if raw.starts_with(kind.name())
            && raw[kind.name().len()..].starts_with('.')
            && all.contains(raw)
        {
            return Some(raw.to_string());
        }
    }
    kinds
        .iter()
        .map(|k| format!("{}.{raw}", k.name()))
        .find(|id| all.contains(id))
}

/// A declared artifact's relative path must stay in the workspace from
/// the working directory of every suite that collects it.
fn check_artifact_paths(
    sources: &Sources,
    suites: &BTreeMap<String, super::model::Suite>,
    artifacts: &BTreeMap<String, super::model::Artifact>,
    diags: &mut Vec<Diagnostic>,
) {
    for suite in suites.values() {
        for def in suite.artifacts.iter().filter_map(|r| artifacts.get(&r.id)) {
            if def.path.starts_with(['/', '{']) {
                continue;
            }
            let joined = format!("{}/{}", suite.cwd, def.path);
            if crate::files::normalize_relative(&joined).is_none() {
                diags.push(
                    Diagnostic::error(
                        "invalid-artifact-path",
                        format!(
                            "`{}` leaves the workspace from the working directory of `{}` (`{}`)",
                            def.id, suite.id, suite.cwd
                        ),
                    )
                    .at(sources, def.span)
                    .found(format!("{:?}", def.path))
                    .expected("a path under the workspace or the run directory"),
                );
            }
        }
    }
}

fn check_commands(
    sources: &Sources,
    suites: &BTreeMap<String, super::model::Suite>,
    runners: &BTreeMap<String, super::model::Runner>,
    diags: &mut Vec<Diagnostic>,
) {
    for suite in suites.values() {
        if suite.command.is_some() {
            continue;
        }
        let templates: Vec<&str> = suite
            .runners
            .iter()
            .filter_map(|r| runners.get(&r.id))
            .filter(|r| r.command.is_some())
            .map(|r| r.id.as_str())
            .collect();
        match templates.len() {
            1 => {}
            0 => diags.push(
                Diagnostic::error("missing-command", format!("`{}` has no command", suite.id))
                    .at(sources, suite.span)
                    .expected(
                        "`command = \"…\"`, or a runner in `runners` with a `command` template",
                    ),
            ),
            _ => diags.push(
                Diagnostic::error(
                    "ambiguous-command",
                    format!(
                        "`{}` has no command and several runners supply one",
                        suite.id
                    ),
                )
                .at(sources, suite.span)
                .found(templates.join(", "))
                .expected("a `command` of its own, or one runner with a `command` template"),
            ),
        }
    }
}

/// Depth-first search for cycles; `edges(id)` lists `(target, ref)`.
fn find_cycles<'a>(
    nodes: impl Iterator<Item = &'a str>,
    edges: impl Fn(&str) -> Vec<&'a Ref>,
) -> Vec<(Vec<String>, &'a Ref)> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Active,
        Done,
    }
    fn visit<'a>(
        node: &str,
        edges: &dyn Fn(&str) -> Vec<&'a Ref>,
        marks: &mut HashMap<String, Mark>,
        stack: &mut Vec<String>,
        cycles: &mut Vec<(Vec<String>, &'a Ref)>,
    ) {
        marks.insert(node.to_string(), Mark::Active);
        stack.push(node.to_string());
        for r in edges(node) {
            match marks.get(&r.id) {
                Some(Mark::Active) => {
                    let start = stack.iter().position(|n| *n == r.id).unwrap_or(0);
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(r.id.clone());
                    cycles.push((cycle, r));
                }
                Some(Mark::Done) => {}
                None => visit(&r.id, edges, marks, stack, cycles),
            }
        }
        stack.pop();
        marks.insert(node.to_string(), Mark::Done);
    }
    let mut marks = HashMap::new();
    let mut cycles = Vec::new();
    for node in nodes {
        if !marks.contains_key(node) {
            visit(node, &edges, &mut marks, &mut Vec::new(), &mut cycles);
        }
    }
    cycles
}

fn check_needs_cycles(
    sources: &Sources,
    suites: &BTreeMap<String, super::model::Suite>,
    diags: &mut Vec<Diagnostic>,
) {
    let cycles = find_cycles(suites.keys().map(String::as_str), |id| {
        suites
            .get(id)
            .map(|s| {
                s.needs
                    .iter()
                    .filter(|r| suites.contains_key(&r.id))
                    .collect()
            })
            .unwrap_or_default()
    });
    for (cycle, r) in cycles {
        let message = if cycle.len() == 2 {
            format!("`{}` needs itself", cycle[0])
        } else {
            format!("`needs` forms a cycle: {}", cycle.join(" → "))
        };
        diags.push(
            Diagnostic::error("needs-cycle", message)
                .at(sources, r.span)
                .help("remove one of these `needs` so the suites can run in order"),
        );
    }
}

fn check_extends_cycles(
    sources: &Sources,
    profiles: &BTreeMap<String, super::model::Profile>,
    diags: &mut Vec<Diagnostic>,
) {
    let cycles = find_cycles(profiles.keys().map(String::as_str), |id| {
        profiles
            .get(id)
            .and_then(|p| p.extends.as_ref())
            .filter(|r| profiles.contains_key(&r.id))
            .into_iter()
            .collect()
    });
    for (cycle, r) in cycles {
        diags.push(
            Diagnostic::error(
                "extends-cycle",
                format!("`extends` forms a cycle: {}", cycle.join(" → ")),
            )
            .at(sources, r.span)
            .help("a profile cannot extend itself, directly or through others"),
        );
    }
}

/// Warnings for `lab check`: suite path patterns that match no file in
/// the workspace, and fixture copies whose source does not exist.
/// `[escalate.*] when` and `[lab] global_paths` are left alone: they are
/// often written to catch files that do not exist yet
/// (`rust-toolchain.toml`, `.cargo/**`).
pub fn workspace_warnings(registry: &Registry) -> Vec<Diagnostic> {
    let mut owners: Vec<(&str, &PathPattern)> = Vec::new();
    for suite in registry.suites.values() {
        owners.extend(suite.paths.iter().map(|p| (suite.id.as_str(), p)));
    }

    let mut diags = Vec::new();
    if !owners.is_empty() {
        // Walking the tree is I/O and compiling the patterns is CPU: overlap them.
        let (files, index) = std::thread::scope(|scope| {
            let walker = scope.spawn(|| workspace_files(&registry.workspace));
            let index = PathIndex::new(owners.iter().map(|(_, p)| p.text.as_str()));
            let files = match walker.join() {
                Ok(files) => files,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            (files, index)
        });
        let Ok(index) = index else {
            return diags; // patterns were checked at load; nothing to add
        };
        let mut matched = vec![false; owners.len()];
        let mut hits = Vec::new();
        for file in files {
            hits.clear();
            index.matches(&file, &mut hits);
            for &i in &hits {
                matched[i] = true;
            }
        }
        for ((owner, pattern), matched) in owners.iter().zip(matched) {
            if !matched {
                diags.push(
                    Diagnostic::warning(
                        "unmatched-path",
                        format!(
                            "path pattern `{}` of `{owner}` matches no file",
                            pattern.text
                        ),
                    )
                    .at(&registry.sources, pattern.span)
                    .help("no change selects the suite through it until such a file exists; fix the pattern or remove it"),
                );
            }
        }
    }
    for fixture in registry.fixtures.values() {
        for (copy, span) in fixture.copy.iter().zip(&fixture.copy_spans) {
            if !registry.workspace.join(&copy.from).exists() {
                diags.push(
                    Diagnostic::warning(
                        "missing-fixture-data",
                        format!(
                            "`{}` copies `{}`, which does not exist",
                            fixture.id, copy.from
                        ),
                    )
                    .at(&registry.sources, *span),
                );
            }
        }
    }
    diags
}

/// Workspace-relative paths of the files in the workspace, honouring
/// `.gitignore` (so `target/` and friends are skipped) but not hiding
/// dot-files, which patterns such as `.github/` name. `lab init` lists
/// only paths this walk finds.
pub fn workspace_files(workspace: &camino::Utf8Path) -> Vec<String> {
    let walker = ignore::WalkBuilder::new(workspace)
        .hidden(false)
        .require_git(false)
        .filter_entry(|e| !matches!(e.file_name().to_str(), Some(".git" | ".jj")))
        .build();
    let mut files = Vec::new();
    for entry in walker.flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        if let Ok(rel) = entry.path().strip_prefix(workspace)
            && let Some(rel) = rel.to_str()
        {
            files.push(rel.replace('\\', "/"));
        }
    }
    files
}
