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

/// Every file the walk finds (honouring `.gitignore`), each read.
fn walked_digests(workspace: &Utf8Path) -> Digests {
    let walker = ignore::WalkBuilder::new(workspace)
        .hidden(false)
        .require_git(false)
        .filter_entry(|e| !matches!(e.file_name().to_str(), Some(".git" | ".jj")))
        .build();
    let mut files = Vec::new();
    for entry in walker.flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(workspace.as_std_path()) else {
            continue;
        };
        let Some(rel) = rel.to_str() else { continue };
        let digest = digest_file(entry.path()).unwrap_or_else(|| UNREADABLE.to_string());
        files.push((rel.replace('\\', "/"), digest));
    }
    files.sort_unstable();
    let read = files.len();
    Digests { files, read }
}
