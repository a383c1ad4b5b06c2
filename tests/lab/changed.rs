//! `--changed` on real git repositories built here (and a real jj one):
//! every source, every kind of change, every escalation, and the rationale
//! for each selected suite.

use std::path::Path;
use std::process::Command;

use crate::cmd::Cmd;
use crate::harness::{Workspace, git, ids};

const REGISTRY: &str = r#"
[lab]
global_paths = ["Cargo.lock"]

[suite.api]
command = "true"
paths = ["api/"]
tags = ["fast"]

[suite.web]
command = "true"
paths = ["web/**/*.ts"]

[suite.docs]
command = "true"
paths = ["docs/guide.md"]

[suite.mail]
command = "true"
fixture = "mail"

[suite.e2e]
command = "true"
paths = ["e2e/"]
needs = ["suite.api"]
"#;

const FIXTURES: &str = "[fixture.mail]\ncopy = [{ from = \"fixtures/mail\", to = \"data\" }]\n";

/// Every file of the repository most tests here start from (committed on
/// `main` by `Workspace::git_repo`).
const FILES: &[(&str, &str)] = &[
    ("suites.toml", REGISTRY),
    ("fixtures/mail.toml", FIXTURES),
    ("fixtures/mail/a.eml", "a"),
    ("api/lib.rs", "api"),
    ("api/old.rs", "old"),
    ("web/src/app.ts", "web"),
    ("docs/guide.md", "guide"),
    ("e2e/run.sh", "e2e"),
    ("Cargo.lock", "lock"),
    (".gitignore", "ignored/\ntarget/\n"),
];

/// Every suite of `REGISTRY`, in id order.
const EVERY: [&str; 5] = [
    "suite.api",
    "suite.docs",
    "suite.e2e",
    "suite.mail",
    "suite.web",
];

/// `lab suite list --changed --json` in `dir` (a workspace or below it),
/// its document checked against the schema.
fn list_cmd(dir: &Path, extra: &[&str]) -> Cmd {
    let mut args = vec!["suite", "list", "--changed", "--json"];
    args.extend_from_slice(extra);
    Cmd::new(dir, &args).stdout_schema("suite-list")
}

/// `list_cmd` run, expecting no warnings; the document.
#[track_caller]
fn list(dir: &Path, extra: &[&str]) -> serde_json::Value {
    list_cmd(dir, extra).run_json()
}

fn rationale(doc: &serde_json::Value, id: &str) -> Vec<(String, String)> {
    crate::harness::suite(doc, id)["rationale"]
        .as_array()
        .expect("rationale")
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().expect("kind").to_string(),
                r["detail"].as_str().expect("detail").to_string(),
            )
        })
        .collect()
}

#[test]
fn committed_staged_unstaged_untracked_deleted_and_renamed() {
    let ws = Workspace::git_repo(FILES);
    let p = ws.path();
    git(p, &["checkout", "-q", "-b", "feature"]);
    ws.write("web/src/app.ts", "changed and committed");
    git(p, &["commit", "-q", "-am", "web"]);
    ws.write("docs/guide.md", "staged");
    git(p, &["add", "docs/guide.md"]);
    ws.write("api/lib.rs", "unstaged");
    ws.write("e2e/new.sh", "untracked");
    ws.write("ignored/x.rs", "ignored");
    git(p, &["mv", "api/old.rs", "moved.rs"]);
    let doc = list(p, &[]);
    assert_eq!(doc["changed"]["source"], "git");
    assert_eq!(doc["changed"]["base"], "main");
    assert_eq!(
        doc["changed"]["paths"],
        serde_json::json!([
            "api/lib.rs",
            "api/old.rs",
            "docs/guide.md",
            "e2e/new.sh",
            "moved.rs",
            "web/src/app.ts"
        ])
    );
    assert_eq!(
        ids(&doc),
        ["suite.api", "suite.docs", "suite.e2e", "suite.web"]
    );
    // Selected for its own changes, so no `needed_by` (e2e needs it too).
    assert_eq!(
        rationale(&doc, "suite.api"),
        [
            (
                "changed_path".to_string(),
                "api/lib.rs matches api/".to_string()
            ),
            (
                "changed_path".to_string(),
                "api/old.rs matches api/".to_string()
            ),
        ]
    );
    assert_eq!(
        rationale(&doc, "suite.web"),
        [(
            "changed_path".to_string(),
            "web/src/app.ts matches web/**/*.ts".to_string()
        )]
    );
    // A deletion counts too.
    git(p, &["rm", "-q", "-f", "docs/guide.md"]);
    let doc = list(p, &[]);
    assert_eq!(
        ids(&doc),
        ["suite.api", "suite.docs", "suite.e2e", "suite.web"]
    );
    assert_eq!(
        rationale(&doc, "suite.docs"),
        [(
            "changed_path".to_string(),
            "docs/guide.md matches docs/guide.md".to_string()
        )]
    );
}

