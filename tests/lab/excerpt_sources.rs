//! The evidence names where it came from (issue 15 item 4): each excerpt
//! line keeps the file it was taken from (`excerpt_sources` in
//! summary.json), and the `logs:` line under a suite names those files,
//! not a log the lines are not in.

use crate::harness::{Workspace, assert_valid, suite};

/// A JUnit report with one failing test, as pytest writes it.
const REPORT: &str = r#"<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" failures="1" skipped="0" tests="2"><testcase classname="tests.test_calc" name="test_adds" time="0.001"/><testcase classname="tests.test_calc" name="test_wrong" time="0.001"><failure message="assert 2 == 3">def test_wrong():
&gt;       assert add(1, 1) == 3
E       assert 2 == 3

tests/test_calc.py:8: AssertionError</failure></testcase></testsuite></testsuites>"#;

fn registry() -> String {
    format!(
        r#"
[suite.stdout-only]
command = "echo 'collected 3 items'; echo 'FAILED tests/test_x.py::test_y - assert 1 == 2'; echo 'warning: slow disk' >&2; exit 1"

[suite.both]
command = "echo 'error: the config is invalid' >&2; echo 'Traceback: in main' ; exit 1"

[runner.reporting]
command = '''
cat > {{junit}} <<'XML'
{REPORT}
XML
echo 'error: 1 test failed' >&2; exit 1'''
junit = "{{junit}}"

[suite.tested]
runners = ["runner.reporting"]

[fixture.db]
setup = "echo 'seeding failed: no such table' >&2; exit 2"

[suite.seeded]
command = "true"
fixture = "fixture.db"
"#
    )
}

#[test]
fn every_excerpt_line_names_the_file_it_came_from() {
    let ws = Workspace::with(&[("suites.toml", &registry())]);
    let summary = ws
        .cmd(&["verify", "--all", "--json"])
        .status(1)
        .stderr_contains(
            "\
  FAIL   suite.stdout-only  [TIME]  exited with 1
        | FAILED tests/test_x.py::test_y - assert 1 == 2
        logs: target/lab/runs/[RUN]/suites/suite.stdout-only/stdout.log
",
        )
        .stderr_contains(
            "\
        | error: the config is invalid
        | Traceback: in main
        logs: target/lab/runs/[RUN]/suites/suite.both/stderr.log target/lab/runs/[RUN]/suites/suite.both/stdout.log
",
        )
        .stderr_contains(
            "        logs: target/lab/runs/[RUN]/suites/suite.tested/junit.xml target/lab/runs/[RUN]/suites/suite.tested/stderr.log\n",
        )
        .stderr_contains(
            "        | seeding failed: no such table\n        logs: target/lab/runs/[RUN]/suites/suite.seeded/fixture.fixture.db.setup.stderr.log\n",
        )
        .run_json();
    assert_valid("summary", &summary);
    let pairs = |id: &str| -> Vec<(String, String)> {
        let s = suite(&summary, id);
        let lines = s["excerpt"].as_array().expect("excerpt");
        let sources = s["excerpt_sources"].as_array().expect("excerpt_sources");
        assert_eq!(lines.len(), sources.len(), "one source per line: {s:#}");
        lines
            .iter()
            .zip(sources)
            .map(|(l, s)| {
                (
                    l.as_str().expect("line").to_string(),
                    s.as_str().expect("source").to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        pairs("suite.stdout-only"),
        [(
            "FAILED tests/test_x.py::test_y - assert 1 == 2".to_string(),
            "suites/suite.stdout-only/stdout.log".to_string()
        )]
    );
    assert_eq!(
        pairs("suite.both"),
        [
            (
                "error: the config is invalid".to_string(),
                "suites/suite.both/stderr.log".to_string()
            ),
            (
                "Traceback: in main".to_string(),
                "suites/suite.both/stdout.log".to_string()
            )
        ]
    );
    let tested = pairs("suite.tested");
    assert_eq!(
        tested[0],
        (
            "FAIL tests.test_calc::test_wrong: >       assert add(1, 1) == 3".to_string(),
            "suites/suite.tested/junit.xml".to_string()
        )
    );
    assert_eq!(
        tested.last().map(|(l, s)| (l.as_str(), s.as_str())),
        Some(("error: 1 test failed", "suites/suite.tested/stderr.log"))
    );
    // Every named file is where the line is.
    let run = ws.latest_run();
    for id in [
        "suite.stdout-only",
        "suite.both",
        "suite.tested",
        "suite.seeded",
    ] {
        for (line, source) in pairs(id) {
            let text = std::fs::read_to_string(run.join(&source))
                .unwrap_or_else(|e| panic!("{id}: {source}: {e}"));
            let needle = line
                .strip_prefix("FAIL tests.test_calc::test_wrong: ")
                .unwrap_or(&line)
                .trim();
            let needle = needle.replace('>', "&gt;");
            assert!(
                text.contains(needle.as_str()) || text.contains(line.trim()),
                "{id}: `{line}` is not in {source}:\n{text}"
            );
        }
    }
}
