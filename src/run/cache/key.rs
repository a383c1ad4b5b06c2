//! Cache keys (docs/running.md#caching): for each cached suite, the list
//! of its inputs as `(name, digest)` in a fixed order, and the key, a hash
//! over that list. The definition comes first (field by field, then every
//! definition it uses, then the registry files defining them), then the
//! platform, lab's version and the runners' reported versions, then the
//! files matched by `global_paths`, its `inputs` and its fixtures' `copy`
//! sources. Secret values never enter: lab reads no host variable here.
//!
//! Reading and writing entries is `store.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use foldhash::{HashMap, HashMapExt};

use crate::registry::Registry;
use crate::registry::model::Suite;
use crate::registry::paths::PathIndex;
use crate::vcs::{Digests, UNREADABLE, blob_id};

/// A suite's cache key and what went into it.
#[derive(Debug, Clone)]
pub struct SuiteKey {
    /// 40 hex digits.
    pub key: String,
    /// Every input, `(name, digest)`, in key order.
    pub inputs: Vec<(String, String)>,
    /// Some input could not be read: the suite never hits.
    pub unreadable: Option<String>,
}

/// Pattern owner standing for `global_paths`.
const GLOBAL: usize = usize::MAX;

/// The keys of every suite of `suites` whose caching is on, by id.
/// `tools`: runner id → its reported version.
pub fn suite_keys(
    registry: &Registry,
    suites: &[&Suite],
    digests: &Digests,
    tools: &BTreeMap<String, Option<String>>,
) -> HashMap<String, SuiteKey> {
    let cached: Vec<(&Suite, Vec<String>)> = suites
        .iter()
        .filter_map(|s| {
            registry
                .suite_cache(s)
                .map(|i| (*s, patterns(registry, s, i)))
        })
        .collect();
    let mut owners: Vec<usize> = Vec::new();
    let mut texts: Vec<&str> = Vec::new();
    for p in &registry.settings.global_paths {
        owners.push(GLOBAL);
        texts.push(&p.text);
    }
    let mut first_pattern = Vec::with_capacity(cached.len());
    for (i, (_, pats)) in cached.iter().enumerate() {
        first_pattern.push(texts.len());
        for p in pats {
            owners.push(i);
            texts.push(p);
        }
    }
    let files = matched_files(&texts, &owners, cached.len(), digests);
    // Each registry file is hashed once, however many suites it defines.
    let sources: Vec<String> = registry
        .sources
        .iter()
        .map(|f| blob_id(f.text.as_bytes()))
        .collect();
    let mut keys = HashMap::with_capacity(cached.len());
    for (i, (suite, _)) in cached.iter().enumerate() {
        let mut inputs = definition(registry, suite, tools, &sources);
        let mut mine: Vec<usize> = files
            .global
            .iter()
            .chain(&files.per_suite[i])
            .copied()
            .collect();
        mine.sort_unstable();
        mine.dedup();
        inputs.extend(mine.into_iter().map(|f| {
            let (path, digest) = &digests.files[f];
            (format!("file {path}"), digest.clone())
        }));
        let mine = first_pattern[i]..first_pattern[i] + cached[i].1.len();
        inputs.extend(unlisted_files(
            registry,
            &texts[mine.clone()],
            &files.matched[mine],
        ));
        keys.insert(suite.id.clone(), finish(inputs));
    }
    keys
}

/// The suite's input patterns and its fixtures' `copy.from` sources.
fn patterns(
    registry: &Registry,
    suite: &Suite,
    inputs: Vec<&crate::registry::model::PathPattern>,
) -> Vec<String> {
    let mut out: Vec<String> = inputs.into_iter().map(|p| p.text.clone()).collect();
    for f in suite
        .fixtures
        .iter()
        .filter_map(|r| registry.fixtures.get(&r.id))
    {
        for c in &f.copy {
            out.push(
                c.from
                    .trim_start_matches("./")
                    .trim_end_matches('/')
                    .to_string(),
            );
        }
    }
    out
}

