//! Registries that did not grow up with lab (issue 10): a registry kept
//! under `tools/lab/` with `[lab] workspace`, discovery of it from the
//! repository root, `lab check --write-stubs` for definitions a registry
//! names but never defines, and a registry in PostHaste's layout taken
//! from a failing `check` to a passing `verify`.

use crate::harness::{Workspace, git, ids, read_json, suite};

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

/// PostHaste's registry as published (docs/lab.md of that project), kept
/// in `tools/lab/` with repository-root paths and its own variable prefix.
/// It names three profiles, a fixture, three runners and five artifacts it
/// never defines.
const POSTHASTE: &str = r#"[lab]
workspace = "../.."
env_prefix = "POSTHASTE_LAB"

[suite.api.settings.dev]
level = "integration"
targets = ["daemon"]
runners = ["runner.cargo-nextest.dev"]
tags = ["api", "settings", "fast"]
paths = ["crates/posthaste-server/src/api/settings.rs"]
command = "cargo nextest run -P quick -E 'test(settings_patch)'"
artifacts = ["artifact.junit.settings.dev", "log.backend.jsonl.dev"]
timeout_seconds = 300

[suite.ui.settings.web.test]
level = "e2e"
targets = ["web"]
profile = "profile.lab.empty.test"
fixture = "fixture.mail.basic.test"
runners = ["runner.playwright.web.test"]
tags = ["ui", "settings", "browser"]
paths = ["web/src/settings/"]
command = "cd web && bun run test:e2e settings"
artifacts = ["artifact.trace.settings.test", "artifact.screenshot.settings.test"]

[suite.lab.registry_self-check]
level = "profile"
profile = "profile.lab.upgrade.dev.from:v0.1.0-dogfood.17"
runners = ["runner.just"]
tags = ["lab-smoke"]
paths = ["tools/lab/"]
command = "just lab check"
artifacts = ["log.lab.check"]
timeout_seconds = 60

[suite.policy.no-telemetry]
level = "policy"
profile = "profile.lab.offline.test"
tags = ["lab-smoke"]
paths = ["crates/"]
command = "just policy no-telemetry"
"#;

/// Stands in for cargo, cargo-nextest, bun and just: fails unless every
/// POSTHASTE_LAB_* variable is set (and lab's default prefix is not), then
/// writes the declared log stub's file and reports a nested artifact with
/// PostHaste's marker (and one with the default prefix, which must not count).
const TOOL: &str = r#"#!/bin/sh
missing=""
for v in RUN_ID RUN_DIR SUITE_ID SUITE_DIR WORKSPACE STATE_CONFIG STATE_DATA STATE_SECRETS ARTIFACT_DIR; do
  eval "val=\${POSTHASTE_LAB_$v:-}"
  [ -n "$val" ] || missing="$missing $v"
done
# Set, and empty for a suite with no profile or fixture.
for v in PROFILE FIXTURES; do
  eval "[ \"\${POSTHASTE_LAB_$v+set}\" = set ]" || missing="$missing $v"
done
case "$POSTHASTE_LAB_SUITE_ID" in
  suite.ui.*) [ "$POSTHASTE_LAB_PROFILE,$POSTHASTE_LAB_FIXTURES" = "profile.lab.empty.test,fixture.mail.basic.test" ] || missing="$missing PROFILE,FIXTURES" ;;
esac
[ -z "$missing" ] || { echo "unset:$missing" >&2; exit 1; }
if env | grep -q '^LAB_'; then echo "a LAB_ variable is set" >&2; exit 1; fi
[ "$POSTHASTE_LAB_WORKSPACE" = "$(cd "$(dirname "$0")/../.." && pwd)" ] || { echo "workspace $POSTHASTE_LAB_WORKSPACE" >&2; exit 1; }
mkdir -p "$POSTHASTE_LAB_SUITE_DIR/out"
echo "$(basename "$0") $* in $(pwd)" > "$POSTHASTE_LAB_SUITE_DIR/out/report.txt"
echo '{"event":"started"}' > "$POSTHASTE_LAB_SUITE_DIR/log.backend.jsonl.dev"
echo "POSTHASTE_LAB_ARTIFACT_PATH=$POSTHASTE_LAB_SUITE_DIR/out/report.txt"
echo "LAB_ARTIFACT_PATH=$POSTHASTE_LAB_SUITE_DIR/out" >&2
"#;

