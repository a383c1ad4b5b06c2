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
            return Ok(Changes {
                source: "jj",
                base: Some(
                    revset
                        .trim_end_matches("..@")
                        .trim_start_matches('(')
                        .trim_end_matches(')')
                        .to_string(),
                ),
                base_commit: None,
                paths: text.lines().filter_map(normalize_relative).collect(),
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

/// The working-copy change's commit, change id and emptiness.
pub fn state(workspace: &Utf8Path) -> Option<State> {
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
    Some(State {
        kind: "jj",
        commit: Some(commit),
        branch: Some(change),
        dirty: Some(!empty),
    })
}
