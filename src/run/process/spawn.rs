//! Processes on Linux/Unix: spawning a command in its own process group,
//! terminating a group (TERM, grace period, KILL), becoming the child
//! subreaper, and finding, killing and reaping processes that escaped their
//! group (daemonized) so that no child process outlives lab.
//!
//! What to run and when is decided in `suite/`.

use std::collections::{BTreeMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, WaitOptions};

use super::signals::Interrupts;
use crate::outputs::LeakedRecord;

/// The pids of children lab spawned and still waits on; never reaped by the
/// orphan sweep. Held across spawns so a sweep cannot see a fresh child as
/// an orphan.
static KNOWN: Mutex<Option<HashSet<u32>>> = Mutex::new(None);

/// Makes lab the child subreaper: daemonized descendants are reparented to
/// lab instead of init, where they can be found and killed.
pub fn become_subreaper() {
    // Without it (an old kernel) daemonized descendants go to init; sweeps
    // by tag still find them, so nothing else depends on this.
    #[cfg(target_os = "linux")]
    let _ = rustix::process::set_child_subreaper(Some(rustix::process::getpid()));
}

/// Spawns `command` with `sh -c` in its own process group, stdin null,
/// stdout and stderr piped, no descriptor above 2 inherited. `wrapper`
/// (an absolute program and its arguments, e.g. `nsenter … --` or
/// `xvfb-run -a`) goes in front of `/bin/sh -c`.
pub fn spawn_shell(
    command: &str,
    cwd: &std::path::Path,
    env: &BTreeMap<String, String>,
    wrapper: &[String],
) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    // An absolute path: no PATH search (eight failed execs on a typical PATH).
    let mut cmd = match wrapper.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg("/bin/sh");
            c
        }
        None => Command::new("/bin/sh"),
    };
    super::fds::inherit_only_stdio(&mut cmd);
    cmd.arg("-c")
        .arg(command)
        .current_dir(cwd)
        .env_clear()
        .envs(env)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    let child = cmd.spawn()?;
    known.get_or_insert_with(HashSet::new).insert(child.id());
    Ok(child)
}

/// Spawns `command` with `sh -c` sharing lab's terminal and process group,
/// for an interactive app (`lab launch`): Ctrl-C reaches it as it would
/// reach any foreground program.
pub fn spawn_interactive(
    command: &str,
    cwd: &std::path::Path,
    env: &BTreeMap<String, String>,
    wrapper: &[String],
) -> std::io::Result<Child> {
    let mut known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    let mut cmd = match wrapper.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg("/bin/sh");
            c
        }
        None => Command::new("/bin/sh"),
    };
    super::fds::inherit_only_stdio(&mut cmd);
    let child = cmd
        .arg("-c")
        .arg(command)
        .current_dir(cwd)
        .env_clear()
        .envs(env)
        .spawn()?;
    known.get_or_insert_with(HashSet::new).insert(child.id());
    Ok(child)
}

/// `pid` and all its descendants, from /proc.
pub fn tree(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut stack = vec![pid];
    while let Some(p) = stack.pop() {
        if state(p).is_some_and(|s| s != 'Z') {
            out.push(p);
        }
        stack.extend(children(&p.to_string()));
    }
    out
}

/// Sends `signal` to each of `pids`.
pub fn signal_each(pids: &[u32], signal: Signal) {
    for &p in pids {
        if let Some(id) = pid(p) {
            // A process that is gone already is what a kill wants.
            let _ = rustix::process::kill_process(id, signal);
        }
    }
}

/// Runs a helper command to completion, registered as a known child while
/// it runs, so a concurrent sweep can never reap it first.
pub fn output(cmd: &mut Command) -> std::io::Result<std::process::Output> {
    let child = {
        let mut known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
        let child = cmd.spawn()?;
        known.get_or_insert_with(HashSet::new).insert(child.id());
        child
    };
    let pid = child.id();
    let result = child.wait_with_output();
    forget(pid);
    result
}

/// Marks `pid`, a child lab started some other way, as known: sweeps
/// never take it for an orphan.
pub fn register(pid: u32) {
    let mut known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    known.get_or_insert_with(HashSet::new).insert(pid);
}

/// Forgets a child once it has been waited for.
pub fn forget(pid: u32) {
    let mut known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(set) = known.as_mut() {
        set.remove(&pid);
    }
}

fn pid(raw: u32) -> Option<Pid> {
    Pid::from_raw(raw as i32)
}

/// Sends `signal` to process group `pgid`; a group that is gone is fine.
/// Never lab's own group.
pub fn signal_group(pgid: u32, signal: Signal) {
    if let Some(p) = pid(pgid)
        && p != rustix::process::getpgrp()
    {
        // ESRCH: the group is gone, which is fine (see above).
        let _ = rustix::process::kill_process_group(p, signal);
    }
}

