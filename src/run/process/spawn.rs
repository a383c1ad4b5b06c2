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

/// One driven process of this run (a suite's command, a fixture's set-up):
/// when it ran, in clock ticks since boot — the clock of
/// `/proc/PID/stat`'s start time. Orphans that lost the tag (`env -i`) are
/// attributed by when they started.
struct Span {
    pid: u32,
    start: u64,
    end: Option<u64>,
}

/// Every span of this run (a few dozen bytes per suite).
static SPANS: Mutex<Vec<Span>> = Mutex::new(Vec::new());

/// Clock ticks since boot, now.
fn now_ticks() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
    let hz = rustix::param::clock_ticks_per_second();
    t.tv_sec as u64 * hz + t.tv_nsec as u64 * hz / 1_000_000_000
}

/// A process's start time in clock ticks since boot, from /proc.
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name; start time is the 22nd field overall.
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(19)?
        .parse()
        .ok()
}

/// Records that `pid` starts running now.
pub fn span_started(pid: u32) {
    let mut spans = SPANS.lock().unwrap_or_else(|e| e.into_inner());
    spans.push(Span {
        pid,
        start: now_ticks(),
        end: None,
    });
}

/// Records that `pid` (a span) has ended.
pub fn span_ended(pid: u32) {
    let now = now_ticks();
    let mut spans = SPANS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(span) = spans
        .iter_mut()
        .rev()
        .find(|s| s.pid == pid && s.end.is_none())
    {
        span.end = Some(now);
    }
}

/// Whether an orphan without a tag of this run is due to be swept: only once every span that was running when it started has ended
/// (one tick of slack each way), so a suite still running never loses a
/// process of its own to another suite's sweep. With one job, that is
/// exactly the suite it came from.
fn untagged_is_due(orphan: u32) -> bool {
    let Some(born) = start_ticks(orphan) else {
        return false;
    };
    let spans = SPANS.lock().unwrap_or_else(|e| e.into_inner());
    spans
        .iter()
        .filter(|s| s.start <= born + 1 && s.end.is_none_or(|end| end + 1 >= born))
        .all(|s| s.end.is_some())
}

/// Makes lab the child subreaper: daemonized descendants are reparented to
/// lab instead of init, where they can be found and killed.
pub fn become_subreaper() {
    // Without it (an old kernel) daemonized descendants go to init; sweeps
    // by tag still find them, so nothing else depends on this.
    #[cfg(target_os = "linux")]
    let _ = rustix::process::set_child_subreaper(Some(rustix::process::getpid()));
}

/// Spawns `command` with `sh -c` in its own process group, stdin null,
/// stdout and stderr piped, no descriptor above 2 inherited, dying with
/// lab (the spawning thread must outlive it: [`super::parent_death`]).
/// `wrapper` (an absolute program and its arguments, e.g. `nsenter … --`
/// or `xvfb-run -a`) goes in front of `/bin/sh -c`.
pub fn spawn_shell(
    command: &str,
    cwd: &std::path::Path,
    env: &BTreeMap<String, String>,
    wrapper: &[String],
) -> std::io::Result<Child> {
    spawn_shell_masked(command, cwd, env, wrapper, None)
}

/// [`spawn_shell`], the child starting with `umask` when one is given
/// (a hermetic suite's 022).
pub fn spawn_shell_masked(
    command: &str,
    cwd: &std::path::Path,
    env: &BTreeMap<String, String>,
    wrapper: &[String],
    umask: Option<u32>,
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
    super::parent_death::die_with_lab(&mut cmd);
    if let Some(mask) = umask {
        super::fds::umask_in_child(&mut cmd, mask);
    }
    let mut known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    let child = cmd.spawn()?;
    known.get_or_insert_with(HashSet::new).insert(child.id());
    Ok(child)
}

/// Spawns a helper `cmd` (a readiness probe run through a namespace) in
/// its own process group, stdin null, stdout and stderr piped, no
/// descriptor above 2 inherited, dying with lab, registered as a known
/// child until [`forget`].
pub fn spawn_piped(cmd: &mut Command) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    super::fds::inherit_only_stdio(cmd);
    cmd.process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    super::parent_death::die_with_lab(cmd);
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
    cmd.arg("-c")
        .arg(command)
        .current_dir(cwd)
        .env_clear()
        .envs(env);
    super::parent_death::die_with_lab(&mut cmd);
    let child = cmd.spawn()?;
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
    super::parent_death::die_with_lab(cmd);
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

/// `true` once child `pid` has ended, without reaping it: until it is
/// waited for, its pid (and so its group id) cannot be reused.
pub fn has_exited(pid: u32) -> bool {
    use rustix::process::{WaitId, WaitIdOptions, waitid};
    self::pid(pid).is_some_and(|p| {
        waitid(
            WaitId::Pid(p),
            WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT,
        )
        .is_ok_and(|status| status.is_some())
    })
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

/// Every process on the machine (but this one) that carries all of `tag`
/// (`NAME=value` entries) in its initial environment, from /proc.
pub fn tagged(tag: &[String]) -> Vec<u32> {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&p| p != me && state(p).is_some_and(|s| s != 'Z') && environ_has(p, tag))
        .collect()
}

/// Processes descended from lab that lab did not spawn itself (orphans
/// reparented to the subreaper) and that carry `tag` in their environment
/// — or no tag of this run, and started while only finished spans ran —
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
        // This run's tag (the run id) with another suite's id: not ours.
        // No tag of this run at all (`env -i`): ours once every suite that
        // was running when it started has ended.
        let ours = if environ_has(child, &tag[..1]) {
            environ_has(child, tag)
        } else {
            untagged_is_due(child)
        };
        if ours {
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
