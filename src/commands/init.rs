//! `lab init`: a starting registry that works on the repository in the
//! current directory — per ecosystem found (cargo, pytest, npm, go, make)
//! a cheap `lab-smoke` suite and the test suite, their runners with
//! availability probes and JUnit wired to `{junit}`, a default profile,
//! and schemas/ so editors complete and check the files. Paths come from
//! `init_layout.rs`. Never overwrites a registry.

use camino::Utf8Path;

use super::init_layout;
use crate::cli::SchemaName;
use crate::context::Context;
use crate::error::{Error, exit_code};

/// One detected tool: its suites and the runners they use.
#[derive(Default)]
struct Found {
    suites: Vec<String>,
    runners: Vec<String>,
}

/// A TOML string.
fn q(s: &str) -> String {
    toml::Value::from(s).to_string()
}

/// A TOML array of strings.
fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| q(i)).collect();
    format!("[{}]", quoted.join(", "))
}

/// `[id]` with `fields` (key, TOML value); empty values are left out.
fn table(id: &str, fields: &[(&str, String)]) -> String {
    let mut out = format!("[{id}]\n");
    for (key, value) in fields.iter().filter(|(_, v)| !v.is_empty() && v != "[]") {
        out.push_str(&format!("{key} = {value}\n"));
    }
    out
}

/// A runner: what it runs, how its tool is probed, where its JUnit goes.
struct RunnerDef<'a> {
    id: &'a str,
    description: &'a str,
    program: &'a str,
    version: &'a str,
    /// The probe, when the version command is not one.
    probe: &'a str,
    command: &'a str,
    junit: bool,
    env: &'a str,
}

fn runner(r: &RunnerDef<'_>) -> String {
    table(
        r.id,
        &[
            ("description", q(r.description)),
            ("program", q(r.program)),
            ("version", q(r.version)),
            // The version command fails where the tool cannot run: it is
            // the probe too, unless one is given.
            (
                "probe",
                q(if r.probe.is_empty() {
                    r.version
                } else {
                    r.probe
                }),
            ),
            ("command", q(r.command)),
            ("junit", if r.junit { q("{junit}") } else { String::new() }),
            ("env", r.env.to_string()),
        ],
    )
}

/// A suite of the default profile.
struct SuiteDef<'a> {
    id: &'a str,
    description: &'a str,
    runner: &'a str,
    command: &'a str,
    args: &'a str,
    level: &'a str,
    tags: &'a [&'a str],
    paths: &'a [String],
    requires: &'a [&'a str],
}

fn suite(s: &SuiteDef<'_>) -> String {
    let strings = |v: &[&str]| list(&v.iter().map(|t| t.to_string()).collect::<Vec<_>>());
    let runners = if s.runner.is_empty() {
        Vec::new()
    } else {
        vec![s.runner.to_string()]
    };
    table(
        s.id,
        &[
            ("description", q(s.description)),
            ("runners", list(&runners)),
            (
                "command",
                if s.command.is_empty() {
                    String::new()
                } else {
                    q(s.command)
                },
            ),
            (
                "args",
                if s.args.is_empty() {
                    String::new()
                } else {
                    q(s.args)
                },
            ),
            ("level", q(s.level)),
            ("tags", strings(s.tags)),
            ("paths", list(s.paths)),
            ("profile", q("profile.default")),
            ("requires", strings(s.requires)),
        ],
    )
}

/// The suite that is cheap enough for `--tag lab-smoke`.
const SMOKE: &[&str] = &["lab-smoke", "fast"];

fn rust(paths: &[String], has_nextest: bool) -> Found {
    let mut found = Found::default();
    let tests = if has_nextest {
        found.runners.push(runner(&RunnerDef {
            id: "runner.cargo.nextest",
            description: "cargo-nextest; JUnit in each suite's directory, through lab's own nextest profile",
            program: "cargo-nextest",
            version: "cargo nextest --version",
            command: "cargo nextest run --tool-config-file lab:{nextest_config} --profile lab {args}",
            junit: true,
            env: "",
            probe: "",
        }));
        "runner.cargo.nextest"
    } else {
        found.runners.push(runner(&RunnerDef {
            id: "runner.cargo.test",
            description: "cargo test (install cargo-nextest and run `lab init` again for per-test JUnit)",
            program: "cargo",
            version: "cargo --version",
            command: "cargo test {args}",
            junit: false,
            env: "",
            probe: "",
        }));
        "runner.cargo.test"
    };
    found.suites.push(suite(&SuiteDef {
        id: "suite.rust.fmt",
        description: "code is formatted",
        runner: "",
        command: "cargo fmt --all -- --check",
        args: "",
        level: "policy",
        tags: SMOKE,
        paths,
        requires: &["cmd:cargo"],
    }));
    found.suites.push(suite(&SuiteDef {
        id: "suite.rust.tests",
        description: "Rust unit and integration tests",
        runner: tests,
        command: "",
        args: "--workspace",
        level: "integration",
        tags: &["ci"],
        paths,
        requires: &[],
    }));
    found
}

