//! Scheduling with real processes: `--jobs` limits, weights, exclusive
//! suites, host requirements, `--repeat`, shards and merging shard runs.
//! Suites log start and end stamps; the tests check the overlaps, never
//! durations.

use crate::harness::{Workspace, assert_valid, lab_command, run, suite};

/// A suite that logs `S <id> <ns>` and `E <id> <ns>` around a short sleep.
fn stamped(id: &str, extra: &str) -> String {
    format!(
        "[suite.{id}]\ncommand = \"echo S {id} $(date +%s%N) >> ../stamps; sleep 0.3; echo E {id} $(date +%s%N) >> ../stamps\"\ncwd = \"w\"\ntags = [\"x\"]\n{extra}\n"
    )
}

/// The stamps as (id, start, end).
fn intervals(ws: &Workspace) -> Vec<(String, u128, u128)> {
    let text = std::fs::read_to_string(ws.path().join("stamps")).expect("stamps");
    let mut starts = std::collections::HashMap::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let t: u128 = parts[2].parse().expect("ns");
        if parts[0] == "S" {
            starts.insert(parts[1].to_string(), t);
        } else {
            out.push((parts[1].to_string(), starts[parts[1]], t));
        }
    }
    out
}

/// Most intervals open at one instant.
fn max_overlap(iv: &[(String, u128, u128)]) -> usize {
    iv.iter()
        .map(|(_, s, _)| iv.iter().filter(|(_, a, b)| a <= s && s < b).count())
        .max()
        .unwrap_or(0)
}

fn overlaps(iv: &[(String, u128, u128)], id: &str) -> bool {
    let (_, s, e) = iv.iter().find(|(i, _, _)| i == id).expect("ran");
    iv.iter().any(|(i, a, b)| i != id && a < e && s < b)
}

