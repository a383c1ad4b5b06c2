//! `lab verify` against real processes: exit statuses, timeouts, leaks,
//! artifacts, secrets, output caps, fixtures, runners, JUnit, signals and
//! concurrent runs. Misbehaviour is staged with plain `sh` suites.

use std::path::Path;

use crate::harness::{Workspace, alive, assert_valid, eventually, read_json, sh_wait, suite};

/// Every file under `dir` (not directories or links), relative, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).expect("metadata");
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() {
                let rel = path.strip_prefix(dir).expect("under dir");
                out.push(rel.display().to_string());
            }
        }
    }
    out.sort();
    out
}

/// The pid a suite wrote to `file` in the workspace.
fn pid_in(ws: &Workspace, file: &str) -> u32 {
    std::fs::read_to_string(ws.path().join(file))
        .unwrap_or_else(|e| panic!("read {file}: {e}"))
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{file} holds no pid: {e}"))
}

#[test]
fn exit_codes_map_to_statuses_and_lab_exits_accordingly() {
    let ws = Workspace::with(&[(
        "suites.toml",
        r#"
[suite.pass]
command = "echo fine"
tags = ["all", "pass", "skip-and-pass"]

[suite.fail]
command = "echo 'error: it broke' >&2; exit 1"
tags = ["all"]

[suite.skip]
command = "echo 'no display here' >&2; exit 77"
tags = ["all", "skip", "skip-and-pass"]

[suite.block]
command = "exit 78"
tags = ["all", "block"]

[suite.signal]
command = "kill -SEGV $$"
tags = ["all"]
"#,
    )]);
    // A fresh workspace and one job: suites run and report in id order.
    let summary = ws
        .cmd(&["verify", "--tag", "all", "--json"])
        .status(1)
        .stderr(
            "\
lab: 5 suites selected → target/lab/runs/[RUN]
  BLOCK  suite.block  [TIME]  exited 78 (blocked)
        logs: target/lab/runs/[RUN]/suites/suite.block/stderr.log
  FAIL   suite.fail  [TIME]  exited with 1
        | error: it broke
        logs: target/lab/runs/[RUN]/suites/suite.fail/stderr.log
  PASS   suite.pass  [TIME]
  FAIL   suite.signal  [TIME]  was killed by SIGSEGV
        logs: target/lab/runs/[RUN]/suites/suite.signal/stderr.log
  SKIP   suite.skip  [TIME]  exited 77 (skipped): no display here
failed: 1 passed, 2 failed, 1 skipped, 1 blocked in [TIME]
run: target/lab/runs/[RUN]
reproduce: lab verify suite.block suite.fail suite.signal
report: target/lab/runs/[RUN]/report.html
",
        )
        .run_json();
    assert_valid("summary", &summary);
    assert_valid("manifest", &ws.run_json("manifest.json"));
    assert_eq!(summary["status"], "failed");
    assert_eq!(
        summary["counts"],
        serde_json::json!({"selected": 5, "passed": 1, "failed": 2, "skipped": 1, "blocked": 1, "flaky": 0})
    );
    assert_eq!(suite(&summary, "suite.pass")["status"], "passed");
    let fail = suite(&summary, "suite.fail");
    assert_eq!(fail["status"], "failed");
    assert_eq!(fail["exit_code"], 1);
    assert_eq!(fail["step"], "command");
    assert_eq!(fail["excerpt"], serde_json::json!(["error: it broke"]));
    let skip = suite(&summary, "suite.skip");
    assert_eq!(skip["status"], "skipped");
    assert_eq!(skip["reason"], "exited 77 (skipped): no display here");
    assert_eq!(suite(&summary, "suite.block")["status"], "blocked");
    let signal = suite(&summary, "suite.signal");
    assert_eq!(signal["status"], "failed");
    assert_eq!(signal["signal"], 11);
    assert_eq!(signal["reason"], "was killed by SIGSEGV");
    // Suites run in id order here (no needs): block, fail, pass, signal, skip.
    assert_eq!(summary["first_failure"]["suite"], "suite.block");
    assert_eq!(summary["first_failure"]["step"], "command");
    assert_eq!(
        summary["reproduce"],
        "lab verify suite.block suite.fail suite.signal"
    );
    // The file on disk is the document printed.
    assert_eq!(ws.run_json("summary.json"), summary);

    ws.cmd(&["verify", "--tag", "pass"])
        .stderr_contains("  PASS   suite.pass  [TIME]\npassed: 1 passed in [TIME]\n")
        .run();
    ws.cmd(&["verify", "--tag", "skip"])
        .status(77)
        .stderr_contains("\nskipped: 0 passed, 1 skipped in [TIME]\n")
        .run();
    ws.cmd(&["verify", "--tag", "block"])
        .status(78)
        .stderr_contains("\nblocked: 0 passed, 1 blocked in [TIME]\n")
        .run();
    // History now orders these two longest-first, so only the closing line.
    ws.cmd(&["verify", "--tag", "skip-and-pass"])
        .stderr_contains("\npassed: 1 passed, 1 skipped in [TIME]\n")
        .run();
    ws.cmd(&["verify"])
        .status(2)
        .stderr_contains("error: verify needs a selection\n")
        .run();
}

