//! Questions asked of the history: what changed between two runs (or for
//! each suite since its own previous run), which suites flip between
//! passing and failing, which runs pruning may delete. Pure functions over
//! index records.

use std::collections::{BTreeMap, HashSet};

use schemars::JsonSchema;
use serde::Serialize;

use super::index::{Origin, RunRecord, SuiteBrief};
use crate::outputs::Status;

/// Failed or blocked.
pub fn failing(s: Status) -> bool {
    matches!(s, Status::Failed | Status::Blocked)
}

/// One suite in a diff.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct DiffEntry {
    /// Suite id.
    pub id: String,
    /// Status in the older run (null when added).
    pub before: Option<Status>,
    /// Status in the newer run (null when removed).
    pub after: Option<Status>,
    /// Duration in the newer run minus in the older one.
    pub duration_change_ms: Option<i64>,
    /// The earlier run it is compared with (null when added). Since
    /// schema_version 1 (issue 20).
    #[serde(default)]
    pub from: Option<String>,
    /// Failed tests (JUnit) in the older run and in the newer one, when
    /// both counted them. Since schema_version 1 (issue 20).
    #[serde(default)]
    pub failed_tests: Option<TestsChange>,
}

/// Failed tests before and after.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema, PartialEq)]
pub struct TestsChange {
    /// In the older run.
    pub before: u64,
    /// In the newer run.
    pub after: u64,
}

/// An earlier run a diff compares with, and what differs between it and
/// the newer run.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct Baseline {
    /// The earlier run.
    pub run: String,
    /// The suites compared with it.
    pub suites: Vec<String>,
    /// Its commit (null: not recorded, or no version control).
    pub commit: Option<String>,
    /// Its uncommitted changes.
    pub dirty: Option<bool>,
    /// Its registry digest.
    pub registry_digest: Option<String>,
    /// How many suites it ran.
    pub selected: usize,
    /// What differs from the newer run, of `commit`, `dirty`, `registry`
    /// and `selection` (the suites that ran); only what both runs recorded.
    pub differs: Vec<String>,
}

/// What changed between two runs.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RunDiff {
    /// Always 1.
    pub schema_version: u32,
    /// The older run.
    pub from: String,
    /// The newer run.
    pub to: String,
    /// The newer run's commit. Since schema_version 1 (issue 20).
    #[serde(default)]
    pub commit: Option<String>,
    /// The runs compared with (one for two named runs; by default each
    /// suite's own previous run), newest first, and what differs. Since
    /// schema_version 1 (issue 20).
    #[serde(default)]
    pub against: Vec<Baseline>,
    /// Passing (or skipped) before, failing now — listed first.
    pub newly_failing: Vec<DiffEntry>,
    /// Failing before, passing now.
    pub newly_fixed: Vec<DiffEntry>,
    /// Failing in both.
    pub still_failing: Vec<DiffEntry>,
    /// Only in the newer run.
    pub added: Vec<DiffEntry>,
    /// Only in the older run.
    pub removed: Vec<DiffEntry>,
    /// In both with the same outcome class, with their duration change.
    pub unchanged: Vec<DiffEntry>,
}

/// A duration as a signed number of ms (a hostile one saturates).
fn ms(d: u64) -> i64 {
    i64::try_from(d).unwrap_or(i64::MAX)
}

/// Compares `older` with `newer`.
pub fn diff(older: &RunRecord, newer: &RunRecord) -> RunDiff {
    let before: BTreeMap<&str, (&RunRecord, &SuiteBrief)> = older
        .suites
        .iter()
        .map(|s| (s.id.as_str(), (older, s)))
        .collect();
    let mut d = compare(&before, newer);
    for (id, (_, b)) in &before {
        if !newer.suites.iter().any(|s| s.id == *id) {
            d.removed.push(DiffEntry {
                id: id.to_string(),
                before: Some(b.status),
                after: None,
                duration_change_ms: None,
                from: Some(older.run_id.clone()),
                failed_tests: None,
            });
        }
    }
    d
}

/// Compares each suite of the run at `index` in `runs` (newest first)
/// with the latest earlier run that ran it; `None` when no earlier run ran
/// any of its suites.
pub fn diff_per_suite(runs: &[RunRecord], index: usize) -> Option<RunDiff> {
    let newer = runs.get(index)?;
    let earlier = runs.get(index + 1..)?;
    let before: BTreeMap<&str, (&RunRecord, &SuiteBrief)> = newer
        .suites
        .iter()
        .filter_map(|s| {
            earlier.iter().find_map(|r| {
                let b = r.suites.iter().find(|b| b.id == s.id)?;
                Some((s.id.as_str(), (r, b)))
            })
        })
        .collect();
    (!before.is_empty()).then(|| compare(&before, newer))
}

