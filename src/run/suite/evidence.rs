//! What a suite leaves behind, gathered after it ran: declared and
//! marker-reported artifacts, JUnit results, and the excerpt of at most 12
//! decisive lines (JUnit failures first, then the last error-looking lines).

use std::io::Read;

use camino::Utf8Path;

use super::prepare::Prepared;
use crate::error::Chain;
use crate::outputs::{Status, TestCounts};
use crate::registry::model::Suite;
use crate::run::context::{EXCERPT_LINES, Outcome, RunContext};
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
        roots: prep.roots.clone().into(),
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
    let mut tests: Option<TestCounts> = None;
    for r in suite
        .runners
        .iter()
        .filter_map(|r| cx.registry.runners.get(&r.id))
    {
        let Some(pattern) = &r.junit else { continue };
        match super::junit::collect(&prep.cwd, &prep.places.fill(pattern), &prep.redactor, outcome.started_at) {
            None => {}
            Some(Ok(counts)) => {
                let t = tests.get_or_insert_with(TestCounts::default);
                t.total += counts.total;
                t.passed += counts.passed;
                t.failed += counts.failed;
                t.skipped += counts.skipped;
                t.failures.extend(counts.failures);
            }
            Some(Err(e)) => cx.run.event(
                "junit_unreadable",
                serde_json::json!({ "suite": suite.id, "runner": r.id, "error": Chain(&e).to_string() }),
            ),
        }
    }
    if let Some(t) = &tests
        && let Some(first) = t.failures.first()
        && outcome.status == Status::Failed
        && outcome.step.as_deref() == Some("command")
    {
        outcome.step = Some(format!("test:{}", first.name));
    }
    outcome.tests = tests;
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

fn truncate(line: &str, max: usize) -> String {
    if line.chars().count() <= max {
        return line.to_string();
    }
    let mut s: String = line.chars().take(max).collect();
    s.push('…');
    s
}

/// Lines that look like the reason something failed.
fn looks_like_error(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    [
        "error",
        "panicked",
        "failed",
        "failure",
        "fatal",
        "assert",
        "exception",
        "traceback",
        "fail ",
    ]
    .iter()
    .any(|w| l.contains(w))
}

/// At most [`EXCERPT_LINES`] decisive lines: JUnit failures first, then the
/// last error-looking lines of stderr and stdout, else their last lines.
pub fn excerpt(prep: &Prepared, outcome: &Outcome) -> Vec<String> {
    if outcome.status.is_pass() && outcome.status != Status::Flaky {
        return Vec::new();
    }
    let mut lines = Vec::new();
    if let Some(t) = &outcome.tests {
        for f in &t.failures {
            let first = f.message.lines().next().unwrap_or("");
            let name = match &f.classname {
                Some(c) if !c.is_empty() => format!("{c}::{}", f.name),
                _ => f.name.clone(),
            };
            lines.push(truncate(&format!("FAIL {name}: {first}"), 300));
            if lines.len() >= EXCERPT_LINES / 2 {
                break;
            }
        }
    }
    let room = EXCERPT_LINES - lines.len();
    let stderr = tail_lines(&prep.dir.join("stderr.log"), 200);
    let stdout = tail_lines(&prep.dir.join("stdout.log"), 200);
    let errors: Vec<&String> = stderr
        .iter()
        .chain(&stdout)
        .filter(|l| looks_like_error(l))
        .collect();
    if errors.is_empty() {
        let source = if stderr.is_empty() { &stdout } else { &stderr };
        lines.extend(
            source
                .iter()
                .skip(source.len().saturating_sub(room))
                .cloned(),
        );
    } else {
        lines.extend(
            errors
                .iter()
                .skip(errors.len().saturating_sub(room))
                .map(|s| (*s).clone()),
        );
    }
    lines.truncate(EXCERPT_LINES);
    lines
}
