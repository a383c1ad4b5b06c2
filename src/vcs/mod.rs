//! Version control, for selection and for the manifest: which system the
//! workspace is under (jj when it is a jj workspace and `jj` is on PATH,
//! else git through libgit2), its state (commit, branch or change, dirty),
//! the paths changed since a base, and a file as it was at the base.
//!
//! What changed paths select is `select/`; where the state is recorded is
//! `run/` (manifest.json).

mod digests;
mod git;

pub use digests::{Digests, UNREADABLE, blob_id, workspace_digests};
mod jj;

use camino::Utf8Path;

use crate::error::{Error, ErrorKind};

/// `path` (workspace-relative) as it was at `base_commit` of changes
/// listed by `source` (`git`: a commit id; `jj`: a revset). `None` when it
/// cannot be read (new at the base, or another source).
pub fn read_at_base(
    workspace: &Utf8Path,
    source: &str,
    base_commit: &str,
    path: &str,
) -> Option<String> {
    match source {
        "git" => git::read_at_base(workspace, base_commit, path),
        "jj" => jj::read_at(workspace, base_commit, path),
        _ => None,
    }
}

/// A digest of `files` (path, content): SHA-1 over each path and its git
/// blob id in path order, as `sha1:<hex>` — libgit2's hash (with collision
/// detection), so no hash crate is added and each file's id is the one
/// `git hash-object` prints.
pub fn content_digest<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut lines: Vec<String> = files
        .into_iter()
        .map(|(path, bytes)| {
            let id = git2::Oid::hash_object(git2::ObjectType::Blob, bytes)
                .map_or_else(|_| "0".repeat(40), |o| o.to_string());
            format!("{id} {path}\n")
        })
        .collect();
    lines.sort_by(|a, b| a[41..].cmp(&b[41..]));
    let all = lines.concat();
    let id = git2::Oid::hash_object(git2::ObjectType::Blob, all.as_bytes())
        .map_or_else(|_| "0".repeat(40), |o| o.to_string());
    format!("sha1:{id}")
}

/// Why the changed paths could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum VcsError {
    /// `--changed` in a bare git repository: no working tree to compare.
    #[error("--changed cannot work in a bare git repository")]
    BareRepository,
    /// libgit2 failed.
    #[error("git: failed to {what}")]
    Git {
        /// What lab was doing: `diff the working tree`, …
        what: &'static str,
        /// libgit2's message.
        #[source]
        source: git::GitMessage,
    },
    /// `jj` could not be started.
    #[error("failed to run jj")]
    JjSpawn(#[source] std::io::Error),
    /// `jj diff` failed for every revset tried.
    #[error("jj could not list changed paths: {first}")]
    Jj {
        /// The first line jj printed.
        first: String,
    },
    /// A base given with `--base` does not exist.
    #[error("the base `{base}` does not exist ({what})")]
    UnknownBase {
        /// The base as given.
        base: String,
        /// What was tried, in words.
        what: String,
        /// The nearest branch or tag name.
        near: Option<String>,
    },
}

impl From<VcsError> for Error {
    /// A workspace `--changed` cannot work in is a usage error; a tool that
    /// fails underneath is an I/O error.
    fn from(e: VcsError) -> Self {
        let kind = match e {
            VcsError::BareRepository | VcsError::Jj { .. } | VcsError::UnknownBase { .. } => {
                ErrorKind::Usage
            }
            VcsError::Git { .. } | VcsError::JjSpawn(_) => ErrorKind::Io,
        };
        let hint = match &e {
            VcsError::UnknownBase {
                near: Some(near), ..
            } => Some(format!("did you mean `{near}`?")),
            VcsError::UnknownBase { near: None, .. } => Some(
                "name a branch, tag or commit that exists, or leave out --base to use [lab] base"
                    .to_string(),
            ),
            _ => None,
        };
        let err = Error::new(kind, e);
        match hint {
            Some(h) => err.hint(h),
            None => err,
        }
    }
}

