//! `lab report --format markdown|github`: a PR comment (status, what did not
//! pass and why, the diff against the previous run, the reproduce command),
//! and for GitHub Actions the same appended to `$GITHUB_STEP_SUMMARY` plus
//! `::error` annotations at each failing suite's definition.

use std::fmt;

use crate::history::queries::RunDiff;
use crate::outputs::{Status, SuiteResult, Summary};
use crate::style::printable;

/// Escapes a table cell: printable, one line, no column breaks.
fn cell(text: &str) -> String {
    printable(&text.replace('\n', " ")).replace('|', "\\|")
}

/// Text for an inline code span: printable, no backtick to end it early.
fn code(text: &str) -> String {
    printable(text).replace('`', "'")
}

/// A fenced block of `lines`, its fence longer than any backtick run in
/// them, so a hostile line cannot close it.
fn fenced(info: &str, lines: &[String]) -> String {
    let body: Vec<String> = lines.iter().map(|l| printable(l)).collect();
    let body = body.join("\n");
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}{info}\n{body}\n{fence}")
}

/// The markdown comment.
pub fn render(summary: &Summary, diff: Option<&RunDiff>) -> String {
    Comment { summary, diff }.to_string()
}

/// A run as a PR comment.
struct Comment<'a> {
    summary: &'a Summary,
    diff: Option<&'a RunDiff>,
}

impl fmt::Display for Comment<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let summary = self.summary;
        let c = &summary.counts;
        writeln!(
            f,
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
        )?;
        if let Some(origin) = crate::report::origin::phrase(&crate::report::origin::of(summary)) {
            writeln!(f, "{}\n", cell(&origin))?;
        }
        quarantined(f, summary)?;
        let bad: Vec<&SuiteResult> = summary
            .suites
            .iter()
            .filter(|s| !matches!(s.status, Status::Passed))
            .collect();
        if !bad.is_empty() {
            f.write_str("| status | suite | reason |\n|---|---|---|\n")?;
            for s in &bad {
                writeln!(
                    f,
                    "| {} | `{}` | {} |",
                    s.status.name(),
                    code(&s.id),
                    cell(s.reason.as_deref().unwrap_or(""))
                )?;
            }
            f.write_str("\n")?;
        }
        if let Some(d) = self.diff {
            since(f, d)?;
        }
        for s in bad.iter().filter(|s| !s.excerpt.is_empty()) {
            writeln!(
                f,
                "<details><summary><code>{}</code></summary>\n\n{}\n</details>\n",
                html_text(&s.id),
                fenced("", &s.excerpt)
            )?;
        }
        writeln!(
            f,
            "Reproduce:\n{}",
            fenced("sh", std::slice::from_ref(&summary.reproduce))
        )
    }
}

/// The quarantined suites, loud: they ran but did not gate.
fn quarantined(f: &mut fmt::Formatter<'_>, summary: &Summary) -> fmt::Result {
    let Some(q) = &summary.quarantined else {
        return Ok(());
    };
    writeln!(
        f,
        "> [!WARNING]\n> **{}** (they ran but do not gate)\n",
        cell(&q.phrase())
    )?;
    f.write_str("| status | quarantined suite | until | issue |\n|---|---|---|---|\n")?;
    for s in &q.suites {
        writeln!(
            f,
            "| {} | `{}` | {} | {} |",
            s.status.name(),
            code(&s.id),
            cell(&s.quarantine.until),
            cell(s.quarantine.issue.as_deref().unwrap_or(""))
        )?;
    }
    f.write_str("\n")
}

/// What changed since the previous comparable run, when anything did.
fn since(f: &mut fmt::Formatter<'_>, d: &RunDiff) -> fmt::Result {
    let mut lines = Vec::new();
    for (title, list) in [
        ("Newly failing", &d.newly_failing),
        ("Newly fixed", &d.newly_fixed),
        ("Still failing", &d.still_failing),
    ] {
        if !list.is_empty() {
            let ids: Vec<String> = list
                .iter()
                .map(|e| {
                    let tests = crate::history::queries::tests_phrase(e)
                        .map(|t| format!(" ({t})"))
                        .unwrap_or_default();
                    format!("`{}`{tests}", code(&e.id))
                })
                .collect();
            lines.push(format!("- **{title}:** {}", ids.join(", ")));
        }
    }
    if lines.is_empty() {
        return Ok(());
    }
    let against: Vec<String> = d
        .against_lines()
        .iter()
        .map(|l| format!("- {}", cell(l)))
        .collect();
    writeln!(
        f,
        "Since `{}`:\n{}\n",
        code(&d.from),
        [against, lines].concat().join("\n")
    )
}

/// Text inside an HTML element: printable, `<`, `>` and `&` escaped.
fn html_text(text: &str) -> String {
    crate::report::html::esc(&printable(text))
}

/// Escapes a GitHub workflow-command property or message (printable
/// first: a runner's log is a terminal too).
fn gh(text: &str, property: bool) -> String {
    let mut t = crate::style::printable_lines(text)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        t = t.replace(':', "%3A").replace(',', "%2C");
    }
    t
}

/// `::error` annotations, one per failed or blocked suite, at `place(id)`
/// (file and line of its definition); `::warning` for a quarantined one.
pub fn annotations(summary: &Summary, place: &dyn Fn(&str) -> Option<(String, u32)>) -> String {
    let mut out = String::new();
    for s in summary
        .suites
        .iter()
        .filter(|s| matches!(s.status, Status::Failed | Status::Blocked))
    {
        let title = gh(&format!("{} {}", s.id, s.status.name()), true);
        let message = gh(s.reason.as_deref().unwrap_or(s.status.name()), false);
        let at = match place(&s.id) {
            Some((file, line)) => format!("file={},line={line},", gh(&file, true)),
            None => String::new(),
        };
        let level = if s.quarantined { "warning" } else { "error" };
        let title = if s.quarantined {
            format!("{title} (quarantined)")
        } else {
            title
        };
        out.push_str(&format!("::{level} {at}title={title}::{message}\n"));
    }
    out
}
