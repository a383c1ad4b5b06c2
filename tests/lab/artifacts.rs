//! Marked artifacts never carry secrets out of a run, never copy the run
//! into itself, and never hang lab (issue 18, items 1, 3 and 4 for
//! markers), staged by a real suite.

use crate::harness::Workspace;

const SUITE: &str = r#"#!/bin/sh
set -eu
out="$LAB_STATE_DATA/outdir"
mkdir -p "$out/secrets" "$out/.ssh" "$out/.aws" "$out/sub"
echo fine > "$out/report.html"
echo fine > "$out/sub/ok.txt"
echo secret-content-7f3a > "$out/secrets/key"
echo secret-content-7f3a > "$out/.ssh/id_rsa"
echo secret-content-7f3a > "$out/.aws/credentials"
echo secret-content-7f3a > "$out/server.pem"
echo secret-content-7f3a > "$out/token.json"
echo secret-content-7f3a > "$out/.env.local"
ln -s /etc/hostname "$out/hostname-link"
ln -s "$out/sub" "$out/loop-back"
mkfifo "$out/pipe"
mkfifo "$LAB_STATE_DATA/lone-pipe"
echo "LAB_ARTIFACT_PATH=$out"
echo "LAB_ARTIFACT_PATH=$LAB_STATE_SECRETS"
echo "LAB_ARTIFACT_PATH=$LAB_SUITE_DIR"
echo "LAB_ARTIFACT_PATH=$LAB_STATE_DATA/lone-pipe"
"#;

#[test]
fn marked_paths_never_carry_secrets_copy_the_run_or_hang() {
    let ws = Workspace::with(&[
        (
            "suites.toml",
            "[suite.a]\ncommand = \"sh ./suite.sh\"\nprofile = \"p\"\n\n[profile.p]\nsecrets = [\"APP_SECRET\"]\ncleanup = \"never\"\n",
        ),
        ("suite.sh", SUITE),
    ]);
    ws.cmd(&["verify", "a"])
        .env("APP_SECRET", "s3cret-value-in-a-file")
        .stderr_any()
        .run();
    let run = ws.latest_run();
    // The marked directory came in with what is harmless only.
    let mut copied: Vec<String> = Vec::new();
    let artifacts = run.join("suites/suite.a/artifacts");
    let mut stack = vec![artifacts.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read").flatten() {
            let meta = std::fs::symlink_metadata(entry.path()).expect("meta");
            assert!(
                !meta.file_type().is_symlink(),
                "a link was copied: {:?}",
                entry.path()
            );
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                let rel = entry
                    .path()
                    .strip_prefix(&artifacts)
                    .expect("under")
                    .display()
                    .to_string();
                copied.push(rel);
            }
        }
    }
    copied.sort();
    // `sub/` is reached twice (itself, and the link back to it inside the
    // run): copied once, as files, whichever way the listing met it first.
    let ok: Vec<&String> = copied.iter().filter(|c| c.ends_with("/ok.txt")).collect();
    assert_eq!(ok.len(), 1, "{copied:?}");
    assert_eq!(copied.len(), 2, "{copied:?}");
    assert!(
        copied.contains(&"outdir/report.html".to_string()),
        "{copied:?}"
    );
    // Every refusal is named with its reason.
    let events = std::fs::read_to_string(run.join("lab.log.jsonl")).expect("events");
    let ignored: Vec<serde_json::Value> = events
        .lines()
        .map(|l| serde_json::from_str(l).expect("event"))
        .filter(|e: &serde_json::Value| e["event"] == "artifact_ignored")
        .collect();
    let reason_for = |tail: &str| -> String {
        ignored
            .iter()
            .find(|e| e["path"].as_str().is_some_and(|p| p.ends_with(tail)))
            .map(|e| e["reason"].as_str().unwrap_or_default().to_string())
            .unwrap_or_else(|| panic!("no artifact_ignored for {tail}: {ignored:#?}"))
    };
    for tail in [
        "outdir/secrets",
        "outdir/.ssh",
        "outdir/.aws",
        "outdir/server.pem",
        "outdir/token.json",
        "outdir/.env.local",
    ] {
        assert!(reason_for(tail).contains("looks like a secret"), "{tail}");
    }
    assert!(reason_for("outdir/hostname-link").contains("leads out of the run directory"));
    assert!(reason_for("outdir/pipe").contains("neither a regular file nor a directory"));
    assert!(reason_for("state.secrets").contains("state.secrets, which is never collected"));
    assert!(reason_for("suites/suite.a").contains("contains the artifact directory"));
    assert!(reason_for("lone-pipe").contains("neither a regular file nor a directory"));
    // No file of the run holds a secret's content or value.
    let mut stack = vec![run.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read").flatten() {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).expect("meta");
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() && !path.starts_with(run.join("suites/suite.a/state.data")) {
                let text =
                    String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned();
                assert!(!text.contains("secret-content-7f3a"), "{path:?}");
                assert!(!text.contains("s3cret-value-in-a-file"), "{path:?}");
            }
        }
    }
}

