//! One try of a service's readiness probe (docs/registry.md), never past
//! the service's `ready_timeout`: a `command` probe (and an `http`/`tcp`
//! probe run inside a network namespace through `lab __probe`) runs in its
//! own process group, its output drained into the service's log and its
//! last lines kept, killed with its group at the deadline or on Ctrl-C.
//! Polling, and the service itself, are `services.rs`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::Instant;

use crate::registry::model::Probe;
use crate::run::process::bounded::{Bounded, drive_bounded};
use crate::run::process::redact::Redactor;
use crate::run::process::signals::Interrupts;
use crate::run::process::spawn as process;

/// The prefix of a probe's lines in the service log.
pub const LOG_PREFIX: &str = "[ready probe] ";

/// At most this many of a killed probe's last lines are kept.
const KEPT_LINES: usize = 12;

/// At most this much of a probe's output is kept for its last lines.
const KEPT_BYTES: usize = 64 * 1024;

/// How one try ended.
#[derive(Debug)]
pub enum Try {
    /// The probe succeeded.
    Ready,
    /// Not yet: try again.
    NotYet,
    /// The probe was still running at the deadline and was killed; its
    /// last lines (redacted).
    Killed(Vec<String>),
    /// lab was interrupted while the probe ran.
    Interrupted,
}

/// What one try runs with.
pub struct Attempt<'a> {
    /// The suite's environment.
    pub env: &'a BTreeMap<String, String>,
    /// The suite's working directory.
    pub cwd: &'a std::path::Path,
    /// Program put in front of `/bin/sh -c` (a network namespace).
    pub wrapper: &'a [String],
    /// Ctrl-C.
    pub interrupts: &'a Interrupts,
    /// Secrets to keep out of the kept lines.
    pub redactor: &'a Redactor,
    /// The service's `ready_timeout`, from its start.
    pub deadline: Instant,
    /// Raised by the service's log reader when a `log` probe matched.
    pub log_ready: &'a AtomicBool,
    /// Lines for the service's log (its reader redacts them).
    pub log: &'a Sender<Vec<u8>>,
}

/// One try of `probe` (placeholders already filled).
pub fn try_probe(probe: &Probe, a: &Attempt<'_>) -> Try {
    let remaining = a.deadline.saturating_duration_since(Instant::now());
    let ready = match probe {
        Probe::Log { .. } => a.log_ready.load(Ordering::SeqCst),
        Probe::File { path } => std::path::Path::new(path).exists(),
        p @ (Probe::Http { .. } | Probe::Tcp { .. }) if !a.wrapper.is_empty() => {
            return inside(p, a);
        }
        Probe::Tcp { address } => super::probe::tcp(address, remaining),
        Probe::Http { url, status } => super::probe::http_status(url, remaining) == Some(*status),
        Probe::Command { command } => {
            return match process::spawn_shell(command, a.cwd, a.env, a.wrapper) {
                Ok(child) => bounded(child, a),
                // A probe that cannot start is not ready; the deadline ends it.
                Err(_) => Try::NotYet,
            };
        }
    };
    if ready { Try::Ready } else { Try::NotYet }
}

/// Runs an HTTP or TCP probe inside the suite's network namespace, through
/// lab's own hidden `__probe` command.
fn inside(probe: &Probe, a: &Attempt<'_>) -> Try {
    let Ok(exe) = std::env::current_exe() else {
        return Try::NotYet;
    };
    let mut cmd = std::process::Command::new(&a.wrapper[0]);
    cmd.args(&a.wrapper[1..]).arg(exe).arg("__probe");
    match probe {
        Probe::Tcp { address } => cmd.args(["tcp", address]),
        Probe::Http { url, status } => cmd.args(["http", url, &status.to_string()]),
        _ => return Try::NotYet,
    };
    match process::spawn_piped(&mut cmd) {
        Ok(child) => bounded(child, a),
        Err(_) => Try::NotYet,
    }
}

/// Drives a probe's process to its end under the deadline.
fn bounded(child: std::process::Child, a: &Attempt<'_>) -> Try {
    let mut output = Output::new(a.log);
    let ended = drive_bounded(child, a.deadline, a.interrupts, &mut |chunk| {
        output.feed(chunk)
    });
    output.flush();
    match ended {
        Bounded::Exited(status) if status.success() => Try::Ready,
        Bounded::Exited(_) | Bounded::Lost => Try::NotYet,
        Bounded::TimedOut => Try::Killed(output.last_lines(a.redactor)),
        Bounded::Interrupted => Try::Interrupted,
    }
}

/// A probe's output: forwarded to the service log line by line, its end
/// kept for the excerpt.
struct Output<'a> {
    log: &'a Sender<Vec<u8>>,
    line: Vec<u8>,
    tail: Vec<u8>,
    /// The start of `tail` was dropped (its first line is a piece).
    cut: bool,
}

impl<'a> Output<'a> {
    fn new(log: &'a Sender<Vec<u8>>) -> Self {
        Output {
            log,
            line: Vec::new(),
            tail: Vec::new(),
            cut: false,
        }
    }

    fn feed(&mut self, chunk: &[u8]) {
        self.tail.extend_from_slice(chunk);
        if self.tail.len() > 2 * KEPT_BYTES {
            self.tail.drain(..self.tail.len() - KEPT_BYTES);
            self.cut = true;
        }
        let mut lines = Vec::new();
        for &b in chunk {
            if b != b'\n' {
                self.line.push(b);
            }
            if b == b'\n' || self.line.len() >= 4096 {
                lines.extend_from_slice(LOG_PREFIX.as_bytes());
                lines.append(&mut self.line);
                lines.push(b'\n');
            }
        }
        self.send(lines);
    }

    /// Sends the unfinished last line, if any.
    fn flush(&mut self) {
        if !self.line.is_empty() {
            let mut line = LOG_PREFIX.as_bytes().to_vec();
            line.append(&mut self.line);
            line.push(b'\n');
            self.send(line);
        }
    }

    fn send(&self, lines: Vec<u8>) {
        if !lines.is_empty() {
            // The reader is gone once the service closed its output: the
            // probe's lines then only reach the excerpt.
            let _ = self.log.send(lines);
        }
    }

    /// The last non-empty lines, redacted, printable, at most 300 characters.
    fn last_lines(&self, redactor: &Redactor) -> Vec<String> {
        let text = redactor.redact_str(&String::from_utf8_lossy(&self.tail));
        // A piece of a line could hold a piece of a secret, unredacted.
        let mut lines: Vec<String> = text
            .lines()
            .skip(usize::from(self.cut))
            .map(crate::style::printable)
            .map(|l| l.trim_end().chars().take(300).collect::<String>())
            .filter(|l| !l.is_empty())
            .collect();
        lines.drain(..lines.len().saturating_sub(KEPT_LINES));
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_goes_to_the_log_by_line_and_its_end_is_kept_redacted() {
        let (tx, rx) = std::sync::mpsc::channel();
        let mut out = Output::new(&tx);
        out.feed(b"conn");
        out.feed(b"ecting with hunter22\nrefused\nstill");
        out.flush();
        let logged: Vec<u8> = rx.try_iter().flatten().collect();
        assert_eq!(
            String::from_utf8_lossy(&logged),
            "[ready probe] connecting with hunter22\n[ready probe] refused\n[ready probe] still\n"
        );
        let redactor = Redactor::new(["hunter22"]);
        assert_eq!(
            out.last_lines(&redactor),
            ["connecting with [REDACTED]", "refused", "still"]
        );
    }
}
