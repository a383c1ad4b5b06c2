//! The programs suites run, with their versions, for manifest.json: the
//! first word of each suite's command (after `VAR=value` assignments and
//! wrappers such as `env`, `exec`, `timeout 60`), found on PATH and asked
//! `--version` once per run (`cargo` also records `rustc`). Answers are
//! remembered across runs in `<run_root>/.lab-tools.json`, keyed by the
//! executable's resolved path, size and modification time, so a warm
//! machine starts no process for them. Runners' own `version` commands are
//! `engine.rs`'s; the words of a command are `command_words.rs`'s.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use camino::Utf8Path;
use serde::{Deserialize, Serialize};

use super::command_words::program_of;
use super::process::bounded::{Bounded, drive_bounded};
use super::process::signals::Interrupts;
use crate::outputs::Tool;

/// The cache file's name inside the run root.
pub const CACHE_FILE: &str = ".lab-tools.json";

/// How long a program may take to print its version.
const PROBE_DEADLINE: Duration = Duration::from_secs(5);

/// Versions are cut to this many characters (a program that prints its
/// whole help text instead is not copied into every manifest).
const MAX_VERSION: usize = 200;

/// One executable, as the cache remembers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Entry {
    size: u64,
    mtime_ns: i128,
    /// What else picks the real tool behind a version manager's proxy
    /// (see [`behind_proxy`]); empty for a plain executable.
    #[serde(default)]
    behind: String,
    /// First line of `--version`; null when it failed.
    version: Option<String>,
}

/// `.lab-tools.json`: resolved executable path → what it said.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Cache {
    schema_version: u32,
    programs: BTreeMap<String, Entry>,
}

/// The programs of a run: what manifest.json's `tools` gains, and which
/// program each suite ran.
#[derive(Debug, Default)]
pub struct Programs {
    /// Program name → its path and version.
    pub tools: BTreeMap<String, Tool>,
    /// Suite id → the program name (a key of `tools`).
    pub by_suite: BTreeMap<String, String>,
}

/// Finds and versions the program of each `(suite id, command)` on
/// `path_var`; probes run in `cwd`, bounded, stopped by `interrupts`.
pub fn record(
    run_root: &Utf8Path,
    commands: &[(String, String)],
    path_var: Option<&str>,
    cwd: &Utf8Path,
    interrupts: &Interrupts,
) -> Programs {
    let cache_path = run_root.join(CACHE_FILE);
    let mut cache = read_cache(&cache_path);
    let mut changed = false;
    let mut out = Programs::default();
    for (suite, command) in commands {
        let Some(name) = program_of(command) else {
            continue;
        };
        let mut names = vec![name.clone()];
        if name == "cargo" {
            names.push("rustc".into());
        }
        for n in names {
            if out.tools.contains_key(&n) {
                continue;
            }
            let Some(found) = crate::files::find_program(&n, path_var) else {
                continue;
            };
            let version = cached_version(&mut cache, &mut changed, &found, cwd, interrupts);
            out.tools.insert(
                n.clone(),
                Tool {
                    program: Some(n.clone()),
                    version,
                    path: Some(found.to_string_lossy().into_owned()),
                },
            );
        }
        if out.tools.contains_key(&name) {
            out.by_suite.insert(suite.clone(), name);
        }
    }
    if changed {
        write_cache(&cache_path, &cache);
    }
    out
}

/// The version of `found`, from the cache when its resolved path, size
/// and mtime match, else probed (and remembered).
fn cached_version(
    cache: &mut Cache,
    changed: &mut bool,
    found: &Path,
    cwd: &Utf8Path,
    interrupts: &Interrupts,
) -> Option<String> {
    let real = std::fs::canonicalize(found).unwrap_or_else(|_| found.to_path_buf());
    let meta = std::fs::metadata(&real).ok()?;
    let key = real.to_string_lossy().into_owned();
    let (size, mtime_ns) = (meta.len(), mtime_ns(&meta));
    let behind = behind_proxy(found, cwd);
    if let Some(e) = cache.programs.get(&key)
        && e.size == size
        && e.mtime_ns == mtime_ns
        && e.behind == behind
    {
        return e.version.clone();
    }
    let version = probe(found, cwd, interrupts);
    cache.programs.insert(
        key,
        Entry {
            size,
            mtime_ns,
            behind,
            version: version.clone(),
        },
    );
    *changed = true;
    version
}

