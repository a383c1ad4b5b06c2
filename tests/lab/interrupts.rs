//! Ctrl-C keeps its promise (docs/running.md): the first signal stops
//! every running suite with TERM and gives it the grace period to clean
//! up; only a second signal cuts that short with KILL.

use crate::harness::{Workspace, eventually};

const SUITE: &str = "[suite.a]\ncommand = \"sh ./suite.sh\"\n";

/// Cleans up for a second when TERM comes, saying when it started.
const CLEANS_UP: &str = r#"#!/bin/sh
trap 'touch got-term; sleep 1; touch cleaned-up; exit 1' TERM
touch started
while :; do sleep 0.1; done
"#;

/// `lab verify a` in a workspace whose suite cleans up after TERM,
/// started and running its command.
fn started() -> (Workspace, std::process::Child) {
    let ws = Workspace::with(&[("suites.toml", SUITE), ("suite.sh", CLEANS_UP)]);
    let child = ws.spawn(&["verify", "a"]);
    assert!(eventually(20, || ws.path().join("started").exists()));
    (ws, child)
}

fn interrupt(child: &std::process::Child) {
    let pid = rustix::process::Pid::from_raw(child.id() as i32).expect("pid");
    rustix::process::kill_process(pid, rustix::process::Signal::INT).expect("SIGINT");
}

#[test]
fn the_first_ctrl_c_gives_suites_the_grace_period() {
    let (ws, child) = started();
    interrupt(&child);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(ws.path().join("got-term").exists(), "TERM first");
    assert!(
        ws.path().join("cleaned-up").exists(),
        "the suite had its grace period to clean up"
    );
}

#[test]
fn a_second_ctrl_c_kills_at_once() {
    let (ws, child) = started();
    interrupt(&child);
    assert!(eventually(20, || ws.path().join("got-term").exists()));
    interrupt(&child);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !ws.path().join("cleaned-up").exists(),
        "the second signal killed the suite before its one-second clean-up"
    );
}
