//! git through libgit2: HEAD's state, the paths changed since a base (its
//! merge base with HEAD), and a file as it was at a commit.

use std::path::Path;

use camino::{Utf8Path, Utf8PathBuf};

use super::{Changes, State};
use crate::error::Error;
use crate::files::normalize_relative;

/// Committed since the merge base with the base, staged, unstaged and
/// untracked (not ignored); deletions and both names of renames. `None`
/// outside a git repository.
pub fn changes(workspace: &Utf8Path, base: &str) -> Result<Option<Changes>, Error> {
    let Ok(repo) = git2::Repository::discover(workspace.as_std_path()) else {
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
    let workspace = std::fs::canonicalize(workspace).unwrap_or_else(|_| workspace.into());
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
        base.to_string(),
        format!("origin/{}", base),
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
                if let Some(rel) = rel.and_then(normalize_relative) {
                    paths.push(rel);
                }
            }
        }
    }
    Ok(Some(Changes {
        source: "git",
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

/// HEAD's commit and branch, and whether anything is uncommitted.
pub fn state(workspace: &Utf8Path) -> Option<State> {
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
    Some(State {
        kind: "git",
        commit,
        branch,
        dirty,
    })
}