fn python(paths: &[String]) -> Found {
    let pytest = "runner.pytest";
    Found {
        runners: vec![runner(&RunnerDef {
            id: pytest,
            description: "pytest; JUnit in each suite's directory",
            program: "python3",
            version: "python3 -m pytest --version",
            command: "python3 -m pytest --junitxml={junit} {args}",
            junit: true,
            env: "",
            probe: "",
        })],
        suites: vec![
            suite(&SuiteDef {
                id: "suite.python.smoke",
                description: "pytest collects every test: the package and its tests import",
                runner: pytest,
                command: "",
                args: "--collect-only -q",
                level: "smoke",
                tags: SMOKE,
                paths,
                requires: &[],
            }),
            suite(&SuiteDef {
                id: "suite.python.tests",
                description: "pytest",
                runner: pytest,
                command: "",
                args: "",
                level: "unit",
                tags: &["ci"],
                paths,
                requires: &[],
            }),
        ],
    }
}

fn node(n: &init_layout::Node) -> Found {
    use init_layout::NodeTool;
    let manager_runner = format!("runner.{}", n.manager);
    let (def, smoke_command, tests_args) = match n.tool {
        NodeTool::Vitest => (
            RunnerDef {
                id: "runner.vitest",
                description: "vitest, as installed in node_modules; JUnit in each suite's directory",
                program: "node",
                version: "node_modules/.bin/vitest --version",
                probe: "node_modules/.bin/vitest --version || { echo 'vitest is not installed: run `npm install` first' >&2; exit 1; }",
                command: "node_modules/.bin/vitest run --reporter=default --reporter=junit --outputFile.junit={junit} {args}",
                junit: true,
                env: "",
            },
            "node_modules/.bin/vitest list".to_string(),
            Some(String::new()),
        ),
        NodeTool::JestJunit => (
            RunnerDef {
                id: "runner.jest",
                description: "jest with jest-junit, as installed in node_modules; JUnit in each suite's directory",
                program: "node",
                version: "node_modules/.bin/jest --version",
                probe: "node_modules/.bin/jest --version || { echo 'jest is not installed: run `npm install` first' >&2; exit 1; }",
                command: "node_modules/.bin/jest --ci --reporters=default --reporters=jest-junit {args}",
                junit: true,
                env: "{ JEST_JUNIT_OUTPUT_FILE = \"{junit}\" }",
            },
            "node_modules/.bin/jest --listTests".to_string(),
            Some(String::new()),
        ),
        NodeTool::Script => (
            RunnerDef {
                id: &manager_runner,
                description: "the package's test script (vitest, or jest with jest-junit, would report per test)",
                program: n.manager,
                version: match n.manager {
                    "pnpm" => "pnpm --version",
                    "yarn" => "yarn --version",
                    _ => "npm --version",
                },
                command: match n.manager {
                    "pnpm" => "pnpm test {args}",
                    "yarn" => "yarn test {args}",
                    _ => "npm test {args}",
                },
                junit: false,
                env: "",
                probe: "",
            },
            // Dependencies not installed is a checkout not ready to test:
            // blocked (exit 78), saying what to do, not failed.
            match n.manager {
                "yarn" => "yarn --version".to_string(),
                m => format!(
                    "{m} ls --depth=0 || {{ echo 'dependencies are not installed: run `{m} install` first' >&2; exit 78; }}"
                ),
            },
            n.test_args.clone(),
        ),
    };
    let mut found = Found {
        runners: vec![runner(&def)],
        suites: vec![suite(&SuiteDef {
            id: "suite.node.smoke",
            description: match n.tool {
                NodeTool::Script => "the dependencies package.json declares are installed",
                _ => "the test tool finds the tests",
            },
            runner: def.id,
            command: &smoke_command,
            args: "",
            level: "smoke",
            tags: SMOKE,
            paths: &n.paths,
            requires: &[],
        })],
    };
    if let Some(args) = tests_args {
        found.suites.push(suite(&SuiteDef {
            id: "suite.node.tests",
            description: "the package's tests",
            runner: def.id,
            command: "",
            args: &args,
            level: "unit",
            tags: &["ci"],
            paths: &n.paths,
            requires: &[],
        }));
    }
    found
}

