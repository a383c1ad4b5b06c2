//! Scheduling with real processes: `--jobs` limits, weights, exclusive
//! suites, host requirements, `--repeat`, shards and merging shard runs.
//!
//! Concurrency is judged with files, never clocks. A suite takes a slot
//! (`mkdir`, which is atomic) and fails when none is free, so more suites
//! at once than allowed cannot pass; suites wait at a barrier for each
//! other, so fewer at once than expected cannot pass either (the wait gives
//! up after a minute: a bound on a hang, not a verdict).

use crate::harness::{Workspace, assert_valid, ids, sh_wait, suite};

/// A suite tagged `x` (and `tags`) for the concurrency tests, run in `w/`.
///
/// It takes one of `$SLOTS` slots (`../slots/<n>`), or every slot when
/// `alone`, and fails if it cannot. With `$MEET` set, it then waits until
/// `$MEET` suites have arrived (`../arrived/`). It holds its slots a moment
/// (so an overlap, if lab allowed one, has time to show) and frees them.
fn slotted(id: &str, tags: &str, alone: bool, extra: &str) -> String {
    let (take, free) = if alone {
        (
            r#"for n in $(seq $SLOTS); do mkdir ../slots/$n 2>/dev/null || { echo "slot $n is taken: not alone" >&2; exit 1; }; done"#,
            "for n in $(seq $SLOTS); do rmdir ../slots/$n; done",
        )
    } else {
        (
            r#"mine=; for n in $(seq $SLOTS); do if mkdir ../slots/$n 2>/dev/null; then mine=$n; break; fi; done; [ -n "$mine" ] || { echo "no free slot: more than $SLOTS suites at once" >&2; exit 1; }"#,
            "rmdir ../slots/$mine",
        )
    };
    let meet = sh_wait("[ $(ls ../arrived | wc -l) -ge $MEET ]");
    format!(
        r#"[suite.{id}]
cwd = "w"
tags = ["x"{tags}]
{extra}
command = '''
{take}
touch ../arrived/$LAB_SUITE_ID
if [ -n "$MEET" ]; then {meet}; fi
sleep 0.1
{free}
'''

"#
    )
}

/// Six plain suites (`a`…`f`, also tagged `plain`), one of weight 3
/// (`heavy`) and one exclusive (`alone`).
fn slotted_registry() -> Workspace {
    let mut registry = String::new();
    for id in ["a", "b", "c", "d", "e", "f"] {
        registry.push_str(&slotted(id, ", \"plain\"", false, ""));
    }
    registry.push_str(&slotted("heavy", "", true, "weight = 3"));
    registry.push_str(&slotted("alone", "", true, "exclusive = true"));
    Workspace::with(&[
        ("suites.toml", &registry),
        ("w/.keep", ""),
        ("slots/.keep", ""),
        ("arrived/.keep", ""),
    ])
}

/// `lab verify --tag <tag> --jobs <jobs> --json` with `$SLOTS` = jobs and
/// `$MEET` = `meet` (when set); every suite must pass. Clears the barrier
/// first, so runs in one workspace do not see each other's arrivals.
#[track_caller]
fn verify_slotted(ws: &Workspace, tag: &str, jobs: u32, meet: Option<u32>, passed: u32) {
    let arrived = ws.path().join("arrived");
    std::fs::remove_dir_all(&arrived).expect("clear arrived/");
    std::fs::create_dir(&arrived).expect("create arrived/");
    let jobs = jobs.to_string();
    let mut cmd = ws
        .cmd(&["verify", "--tag", tag, "--jobs", &jobs, "--json"])
        .env("SLOTS", &jobs)
        .stdout_schema("summary")
        .stderr_contains(&format!("\npassed: {passed} passed in [TIME]\n"));
    if let Some(meet) = meet {
        cmd = cmd.env("MEET", meet.to_string());
    }
    cmd.run();
}

#[test]
fn as_many_suites_run_at_once_as_jobs_allow_and_never_more() {
    let ws = slotted_registry();
    // Six plain suites: three at once (they meet), never a fourth.
    verify_slotted(&ws, "plain", 3, Some(3), 6);
    verify_slotted(&ws, "plain", 2, Some(2), 6);
    // One job: one suite at a time.
    verify_slotted(&ws, "plain", 1, None, 6);
}

