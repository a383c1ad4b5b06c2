//! The run's watchdog, for when lab itself is killed (`kill -KILL`, the
//! OOM killer): a small lab process (`lab __watchdog NAME=value`) in its
//! own process group that holds the read end of a pipe only lab writes to.
//! When lab ends in order it says `done` first and the watchdog leaves;
//! when lab dies, the pipe closes unsaid and the watchdog kills every
//! process that carries the run's tag (`<PREFIX>_RUN_ID=<run id>`) in its
//! environment: what the suites' top processes started, which the
//! parent-death signal (`parent_death.rs`) does not reach.

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use rustix::process::Signal;

use super::spawn;

/// What lab writes before it ends in order.
const DONE: &[u8] = b"done\n";

/// How long the watchdog keeps looking for tagged processes (new ones may
/// still be forked by those it has not killed yet).
const HUNT_LIMIT: Duration = Duration::from_secs(5);

/// A running watchdog; dropping it (lab ending in order) sends it away.
pub struct Watchdog {
    child: Child,
    pipe: Option<ChildStdin>,
}

impl Watchdog {
    /// Starts the watchdog for processes tagged `tag` (`NAME=value`).
    /// `None` when it cannot be started: lab then runs without one.
    pub fn start(tag: &str) -> Option<Self> {
        use std::os::unix::process::CommandExt;
        let exe = std::env::current_exe().ok()?;
        let mut child = Command::new(exe)
            .arg("__watchdog")
            .arg(tag)
            // Its own group: a Ctrl-C at the terminal is lab's to answer.
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        // lab's own child: no sweep may take it for a suite's orphan.
        spawn::register(child.id());
        let pipe = child.stdin.take();
        Some(Watchdog { child, pipe })
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if let Some(mut pipe) = self.pipe.take() {
            // A watchdog that cannot be told is already gone.
            let _ = pipe.write_all(DONE);
        }
        // It exits as soon as it reads the end of the pipe.
        let _ = self.child.wait();
        spawn::forget(self.child.id());
    }
}

/// The watchdog itself (`lab __watchdog TAG`): waits for the end of stdin;
/// unless lab said `done`, kills every process tagged `tag`. Signals that
/// would stop a program (Ctrl-C, SIGHUP) are ignored: only lab's end ends it.
pub fn watch(tag: &str) {
    let _ignored = super::signals::Interrupts::install();
    let mut said = Vec::new();
    // A read error is an end of the pipe like any other.
    let _ = std::io::stdin().lock().read_to_end(&mut said);
    if said.ends_with(DONE) {
        return;
    }
    let needle = [tag.to_string()];
    let started = Instant::now();
    let mut quiet = 0;
    // Three empty looks in a row: nothing is left forking.
    while quiet < 3 && started.elapsed() < HUNT_LIMIT {
        let found = spawn::tagged(&needle);
        quiet = if found.is_empty() { quiet + 1 } else { 0 };
        spawn::signal_each(&found, Signal::KILL);
        std::thread::sleep(Duration::from_millis(20));
    }
}