fn go(paths: &[String], has_gotestsum: bool) -> Found {
    let mut found = Found::default();
    found.runners.push(runner(&RunnerDef {
        id: "runner.go",
        description: "go test (install gotestsum and run `lab init` again for per-test JUnit)",
        program: "go",
        version: "go version",
        command: "go test {args}",
        junit: false,
        env: "",
        probe: "",
    }));
    let tests = if has_gotestsum {
        found.runners.push(runner(&RunnerDef {
            id: "runner.gotestsum",
            description: "go test through gotestsum; JUnit in each suite's directory",
            program: "gotestsum",
            version: "gotestsum --version",
            command: "gotestsum --junitfile {junit} -- {args}",
            junit: true,
            env: "",
            probe: "",
        }));
        "runner.gotestsum"
    } else {
        "runner.go"
    };
    found.suites.push(suite(&SuiteDef {
        id: "suite.go.vet",
        description: "go vet: the packages and their tests build and vet cleanly",
        runner: "runner.go",
        command: "go vet ./...",
        args: "",
        level: "smoke",
        tags: SMOKE,
        paths,
        requires: &[],
    }));
    found.suites.push(suite(&SuiteDef {
        id: "suite.go.tests",
        description: "go test",
        runner: tests,
        command: "",
        args: "./...",
        level: "unit",
        tags: &["ci"],
        paths,
        requires: &[],
    }));
    found
}

fn make() -> Found {
    let make = |id, description, command, level, tags| {
        suite(&SuiteDef {
            id,
            description,
            runner: "",
            command,
            args: "",
            level,
            tags,
            paths: &[],
            requires: &["cmd:make"],
        })
    };
    Found {
        runners: Vec::new(),
        suites: vec![
            make(
                "suite.make.smoke",
                "the Makefile's test target resolves (make -n test)",
                "make -n test > /dev/null",
                "smoke",
                SMOKE,
            ),
            make("suite.make.test", "make test", "make test", "unit", &["ci"]),
        ],
    }
}

/// What `dir` holds, by ecosystem, from its own metadata.
fn detect(dir: &Utf8Path) -> Vec<Found> {
    let path = std::env::var("PATH").ok();
    let has = |p: &str| crate::files::find_program(p, path.as_deref()).is_some();
    let tree = init_layout::Tree::read(dir);
    let mut found = Vec::new();
    if let Some(paths) = init_layout::rust(dir, &tree) {
        found.push(rust(&paths, has("cargo-nextest")));
    }
    if let Some(n) = init_layout::node(dir, &tree) {
        found.push(node(&n));
    }
    if let Some(paths) = init_layout::python(dir, &tree) {
        found.push(python(&paths));
    }
    if let Some(paths) = init_layout::go(dir, &tree) {
        found.push(go(&paths, has("gotestsum")));
    }
    let makefile = std::fs::read_to_string(dir.join("Makefile")).unwrap_or_default();
    if makefile.lines().any(|l| l.starts_with("test:")) {
        found.push(make());
    }
    found
}

/// Runs `lab init`.
pub fn run(ctx: &Context) -> Result<u8, Error> {
    let dir = &ctx.cwd;
    if let Some(advice) = crate::registry::stubs::init_advice(dir) {
        eprintln!("{advice}");
        return Ok(crate::error::exit_code::SUCCESS);
    }
    let found = detect(dir);
    let mut suites = String::from(
        "#:schema ./schemas/registry.schema.json\n# Suites that verify this repository. `lab suite list` shows them;\n# `lab verify --tag lab-smoke` is the cheap gate, `lab verify --changed` the\n# one to run before pushing.\n\n[lab]\nbase = \"main\"\n\n",
    );
    if found.is_empty() {
        suites.push_str(
            "[suite.example]\ndescription = \"replace with a real check\"\ncommand = \"echo 'nothing to verify yet'\"\nlevel = \"smoke\"\ntags = [\"lab-smoke\"]\n",
        );
    }
    let count: usize = found.iter().map(|f| f.suites.len()).sum();
    for text in found.iter().flat_map(|f| &f.suites) {
        suites.push_str(text);
        suites.push('\n');
    }
    let profile = "#:schema ../schemas/registry.schema.json\n\n[profile.default]\ndescription = \"the caller's environment, with backtraces\"\nenv = { RUST_BACKTRACE = 1 }\n";
    let runners: String = found
        .iter()
        .flat_map(|f| f.runners.iter().cloned())
        .collect::<Vec<_>>()
        .join("\n");
    let write = |rel: &str, text: &str| -> Result<(), Error> {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io(format!("failed to create `{parent}`"), e))?;
        }
        std::fs::write(&path, text)
            .map_err(|e| Error::io(format!("failed to write `{path}`"), e))?;
        eprintln!("wrote {rel}");
        Ok(())
    };
    write("suites.toml", &suites)?;
    if !dir.join("profiles/default.toml").exists() {
        write("profiles/default.toml", profile)?;
    }
    if !runners.is_empty() && !dir.join("runners/default.toml").exists() {
        write(
            "runners/default.toml",
            &format!("#:schema ../schemas/registry.schema.json\n\n{runners}"),
        )?;
    }
    for name in SchemaName::ALL {
        write(name.file().as_str(), &crate::commands::schema::render(name))?;
    }
    eprintln!(
        "lab: {count} suite{} found; next: `lab check`, then `lab verify --tag lab-smoke`",
        if count == 1 { "" } else { "s" }
    );
    Ok(exit_code::SUCCESS)
}