#[test]
fn timeout_kills_the_whole_group_including_grandchildren() {
    let ws = Workspace::with(&[(
        "suites.toml",
        r#"
[suite.slow]
command = "sleep 60 & echo $! > grandchild.pid; sleep 60"
timeout = "1s"
"#,
    )]);
    // The suite writes the grandchild's pid itself, right after forking it:
    // nothing waits for the grandchild to be scheduled within the second.
    let s = ws
        .cmd(&["verify", "slow", "--json"])
        .status(1)
        .stderr_contains("  FAIL   suite.slow  [TIME]  timed out after 1.0s\n")
        .run_json();
    let slow = suite(&s, "suite.slow");
    assert_eq!(slow["timed_out"], true);
    assert_eq!(slow["reason"], "timed out after 1.0s");
    let pid = pid_in(&ws, "grandchild.pid");
    assert!(!alive(pid), "grandchild {pid} outlived the timeout");
}

#[test]
fn daemonized_processes_are_killed_and_reported_as_leaked() {
    // The suite ends only once the daemon has written its pid and become
    // `sleep 300`, so lab finds it in that state whatever the machine's load.
    let ready = sh_wait(
        r#"[ -s daemon.pid ] && [ "$(tr '\0' ' ' < /proc/$(cat daemon.pid)/cmdline 2>/dev/null)" = 'sleep 300 ' ]"#,
    );
    let ws = Workspace::with(&[(
        "suites.toml",
        &format!(
            r#"
[suite.daemon]
command = '''
setsid sh -c 'echo $$ > daemon.pid; exec sleep 300' > /dev/null 2>&1 < /dev/null &
{ready}
echo started
'''
"#
        ),
    )]);
    ws.cmd(&["verify", "daemon"])
        .stderr_contains("  PASS   suite.daemon  [TIME]\npassed: 1 passed in [TIME]\n")
        .run();
    let pid = pid_in(&ws, "daemon.pid");
    assert!(!alive(pid), "daemon {pid} outlived lab");
    let manifest = ws.run_json("manifest.json");
    let leaked = &manifest["suites"][0]["leaked"];
    assert_eq!(leaked[0]["pid"], pid, "{manifest:#}");
    assert_eq!(leaked[0]["command"], "sleep 300");
    let events = std::fs::read_to_string(ws.latest_run().join("lab.log.jsonl")).expect("events");
    assert!(
        events.contains("\"event\":\"processes_leaked\""),
        "{events}"
    );
}

/// A descendant that drops lab's tag (`setsid env -i`) is still the run's
/// (issue 18 item 7): reparented to lab, it is killed and recorded — with
/// one job under the suite it came from; with two, under a suite that was
/// running when it started, never while such a suite still runs.
#[test]
fn untagged_escapees_are_found_killed_and_recorded() {
    let ready = sh_wait(
        r#"[ -s escapee.pid ] && [ "$(tr '\0' ' ' < /proc/$(cat escapee.pid)/cmdline 2>/dev/null)" = 'sleep 120 ' ]"#,
    );
    let registry = format!(
        r#"
[suite.a]
command = '''
setsid env -i sh -c 'echo $$ > escapee.pid; exec sleep 120' > /dev/null 2>&1 < /dev/null &
{ready}
'''

[suite.b]
command = '''
for i in $(seq 100); do [ -s escapee.pid ] && break; sleep 0.1; done
sleep 0.5
'''
"#
    );
    for jobs in ["1", "2"] {
        let ws = Workspace::with(&[("suites.toml", &registry)]);
        ws.cmd(&["verify", "a", "b", "--jobs", jobs])
            .stderr_any()
            .run();
        let pid = pid_in(&ws, "escapee.pid");
        assert!(!alive(pid), "jobs {jobs}: escapee {pid} outlived lab");
        let manifest = ws.run_json("manifest.json");
        let holders: Vec<&str> = manifest["suites"]
            .as_array()
            .expect("suites")
            .iter()
            .filter(|s| {
                s["leaked"]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|p| p["pid"] == pid))
            })
            .map(|s| s["id"].as_str().unwrap_or_default())
            .collect();
        if jobs == "1" {
            assert_eq!(holders, ["suite.a"], "{manifest:#}");
        } else {
            assert_eq!(holders.len(), 1, "{manifest:#}");
        }
    }
}

