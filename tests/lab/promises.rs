//! Smaller promises (issue 22): merging never counts a suite twice,
//! `latest` never moves back to an older run, `lab launch` exits like
//! `verify` would, `lab report` writes only inside the run root, and a
//! hostile duration is clamped instead of printed as is.

use crate::harness::{Workspace, ids, suite};

const TWO: &str = "[suite.a]\ncommand = \"true\"\n\n[suite.b]\ncommand = \"exit 1\"\n";

/// Runs `lab verify sel --json` and returns its run id.
fn verify(ws: &Workspace, sel: &str, status: i32) -> String {
    let summary = ws
        .cmd(&["verify", sel, "--json"])
        .status(status)
        .stderr_any()
        .run_json();
    summary["run_id"].as_str().expect("run id").to_string()
}

#[test]
fn merge_refuses_a_run_named_twice_or_a_merged_run_and_keeps_each_suite_once() {
    let ws = Workspace::with(&[("suites.toml", TWO)]);
    let a = verify(&ws, "a", 0);
    let b = verify(&ws, "b", 1);
    ws.cmd(&["runs", "merge", &a, &a])
        .status(2)
        .stderr_contains(&format!("error: run `{a}` ("))
        .stderr_contains(") is named more than once\n")
        .run();
    let merged = ws
        .cmd(&["runs", "merge", &a, &b, "--json"])
        .status(1)
        .stderr_any()
        .run_json();
    assert_eq!(merged["counts"]["selected"], 2);
    let m = merged["run_id"].as_str().expect("id").to_string();
    // The README's recipe run twice names the first merge among the runs.
    ws.cmd(&["runs", "merge", &a, &b, &m])
        .status(2)
        .stderr_contains(&format!("error: run `{m}` ("))
        .stderr_contains(") is itself a merge of runs\n")
        .run();
    // Two runs of the same suite: the newer one's result, once, said so.
    let a_again = verify(&ws, "a", 0);
    let merged = ws
        .cmd(&["runs", "merge", &a, &b, &a_again, "--json"])
        .status(1)
        .stderr_contains(&format!(
            "lab: warning: suite.a is in runs {a} and {a_again}; keeping the newer run's result\n"
        ))
        .run_json();
    let mut got = ids(&merged);
    got.sort();
    assert_eq!(got, ["suite.a", "suite.b"]);
    assert_eq!(merged["counts"]["selected"], 2);
    assert_eq!(merged["counts"]["passed"], 1);
    let kept = suite(&merged, "suite.a");
    assert!(
        kept["stdout"]
            .as_str()
            .is_some_and(|p| p.starts_with(&format!("../{a_again}/"))),
        "{kept:#}"
    );
    let manifest = ws.run_json("manifest.json");
    assert_eq!(manifest["suites"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        manifest["selection"]["suites"].as_array().map(Vec::len),
        Some(2)
    );
}

#[test]
fn latest_never_points_back_at_an_older_run_under_concurrent_verifies() {
    let ws = Workspace::with(&[("suites.toml", TWO)]);
    let runs = ws.path().join("target/lab/runs");
    for round in 0..5 {
        let labs: Vec<std::process::Child> = (0..16).map(|_| ws.spawn(&["verify", "a"])).collect();
        for lab in labs {
            let out = lab.wait_with_output().expect("wait");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let newest = std::fs::read_dir(&runs)
            .expect("runs")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.len() == 23 && n.as_bytes()[8] == b'T')
            .max()
            .expect("runs");
        let latest = std::fs::read_link(runs.join("latest")).expect("latest");
        assert_eq!(
            latest.to_str(),
            Some(newest.as_str()),
            "round {round}: latest is not the newest run"
        );
    }
}

#[test]
fn launch_maps_the_apps_exit_like_verify_maps_a_suites() {
    let ws = Workspace::with(&[
        ("suites.toml", ""),
        (
            "runners/app.toml",
            "[runner.app]\ntargets = [\"cli\"]\nlaunch = \"exit $APP_EXIT\"\n",
        ),
        ("profiles/p.toml", "[profile.p]\n"),
    ]);
    // 2 is not a usage error of lab's, 130 not an interrupt of lab's, and
    // 300 (a shell's 44) is not passed on as 44.
    for (app, lab, said) in [
        ("0", 0, None),
        ("2", 1, Some("exited with 2")),
        ("130", 1, Some("exited with 130")),
        ("300", 1, Some("exited with 44")),
        ("77", 77, Some("exited 77 (skipped)")),
        ("78", 78, Some("exited 78 (blocked)")),
    ] {
        let out = ws
            .cmd(&["launch", "cli", "--profile", "p"])
            .env("APP_EXIT", app)
            .status(lab)
            .stderr_any()
            .run();
        if let Some(said) = said {
            assert!(
                out.stderr.contains(&format!("\nlab: cli {said}\n")),
                "exit {app}: {}",
                out.stderr
            );
        }
        let summary = ws.run_json("summary.json");
        assert_eq!(summary["interrupted"], false, "exit {app}");
    }
}

#[test]
fn report_refuses_a_latest_link_that_leaves_the_run_root() {
    let ws = Workspace::with(&[("suites.toml", TWO)]);
    let id = verify(&ws, "a", 0);
    let runs = ws.path().join("target/lab/runs");
    // Somewhere else that looks like a run.
    let elsewhere = ws.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).expect("mkdir");
    std::fs::copy(
        runs.join(&id).join("summary.json"),
        elsewhere.join("summary.json"),
    )
    .expect("copy");
    std::fs::remove_file(runs.join("latest")).expect("rm latest");
    std::os::unix::fs::symlink(&elsewhere, runs.join("latest")).expect("ln");
    ws.cmd(&["report"])
        .status(2)
        .stderr_contains("error: `latest` leads to `")
        .stderr_contains("/elsewhere`, which is not a run directory of ")
        .run();
    assert!(
        !elsewhere.join("report.html").exists(),
        "nothing written outside the run root"
    );
    // The run itself, named by id, still reports.
    ws.cmd(&["report", &id]).stdout_any().run();
    assert!(runs.join(&id).join("report.html").is_file());
}

