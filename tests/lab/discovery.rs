//! Finding the registry: walking up from the current directory, and the
//! `--registry` / `LAB_REGISTRY` overrides.

use crate::harness::{Workspace, ids};

const ONE: &str = "[suite.one]\ncommand = \"true\"\n";
const TWO: &str = "[suite.two]\ncommand = \"true\"\n";

#[test]
fn walks_up_to_the_nearest_suites_toml() {
    let ws = Workspace::with(&[("suites.toml", ONE), ("crates/core/src/lib.rs", "")]);
    let doc = ws
        .cmd_in("crates/core/src", &["suite", "list", "--json"])
        .run_json();
    assert_eq!(ids(&doc), ["suite.one"]);
    let workspace = std::fs::canonicalize(ws.path()).expect("canonical");
    assert_eq!(doc["workspace"], workspace.display().to_string());
}

#[test]
fn registry_flag_and_env_override_discovery() {
    let ws = Workspace::with(&[
        ("suites.toml", ONE),
        ("other/suites.toml", TWO),
        ("alt.toml", TWO),
    ]);
    let doc = ws
        .cmd(&["--registry", "other/suites.toml", "suite", "list", "--json"])
        .run_json();
    assert_eq!(ids(&doc), ["suite.two"]);
    // A directory means its suites.toml.
    let doc = ws
        .cmd(&["suite", "list", "--json", "--registry", "other"])
        .run_json();
    assert_eq!(ids(&doc), ["suite.two"]);
    let doc = ws
        .cmd(&["suite", "list", "--json"])
        .env("LAB_REGISTRY", "alt.toml")
        .run_json();
    assert_eq!(ids(&doc), ["suite.two"]);
    assert_eq!(doc["registry"], "alt.toml");
}

#[test]
fn no_registry_is_a_usage_error_that_says_what_to_do() {
    let ws = Workspace::new();
    ws.cmd(&["suite", "list"])
        .status(2)
        .stderr_contains(&format!(
            "error: no registry found; lab looked for\n  {}/suites.toml\n",
            ws.path().display()
        ))
        .stderr_contains("  hint: run lab from inside a workspace, pass --registry PATH, set LAB_REGISTRY, or run `lab init`\n")
        .run();
    ws.cmd(&["--registry", "missing.toml", "check"])
        .status(2)
        .stderr(&format!(
            "error: registry `{}/missing.toml` does not exist\n  hint: check --registry or LAB_REGISTRY\n",
            ws.path().display()
        ))
        .run();
}

#[test]
fn completions_are_generated_for_each_shell() {
    let ws = Workspace::new();
    for shell in ["bash", "zsh", "fish"] {
        ws.cmd(&["completions", shell])
            .stdout_contains("exclude-tag")
            .run();
    }
    ws.cmd(&["completions", "tcsh"])
        .status(2)
        .stderr_contains("error: invalid value 'tcsh' for '<SHELL>'")
        .run();
}

#[test]
fn init_scaffolds_a_valid_registry_for_the_tools_present() {
    let ws = Workspace::with(&[
        (
            "Cargo.toml",
            "[package]\nname = \"x\"\nversion = \"0.1.0\"\n",
        ),
        ("src/lib.rs", ""),
        ("package.json", "{}"),
        ("Makefile", "test:\n\techo ok\n"),
    ]);
    ws.cmd(&["init"])
        .stderr(
            "\
wrote suites.toml
wrote profiles/default.toml
wrote runners/default.toml
wrote schemas/registry.schema.json
wrote schemas/suite-list.schema.json
wrote schemas/suite-show.schema.json
wrote schemas/check.schema.json
wrote schemas/manifest.schema.json
wrote schemas/summary.schema.json
lab: 5 suites found; next: `lab check`, then `lab verify --tag lab-smoke`
",
        )
        .run();
    let check = ws
        .cmd(&["check", "--json"])
        .stdout_schema("check")
        .run_json();
    assert_eq!(check["ok"], true, "{check:#}");
    assert_eq!(check["diagnostics"], serde_json::json!([]), "{check:#}");
    assert_eq!(
        ids(&ws.cmd(&["suite", "list", "--json"]).run_json()),
        [
            "suite.make.smoke",
            "suite.make.test",
            "suite.node.smoke",
            "suite.rust.fmt",
            "suite.rust.tests"
        ]
    );
    // The schemas were written too.
    ws.cmd(&["schema", "--check"]).run();
    ws.cmd(&["init"])
        .stderr("lab: `suites.toml` already exists; lab init never overwrites a registry\n  `lab check` says what it holds\n")
        .run();
}
