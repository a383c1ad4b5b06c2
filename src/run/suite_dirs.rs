//! Suite directories made cheap: built ahead of the suites that need them
//! and recycled when a suite is done with them.
//!
//! Every suite gets `artifacts/` (0700) and two empty logs in its suite
//! directory, and its roots (`tmp/`, `state.*/`) outside the workspace
//! (`suite_roots.rs`), linked from its suite directory, before its command
//! starts. On ext4 a `mkdir` costs 40–100 µs and an `rmdir` of a
//! directory 0.2–5 ms (its block is freed, and discarded on a `discard`
//! mount), while a `rename` costs 15–25 µs: so a background thread (the
//! janitor) assembles whole suite directories ("skeletons", their roots
//! made and linked) in `<run_root>/.spare/`, a suite takes one with a
//! single rename, and what a cleanup removes is, when empty and
//! untouched, kept for the next skeleton instead of being deleted.
//! Whatever is not pristine is deleted for real. Spare directories outlive
//! the run (roots in `<temp>/lab-<uid>/spare/`), so the next run starts
//! warm; they hold nothing.
//!
//! What goes into a suite directory and when it is cleaned up is decided
//! by the suite stages (`suite/prepare.rs`, `suite/cleanup.rs`).

use std::collections::VecDeque;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};

use camino::{Utf8Path, Utf8PathBuf};

use super::suite_roots::{self, Area};
use crate::files::random_u64;

/// The directories of a suite directory that exist before its command
/// starts (besides the links to its roots).
pub const SUITE_SUBDIRS: [&str; 1] = ["artifacts"];

/// The logs of a suite's command, created with its directory.
pub const COMMAND_LOGS: [&str; 2] = ["stdout.log", "stderr.log"];

/// At most this many skeletons wait ready, at most this many spare parts
/// and ready roots are kept (beyond that, emptied directories are
/// deleted), and at most this many roots are left for the next run.
const READY_SKELETONS: usize = 4;
const SPARE_PARTS: usize = 4 * SUITE_SUBDIRS.len();
const READY_ROOTS: usize = 8;
const SPARE_ROOTS: usize = 8;

/// Creates one directory, 0700, whose parent exists.
fn mkdir(path: &Utf8Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new().mode(0o700).create(path)
}

/// Creates the suite directory `dir` (its parent exists) with its
/// [`SUITE_SUBDIRS`] and empty [`COMMAND_LOGS`] (0600), in place: one
/// syscall each, no parent walks. Its roots are made apart.
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
/// it: `artifacts/` a pristine-looking directory (not a link, lab's user,
/// 0700), both logs empty regular files, and each root a link to its
/// roots. `.spare/` is reachable from the run directory, so a suite could
/// plant something there for a later run to take; what does not look made
/// by lab is never taken.
fn well_formed(skeleton: &Skeleton) -> bool {
    let uid = rustix::process::geteuid().as_raw();
    let empty_log = |p: &Utf8Path| {
        std::fs::symlink_metadata(p)
            .is_ok_and(|m| m.is_file() && m.uid() == uid && m.len() == 0 && m.nlink() == 1)
    };
    let path = &skeleton.path;
    private_dir(path)
        && SUITE_SUBDIRS.iter().all(|sub| private_dir(&path.join(sub)))
        && COMMAND_LOGS.iter().all(|log| empty_log(&path.join(log)))
        && suite_roots::linked(path, &skeleton.roots)
}

/// A suite directory ready in `.spare/` and the roots it links to.
#[derive(Debug, Clone)]
struct Skeleton {
    path: Utf8PathBuf,
    roots: Utf8PathBuf,
}

/// What a cleanup hands the janitor.
enum Disposal {
    /// A directory of a suite directory (or of `.spare/`): recycled as a
    /// part when pristine, else deleted.
    Dir(Utf8PathBuf),
    /// A suite's roots: the links in its suite directory removed, the
    /// roots kept ready when pristine, else deleted.
    Roots {
        suite_dir: Utf8PathBuf,
        roots: Utf8PathBuf,
    },
}

