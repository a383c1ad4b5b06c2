//! One child process driven to its end on the calling thread: both pipes
//! read with poll as data arrives (no reader threads), its exit seen
//! through a pidfd, the timeout and Ctrl-C turned into TERM then KILL of its
//! process group, and whatever it left running swept away.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::process::Signal;

use super::capture::{Capture, CaptureConfig, Captured};
use super::exit::exit_parts;
use super::redact::Redactor;
use super::signals::Interrupts;
use super::spawn as process;
use crate::outputs::LeakedRecord;

/// How long a process group gets between TERM and KILL.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// How long lab keeps reading pipes that a process it could not kill holds open.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// What to run and where its output goes.
pub struct Spec<'a> {
    /// Run with `sh -c`.
    pub command: &'a str,
    /// Working directory.
    pub cwd: &'a Path,
    /// The whole environment.
    pub env: &'a BTreeMap<String, String>,
    /// Where stdout goes.
    pub stdout: CaptureConfig,
    /// Where stderr goes.
    pub stderr: CaptureConfig,
    /// Secrets to keep out of the logs.
    pub redactor: &'a Redactor,
    /// Kill it after this long.
    pub timeout: Option<Duration>,
    /// `NAME=value` entries that mark its escaped descendants.
    pub tag: &'a [String],
    /// Ctrl-C and friends.
    pub interrupts: &'a Interrupts,
    /// Program and arguments put in front of `/bin/sh -c` (isolation).
    pub wrapper: &'a [String],
    /// The umask the process starts with (`None`: lab's).
    pub umask: Option<u32>,
    /// Asked as the child runs: `true` when something it needs is gone
    /// (a service died); it is then stopped like on Ctrl-C.
    pub watch: Option<&'a dyn Fn() -> bool>,
}

/// How the child ended.
#[derive(Debug, Default)]
pub struct Driven {
    /// Its pid.
    pub pid: u32,
    /// Exit code, when it exited.
    pub exit_code: Option<i32>,
    /// Signal that ended it.
    pub signal: Option<i32>,
    /// Killed for its timeout.
    pub timed_out: bool,
    /// Stopped because lab was interrupted.
    pub interrupted: bool,
    /// Stopped because its `watch` said so.
    pub unneeded: bool,
    /// Processes it left running, killed.
    pub leaked: Vec<LeakedRecord>,
    /// Its stdout.
    pub stdout: Captured,
    /// Its stderr.
    pub stderr: Captured,
    /// Wall time from spawn to the end of the sweep.
    pub duration: Duration,
}

fn timespec(d: Duration) -> Timespec {
    Timespec {
        tv_sec: d.as_secs() as _,
        tv_nsec: d.subsec_nanos() as _,
    }
}

/// Waits up to `wait` until a child's stdout, stderr or pidfd (any may be
/// absent) has something to say; which of the three are ready.
pub fn poll_pipes(
    out: Option<&std::process::ChildStdout>,
    err: Option<&std::process::ChildStderr>,
    pidfd: Option<&std::os::fd::OwnedFd>,
    wait: Duration,
) -> [bool; 3] {
    let mut fds: Vec<PollFd<'_>> = Vec::with_capacity(3);
    let mut slots = [usize::MAX; 3];
    if let Some(o) = out {
        slots[0] = fds.len();
        fds.push(PollFd::new(o, PollFlags::IN));
    }
    if let Some(e) = err {
        slots[1] = fds.len();
        fds.push(PollFd::new(e, PollFlags::IN));
    }
    if let Some(p) = pidfd {
        slots[2] = fds.len();
        fds.push(PollFd::new(p, PollFlags::IN));
    }
    // A failed poll (EINTR) reports nothing ready; the caller polls again.
    let _ = rustix::event::poll(&mut fds, Some(&timespec(wait)));
    slots.map(|slot| slot != usize::MAX && !fds[slot].revents().is_empty())
}