#[test]
fn artifact_markers_are_kept_only_inside_the_run_directory() {
    let ws = Workspace::with(&[(
        "suites.toml",
        r#"
[suite.markers]
command = """
mkdir -p "$LAB_ARTIFACT_DIR/shots" "$LAB_SUITE_DIR/tmp/secrets" outside
echo png > "$LAB_ARTIFACT_DIR/shots/home.png"
echo trace > "$LAB_SUITE_DIR/tmp/trace.zip"
echo x > outside/escape.txt
echo key > "$LAB_SUITE_DIR/tmp/secrets/key.txt"
ln -s "$PWD/outside/escape.txt" "$LAB_SUITE_DIR/tmp/link.txt"
echo "LAB_ARTIFACT_PATH=$LAB_ARTIFACT_DIR/shots/home.png"
echo "LAB_ARTIFACT_PATH=$LAB_SUITE_DIR/tmp/trace.zip" >&2
echo "LAB_ARTIFACT_PATH=outside/escape.txt"
echo "LAB_ARTIFACT_PATH=$LAB_SUITE_DIR/tmp/link.txt"
echo "LAB_ARTIFACT_PATH=$LAB_SUITE_DIR/tmp/secrets/key.txt"
echo "LAB_ARTIFACT_PATH=$LAB_SUITE_DIR/tmp/missing.txt"
"""
"#,
    )]);
    let s = ws
        .cmd(&["verify", "markers", "--json"])
        .stderr_contains("  PASS   suite.markers  [TIME]\npassed: 1 passed in [TIME]\n")
        .run_json();
    let artifacts = &suite(&s, "suite.markers")["artifacts"];
    let paths: Vec<&str> = artifacts
        .as_array()
        .expect("artifacts")
        .iter()
        .map(|a| a["path"].as_str().expect("path"))
        .collect();
    assert_eq!(
        paths,
        [
            "suites/suite.markers/artifacts/shots/home.png",
            "suites/suite.markers/artifacts/trace.zip"
        ]
    );
    assert_eq!(artifacts[0]["kind"], "screenshot");
    assert_eq!(artifacts[1]["kind"], "trace");
    assert_eq!(artifacts[1]["source"], "marker");
    assert!(
        ws.latest_run().join(paths[1]).is_file(),
        "marker artifact copied"
    );
    assert_eq!(s["links"]["screenshots"], serde_json::json!([paths[0]]));
    assert_eq!(s["links"]["traces"], serde_json::json!([paths[1]]));
    let events = std::fs::read_to_string(ws.latest_run().join("lab.log.jsonl")).expect("events");
    let ignored: Vec<serde_json::Value> = events
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("jsonl"))
        .filter(|e| e["event"] == "artifact_ignored")
        .collect();
    let reasons: Vec<&str> = ignored
        .iter()
        .map(|e| e["reason"].as_str().expect("reason"))
        .collect();
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert!(
        reasons[0].contains("outside the run directory"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains("outside the run directory"),
        "symlink escape: {reasons:?}"
    );
    assert!(
        reasons[2].contains("looks like a secret: the word `secrets`"),
        "{reasons:?}"
    );
    assert!(reasons[3].contains("does not exist"), "{reasons:?}");
}

#[test]
fn secrets_never_reach_any_file_of_the_run() {
    let secret = "pa55-w0rd-for-the-db";
    let ws = Workspace::with(&[
        (
            "suites.toml",
            r#"
[suite.leaky]
profile = "profile.with-secret"
command = """
echo "whole: $DB_PASSWORD"
printf 'split: pa55-w0'; sleep 0.2; printf 'rd-for-the-db\n'
echo "stderr: $DB_PASSWORD" >&2
cat "$LAB_STATE_SECRETS/DB_PASSWORD"; echo
echo "error: $DB_PASSWORD failed" >&2
exit 1
"""
"#,
        ),
        (
            "profiles/p.toml",
            "[profile.with-secret]\nsecrets = [\"DB_PASSWORD\"]\n",
        ),
    ]);
    let out = ws
        .cmd(&["verify", "leaky", "--json"])
        .env("DB_PASSWORD", secret)
        .status(1)
        .stdout_json()
        .stderr_contains(
            "  FAIL   suite.leaky  [TIME]  exited with 1\n        | error: [REDACTED] failed\n",
        )
        .run();
    assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret));
    let run = ws.latest_run();
    let files = files_under(&run);
    // Exactly the files a failed run writes, so the scan below covers each.
    assert_eq!(
        files,
        [
            "lab.log.jsonl",
            "manifest.json",
            "report.html",
            "suites/suite.leaky/stderr.log",
            "suites/suite.leaky/stdout.log",
            "summary.json",
        ]
    );
    for file in &files {
        let bytes = std::fs::read(run.join(file)).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(secret), "{file} holds the secret:\n{text}");
    }
    let stdout =
        std::fs::read_to_string(run.join("suites/suite.leaky/stdout.log")).expect("stdout");
    assert_eq!(stdout, "whole: [REDACTED]\nsplit: [REDACTED]\n[REDACTED]\n");
    let manifest = ws.run_json("manifest.json");
    assert_eq!(manifest["suites"][0]["env"]["DB_PASSWORD"], "[REDACTED]");
    assert_eq!(manifest["env"]["DB_PASSWORD"], "[REDACTED]");
    // state.secrets is emptied when the suite ends, whatever the policy.
    let secrets_dir = run.join("suites/suite.leaky/state.secrets");
    assert_eq!(std::fs::read_dir(&secrets_dir).expect("dir").count(), 0);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&secrets_dir)
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
}

#[test]
fn huge_output_is_capped_with_head_tail_and_marker() {
    let ws = Workspace::with(&[(
        "suites.toml",
        r#"
[lab]
max_log_bytes = "1MiB"

[suite.chatty]
command = "echo FIRST-LINE; head -c 200000000 /dev/zero | tr '\\0' 'x'; echo; echo LAST-LINE"
"#,
    )]);
    ws.cmd(&["verify", "chatty"])
        .stderr_contains("  PASS   suite.chatty  [TIME]\npassed: 1 passed in [TIME]\n")
        .run();
    let log = std::fs::read_to_string(ws.latest_run().join("suites/suite.chatty/stdout.log"))
        .expect("log");
    assert!(log.len() < 1024 * 1024 + 200, "log is {} bytes", log.len());
    assert!(log.starts_with("FIRST-LINE\nxxxx"));
    assert!(log.ends_with("xxxx\nLAST-LINE\n"));
    let dropped = 200_000_000 + 22 - (1024 * 1024);
    assert!(
        log.contains(&format!("[lab: {dropped} bytes of output dropped here; the first 524288 and the last 524288 bytes are kept]")),
        "marker missing"
    );
}

