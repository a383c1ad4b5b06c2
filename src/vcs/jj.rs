//! jj through its CLI: the working-copy change's state and the paths
//! changed since a base revset.

use camino::Utf8Path;

use super::{Changes, State, VcsError};
use crate::files::normalize_relative;

/// `jj diff --name-only -r '(<base>)..@'` (the base parenthesized, so a
/// union such as `main | abc` stays one revset); a default base that does
/// not exist falls back to `trunk()..@`, then to the working-copy change
/// alone, with a note. A base named with `--base` must work.
pub fn changes(workspace: &Utf8Path, given: &super::Base<'_>) -> Result<Changes, VcsError> {
    let base = given.name;
    let mut attempts = vec![format!("({base})..@")];
    if !given.explicit {
        attempts.extend(["trunk()..@".to_string(), "@".to_string()]);
    }
    let mut notes = Vec::new();
    for (i, revset) in attempts.iter().enumerate() {
        let out = std::process::Command::new("jj")
            // No --ignore-working-copy: jj must snapshot the files edited
            // since its last command, or they would not count as changed.
            .args(["diff", "--name-only", "-r", revset])
            .current_dir(workspace)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(VcsError::JjSpawn)?;
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout);
            let mut paths: Vec<String> = text.lines().filter_map(normalize_relative).collect();
            let warnings = String::from_utf8_lossy(&out.stderr);
            paths.extend(refused_files(&warnings));
            notes.extend(
                warnings
                    .lines()
                    .filter(|l| l.starts_with("Warning:"))
                    .map(|l| format!("jj: {}", l.trim_start_matches("Warning:").trim())),
            );
            if conflicted(workspace) {
                notes.push("jj: the working-copy change `@` has conflicts".into());
            }
            let base = match revset.strip_suffix("..@") {
                Some(b) => b
                    .strip_prefix('(')
                    .and_then(|b| b.strip_suffix(')'))
                    .unwrap_or(b)
                    .to_string(),
                None => "@".to_string(),
            };
            // The state the range starts from, as a revset jj resolves when
            // a registry file is read there (`jj file show`).
            let before = match revset.strip_suffix("..@") {
                Some(b) => format!("heads(::@ & ::{b})"),
                None => "@-".to_string(),
            };
            return Ok(Changes {
                source: "jj",
                base: Some(base),
                base_commit: Some(before),
                paths,
                notes,
            });
        }
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim()
            .to_string();
        if given.explicit {
            return Err(VcsError::UnknownBase {
                base: base.to_string(),
                what: format!("jj: {first}"),
                near: None,
            });
        }
        if i + 1 < attempts.len() {
            notes.push(format!(
                "jj: `{revset}` failed ({first}); trying `{}`",
                attempts[i + 1]
            ));
        } else {
            return Err(VcsError::Jj { first });
        }
    }
    unreachable!("the last attempt returns")
}

/// Files jj refused to snapshot (over its size limit), from its warning:
/// they are changes jj cannot list, so lab counts them.
fn refused_files(warnings: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in warnings.lines() {
        if line.starts_with("Warning: Refused to snapshot") {
            inside = true;
        } else if inside && line.starts_with("  ") {
            if let Some((path, _)) = line.trim().split_once(": ")
                && let Some(p) = normalize_relative(path)
            {
                out.push(p);
            }
        } else {
            inside = false;
        }
    }
    out
}

/// What `jj args…` printed on stdout in `workspace` when it succeeded
/// (its stderr dropped).
fn jj_stdout(workspace: &Utf8Path, args: &[&str]) -> Option<Vec<u8>> {
    let out = std::process::Command::new("jj")
        .args(args)
        .current_dir(workspace)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status.success().then_some(out.stdout)
}

/// `template` evaluated on the working-copy change, without snapshotting.
fn at_working_copy(workspace: &Utf8Path, template: &str) -> Option<Vec<u8>> {
    let args = [
        "log",
        "--no-graph",
        "--ignore-working-copy",
        "-r",
        "@",
        "-T",
        template,
    ];
    jj_stdout(workspace, &args)
}

/// `true` when the working-copy change has conflicts.
fn conflicted(workspace: &Utf8Path) -> bool {
    at_working_copy(workspace, "conflict").is_some_and(|o| o.starts_with(b"true"))
}

/// `path` (workspace-relative) as it was at `revset`, for comparing
/// registry definitions with the base. `None` when it cannot be read.
pub fn read_at(workspace: &Utf8Path, revset: &str, path: &str) -> Option<String> {
    let args = [
        "file",
        "show",
        "--ignore-working-copy",
        "-r",
        revset,
        "--",
        path,
    ];
    String::from_utf8(jj_stdout(workspace, &args)?).ok()
}

/// The working-copy change's commit, change id and emptiness.
pub fn state(workspace: &Utf8Path) -> Option<State> {
    let template = r#"commit_id ++ " " ++ change_id ++ " " ++ empty"#;
    let stdout = jj_stdout(workspace, &["log", "--no-graph", "-r", "@", "-T", template])?;
    let text = String::from_utf8_lossy(&stdout);
    let mut parts = text.split_whitespace();
    let commit = parts.next()?.to_string();
    let change = parts.next()?.to_string();
    let empty = parts.next() == Some("true");
    Some(State {
        kind: "jj",
        commit: Some(commit),
        branch: Some(change),
        dirty: Some(!empty),
    })
}

/// The working-copy commit's committer time, seconds since the epoch.
pub fn commit_time(workspace: &Utf8Path) -> Option<i64> {
    let out = at_working_copy(workspace, r#"committer.timestamp().format("%s")"#)?;
    String::from_utf8_lossy(&out).trim().parse().ok()
}