/// Why a child could not be driven to its end.
#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    /// It could not be started.
    #[error("could not start the command")]
    Start(#[source] std::io::Error),
    /// Its logs could not be created or written (a full disk, no file
    /// descriptors left): it was killed with its group, since what it did
    /// could not be recorded.
    #[error("lab could not record the command's output")]
    Record(#[source] std::io::Error),
}

/// Runs `spec` to its end. Fails only when the child cannot be started or
/// its logs cannot be created or written (then it is killed first).
pub fn drive(spec: &Spec<'_>) -> Result<Driven, DriveError> {
    let started = Instant::now();
    let deadline = spec.timeout.map(|t| started + t);
    let mut child = Driving::start(spec)?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if child.status.is_none() && child.pidfd.is_none() {
            child.status = child.child.try_wait().ok().flatten();
        }
        if child.status.is_some() && child.drain_until.is_none() {
            child.sweep(spec);
        }
        if child.status.is_some() && child.out.is_none() && child.err.is_none() {
            break;
        }
        if child.drain_until.is_some_and(|d| Instant::now() >= d) {
            break; // a writer lab could not kill holds the pipes; stop reading
        }
        // Wait for output, the exit, or the next check of timeout and signals.
        let mut wait = Duration::from_millis(if child.pidfd.is_some() { 100 } else { 10 });
        if let (None, Some(d)) = (child.term_sent, deadline) {
            wait = wait.min(d.saturating_duration_since(Instant::now()));
        }
        if let Err(e) = child.read_or_reap(wait, &mut buf) {
            child.abort(spec);
            make_room(spec, &e);
            return Err(DriveError::Record(e));
        }
        if child.status.is_none() {
            child.stop_when_due(spec, deadline);
        }
    }
    child.finish(started).map_err(DriveError::Record)
}

/// After a log filled the disk (or the file size limit): cut both logs to
/// their first 16 KiB and drop their tail files, so the space lab took is
/// given back and the run's summary can still be written.
fn make_room(spec: &Spec<'_>, error: &std::io::Error) {
    use std::io::ErrorKind::{FileTooLarge, QuotaExceeded, StorageFull};
    if !matches!(error.kind(), StorageFull | QuotaExceeded | FileTooLarge) {
        return;
    }
    for path in [&spec.stdout.path, &spec.stderr.path] {
        // Best effort: whatever cannot be cut stays as it is.
        let _ = std::fs::remove_file(format!("{path}.tail"));
        if let Ok(file) = std::fs::OpenOptions::new().write(true).open(path)
            && file.metadata().is_ok_and(|m| m.len() > 16 << 10)
        {
            let _ = file.set_len(16 << 10);
        }
    }
}

/// A child being driven: its pipes and logs, and how far its end has come.
struct Driving<'r> {
    child: std::process::Child,
    /// Readable once the child exited (Linux), so the wait needs no polling.
    pidfd: Option<std::os::fd::OwnedFd>,
    out: Option<std::process::ChildStdout>,
    err: Option<std::process::ChildStderr>,
    out_cap: Capture<'r>,
    err_cap: Capture<'r>,
    status: Option<std::process::ExitStatus>,
    /// When TERM went to its group (timeout or Ctrl-C).
    term_sent: Option<Instant>,
    /// After the exit: read what is left in the pipes until then.
    drain_until: Option<Instant>,
    driven: Driven,
}

impl<'r> Driving<'r> {
    /// Creates the logs and starts the child.
    fn start(spec: &Spec<'r>) -> Result<Self, DriveError> {
        let out_cap = Capture::new(&spec.stdout, spec.redactor).map_err(DriveError::Record)?;
        let err_cap = Capture::new(&spec.stderr, spec.redactor).map_err(DriveError::Record)?;
        let mut child =
            process::spawn_shell_masked(spec.command, spec.cwd, spec.env, spec.wrapper, spec.umask)
                .map_err(DriveError::Start)?;
        let pid = child.id();
        process::span_started(pid);
        #[cfg(target_os = "linux")]
        let pidfd = rustix::process::Pid::from_raw(pid as i32).and_then(|p| {
            rustix::process::pidfd_open(p, rustix::process::PidfdFlags::empty()).ok()
        });
        #[cfg(not(target_os = "linux"))]
        let pidfd: Option<std::os::fd::OwnedFd> = None;
        Ok(Driving {
            out: child.stdout.take(),
            err: child.stderr.take(),
            child,
            pidfd,
            out_cap,
            err_cap,
            status: None,
            term_sent: None,
            drain_until: None,
            driven: Driven {
                pid,
                ..Driven::default()
            },
        })
    }