/// Work for the janitor and what it has made.
#[derive(Default)]
struct Shelves {
    /// What cleanups removed, to recycle or delete.
    disposals: VecDeque<Disposal>,
    /// Pristine empty directories in `.spare/`.
    parts: Vec<Utf8PathBuf>,
    /// Pristine roots in this run's group, not linked from anywhere.
    roots: Vec<Utf8PathBuf>,
    /// Whole suite directories in `.spare/`, ready to be taken.
    skeletons: Vec<Skeleton>,
    /// Skeletons other runs left in `.spare/`: deleted once their run is gone.
    foreign: Vec<Utf8PathBuf>,
}

/// The roots a suite will get, chosen before anything is made (its
/// environment names them), and the skeleton that links to them if one
/// was ready.
#[derive(Debug)]
pub struct Reserved {
    roots: Utf8PathBuf,
    skeleton: Option<Skeleton>,
}

impl Reserved {
    /// The suite's roots directory: `tmp/`, `state.*/` are inside.
    pub fn roots(&self) -> &Utf8Path {
        &self.roots
    }
}

/// The suite directories of one run: taken ready-made, given back when
/// cleaned up, while [`SuiteDirs::with_janitor`] runs.
pub struct SuiteDirs {
    spare: Utf8PathBuf,
    area: Area,
    shelves: Mutex<Shelves>,
    wake: Condvar,
    stop: AtomicBool,
}

