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
    assert!(reason_for("state.secrets").contains("looks like a secret"));
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
