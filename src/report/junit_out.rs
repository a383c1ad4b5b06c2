//! `lab report --format junit`: the run as JUnit XML that GitHub and GitLab
//! test reporting read — one `<testsuite>` per lab suite, holding a test
//! case for the suite itself and one for each failing test its own JUnit
//! reported, and the suite's kept JUnit reports as `lab.junit` properties
//! (paths relative to the run directory). Written by hand (a few elements,
//! all text escaped, characters XML 1.0 forbids dropped); the tests read it
//! back with junit-parser.

use std::fmt;

use crate::outputs::{Status, SuiteResult, Summary};

/// The JUnit document.
pub fn render(summary: &Summary) -> String {
    Document(summary).to_string()
}

/// A run as JUnit XML.
struct Document<'a>(&'a Summary);

impl fmt::Display for Document<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let summary = self.0;
        let c = &summary.counts;
        f.write_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")?;
        let tests: usize = summary
            .suites
            .iter()
            .map(|s| 1 + reported_failures(s))
            .sum();
        let failures: usize = summary
            .suites
            .iter()
            .map(|s| usize::from(s.status == Status::Failed) + reported_failures(s))
            .sum();
        writeln!(
            f,
            r#"<testsuites name="lab {}" tests="{tests}" failures="{failures}" errors="{}" skipped="{}" time="{:.3}">"#,
            esc(&summary.run_id),
            c.blocked,
            c.skipped,
            summary.duration_ms as f64 / 1000.0
        )?;
        for s in &summary.suites {
            testsuite(f, s)?;
        }
        f.write_str("</testsuites>\n")
    }
}

/// The failing tests a suite's own JUnit reported.
fn reported_failures(s: &SuiteResult) -> usize {
    s.tests.as_ref().map_or(0, |t| t.failures.len())
}

/// One lab suite: a test case for the suite, one per reported failure.
fn testsuite(f: &mut fmt::Formatter<'_>, s: &SuiteResult) -> fmt::Result {
    let extra = reported_failures(s);
    let seconds = s.duration_ms as f64 / 1000.0;
    writeln!(
        f,
        r#"  <testsuite name="{id}" tests="{}" failures="{}" errors="{}" skipped="{}" time="{seconds:.3}">"#,
        1 + extra,
        usize::from(s.status == Status::Failed) + extra,
        usize::from(s.status == Status::Blocked),
        usize::from(s.status == Status::Skipped),
        id = esc(&s.id),
    )?;
    let reports: Vec<&String> = s.tests.iter().flat_map(|t| &t.reports).collect();
    if !reports.is_empty() {
        f.write_str("    <properties>\n")?;
        for report in reports {
            writeln!(
                f,
                r#"      <property name="lab.junit" value="{}"/>"#,
                esc(report)
            )?;
        }
        f.write_str("    </properties>\n")?;
    }
    write!(
        f,
        r#"    <testcase name="{id}" classname="lab" time="{seconds:.3}""#,
        id = esc(&s.id)
    )?;
    let reason = esc(s.reason.as_deref().unwrap_or(s.status.name()));
    let body = esc(&s.excerpt.join("\n"));
    match s.status {
        Status::Passed | Status::Flaky => f.write_str("/>\n")?,
        Status::Failed => writeln!(
            f,
            ">\n      <failure message=\"{reason}\" type=\"{}\">{body}</failure>\n    </testcase>",
            esc(s.step.as_deref().unwrap_or("command"))
        )?,
        Status::Blocked => writeln!(
            f,
            ">\n      <error message=\"{reason}\" type=\"blocked\">{body}</error>\n    </testcase>"
        )?,
        Status::Skipped => writeln!(
            f,
            ">\n      <skipped message=\"{reason}\"/>\n    </testcase>"
        )?,
    }
    for failure in s.tests.iter().flat_map(|t| &t.failures) {
        writeln!(
            f,
            r#"    <testcase name="{}" classname="{}"><failure message="{}">{}</failure></testcase>"#,
            esc(&failure.name),
            esc(&format!(
                "{}::{}",
                s.id,
                failure.classname.as_deref().unwrap_or("")
            )),
            esc(failure.message.lines().next().unwrap_or("")),
            esc(&failure.message)
        )?;
    }
    f.write_str("  </testsuite>\n")
}

/// Escapes text for XML (attribute values too), dropping the characters
/// XML 1.0 does not allow.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_what_xml_forbids() {
        assert_eq!(esc("a<b>&\"'\u{1}\n"), "a&lt;b&gt;&amp;&quot;&#39;&#10;");
    }
}
