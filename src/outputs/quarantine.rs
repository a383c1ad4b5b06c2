//! summary.json's quarantine: a suite entry's `quarantine`, the run's
//! `quarantined` section, and the one line every output shows for it
//! ("2 quarantined: 1 failed, 1 passed — quarantine of suite.x ends in 3
//! days").

use schemars::JsonSchema;
use serde::Serialize;

use super::summary::{Counts, Status, SuiteResult};
use crate::registry::quarantine::ends_in;

/// The quarantine a suite ran under (it did not gate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
pub struct QuarantineRecord {
    /// Why, as the registry says.
    pub reason: Option<String>,
    /// The issue tracking the fix.
    pub issue: Option<String>,
    /// The last day it holds, `YYYY-MM-DD`.
    pub until: String,
    /// Days from the run's day to `until` (0: the last day).
    pub days_left: i64,
}

/// One quarantined suite in the run's `quarantined` section.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct QuarantinedSuite {
    /// Its id.
    pub id: String,
    /// How it really ended.
    pub status: Status,
    /// The quarantine.
    pub quarantine: QuarantineRecord,
}

/// The suites that ran quarantined: they count in `counts` with their
/// real status, but none of them sets the run's status or exit code.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, JsonSchema)]
pub struct QuarantinedSection {
    /// Quarantined suites that finished.
    pub total: usize,
    /// Of them, passed (or flaky).
    pub passed: usize,
    /// Of them, failed.
    pub failed: usize,
    /// Of them, skipped or blocked.
    pub other: usize,
    /// Each of them, the quarantine ending first first.
    pub suites: Vec<QuarantinedSuite>,
}

impl QuarantinedSection {
    /// The section for `results`; `None` when no suite ran quarantined.
    pub fn of(results: &[SuiteResult]) -> Option<QuarantinedSection> {
        let mut s = QuarantinedSection::default();
        for r in results {
            let Some(q) = r.quarantine.as_ref().filter(|_| r.quarantined) else {
                continue;
            };
            s.total += 1;
            match r.status {
                Status::Passed | Status::Flaky => s.passed += 1,
                Status::Failed => s.failed += 1,
                Status::Skipped | Status::Blocked => s.other += 1,
            }
            s.suites.push(QuarantinedSuite {
                id: r.id.clone(),
                status: r.status,
                quarantine: q.clone(),
            });
        }
        s.suites
            .sort_by(|a, b| (a.quarantine.days_left, &a.id).cmp(&(b.quarantine.days_left, &b.id)));
        (s.total > 0).then_some(s)
    }

    /// `counts` without the quarantined suites: what sets the run's
    /// status and exit code.
    pub fn gating(&self, counts: &Counts) -> Counts {
        let mut c = counts.clone();
        for s in &self.suites {
            let n = match s.status {
                Status::Passed => &mut c.passed,
                Status::Failed => &mut c.failed,
                Status::Skipped => &mut c.skipped,
                Status::Blocked => &mut c.blocked,
                Status::Flaky => &mut c.flaky,
            };
            *n = n.saturating_sub(1);
        }
        c
    }

    /// "2 quarantined: 1 failed, 1 passed — quarantine of suite.x ends in 3 days".
    pub fn phrase(&self) -> String {
        let mut parts = Vec::new();
        for (n, what) in [
            (self.failed, "failed"),
            (self.passed, "passed"),
            (self.other, "skipped or blocked"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        let mut line = format!("{} quarantined: {}", self.total, parts.join(", "));
        if let Some(first) = self.suites.first() {
            line.push_str(&format!(
                " — quarantine of {} ends {}",
                first.id,
                ends_in(first.quarantine.days_left)
            ));
        }
        line
    }
}
