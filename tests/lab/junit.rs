//! Test reports as evidence of this run (issue 16): real `cargo nextest
//! run`s of tiny crates built by the tests themselves, a real pytest run,
//! and a report holding a secret in every string it has.
//!
//! What each test stages: a stale report never counts and the compiler's
//! error is the excerpt; a failing assertion's left/right reach
//! `failures[].message` and the excerpt; the kept copy of a report
//! survives the next run; parallel suites of one crate each read their own
//! report (`{nextest_config}`); `lab init`'s runners write through
//! `{junit}`; a secret never reaches a file of the run or a report format.

use std::path::Path;

use crate::cmd::Cmd;
use crate::harness::{Workspace, suite};

/// A crate named `tiny` (its own workspace) with `lib` as src/lib.rs.
fn tiny_crate(lib: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "Cargo.toml",
            "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n"
                .to_string(),
        ),
        ("src/lib.rs", lib.to_string()),
    ]
}

/// Tests named `name` that pass (`assert_eq!(1 + 1, 2)`), one per name.
fn passing_tests(names: &[&str]) -> String {
    let tests: String = names
        .iter()
        .map(|n| format!("    #[test]\n    fn {n}() {{ assert_eq!(1 + 1, 2); }}\n"))
        .collect();
    format!("#[cfg(test)]\nmod tests {{\n{tests}}}\n")
}

/// A workspace of `files` plus the owned ones.
fn workspace(files: &[(&str, &str)], owned: &[(&'static str, String)]) -> Workspace {
    let ws = Workspace::with(files);
    for (path, text) in owned {
        ws.write(path, text);
    }
    ws
}

/// `cmd` with the toolchain's caches shared (the build itself goes into the
/// temp workspace) and no colour codes in cargo's output.
fn with_toolchain(cmd: Cmd) -> Cmd {
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".cargo")))
        .expect("CARGO_HOME or HOME");
    let rustup_home = std::env::var_os("RUSTUP_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".rustup")))
        .expect("RUSTUP_HOME or HOME");
    cmd.env("CARGO_HOME", cargo_home)
        .env("RUSTUP_HOME", rustup_home)
        .env("CARGO_TERM_COLOR", "never")
}

/// A runner whose JUnit goes into each suite's own directory, through the
/// nextest profile lab writes per suite.
const NEXTEST_RUNNER: &str = "[runner.nextest]\nprogram = \"cargo-nextest\"\ncommand = \"cargo nextest run --tool-config-file lab:{nextest_config} --profile lab {args}\"\njunit = \"{junit}\"\n";

/// The test case names a JUnit file holds, read with junit-parser (a
/// parser lab does not use itself).
fn case_names(path: &Path) -> Vec<String> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let doc = junit_parser::from_reader(std::io::Cursor::new(text.as_bytes()))
        .unwrap_or_else(|e| panic!("{} is not JUnit ({e}):\n{text}", path.display()));
    let mut names: Vec<String> = doc
        .suites
        .iter()
        .flat_map(|s| &s.cases)
        .map(|c| c.original_name.clone())
        .collect();
    names.sort();
    names
}

fn excerpt(unit: &serde_json::Value) -> Vec<String> {
    unit["excerpt"]
        .as_array()
        .expect("excerpt")
        .iter()
        .map(|l| l.as_str().expect("line").to_string())
        .collect()
}