#[test]
fn concurrency_never_exceeds_jobs_and_weights_and_exclusive_hold() {
    let mut registry = String::new();
    for id in ["a", "b", "c", "d", "e", "f"] {
        registry.push_str(&stamped(id, ""));
    }
    registry.push_str(&stamped("heavy", "weight = 3"));
    registry.push_str(&stamped("alone", "exclusive = true"));
    let ws = Workspace::with(&[("suites.toml", &registry), ("w/.keep", "")]);
    let out = ws.lab(&["verify", "--tag", "x", "--jobs", "3", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_valid("summary", &out.json());
    let iv = intervals(&ws);
    assert_eq!(iv.len(), 8);
    assert_eq!(max_overlap(&iv), 3, "{iv:?}");
    assert!(
        !overlaps(&iv, "heavy"),
        "weight 3 of 3 slots runs alone: {iv:?}"
    );
    assert!(!overlaps(&iv, "alone"), "exclusive runs alone: {iv:?}");

    std::fs::remove_file(ws.path().join("stamps")).expect("rm");
    let out = ws.lab(&["verify", "--tag", "x", "--jobs", "2"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(max_overlap(&intervals(&ws)), 2);
}

#[test]
fn a_failed_need_blocks_its_dependents_while_other_branches_run() {
    let ws = Workspace::with(&[(
        "suites.toml",
        r#"
[suite.root]
command = "exit 1"
[suite.child]
command = "touch child-ran"
needs = ["root"]
[suite.grandchild]
command = "touch grandchild-ran"
needs = ["child"]
[suite.other]
command = "touch other-ran"
"#,
    )]);
    let out = ws.lab(&["verify", "--all", "--jobs", "4", "--json"]);
    assert_eq!(out.code, 1);
    let s = out.json();
    assert_eq!(
        suite(&s, "suite.child")["reason"],
        "needs suite.root, which failed"
    );
    assert_eq!(
        suite(&s, "suite.grandchild")["reason"],
        "needs suite.child, which blocked"
    );
    assert!(!ws.path().join("child-ran").exists() && !ws.path().join("grandchild-ran").exists());
    assert!(ws.path().join("other-ran").exists());
}

#[test]
fn every_requirement_kind_met_and_unmet() {
    let root = rustix::process::geteuid().is_root();
    let docker_up = std::os::unix::net::UnixStream::connect("/var/run/docker.sock").is_ok();
    let ws = Workspace::with(&[(
        "suites.toml",
        r#"
[suite.cmd-met]
command = "true"
requires = ["cmd:sh"]
[suite.cmd-unmet]
command = "true"
requires = ["cmd:no-such-program-xyz"]
[suite.env-met]
command = "true"
requires = ["env:HOME"]
[suite.env-unmet]
command = "true"
requires = ["env:NO_SUCH_VARIABLE_XYZ"]
[suite.os-met]
command = "true"
requires = ["os:linux"]
[suite.os-unmet]
command = "true"
requires = ["os:windows"]
[suite.display-unmet]
command = "true"
requires = ["display"]
[suite.root]
command = "true"
requires = ["root"]
[suite.docker]
command = "true"
requires = ["docker"]
[suite.netns]
command = "true"
requires = ["netns"]
"#,
    )]);
    let out = ws.lab(&["verify", "--all", "--jobs", "4", "--json"]);
    let s = out.json();
    let status = |id: &str| {
        suite(&s, id)["status"]
            .as_str()
            .expect("status")
            .to_string()
    };
    let reason = |id: &str| suite(&s, id)["reason"].as_str().unwrap_or("").to_string();
    for met in [
        "suite.cmd-met",
        "suite.env-met",
        "suite.os-met",
        "suite.netns",
    ] {
        assert_eq!(status(met), "passed", "{met}: {}", reason(met));
    }
    assert_eq!(
        reason("suite.cmd-unmet"),
        "requires cmd:no-such-program-xyz, but `no-such-program-xyz` is not on PATH"
    );
    assert_eq!(
        reason("suite.env-unmet"),
        "requires env:NO_SUCH_VARIABLE_XYZ, but NO_SUCH_VARIABLE_XYZ is not set"
    );
    assert_eq!(
        reason("suite.os-unmet"),
        "requires os:windows, but this host runs linux"
    );
    assert_eq!(
        reason("suite.display-unmet"),
        "requires display, but neither DISPLAY nor WAYLAND_DISPLAY is set"
    );
    for unmet in [
        "suite.cmd-unmet",
        "suite.env-unmet",
        "suite.os-unmet",
        "suite.display-unmet",
    ] {
        assert_eq!(status(unmet), "blocked");
        assert_eq!(suite(&s, unmet)["step"], "requires");
    }
    assert_eq!(
        status("suite.root"),
        if root { "passed" } else { "blocked" }
    );
    if docker_up {
        assert_eq!(status("suite.docker"), "passed");
    } else {
        assert_eq!(status("suite.docker"), "blocked");
        assert!(reason("suite.docker").contains("no Docker daemon answers"));
    }
    // A display, once there is one.
    let out = run(lab_command(ws.path()).env("DISPLAY", ":99").args([
        "verify",
        "display-unmet",
        "--json",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn repeat_hunts_intermittent_failures() {
    let ws = Workspace::with(&[(
        "suites.toml",
        "[suite.third]\ncommand = \"n=$(cat n 2>/dev/null || echo 0); n=$((n+1)); echo $n > n; [ $n -ne 2 ]\"\n",
    )]);
    let out = ws.lab(&["verify", "third", "--repeat", "3", "--json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let s = out.json();
    let t = suite(&s, "suite.third");
    assert_eq!(t["attempts"].as_array().map(Vec::len), Some(3));
    assert_eq!(t["status"], "failed");
    assert_eq!(
        t["reason"],
        "failed 1 of 3 repetitions; last: exited with 1"
    );
}

const CHAINS: &str = r#"
[suite.a1]
command = "true"
[suite.a2]
command = "true"
needs = ["a1"]
[suite.b]
command = "true"
[suite.c]
command = "true"
[suite.d]
command = "true"
[suite.e1]
command = "true"
[suite.e2]
command = "true"
needs = ["e1"]
"#;

fn list_ids(ws: &Workspace, args: &[&str]) -> Vec<String> {
    let mut full = vec!["suite", "list", "--json"];
    full.extend_from_slice(args);
    let out = ws.lab(&full);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.json()["suites"]
        .as_array()
        .expect("suites")
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_string())
        .collect()
}

#[test]
fn shards_are_disjoint_cover_the_selection_and_keep_needs_together() {
    let ws = Workspace::with(&[("suites.toml", CHAINS)]);
    let shards: Vec<Vec<String>> = (1..=3)
        .map(|k| list_ids(&ws, &[&format!("--shard={k}/3")]))
        .collect();
    let mut union: Vec<String> = shards.iter().flatten().cloned().collect();
    union.sort();
    assert_eq!(
        union,
        list_ids(&ws, &["--all"]),
        "disjoint and complete: {shards:?}"
    );
    let shard_of = |id: &str| {
        shards
            .iter()
            .position(|s| s.iter().any(|x| x == id))
            .expect("placed")
    };
    assert_eq!(shard_of("suite.a1"), shard_of("suite.a2"));
    assert_eq!(shard_of("suite.e1"), shard_of("suite.e2"));
    // The matrix says the same.
    let out = ws.lab(&["suite", "list", "--json", "--shards", "3"]);
    let matrix = &out.json()["matrix"];
    for (k, shard) in shards.iter().enumerate() {
        assert_eq!(matrix[k]["shard"], format!("{}/3", k + 1));
        assert_eq!(&matrix[k]["suites"], &serde_json::json!(shard));
    }
}

#[test]
fn merge_joins_shard_runs_into_one_summary() {
    let ws = Workspace::with(&[(
        "suites.toml",
        &CHAINS.replace(
            "[suite.d]\ncommand = \"true\"",
            "[suite.d]\ncommand = \"exit 1\"",
        ),
    )]);
    let first = ws
        .lab(&["verify", "--all", "--shard", "1/2", "--json"])
        .json();
    let second = ws
        .lab(&["verify", "--all", "--shard", "2/2", "--json"])
        .json();
    let n1 = first["suites"].as_array().map(Vec::len).expect("n");
    let n2 = second["suites"].as_array().map(Vec::len).expect("n");
    assert_eq!(n1 + n2, 7);
    let (a, b) = (
        first["run_id"].as_str().expect("id"),
        second["run_id"].as_str().expect("id"),
    );
    let out = ws.lab(&["runs", "merge", a, b, "--json"]);
    assert_eq!(out.code, 1, "one shard failed: {}", out.stderr);
    let merged = out.json();
    assert_valid("summary", &merged);
    assert_eq!(merged["counts"]["selected"], 7);
    assert_eq!(merged["counts"]["failed"], 1);
    assert_eq!(merged["counts"]["passed"], 6);
    assert_eq!(merged["status"], "failed");
    assert_eq!(merged["first_failure"]["suite"], "suite.d");
    assert_eq!(merged["reproduce"], "lab verify suite.d");
    assert_eq!(merged["command_id"], "cmd.runs.merge");
    // Log paths still lead to the shard's files.
    let runs = ws.path().join("target/lab/runs");
    let d = suite(&merged, "suite.d");
    let log = runs
        .join(merged["run_id"].as_str().expect("id"))
        .join(d["stderr"].as_str().expect("stderr"));
    assert!(log.is_file(), "{}", log.display());
    assert_valid("manifest", &ws.run_json("manifest.json"));
}

#[test]
fn stream_prefixes_every_line_and_never_interleaves_concurrent_suites() {
    // Two suites print 200 long lines each at the same time.
    let line = "x".repeat(300);
    let ws = Workspace::with(&[(
        "suites.toml",
        &format!(
            "[suite.one]\ncommand = \"for i in $(seq 200); do echo one-$i-{line}; done\"\ntags = [\"s\"]\n\n[suite.two]\ncommand = \"for i in $(seq 200); do echo two-$i-{line} >&2; done\"\ntags = [\"s\"]\n"
        ),
    )]);
    let out = ws.lab(&["verify", "--tag", "s", "--jobs", "2", "--stream"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let streamed: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("[suite."))
        .collect();
    assert_eq!(streamed.len(), 400, "every line, once");
    for l in &streamed {
        let ok = (l.starts_with("[suite.one stdout] one-")
            || l.starts_with("[suite.two stderr] two-"))
            && l.ends_with(&line);
        assert!(ok, "a torn or mis-prefixed line: {l}");
    }
}
