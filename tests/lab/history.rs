//! Run history and reports on real runs: list, show, diff, flaky, prune,
//! --rerun-failed, report formats, the index (corrupt and missing inputs),
//! and report.html loaded in a real headless Chromium.

use crate::harness::{Workspace, ids, read_json};

const REGISTRY: &str = r#"
[suite.steady]
command = "true"
tags = ["x"]

[suite.toggle]
command = "if [ -f fail ]; then echo 'error: toggle <broke> & stopped' >&2; exit 1; fi"
tags = ["x"]

[suite.sometimes]
command = "true"
tags = ["x"]
"#;

/// Runs `lab verify --tag x` with `toggle` failing or not; returns the run id.
fn run(ws: &Workspace, toggle_fails: bool) -> String {
    let marker = ws.path().join("fail");
    if toggle_fails {
        std::fs::write(&marker, "").expect("write");
    } else {
        let _ = std::fs::remove_file(&marker);
    }
    let (status, closing) = if toggle_fails {
        (1, "\nfailed: 2 passed, 1 failed in [TIME]\n")
    } else {
        (0, "\npassed: 3 passed in [TIME]\n")
    };
    let summary = ws
        .cmd(&["verify", "--tag", "x", "--json"])
        .status(status)
        .stderr_contains(closing)
        .run_json();
    summary["run_id"].as_str().expect("run id").to_string()
}

