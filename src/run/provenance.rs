//! The facts manifest.json records about where a run happened: version
//! control state (from `vcs/`), the registry's digest, platform, a machine id, provenance (a
//! person or CI), and lab's redacted environment.

use std::collections::{BTreeMap, BTreeSet};

use camino::Utf8Path;

use crate::outputs::{Platform, Provenance, RegistryRecord, Vcs};
use crate::run::process::redact::{REDACTED, is_secret_name};

/// Version control state of `workspace`, as manifest.json records it.
pub fn vcs(workspace: &Utf8Path, path_var: Option<&str>) -> Vcs {
    let state = crate::vcs::state(workspace, path_var);
    Vcs {
        kind: state.kind.into(),
        commit: state.commit,
        branch: state.branch,
        dirty: state.dirty,
    }
}

/// The registry content a run used: its root file, how many files, and
/// a digest of them all.
pub fn registry(registry: &crate::registry::Registry) -> RegistryRecord {
    let files: Vec<(&str, &[u8])> = registry
        .sources
        .iter()
        .map(|f| (f.path.as_str(), f.text.as_bytes()))
        .collect();
    RegistryRecord {
        file: registry.root_file.to_string(),
        files: files.len(),
        digest: crate::vcs::content_digest(files),
    }
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
