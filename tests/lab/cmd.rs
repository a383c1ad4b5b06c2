//! `Cmd`: one `lab` invocation and everything it must do, checked together.
//!
//! Modelled on casey/just's `tests/test.rs`: a test states the exit status,
//! stdout and stderr it expects, and whatever it does not state must be
//! empty (status 0), so no test forgets to look at an output. A test that
//! does not care about an output says so (`stderr_any()`).
//!
//! ```ignore
//! ws.cmd(&["verify", "a"])
//!     .status(1)
//!     .stderr_contains("  FAIL   suite.a  [TIME]  exited with 1\n")
//!     .run();
//! let doc = ws.cmd(&["suite", "list", "--json"]).run_json();
//! ```
//!
//! Run ids and the durations `verify` prints differ from run to run. In an
//! expected text, `[RUN]` stands for a run id and `[TIME]` for the duration
//! on a suite line (`  PASS   suite.a  [TIME]`) or the closing line
//! (`passed: 1 passed in [TIME]`). A text without placeholders still
//! matches the output as printed.
//!
//! Spawning and killing a running `lab` is `Workspace::spawn`'s job.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::LazyLock;

use regex::Regex;

use crate::harness::{Run, lab_command, schema_errors};

/// What one output must hold.
#[derive(Debug, Clone)]
enum Expect {
    /// Exactly this text.
    Exactly(String),
    /// Each of these pieces, somewhere.
    Contains(Vec<String>),
    /// Exactly one JSON document, nothing else; valid against
    /// `schemas/<schema>.schema.json` when a schema is named.
    Json { schema: Option<&'static str> },
    /// Anything: the test said it does not care.
    Any,
}

impl Expect {
    /// Why `actual` does not meet the expectation, if it does not.
    fn mismatch(&self, actual: &str) -> Option<String> {
        let normalized = normalize(actual);
        match self {
            Expect::Exactly(text) if actual == text || normalized == *text => None,
            Expect::Exactly(text) => Some(format!(
                "is not as expected; expected:\n{}\ngot (run ids and durations as [RUN] and [TIME]):\n{}",
                indent(text),
                indent(&normalized)
            )),
            Expect::Contains(pieces) => {
                let missing: Vec<String> = pieces
                    .iter()
                    .filter(|p| !actual.contains(p.as_str()) && !normalized.contains(p.as_str()))
                    .map(|p| format!("{p:?}"))
                    .collect();
                (!missing.is_empty()).then(|| format!("lacks {}", missing.join(", ")))
            }
            Expect::Json { schema } => match serde_json::from_str(actual) {
                Err(e) => Some(format!("is not one JSON document: {e}")),
                Ok(doc) => schema.and_then(|name| {
                    let errors = schema_errors(name, &doc);
                    (!errors.is_empty()).then(|| {
                        format!("does not match the {name} schema:\n{}", errors.join("\n"))
                    })
                }),
            },
            Expect::Any => None,
        }
    }

    /// Adds `piece` to what the output must contain.
    fn and_contains(self, piece: &str) -> Expect {
        match self {
            Expect::Contains(mut pieces) => {
                pieces.push(piece.to_string());
                Expect::Contains(pieces)
            }
            _ => Expect::Contains(vec![piece.to_string()]),
        }
    }
}

/// One `lab` invocation and what it must do. Nothing runs until `run()`.
#[must_use = "a Cmd does nothing until `.run()`"]
#[derive(Debug)]
pub struct Cmd {
    cwd: PathBuf,
    args: Vec<String>,
    env: Vec<(OsString, OsString)>,
    stdin: Option<Vec<u8>>,
    status: i32,
    stdout: Expect,
    stderr: Expect,
}

impl Cmd {
    /// `lab args…` run in `cwd`, expected to exit 0 and print nothing.
    pub fn new(cwd: &Path, args: &[&str]) -> Self {
        Cmd {
            cwd: cwd.to_path_buf(),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: Vec::new(),
            stdin: None,
            status: 0,
            stdout: Expect::Exactly(String::new()),
            stderr: Expect::Exactly(String::new()),
        }
    }

    /// Sets a variable in lab's (otherwise scrubbed) environment.
    pub fn env(mut self, name: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Feeds `text` to lab's stdin (null otherwise).
    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.as_bytes().to_vec());
        self
    }

    /// The exit status lab must end with (`-1`: killed by a signal).
    pub fn status(mut self, code: i32) -> Self {
        self.status = code;
        self
    }

    /// Stdout must be exactly `text` (placeholders allowed).
    pub fn stdout(mut self, text: &str) -> Self {
        self.stdout = Expect::Exactly(text.to_string());
        self
    }

    /// Stdout must contain `piece`; repeat for several pieces.
    pub fn stdout_contains(mut self, piece: &str) -> Self {
        self.stdout = self.stdout.and_contains(piece);
        self
    }

    /// Stdout must be exactly one JSON document (`--json`); read it with
    /// `Run::json`, or call `run_json()` instead of `run()`.
    pub fn stdout_json(mut self) -> Self {
        self.stdout = Expect::Json { schema: None };
        self
    }

    /// Stdout must be one JSON document valid against the committed
    /// `schemas/<name>.schema.json`.
    pub fn stdout_schema(mut self, name: &'static str) -> Self {
        self.stdout = Expect::Json { schema: Some(name) };
        self
    }

    /// Stdout may hold anything: the test checks it another way, or the
    /// output is not what the test is about.
    pub fn stdout_any(mut self) -> Self {
        self.stdout = Expect::Any;
        self
    }

