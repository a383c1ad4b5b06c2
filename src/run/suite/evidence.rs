//! What a suite leaves behind, gathered after it ran: declared and
//! marker-reported artifacts, JUnit results (or why there are none), and
//! the excerpt of at most 12 decisive lines (failing tests with their
//! decisive lines first; else the tool's own first error with its
//! indented context; then the last error-looking lines).

use std::io::Read;

use camino::Utf8Path;

use super::artifacts::{Budget, Collector, Refusal};
use super::junit::{Keeper, add, collect};
use super::prepare::Prepared;
use crate::error::Chain;
use crate::outputs::{ArtifactRecord, ArtifactSource, Status, TestCounts};
use crate::registry::model::Suite;
use crate::run::context::{Outcome, RunContext};
use crate::run::process::capture::Captured;

/// Declared artifacts, marker artifacts, JUnit. Copying artifacts stops when `timeout` (the suite's) has passed since
/// it began, or when lab is interrupted.
pub fn collect_evidence(
    cx: &RunContext<'_>,
    suite: &Suite,
    prep: &Prepared,
    captures: &(Captured, Captured),
    timeout: std::time::Duration,
    outcome: &mut Outcome,
) {
    collect_artifacts(cx, suite, prep, captures, timeout, outcome);
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
            Some(counts) => {
                let sum = tests.get_or_insert_with(TestCounts::default);
                let before = sum.failures.len();
                add(sum, counts);
                let added = sum.failures.len() - before;
                outcome
                    .failure_reports
                    .extend(found.failure_reports.iter().take(added).cloned());
            }
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

/// Declared artifacts, then marker artifacts, within one budget; what is
/// refused is logged as `artifact_ignored` with the reason.
fn collect_artifacts(
    cx: &RunContext<'_>,
    suite: &Suite,
    prep: &Prepared,
    captures: &(Captured, Captured),
    timeout: std::time::Duration,
    outcome: &mut Outcome,
) {
    let deadline = std::time::Instant::now() + timeout;
    let settings = &cx.registry.settings;
    let resolve = |p: &str| crate::files::resolve(std::path::Path::new(p));
    // The run directory's path is resolved once, when it is created.
    let mut collector = Collector {
        run_dir: cx.run.path.clone().into(),
        workspace: resolve(cx.registry.workspace.as_str())
            .unwrap_or_else(|| cx.registry.workspace.clone().into()),
        artifact_dir: prep.dir.join("artifacts").into(),
        roots: resolve(prep.roots.as_str()).unwrap_or_else(|| prep.roots.clone().into()),
        secrets_dir: resolve(&prep.places.state_secrets),
        cwd: &prep.cwd,
        budget: Budget::new(settings.max_artifact_files, settings.max_artifact_bytes),
        redactor: &prep.redactor,
        stop: &|| std::time::Instant::now() >= deadline || cx.interrupts.interrupted(),
    };
    let ignored = |path: &str, reason: &str| {
        cx.run.event(
            "artifact_ignored",
            serde_json::json!({ "suite": suite.id, "path": prep.redactor.redact_str(path), "reason": prep.redactor.redact_str(reason) }),
        );
    };
    let mut left_out = Vec::new();
    for r in &suite.artifacts {
        let Some(def) = cx.registry.artifacts.get(&r.id) else {
            continue;
        };
        let path = prep.places.fill(&def.path);
        let record = collector
            .declared(def, &path, &mut left_out)
            .unwrap_or_else(|refusal| {
                let why = match refusal {
                    Refusal::Missing { .. } => "is missing".to_string(),
                    refusal => {
                        ignored(&path, &Chain(&refusal).to_string());
                        format!("was refused: {}", Chain(&refusal))
                    }
                };
                if def.required && outcome.status.is_pass() {
                    outcome.status = Status::Failed;
                    outcome.step = Some(format!("artifact:{}", def.id));
                    outcome.reason = Some(
                        prep.redactor
                            .redact_str(&format!("required artifact {} (`{path}`) {why}", def.id)),
                    );
                }
                ArtifactRecord {
                    id: def.id.clone(),
                    kind: def.kind.into(),
                    path: prep.redactor.redact_str(&path),
                    source: ArtifactSource::Declared,
                    missing: true,
                }
            });
        outcome.artifacts.push(record);
    }
    for printed in captures.0.markers.iter().chain(&captures.1.markers) {
        match collector.marker(printed, &mut left_out) {
            Ok(record) => outcome.artifacts.push(record),
            Err(reason) => ignored(printed, &Chain(&reason).to_string()),
        }
    }
    for (path, reason) in &left_out {
        ignored(path, reason);
    }
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
