//! The committed schemas/ are what this lab generates, and `lab schema`
//! prints, writes and checks them.

use crate::harness::{Workspace, lab_command, repo, run};

#[test]
fn committed_schemas_are_fresh() {
    let out = run(lab_command(&repo()).args(["schema", "--check"]));
    assert_eq!(
        out.code, 0,
        "schemas/ is stale; run `cargo run -- schema --write`:\n{}",
        out.stderr
    );
}

#[test]
fn write_then_check_and_detect_staleness() {
    let ws = Workspace::with(&[("suites.toml", "")]);
    let out = ws.lab(&["schema", "--check"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("schemas/registry.schema.json: missing"),
        "{}",
        out.stderr
    );
    assert_eq!(ws.lab(&["schema", "--write"]).code, 0);
    assert_eq!(ws.lab(&["schema", "--check"]).code, 0);
    ws.write("schemas/suite-list.schema.json", "{}\n");
    let out = ws.lab(&["schema", "--check", "suite-list"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("suite-list.schema.json: stale"),
        "{}",
        out.stderr
    );
}

#[test]
fn registry_schema_accepts_the_repository_registry() {
    // Editors validate suites.toml with this schema: it must accept lab's own.
    let ws = Workspace::new();
    let out = ws.lab(&["schema", "registry"]);
    assert_eq!(out.code, 0);
    let schema = out.json();
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
