//! The JUnit of a real `cargo nextest run` lands in `tests`: a tiny crate
//! with one passing and one failing test is built by the test itself.

use crate::harness::{Workspace, suite};

#[test]
fn nextest_junit_failures_land_in_the_summary() {
    let ws = Workspace::with(&[
        (
            "Cargo.toml",
            "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
        ),
        (
            "src/lib.rs",
            "#[cfg(test)]\nmod tests {\n    #[test]\n    fn adds() { assert_eq!(1 + 1, 2); }\n    #[test]\n    fn breaks() { assert_eq!(1 + 1, 3, \"arithmetic is off\"); }\n}\n",
        ),
        (
            ".config/nextest.toml",
            "[profile.ci]\nfail-fast = false\n\n[profile.ci.junit]\npath = \"junit.xml\"\n",
        ),
        (
            "suites.toml",
            "[suite.unit]\nrunners = [\"nextest\"]\nargs = \"--no-tests=fail\"\n",
        ),
        (
            "runners/nextest.toml",
            "[runner.nextest]\nprogram = \"cargo-nextest\"\nversion = \"cargo nextest --version\"\ncommand = \"cargo nextest run --profile ci {args}\"\njunit = \"target/nextest/ci/*.xml\"\n",
        ),
    ]);
    // Share the toolchain's caches but build into the temp workspace.
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cargo")))
        .expect("CARGO_HOME or HOME");
    let rustup = std::env::var_os("RUSTUP_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".rustup")))
        .expect("RUSTUP_HOME or HOME");
    let summary = ws
        .cmd(&["verify", "unit", "--json"])
        .env("CARGO_HOME", &home)
        .env("CARGO_TERM_COLOR", "never")
        .env("RUSTUP_HOME", rustup)
        .status(1)
        .stderr_contains(
            "  FAIL   suite.unit  [TIME]  exited with 100\n        | FAIL tiny::tests::breaks: ",
        )
        .run_json();
    let unit = suite(&summary, "suite.unit");
    let tests = &unit["tests"];
    assert_eq!(tests["total"], 2, "{unit:#}");
    assert_eq!(tests["passed"], 1);
    assert_eq!(tests["failed"], 1);
    assert_eq!(tests["failures"][0]["name"], "tests::breaks");
    assert_eq!(tests["failures"][0]["classname"], "tiny");
    assert_eq!(unit["step"], "test:tests::breaks");
    assert!(
        unit["excerpt"][0]
            .as_str()
            .expect("excerpt")
            .starts_with("FAIL tiny::tests::breaks"),
        "{unit:#}"
    );
    let manifest = ws.run_json("manifest.json");
    let version = manifest["tools"]["runner.nextest"]["version"]
        .as_str()
        .expect("version");
    assert!(version.starts_with("cargo-nextest "), "{version}");
}
