//! Services keep their promises (issue 22): a readiness probe never runs
//! past `ready_timeout`, never deadlocks on its own output and stops on
//! Ctrl-C; a service that dies once it was ready blocks its suite.

use std::time::{Duration, Instant};

use crate::harness::{Workspace, alive, eventually, python, sh_wait, suite};

#[test]
fn a_probe_that_outlives_ready_timeout_is_killed_and_blocks_the_suite() {
    let ws = Workspace::with(&[(
        "suites.toml",
        r#"
[service.api]
command = "sleep 60"
ready = { command = "echo \"$$\" > \"$LAB_WORKSPACE/probe.pid\"; echo 'connecting to the api'; echo 'still waiting'; sleep 30" }
ready_timeout = "2s"

[suite.uses]
services = ["api"]
command = "touch ran"
"#,
    )]);
    let started = Instant::now();
    let s = ws
        .cmd(&["verify", "uses", "--json"])
        .status(78)
        .stderr_any()
        .run_json();
    let took = started.elapsed();
    // 2 s of ready_timeout, then at most a second (generous on a loaded
    // machine: the bug was waiting the probe's 30 s and passing).
    assert!(took < Duration::from_secs(8), "took {took:?}");
    let uses = suite(&s, "suite.uses");
    assert_eq!(uses["status"], "blocked");
    assert_eq!(uses["step"], "service:service.api:ready");
    assert_eq!(
        uses["reason"],
        "service.api was not ready within 2.0s (its ready probe was still running and was killed)"
    );
    assert_eq!(
        uses["excerpt"],
        serde_json::json!(["connecting to the api", "still waiting"])
    );
    assert!(!ws.path().join("ran").exists(), "the command never starts");
    let pid: u32 = std::fs::read_to_string(ws.path().join("probe.pid"))
        .expect("the probe ran")
        .trim()
        .parse()
        .expect("pid");
    assert!(!alive(pid), "the probe {pid} was killed with its group");
    let log = std::fs::read_to_string(
        ws.latest_run()
            .join("suites/suite.uses/services/service.api.log"),
    )
    .expect("service log");
    assert!(
        log.contains("[ready probe] connecting to the api\n"),
        "the probe's output is in the service log: {log:?}"
    );
}

#[test]
fn a_probe_that_prints_more_than_a_pipe_holds_does_not_deadlock() {
    // 200 KB, about three pipes' worth, then success: a probe whose output
    // is never read blocks on its first full pipe and never exits.
    let ws = Workspace::with(&[(
        "suites.toml",
        r#"
[service.chatty]
command = "sleep 60"
ready = { command = "head -c 200000 /dev/zero | tr '\\0' 'x'; echo; echo probe-done" }
ready_timeout = "30s"

[suite.uses]
services = ["chatty"]
command = "true"
"#,
    )]);
    ws.cmd(&["verify", "uses"])
        .stderr_contains("  PASS   suite.uses  [TIME]\n")
        .run();
    let log = std::fs::read_to_string(
        ws.latest_run()
            .join("suites/suite.uses/services/service.chatty.log"),
    )
    .expect("service log");
    assert!(
        log.ends_with("[ready probe] probe-done\n"),
        "{}",
        &log[log.len().saturating_sub(200)..]
    );
    assert!(
        log.matches('x').count() >= 200_000,
        "every byte was drained into the log"
    );
}

#[test]
fn ctrl_c_during_a_long_probe_stops_lab_promptly() {
    let ws = Workspace::with(&[(
        "suites.toml",
        r#"
[service.api]
command = "sleep 600"
ready = { command = "echo \"$$\" > \"$LAB_WORKSPACE/probe.pid\"; sleep 100000" }
ready_timeout = "10m"

[suite.uses]
services = ["api"]
command = "true"
"#,
    )]);
    let child = ws.spawn(&["verify", "uses"]);
    assert!(eventually(20, || ws.path().join("probe.pid").exists()));
    let sent = Instant::now();
    let pid = rustix::process::Pid::from_raw(child.id() as i32).expect("pid");
    rustix::process::kill_process(pid, rustix::process::Signal::INT).expect("SIGINT");
    let out = child.wait_with_output().expect("wait");
    let took = sent.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    // The service gets its stop_timeout (5 s) after TERM; the probe none.
    assert!(took < Duration::from_secs(15), "took {took:?}: {stderr}");
    assert!(
        stderr.contains("interrupted while waiting for service.api"),
        "{stderr}"
    );
    let probe: u32 = std::fs::read_to_string(ws.path().join("probe.pid"))
        .expect("pid")
        .trim()
        .parse()
        .expect("pid");
    assert!(!alive(probe), "the probe {probe} was killed");
}