/// The version control system of a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    /// A jj workspace (colocated with git or not), with `jj` on PATH.
    Jj,
    /// A git repository (the workspace or one of its parents).
    Git,
}

/// Which system answers for `workspace`: jj when it is a jj workspace and
/// `jj` is on `path_var`, else git when it is in a git repository.
pub fn system(workspace: &Utf8Path, path_var: Option<&str>) -> Option<System> {
    if workspace.ancestors().any(|d| d.join(".jj").is_dir())
        && crate::files::find_program("jj", path_var).is_some()
    {
        return Some(System::Jj);
    }
    git2::Repository::discover(workspace.as_std_path())
        .is_ok()
        .then_some(System::Git)
}

/// The state of a workspace's version control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// `git`, `jj` or `none`.
    pub kind: &'static str,
    /// The commit checked out (jj: of the working-copy change).
    pub commit: Option<String>,
    /// git: the branch; jj: the working-copy change id.
    pub branch: Option<String>,
    /// Uncommitted changes (jj: the working-copy change is not empty).
    pub dirty: Option<bool>,
}

/// The state of `workspace`'s version control; `kind: "none"` outside one.
pub fn state(workspace: &Utf8Path, path_var: Option<&str>) -> State {
    let found = match system(workspace, path_var) {
        Some(System::Jj) => jj::state(workspace).or_else(|| git::state(workspace)),
        Some(System::Git) => git::state(workspace),
        None => None,
    };
    found.unwrap_or(State {
        kind: "none",
        commit: None,
        branch: None,
        dirty: None,
    })
}

/// The commit time (seconds since the epoch) of what is checked out: git,
/// HEAD's; jj, the working-copy commit's. `None` outside a repository.
pub fn commit_time(workspace: &Utf8Path, path_var: Option<&str>) -> Option<i64> {
    match system(workspace, path_var)? {
        System::Jj => jj::commit_time(workspace).or_else(|| git::commit_time(workspace)),
        System::Git => git::commit_time(workspace),
    }
}

/// Paths changed since a base, and how the base was found.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// `jj` or `git`.
    pub source: &'static str,
    /// The revision diffed against.
    pub base: Option<String>,
    /// Where files are read as they were at the base: git, the commit the
    /// base resolved to; jj, a revset of the state the range starts from.
    pub base_commit: Option<String>,
    /// Workspace-relative, `/`-separated paths (unsorted, may repeat).
    pub paths: Vec<String>,
    /// Things the user should know (a missing base, a shallow clone, …).
    pub notes: Vec<String>,
}

/// The paths changed in `workspace` since `base`: jj's
/// `<base>..@` (falling back to `trunk()..@`, then `@`), or git's
/// committed-since-the-merge-base, staged, unstaged and untracked files.
/// `None` outside a repository.
pub fn changes(
    workspace: &Utf8Path,
    base: &Base<'_>,
    path_var: Option<&str>,
) -> Result<Option<Changes>, VcsError> {
    match system(workspace, path_var) {
        Some(System::Jj) => jj::changes(workspace, base).map(Some),
        Some(System::Git) => git::changes(workspace, base),
        None => Ok(None),
    }
}

/// What `--changed` diffs against.
#[derive(Debug, Clone, Copy)]
pub struct Base<'a> {
    /// A git ref or a jj revset.
    pub name: &'a str,
    /// Named with `--base`: it must exist. The default (`[lab] base`) may
    /// fall back to `origin/<base>`, `master`, … with a note.
    pub explicit: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workspace_changed_cannot_use_is_usage_and_a_failing_tool_is_io() {
        let bare = Error::from(VcsError::BareRepository);
        assert_eq!(
            (bare.exit_code(), bare.to_string().as_str()),
            (2, "--changed cannot work in a bare git repository")
        );
        let jj = Error::from(VcsError::JjSpawn(std::io::Error::from(
            std::io::ErrorKind::NotFound,
        )));
        assert_eq!(
            (jj.exit_code(), jj.to_string().as_str()),
            (1, "failed to run jj: entity not found")
        );
    }
}
