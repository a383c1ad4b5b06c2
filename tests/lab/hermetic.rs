//! Hermetic profiles (issue 12 item 3): a suite sees exactly the allowed
//! variables and nothing else of the caller's environment, with umask 022
//! and SOURCE_DATE_EPOCH from the commit; and (item 4) a unix socket fits
//! in every suite's TMPDIR.

use std::collections::BTreeMap;

use crate::harness::{Workspace, git, python, suite};

const REGISTRY: &str = r#"[profile.sealed]
hermetic = true
secrets = ["API_TOKEN"]
env = { APP_MODE = "test" }

[suite.h]
profile = "sealed"
command = "env; echo umask: $(umask); ls -A \"$HOME\" | wc -l"
"#;

/// `NAME=value` lines of `text` up to the first line that is not one.
fn vars(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map_while(|l| l.split_once('='))
        .filter(|(k, _)| k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn a_hermetic_suite_sees_exactly_the_allowed_variables() {
    let ws = Workspace::git_repo(&[("suites.toml", REGISTRY)]);
    let epoch = git(ws.path(), &["log", "-1", "--format=%ct"]);
    ws.cmd(&["verify", "h"])
        .env("FOO", "bar")
        .env("TZ", "America/New_York")
        .env("API_TOKEN", "tok-31415926")
        .stderr_any()
        .run();
    let log = std::fs::read_to_string(ws.latest_run().join("suites/suite.h/stdout.log"))
        .expect("stdout.log");
    let mut seen = vars(&log);
    // What /bin/sh itself exports, whatever lab gives it.
    for shell_own in ["PWD", "OLDPWD", "SHLVL", "_"] {
        seen.remove(shell_own);
    }
    let names: Vec<&str> = seen.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "API_TOKEN",
            "APP_MODE",
            "HOME",
            "LAB_ARTIFACT_DIR",
            "LAB_FIXTURES",
            "LAB_PROFILE",
            "LAB_RUN_DIR",
            "LAB_RUN_ID",
            "LAB_STATE_CONFIG",
            "LAB_STATE_DATA",
            "LAB_STATE_SECRETS",
            "LAB_SUITE_DIR",
            "LAB_SUITE_ID",
            "LAB_WORKSPACE",
            "LANG",
            "LC_ALL",
            "PATH",
            "SOURCE_DATE_EPOCH",
            "TMPDIR",
            "TZ",
            "XDG_CONFIG_HOME",
            "XDG_DATA_HOME",
            "XDG_STATE_HOME",
        ],
        "{log}"
    );
    assert!(!log.contains("FOO") && !log.contains("bar\n"), "{log}");
    assert_eq!(seen["PATH"], "/usr/local/bin:/usr/bin:/bin");
    assert_eq!(seen["TZ"], "UTC");
    assert_eq!(
        (seen["LANG"].as_str(), seen["LC_ALL"].as_str()),
        ("C.UTF-8", "C.UTF-8")
    );
    assert_eq!(seen["SOURCE_DATE_EPOCH"], epoch.trim());
    assert_eq!(seen["API_TOKEN"], "[REDACTED]");
    assert!(
        log.contains("umask: 0022\n0\n"),
        "umask 022 and an empty HOME: {log}"
    );
    let manifest = ws.run_json("manifest.json");
    let entry = &manifest["suites"][0];
    assert_eq!(entry["hermetic"], true);
    // HOME sits beside the other roots, outside the workspace.
    let tmp = entry["roots"]["tmp"].as_str().expect("tmp");
    let roots = std::path::Path::new(tmp).parent().expect("roots");
    assert_eq!(std::path::Path::new(&seen["HOME"]), roots.join("home"));
    assert_eq!(seen["TMPDIR"], tmp);

    // `suite show` prints the same environment, secrets masked.
    let show = ws
        .cmd(&["suite", "show", "h"])
        .env("FOO", "bar")
        .env("API_TOKEN", "tok-31415926")
        .stdout_any()
        .run();
    assert!(
        show.stdout.contains("env          API_TOKEN=[REDACTED]\n"),
        "{}",
        show.stdout
    );
    assert!(
        show.stdout.contains("env          TZ=UTC\n"),
        "{}",
        show.stdout
    );
    assert!(
        show.stdout.contains(&format!(
            "env          SOURCE_DATE_EPOCH={}\n",
            epoch.trim()
        )),
        "{}",
        show.stdout
    );
    assert!(
        !show.stdout.contains("FOO") && !show.stdout.contains("tok-3"),
        "{}",
        show.stdout
    );
}

#[test]
fn outside_a_repository_there_is_no_source_date_epoch_and_pass_env_sets_path() {
    let registry = REGISTRY.replace("hermetic = true", "hermetic = true\npass_env = [\"PATH\"]");
    let ws = Workspace::with(&[("suites.toml", &registry)]);
    // lab itself under umask 077: the suite still gets 022.
    let lab = crate::harness::lab_command(ws.path());
    let mut cmd = std::process::Command::new("/bin/sh");
    cmd.args(["-c", "umask 077; exec \"$0\" verify h"])
        .arg(lab.get_program())
        .current_dir(ws.path())
        .env_clear()
        .envs(lab.get_envs().filter_map(|(k, v)| Some((k, v?))));
    let out = crate::harness::run(&mut cmd);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let log = std::fs::read_to_string(ws.latest_run().join("suites/suite.h/stdout.log"))
        .expect("stdout.log");
    let seen = vars(&log);
    assert!(!seen.contains_key("SOURCE_DATE_EPOCH"), "{log}");
    assert!(log.contains("umask: 0022\n"), "{log}");
    assert_eq!(seen["PATH"], std::env::var("PATH").expect("PATH"));
    let summary = ws.run_json("summary.json");
    assert_eq!(suite(&summary, "suite.h")["status"], "passed");
}

/// Item 4: a suite binds a unix socket at `$TMPDIR/s`, hermetic or not.
#[test]
fn a_unix_socket_fits_in_every_suites_tmpdir() {
    let py = python();
    let bind = format!(
        "{py} -c 'import os, socket; s = socket.socket(socket.AF_UNIX); s.bind(os.environ[\"TMPDIR\"] + \"/s\"); print(\"bound\", len(os.environ[\"TMPDIR\"]))'"
    );
    let registry = format!(
        "[profile.sealed]\nhermetic = true\n\n[suite.plain]\ncommand = '''{bind}'''\n\n[suite.sealed]\nprofile = \"sealed\"\ncommand = '''{bind}'''\n"
    );
    let ws = Workspace::with(&[("suites.toml", &registry)]);
    ws.cmd(&["verify", "--all"]).stderr_any().run();
    for id in ["suite.plain", "suite.sealed"] {
        let log = std::fs::read_to_string(ws.latest_run().join(format!("suites/{id}/stdout.log")))
            .expect("stdout.log");
        assert!(log.starts_with("bound "), "{id}: {log}");
    }
}