#[test]
fn failing_fixture_setup_blocks_the_suite_with_its_step() {
    let ws = Workspace::with(&[
        (
            "suites.toml",
            "[suite.needs-db]\nfixture = \"db\"\ncommand = \"touch ran\"\n",
        ),
        (
            "fixtures/db.toml",
            "[fixture.db]\ncopy = [{ from = \"fixtures/data\", to = \"data/db\" }]\nsetup = \"test -f \\\"$LAB_STATE_DATA/db/seed.sql\\\" && echo 'cannot load seed' >&2 && exit 3\"\n",
        ),
        ("fixtures/data/seed.sql", "insert 1;"),
    ]);
    let summary = ws
        .cmd(&["verify", "needs-db", "--json"])
        .status(78)
        .stderr_contains(
            "  BLOCK  suite.needs-db  [TIME]  fixture fixture.db setup exited with 3\n        | cannot load seed\n        logs: target/lab/runs/[RUN]/suites/suite.needs-db/fixture.fixture.db.setup.stderr.log\nblocked: 0 passed, 1 blocked in [TIME]\n",
        )
        .run_json();
    let s = suite(&summary, "suite.needs-db");
    assert_eq!(s["status"], "blocked");
    assert_eq!(s["step"], "fixture:fixture.db:setup");
    assert_eq!(s["reason"], "fixture fixture.db setup exited with 3");
    assert_eq!(s["excerpt"], serde_json::json!(["cannot load seed"]));
    assert!(
        !ws.path().join("ran").exists(),
        "the command ran after a failed setup"
    );
}

#[test]
fn missing_runner_program_blocks_before_anything_starts() {
    let ws = Workspace::with(&[
        (
            "suites.toml",
            "[suite.t]\nrunners = [\"tool\"]\nrequires = [\"cmd:sh\"]\n",
        ),
        (
            "runners/tool.toml",
            "[runner.tool]\nprogram = \"no-such-tool-xyz\"\ncommand = \"touch ran\"\n",
        ),
    ]);
    let summary = ws
        .cmd(&["verify", "t", "--json"])
        .status(78)
        .stderr_contains(
            "  BLOCK  suite.t  [TIME]  runner.tool: program `no-such-tool-xyz` not found on PATH\n",
        )
        .run_json();
    let s = suite(&summary, "suite.t");
    assert_eq!(s["step"], "requires");
    assert_eq!(
        s["reason"],
        "runner.tool: program `no-such-tool-xyz` not found on PATH"
    );
    assert!(!ws.path().join("ran").exists());
    assert!(
        !ws.latest_run().join("suites/suite.t").exists(),
        "no suite directory for a suite that cannot run"
    );

    ws.write(
        "suites.toml",
        "[suite.t]\ncommand = \"touch ran\"\nrequires = [\"env:NO_SUCH_VAR_XYZ\"]\n",
    );
    let summary = ws
        .cmd(&["verify", "t", "--json"])
        .status(78)
        .stderr_contains(
            "  BLOCK  suite.t  [TIME]  requires env:NO_SUCH_VAR_XYZ, but NO_SUCH_VAR_XYZ is not set\n",
        )
        .run_json();
    assert_eq!(
        suite(&summary, "suite.t")["reason"],
        "requires env:NO_SUCH_VAR_XYZ, but NO_SUCH_VAR_XYZ is not set"
    );
    assert!(!ws.path().join("ran").exists());
}

#[test]
fn a_failed_need_blocks_and_fail_fast_stops_the_rest() {
    let ws = Workspace::with(&[(
        "suites.toml",
        r#"
[suite.a]
command = "exit 1"
tags = ["x"]

[suite.b]
command = "touch b-ran"
needs = ["a"]
tags = ["x"]

[suite.c]
command = "touch c-ran"
tags = ["x"]
"#,
    )]);
    let s = ws
        .cmd(&["verify", "--tag", "x", "--json"])
        .status(1)
        .stderr_contains("  BLOCK  suite.b  [TIME]  needs suite.a, which failed\n")
        .stderr_contains("\nfailed: 1 passed, 1 failed, 1 blocked in [TIME]\n")
        .run_json();
    assert_eq!(
        suite(&s, "suite.b")["reason"],
        "needs suite.a, which failed"
    );
    assert!(!ws.path().join("b-ran").exists());
    assert!(ws.path().join("c-ran").exists());
    // A fresh workspace: no history, so suites start in planned order (a
    // first); with history the longest-expected suite would go first.
    std::fs::remove_file(ws.path().join("c-ran")).expect("rm");
    std::fs::remove_dir_all(ws.path().join("target")).expect("rm runs");
    let s = ws
        .cmd(&["verify", "--tag", "x", "--fail-fast", "--json"])
        .status(1)
        .stderr_contains("  BLOCK  suite.c  [TIME]  fail-fast: an earlier suite failed\n")
        .run_json();
    assert_eq!(suite(&s, "suite.c")["status"], "blocked");
    assert_eq!(suite(&s, "suite.c")["step"], "fail-fast");
    assert!(!ws.path().join("c-ran").exists());
}

