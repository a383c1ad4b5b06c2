//! Expected suite durations from earlier runs: the median of each suite's
//! last few durations over the newest run directories' summary.json files.
//! A missing or unreadable summary is skipped. Computed by `commands/` and
//! handed to the engine (longest first) and to shard cutting.

use std::collections::HashMap;

use camino::Utf8Path;

use crate::outputs::{Status, Summary};

/// How many of the newest runs are read.
const RUNS: usize = 20;
/// How many durations per suite are kept for the median.
const SAMPLES: usize = 5;

/// Suite id → expected duration in ms, from the runs under `run_root`.
/// Without `include_shards`, runs of one shard (`--shard K/N`) are left
/// out: a sibling shard that just ran must not change how the next shard
/// of the same matrix is cut (merged runs count: they cover everything).
pub fn expected_durations(run_root: &Utf8Path, include_shards: bool) -> HashMap<String, u64> {
    let mut samples: HashMap<String, Vec<u64>> = HashMap::new();
    let Ok(entries) = run_root.read_dir_utf8() else {
        return HashMap::new();
    };
    let mut runs: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string())
        .filter(|n| !n.starts_with('.'))
        .collect();
    // Run ids sort by time: newest first.
    runs.sort_unstable_by(|a, b| b.cmp(a));
    for run in runs.into_iter().take(RUNS) {
        let Ok(text) = std::fs::read_to_string(run_root.join(&run).join("summary.json")) else {
            continue;
        };
        let Ok(summary) = serde_json::from_str::<Summary>(&text) else {
            continue;
        };
        if !include_shards && summary.criteria.shard.is_some() {
            continue;
        }
        for s in summary.suites {
            // Only runs that exercised the command say how long it takes.
            if matches!(s.status, Status::Passed | Status::Failed | Status::Flaky)
                && !s.attempts.is_empty()
            {
                let list = samples.entry(s.id).or_default();
                if list.len() < SAMPLES {
                    list.push(s.duration_ms);
                }
            }
        }
    }
    samples
        .into_iter()
        .map(|(id, mut v)| {
            v.sort_unstable();
            (id, v[v.len() / 2])
        })
        .collect()
}