#[test]
fn needs_follow_and_selectors_still_and() {
    let ws = Workspace::git_repo(FILES);
    ws.write("e2e/run.sh", "changed");
    let doc = list(ws.path(), &[]);
    assert_eq!(ids(&doc), ["suite.api", "suite.e2e"]);
    assert_eq!(
        rationale(&doc, "suite.api"),
        [("needed_by".to_string(), "suite.e2e".to_string())]
    );
    // --changed AND --tag fast: e2e is not fast; api is not changed itself.
    ws.write("api/lib.rs", "changed");
    let doc = list(ws.path(), &["--tag", "fast"]);
    assert_eq!(ids(&doc), ["suite.api"]);
}

#[test]
fn registry_and_global_and_fixture_data_escalate() {
    let ws = Workspace::git_repo(FILES);
    // Editing one suite's definition selects that suite only.
    ws.write(
        "suites.toml",
        &REGISTRY.replace("paths = [\"docs/guide.md\"]", "paths = [\"docs/\"]"),
    );
    let doc = list(ws.path(), &[]);
    assert_eq!(ids(&doc), ["suite.docs"]);
    assert_eq!(
        rationale(&doc, "suite.docs"),
        [("definition_changed".to_string(), "suite.docs".to_string())]
    );
    git(ws.path(), &["checkout", "-q", "suites.toml"]);
    // A changed fixture definition selects its users.
    ws.write(
        "fixtures/mail.toml",
        &format!("{FIXTURES}setup = \"true\"\n"),
    );
    assert_eq!(ids(&list(ws.path(), &[])), ["suite.mail"]);
    git(ws.path(), &["checkout", "-q", "fixtures/mail.toml"]);
    // Fixture data.
    ws.write("fixtures/mail/a.eml", "new mail");
    let doc = list(ws.path(), &[]);
    assert_eq!(ids(&doc), ["suite.mail"]);
    assert_eq!(
        rationale(&doc, "suite.mail"),
        [(
            "definition_changed".to_string(),
            "fixture.mail (data fixtures/mail/a.eml)".to_string()
        )]
    );
    git(ws.path(), &["checkout", "-q", "fixtures/mail/a.eml"]);
    // [lab] and global paths select everything.
    ws.write("Cargo.lock", "new lock");
    let doc = list(ws.path(), &[]);
    assert_eq!(ids(&doc), EVERY);
    assert_eq!(
        rationale(&doc, "suite.web"),
        [(
            "registry_changed".to_string(),
            "Cargo.lock (global path Cargo.lock)".to_string()
        )]
    );
    git(ws.path(), &["checkout", "-q", "Cargo.lock"]);
    ws.write(
        "suites.toml",
        &REGISTRY.replace("[lab]\n", "[lab]\njobs = 2\n"),
    );
    assert_eq!(ids(&list(ws.path(), &[])), EVERY);
}

