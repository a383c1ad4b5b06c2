//! The committed schemas/ are what this lab generates, and `lab schema`
//! prints, writes and checks them.

use crate::cmd::Cmd;
use crate::harness::{Workspace, repo};

#[test]
fn committed_schemas_are_fresh() {
    // On failure: schemas/ is stale; run `cargo run -- schema --write`.
    Cmd::new(&repo(), &["schema", "--check"]).run();
}

#[test]
fn write_then_check_and_detect_staleness() {
    let ws = Workspace::with(&[("suites.toml", "")]);
    ws.cmd(&["schema", "--check"])
        .status(1)
        .stderr(
            "\
schemas/registry.schema.json: missing
schemas/suite-list.schema.json: missing
schemas/suite-show.schema.json: missing
schemas/check.schema.json: missing
schemas/manifest.schema.json: missing
schemas/summary.schema.json: missing
hint: run `lab schema --write` and commit schemas/
",
        )
        .run();
    ws.cmd(&["schema", "--write"])
        .stderr(
            "\
wrote schemas/registry.schema.json
wrote schemas/suite-list.schema.json
wrote schemas/suite-show.schema.json
wrote schemas/check.schema.json
wrote schemas/manifest.schema.json
wrote schemas/summary.schema.json
",
        )
        .run();
    ws.cmd(&["schema", "--check"]).run();
    ws.write("schemas/suite-list.schema.json", "{}\n");
    ws.cmd(&["schema", "--check", "suite-list"])
        .status(1)
        .stderr(
            "schemas/suite-list.schema.json: stale\nhint: run `lab schema --write` and commit schemas/\n",
        )
        .run();
}

#[test]
fn registry_schema_accepts_the_repository_registry() {
    // Editors validate suites.toml with this schema: it must accept lab's own.
    let ws = Workspace::new();
    let schema = ws.cmd(&["schema", "registry"]).run_json();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for file in ["suites.toml", "profiles/cargo.toml", "runners/cargo.toml"] {
        let text = std::fs::read_to_string(repo().join(file)).expect("read");
        let value: toml::Value = toml::from_str(&text).expect("toml");
        let json = serde_json::to_value(value).expect("json");
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{file}: {errors:?}");
    }
    // And rejects a typo.
    let bad: toml::Value = toml::from_str("[suite.a]\ncomand = \"x\"\n").expect("toml");
    assert!(!validator.is_valid(&serde_json::to_value(bad).expect("json")));
}
