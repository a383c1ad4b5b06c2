//! report.html: one self-contained page (inline CSS and SVG, no scripts, no
//! fetches) with the run's status, the diff against the previous run, a
//! table of suites with reasons, rationale, excerpts, JUnit failures (or
//! why there are none), links to logs, kept JUnit reports and artifacts,
//! and a trend strip per suite over the last runs.

use std::collections::HashMap;
use std::fmt;

use crate::history::index::RunRecord;
use crate::history::queries::RunDiff;
use crate::outputs::{Status, SuiteResult, Summary, TestCounts};

/// How many runs the trend strips cover.
pub const TREND_RUNS: usize = 30;

/// Escapes text for HTML.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn color(s: Status) -> &'static str {
    match s {
        Status::Passed => "#2da44e",
        Status::Flaky => "#bf8700",
        Status::Failed => "#cf222e",
        Status::Blocked => "#8250df",
        Status::Skipped => "#8c959f",
    }
}

/// The trend strip of one suite: a cell per run (oldest left) and a
/// duration sparkline.
struct Trend<'a>(&'a [(Status, u64)]);

impl fmt::Display for Trend<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let points = self.0;
        if points.is_empty() {
            return Ok(());
        }
        let cell = 8;
        let width = points.len() * cell;
        let max = points.iter().map(|p| p.1).max().unwrap_or(1).max(1) as f64;
        write!(
            f,
            r#"<svg class="trend" width="{width}" height="26" viewBox="0 0 {width} 26" role="img" aria-label="last {} runs">"#,
            points.len()
        )?;
        for (i, (status, ms)) in points.iter().enumerate() {
            write!(
                f,
                r#"<rect x="{}" y="16" width="{}" height="10" fill="{}"><title>{} {} ms</title></rect>"#,
                i * cell,
                cell - 1,
                color(*status),
                status.name(),
                ms
            )?;
        }
        let line: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(i, (_, ms))| {
                format!(
                    "{:.1},{:.1}",
                    (i * cell) as f64 + cell as f64 / 2.0,
                    13.0 - (*ms as f64 / max) * 12.0
                )
            })
            .collect();
        write!(
            f,
            r##"<polyline points="{}" fill="none" stroke="#57606a" stroke-width="1"/></svg>"##,
            line.join(" ")
        )
    }
}

/// Renders the page. `history` is newest first and may include this run.
/// `base`: where the run directory is, seen from where the page is
/// written (`None`: the page is written into the run directory).
pub fn render(
    summary: &Summary,
    diff: Option<&RunDiff>,
    history: &[RunRecord],
    base: Option<&str>,
) -> String {
    let mut trends: HashMap<&str, Vec<(Status, u64)>> = HashMap::new();
    for run in history.iter().take(TREND_RUNS).rev() {
        for s in &run.suites {
            trends
                .entry(s.id.as_str())
                .or_default()
                .push((s.status, s.duration_ms));
        }
    }
    Page {
        summary,
        diff,
        trends,
        base,
    }
    .to_string()
}

/// The whole page: head, header, reproduce, diff, suites.
struct Page<'a> {
    summary: &'a Summary,
    diff: Option<&'a RunDiff>,
    /// Suite id → (status, duration) per run, oldest first.
    trends: HashMap<&'a str, Vec<(Status, u64)>>,
    /// The run directory, seen from the page, when the page lies elsewhere.
    base: Option<&'a str>,
}

impl fmt::Display for Page<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        head(f, self.summary, self.base)?;
        header(f, self.summary)?;
        reproduce(f, self.summary)?;
        quarantined(f, self.summary)?;
        diff_section(f, self.diff)?;
        suites_section(f, self.summary, &self.trends)?;
        f.write_str("</main></body></html>\n")
    }
}

