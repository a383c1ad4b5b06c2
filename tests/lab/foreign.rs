//! Registries that did not grow up with lab (issue 10): a registry kept
//! under `tools/lab/` with `[lab] workspace`, discovery of it from the
//! repository root, `lab check --write-stubs` for definitions a registry
//! names but never defines, and a registry in PostHaste's layout taken
//! from a failing `check` to a passing `verify`.

use crate::harness::{Workspace, git, ids};

/// A registry in `tools/lab/` whose paths are written from the repository
/// root, with a profile beside it (the default `include`) and fixture data
/// at the root.
const NESTED: &[(&str, &str)] = &[
    (
        "tools/lab/suites.toml",
        r#"[lab]
workspace = "../.."
global_paths = ["Cargo.lock"]

[suite.core.unit]
cwd = "crates/core"
paths = ["crates/core/"]
profile = "nested"
fixture = "seed"
command = "printf '%s\n' \"$LAB_WORKSPACE\" \"$(pwd)\" \"$NESTED\" > \"$LAB_SUITE_DIR/seen\"; cat \"$LAB_STATE_DATA/seed.txt\" >> \"$LAB_SUITE_DIR/seen\""

[suite.web.unit]
paths = ["web/"]
command = "true"

[fixture.seed]
copy = [{ from = "testdata/seed.txt", to = "data" }]
"#,
    ),
    (
        "tools/lab/profiles/nested.toml",
        "[profile.nested]\nenv = { NESTED = \"from tools/lab/profiles\" }\n",
    ),
    ("testdata/seed.txt", "seeded\n"),
    ("crates/core/src/lib.rs", "pub fn f() {}\n"),
    ("web/index.ts", "export {}\n"),
    ("Cargo.lock", ""),
];

#[test]
fn a_registry_under_tools_lab_resolves_every_path_from_its_workspace() {
    let ws = Workspace::git_repo(NESTED);
    let root = std::fs::canonicalize(ws.path()).expect("canonical");
    // Found from a directory below the repository root, with no suites.toml
    // on the way up: tools/lab/suites.toml at the repository root.
    let list = ws
        .cmd_in("crates/core/src", &["suite", "list", "--all", "--json"])
        .run_json();
    assert_eq!(list["workspace"], root.display().to_string());
    assert_eq!(list["registry"], "tools/lab/suites.toml");
    assert_eq!(ids(&list), ["suite.core.unit", "suite.web.unit"]);
    assert_eq!(
        list["suites"][0]["defined_at"]["file"],
        "tools/lab/suites.toml"
    );
    ws.cmd(&["check"])
        .stderr("tools/lab/suites.toml: 1 fixture, 1 profile, 2 suites in 2 files; 0 errors, 0 warnings\n")
        .run();

    // `paths` are repository-root paths.
    ws.write("crates/core/src/lib.rs", "pub fn g() {}\n");
    let changed = ws.cmd(&["suite", "list", "--changed", "--json"]).run_json();
    assert_eq!(ids(&changed), ["suite.core.unit"]);

    // cwd, the fixture's copy.from, LAB_WORKSPACE and the run root all
    // start from the repository root.
    ws.cmd_in("web", &["verify", "core.unit"])
        .stderr_any()
        .run();
    let run = ws.latest_run();
    assert!(run.starts_with(root.join("target/lab/runs")), "{run:?}");
    let seen = std::fs::read_to_string(run.join("suites/suite.core.unit/seen")).expect("seen");
    assert_eq!(
        seen,
        format!(
            "{root}\n{root}/crates/core\nfrom tools/lab/profiles\nseeded\n",
            root = root.display()
        )
    );
    // lab's own output is not a change of the repository.
    let changed = ws.cmd(&["suite", "list", "--changed", "--json"]).run_json();
    assert_eq!(
        changed["changed"]["paths"],
        serde_json::json!(["crates/core/src/lib.rs"])
    );

    // A changed global path selects everything, from the root as well.
    ws.write("Cargo.lock", "# changed\n");
    let changed = ws.cmd(&["suite", "list", "--changed", "--json"]).run_json();
    assert_eq!(ids(&changed), ["suite.core.unit", "suite.web.unit"]);
}

#[test]
fn a_workspace_that_does_not_hold_the_registry_is_an_error_at_its_place() {
    let ws = Workspace::with(&[
        (
            "tools/lab/suites.toml",
            "[lab]\nworkspace = \"../../elsewhere\"\n",
        ),
        ("elsewhere/x", ""),
    ]);
    ws.cmd_in("tools/lab", &["check"])
        .status(2)
        .stderr_contains("error[invalid-path]: `workspace` \"../../elsewhere\" does not hold the registry file\n  --> suites.toml:2:13\n")
        .run();
    ws.write("tools/lab/suites.toml", "[lab]\nworkspace = \"/abs\"\n");
    ws.cmd_in("tools/lab", &["check"])
        .status(2)
        .stderr_contains("error[invalid-path]: `workspace` is not valid\n  --> suites.toml:2:13\n")
        .run();
}

#[test]
fn no_registry_names_every_place_looked_at() {
    let ws = Workspace::new();
    git(ws.path(), &["init", "-q"]);
    std::fs::create_dir_all(ws.path().join("a")).expect("mkdir");
    let root = ws.path().display().to_string();
    let run = ws
        .cmd_in("a", &["suite", "list"])
        .status(2)
        .stderr_any()
        .run();
    let mut expected = format!(
        "error: no registry found; lab looked for\n  {root}/a/suites.toml\n  {root}/suites.toml\n  {root}/tools/lab/suites.toml\n"
    );
    for dir in ws.path().ancestors().skip(1) {
        let file = dir.join("suites.toml");
        expected.push_str(&format!("  {}\n", file.display()));
    }
    assert!(
        run.stderr.starts_with(&expected),
        "{}\nexpected:\n{expected}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: "), "{}", run.stderr);
}
