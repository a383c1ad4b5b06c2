//! What a suite leaves behind, gathered after it ran: declared and
//! marker-reported artifacts, JUnit results (or why there are none), and
//! the excerpt of at most 12 decisive lines (failing tests with their
//! decisive lines first; else the tool's own first error with its
//! indented context; then the last error-looking lines).

use std::io::Read;

use camino::Utf8Path;

use super::junit::{Keeper, add, collect};
use super::prepare::Prepared;
use crate::error::Chain;
use crate::outputs::{Status, TestCounts};
use crate::registry::model::Suite;
use crate::run::context::{Outcome, RunContext};
use crate::run::process::capture::Captured;

/// Declared artifacts, marker artifacts, JUnit.
pub fn collect_evidence(
    cx: &RunContext<'_>,
    suite: &Suite,
    prep: &Prepared,
    captures: &(Captured, Captured),
    outcome: &mut Outcome,
) {
    // The run directory's path is resolved once, when it is created.
    let collector = super::artifacts::Collector {
        run_dir: cx.run.path.clone().into(),
        artifact_dir: prep.dir.join("artifacts").into(),
        cwd: &prep.cwd,
    };
    for r in &suite.artifacts {
        let Some(def) = cx.registry.artifacts.get(&r.id) else {
            continue;
        };
        let record = collector.declared(def, &prep.places.fill(&def.path));
        if record.missing && def.required && outcome.status.is_pass() {
            outcome.status = Status::Failed;
            outcome.step = Some(format!("artifact:{}", def.id));
            outcome.reason = Some(format!(
                "required artifact {} (`{}`) is missing",
                def.id, record.path
            ));
        }
        outcome.artifacts.push(record);
    }
    let ignored = |path: &str, reason: &str| {
        cx.run.event(
            "artifact_ignored",
            serde_json::json!({ "suite": suite.id, "path": prep.redactor.redact_str(path), "reason": prep.redactor.redact_str(reason) }),
        );
    };
    for printed in captures.0.markers.iter().chain(&captures.1.markers) {
        let mut left_out = Vec::new();
        match collector.marker(printed, &mut left_out) {
            Ok(record) => outcome.artifacts.push(record),
            Err(reason) => ignored(printed, &Chain(&reason).to_string()),
        }
        for (path, reason) in &left_out {
            ignored(path, reason);
        }
    }
    collect_tests(cx, suite, prep, outcome);
}

/// Every report this suite wrote, counted and kept in its directory; or,
/// when there is none, why (`tests_missing`).
fn collect_tests(cx: &RunContext<'_>, suite: &Suite, prep: &Prepared, outcome: &mut Outcome) {
    let patterns = super::report_paths::patterns(cx.registry, suite, prep);
    let mut keeper = Keeper::new(&prep.dir, &prep.rel_dir);
    let mut tests: Option<TestCounts> = None;
    let mut missing = Vec::new();
    for pattern in &patterns {
        let found = collect(
            &prep.cwd,
            pattern,
            &prep.redactor,
            outcome.started_at,
            &mut keeper,
        );
        let shown = prep.redactor.redact_str(&shown(prep, pattern));
        for e in &found.errors {
            let error = prep.redactor.redact_str(&Chain(e).to_string());
            cx.run.event(
                "junit_unreadable",
                serde_json::json!({ "suite": suite.id, "path": shown, "error": error }),
            );
            missing.push(format!("JUnit unreadable: {error}"));
        }
        match found.counts {
            Some(counts) => add(tests.get_or_insert_with(TestCounts::default), counts),
            None if found.errors.is_empty() => {
                missing.push(no_report(&shown, found.stale, outcome));
            }
            None => {}
        }
    }
    if let Some(t) = &tests
        && let Some(first) = t.failures.first()
        && outcome.status == Status::Failed
        && outcome.step.as_deref() == Some("command")
    {
        outcome.step = Some(format!("test:{}", first.name));
    }
    if tests.is_none() && !missing.is_empty() {
        outcome.tests_missing = Some(missing.join("; "));
    }
    outcome.tests = tests;
}

/// A report path as people read it: inside the run directory relative to
/// it, else as filled in.
fn shown(prep: &Prepared, pattern: &str) -> String {
    let run_dir = prep.dir.as_str().strip_suffix(&prep.rel_dir).unwrap_or("");
    match pattern.strip_prefix(run_dir) {
        Some(rel) if !run_dir.is_empty() => rel.to_string(),
        _ => pattern.to_string(),
    }
}

/// Why no report counts, by how the command ended.
fn no_report(shown: &str, stale: bool, outcome: &Outcome) -> String {
    let mut why = format!("no JUnit written to `{shown}`");
    match outcome.attempts.last().map(|a| a.status) {
        Some(Status::Failed) => why.push_str(": the command stopped before its tests reported"),
        Some(Status::Passed) => why.push_str(
            " although the command passed: does the runner's `junit` name where the tool writes?",
        ),
        _ => {}
    }
    if stale {
        why.push_str(" (the report there is older than this suite and was not read)");
    }
    why
}

/// The last `n` non-empty lines of a log (reading at most its last 64 KiB).
pub fn tail_lines(path: &Utf8Path, n: usize) -> Vec<String> {
    use std::io::{Seek, SeekFrom};
    let Ok(mut file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(64 * 1024);
    if file.seek(SeekFrom::Start(start)).is_err() {
        return Vec::new();
    }
    let mut buf = Vec::new();
    // An excerpt from what could be read is still an excerpt; the log
    // itself is in the run directory.
    let _ = file.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    let mut lines: Vec<String> = text
        .lines()
        .skip(usize::from(start > 0))
        .map(crate::style::printable)
        .map(|l| l.trim_end().to_string())
        .filter(|l| !l.is_empty())
        .map(|l| truncate(&l, 300))
        .collect();
    let keep = lines.len().saturating_sub(n);
    lines.drain(..keep);
    lines
}

/// `line` cut at `max` characters, with `…` when cut.
pub(super) fn truncate(line: &str, max: usize) -> String {
    if line.chars().count() <= max {
        return line.to_string();
    }
    let mut s: String = line.chars().take(max).collect();
    s.push('…');
    s
}
