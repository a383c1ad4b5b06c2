//! The lean per-suite path: suite directories made ahead and recycled
//! still give every suite working, private, empty roots; summary.json
//! written at most every ~50 ms still survives a SIGKILL of lab.

use crate::harness::{Workspace, eventually, read_json, suite};

/// A script (so lab cannot see what it touches) that writes into every
/// root a suite is given and fails unless each starts empty and private.
const USE_EVERY_ROOT: &str = r#"#!/bin/sh
set -eu
for d in "$LAB_STATE_CONFIG" "$LAB_STATE_DATA" "$LAB_STATE_SECRETS" "$TMPDIR" "$LAB_ARTIFACT_DIR" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"; do
  test -d "$d" || { echo "missing: $d" >&2; exit 1; }
  test -z "$(ls -A "$d")" || { echo "not empty: $d: $(ls -A "$d")" >&2; exit 1; }
  test "$(stat -c %a "$d")" = 700 || { echo "mode $(stat -c %a "$d"): $d" >&2; exit 1; }
done
for d in "$LAB_STATE_CONFIG" "$LAB_STATE_DATA" "$LAB_STATE_SECRETS" "$TMPDIR" "$LAB_ARTIFACT_DIR"; do
  echo "$LAB_SUITE_ID" > "$d/written"
done
"#;

/// What a hostile suite may do to its roots before it passes: leave files,
/// widen modes, swap a root for a link to somewhere else.
const SPOIL_EVERY_ROOT: &str = r#"#!/bin/sh
set -eu
echo left > "$TMPDIR/left"
chmod 777 "$LAB_STATE_DATA"
rmdir "$LAB_STATE_CONFIG"
ln -s "$LAB_WORKSPACE/outside" "$LAB_STATE_CONFIG"
mkdir "$LAB_ARTIFACT_DIR/sub"
rmdir "$LAB_ARTIFACT_DIR/sub"
"#;

/// The names in `dir`, sorted.
fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn workspace() -> Workspace {
    let mut toml = String::new();
    for i in 0..6 {
        toml.push_str(&format!(
            "[suite.use{i}]\ncommand = \"sh ./use.sh\"\ntags = [\"use\"]\n\n"
        ));
        toml.push_str(&format!(
            "[suite.spoil{i}]\ncommand = \"sh ./spoil.sh\"\ntags = [\"use\"]\n\n"
        ));
    }
    Workspace::with(&[
        ("suites.toml", &toml),
        ("use.sh", USE_EVERY_ROOT),
        ("spoil.sh", SPOIL_EVERY_ROOT),
        ("outside/keep", "kept\n"),
    ])
}

#[test]
fn every_suite_gets_empty_private_roots_even_from_recycled_directories() {
    let ws = workspace();
    // Three runs: the later ones take directories recycled from the
    // earlier ones (.spare/ outlives a run), spoiled ones among them.
    for round in 0..3 {
        let run = ws.lab(&["verify", "--tag", "use", "--jobs", "2"]);
        let summary = ws.run_json("summary.json");
        assert_eq!(run.code, 0, "round {round}: {}\n{summary:#}", run.stderr);
        assert_eq!(summary["counts"]["passed"], 12, "{summary:#}");
    }
    assert_eq!(
        std::fs::read_to_string(ws.path().join("outside/keep")).expect("keep"),
        "kept\n",
        "a root swapped for a link: the link goes, never what it points at"
    );
    assert_eq!(listing(&ws.path().join("outside")), ["keep"]);
    // A passing suite keeps its logs, and artifacts/ when something was
    // put there: tmp/ and state.* go per the on-success policy.
    let run = ws.latest_run();
    assert_eq!(
        listing(&run.join("suites/suite.use0")),
        ["artifacts", "stderr.log", "stdout.log"]
    );
    assert_eq!(
        listing(&run.join("suites/suite.use0/artifacts")),
        ["written"]
    );
    assert_eq!(
        listing(&run.join("suites/suite.spoil0")),
        ["stderr.log", "stdout.log"]
    );
    // What is kept for the next run is empty and private.
    let spare = ws.path().join("target/lab/runs/.spare");
    let mut dirs = vec![spare.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read spare").flatten() {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).expect("meta");
            let name = entry.file_name().to_string_lossy().into_owned();
            if meta.is_dir() {
                use std::os::unix::fs::PermissionsExt;
                assert_eq!(meta.permissions().mode() & 0o777, 0o700, "{path:?}");
                dirs.push(path);
            } else {
                assert!(
                    name.ends_with(".log") && meta.len() == 0 && meta.is_file(),
                    "only empty logs are kept: {path:?}"
                );
            }
        }
    }
}