/// The run ids `lab runs list --json` lists, newest first.
#[track_caller]
fn listed(ws: &Workspace, stderr: &str) -> Vec<String> {
    ws.cmd(&["runs", "list", "--json"])
        .stderr(stderr)
        .run_json()["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| r["run_id"].as_str().expect("id").to_string())
        .collect()
}

#[test]
fn list_show_diff_and_flaky_over_real_runs() {
    let ws = Workspace::with(&[("suites.toml", REGISTRY)]);
    let r1 = run(&ws, false);
    let r2 = run(&ws, true);
    let r3 = run(&ws, false);
    let r4 = run(&ws, true);

    assert_eq!(
        listed(&ws, ""),
        [r4.clone(), r3.clone(), r2.clone(), r1.clone()]
    );
    let limited = ws
        .cmd(&["runs", "list", "--limit", "2"])
        .stdout_contains(&format!("{r4}  failed "))
        .stdout_contains(&format!("{r3}  passed "))
        .run();
    assert_eq!(limited.stdout.lines().count(), 2);

    let show = ws.cmd(&["runs", "show", &r2, "--json"]).run_json();
    assert_eq!(show["run_id"], r2.as_str());
    assert_eq!(show["status"], "failed");

    // Default diff: each suite against the latest earlier run of it.
    let d = ws.cmd(&["runs", "diff", "--json"]).run_json();
    assert_eq!(d["from"], r3.as_str());
    assert_eq!(d["to"], r4.as_str());
    assert_eq!(d["newly_failing"][0]["id"], "suite.toggle");
    assert_eq!(d["newly_fixed"], serde_json::json!([]));
    let d = ws.cmd(&["runs", "diff", &r2, &r3, "--json"]).run_json();
    assert_eq!(d["newly_fixed"][0]["id"], "suite.toggle");

    let f = ws
        .cmd(&["runs", "flaky", "--last", "4", "--json"])
        .run_json();
    assert_eq!(f["runs"], 4);
    assert_eq!(f["suites"][0]["id"], "suite.toggle");
    assert_eq!(f["suites"][0]["flips"], 3);
    assert_eq!(
        f["suites"].as_array().map(Vec::len),
        Some(1),
        "steady suites are not flaky"
    );
}

#[test]
fn a_corrupt_or_missing_summary_is_skipped_and_the_index_rebuilds() {
    let ws = Workspace::with(&[("suites.toml", REGISTRY)]);
    let r1 = run(&ws, false);
    let r2 = run(&ws, true);
    let runs = ws.path().join("target/lab/runs");
    std::fs::write(runs.join(&r1).join("summary.json"), "{ not json").expect("corrupt");
    std::fs::create_dir_all(runs.join("20200101T000000Z-000000")).expect("empty run dir");
    std::fs::write(runs.join(".lab-index.jsonl"), "garbage line\n").expect("corrupt index");
    // Only the readable run, and a warning for each of the others.
    let warnings = format!(
        "\
lab: warning: run {r1}: summary.json is corrupt: key must be a string at line 1 column 3; skipped
lab: warning: run 20200101T000000Z-000000: summary.json: No such file or directory (os error 2); skipped
"
    );
    assert_eq!(listed(&ws, &warnings), std::slice::from_ref(&r2));
    // The index was rebuilt from the run directories.
    let index = std::fs::read_to_string(runs.join(".lab-index.jsonl")).expect("index");
    assert!(index.contains(&r2));
}

#[test]
fn rerun_failed_reruns_only_what_failed() {
    let ws = Workspace::with(&[("suites.toml", REGISTRY)]);
    run(&ws, true);
    let s = ws
        .cmd(&["verify", "--rerun-failed", "--json"])
        .status(1)
        .stderr_contains("  FAIL   suite.toggle  [TIME]  exited with 1\n")
        .run_json();
    assert_eq!(ids(&s), ["suite.toggle"]);
    let fixed = run(&ws, false);
    ws.cmd(&["verify", "--rerun-failed"])
        .stderr(&format!(
            "lab: nothing failed or was blocked in {fixed}; nothing to re-run\n"
        ))
        .run();
}

#[test]
fn prune_keeps_the_newest_and_the_last_run_of_failing_suites() {
    let ws = Workspace::with(&[(
        "suites.toml",
        &format!("{REGISTRY}\n[suite.only-once]\ncommand = \"exit 1\"\n"),
    )]);
    let failing_once = ws
        .cmd(&["verify", "only-once", "--json"])
        .status(1)
        .stderr_contains("  FAIL   suite.only-once  [TIME]  exited with 1\n")
        .run_json()["run_id"]
        .as_str()
        .expect("id")
        .to_string();
    let mut passing = Vec::new();
    for _ in 0..4 {
        passing.push(run(&ws, false));
    }
    // The deleted runs on stdout, newest first.
    ws.cmd(&["runs", "prune", "--keep", "2"])
        .stdout(&format!("{}\n{}\n", passing[1], passing[0]))
        .stderr("deleted 2 runs, kept 3\n")
        .run();
    let runs = ws.path().join("target/lab/runs");
    assert!(
        runs.join(&failing_once).exists(),
        "last run of a failing suite kept"
    );
    assert!(runs.join(&passing[3]).exists() && runs.join(&passing[2]).exists());
    assert!(!runs.join(&passing[0]).exists() && !runs.join(&passing[1]).exists());
    assert_eq!(
        listed(&ws, ""),
        [passing[3].clone(), passing[2].clone(), failing_once]
    );
}

#[test]
fn prune_says_when_the_index_cannot_be_rewritten() {
    let ws = Workspace::with(&[("suites.toml", REGISTRY)]);
    let older = run(&ws, false);
    let newer = run(&ws, false);
    let runs = ws.path().join("target/lab/runs");
    // Nothing can replace a directory with a file: the rewrite fails.
    let index = runs.join(".lab-index.jsonl");
    std::fs::remove_file(&index).expect("remove index");
    std::fs::create_dir(&index).expect("index as a directory");
    ws.cmd(&["runs", "prune", "--keep", "1"])
        .stdout(&format!("{older}\n"))
        .stderr(&format!(
            "lab: warning: failed to write the history index `{}`: Is a directory (os error 21)\ndeleted 1 run, kept 1\n",
            runs.canonicalize().expect("run root").join(".lab-index.jsonl").display()
        ))
        .run();
    assert!(!runs.join(&older).exists() && runs.join(&newer).exists());
}

#[test]
fn report_formats_junit_markdown_github() {
    let ws = Workspace::with(&[("suites.toml", REGISTRY)]);
    run(&ws, false);
    run(&ws, true);
    // Parsed and checked below.
    let junit = ws.cmd(&["report", "--format", "junit"]).stdout_any().run();
    let parsed = junit_parser::from_reader(std::io::Cursor::new(junit.stdout.as_bytes()))
        .expect("valid JUnit");
    assert_eq!(parsed.suites.len(), 3);
    let toggle = parsed
        .suites
        .iter()
        .find(|s| s.name == "suite.toggle")
        .expect("suite");
    assert!(toggle.cases[0].status.is_failure());
    assert_eq!(
        toggle.cases[0].status.failure_as_ref().message,
        "exited with 1"
    );

    ws.cmd(&["report", "--format", "markdown"])
        .stdout_contains("### lab: **failed**")
        .stdout_contains("| failed | `suite.toggle` | exited with 1 |")
        .stdout_contains("- **Newly failing:** `suite.toggle`")
        .stdout_contains("lab verify suite.toggle")
        .run();

    let summary_file = ws.path().join("step-summary.md");
    ws.cmd(&["report", "--format", "github"])
        .env("GITHUB_STEP_SUMMARY", &summary_file)
        .stdout("::error file=suites.toml,line=6,title=suite.toggle failed::exited with 1\n")
        .run();
    assert!(
        std::fs::read_to_string(&summary_file)
            .expect("summary")
            .contains("### lab: **failed**")
    );
}

#[test]
#[ignore = "needs chromium on PATH; .ci/run installs it and runs ignored tests"]
fn report_html_renders_in_a_real_headless_chromium() {
    let ws = Workspace::with(&[("suites.toml", REGISTRY)]);
    run(&ws, false);
    run(&ws, true);
    let latest = ws.latest_run();
    let html = latest.join("report.html");
    let text = std::fs::read_to_string(&html).expect("verify wrote report.html");
    assert!(
        !text.contains("http://") && !text.contains("https://"),
        "no network fetches"
    );
    assert!(!text.contains("<script"), "no scripts");
    assert!(
        text.contains("toggle &lt;broke&gt; &amp; stopped"),
        "excerpts are escaped"
    );
    // CI installs Debian's chromium (.ci/run); without it this fails, not skips.
    let chromium = ["chromium", "chromium-browser"]
        .iter()
        .find(|c| {
            std::process::Command::new(c)
                .arg("--version")
                .output()
                .is_ok()
        })
        .expect("chromium must be installed: .ci/run installs it");
    let profile = crate::harness::tempdir();
    // Chromium puts a unix socket in TMPDIR; under lab, TMPDIR is deep in a
    // run directory and the socket path would exceed the 108-byte limit.
    let out = std::process::Command::new(chromium)
        .env("TMPDIR", profile.path())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.path().display()),
            "--dump-dom",
            &format!("file://{}", html.display()),
        ])
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains(r#"<h1 id="status" data-status="failed">"#),
        "{dom}"
    );
    assert_eq!(dom.matches(r#"<tr class="suite""#).count(), 3, "{dom}");
    assert!(dom.contains(r#"data-id="suite.toggle" data-status="failed""#));
    assert!(
        dom.contains(r#"<h3 class="newly-failing">Newly failing (1)</h3>"#),
        "{dom}"
    );
    // A trend strip with a cell for each of the two runs.
    assert!(dom.contains(r#"aria-label="last 2 runs""#), "{dom}");
    // Links to the logs are relative and resolve.
    assert!(dom.contains(r#"href="suites/suite.toggle/stderr.log""#));
    assert!(latest.join("suites/suite.toggle/stderr.log").is_file());
    let _ = read_json(&latest.join("summary.json"));
}

#[test]
fn prune_deletes_run_directories_by_their_name_never_what_a_summary_says() {
    let ws = Workspace::with(&[("suites.toml", REGISTRY), ("victim/keep", "kept\n")]);
    let runs_made: Vec<String> = (0..3).map(|_| run(&ws, false)).collect();
    let runs = ws.path().join("target/lab/runs");
    // A summary from elsewhere (or edited) names a directory outside the
    // run root; with no index, it is read as it stands.
    let tampered = runs.join(&runs_made[0]).join("summary.json");
    let text = std::fs::read_to_string(&tampered).expect("summary");
    let text = text.replace(
        &format!("\"run_id\":\"{}\"", runs_made[0]),
        "\"run_id\":\"../../../victim\"",
    );
    assert!(text.contains("../../../victim"), "the summary was edited");
    std::fs::write(&tampered, text).expect("tamper");
    std::fs::remove_file(runs.join(".lab-index.jsonl")).expect("no index");
    ws.cmd(&["runs", "prune", "--keep", "1"])
        .stdout(&format!("{}\n{}\n", runs_made[1], runs_made[0]))
        .stderr("deleted 2 runs, kept 1\n")
        .run();
    assert_eq!(
        std::fs::read_to_string(ws.path().join("victim/keep")).expect("victim survives"),
        "kept\n"
    );
    assert!(
        !runs.join(&runs_made[0]).exists(),
        "the tampered run itself went"
    );
    assert!(runs.join(&runs_made[2]).exists());
}

#[test]
fn a_tampered_summary_links_nothing_outside_the_run_in_report_html() {
    let ws = Workspace::with(&[("suites.toml", REGISTRY)]);
    let id = run(&ws, true);
    let dir = ws.path().join("target/lab/runs").join(&id);
    let text = std::fs::read_to_string(dir.join("summary.json")).expect("summary");
    let text = text.replacen(
        "\"stdout\":\"suites/suite.toggle/stdout.log\"",
        "\"stdout\":\"javascript:alert(document.cookie)\"",
        1,
    );
    assert!(text.contains("javascript:alert"), "the summary was edited");
    std::fs::write(dir.join("summary.json"), text).expect("tamper");
    ws.cmd(&["report", &id, "--format", "html"])
        .stdout_any()
        .run();
    let page = std::fs::read_to_string(dir.join("report.html")).expect("page");
    assert!(!page.contains("href=\"javascript:"), "{page}");
    assert!(page.contains("<code>javascript:alert(document.cookie)</code>"));
    assert!(page.contains("Content-Security-Policy"));
    assert!(page.contains("href=\"suites/suite.toggle/stderr.log\""));
}
