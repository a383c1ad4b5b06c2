//! `lab init` on real project layouts (issue 15 item 2): a Python package
//! without `src/`, a Cargo workspace, an npm workspace and a Go module,
//! each built here as its tool would lay it out. The registry init writes
//! passes `lab check` with no warning, watches only paths that exist (from
//! the project's own metadata), and has a `lab-smoke` suite that `lab
//! verify --tag lab-smoke` runs — passing where the tool is installed,
//! blocked (never failed) where it is not. Tools other than python3 and
//! cargo need not be installed: init only reads files.

use std::path::Path;

use crate::cmd::Cmd;
use crate::harness::{Workspace, ids, suite};

/// `lab init`, then `lab check --json` with no error and no warning;
/// returns suites.toml.
fn init_and_check(ws: &Workspace) -> String {
    ws.cmd(&["init"])
        .stderr_contains("next: `lab check`, then `lab verify --tag lab-smoke`\n")
        .run();
    let check = ws
        .cmd(&["check", "--json"])
        .stdout_schema("check")
        .run_json();
    assert_eq!(check["ok"], true, "{check:#}");
    assert_eq!(
        check["diagnostics"],
        serde_json::json!([]),
        "no warning: {check:#}"
    );
    ws.cmd(&["check"])
        .stderr_contains("0 errors, 0 warnings\n")
        .run();
    std::fs::read_to_string(ws.path().join("suites.toml")).expect("suites.toml")
}

/// The `paths = [...]` line of suite `id` in suites.toml.
fn paths_of(suites: &str, id: &str) -> String {
    let at = suites
        .find(&format!("[{id}]\n"))
        .unwrap_or_else(|| panic!("no {id} in:\n{suites}"));
    suites[at..]
        .lines()
        .take_while(|l| !l.is_empty())
        .find(|l| l.starts_with("paths = "))
        .unwrap_or_else(|| panic!("{id} has no paths:\n{suites}"))
        .to_string()
}

/// The ids `lab suite list --tag lab-smoke` selects.
fn smoke_ids(ws: &Workspace) -> Vec<String> {
    ids(&ws
        .cmd(&["suite", "list", "--tag", "lab-smoke", "--json"])
        .run_json())
}

/// `true` when `sh -c probe` exits 0 in `dir` with the environment lab
/// gets in these tests.
fn tool_works(dir: &Path, probe: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", probe])
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn a_python_package_without_src_gets_its_own_paths_and_a_pytest_smoke_suite() {
    let ws = Workspace::git_repo(&[
        (
            "pyproject.toml",
            "[build-system]\nrequires = [\"flit_core >=3.2,<4\"]\nbuild-backend = \"flit_core.buildapi\"\n\n[project]\nname = \"more-itertools\"\nversion = \"10.5.0\"\n",
        ),
        (
            "more_itertools/__init__.py",
            "from .more import *  # noqa\n",
        ),
        (
            "more_itertools/more.py",
            "def first(iterable):\n    return next(iter(iterable))\n",
        ),
        (
            "tests/test_more.py",
            "from more_itertools import first\n\n\ndef test_first():\n    assert first([1, 2]) == 1\n",
        ),
        ("docs/index.rst", "more-itertools\n"),
        (".gitignore", "build/\n*.egg-info/\n"),
        ("build/lib/stale.py", ""),
    ]);
    let suites = init_and_check(&ws);
    assert_eq!(
        paths_of(&suites, "suite.python.smoke"),
        r#"paths = ["more_itertools/", "tests/", "pyproject.toml"]"#
    );
    assert!(!suites.contains("\"src/\""), "{suites}");
    let runners = std::fs::read_to_string(ws.path().join("runners/default.toml")).expect("runners");
    assert!(
        runners.contains("probe = \"python3 -m pytest --version\"\n"),
        "{runners}"
    );
    assert!(runners.contains("--junitxml={junit}"), "{runners}");
    assert_eq!(smoke_ids(&ws), ["suite.python.smoke"]);

    let has_pytest = tool_works(ws.path(), "python3 -m pytest --version");
    let summary = ws
        .cmd(&["verify", "--tag", "lab-smoke", "--json"])
        .status(if has_pytest { 0 } else { 78 })
        .stderr_any()
        .run_json();
    let smoke = suite(&summary, "suite.python.smoke");
    if has_pytest {
        // Collected through the runner, its JUnit in the suite directory.
        assert_eq!(smoke["status"], "passed", "{smoke:#}");
        assert_eq!(
            smoke["tests"]["reports"],
            serde_json::json!(["suites/suite.python.smoke/junit.xml"]),
            "{smoke:#}"
        );
        let out =
            std::fs::read_to_string(ws.latest_run().join("suites/suite.python.smoke/stdout.log"))
                .expect("stdout.log");
        assert!(out.contains("tests/test_more.py::test_first"), "{out}");
    } else {
        assert_eq!(smoke["step"], "runner:runner.pytest:probe", "{smoke:#}");
        assert!(
            smoke["reason"]
                .as_str()
                .is_some_and(|r| r.contains("No module named pytest")),
            "{smoke:#}"
        );
    }
}

/// `cmd` with the toolchain's homes (the harness sets HOME to the
/// workspace).
fn with_toolchain(cmd: Cmd) -> Cmd {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".cargo")))
        .expect("CARGO_HOME or HOME");
    let rustup_home = std::env::var_os("RUSTUP_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".rustup")))
        .expect("RUSTUP_HOME or HOME");
    cmd.env("CARGO_HOME", cargo_home)
        .env("RUSTUP_HOME", rustup_home)
        .env("CARGO_TERM_COLOR", "never")
}