#[test]
fn a_service_that_logs_ready_then_exits_blocks_its_suite() {
    let ws = Workspace::with(&[(
        "suites.toml",
        r#"
[service.now]
command = "echo ready; echo 'fatal: lost the config' >&2; exit 3"
ready = { log = "ready" }

[service.later]
command = "echo ready; sleep 0.5; echo 'fatal: out of memory' >&2; exit 3"
ready = { log = "ready" }

[suite.quick]
services = ["now"]
command = "true"

[suite.slow]
services = ["later"]
command = "sleep 30; touch slow-finished"
"#,
    )]);
    let started = Instant::now();
    let s = ws
        .cmd(&["verify", "quick", "slow", "--json"])
        .status(78)
        .stderr_any()
        .run_json();
    // Exited before lab saw it ready, or right after: blocked either way,
    // never passed.
    let quick = suite(&s, "suite.quick");
    assert_eq!(quick["status"], "blocked", "{quick:#}");
    assert!(
        quick["step"]
            .as_str()
            .is_some_and(|s| s.starts_with("service:service.now:")),
        "{quick:#}"
    );
    assert!(
        quick["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("service.now exited with 3 ")),
        "{quick:#}"
    );
    assert_eq!(
        quick["excerpt"],
        serde_json::json!(["ready", "fatal: lost the config"])
    );
    // Died while the command ran: the command is stopped, not waited for.
    let slow = suite(&s, "suite.slow");
    assert_eq!(slow["status"], "blocked", "{slow:#}");
    assert_eq!(slow["step"], "service:service.later:died");
    assert_eq!(
        slow["reason"],
        "service.later exited with 3 while the suite ran"
    );
    assert_eq!(
        slow["excerpt"],
        serde_json::json!(["ready", "fatal: out of memory"])
    );
    assert!(started.elapsed() < Duration::from_secs(25));
    assert!(!ws.path().join("slow-finished").exists());
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

#[test]
fn a_second_run_whose_service_cannot_bind_a_fixed_port_is_blocked_not_passed() {
    let port = free_port();
    let registry = format!(
        r#"
[service.web]
command = '''{py} -c "
import http.server, socketserver
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b'hello')
    def log_message(self, *a): pass
socketserver.TCPServer(('127.0.0.1', {port}), H).serve_forever()
"'''
ready = {{ http = "http://127.0.0.1:{port}/" }}

[suite.first]
services = ["web"]
command = "touch first-up; {wait_release}"

[suite.second]
services = ["web"]
command = "{wait_forever}"
"#,
        py = python(),
        wait_release = sh_wait("[ -e \\\"$LAB_WORKSPACE/release\\\" ]"),
        wait_forever = sh_wait("false"),
    );
    let ws = Workspace::with(&[("suites.toml", &registry)]);
    let first = ws.spawn(&["verify", "first"]);
    assert!(eventually(30, || ws.path().join("first-up").exists()));
    // The second run's probe is answered by the first run's service; its
    // own dies on "Address already in use" while its command runs.
    let s = ws
        .cmd(&["verify", "second", "--json"])
        .status(78)
        .stderr_any()
        .run_json();
    std::fs::write(ws.path().join("release"), "").expect("release");
    let out = first.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let second = suite(&s, "suite.second");
    assert_eq!(second["status"], "blocked", "{second:#}");
    // Usually the other run's service answers the probe first and this
    // one dies while the command waits; on a slow machine it may die first.
    assert!(
        second["step"]
            .as_str()
            .is_some_and(|s| s.starts_with("service:service.web:")),
        "{second:#}"
    );
    let reason = second["reason"].as_str().expect("reason");
    assert!(reason.starts_with("service.web exited with 1 "), "{reason}");
    let excerpt = second["excerpt"].to_string();
    assert!(excerpt.contains("Address already in use"), "{excerpt}");
}

#[test]
fn check_warns_about_a_service_on_a_fixed_port() {
    let ws = Workspace::with(&[(
        "suites.toml",
        r#"[service.db]
command = "postgres -k /tmp -p 5432"
ready = { tcp = "127.0.0.1:5432" }

[service.web]
command = "serve --port {port}"
port = true
ready = { http = "http://127.0.0.1:{port}/" }

[suite.a]
services = ["db", "web"]
command = "true"
"#,
    )]);
    ws.cmd(&["check"])
        .stderr_contains("warning[fixed-port]: `service.db` uses the fixed port 5432: two runs at once collide on it, and a probe may be answered by another run's service\n  --> suites.toml:1:10\n")
        .stderr_contains("help: set `port = true` and write `{port}`")
        .stderr_contains("0 errors, 1 warning")
        .run();
}