#[test]
fn a_hostile_junit_file_neither_crashes_nor_hangs_lab() {
    // 1,000 nested <testsuite> overflowed the parser's stack; a FIFO named
    // as the report blocked lab forever.
    let deep = "<testsuite>".repeat(1000) + &"</testsuite>".repeat(1000);
    let ws = Workspace::with(&[
        (
            "suites.toml",
            "[runner.deep]\njunit = \"deep.xml\"\n\n[runner.fifo]\njunit = \"pipe.xml\"\n\n[suite.deep]\ncommand = \"cp deep.src deep.xml; exit 1\"\nrunners = [\"deep\"]\n\n[suite.fifo]\ncommand = \"rm -f pipe.xml; mkfifo pipe.xml\"\nrunners = [\"fifo\"]\n",
        ),
        ("deep.src", &deep),
    ]);
    ws.cmd(&["verify", "deep", "fifo"])
        .status(1)
        .stderr_any()
        .run();
    let summary = ws.run_json("summary.json");
    crate::harness::assert_valid("summary", &summary);
    let deep = crate::harness::suite(&summary, "suite.deep");
    assert_eq!(deep["status"], "failed");
    assert_eq!(deep["reason"], "exited with 1");
    assert_eq!(deep["tests"], serde_json::Value::Null);
    assert_eq!(
        crate::harness::suite(&summary, "suite.fifo")["status"],
        "passed"
    );
    let events = std::fs::read_to_string(ws.latest_run().join("lab.log.jsonl")).expect("events");
    let unreadable: Vec<&str> = events
        .lines()
        .filter(|l| l.contains("\"junit_unreadable\""))
        .collect();
    // The FIFO is not a report: passed over without a read.
    assert_eq!(unreadable.len(), 1, "{events}");
    assert!(
        unreadable[0].contains("nested deeper than 64 elements"),
        "{events}"
    );
}

#[test]
fn declared_paths_out_of_bounds_are_check_errors() {
    let ws = Workspace::with(&[(
        "suites.toml",
        r#"[suite.a]
command = "true"
cwd = "sub"
artifacts = ["up", "abs", "secrets", "rel"]

[artifact.up]
path = "../../etc/passwd"

[artifact.abs]
path = "/etc/hostname"

[artifact.secrets]
path = "{state.secrets}/key"

[artifact.rel]
path = "../fine.txt"
"#,
    )]);
    std::fs::create_dir(ws.path().join("sub")).expect("mkdir");
    let out = ws.cmd(&["check"]).status(2).stderr_any().stdout_any().run();
    let text = format!("{}{}", out.stdout, out.stderr);
    for (id, line) in [("up", 6), ("abs", 10), ("secrets", 13)] {
        assert!(
            text.contains(&format!("artifact.{id}"))
                && text.contains(&format!("suites.toml:{line}")),
            "{id}: {text}"
        );
    }
    assert!(text.contains("outside = true"), "{text}");
    assert!(!text.contains("artifact.rel"), "{text}");
}

