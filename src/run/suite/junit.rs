//! JUnit XML written by a runner (nextest, pytest, …) → per-test results.
//! junit-parser drops entities from element text, so only names, statuses
//! and the `message` attribute are read from it (see FACTS.md).

use std::path::Path;

use camino::Utf8Path;

use crate::outputs::{TestCounts, TestFailure};
use crate::run::process::redact::Redactor;

/// Parses every file matching `pattern` (relative to `cwd`, already filled
/// in) and adds them up. `None` when no file exists.
pub fn collect(
    cwd: &Utf8Path,
    pattern: &str,
    redactor: &Redactor,
) -> Option<Result<TestCounts, String>> {
    let files: Vec<camino::Utf8PathBuf> = if crate::files::is_glob(pattern) {
        crate::files::glob_files(cwd, pattern)
            .ok()?
            .into_iter()
            .map(|f| cwd.join(f))
            .collect()
    } else {
        let path = cwd.join(pattern);
        if path.is_file() {
            vec![path]
        } else {
            Vec::new()
        }
    };
    if files.is_empty() {
        return None;
    }
    let mut counts = TestCounts::default();
    for file in files {
        if let Err(e) = add_file(file.as_std_path(), &mut counts, redactor) {
            return Some(Err(format!("{file}: {e}")));
        }
    }
    Some(Ok(counts))
}

fn add_file(path: &Path, counts: &mut TestCounts, redactor: &Redactor) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let suites =
        junit_parser::from_reader(std::io::BufReader::new(file)).map_err(|e| e.to_string())?;
    let mut stack: Vec<&junit_parser::TestSuite> = suites.suites.iter().collect();
    while let Some(suite) = stack.pop() {
        stack.extend(suite.suites.iter());
        for case in &suite.cases {
            counts.total += 1;
            let status = &case.status;
            if status.is_success() {
                counts.passed += 1;
            } else if status.is_skipped() {
                counts.skipped += 1;
            } else {
                counts.failed += 1;
                let message = if status.is_failure() {
                    status.failure_as_ref().message.clone()
                } else {
                    status.error_as_ref().message.clone()
                };
                counts.failures.push(TestFailure {
                    name: case.original_name.clone(),
                    classname: case.classname.clone(),
                    message: redactor.redact_str(&message),
                });
            }
        }
    }
    Ok(())
}
