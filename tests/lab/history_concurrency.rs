//! History under concurrency: eight `lab verify` at once in one workspace,
//! each writing its record (and report.html, which reads the history)
//! while the others finish. Every history query, and the index file
//! itself, counts each run once.

use std::collections::BTreeSet;

use crate::harness::Workspace;

/// `suite.retry` passes on its second attempt in every run (flaky);
/// `suite.flip` claims a slot 1..8 and fails in the odd ones, so four runs
/// fail and four pass.
const REGISTRY: &str = r#"
[suite.retry]
command = "f={suite_dir}/tried; if [ -f $f ]; then exit 0; fi; touch $f; exit 1"
retries = 1
tags = ["x"]

[suite.flip]
command = "mkdir -p {workspace}/slots; i=1; until mkdir {workspace}/slots/$i 2>/dev/null; do i=$((i+1)); done; [ $((i % 2)) -eq 0 ]"
tags = ["x"]
"#;

const RUNS: usize = 8;

#[test]
fn eight_concurrent_runs_are_each_counted_once_by_every_history_query() {
    let ws = Workspace::with(&[("suites.toml", REGISTRY)]);
    let exits: Vec<i32> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..RUNS)
            .map(|_| scope.spawn(|| ws.lab(&["verify", "--tag", "x"]).code))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a verify thread"))
            .collect()
    });
    let failed = exits.iter().filter(|c| **c == 1).count();
    assert_eq!((failed, exits.len()), (RUNS / 2, RUNS), "{exits:?}");

    // Queries read (and fill) the index; run them, then look at the file.
    let list = ws.cmd(&["runs", "list", "--json"]).run_json();
    let listed: Vec<String> = list["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| r["run_id"].as_str().expect("id").to_string())
        .collect();
    let unique: BTreeSet<&String> = listed.iter().collect();
    assert_eq!((listed.len(), unique.len()), (RUNS, RUNS), "{listed:?}");

    let flaky = ws.cmd(&["runs", "flaky", "--json"]).run_json();
    assert_eq!(flaky["runs"], RUNS, "{flaky:#}");
    let retry = flaky["suites"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == "suite.retry"))
        .unwrap_or_else(|| panic!("suite.retry is flaky: {flaky:#}"));
    assert_eq!(
        (&retry["runs"], &retry["passes_after_retry"]),
        (&serde_json::json!(RUNS), &serde_json::json!(RUNS)),
        "{retry:#}"
    );
    let flip = flaky["suites"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == "suite.flip"))
        .unwrap_or_else(|| panic!("suite.flip flips: {flaky:#}"));
    let history = flip["history"].as_array().expect("history");
    let failures = history.iter().filter(|s| *s == "failed").count();
    assert_eq!((history.len(), failures), (RUNS, RUNS / 2), "{flip:#}");

    // The default diff compares `latest` (whichever run replaced the link
    // last) with another run, never with a second record of itself.
    let diff = ws.cmd(&["runs", "diff", "--json"]).run_json();
    for end in ["from", "to"] {
        let id = diff[end].as_str().expect("a run id").to_string();
        assert!(unique.contains(&id), "{diff:#}");
    }
    assert_ne!(diff["from"], diff["to"], "{diff:#}");

    let index = std::fs::read_to_string(ws.path().join("target/lab/runs/.lab-index.jsonl"))
        .expect("the index");
    let records: Vec<String> = index
        .lines()
        .map(|l| {
            let record: serde_json::Value = serde_json::from_str(l).expect("a record");
            record["run_id"].as_str().expect("run id").to_string()
        })
        .collect();
    let indexed: BTreeSet<&String> = records.iter().collect();
    assert_eq!(records.len(), RUNS, "one record per run:\n{index}");
    assert_eq!(indexed, unique, "the index holds the listed runs");
}
