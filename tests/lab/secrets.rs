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
