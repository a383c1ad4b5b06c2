//! Nothing lab started outlives it, even a `kill -KILL` of lab (issue 22):
//! its services, its suites' commands and what they started, and the
//! holder of a suite's network namespace.

use std::path::Path;

use crate::harness::{Workspace, alive, eventually};

/// The pids written into `dir/<name>`, one per file.
fn pids(dir: &Path, names: &[&str]) -> Vec<u32> {
    names
        .iter()
        .map(|n| {
            std::fs::read_to_string(dir.join(n))
                .unwrap_or_else(|e| panic!("{n}: {e}"))
                .trim()
                .parse()
                .unwrap_or_else(|e| panic!("{n}: {e}"))
        })
        .collect()
}

/// Starts `lab verify suite`, waits for every file of `ready` in the
/// workspace, then kills lab with SIGKILL.
fn kill_lab_once_running(ws: &Workspace, ready: &[&str]) {
    let mut lab = ws.spawn(&["verify", "suite"]);
    assert!(
        eventually(30, || ready.iter().all(|f| ws.path().join(f).exists())),
        "the suite never got going"
    );
    lab.kill().expect("SIGKILL lab");
    lab.wait().expect("reap lab");
}

/// A service and a command that each start a child of their own and
/// wait: the top process and that child write their pids.
const REGISTRY: &str = r#"
[service.svc]
command = "sleep 600 & echo $! > \"$LAB_WORKSPACE/service-child.pid\"; echo $$ > \"$LAB_WORKSPACE/service.tmp\"; mv \"$LAB_WORKSPACE/service.tmp\" \"$LAB_WORKSPACE/service.pid\"; wait"
ready = { file = "{workspace}/service.pid" }

[suite.suite]
services = ["svc"]
command = "sleep 600 & echo $! > \"$LAB_WORKSPACE/command-child.pid\"; echo $$ > \"$LAB_WORKSPACE/command.tmp\"; mv \"$LAB_WORKSPACE/command.tmp\" \"$LAB_WORKSPACE/command.pid\"; wait"
"#;

const PIDS: &[&str] = &[
    "service.pid",
    "service-child.pid",
    "command.pid",
    "command-child.pid",
];

#[test]
fn a_killed_lab_takes_its_services_and_suites_along() {
    let ws = Workspace::with(&[("suites.toml", REGISTRY)]);
    kill_lab_once_running(&ws, &["command.pid"]);
    let pids = pids(ws.path(), PIDS);
    assert!(
        eventually(2, || pids.iter().all(|p| !alive(*p))),
        "still running 2 s after lab was killed: {:?}",
        PIDS.iter()
            .zip(&pids)
            .filter(|(_, p)| alive(**p))
            .collect::<Vec<_>>()
    );
}

#[test]
#[ignore = "needs unshare, nsenter (util-linux) and ip (iproute2); .ci/run installs them and runs ignored tests"]
fn a_killed_lab_takes_a_loopback_suite_and_its_namespace_along() {
    let registry = format!(
        "[profile.offline]\nnetwork = \"loopback\"\n{}\nprofile = \"offline\"\n",
        REGISTRY.trim_end()
    );
    let ws = Workspace::with(&[("suites.toml", &registry)]);
    let holders_before = holders();
    kill_lab_once_running(&ws, &["command.pid"]);
    let pids = pids(ws.path(), PIDS);
    assert!(
        eventually(2, || pids.iter().all(|p| !alive(*p))),
        "still running 2 s after lab was killed: {:?}",
        PIDS.iter()
            .zip(&pids)
            .filter(|(_, p)| alive(**p))
            .collect::<Vec<_>>()
    );
    assert!(
        eventually(2, || holders().iter().all(|h| holders_before.contains(h))),
        "a namespace holder outlived lab: {:?}",
        holders()
    );
}

/// The pids of namespace holders (`sleep 2147483647`) on the machine.
fn holders() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .expect("read /proc")
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.ends_with(b"sleep\x002147483647\x00"))
                && alive(*pid)
        })
        .collect()
}