#[test]
fn escalation_rules_add_what_they_select() {
    let ws = Workspace::git_repo(FILES);
    let registry = format!(
        "{REGISTRY}\n[escalate.api-schema]\nwhen = [\"schemas/**\"]\nselect = {{ tags = [\"fast\"] }}\nreason = \"public API schema changed\"\n"
    );
    ws.write("suites.toml", &registry);
    git(ws.path(), &["commit", "-q", "-am", "rule"]);
    ws.write("schemas/api.json", "{}");
    let doc = list(ws.path(), &[]);
    assert_eq!(ids(&doc), ["suite.api"]);
    assert_eq!(
        rationale(&doc, "suite.api"),
        [(
            "escalation".to_string(),
            "escalate.api-schema: public API schema changed".to_string()
        )]
    );
}

#[test]
fn explain_lists_what_was_left_out() {
    let ws = Workspace::git_repo(FILES);
    ws.write("api/lib.rs", "changed");
    let doc = list(ws.path(), &["--explain", "--exclude-tag", "nothing"]);
    let left: Vec<(String, String)> = doc["not_selected"]
        .as_array()
        .expect("not_selected")
        .iter()
        .map(|n| {
            (
                n["id"].as_str().expect("id").to_string(),
                n["reason"].as_str().expect("reason").to_string(),
            )
        })
        .collect();
    let reason = "no change touches its paths or what it uses".to_string();
    assert_eq!(
        left,
        ["suite.docs", "suite.e2e", "suite.mail", "suite.web"]
            .map(|id| (id.to_string(), reason.clone()))
    );
    ws.cmd(&["suite", "list", "--changed", "--explain"])
        .stdout(
            "\
ID         LEVEL  TARGETS  TAGS  WHY
suite.api  -      -        fast  changed api/lib.rs matches api/

NOT SELECTED  WHY NOT
suite.docs    no change touches its paths or what it uses
suite.e2e     no change touches its paths or what it uses
suite.mail    no change touches its paths or what it uses
suite.web     no change touches its paths or what it uses
",
        )
        .stderr("1 changed path (from git, against main)\n1 of 5 suites selected\n")
        .run();
}

#[test]
fn subdirectory_worktree_detached_head() {
    let ws = Workspace::git_repo(FILES);
    let p = ws.path();
    git(p, &["checkout", "-q", "-b", "feature"]);
    ws.write("web/src/app.ts", "changed");
    git(p, &["commit", "-q", "-am", "web"]);
    // From a subdirectory of the workspace.
    assert_eq!(ids(&list(&p.join("api"), &[])), ["suite.web"]);
    // Detached HEAD.
    git(p, &["checkout", "-q", "--detach"]);
    assert_eq!(ids(&list(p, &[])), ["suite.web"]);
    // A linked worktree.
    let wt = crate::harness::tempdir();
    let wt_path = wt.path().join("wt");
    git(
        p,
        &[
            "worktree",
            "add",
            "-q",
            wt_path.to_str().expect("utf-8"),
            "feature",
        ],
    );
    std::fs::write(wt_path.join("docs/guide.md"), "in the worktree").expect("write");
    assert_eq!(ids(&list(&wt_path, &[])), ["suite.docs", "suite.web"]);
}

#[test]
fn workspace_in_a_subdirectory_of_the_repository() {
    let outer = Workspace::new();
    let p = outer.path();
    outer.write(
        "lab/suites.toml",
        "[suite.inner]\ncommand = \"true\"\npaths = [\"src/\"]\n",
    );
    outer.write("lab/src/a.rs", "a");
    outer.write("other/b.rs", "b");
    git(p, &["init", "-q", "-b", "main"]);
    git(p, &["add", "-A"]);
    git(p, &["commit", "-q", "-m", "base"]);
    outer.write("lab/src/a.rs", "changed");
    outer.write("other/b.rs", "changed");
    let doc = list(&p.join("lab"), &[]);
    assert_eq!(doc["changed"]["paths"], serde_json::json!(["src/a.rs"]));
    assert_eq!(ids(&doc), ["suite.inner"]);
}