#[test]
fn a_hostile_duration_is_clamped_and_flagged() {
    let ws = Workspace::with(&[("suites.toml", TWO)]);
    let older = verify(&ws, "a", 0);
    let newer = verify(&ws, "a", 0);
    let runs = ws.path().join("target/lab/runs");
    let path = runs.join(&newer).join("summary.json");
    let mut summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    summary["duration_ms"] = u64::MAX.into();
    summary["suites"][0]["duration_ms"] = u64::MAX.into();
    summary["suites"][0]["attempts"][0]["duration_ms"] = u64::MAX.into();
    std::fs::write(&path, summary.to_string()).expect("write");
    // Read from summary.json, not from the index lab wrote before.
    std::fs::remove_file(runs.join(".lab-index.jsonl")).expect("rm index");
    let warning = format!(
        "lab: warning: run {newer}: a duration is over 365 days (a tampered or corrupt record); shown as 365 days\n"
    );
    let year_ms: i64 = 365 * 24 * 60 * 60 * 1000;
    let diff = ws
        .cmd(&["runs", "diff", &older, &newer, "--json"])
        .stderr_contains(&warning)
        .run_json();
    let change = diff["unchanged"][0]["duration_change_ms"]
        .as_i64()
        .expect("a change");
    assert!(change > year_ms - 60_000 && change <= year_ms, "{change}");
    let show = ws
        .cmd(&["runs", "show", &newer])
        .stdout_any()
        .stderr_contains(&warning)
        .run();
    assert!(
        show.stdout.contains("suite.a  525600m00s\n"),
        "{}",
        show.stdout
    );
    let markdown = ws
        .cmd(&["report", &newer, "--format", "markdown"])
        .stdout_any()
        .stderr_contains(&warning)
        .run();
    assert!(
        markdown.stdout.contains("(31536000.0 s)"),
        "{}",
        markdown.stdout
    );
    for out in [&show.stdout, &markdown.stdout, &diff.to_string()] {
        assert!(
            !out.contains("18446744073709") && !out.contains("9223372036854775807"),
            "{out}"
        );
    }
}
