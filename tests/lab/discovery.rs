//! Finding the registry: walking up from the current directory, and the
//! `--registry` / `LAB_REGISTRY` overrides.

use crate::harness::{Workspace, lab_command, run};

const ONE: &str = "[suite.one]\ncommand = \"true\"\n";
const TWO: &str = "[suite.two]\ncommand = \"true\"\n";

#[test]
fn walks_up_to_the_nearest_suites_toml() {
    let ws = Workspace::with(&[("suites.toml", ONE), ("crates/core/src/lib.rs", "")]);
    let out = ws.lab_in("crates/core/src", &["suite", "list", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["suites"][0]["id"], "suite.one");
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
    let out = ws.lab(&["--registry", "other/suites.toml", "suite", "list", "--json"]);
    assert_eq!(out.json()["suites"][0]["id"], "suite.two");
    // A directory means its suites.toml.
    let out = ws.lab(&["suite", "list", "--json", "--registry", "other"]);
    assert_eq!(out.json()["suites"][0]["id"], "suite.two");
    let out = run(lab_command(ws.path())
        .env("LAB_REGISTRY", "alt.toml")
        .args(["suite", "list", "--json"]));
    let doc = out.json();
    assert_eq!(doc["suites"][0]["id"], "suite.two");
    assert_eq!(doc["registry"], "alt.toml");
}

#[test]
fn no_registry_is_a_usage_error_that_says_what_to_do() {
    let ws = Workspace::new();
    let out = ws.lab(&["suite", "list"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("no suites.toml found"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--registry PATH"), "{}", out.stderr);
    let out = ws.lab(&["--registry", "missing.toml", "check"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("missing.toml` does not exist"),
        "{}",
        out.stderr
    );
}

#[test]
fn completions_are_generated_for_each_shell() {
    let ws = Workspace::new();
    for shell in ["bash", "zsh", "fish"] {
        let out = ws.lab(&["completions", shell]);
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        assert!(
            out.stdout.contains("exclude-tag"),
            "{shell} completion lacks a flag"
        );
    }
    assert_eq!(ws.lab(&["completions", "tcsh"]).code, 2);
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
    let out = ws.lab(&["init"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let check = ws.lab(&["check", "--json"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
    let list = ws.lab(&["suite", "list", "--json"]).json();
    let ids: Vec<&str> = list["suites"]
        .as_array()
        .expect("suites")
        .iter()
        .map(|s| s["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        ids,
        [
            "suite.make.test",
            "suite.node.tests",
            "suite.rust.fmt",
            "suite.rust.tests"
        ]
    );
    assert_eq!(ws.lab(&["schema", "--check"]).code, 0, "schemas written");
    let again = ws.lab(&["init"]);
    assert_eq!(again.code, 2);
    assert!(
        again.stderr.contains("never overwrites"),
        "{}",
        again.stderr
    );
}