#[test]
fn a_pass_after_a_failure_is_flaky() {
    let ws = Workspace::with(&[(
        "suites.toml",
        "[suite.flaky]\ncommand = \"if [ -f once ]; then exit 0; else touch once; exit 1; fi\"\nretries = 2\n",
    )]);
    // Flaky counts as passing.
    let s = ws
        .cmd(&["verify", "flaky", "--json"])
        .stderr_contains("  FLAKY  suite.flaky  [TIME]  passed after failing (2 attempts)\n")
        .stderr_contains("\npassed: 0 passed, 1 flaky in [TIME]\n")
        .run_json();
    let f = suite(&s, "suite.flaky");
    assert_eq!(f["status"], "flaky");
    let attempts: Vec<&str> = f["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| a["status"].as_str().expect("s"))
        .collect();
    assert_eq!(attempts, ["failed", "passed"]);
    assert_eq!(s["counts"]["flaky"], 1);
    assert!(
        ws.latest_run()
            .join("suites/suite.flaky/stdout.attempt-1.log")
            .exists()
    );
}

#[test]
fn sigkill_of_lab_leaves_a_valid_summary_of_finished_suites() {
    let ws = Workspace::with(&[(
        "suites.toml",
        "[suite.a-quick]\ncommand = \"true\"\ntags = [\"x\"]\n\n[suite.b-slow]\ncommand = \"echo $$ > slow.pid; touch started; exec sleep 60\"\ntags = [\"x\"]\n",
    )]);
    let mut child = ws.spawn(&["verify", "--tag", "x"]);
    assert!(
        eventually(20, || ws.path().join("started").exists()),
        "slow suite never started"
    );
    // While lab holds the run it is running, never passed.
    let listed = ws.cmd(&["runs", "list"]).stdout_any().run().stdout;
    assert!(listed.contains(" running "), "{listed}");
    assert_eq!(ws.run_json("summary.json")["status"], "running");
    child.kill().expect("SIGKILL lab");
    let _ = child.wait();
    let summary = ws.run_json("summary.json");
    assert_valid("summary", &summary);
    // Only passing suites had finished: the file still does not say passed,
    // and readers see that no lab holds the run any more.
    assert_eq!(summary["status"], "running");
    let listed = ws.cmd(&["runs", "list"]).stdout_any().run().stdout;
    assert!(listed.contains(" incomplete "), "{listed}");
    let shown = ws
        .cmd(&["runs", "show", "latest", "--json"])
        .stdout_json()
        .run();
    assert_eq!(shown.json()["status"], "incomplete");
    assert_eq!(summary["finished_at"], serde_json::Value::Null);
    assert_eq!(summary["suites"].as_array().map(Vec::len), Some(1));
    assert_eq!(suite(&summary, "suite.a-quick")["status"], "passed");
    assert_eq!(summary["pending"], serde_json::json!(["suite.b-slow"]));
    assert_valid("manifest", &ws.run_json("manifest.json"));
    // Not lab's to clean up after SIGKILL, but the test must not leak either.
    let pid: i32 = std::fs::read_to_string(ws.path().join("slow.pid"))
        .expect("pid")
        .trim()
        .parse()
        .expect("pid");
    if let Some(pid) = rustix::process::Pid::from_raw(pid) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
    }
    // A run that can no longer finish can be pruned.
    let killed = ws.latest_run();
    ws.cmd(&["verify", "a-quick"]).stderr_any().run();
    ws.cmd(&["runs", "prune", "--keep", "1"])
        .stderr_any()
        .stdout_any()
        .run();
    assert!(!killed.exists(), "the incomplete run was pruned");
}

#[test]
fn ctrl_c_stops_every_suite_and_exits_130() {
    let ws = Workspace::with(&[(
        "suites.toml",
        "[suite.a]\ncommand = \"echo $$ > a.pid; touch started; sleep 60\"\ntags = [\"x\"]\n\n[suite.b]\ncommand = \"touch b-ran\"\ntags = [\"x\"]\n",
    )]);
    let child = ws.spawn(&["verify", "--tag", "x"]);
    assert!(eventually(20, || ws.path().join("started").exists()));
    let lab_pid = rustix::process::Pid::from_raw(child.id() as i32).expect("pid");
    rustix::process::kill_process(lab_pid, rustix::process::Signal::INT).expect("SIGINT");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pid: u32 = std::fs::read_to_string(ws.path().join("a.pid"))
        .expect("pid")
        .trim()
        .parse()
        .expect("pid");
    assert!(!alive(pid), "suite process survived Ctrl-C");
    assert!(
        !ws.path().join("b-ran").exists(),
        "a suite started after Ctrl-C"
    );
    let summary = ws.run_json("summary.json");
    assert_valid("summary", &summary);
    assert_eq!(summary["interrupted"], true);
    assert_eq!(
        suite(&summary, "suite.a")["reason"],
        "interrupted by SIGINT"
    );
    assert_eq!(summary["pending"], serde_json::json!(["suite.b"]));
}

