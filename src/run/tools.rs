//! The versions runners report (`version`), for manifest.json's `tools`
//! and for cache keys. Probing whether a runner can run is
//! `suite/preflight.rs`'s.

use crate::registry::Registry;

/// The first line `runner`'s `version` command prints (stdout, else
/// stderr); `None` without one, or when its program is not on `path`.
pub fn runner_version(
    registry: &Registry,
    runner: &crate::registry::model::Runner,
    path: Option<&str>,
) -> Option<String> {
    let cmd = runner.version.as_ref()?;
    if let Some(p) = &runner.program
        && crate::files::find_program(p, path).is_none()
    {
        return None;
    }
    let out = std::process::Command::new("sh")
        .args(["-c", cmd])
        .current_dir(&registry.workspace)
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = if out.stdout.is_empty() {
        out.stderr
    } else {
        out.stdout
    };
    String::from_utf8_lossy(&text)
        .lines()
        .next()
        .map(|l| l.trim().to_string())
}