#[test]
fn a_failing_suite_keeps_what_it_wrote_and_secrets_are_emptied() {
    let ws = Workspace::with(&[(
        "suites.toml",
        "[suite.keep]\ncommand = \"echo c > $LAB_STATE_CONFIG/c; echo s > $LAB_STATE_SECRETS/s; echo t > $TMPDIR/t; echo a > $LAB_ARTIFACT_DIR/a; exit 1\"\n",
    )]);
    let run = ws.lab(&["verify", "keep"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let dir = ws.latest_run().join("suites/suite.keep");
    assert_eq!(
        listing(&dir),
        [
            "artifacts",
            "state.config",
            "state.data",
            "state.secrets",
            "stderr.log",
            "stdout.log",
            "tmp"
        ]
    );
    assert_eq!(listing(&dir.join("state.config")), ["c"]);
    assert_eq!(listing(&dir.join("tmp")), ["t"]);
    assert_eq!(listing(&dir.join("artifacts")), ["a"]);
    assert!(
        listing(&dir.join("state.secrets")).is_empty(),
        "secrets never outlive the suite"
    );
}

#[test]
fn sigkill_during_a_burst_leaves_a_summary_of_every_suite_finished_before() {
    // 200 short suites, then one that runs until lab is killed.
    let mut toml = String::new();
    for i in 0..200 {
        toml.push_str(&format!("[suite.t{i:03}]\ncommand = \"true\"\n\n"));
    }
    toml.push_str("[suite.zlast]\ncommand = \"sleep 60\"\nneeds = [");
    toml.push_str(
        &(0..200)
            .map(|i| format!("\"suite.t{i:03}\""))
            .collect::<Vec<_>>()
            .join(", "),
    );
    toml.push_str("]\n");
    let ws = Workspace::with(&[("suites.toml", &toml)]);
    let mut lab = ws.spawn(&["verify", "--all", "--jobs", "2"]);
    let events = || {
        std::fs::read_to_string(ws.path().join("target/lab/runs/latest/lab.log.jsonl"))
            .unwrap_or_default()
    };
    assert!(
        eventually(60, || events()
            .contains(r#""event":"suite_started","suite":"suite.zlast""#)),
        "the last suite started: {}",
        events()
    );
    // Every short suite finished before `zlast` started; a second is 20
    // times the ~50 ms summary.json may lag behind.
    std::thread::sleep(std::time::Duration::from_secs(1));
    lab.kill().expect("SIGKILL lab");
    lab.wait().expect("reap lab");
    let summary = read_json(&ws.latest_run().join("summary.json"));
    crate::harness::assert_valid("summary", &summary);
    assert_eq!(summary["suites"].as_array().map(Vec::len), Some(200));
    for i in [0, 99, 199] {
        assert_eq!(
            suite(&summary, &format!("suite.t{i:03}"))["status"],
            "passed"
        );
    }
    assert_eq!(summary["pending"], serde_json::json!(["suite.zlast"]));
    assert_eq!(summary["finished_at"], serde_json::Value::Null);
    // lab.log.jsonl got every suite_finished as it happened.
    assert_eq!(events().matches(r#""event":"suite_finished""#).count(), 200);
    // `sleep 60` outlives a SIGKILLed lab (nothing can stop that): end
    // this run's, found by the tag lab puts in every suite's environment.
    let run_id = ws
        .latest_run()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let tag = format!("LAB_RUN_ID={}", run_id.unwrap_or_default());
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        if environ.split(|&b| b == 0).any(|v| v == tag.as_bytes())
            && let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>()
        {
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status();
        }
    }
}