#[test]
fn no_commits_yet_counts_everything() {
    let ws = Workspace::with(&[
        (
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\npaths = [\"src/\"]\n",
        ),
        ("src/a.rs", ""),
    ]);
    git(ws.path(), &["init", "-q", "-b", "main"]);
    let doc = list_cmd(ws.path(), &[])
        .stderr("lab: warning: git: no commits yet; every file in the index or working tree counts as changed\n")
        .run_json();
    assert_eq!(ids(&doc), ["suite.a"]);
    assert!(
        doc["changed"]["notes"][0]
            .as_str()
            .expect("note")
            .contains("no commits yet")
    );
}

#[test]
fn shallow_clone_without_merge_base_diffs_against_the_base_tip() {
    let origin = Workspace::git_repo(FILES);
    let o = origin.path();
    git(o, &["checkout", "-q", "-b", "feature"]);
    origin.write("web/src/app.ts", "feature 1");
    git(o, &["commit", "-q", "-am", "f1"]);
    origin.write("web/src/app.ts", "feature 2");
    git(o, &["commit", "-q", "-am", "f2"]);
    git(o, &["checkout", "-q", "main"]);
    origin.write("docs/guide.md", "main moved on");
    git(o, &["commit", "-q", "-am", "m1"]);
    let clone_dir = crate::harness::tempdir();
    let clone = clone_dir.path().join("c");
    let url = format!("file://{}", o.display());
    git(
        clone_dir.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--no-single-branch",
            &url,
            "c",
        ],
    );
    git(&clone, &["checkout", "-q", "feature"]);
    let doc = list_cmd(&clone, &[])
        .stderr("lab: warning: git: no merge base between HEAD and `main` (a shallow clone?); diffing against the tip of `main`\n")
        .run_json();
    // The clone's local `main` tracks origin/main.
    assert_eq!(doc["changed"]["base"], "main");
    let note = doc["changed"]["notes"][0].as_str().expect("note");
    assert!(note.contains("no merge base"), "{note}");
    // Against the tip of origin/main: web differs (feature), docs differs (main moved on).
    assert_eq!(ids(&doc), ["suite.docs", "suite.web"]);
}

#[test]
fn explicit_paths_from_a_file_stdin_or_the_environment() {
    let ws = Workspace::with(&[
        ("suites.toml", REGISTRY),
        ("fixtures/mail.toml", FIXTURES),
        ("list.txt", "./api/x.rs\r\nweb/a/b.ts\ndocs/other.md\n"),
    ]);
    let doc = list(ws.path(), &["--changed-paths", "list.txt"]);
    assert_eq!(doc["changed"]["source"], "paths-file");
    assert_eq!(
        doc["changed"]["paths"],
        serde_json::json!(["api/x.rs", "docs/other.md", "web/a/b.ts"])
    );
    assert_eq!(ids(&doc), ["suite.api", "suite.web"]);
    let doc = ws
        .cmd(&[
            "suite",
            "list",
            "--changed",
            "--changed-paths",
            "-",
            "--json",
        ])
        .stdin("docs/guide.md\n")
        .run_json();
    assert_eq!(doc["changed"]["source"], "stdin");
    assert_eq!(ids(&doc), ["suite.docs"]);
    let doc = ws
        .cmd(&["suite", "list", "--changed", "--json"])
        .env("LAB_CHANGED_PATHS", "e2e/x\napi/y")
        .run_json();
    assert_eq!(doc["changed"]["source"], "env");
    assert_eq!(ids(&doc), ["suite.api", "suite.e2e"]);
}

