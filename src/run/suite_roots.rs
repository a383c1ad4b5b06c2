//! Where a suite's roots live (docs/run-directory.md#suite-roots):
//! `tmp/`, `state.config/`, `state.data/` and `state.secrets/` of each
//! suite are made outside the workspace, under the system temp directory,
//! because tests walk up from a temp directory to find "the project root"
//! and must not find the repository lab runs in, and because unix-socket
//! paths must stay under 108 bytes. The suite directory keeps a link to
//! each, so the run directory reads as before.
//!
//! ```text
//! <temp>/lab-<uid>/            0700, one per user
//!   spare/<n>/                 pristine roots a finished run left for the next
//!   <group>/                   0700, one per run
//!     run -> <run directory>   whose absence frees the group
//!     <n>/tmp/ state.config/ state.data/ state.secrets/    one suite's roots
//! ```
//!
//! Making, recycling and removing them on the janitor thread is
//! `suite_dirs.rs`; which roots a suite gets is decided there too.

use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::sync::atomic::{AtomicU64, Ordering};

use camino::{Utf8Path, Utf8PathBuf};

use crate::files::random_u64;

/// A suite's roots, in the order they are made.
pub const ROOTS: [&str; 4] = ["tmp", "state.config", "state.data", "state.secrets"];

/// Names that make a directory look like a project's root to the tools a
/// suite runs: a temp directory under one of them changes what tests see.
const PROJECT_MARKERS: [&str; 10] = [
    ".git",
    ".hg",
    ".jj",
    ".svn",
    "package.json",
    "Cargo.toml",
    "pyproject.toml",
    "go.mod",
    "pnpm-workspace.yaml",
    "suites.toml",
];

/// A group without its `run` link is one being made, unless it is older
/// than this (a run killed between the two steps).
const UNCLAIMED_GRACE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// One run's place for suite roots: `<temp>/lab-<uid>/<group>/`.
#[derive(Debug)]
pub struct Area {
    /// `<temp>/lab-<uid>`.
    pub home: Utf8PathBuf,
    /// This run's group.
    pub group: Utf8PathBuf,
    next: AtomicU64,
}

impl Area {
    /// Makes this run's group in `<base>/lab-<uid>` (`base` from
    /// [`temp_base`]), linked to `run_dir`.
    pub fn open(base: &Utf8Path, run_dir: &Utf8Path) -> std::io::Result<Self> {
        let home = home(base)?;
        let group = loop {
            let group = home.join(format!("{:06x}", random_u64() & 0xff_ffff));
            match mkdir(&group) {
                Ok(()) => break group,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        };
        std::os::unix::fs::symlink(run_dir, group.join("run"))?;
        Ok(Area {
            home,
            group,
            next: AtomicU64::new(1),
        })
    }

    /// A fresh path for one suite's roots in this run's group (not made).
    pub fn next_roots(&self) -> Utf8PathBuf {
        self.group
            .join(self.next.fetch_add(1, Ordering::Relaxed).to_string())
    }

    /// Where finished runs leave pristine roots for the next.
    pub fn spare(&self) -> Utf8PathBuf {
        self.home.join("spare")
    }
}

/// The first of lab's temp directory, `/tmp`, `/var/tmp` and `/dev/shm`
/// that is a directory outside `workspace` with no project marker in it or
/// above it; lab's temp directory when none is.
pub fn temp_base(workspace: &Utf8Path) -> Utf8PathBuf {
    let workspace = workspace
        .canonicalize_utf8()
        .unwrap_or_else(|_| workspace.to_path_buf());
    let own = std::env::temp_dir();
    let candidates = [
        own.as_path(),
        "/tmp".as_ref(),
        "/var/tmp".as_ref(),
        "/dev/shm".as_ref(),
    ];
    let resolved: Vec<Utf8PathBuf> = candidates
        .iter()
        .filter_map(|c| Utf8PathBuf::try_from(std::fs::canonicalize(c).ok()?).ok())
        .filter(|c| c.is_dir())
        .collect();
    let suitable = |dir: &Utf8Path| {
        !dir.starts_with(&workspace)
            && dir.ancestors().all(|a| {
                PROJECT_MARKERS
                    .iter()
                    .all(|m| std::fs::symlink_metadata(a.join(m)).is_err())
            })
    };
    resolved
        .iter()
        .find(|d| suitable(d))
        .or(resolved.first())
        .cloned()
        .unwrap_or_else(|| Utf8PathBuf::from("/tmp"))
}

/// `<base>/lab-<uid>`, made 0700 when missing; a name someone else holds
/// (or that is not private) is skipped for `lab-<uid>.1`, `.2`, ….
fn home(base: &Utf8Path) -> std::io::Result<Utf8PathBuf> {
    let uid = rustix::process::geteuid().as_raw();
    for n in 0..8 {
        let name = match n {
            0 => format!("lab-{uid}"),
            n => format!("lab-{uid}.{n}"),
        };
        let home = base.join(name);
        match mkdir(&home) {
            Ok(()) => return Ok(home),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if private(&home) {
                    return Ok(home);
                }
            }
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(format!(
        "every `lab-{uid}*` directory in `{base}` belongs to someone else or is not private"
    )))
}

/// Creates one directory, 0700, whose parent exists.
fn mkdir(path: &Utf8Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new().mode(0o700).create(path)
}

/// `true` for a directory, not a link, of lab's user, closed to others.
fn private(path: &Utf8Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| {
        m.is_dir()
            && m.uid() == rustix::process::geteuid().as_raw()
            && m.permissions().mode() & 0o077 == 0
    })
}