#[test]
#[ignore = "needs cargo-nextest on PATH; .ci/run installs it and runs ignored tests"]
fn nextest_junit_failures_land_in_the_summary() {
    let lib = "#[cfg(test)]\nmod tests {\n    #[test]\n    fn adds() { assert_eq!(1 + 1, 2); }\n    #[test]\n    fn breaks() { assert_eq!(1 + 1, 3, \"arithmetic is off\"); }\n}\n";
    let ws = workspace(
        &[
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
        ],
        &tiny_crate(lib),
    );
    let summary = with_toolchain(ws.cmd(&["verify", "unit", "--json"]))
        // A backtrace under the panic is cut from the decisive lines.
        .env("RUST_BACKTRACE", "1")
        .status(1)
        .stderr_contains(
            "  FAIL   suite.unit  [TIME]  exited with 100\n        | FAIL tiny::tests::breaks: panicked at src/lib.rs:6:19:\n        |   assertion `left == right` failed: arithmetic is off\n        |     left: 2\n        |    right: 3\n",
        )
        .run_json();
    let unit = suite(&summary, "suite.unit");
    let tests = &unit["tests"];
    assert_eq!(tests["total"], 2, "{unit:#}");
    assert_eq!(tests["passed"], 1);
    assert_eq!(tests["failed"], 1);
    assert_eq!(tests["failures"][0]["name"], "tests::breaks");
    assert_eq!(tests["failures"][0]["classname"], "tiny");
    assert_eq!(
        tests["failures"][0]["message"],
        "panicked at src/lib.rs:6:19:\nassertion `left == right` failed: arithmetic is off\n  left: 2\n right: 3",
        "{unit:#}"
    );
    assert_eq!(unit["step"], "test:tests::breaks");
    assert_eq!(
        excerpt(unit)[..4],
        [
            "FAIL tiny::tests::breaks: panicked at src/lib.rs:6:19:",
            "  assertion `left == right` failed: arithmetic is off",
            "    left: 2",
            "   right: 3"
        ],
        "{unit:#}"
    );
    assert_eq!(tests["reports"][0], "suites/suite.unit/junit.xml");
    let manifest = ws.run_json("manifest.json");
    let version = manifest["tools"]["runner.nextest"]["version"]
        .as_str()
        .expect("version");
    assert!(version.starts_with("cargo-nextest "), "{version}");
}

#[test]
#[ignore = "needs cargo-nextest on PATH; .ci/run installs it and runs ignored tests"]
fn a_compile_error_after_a_passing_run_reports_no_tests_and_the_compiler_error() {
    // The issue's case: the repository's own nextest profile writes JUnit
    // to target/nextest/ci/junit.xml, which the passing run leaves there.
    let ws = workspace(
        &[
            (
                ".config/nextest.toml",
                "[profile.ci]\nfail-fast = false\n\n[profile.ci.junit]\npath = \"junit.xml\"\n",
            ),
            (
                "suites.toml",
                "[runner.nextest]\nprogram = \"cargo-nextest\"\ncommand = \"cargo nextest run --profile ci\"\njunit = \"target/nextest/ci/junit.xml\"\n\n[suite.unit]\nrunners = [\"nextest\"]\n",
            ),
        ],
        &tiny_crate(&passing_tests(&["adds", "also_adds"])),
    );
    let first = with_toolchain(ws.cmd(&["verify", "unit", "--json"]))
        .stderr_any()
        .run_json();
    let unit = suite(&first, "suite.unit");
    assert_eq!(unit["tests"]["total"], 2, "{unit:#}");
    assert_eq!(unit["tests"]["reports"][0], "suites/suite.unit/junit.xml");
    let first_run = ws.latest_run();
    let kept = first_run.join("suites/suite.unit/junit.xml");
    assert_eq!(case_names(&kept), ["tests::adds", "tests::also_adds"]);
    let kept_text = std::fs::read_to_string(&kept).expect("kept report");

    // File times are coarse: let the next suite start clearly later.
    std::thread::sleep(std::time::Duration::from_millis(50));
    ws.write(
        "src/lib.rs",
        "#[cfg(test)]\nmod tests {\n    #[test]\n    fn adds() { assert_eq!(1 + 1, undefined_value); }\n}\n",
    );
    let second = with_toolchain(ws.cmd(&["verify", "unit", "--json"]))
        .status(1)
        .stderr_contains(
            "        | error[E0425]: cannot find value `undefined_value` in this scope\n",
        )
        .run_json();
    let unit = suite(&second, "suite.unit");
    assert_eq!(unit["status"], "failed");
    assert_eq!(unit["tests"], serde_json::Value::Null, "{unit:#}");
    assert_eq!(
        unit["tests_missing"],
        "no JUnit written to `target/nextest/ci/junit.xml`: the command stopped before its tests reported (the report there is older than this suite and was not read)"
    );
    assert_eq!(unit["step"], "command");
    let lines = excerpt(unit);
    assert_eq!(
        lines[0], "error[E0425]: cannot find value `undefined_value` in this scope",
        "{unit:#}"
    );
    assert_eq!(lines[1], " --> src/lib.rs:4:35", "{unit:#}");
    assert!(!lines.iter().any(|l| l.starts_with("FAIL")), "{unit:#}");
    assert!(
        !ws.latest_run().join("suites/suite.unit/junit.xml").exists(),
        "nothing was copied for the failed build"
    );
    // The passing run's evidence is still its own.
    assert_eq!(
        std::fs::read_to_string(&kept).expect("kept report survives"),
        kept_text
    );
}

