//! The content digest of every file in the workspace, for cache keys
//! (docs/running.md#caching): git blob ids, taken from the index for
//! tracked files the working tree leaves unmodified (nothing is read), and
//! computed from the file for modified and untracked ones. Outside a git
//! repository every file is read. Ignored files are not listed.
//!
//! Which files a suite's key covers is `run/cache`'s business.

use camino::Utf8Path;
use foldhash::{HashMap, HashMapExt};

/// Workspace-relative path → content digest (40 hex digits, a git blob
/// id), for every file lab can see.
#[derive(Debug, Default)]
pub struct Digests {
    /// The digests, sorted by path.
    pub files: Vec<(String, String)>,
    /// How many files had to be read.
    pub read: usize,
}

/// The git blob id of `bytes`.
pub fn blob_id(bytes: &[u8]) -> String {
    git2::Oid::hash_object(git2::ObjectType::Blob, bytes)
        .map(|o| o.to_string())
        .unwrap_or_default()
}

/// The digest of the file at `path`; `None` when it cannot be read.
fn digest_file(path: &std::path::Path) -> Option<String> {
    std::fs::read(path).ok().map(|b| blob_id(&b))
}

/// Digests of every file of `workspace`.
pub fn workspace_digests(workspace: &Utf8Path) -> Digests {
    match git_digests(workspace) {
        Some(d) => d,
        None => walked_digests(workspace),
    }
}

/// From git's index and status; `None` outside a git working tree.
fn git_digests(workspace: &Utf8Path) -> Option<Digests> {
    let repo = git2::Repository::discover(workspace.as_std_path()).ok()?;
    let prefix = super::git::workspace_prefix(&repo, workspace).ok()?;
    let prefix = match prefix.is_empty() {
        true => String::new(),
        false => format!("{prefix}/"),
    };
    let workdir = repo.workdir()?.to_path_buf();
    let index = repo.index().ok()?;
    let mut files: HashMap<String, Option<String>> = HashMap::with_capacity(index.len());
    for entry in index.iter() {
        let Ok(path) = std::str::from_utf8(&entry.path) else {
            continue;
        };
        if let Some(rel) = path.strip_prefix(&prefix) {
            files.insert(rel.to_string(), Some(entry.id.to_string()));
        }
    }
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(true);
    if !prefix.is_empty() {
        opts.pathspec(&prefix);
    }
    let statuses = repo.statuses(Some(&mut opts)).ok()?;
    let changed = git2::Status::WT_MODIFIED
        | git2::Status::WT_NEW
        | git2::Status::WT_TYPECHANGE
        | git2::Status::WT_RENAMED;
    let mut read = 0;
    for s in statuses.iter() {
        let Some(rel) = s.path().ok().and_then(|p| p.strip_prefix(&prefix)) else {
            continue;
        };
        let status = s.status();
        if status.contains(git2::Status::WT_DELETED) {
            files.remove(rel);
        } else if status.intersects(changed) {
            read += 1;
            files.insert(
                rel.to_string(),
                digest_file(&workdir.join(&prefix).join(rel)),
            );
        }
    }
    let mut files: Vec<(String, String)> = files
        .into_iter()
        .map(|(p, d)| (p, d.unwrap_or_else(|| UNREADABLE.to_string())))
        .collect();
    files.sort_unstable();
    Some(Digests { files, read })
}

/// The digest of a file that could not be read: never equal to a blob id,
/// and the run that reads it never hits (see `run/cache`).
pub const UNREADABLE: &str = "unreadable";

/// Every file `lab check`'s walk finds (honouring `.gitignore`), each read.
fn walked_digests(workspace: &Utf8Path) -> Digests {
    let mut files: Vec<(String, String)> = crate::registry::check::workspace_files(workspace)
        .into_iter()
        .map(|rel| {
            let digest = digest_file(workspace.join(&rel).as_std_path())
                .unwrap_or_else(|| UNREADABLE.to_string());
            (rel, digest)
        })
        .collect();
    files.sort_unstable();
    let read = files.len();
    Digests { files, read }
}
