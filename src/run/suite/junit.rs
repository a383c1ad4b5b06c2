//! JUnit XML written by a runner (nextest, pytest, …) → per-test results,
//! counted only when this suite wrote it (a file older than the suite is
//! never read), each report kept, redacted, in the suite
//! directory. The XML itself is read in `junit_xml.rs`, the decisive lines
//! of a failure picked in `decisive.rs`.

use camino::{Utf8Path, Utf8PathBuf};

use super::decisive::decisive_lines;
use super::junit_xml::{self, FailedCase};
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
    /// A file is not a regular file, too big, nested too deep or not UTF-8.
    #[error("{path}: {why}")]
    Refused {
        /// The file.
        path: Utf8PathBuf,
        /// Why it is not read.
        why: String,
    },
    /// A file is not well-formed XML.
    #[error("{path}: not well-formed XML")]
    Parse {
        /// The file.
        path: Utf8PathBuf,
        /// Why.
        #[source]
        source: quick_xml::Error,
    },
    /// The redacted copy could not be written into the suite directory.
    #[error("cannot keep a copy of {path} at {copy}")]
    Keep {
        /// The report.
        path: Utf8PathBuf,
        /// Where the copy was to go.
        copy: Utf8PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// What one report location held for this suite.
#[derive(Debug)]
pub struct Collected {
    /// The reports read, added up; `None` when none was fresh.
    pub counts: Option<TestCounts>,
    /// A report was there but older than the suite: not read.
    pub stale: bool,
    /// Reports that could not be read or kept.
    pub errors: Vec<JunitError>,
    /// For each of `counts.failures`, the kept report it came from.
    pub failure_reports: Vec<String>,
}

/// Where the reports of one suite are kept: `<suite-dir>/junit.xml`,
/// `junit-2.xml`, … A report written at the top of the suite directory
/// (through `{junit}`) is redacted where it is.
pub struct Keeper<'a> {
    /// The suite directory.
    pub dir: &'a Utf8Path,
    /// The suite directory relative to the run directory.
    pub rel_dir: &'a str,
    /// The reports kept so far (resolved): a copy is never read as a
    /// report of its own.
    pub kept: Vec<std::path::PathBuf>,
}

impl Keeper<'_> {
    /// A keeper for the suite directory `dir` (`rel_dir` in the run).
    pub fn new<'a>(dir: &'a Utf8Path, rel_dir: &'a str) -> Keeper<'a> {
        Keeper {
            dir,
            rel_dir,
            kept: Vec::new(),
        }
    }

    /// `true` when `file` is a report kept already.
    fn is_kept(&self, file: &Utf8Path) -> bool {
        crate::files::resolve(file.as_std_path()).is_some_and(|r| self.kept.contains(&r))
    }

    /// Where the copy of `report` goes, that path relative to the run
    /// directory, and whether it is the report itself.
    fn place(&self, report: &Utf8Path) -> (Utf8PathBuf, String, bool) {
        let resolved = |p: &Utf8Path| crate::files::resolve(p.as_std_path());
        if let (Some(r), Some(d)) = (resolved(report), resolved(self.dir))
            && let Some(name) = crate::files::inside(&r, &d).and_then(|b| b.to_str())
            && !name.contains('/')
        {
            return (
                self.dir.join(name),
                format!("{}/{name}", self.rel_dir),
                true,
            );
        }
        let mut n = 1;
        loop {
            let name = match n {
                1 => "junit.xml".to_string(),
                n => format!("junit-{n}.xml"),
            };
            let copy = self.dir.join(&name);
            if !copy.exists() {
                return (copy, format!("{}/{name}", self.rel_dir), false);
            }
            n += 1;
        }
    }
}