/// Sorts the suites of `newer` by how they compare with `before` (suite
/// id → the earlier run and its result there).
fn compare(before: &BTreeMap<&str, (&RunRecord, &SuiteBrief)>, newer: &RunRecord) -> RunDiff {
    let mut d = RunDiff {
        schema_version: crate::outputs::SCHEMA_VERSION,
        from: before
            .values()
            .map(|(r, _)| r.run_id.clone())
            .max()
            .unwrap_or_default(),
        to: newer.run_id.clone(),
        commit: newer.origin.commit.clone(),
        against: baselines(before, newer),
        newly_failing: Vec::new(),
        newly_fixed: Vec::new(),
        still_failing: Vec::new(),
        added: Vec::new(),
        removed: Vec::new(),
        unchanged: Vec::new(),
    };
    for a in &newer.suites {
        let b = before.get(a.id.as_str());
        let entry = DiffEntry {
            id: a.id.clone(),
            before: b.map(|(_, b)| b.status),
            after: Some(a.status),
            duration_change_ms: b.map(|(_, b)| ms(a.duration_ms).saturating_sub(ms(b.duration_ms))),
            from: b.map(|(r, _)| r.run_id.clone()),
            failed_tests: b.and_then(|(_, b)| {
                Some(TestsChange {
                    before: b.failed_tests?,
                    after: a.failed_tests?,
                })
            }),
        };
        match b {
            None => d.added.push(entry),
            Some((_, b)) => match (failing(b.status), failing(a.status)) {
                (false, true) => d.newly_failing.push(entry),
                (true, false) => d.newly_fixed.push(entry),
                (true, true) => d.still_failing.push(entry),
                (false, false) => d.unchanged.push(entry),
            },
        }
    }
    d
}

/// The earlier runs of `before`, newest first, each with its suites and
/// what differs between it and `newer`.
fn baselines(
    before: &BTreeMap<&str, (&RunRecord, &SuiteBrief)>,
    newer: &RunRecord,
) -> Vec<Baseline> {
    let mut runs: BTreeMap<&str, (&RunRecord, Vec<String>)> = BTreeMap::new();
    for (id, (r, _)) in before {
        runs.entry(r.run_id.as_str())
            .or_insert_with(|| (r, Vec::new()))
            .1
            .push(id.to_string());
    }
    runs.into_values()
        .rev()
        .map(|(r, suites)| Baseline {
            run: r.run_id.clone(),
            suites,
            commit: r.origin.commit.clone(),
            dirty: r.origin.dirty,
            registry_digest: r.origin.registry_digest.clone(),
            selected: r.suites.len(),
            differs: differences(r, newer),
        })
        .collect()
}

/// What differs between two runs, of what both recorded.
fn differences(older: &RunRecord, newer: &RunRecord) -> Vec<String> {
    fn differ<T: PartialEq>(a: &Option<T>, b: &Option<T>) -> bool {
        matches!((a, b), (Some(a), Some(b)) if a != b)
    }
    let (a, b): (&Origin, &Origin) = (&older.origin, &newer.origin);
    let ids = |r: &RunRecord| -> std::collections::BTreeSet<String> {
        r.suites.iter().map(|s| s.id.clone()).collect()
    };
    let mut out = Vec::new();
    for (what, differs) in [
        ("commit", differ(&a.commit, &b.commit)),
        ("dirty", differ(&a.dirty, &b.dirty)),
        ("registry", differ(&a.registry_digest, &b.registry_digest)),
        ("selection", ids(older) != ids(newer)),
    ] {
        if differs {
            out.push(what.to_string());
        }
    }
    out
}

impl RunDiff {
    /// How many suites the newer run ran.
    fn ran(&self) -> usize {
        self.newly_failing.len()
            + self.newly_fixed.len()
            + self.still_failing.len()
            + self.added.len()
            + self.unchanged.len()
    }

    /// One line per earlier run compared with, saying what differs:
    /// `compared with R (2 suites): commits differ (1a2b3c4d5e → 9f8e7d6c5b),
    /// registry differs, selection differs (5 suites → 2)`.
    pub fn against_lines(&self) -> Vec<String> {
        self.against
            .iter()
            .map(|b| {
                let n = b.suites.len();
                let head = format!(
                    "compared with {} ({n} suite{})",
                    b.run,
                    if n == 1 { "" } else { "s" }
                );
                let what: Vec<String> = b.differs.iter().map(|d| self.difference(b, d)).collect();
                if what.is_empty() {
                    format!("{head}: same commit, registry and selection")
                } else {
                    format!("{head}: {}", what.join(", "))
                }
            })
            .collect()
    }

