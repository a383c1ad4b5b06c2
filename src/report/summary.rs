//! summary.json: the run's status, counts, first failure, reproduce command
//! and links, recomputed from the finished suites; written atomically after
//! every suite without re-serializing the suites already written.

use camino::Utf8PathBuf;

use crate::outputs::*;
use crate::error::Error;

/// The run status and lab's exit code from the finished suites (docs/exit-codes.md).
pub fn status_of(counts: &Counts, interrupted: bool) -> (Status, u8) {
    use crate::error::exit_code;
    let status = if counts.failed > 0 {
        Status::Failed
    } else if counts.blocked > 0 {
        Status::Blocked
    } else if counts.skipped > 0 && counts.passed + counts.flaky == 0 {
        Status::Skipped
    } else {
        Status::Passed
    };
    let code = if interrupted {
        exit_code::INTERRUPTED
    } else {
        match status {
            Status::Failed => exit_code::FAILED,
            Status::Blocked => exit_code::BLOCKED,
            Status::Skipped => exit_code::SKIPPED,
            Status::Passed | Status::Flaky => exit_code::SUCCESS,
        }
    };
    (status, code)
}

/// `3 passed, 1 flaky, 2 failed` — passed always, the rest when non-zero.
pub fn counts_phrase(c: &Counts) -> String {
    let mut parts = vec![format!("{} passed", c.passed)];
    for (n, what) in [
        (c.flaky, "flaky"),
        (c.failed, "failed"),
        (c.skipped, "skipped"),
        (c.blocked, "blocked"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    parts.join(", ")
}

/// Counts over `results`; `selected` is the whole selection.
pub fn count(results: &[SuiteResult], selected: usize) -> Counts {
    let mut c = Counts {
        selected,
        ..Counts::default()
    };
    for r in results {
        match r.status {
            Status::Passed => c.passed += 1,
            Status::Failed => c.failed += 1,
            Status::Skipped => c.skipped += 1,
            Status::Blocked => c.blocked += 1,
            Status::Flaky => c.flaky += 1,
        }
    }
    c
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,*".contains(c))
        && !word.contains('*')
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// `lab verify …` for the selection of `criteria`.
pub fn selection_command(criteria: &Criteria) -> String {
    let mut words = vec!["lab".to_string(), "verify".to_string()];
    words.extend(criteria.ids.iter().map(|i| shell_word(i)));
    let mut flag = |name: &str, values: &[String]| {
        for v in values {
            words.push(format!("--{name}"));
            words.push(shell_word(v));
        }
    };
    flag("tag", &criteria.tags);
    flag("target", &criteria.targets);
    flag("level", &criteria.levels);
    flag("platform", &criteria.platforms);
    flag("exclude-tag", &criteria.exclude_tags);
    if let Some(r) = criteria.risk {
        words.push("--risk".into());
        words.push(r.name().into());
    }
    if criteria.changed {
        words.push("--changed".into());
    }
    if criteria.all {
        words.push("--all".into());
    }
    if let Some(shard) = &criteria.shard {
        words.push("--shard".into());
        words.push(shard.clone());
    }
    words.join(" ")
}

/// The command that re-runs the failed and blocked suites, or the whole
/// selection when none failed.
pub fn reproduce(results: &[SuiteResult], criteria: &Criteria) -> String {
    let bad: Vec<String> = results
        .iter()
        .filter(|r| matches!(r.status, Status::Failed | Status::Blocked))
        .map(|r| shell_word(&r.id))
        .collect();
    if bad.is_empty() {
        selection_command(criteria)
    } else {
        format!("lab verify {}", bad.join(" "))
    }
}

/// First failed or blocked suite, in finishing order.
pub fn first_failure(results: &[SuiteResult]) -> Option<FirstFailure> {
    results
        .iter()
        .find(|r| matches!(r.status, Status::Failed | Status::Blocked))
        .map(|r| FirstFailure {
            suite: r.id.clone(),
            step: r.step.clone(),
            message: r
                .reason
                .clone()
                .unwrap_or_else(|| r.status.name().to_string()),
        })
}

/// Logs of suites that did not pass, and artifacts worth opening.
pub fn links(results: &[SuiteResult]) -> Links {
    use crate::registry::model::ArtifactKind;
    let mut links = Links::default();
    for r in results {
        if !r.status.is_pass() && r.status != Status::Skipped {
            links.logs.extend(r.stderr.iter().cloned());
            links.logs.extend(r.stdout.iter().cloned());
        }
        for a in r.artifacts.iter().filter(|a| !a.missing) {
            match a.kind {
                ArtifactKind::Screenshot => links.screenshots.push(a.path.clone()),
                ArtifactKind::Trace => links.traces.push(a.path.clone()),
                ArtifactKind::Video => links.videos.push(a.path.clone()),
                _ => {}
            }
        }
    }
    links
}

/// Keeps summary.json current as suites finish.
pub struct SummaryWriter {
    path: Utf8PathBuf,
    /// Everything but the suites, recomputed at each write.
    pub header: Summary,
    results: Vec<SuiteResult>,
    /// The suites serialized so far, joined: each finished suite is
    /// serialized once, however often the document is written.
    suites_json: String,
}

impl SummaryWriter {
    /// A writer for `path`; `header.suites` is ignored.
    pub fn new(path: Utf8PathBuf, header: Summary) -> Self {
        SummaryWriter {
            path,
            header,
            results: Vec::new(),
            suites_json: String::new(),
        }
    }

    /// The finished suites so far.
    pub fn results(&self) -> &[SuiteResult] {
        &self.results
    }

    /// Records a finished suite (not yet written).
    pub fn push(&mut self, result: SuiteResult) {
        if !self.suites_json.is_empty() {
            self.suites_json.push_str(",\n");
        }
        // Serializing plain data to a string cannot fail (no maps with
        // non-string keys, no I/O).
        self.suites_json
            .push_str(&serde_json::to_string(&result).expect("a suite result serializes to JSON"));
        self.header.pending.retain(|id| *id != result.id);
        self.results.push(result);
    }

    /// Recomputes the derived fields (status, counts, first failure,
    /// reproduce, links) and the duration.
    pub fn refresh(&mut self, duration_ms: u64) -> u8 {
        let h = &mut self.header;
        h.counts = count(&self.results, h.counts.selected);
        let (status, code) = status_of(&h.counts, h.interrupted);
        h.status = status;
        h.first_failure = first_failure(&self.results);
        h.reproduce = reproduce(&self.results, &h.criteria);
        h.links = links(&self.results);
        h.duration_ms = duration_ms;
        code
    }

    /// The document as JSON text, suites spliced in from their cached fragments.
    pub fn render(&self) -> String {
        let mut header = self.header.clone();
        header.suites = Vec::new();
        let text = serde_json::to_string(&header).unwrap_or_default();
        let mut out = String::with_capacity(text.len() + self.suites_json.len() + 16);
        match text.split_once("\"suites\":[]") {
            Some((before, after)) => {
                out.push_str(before);
                out.push_str("\"suites\":[\n");
                out.push_str(&self.suites_json);
                out.push(']');
                out.push_str(after);
            }
            None => out.push_str(&text),
        }
        out.push('\n');
        out
    }

    /// Writes summary.json atomically.
    pub fn write(&self) -> Result<(), Error> {
        crate::run::run_dir::write_atomic(&self.path, self.render().as_bytes())
    }

    /// The whole summary as a value.
    pub fn summary(&self) -> Summary {
        let mut s = self.header.clone();
        s.suites = self.results.clone();
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, status: Status) -> SuiteResult {
        SuiteResult {
            id: id.into(),
            status,
            reason: Some("why".into()),
            exit_code: Some(1),
            signal: None,
            timed_out: false,
            duration_ms: 5,
            attempts: Vec::new(),
            step: Some("command".into()),
            stdout: Some(format!("suites/{id}/stdout.log")),
            stderr: Some(format!("suites/{id}/stderr.log")),
            artifacts: Vec::new(),
            tests: None,
            excerpt: vec!["suites\":[] inside a string".into()],
            rationale: Vec::new(),
        }
    }

    fn header() -> Summary {
        Summary {
            schema_version: SCHEMA_VERSION,
            run_id: "r".into(),
            status: Status::Passed,
            interrupted: false,
            started_at: "2026-11-22T00:00:00Z".into(),
            finished_at: None,
            duration_ms: 0,
            command: vec!["lab".into(), "verify".into()],
            command_id: "cmd.verify".into(),
            criteria: Criteria {
                tags: vec!["lab-smoke".into()],
                ..Criteria::default()
            },
            changed: None,
            counts: Counts {
                selected: 3,
                ..Counts::default()
            },
            suites: Vec::new(),
            pending: vec!["a".into(), "b".into(), "c".into()],
            first_failure: None,
            reproduce: String::new(),
            links: Links::default(),
        }
    }

    #[test]
    fn spliced_render_equals_plain_serialization() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = Utf8PathBuf::try_from(dir.path().join("summary.json")).expect("utf-8");
        let mut w = SummaryWriter::new(path, header());
        w.push(result("a", Status::Passed));
        w.push(result("b", Status::Failed));
        let code = w.refresh(10);
        assert_eq!(code, 1);
        let spliced: serde_json::Value = serde_json::from_str(&w.render()).expect("valid JSON");
        let plain = serde_json::to_value(w.summary()).expect("value");
        assert_eq!(spliced, plain);
        assert_eq!(spliced["pending"], serde_json::json!(["c"]));
        assert_eq!(spliced["reproduce"], "lab verify b");
        assert_eq!(spliced["first_failure"]["suite"], "b");
        assert_eq!(
            spliced["links"]["logs"],
            serde_json::json!(["suites/b/stderr.log", "suites/b/stdout.log"])
        );
    }

    #[test]
    fn exit_codes_follow_the_design() {
        let c = |passed, failed, skipped, blocked, flaky| Counts {
            selected: 9,
            passed,
            failed,
            skipped,
            blocked,
            flaky,
        };
        assert_eq!(status_of(&c(1, 0, 0, 0, 0), false), (Status::Passed, 0));
        assert_eq!(status_of(&c(0, 0, 0, 0, 1), false), (Status::Passed, 0));
        assert_eq!(status_of(&c(1, 1, 0, 1, 0), false), (Status::Failed, 1));
        assert_eq!(status_of(&c(1, 0, 1, 1, 0), false), (Status::Blocked, 78));
        assert_eq!(status_of(&c(0, 0, 2, 0, 0), false), (Status::Skipped, 77));
        assert_eq!(status_of(&c(2, 0, 1, 0, 0), false), (Status::Passed, 0));
        assert_eq!(status_of(&c(0, 0, 0, 0, 0), false), (Status::Passed, 0));
        assert_eq!(status_of(&c(1, 0, 0, 0, 0), true).1, 130);
    }

    #[test]
    fn reproduce_quotes_what_the_shell_would_expand() {
        let criteria = Criteria {
            ids: vec!["suite.api.*".into()],
            tags: vec!["a b".into()],
            ..Criteria::default()
        };
        assert_eq!(
            selection_command(&criteria),
            "lab verify 'suite.api.*' --tag 'a b'"
        );
    }
}