#[test]
fn concurrent_runs_get_distinct_valid_directories() {
    // Each run's suite waits until both runs have started theirs: the runs
    // overlap for certain, or the suites give up and the runs fail.
    let ws = Workspace::with(&[(
        "suites.toml",
        &format!(
            "[suite.a]\ncommand = '''touch arrived.$LAB_RUN_ID; {}'''\n",
            sh_wait("[ $(ls | grep -c '^arrived[.]') -ge 2 ]")
        ),
    )]);
    let first = ws.spawn(&["verify", "a", "--json"]);
    let second = ws.spawn(&["verify", "a", "--json"]);
    let a = first.wait_with_output().expect("first");
    let b = second.wait_with_output().expect("second");
    assert!(a.status.success() && b.status.success());
    let sa: serde_json::Value = serde_json::from_slice(&a.stdout).expect("json");
    let sb: serde_json::Value = serde_json::from_slice(&b.stdout).expect("json");
    assert_ne!(sa["run_id"], sb["run_id"]);
    for s in [&sa, &sb] {
        let dir = ws
            .path()
            .join("target/lab/runs")
            .join(s["run_id"].as_str().expect("id"));
        assert_eq!(&read_json(&dir.join("summary.json")), s);
        assert_valid("manifest", &read_json(&dir.join("manifest.json")));
    }
}

#[test]
fn environment_placeholders_and_profiles_reach_the_command() {
    let ws = Workspace::with(&[
        (
            "suites.toml",
            r#"
[suite.show-env]
profile = "child"
cwd = "sub"
env = { WHERE = "{state.data}/x", OWN = "suite" }
command = "env | sort > \"$LAB_WORKSPACE/env.txt\"; pwd > \"$LAB_WORKSPACE/pwd.txt\""
"#,
        ),
        ("sub/.keep", ""),
        (
            "profiles/p.toml",
            "[profile.base]\nenv = { FROM_BASE = \"1\", OWN = \"base\" }\nenv_clear = true\npass_env = [\"PATH\"]\n\n[profile.child]\nextends = \"base\"\n",
        ),
    ]);
    ws.cmd(&["verify", "show-env"])
        .env("SHOULD_NOT_PASS", "1")
        .stderr_contains("  PASS   suite.show-env  [TIME]\n")
        .run();
    let env = std::fs::read_to_string(ws.path().join("env.txt")).expect("env");
    let run = ws.latest_run();
    let dir = run.join("suites/suite.show-env");
    let roots = ws.run_json("manifest.json")["suites"][0]["roots"].clone();
    let root = |name: &str| roots[name].as_str().expect("a root").to_string();
    assert!(
        env.contains(&format!("WHERE={}/x\n", root("state.data"))),
        "{env}"
    );
    assert!(
        env.contains("FROM_BASE=1\n") && env.contains("OWN=suite\n"),
        "{env}"
    );
    assert!(env.contains("LAB_SUITE_ID=suite.show-env\n"), "{env}");
    assert!(env.contains(&format!("TMPDIR={}\n", root("tmp"))), "{env}");
    assert!(
        !env.contains("SHOULD_NOT_PASS"),
        "env_clear lets only pass_env through: {env}"
    );
    assert!(!env.lines().any(|l| l.starts_with("HOME=")), "{env}");
    let pwd = std::fs::read_to_string(ws.path().join("pwd.txt")).expect("pwd");
    assert_eq!(
        Path::new(pwd.trim()),
        std::fs::canonicalize(ws.path().join("sub")).expect("sub")
    );
    // The registry may move TMPDIR (short unix-socket paths), not LAB_*.
    ws.write(
        "suites.toml",
        "[suite.show-env]\ncwd = \"sub\"\nenv = { TMPDIR = \"/tmp\", LAB_SUITE_ID = \"spoofed\" }\ncommand = \"env | sort > \\\"$LAB_WORKSPACE/env.txt\\\"\"\n",
    );
    ws.cmd(&["verify", "show-env"])
        .stderr_contains("  PASS   suite.show-env  [TIME]\n")
        .run();
    let env = std::fs::read_to_string(ws.path().join("env.txt")).expect("env");
    assert!(env.contains("TMPDIR=/tmp\n"), "{env}");
    assert!(env.contains("LAB_SUITE_ID=suite.show-env\n"), "{env}");
    // The default cleanup policy removes state after a pass: the link in
    // the suite directory, and the roots it led to.
    assert!(std::fs::symlink_metadata(dir.join("state.data")).is_err());
    assert!(!Path::new(&root("state.data")).exists());
}

#[test]
fn secrets_are_removed_even_when_the_suite_never_reaches_its_command() {
    let ws = Workspace::with(&[
        (
            "suites.toml",
            "[suite.s]\nprofile = \"p\"\nfixture = \"broken\"\ncommand = \"true\"\n\n[fixture.broken]\nsetup = \"exit 1\"\n",
        ),
        (
            "profiles/p.toml",
            "[profile.p]\nsecrets = [\"API_TOKEN\"]\ncleanup = \"never\"\n",
        ),
    ]);
    ws.cmd(&["verify", "s"])
        .env("API_TOKEN", "very-secret-token-value")
        .status(78)
        .stderr_contains("  BLOCK  suite.s  [TIME]  fixture fixture.broken setup exited with 1\n")
        .run();
    let secrets = ws.latest_run().join("suites/suite.s/state.secrets");
    assert_eq!(
        std::fs::read_dir(&secrets).expect("dir").count(),
        0,
        "state.secrets emptied"
    );
    assert!(
        ws.latest_run().join("suites/suite.s/state.data").is_dir(),
        "cleanup = never keeps state"
    );
}

