//! `lab verify` against real processes: exit statuses, timeouts, leaks,
//! artifacts, secrets, output caps, fixtures, runners, JUnit, signals and
//! concurrent runs. Misbehaviour is staged with plain `sh` suites.

use std::path::Path;

use crate::harness::{Workspace, alive, assert_valid, eventually, read_json, suite};

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).expect("metadata");
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() {
                out.push(path);
            }
        }
    }
    out
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
    let out = ws.lab(&["verify", "--tag", "all", "--json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let summary = out.json();
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

    assert_eq!(ws.lab(&["verify", "--tag", "pass"]).code, 0);
    assert_eq!(ws.lab(&["verify", "--tag", "skip"]).code, 77);
    assert_eq!(ws.lab(&["verify", "--tag", "block"]).code, 78);
    assert_eq!(ws.lab(&["verify", "--tag", "skip-and-pass"]).code, 0);
    let none = ws.lab(&["verify"]);
    assert_eq!(none.code, 2);
    assert!(
        none.stderr.contains("verify needs a selection"),
        "{}",
        none.stderr
    );
}

#[test]
fn timeout_kills_the_whole_group_including_grandchildren() {
    let ws = Workspace::with(&[(
        "suites.toml",
        r#"
[suite.slow]
command = "sh -c 'echo $$ > grandchild.pid; exec sleep 60' & sleep 60"
timeout = "1s"
"#,
    )]);
    let out = ws.lab(&["verify", "slow", "--json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let s = out.json();
    let slow = suite(&s, "suite.slow");
    assert_eq!(slow["timed_out"], true);
    assert_eq!(slow["reason"], "timed out after 1.0s");
    let pid: u32 = std::fs::read_to_string(ws.path().join("grandchild.pid"))
        .expect("grandchild wrote its pid")
        .trim()
        .parse()
        .expect("pid");
    assert!(!alive(pid), "grandchild {pid} outlived the timeout");
}

#[test]
fn daemonized_processes_are_killed_and_reported_as_leaked() {
    let ws = Workspace::with(&[(
        "suites.toml",
        r#"
[suite.daemon]
command = "setsid sh -c 'echo $$ > daemon.pid; exec sleep 300' > /dev/null 2>&1 < /dev/null & sleep 0.2; echo started"
"#,
    )]);
    let out = ws.lab(&["verify", "daemon"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let pid: u32 = std::fs::read_to_string(ws.path().join("daemon.pid"))
        .expect("daemon wrote its pid")
        .trim()
        .parse()
        .expect("pid");
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
    let out = ws.lab(&["verify", "markers", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s = out.json();
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
        reasons[2].contains("secret-like segment `secrets`"),
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
    let out = crate::harness::run(
        crate::harness::lab_command(ws.path())
            .env("DB_PASSWORD", secret)
            .args(["verify", "leaky", "--json"]),
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret));
    let run = ws.latest_run();
    let files = files_under(&run);
    assert!(files.len() >= 5, "{files:?}");
    for file in &files {
        let bytes = std::fs::read(file).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(secret),
            "{} holds the secret:\n{text}",
            file.display()
        );
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
    let out = ws.lab(&["verify", "chatty"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
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
    let out = ws.lab(&["verify", "needs-db", "--json"]);
    assert_eq!(out.code, 78, "{}", out.stderr);
    let s = suite(&out.json(), "suite.needs-db").clone();
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
    let out = ws.lab(&["verify", "t", "--json"]);
    assert_eq!(out.code, 78);
    let s = suite(&out.json(), "suite.t").clone();
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
    let out = ws.lab(&["verify", "t", "--json"]);
    assert_eq!(out.code, 78);
    assert_eq!(
        suite(&out.json(), "suite.t")["reason"],
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
    let s = ws.lab(&["verify", "--tag", "x", "--json"]).json();
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
        .lab(&["verify", "--tag", "x", "--fail-fast", "--json"])
        .json();
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
    let out = ws.lab(&["verify", "flaky", "--json"]);
    assert_eq!(out.code, 0, "flaky counts as passing: {}", out.stderr);
    let s = out.json();
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
    child.kill().expect("SIGKILL lab");
    let _ = child.wait();
    let summary = ws.run_json("summary.json");
    assert_valid("summary", &summary);
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
    let ws = Workspace::with(&[("suites.toml", "[suite.a]\ncommand = \"sleep 0.3\"\n")]);
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
    let out = crate::harness::run(
        crate::harness::lab_command(ws.path())
            .env("SHOULD_NOT_PASS", "1")
            .args(["verify", "show-env"]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let env = std::fs::read_to_string(ws.path().join("env.txt")).expect("env");
    let run = ws.latest_run();
    let dir = run.join("suites/suite.show-env");
    assert!(
        env.contains(&format!("WHERE={}/state.data/x\n", dir.display())),
        "{env}"
    );
    assert!(
        env.contains("FROM_BASE=1\n") && env.contains("OWN=suite\n"),
        "{env}"
    );
    assert!(env.contains("LAB_SUITE_ID=suite.show-env\n"), "{env}");
    assert!(
        env.contains(&format!("TMPDIR={}/tmp\n", dir.display())),
        "{env}"
    );
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
    assert_eq!(ws.lab(&["verify", "show-env"]).code, 0);
    let env = std::fs::read_to_string(ws.path().join("env.txt")).expect("env");
    assert!(env.contains("TMPDIR=/tmp\n"), "{env}");
    assert!(env.contains("LAB_SUITE_ID=suite.show-env\n"), "{env}");
    // The default cleanup policy removes state after a pass.
    assert!(!dir.join("state.data").exists());
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
    let out = crate::harness::run(
        crate::harness::lab_command(ws.path())
            .env("API_TOKEN", "very-secret-token-value")
            .args(["verify", "s"]),
    );
    assert_eq!(out.code, 78, "{}", out.stderr);
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
    let ws = Workspace::with(&[
        (
            "suites.toml",
            "[suite.d]\nprofile = \"p\"\ncommand = \"setsid sh -c 'sleep 300; : \\\"$0\\\"' \\\"$SVC_PASSWORD\\\" > /dev/null 2>&1 < /dev/null & sleep 0.2\"\n",
        ),
        (
            "profiles/p.toml",
            "[profile.p]\nsecrets = [\"SVC_PASSWORD\"]\n",
        ),
    ]);
    let out = crate::harness::run(
        crate::harness::lab_command(ws.path())
            .env("SVC_PASSWORD", secret)
            .args(["verify", "d"]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let manifest =
        std::fs::read_to_string(ws.latest_run().join("manifest.json")).expect("manifest");
    assert!(manifest.contains("[REDACTED]"), "{manifest}");
    assert!(!manifest.contains(secret), "{manifest}");
    let leaked = &ws.run_json("manifest.json")["suites"][0]["leaked"];
    assert!(
        leaked.as_array().is_some_and(|l| !l.is_empty()),
        "the daemon was found: {leaked}"
    );
    let events = std::fs::read_to_string(ws.latest_run().join("lab.log.jsonl")).expect("events");
    assert!(!events.contains(secret));
}