const DECLARED: &str = r#"[lab]
max_artifact_files = 3

[suite.a]
command = "sh ./suite.sh"
artifacts = ["link", "tree", "fixed", "req"]

[artifact.link]
path = "out/link"

[artifact.tree]
path = "out/tree"

[artifact.fixed]
path = "/etc/hostname"
outside = true

[artifact.req]
path = "out/token.json"
required = true
"#;

const DECLARED_SUITE: &str = r#"#!/bin/sh
mkdir -p out/tree/deep out/many
ln -sf /etc/hostname out/link
echo ok > out/tree/good.txt
echo secret-content-7f3a > out/tree/.env
ln -sf /etc out/tree/etc
echo secret-content-7f3a > out/token.json
for i in 1 2 3 4 5; do echo $i > "$LAB_STATE_DATA/many-$i.txt"; done
echo "LAB_ARTIFACT_PATH=$LAB_STATE_DATA"
"#;

#[test]
fn declared_artifacts_pass_the_marker_checks_within_one_budget() {
    let ws = Workspace::with(&[("suites.toml", DECLARED), ("suite.sh", DECLARED_SUITE)]);
    ws.cmd(&["verify", "a"]).status(1).stderr_any().run();
    let summary = ws.run_json("summary.json");
    let suite = crate::harness::suite(&summary, "suite.a");
    // The required artifact was there, and refused for its name.
    assert_eq!(suite["step"], "artifact:artifact.req", "{suite:#}");
    let reason = suite["reason"].as_str().expect("reason");
    assert!(
        reason.contains("was refused") && reason.contains("looks like a secret"),
        "{reason}"
    );
    let record = |id: &str| -> serde_json::Value {
        suite["artifacts"]
            .as_array()
            .expect("artifacts")
            .iter()
            .find(|a| a["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no {id}: {suite:#}"))
    };
    assert_eq!(record("artifact.link")["missing"], true);
    assert_eq!(record("artifact.fixed")["missing"], false);
    assert_eq!(record("artifact.tree")["missing"], false);
    let run = ws.latest_run();
    let artifacts = run.join("suites/suite.a/artifacts");
    assert!(artifacts.join("tree/good.txt").is_file());
    assert!(!artifacts.join("tree/.env").exists());
    assert!(!artifacts.join("tree/etc").exists());
    assert!(!artifacts.join("link").exists());
    // hostname and good.txt were 2 of the 3 files: one more fits.
    let kept = std::fs::read_dir(artifacts.join("state.data"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(
        kept, 1,
        "the budget of 3 files bounds declared and marked together"
    );
    let events = std::fs::read_to_string(run.join("lab.log.jsonl")).expect("events");
    assert!(events.contains("artifact budget is spent"), "{events}");
    assert!(
        events.contains("leads out of the workspace, the run directory and the suite's roots"),
        "{events}"
    );
}

#[test]
fn fixture_data_never_follows_a_link_out_of_the_workspace() {
    let ws = Workspace::with(&[
        (
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\nfixtures = [\"f\"]\n\n[fixture.f]\ncopy = [{ from = \"data\", to = \"data\" }]\n",
        ),
        ("data/ok.txt", "ok"),
    ]);
    std::os::unix::fs::symlink("/etc/hostname", ws.path().join("data/host")).expect("link");
    ws.cmd(&["verify", "a"]).status(78).stderr_any().run();
    let summary = ws.run_json("summary.json");
    let suite = crate::harness::suite(&summary, "suite.a");
    assert_eq!(suite["status"], "blocked");
    assert_eq!(suite["step"], "fixture:fixture.f:copy");
    assert!(
        suite["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("leads out of the workspace"),
        "{suite:#}"
    );
}