#[test]
fn a_leaked_process_command_line_is_redacted() {
    let secret = "leaky-secret-in-argv";
    // The daemon holds the secret in its argv and blocks opening a fifo
    // (a builtin: no child process); the suite ends once the daemon has
    // written its pid, so lab finds exactly this process.
    let registry = format!(
        r#"
[suite.d]
profile = "p"
command = '''
mkfifo hold
setsid sh -c 'echo $$ > d.pid; read x < hold; : "$0"' "$SVC_PASSWORD" > /dev/null 2>&1 < /dev/null &
{}
'''
"#,
        sh_wait("[ -s d.pid ]")
    );
    let ws = Workspace::with(&[
        ("suites.toml", &registry),
        (
            "profiles/p.toml",
            "[profile.p]\nsecrets = [\"SVC_PASSWORD\"]\n",
        ),
    ]);
    ws.cmd(&["verify", "d"])
        .env("SVC_PASSWORD", secret)
        .stderr_contains("  PASS   suite.d  [TIME]\npassed: 1 passed in [TIME]\n")
        .run();
    let pid = pid_in(&ws, "d.pid");
    assert!(!alive(pid), "daemon {pid} outlived lab");
    let text = std::fs::read_to_string(ws.latest_run().join("manifest.json")).expect("manifest");
    assert!(!text.contains(secret), "{text}");
    let manifest: serde_json::Value = serde_json::from_str(&text).expect("manifest is JSON");
    assert_eq!(
        manifest["suites"][0]["leaked"],
        serde_json::json!([{
            "pid": pid,
            "command": "sh -c echo $$ > d.pid; read x < hold; : \"$0\" [REDACTED]"
        }]),
        "the daemon, found, its secret argument redacted"
    );
    let events = std::fs::read_to_string(ws.latest_run().join("lab.log.jsonl")).expect("events");
    assert!(!events.contains(secret), "{events}");
    assert!(
        events.contains("\"event\":\"processes_leaked\""),
        "{events}"
    );
}

#[test]
fn a_run_lab_cannot_record_exits_74() {
    // The run root sits below a regular file: no run directory can be made.
    let ws = Workspace::with(&[
        (
            "suites.toml",
            "[lab]\nrun_root = \"occupied/runs\"\n\n[suite.a]\ncommand = \"true\"\n",
        ),
        ("occupied", "a file, not a directory\n"),
    ]);
    let root = ws.path().join("occupied/runs");
    ws.cmd(&["verify", "a"])
        .status(74)
        .stderr(&format!(
            "error: failed to create `{}`: Not a directory (os error 20)\n  hint: the run root must be writable and its disk not full; what lab could write is kept\n",
            root.display()
        ))
        .run();

    // A suite that removes its own run directory: summary.json cannot be
    // written once it finishes, and lab says so with 74, not a suite status.
    let ws = Workspace::with(&[(
        "suites.toml",
        "[suite.vandal]\ncommand = \"rm -rf \\\"$LAB_RUN_DIR\\\"\"\n",
    )]);
    ws.cmd(&["verify", "vandal"])
        .status(74)
        .stderr_contains("error: failed to write `")
        .stderr_contains("/summary.json`: No such file or directory (os error 2)\n  hint: the run root must be writable")
        .run();
}

