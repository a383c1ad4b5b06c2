//! A name a profile declares in `secrets` is a secret in every suite
//! (issue 18 item 9, declared names): redacted in the logs and in
//! manifest.json of a suite that does not use that profile.

use crate::harness::Workspace;

#[test]
fn declared_secrets_are_secret_in_every_suite() {
    let ws = Workspace::with(&[(
        "suites.toml",
        "[profile.p]\nsecrets = [\"DB_PASS\"]\n\n[suite.uses]\ncommand = \"true\"\nprofile = \"p\"\n\n[suite.other]\ncommand = \"echo pass=$DB_PASS\"\n",
    )]);
    ws.cmd(&["verify", "other"])
        .env("DB_PASS", "hunter2-database")
        .stderr_any()
        .run();
    let run = ws.latest_run();
    let log = std::fs::read_to_string(run.join("suites/suite.other/stdout.log")).expect("log");
    assert_eq!(log, "pass=[REDACTED]\n");
    let manifest = std::fs::read_to_string(run.join("manifest.json")).expect("manifest");
    assert!(!manifest.contains("hunter2-database"), "{manifest}");
    let doc: serde_json::Value = serde_json::from_str(&manifest).expect("json");
    assert_eq!(doc["env"]["DB_PASS"], "[REDACTED]");
    assert_eq!(doc["suites"][0]["env"]["DB_PASS"], "[REDACTED]");
}

/// A word of a name is not a fragment of it (issue 18 item 9): the
/// desktop's `XDG_SESSION_DESKTOP=ubuntu` and `GIT_AUTHOR_NAME` are not
/// secrets, so `ubuntu` stays readable in logs and in marker paths; a real
/// secret inside a marked path is kept out of every name lab writes.
#[test]
fn only_whole_words_make_a_secret_and_markers_are_read_before_redaction() {
    let ws = Workspace::with(&[(
        "suites.toml",
        "[suite.a]\ncommand = \"\"\"\nmkdir -p \"$LAB_STATE_DATA/ubuntu\"\necho shot > \"$LAB_STATE_DATA/ubuntu/home.png\"\necho x > \"$LAB_STATE_DATA/$APP_TOKEN.txt\"\necho \"desktop $XDG_SESSION_DESKTOP by $GIT_AUTHOR_NAME pg $PGPASSWORD\"\necho \"LAB_ARTIFACT_PATH=$LAB_STATE_DATA/ubuntu/home.png\"\necho \"LAB_ARTIFACT_PATH=$LAB_STATE_DATA/$APP_TOKEN.txt\"\n\"\"\"\n",
    )]);
    ws.cmd(&["verify", "a"])
        .env("XDG_SESSION_DESKTOP", "ubuntu")
        .env("GIT_AUTHOR_NAME", "Grace Hopper")
        .env("PGPASSWORD", "pg-secret-3141")
        .env("APP_TOKEN", "tk-9f8e7d6c5b")
        .stderr_any()
        .run();
    let run = ws.latest_run();
    let log = std::fs::read_to_string(run.join("suites/suite.a/stdout.log")).expect("log");
    assert!(
        log.contains("desktop ubuntu by Grace Hopper pg [REDACTED]"),
        "{log}"
    );
    let summary = ws.run_json("summary.json");
    let artifacts = crate::harness::suite(&summary, "suite.a")["artifacts"].to_string();
    assert!(artifacts.contains("home.png"), "{artifacts}");
    assert!(artifacts.contains("[REDACTED].txt"), "{artifacts}");
    // No name or content lab wrote holds the token.
    let mut stack = vec![run.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read").flatten() {
            let path = entry.path();
            assert!(
                !path.to_string_lossy().contains("tk-9f8e7d6c5b")
                    || path.starts_with(run.join("suites/suite.a/state.data")),
                "{path:?}"
            );
            let meta = std::fs::symlink_metadata(&path).expect("meta");
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() {
                let text =
                    String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned();
                assert!(!text.contains("tk-9f8e7d6c5b"), "{path:?}");
            }
        }
    }
}