/// For a rustup proxy (`~/.cargo/bin/cargo`, beside `rustup`) or a pyenv
/// shim (`…/shims/python3`), whose file never changes when the toolchain
/// does: the size and mtime of every installed tool of that name, of the
/// settings that pick one, and the selecting variables — stats only, no
/// process. Empty for any other executable.
fn behind_proxy(found: &Path, cwd: &Utf8Path) -> String {
    let (Some(dir), Some(name)) = (found.parent(), found.file_name()) else {
        return String::new();
    };
    let home = |var: &str, default: &str| {
        std::env::var_os(var)
            .map(std::path::PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(default)))
    };
    let (root, var, settings): (_, _, &[&str]) = if dir.join("rustup").is_file() {
        (
            home("RUSTUP_HOME", ".rustup"),
            "RUSTUP_TOOLCHAIN",
            &["settings.toml"],
        )
    } else if dir.file_name().is_some_and(|d| d == "shims") {
        (home("PYENV_ROOT", ".pyenv"), "PYENV_VERSION", &["version"])
    } else {
        return String::new();
    };
    let Some(root) = root else {
        return String::new();
    };
    let mut files: Vec<std::path::PathBuf> = settings.iter().map(|f| root.join(f)).collect();
    for sub in ["toolchains", "versions"] {
        if let Ok(entries) = std::fs::read_dir(root.join(sub)) {
            files.extend(entries.flatten().map(|e| e.path().join("bin").join(name)));
        }
    }
    for f in ["rust-toolchain", "rust-toolchain.toml", ".python-version"] {
        files.push(cwd.join(f).into());
    }
    files.sort();
    let mut text = format!("{var}={:?}", std::env::var_os(var));
    for f in files {
        if let Ok(m) = std::fs::metadata(&f) {
            text.push_str(&format!(";{}:{}:{}", f.display(), m.len(), mtime_ns(&m)));
        }
    }
    text
}

fn mtime_ns(meta: &std::fs::Metadata) -> i128 {
    use std::os::unix::fs::MetadataExt;
    i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec())
}

/// `<program> --version`: its first non-empty line when it exits 0 in
/// time; `None` otherwise (dash has no `--version`).
fn probe(program: &Path, cwd: &Utf8Path, interrupts: &Interrupts) -> Option<String> {
    let mut cmd = std::process::Command::new(program);
    cmd.arg("--version").current_dir(cwd);
    let child = super::process::spawn::spawn_piped(&mut cmd).ok()?;
    let pid = child.id();
    let mut text = Vec::new();
    let deadline = Instant::now() + PROBE_DEADLINE;
    let ended = drive_bounded(child, deadline, interrupts, &mut |chunk| {
        if text.len() < 64 * 1024 {
            text.extend_from_slice(chunk);
        }
    });
    super::process::spawn::forget(pid);
    match ended {
        Bounded::Exited(status) if status.success() => first_line(&text),
        _ => None,
    }
}

/// The first non-blank line of `text`, trimmed, printable, cut short.
fn first_line(text: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(text);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    Some(
        crate::style::printable(line)
            .chars()
            .take(MAX_VERSION)
            .collect(),
    )
}

/// The cache, or an empty one when it is missing, unreadable or not ours.
fn read_cache(path: &Utf8Path) -> Cache {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<Cache>(&t).ok())
        .filter(|c| c.schema_version == 1)
        .unwrap_or_default()
}

/// Writes the cache atomically; failing to is harmless (the next run
/// probes again).
fn write_cache(path: &Utf8Path, cache: &Cache) {
    let cache = Cache {
        schema_version: 1,
        programs: cache.programs.clone(),
    };
    if let Ok(text) = serde_json::to_vec_pretty(&cache) {
        let _ = crate::files::write_atomic(path, &text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_skips_blanks_and_trims() {
        assert_eq!(
            first_line(b"\n  cargo 1.95.0 (abc 2026-01-01)\nmore\n").as_deref(),
            Some("cargo 1.95.0 (abc 2026-01-01)")
        );
        assert_eq!(first_line(b"\n \n"), None);
    }

    #[test]
    fn a_cached_version_is_used_only_while_the_file_is_unchanged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tool = dir.path().join("tool");
        std::fs::write(&tool, "#!/bin/sh\necho tool 1.0\n").expect("write");
        let key = std::fs::canonicalize(&tool)
            .expect("canonical")
            .to_string_lossy()
            .into_owned();
        let meta = std::fs::metadata(&tool).expect("stat");
        let mut cache = Cache::default();
        cache.programs.insert(
            key.clone(),
            Entry {
                size: meta.len(),
                mtime_ns: mtime_ns(&meta),
                behind: String::new(),
                version: Some("from cache".into()),
            },
        );
        let cwd = Utf8Path::new("/");
        let mut changed = false;
        let v = cached_version(&mut cache, &mut changed, &tool, cwd, &Interrupts::none());
        assert_eq!(v.as_deref(), Some("from cache"));
        assert!(!changed);
        cache.programs.get_mut(&key).expect("entry").size += 1;
        // Not executable: the probe fails, and the failure is remembered.
        let v = cached_version(&mut cache, &mut changed, &tool, cwd, &Interrupts::none());
        assert_eq!(v, None);
        assert!(changed);
    }
}