/// `true` while any process (zombies included) is in group `pgid`.
pub fn group_alive(pgid: u32) -> bool {
    pid(pgid).is_some_and(|p| rustix::process::test_kill_process_group(p).is_ok())
}

/// The children of process `of` (every thread's), from /proc.
fn children(of: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{of}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        if let Ok(text) = std::fs::read_to_string(task.path().join("children")) {
            out.extend(
                text.split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
    }
    out
}

/// A process's state letter (`Z` for a zombie), from /proc.
fn state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: state follows the last ')'.
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// A process's command line, for reports.
pub fn cmdline(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|raw| {
            raw.split(|&b| b == 0)
                .filter(|s| !s.is_empty())
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// `true` when every `needles` entry (`NAME=value`) is in the process's
/// initial environment.
fn environ_has(pid: u32, needles: &[String]) -> bool {
    let Ok(raw) = std::fs::read(format!("/proc/{pid}/environ")) else {
        return false;
    };
    let vars: HashSet<&[u8]> = raw.split(|&b| b == 0).collect();
    needles.iter().all(|n| vars.contains(n.as_bytes()))
}

/// Processes descended from lab that lab did not spawn itself (orphans
/// reparented to the subreaper) and that carry `tag` in their environment,
/// with all their descendants. Zombies are reaped on the way.
fn orphan_forest(tag: &[String]) -> Vec<u32> {
    let known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    let empty = HashSet::new();
    let known = known.as_ref().unwrap_or(&empty);
    let mut roots = Vec::new();
    for child in children("self") {
        if known.contains(&child) {
            continue;
        }
        if state(child) == Some('Z') {
            // An orphan that already died: reap it so its pid and group go away.
            if let Some(p) = pid(child) {
                // Someone else may have reaped it first; either way it is gone.
                let _ = rustix::process::waitpid(Some(p), WaitOptions::NOHANG);
            }
            continue;
        }
        if environ_has(child, tag) {
            roots.push(child);
        }
    }
    let mut forest = Vec::new();
    let mut stack = roots;
    while let Some(p) = stack.pop() {
        if state(p).is_some_and(|s| s != 'Z') {
            forest.push(p);
        }
        stack.extend(children(&p.to_string()));
    }
    forest
}

/// After a suite's command ended (or timed out): TERM its process group and
/// every escaped descendant tagged with `tag`, wait up to `grace` for them
/// to go, KILL what remains, reap the orphans. Returns the processes that
/// were still alive (the leaks).
pub fn sweep(
    pgid: u32,
    tag: &[String],
    grace: Duration,
    interrupts: &Interrupts,
) -> Vec<LeakedRecord> {
    let mut leaked: BTreeMap<u32, String> = BTreeMap::new();
    let start = Instant::now();
    let mut killed = false;
    let mut first = true;
    loop {
        let forest = orphan_forest(tag);
        let in_group = group_alive(pgid);
        if forest.is_empty() && !in_group {
            break;
        }
        for &p in &forest {
            leaked.entry(p).or_insert_with(|| cmdline(p));
        }
        let signal = if !killed && (start.elapsed() >= grace || interrupts.again()) {
            killed = true;
            Some(Signal::KILL)
        } else if first {
            Some(Signal::TERM)
        } else {
            None
        };
        first = false;
        if let Some(signal) = signal {
            signal_group(pgid, signal);
            let own_group = rustix::process::getpgrp();
            for &p in &forest {
                if let Some(id) = pid(p) {
                    // Best effort: it may have exited since it was found.
                    let _ = rustix::process::kill_process(id, signal);
                    // Its whole group too, unless that is lab's own (an
                    // interactive launch shares lab's group).
                    if let Ok(group) = rustix::process::getpgid(Some(id))
                        && group != own_group
                    {
                        let _ = rustix::process::kill_process_group(group, signal);
                    }
                }
            }
        }
        if killed && start.elapsed() > grace + Duration::from_secs(5) {
            break; // unkillable (uninterruptible sleep); nothing more to do
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    leaked
        .into_iter()
        .map(|(pid, command)| LeakedRecord { pid, command })
        .collect()
}

/// [`sweep`], with the leaked command lines (read from /proc, so they may
/// hold a secret) redacted.
pub fn sweep_redacted(
    pgid: u32,
    tag: &[String],
    grace: Duration,
    interrupts: &Interrupts,
    redactor: &super::redact::Redactor,
) -> Vec<LeakedRecord> {
    sweep(pgid, tag, grace, interrupts)
        .into_iter()
        .map(|mut l| {
            l.command = redactor.redact_str(&l.command);
            l
        })
        .collect()
}
