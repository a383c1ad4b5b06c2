//! `lab report --format junit`: the run as JUnit XML that GitHub and GitLab
//! test reporting read — one `<testsuite>` per lab suite, holding a test
//! case for the suite itself and one for each failing test its own JUnit
//! reported. Written by hand (a few elements, all text escaped); the tests
//! read it back with junit-parser.

use std::fmt::Write;

use super::html::esc;
use crate::outputs::{Status, Summary};

/// The JUnit document.
pub fn render(summary: &Summary) -> String {
    let c = &summary.counts;
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let tests: usize = summary
        .suites
        .iter()
        .map(|s| 1 + s.tests.as_ref().map_or(0, |t| t.failures.len()))
        .sum();
    let failures: usize = summary
        .suites
        .iter()
        .map(|s| {
            usize::from(s.status == Status::Failed)
                + s.tests.as_ref().map_or(0, |t| t.failures.len())
        })
        .sum();
    let _ = writeln!(
        x,
        r#"<testsuites name="lab {}" tests="{tests}" failures="{failures}" errors="{}" skipped="{}" time="{:.3}">"#,
        esc(&summary.run_id),
        c.blocked,
        c.skipped,
        summary.duration_ms as f64 / 1000.0
    );
    for s in &summary.suites {
        let extra = s.tests.as_ref().map_or(0, |t| t.failures.len());
        let _ = writeln!(
            x,
            r#"  <testsuite name="{id}" tests="{}" failures="{}" errors="{}" skipped="{}" time="{:.3}">"#,
            1 + extra,
            usize::from(s.status == Status::Failed) + extra,
            usize::from(s.status == Status::Blocked),
            usize::from(s.status == Status::Skipped),
            s.duration_ms as f64 / 1000.0,
            id = esc(&s.id),
        );
        let _ = write!(
            x,
            r#"    <testcase name="{id}" classname="lab" time="{:.3}""#,
            s.duration_ms as f64 / 1000.0,
            id = esc(&s.id)
        );
        let reason = esc(s.reason.as_deref().unwrap_or(s.status.name()));
        let body = esc(&s.excerpt.join("\n"));
        match s.status {
            Status::Passed | Status::Flaky => x.push_str("/>\n"),
            Status::Failed => {
                let _ = writeln!(
                    x,
                    ">\n      <failure message=\"{reason}\" type=\"{}\">{body}</failure>\n    </testcase>",
                    esc(s.step.as_deref().unwrap_or("command"))
                );
            }
            Status::Blocked => {
                let _ = writeln!(
                    x,
                    ">\n      <error message=\"{reason}\" type=\"blocked\">{body}</error>\n    </testcase>"
                );
            }
            Status::Skipped => {
                let _ = writeln!(
                    x,
                    ">\n      <skipped message=\"{reason}\"/>\n    </testcase>"
                );
            }
        }
        for f in s.tests.iter().flat_map(|t| &t.failures) {
            let _ = writeln!(
                x,
                r#"    <testcase name="{}" classname="{}"><failure message="{}"/></testcase>"#,
                esc(&f.name),
                esc(&format!(
                    "{}::{}",
                    s.id,
                    f.classname.as_deref().unwrap_or("")
                )),
                esc(&f.message)
            );
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}
