//! `lab check` against malformed registries: each names the file, line and
//! column, the kind of problem, and what was expected; nothing is run and
//! nothing is written.

use crate::harness::Workspace;

/// A malformed registry and where its one error must be reported.
struct Case {
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    /// The file the error is in.
    file: &'static str,
    /// 1-based line of the error.
    line: u32,
    /// Text the caret starts at (its first occurrence on that line).
    token: &'static str,
    /// The diagnostic code.
    code: &'static str,
    /// A piece of the rendered diagnostic (message, expected or help).
    says: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "toml syntax",
        files: &[(
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\ntags = [\"a\" \"b\"]\n",
        )],
        file: "suites.toml",
        line: 3,
        token: "\"b\"",
        code: "toml-syntax",
        says: "invalid TOML: missing comma between array elements",
    },
    Case {
        name: "toml duplicate table",
        files: &[(
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\n\n[suite.a]\ncommand = \"false\"\n",
        )],
        file: "suites.toml",
        line: 4,
        token: "a]",
        code: "toml-syntax",
        says: "duplicate",
    },
    Case {
        name: "unknown key with did-you-mean",
        files: &[("suites.toml", "[suite.a]\ncomand = \"true\"\n")],
        file: "suites.toml",
        line: 2,
        token: "comand",
        code: "unknown-key",
        says: "did you mean `command`?",
    },
    Case {
        name: "tags given as a string",
        files: &[(
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\ntags = \"fast\"\n",
        )],
        file: "suites.toml",
        line: 3,
        token: "\"fast\"",
        code: "wrong-type",
        says: "expected: an array of strings: `tags = [\"fast\"]`",
    },
    Case {
        name: "retries given as a string",
        files: &[(
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\nretries = \"3\"\n",
        )],
        file: "suites.toml",
        line: 3,
        token: "\"3\"",
        code: "wrong-type",
        says: "found: the string \"3\"",
    },
    Case {
        name: "id segment with whitespace",
        files: &[("suites.toml", "[suite.\"a b\"]\ncommand = \"true\"\n")],
        file: "suites.toml",
        line: 1,
        token: "\"a b\"",
        code: "invalid-id",
        says: "whitespace",
    },
    Case {
        name: "id segment with shell syntax",
        files: &[(
            "suites.toml",
            "[suite.\"x;touch${IFS}PWNED;y\"]\ncommand = \"ls {suite_dir}\"\n",
        )],
        file: "suites.toml",
        line: 1,
        token: "\"x;touch",
        code: "invalid-id",
        says: "an id segment contains `;`",
    },
    Case {
        name: "args that are shell syntax, not words",
        files: &[(
            "suites.toml",
            "[suite.a]\ncommand = \"echo {args}\"\nargs = \"-p x; touch PWNED\"\n",
        )],
        file: "suites.toml",
        line: 3,
        token: "\"-p x",
        code: "invalid-value",
        says: "`;` outside quotes",
    },
    Case {
        name: "launch target that is a path",
        files: &[(
            "suites.toml",
            "[runner.app]\nlaunch = \"true\"\ntargets = [\"web\", \"../../x\"]\n",
        )],
        file: "suites.toml",
        line: 3,
        token: "\"../../x\"",
        code: "invalid-value",
        says: "invalid launch target",
    },
    Case {
        name: "id segment with a slash",
        files: &[(
            "suites.toml",
            "[suite.api.\"v1/health\"]\ncommand = \"true\"\n",
        )],
        file: "suites.toml",
        line: 1,
        token: "\"v1/health\"",
        code: "invalid-id",
        says: "contains `/`",
    },
    Case {
        name: "duplicate id across files",
        files: &[
            ("suites.toml", "[suite.a]\ncommand = \"true\"\n"),
            (
                "profiles/extra.toml",
                "[profile.p]\nenv = {}\n\n[suite.a]\ncommand = \"false\"\n",
            ),
        ],
        file: "profiles/extra.toml",
        line: 4,
        token: "a]",
        code: "duplicate-id",
        says: "first defined at suites.toml:1:8",
    },
    Case {
        name: "undefined profile",
        files: &[
            (
                "suites.toml",
                "[suite.a]\ncommand = \"true\"\nprofile = \"profile.dve\"\n",
            ),
            ("profiles/dev.toml", "[profile.dev]\nenv_clear = false\n"),
        ],
        file: "suites.toml",
        line: 3,
        token: "\"profile.dve\"",
        code: "undefined-reference",
        says: "did you mean `profile.dev`?",
    },
    Case {
        name: "undefined fixture",
        files: &[(
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\nfixtures = [\"mail\"]\n",
        )],
        file: "suites.toml",
        line: 3,
        token: "\"mail\"",
        code: "undefined-reference",
        says: "define `[fixture.mail]`",
    },
    Case {
        name: "undefined runner",
        files: &[
            ("suites.toml", "[suite.a]\nrunners = [\"runner.nextset\"]\n"),
            (
                "runners/r.toml",
                "[runner.nextest]\nprogram = \"cargo-nextest\"\ncommand = \"cargo nextest run\"\n",
            ),
        ],
        file: "suites.toml",
        line: 2,
        token: "\"runner.nextset\"",
        code: "undefined-reference",
        says: "did you mean `runner.nextest`?",
    },
    Case {
        name: "undefined service",
        files: &[(
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\nservices = [\"db\"]\n",
        )],
        file: "suites.toml",
        line: 3,
        token: "\"db\"",
        code: "undefined-reference",
        says: "`services` of `suite.a` names `db`, which is not defined",
    },
    Case {
        name: "undefined artifact",
        files: &[(
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\nartifacts = [\"artifact.report\"]\n",
        )],
        file: "suites.toml",
        line: 3,
        token: "\"artifact.report\"",
        code: "undefined-reference",
        says: "expected: the id of a defined artifact",
    },
    Case {
        name: "undefined need",
        files: &[(
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\nneeds = [\"suite.bulid\"]\n\n[suite.build]\ncommand = \"true\"\n",
        )],
        file: "suites.toml",
        line: 3,
        token: "\"suite.bulid\"",
        code: "undefined-reference",
        says: "did you mean `suite.build`?",
    },
    Case {
        name: "needs cycle",
        files: &[(
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\nneeds = [\"b\"]\n\n[suite.b]\ncommand = \"true\"\nneeds = [\"c\"]\n\n[suite.c]\ncommand = \"true\"\nneeds = [\"a\"]\n",
        )],
        file: "suites.toml",
        line: 11,
        token: "\"a\"",
        code: "needs-cycle",
        says: "suite.a → suite.b → suite.c → suite.a",
    },
    Case {
        name: "suite needs itself",
        files: &[(
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\nneeds = [\"suite.a\"]\n",
        )],
        file: "suites.toml",
        line: 3,
        token: "\"suite.a\"",
        code: "needs-cycle",
        says: "`suite.a` needs itself",
    },
    Case {
        name: "extends cycle",
        files: &[
            (
                "profiles/p.toml",
                "[profile.a]\nextends = \"b\"\n\n[profile.b]\nextends = \"profile.a\"\n",
            ),
            ("suites.toml", ""),
        ],
        file: "profiles/p.toml",
        line: 5,
        token: "\"profile.a\"",
        code: "extends-cycle",
        says: "profile.a → profile.b → profile.a",
    },
    Case {
        name: "invalid glob",
        files: &[(
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\npaths = [\"src/\", \"src/[ab\"]\n",
        )],
        file: "suites.toml",
        line: 3,
        token: "\"src/[ab\"",
        code: "invalid-path-pattern",
        says: "a valid glob",
    },
    Case {
        name: "path pattern escaping the workspace",
        files: &[(
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\npaths = [\"../other/\"]\n",
        )],
        file: "suites.toml",
        line: 3,
        token: "\"../other/\"",
        code: "invalid-path-pattern",
        says: "no `..`",
    },
    Case {
        name: "bad duration",
        files: &[(
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\ntimeout = \"5 minutes\"\n",
        )],
        file: "suites.toml",
        line: 3,
        token: "\"5 minutes\"",
        code: "invalid-duration",
        says: "\"1h30m\"",
    },
    Case {
        name: "zero timeout",
        files: &[(
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\ntimeout_seconds = 0\n",
        )],
        file: "suites.toml",
        line: 3,
        token: "0",
        code: "invalid-duration",
        says: "longer than zero",
    },
    Case {
        name: "bad size",
        files: &[("suites.toml", "[lab]\nmax_log_bytes = \"64 parsecs\"\n")],
        file: "suites.toml",
        line: 2,
        token: "\"64 parsecs\"",
        code: "invalid-size",
        says: "unknown unit `parsecs`",
    },
    Case {
        name: "no command and no runner",
        files: &[(
            "suites.toml",
            "\n[suite.a]\ndescription = \"does nothing\"\n",
        )],
        file: "suites.toml",
        line: 2,
        token: "a]",
        code: "missing-command",
        says: "a runner in `runners` with a `command` template",
    },
    Case {
        name: "definition holding a definition",
        files: &[(
            "suites.toml",
            "[suite.api]\ncommand = \"true\"\n\n[suite.api.health]\ncommand = \"true\"\n",
        )],
        file: "suites.toml",
        line: 4,
        token: "health]",
        code: "nested-definition",
        says: "`suite.api` is a definition, so `suite.api.health` cannot be a definition too",
    },
    Case {
        name: "unknown top-level table",
        files: &[("suites.toml", "[suites.a]\ncommand = \"true\"\n")],
        file: "suites.toml",
        line: 1,
        token: "suites",
        code: "unknown-kind",
        says: "did you mean `suite`?",
    },
    Case {
        name: "unknown risk",
        files: &[(
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\nrisk = \"extreme\"\n",
        )],
        file: "suites.toml",
        line: 3,
        token: "\"extreme\"",
        code: "invalid-value",
        says: "one of `low`, `medium` or `high`",
    },
    Case {
        name: "unknown platform",
        files: &[(
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\nplatforms = [\"linux\", \"macso\"]\n",
        )],
        file: "suites.toml",
        line: 3,
        token: "\"macso\"",
        code: "invalid-value",
        says: "did you mean `macos`?",
    },
    Case {
        name: "unknown requirement",
        files: &[(
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\nrequires = [\"cmd:jj\", \"gpu\"]\n",
        )],
        file: "suites.toml",
        line: 3,
        token: "\"gpu\"",
        code: "invalid-requirement",
        says: "`cmd:<program>`",
    },
    Case {
        name: "[lab] in an included file",
        files: &[
            ("suites.toml", ""),
            (
                "runners/r.toml",
                "[runner.x]\nprogram = \"x\"\n\n[lab]\njobs = 2\n",
            ),
        ],
        file: "runners/r.toml",
        line: 4,
        token: "lab",
        code: "misplaced-lab",
        says: "belong in the root registry file",
    },
    Case {
        name: "invalid variable name",
        files: &[(
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\nenv = { \"A-B\" = \"1\" }\n",
        )],
        file: "suites.toml",
        line: 3,
        token: "\"A-B\"",
        code: "invalid-env-name",
        says: "not starting with a digit",
    },
    Case {
        name: "service without command",
        files: &[("suites.toml", "[service.db]\nport = true\n")],
        file: "suites.toml",
        line: 1,
        token: "db]",
        code: "missing-key",
        says: "`service.db` has no `command`",
    },
    Case {
        name: "probe naming two kinds",
        files: &[(
            "suites.toml",
            "[service.db]\ncommand = \"db\"\nready = { tcp = \"127.0.0.1:{port}\", log = \"ready\" }\n",
        )],
        file: "suites.toml",
        line: 3,
        token: "{ tcp",
        code: "invalid-probe",
        says: "exactly one probe",
    },
    Case {
        name: "log probe with a broken regex",
        files: &[(
            "suites.toml",
            "[service.db]\ncommand = \"db\"\nready = { log = \"listening (on\" }\n",
        )],
        file: "suites.toml",
        line: 3,
        token: "\"listening (on\"",
        code: "invalid-regex",
        says: "not a valid regex",
    },
    Case {
        name: "fixture copy into an unknown root",
        files: &[
            (
                "fixtures/f.toml",
                "[fixture.mail]\ncopy = [{ from = \"fixtures/mail\", to = \"home/mail\" }]\n",
            ),
            ("suites.toml", ""),
        ],
        file: "fixtures/f.toml",
        line: 2,
        token: "\"home/mail\"",
        code: "invalid-path",
        says: "`config`, `data` or `secrets`",
    },
    Case {
        name: "typo in [lab]",
        files: &[("suites.toml", "[lab]\njob = 2\n")],
        file: "suites.toml",
        line: 2,
        token: "job",
        code: "unknown-key",
        says: "did you mean `jobs`?",
    },
    Case {
        name: "timeout and timeout_seconds together",
        files: &[(
            "suites.toml",
            "[suite.a]\ncommand = \"true\"\ntimeout = \"5m\"\ntimeout_seconds = 300\n",
        )],
        file: "suites.toml",
        line: 4,
        token: "300",
        code: "conflicting-keys",
        says: "both `timeout` and `timeout_seconds`",
    },
    Case {
        name: "fields without an id",
        files: &[("suites.toml", "[suite]\ncommand = \"true\"\n")],
        file: "suites.toml",
        line: 1,
        token: "suite",
        code: "invalid-id",
        says: "has no id",
    },
    Case {
        name: "lower-case env_prefix",
        files: &[("suites.toml", "[lab]\nenv_prefix = \"lab\"\n")],
        file: "suites.toml",
        line: 2,
        token: "\"lab\"",
        code: "invalid-value",
        says: "upper-case letters",
    },
    Case {
        name: "two runners supplying a command",
        files: &[
            ("suites.toml", "[suite.a]\nrunners = [\"x\", \"y\"]\n"),
            (
                "runners/r.toml",
                "[runner.x]\ncommand = \"x\"\n\n[runner.y]\ncommand = \"y\"\n",
            ),
        ],
        file: "suites.toml",
        line: 1,
        token: "a]",
        code: "ambiguous-command",
        says: "runner.x, runner.y",
    },
    Case {
        name: "http probe status out of range",
        files: &[(
            "suites.toml",
            "[service.web]\ncommand = \"web\"\nready = { http = \"http://127.0.0.1:{port}/\", status = 999 }\n",
        )],
        file: "suites.toml",
        line: 3,
        token: "999",
        code: "wrong-type",
        says: "an integer from 100 to 599",
    },
    Case {
        name: "two suites reading one JUnit path",
        files: &[(
            "suites.toml",
            "[runner.t]\ncommand = \"pytest --junitxml=out/junit.xml {args}\"\njunit = \"out/junit.xml\"\n\n[suite.a]\nrunners = [\"t\"]\nargs = \"a\"\n\n[suite.b]\nrunners = [\"t\"]\nargs = \"b\"\n",
        )],
        file: "suites.toml",
        line: 9,
        token: "b]",
        code: "shared-report",
        says: "`suite.b` and `suite.a` both read JUnit from `out/junit.xml`",
    },
    Case {
        name: "cached suite without inputs",
        files: &[
            (
                "suites.toml",
                "[suite.a]\ncommand = \"true\"\ncache = true\n\n[suite.b]\ncommand = \"true\"\nprofile = \"p\"\ninputs = [\"src/\"]\n",
            ),
            ("profiles/p.toml", "[profile.p]\ncache = true\n"),
        ],
        file: "suites.toml",
        line: 1,
        token: "a]",
        code: "cache-without-inputs",
        says: "`inputs = [\"src/\", …]`",
    },
];

/// Every error code lab reports at a file:line:col, each of which needs a
/// case above. (`missing-include` and `unreadable-file` name a file only.)
const PLACED_ERROR_CODES: &[&str] = &[
    "ambiguous-command",
    "cache-without-inputs",
    "conflicting-keys",
    "duplicate-id",
    "extends-cycle",
    "invalid-duration",
    "invalid-env-name",
    "invalid-id",
    "invalid-path",
    "invalid-path-pattern",
    "invalid-probe",
    "invalid-regex",
    "invalid-requirement",
    "invalid-size",
    "invalid-value",
    "misplaced-lab",
    "missing-command",
    "missing-key",
    "needs-cycle",
    "nested-definition",
    "shared-report",
    "toml-syntax",
    "undefined-reference",
    "unknown-key",
    "unknown-kind",
    "wrong-type",
];

/// The 1-based column of `token` on `line` of `text`.
fn column_of(text: &str, line: u32, token: &str) -> u32 {
    let l = text.lines().nth(line as usize - 1).expect("line exists");
    let byte = l
        .find(token)
        .unwrap_or_else(|| panic!("`{token}` not on line {line}: {l}"));
    l[..byte].chars().count() as u32 + 1
}

#[test]
fn malformed_registries_name_file_line_column_and_kind() {
    let mut failures = Vec::new();
    for case in CASES {
        let ws = Workspace::with(case.files);
        let text = case
            .files
            .iter()
            .find(|(p, _)| *p == case.file)
            .map(|(_, t)| *t)
            .expect("case file exists");
        let place = format!(
            "{}:{}:{}",
            case.file,
            case.line,
            column_of(text, case.line, case.token)
        );
        let human = ws.lab(&["check"]);
        let json = ws.lab(&["check", "--json"]);
        let list = ws.lab(&["suite", "list"]);
        let mut problems = Vec::new();
        if human.code != 2 {
            problems.push(format!("check exited {}", human.code));
        }
        if !human.stderr.contains(&format!("error[{}]", case.code)) {
            problems.push(format!("no error[{}]", case.code));
        }
        if !human.stderr.contains(&format!("--> {place}\n")) {
            problems.push(format!("not placed at {place}"));
        }
        if !human.stderr.contains(case.says) {
            problems.push(format!("does not say {:?}", case.says));
        }
        if human.stderr.contains("panicked") {
            problems.push("panicked".into());
        }
        let doc = json.json();
        let placed = doc["diagnostics"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|d| {
                d["code"] == case.code
                    && d["severity"] == "error"
                    && format!(
                        "{}:{}:{}",
                        d["file"].as_str().unwrap_or(""),
                        d["line"],
                        d["column"]
                    ) == place
            });
        if json.code != 2 || !placed || doc["ok"] != false {
            problems.push(format!(
                "--json exited {} without the diagnostic at {place}",
                json.code
            ));
        }
        if list.code != 2 || !list.stderr.contains("nothing was run") {
            problems.push(format!("suite list exited {}: {}", list.code, list.stderr));
        }
        if ws.tree().iter().any(|p| p.starts_with("target")) {
            problems.push("wrote under target/".into());
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n{}",
                case.name,
                problems.join("; "),
                human.stderr
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_placed_error_code_has_a_case() {
    let covered: std::collections::BTreeSet<&str> = CASES.iter().map(|c| c.code).collect();
    let codes: std::collections::BTreeSet<&str> = PLACED_ERROR_CODES.iter().copied().collect();
    assert_eq!(covered, codes);
    let mut names: Vec<&str> = CASES.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), CASES.len(), "case names are unique");
}

#[test]
fn every_problem_is_reported_in_one_pass() {
    let ws = Workspace::with(&[
        (
            "suites.toml",
            "[suite.a]\ncomand = \"true\"\n\n[suite.b]\ncommand = \"true\"\nprofile = \"nope\"\ntimeout = \"soon\"\n",
        ),
        ("profiles/p.toml", "[profile.p]\nnetwork = \"offline\"\n"),
    ]);
    let doc = ws
        .cmd(&["check", "--json"])
        .status(2)
        .stdout_schema("check")
        .run_json();
    let mut found: Vec<String> = doc["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            format!(
                "{} {}:{}",
                d["code"].as_str().unwrap_or(""),
                d["file"].as_str().unwrap_or(""),
                d["line"]
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            "invalid-duration suites.toml:7",
            "invalid-value profiles/p.toml:2",
            "missing-command suites.toml:1",
            "undefined-reference suites.toml:6",
            "unknown-key suites.toml:2",
        ]
    );
    assert_eq!(doc["errors"], 5);
}

#[test]
fn a_valid_registry_passes_with_warnings_for_dead_patterns() {
    let ws = Workspace::with(&[
        (
            "suites.toml",
            "[lab]\nglobal_paths = [\"rust-toolchain.toml\"]\n\n[escalate.cargo]\nwhen = [\".cargo/**\"]\nselect = { all = true }\n\n[suite.a]\ncommand = \"true\"\npaths = [\"src/\", \"docs/**/*.md\", \"README.md\", \"gone/\"]\n",
        ),
        ("src/lib.rs", ""),
        ("docs/guide/intro.md", ""),
        ("README.md", ""),
        (".gitignore", "ignored/\n"),
        ("ignored/x.rs", ""),
    ]);
    let text = std::fs::read_to_string(ws.path().join("suites.toml")).expect("read");
    // Patterns written for files yet to come (global paths, escalation
    // rules) are not warned about.
    let place = format!("--> suites.toml:10:{}", column_of(&text, 10, "\"gone/\""));
    let out = ws
        .cmd(&["check"])
        .stderr_contains(
            "warning[unmatched-path]: path pattern `gone/` of `suite.a` matches no file",
        )
        .stderr_contains(&place)
        .stderr_contains("0 errors, 1 warning")
        .run();
    assert_eq!(out.stderr.matches("warning[").count(), 1, "{}", out.stderr);

    // A pattern that only matches ignored files is dead too.
    ws.write(
        "suites.toml",
        "[suite.a]\ncommand = \"true\"\npaths = [\"ignored/\"]\n",
    );
    let doc = ws
        .cmd(&["check", "--json"])
        .stdout_schema("check")
        .run_json();
    assert_eq!(doc["warnings"], 1);
    assert_eq!(doc["diagnostics"][0]["code"], "unmatched-path");
}

#[test]
fn includes_follow_lab_include_and_any_kind_may_live_anywhere() {
    let ws = Workspace::with(&[
        (
            "suites.toml",
            "[lab]\ninclude = [\"lab/**/*.toml\"]\n\n[suite.a]\nprofile = \"dev\"\nrunners = [\"sh\"]\n",
        ),
        (
            "lab/deep/p.toml",
            "[profile.dev]\nenv = { A = \"1\" }\n\n[runner.sh]\ncommand = \"echo {args}\"\n",
        ),
        // Not included any more: [lab].include replaced the defaults.
        ("profiles/ignored.toml", "this is not toml"),
    ]);
    let doc = ws
        .cmd(&["check", "--json"])
        .stdout_schema("check")
        .run_json();
    assert_eq!(
        doc["files"],
        serde_json::json!(["suites.toml", "lab/deep/p.toml"])
    );
}

#[test]
fn ids_with_control_characters_or_overlong_segments_are_refused() {
    let long = "x".repeat(101);
    let ws = Workspace::with(&[(
        "suites.toml",
        &format!(
            "[suite.\"bell\\u0007title\"]\ncommand = \"true\"\n\n[suite.\"esc\\u001b[2J\"]\ncommand = \"true\"\n\n[suite.{long}]\ncommand = \"true\"\n\n[suite.ok]\ncommand = \"true\"\n"
        ),
    )]);
    let doc = ws
        .cmd(&["check", "--json"])
        .status(2)
        .stdout_json()
        .run_json();
    let problems: Vec<(String, u64, String)> = doc["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["line"].as_u64().unwrap_or_default(),
                d["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        problems,
        [
            (
                "invalid-id".to_string(),
                1,
                "invalid id: an id segment contains a control character".to_string()
            ),
            (
                "invalid-id".to_string(),
                4,
                "invalid id: an id segment contains a control character".to_string()
            ),
            (
                "invalid-id".to_string(),
                7,
                "invalid id: an id segment is longer than 100 bytes".to_string()
            ),
        ]
    );
}
