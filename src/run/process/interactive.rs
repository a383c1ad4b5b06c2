//! One child process that takes the terminal (`lab launch`): stdio
//! inherited, lab's own process group (so Ctrl-C reaches it as it reaches
//! any foreground program), no timeout. When lab is interrupted its whole
//! tree gets TERM, then KILL after the grace period or a second signal;
//! whatever it left running is swept away when it ends.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::process::Signal;

use super::child::{Driven, STOP_GRACE};
use super::exit::exit_parts;
use super::redact::Redactor;
use super::signals::Interrupts;
use super::spawn;

/// Runs `command` with `sh -c` in `cwd` with `env`, behind `wrapper`, on
/// the terminal, to its end. Fails only when it cannot be started.
pub fn drive_interactive(
    command: &str,
    cwd: &Path,
    env: &BTreeMap<String, String>,
    wrapper: &[String],
    interrupts: &Interrupts,
    redactor: &Redactor,
) -> std::io::Result<Driven> {
    let started = Instant::now();
    let mut child = spawn::spawn_interactive(command, cwd, env, wrapper)?;
    let pid = child.id();
    let mut stop_sent: Option<Instant> = None;
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status;
        }
        if interrupts.interrupted() {
            let signal = match stop_sent {
                None => {
                    // Answered with TERM and the grace period; only a
                    // later signal cuts it short.
                    interrupts.acknowledge();
                    Some(Signal::TERM)
                }
                Some(at) if at.elapsed() >= STOP_GRACE || interrupts.again() => Some(Signal::KILL),
                Some(_) => None,
            };
            if let Some(signal) = signal {
                spawn::signal_each(&spawn::tree(pid), signal);
                stop_sent.get_or_insert_with(Instant::now);
            }
        }
        std::thread::sleep(Duration::from_millis(25));
    };
    spawn::forget(pid);
    // Everything the app started and left behind: lab's other children
    // (services, a namespace holder) are known and never swept.
    let leaked = spawn::sweep_redacted(pid, &[], STOP_GRACE, interrupts, redactor);
    let (exit_code, signal) = exit_parts(status);
    Ok(Driven {
        pid,
        exit_code,
        signal,
        timed_out: false,
        interrupted: interrupts.interrupted(),
        leaked,
        duration: started.elapsed(),
        ..Driven::default()
    })
}