    /// Stderr must be exactly `text` (placeholders allowed).
    pub fn stderr(mut self, text: &str) -> Self {
        self.stderr = Expect::Exactly(text.to_string());
        self
    }

    /// Stderr must contain `piece`; repeat for several pieces.
    pub fn stderr_contains(mut self, piece: &str) -> Self {
        self.stderr = self.stderr.and_contains(piece);
        self
    }

    /// Stderr may hold anything: the test checks it another way, or the
    /// output is not what the test is about.
    pub fn stderr_any(mut self) -> Self {
        self.stderr = Expect::Any;
        self
    }

    /// Runs lab, waits for it, and panics (at the caller) unless the exit
    /// status, stdout and stderr are all as expected. Returns what lab did.
    #[track_caller]
    pub fn run(self) -> Run {
        let out = self.spawn_and_wait();
        let mut problems = Vec::new();
        if out.code != self.status {
            problems.push(format!(
                "exit status: expected {}, got {}",
                self.status, out.code
            ));
        }
        if let Some(why) = self.stdout.mismatch(&out.stdout) {
            problems.push(format!("stdout {why}"));
        }
        if let Some(why) = self.stderr.mismatch(&out.stderr) {
            problems.push(format!("stderr {why}"));
        }
        assert!(
            problems.is_empty(),
            "`lab {}` in {}:\n- {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args.join(" "),
            self.cwd.display(),
            problems.join("\n- "),
            out.stdout,
            out.stderr
        );
        out
    }

    /// `run()` expecting one JSON document on stdout (against the schema
    /// `stdout_schema` named, if any), and the document parsed.
    #[track_caller]
    pub fn run_json(self) -> serde_json::Value {
        let cmd = match self.stdout {
            Expect::Json { .. } => self,
            _ => self.stdout_json(),
        };
        cmd.run().json()
    }

    fn spawn_and_wait(&self) -> Run {
        let mut cmd = lab_command(&self.cwd);
        cmd.args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if self.stdin.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn().expect("spawn lab");
        let writer = match (&self.stdin, child.stdin.take()) {
            // On its own thread, so a lab that prints before it reads cannot
            // deadlock; a broken pipe (lab did not read it all) is lab's
            // business, and its exit status tells.
            (Some(text), Some(mut pipe)) => {
                let text = text.clone();
                Some(std::thread::spawn(move || {
                    let _ = pipe.write_all(&text);
                }))
            }
            _ => None,
        };
        let out = child.wait_with_output().expect("wait for lab");
        if let Some(writer) = writer {
            writer.join().expect("stdin writer");
        }
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// `text` with run ids replaced by `[RUN]` and the durations of verify's
/// suite and closing lines by `[TIME]`.
pub fn normalize(text: &str) -> String {
    static RUN_ID: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\d{8}T\d{6}Z-[0-9a-f]{6}").expect("valid regex"));
    // `  PASS   suite.a  12ms` / `  FAIL   suite.a  1.2s  exited with 1`
    static SUITE_LINE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?m)^(  (?:PASS |FLAKY|FAIL |SKIP |BLOCK)  \S+  )\d+(?:ms|\.\d+s|m\d\ds)")
            .expect("valid regex")
    });
    // `failed: 1 passed, 1 failed in 16ms`
    static CLOSING_LINE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?m)^([a-z]+: .* in )\d+(?:ms|\.\d+s|m\d\ds)$").expect("valid regex")
    });
    let text = RUN_ID.replace_all(text, "[RUN]");
    let text = SUITE_LINE.replace_all(&text, "${1}[TIME]");
    CLOSING_LINE.replace_all(&text, "${1}[TIME]").into_owned()
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::normalize;
    use crate::harness::Workspace;

    const ONE: &str = "[suite.a]\ncommand = \"echo hi\"\n";

    #[test]
    fn placeholders_stand_for_run_ids_and_durations() {
        let text = "\
lab: 1 suite selected → target/lab/runs/20261122T101500Z-7f3a9c
  PASS   suite.a  12ms
  FAIL   suite.b  1.2s  timed out after 1.0s
  BLOCK  suite.c  5m02s  exited 78 (blocked)
failed: 1 passed, 1 failed, 1 blocked in 5m03s
";
        assert_eq!(
            normalize(text),
            "\
lab: 1 suite selected → target/lab/runs/[RUN]
  PASS   suite.a  [TIME]
  FAIL   suite.b  [TIME]  timed out after 1.0s
  BLOCK  suite.c  [TIME]  exited 78 (blocked)
failed: 1 passed, 1 failed, 1 blocked in [TIME]
"
        );
    }

    #[test]
    #[should_panic(expected = "stderr is not as expected")]
    fn an_output_the_test_does_not_state_must_be_empty() {
        let ws = Workspace::with(&[("suites.toml", ONE)]);
        ws.cmd(&["verify", "a"]).run();
    }

    #[test]
    #[should_panic(expected = "exit status: expected 0, got 2")]
    fn the_status_defaults_to_success() {
        let ws = Workspace::with(&[("suites.toml", ONE)]);
        ws.cmd(&["verify"]).stderr_any().run();
    }

    #[test]
    fn an_output_the_test_opts_out_of_is_not_checked() {
        let ws = Workspace::with(&[("suites.toml", ONE)]);
        ws.cmd(&["verify", "a"]).stderr_any().run();
        ws.cmd(&["verify", "a"])
            .stderr_contains("  PASS   suite.a  [TIME]\n")
            .run();
    }
}