/// Indices into `digests.files`: those of `global_paths` and each suite's.
struct Matched {
    global: Vec<usize>,
    per_suite: Vec<Vec<usize>>,
    /// For each pattern, whether it matched a listed file.
    matched: Vec<bool>,
}

/// Files named exactly by a pattern that matched no listed file but exist
/// (ignored by git, say): read, so their change is never missed.
fn unlisted_files(registry: &Registry, texts: &[&str], matched: &[bool]) -> Vec<(String, String)> {
    texts
        .iter()
        .zip(matched)
        .filter(|(t, m)| !**m && !crate::registry::paths::is_glob(t) && !t.ends_with('/'))
        .filter_map(|(t, _)| {
            let path = registry.workspace.join(t);
            path.is_file().then(|| {
                let digest = std::fs::read(&path)
                    .map(|b| blob_id(&b))
                    .unwrap_or_else(|_| UNREADABLE.to_string());
                (format!("file {t}"), digest)
            })
        })
        .collect()
}

fn matched_files(texts: &[&str], owners: &[usize], suites: usize, digests: &Digests) -> Matched {
    let mut m = Matched {
        global: Vec::new(),
        per_suite: vec![Vec::new(); suites],
        matched: vec![false; texts.len()],
    };
    // Patterns were checked when the registry loaded.
    let Ok(index) = PathIndex::new(texts.iter().copied()) else {
        return m;
    };
    let mut hits = Vec::new();
    for (f, (path, _)) in digests.files.iter().enumerate() {
        hits.clear();
        index.matches(path, &mut hits);
        for &h in &hits {
            m.matched[h] = true;
            match owners[h] {
                GLOBAL => m.global.push(f),
                s => m.per_suite[s].push(f),
            }
        }
    }
    m.global.dedup();
    m
}

/// `Span { … }` in a definition's debug text: where it was written is not
/// what it means.
static SPAN: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"Span \{[^}]*\}").expect("valid regex"));

/// The digest of a definition's meaning.
fn meaning(def: &impl std::fmt::Debug) -> String {
    blob_id(SPAN.replace_all(&format!("{def:?}"), "").as_bytes())
}

/// The resolved definition, field by field, then what it uses.
fn definition(
    registry: &Registry,
    suite: &Suite,
    tools: &BTreeMap<String, Option<String>>,
    sources: &[String],
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |name: String, value: &str| out.push((name, blob_id(value.as_bytes())));
    add("suite".into(), &suite.id);
    add("command".into(), &registry.suite_command(suite).0);
    add("cwd".into(), suite.cwd.as_str());
    add(
        "timeout".into(),
        &format!("{:?}", registry.suite_timeout(suite)),
    );
    for (name, value, from) in registry.suite_env(suite) {
        add(format!("env {name} ({from})"), value);
    }
    add("requires".into(), &format!("{:?}", suite.requires));
    add("platforms".into(), &format!("{:?}", suite.platforms));
    add(
        "needs".into(),
        &format!(
            "{:?}",
            suite.needs.iter().map(|n| &n.id).collect::<Vec<_>>()
        ),
    );
    let mut files: BTreeSet<crate::registry::source::FileId> = BTreeSet::new();
    files.insert(suite.span.file);
    out.push(("suite definition".into(), meaning(suite)));
    if let Some(p) = &suite.profile {
        for p in registry.profile_chain(&p.id) {
            files.insert(p.span.file);
            out.push((p.id.clone(), meaning(p)));
        }
    }
    let mut uses = |id: &str| {
        let found: Option<(String, crate::registry::source::Span)> = None
            .or_else(|| registry.fixtures.get(id).map(|d| (meaning(d), d.span)))
            .or_else(|| registry.runners.get(id).map(|d| (meaning(d), d.span)))
            .or_else(|| registry.services.get(id).map(|d| (meaning(d), d.span)))
            .or_else(|| registry.artifacts.get(id).map(|d| (meaning(d), d.span)));
        if let Some((digest, span)) = found {
            files.insert(span.file);
            out.push((id.to_string(), digest));
        }
    };
    for r in suite
        .fixtures
        .iter()
        .chain(&suite.runners)
        .chain(&suite.artifacts)
    {
        uses(&r.id);
    }
    for id in registry.suite_services(suite) {
        uses(&id);
    }
    files.insert(
        registry
            .sources
            .find(&registry.root_file)
            .unwrap_or(suite.span.file),
    );
    for f in files {
        let file = registry.sources.get(f);
        let digest = sources.get(f).cloned().unwrap_or_default();
        out.push((format!("registry {}", file.path), digest));
    }
    out.push((
        "platform".into(),
        blob_id(format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH).as_bytes()),
    ));
    out.push((
        "lab version".into(),
        blob_id(env!("CARGO_PKG_VERSION").as_bytes()),
    ));
    for r in &suite.runners {
        let version = tools.get(&r.id).cloned().flatten().unwrap_or_default();
        out.push((format!("version of {}", r.id), blob_id(version.as_bytes())));
    }
    out
}

