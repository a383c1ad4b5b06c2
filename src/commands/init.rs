//! `lab init`: a starting registry for the repository in the current
//! directory — suites for the test tools it already has (cargo, npm,
//! pytest, go, make), a default profile, the runners, and schemas/ so
//! editors complete and check the files. Never overwrites a registry.

use camino::Utf8Path;

use crate::cli::SchemaName;
use crate::context::Context;
use crate::error::{Error, exit_code};

/// cargo-nextest, its JUnit in the suite directory through a profile lab
/// writes per suite: the repository's `.config/nextest.toml` stays as it is.
const NEXTEST_RUNNER: &str = "[runner.cargo.nextest]\ndescription = \"cargo-nextest; JUnit in each suite's directory, through lab's own nextest profile\"\nprogram = \"cargo-nextest\"\nversion = \"cargo nextest --version\"\ncommand = \"cargo nextest run --tool-config-file lab:{nextest_config} --profile lab {args}\"\njunit = \"{junit}\"\n";

/// pytest, its JUnit in the suite directory.
const PYTEST_RUNNER: &str = "[runner.pytest]\ndescription = \"pytest; JUnit in each suite's directory\"\nprogram = \"python3\"\nversion = \"python3 -m pytest --version\"\ncommand = \"python3 -m pytest --junitxml={junit} {args}\"\njunit = \"{junit}\"\n";

/// One detected tool: its suite and, when it has one, its runner.
struct Found {
    suite: String,
    runner: Option<String>,
}

fn detect(dir: &Utf8Path) -> Vec<Found> {
    let path = std::env::var("PATH").ok();
    let has = |p: &str| crate::files::find_program(p, path.as_deref()).is_some();
    let mut found = Vec::new();
    if dir.join("Cargo.toml").is_file() {
        // Only paths the repository has: a pattern that matches nothing is
        // a `lab check` warning (a published crate has no Cargo.lock).
        let paths = [
            "src/",
            "tests/",
            "benches/",
            "build.rs",
            "Cargo.toml",
            "Cargo.lock",
        ]
        .iter()
        .filter(|p| dir.join(p.trim_end_matches('/')).exists())
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join(", ");
        if has("cargo-nextest") {
            found.push(Found {
                runner: Some(NEXTEST_RUNNER.into()),
                suite: format!("[suite.rust.tests]\ndescription = \"Rust unit and integration tests\"\nrunners = [\"runner.cargo.nextest\"]\nargs = \"--workspace\"\nlevel = \"integration\"\ntags = [\"ci\"]\npaths = [{paths}]\nprofile = \"profile.default\"\n"),
            });
        } else {
            found.push(Found {
                runner: None,
                suite: format!("[suite.rust.tests]\ndescription = \"Rust unit and integration tests\"\ncommand = \"cargo test --workspace\"\nlevel = \"integration\"\ntags = [\"ci\"]\npaths = [{paths}]\nprofile = \"profile.default\"\nrequires = [\"cmd:cargo\"]\n"),
            });
        }
        found.push(Found {
            runner: None,
            suite: "[suite.rust.fmt]\ndescription = \"code is formatted\"\ncommand = \"cargo fmt --all -- --check\"\nlevel = \"policy\"\ntags = [\"lab-smoke\", \"fast\"]\npaths = [\"src/\", \"tests/\"]\nrequires = [\"cmd:cargo\"]\n".into(),
        });
    }
    if dir.join("package.json").is_file() {
        found.push(Found {
            runner: None,
            suite: "[suite.node.tests]\ndescription = \"npm test\"\ncommand = \"npm test\"\nlevel = \"unit\"\ntags = [\"ci\"]\npaths = [\"src/\", \"package.json\", \"package-lock.json\"]\nprofile = \"profile.default\"\nrequires = [\"cmd:npm\"]\n".into(),
        });
    }
    if ["pyproject.toml", "pytest.ini", "setup.cfg", "tox.ini"]
        .iter()
        .any(|f| dir.join(f).is_file())
    {
        found.push(Found {
            runner: Some(PYTEST_RUNNER.into()),
            suite: "[suite.python.tests]\ndescription = \"pytest\"\nrunners = [\"runner.pytest\"]\nlevel = \"unit\"\ntags = [\"ci\"]\npaths = [\"src/\", \"tests/\", \"pyproject.toml\"]\nprofile = \"profile.default\"\n".into(),
        });
    }
    if dir.join("go.mod").is_file() {
        found.push(Found {
            runner: None,
            suite: "[suite.go.tests]\ndescription = \"go test\"\ncommand = \"go test ./...\"\nlevel = \"unit\"\ntags = [\"ci\"]\npaths = [\"go.mod\", \"go.sum\"]\nprofile = \"profile.default\"\nrequires = [\"cmd:go\"]\n".into(),
        });
    }
    let makefile = std::fs::read_to_string(dir.join("Makefile")).unwrap_or_default();
    if makefile.lines().any(|l| l.starts_with("test:")) {
        found.push(Found {
            runner: None,
            suite: "[suite.make.test]\ndescription = \"make test\"\ncommand = \"make test\"\nlevel = \"unit\"\ntags = [\"ci\"]\nprofile = \"profile.default\"\nrequires = [\"cmd:make\"]\n".into(),
        });
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
    for f in &found {
        suites.push_str(&f.suite);
        suites.push('\n');
    }
    let profile = "#:schema ../schemas/registry.schema.json\n\n[profile.default]\ndescription = \"the caller's environment, with backtraces\"\nenv = { RUST_BACKTRACE = 1 }\n";
    let runners: String = found
        .iter()
        .filter_map(|f| f.runner.clone())
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
        "lab: {} suite{} found; next: `lab check`, then `lab verify --tag lab-smoke`",
        found.len(),
        if found.len() == 1 { "" } else { "s" }
    );
    Ok(exit_code::SUCCESS)
}