    /// The child exited: everything it left running is swept (at once on
    /// a second Ctrl-C), then its pipes are drained for a while.
    fn sweep(&mut self, spec: &Spec<'_>) {
        let pid = self.driven.pid;
        process::forget(pid);
        process::span_ended(pid);
        let grace = if spec.interrupts.again() {
            Duration::ZERO
        } else {
            STOP_GRACE
        };
        self.driven.leaked =
            process::sweep_redacted(pid, spec.tag, grace, spec.interrupts, spec.redactor);
        self.drain_until = Some(Instant::now() + DRAIN_LIMIT);
    }

    /// What it does can no longer be recorded: KILL its group and every
    /// escapee at once, and reap it.
    fn abort(&mut self, spec: &Spec<'_>) {
        let pid = self.driven.pid;
        process::signal_group(pid, Signal::KILL);
        // Killed above; the wait only reaps it.
        let _ = self.child.wait();
        process::forget(pid);
        process::span_ended(pid);
        self.driven.leaked = process::sweep_redacted(
            pid,
            spec.tag,
            Duration::ZERO,
            spec.interrupts,
            spec.redactor,
        );
    }

    /// Waits up to `wait` for output or the exit; logs what arrived.
    fn read_or_reap(&mut self, wait: Duration, buf: &mut [u8]) -> std::io::Result<()> {
        let pid_fd = if self.status.is_none() {
            self.pidfd.as_ref()
        } else {
            None
        };
        let [out_ready, err_ready, exited] =
            poll_pipes(self.out.as_ref(), self.err.as_ref(), pid_fd, wait);
        if out_ready && let Some(o) = &mut self.out {
            match o.read(buf) {
                Ok(0) | Err(_) => self.out = None,
                Ok(n) => self.out_cap.feed(&buf[..n])?,
            }
        }
        if err_ready && let Some(e) = &mut self.err {
            match e.read(buf) {
                Ok(0) | Err(_) => self.err = None,
                Ok(n) => self.err_cap.feed(&buf[..n])?,
            }
        }
        if exited {
            self.status = self.child.wait().ok();
        }
        Ok(())
    }

    /// Past the deadline, on Ctrl-C or when `watch` says so: TERM to the
    /// group, and KILL once the grace is over (or on a second Ctrl-C).
    fn stop_when_due(&mut self, spec: &Spec<'_>, deadline: Option<Instant>) {
        let pid = self.driven.pid;
        match self.term_sent {
            None => {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    self.driven.timed_out = true;
                } else if spec.interrupts.interrupted() {
                    self.driven.interrupted = true;
                    // This signal is answered with TERM and the grace
                    // period; only a later one cuts it short.
                    spec.interrupts.acknowledge();
                } else if spec.watch.is_some_and(|gone| gone()) {
                    self.driven.unneeded = true;
                } else {
                    return;
                }
                process::signal_group(pid, Signal::TERM);
                self.term_sent = Some(Instant::now());
            }
            Some(at) => {
                if at.elapsed() >= STOP_GRACE || spec.interrupts.again() {
                    process::signal_group(pid, Signal::KILL);
                }
            }
        }
    }

    /// How it ended, with its logs completed.
    fn finish(mut self, started: Instant) -> std::io::Result<Driven> {
        if let Some(s) = self.status {
            (self.driven.exit_code, self.driven.signal) = exit_parts(s);
        }
        self.driven.stdout = self.out_cap.finish()?;
        self.driven.stderr = self.err_cap.finish()?;
        self.driven.duration = started.elapsed();
        Ok(self.driven)
    }
}
