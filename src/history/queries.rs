//! Questions asked of the history: what changed between two runs, which
//! suites flip between passing and failing, which runs pruning may delete.
//! Pure functions over index records.

use std::collections::{BTreeMap, HashSet};

use schemars::JsonSchema;
use serde::Serialize;

use super::index::RunRecord;
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
    let before: BTreeMap<&str, _> = older.suites.iter().map(|s| (s.id.as_str(), s)).collect();
    let after: BTreeMap<&str, _> = newer.suites.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut d = RunDiff {
        schema_version: crate::outputs::SCHEMA_VERSION,
        from: older.run_id.clone(),
        to: newer.run_id.clone(),
        newly_failing: Vec::new(),
        newly_fixed: Vec::new(),
        still_failing: Vec::new(),
        added: Vec::new(),
        removed: Vec::new(),
        unchanged: Vec::new(),
    };
    for (id, a) in &after {
        let b = before.get(id);
        let entry = DiffEntry {
            id: id.to_string(),
            before: b.map(|b| b.status),
            after: Some(a.status),
            duration_change_ms: b.map(|b| ms(a.duration_ms).saturating_sub(ms(b.duration_ms))),
        };
        match b {
            None => d.added.push(entry),
            Some(b) => match (failing(b.status), failing(a.status)) {
                (false, true) => d.newly_failing.push(entry),
                (true, false) => d.newly_fixed.push(entry),
                (true, true) => d.still_failing.push(entry),
                (false, false) => d.unchanged.push(entry),
            },
        }
    }
    for (id, b) in &before {
        if !after.contains_key(id) {
            d.removed.push(DiffEntry {
                id: id.to_string(),
                before: Some(b.status),
                after: None,
                duration_change_ms: None,
            });
        }
    }
    d
}

/// The run to compare `newer` (at `index` in `runs`, newest first) with:
/// the closest earlier run with the same suites, else the closest earlier
/// run sharing any suite.
pub fn previous_comparable(runs: &[RunRecord], index: usize) -> Option<&RunRecord> {
    let newer = runs.get(index)?;
    let ids: HashSet<&str> = newer.suites.iter().map(|s| s.id.as_str()).collect();
    let earlier = &runs[index + 1..];
    earlier
        .iter()
        .find(|r| {
            r.suites.len() == ids.len() && r.suites.iter().all(|s| ids.contains(s.id.as_str()))
        })
        .or_else(|| {
            earlier
                .iter()
                .find(|r| r.suites.iter().any(|s| ids.contains(s.id.as_str())))
        })
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
                })
                .collect(),
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
    fn previous_comparable_prefers_the_same_suites() {
        use Status::*;
        let runs = vec![
            run("3", &[("a", Passed, 1), ("b", Passed, 1)]),
            run("2", &[("a", Passed, 1)]),
            run("1", &[("a", Passed, 1), ("b", Failed, 1)]),
        ];
        assert_eq!(
            previous_comparable(&runs, 0).map(|r| r.run_id.as_str()),
            Some("1")
        );
        assert_eq!(
            previous_comparable(&runs, 1).map(|r| r.run_id.as_str()),
            Some("1")
        );
        assert_eq!(
            previous_comparable(&runs, 2).map(|r| r.run_id.as_str()),
            None
        );
    }
}