#[test]
fn a_suite_weighing_every_slot_and_an_exclusive_suite_run_alone() {
    let ws = slotted_registry();
    // No barrier here: an exclusive suite waits for the running ones to
    // drain, so plain suites waiting for each other could stall it.
    verify_slotted(&ws, "x", 3, None, 8);
    verify_slotted(&ws, "x", 2, None, 8);
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
    let s = ws
        .cmd(&["verify", "--all", "--jobs", "4", "--json"])
        .status(1)
        .stderr_contains("  BLOCK  suite.child  [TIME]  needs suite.root, which failed\n")
        .stderr_contains("  BLOCK  suite.grandchild  [TIME]  needs suite.child, which blocked\n")
        .stderr_contains("  PASS   suite.other  [TIME]\n")
        .run_json();
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
    let s = ws
        .cmd(&["verify", "--all", "--jobs", "4", "--json"])
        .status(78)
        .stderr_contains(
            "  BLOCK  suite.os-unmet  [TIME]  requires os:windows, but this host runs linux\n",
        )
        .run_json();
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
    ws.cmd(&["verify", "display-unmet", "--json"])
        .env("DISPLAY", ":99")
        .stdout_schema("summary")
        .stderr_contains("  PASS   suite.display-unmet  [TIME]\n")
        .run();
}

#[test]
fn repeat_hunts_intermittent_failures() {
    let ws = Workspace::with(&[(
        "suites.toml",
        "[suite.third]\ncommand = \"n=$(cat n 2>/dev/null || echo 0); n=$((n+1)); echo $n > n; [ $n -ne 2 ]\"\n",
    )]);
    let s = ws
        .cmd(&["verify", "third", "--repeat", "3", "--json"])
        .status(1)
        .stderr_contains(
            "  FAIL   suite.third  [TIME]  failed 1 of 3 repetitions; last: exited with 1\n",
        )
        .run_json();
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

/// The ids `lab suite list --json args…` selects.
#[track_caller]
fn list_ids(ws: &Workspace, args: &[&str]) -> Vec<String> {
    let mut full = vec!["suite", "list", "--json"];
    full.extend_from_slice(args);
    ids(&ws.cmd(&full).run_json())
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
    let doc = ws
        .cmd(&["suite", "list", "--json", "--shards", "3"])
        .run_json();
    let matrix = &doc["matrix"];
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
    // Each shard runs exactly the suites `suite list` puts in it (shard
    // runs leave the cut alone); the shard holding suite.d fails.
    let mut runs = Vec::new();
    let mut ran = Vec::new();
    for k in ["1/2", "2/2"] {
        let mut shard = list_ids(&ws, &["--all", "--shard", k]);
        let fails = shard.iter().any(|id| id == "suite.d");
        let summary = ws
            .cmd(&["verify", "--all", "--shard", k, "--json"])
            .status(if fails { 1 } else { 0 })
            .stderr_contains(if fails { "\nfailed: " } else { "\npassed: " })
            .run_json();
        let mut done = ids(&summary);
        done.sort();
        shard.sort();
        assert_eq!(done, shard, "shard {k}");
        ran.extend(done);
        runs.push(summary["run_id"].as_str().expect("run id").to_string());
    }
    ran.sort();
    assert_eq!(
        ran,
        list_ids(&ws, &["--all"]),
        "the shards ran everything once"
    );
    let shard_runs = ws.path().join("target/lab/runs");
    let merged = ws
        .cmd(&["runs", "merge", &runs[0], &runs[1], "--json"])
        .status(1)
        .stderr(&format!(
            "failed: 6 passed, 1 failed (from 2 runs)\nrun: {}/[RUN]\nreproduce: lab verify suite.d\n",
            shard_runs.display()
        ))
        .run_json();
    assert_valid("summary", &merged);
    assert_eq!(merged["counts"]["selected"], 7);
    assert_eq!(merged["counts"]["failed"], 1);
    assert_eq!(merged["counts"]["passed"], 6);
    assert_eq!(merged["status"], "failed");
    assert_eq!(merged["first_failure"]["suite"], "suite.d");
    assert_eq!(merged["reproduce"], "lab verify suite.d");
    assert_eq!(merged["command_id"], "cmd.runs.merge");
    // Log paths still lead to the shard's files.
    let d = suite(&merged, "suite.d");
    let log = shard_runs
        .join(merged["run_id"].as_str().expect("id"))
        .join(d["stderr"].as_str().expect("stderr"));
    assert!(log.is_file(), "{}", log.display());
    assert_valid("manifest", &ws.run_json("manifest.json"));
}

#[test]
fn stream_prefixes_every_line_and_never_interleaves_concurrent_suites() {
    // Two suites print 200 long lines each at the same time: each waits
    // until both have started before it prints.
    let line = "x".repeat(300);
    let both = sh_wait("[ -e one.started ] && [ -e two.started ]");
    let ws = Workspace::with(&[(
        "suites.toml",
        &format!(
            "[suite.one]\ncommand = \'\'\'touch one.started; {both}; for i in $(seq 200); do echo one-$i-{line}; done\'\'\'\ntags = [\"s\"]\n\n[suite.two]\ncommand = \'\'\'touch two.started; {both}; for i in $(seq 200); do echo two-$i-{line} >&2; done\'\'\'\ntags = [\"s\"]\n"
        ),
    )]);
    let out = ws
        .cmd(&["verify", "--tag", "s", "--jobs", "2", "--stream"])
        .stderr_contains("\npassed: 2 passed in [TIME]\n")
        .run();
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