#[test]
#[ignore = "needs cargo-nextest on PATH; .ci/run installs it and runs ignored tests"]
fn parallel_suites_of_one_crate_each_read_their_own_report() {
    let lib = "#[cfg(test)]\nmod tests {\n    #[test]\n    fn alpha_one() {}\n    #[test]\n    fn alpha_two() {}\n    #[test]\n    fn beta_one() { assert_eq!(2, 3); }\n}\n";
    let registry = format!(
        "{NEXTEST_RUNNER}\n[suite.unit.alpha]\nrunners = [\"nextest\"]\nargs = \"alpha\"\n\n[suite.unit.beta]\nrunners = [\"nextest\"]\nargs = \"beta\"\n"
    );
    let ws = workspace(&[("suites.toml", &registry)], &tiny_crate(lib));
    let summary = with_toolchain(ws.cmd(&["verify", "--all", "--jobs", "2", "--json"]))
        .status(1)
        .stderr_any()
        .run_json();
    let alpha = suite(&summary, "suite.unit.alpha");
    assert_eq!(alpha["status"], "passed", "{alpha:#}");
    assert_eq!(alpha["tests"]["total"], 2, "{alpha:#}");
    assert_eq!(
        alpha["tests"]["reports"],
        serde_json::json!(["suites/suite.unit.alpha/junit.xml"])
    );
    let beta = suite(&summary, "suite.unit.beta");
    assert_eq!(beta["status"], "failed", "{beta:#}");
    assert_eq!(beta["tests"]["total"], 1, "{beta:#}");
    assert_eq!(beta["tests"]["failures"][0]["name"], "tests::beta_one");
    let message = beta["tests"]["failures"][0]["message"]
        .as_str()
        .expect("message");
    assert!(message.contains("\n  left: 2\n right: 3"), "{message}");
    let run = ws.latest_run();
    // They ran at once: both started before either finished.
    let events = std::fs::read_to_string(run.join("lab.log.jsonl")).expect("events");
    let kinds: Vec<&str> = events
        .lines()
        .filter_map(|l| {
            ["\"suite_started\"", "\"suite_finished\""]
                .into_iter()
                .find(|k| l.contains(k))
        })
        .collect();
    assert_eq!(
        kinds[..2],
        ["\"suite_started\"", "\"suite_started\""],
        "{events}"
    );
    assert_eq!(
        case_names(&run.join("suites/suite.unit.alpha/junit.xml")),
        ["tests::alpha_one", "tests::alpha_two"]
    );
    assert_eq!(
        case_names(&run.join("suites/suite.unit.beta/junit.xml")),
        ["tests::beta_one"]
    );
    // The repository's nextest config was neither needed nor written.
    assert!(!ws.path().join(".config").exists());
}

