//! The history index: `<run_root>/.lab-index.jsonl`, one compact record per
//! finished run, appended with one `write` on an O_APPEND file (concurrent
//! runs never tear a line). It is only a cache: runs missing from it are
//! read from their summary.json (and added), records of runs that no longer
//! exist are ignored, and a corrupt line is skipped. A missing or corrupt
//! summary.json is reported, never fatal.

use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};

use crate::outputs::{Counts, Status, Summary};

/// The index file's name inside the run root.
pub const INDEX_FILE: &str = ".lab-index.jsonl";

/// One suite of one run, as the index keeps it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SuiteBrief {
    /// Suite id.
    pub id: String,
    /// How it ended.
    pub status: Status,
    /// Wall time.
    pub duration_ms: u64,
    /// Attempts at its command.
    pub attempts: u32,
}

/// One run, as the index keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    /// Run id (sorts by time).
    pub run_id: String,
    /// Overall status.
    pub status: Status,
    /// Stopped by a signal.
    pub interrupted: bool,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339, null while running.
    pub finished_at: Option<String>,
    /// Wall time.
    pub duration_ms: u64,
    /// `cmd.verify`, …
    pub command_id: String,
    /// lab's argv.
    pub command: Vec<String>,
    /// Counts.
    pub counts: Counts,
    /// Every finished suite.
    pub suites: Vec<SuiteBrief>,
}

impl RunRecord {
    /// The record of a summary.
    pub fn of(summary: &Summary) -> Self {
        RunRecord {
            run_id: summary.run_id.clone(),
            status: summary.status,
            interrupted: summary.interrupted,
            started_at: summary.started_at.clone(),
            finished_at: summary.finished_at.clone(),
            duration_ms: summary.duration_ms,
            command_id: summary.command_id.clone(),
            command: summary.command.clone(),
            counts: summary.counts.clone(),
            suites: summary
                .suites
                .iter()
                .map(|s| SuiteBrief {
                    id: s.id.clone(),
                    status: s.status,
                    duration_ms: s.duration_ms,
                    attempts: s.attempts.len() as u32,
                })
                .collect(),
        }
    }
}

/// The runs under a run root, newest first, and what could not be read.
#[derive(Debug, Default)]
pub struct History {
    /// The run root.
    pub root: Utf8PathBuf,
    /// Every readable run, newest first.
    pub runs: Vec<RunRecord>,
    /// One line per run that could not be read.
    pub problems: Vec<String>,
}

/// `true` for a directory name that is a run id.
fn is_run_id(name: &str) -> bool {
    name.len() >= 17 && name.as_bytes()[8] == b'T' && name[..8].bytes().all(|b| b.is_ascii_digit())
}

/// Appends a finished run to the index.
pub fn append(run_root: &Utf8Path, summary: &Summary) {
    if summary.finished_at.is_none() {
        return;
    }
    let Ok(mut line) = serde_json::to_string(&RunRecord::of(summary)) else {
        return;
    };
    line.push('\n');
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(run_root.join(INDEX_FILE))
    {
        let _ = f.write_all(line.as_bytes());
    }
}

/// Reads a run's summary.json.
pub fn read_summary(dir: &Utf8Path) -> Result<Summary, String> {
    let text = std::fs::read_to_string(dir.join("summary.json"))
        .map_err(|e| format!("summary.json: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("summary.json is corrupt: {e}"))
}

/// Loads the history of `run_root`, reading through the index.
pub fn load(run_root: &Utf8Path) -> History {
    let mut history = History {
        root: run_root.to_path_buf(),
        ..History::default()
    };
    let Ok(entries) = run_root.read_dir_utf8() else {
        return history;
    };
    let mut dirs: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string())
        .filter(|n| is_run_id(n))
        .collect();
    dirs.sort_unstable_by(|a, b| b.cmp(a));
    let mut indexed: HashMap<String, RunRecord> = HashMap::new();
    if let Ok(text) = std::fs::read_to_string(run_root.join(INDEX_FILE)) {
        for line in text.lines() {
            if let Ok(record) = serde_json::from_str::<RunRecord>(line) {
                indexed.insert(record.run_id.clone(), record);
            }
        }
    }
    for dir in dirs {
        if let Some(record) = indexed.remove(&dir) {
            history.runs.push(record);
            continue;
        }
        match read_summary(&run_root.join(&dir)) {
            Ok(summary) => {
                append(run_root, &summary);
                history.runs.push(RunRecord::of(&summary));
            }
            Err(e) => history.problems.push(format!("run {dir}: {e}; skipped")),
        }
    }
    history
}

/// Rewrites the index with exactly `runs` (after pruning), atomically.
pub fn rewrite(run_root: &Utf8Path, runs: &[RunRecord]) {
    let mut text = String::new();
    for r in runs.iter().filter(|r| r.finished_at.is_some()) {
        if let Ok(line) = serde_json::to_string(r) {
            text.push_str(&line);
            text.push('\n');
        }
    }
    let _ = crate::run::run_dir::write_atomic(&run_root.join(INDEX_FILE), text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_recognised() {
        assert!(is_run_id("20261122T101500Z-7f3a9c"));
        assert!(!is_run_id("latest"));
        assert!(!is_run_id(".lab-index.jsonl"));
    }
}