#[test]
fn a_cargo_workspace_watches_its_members_and_formats_as_the_smoke_gate() {
    let member = |name: &str| {
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n")
    };
    let ws = Workspace::git_repo(&[
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\"crates/*\", \"tools/gen\"]\nexclude = [\"crates/legacy\"]\nresolver = \"2\"\n",
        ),
        ("crates/core/Cargo.toml", &member("core")),
        (
            "crates/core/src/lib.rs",
            "pub fn one() -> u32 {\n    1\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn one() {\n        assert_eq!(super::one(), 1);\n    }\n}\n",
        ),
        ("crates/cli/Cargo.toml", &member("cli")),
        ("crates/cli/src/main.rs", "fn main() {}\n"),
        ("crates/legacy/Cargo.toml", &member("legacy")),
        ("crates/legacy/src/lib.rs", ""),
        ("tools/gen/Cargo.toml", &member("gen")),
        ("tools/gen/src/main.rs", "fn main() {}\n"),
        // A library's lock file, ignored: `lab check` does not see it.
        (".gitignore", "/target\nCargo.lock\n"),
        ("Cargo.lock", "# stale\n"),
    ]);
    let suites = init_and_check(&ws);
    assert_eq!(
        paths_of(&suites, "suite.rust.tests"),
        r#"paths = ["crates/cli/", "crates/core/", "tools/gen/", "Cargo.toml"]"#
    );
    assert!(!suites.contains("\"src/\""), "{suites}");
    assert_eq!(smoke_ids(&ws), ["suite.rust.fmt"]);
    let runners = std::fs::read_to_string(ws.path().join("runners/default.toml")).expect("runners");
    assert!(runners.contains("probe = \"cargo "), "{runners}");
    let summary = with_toolchain(ws.cmd(&["verify", "--tag", "lab-smoke", "--json"]))
        .stderr_any()
        .run_json();
    assert_eq!(suite(&summary, "suite.rust.fmt")["status"], "passed");
}

#[test]
fn an_npm_workspace_watches_its_packages_and_checks_they_are_installed() {
    let ws = Workspace::git_repo(&[
        (
            "package.json",
            r#"{ "name": "mono", "private": true, "workspaces": ["packages/*"] }"#,
        ),
        (
            "packages/parse/package.json",
            r#"{ "name": "@mono/parse", "version": "1.0.0", "main": "index.js", "scripts": { "test": "node --test" } }"#,
        ),
        (
            "packages/parse/index.js",
            "module.exports = (s) => s.split(',');\n",
        ),
        (
            "packages/parse/test/parse.test.js",
            "const test = require('node:test');\nconst assert = require('node:assert');\nconst parse = require('..');\ntest('splits', () => assert.deepStrictEqual(parse('a,b'), ['a', 'b']));\n",
        ),
        (
            "packages/web/package.json",
            r#"{ "name": "@mono/web", "version": "1.0.0", "dependencies": { "@mono/parse": "1.0.0" } }"#,
        ),
        ("packages/web/index.js", "require('@mono/parse');\n"),
        (".gitignore", "node_modules/\n"),
    ]);
    // What `npm install` leaves: the workspaces linked into node_modules.
    let modules = ws.path().join("node_modules/@mono");
    std::fs::create_dir_all(&modules).expect("node_modules");
    for name in ["parse", "web"] {
        std::os::unix::fs::symlink(format!("../../packages/{name}"), modules.join(name))
            .expect("link");
    }
    let suites = init_and_check(&ws);
    assert_eq!(
        paths_of(&suites, "suite.node.tests"),
        r#"paths = ["packages/parse/", "packages/web/", "package.json"]"#
    );
    assert!(
        suites.contains("args = \"--workspaces --if-present\"\n"),
        "each workspace's own test script: {suites}"
    );
    assert_eq!(smoke_ids(&ws), ["suite.node.smoke"]);
    let runners = std::fs::read_to_string(ws.path().join("runners/default.toml")).expect("runners");
    assert!(runners.contains("probe = \"npm --version\"\n"), "{runners}");

    let has_npm = tool_works(ws.path(), "npm --version");
    let summary = ws
        .cmd(&["verify", "--tag", "lab-smoke", "--json"])
        .status(if has_npm { 0 } else { 78 })
        .stderr_any()
        .run_json();
    let smoke = suite(&summary, "suite.node.smoke");
    if !has_npm {
        assert_eq!(smoke["step"], "requires", "{smoke:#}");
        return;
    }
    assert_eq!(smoke["status"], "passed", "{smoke:#}");
    // A checkout whose dependencies are not installed is blocked, saying
    // what to do, not failed.
    std::fs::remove_dir_all(ws.path().join("node_modules")).expect("rm node_modules");
    let summary = ws
        .cmd(&["verify", "--tag", "lab-smoke", "--json"])
        .status(78)
        .stderr_any()
        .run_json();
    let smoke = suite(&summary, "suite.node.smoke");
    assert_eq!(
        smoke["reason"],
        "exited 78 (blocked): dependencies are not installed: run `npm install` first",
        "{smoke:#}"
    );
}