#[test]
#[ignore = "needs cargo-nextest on PATH; .ci/run installs it and runs ignored tests"]
fn init_writes_a_nextest_runner_that_reports_into_the_suite_directory() {
    let ws = workspace(&[], &tiny_crate(&passing_tests(&["adds"])));
    ws.cmd(&["init"]).stderr_any().run();
    let runners = std::fs::read_to_string(ws.path().join("runners/default.toml")).expect("runners");
    assert!(runners.contains("{nextest_config}"), "{runners}");
    assert!(!ws.path().join(".config/nextest.toml").exists());
    ws.cmd(&["check"]).stderr_any().run();
    let summary = with_toolchain(ws.cmd(&["verify", "rust.tests", "--json"]))
        .stderr_any()
        .run_json();
    let unit = suite(&summary, "suite.rust.tests");
    assert_eq!(unit["tests"]["total"], 1, "{unit:#}");
    assert_eq!(
        unit["tests"]["reports"][0],
        "suites/suite.rust.tests/junit.xml"
    );
    assert_eq!(
        case_names(&ws.latest_run().join("suites/suite.rust.tests/junit.xml")),
        ["tests::adds"]
    );
}

#[test]
#[ignore = "needs pytest (python3 -m pytest); .ci/run installs it and runs ignored tests"]
fn init_writes_a_pytest_runner_that_reports_through_junit() {
    let secret = "pt-s3cret-value";
    let ws = Workspace::with(&[
        (
            "pyproject.toml",
            "[project]\nname = \"calc\"\nversion = \"0.1.0\"\n",
        ),
        (
            "tests/test_calc.py",
            "import os\nimport pytest\n\ndef add(a, b):\n    return a + b\n\ndef test_adds():\n    assert add(1, 1) == 2\n\ndef test_adds_wrong():\n    total = add(1, 1)\n    assert total == 3\n\n@pytest.mark.parametrize(\"token\", [os.environ[\"API_TOKEN\"]])\ndef test_login(token):\n    assert token == \"expected\", \"refused \" + token\n",
        ),
    ]);
    ws.cmd(&["init"]).stderr_any().run();
    // The user declares the secret the tests are given.
    ws.write(
        "profiles/default.toml",
        "[profile.default]\nenv = { RUST_BACKTRACE = 1 }\nsecrets = [\"API_TOKEN\"]\n",
    );
    ws.cmd(&["check"]).stderr_any().run();
    let summary = ws
        .cmd(&["verify", "python.tests", "--json"])
        .env("API_TOKEN", secret)
        .status(1)
        .stderr_any()
        .run_json();
    let unit = suite(&summary, "suite.python.tests");
    let tests = &unit["tests"];
    assert_eq!(
        (&tests["total"], &tests["failed"]),
        (&serde_json::json!(3), &serde_json::json!(2)),
        "{unit:#}"
    );
    assert_eq!(tests["reports"][0], "suites/suite.python.tests/junit.xml");
    let wrong = &tests["failures"][0];
    assert_eq!(wrong["name"], "test_adds_wrong");
    assert_eq!(wrong["classname"], "tests.test_calc");
    assert_eq!(
        wrong["message"],
        ">       assert total == 3\nE       assert 2 == 3\ntests/test_calc.py:12: AssertionError",
        "{unit:#}"
    );
    assert_eq!(tests["failures"][1]["name"], "test_login[[REDACTED]]");
    let lines = excerpt(unit);
    assert_eq!(
        lines[..3],
        [
            "FAIL tests.test_calc::test_adds_wrong: >       assert total == 3",
            "  E       assert 2 == 3",
            "  tests/test_calc.py:12: AssertionError"
        ],
        "{unit:#}"
    );
    assert_no_secret_in_run(&ws.latest_run(), &[secret]);
}

/// Every file under `dir` (recursively), as bytes.
fn files_under(dir: &Path, out: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        let kind = entry.file_type().expect("file type");
        if kind.is_dir() {
            files_under(&path, out);
        } else if kind.is_file() {
            let bytes = std::fs::read(&path).expect("read file");
            out.push((path, bytes));
        }
    }
}

/// No file under the run directory holds any of `forms`.
#[track_caller]
fn assert_no_secret_in_run(run: &Path, forms: &[&str]) {
    let mut files = Vec::new();
    files_under(run, &mut files);
    assert!(files.len() > 3, "{files:?}");
    for (path, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        for form in forms {
            assert!(
                !text.contains(form),
                "{} holds {form:?}:\n{text}",
                path.display()
            );
        }
    }
}

