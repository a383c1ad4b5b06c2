//! `lab report --format markdown|github`: a PR comment (status, what did not
//! pass and why, the diff against the previous run, the reproduce command),
//! and for GitHub Actions the same appended to `$GITHUB_STEP_SUMMARY` plus
//! `::error` annotations at each failing suite's definition.

use std::fmt::Write;

use crate::history::queries::RunDiff;
use crate::outputs::{Status, Summary};

/// Escapes a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The markdown comment.
pub fn render(summary: &Summary, diff: Option<&RunDiff>) -> String {
    let c = &summary.counts;
    let mut m = String::new();
    let _ = writeln!(
        m,
        "### lab: **{}**{} — {} passed, {} failed, {} blocked, {} skipped, {} flaky ({:.1} s)\n",
        summary.status.name(),
        if summary.interrupted {
            " (interrupted)"
        } else {
            ""
        },
        c.passed,
        c.failed,
        c.blocked,
        c.skipped,
        c.flaky,
        summary.duration_ms as f64 / 1000.0
    );
    let bad: Vec<_> = summary
        .suites
        .iter()
        .filter(|s| !matches!(s.status, Status::Passed))
        .collect();
    if !bad.is_empty() {
        m.push_str("| status | suite | reason |\n|---|---|---|\n");
        for s in &bad {
            let _ = writeln!(
                m,
                "| {} | `{}` | {} |",
                s.status.name(),
                s.id,
                cell(s.reason.as_deref().unwrap_or(""))
            );
        }
        m.push('\n');
    }
    if let Some(d) = diff {
        let mut lines = Vec::new();
        for (title, list) in [
            ("Newly failing", &d.newly_failing),
            ("Newly fixed", &d.newly_fixed),
            ("Still failing", &d.still_failing),
        ] {
            if !list.is_empty() {
                let ids: Vec<String> = list.iter().map(|e| format!("`{}`", e.id)).collect();
                lines.push(format!("- **{title}:** {}", ids.join(", ")));
            }
        }
        if !lines.is_empty() {
            let _ = writeln!(m, "Since `{}`:\n{}\n", d.from, lines.join("\n"));
        }
    }
    for s in bad.iter().filter(|s| !s.excerpt.is_empty()) {
        let _ = writeln!(
            m,
            "<details><summary><code>{}</code></summary>\n\n```\n{}\n```\n</details>\n",
            s.id,
            s.excerpt.join("\n")
        );
    }
    let _ = writeln!(m, "Reproduce:\n```sh\n{}\n```", summary.reproduce);
    m
}

/// Escapes a GitHub workflow-command property or message.
fn gh(text: &str, property: bool) -> String {
    let mut t = text
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        t = t.replace(':', "%3A").replace(',', "%2C");
    }
    t
}

/// `::error` annotations, one per failed or blocked suite, at `place(id)`
/// (file and line of its definition).
pub fn annotations(summary: &Summary, place: &dyn Fn(&str) -> Option<(String, u32)>) -> String {
    let mut out = String::new();
    for s in summary
        .suites
        .iter()
        .filter(|s| matches!(s.status, Status::Failed | Status::Blocked))
    {
        let title = gh(&format!("{} {}", s.id, s.status.name()), true);
        let message = gh(s.reason.as_deref().unwrap_or(s.status.name()), false);
        match place(&s.id) {
            Some((file, line)) => {
                let _ = writeln!(
                    out,
                    "::error file={},line={line},title={title}::{message}",
                    gh(&file, true)
                );
            }
            None => {
                let _ = writeln!(out, "::error title={title}::{message}");
            }
        }
    }
    out
}
