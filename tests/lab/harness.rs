//! A temp workspace and ways to run the real `lab` in it with a scrubbed
//! environment (no inherited LAB_* or CI variables, a fixed HOME), plus the
//! small readers every topic file shares (`ids`, `suite`, `read_json`).
//!
//! New tests run lab through `Workspace::cmd` (see `cmd.rs`), which checks
//! the exit status, stdout and stderr together; `Workspace::lab` returns
//! the raw output for the few tests that collect problems over many runs.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::Cmd;

/// A temporary workspace directory.
pub struct Workspace {
    dir: tempfile::TempDir,
}

/// A fresh directory under /tmp, not under TMPDIR: when lab runs these
/// tests (dogfooding), TMPDIR points inside lab's own workspace, where
/// discovery would find lab's suites.toml and git repository, and where
/// paths get too long for Chromium's unix sockets.
pub fn tempdir() -> tempfile::TempDir {
    let base = std::path::Path::new("/tmp");
    let builder = tempfile::Builder::new().prefix("lab-test-").to_owned();
    if base.is_dir() {
        builder.tempdir_in(base)
    } else {
        builder.tempdir()
    }
    .expect("create temp dir")
}

/// What one `lab` invocation did.
#[derive(Debug)]
pub struct Run {
    /// Exit status (`-1` when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Stdout parsed as one JSON document.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", self.stdout))
    }
}

impl Workspace {
    /// An empty workspace.
    pub fn new() -> Self {
        Workspace { dir: tempdir() }
    }

    /// A workspace holding `files` (path, content).
    pub fn with(files: &[(&str, &str)]) -> Self {
        let ws = Self::new();
        for (path, content) in files {
            ws.write(path, content);
        }
        ws
    }

    /// The workspace root.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A workspace holding `files`, committed to a fresh git repository on
    /// `main`.
    pub fn git_repo(files: &[(&str, &str)]) -> Self {
        let ws = Self::with(files);
        git(ws.path(), &["init", "-q", "-b", "main"]);
        git(ws.path(), &["add", "-A"]);
        git(ws.path(), &["commit", "-q", "-m", "base"]);
        ws
    }

    /// Writes a file, creating its directories.
    pub fn write(&self, path: &str, content: &str) -> &Self {
        let full = self.dir.path().join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("create parent dirs");
        }
        std::fs::write(full, content).expect("write file");
        self
    }

    /// `lab args…` in the workspace root, to be given its expected status
    /// and output and then `run()`.
    pub fn cmd(&self, args: &[&str]) -> Cmd {
        Cmd::new(self.path(), args)
    }

    /// `lab args…` in `subdir` of the workspace, like `cmd`.
    pub fn cmd_in(&self, subdir: &str, args: &[&str]) -> Cmd {
        Cmd::new(&self.path().join(subdir), args)
    }

    /// Runs `lab args…` in the workspace root and returns what it did,
    /// checking nothing: prefer `cmd`.
    pub fn lab(&self, args: &[&str]) -> Run {
        self.lab_in(".", args)
    }

    /// Runs `lab args…` in `subdir` of the workspace.
    pub fn lab_in(&self, subdir: &str, args: &[&str]) -> Run {
        run(lab_command(&self.dir.path().join(subdir)).args(args))
    }

    /// Every path under the workspace, relative, sorted.
    pub fn tree(&self) -> Vec<String> {
        let mut out = Vec::new();
        collect(self.path(), self.path(), &mut out);
        out.sort();
        out
    }
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        out.push(
            path.strip_prefix(root)
                .expect("under root")
                .display()
                .to_string(),
        );
        if path.is_dir() {
            collect(root, &path, out);
        }
    }
}

/// `lab` with a scrubbed environment, run in `cwd`.
pub fn lab_command(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lab"));
    cmd.current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", cwd)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null());
    cmd
}

/// Runs a prepared command and captures everything.
pub fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("spawn lab");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The repository's own directory (where the committed schemas are).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Validates `doc` against the committed `schemas/<name>.schema.json`.
#[track_caller]
pub fn assert_valid(name: &str, doc: &serde_json::Value) {
    let errors = schema_errors(name, doc);
    assert!(
        errors.is_empty(),
        "{name} document does not match its schema:\n{}",
        errors.join("\n")
    );
}

/// Where `doc` breaks the committed `schemas/<name>.schema.json`.
pub fn schema_errors(name: &str, doc: &serde_json::Value) -> Vec<String> {
    let path = repo().join(format!("schemas/{name}.schema.json"));
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read schema"))
            .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

impl Workspace {
    /// Starts `lab args…` in the workspace root without waiting.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        lab_command(self.path())
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn lab")
    }

    /// The newest run directory (`target/lab/runs/latest`, resolved).
    pub fn latest_run(&self) -> PathBuf {
        std::fs::canonicalize(self.path().join("target/lab/runs/latest"))
            .expect("latest run exists")
    }

    /// A JSON file of the newest run.
    pub fn run_json(&self, name: &str) -> serde_json::Value {
        read_json(&self.latest_run().join(name))
    }
}

/// Reads and parses a JSON file.
pub fn read_json(path: &Path) -> serde_json::Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON ({e}):\n{text}", path.display()))
}

/// `true` while process `pid` exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            .is_some_and(|state| state != 'Z'),
        Err(_) => false,
    }
}

/// Waits up to `secs` for `cond`.
pub fn eventually(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    cond()
}

/// The ids of `doc["suites"]`, in order: of a `suite list` document, a
/// summary, or anything else that lists suites.
pub fn ids(doc: &serde_json::Value) -> Vec<String> {
    doc["suites"]
        .as_array()
        .unwrap_or_else(|| panic!("no suites in {doc:#}"))
        .iter()
        .map(|s| s["id"].as_str().expect("a suite has an id").to_string())
        .collect()
}

/// Runs git in `dir` with a scrubbed, fixed configuration; returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "lab")
        .env("GIT_AUTHOR_EMAIL", "lab@example.invalid")
        .env("GIT_COMMITTER_NAME", "lab")
        .env("GIT_COMMITTER_EMAIL", "lab@example.invalid")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The suite entry `id` of a summary.
pub fn suite<'a>(summary: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    summary["suites"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == id))
        .unwrap_or_else(|| panic!("no suite {id} in {summary:#}"))
}

/// A shell snippet that waits until `condition` (a shell test) holds, and
/// fails the suite if it has not after a minute. For barriers between
/// suites and processes: the minute is a bound on a hang, never a verdict.
pub fn sh_wait(condition: &str) -> String {
    format!(
        "i=0; until {condition}; do i=$((i+1)); if [ $i -gt 1200 ]; then echo 'gave up waiting' >&2; exit 1; fi; sleep 0.05; done"
    )
}

/// A Python interpreter for test services (Debian's, when present: a
/// version manager's shim may not work in the scrubbed environment).
pub fn python() -> String {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3".into()
    } else {
        "python3".into()
    }
}