#[test]
fn a_posthaste_registry_goes_from_failing_check_to_verify() {
    let ws = Workspace::with(&[
        ("tools/lab/suites.toml", POSTHASTE),
        (
            "crates/posthaste-server/src/api/settings.rs",
            "// settings\n",
        ),
        ("crates/posthaste-server/src/main.rs", "fn main() {}\n"),
        ("web/src/settings/page.ts", "export {}\n"),
        ("web/package.json", "{}\n"),
    ]);
    for tool in ["cargo", "cargo-nextest", "bun", "just"] {
        ws.write(&format!("tools/bin/{tool}"), TOOL);
        let path = ws.path().join("tools/bin").join(tool);
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
    }
    git(ws.path(), &["init", "-q", "-b", "main"]);
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-q", "-m", "posthaste"]);
    let path = format!(
        "{}:{}",
        ws.path().join("tools/bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );

    // Strict as ever: 12 undefined references, found from the root.
    let check = ws.cmd(&["check", "--json"]).status(2).run_json();
    assert_eq!(check["registry"], "tools/lab/suites.toml");
    assert_eq!(check["errors"], 12, "{check:#}");
    let codes: Vec<&str> = check["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["code"].as_str().expect("code"))
        .collect();
    assert!(
        codes.iter().all(|c| *c == "undefined-reference"),
        "{codes:?}"
    );

    let run = ws.cmd(&["check", "--write-stubs"]).stderr_any().run();
    assert!(
        run.stderr.starts_with(
            "\
wrote tools/lab/fixtures/mail.basic.test.toml: fixture.mail.basic.test
wrote tools/lab/profiles/lab.empty.test.toml: profile.lab.empty.test
wrote tools/lab/profiles/lab.offline.test.toml: profile.lab.offline.test
wrote tools/lab/profiles/lab.upgrade.dev.from:v0.1.0-dogfood.17.toml: profile.lab.upgrade.dev.from:v0.1.0-dogfood.17
wrote tools/lab/runners/cargo-nextest.dev.toml: runner.cargo-nextest.dev
wrote tools/lab/runners/just.toml: runner.just
wrote tools/lab/runners/playwright.web.test.toml: runner.playwright.web.test
appended to tools/lab/suites.toml: artifact.junit.settings.dev, artifact.screenshot.settings.test, artifact.trace.settings.test, log.backend.jsonl.dev, log.lab.check
"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.ends_with("; 0 errors, 0 warnings\n"),
        "{}",
        run.stderr
    );
    let upgrade = std::fs::read_to_string(
        ws.path()
            .join("tools/lab/profiles/lab.upgrade.dev.from:v0.1.0-dogfood.17.toml"),
    )
    .expect("read");
    assert!(
        upgrade.contains("\n[profile.lab.upgrade.dev.\"from:v0.1.0-dogfood.17\"]\n"),
        "{upgrade}"
    );
    for (runner, program) in [
        ("cargo-nextest.dev", "cargo-nextest"),
        ("playwright.web.test", "bun"),
        ("just", "just"),
    ] {
        let text =
            std::fs::read_to_string(ws.path().join(format!("tools/lab/runners/{runner}.toml")))
                .expect("read");
        assert!(
            text.ends_with(&format!("program = \"{program}\"\n")),
            "{text}"
        );
    }
    ws.cmd(&["check"]).stderr_any().run();
    ws.cmd(&["check", "--write-stubs"])
        .stderr_contains("nothing to stub: every reference is defined\n")
        .run();
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-q", "-m", "lab stubs"]);

    // Accepted as written: `level = "profile"`, `timeout_seconds`, ids with
    // `-` and `_`.
    let list = ws
        .cmd(&["suite", "list", "--level", "profile", "--json"])
        .run_json();
    assert_eq!(ids(&list), ["suite.lab.registry_self-check"]);
    assert_eq!(list["suites"][0]["timeout_seconds"], 60);

    // --changed selects by repository-root paths, from git and from
    // POSTHASTE_LAB_CHANGED_PATHS, run from anywhere in the repository.
    ws.write("web/src/settings/page.ts", "export const x = 1;\n");
    let changed = ws
        .cmd_in("crates", &["suite", "list", "--changed", "--json"])
        .run_json();
    assert_eq!(changed["changed"]["source"], "git");
    assert_eq!(ids(&changed), ["suite.ui.settings.web.test"]);
    assert_eq!(
        changed["suites"][0]["rationale"][0]["detail"],
        "web/src/settings/page.ts matches web/src/settings/"
    );
    let changed = ws
        .cmd(&["suite", "list", "--changed", "--json"])
        .env(
            "POSTHASTE_LAB_CHANGED_PATHS",
            "crates/posthaste-server/src/api/settings.rs",
        )
        .run_json();
    assert_eq!(changed["changed"]["source"], "env");
    assert_eq!(
        ids(&changed),
        ["suite.api.settings.dev", "suite.policy.no-telemetry"]
    );
    // A changed definition in tools/lab/suites.toml selects that suite
    // (compared with the base revision's file), and tools/lab/ matches
    // the registry's own suite.
    git(ws.path(), &["checkout", "-q", "--", "web"]);
    let registry = std::fs::read_to_string(ws.path().join("tools/lab/suites.toml")).expect("read");
    ws.write(
        "tools/lab/suites.toml",
        &registry.replace("timeout_seconds = 300", "timeout_seconds = 301"),
    );
    let changed = ws.cmd(&["suite", "list", "--changed", "--json"]).run_json();
    assert_eq!(
        ids(&changed),
        ["suite.api.settings.dev", "suite.lab.registry_self-check"],
        "{changed:#}"
    );
    ws.write("tools/lab/suites.toml", &registry);

    // verify: every POSTHASTE_LAB_* variable set, the workspace is the
    // repository root, POSTHASTE_LAB_ARTIFACT_PATH= markers honoured.
    ws.cmd(&["verify", "--all"])
        .env("PATH", &path)
        .stderr_any()
        .run();
    let summary = read_json(&ws.latest_run().join("summary.json"));
    assert_eq!(summary["counts"]["passed"], 4, "{summary:#}");
    let api = suite(&summary, "suite.api.settings.dev");
    let artifact = |id: &str| {
        api["artifacts"]
            .as_array()
            .expect("artifacts")
            .iter()
            .find(|a| a["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no {id} in {api:#}"))
    };
    assert_eq!(artifact("log.backend.jsonl.dev")["missing"], false);
    assert_eq!(artifact("artifact.junit.settings.dev")["missing"], true);
    let marked: Vec<&serde_json::Value> = api["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .filter(|a| a["source"] == "marker")
        .collect();
    assert_eq!(marked.len(), 1, "{api:#}");
    let copied = ws
        .latest_run()
        .join("suites/suite.api.settings.dev/artifacts/report.txt");
    let report = std::fs::read_to_string(&copied).expect("marked artifact copied");
    assert!(
        report.starts_with("cargo nextest run -P quick -E test(settings_patch) in "),
        "{report}"
    );
    let web = std::fs::read_to_string(
        ws.latest_run()
            .join("suites/suite.ui.settings.web.test/artifacts/report.txt"),
    )
    .expect("web report");
    assert!(web.ends_with("/web\n"), "{web}");
    // report.html shows a suite of a few milliseconds in ms, not `0.00 s`.
    let html = std::fs::read_to_string(ws.latest_run().join("report.html")).expect("report");
    let row = regex::Regex::new(
        r#"<td><code>suite\.api\.settings\.dev</code></td><td>(\d+ms|\d+\.\ds)</td>"#,
    )
    .expect("regex");
    assert!(row.is_match(&html), "{html}");
    assert!(!html.contains("0.00 s"), "{html}");
}

#[test]
fn a_written_include_and_run_root_are_taken_from_the_workspace() {
    let ws = Workspace::with(&[
        (
            "tools/lab/suites.toml",
            "[lab]\nworkspace = \"../..\"\ninclude = [\"lab/*.toml\"]\nrun_root = \"out/runs\"\n\n[suite.a]\ncommand = \"true\"\nprofile = \"dev\"\n",
        ),
        ("lab/dev.toml", "[profile.dev]\n"),
        // Beside the registry, but not included once `include` is written.
        ("tools/lab/profiles/other.toml", "[profile.dev]\n"),
    ]);
    ws.cmd_in("tools/lab", &["check"])
        .stderr("tools/lab/suites.toml: 1 profile, 1 suite in 2 files; 0 errors, 0 warnings\n")
        .run();
    ws.cmd_in("tools/lab", &["verify", "a"]).stderr_any().run();
    assert!(ws.path().join("out/runs/latest/summary.json").is_file());
    assert!(!ws.path().join("tools/lab/out").exists());
}

#[test]
fn a_jj_repository_root_is_searched_for_tools_lab_too() {
    // Discovery looks at the directory only; jj itself is not run.
    let ws = Workspace::with(&[
        ("tools/lab/suites.toml", "[suite.a]\ncommand = \"true\"\n"),
        ("src/x.rs", ""),
    ]);
    std::fs::create_dir(ws.path().join(".jj")).expect("mkdir .jj");
    let list = ws
        .cmd_in("src", &["suite", "list", "--all", "--json"])
        .run_json();
    assert_eq!(list["registry"], "suites.toml");
    assert_eq!(ids(&list), ["suite.a"]);
}
