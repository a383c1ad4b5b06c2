//! `lab suite list` and `lab suite show` on real registries: selection
//! through the command line, the JSON contract of docs/outputs.md, and the
//! resolved view of one suite.

use crate::harness::{Workspace, assert_valid, ids};

const REGISTRY: &str = r#"
[suite.api.unit]
description = "API unit tests"
runners = ["cargo"]
args = "-p api"
level = "unit"
tags = ["fast", "lab-smoke"]
targets = ["daemon"]
paths = ["crates/api/"]

[suite.api.e2e]
command = "./e2e.sh"
cwd = "tests/e2e"
level = "e2e"
tags = ["slow"]
targets = ["daemon", "web"]
risk = "high"
needs = ["suite.api.unit"]
profile = "profile.ci"
fixture = "fixture.mail"
services = ["service.db"]
artifacts = ["artifact.trace"]
requires = ["cmd:sh", "env:HOME"]
timeout = "2m"
retries = 1

[suite.web.unit]
command = "npm test"
level = "unit"
tags = ["fast"]
targets = ["web"]
platforms = ["macos", "linux"]
"#;

const PROFILES: &str = r#"
[profile.base]
env = { LEVEL = "base", SHARED = "base" }
services = ["service.cache"]
network = "loopback"

[profile.ci]
extends = "base"
env = { SHARED = "ci" }
env_clear = true
pass_env = ["PATH"]
"#;

const OTHERS: &str = r#"
[runner.cargo]
program = "cargo"
command = "cargo test {args}"

[fixture.mail]
copy = [{ from = "fixtures/mail", to = "data/mail" }]
env = { MAILDIR = "{state.data}/mail" }

[service.db]
command = "db --port {port}"
port = true
ready = { tcp = "127.0.0.1:{port}" }

[service.cache]
command = "cache"

[artifact.trace]
path = "trace.zip"
kind = "trace"
"#;

/// The registry of every test here.
const FILES: &[(&str, &str)] = &[
    ("suites.toml", REGISTRY),
    ("profiles/p.toml", PROFILES),
    ("runners/other.toml", OTHERS),
];

#[test]
fn json_matches_the_schema_and_the_design() {
    let ws = Workspace::with(FILES);
    let doc = ws
        .cmd(&["suite", "list", "--json", "--tag", "slow"])
        .run_json();
    assert_valid("suite-list", &doc);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["registry"], "suites.toml");
    assert_eq!(doc["changed"], serde_json::Value::Null);
    assert_eq!(doc["criteria"]["tags"], serde_json::json!(["slow"]));
    assert_eq!(doc["criteria"]["all"], false);
    assert_eq!(ids(&doc), ["suite.api.e2e", "suite.api.unit"]);
    let e2e = &doc["suites"][0];
    assert_eq!(e2e["command"], "./e2e.sh");
    assert_eq!(e2e["cwd"], "tests/e2e");
    assert_eq!(e2e["timeout_seconds"], 120);
    assert_eq!(e2e["retries"], 1);
    assert_eq!(e2e["risk"], "high");
    assert_eq!(e2e["profile"], "profile.ci");
    assert_eq!(e2e["fixtures"], serde_json::json!(["fixture.mail"]));
    // The profile's services (through extends) start before the suite's own.
    assert_eq!(
        e2e["services"],
        serde_json::json!(["service.cache", "service.db"])
    );
    assert_eq!(e2e["requires"], serde_json::json!(["cmd:sh", "env:HOME"]));
    assert_eq!(
        e2e["defined_at"],
        serde_json::json!({"file": "suites.toml", "line": 11, "column": 12})
    );
    assert_eq!(
        e2e["rationale"],
        serde_json::json!([{"kind": "tag", "detail": "slow"}])
    );
    let unit = &doc["suites"][1];
    // The runner's template, with the suite's args.
    assert_eq!(unit["command"], "cargo test -p api");
    assert_eq!(unit["timeout_seconds"], 600);
    assert_eq!(
        unit["rationale"],
        serde_json::json!([{"kind": "needed_by", "detail": "suite.api.e2e"}])
    );
}