/// `<head>` with the inline style sheet; a `<base>` at the run directory
/// when the page is written elsewhere, so its relative links still resolve.
fn head(f: &mut fmt::Formatter<'_>, summary: &Summary, base: Option<&str>) -> fmt::Result {
    let base = base
        .map(|b| format!(r#"<base href="{}/">"#, esc(b)))
        .unwrap_or_default();
    write!(
        f,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:">{base}<title>lab {status}: {run}</title><style>
body{{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}}
header{{padding:20px 28px;color:#fff;background:{bg}}}
header h1{{margin:0;font-size:22px}} header p{{margin:4px 0 0;opacity:.9}}
main{{padding:20px 28px;max-width:1200px}}
section{{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:14px 18px;margin-bottom:18px}}
h2{{font-size:16px;margin:0 0 10px}}
table{{border-collapse:collapse;width:100%}} th,td{{text-align:left;padding:6px 8px;border-top:1px solid #eaeef2;vertical-align:top}}
th{{font-size:12px;color:#57606a;border-top:0}}
.badge{{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600}}
code,pre{{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}}
pre{{background:#f6f8fa;padding:8px;border-radius:6px;overflow:auto;margin:6px 0}}
.muted{{color:#57606a}} .counts span{{margin-right:14px}} a{{color:#0969da}}
ul.diff{{margin:0;padding-left:18px}}
</style></head><body>"#,
        status = esc(summary.status.name()),
        run = esc(&summary.run_id),
        bg = summary.status.outcome().map_or("#cf222e", color),
    )
}

/// The coloured header: status, counts, run id; opens `<main>`.
fn header(f: &mut fmt::Formatter<'_>, summary: &Summary) -> fmt::Result {
    let c = &summary.counts;
    write!(
        f,
        r#"<header><h1 id="status" data-status="{s}">lab: {s}{interrupted}</h1><p class="counts"><span>{} selected</span><span>{} passed</span><span>{} failed</span><span>{} blocked</span><span>{} skipped</span><span>{} flaky</span><span>{}</span></p><p>run <code>{}</code> · started {}{origin}</p></header><main>"#,
        c.selected,
        c.passed,
        c.failed,
        c.blocked,
        c.skipped,
        c.flaky,
        duration(summary.duration_ms),
        esc(&summary.run_id),
        esc(&summary.started_at),
        origin = origin(summary),
        s = esc(summary.status.name()),
        interrupted = if summary.interrupted {
            " (interrupted)"
        } else {
            ""
        },
    )
}

/// ` · commit … (dirty), base …, N changed paths`, when recorded; the
/// full commit id is in the element's title.
fn origin(summary: &Summary) -> String {
    let o = crate::report::origin::of(summary);
    let Some(phrase) = crate::report::origin::phrase(&o) else {
        return String::new();
    };
    format!(
        r#" · <span id="origin" title="{}">{}</span>"#,
        esc(o.commit.as_deref().unwrap_or("")),
        esc(&phrase)
    )
}

/// The reproduce command and the first failure.
fn reproduce(f: &mut fmt::Formatter<'_>, summary: &Summary) -> fmt::Result {
    write!(
        f,
        r#"<section><h2>Reproduce</h2><pre id="reproduce">{}</pre>"#,
        esc(&summary.reproduce)
    )?;
    if let Some(first) = &summary.first_failure {
        // "failure" only for a failure: a blocked suite is a problem.
        let title = if first.status == Status::Failed {
            "First failure"
        } else {
            "First problem"
        };
        write!(
            f,
            r#"<p>{title}: <b>{}</b> — {}{} — {}</p>"#,
            esc(&first.suite),
            first.status.name(),
            first
                .step
                .as_ref()
                .map(|s| format!(" at <code>{}</code>", esc(s)))
                .unwrap_or_default(),
            esc(&first.message)
        )?;
    }
    f.write_str("</section>")
}

/// The quarantined suites, loud: they ran but did not gate.
fn quarantined(f: &mut fmt::Formatter<'_>, summary: &Summary) -> fmt::Result {
    let Some(q) = &summary.quarantined else {
        return Ok(());
    };
    write!(
        f,
        r#"<section id="quarantined" style="border:2px solid #bf8700"><h2>⚠ {}</h2><p class="muted">These suites ran but do not gate the run; <code>lab verify --strict</code> ignores every quarantine.</p><table><tr><th>status</th><th>suite</th><th>until</th><th>issue</th><th>reason</th></tr>"#,
        esc(&q.phrase())
    )?;
    for s in &q.suites {
        let r = &s.quarantine;
        write!(
            f,
            r#"<tr><td><span class="badge" style="background:{}">{}</span></td><td><code>{}</code></td><td>{} ({})</td><td>{}</td><td>{}</td></tr>"#,
            color(s.status),
            s.status.name(),
            esc(&s.id),
            esc(&r.until),
            esc(&crate::registry::quarantine::ends_in(r.days_left)),
            esc(r.issue.as_deref().unwrap_or("")),
            esc(r.reason.as_deref().unwrap_or("")),
        )?;
    }
    f.write_str("</table></section>")
}

/// What changed since the previous comparable run.
fn diff_section(f: &mut fmt::Formatter<'_>, diff: Option<&RunDiff>) -> fmt::Result {
    f.write_str(r#"<section id="diff"><h2>Since the previous run</h2>"#)?;
    let Some(d) = diff else {
        return f.write_str(r#"<p class="muted">No earlier run of these suites.</p></section>"#);
    };
    for line in d.against_lines() {
        write!(f, r#"<p class="muted against">{}</p>"#, esc(&line))?;
    }
    let mut any = false;
    for (key, title, list) in [
        ("newly-failing", "Newly failing", &d.newly_failing),
        ("newly-fixed", "Newly fixed", &d.newly_fixed),
        ("still-failing", "Still failing", &d.still_failing),
        ("added", "Added", &d.added),
        ("removed", "Removed", &d.removed),
    ] {
        if list.is_empty() {
            continue;
        }
        any = true;
        write!(
            f,
            r#"<h3 class="{key}">{title} ({})</h3><ul class="diff">"#,
            list.len()
        )?;
        for e in list {
            write!(
                f,
                "<li><code>{}</code>{}{}</li>",
                esc(&e.id),
                crate::history::queries::tests_phrase(e)
                    .map(|t| format!(" {}", esc(&t)))
                    .unwrap_or_default(),
                e.duration_change_ms
                    .map(|c| format!(" <span class=\"muted\">{c:+} ms</span>"))
                    .unwrap_or_default()
            )?;
        }
        f.write_str("</ul>")?;
    }
    if !any {
        f.write_str("<p>No status changes.</p>")?;
    }
    f.write_str("</section>")
}

/// The table of suites, what needs attention first, and what did not
/// finish.
fn suites_section(
    f: &mut fmt::Formatter<'_>,
    summary: &Summary,
    trends: &HashMap<&str, Vec<(Status, u64)>>,
) -> fmt::Result {
    f.write_str(r#"<section><h2>Suites</h2><table id="suites"><thead><tr><th>Status</th><th>Suite</th><th>Duration</th><th>Why it ran / what happened</th><th>Trend (last runs)</th></tr></thead><tbody>"#)?;
    // What needs attention first: failed, blocked, flaky, skipped, passed.
    let rank = |s: Status| match s {
        Status::Failed => 0,
        Status::Blocked => 1,
        Status::Flaky => 2,
        Status::Skipped => 3,
        Status::Passed => 4,
    };
    let mut suites: Vec<_> = summary.suites.iter().collect();
    suites.sort_by(|a, b| rank(a.status).cmp(&rank(b.status)).then(a.id.cmp(&b.id)));
    for s in suites {
        let trend = trends.get(s.id.as_str()).map_or(&[][..], |v| v.as_slice());
        suite_row(f, s, trend)?;
    }
    f.write_str("</tbody></table>")?;
    if !summary.pending.is_empty() {
        write!(
            f,
            r#"<p class="muted">Not finished: {}</p>"#,
            esc(&summary.pending.join(", "))
        )?;
    }
    f.write_str("</section>")
}

/// A duration as the terminal prints it: `4ms`, `12.3s`, `5m02s` (a
/// suite of a few milliseconds is not `0.00 s`).
fn duration(ms: u64) -> String {
    crate::style::human_duration(std::time::Duration::from_millis(ms))
}

/// One suite's row: status, id, duration, what happened, trend.
fn suite_row(f: &mut fmt::Formatter<'_>, s: &SuiteResult, trend: &[(Status, u64)]) -> fmt::Result {
    write!(
        f,
        r#"<tr class="suite" data-id="{id}" data-status="{st}"><td><span class="badge" style="background:{bg}">{st}</span></td><td><code>{id}</code></td><td>{dur}</td><td>"#,
        id = esc(&s.id),
        st = s.status.name(),
        bg = color(s.status),
        dur = duration(s.duration_ms),
    )?;
    if let Some(reason) = &s.reason {
        write!(f, "<div>{}</div>", esc(reason))?;
    }
    let rationale: Vec<String> = s.rationale.iter().map(|r| esc(&r.phrase())).collect();
    if !rationale.is_empty() {
        write!(f, r#"<div class="muted">{}</div>"#, rationale.join("; "))?;
    }
    if let Some(t) = &s.tests {
        tests(f, t)?;
    }
    if let Some(why) = &s.tests_missing {
        write!(
            f,
            r#"<div class="muted tests-missing">tests: {}</div>"#,
            esc(why)
        )?;
    }
    if !s.excerpt.is_empty() {
        write!(
            f,
            r#"<details><summary>excerpt</summary><pre class="excerpt">{}</pre></details>"#,
            esc(&s.excerpt.join("\n"))
        )?;
    }
    let links = links(s);
    if !links.is_empty() {
        write!(f, r#"<div class="links">{}</div>"#, links.join(" · "))?;
    }
    write!(f, "</td><td>{}</td></tr>", Trend(trend))
}

/// A suite's JUnit counts and failures.
fn tests(f: &mut fmt::Formatter<'_>, t: &TestCounts) -> fmt::Result {
    write!(
        f,
        r#"<div class="muted">tests: {} passed, {} failed, {} skipped</div>"#,
        t.passed, t.failed, t.skipped
    )?;
    if t.failures.is_empty() {
        return Ok(());
    }
    f.write_str(r#"<ul class="failures">"#)?;
    for failure in &t.failures {
        write!(
            f,
            r#"<li><code>{}</code><pre class="message">{}</pre></li>"#,
            esc(&failure.name),
            esc(&failure.message)
        )?;
    }
    f.write_str("</ul>")
}

/// Links to a suite's logs and kept artifacts. A path that is not a
/// plain relative path under the run directory (a summary from elsewhere
/// may hold `javascript:…` or `/etc/passwd`) is shown, never linked.
fn links(s: &SuiteResult) -> Vec<String> {
    let link = |path: &str, name: &str| match safe_href(path) {
        true => format!(r#"<a href="{}">{}</a>"#, esc(path), esc(name)),
        false => format!("<code>{}</code>", esc(path)),
    };
    let mut links: Vec<String> = Vec::new();
    for (name, path) in [("stdout", &s.stdout), ("stderr", &s.stderr)] {
        if let Some(p) = path {
            links.push(link(p, name));
        }
    }
    for report in s.tests.iter().flat_map(|t| &t.reports) {
        let name = report.rsplit('/').next().unwrap_or(report);
        links.push(link(report, name));
    }
    for a in s.artifacts.iter().filter(|a| !a.missing) {
        let name = a.path.rsplit('/').next().unwrap_or(&a.path);
        links.push(link(&a.path, name));
    }
    links
}

/// `true` for a relative path inside the run directory, or inside a
/// sibling run (`../<run-id>/…`, as `lab runs merge` writes them): no
/// scheme, no leading `/`, no other `..`, no backslash or control character.
fn safe_href(path: &str) -> bool {
    let rest = match path.strip_prefix("../") {
        Some(rest) => match rest.split_once('/') {
            Some((run, rest)) if crate::history::index::is_run_id(run) => rest,
            _ => return false,
        },
        None => path,
    };
    !rest.is_empty()
        && !rest.starts_with('/')
        && !rest.contains(':')
        && !rest.contains('\\')
        && !rest.chars().any(char::is_control)
        && rest.split('/').all(|seg| !seg.is_empty() && seg != "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_inside_the_run_become_links() {
        assert!(safe_href("suites/suite.a/stdout.log"));
        assert!(safe_href(
            "../20261122T101500Z-7f3a9c/suites/suite.a/artifacts/shot.png"
        ));
        for hostile in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "/etc/passwd",
            "../../etc/passwd",
            "suites/../../../etc/passwd",
            "../not-a-run/x",
            "data:text/html,x",
            "suites\\..\\x",
            "suites/a\u{7}b",
            "",
        ] {
            assert!(!safe_href(hostile), "{hostile:?}");
        }
    }

    #[test]
    fn short_durations_keep_their_milliseconds() {
        assert_eq!(duration(4), "4ms");
        assert_eq!(duration(0), "0ms");
        assert_eq!(duration(12_345), "12.3s");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
