//! JUnit XML written by a runner (nextest, pytest, …) → per-test results.
//! junit-parser drops entities from element text, so only names, statuses
//! and the `message` attribute are read from it (see FACTS.md).

use camino::{Utf8Path, Utf8PathBuf};

use crate::outputs::{TestCounts, TestFailure};
use crate::run::process::redact::Redactor;

/// Why a runner's JUnit XML could not be counted.
#[derive(Debug, thiserror::Error)]
pub enum JunitError {
    /// The runner's `junit` pattern is not a valid glob.
    #[error("`{pattern}` is not a valid glob: {kind}")]
    Pattern {
        /// The pattern, placeholders filled in.
        pattern: String,
        /// What is wrong with it.
        kind: globset::ErrorKind,
    },
    /// A file could not be opened.
    #[error("{path}")]
    Open {
        /// The file.
        path: Utf8PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file is not JUnit XML junit-parser can read.
    #[error("{path}")]
    Parse {
        /// The file.
        path: Utf8PathBuf,
        /// Why.
        #[source]
        source: junit_parser::Error,
    },
}

/// Parses every file matching `pattern` (relative to `cwd`, already filled
/// in) and adds them up. `None` when no file exists.
pub fn collect(
    cwd: &Utf8Path,
    pattern: &str,
    redactor: &Redactor,
) -> Option<Result<TestCounts, JunitError>> {
    let files: Vec<Utf8PathBuf> = if crate::files::is_glob(pattern) {
        match crate::files::glob_files(cwd, pattern) {
            Ok(files) => files.into_iter().map(|f| cwd.join(f)).collect(),
            Err(e) => {
                return Some(Err(JunitError::Pattern {
                    pattern: pattern.to_string(),
                    kind: e.kind().clone(),
                }));
            }
        }
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
        if let Err(e) = add_file(&file, &mut counts, redactor) {
            return Some(Err(e));
        }
    }
    Some(Ok(counts))
}

fn add_file(
    path: &Utf8Path,
    counts: &mut TestCounts,
    redactor: &Redactor,
) -> Result<(), JunitError> {
    let file = std::fs::File::open(path).map_err(|source| JunitError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let suites = junit_parser::from_reader(std::io::BufReader::new(file)).map_err(|source| {
        JunitError::Parse {
            path: path.to_path_buf(),
            source,
        }
    })?;
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