/// `--changed` never drops or splits a path (issue 18 item 12): a space or
/// a comma is part of a name, `-z` reads NUL-separated names (as `git diff
/// -z --name-only` writes them), and a committed name that is not UTF-8 is
/// listed (its bad byte replaced) and matched.
#[test]
fn paths_with_spaces_commas_newlines_and_bad_bytes_are_kept_whole() {
    let ws = Workspace::with(&[("suites.toml", REGISTRY), ("fixtures/mail.toml", FIXTURES)]);
    let doc = list_cmd(ws.path(), &["--changed-paths", "-"])
        .stdin("docs/a b.md\napi/x,y.rs\n")
        .run_json();
    assert_eq!(
        doc["changed"]["paths"],
        serde_json::json!(["api/x,y.rs", "docs/a b.md"])
    );
    assert_eq!(ids(&doc), ["suite.api"]);
    let doc = list_cmd(ws.path(), &["--changed-paths", "-", "-z"])
        .stdin("web/x\ny.ts\0docs/guide.md\0")
        .run_json();
    assert_eq!(
        doc["changed"]["paths"],
        serde_json::json!(["docs/guide.md", "web/x\ny.ts"])
    );
    assert_eq!(ids(&doc), ["suite.docs", "suite.web"]);

    let repo = Workspace::git_repo(FILES);
    git(repo.path(), &["checkout", "-q", "-b", "feature"]);
    use std::os::unix::ffi::OsStrExt;
    let bad = std::ffi::OsStr::from_bytes(b"api/caf\xe9.rs");
    std::fs::write(repo.path().join(bad), "x").expect("write");
    std::fs::write(repo.path().join("docs/a b.md"), "x").expect("write");
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-qm", "odd names"]);
    let doc = list(repo.path(), &[]);
    assert_eq!(
        doc["changed"]["paths"],
        serde_json::json!(["api/caf\u{fffd}.rs", "docs/a b.md"])
    );
    assert_eq!(ids(&doc), ["suite.api"]);
}

#[test]
fn outside_a_repository_without_paths_is_a_usage_error() {
    let ws = Workspace::with(&[("suites.toml", REGISTRY), ("fixtures/mail.toml", FIXTURES)]);
    ws.cmd(&["suite", "list", "--changed"])
        .status(2)
        .stderr_contains("error: --changed needs a git or jj repository, and `")
        .stderr_contains("\n  hint: pass the paths with --changed-paths FILE (`-` for stdin; add -z when they are NUL-separated) or in LAB_CHANGED_PATHS, one per line\n")
        .run();
}

#[test]
fn verify_records_the_changes() {
    let ws = Workspace::git_repo(FILES);
    ws.write("api/lib.rs", "changed");
    let summary = ws
        .cmd(&["verify", "--changed", "--json"])
        .stderr_contains("  PASS   suite.api  [TIME]\npassed: 1 passed in [TIME]\n")
        .run_json();
    assert_eq!(summary["criteria"]["changed"], true);
    assert_eq!(
        summary["changed"]["paths"],
        serde_json::json!(["api/lib.rs"])
    );
    assert_eq!(summary["reproduce"], "lab verify --changed");
    let manifest = ws.run_json("manifest.json");
    assert_eq!(manifest["selection"]["changed"]["source"], "git");
    assert_eq!(manifest["vcs"]["kind"], "git");
    assert_eq!(manifest["vcs"]["branch"], "main");
    assert_eq!(manifest["vcs"]["dirty"], true);
    // The event log names where the changes came from.
    let events = std::fs::read_to_string(ws.latest_run().join("lab.log.jsonl")).expect("events");
    let started: serde_json::Value = serde_json::from_str(
        events
            .lines()
            .find(|l| l.contains("\"run_started\""))
            .expect("run_started"),
    )
    .expect("json");
    assert_eq!(
        started["changed"],
        serde_json::json!({ "source": "git", "base": "main", "paths": 1, "notes": [] })
    );
}

/// jj must be installed where these tests run: CI installs it (.ci/run).
fn jj() -> Command {
    let mut cmd = Command::new("jj");
    cmd.env("JJ_CONFIG", "/dev/null")
        .env("JJ_USER", "lab")
        .env("JJ_EMAIL", "lab@example.invalid");
    cmd
}