/// Makes one suite's roots `dir` (its parent exists): `dir` and each of
/// [`ROOTS`], 0700.
pub fn build(dir: &Utf8Path) -> std::io::Result<()> {
    mkdir(dir)?;
    for root in ROOTS {
        mkdir(&dir.join(root))?;
    }
    Ok(())
}

/// Links each of [`ROOTS`] in the suite directory `suite_dir` to the one
/// in `roots`.
pub fn link(suite_dir: &Utf8Path, roots: &Utf8Path) -> std::io::Result<()> {
    for root in ROOTS {
        std::os::unix::fs::symlink(roots.join(root), suite_dir.join(root))?;
    }
    Ok(())
}

/// `true` when each of [`ROOTS`] in `suite_dir` is a link to the one in
/// `roots`, and each of those a private directory.
pub fn linked(suite_dir: &Utf8Path, roots: &Utf8Path) -> bool {
    ROOTS.iter().all(|root| {
        std::fs::read_link(suite_dir.join(root)).is_ok_and(|t| t == roots.join(root))
            && private(&roots.join(root))
    })
}

/// Removes the links (or whatever a suite put in their place) to the
/// roots from `suite_dir`; a link is removed, never followed.
pub fn unlink(suite_dir: &Utf8Path) {
    for root in ROOTS {
        let path = suite_dir.join(root);
        // Disposable either way: what cannot be removed stays in a run
        // directory that is deleted with the run.
        if std::fs::remove_file(&path).is_err() {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// `true` when `roots` is as [`build`] made it: private, holding the four
/// roots and nothing else, each empty, private, without extended
/// attributes. Anything a suite may have changed is never reused.
pub fn pristine(roots: &Utf8Path) -> bool {
    let empty = |p: &Utf8Path| {
        std::fs::symlink_metadata(p).is_ok_and(|m| m.nlink() == 2)
            && private(p)
            && rustix::fs::listxattr(p.as_std_path(), &mut [0u8; 0]).is_ok_and(|n| n == 0)
            && std::fs::read_dir(p).is_ok_and(|mut d| d.next().is_none())
    };
    private(roots)
        && std::fs::read_dir(roots).is_ok_and(|d| d.count() == ROOTS.len())
        && ROOTS.iter().all(|r| empty(&roots.join(r)))
}

/// Removes a suite's roots, whatever is in them, links never followed.
pub fn remove(roots: &Utf8Path) {
    // Best effort: what cannot be removed stays in lab's own temp
    // directory, and goes with its group.
    let _ = std::fs::remove_dir_all(roots);
}

/// Removes, in `home`, every group whose run directory is gone (pruned,
/// deleted, or never finished making), and returns how many.
pub fn sweep(home: &Utf8Path) -> usize {
    let Ok(entries) = home.read_dir_utf8() else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let group = entry.path();
        if entry.file_name() == "spare" || !private(group) {
            continue;
        }
        let gone = match std::fs::read_link(group.join("run")) {
            Ok(run) => std::fs::symlink_metadata(run).is_err(),
            Err(_) => std::fs::symlink_metadata(group)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > UNCLAIMED_GRACE)),
        };
        if gone && std::fs::remove_dir_all(group).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// `true` when the skeleton (or suite directory) `dir` links to roots in
/// a group whose run directory still exists.
pub fn claimed(dir: &Utf8Path) -> bool {
    let Ok(target) = std::fs::read_link(dir.join(ROOTS[0])) else {
        return false;
    };
    target
        .parent()
        .and_then(|roots| roots.parent())
        .and_then(|group| std::fs::read_link(group.join("run")).ok())
        .is_some_and(|run| std::fs::symlink_metadata(run).is_ok())
}

/// Removes `group` when it holds nothing but its `run` link: no suite of
/// the run kept its roots.
pub fn release_group(group: &Utf8Path) {
    let only_link = group
        .read_dir_utf8()
        .is_ok_and(|d| d.flatten().all(|e| e.file_name() == "run"));
    if only_link {
        // Best effort: a group left behind goes with its run.
        let _ = std::fs::remove_file(group.join("run"));
        let _ = std::fs::remove_dir(group);
    }
}

/// [`sweep`] of the roots of runs under `workspace` and every other
/// workspace of this user on this machine (`lab runs prune`).
pub fn sweep_for(workspace: &Utf8Path) -> usize {
    let uid = rustix::process::geteuid().as_raw();
    let base = temp_base(workspace);
    (0..8)
        .map(|n| match n {
            0 => base.join(format!("lab-{uid}")),
            n => base.join(format!("lab-{uid}.{n}")),
        })
        .filter(|home| private(home))
        .map(|home| sweep(&home))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> (tempfile::TempDir, Utf8PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path =
            Utf8PathBuf::try_from(dir.path().canonicalize().expect("resolve")).expect("utf-8");
        (dir, path)
    }

    #[test]
    fn a_temp_base_is_never_in_the_workspace_or_under_a_project() {
        let (_keep, ws) = dir();
        let base = temp_base(&ws);
        assert!(!base.starts_with(&ws), "{base} is in {ws}");
        for a in base.ancestors() {
            for m in PROJECT_MARKERS {
                assert!(!a.join(m).exists(), "{a}/{m}");
            }
        }
    }

    #[test]
    fn roots_are_pristine_until_touched_and_groups_go_with_their_run() {
        let (_keep, tmp) = dir();
        let home = tmp.join("lab-home");
        mkdir(&home).expect("home");
        let run = tmp.join("run");
        mkdir(&run).expect("run");
        let group = home.join("g");
        mkdir(&group).expect("group");
        std::os::unix::fs::symlink(&run, group.join("run")).expect("link");
        let roots = group.join("1");
        build(&roots).expect("build");
        assert!(pristine(&roots));
        let suite = tmp.join("suite");
        mkdir(&suite).expect("suite");
        link(&suite, &roots).expect("link");
        assert!(linked(&suite, &roots));
        std::fs::write(suite.join("tmp/x"), "").expect("write through the link");
        assert!(!pristine(&roots));
        std::fs::remove_file(roots.join("tmp/x")).expect("rm");
        assert!(pristine(&roots));
        std::fs::write(roots.join("extra"), "").expect("write");
        assert!(!pristine(&roots));
        unlink(&suite);
        assert!(std::fs::read_dir(&suite).expect("read").next().is_none());
        assert!(roots.join("tmp").is_dir(), "unlink never follows");
        assert_eq!(sweep(&home), 0, "the run is there");
        std::fs::remove_dir(&run).expect("rm run");
        assert_eq!(sweep(&home), 1);
        assert!(!group.exists());
    }
}