/// A full disk ends the suite, not the record (issue 18 item 8): a suite
/// that floods its log onto a 200 KiB tmpfs is killed with its group, its
/// reason says lab could not record its output, the logs are cut to give
/// the space back, summary.json is finished, and lab exits 74 — not 1,
/// which would read as "tests failed".
#[test]
#[ignore = "needs root and unshare (util-linux) to mount a tmpfs; .ci/run runs ignored tests"]
fn a_full_disk_kills_the_suite_and_still_finishes_the_summary() {
    let ws = Workspace::with(&[(
        "suites.toml",
        "[lab]\nrun_root = \"runs\"\n\n[suite.flood]\ncommand = \"echo $$ > flood.pid; sleep 77 & yes flood-flood-flood | head -c 5000000; wait\"\n",
    )]);
    std::fs::create_dir(ws.path().join("runs")).expect("mkdir");
    let lab = env!("CARGO_BIN_EXE_lab");
    let out = std::process::Command::new("unshare")
        .args(["-m", "sh", "-c"])
        .arg(format!(
            "mount -t tmpfs -o size=200k tmpfs runs && {{ {lab} verify flood; s=$?; cat runs/latest/summary.json; exit $s; }}"
        ))
        .current_dir(ws.path())
        .output()
        .expect("unshare");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(74), "{stderr}");
    assert!(
        stderr.contains("lab could not record the command's output: No space left on device"),
        "{stderr}"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("summary.json was finished");
    assert_valid("summary", &summary);
    assert_eq!(summary["status"], "failed");
    let flood = suite(&summary, "suite.flood");
    assert!(
        flood["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("lab could not record the command's output")),
        "{flood:#}"
    );
    let pid: u32 = std::fs::read_to_string(ws.path().join("flood.pid"))
        .expect("pid")
        .trim()
        .parse()
        .expect("pid");
    assert!(
        !crate::harness::alive(pid),
        "the suite's shell outlived lab"
    );
    let procs = std::process::Command::new("pgrep")
        .args(["-f", "^sleep 77$"])
        .output()
        .expect("pgrep");
    assert!(procs.stdout.is_empty(), "sleep 77 outlived lab");
}

/// A gate cannot pass empty by accident (issue 15 item 1): a tag, target
/// or level no suite declares is a usage error with a suggestion; an empty
/// selection for a legitimate reason passes and says why, unless a
/// selection is required.
#[test]
fn a_gate_with_a_typo_fails_and_an_empty_selection_says_why() {
    let ws = Workspace::git_repo(&[(
        "suites.toml",
        "[suite.a]\ncommand = \"true\"\ntags = [\"lab-smoke\"]\npaths = [\"src/\"]\n",
    )]);
    ws.cmd(&["verify", "--tag", "lab-smok"])
        .status(2)
        .stderr("error: no suite has the tag `lab-smok`\n  hint: did you mean `lab-smoke`?\n")
        .run();
    ws.cmd(&["verify", "--target", "x"])
        .status(2)
        .stderr("error: no suite has the target `x`\n  hint: no suite declares any target\n")
        .run();
    // Removed by an exclusion: nothing to run, and why.
    ws.cmd(&["verify", "--tag", "lab-smoke", "--exclude-tag", "lab-smoke"])
        .stderr_contains("lab: nothing to run: no suite matches this selection (suite.a: excluded by --exclude-tag lab-smoke)\n")
        .run();
    // No relevant change: passes, and says so.
    ws.cmd(&["verify", "--changed"])
        .stderr_contains(
            "lab: nothing to run: no suite is selected by the 0 changed paths (from git)\n",
        )
        .run();
    ws.cmd(&["verify", "--changed", "--require-selection"])
        .status(1)
        .stderr("lab: error: no suite is selected by the 0 changed paths (from git); a selection is required (--require-selection)\n")
        .run();
    ws.write(
        "suites.toml",
        "[lab]\nrequire_selection = true\n\n[suite.a]\ncommand = \"true\"\ntags = [\"lab-smoke\"]\npaths = [\"src/\"]\n",
    );
    // Committed on the base branch: nothing changed, and a selection is required.
    crate::harness::git(ws.path(), &["commit", "-qam", "require a selection"]);
    ws.cmd(&["verify", "--changed"])
        .status(1)
        .stderr_any()
        .run();
}

/// Words match the status (issue 20 items 5 and 7): a run whose only
/// problem is a blocked suite names it the first problem, blocked, not a
/// failure; `links.logs` lists the `log` artifacts of suites that did not
/// pass beside their stdout and stderr.
#[test]
fn a_blocked_suite_is_the_first_problem_and_kept_logs_are_linked() {
    let ws = Workspace::with(&[(
        "suites.toml",
        "[suite.b]\ncommand = \"echo hi > app.log; exit 78\"\nartifacts = [\"log.app\"]\n\n[log.app]\npath = \"app.log\"\n",
    )]);
    ws.cmd(&["verify", "b"]).status(78).stderr_any().run();
    let summary = ws.run_json("summary.json");
    assert_eq!(summary["first_failure"]["status"], "blocked");
    let logs = summary["links"]["logs"].to_string();
    assert!(logs.contains("suites/suite.b/artifacts/app.log"), "{logs}");
    let html = std::fs::read_to_string(ws.latest_run().join("report.html")).expect("report");
    assert!(
        html.contains("First problem: <b>suite.b</b> — blocked at <code>command</code>"),
        "{html}"
    );
    assert!(!html.contains("First failure"));
}

/// Outputs valid where they go (issue 20 item 6): the JUnit report of a
/// run whose output holds `\x01`, BEL and ESC parses with Python's
/// `xml.etree`; an HTML report written elsewhere links back into the run.
#[test]
fn reports_are_valid_and_resolve_where_they_are_written() {
    let ws = Workspace::with(&[(
        "suites.toml",
        "[suite.a]\ncommand = \"printf 'error: \\\\001 bell \\\\007 esc \\\\033]8;;x\\\\007link\\\\n' >&2; exit 1\"\n",
    )]);
    ws.cmd(&["verify", "a"]).status(1).stderr_any().run();
    ws.cmd(&["report", "--format", "junit", "--output", "junit.xml"])
        .stderr_any()
        .stdout_any()
        .run();
    let parsed = std::process::Command::new(crate::harness::python())
        .args(["-c", "import sys, xml.etree.ElementTree as t; r = t.parse(sys.argv[1]); print(len(r.getroot().iter('testcase').__next__().attrib))", "junit.xml"])
        .current_dir(ws.path())
        .output()
        .expect("python3");
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    std::fs::create_dir(ws.path().join("out")).expect("mkdir");
    ws.cmd(&["report", "--output", "out/r.html"])
        .stdout_any()
        .stderr_any()
        .run();
    let html = std::fs::read_to_string(ws.path().join("out/r.html")).expect("report");
    let run_id = ws
        .latest_run()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .expect("run id");
    let base = format!(r#"<base href="../target/lab/runs/{run_id}/">"#);
    assert!(html.contains(&base), "{html}");
    // The page's own link to stderr, resolved from the base, exists.
    assert!(html.contains(r#"href="suites/suite.a/stderr.log""#));
    assert!(
        ws.path()
            .join("out/../target/lab/runs")
            .join(&run_id)
            .join("suites/suite.a/stderr.log")
            .is_file()
    );
}