#[test]
#[ignore = "needs jj on PATH; .ci/run installs it and runs ignored tests"]
fn jj_repository_diffs_base_to_working_copy() {
    let ws = Workspace::git_repo(FILES);
    let p = ws.path();
    let status = jj().args(["git", "init", "--colocate"]).current_dir(p).output().expect(
        "jj is not installed: .ci/run installs it (cargo install jj-cli --locked); install it to run these tests",
    );
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let ok = jj()
        .args(["bookmark", "track", "main@git"])
        .current_dir(p)
        .output();
    let _ = ok;
    ws.write("web/src/app.ts", "changed in jj");
    let snap = jj()
        .args(["status"])
        .current_dir(p)
        .output()
        .expect("jj status");
    assert!(
        snap.status.success(),
        "{}",
        String::from_utf8_lossy(&snap.stderr)
    );
    let doc = list(p, &[]);
    assert_eq!(doc["changed"]["source"], "jj");
    assert_eq!(
        doc["changed"]["paths"],
        serde_json::json!(["web/src/app.ts"])
    );
    assert_eq!(ids(&doc), ["suite.web"]);
    // A base named with --base must exist: no silent fallback.
    ws.cmd(&["suite", "list", "--changed", "--base", "no-such-bookmark"])
        .status(2)
        .stderr_contains("error: the base `no-such-bookmark` does not exist (jj: ")
        .run();
    // A union base stays one revset: only the working copy's own change.
    let doc = list(p, &["--base", "main | main"]);
    assert_eq!(
        doc["changed"]["paths"],
        serde_json::json!(["web/src/app.ts"])
    );
    // The manifest records the jj change.
    ws.cmd(&["verify", "web"])
        .stderr_contains("  PASS   suite.web  [TIME]\npassed: 1 passed in [TIME]\n")
        .run();
    let vcs = &ws.run_json("manifest.json")["vcs"];
    assert_eq!(vcs["kind"], "jj");
    assert_eq!(vcs["commit"].as_str().map(str::len), Some(40));
    assert_eq!(vcs["dirty"], true);
}

