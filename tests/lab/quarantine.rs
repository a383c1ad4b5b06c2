//! Quarantine (issue 12 item 1): a quarantined suite runs and is recorded
//! with its real status, but never gates — until `until` has passed or
//! `--strict` is given; `lab check` warns as the end nears and errors
//! after it. "Today" is the real date: every `until` is computed from it.

use crate::harness::{Workspace, suite};

/// Today plus `days`, as `YYYY-MM-DD` (the local date, as lab reads it).
fn day(days: i64) -> String {
    jiff::Zoned::now()
        .date()
        .saturating_add(jiff::Span::new().days(days))
        .to_string()
}

/// A failing and a passing quarantined suite (ending in 3 and 30 days),
/// and a passing ordinary one.
fn registry(fail_until: &str) -> String {
    format!(
        "[suite.gate]\ncommand = \"true\"\n\n\
         [suite.x]\ncommand = \"echo broken >&2; exit 1\"\n\
         quarantine = {{ reason = \"races on CI\", issue = \"https://example.test/issues/7\", until = \"{fail_until}\" }}\n\n\
         [suite.y]\ncommand = \"true\"\n\
         quarantine = {{ reason = \"was flaky\", issue = \"#8\", until = \"{}\" }}\n",
        day(30)
    )
}

#[test]
fn a_quarantined_failure_does_not_gate_and_every_output_says_so() {
    let ws = Workspace::with(&[("suites.toml", &registry(&day(3)))]);
    ws.cmd(&["verify", "--all"])
        .stderr_contains("  FAIL   suite.x  [TIME]")
        .stderr_contains(
            "QUARANTINED 2 quarantined: 1 failed, 1 passed — quarantine of suite.x ends in 3 days\n",
        )
        .stderr_contains("passed: 2 passed, 1 failed in [TIME]")
        .run();
    let summary = ws.run_json("summary.json");
    crate::harness::assert_valid("summary", &summary);
    assert_eq!(summary["status"], "passed");
    assert!(summary["first_failure"].is_null(), "{summary}");
    assert_eq!(summary["counts"]["failed"], 1);
    let x = suite(&summary, "suite.x");
    assert_eq!(x["status"], "failed");
    assert_eq!(x["quarantined"], true);
    assert_eq!(x["quarantine"]["until"], day(3));
    assert_eq!(x["quarantine"]["days_left"], 3);
    assert_eq!(suite(&summary, "suite.gate")["quarantined"], false);
    let q = &summary["quarantined"];
    assert_eq!(
        (q["total"].as_u64(), q["failed"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(q["suites"][0]["id"], "suite.x");
    assert_eq!(q["suites"][1]["id"], "suite.y");

    let md = ws
        .cmd(&["report", "--format", "markdown"])
        .stdout_any()
        .run();
    assert!(
        md.stdout.contains(
            "**2 quarantined: 1 failed, 1 passed — quarantine of suite.x ends in 3 days**"
        ),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout.contains("| failed | `suite.x` |"),
        "{}",
        md.stdout
    );
    let gh = ws
        .cmd(&["report", "--format", "github"])
        .stdout_any()
        .stderr_any()
        .run();
    assert!(gh.stdout.contains("::warning "), "{}", gh.stdout);
    assert!(!gh.stdout.contains("::error "), "{}", gh.stdout);
    let html = std::fs::read_to_string(ws.latest_run().join("report.html")).expect("report.html");
    assert!(html.contains(r#"<section id="quarantined""#), "{html}");
    assert!(html.contains("quarantine of suite.x ends in 3 days"));
}

#[test]
fn strict_ignores_every_quarantine() {
    let ws = Workspace::with(&[("suites.toml", &registry(&day(3)))]);
    ws.cmd(&["verify", "--all", "--strict"])
        .status(1)
        .stderr_any()
        .run();
    let summary = ws.run_json("summary.json");
    assert_eq!(summary["status"], "failed");
    assert_eq!(summary["first_failure"]["suite"], "suite.x");
    assert!(summary["quarantined"].is_null(), "{summary}");
    assert!(
        summary["reproduce"]
            .as_str()
            .expect("reproduce")
            .ends_with("--strict")
    );
}

#[test]
fn an_expired_quarantine_gates_and_check_says_where_and_what_to_do() {
    let ws = Workspace::with(&[("suites.toml", &registry(&day(-2)))]);
    ws.cmd(&["verify", "--all"]).status(1).stderr_any().run();
    let summary = ws.run_json("summary.json");
    assert_eq!(summary["first_failure"]["suite"], "suite.x");
    assert_eq!(suite(&summary, "suite.x")["quarantined"], false);
    // Still in force for suite.y, which passed.
    assert_eq!(summary["quarantined"]["total"], 1);

    ws.cmd(&["check"])
        .status(2)
        .stderr_contains(&format!(
            "error[quarantine-expired]: the quarantine of `suite.x` ended on {} (2 days ago): the suite gates again",
            day(-2)
        ))
        .stderr_contains("--> suites.toml:6:89")
        .stderr_contains("remove `quarantine`")
        .run();
}

#[test]
fn check_warns_a_week_ahead_and_requires_until() {
    let ws = Workspace::with(&[("suites.toml", &registry(&day(7)))]);
    ws.cmd(&["check"])
        .stderr_contains(
            "warning[quarantine-ending]: the quarantine of `suite.x` ends in 7 days: then the suite gates again",
        )
        .stderr_contains("1 warning")
        .run();
    let ws = Workspace::with(&[("suites.toml", &registry(&day(8)))]);
    ws.cmd(&["check"]).stderr_contains("0 warnings").run();

    let ws = Workspace::with(&[(
        "suites.toml",
        "[suite.x]\ncommand = \"true\"\nquarantine = { reason = \"r\" }\n\n[suite.z]\ncommand = \"true\"\nquarantine = { until = \"next week\" }\n",
    )]);
    ws.cmd(&["check"])
        .status(2)
        .stderr_contains("the quarantine of `suite.x` has no `until`")
        .stderr_contains("`until` in the quarantine of `suite.z` is not a date")
        .run();
}

/// Item 2: real runs of a suite that fails every other run (a counter
/// file) → `runs flaky --suggest` prints TOML that, pasted where the suite
/// is defined, passes `lab check` and takes the suite out of the gate.
#[test]
fn runs_flaky_suggest_emits_a_quarantine_that_check_accepts() {
    let registry = "[suite.alt]\ncommand = \"n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; [ $((n % 2)) -eq 0 ]\"\n\n[suite.steady]\ncommand = \"true\"\n";
    let ws = Workspace::with(&[("suites.toml", registry)]);
    for run in 1..=4 {
        let status = if run % 2 == 1 { 1 } else { 0 };
        ws.cmd(&["verify", "--all"])
            .status(status)
            .stderr_any()
            .run();
    }
    let out = ws.cmd(&["runs", "flaky", "--suggest"]).stdout_any().run();
    let marker = "# quarantine suite.alt: paste at the end of suites.toml\n";
    let start = out.stdout.find(marker).expect("a suggestion") + marker.len();
    let toml: String = out.stdout[start..]
        .lines()
        .take_while(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        toml,
        format!(
            "[suite.alt.quarantine]\nreason = \"3 flips and 0 passes after a retry in 4 runs\"\nissue = \"TODO: the issue tracking the fix\"\nuntil = \"{}\"\n",
            day(14)
        ),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("suite.steady"), "{}", out.stdout);
    ws.write("suites.toml", &format!("{registry}\n{toml}"));
    ws.cmd(&["check"])
        .stderr_contains("0 errors, 0 warnings")
        .run();
    // The fifth run fails, quarantined: lab exits 0.
    ws.cmd(&["verify", "--all"])
        .stderr_contains("1 quarantined: 1 failed")
        .run();
    let json = ws.cmd(&["runs", "flaky", "--suggest", "--json"]).run_json();
    assert_eq!(json["suggest"]["quarantine"], serde_json::json!([]));
}

/// Item 2: a quarantined suite that passed its last 20 runs may leave.
#[test]
fn a_quarantined_suite_passing_twenty_runs_is_ready_to_leave() {
    let registry = format!(
        "[suite.healed]\ncommand = \"true\"\nquarantine = {{ reason = \"r\", issue = \"#1\", until = \"{}\" }}\n",
        day(30)
    );
    let ws = Workspace::with(&[("suites.toml", &registry)]);
    for _ in 0..19 {
        ws.cmd(&["verify", "healed"]).stderr_any().run();
    }
    let out = ws.cmd(&["runs", "flaky", "--suggest"]).stdout_any().run();
    assert!(!out.stdout.contains("ready to leave"), "{}", out.stdout);
    ws.cmd(&["verify", "healed"]).stderr_any().run();
    ws.cmd(&["runs", "flaky", "--suggest"])
        .stdout_contains(
            "suite.healed passed its last 20 runs: ready to leave quarantine (remove `quarantine` at suites.toml:3:",
        )
        .run();
}
