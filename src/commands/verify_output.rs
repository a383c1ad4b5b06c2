//! What `lab verify` shows on stderr: the selection line, a live progress
//! line on a terminal, one line per finished suite (with the excerpt of
//! one that did not pass), and the closing counts, run directory and
//! reproduce command.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};

use super::progress::Progress;
use crate::outputs::{Status, SuiteResult, Summary};
use crate::run::reporter::Reporter;
use crate::style::{Style, human_duration};

/// `lab verify`'s reporter.
pub struct VerifyOutput {
    workspace: Utf8PathBuf,
    stream: bool,
    style: Style,
    stderr: Arc<Mutex<std::io::Stderr>>,
    progress: Mutex<Option<Progress>>,
    rel_run: Mutex<String>,
}

impl VerifyOutput {
    /// Output for a run in `workspace`; `stream` copies suites' output.
    pub fn new(workspace: &Utf8Path, stream: bool) -> Self {
        VerifyOutput {
            workspace: workspace.to_path_buf(),
            stream,
            style: Style::for_stderr(),
            stderr: Arc::new(Mutex::new(std::io::stderr())),
            progress: Mutex::new(None),
            rel_run: Mutex::new(String::new()),
        }
    }

    fn print(&self, text: &str) {
        let progress = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = progress.as_ref() {
            p.print(text);
        }
    }

    fn rel_run(&self) -> String {
        self.rel_run
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Reporter for VerifyOutput {
    fn run_started(&self, run_dir: &Utf8Path, selected: usize) {
        let rel = run_dir
            .strip_prefix(&self.workspace)
            .map(|p| p.to_string())
            .unwrap_or_else(|_| run_dir.to_string());
        *self.rel_run.lock().unwrap_or_else(|e| e.into_inner()) = rel.clone();
        let live = !self.stream && std::io::stderr().is_terminal() && self.style != Style::plain();
        *self.progress.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(Progress::start(Arc::clone(&self.stderr), live, selected));
        self.print(&format!(
            "lab: {selected} suite{} selected → {rel}\n",
            if selected == 1 { "" } else { "s" }
        ));
    }

    fn suite_started(&self, id: &str) {
        if let Some(p) = self
            .progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            p.running(id);
        }
    }

    fn suite_finished(&self, result: &SuiteResult, done: usize, total: usize) {
        if let Some(p) = self
            .progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            p.finished(&result.id, done, total);
        }
        self.print(&suite_lines(result, &self.rel_run(), self.style));
    }

    fn run_finished(&self, summary: &Summary) {
        if let Some(p) = self
            .progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            p.finish();
        }
        self.print(&closing_lines(summary, &self.rel_run(), self.style));
    }

    fn tee(&self) -> Option<Arc<Mutex<std::io::Stderr>>> {
        self.stream.then(|| Arc::clone(&self.stderr))
    }
}

fn status_label(status: Status, style: Style) -> String {
    let (label, paint) = match status {
        Status::Passed => ("PASS ", style.bold()),
        Status::Flaky => ("FLAKY", style.yellow_bold()),
        Status::Failed => ("FAIL ", style.red_bold()),
        Status::Skipped => ("SKIP ", style.dim()),
        Status::Blocked => ("BLOCK", style.yellow_bold()),
    };
    format!("{}{label}{}", paint.0, paint.1)
}

/// The stderr lines for one finished suite.
fn suite_lines(r: &SuiteResult, rel_run: &str, style: Style) -> String {
    let ms = Duration::from_millis(r.duration_ms);
    let mut out = format!(
        "  {}  {}  {}",
        status_label(r.status, style),
        r.id,
        human_duration(ms)
    );
    if let Some(reason) = &r.reason
        && (r.status != Status::Passed || r.cached.is_some())
    {
        out.push_str(&format!("  {}", crate::style::printable(reason)));
    }
    if r.quarantined {
        out.push_str("  (quarantined: does not gate)");
    }
    out.push('\n');
    if matches!(r.status, Status::Failed | Status::Blocked | Status::Flaky) {
        // Excerpts and reasons quote the suite's own output: printable only.
        for line in r.excerpt.iter().map(|l| crate::style::printable(l)) {
            out.push_str(&format!("        | {line}\n"));
        }
        let logs = logs_shown(r);
        if !logs.is_empty() {
            let named: Vec<String> = logs.iter().map(|l| format!("{rel_run}/{l}")).collect();
            out.push_str(&format!("        logs: {}\n", named.join(" ")));
        }
    }
    out
}

/// The files a suite's excerpt lines were taken from, in the order they
/// first appear; without an excerpt, the command's stderr log when it ran.
fn logs_shown(r: &SuiteResult) -> Vec<&str> {
    let mut logs: Vec<&str> = Vec::new();
    for source in &r.excerpt_sources {
        if !logs.contains(&source.as_str()) {
            logs.push(source);
        }
    }
    if logs.is_empty() {
        logs.extend(r.stderr.as_deref());
    }
    logs
}

/// The loud quarantine section: the phrase, then one line per suite.
fn quarantine_lines(s: &Summary, style: Style) -> String {
    let Some(q) = &s.quarantined else {
        return String::new();
    };
    let (paint, reset) = style.yellow_bold();
    let mut out = format!("{paint}QUARANTINED{reset} {}\n", q.phrase());
    for suite in &q.suites {
        let issue = suite.quarantine.issue.as_deref().unwrap_or("no issue");
        out.push_str(&format!(
            "  {}  {}  until {} ({issue})\n",
            status_label(suite.status, style),
            suite.id,
            suite.quarantine.until
        ));
    }
    out
}

/// The last lines of a run: counts, run directory, reproduce command.
fn closing_lines(s: &Summary, rel_run: &str, style: Style) -> String {
    let c = &s.counts;
    let mut parts = vec![crate::outputs::counts_phrase(c)];
    let not_run = c.selected.saturating_sub(s.suites.len());
    if not_run > 0 {
        parts.push(format!("{not_run} not run"));
    }
    let (paint, reset) = match s.status {
        crate::outputs::RunStatus::Failed | crate::outputs::RunStatus::Incomplete => {
            style.red_bold()
        }
        crate::outputs::RunStatus::Blocked => style.yellow_bold(),
        _ => style.bold(),
    };
    let mut out = quarantine_lines(s, style);
    if s.interrupted {
        out.push_str("lab: interrupted; stopped every running suite\n");
    }
    out.push_str(&format!(
        "{paint}{}{reset}: {} in {}\n",
        s.status.name(),
        parts.join(", "),
        human_duration(Duration::from_millis(s.duration_ms))
    ));
    out.push_str(&format!("run: {rel_run}\n"));
    out.push_str(&format!("reproduce: {}\n", s.reproduce));
    // Selected by what changed: also the exact suites, which stay the same
    // when the changes do not (paths from stdin, a moving base).
    if s.criteria.changed && s.counts.selected > 0 {
        out.push_str(&format!("same suites: {}\n", s.reproduce_selected));
    }
    out
}
