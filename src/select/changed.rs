//! Where `--changed` gets its paths (docs/selection.md), first source that answers:
//! a paths file or stdin, `<PREFIX>_CHANGED_PATHS`, jj (when the workspace
//! is a jj repository and `jj` is on PATH), git through libgit2. Paths come
//! out workspace-relative, `/`-separated, without `./`, sorted and unique.
//!
//! What the paths select is decided in `escalate.rs`.

use std::collections::BTreeSet;
use std::path::Path;

use camino::{Utf8Path, Utf8PathBuf};

use crate::error::Error;

/// Changed paths and where they came from.
#[derive(Debug, Clone, Default)]
pub struct ChangedPaths {
    /// `paths-file`, `stdin`, `env`, `jj` or `git`.
    pub source: String,
    /// The revision diffed against, when a VCS answered.
    pub base: Option<String>,
    /// The commit the base resolved to (git), for reading the base registry.
    pub base_commit: Option<String>,
    /// Workspace-relative paths.
    pub paths: Vec<String>,
    /// Things the user should know (a missing base, a shallow clone, …).
    pub notes: Vec<String>,
}

/// Where to look for changes.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The workspace (absolute).
    pub workspace: &'a Utf8Path,
    /// `--changed-paths FILE` (`-` = stdin).
    pub paths_file: Option<&'a Utf8Path>,
    /// `[lab].env_prefix`.
    pub env_prefix: &'a str,
    /// The base: `--base` or `[lab].base`.
    pub base: &'a str,
}

/// Normalizes one path: workspace-relative, `/`-separated, no `./`.
/// `None` for empty input or a path that leaves the workspace.
pub fn normalize(path: &str) -> Option<String> {
    let p = path.trim().replace('\\', "/");
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    if p.starts_with('/') || parts.is_empty() {
        return None;
    }
    Some(parts.join("/"))
}

/// Splits a list separated by newlines, commas or spaces.
fn split_list(text: &str) -> Vec<String> {
    text.split(['\n', ',', ' ', '\r', '\t'])
        .filter_map(normalize)
        .collect()
}

fn finish(mut changed: ChangedPaths) -> ChangedPaths {
    let unique: BTreeSet<String> = changed.paths.drain(..).collect();
    changed.paths = unique.into_iter().collect();
    changed
}

/// Gathers the changed paths from the first source that answers.
pub fn gather(req: &Request<'_>) -> Result<ChangedPaths, Error> {
    if let Some(file) = req.paths_file {
        let (text, source) = if file.as_str() == "-" {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .map_err(|e| Error::io("failed to read changed paths from stdin", e))?;
            (text, "stdin")
        } else {
            let text = std::fs::read_to_string(file)
                .map_err(|e| Error::io(format!("failed to read `{file}`"), e))?;
            (text, "paths-file")
        };
        return Ok(finish(ChangedPaths {
            source: source.into(),
            paths: split_list(&text),
            ..ChangedPaths::default()
        }));
    }
    let var = format!("{}_CHANGED_PATHS", req.env_prefix);
    if let Ok(text) = std::env::var(&var) {
        return Ok(finish(ChangedPaths {
            source: "env".into(),
            paths: split_list(&text),
            ..ChangedPaths::default()
        }));
    }
    let path_var = std::env::var("PATH").ok();
    if req.workspace.ancestors().any(|d| d.join(".jj").is_dir())
        && crate::run::host::find_program("jj", path_var.as_deref()).is_some()
    {
        return jj(req).map(finish);
    }
    match git(req)? {
        Some(changed) => Ok(finish(changed)),
        None => Err(Error::usage(format!(
            "--changed needs a git or jj repository, and `{}` is in neither",
            req.workspace
        ))
        .hint(format!(
            "pass the paths with --changed-paths FILE (`-` for stdin) or in {var}, separated by newlines, commas or spaces"
        ))),
    }
}

/// `jj diff --name-only -r '<base>..@'`; a base that does not exist falls
/// back to `trunk()..@`, then to the working-copy change alone, with a note.
fn jj(req: &Request<'_>) -> Result<ChangedPaths, Error> {
    let attempts = [
        format!("{}..@", req.base),
        "trunk()..@".to_string(),
        "@".to_string(),
    ];
    let mut notes = Vec::new();
    for (i, revset) in attempts.iter().enumerate() {
        let out = std::process::Command::new("jj")
            // No --ignore-working-copy: jj must snapshot the files edited
            // since its last command, or they would not count as changed.
            .args(["diff", "--name-only", "-r", revset])
            .current_dir(req.workspace)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| Error::io("failed to run jj", e))?;
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout);
            return Ok(ChangedPaths {
                source: "jj".into(),
                base: Some(revset.trim_end_matches("..@").to_string()),
                base_commit: None,
                paths: text.lines().filter_map(normalize).collect(),
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
        if i + 1 < attempts.len() {
            notes.push(format!(
                "jj: `{revset}` failed ({first}); trying `{}`",
                attempts[i + 1]
            ));
        } else {
            return Err(Error::usage(format!(
                "jj could not list changed paths: {first}"
            )));
        }
    }
    unreachable!("the last attempt returns")
}

