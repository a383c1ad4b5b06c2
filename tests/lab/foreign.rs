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

/// A registry written for another lab, at the root: it names a profile, a
/// runner, a fixture, an artifact and a service it never defines.
const FOREIGN: &str = r#"[suite.api]
command = "RUST_LOG=info cargo test -p api"
profile = "dev"
fixture = "mail.basic"
runners = ["cargo.test"]
artifacts = ["artifact.junit.api", "log.backend.api"]
services = ["db"]
needs = ["suite.nowhere"]

[suite.web]
command = "cd web && bun test"
runners = ["runner.bun"]
artifacts = ["artifact.trace.web"]
"#;

/// Every file under the workspace with its bytes.
fn snapshot(ws: &Workspace) -> Vec<(String, Vec<u8>)> {
    ws.tree()
        .into_iter()
        .filter(|p| ws.path().join(p).is_file())
        .map(|p| {
            let bytes = std::fs::read(ws.path().join(&p)).expect("read");
            (p, bytes)
        })
        .collect()
}

#[test]
fn write_stubs_defines_what_is_missing_once_and_never_overwrites() {
    let ws = Workspace::with(&[
        ("suites.toml", FOREIGN),
        // The user's own file where the profile's stub would go.
        ("profiles/dev.toml", "# mine\n[profile.other]\n"),
        // The registry's artifacts live here: stubs are added to it.
        (
            "fixtures/evidence.toml",
            "[artifact.kept]\npath = \"out.txt\"",
        ),
    ]);
    ws.cmd(&["check"])
        .status(2)
        .stderr_contains("suites.toml: 1 artifact, 1 profile, 2 suites in 3 files; 9 errors, 0 warnings\n  hint: `lab check --write-stubs` writes a commented stub for each profile, fixture, runner and artifact the registry names but does not define\n")
        .run();
    let run = ws
        .cmd(&["check", "--write-stubs"])
        .status(2)
        .stderr_any()
        .run();
    assert!(
        run.stderr.starts_with(
            "\
appended to fixtures/evidence.toml: artifact.junit.api, artifact.trace.web, log.backend.api
wrote fixtures/mail.basic.toml: fixture.mail.basic
not stubbed: profile.dev (profiles/dev.toml: it exists and is never overwritten)
wrote runners/bun.toml: runner.bun
wrote runners/cargo.test.toml: runner.cargo.test
not stubbed: service.db (a service needs a command and a readiness probe; define it yourself)
not stubbed: suite.nowhere (a suite verifies something only its author knows; define it yourself)
"
        ),
        "{}",
        run.stderr
    );
    // What is left is what lab could not stub, and nothing else.
    assert!(
        run.stderr.ends_with("3 errors, 0 warnings\n"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(ws.path().join("profiles/dev.toml")).expect("read"),
        "# mine\n[profile.other]\n"
    );
    let runner = std::fs::read_to_string(ws.path().join("runners/cargo.test.toml")).expect("read");
    assert!(
        runner.starts_with("# Stub written by `lab check --write-stubs`: `runner.cargo.test` is named by\n# `suite.api` but defined nowhere in the registry.\n"),
        "{runner}"
    );
    assert!(
        runner.ends_with(
            "[runner.cargo.test]\ndescription = \"stub: cargo.test\"\nprogram = \"cargo\"\n"
        ),
        "{runner}"
    );
    let bun = std::fs::read_to_string(ws.path().join("runners/bun.toml")).expect("read");
    assert!(bun.contains("program = \"bun\"\n"), "{bun}");
    let evidence = std::fs::read_to_string(ws.path().join("fixtures/evidence.toml")).expect("read");
    assert!(
        evidence.starts_with("[artifact.kept]\npath = \"out.txt\"\n\n# Stub"),
        "{evidence}"
    );
    assert!(
        evidence.contains("[artifact.junit.api]\ndescription = \"stub\"\npath = \"{suite_dir}/artifact.junit.api\"\nkind = \"junit\"\nrequired = false\n"),
        "{evidence}"
    );
    assert!(evidence.contains("LAB_ARTIFACT_PATH=<path>"), "{evidence}");

    // A second run writes nothing and changes no byte.
    let before = snapshot(&ws);
    let again = ws
        .cmd(&["check", "--write-stubs"])
        .status(2)
        .stderr_any()
        .run();
    assert!(
        again.stderr.starts_with("not stubbed: profile.dev (profiles/dev.toml: it exists and is never overwritten)\nnot stubbed: service.db"),
        "{}",
        again.stderr
    );
    assert_eq!(snapshot(&ws), before);

    // Once the user defines the rest, check passes, and stubs are done.
    ws.write(
        "profiles/dev.toml",
        "# mine\n[profile.other]\n[profile.dev]\n",
    );
    ws.write(
        "suites.toml",
        &FOREIGN
            .replace("services = [\"db\"]\n", "")
            .replace("needs = [\"suite.nowhere\"]\n", ""),
    );
    ws.cmd(&["check", "--write-stubs"])
        .stderr("nothing to stub: every reference is defined\nsuites.toml: 4 artifacts, 1 fixture, 2 profiles, 2 runners, 2 suites in 6 files; 0 errors, 0 warnings\n")
        .run();
    // The stubs change nothing a suite does: the runners' programs are
    // checked like any other (a machine without bun blocks suite.web).
    let list = ws.cmd(&["suite", "show", "api", "--json"]).run_json();
    assert_eq!(list["runners"][0]["program"], "cargo", "{list:#}");
}

#[test]
fn write_stubs_writes_nothing_when_a_file_does_not_parse() {
    let ws = Workspace::with(&[
        ("suites.toml", FOREIGN),
        ("runners/broken.toml", "[runner.x\n"),
    ]);
    let before = snapshot(&ws);
    ws.cmd(&["check", "--write-stubs"])
        .status(2)
        .stderr_contains("error: --write-stubs wrote nothing: a registry file could not be read, so what it defines would look undefined\n")
        .run();
    assert_eq!(snapshot(&ws), before);
}

#[test]
fn init_on_an_existing_registry_points_at_write_stubs() {
    let ws = Workspace::with(&[(
        "tools/lab/suites.toml",
        "[lab]\nworkspace = \"../..\"\n\n[suite.a]\ncommand = \"true\"\nprofile = \"dev\"\n",
    )]);
    git(ws.path(), &["init", "-q"]);
    ws.cmd(&["init"])
        .stderr("lab: `tools/lab/suites.toml` already exists; lab init never overwrites a registry\n  it names 1 definition it does not define: `lab check --write-stubs` writes a commented stub for each\n")
        .run();
    assert!(!ws.path().join("suites.toml").exists());
    ws.cmd(&["check", "--write-stubs"])
        .stderr("wrote tools/lab/profiles/dev.toml: profile.dev\ntools/lab/suites.toml: 1 profile, 1 suite in 2 files; 0 errors, 0 warnings\n")
        .run();
    ws.cmd(&["init"])
        .stderr("lab: `tools/lab/suites.toml` already exists; lab init never overwrites a registry\n  `lab check` says what it holds\n")
        .run();
}