/// The key over `inputs`.
fn finish(inputs: Vec<(String, String)>) -> SuiteKey {
    let mut text = String::from("lab-cache-1\n");
    for (name, digest) in &inputs {
        text.push_str(name);
        text.push('\0');
        text.push_str(digest);
        text.push('\n');
    }
    let unreadable = inputs
        .iter()
        .find(|(_, d)| d == UNREADABLE)
        .map(|(n, _)| n.clone());
    SuiteKey {
        key: blob_id(text.as_bytes()),
        inputs,
        unreadable,
    }
}

/// The first input of `now` that differs from `before` (changed, added,
/// or, failing both, removed), as said to people.
pub fn first_change(before: &[(String, String)], now: &[(String, String)]) -> Option<String> {
    let old: HashMap<&str, &str> = before
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_str()))
        .collect();
    for (name, digest) in now {
        match old.get(name.as_str()) {
            Some(d) if d == digest => {}
            Some(_) => return Some(format!("{name} changed")),
            None => return Some(format!("{name} added")),
        }
    }
    let new: BTreeSet<&str> = now.iter().map(|(n, _)| n.as_str()).collect();
    before
        .iter()
        .find(|(n, _)| !new.contains(n.as_str()))
        .map(|(n, _)| format!("{n} removed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(n, d)| (n.to_string(), d.to_string()))
            .collect()
    }

    #[test]
    fn the_first_change_is_named_in_key_order() {
        let before = inputs(&[("command", "1"), ("file a", "1"), ("file b", "1")]);
        let same = first_change(&before, &before);
        assert_eq!(same, None);
        let now = inputs(&[("command", "2"), ("file a", "2"), ("file b", "1")]);
        assert_eq!(
            first_change(&before, &now).as_deref(),
            Some("command changed")
        );
        let now = inputs(&[
            ("command", "1"),
            ("file a", "1"),
            ("file a2", "1"),
            ("file b", "1"),
        ]);
        assert_eq!(
            first_change(&before, &now).as_deref(),
            Some("file a2 added")
        );
        let now = inputs(&[("command", "1"), ("file b", "1")]);
        assert_eq!(
            first_change(&before, &now).as_deref(),
            Some("file a removed")
        );
    }

    #[test]
    fn an_unreadable_input_is_reported_and_changes_the_key() {
        let readable = finish(inputs(&[("file a", "1")]));
        let unreadable = finish(inputs(&[("file a", UNREADABLE)]));
        assert_eq!(readable.unreadable, None);
        assert_eq!(unreadable.unreadable.as_deref(), Some("file a"));
        assert_ne!(readable.key, unreadable.key);
        assert_eq!(readable.key.len(), 40);
    }
}
