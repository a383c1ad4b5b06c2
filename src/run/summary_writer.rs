//! summary.json kept current while a run goes on: each finished suite is
//! serialized once, and the document (header recomputed, suites spliced
//! in) is written atomically when the engine asks.

use camino::Utf8PathBuf;

use super::run_dir::RecordError;
use crate::outputs::*;

/// Keeps summary.json current as suites finish.
pub struct SummaryWriter {
    path: Utf8PathBuf,
    /// Everything but the suites, recomputed at each write.
    header: Summary,
    results: Vec<SuiteResult>,
    /// The suites serialized so far, joined: each finished suite is
    /// serialized once, however often the document is written.
    suites_json: String,
    /// Ids of the finished suites, so `pending` is filtered once per write
    /// rather than once per suite.
    finished: std::collections::HashSet<String>,
}

impl SummaryWriter {
    /// A writer for `path`; `header.suites` is ignored.
    pub fn new(path: Utf8PathBuf, header: Summary) -> Self {
        SummaryWriter {
            path,
            header,
            results: Vec::new(),
            suites_json: String::new(),
            finished: std::collections::HashSet::new(),
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
        self.finished.insert(result.id.clone());
        self.results.push(result);
    }

    /// Suites that will not run here (a merged shard's), still pending.
    pub fn add_pending(&mut self, ids: impl IntoIterator<Item = String>) {
        self.header.pending.extend(ids);
    }

    /// Records where the run started from: the workspace's version
    /// control state and the registry's digest.
    pub fn set_provenance(&mut self, vcs: crate::outputs::Vcs, registry_digest: Option<String>) {
        self.header.vcs = Some(vcs);
        self.header.registry_digest = registry_digest;
    }

    /// The document as it stands (suites left out).
    pub fn header(&self) -> &Summary {
        &self.header
    }

    /// Ends the run: `interrupted`, `finished_at` now, everything
    /// recomputed; lab's exit code.
    pub fn finish(&mut self, interrupted: bool, duration_ms: u64) -> u8 {
        self.header.interrupted = interrupted;
        self.header.finished_at = Some(jiff::Timestamp::now().to_string());
        self.refresh(duration_ms)
    }

    /// Recomputes the derived fields (status, counts, first failure,
    /// reproduce, links) and the duration.
    pub fn refresh(&mut self, duration_ms: u64) -> u8 {
        let h = &mut self.header;
        if !self.finished.is_empty() {
            let finished = &self.finished;
            h.pending.retain(|id| !finished.contains(id));
        }
        h.counts = count(&self.results, h.counts.selected);
        // Quarantined suites count with their real status but do not gate.
        h.quarantined = QuarantinedSection::of(&self.results);
        let gating = match &h.quarantined {
            None => h.counts.clone(),
            Some(q) => q.gating(&h.counts),
        };
        let (status, code) = status_of(&gating, h.interrupted);
        // Only the final write gives the outcome: a summary read while
        // the run goes on (or after lab was killed) never reads as passed.
        h.status = if h.finished_at.is_some() {
            status.into()
        } else {
            RunStatus::Running
        };
        h.first_failure = first_failure(&self.results);
        h.reproduce = reproduce(&self.results, &h.criteria, &h.invocation);
        h.links = links(&self.results);
        h.duration_ms = duration_ms;
        code
    }

    /// The document as JSON text, suites spliced in from their cached fragments.
    pub fn render(&self) -> Result<String, serde_json::Error> {
        let mut header = self.header.clone();
        header.suites = Vec::new();
        let text = serde_json::to_string(&header)?;
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
        Ok(out)
    }

    /// Writes summary.json atomically.
    pub fn write(&self) -> Result<(), RecordError> {
        let text = self.render().map_err(|source| RecordError::Serialize {
            path: self.path.clone(),
            source,
        })?;
        super::run_dir::write_atomic(&self.path, text.as_bytes())
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
            tests_missing: None,
            excerpt: vec!["suites\":[] inside a string".into()],
            excerpt_sources: vec![format!("suites/{id}/stderr.log")],
            rationale: Vec::new(),
            cached: None,
            quarantined: false,
            quarantine: None,
        }
    }

    fn header() -> Summary {
        Summary {
            schema_version: SCHEMA_VERSION,
            run_id: "r".into(),
            status: RunStatus::Running,
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
            reproduce_selected: String::new(),
            invocation: Invocation::default(),
            links: Links::default(),
            vcs: None,
            registry_digest: None,
            quarantined: None,
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
        let spliced: serde_json::Value =
            serde_json::from_str(&w.render().expect("renders")).expect("valid JSON");
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
}
