//! `lab runs flaky --suggest`: from history to quarantine. For each suite
//! that flipped or passed only on a retry, the `quarantine` TOML to paste
//! into the file that defines it (`until` = today + 14 days); for each
//! quarantined suite that passed its last 20 runs, that it may leave.
//!
//! Ranking the suites is `history::queries`; what a quarantine does is
//! `registry::quarantine` and `run::quarantine`.

use serde::Serialize;

use crate::history::index::RunRecord;
use crate::history::queries::{Flakiness, passed_last};
use crate::registry::Registry;
use crate::registry::quarantine::today;

/// How long a suggested quarantine lasts.
pub const SUGGESTED_DAYS: i64 = 14;

/// Passing runs in a row after which a quarantined suite may leave.
pub const READY_AFTER: usize = 20;

/// What `--suggest` proposes.
#[derive(Debug, Default, Serialize)]
pub struct Suggestions {
    /// Suites to quarantine, most flaky first.
    pub quarantine: Vec<Suggestion>,
    /// Quarantined suites that passed their last [`READY_AFTER`] runs.
    pub ready_to_leave: Vec<Ready>,
}

/// One suite to quarantine.
#[derive(Debug, Serialize)]
pub struct Suggestion {
    /// Its id.
    pub id: String,
    /// The file that defines it (paste the TOML at its end).
    pub file: String,
    /// The TOML to paste.
    pub toml: String,
}

/// One quarantined suite that may leave quarantine.
#[derive(Debug, Serialize)]
pub struct Ready {
    /// Its id.
    pub id: String,
    /// Where its `quarantine` is written: `file:line:col`.
    pub at: String,
}

/// Suggestions from the ranked suites and the whole history (newest first).
pub fn suggest(registry: &Registry, runs: &[RunRecord], ranked: &[Flakiness]) -> Suggestions {
    let until = today().saturating_add(jiff::Span::new().days(SUGGESTED_DAYS));
    let mut out = Suggestions::default();
    for f in ranked {
        let Some(suite) = registry.suites.get(&f.id) else {
            continue; // no longer in the registry
        };
        if suite.quarantine.is_some() {
            continue;
        }
        let reason = format!(
            "{} flips and {} passes after a retry in {} runs",
            f.flips, f.passes_after_retry, f.runs
        );
        out.quarantine.push(Suggestion {
            id: f.id.clone(),
            file: registry.location(suite.span).file.to_string(),
            toml: format!(
                "[{}.quarantine]\nreason = {}\nissue = \"TODO: the issue tracking the fix\"\nuntil = \"{until}\"\n",
                f.id,
                toml_string(&reason)
            ),
        });
    }
    for suite in registry.suites.values() {
        if let Some(q) = &suite.quarantine
            && passed_last(runs, &suite.id, READY_AFTER)
        {
            out.ready_to_leave.push(Ready {
                id: suite.id.clone(),
                at: registry.location(q.span).to_string(),
            });
        }
    }
    out
}

impl Suggestions {
    /// The suggestions for people: the TOML blocks, then the suites that
    /// may leave quarantine.
    pub fn text(&self) -> String {
        let mut text = String::new();
        if self.quarantine.is_empty() {
            text.push_str("\nnothing to quarantine\n");
        }
        for s in &self.quarantine {
            text.push_str(&format!(
                "\n# quarantine {}: paste at the end of {}\n{}",
                s.id, s.file, s.toml
            ));
        }
        for r in &self.ready_to_leave {
            text.push_str(&format!(
                "\n{} passed its last {READY_AFTER} runs: ready to leave quarantine (remove `quarantine` at {})\n",
                r.id, r.at
            ));
        }
        text
    }
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}