#[test]
fn flags_or_within_and_across() {
    let ws = Workspace::with(FILES);
    let list = |args: &[&str]| {
        let mut full = vec!["suite", "list", "--json"];
        full.extend_from_slice(args);
        ids(&ws.cmd(&full).run_json())
    };
    let every = ["suite.api.e2e", "suite.api.unit", "suite.web.unit"];
    assert_eq!(
        list(&["--tag", "fast"]),
        ["suite.api.unit", "suite.web.unit"]
    );
    assert_eq!(
        list(&["--tag", "fast", "--target", "web"]),
        ["suite.web.unit"]
    );
    assert_eq!(list(&["--target", "daemon", "--target", "web"]), every);
    assert_eq!(
        list(&["--level", "e2e", "--level", "unit", "--exclude-tag", "slow"]),
        ["suite.api.unit", "suite.web.unit"]
    );
    assert_eq!(list(&["api.*"]), ["suite.api.e2e", "suite.api.unit"]);
    assert_eq!(
        list(&["--platform", "windows"]),
        ["suite.api.e2e", "suite.api.unit"]
    );
    assert_eq!(
        list(&["--risk", "medium"]),
        ["suite.api.e2e", "suite.api.unit"]
    );
    assert_eq!(list(&["--all"]), every);
    assert_eq!(list(&[]), every);
}

#[test]
fn table_for_people_and_usage_errors() {
    let ws = Workspace::with(FILES);
    ws.cmd(&["suite", "list", "--tag", "fast"])
        .stdout(
            "\
ID              LEVEL  TARGETS  TAGS            WHY
suite.api.unit  unit   daemon   fast,lab-smoke  tag fast
suite.web.unit  unit   web      fast            tag fast
",
        )
        .stderr("2 of 3 suites selected\n")
        .run();

    ws.cmd(&["suite", "list", "suite.api.unti"])
        .status(2)
        .stderr(
            "error: no suite matches `suite.api.unti`\n  hint: did you mean `suite.api.unit`?\n",
        )
        .run();

    ws.cmd(&["suite", "list", "--platform", "linus"])
        .status(2)
        .stderr("error: unknown platform `linus`\n  hint: did you mean `linux`?\n")
        .run();

    // clap rejects unknown values.
    ws.cmd(&["suite", "list", "--risk", "extreme"])
        .status(2)
        .stderr_contains(
            "error: invalid value 'extreme' for '--risk <RISK>'\n  [possible values: low, medium, high]\n",
        )
        .run();
}

#[test]
fn show_resolves_profile_chain_env_and_command() {
    let ws = Workspace::with(FILES);
    let doc = ws.cmd(&["suite", "show", "api.e2e", "--json"]).run_json();
    assert_valid("suite-show", &doc);
    assert_eq!(doc["suite"]["id"], "suite.api.e2e");
    assert_eq!(doc["command_from"], "suite");
    let profile = &doc["profile"];
    assert_eq!(
        profile["chain"],
        serde_json::json!(["profile.ci", "profile.base"])
    );
    // Inherited from the parent, overridden where the child says so.
    assert_eq!(profile["network"], "loopback");
    assert_eq!(profile["env_clear"], true);
    assert_eq!(
        doc["env"]["LEVEL"],
        serde_json::json!({"value": "base", "from": "profile.base"})
    );
    assert_eq!(
        doc["env"]["SHARED"],
        serde_json::json!({"value": "ci", "from": "profile.ci"})
    );
    assert_eq!(doc["env"]["MAILDIR"]["from"], "fixture.mail");
    assert_eq!(
        doc["services"][1]["ready"],
        serde_json::json!({"tcp": {"address": "127.0.0.1:{port}"}})
    );
    assert_eq!(doc["artifacts"][0]["kind"], "trace");

    ws.cmd(&["suite", "show", "suite.api.unit"])
        .stdout(
            "\
id           suite.api.unit
description  API unit tests
defined at   suites.toml:2:12
level        unit
targets      daemon
tags         fast, lab-smoke
paths        crates/api/
command      cargo test -p api   (from runner.cargo)
cwd          .
timeout      600s
runner       runner.cargo program cargo
",
        )
        .run();

    ws.cmd(&["suite", "show", "api.unti"])
        .status(2)
        .stderr("error: no suite `api.unti`\n  hint: did you mean `suite.api.unit`?\n")
        .run();
}