/// Committed since the merge base with the base, staged, unstaged and
/// untracked (not ignored); deletions and both names of renames. `None`
/// outside a git repository.
fn git(req: &Request<'_>) -> Result<Option<ChangedPaths>, Error> {
    let Ok(repo) = git2::Repository::discover(req.workspace.as_std_path()) else {
        return Ok(None);
    };
    let git_err = |what: &str, e: git2::Error| {
        Error::io(
            format!("git: failed to {what}"),
            std::io::Error::other(e.message().to_string()),
        )
    };
    let Some(workdir) = repo.workdir().map(Path::to_path_buf) else {
        return Err(Error::usage(
            "--changed cannot work in a bare git repository",
        ));
    };
    let workdir = std::fs::canonicalize(&workdir).unwrap_or(workdir);
    let workspace = std::fs::canonicalize(req.workspace).unwrap_or_else(|_| req.workspace.into());
    // The workspace may be a sub-directory of the repository.
    let prefix = workspace
        .strip_prefix(&workdir)
        .ok()
        .and_then(|p| p.to_str())
        .map(|p| p.replace('\\', "/"))
        .unwrap_or_default();

    let mut notes = Vec::new();
    let head = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let candidates = [
        req.base.to_string(),
        format!("origin/{}", req.base),
        "master".to_string(),
        "origin/master".to_string(),
    ];
    let base = candidates.iter().find_map(|name| {
        let obj = repo.revparse_single(name).ok()?;
        obj.peel_to_commit().ok().map(|c| (name.clone(), c))
    });
    let (base_name, base_tree, base_commit) = match (&head, base) {
        (None, _) => {
            notes.push(
                "git: no commits yet; every file in the index or working tree counts as changed"
                    .into(),
            );
            (None, None, None)
        }
        (Some(head), Some((name, base))) => match repo.merge_base(head.id(), base.id()) {
            Ok(mb) => {
                let commit = repo
                    .find_commit(mb)
                    .map_err(|e| git_err("read the merge base", e))?;
                (Some(name), commit.tree().ok(), Some(mb.to_string()))
            }
            Err(_) => {
                notes.push(format!(
                    "git: no merge base between HEAD and `{name}` (a shallow clone?); diffing against the tip of `{name}`"
                ));
                (Some(name), base.tree().ok(), Some(base.id().to_string()))
            }
        },
        (Some(head), None) => {
            notes.push(format!(
                "git: none of `{}` exists; only uncommitted changes count",
                candidates.join("`, `")
            ));
            (
                Some("HEAD".to_string()),
                head.tree().ok(),
                Some(head.id().to_string()),
            )
        }
    };
    let mut options = git2::DiffOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_typechange(true);
    if !prefix.is_empty() {
        options.pathspec(format!("{prefix}/"));
    }
    let diff = repo
        .diff_tree_to_workdir_with_index(base_tree.as_ref(), Some(&mut options))
        .map_err(|e| git_err("diff the working tree", e))?;
    let mut paths = Vec::new();
    for delta in diff.deltas() {
        for file in [delta.old_file(), delta.new_file()] {
            if let Some(p) = file.path().and_then(Path::to_str) {
                let rel = if prefix.is_empty() {
                    Some(p)
                } else {
                    p.strip_prefix(&prefix).and_then(|r| r.strip_prefix('/'))
                };
                if let Some(rel) = rel.and_then(normalize) {
                    paths.push(rel);
                }
            }
        }
    }
    Ok(Some(ChangedPaths {
        source: "git".into(),
        base: base_name,
        base_commit,
        paths,
        notes,
    }))
}

/// Reads `path` (workspace-relative) as it was at `commit`, for comparing
/// registry definitions with the base. `None` when it cannot be read.
pub fn read_at_base(workspace: &Utf8Path, commit: &str, path: &str) -> Option<String> {
    let repo = git2::Repository::discover(workspace.as_std_path()).ok()?;
    let workdir = std::fs::canonicalize(repo.workdir()?).ok()?;
    let workspace = std::fs::canonicalize(workspace).ok()?;
    let prefix = workspace.strip_prefix(&workdir).ok()?;
    let full = Utf8PathBuf::try_from(prefix.join(path)).ok()?;
    let commit = repo.find_commit(git2::Oid::from_str(commit).ok()?).ok()?;
    let entry = commit.tree().ok()?.get_path(full.as_std_path()).ok()?;
    let blob = repo.find_blob(entry.id()).ok()?;
    String::from_utf8(blob.content().to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalize() {
        assert_eq!(normalize("./src/a.rs"), Some("src/a.rs".into()));
        assert_eq!(normalize("src//b/../a.rs"), Some("src/a.rs".into()));
        assert_eq!(normalize("a\\b.rs"), Some("a/b.rs".into()));
        assert_eq!(normalize("../outside"), None);
        assert_eq!(normalize("/abs"), None);
        assert_eq!(normalize("  "), None);
    }

    #[test]
    fn lists_split_on_newlines_commas_and_spaces() {
        assert_eq!(
            split_list("a.rs,b.rs c.rs\n./d.rs\n\n"),
            ["a.rs", "b.rs", "c.rs", "d.rs"]
        );
    }
}
