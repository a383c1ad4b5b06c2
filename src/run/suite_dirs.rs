//! Suite directories made cheap: built ahead of the suites that need them
//! and recycled when a suite is done with them.
//!
//! Every suite gets `tmp/`, `state.config/`, `state.data/`,
//! `state.secrets/` and `artifacts/` (0700) and two empty logs before its
//! command starts. On ext4 a `mkdir` costs 40–100 µs and an `rmdir` of a
//! directory 0.2–5 ms (its block is freed, and discarded on a `discard`
//! mount), while a `rename` costs 15–25 µs: so a background thread (the
//! janitor) assembles whole suite directories ("skeletons") in
//! `<run_root>/.spare/`, a suite takes one with a single rename, and the
//! directories a cleanup removes are, when empty and untouched, moved back
//! into skeletons instead of being deleted. Whatever is not pristine is
//! deleted for real. Spare directories outlive the run, so the next run
//! starts warm; they hold nothing.
//!
//! What goes into a suite directory and when it is cleaned up is decided
//! by the suite stages (`suite/prepare.rs`, `suite/cleanup.rs`).

use std::collections::VecDeque;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};

use camino::{Utf8Path, Utf8PathBuf};

use crate::files::random_u64;

/// The directories of a suite directory that exist before its command
/// starts.
pub const SUITE_SUBDIRS: [&str; 5] = [
    "tmp",
    "state.config",
    "state.data",
    "state.secrets",
    "artifacts",
];

/// The logs of a suite's command, created with its directory.
pub const COMMAND_LOGS: [&str; 2] = ["stdout.log", "stderr.log"];

/// At most this many skeletons wait ready, and at most this many spare
/// parts are kept (beyond that, emptied directories are deleted).
const READY_SKELETONS: usize = 4;
const SPARE_PARTS: usize = 4 * SUITE_SUBDIRS.len();

/// Creates one directory, 0700, whose parent exists.
fn mkdir(path: &Utf8Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new().mode(0o700).create(path)
}

/// Creates the suite directory `dir` (its parent exists) with its
/// [`SUITE_SUBDIRS`] and empty [`COMMAND_LOGS`] (0600), in place: one
/// syscall each, no parent walks.
pub fn build_in_place(dir: &Utf8Path) -> std::io::Result<()> {
    mkdir(dir)?;
    for sub in SUITE_SUBDIRS {
        mkdir(&dir.join(sub))?;
    }
    create_logs(dir)
}

fn create_logs(dir: &Utf8Path) -> std::io::Result<()> {
    for log in COMMAND_LOGS {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(dir.join(log))?;
    }
    Ok(())
}

/// Renames `from` to `to`, failing (not replacing) when `to` exists.
fn rename_new(from: &Utf8Path, to: &Utf8Path) -> std::io::Result<()> {
    rustix::fs::renameat_with(
        rustix::fs::CWD,
        from.as_std_path(),
        rustix::fs::CWD,
        to.as_std_path(),
        rustix::fs::RenameFlags::NOREPLACE,
    )
    .map_err(std::io::Error::from)
}

/// `true` for a directory, not a link, of lab's user, mode 0700.
fn private(meta: &std::fs::Metadata) -> bool {
    meta.is_dir()
        && meta.uid() == rustix::process::geteuid().as_raw()
        && meta.permissions().mode() & 0o7777 == 0o700
}

/// [`private`], for a path.
fn private_dir(path: &Utf8Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| private(&m))
}

/// `true` when `path` is a directory lab could have just made: not a
/// link, owned by lab's user, mode 0700, no extended attributes (ACLs),
/// empty. Anything else a suite may have changed is never reused.
fn pristine(path: &Utf8Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| private(&m) && m.nlink() == 2)
        && rustix::fs::listxattr(path.as_std_path(), &mut [0u8; 0]).is_ok_and(|n| n == 0)
        && std::fs::read_dir(path).is_ok_and(|mut d| d.next().is_none())
}

