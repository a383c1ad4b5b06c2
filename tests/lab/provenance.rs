//! Provenance where people look, and diffs that say what differs (issue
//! 20 items 3 and 4), on real runs in real git repositories: the version
//! of each suite's program (probed once, then cached by the executable's
//! path, size and mtime: a fake tool logs every call), the registry
//! digest, the commit in report.html, markdown and `runs list`, and a
//! `runs diff` across two commits that says so and counts failed tests.

use std::path::Path;

use crate::harness::{Workspace, git, read_json};

/// Writes an executable script.
fn script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, format!("#!/bin/sh\n{body}")).expect("write script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// A fake `mytool`, `cargo` and `rustc` in `<ws>/bin`, each logging its
/// arguments to `<ws>/calls.log`; returns a PATH with them first.
fn fake_tools(ws: &Workspace) -> String {
    let bin = ws.path().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let log = ws.path().join("calls.log");
    for (name, version) in [
        ("mytool", "mytool 4.2.0"),
        ("cargo", "cargo 9.9.9 (fake)"),
        ("rustc", "rustc 9.9.9 (fake)"),
    ] {
        script(
            &bin.join(name),
            &format!(
                "echo \"{name} $*\" >> '{}'\n[ \"$1\" = --version ] && echo '{version}'\nexit 0\n",
                log.display()
            ),
        );
    }
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// The lines of calls.log that asked for a version.
fn version_calls(ws: &Workspace) -> Vec<String> {
    std::fs::read_to_string(ws.path().join("calls.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.ends_with("--version"))
        .map(str::to_string)
        .collect()
}

const PROGRAMS: &str = r#"
[suite.fake]
command = "RUST_LOG=x exec mytool run"

[suite.build]
command = "cargo test --quiet"

[suite.py]
command = "python3 -c 'pass'"

[suite.shell]
command = "sh -c 'exit 0'"
"#;

#[test]
fn a_command_suites_manifest_records_its_programs_version_probed_once() {
    let ws = Workspace::git_repo(&[("suites.toml", PROGRAMS)]);
    let path = fake_tools(&ws);
    ws.cmd(&["verify", "--all"])
        .env("PATH", &path)
        .stderr_any()
        .run();
    let manifest = ws.run_json("manifest.json");
    let tools = &manifest["tools"];
    assert_eq!(tools["mytool"]["version"], "mytool 4.2.0");
    assert_eq!(tools["cargo"]["version"], "cargo 9.9.9 (fake)");
    assert_eq!(
        tools["rustc"]["version"], "rustc 9.9.9 (fake)",
        "cargo brings rustc"
    );
    let python = tools["python3"]["version"].as_str().unwrap_or_default();
    assert!(python.starts_with("Python 3."), "{python}");
    assert!(
        tools["sh"]["path"].as_str().is_some(),
        "sh is recorded by its path even when it has no --version: {tools}"
    );
    let program = |id: &str| {
        manifest["suites"]
            .as_array()
            .expect("suites")
            .iter()
            .find(|s| s["id"] == id)
            .map(|s| s["program"].clone())
    };
    assert_eq!(program("suite.fake"), Some("mytool".into()));
    assert_eq!(program("suite.build"), Some("cargo".into()));
    assert_eq!(
        version_calls(&ws).len(),
        3,
        "one probe each: {:?}",
        version_calls(&ws)
    );

    // A warm machine: the second run starts no probe and records the same.
    ws.cmd(&["verify", "--all"])
        .env("PATH", &path)
        .stderr_any()
        .run();
    assert_eq!(version_calls(&ws).len(), 3, "{:?}", version_calls(&ws));
    let again = ws.run_json("manifest.json");
    assert_eq!(again["tools"]["mytool"]["version"], "mytool 4.2.0");
    assert_eq!(again["tools"]["rustc"]["version"], "rustc 9.9.9 (fake)");

    // An updated tool (another size and mtime) is asked again.
    let log = ws.path().join("calls.log");
    script(
        &ws.path().join("bin/mytool"),
        &format!(
            "echo \"mytool $*\" >> '{}'\n[ \"$1\" = --version ] && echo 'mytool 5.0.0 (updated)'\nexit 0\n",
            log.display()
        ),
    );
    ws.cmd(&["verify", "--all"])
        .env("PATH", &path)
        .stderr_any()
        .run();
    assert_eq!(version_calls(&ws).len(), 4, "{:?}", version_calls(&ws));
    let updated = ws.run_json("manifest.json");
    assert_eq!(
        updated["tools"]["mytool"]["version"],
        "mytool 5.0.0 (updated)"
    );
}

#[test]
fn the_registry_digest_changes_when_suites_toml_is_edited() {
    // No version control: the digest is all that tells the runs apart.
    let ws = Workspace::with(&[("suites.toml", "[suite.a]\ncommand = \"true\"\n")]);
    ws.cmd(&["verify", "--all"]).stderr_any().run();
    let first = ws.run_json("manifest.json")["registry"].clone();
    ws.cmd(&["verify", "--all"]).stderr_any().run();
    assert_eq!(
        ws.run_json("manifest.json")["registry"],
        first,
        "the same registry, the same digest"
    );
    ws.write(
        "suites.toml",
        "[suite.a]\ncommand = \"true\"\ndescription = \"edited\"\n",
    );
    ws.cmd(&["verify", "--all"]).stderr_any().run();
    let manifest = ws.run_json("manifest.json");
    let digest = manifest["registry"]["digest"].as_str().expect("digest");
    assert!(digest.starts_with("sha1:"), "{digest}");
    assert_ne!(manifest["registry"]["digest"], first["digest"]);
    assert_eq!(manifest["registry"]["file"], "suites.toml");
    assert_eq!(
        ws.run_json("summary.json")["registry_digest"],
        manifest["registry"]["digest"]
    );
    ws.cmd(&["runs", "diff"])
        .stdout_contains(": registry differs\n")
        .run();
}

#[test]
fn reports_and_runs_list_show_commit_dirtiness_base_and_changed_paths() {
    let ws = Workspace::git_repo(&[
        (
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\npaths = [\"src/**\"]\n",
        ),
        ("src/a.txt", "one\n"),
    ]);
    let commit = git(ws.path(), &["rev-parse", "HEAD"]).trim().to_string();
    let short = &commit[..10];
    ws.cmd(&["verify", "--all"]).stderr_any().run();
    let html = std::fs::read_to_string(ws.latest_run().join("report.html")).expect("report");
    assert!(html.contains(&commit), "the full commit id is on the page");
    assert!(html.contains(&format!("commit {short} (clean)")), "{html}");

    ws.write("src/a.txt", "two\n");
    ws.cmd(&["verify", "--changed", "--base", "main"])
        .stderr_any()
        .run();
    let expected = format!("commit {short} (dirty), base main, 1 changed path");
    let html = std::fs::read_to_string(ws.latest_run().join("report.html")).expect("report");
    assert!(html.contains(&expected), "{html}");
    ws.cmd(&["report", "--format", "markdown"])
        .stdout_contains(&expected)
        .run();
    let list = ws.cmd(&["runs", "list"]).stdout_any().run();
    let lines: Vec<&str> = list.stdout.lines().collect();
    assert!(lines[0].ends_with(&expected), "{}", list.stdout);
    assert!(
        lines[1].ends_with(&format!("commit {short} (clean)")),
        "{}",
        list.stdout
    );
    let summary = read_json(&ws.latest_run().join("summary.json"));
    assert_eq!(summary["vcs"]["commit"], commit.as_str());
    assert_eq!(summary["vcs"]["dirty"], true);
}

/// A test script that writes JUnit with as many failing cases as the
/// file `failing` says (of 4), and fails when any does.
const JUNIT_SCRIPT: &str = r#"n=$(cat failing)
{
  echo '<?xml version="1.0"?>'
  echo "<testsuite name=\"t\" tests=\"4\" failures=\"$n\">"
  i=0
  while [ $i -lt 4 ]; do
    if [ $i -lt "$n" ]; then
      echo "<testcase name=\"case$i\"><failure message=\"broke $i\">broke $i</failure></testcase>"
    else
      echo "<testcase name=\"case$i\"/>"
    fi
    i=$((i + 1))
  done
  echo '</testsuite>'
} > "$1"
[ "$n" -eq 0 ]
"#;

#[test]
fn runs_diff_across_two_commits_says_so_and_counts_failed_tests() {
    let ws = Workspace::git_repo(&[
        (
            "suites.toml",
            "[suite.unit]\ncommand = \"sh tests.sh {junit}\"\n\n[suite.other]\ncommand = \"true\"\n",
        ),
        ("tests.sh", JUNIT_SCRIPT),
        ("failing", "3\n"),
    ]);
    let first = git(ws.path(), &["rev-parse", "HEAD"]).trim().to_string();
    ws.cmd(&["verify", "--all"]).status(1).stderr_any().run();
    // An unrelated run in between: each suite is compared with its own
    // previous run, not with whatever ran last.
    ws.cmd(&["verify", "suite.other"]).stderr_any().run();
    ws.write("failing", "1\n");
    git(ws.path(), &["commit", "-qam", "fix two tests"]);
    let second = git(ws.path(), &["rev-parse", "HEAD"]).trim().to_string();
    ws.cmd(&["verify", "suite.unit"])
        .status(1)
        .stderr_any()
        .run();
    let text = ws.cmd(&["runs", "diff"]).stdout_any().run().stdout;
    assert!(
        text.contains(&format!(
            "commits differ ({} → {})",
            &first[..10],
            &second[..10]
        )),
        "{text}"
    );
    assert!(text.contains("selection differs (2 suites → 1)"), "{text}");
    assert!(
        text.contains("still failing:\n  suite.unit  failed tests 3 → 1"),
        "{text}"
    );
    let d = ws.cmd(&["runs", "diff", "--json"]).run_json();
    assert_eq!(d["still_failing"][0]["failed_tests"]["before"], 3);
    assert_eq!(d["still_failing"][0]["failed_tests"]["after"], 1);
    assert_eq!(d["against"][0]["differs"][0], "commit");
    assert_eq!(d["removed"], serde_json::json!([]), "{d}");
    let html = std::fs::read_to_string(ws.latest_run().join("report.html")).expect("report");
    assert!(html.contains("failed tests 3 → 1"), "{html}");
    assert!(html.contains("commits differ"), "{html}");
    assert!(!html.contains("Removed ("), "nothing removed: {html}");
}