/// Reads every file matching `pattern` (relative to `cwd`, already filled
/// in) written at or after `since`, adds them up and keeps a redacted copy
/// of each.
pub fn collect(
    cwd: &Utf8Path,
    pattern: &str,
    redactor: &Redactor,
    since: std::time::SystemTime,
    keeper: &mut Keeper<'_>,
) -> Collected {
    let mut out = Collected {
        counts: None,
        stale: false,
        errors: Vec::new(),
        failure_reports: Vec::new(),
    };
    let files: Vec<Utf8PathBuf> = if crate::files::is_glob(pattern) {
        // A filled placeholder makes a pattern absolute: walk from `/`.
        let (base, relative) = match pattern.strip_prefix('/') {
            Some(rest) => (Utf8Path::new("/"), rest),
            None => (cwd, pattern),
        };
        match crate::files::glob_files(base, relative) {
            Ok(files) => files.into_iter().map(|f| base.join(f)).collect(),
            Err(e) => {
                out.errors.push(JunitError::Pattern {
                    pattern: pattern.to_string(),
                    kind: e.kind().clone(),
                });
                return out;
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
    for file in files {
        if keeper.is_kept(&file) {
            continue;
        }
        // A report this suite did not write (left by an earlier run, or by
        // an attempt before the last) never describes this one.
        let fresh = std::fs::metadata(&file)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t >= since);
        if !fresh {
            out.stale = true;
            continue;
        }
        match read_and_keep(&file, redactor, keeper) {
            Ok(counts) => {
                let sum = out.counts.get_or_insert_with(TestCounts::default);
                let before = sum.failures.len();
                let report = counts.reports.first().cloned().unwrap_or_default();
                add(sum, counts);
                let added = sum.failures.len() - before;
                out.failure_reports
                    .extend(std::iter::repeat_n(report, added));
            }
            Err(e) => out.errors.push(e),
        }
    }
    out
}

/// Adds `more` to `sum`.
pub fn add(sum: &mut TestCounts, more: TestCounts) {
    sum.total += more.total;
    sum.passed += more.passed;
    sum.failed += more.failed;
    sum.skipped += more.skipped;
    let room = MAX_FAILURES.saturating_sub(sum.failures.len());
    sum.failures.extend(more.failures.into_iter().take(room));
    sum.reports.extend(more.reports);
}

/// One report: counted, its failures with their decisive lines, its
/// redacted copy written into the suite directory.
fn read_and_keep(
    path: &Utf8Path,
    redactor: &Redactor,
    keeper: &mut Keeper<'_>,
) -> Result<TestCounts, JunitError> {
    let (copy, rel, in_place) = keeper.place(path);
    let parsed = read_redacted(path, redactor).inspect_err(|_| {
        if in_place {
            // Written into the suite directory through `{junit}`: what
            // stays there must be redacted too.
            forget_unreadable(path, redactor);
        }
    })?;
    crate::files::write_atomic(&copy, parsed.redacted.as_bytes()).map_err(|source| {
        JunitError::Keep {
            path: path.to_path_buf(),
            copy: copy.clone(),
            source,
        }
    })?;
    keeper
        .kept
        .extend(crate::files::resolve(copy.as_std_path()));
    Ok(TestCounts {
        total: parsed.total,
        passed: parsed.passed,
        failed: parsed.failed,
        skipped: parsed.skipped,
        failures: parsed.failures.into_iter().map(failure).collect(),
        reports: vec![rel],
    })
}

/// The report at `path`, read and redacted.
fn read_redacted(path: &Utf8Path, redactor: &Redactor) -> Result<junit_xml::Parsed, JunitError> {
    let bytes = read_bounded(path)?;
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Err(JunitError::Refused {
            path: path.to_path_buf(),
            why: "not UTF-8".into(),
        });
    };
    junit_xml::read(text, redactor, MAX_FAILURES).map_err(|source| JunitError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

/// An unreadable report inside the suite directory: its text redacted in
/// place when it is a regular file lab may read, else removed.
fn forget_unreadable(path: &Utf8Path, redactor: &Redactor) {
    let small = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.len() <= MAX_BYTES);
    let text = small
        .then(|| std::fs::read(path).ok())
        .flatten()
        .map(|b| redactor.redact_str(&String::from_utf8_lossy(&b)));
    // Failing both, the report stays; the junit_unreadable event names it.
    let _ = match text {
        Some(text) => crate::files::write_atomic(path, text.as_bytes()),
        None => std::fs::remove_file(path),
    };
}

/// A failing case as summary.json lists it: its decisive lines when its
/// text has them, else the report's message (else the first lines of its
/// text).
fn failure(case: FailedCase) -> TestFailure {
    let mut lines = decisive_lines([
        case.text.as_str(),
        case.system_err.as_str(),
        case.system_out.as_str(),
    ]);
    if lines.is_empty() {
        let fallback = if case.message.trim().is_empty() {
            &case.text
        } else {
            &case.message
        };
        lines = fallback
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.is_empty())
            .take(super::decisive::MAX_LINES)
            .map(|l| l.chars().take(MAX_MESSAGE_LINE).collect())
            .collect();
    }
    TestFailure {
        name: case.name,
        classname: case.classname,
        message: lines.join("\n"),
    }
}

/// A fallback message line is cut at this many characters.
const MAX_MESSAGE_LINE: usize = 2000;

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