    /// `commits differ (a → b)`, `registry differs`, …
    fn difference(&self, b: &Baseline, what: &str) -> String {
        let short = |c: &Option<String>| {
            c.as_deref()
                .map_or("?".to_string(), |c| c.chars().take(10).collect())
        };
        match what {
            "commit" => format!(
                "commits differ ({} → {})",
                short(&b.commit),
                short(&self.commit)
            ),
            "dirty" => "uncommitted changes differ".to_string(),
            "registry" => "registry differs".to_string(),
            "selection" => format!("selection differs ({} suites → {})", b.selected, self.ran()),
            other => format!("{other} differs"),
        }
    }
}

/// `failed tests 7 → 1`, when both runs counted tests.
pub fn tests_phrase(e: &DiffEntry) -> Option<String> {
    e.failed_tests
        .map(|t| format!("failed tests {} → {}", t.before, t.after))
}

/// A suite's flakiness over a window of runs.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
pub struct Flakiness {
    /// Suite id.
    pub id: String,
    /// Changes between passing and failing, in time order.
    pub flips: u32,
    /// Runs where it passed only after a retry.
    pub passes_after_retry: u32,
    /// flips + passes_after_retry.
    pub score: u32,
    /// Runs it appeared in.
    pub runs: u32,
    /// Its statuses, oldest first.
    pub history: Vec<Status>,
}

/// Suites ranked by flakiness over `runs` (newest first); only those that
/// flipped or needed a retry.
pub fn flaky(runs: &[RunRecord]) -> Vec<Flakiness> {
    let mut per: BTreeMap<&str, Vec<Status>> = BTreeMap::new();
    for run in runs.iter().rev() {
        for s in &run.suites {
            per.entry(s.id.as_str()).or_default().push(s.status);
        }
    }
    let mut out: Vec<Flakiness> = per
        .into_iter()
        .map(|(id, history)| {
            let outcomes: Vec<bool> = history
                .iter()
                .filter(|s| matches!(s, Status::Passed | Status::Flaky | Status::Failed))
                .map(|s| s.is_pass())
                .collect();
            let flips = outcomes.windows(2).filter(|w| w[0] != w[1]).count() as u32;
            let passes_after_retry = history.iter().filter(|s| **s == Status::Flaky).count() as u32;
            Flakiness {
                id: id.to_string(),
                flips,
                passes_after_retry,
                score: flips + passes_after_retry,
                runs: history.len() as u32,
                history,
            }
        })
        .filter(|f| f.score > 0)
        .collect();
    out.sort_by(|a, b| b.score.cmp(&a.score).then(a.id.cmp(&b.id)));
    out
}

/// `id` passed (not flaky) in each of the `n` newest of `runs` (newest
/// first) it appeared in, and appeared in at least `n`.
pub fn passed_last(runs: &[RunRecord], id: &str, n: usize) -> bool {
    let statuses: Vec<Status> = runs
        .iter()
        .filter_map(|r| r.suites.iter().find(|s| s.id == id).map(|s| s.status))
        .take(n)
        .collect();
    n > 0 && statuses.len() == n && statuses.iter().all(|s| *s == Status::Passed)
}

