//! The facts manifest.json records about where a run happened: version
//! control state (git through libgit2, jj through its CLI), platform,
//! a machine id, provenance (a person or CI), and lab's redacted environment.

use std::collections::{BTreeMap, BTreeSet};

use camino::Utf8Path;

use super::schema::{Platform, Provenance, Vcs};
use crate::run::process::redact::{REDACTED, is_secret_name};

/// Version control state of `workspace`: jj when it is a jj workspace and
/// `jj` is on PATH, else git, else none.
pub fn vcs(workspace: &Utf8Path, path_var: Option<&str>) -> Vcs {
    if workspace.ancestors().any(|d| d.join(".jj").is_dir())
        && crate::run::host::find_program("jj", path_var).is_some()
        && let Some(v) = jj(workspace)
    {
        return v;
    }
    git(workspace).unwrap_or(Vcs {
        kind: "none".into(),
        commit: None,
        branch: None,
        dirty: None,
    })
}

fn jj(workspace: &Utf8Path) -> Option<Vcs> {
    let out = std::process::Command::new("jj")
        .args([
            "log",
            "--no-graph",
            "-r",
            "@",
            "-T",
            r#"commit_id ++ " " ++ change_id ++ " " ++ empty"#,
        ])
        .current_dir(workspace)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    let commit = parts.next()?.to_string();
    let change = parts.next()?.to_string();
    let empty = parts.next() == Some("true");
    Some(Vcs {
        kind: "jj".into(),
        commit: Some(commit),
        branch: Some(change),
        dirty: Some(!empty),
    })
}

fn git(workspace: &Utf8Path) -> Option<Vcs> {
    let repo = git2::Repository::discover(workspace.as_std_path()).ok()?;
    let head = repo.head().ok();
    let commit = head
        .as_ref()
        .and_then(|h| h.peel_to_commit().ok())
        .map(|c| c.id().to_string());
    let branch = head
        .as_ref()
        .filter(|h| h.is_branch())
        .and_then(|h| h.shorthand().ok().map(str::to_string));
    let mut options = git2::StatusOptions::new();
    options.include_untracked(true).include_ignored(false);
    let dirty = repo
        .statuses(Some(&mut options))
        .ok()
        .map(|s| !s.is_empty());
    Some(Vcs {
        kind: "git".into(),
        commit,
        branch,
        dirty,
    })
}

/// The host platform.
pub fn platform() -> Platform {
    Platform {
        os: std::env::consts::OS.into(),
        arch: std::env::consts::ARCH.into(),
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .ok()
            .map(|s| s.trim().to_string()),
    }
}

/// A stable id of this machine that does not reveal /etc/machine-id
/// (FNV-1a over a lab-specific prefix and the id).
pub fn machine_id() -> Option<String> {
    let raw = std::fs::read_to_string("/etc/machine-id").ok()?;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in b"lab-machine-id:".iter().chain(raw.trim().as_bytes()) {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    Some(format!("{hash:016x}"))
}

/// A person at a terminal, or CI (detected from its variables).
pub fn provenance(env: &BTreeMap<String, String>) -> Provenance {
    let get = |k: &str| env.get(k).filter(|v| !v.is_empty()).cloned();
    if get("GITHUB_ACTIONS").is_some() {
        let url = match (
            get("GITHUB_SERVER_URL"),
            get("GITHUB_REPOSITORY"),
            get("GITHUB_RUN_ID"),
        ) {
            (Some(s), Some(r), Some(id)) => Some(format!("{s}/{r}/actions/runs/{id}")),
            _ => None,
        };
        return Provenance {
            trigger: "ci".into(),
            actor: "ci:github".into(),
            ci_url: url,
        };
    }
    if get("GITLAB_CI").is_some() {
        return Provenance {
            trigger: "ci".into(),
            actor: "ci:gitlab".into(),
            ci_url: get("CI_JOB_URL"),
        };
    }
    if get("CI").is_some_and(|v| v != "false" && v != "0") {
        return Provenance {
            trigger: "ci".into(),
            actor: "ci:unknown".into(),
            ci_url: None,
        };
    }
    let user = get("USER")
        .or_else(|| get("LOGNAME"))
        .unwrap_or_else(|| "unknown".into());
    Provenance {
        trigger: "cli".into(),
        actor: format!("cli:{user}"),
        ci_url: None,
    }
}

/// `env` with the values of secret-named variables, and of `extra` names,
/// replaced by `[REDACTED]`.
pub fn redact_env(
    env: &BTreeMap<String, String>,
    extra: &BTreeSet<String>,
) -> BTreeMap<String, String> {
    env.iter()
        .map(|(k, v)| {
            let value = if is_secret_name(k) || extra.contains(k) {
                REDACTED.to_string()
            } else {
                v.clone()
            };
            (k.clone(), value)
        })
        .collect()
}
