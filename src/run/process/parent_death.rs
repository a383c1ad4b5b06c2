//! Children that die with lab: `PR_SET_PDEATHSIG` (SIGKILL) armed in the
//! child between fork and exec, so that even a `kill -KILL` of lab takes
//! its namespace holder, services and suites' top processes down with it.
//!
//! The kernel sends the signal when the *thread* that forked the child
//! ends, not the process: a child must be spawned from a thread that
//! outlives it. lab spawns them from the engine's workers, which live
//! until every suite of the run has been wound down (`engine.rs`), and
//! from the main thread. What the top process starts itself is not
//! covered here (the signal is not inherited across fork): the run's
//! watchdog (`watchdog.rs`) finds those by their tag.

use std::os::unix::process::CommandExt;
use std::process::Command;

/// Arms `cmd` to receive SIGKILL when the spawning thread ends (Linux;
/// elsewhere nothing). When lab is already gone by the time the child
/// arms it (it was reparented), the child does not run at all.
#[allow(unsafe_code)]
pub fn die_with_lab(cmd: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        let lab = rustix::process::getpid();
        // SAFETY: the closure runs in the forked child before exec, where
        // only async-signal-safe calls are allowed: it makes two raw
        // system calls (prctl, getppid) through rustix, which allocate
        // nothing and take no lock, and builds an io::Error from a
        // constant kind (no allocation).
        unsafe {
            cmd.pre_exec(move || {
                rustix::process::set_parent_process_death_signal(Some(
                    rustix::process::Signal::KILL,
                ))?;
                // The parent may have died between fork and prctl: the
                // signal would then never come. Refuse to run instead.
                if rustix::process::getppid() != Some(lab) {
                    return Err(std::io::ErrorKind::BrokenPipe.into());
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cmd;
}
