//! Input-hash caching of `lab verify` on real git repositories built
//! here: a second run on an unchanged tree starts nothing, every kind of
//! input change is a miss naming that input, anything else is a hit, and
//! nothing but a pass is ever cached.

use crate::harness::{Workspace, git, read_json, suite};

const REGISTRY: &str = r#"
[lab]
global_paths = ["Cargo.lock"]

[suite.api]
command = "echo api >> ignored/starts.log"
paths = ["api/"]
cache = true

[suite.mail]
command = "echo mail >> ignored/starts.log"
fixture = "mail"
inputs = ["mail.txt"]
cache = true

[suite.web]
command = "echo web >> ignored/starts.log"
profile = "p"
inputs = ["web/"]

[suite.tool]
runners = ["t"]
inputs = ["tool.txt"]
cache = true

[suite.plain]
command = "echo plain >> ignored/starts.log"
paths = ["api/"]
"#;

const FILES: &[(&str, &str)] = &[
    ("suites.toml", REGISTRY),
    (
        "profiles/p.toml",
        "[profile.p]\ncache = true\nenv = { MODE = \"one\" }\n",
    ),
    (
        "fixtures/mail.toml",
        "[fixture.mail]\ncopy = [{ from = \"fixtures/mail\", to = \"data\" }]\n",
    ),
    (
        "runners/t.toml",
        "[runner.t]\ncommand = \"echo tool >> ignored/starts.log\"\nversion = \"echo probe >> ignored/probes.log; cat ignored/version.txt\"\n",
    ),
    ("fixtures/mail/a.eml", "a"),
    ("mail.txt", "mail"),
    ("api/lib.rs", "api"),
    ("web/app.ts", "web"),
    ("tool.txt", "tool"),
    ("docs/guide.md", "guide"),
    ("Cargo.lock", "lock"),
    (".gitignore", "ignored/\ntarget/\n"),
    ("ignored/version.txt", "t 1.0\n"),
];

/// The cached suites of `REGISTRY`.
const CACHED: [&str; 4] = ["suite.api", "suite.mail", "suite.tool", "suite.web"];

/// The suites each run started, in the order of the log lines.
fn starts(ws: &Workspace) -> Vec<String> {
    std::fs::read_to_string(ws.path().join("ignored/starts.log"))
        .unwrap_or_default()
        .lines()
        .map(|l| format!("suite.{l}"))
        .collect()
}

/// Runs `verify --all` and returns the suites it started, sorted.
fn verify(ws: &Workspace) -> Vec<String> {
    let before = starts(ws).len();
    ws.cmd(&["verify", "--all"]).stderr_any().run();
    let mut started = starts(ws).split_off(before);
    started.sort();
    started
}

/// `suite list --all --json`'s cache state and miss reason of `id`.
fn state(ws: &Workspace, id: &str) -> (String, Option<String>) {
    let list = ws
        .cmd(&["suite", "list", "--all", "--json"])
        .stdout_schema("suite-list")
        .run_json();
    let entry = suite(&list, id);
    (
        entry["cache"].as_str().expect("cache state").to_string(),
        entry["cache_miss"].as_str().map(str::to_string),
    )
}

#[test]
fn a_second_verify_on_an_unchanged_tree_starts_nothing_cached() {
    let ws = Workspace::git_repo(FILES);
    let mut all: Vec<String> = CACHED.iter().map(|s| s.to_string()).collect();
    all.push("suite.plain".into());
    all.sort();
    assert_eq!(verify(&ws), all, "the first run starts every suite");
    // The runner's version is asked once per run: the cache keys and the
    // manifest share the answer.
    let probes = std::fs::read_to_string(ws.path().join("ignored/probes.log")).expect("probes");
    assert_eq!(probes.lines().count(), 1, "{probes}");
    assert_eq!(
        ws.run_json("manifest.json")["tools"]["runner.t"]["version"],
        "t 1.0"
    );
    let first = ws.run_json("summary.json")["run_id"]
        .as_str()
        .expect("run id")
        .to_string();
    for id in CACHED {
        assert_eq!(state(&ws, id).0, "hit", "{id}");
    }
    assert_eq!(state(&ws, "suite.plain").0, "off");
    assert_eq!(verify(&ws), ["suite.plain"], "only the uncached suite runs");
    let summary = ws.run_json("summary.json");
    crate::harness::assert_valid("summary", &summary);
    assert_eq!(summary["status"], "passed");
    for id in CACHED {
        let s = suite(&summary, id);
        assert_eq!(s["status"], "passed", "{id}");
        assert_eq!(s["cached"]["run_id"], first.as_str(), "{id}");
        assert_eq!(s["cached"]["key"].as_str().map(str::len), Some(40), "{id}");
        assert_eq!(
            s["reason"],
            format!("cached: inputs unchanged since {first}").as_str()
        );
        let log = ws
            .latest_run()
            .join(s["stdout"].as_str().expect("log link"));
        assert!(log.is_file(), "{id}: {} is no log", log.display());
    }
    assert!(suite(&summary, "suite.plain")["cached"].is_null());
    ws.cmd(&["verify", "suite.api"])
        .stderr_contains(&format!(
            "PASS   suite.api  0ms  cached: inputs unchanged since {first}\n"
        ))
        .run();
}