/// `true` when `skeleton` is a suite directory as the janitor assembles
/// it: every root a pristine-looking directory (not a link, lab's user,
/// 0700) and both logs empty regular files. `.spare/` is reachable from
/// the run directory, so a suite could plant something there for a later
/// run to take; what does not look made by lab is never taken.
fn well_formed(skeleton: &Utf8Path) -> bool {
    let uid = rustix::process::geteuid().as_raw();
    let empty_log = |p: &Utf8Path| {
        std::fs::symlink_metadata(p)
            .is_ok_and(|m| m.is_file() && m.uid() == uid && m.len() == 0 && m.nlink() == 1)
    };
    private_dir(skeleton)
        && SUITE_SUBDIRS
            .iter()
            .all(|sub| private_dir(&skeleton.join(sub)))
        && COMMAND_LOGS
            .iter()
            .all(|log| empty_log(&skeleton.join(log)))
}

/// Work for the janitor and what it has made.
#[derive(Default)]
struct Shelves {
    /// Directories a cleanup removed, to recycle or delete.
    disposals: VecDeque<Utf8PathBuf>,
    /// Pristine empty directories in `.spare/`.
    parts: Vec<Utf8PathBuf>,
    /// Whole suite directories in `.spare/`, ready to be taken.
    skeletons: Vec<Utf8PathBuf>,
}

/// The suite directories of one run: taken ready-made, given back when
/// cleaned up, while [`SuiteDirs::with_janitor`] runs.
pub struct SuiteDirs {
    spare: Utf8PathBuf,
    shelves: Mutex<Shelves>,
    wake: Condvar,
    stop: AtomicBool,
}

impl SuiteDirs {
    /// The suite directories of runs under `run_root`; spare directories
    /// left by earlier runs are picked up.
    pub fn new(run_root: &Utf8Path) -> Self {
        let spare = run_root.join(".spare");
        let mut shelves = Shelves::default();
        if mkdir(&spare).is_err()
            && let Ok(entries) = spare.read_dir_utf8()
        {
            for entry in entries.flatten() {
                let path = entry.path().to_path_buf();
                match entry.file_name().split_once('-') {
                    Some(("skeleton", _)) => shelves.skeletons.push(path),
                    Some(("part", _)) if pristine(&path) => shelves.parts.push(path),
                    _ => shelves.disposals.push_back(path),
                }
            }
        }
        SuiteDirs {
            spare,
            shelves: Mutex::new(shelves),
            wake: Condvar::new(),
            stop: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shelves> {
        self.shelves.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes the suite directory `dir` (its parent exists): a ready
    /// skeleton renamed into place, or built in place when none is ready.
    pub fn take(&self, dir: &Utf8Path) -> std::io::Result<()> {
        loop {
            let Some(skeleton) = self.lock().skeletons.pop() else {
                break;
            };
            self.wake.notify_one();
            if !well_formed(&skeleton) {
                self.lock().disposals.push_back(skeleton);
                continue;
            }
            if rename_new(&skeleton, dir).is_ok() {
                return Ok(());
            }
            // Another run took it, or `dir` exists: the latter fails below too.
        }
        build_in_place(dir)
    }

    /// Hands over directories a cleanup removes: each is recycled when
    /// pristine, deleted otherwise, before the janitor stops.
    pub fn dispose(&self, dirs: Vec<Utf8PathBuf>) {
        if dirs.is_empty() {
            return;
        }
        self.lock().disposals.extend(dirs);
        self.wake.notify_one();
    }

    /// Runs `f` with the janitor working on a thread of its own; returns
    /// once `f` has and every disposal is done (also when `f` panics).
    pub fn with_janitor<T>(&self, f: impl FnOnce() -> T) -> T {
        struct Stop<'a>(&'a SuiteDirs);
        impl Drop for Stop<'_> {
            fn drop(&mut self) {
                self.0.stop();
            }
        }
        std::thread::scope(|scope| {
            scope.spawn(|| self.janitor());
            let _stop = Stop(self);
            f()
        })
    }

    /// Asks the janitor to finish the disposals it has and stop.
    fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.notify_all();
    }

