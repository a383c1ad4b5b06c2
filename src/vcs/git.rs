//! git through libgit2: HEAD's state, the paths changed since a base (its
//! merge base with HEAD), and a file as it was at a commit.

use std::path::Path;

use camino::{Utf8Path, Utf8PathBuf};

use super::{Changes, State, VcsError};
use crate::files::normalize_relative;

/// libgit2's message without its class and code, which say nothing to a
/// user.
#[derive(Debug)]
pub struct GitMessage(git2::Error);

impl std::fmt::Display for GitMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.message())
    }
}

impl std::error::Error for GitMessage {}

fn git_error(what: &'static str) -> impl FnOnce(git2::Error) -> VcsError {
    move |e| VcsError::Git {
        what,
        source: GitMessage(e),
    }
}

/// What the changes are counted from: the base's name, its tree and
/// commit (all `None` before the first commit).
struct Base<'r> {
    name: Option<String>,
    tree: Option<git2::Tree<'r>>,
    commit: Option<String>,
}

/// Committed since the merge base with the base, staged, unstaged and
/// untracked (not ignored); deletions and both names of renames. `None`
/// outside a git repository.
pub fn changes(workspace: &Utf8Path, base: &super::Base<'_>) -> Result<Option<Changes>, VcsError> {
    let Ok(repo) = git2::Repository::discover(workspace.as_std_path()) else {
        return Ok(None);
    };
    let prefix = workspace_prefix(&repo, workspace)?;
    let mut notes = Vec::new();
    let base = resolve_base(&repo, base, &mut notes)?;
    let paths = changed_paths(&repo, base.tree.as_ref(), &prefix)?;
    Ok(Some(Changes {
        source: "git",
        base: base.name,
        base_commit: base.commit,
        paths,
        notes,
    }))
}

/// Where the workspace sits in the repository's working tree (`""` at its
/// root): the workspace may be a sub-directory.
pub(super) fn workspace_prefix(
    repo: &git2::Repository,
    workspace: &Utf8Path,
) -> Result<String, VcsError> {
    let Some(workdir) = repo.workdir().map(Path::to_path_buf) else {
        return Err(VcsError::BareRepository);
    };
    let workdir = std::fs::canonicalize(&workdir).unwrap_or(workdir);
    let workspace = std::fs::canonicalize(workspace).unwrap_or_else(|_| workspace.into());
    Ok(workspace
        .strip_prefix(&workdir)
        .ok()
        .and_then(|p| p.to_str())
        .map(|p| p.replace('\\', "/"))
        .unwrap_or_default())
}

/// The first of `base`, `origin/<base>`, `master` and `origin/master`
/// that exists, as its merge base with HEAD; what was settled for instead
/// goes to `notes`.
fn resolve_base<'r>(
    repo: &'r git2::Repository,
    given: &super::Base<'_>,
    notes: &mut Vec<String>,
) -> Result<Base<'r>, VcsError> {
    let head = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let base = given.name;
    let mut candidates = vec![base.to_string(), format!("origin/{}", base)];
    if !given.explicit {
        candidates.extend(["master".to_string(), "origin/master".to_string()]);
    }
    let found = candidates.iter().find_map(|name| {
        let obj = repo.revparse_single(name).ok()?;
        obj.peel_to_commit().ok().map(|c| (name.clone(), c))
    });
    if given.explicit && found.is_none() && head.is_some() {
        return Err(VcsError::UnknownBase {
            base: base.to_string(),
            what: format!("neither `{base}` nor `origin/{base}` resolves to a commit"),
            near: near_ref(repo, base),
        });
    }
    match (&head, found) {
        (None, _) => {
            notes.push(
                "git: no commits yet; every file in the index or working tree counts as changed"
                    .into(),
            );
            Ok(Base {
                name: None,
                tree: None,
                commit: None,
            })
        }
        (Some(head), Some((name, base))) => match repo.merge_base(head.id(), base.id()) {
            Ok(mb) => {
                let commit = repo
                    .find_commit(mb)
                    .map_err(git_error("read the merge base"))?;
                Ok(Base {
                    name: Some(name),
                    tree: commit.tree().ok(),
                    commit: Some(mb.to_string()),
                })
            }
            Err(_) => {
                notes.push(format!(
                    "git: no merge base between HEAD and `{name}` (a shallow clone?); diffing against the tip of `{name}`"
                ));
                Ok(Base {
                    name: Some(name),
                    tree: base.tree().ok(),
                    commit: Some(base.id().to_string()),
                })
            }
        },
        (Some(head), None) => {
            notes.push(format!(
                "git: none of `{}` exists; only uncommitted changes count",
                candidates.join("`, `")
            ));
            Ok(Base {
                name: Some("HEAD".to_string()),
                tree: head.tree().ok(),
                commit: Some(head.id().to_string()),
            })
        }
    }
}

/// The branch or tag name nearest to `wanted`, for a did-you-mean.
fn near_ref(repo: &git2::Repository, wanted: &str) -> Option<String> {
    let names: Vec<String> = repo
        .references()
        .ok()?
        .flatten()
        .filter_map(|r| r.shorthand().ok().map(str::to_string))
        .collect();
    crate::registry::diagnostic::did_you_mean(wanted, names.iter().map(String::as_str))
        .map(str::to_string)
}

/// The paths that differ between `base_tree` and the working tree (index
/// included), relative to the workspace at `prefix`.
fn changed_paths(
    repo: &git2::Repository,
    base_tree: Option<&git2::Tree<'_>>,
    prefix: &str,
) -> Result<Vec<String>, VcsError> {
    let mut options = git2::DiffOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_typechange(true);
    if !prefix.is_empty() {
        options.pathspec(format!("{prefix}/"));
    }
    let diff = repo
        .diff_tree_to_workdir_with_index(base_tree, Some(&mut options))
        .map_err(git_error("diff the working tree"))?;
    let mut paths = Vec::new();
    for delta in diff.deltas() {
        for file in [delta.old_file(), delta.new_file()] {
            // A name that is not UTF-8 is kept, its bad bytes replaced,
            // never dropped.
            let Some(p) = file.path_bytes().map(String::from_utf8_lossy) else {
                continue;
            };
            let p = p.as_ref();
            let rel = if prefix.is_empty() {
                Some(p)
            } else {
                p.strip_prefix(prefix).and_then(|r| r.strip_prefix('/'))
            };
            if let Some(rel) = rel.and_then(normalize_relative) {
                paths.push(rel);
            }
        }
    }
    Ok(paths)
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

/// HEAD's commit time, seconds since the epoch.
pub fn commit_time(workspace: &Utf8Path) -> Option<i64> {
    let repo = git2::Repository::discover(workspace.as_std_path()).ok()?;
    let commit = repo.head().ok()?.peel_to_commit().ok()?;
    Some(commit.time().seconds())
}