#[test]
fn every_field_of_the_definition_is_in_the_key() {
    let base = "[suite.a]\ncommand = \"true\"\npaths = [\"a/\"]\ncache = true\n";
    let edits: [(&str, &str); 8] = [
        ("command = \"true \"", "command changed"),
        ("cwd = \"a\"", "cwd changed"),
        ("timeout = \"9s\"", "timeout changed"),
        ("env = { X = \"1\" }", "env X (suite.a) added"),
        ("requires = [\"cmd:sh\"]", "requires changed"),
        ("platforms = [\"linux\", \"macos\"]", "platforms changed"),
        ("retries = 2", "suite definition changed"),
        ("inputs = [\"a/\", \"b\"]", "suite definition changed"),
    ];
    for (line, why) in edits {
        let ws = Workspace::git_repo(&[
            ("suites.toml", base),
            ("a/x", "x"),
            (".gitignore", "target/\n"),
        ]);
        ws.cmd(&["verify", "--all"]).stderr_any().run();
        assert_eq!(state(&ws, "suite.a").0, "hit", "{line}");
        let edited = base.replace("command = \"true\"\n", "").replace(
            "cache = true\n",
            &format!("cache = true\n{}\n", line.replace("true ", "true").trim()),
        );
        let edited = match line.starts_with("command") {
            true => base.replace("command = \"true\"", "command = \"true \""),
            false => format!("{edited}command = \"true\"\n"),
        };
        ws.write("suites.toml", &edited);
        assert_eq!(
            state(&ws, "suite.a"),
            ("miss".into(), Some(why.into())),
            "after adding {line}:\n{edited}"
        );
    }
}

#[test]
fn each_kind_of_input_change_is_a_miss_naming_that_input() {
    let ws = Workspace::git_repo(FILES);
    verify(&ws);
    let cases: [(&str, &str, &str, &str); 5] = [
        (
            "api/lib.rs",
            "api 2",
            "suite.api",
            "file api/lib.rs changed",
        ),
        (
            "fixtures/mail/a.eml",
            "b",
            "suite.mail",
            "file fixtures/mail/a.eml changed",
        ),
        (
            "profiles/p.toml",
            "[profile.p]\ncache = true\nenv = { MODE = \"two\" }\n",
            "suite.web",
            "env MODE (profile.p) changed",
        ),
        (
            "ignored/version.txt",
            "t 2.0\n",
            "suite.tool",
            "version of runner.t changed",
        ),
        ("web/new.ts", "new", "suite.web", "file web/new.ts added"),
    ];
    for (path, content, id, why) in cases {
        ws.write(path, content);
        for other in CACHED {
            let (state, miss) = state(&ws, other);
            match other == id {
                true => assert_eq!(
                    (state.as_str(), miss.as_deref()),
                    ("miss", Some(why)),
                    "after editing {path}"
                ),
                false => assert_eq!(state, "hit", "{other} after editing {path}"),
            }
        }
        let mut expected = vec![id, "suite.plain"];
        expected.sort();
        assert_eq!(verify(&ws), expected, "after editing {path}");
        assert_eq!(
            verify(&ws),
            ["suite.plain"],
            "{path} edited, then unchanged"
        );
    }
    // A global path changes every key; a file outside the inputs none.
    ws.write("docs/guide.md", "edited");
    assert_eq!(verify(&ws), ["suite.plain"]);
    ws.write("Cargo.lock", "lock 2");
    for id in CACHED {
        assert_eq!(
            state(&ws, id),
            (
                "miss".to_string(),
                Some("file Cargo.lock changed".to_string())
            )
        );
    }
}