#[test]
fn a_secret_in_a_report_never_reaches_the_run_or_any_report_format() {
    // A parameterized test puts its value in the name; the module in the
    // classname; the failure message, its text and the captured output
    // repeat it. One report is written through {junit}, one elsewhere and
    // copied; the secret has characters XML must escape.
    let secret = "s3cr3t&tok<en>";
    let escaped = "s3cr3t&amp;tok&lt;en&gt;";
    let ws = Workspace::with(&[
        (
            "suites.toml",
            "[profile.p]\nsecrets = [\"API_TOKEN\"]\n\n[runner.own]\njunit = \"{junit}\"\n\n[runner.ext]\njunit = \"reports/*.xml\"\n\n[suite.leaky]\ncommand = \"sh write-report.sh {junit}\"\nrunners = [\"own\", \"ext\"]\nprofile = \"p\"\n",
        ),
        (
            "write-report.sh",
            r#"esc() { printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }
t=$(esc "$API_TOKEN")
# The same value with its first character as a character reference.
r="&#115;$(esc "${API_TOKEN#s}")"
mkdir -p reports
cat > "$1" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="run $t"><testsuite name="auth.$t" tests="2" failures="1">
<properties><property name="token" value="$r"/></properties>
<testcase name="test_login[token=$t]" classname="auth.$t"><failure message="login with $t refused">expected $r to be accepted
  left: "$t"
 right: "ok"</failure><system-out>using $t</system-out><system-err><![CDATA[cdata $API_TOKEN]]></system-err></testcase>
<testcase name="test_logout" classname="auth"/>
</testsuite></testsuites>
EOF
cp "$1" reports/copy.xml
exit 1
"#,
        ),
    ]);
    let verify = ws
        .cmd(&["verify", "leaky"])
        .env("API_TOKEN", secret)
        .status(1)
        .stderr_contains(
            "| FAIL auth.[REDACTED]::test_login[token=[REDACTED]]: login with [REDACTED] refused",
        )
        .run();
    assert!(!verify.stderr.contains(secret), "{}", verify.stderr);
    let summary = ws.run_json("summary.json");
    crate::harness::assert_valid("summary", &summary);
    let leaky = suite(&summary, "suite.leaky");
    let failure = &leaky["tests"]["failures"][0];
    assert_eq!(failure["name"], "test_login[token=[REDACTED]]", "{leaky:#}");
    assert_eq!(failure["classname"], "auth.[REDACTED]");
    assert_eq!(failure["message"], "login with [REDACTED] refused");
    assert_eq!(leaky["step"], "test:test_login[token=[REDACTED]]");
    assert_eq!(leaky["tests"]["total"], 4);
    assert_eq!(
        leaky["tests"]["reports"],
        serde_json::json!([
            "suites/suite.leaky/junit.xml",
            "suites/suite.leaky/junit-2.xml"
        ])
    );
    let run = ws.latest_run();
    for kept in ["junit.xml", "junit-2.xml"] {
        assert_eq!(
            case_names(&run.join("suites/suite.leaky").join(kept)),
            ["test_login[token=[REDACTED]]", "test_logout"]
        );
    }

    // Every report format, on stdout or in a file.
    let mut outputs = Vec::new();
    let html = ws.cmd(&["report"]).stdout_any().run();
    assert!(
        html.stdout.trim_end().ends_with("report.html"),
        "{}",
        html.stdout
    );
    let html_text = std::fs::read_to_string(run.join("report.html")).expect("report.html");
    assert!(
        html_text.contains(r#"<a href="suites/suite.leaky/junit.xml">junit.xml</a>"#),
        "report.html links the kept report"
    );
    let junit = ws.cmd(&["report", "--format", "junit"]).stdout_any().run();
    assert!(
        junit
            .stdout
            .contains(r#"<property name="lab.junit" value="suites/suite.leaky/junit.xml"/>"#),
        "{}",
        junit.stdout
    );
    outputs.push(junit.stdout);
    outputs.push(
        ws.cmd(&["report", "--format", "markdown"])
            .stdout_any()
            .run()
            .stdout,
    );
    let step_summary = ws.path().join("step-summary.md");
    outputs.push(
        ws.cmd(&["report", "--format", "github"])
            .env("GITHUB_STEP_SUMMARY", &step_summary)
            .stdout_any()
            .run()
            .stdout,
    );
    outputs.push(std::fs::read_to_string(&step_summary).expect("step summary"));
    for args in [
        &["runs", "list"][..],
        &["runs", "show"],
        &["runs", "show", "--json"],
    ] {
        outputs.push(ws.cmd(args).stdout_any().stderr_any().run().stdout);
    }
    outputs.push(
        std::fs::read_to_string(ws.path().join("target/lab/runs/.lab-index.jsonl"))
            .expect("history index"),
    );
    for (i, text) in outputs.iter().enumerate() {
        for form in [secret, escaped, "3cr3t&amp;tok"] {
            assert!(!text.contains(form), "output {i} holds {form:?}:\n{text}");
        }
    }
    assert_no_secret_in_run(&run, &[secret, escaped, "3cr3t&amp;tok"]);
}

#[test]
fn a_report_left_by_an_earlier_run_never_describes_this_one() {
    // The second run stops before its tests (as a compile error would):
    // the first run's report is still there and must not be read.
    let ws = Workspace::with(&[
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
    assert_eq!(suite(&first, "suite.a")["tests"]["total"], 1);
    assert_eq!(
        suite(&first, "suite.a")["tests_missing"],
        serde_json::Value::Null
    );
    std::fs::remove_file(ws.path().join("write")).expect("stop writing");
    std::thread::sleep(std::time::Duration::from_millis(50));
    ws.cmd(&["verify", "a"]).status(1).stderr_any().run();
    let second = ws.run_json("summary.json");
    crate::harness::assert_valid("summary", &second);
    let a = suite(&second, "suite.a");
    assert_eq!(a["status"], "failed");
    assert_eq!(a["tests"], serde_json::Value::Null, "{second:#}");
    assert_eq!(
        a["tests_missing"],
        "no JUnit written to `report.xml`: the command stopped before its tests reported (the report there is older than this suite and was not read)"
    );
}

#[test]
fn a_kept_copy_is_never_counted_again_and_outlives_the_state_it_came_from() {
    // The first report is copied to junit.xml, which the second runner's
    // glob over the suite directory then matches; the third report lives
    // in the state directory that cleanup removes.
    let one = |name: &str| {
        format!(
            "<testsuites><testsuite name=\"s\"><testcase name=\"{name}\" classname=\"c\"/></testsuite></testsuites>"
        )
    };
    let ws = Workspace::with(&[
        (
            "suites.toml",
            "[runner.ext]\njunit = \"reports/*.xml\"\n\n[runner.own]\njunit = \"{suite_dir}/*.xml\"\n\n[runner.state]\njunit = \"{state.data}/*.xml\"\n\n[suite.a]\ncommand = \"mkdir -p reports && cp a.src reports/a.xml && cp b.src \\\"$LAB_STATE_DATA/b.xml\\\"\"\nrunners = [\"ext\", \"own\", \"state\"]\n",
        ),
        ("a.src", &one("from_reports")),
        ("b.src", &one("from_state")),
    ]);
    ws.cmd(&["verify", "a"]).stderr_any().run();
    let summary = ws.run_json("summary.json");
    let a = suite(&summary, "suite.a");
    assert_eq!(a["tests"]["total"], 2, "{a:#}");
    assert_eq!(
        a["tests"]["reports"],
        serde_json::json!(["suites/suite.a/junit.xml", "suites/suite.a/junit-2.xml"])
    );
    let dir = ws.latest_run().join("suites/suite.a");
    assert!(!dir.join("state.data").exists(), "cleaned up after a pass");
    assert_eq!(case_names(&dir.join("junit.xml")), ["from_reports"]);
    assert_eq!(case_names(&dir.join("junit-2.xml")), ["from_state"]);
}