impl SuiteDirs {
    /// The suite directories of the run `run_dir` under `run_root`, with
    /// their roots in `<temp_base>/lab-<uid>/` (see
    /// [`suite_roots::temp_base`]); spare directories left by earlier runs
    /// are picked up.
    pub fn new(
        run_root: &Utf8Path,
        temp_base: &Utf8Path,
        run_dir: &Utf8Path,
    ) -> std::io::Result<Self> {
        let area = Area::open(temp_base, run_dir)?;
        let spare = run_root.join(".spare");
        let mut shelves = Shelves::default();
        if mkdir(&spare).is_err()
            && let Ok(entries) = spare.read_dir_utf8()
        {
            for entry in entries.flatten() {
                let path = entry.path().to_path_buf();
                match entry.file_name().split_once('-') {
                    Some(("skeleton", _)) => shelves.foreign.push(path),
                    Some(("part", _)) if pristine(&path) => shelves.parts.push(path),
                    _ => shelves.disposals.push_back(Disposal::Dir(path)),
                }
            }
        }
        Ok(SuiteDirs {
            spare,
            area,
            shelves: Mutex::new(shelves),
            wake: Condvar::new(),
            stop: AtomicBool::new(false),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shelves> {
        self.shelves.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Chooses the roots of the next suite: those of a ready skeleton, or a
    /// fresh path in this run's group. Nothing is made yet.
    pub fn reserve(&self) -> Reserved {
        loop {
            let Some(skeleton) = self.lock().skeletons.pop() else {
                break;
            };
            self.wake.notify_one();
            if well_formed(&skeleton) {
                return Reserved {
                    roots: skeleton.roots.clone(),
                    skeleton: Some(skeleton),
                };
            }
            let mut shelves = self.lock();
            shelves.disposals.push_back(Disposal::Roots {
                suite_dir: skeleton.path.clone(),
                roots: skeleton.roots,
            });
            shelves.disposals.push_back(Disposal::Dir(skeleton.path));
        }
        Reserved {
            roots: self.area.next_roots(),
            skeleton: None,
        }
    }

    /// Gives back roots a suite never used (it was stopped before its
    /// directory was made).
    pub fn release(&self, reserved: Reserved) {
        if let Some(skeleton) = reserved.skeleton {
            self.lock().skeletons.push(skeleton);
        }
    }

    /// Makes the suite directory `dir` (its parent exists) with the roots
    /// of `reserved`: a ready skeleton renamed into place, or built in
    /// place (roots made and linked) when none was ready.
    pub fn take(&self, dir: &Utf8Path, reserved: Reserved) -> std::io::Result<()> {
        let roots_made = match reserved.skeleton {
            Some(skeleton) => {
                if rename_new(&skeleton.path, dir).is_ok() {
                    return Ok(());
                }
                // Gone (another run's janitor took it for junk): its roots
                // are still there, and are used in place.
                self.lock()
                    .disposals
                    .push_back(Disposal::Dir(skeleton.path));
                self.wake.notify_one();
                true
            }
            None => false,
        };
        build_in_place(dir)?;
        if !roots_made {
            suite_roots::build(&reserved.roots)?;
        }
        suite_roots::link(dir, &reserved.roots)
    }

    /// Hands over directories a cleanup removes: each is recycled when
    /// pristine, deleted otherwise, before the janitor stops.
    pub fn dispose(&self, dirs: Vec<Utf8PathBuf>) {
        if dirs.is_empty() {
            return;
        }
        self.lock()
            .disposals
            .extend(dirs.into_iter().map(Disposal::Dir));
        self.wake.notify_one();
    }

    /// Hands over a suite's roots and the links to them in `suite_dir`:
    /// the links go, the roots are recycled when pristine, deleted
    /// otherwise, before the janitor stops.
    pub fn dispose_roots(&self, suite_dir: &Utf8Path, roots: &Utf8Path) {
        self.lock().disposals.push_back(Disposal::Roots {
            suite_dir: suite_dir.to_path_buf(),
            roots: roots.to_path_buf(),
        });
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

    /// The janitor: first the housekeeping of earlier runs' leftovers, then
    /// disposes of what cleanups hand over and keeps skeletons ready,
    /// until stopped and nothing is left to dispose of; then leaves what it
    /// has ready for the next run.
    fn janitor(&self) {
        // Housekeeping yields to the suites: on Linux this sets the nice
        // value of this thread only, and no suite is spawned from it.
        let _ = rustix::process::setpriority_process(None, 19);
        self.housekeeping();
        loop {
            let mut shelves = self.lock();
            while shelves.disposals.is_empty()
                && !self.stop.load(Ordering::SeqCst)
                && !self.should_assemble(&shelves)
            {
                shelves = self.wake.wait(shelves).unwrap_or_else(|e| e.into_inner());
            }
            // Assembling comes first: a suite about to start wants a
            // skeleton more than the janitor wants its backlog gone.
            if self.should_assemble(&shelves) {
                let part = shelves.parts.pop();
                let roots = shelves.roots.pop();
                drop(shelves);
                if let (Some(part), Some(roots)) = (part, roots) {
                    self.assemble(part, roots);
                }
            } else if let Some(disposal) = shelves.disposals.pop_front() {
                let keep_part = shelves.parts.len() < SPARE_PARTS;
                let keep_roots = shelves.roots.len() < READY_ROOTS;
                drop(shelves);
                self.dispose_one(disposal, keep_part, keep_roots);
            } else if self.stop.load(Ordering::SeqCst) {
                drop(shelves);
                self.retire();
                return;
            }
        }
    }

    /// Skeletons are assembled from spare parts and recycled roots only: a
    /// run never creates directories it may not use.
    fn should_assemble(&self, shelves: &Shelves) -> bool {
        !self.stop.load(Ordering::SeqCst)
            && shelves.skeletons.len() < READY_SKELETONS
            && shelves.parts.len() >= SUITE_SUBDIRS.len()
            && !shelves.roots.is_empty()
    }

    fn dispose_one(&self, disposal: Disposal, keep_part: bool, keep_roots: bool) {
        match disposal {
            Disposal::Dir(dir) => {
                if keep_part && pristine(&dir) {
                    let part = self.spare.join(format!("part-{:016x}", random_u64()));
                    if rename_new(&dir, &part).is_ok() {
                        self.lock().parts.push(part);
                        return;
                    }
                }
                // Not a link followed: std removes a symlink itself, never its target.
                if std::fs::remove_dir(&dir).is_err() {
                    // Disposal of what a finished suite left: whatever cannot be
                    // removed stays in a spare directory, out of every run's way.
                    let _ = std::fs::remove_dir_all(&dir);
                }
            }
            Disposal::Roots { suite_dir, roots } => {
                suite_roots::unlink(&suite_dir);
                if keep_roots && suite_roots::pristine(&roots) {
                    self.lock().roots.push(roots);
                } else {
                    suite_roots::remove(&roots);
                }
            }
        }
    }

    fn assemble(&self, part: Utf8PathBuf, roots: Utf8PathBuf) {
        let shell = self.spare.join(format!("build-{:016x}", random_u64()));
        let built = mkdir(&shell).and_then(|()| {
            rename_new(&part, &shell.join(SUITE_SUBDIRS[0]))?;
            create_logs(&shell)?;
            suite_roots::link(&shell, &roots)
        });
        let ready = self.spare.join(format!("skeleton-{:016x}", random_u64()));
        if built.and_then(|()| rename_new(&shell, &ready)).is_ok() {
            self.lock().skeletons.push(Skeleton { path: ready, roots });
        } else {
            // A half-built shell: whatever it holds is deleted, links
            // first (never followed), then the roots, if pristine, kept.
            let mut shelves = self.lock();
            shelves.disposals.push_back(Disposal::Roots {
                suite_dir: shell.clone(),
                roots,
            });
            shelves.disposals.push_back(Disposal::Dir(shell));
            if part.exists() {
                shelves.disposals.push_back(Disposal::Dir(part));
            }
        }
    }

    /// Before anything else: removes the roots of runs that are gone
    /// (killed, pruned, deleted), takes over the roots earlier runs left
    /// spare, and deletes skeletons whose run is gone.
    fn housekeeping(&self) {
        suite_roots::sweep(&self.area.home);
        if let Ok(entries) = self.area.spare().read_dir_utf8() {
            for entry in entries.flatten() {
                let spare = entry.path();
                if self.lock().roots.len() >= READY_ROOTS || !suite_roots::pristine(spare) {
                    suite_roots::remove(spare);
                    continue;
                }
                let roots = self.area.next_roots();
                // Another run may have taken it first: then it is theirs.
                if rename_new(spare, &roots).is_ok() {
                    self.lock().roots.push(roots);
                }
            }
        }
        let foreign = std::mem::take(&mut self.lock().foreign);
        for skeleton in foreign {
            if !suite_roots::claimed(&skeleton) {
                // Links are removed, never followed; their roots went with
                // their run's group.
                let _ = std::fs::remove_dir_all(&skeleton);
            }
        }
        self.wake.notify_one();
    }

    /// When the run is done: ready roots are left spare for the next run
    /// (up to [`SPARE_ROOTS`]), the skeletons linking to them are taken
    /// apart, and this run's group goes when nothing in it was kept.
    fn retire(&self) {
        let (skeletons, roots) = {
            let mut shelves = self.lock();
            (
                std::mem::take(&mut shelves.skeletons),
                std::mem::take(&mut shelves.roots),
            )
        };
        let spare = self.area.spare();
        // Only lab's user can write in its home: a plain mkdir is enough.
        let _ = mkdir(&spare);
        let mut room =
            SPARE_ROOTS.saturating_sub(spare.read_dir_utf8().map_or(SPARE_ROOTS, |d| d.count()));
        let unlinked = skeletons.iter().map(|s| {
            suite_roots::unlink(&s.path);
            // Best effort: a leftover skeleton is deleted by the next run.
            let _ = std::fs::remove_dir_all(&s.path);
            s.roots.clone()
        });
        for r in unlinked.collect::<Vec<_>>().into_iter().chain(roots) {
            let kept = room > 0
                && suite_roots::pristine(&r)
                && rename_new(&r, &spare.join(format!("{:016x}", random_u64()))).is_ok();
            if kept {
                room -= 1;
            } else {
                suite_roots::remove(&r);
            }
        }
        suite_roots::release_group(&self.area.group);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run root with one run directory in it, and a temp base of its
    /// own (tests run side by side).
    fn run() -> (tempfile::TempDir, Utf8PathBuf, Utf8PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let ws = Utf8PathBuf::try_from(dir.path().canonicalize().expect("resolve")).expect("utf-8");
        let root = ws.join("ws/runs");
        let run = root.join("r1");
        std::fs::create_dir_all(&run).expect("run dir");
        std::fs::create_dir(ws.join("temp")).expect("temp");
        (dir, root, run)
    }

    /// The temp base of [`run`]'s run root.
    fn base(root: &Utf8Path) -> Utf8PathBuf {
        root.join("../../temp")
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

    const SUITE_DIR: [&str; 7] = [
        "artifacts",
        "state.config",
        "state.data",
        "state.secrets",
        "stderr.log",
        "stdout.log",
        "tmp",
    ];

    #[test]
    fn taken_directories_link_to_private_roots_outside_the_workspace() {
        let (_keep, root, run) = run();
        let dirs = SuiteDirs::new(&root, &base(&root), &run).expect("dirs");
        let reserved = dirs.reserve();
        let roots = reserved.roots().to_path_buf();
        assert!(roots.starts_with(base(&root)), "{roots}");
        let a = run.join("a");
        dirs.take(&a, reserved).expect("take");
        assert_eq!(listing(&a), SUITE_DIR);
        assert!(suite_roots::linked(&a, &roots));
        assert!(suite_roots::pristine(&roots));
        for r in suite_roots::ROOTS {
            let mode = std::fs::metadata(roots.join(r))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700, "{r}");
        }
        assert!(dirs.take(&a, dirs.reserve()).is_err(), "never replaces");
        dirs.dispose_roots(&a, &roots);
        dirs.with_janitor(|| ());
        assert_eq!(listing(&a), ["artifacts", "stderr.log", "stdout.log"]);
        assert!(!roots.exists(), "left spare for the next run, or deleted");
        assert!(
            !dirs.area.group.exists(),
            "an empty group goes with its run"
        );
    }

    #[test]
    fn a_planted_skeleton_is_never_taken() {
        let (_keep, root, run) = run();
        let outside = root.join("outside");
        std::fs::create_dir_all(&outside).expect("outside");
        let spare = root.join(".spare");
        std::fs::create_dir(&spare).expect("spare");
        // What a suite could leave in `.spare/`: a suite directory whose
        // tmp/ is a link to a directory that must survive.
        let planted = spare.join("skeleton-0000000000000001");
        build_in_place(&planted).expect("build");
        for r in suite_roots::ROOTS {
            std::os::unix::fs::symlink(&outside, planted.join(r)).expect("link");
        }
        std::fs::write(outside.join("victim"), "").expect("victim");
        let dirs = SuiteDirs::new(&root, &base(&root), &run).expect("dirs");
        let reserved = dirs.reserve();
        assert!(reserved.roots().starts_with(&dirs.area.group));
        dirs.take(&run.join("a"), reserved).expect("take");
        let tmp = std::fs::read_link(run.join("a/tmp")).expect("tmp");
        assert!(tmp.starts_with(&dirs.area.group), "{}", tmp.display());
        dirs.with_janitor(|| ());
        assert!(listing(&spare).is_empty(), "planted skeletons are deleted");
        assert_eq!(listing(&outside), ["victim"], "never followed");
    }

    #[test]
    fn pristine_roots_are_recycled_and_touched_ones_deleted() {
        let (_keep, root, run) = run();
        let dirs = SuiteDirs::new(&root, &base(&root), &run).expect("dirs");
        let mut roots = Vec::new();
        for name in ["a", "b"] {
            let reserved = dirs.reserve();
            roots.push(reserved.roots().to_path_buf());
            dirs.take(&run.join(name), reserved).expect("take");
        }
        // `a` is left as made; `b`'s tmp/ was written to.
        std::fs::write(run.join("b/tmp/file"), "x").expect("write");
        dirs.with_janitor(|| {
            for (name, r) in ["a", "b"].iter().zip(&roots) {
                dirs.dispose_roots(&run.join(name), r);
                dirs.dispose(vec![run.join(name).join("artifacts")]);
            }
        });
        for name in ["a", "b"] {
            assert_eq!(listing(&run.join(name)), ["stderr.log", "stdout.log"]);
        }
        assert!(!roots[1].exists(), "touched roots are deleted");
        // The next run takes over what was pristine: a whole suite
        // directory is assembled from the spare part and roots, and
        // taken with one rename.
        let run2 = root.join("r2");
        std::fs::create_dir(&run2).expect("run 2");
        let next = SuiteDirs::new(&root, &base(&root), &run2).expect("dirs");
        next.housekeeping();
        let (part, ready) = {
            let mut shelves = next.lock();
            (shelves.parts.pop(), shelves.roots.pop())
        };
        next.assemble(part.expect("a spare part"), ready.expect("spare roots"));
        let reserved = next.reserve();
        assert!(reserved.skeleton.is_some());
        let adopted = reserved.roots().to_path_buf();
        assert!(adopted.starts_with(&next.area.group), "{adopted}");
        next.take(&run2.join("c"), reserved).expect("take");
        assert_eq!(listing(&run2.join("c")), SUITE_DIR);
        assert!(suite_roots::linked(&run2.join("c"), &adopted));
        // Its run gone, the next run's housekeeping removes its roots.
        std::fs::remove_dir_all(&run2).expect("rm run");
        suite_roots::sweep(&next.area.home);
        assert!(!adopted.exists());
    }
}