#[test]
fn committing_and_switching_branches_back_is_a_hit() {
    let ws = Workspace::git_repo(FILES);
    verify(&ws);
    git(ws.path(), &["checkout", "-q", "-b", "feature"]);
    ws.write("api/lib.rs", "feature");
    git(ws.path(), &["commit", "-q", "-am", "feature"]);
    assert_eq!(verify(&ws), ["suite.api", "suite.plain"]);
    git(ws.path(), &["checkout", "-q", "main"]);
    assert_eq!(verify(&ws), ["suite.plain"], "main's tree passed before");
    git(ws.path(), &["checkout", "-q", "feature"]);
    assert_eq!(verify(&ws), ["suite.plain"], "feature's tree passed before");
}

#[test]
fn only_passes_are_cached_and_bypasses_run_everything() {
    let ws = Workspace::git_repo(&[
        (
            "suites.toml",
            "[suite.a]\ncommand = \"echo a >> ignored/starts.log; test -f ignored/ok\"\npaths = [\"a/\"]\ncache = true\n\n[suite.b]\ncommand = \"echo b >> ignored/starts.log\"\npaths = [\"a/\"]\ncache = true\nneeds = [\"a\"]\n",
        ),
        ("a/x", "x"),
        (".gitignore", "ignored/\ntarget/\n"),
    ]);
    std::fs::create_dir_all(ws.path().join("ignored")).expect("mkdir");
    ws.cmd(&["verify", "--all"]).status(1).stderr_any().run();
    ws.cmd(&["verify", "--all"]).status(1).stderr_any().run();
    assert_eq!(
        starts(&ws),
        ["suite.a", "suite.a"],
        "a failure is never cached; b is blocked by it"
    );
    ws.write("ignored/ok", "");
    assert_eq!(verify(&ws), ["suite.a", "suite.b"]);
    assert_eq!(verify(&ws), Vec::<String>::new());
    ws.cmd(&["verify", "--all", "--cache-only"])
        .stdout_contains("cached suite.a (inputs unchanged since")
        .stdout_contains("cached suite.b")
        .run();
    let before = starts(&ws).len();
    ws.cmd(&["verify", "--all", "--no-cache"])
        .stderr_any()
        .run();
    ws.cmd(&["verify", "--all", "--repeat", "2"])
        .stderr_any()
        .run();
    assert_eq!(
        starts(&ws).len() - before,
        2 + 4,
        "--no-cache and --repeat run all"
    );
}

#[test]
fn a_corrupt_cache_entry_is_a_miss_with_a_warning() {
    let ws = Workspace::git_repo(FILES);
    verify(&ws);
    let keys = ws.path().join("target/lab/cache/keys");
    for entry in std::fs::read_dir(&keys).expect("cache entries") {
        let path = entry.expect("entry").path();
        if read_json(&path)["suite"] == "suite.api" {
            std::fs::write(&path, "{\"lab_cache\": 1, \"suite\": ").expect("corrupt");
        }
    }
    let before = starts(&ws).len();
    ws.cmd(&["verify", "--all"])
        .stderr_contains("lab: warning: cache entry ")
        .stderr_contains("is corrupt")
        .run();
    let mut started = starts(&ws).split_off(before);
    started.sort();
    assert_eq!(started, ["suite.api", "suite.plain"]);
    assert_eq!(verify(&ws), ["suite.plain"], "the rerun rewrote the entry");
}

#[test]
fn a_cached_suite_whose_need_fails_is_not_taken_from_the_cache() {
    let ws = Workspace::git_repo(&[
        (
            "suites.toml",
            "[suite.a]\ncommand = \"echo a >> ignored/starts.log; test -f ignored/ok\"\n\n[suite.b]\ncommand = \"echo b >> ignored/starts.log\"\npaths = [\"b/\"]\ncache = true\nneeds = [\"a\"]\n",
        ),
        ("b/x", "x"),
        (".gitignore", "ignored/\ntarget/\n"),
        ("ignored/ok", ""),
    ]);
    assert_eq!(verify(&ws), ["suite.a", "suite.b"]);
    assert_eq!(verify(&ws), ["suite.a"], "b hits once a passed again");
    std::fs::remove_file(ws.path().join("ignored/ok")).expect("rm");
    ws.cmd(&["verify", "--all"]).status(1).stderr_any().run();
    let summary = ws.run_json("summary.json");
    let b = suite(&summary, "suite.b");
    assert_eq!(b["status"], "blocked", "{b:#}");
    assert!(b["cached"].is_null());
}