#[test]
fn a_go_module_watches_its_go_files_and_vets_as_the_smoke_gate() {
    let ws = Workspace::git_repo(&[
        ("go.mod", "module example.com/calc\n\ngo 1.22\n"),
        (
            "internal/calc/calc.go",
            "package calc\n\n// Add adds.\nfunc Add(a, b int) int { return a + b }\n",
        ),
        (
            "internal/calc/calc_test.go",
            "package calc\n\nimport \"testing\"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(1, 1) != 2 {\n\t\tt.Fatal(\"add\")\n\t}\n}\n",
        ),
        (
            "cmd/calc/main.go",
            "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/calc/internal/calc\"\n)\n\nfunc main() { fmt.Println(calc.Add(1, 2)) }\n",
        ),
    ]);
    let suites = init_and_check(&ws);
    assert_eq!(
        paths_of(&suites, "suite.go.vet"),
        r#"paths = ["**/*.go", "go.mod"]"#,
        "go.sum does not exist: not listed"
    );
    assert_eq!(smoke_ids(&ws), ["suite.go.vet"]);
    let runners = std::fs::read_to_string(ws.path().join("runners/default.toml")).expect("runners");
    assert!(runners.contains("probe = \"go version\"\n"), "{runners}");
    // A change to a Go file selects the Go suites.
    ws.write(
        "internal/calc/calc.go",
        "package calc\n\n// Add adds.\nfunc Add(a, b int) int { return b + a }\n",
    );
    let changed = ws
        .cmd(&["suite", "list", "--changed", "--json"])
        .stderr_any()
        .run_json();
    assert_eq!(ids(&changed), ["suite.go.tests", "suite.go.vet"]);

    let has_go = tool_works(ws.path(), "go version");
    let summary = ws
        .cmd(&["verify", "--tag", "lab-smoke", "--json"])
        .status(if has_go { 0 } else { 78 })
        .stderr_any()
        .run_json();
    let vet = suite(&summary, "suite.go.vet");
    if has_go {
        assert_eq!(vet["status"], "passed", "{vet:#}");
    } else {
        assert_eq!(
            (&vet["status"], &vet["reason"]),
            (
                &serde_json::json!("blocked"),
                &serde_json::json!("runner.go: program `go` not found on PATH")
            ),
            "{vet:#}"
        );
    }
}

#[test]
fn jest_with_jest_junit_reports_per_test_and_is_blocked_until_installed() {
    let ws = Workspace::git_repo(&[
        (
            "package.json",
            r#"{ "name": "app", "version": "1.0.0", "scripts": { "test": "jest" }, "devDependencies": { "jest": "^29.7.0", "jest-junit": "^16.0.0" } }"#,
        ),
        ("src/sum.js", "module.exports = (a, b) => a + b;\n"),
        (
            "src/sum.test.js",
            "const sum = require('./sum');\ntest('adds', () => expect(sum(1, 2)).toBe(3));\n",
        ),
    ]);
    let suites = init_and_check(&ws);
    assert_eq!(
        paths_of(&suites, "suite.node.tests"),
        r#"paths = ["src/", "package.json"]"#
    );
    let runners = std::fs::read_to_string(ws.path().join("runners/default.toml")).expect("runners");
    assert!(
        runners.contains("env = { JEST_JUNIT_OUTPUT_FILE = \"{junit}\" }\n")
            && runners.contains("junit = \"{junit}\"\n"),
        "{runners}"
    );
    // jest is declared but not installed: blocked by the probe (or by
    // npx missing altogether), never failed.
    let summary = ws
        .cmd(&["verify", "--tag", "lab-smoke", "--json"])
        .status(78)
        .stderr_any()
        .run_json();
    let smoke = suite(&summary, "suite.node.smoke");
    let step = smoke["step"].as_str().expect("step");
    let reason = smoke["reason"].as_str().expect("reason");
    assert!(
        (step == "runner:runner.jest:probe"
            && reason.ends_with(": jest is not installed: run `npm install` first"))
            || (step == "requires" && reason.contains("`node` not found")),
        "{smoke:#}"
    );
    assert_eq!(smoke["attempts"], serde_json::json!([]), "{smoke:#}");
}
