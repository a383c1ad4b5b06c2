//! A suite's excerpt: at most [`EXCERPT_LINES`] decisive lines for people
//! and agents to read first. Failing tests with their decisive lines come
//! first; without them, the tool's own first error with the indented
//! lines under it (a compiler error and its `--> file:line:col`); then the
//! last error-looking lines of stderr and stdout not shown yet (two at
//! most after failing tests), else their last lines. Every line keeps the
//! file it was taken from (a log, or the JUnit report of its failure).

use super::evidence::{tail_lines, truncate};
use super::prepare::Prepared;
use crate::outputs::{Status, TestCounts};
use crate::run::context::{EXCERPT_LINES, Outcome};

/// Failing tests take at most this many lines.
const TEST_LINES: usize = 9;

/// One failing test takes at most this many lines.
const LINES_PER_TEST: usize = 6;

/// After failing tests, the log adds at most this many lines.
const LOG_LINES_AFTER_TESTS: usize = 2;

/// The tool's first error takes at most this many lines.
const ERROR_BLOCK_LINES: usize = 8;

/// `true` for an artifact marker line (`<PREFIX>_ARTIFACT_PATH=…`): lab's
/// own protocol, never the reason something failed.
fn is_marker(line: &str) -> bool {
    line.split_once("_ARTIFACT_PATH=")
        .is_some_and(|(prefix, _)| {
            prefix.starts_with(|c: char| c.is_ascii_uppercase())
                && prefix
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
}

/// One excerpt line and the file it was taken from, relative to the run
/// directory.
pub type Line = (String, String);

/// The excerpt of a suite that did not simply pass, each line with the
/// log (or JUnit report) it was taken from.
pub fn excerpt(prep: &Prepared, outcome: &Outcome) -> Vec<Line> {
    if outcome.status.is_pass() && outcome.status != Status::Flaky {
        return Vec::new();
    }
    let mut lines = outcome
        .tests
        .as_ref()
        .map(|t| test_lines(t, &outcome.failure_reports))
        .unwrap_or_default();
    let log = |stream: &str| {
        let rel = format!("{}/{stream}.log", prep.rel_dir);
        let tail = tail_lines(&prep.dir.join(format!("{stream}.log")), 200);
        tail.into_iter()
            .filter(|l| !is_marker(l))
            .map(|l| (l, rel.clone()))
            .collect::<Vec<Line>>()
    };
    let stderr = log("stderr");
    let stdout = log("stdout");
    if lines.is_empty() {
        lines = first_error(&stderr)
            .or_else(|| first_error(&stdout))
            .unwrap_or_default();
    }
    // Listed failures say what the log says about them: the log adds its
    // last words only (`error: test run failed`).
    let room = match &outcome.tests {
        Some(t) if !t.failures.is_empty() => LOG_LINES_AFTER_TESTS,
        _ => EXCERPT_LINES,
    }
    .min(EXCERPT_LINES.saturating_sub(lines.len()));
    let decisive: Vec<&str> = outcome
        .tests
        .iter()
        .flat_map(|t| &t.failures)
        .flat_map(|f| f.message.lines())
        .map(str::trim)
        .filter(|l| l.len() >= 10)
        .collect();
    let shown = |l: &str| {
        lines.iter().any(|(s, _)| s.trim() == l.trim()) || decisive.iter().any(|d| l.contains(d))
    };
    let errors: Vec<&Line> = stderr
        .iter()
        .chain(&stdout)
        .filter(|(l, _)| looks_like_error(l) && !shown(l))
        .collect();
    let more: Vec<Line> = if errors.is_empty() && lines.is_empty() {
        let source = if stderr.is_empty() { &stdout } else { &stderr };
        last(source.iter(), room)
    } else {
        last(errors.into_iter(), room)
    };
    lines.extend(more);
    lines.truncate(EXCERPT_LINES);
    lines
}

/// The last `n` of `lines`.
fn last<'a>(lines: impl ExactSizeIterator<Item = &'a Line>, n: usize) -> Vec<Line> {
    let skip = lines.len().saturating_sub(n);
    lines.skip(skip).cloned().collect()
}

/// `FAIL <classname>::<name>: <first decisive line>`, the rest of its
/// decisive lines indented under it, for as many failures as fit.
/// Each line names the report its failure came from (`reports[i]` for
/// failure `i`, else the first report).
fn test_lines(tests: &TestCounts, reports: &[String]) -> Vec<Line> {
    let mut lines = Vec::new();
    for (i, f) in tests.failures.iter().enumerate() {
        let report = reports
            .get(i)
            .or(tests.reports.first())
            .cloned()
            .unwrap_or_default();
        if lines.len() >= TEST_LINES {
            break;
        }
        let name = match &f.classname {
            Some(c) if !c.is_empty() => format!("{c}::{}", f.name),
            _ => f.name.clone(),
        };
        let mut message = f.message.lines();
        let first = message.next().unwrap_or("");
        lines.push((
            truncate(
                &crate::style::printable(&format!("FAIL {name}: {first}")),
                300,
            ),
            report.clone(),
        ));
        let room = (LINES_PER_TEST - 1).min(TEST_LINES.saturating_sub(lines.len()));
        lines.extend(message.take(room).map(|l| {
            (
                truncate(&crate::style::printable(&format!("  {l}")), 300),
                report.clone(),
            )
        }));
    }
    lines
}

/// The first `error[…]:` or `error:` line and the indented lines under it
/// (rustc's `--> file:line:col` and source snippet), when there is one.
fn first_error(lines: &[Line]) -> Option<Vec<Line>> {
    let start = lines
        .iter()
        .position(|(l, _)| l.starts_with("error[") || l.starts_with("error:"))?;
    let mut block = vec![lines[start].clone()];
    for entry in &lines[start + 1..] {
        let line = &entry.0;
        let indented = line.starts_with(' ') || line.starts_with('\t') || line.starts_with('|');
        let numbered = line
            .split_once(" |")
            .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !(indented || numbered) || block.len() >= ERROR_BLOCK_LINES {
            break;
        }
        block.push(entry.clone());
    }
    Some(block)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_lines_are_lab_s_own() {
        assert!(is_marker("LAB_ARTIFACT_PATH=shots/a.png"));
        assert!(is_marker("POSTHASTE_LAB_ARTIFACT_PATH=/x"));
        assert!(!is_marker("error: LAB_ARTIFACT_PATH=x is not set"));
        assert!(!is_marker("failed"));
    }

    fn lines(text: &str) -> Vec<Line> {
        text.lines()
            .map(|l| (l.to_string(), "s/stderr.log".to_string()))
            .collect()
    }

    #[test]
    fn the_first_compiler_error_comes_with_its_place() {
        let log = lines(
            "   Compiling tiny v0.1.0 (/w)\nerror[E0425]: cannot find value `x` in this scope\n --> src/lib.rs:4:35\n  |\n4 |     fn adds() { x }\n  |                 ^ not found in this scope\nFor more information about this error, try `rustc --explain E0425`.\nerror: could not compile `tiny`",
        );
        assert_eq!(
            first_error(&log).expect("an error"),
            lines(
                "error[E0425]: cannot find value `x` in this scope\n --> src/lib.rs:4:35\n  |\n4 |     fn adds() { x }\n  |                 ^ not found in this scope"
            )
        );
        assert_eq!(first_error(&lines("all good\nwarning: x")), None);
    }

    #[test]
    fn failing_tests_show_their_decisive_lines_within_budget() {
        let failure = |name: &str| crate::outputs::TestFailure {
            name: name.into(),
            classname: Some("c".into()),
            message: "panicked at a.rs:1:1:\nassertion failed\n  left: 1\n right: 2".into(),
        };
        let tests = TestCounts {
            failures: vec![failure("a"), failure("b"), failure("c")],
            ..TestCounts::default()
        };
        let reports = ["s/junit.xml".to_string(), "s/junit-2.xml".to_string()];
        let got = test_lines(&tests, &reports);
        assert_eq!(got[0].0, "FAIL c::a: panicked at a.rs:1:1:");
        assert_eq!(got[2].0, "    left: 1");
        assert_eq!(got[4].0, "FAIL c::b: panicked at a.rs:1:1:");
        assert_eq!(got.len(), TEST_LINES);
        // Each failure's lines name the report it came from.
        assert_eq!(
            (got[3].1.as_str(), got[4].1.as_str()),
            ("s/junit.xml", "s/junit-2.xml")
        );
    }
}