/// A repository that does not ignore `target/`, with two earlier runs in it
/// and one edited file; returns what `--changed` lists.
fn changed_after_two_runs(vcs: &str) -> (Workspace, serde_json::Value) {
    let files: Vec<(&str, &str)> = FILES
        .iter()
        .copied()
        .filter(|(name, _)| *name != ".gitignore")
        .collect();
    let ws = Workspace::git_repo(&files);
    if vcs == "jj" {
        let out = jj()
            .args(["git", "init", "--colocate"])
            .current_dir(ws.path())
            .output()
            .expect("jj");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A user's own file in the run root is never overwritten.
    std::fs::create_dir_all(ws.path().join("target/lab/runs")).expect("mkdir");
    std::fs::write(ws.path().join("target/lab/runs/CACHEDIR.TAG"), "mine").expect("write");
    for _ in 0..2 {
        ws.cmd(&["verify", "docs"]).stderr_any().run();
    }
    ws.write("api/lib.rs", "edited");
    let doc = list(ws.path(), &[]);
    (ws, doc)
}

/// A base named with `--base` must exist (issue 20 item 2): a typo is a
/// usage error with the nearest branch or tag, never a silent fallback to
/// "uncommitted changes only" that selects nothing and passes.
#[test]
fn a_named_base_that_does_not_exist_is_an_error() {
    let ws = Workspace::git_repo(FILES);
    git(ws.path(), &["checkout", "-q", "-b", "feature"]);
    ws.write("api/lib.rs", "edited");
    ws.cmd(&["verify", "--changed", "--base", "mian"])
        .status(2)
        .stderr("error: the base `mian` does not exist (neither `mian` nor `origin/mian` resolves to a commit)\n  hint: did you mean `main`?\n")
        .run();
    // The default base may still fall back, and says so.
    ws.write(
        "suites.toml",
        &format!(
            "{}\n",
            REGISTRY.replace("[lab]\n", "[lab]\nbase = \"trunk\"\n")
        ),
    );
    let doc = list_cmd(ws.path(), &[])
        .stderr_contains(
            "lab: warning: git: none of `trunk`, `origin/trunk`, `master`, `origin/master` exists",
        )
        .run_json();
    assert!(
        doc["changed"]["paths"].to_string().contains("api/lib.rs"),
        "{doc:#}"
    );
}

/// lab's own output is never a change (issue 10 item 2), even where
/// `target/` is not ignored: the run root is filtered out of every source,
/// and lab marks it with a `.gitignore` of `*` and a `CACHEDIR.TAG`.
#[test]
fn runs_are_never_changes_even_where_target_is_not_ignored() {
    let (ws, doc) = changed_after_two_runs("git");
    assert_eq!(doc["changed"]["paths"], serde_json::json!(["api/lib.rs"]));
    let root = ws.path().join("target/lab/runs");
    assert_eq!(
        std::fs::read_to_string(root.join(".gitignore")).expect("written"),
        "# Written by lab: run directories are output, never changes.\n*\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("CACHEDIR.TAG")).expect("kept"),
        "mine"
    );
    // git itself no longer sees the runs either.
    let status = git(ws.path(), &["status", "--porcelain", "-uall"]);
    assert!(!status.contains("target/"), "{status}");
    // Without the marker (a run root from an older lab), the runs are
    // still not changes.
    std::fs::remove_file(root.join(".gitignore")).expect("remove");
    let status = git(ws.path(), &["status", "--porcelain", "-uall"]);
    assert!(status.contains("target/lab/runs/"), "{status}");
    let doc = list(ws.path(), &[]);
    assert_eq!(doc["changed"]["paths"], serde_json::json!(["api/lib.rs"]));
}

#[test]
#[ignore = "needs jj on PATH; .ci/run installs it and runs ignored tests"]
fn runs_are_never_changes_in_jj_either() {
    let (_ws, doc) = changed_after_two_runs("jj");
    assert_eq!(doc["changed"]["source"], "jj");
    assert_eq!(doc["changed"]["paths"], serde_json::json!(["api/lib.rs"]));
}

/// `reproduce` reproduces (issue 20 item 1): run from the repository root
/// with `--registry` in a sub-directory, `--base`, overrides and paths from
/// stdin, each printed command pasted into a shell in the same directory
/// selects the same suites.
#[test]
fn printed_reproduce_commands_select_the_same_suites_when_pasted() {
    let ws = Workspace::git_repo(&[
        (
            "reg/suites.toml",
            "[suite.a]\ncommand = \"true\"\npaths = [\"a/\"]\n\n[suite.b]\ncommand = \"true\"\npaths = [\"b/\"]\n",
        ),
        ("reg/a/x", "1"),
        ("reg/b/y", "1"),
    ]);
    ws.write("reg/a/x", "2");
    git(ws.path(), &["commit", "-qam", "change a"]);
    let lab = env!("CARGO_BIN_EXE_lab");
    let selected = |summary: &serde_json::Value| -> Vec<String> {
        let mut ids: Vec<String> = summary["suites"]
            .as_array()
            .expect("suites")
            .iter()
            .map(|s| s["id"].as_str().unwrap_or_default().to_string())
            .collect();
        ids.sort();
        ids
    };
    let paste = |command: &str| -> serde_json::Value {
        let line = command.strip_prefix("lab ").expect("a lab command");
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{lab} {line} --json"))
            .current_dir(ws.path())
            .env_remove("LAB_REGISTRY")
            .output()
            .expect("sh");
        assert!(
            out.status.success(),
            "{command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("summary")
    };
    let first = ws
        .cmd(&[
            "--registry",
            "reg/suites.toml",
            "verify",
            "--changed",
            "--base",
            "HEAD~1",
            "--retries",
            "1",
            "--json",
        ])
        .stderr_any()
        .run_json();
    assert_eq!(selected(&first), ["suite.a"]);
    let reproduce = first["reproduce"].as_str().expect("reproduce");
    assert_eq!(
        reproduce,
        "lab --registry reg/suites.toml verify --changed --base 'HEAD~1' --retries 1"
    );
    assert_eq!(selected(&paste(reproduce)), ["suite.a"]);
    // Paths from stdin cannot be given again; the exact ids can.
    let second = ws
        .cmd(&[
            "--registry",
            "reg/suites.toml",
            "verify",
            "--changed",
            "--changed-paths",
            "-",
            "--json",
        ])
        .stdin("b/y\n")
        .stderr_contains("same suites: lab --registry reg/suites.toml verify suite.b\n")
        .run_json();
    assert_eq!(selected(&second), ["suite.b"]);
    let same = second["reproduce_selected"].as_str().expect("second form");
    assert_eq!(selected(&paste(same)), ["suite.b"]);
}

/// A changed path that names a directory (a submodule, a tool that lists
/// directories) selects the suites whose paths lie inside it (issue 20
/// item 7).
#[test]
fn a_changed_directory_selects_what_lies_inside_it() {
    let ws = Workspace::with(FILES);
    let doc = list_cmd(ws.path(), &["--changed-paths", "-"])
        .stdin("web\n")
        .run_json();
    assert_eq!(ids(&doc), ["suite.web"]);
    assert_eq!(
        rationale(&doc, "suite.web"),
        [(
            "changed_path".to_string(),
            "web/ holds web/**/*.ts".to_string()
        )]
    );
}

/// jj as first-class as git (issue 20 item 8): a description-only change
/// of one suite in a committed registry selects that suite only (the
/// registry is read as it was at the base with `jj file show`), a file jj
/// refuses to snapshot (over its size limit) still counts, and a
/// conflicted working copy is reported.
#[test]
#[ignore = "needs jj on PATH; .ci/run installs it and runs ignored tests"]
fn jj_reads_the_registry_at_the_base_and_keeps_what_it_refused() {
    let ws = Workspace::git_repo(FILES);
    let p = ws.path();
    let out = jj()
        .args(["git", "init", "--colocate"])
        .current_dir(p)
        .output()
        .expect("jj");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = jj()
        .args(["bookmark", "track", "main@git"])
        .current_dir(p)
        .output();
    ws.write(
        "suites.toml",
        &REGISTRY.replace(
            "[suite.docs]\n",
            "[suite.docs]\ndescription = \"now described\"\n",
        ),
    );
    let doc = list(p, &[]);
    assert_eq!(doc["changed"]["source"], "jj");
    assert_eq!(ids(&doc), ["suite.docs"], "{doc:#}");
    // A file over jj's snapshot limit is still a change.
    let config = crate::harness::tempdir();
    let config = config.path().join("jj.toml");
    std::fs::write(&config, "[snapshot]\nmax-new-file-size = 1000\n").expect("write");
    std::fs::write(p.join("api/big.bin"), vec![b'x'; 5000]).expect("write");
    let doc = list_cmd(p, &[])
        .env("JJ_CONFIG", &config)
        .stderr_contains("lab: warning: jj: Refused to snapshot")
        .run_json();
    assert!(
        doc["changed"]["paths"].to_string().contains("api/big.bin"),
        "{doc:#}"
    );
    assert!(ids(&doc).contains(&"suite.api".to_string()), "{doc:#}");
}

/// In a jj repository with no `jj` on PATH, `--changed` says so instead of
/// "needs a git or jj repository" (issue 20 item 8).
#[test]
fn a_jj_repository_without_jj_on_path_says_so() {
    let ws = Workspace::with(&[("suites.toml", REGISTRY), ("fixtures/mail.toml", FIXTURES)]);
    std::fs::create_dir(ws.path().join(".jj")).expect("mkdir");
    ws.cmd(&["suite", "list", "--changed"])
        .env("PATH", "/usr/bin:/bin")
        .status(2)
        .stderr_contains("is in a jj repository, but `jj` is not on PATH\n")
        .run();
}

/// Run from outside the registry's workspace (`--registry ../x`, a second
/// jj workspace), `--changed` says whose changes it listed (issue 20 item 8).
#[test]
fn changes_of_another_workspace_are_named() {
    let repo = Workspace::git_repo(FILES);
    let elsewhere = crate::harness::tempdir();
    let registry = repo.path().join("suites.toml");
    crate::cmd::Cmd::new(
        elsewhere.path(),
        &[
            "--registry",
            registry.to_str().expect("utf-8"),
            "suite",
            "list",
            "--changed",
        ],
    )
    .stdout_any()
    .stderr_contains("the changes are those of the registry's workspace")
    .run();
}
