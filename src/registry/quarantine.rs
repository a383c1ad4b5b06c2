//! A suite's `quarantine = { reason, issue, until }`: reading it (a date
//! is required), whether it is in force on a given day, and the warnings
//! and errors `lab check` gives as `until` nears or passes.
//!
//! What a quarantine does to a run (the suite no longer gates) lives in
//! `run/` and `outputs/`; this module only knows the registry.

use jiff::civil::Date;
use toml::de::DeValue;

use super::diagnostic::Diagnostic;
use super::model::{Quarantine, Registry};
use super::reader::Reader;

/// `lab check` warns this many days (or fewer) before a quarantine ends.
pub const WARN_DAYS: i64 = 7;

/// What `quarantine` should look like.
const EXPECTED: &str =
    "`{ reason = \"…\", issue = \"URL or id\", until = \"YYYY-MM-DD\" }` (`until` required)";

/// Today's date in the local time zone.
pub fn today() -> Date {
    jiff::Zoned::now().date()
}

impl Quarantine {
    /// Days from `today` to `until`: 0 on the last day, negative once over.
    pub fn days_left(&self, today: Date) -> i64 {
        (self.until - today).get_days() as i64
    }

    /// In force on `today` (`until` included).
    pub fn active(&self, today: Date) -> bool {
        self.days_left(today) >= 0
    }
}

/// Reads a suite's `quarantine`, reporting a missing or invalid `until`.
pub(super) fn read(r: &mut Reader<'_, '_>, id: &str) -> Option<Quarantine> {
    let value = r.value("quarantine")?;
    let span = r.span(value);
    let DeValue::Table(table) = value.get_ref() else {
        r.mismatch("quarantine", value, EXPECTED);
        return None;
    };
    let owner = format!("{id}.quarantine");
    let mut q = Reader::new_nested(r, table, &owner);
    q.reject_unknown(&["reason", "issue", "until"], |_| false);
    let reason = q.string("reason");
    let issue = q.string("issue");
    let Some(until) = q.value("until") else {
        let d = q
            .error_at(
                span,
                "missing-key",
                format!("the quarantine of `{id}` has no `until`"),
            )
            .expected(
                "`until = \"YYYY-MM-DD\"`: the day it ends; a quarantine cannot be open-ended",
            )
            .help(format!(
                "add `until = \"{}\"`",
                today().saturating_add(jiff::Span::new().days(14))
            ));
        q.report(d);
        return None;
    };
    let uspan = q.span(until);
    let text = match until.get_ref() {
        DeValue::String(s) => s.to_string(),
        DeValue::Datetime(d) => d.to_string(),
        _ => {
            q.mismatch("until", until, "a date: \"YYYY-MM-DD\"");
            return None;
        }
    };
    let Ok(date) = text.parse::<Date>() else {
        let d = q
            .error_at(
                uspan,
                "invalid-date",
                format!("`until` in the quarantine of `{id}` is not a date"),
            )
            .found(format!("{text:?}"))
            .expected("a date: \"YYYY-MM-DD\", e.g. \"2026-12-31\"");
        q.report(d);
        return None;
    };
    Some(Quarantine {
        reason,
        issue,
        until: date,
        span: uspan,
    })
}

/// `lab check`: a warning for each quarantine ending within
/// [`WARN_DAYS`] of `today`, an error for each already over.
pub fn quarantine_diagnostics(registry: &Registry, today: Date) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for suite in registry.suites.values() {
        let Some(q) = &suite.quarantine else {
            continue;
        };
        let days = q.days_left(today);
        let id = &suite.id;
        let d = if days < 0 {
            Diagnostic::error(
                "quarantine-expired",
                format!(
                    "the quarantine of `{id}` ended on {} ({} day{} ago): the suite gates again",
                    q.until,
                    -days,
                    plural(-days)
                ),
            )
            .help(format!(
                "fix the suite and remove `quarantine`, or, if it must stay out of the gate, set a new `until` (e.g. \"{}\") and say why in `reason`",
                today.saturating_add(jiff::Span::new().days(14))
            ))
        } else if days <= WARN_DAYS {
            Diagnostic::warning(
                "quarantine-ending",
                format!(
                    "the quarantine of `{id}` ends {}: then the suite gates again",
                    ends_in(days)
                ),
            )
            .help("fix the suite and remove `quarantine`, or move `until` and say why in `reason`")
        } else {
            continue;
        };
        out.push(d.at(&registry.sources, q.span));
    }
    out
}

/// "today", "tomorrow", "in 3 days".
pub fn ends_in(days: i64) -> String {
    match days {
        0 => "today".into(),
        1 => "tomorrow".into(),
        n => format!("in {n} days"),
    }
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn until_is_the_last_day() {
        let q = Quarantine {
            reason: None,
            issue: None,
            until: jiff::civil::date(2026, 12, 31),
            span: super::super::source::Span::new(0, 0..0),
        };
        assert!(q.active(jiff::civil::date(2026, 12, 31)));
        assert_eq!(q.days_left(jiff::civil::date(2026, 12, 28)), 3);
        assert!(!q.active(jiff::civil::date(2027, 1, 1)));
        assert_eq!(q.days_left(jiff::civil::date(2027, 1, 2)), -2);
    }
}