/// Which runs (newest first) pruning keeps: the newest `keep`, and the
/// newest run of every suite whose latest status is failing.
pub fn keep_set(runs: &[RunRecord], keep: usize) -> HashSet<String> {
    let mut kept: HashSet<String> = runs.iter().take(keep).map(|r| r.run_id.clone()).collect();
    let mut seen: HashSet<&str> = HashSet::new();
    for run in runs {
        for s in &run.suites {
            if seen.insert(s.id.as_str()) && failing(s.status) {
                kept.insert(run.run_id.clone());
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::super::index::SuiteBrief;
    use super::*;
    use crate::outputs::Counts;

    fn run(id: &str, suites: &[(&str, Status, u64)]) -> RunRecord {
        RunRecord {
            run_id: id.into(),
            status: crate::outputs::RunStatus::Passed,
            interrupted: false,
            started_at: String::new(),
            finished_at: Some(String::new()),
            duration_ms: 0,
            command_id: "cmd.verify".into(),
            command: Vec::new(),
            counts: Counts::default(),
            suites: suites
                .iter()
                .map(|(i, s, d)| SuiteBrief {
                    id: i.to_string(),
                    status: *s,
                    duration_ms: *d,
                    attempts: 1,
                    failed_tests: None,
                })
                .collect(),
            origin: Origin::default(),
        }
    }

    #[test]
    fn diff_sorts_suites_into_their_buckets() {
        use Status::*;
        let old = run(
            "1",
            &[
                ("a", Passed, 10),
                ("b", Failed, 10),
                ("c", Failed, 10),
                ("gone", Passed, 1),
            ],
        );
        let new = run(
            "2",
            &[
                ("a", Failed, 30),
                ("b", Passed, 5),
                ("c", Blocked, 10),
                ("new", Passed, 1),
            ],
        );
        let d = diff(&old, &new);
        let ids = |v: &[DiffEntry]| v.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&d.newly_failing), ["a"]);
        assert_eq!(d.newly_failing[0].duration_change_ms, Some(20));
        assert_eq!(ids(&d.newly_fixed), ["b"]);
        assert_eq!(ids(&d.still_failing), ["c"]);
        assert_eq!(ids(&d.added), ["new"]);
        assert_eq!(ids(&d.removed), ["gone"]);
    }

    #[test]
    fn flakiness_counts_flips_and_retries() {
        use Status::*;
        // Newest first.
        let runs = vec![
            run("4", &[("x", Passed, 1), ("y", Flaky, 1), ("z", Passed, 1)]),
            run("3", &[("x", Failed, 1), ("y", Passed, 1), ("z", Passed, 1)]),
            run("2", &[("x", Passed, 1), ("y", Flaky, 1), ("z", Passed, 1)]),
            run("1", &[("x", Failed, 1), ("y", Passed, 1), ("z", Passed, 1)]),
        ];
        let f = flaky(&runs);
        assert_eq!(f.len(), 2, "z never flipped");
        assert_eq!(
            (f[0].id.as_str(), f[0].flips, f[0].passes_after_retry),
            ("x", 3, 0)
        );
        assert_eq!(
            (f[1].id.as_str(), f[1].flips, f[1].passes_after_retry),
            ("y", 0, 2)
        );
        assert_eq!(f[0].history, [Failed, Passed, Failed, Passed]);
    }

    #[test]
    fn pruning_keeps_the_last_run_of_failing_suites() {
        use Status::*;
        let runs = vec![
            run("5", &[("a", Passed, 1)]),
            run("4", &[("a", Passed, 1)]),
            run("3", &[("b", Failed, 1)]),
            run("2", &[("b", Passed, 1)]),
            run("1", &[("a", Failed, 1)]),
        ];
        let keep = keep_set(&runs, 2);
        let mut ids: Vec<&str> = keep.iter().map(String::as_str).collect();
        ids.sort();
        assert_eq!(ids, ["3", "4", "5"]);
    }

    #[test]
    fn each_suite_is_compared_with_its_own_previous_run() {
        use Status::*;
        let mut runs = vec![
            run(
                "4",
                &[("a", Failed, 1), ("b", Passed, 1), ("new", Passed, 1)],
            ),
            run("3", &[("b", Failed, 1)]),
            run("2", &[("c", Passed, 1)]),
            run("1", &[("a", Failed, 1), ("b", Passed, 1)]),
        ];
        runs[0].suites[0].failed_tests = Some(1);
        runs[3].suites[0].failed_tests = Some(7);
        runs[0].origin.commit = Some("bbb".into());
        runs[3].origin.commit = Some("aaa".into());
        runs[1].origin.commit = Some("bbb".into());
        let d = diff_per_suite(&runs, 0).expect("a diff");
        assert_eq!(d.from, "3");
        let entry = |v: &[DiffEntry]| (v[0].id.clone(), v[0].from.clone());
        assert_eq!(entry(&d.still_failing), ("a".into(), Some("1".into())));
        assert_eq!(
            d.still_failing[0].failed_tests,
            Some(TestsChange {
                before: 7,
                after: 1
            })
        );
        assert_eq!(entry(&d.newly_fixed), ("b".into(), Some("3".into())));
        assert_eq!(entry(&d.added), ("new".into(), None));
        assert!(d.removed.is_empty(), "a suite not run now is not compared");
        let against: Vec<(&str, &[String])> = d
            .against
            .iter()
            .map(|b| (b.run.as_str(), b.differs.as_slice()))
            .collect();
        assert_eq!(
            against,
            [
                ("3", &["selection".to_string()][..]),
                ("1", &["commit".to_string(), "selection".to_string()][..])
            ]
        );
        assert!(diff_per_suite(&runs, 2).is_none(), "c never ran before");
    }
}
