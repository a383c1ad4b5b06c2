//! `lab launch`: the runner's launch command in a prepared run directory,
//! its exit mapped like a suite's, and Ctrl-C stopping it and what it
//! started.

use crate::harness::{Workspace, alive, eventually};

/// Two apps, a profile and a fixture: what most tests here launch.
const FILES: &[(&str, &str)] = &[
    ("suites.toml", ""),
    (
        "runners/app.toml",
        r#"
[runner.app]
targets = ["desktop"]
launch = "echo \"$LAB_SUITE_ID $APP_MODE $(cat \"$LAB_STATE_DATA/seed.txt\")\" > launched.txt; exit ${APP_EXIT:-0}"

[runner.daemon]
targets = ["daemon"]
launch = "sleep 60 & echo $! > bg.tmp; mv bg.tmp bg.pid; wait"
"#,
    ),
    (
        "profiles/dev.toml",
        "[profile.dev]\nenv = { APP_MODE = \"dev\" }\n",
    ),
    (
        "fixtures/seed.toml",
        "[fixture.seed]\ncopy = [{ from = \"fixtures/seed.txt\", to = \"data\" }]\n",
    ),
    ("fixtures/seed.txt", "seeded"),
];

/// What `lab launch` prints when it launches `target` with `runner.app`.
fn launching(ws: &Workspace, target: &str) -> String {
    let runs = ws.path().join("target/lab/runs");
    let runs = runs.display();
    format!(
        "lab: launching {target} (runner.app) in {runs}/[RUN]/suites/launch.{target}\nrun: {runs}/[RUN]\n"
    )
}

#[test]
fn launch_prepares_the_run_root_and_exits_like_verify() {
    let ws = Workspace::with(FILES);
    let said =
        launching(&ws, "desktop").replacen("\nrun: ", "\nlab: desktop exited with 3\nrun: ", 1);
    ws.cmd(&["launch", "desktop", "--profile", "dev", "--fixture", "seed"])
        .env("APP_EXIT", "3")
        .status(1)
        .stderr(&said)
        .run();
    let launched = std::fs::read_to_string(ws.path().join("launched.txt")).expect("app ran");
    assert_eq!(launched.trim(), "launch.desktop dev seeded");
    let manifest = ws.run_json("manifest.json");
    assert_eq!(manifest["command_id"], "cmd.launch");
    assert_eq!(manifest["suites"][0]["profile"], "profile.dev");
    let summary = ws.run_json("summary.json");
    assert_eq!(summary["suites"][0]["exit_code"], 3);

    ws.cmd(&["launch", "web", "--profile", "dev"])
        .status(2)
        .stderr(
            "error: no runner launches target `web`\n  hint: runners with `launch`: runner.app (desktop), runner.daemon (daemon)\n",
        )
        .run();
    ws.cmd(&["launch", "desktop", "--profile", "dve"])
        .status(2)
        .stderr("error: no profile `dve`\n  hint: did you mean `profile.dev`?\n")
        .run();
}

#[test]
fn ctrl_c_stops_the_app_and_what_it_started() {
    let ws = Workspace::with(FILES);
    let child = ws.spawn(&["launch", "daemon", "--profile", "dev"]);
    // bg.pid appears whole (the app writes it aside and moves it).
    assert!(
        eventually(20, || ws.path().join("bg.pid").exists()),
        "app never started"
    );
    let bg: u32 = std::fs::read_to_string(ws.path().join("bg.pid"))
        .expect("pid")
        .trim()
        .parse()
        .expect("pid");
    let lab = rustix::process::Pid::from_raw(child.id() as i32).expect("pid");
    rustix::process::kill_process(lab, rustix::process::Signal::INT).expect("SIGINT");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!alive(bg), "the app's background process survived");
    assert_eq!(ws.run_json("summary.json")["interrupted"], true);
}

#[test]
fn launch_starts_the_profiles_services_first() {
    let py = crate::harness::python();
    let ws = Workspace::with(&[
        ("suites.toml", ""),
        (
            "runners/app.toml",
            &format!(
                "[runner.app]\ntargets = [\"web\"]\nlaunch = '''{py} -c \"import os, urllib.request; open('fetched.txt', 'w').write(urllib.request.urlopen('http://127.0.0.1:%s/' % os.environ['LAB_PORT_API']).read().decode())\"'''\n"
            ),
        ),
        (
            "profiles/dev.toml",
            &format!(
                "[profile.dev]\nservices = [\"api\"]\n\n[service.api]\nport = true\nready = {{ http = \"http://127.0.0.1:{{port}}/\" }}\ncommand = '''{py} -c \"\nimport http.server, socketserver\nclass H(http.server.BaseHTTPRequestHandler):\n    def do_GET(self):\n        self.send_response(200); self.end_headers(); self.wfile.write(b'from the service')\n    def log_message(self, *a): pass\nsocketserver.TCPServer(('127.0.0.1', {{port}}), H).serve_forever()\n\"'''\n"
            ),
        ),
    ]);
    ws.cmd(&["launch", "web", "--profile", "dev"])
        .stderr(&launching(&ws, "web"))
        .run();
    assert_eq!(
        std::fs::read_to_string(ws.path().join("fetched.txt")).expect("fetched"),
        "from the service"
    );
    let manifest = ws.run_json("manifest.json");
    let roles: Vec<&str> = manifest["suites"][0]["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .map(|p| p["role"].as_str().expect("role"))
        .collect();
    assert_eq!(roles, ["command", "service"]);
}

#[test]
fn launch_empties_state_secrets_when_the_app_ends() {
    let ws = Workspace::with(&[
        ("suites.toml", ""),
        (
            "runners/app.toml",
            "[runner.app]\ntargets = [\"cli\"]\nlaunch = \"test -s \\\"$LAB_STATE_SECRETS/APP_KEY\\\"\"\n",
        ),
        ("profiles/p.toml", "[profile.p]\nsecrets = [\"APP_KEY\"]\n"),
    ]);
    // Exit 0: the app saw its secret.
    ws.cmd(&["launch", "cli", "--profile", "p"])
        .env("APP_KEY", "launch-secret-value")
        .stderr(&launching(&ws, "cli"))
        .run();
    // Emptied, and on success removed with the other state roots.
    let secrets = ws.latest_run().join("suites/launch.cli/state.secrets");
    assert_eq!(std::fs::read_dir(&secrets).map_or(0, |d| d.count()), 0);
}
