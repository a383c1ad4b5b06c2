//! The history index: `<run_root>/.lab-index.jsonl`, one compact record per
//! finished run, appended with one `write` on an O_APPEND file (concurrent
//! runs never tear a line). Every change to it happens under an exclusive
//! `flock` of the run root directory, and a record is appended only when
//! the file does not hold one for that run yet: a run finishing while
//! another lab reads the history (and indexes what it finds) is recorded
//! once. It is only a cache: runs missing from it are read from their
//! summary.json (and added), records of runs that no longer exist are
//! ignored, a corrupt line is skipped, and a duplicate counts once. A
//! missing or corrupt summary.json is reported, never fatal.

use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};

use crate::error::{Chain, Error, ErrorKind};
use crate::outputs::{Counts, RunStatus, Status, Summary};

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
    /// Failed tests, when it reported JUnit (issue 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_tests: Option<u64>,
}

/// Where a run started from, as the index keeps it (issue 20): absent
/// from records of older runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Origin {
    /// The commit (git HEAD, jj `@`).
    pub commit: Option<String>,
    /// Uncommitted changes existed.
    pub dirty: Option<bool>,
    /// The base `--changed` diffed against.
    pub base: Option<String>,
    /// How many changed paths `--changed` selected by.
    pub changed_paths: Option<usize>,
    /// The registry's digest.
    pub registry_digest: Option<String>,
}

impl Origin {
    /// The origin a summary records.
    pub fn of(summary: &Summary) -> Self {
        let vcs = summary.vcs.as_ref();
        Origin {
            commit: vcs.and_then(|v| v.commit.clone()),
            dirty: vcs.and_then(|v| v.dirty),
            base: summary.changed.as_ref().and_then(|c| c.base.clone()),
            changed_paths: summary.changed.as_ref().map(|c| c.paths.len()),
            registry_digest: summary.registry_digest.clone(),
        }
    }
}

/// One run, as the index keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    /// Run id (sorts by time).
    pub run_id: String,
    /// Overall status.
    pub status: RunStatus,
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
    /// Where it started from.
    #[serde(default)]
    pub origin: Origin,
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
                    failed_tests: s.tests.as_ref().map(|t| t.failed),
                })
                .collect(),
            origin: Origin::of(summary),
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
/// `true` for a run id as lab makes them, `YYYYMMDDTHHMMSSZ-` and six
/// lowercase hex digits: nothing else names a run, so nothing else is ever
/// read as one or deleted.
pub fn is_run_id(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 23
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[15] == b'Z'
        && b[16] == b'-'
        && b[17..]
            .iter()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
}