#[test]
fn prune_deletes_the_entries_of_deleted_runs() {
    let ws = Workspace::git_repo(FILES);
    verify(&ws);
    verify(&ws);
    assert_eq!(state(&ws, "suite.api").0, "hit");
    ws.cmd(&["runs", "prune", "--keep", "1"])
        .stdout_any()
        .stderr_contains("deleted 1 run")
        .stderr_contains("cache entries")
        .run();
    assert_eq!(
        state(&ws, "suite.api"),
        ("miss".into(), Some("no passed run recorded".into()))
    );
}

#[test]
fn concurrent_runs_share_the_cache_without_tearing() {
    let ws = Workspace::git_repo(FILES);
    let runs: Vec<_> = (0..3).map(|_| ws.spawn(&["verify", "--all"])).collect();
    for run in runs {
        let out = run.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for sub in ["keys", "suites"] {
        for entry in std::fs::read_dir(ws.path().join("target/lab/cache").join(sub)).expect("dir") {
            let path = entry.expect("entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            assert!(!name.starts_with('.'), "a temp file is left: {name}");
            assert_eq!(read_json(&path)["lab_cache"], 1, "{}", path.display());
        }
    }
    assert_eq!(verify(&ws), ["suite.plain"]);
}

/// jj must be installed where this runs: CI installs it (.ci/run).
fn jj(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("jj")
        .args(args)
        .current_dir(dir)
        .env("JJ_CONFIG", "/dev/null")
        .env("JJ_USER", "lab")
        .env("JJ_EMAIL", "lab@example.invalid")
        .output()
        .expect("jj is not installed: .ci/run installs it (cargo install jj-cli --locked)");
    assert!(
        out.status.success(),
        "jj {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "needs jj on PATH; .ci/run installs it and runs ignored tests"]
fn jj_workspaces_colocated_or_not_hit_and_miss_alike() {
    for init in ["--colocate", "--no-colocate"] {
        let ws = Workspace::with(FILES);
        jj(ws.path(), &["git", "init", init]);
        assert_eq!(verify(&ws).len(), 5, "{init}: the first run starts all");
        assert_eq!(verify(&ws), ["suite.plain"], "{init}: unchanged");
        jj(ws.path(), &["commit", "-m", "base"]);
        assert_eq!(verify(&ws), ["suite.plain"], "{init}: committed, same tree");
        ws.write("api/lib.rs", "api 2");
        assert_eq!(
            state(&ws, "suite.api"),
            ("miss".into(), Some("file api/lib.rs changed".into())),
            "{init}"
        );
        ws.write("docs/guide.md", "edited");
        assert_eq!(state(&ws, "suite.web").0, "hit", "{init}");
    }
}

#[test]
fn a_file_named_in_inputs_counts_even_when_git_ignores_it() {
    let ws = Workspace::git_repo(&[
        (
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\ninputs = [\"gen/schema.json\", \"a/\"]\ncache = true\n",
        ),
        ("a/x", "x"),
        ("gen/schema.json", "1"),
        (".gitignore", "gen/\ntarget/\n"),
    ]);
    ws.cmd(&["verify", "--all"]).stderr_any().run();
    assert_eq!(state(&ws, "suite.a").0, "hit");
    ws.write("gen/schema.json", "2");
    assert_eq!(
        state(&ws, "suite.a"),
        ("miss".into(), Some("file gen/schema.json changed".into()))
    );
}

#[test]
fn a_quarantined_suite_is_never_taken_from_the_cache() {
    let ws = Workspace::git_repo(&[
        (
            "suites.toml",
            "[suite.q]\ncommand = \"echo q >> ignored/starts.log\"\npaths = [\"q/\"]\ncache = true\nquarantine = { reason = \"r\", issue = \"#1\", until = \"2999-12-31\" }\n",
        ),
        ("q/x", "x"),
        (".gitignore", "ignored/\ntarget/\n"),
    ]);
    std::fs::create_dir_all(ws.path().join("ignored")).expect("mkdir");
    assert_eq!(verify(&ws), ["suite.q"]);
    assert_eq!(
        verify(&ws),
        ["suite.q"],
        "watched for flakiness: runs again"
    );
    assert_eq!(
        state(&ws, "suite.q"),
        ("miss".into(), Some("quarantined suites always run".into()))
    );
}