    /// The janitor: disposes of what cleanups hand over and keeps
    /// skeletons ready, until stopped and nothing is left to dispose of.
    fn janitor(&self) {
        // Housekeeping yields to the suites: on Linux this sets the nice
        // value of this thread only, and no suite is spawned from it.
        let _ = rustix::process::setpriority_process(None, 19);
        loop {
            let mut shelves = self.lock();
            while shelves.disposals.is_empty()
                && !self.stop.load(Ordering::SeqCst)
                && !self.should_assemble(&shelves)
            {
                shelves = self.wake.wait(shelves).unwrap_or_else(|e| e.into_inner());
            }
            if let Some(dir) = shelves.disposals.pop_front() {
                let keep = shelves.parts.len() < SPARE_PARTS;
                drop(shelves);
                self.dispose_one(&dir, keep);
            } else if self.should_assemble(&shelves) {
                let parts: Vec<Utf8PathBuf> = (0..SUITE_SUBDIRS.len())
                    .filter_map(|_| shelves.parts.pop())
                    .collect();
                drop(shelves);
                self.assemble(parts);
            } else if self.stop.load(Ordering::SeqCst) {
                return;
            }
        }
    }

    /// Skeletons are assembled from spare parts only: a run never creates
    /// directories it may not use.
    fn should_assemble(&self, shelves: &Shelves) -> bool {
        !self.stop.load(Ordering::SeqCst)
            && shelves.skeletons.len() < READY_SKELETONS
            && shelves.parts.len() >= SUITE_SUBDIRS.len()
    }

