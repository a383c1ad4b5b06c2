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

#[test]
fn a_report_left_by_an_earlier_run_never_describes_this_one() {
    // The second run stops before its tests (as a compile error would):
    // the first run's report is still there and must not be read.
    let ws = crate::harness::Workspace::with(&[
        (
            "suites.toml",
            "[runner.t]\njunit = \"report.xml\"\n\n[suite.a]\ncommand = \"if [ -f write ]; then cp good.xml report.xml; else exit 101; fi\"\nrunners = [\"t\"]\n",
        ),
        (
            "good.xml",
            "<testsuites><testsuite name=\"s\" tests=\"1\"><testcase name=\"ok\" classname=\"c\"/></testsuite></testsuites>",
        ),
        ("write", ""),
    ]);
    ws.cmd(&["verify", "a"]).stderr_any().run();
    let first = ws.run_json("summary.json");
    assert_eq!(
        crate::harness::suite(&first, "suite.a")["tests"]["total"],
        1
    );
    std::fs::remove_file(ws.path().join("write")).expect("stop writing");
    std::thread::sleep(std::time::Duration::from_millis(50));
    ws.cmd(&["verify", "a"]).status(1).stderr_any().run();
    let second = ws.run_json("summary.json");
    let a = crate::harness::suite(&second, "suite.a");
    assert_eq!(a["status"], "failed");
    assert_eq!(a["tests"], serde_json::Value::Null, "{second:#}");
}
