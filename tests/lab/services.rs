//! Services, readiness probes, network namespaces and virtual displays,
//! with real processes and sockets on loopback only.

use crate::harness::{Workspace, alive, python, suite};

/// An HTTP server on `{port}` answering 200 "hello" on /health, after `delay` s.
fn http_service(delay: f32) -> String {
    format!(
        r#"{py} -c "
import http.server, socketserver, sys, time
time.sleep({delay})
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b'hello')
    def log_message(self, *a): pass
print('serving', flush=True)
socketserver.TCPServer(('127.0.0.1', {{port}}), H).serve_forever()
""#,
        py = python()
    )
}

#[test]
fn a_suite_talks_to_an_http_service_lab_started_and_waited_for() {
    let registry = format!(
        r#"
[service.web]
command = '''{}'''
port = true
ready = {{ http = "http://127.0.0.1:{{port}}/health", status = 200 }}

[suite.client]
services = ["web"]
command = '''{py} -c "import os, urllib.request; print(urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ['LAB_PORT_WEB']).read().decode())"'''
"#,
        http_service(0.3),
        py = python()
    );
    let ws = Workspace::with(&[("suites.toml", &registry)]);
    ws.cmd(&["verify", "client", "--json"])
        .stdout_schema("summary")
        .stderr_contains("  PASS   suite.client  [TIME]\n")
        .run();
    let run = ws.latest_run();
    let stdout = std::fs::read_to_string(run.join("suites/suite.client/stdout.log")).expect("log");
    assert_eq!(stdout.trim(), "hello");
    let manifest = ws.run_json("manifest.json");
    let port = manifest["suites"][0]["ports"][0]["port"]
        .as_u64()
        .expect("port");
    assert_eq!(
        manifest["suites"][0]["env"]["LAB_PORT_WEB"],
        port.to_string()
    );
    let roles: Vec<&str> = manifest["suites"][0]["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .map(|p| p["role"].as_str().expect("role"))
        .collect();
    assert_eq!(roles, ["command", "service"]);
    assert!(
        run.join("suites/suite.client/services/service.web.log")
            .is_file()
    );
    let events = std::fs::read_to_string(run.join("lab.log.jsonl")).expect("events");
    assert!(events.contains("\"event\":\"service_ready\""), "{events}");
}

#[test]
fn a_service_that_never_gets_ready_or_exits_early_blocks_its_suite() {
    let ws = Workspace::with(&[(
        "suites.toml",
        r#"
[service.slow]
command = "echo 'warming the cache'; sleep 60"
port = true
ready = { tcp = "127.0.0.1:{port}" }
ready_timeout = "1s"

[service.crash]
command = "echo 'fatal: no config' >&2; exit 3"
ready = { tcp = "127.0.0.1:1" }

[suite.never]
services = ["slow"]
command = "touch never-ran"

[suite.early]
services = ["crash"]
command = "touch early-ran"
"#,
    )]);
    let s = ws
        .cmd(&["verify", "never", "early", "--json"])
        .status(78)
        .stderr_contains("  BLOCK  suite.never  [TIME]  service.slow was not ready within 1.0s\n        | warming the cache\n")
        .stderr_contains("  BLOCK  suite.early  [TIME]  service.crash exited with 3 before it was ready\n        | fatal: no config\n")
        .run_json();
    let never = suite(&s, "suite.never");
    assert_eq!(never["status"], "blocked");
    assert_eq!(never["step"], "service:service.slow:ready");
    assert_eq!(never["reason"], "service.slow was not ready within 1.0s");
    assert_eq!(never["excerpt"], serde_json::json!(["warming the cache"]));
    let early = suite(&s, "suite.early");
    assert_eq!(early["step"], "service:service.crash:ready");
    assert_eq!(
        early["reason"],
        "service.crash exited with 3 before it was ready"
    );
    assert_eq!(early["excerpt"], serde_json::json!(["fatal: no config"]));
    assert!(!ws.path().join("never-ran").exists() && !ws.path().join("early-ran").exists());
}

#[test]
fn log_and_file_probes_and_after_services_fixtures() {
    let ws = Workspace::with(&[(
        "suites.toml",
        r#"
[service.logger]
command = "sleep 0.2; echo 'server listening on port 4242'; sleep 60"
ready = { log = "listening on port [0-9]+" }

[service.filer]
command = "sleep 0.2; touch {state.data}/ready; sleep 60"
ready = { file = "{state.data}/ready" }

[fixture.seed]
after_services = true
setup = "test -f \"$LAB_STATE_DATA/ready\" && echo seeded > \"$LAB_STATE_DATA/seed\""

[suite.both]
services = ["logger", "filer"]
fixture = "seed"
command = "cat \"$LAB_STATE_DATA/seed\""
"#,
    )]);
    ws.cmd(&["verify", "both", "--json"])
        .stdout_schema("summary")
        .stderr_contains("  PASS   suite.both  [TIME]\n")
        .run();
    let stdout =
        std::fs::read_to_string(ws.latest_run().join("suites/suite.both/stdout.log")).expect("log");
    assert_eq!(
        stdout.trim(),
        "seeded",
        "the after_services fixture ran once the services were ready"
    );
}

#[test]
fn a_service_and_its_children_are_stopped_after_the_suite() {
    // parent.pid appears whole (mv), so the probe never sees it empty and
    // lab never stops the service before both pids are written.
    let ws = Workspace::with(&[(
        "suites.toml",
        r#"
[service.parent]
command = "sleep 300 & echo $! > $LAB_WORKSPACE/child.pid; echo $$ > $LAB_WORKSPACE/parent.tmp; mv $LAB_WORKSPACE/parent.tmp $LAB_WORKSPACE/parent.pid; wait"
ready = { file = "{workspace}/parent.pid" }

[suite.uses]
services = ["parent"]
command = "true"
"#,
    )]);
    ws.cmd(&["verify", "uses"])
        .stderr_contains("  PASS   suite.uses  [TIME]\n")
        .run();
    for name in ["parent.pid", "child.pid"] {
        let pid: u32 = std::fs::read_to_string(ws.path().join(name))
            .expect("pid")
            .trim()
            .parse()
            .expect("pid");
        assert!(!alive(pid), "{name} {pid} outlived the suite");
    }
}

#[test]
#[ignore = "needs unshare, nsenter (util-linux) and ip (iproute2); .ci/run installs them and runs ignored tests"]
fn a_loopback_profile_sees_only_lo_and_still_reaches_its_service() {
    let registry = format!(
        r#"
[profile.offline]
network = "loopback"
services = ["web"]

[service.web]
command = '''{}'''
port = true
ready = {{ tcp = "127.0.0.1:{{port}}" }}

[suite.isolated]
profile = "offline"
command = '''cat /proc/net/dev > interfaces.txt; {py} -c "import os, urllib.request; print(urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ['LAB_PORT_WEB']).read().decode())"'''
"#,
        http_service(0.0),
        py = python()
    );
    let ws = Workspace::with(&[("suites.toml", &registry)]);
    ws.cmd(&["verify", "isolated", "--json"])
        .stdout_schema("summary")
        .stderr_contains("  PASS   suite.isolated  [TIME]\n")
        .run();
    let interfaces = std::fs::read_to_string(ws.path().join("interfaces.txt")).expect("interfaces");
    let names: Vec<&str> = interfaces
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(str::trim)
        .collect();
    assert_eq!(names, ["lo"], "{interfaces}");
    let stdout = std::fs::read_to_string(ws.latest_run().join("suites/suite.isolated/stdout.log"))
        .expect("log");
    assert_eq!(stdout.trim(), "hello");
    let manifest = ws.run_json("manifest.json");
    let isolation = manifest["suites"][0]["isolation"][0]
        .as_str()
        .expect("isolation");
    assert!(isolation.starts_with("network: unshare"), "{isolation}");
}

#[test]
#[ignore = "needs xvfb-run (Debian xvfb, xauth); .ci/run installs it and runs ignored tests"]
fn a_virtual_display_profile_runs_under_xvfb() {
    // CI installs xvfb (.ci/run); without it this fails rather than skips.
    let ws = Workspace::with(&[
        (
            "suites.toml",
            "[suite.gui]\nprofile = \"headless\"\ncommand = \"echo \\\"display=$DISPLAY\\\"\"\n",
        ),
        (
            "profiles/p.toml",
            "[profile.headless]\ndisplay = \"virtual\"\n",
        ),
    ]);
    // Fails here when xvfb-run is not installed.
    ws.cmd(&["verify", "gui", "--json"])
        .stdout_schema("summary")
        .stderr_contains("  PASS   suite.gui  [TIME]\n")
        .run();
    let stdout =
        std::fs::read_to_string(ws.latest_run().join("suites/suite.gui/stdout.log")).expect("log");
    assert!(stdout.trim().starts_with("display=:"), "{stdout}");
    assert_eq!(
        ws.run_json("manifest.json")["suites"][0]["isolation"][0],
        "display: xvfb-run -a"
    );
}