    fn dispose_one(&self, dir: &Utf8Path, keep: bool) {
        if keep && pristine(dir) {
            let part = self.spare.join(format!("part-{:016x}", random_u64()));
            if rename_new(dir, &part).is_ok() {
                self.lock().parts.push(part);
                return;
            }
        }
        // Not a link followed: std removes a symlink itself, never its target.
        if std::fs::remove_dir(dir).is_err() {
            // Disposal of what a finished suite left: whatever cannot be
            // removed stays in a spare directory, out of every run's way.
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    fn assemble(&self, parts: Vec<Utf8PathBuf>) {
        let shell = self.spare.join(format!("build-{:016x}", random_u64()));
        let built = mkdir(&shell).and_then(|()| {
            for (part, sub) in parts.iter().zip(SUITE_SUBDIRS) {
                rename_new(part, &shell.join(sub))?;
            }
            create_logs(&shell)
        });
        let ready = self.spare.join(format!("skeleton-{:016x}", random_u64()));
        if built.and_then(|()| rename_new(&shell, &ready)).is_ok() {
            self.lock().skeletons.push(ready);
        } else {
            // A half-built shell: whatever it holds is deleted.
            self.lock().disposals.push_back(shell);
            for part in parts.iter().filter(|p| p.exists()) {
                self.lock().disposals.push_back(part.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> (tempfile::TempDir, Utf8PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = Utf8PathBuf::try_from(dir.path().to_path_buf()).expect("utf-8");
        (dir, path)
    }

    fn listing(dir: &Utf8Path) -> Vec<String> {
        let mut names: Vec<String> = dir
            .read_dir_utf8()
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn taken_directories_hold_every_root_and_both_logs() {
        let (_keep, root) = root();
        let dirs = SuiteDirs::new(&root);
        dirs.take(&root.join("a")).expect("take");
        assert_eq!(
            listing(&root.join("a")),
            [
                "artifacts",
                "state.config",
                "state.data",
                "state.secrets",
                "stderr.log",
                "stdout.log",
                "tmp"
            ]
        );
        let mode = std::fs::metadata(root.join("a/state.secrets"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        assert!(dirs.take(&root.join("a")).is_err(), "never replaces");
    }

    #[test]
    fn a_planted_skeleton_is_never_taken() {
        let (_keep, root) = root();
        let outside = root.join("outside");
        std::fs::create_dir(&outside).expect("outside");
        let spare = root.join(".spare");
        std::fs::create_dir(&spare).expect("spare");
        // What a suite could leave in `.spare/`: a suite directory whose
        // tmp/ is a link out of the run, and one with a log linked elsewhere.
        let linked = spare.join("skeleton-0000000000000001");
        build_in_place(&linked).expect("build");
        std::fs::remove_dir(linked.join("tmp")).expect("rmdir");
        std::os::unix::fs::symlink(&outside, linked.join("tmp")).expect("link");
        let hard = spare.join("skeleton-0000000000000002");
        build_in_place(&hard).expect("build");
        std::fs::remove_file(hard.join("stdout.log")).expect("rm");
        std::fs::write(outside.join("victim"), "").expect("victim");
        std::fs::hard_link(outside.join("victim"), hard.join("stdout.log")).expect("hard link");
        let dirs = SuiteDirs::new(&root);
        for name in ["a", "b"] {
            dirs.take(&root.join(name)).expect("take");
            let tmp = std::fs::symlink_metadata(root.join(name).join("tmp")).expect("tmp");
            assert!(tmp.is_dir(), "{name}/tmp is a real directory");
            let log = std::fs::metadata(root.join(name).join("stdout.log")).expect("log");
            assert_eq!(log.nlink(), 1, "{name}/stdout.log is lab's own file");
        }
        dirs.with_janitor(|| ());
        assert!(listing(&spare).is_empty(), "planted skeletons are deleted");
        assert_eq!(listing(&outside), ["victim"], "never followed");
    }

    #[test]
    fn pristine_directories_are_recycled_and_touched_ones_deleted() {
        let (_keep, root) = root();
        let dirs = SuiteDirs::new(&root);
        for name in ["a", "b"] {
            dirs.take(&root.join(name)).expect("take");
        }
        // `a` is left as made; `b`'s roots were written to, widened, or
        // swapped for a link to a directory that must survive.
        let outside = root.join("outside");
        std::fs::create_dir(&outside).expect("outside");
        std::fs::write(outside.join("keep"), "x").expect("keep");
        std::fs::write(root.join("b/tmp/file"), "x").expect("write");
        std::fs::set_permissions(
            root.join("b/state.data"),
            std::fs::Permissions::from_mode(0o755),
        )
        .expect("chmod");
        std::fs::remove_dir(root.join("b/state.config")).expect("rmdir");
        std::os::unix::fs::symlink(&outside, root.join("b/state.config")).expect("link");
        dirs.with_janitor(|| {
            for name in ["a", "b"] {
                dirs.dispose(
                    SUITE_SUBDIRS
                        .iter()
                        .map(|sub| root.join(name).join(sub))
                        .collect(),
                );
            }
        });
        for name in ["a", "b"] {
            assert_eq!(listing(&root.join(name)), ["stderr.log", "stdout.log"]);
        }
        assert_eq!(
            listing(&outside),
            ["keep"],
            "a link is removed, not followed"
        );
        // `a`'s five roots and `b`'s two untouched ones are kept as spare
        // parts; `b`'s three touched ones were deleted.
        let spare = listing(&root.join(".spare"));
        assert_eq!(spare.len(), 7, "{spare:?}");
        assert!(spare.iter().all(|p| p.starts_with("part-")), "{spare:?}");
        // The next run picks them up, assembles a suite directory from
        // five of them, and takes it with one rename.
        let next = SuiteDirs::new(&root);
        let parts: Vec<Utf8PathBuf> = (0..5).filter_map(|_| next.lock().parts.pop()).collect();
        next.assemble(parts);
        assert_eq!(next.lock().skeletons.len(), 1);
        next.take(&root.join("c")).expect("take");
        assert_eq!(listing(&root.join(".spare")).len(), 2);
        assert_eq!(
            listing(&root.join("c")),
            [
                "artifacts",
                "state.config",
                "state.data",
                "state.secrets",
                "stderr.log",
                "stdout.log",
                "tmp"
            ]
        );
    }
}
