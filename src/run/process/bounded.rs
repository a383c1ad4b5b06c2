//! A short helper child (a readiness probe) run to its end under a hard
//! deadline, on the calling thread: both pipes drained as data arrives (a
//! chatty child never blocks on a full pipe), its whole process group
//! killed at once when the deadline passes or lab is interrupted. Suites'
//! commands, with their grace periods and sweeps, are `child.rs`.

use std::io::Read;
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

use rustix::process::Signal;

use super::child::poll_pipes;
use super::signals::Interrupts;
use super::spawn as process;

/// How long the pipes are still read after the child ended or was killed
/// (a descendant that left its group may hold them open).
const DRAIN_LIMIT: Duration = Duration::from_millis(250);

/// How a bounded child ended.
#[derive(Debug)]
pub enum Bounded {
    /// It exited (or was killed by someone else) before the deadline.
    Exited(ExitStatus),
    /// The deadline passed: its group was killed.
    TimedOut,
    /// lab was interrupted: its group was killed.
    Interrupted,
    /// It ended but its status could not be had.
    Lost,
}

/// Drives `child` (spawned in its own process group, pipes taken from it
/// here) until it exits, `deadline` passes or `interrupts` fires; every
/// chunk it writes, on either stream, goes to `sink` in arrival order.
pub fn drive_bounded(
    mut child: Child,
    deadline: Instant,
    interrupts: &Interrupts,
    sink: &mut dyn FnMut(&[u8]),
) -> Bounded {
    let pid = child.id();
    let mut pipes = Pipes {
        out: child.stdout.take(),
        err: child.stderr.take(),
    };
    #[cfg(target_os = "linux")]
    let pidfd = rustix::process::Pid::from_raw(pid as i32)
        .and_then(|p| rustix::process::pidfd_open(p, rustix::process::PidfdFlags::empty()).ok());
    #[cfg(not(target_os = "linux"))]
    let pidfd: Option<std::os::fd::OwnedFd> = None;
    let mut buf = vec![0u8; 64 * 1024];
    let ended = loop {
        let stop = if process::has_exited(pid) {
            None
        } else if Instant::now() >= deadline {
            Some(Bounded::TimedOut)
        } else if interrupts.interrupted() {
            Some(Bounded::Interrupted)
        } else {
            let tick = Duration::from_millis(if pidfd.is_some() { 100 } else { 10 });
            let wait = tick.min(deadline.saturating_duration_since(Instant::now()));
            pipes.read(wait, pidfd.as_ref(), &mut buf, sink);
            continue;
        };
        // Its whole group goes, whatever it left there; the leader is not
        // reaped yet, so the group id is still its own.
        process::signal_group(pid, Signal::KILL);
        // KILL cannot be ignored: the wait is short.
        let status = child.wait();
        break match (stop, status) {
            (Some(stop), _) => stop,
            (None, Ok(status)) => Bounded::Exited(status),
            // Reaped by someone else: it ended, how is unknown.
            (None, Err(_)) => Bounded::Lost,
        };
    };
    process::forget(pid);
    // What is still buffered (or held open by a process that left the group).
    let drain_until = Instant::now() + DRAIN_LIMIT;
    while pipes.open() && Instant::now() < drain_until {
        let wait = drain_until.saturating_duration_since(Instant::now());
        pipes.read(wait, None, &mut buf, sink);
    }
    ended
}

/// The child's two output pipes, each closed at its end.
struct Pipes {
    out: Option<std::process::ChildStdout>,
    err: Option<std::process::ChildStderr>,
}

impl Pipes {
    fn open(&self) -> bool {
        self.out.is_some() || self.err.is_some()
    }

    /// Waits up to `wait` for output (or the exit, through `pidfd`), and
    /// hands what arrived to `sink`; which of stdout, stderr, exit were ready.
    fn read(
        &mut self,
        wait: Duration,
        pidfd: Option<&std::os::fd::OwnedFd>,
        buf: &mut [u8],
        sink: &mut dyn FnMut(&[u8]),
    ) -> [bool; 3] {
        let ready = poll_pipes(self.out.as_ref(), self.err.as_ref(), pidfd, wait);
        if ready[0]
            && let Some(o) = &mut self.out
        {
            match o.read(buf) {
                Ok(0) | Err(_) => self.out = None,
                Ok(n) => sink(&buf[..n]),
            }
        }
        if ready[1]
            && let Some(e) = &mut self.err
        {
            match e.read(buf) {
                Ok(0) | Err(_) => self.err = None,
                Ok(n) => sink(&buf[..n]),
            }
        }
        ready
    }
}
