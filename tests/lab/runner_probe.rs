//! Runner probes (issue 15 item 3): a missing test tool blocks the suites
//! that use it — with the probe's own output as the reason — before any of
//! their processes starts, and the probe runs once per run however many
//! suites share the runner.

use crate::harness::{Workspace, python, read_json, suite};

/// Two suites on a runner whose tool is missing (a Python module that
/// does not exist, asked the way `lab init` asks for pytest), one on a
/// runner whose probe passes.
fn registry() -> String {
    let py = python();
    format!(
        r#"
[runner.missing]
program = "{py}"
probe = "{py} -m lab_no_such_tool --version"
command = "touch {{workspace}}/started-{{args}}; {py} -m lab_no_such_tool {{args}}"

[runner.present]
program = "{py}"
probe = "{py} --version"
command = "{py} -c 'print(\"ran {{args}}\")'"

[suite.tool.unit]
runners = ["runner.missing"]
args = "unit"
tags = ["x"]

[suite.tool.api]
runners = ["runner.missing"]
args = "api"
tags = ["x"]

[suite.other]
runners = ["runner.present"]
args = "other"
tags = ["x"]
"#
    )
}

#[test]
fn a_failing_probe_blocks_every_suite_of_its_runner_before_anything_starts() {
    let ws = Workspace::with(&[("suites.toml", &registry())]);
    let summary = ws
        .cmd(&["verify", "--tag", "x", "--json"])
        .status(78)
        .stderr_contains("  BLOCK  suite.tool.api  [TIME]  runner.missing: probe `")
        .stderr_contains("--version` exited with 1: ")
        .stderr_contains("No module named lab_no_such_tool\n")
        .stderr_contains(
            "        logs: target/lab/runs/[RUN]/runners/runner.missing.probe.stderr.log\n",
        )
        .stderr_contains("  PASS   suite.other  [TIME]\n")
        .run_json();
    for id in ["suite.tool.unit", "suite.tool.api"] {
        let s = suite(&summary, id);
        assert_eq!(s["status"], "blocked", "{s:#}");
        assert_eq!(s["step"], "runner:runner.missing:probe", "{s:#}");
        let reason = s["reason"].as_str().expect("reason");
        assert!(
            reason.ends_with("No module named lab_no_such_tool"),
            "the probe's own words: {reason}"
        );
        assert_eq!(s["attempts"], serde_json::json!([]), "{s:#}");
        let excerpt = s["excerpt"].as_array().expect("excerpt");
        assert!(
            excerpt
                .iter()
                .any(|l| l.as_str().is_some_and(|l| l.contains("No module named"))),
            "{s:#}"
        );
        assert_eq!(
            s["excerpt_sources"],
            serde_json::json!(vec![
                "runners/runner.missing.probe.stderr.log";
                excerpt.len()
            ]),
            "{s:#}"
        );
    }
    assert_eq!(suite(&summary, "suite.other")["status"], "passed");
    // Nothing of the blocked suites started: no command, no directory.
    let run = ws.latest_run();
    assert!(!ws.path().join("started-unit").exists());
    assert!(!ws.path().join("started-api").exists());
    assert!(!run.join("suites/suite.tool.unit").exists());
    let manifest = read_json(&run.join("manifest.json"));
    let unit = manifest["suites"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == "suite.tool.unit"))
        .expect("suite.tool.unit in manifest.json");
    assert_eq!(unit["processes"], serde_json::json!([]), "{unit:#}");
    // Each runner was probed once, however many suites use it.
    let events = std::fs::read_to_string(run.join("lab.log.jsonl")).expect("events");
    let probed: Vec<serde_json::Value> = events
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("an event"))
        .filter(|e| e["event"] == "runner_probed")
        .collect();
    let runners: Vec<(&str, bool)> = probed
        .iter()
        .map(|e| {
            (
                e["runner"].as_str().expect("runner"),
                e["ok"].as_bool().expect("ok"),
            )
        })
        .collect();
    let mut sorted = runners.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [("runner.missing", false), ("runner.present", true)],
        "{events}"
    );
    let log = std::fs::read_to_string(run.join("runners/runner.missing.probe.stderr.log"))
        .expect("the probe's log");
    assert!(log.contains("No module named lab_no_such_tool"), "{log}");
    // `lab verify` links the probe's log among the logs to open first.
    let links = &summary["links"]["logs"];
    assert!(
        links
            .as_array()
            .expect("links")
            .contains(&serde_json::json!(
                "runners/runner.missing.probe.stderr.log"
            )),
        "{links:#}"
    );
}

#[test]
fn a_probe_sees_the_workspace_and_a_missing_program_is_still_a_requirement() {
    let ws = Workspace::with(&[(
        "suites.toml",
        r#"
[runner.configured]
probe = "test -f tool.cfg || { echo 'tool.cfg missing: run ./configure first' >&2; exit 3; }"

[runner.absent]
program = "lab-no-such-program"
probe = "touch probed"

[suite.needs-config]
command = "true"
runners = ["runner.configured"]

[suite.needs-program]
command = "true"
runners = ["runner.absent"]
"#,
    )]);
    let summary = ws
        .cmd(&["verify", "needs-config", "needs-program", "--json"])
        .status(78)
        .stderr_any()
        .run_json();
    let config = suite(&summary, "suite.needs-config");
    assert_eq!(
        config["reason"],
        "runner.configured: probe `test -f tool.cfg || { echo 'tool.cfg missing: run ./configure first' >&2; exit 3; }` exited with 3: tool.cfg missing: run ./configure first"
    );
    // The program check comes first; a probe of a missing program never runs.
    let program = suite(&summary, "suite.needs-program");
    assert_eq!(
        (&program["status"], &program["step"]),
        (
            &serde_json::json!("blocked"),
            &serde_json::json!("requires")
        )
    );
    assert!(!ws.path().join("probed").exists());
    // Once the workspace has what the probe asks for, the suite runs.
    ws.write("tool.cfg", "");
    ws.cmd(&["verify", "needs-config"])
        .stderr_contains("  PASS   suite.needs-config  [TIME]\n")
        .run();
}