/// A run's summary.json could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    /// Missing or unreadable.
    #[error("summary.json")]
    Read(#[source] std::io::Error),
    /// Not a summary lab wrote.
    #[error("summary.json is corrupt")]
    Corrupt(#[source] serde_json::Error),
}

impl From<SummaryError> for Error {
    /// A run that cannot be read is one the command line named wrongly
    /// (exit 2), as a run that does not exist is.
    fn from(e: SummaryError) -> Self {
        Error::new(ErrorKind::Usage, e)
    }
}

/// The history index could not be updated. The index is a cache, so this
/// is a warning: runs are still read from their own summary.json.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// A run's record could not be serialized.
    #[error("failed to serialize the history record of run `{run_id}`")]
    Serialize {
        /// The run.
        run_id: String,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// The index file could not be written.
    #[error("failed to write the history index `{path}`")]
    Write {
        /// The index file.
        path: Utf8PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// One index line: the record of `run` as compact JSON and a newline.
fn index_line(run: &RunRecord) -> Result<String, IndexError> {
    let mut line = serde_json::to_string(run).map_err(|source| IndexError::Serialize {
        run_id: run.run_id.clone(),
        source,
    })?;
    line.push('\n');
    Ok(line)
}

/// Appends a finished run to the index (an unfinished one is not indexed)
/// unless it holds the run already. `Some` is a warning for the caller to
/// show: the run was not indexed (it is read from its summary.json
/// instead, and indexed next time).
// Not `#[must_use]` (nor a `Result`) while `commands/verify.rs`, owned
// elsewhere, still calls this as a statement; it should show the warning.
pub fn append(run_root: &Utf8Path, summary: &Summary) -> Option<IndexError> {
    summary.finished_at.as_ref()?;
    append_missing(run_root, &[RunRecord::of(summary)]).err()
}

/// Appends those of `records` the index does not hold yet, in one write,
/// under the run root's lock.
fn append_missing(run_root: &Utf8Path, records: &[RunRecord]) -> Result<(), IndexError> {
    let path = run_root.join(INDEX_FILE);
    let _lock = RootLock::take(run_root);
    let held = indexed_ids(&path);
    let mut text = String::new();
    for r in records.iter().filter(|r| !held.contains(&r.run_id)) {
        text.push_str(&index_line(r)?);
    }
    if text.is_empty() {
        return Ok(());
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|source| IndexError::Write { path, source })
}

/// The run ids the index file holds a record of (each line starts with
/// its `run_id`; a line that does not is not a record).
fn indexed_ids(path: &Utf8Path) -> std::collections::HashSet<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.strip_prefix("{\"run_id\":\""))
        .filter_map(|l| l.split_once('"'))
        .map(|(id, _)| id.to_string())
        .collect()
}

/// An exclusive `flock` of the run root directory, held while the index
/// changes; released when dropped. A root that cannot be locked (gone,
/// unreadable) is written without it: the index is only a cache.
struct RootLock(Option<std::fs::File>);

impl RootLock {
    fn take(run_root: &Utf8Path) -> RootLock {
        let dir = std::fs::File::open(run_root)
            .ok()
            .filter(|d| rustix::fs::flock(d, rustix::fs::FlockOperation::LockExclusive).is_ok());
        RootLock(dir)
    }
}

impl Drop for RootLock {
    fn drop(&mut self) {
        if let Some(dir) = &self.0 {
            // Closing the descriptor releases the lock as well.
            let _ = rustix::fs::flock(dir, rustix::fs::FlockOperation::Unlock);
        }
    }
}

/// The longest duration lab believes (365 days, in ms): a summary or an
/// index line saying more was not written by a run that happened, and
/// printing it as is (`+9223372036854775807 ms`) would only mislead.
pub const MAX_DURATION_MS: u64 = 365 * 24 * 60 * 60 * 1000;

/// Clamps every duration of `summary` (the run's, each suite's and
/// attempt's) to [`MAX_DURATION_MS`]; `true` when one was over it, for
/// the caller to say so.
pub fn clamp_durations(summary: &mut Summary) -> bool {
    let mut clamped = clamp(&mut summary.duration_ms);
    for s in &mut summary.suites {
        clamped |= clamp(&mut s.duration_ms);
        for a in &mut s.attempts {
            clamped |= clamp(&mut a.duration_ms);
        }
    }
    clamped
}

/// `ms` made at most [`MAX_DURATION_MS`]; `true` when it was over.
fn clamp(ms: &mut u64) -> bool {
    let over = *ms > MAX_DURATION_MS;
    *ms = (*ms).min(MAX_DURATION_MS);
    over
}

/// What a command says of a run whose durations were clamped.
pub fn clamped_warning(run_id: &str) -> String {
    format!(
        "run {run_id}: a duration is over 365 days (a tampered or corrupt record); shown as 365 days"
    )
}

impl RunRecord {
    /// Clamps the record's durations like [`clamp_durations`].
    pub fn clamp_durations(&mut self) -> bool {
        let mut clamped = clamp(&mut self.duration_ms);
        for s in &mut self.suites {
            clamped |= clamp(&mut s.duration_ms);
        }
        clamped
    }
}

/// Reads a run's summary.json; a run that says `running` while no lab
/// process holds it is `incomplete`.
pub fn read_summary(dir: &Utf8Path) -> Result<Summary, SummaryError> {
    let text = std::fs::read_to_string(dir.join("summary.json")).map_err(SummaryError::Read)?;
    let mut summary: Summary = serde_json::from_str(&text).map_err(SummaryError::Corrupt)?;
    if summary.status == RunStatus::Running && !crate::run::run_dir::has_writer(dir) {
        summary.status = RunStatus::Incomplete;
    }
    Ok(summary)
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
    let mut found = Vec::new();
    for dir in dirs {
        if let Some(mut record) = indexed.remove(&dir) {
            if record.clamp_durations() {
                history.problems.push(clamped_warning(&dir));
            }
            history.runs.push(record);
            continue;
        }
        match read_summary(&run_root.join(&dir)) {
            Ok(mut summary) => {
                if clamp_durations(&mut summary) {
                    history.problems.push(clamped_warning(&dir));
                }
                // A run is its directory's name, never what a file in it
                // says (a summary from elsewhere may say anything).
                summary.run_id = dir.clone();
                let record = RunRecord::of(&summary);
                if summary.finished_at.is_some() {
                    found.push(record.clone());
                }
                history.runs.push(record);
            }
            Err(e) => history
                .problems
                .push(format!("run {dir}: {}; skipped", Chain(&e))),
        }
    }
    // Indexing while reading is only a speed-up for next time; a run root
    // lab may read but not write (a CI artifact) would otherwise warn
    // about every run.
    if !found.is_empty() {
        let _not_indexed = append_missing(run_root, &found);
    }
    history
}

/// Rewrites the index with exactly `runs` (after pruning), atomically.
/// On failure the old index stays, records of deleted runs included (they
/// are ignored when read, so this is a warning).
pub fn rewrite(run_root: &Utf8Path, runs: &[RunRecord]) -> Result<(), IndexError> {
    let mut text = String::new();
    for r in runs.iter().filter(|r| r.finished_at.is_some()) {
        text.push_str(&index_line(r)?);
    }
    let path = run_root.join(INDEX_FILE);
    let _lock = RootLock::take(run_root);
    crate::files::write_atomic(&path, text.as_bytes())
        .map_err(|source| IndexError::Write { path, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_summary_is_a_usage_error_naming_its_cause() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dir = Utf8PathBuf::try_from(dir.path().to_path_buf()).expect("utf-8");
        let missing = Error::from(read_summary(&dir).expect_err("no summary.json"));
        assert_eq!(missing.exit_code(), 2);
        assert_eq!(
            missing.to_string(),
            "summary.json: No such file or directory (os error 2)"
        );
        std::fs::write(dir.join("summary.json"), "{").expect("write");
        let corrupt = read_summary(&dir).expect_err("corrupt");
        assert_eq!(
            Chain(&corrupt).to_string(),
            "summary.json is corrupt: EOF while parsing an object at line 1 column 1"
        );
    }

    #[test]
    fn run_ids_are_recognised() {
        assert!(is_run_id("20261122T101500Z-7f3a9c"));
        assert!(!is_run_id("latest"));
        assert!(!is_run_id(".lab-index.jsonl"));
        assert!(!is_run_id("20261122T101500Z-../../x"));
        assert!(!is_run_id("20261122T101500Z-7f3a9c/.."));
        assert!(!is_run_id("20261122T1015000-7f3a9c"));
    }
}
