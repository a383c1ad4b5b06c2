//! Input-hash caching of `lab verify` (docs/running.md#caching): which
//! selected suites are cache hits, why the others miss, and recording the
//! suites that pass. Keys are `key.rs`; the directory is `store.rs`.

pub mod key;
pub mod store;

use std::collections::{BTreeMap, BTreeSet};

use foldhash::{HashMap, HashMapExt};

use crate::registry::Registry;
use crate::registry::model::Suite;
pub use key::SuiteKey;
pub use store::{Entry, Store};

/// What the cache says about the suites of a run.
#[derive(Debug)]
pub struct CachePlan {
    /// The cache directory.
    pub store: Store,
    /// Keys of the cached suites, by id.
    pub keys: HashMap<String, SuiteKey>,
    /// The suites not to start, with the entry they hit.
    pub hits: HashMap<String, Entry>,
    /// Why each other cached suite misses.
    pub misses: HashMap<String, String>,
    /// Entries present but not usable.
    pub warnings: Vec<String>,
    /// The version each runner of a cached suite reported (probed for the
    /// keys; the manifest records them without probing again).
    pub runner_versions: BTreeMap<String, Option<String>>,
}

impl CachePlan {
    /// `hit`, `miss` or `off` for `id`.
    pub fn state(&self, id: &str) -> &'static str {
        if self.hits.contains_key(id) {
            "hit"
        } else if self.keys.contains_key(id) {
            "miss"
        } else {
            "off"
        }
    }
}

/// The cache directory of `registry`, absolute.
pub fn store(registry: &Registry) -> Store {
    Store {
        dir: registry.workspace.join(registry.settings.cache_dir()),
    }
}

/// Keys `suites` and looks each up; with `use_hits` false (`--no-cache`,
/// `--repeat`, `--rerun-failed`) nothing hits, but keys are still made so
/// passing suites are recorded.
pub fn plan(registry: &Registry, suites: &[&Suite], use_hits: bool) -> CachePlan {
    let store = store(registry);
    let mut plan = CachePlan {
        store,
        keys: HashMap::new(),
        hits: HashMap::new(),
        misses: HashMap::new(),
        warnings: Vec::new(),
        runner_versions: BTreeMap::new(),
    };
    if !suites.iter().any(|s| registry.suite_cache(s).is_some()) {
        return plan;
    }
    let digests = crate::vcs::workspace_digests(&registry.workspace);
    plan.runner_versions = runner_versions(registry, suites);
    plan.keys = key::suite_keys(registry, suites, &digests, &plan.runner_versions);
    for (id, k) in &plan.keys {
        // A quarantined suite is watched for flakiness: it always runs.
        let quarantined = registry
            .suites
            .get(id)
            .is_some_and(|s| s.quarantine.is_some());
        let why = match (&k.unreadable, use_hits) {
            (Some(input), _) => format!("{input} cannot be read"),
            (None, true) if quarantined => "quarantined suites always run".to_string(),
            (None, false) => "cache bypassed".to_string(),
            (None, true) => match plan.store.hit(id, &k.key) {
                Ok(Some(entry)) => {
                    plan.hits.insert(id.clone(), entry);
                    continue;
                }
                Ok(None) => miss_reason(&plan.store, id, k),
                Err(warning) => {
                    plan.warnings.push(warning);
                    "its cache entry is not usable".to_string()
                }
            },
        };
        plan.misses.insert(id.clone(), why);
    }
    plan
}

/// The outcome of a suite not started because it hit `entry`: passed,
/// with that run's logs (relative to this run's directory).
pub fn hit_outcome(
    suite: &Suite,
    reasons: Vec<crate::select::Reason>,
    entry: &Entry,
) -> super::context::Outcome {
    let link = |log: &Option<String>| log.as_ref().map(|l| format!("../{}/{l}", entry.run_id));
    let logs = match (link(&entry.stdout), link(&entry.stderr)) {
        (Some(out), Some(err)) => Some((out, err)),
        _ => None,
    };
    let ran = super::context::Ran {
        profile: suite.profile.as_ref().map(|p| p.id.clone()),
        ..Default::default()
    };
    let mut outcome = super::context::Outcome::new(&suite.id, reasons, ran);
    outcome.reason = Some(format!("cached: inputs unchanged since {}", entry.run_id));
    outcome.logs = logs;
    outcome.cached = Some(crate::outputs::Cached {
        run_id: entry.run_id.clone(),
        key: entry.key.clone(),
    });
    outcome
}

/// The first input that changed since the suite last passed.
fn miss_reason(store: &Store, id: &str, k: &SuiteKey) -> String {
    match store.last(id) {
        Some(last) => key::first_change(&last.inputs, &k.inputs)
            .unwrap_or_else(|| "no passed run with these inputs".to_string()),
        None => "no passed run recorded".to_string(),
    }
}

/// The version each runner of a cached suite reports, probed once.
fn runner_versions(registry: &Registry, suites: &[&Suite]) -> BTreeMap<String, Option<String>> {
    let ids: BTreeSet<&str> = suites
        .iter()
        .filter(|s| registry.suite_cache(s).is_some())
        .flat_map(|s| s.runners.iter().map(|r| r.id.as_str()))
        .collect();
    let path = std::env::var("PATH").ok();
    ids.into_iter()
        .filter_map(|id| registry.runners.get(id))
        .map(|r| {
            (
                r.id.clone(),
                super::tools::runner_version(registry, r, path.as_deref()),
            )
        })
        .collect()
}
