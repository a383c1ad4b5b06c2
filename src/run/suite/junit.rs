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
    /// A file is not a regular file, too big, or nested too deep to read
    /// safely.
    #[error("{path}: {why}")]
    Refused {
        /// The file.
        path: Utf8PathBuf,
        /// Why it is not read.
        why: String,
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
    since: std::time::SystemTime,
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
    // A report this suite did not write (left by an earlier run, or by a
    // run that stopped before its tests) never describes this one.
    let files: Vec<Utf8PathBuf> = files
        .into_iter()
        .filter(|f| {
            std::fs::metadata(f)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= since)
        })
        .collect();
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
    let bytes = read_bounded(path)?;
    let suites =
        junit_parser::from_reader(bytes.as_slice()).map_err(|source| JunitError::Parse {
            path: path.to_path_buf(),
            source,
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
                if counts.failures.len() >= MAX_FAILURES {
                    continue; // counted above; only the first ones are listed
                }
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

/// JUnit files larger than this are not read (a report is kilobytes to a
/// few megabytes; a 100 MB one would be held whole by the parser).
const MAX_BYTES: u64 = 64 << 20;

/// Elements nested deeper than this make a file unreadable: the parser
/// recurses per level, and 1,000 nested `<testsuite>` overflow its stack.
const MAX_DEPTH: usize = 64;

/// At most this many failures are listed per suite (all are counted).
const MAX_FAILURES: usize = 100;

/// The file's bytes, when it is a regular file of at most [`MAX_BYTES`]
/// whose elements nest at most [`MAX_DEPTH`] deep.
fn read_bounded(path: &Utf8Path) -> Result<Vec<u8>, JunitError> {
    let refused = |why: String| JunitError::Refused {
        path: path.to_path_buf(),
        why,
    };
    let open = |source| JunitError::Open {
        path: path.to_path_buf(),
        source,
    };
    // A FIFO would block the read forever: look before opening.
    let meta = std::fs::metadata(path).map_err(open)?;
    if !meta.is_file() {
        return Err(refused("not a regular file".into()));
    }
    if meta.len() > MAX_BYTES {
        return Err(refused(format!("larger than {} MiB", MAX_BYTES >> 20)));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| {
            std::io::Read::read_to_end(&mut std::io::Read::take(f, MAX_BYTES + 1), &mut bytes)
        })
        .map_err(open)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(refused(format!("larger than {} MiB", MAX_BYTES >> 20)));
    }
    if nesting_depth(&bytes) > MAX_DEPTH {
        return Err(refused(format!("nested deeper than {MAX_DEPTH} elements")));
    }
    Ok(bytes)
}

/// The deepest element nesting of an XML document, by a scan of its tags
/// (`<x …>` opens, `</x>` closes, `<x/>`, `<?…?>`, `<!…>` do neither).
/// Comments and CDATA holding `<` can only make it count deeper: a file
/// refused that way is refused for a reason that is nearly true.
fn nesting_depth(xml: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut i = 0;
    while let Some(at) = xml[i..].iter().position(|&b| b == b'<') {
        let start = i + at;
        let end = xml[start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(xml.len(), |p| start + p);
        let tag = &xml[start..end];
        match tag.get(1) {
            Some(b'/') => depth = depth.saturating_sub(1),
            Some(b'?' | b'!') => {}
            Some(_) if !tag.ends_with(b"/") => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            _ => {}
        }
        i = (end + 1).min(xml.len());
        if i >= xml.len() {
            break;
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_measured_by_tags() {
        assert_eq!(
            nesting_depth(b"<?xml version=\"1.0\"?><a><b/><c><d></d></c></a>"),
            3
        );
        let deep = "<testsuite>".repeat(1000) + &"</testsuite>".repeat(1000);
        assert_eq!(nesting_depth(deep.as_bytes()), 1000);
        assert_eq!(nesting_depth(b"plain text"), 0);
    }
}
