//! Services a suite needs running (docs/registry.md): ports allocated, each
//! started in its own process group with its output in
//! `services/<id>.log`, waited for with its readiness probe (polled with a
//! short backoff until `ready_timeout`; one try is `readiness.rs`), watched
//! for dying while the suite needs it, and stopped after the suite (TERM,
//! `stop_timeout`, KILL, then a sweep of anything it left behind).

use std::collections::BTreeMap;
use std::io::Read;
use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, Instant};

use camino::Utf8PathBuf;
use rustix::process::Signal;

use crate::outputs::{LeakedRecord, PortRecord, ProcessRecord};
use crate::registry::model::{Probe, Registry, Service};
use crate::run::process::capture::{Capture, CaptureConfig};
use crate::run::process::exit::{describe_exit, exit_parts};
use crate::run::process::redact::Redactor;
use crate::run::process::signals::Interrupts;
use crate::run::process::{child, spawn as process};
use crate::style::human_duration;

use super::readiness::{Attempt, Try, try_probe};

/// `<PREFIX>_PORT_<NAME>`: the id without `service.`, upper-cased, other
/// characters as `_`.
pub fn port_var(prefix: &str, id: &str) -> String {
    let name: String = id
        .trim_start_matches("service.")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{prefix}_PORT_{name}")
}

/// A free loopback port (bound, then released for the service to take).
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Allocates a port for every service in `ids` that asks for one.
pub fn allocate_ports(registry: &Registry, ids: &[String]) -> std::io::Result<Vec<PortRecord>> {
    let mut ports = Vec::new();
    for id in ids {
        if registry.services.get(id).is_some_and(|s| s.port) {
            ports.push(PortRecord {
                service: id.clone(),
                port: free_port()?,
            });
        }
    }
    Ok(ports)
}

/// A started service.
pub struct Running {
    /// Its id.
    pub id: String,
    child: Child,
    pid: u32,
    command: String,
    stop_timeout: Duration,
    log_ready: Arc<AtomicBool>,
    /// Probe output for the log, written by the reader between the
    /// service's own lines.
    probe_log: Sender<Vec<u8>>,
    reader: Option<std::thread::JoinHandle<std::io::Result<()>>>,
    redactor: Arc<Redactor>,
    /// Its log, relative to the run directory.
    pub log: String,
}

/// Why a service did not become ready; the suite is blocked with it.
#[derive(Debug, thiserror::Error)]
pub enum ReadyError {
    /// Its command could not be started.
    #[error("{id} could not start")]
    Spawn {
        /// The service.
        id: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// It ended before its probe succeeded.
    #[error("{id} {how} before it was ready")]
    Ended {
        /// The service.
        id: String,
        /// `exited with 1`, `was killed by SIGKILL`, …
        how: String,
    },
    /// Its probe did not succeed within `ready_timeout`.
    #[error("{id} was not ready within {}{}", human_duration(*.after), if *.probe_killed { " (its ready probe was still running and was killed)" } else { "" })]
    Timeout {
        /// The service.
        id: String,
        /// Its `ready_timeout`.
        after: Duration,
        /// A `command` probe was running at the deadline.
        probe_killed: bool,
        /// That probe's last lines (redacted), for the excerpt.
        probe_lines: Vec<String>,
    },
    /// It ended after its probe succeeded: whatever answered the probe, the
    /// suite would not have run against this service.
    #[error("{id} {how} {when}")]
    Died {
        /// The service.
        id: String,
        /// `exited with 1`, `was killed by SIGKILL`, …
        how: String,
        /// `right after it was ready`, `while the suite ran`.
        when: &'static str,
    },
    /// Ctrl-C while waiting.
    #[error("interrupted while waiting for {id}")]
    Interrupted {
        /// The service.
        id: String,
    },
}

impl ReadyError {
    /// The suite's step: `service:<id>:died` for a service that ended
    /// after it was ready, else `service:<id>:ready`.
    pub fn step(&self) -> String {
        let (id, what) = match self {
            ReadyError::Died { id, .. } => (id, "died"),
            ReadyError::Spawn { id, .. }
            | ReadyError::Ended { id, .. }
            | ReadyError::Timeout { id, .. }
            | ReadyError::Interrupted { id } => (id, "ready"),
        };
        format!("service:{id}:{what}")
    }

    /// A killed probe's last lines, when there are any: the excerpt then
    /// (else the tail of the service's log).
    pub fn probe_lines(&self) -> Option<&[String]> {
        match self {
            ReadyError::Timeout { probe_lines, .. } if !probe_lines.is_empty() => Some(probe_lines),
            _ => None,
        }
    }
}

/// Why a service could not be used.
#[derive(Debug)]
pub struct NotReady {
    /// `service:<id>:ready` or `service:<id>:died`.
    pub step: String,
    /// What happened.
    pub reason: ReadyError,
}

/// A stopped service: its process record, what it left behind, and
/// whether its log was written in full.
#[derive(Debug)]
pub struct Stopped {
    /// For manifest.json.
    pub process: ProcessRecord,
    /// Processes it left behind (killed).
    pub leaked: Vec<LeakedRecord>,
    /// Why `services/<id>.log` is incomplete or missing, if it is.
    pub log_error: Option<LogError>,
}

/// A service's log could not be written in full.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// Creating or writing it failed.
    #[error("failed to write the service log")]
    Write(#[source] std::io::Error),
    /// The thread reading the service's output panicked.
    #[error("the service log reader stopped unexpectedly")]
    ReaderPanicked,
}

/// A service that did not become ready: what was started (to stop), and why.
pub type StartFailure = (Option<Running>, NotReady);

/// Everything a service is started with.
pub struct Launch<'a> {
    /// The suite's environment (ports included).
    pub env: &'a BTreeMap<String, String>,
    /// The suite's working directory.
    pub cwd: &'a std::path::Path,
    /// The run directory.
    pub run_dir: &'a camino::Utf8Path,
    /// The suite directory.
    pub suite_dir: &'a camino::Utf8Path,
    /// Secrets to keep out of the log.
    pub redactor: Arc<Redactor>,
    /// Program put in front of `/bin/sh -c` (a network namespace).
    pub wrapper: &'a [String],
    /// The registry's env prefix.
    pub prefix: &'a str,
    /// The log size cap.
    pub max_log_bytes: u64,
    /// Fills `{placeholders}` (with `{port}` set per service).
    pub fill: &'a dyn Fn(&str, Option<u16>) -> String,
    /// Ctrl-C.
    pub interrupts: &'a Interrupts,
}

/// What a service's log reader works with.
struct Reader {
    out: Option<std::process::ChildStdout>,
    err: Option<std::process::ChildStderr>,
    config: CaptureConfig,
    redactor: Arc<Redactor>,
    pattern: Option<regex::Regex>,
    ready: Arc<AtomicBool>,
    /// Probe lines, written between the service's own lines.
    aside: Receiver<Vec<u8>>,
}

/// Reads a service's two pipes into one log, raising `ready` when a line
/// matches `pattern`, with its probes' lines put in where the service's
/// output is at the start of a line. Reads to the end even when the log
/// cannot be written (the service must not block on a full pipe); the
/// first write error is returned then.
fn read_output(mut r: Reader) -> std::io::Result<()> {
    let mut capture = Capture::new(&r.config, &r.redactor);
    let mut failed: Option<std::io::Error> = None;
    let mut buf = vec![0u8; 64 * 1024];
    let mut line: Vec<u8> = Vec::new();
    let mut at_line_start = true;
    let mut write = |c: &mut std::io::Result<Capture<'_>>, bytes: &[u8]| {
        if let Ok(c) = c
            && let Err(e) = c.feed(bytes)
        {
            failed.get_or_insert(e);
        }
    };
    while r.out.is_some() || r.err.is_some() {
        if at_line_start {
            for lines in r.aside.try_iter() {
                write(&mut capture, &lines);
            }
        }
        let Some(n) = read_chunk(&mut r.out, &mut r.err, &mut buf) else {
            continue;
        };
        write(&mut capture, &buf[..n]);
        at_line_start = buf[n - 1] == b'\n';
        if let Some(re) = &r.pattern
            && !r.ready.load(Ordering::SeqCst)
            && log_line_matches(re, &mut line, &buf[..n])
        {
            r.ready.store(true, Ordering::SeqCst);
        }
    }
    let late: Vec<Vec<u8>> = r.aside.try_iter().collect();
    if !at_line_start && !late.is_empty() {
        write(&mut capture, b"\n");
    }
    for lines in late {
        write(&mut capture, &lines);
    }
    capture?.finish()?;
    failed.map_or(Ok(()), Err)
}

/// The next chunk from whichever pipe has one, into `buf`; a pipe at its
/// end (or failing) is closed.
fn read_chunk(
    out: &mut Option<std::process::ChildStdout>,
    err: &mut Option<std::process::ChildStderr>,
    buf: &mut [u8],
) -> Option<usize> {
    let [o_ready, e_ready, _] =
        child::poll_pipes(out.as_ref(), err.as_ref(), None, Duration::from_millis(200));
    if o_ready && let Some(o) = out {
        match o.read(buf) {
            Ok(0) | Err(_) => *out = None,
            Ok(n) => return Some(n),
        }
    }
    if e_ready && let Some(e) = err {
        match e.read(buf) {
            Ok(0) | Err(_) => *err = None,
            Ok(n) => return Some(n),
        }
    }
    None
}

/// Feeds `chunk` into the current `line`: `true` when a finished line, or
/// the unfinished rest, matches `re`.
fn log_line_matches(re: &regex::Regex, line: &mut Vec<u8>, chunk: &[u8]) -> bool {
    let mut matched = false;
    for &b in chunk {
        if b == b'\n' {
            matched |= re.is_match(&String::from_utf8_lossy(line));
            line.clear();
        } else if line.len() < 64 * 1024 {
            line.push(b);
        }
    }
    matched || re.is_match(&String::from_utf8_lossy(line))
}

/// Starts `service` and waits until its probe succeeds.
pub fn start(
    service: &Service,
    port: Option<u16>,
    launch: &Launch<'_>,
) -> Result<(Running, Duration), Box<StartFailure>> {
    let not_ready = |reason: ReadyError| NotReady {
        step: reason.step(),
        reason,
    };
    let mut running = spawn(service, port, launch).map_err(|source| {
        let reason = ReadyError::Spawn {
            id: service.id.clone(),
            source,
        };
        Box::new((None, not_ready(reason)))
    })?;
    let ready = wait_ready(&mut running, service, port, launch).and_then(|elapsed| {
        // Ready, but is it still there? A probe may have been answered
        // by someone else (another run's service on a fixed port).
        match running.died("right after it was ready") {
            Some(died) => Err(died),
            None => Ok(elapsed),
        }
    });
    match ready {
        Ok(elapsed) => Ok((running, elapsed)),
        Err(reason) => Err(Box::new((Some(running), not_ready(reason)))),
    }
}

/// Starts `service`'s command with its output read into
/// `services/<id>.log`.
fn spawn(service: &Service, port: Option<u16>, launch: &Launch<'_>) -> std::io::Result<Running> {
    let mut env = launch.env.clone();
    for (k, v) in &service.env {
        env.insert(k.clone(), (launch.fill)(v, port));
    }
    let command = (launch.fill)(&service.command, port);
    let log = log_path(launch.suite_dir, &service.id);
    if let Some(dir) = log.parent() {
        // Should this fail, creating the log fails too, and says why
        // (`Stopped::log_error`).
        let _ = std::fs::create_dir_all(dir);
    }
    let mut child = process::spawn_shell(&command, launch.cwd, &env, launch.wrapper)?;
    let pattern = match &service.ready {
        Some(Probe::Log { pattern }) => regex::Regex::new(pattern).ok(),
        _ => None,
    };
    let log_ready = Arc::new(AtomicBool::new(false));
    let (out, err) = (child.stdout.take(), child.stderr.take());
    let config = CaptureConfig {
        path: log.clone(),
        max_bytes: launch.max_log_bytes,
        marker: format!("{}_ARTIFACT_PATH=", launch.prefix),
        tee: None,
    };
    let (probe_log, aside) = std::sync::mpsc::channel();
    let reader = Reader {
        out,
        err,
        config,
        redactor: Arc::clone(&launch.redactor),
        pattern,
        ready: Arc::clone(&log_ready),
        aside,
    };
    let reader = std::thread::spawn(move || read_output(reader));
    Ok(Running {
        id: service.id.clone(),
        pid: child.id(),
        child,
        command: launch.redactor.redact_str(&command),
        stop_timeout: service.stop_timeout,
        log_ready,
        probe_log,
        reader: Some(reader),
        redactor: Arc::clone(&launch.redactor),
        log: log
            .strip_prefix(launch.run_dir)
            .map(|p| p.to_string())
            .unwrap_or_else(|_| log.to_string()),
    })
}

/// `service`'s probe with its placeholders filled (`{port}` is `port`).
fn filled_probe(service: &Service, port: Option<u16>, launch: &Launch<'_>) -> Option<Probe> {
    let fill = |text: &str| (launch.fill)(text, port);
    service.ready.as_ref().map(|p| match p {
        Probe::Http { url, status } => Probe::Http {
            url: fill(url),
            status: *status,
        },
        Probe::Tcp { address } => Probe::Tcp {
            address: fill(address),
        },
        Probe::File { path } => Probe::File { path: fill(path) },
        Probe::Command { command } => Probe::Command {
            command: fill(command),
        },
        other => other.clone(),
    })
}

/// Polls the probe, backing off, until it succeeds, the service ends, its
/// `ready_timeout` passes (a probe still running then is killed) or Ctrl-C.
fn wait_ready(
    running: &mut Running,
    service: &Service,
    port: Option<u16>,
    launch: &Launch<'_>,
) -> Result<Duration, ReadyError> {
    let started = Instant::now();
    let probe = filled_probe(service, port, launch);
    // Spawning probes (commands, or anything inside a namespace) back off further.
    let spawns = matches!(probe, Some(Probe::Command { .. }))
        || (!launch.wrapper.is_empty()
            && matches!(probe, Some(Probe::Http { .. } | Probe::Tcp { .. })));
    let cap = Duration::from_millis(if spawns { 50 } else { 10 });
    let mut delay = Duration::from_millis(1);
    let attempt = Attempt {
        env: launch.env,
        cwd: launch.cwd,
        wrapper: launch.wrapper,
        interrupts: launch.interrupts,
        redactor: &launch.redactor,
        deadline: started + service.ready_timeout,
        log_ready: &running.log_ready,
        log: &running.probe_log,
    };
    let id = || service.id.clone();
    let timeout = |probe_lines: Option<Vec<String>>| ReadyError::Timeout {
        id: id(),
        after: service.ready_timeout,
        probe_killed: probe_lines.is_some(),
        probe_lines: probe_lines.unwrap_or_default(),
    };
    loop {
        if let Ok(Some(status)) = running.child.try_wait() {
            let (code, signal) = exit_parts(status);
            let how = describe_exit(code, signal);
            return Err(ReadyError::Ended { id: id(), how });
        }
        match probe
            .as_ref()
            .map_or(Try::Ready, |p| try_probe(p, &attempt))
        {
            Try::Ready => return Ok(started.elapsed()),
            Try::NotYet => {}
            Try::Killed(lines) => return Err(timeout(Some(lines))),
            Try::Interrupted => return Err(ReadyError::Interrupted { id: id() }),
        }
        if started.elapsed() >= service.ready_timeout {
            return Err(timeout(None));
        }
        if launch.interrupts.interrupted() {
            return Err(ReadyError::Interrupted { id: id() });
        }
        let left = attempt.deadline.saturating_duration_since(Instant::now());
        std::thread::sleep(delay.min(left));
        delay = (delay * 2).min(cap);
    }
}

impl Running {
    /// `true` once the service's process has ended (it is not reaped: its
    /// status stays for [`Running::died`] and [`Running::stop`]).
    pub fn has_ended(&self) -> bool {
        process::has_exited(self.pid)
    }

    /// Why the service is no longer running (`when` says since when it
    /// should have been), or `None` while it runs.
    pub fn died(&mut self, when: &'static str) -> Option<ReadyError> {
        let status = self.child.try_wait().ok().flatten()?;
        let (code, signal) = exit_parts(status);
        Some(ReadyError::Died {
            id: self.id.clone(),
            how: describe_exit(code, signal),
            when,
        })
    }

    /// Stops the service: TERM its group, up to `stop_timeout`, KILL, then
    /// sweep what it left behind; waits for its log to be complete.
    pub fn stop(mut self, tag: &[String], interrupts: &Interrupts) -> Stopped {
        let mut status = self.child.try_wait().ok().flatten();
        if status.is_none() {
            process::signal_group(self.pid, Signal::TERM);
            let deadline = Instant::now() + self.stop_timeout;
            while status.is_none() {
                status = self.child.try_wait().ok().flatten();
                if status.is_some() {
                    break;
                }
                if Instant::now() >= deadline || interrupts.again() {
                    process::signal_group(self.pid, Signal::KILL);
                    status = self.child.wait().ok();
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        process::forget(self.pid);
        let leaked =
            process::sweep_redacted(self.pid, tag, self.stop_timeout, interrupts, &self.redactor);
        let log_error = self.reader.take().and_then(|reader| match reader.join() {
            Ok(written) => written.err().map(LogError::Write),
            Err(_) => Some(LogError::ReaderPanicked),
        });
        let (exit_code, signal) = status.map(exit_parts).unwrap_or((None, None));
        Stopped {
            process: ProcessRecord {
                pid: self.pid,
                role: "service".into(),
                command: self.command.clone(),
                exit_code,
                signal,
            },
            leaked,
            log_error,
        }
    }
}

/// The `services/<id>.log` path of a service, for excerpts.
pub fn log_path(suite_dir: &camino::Utf8Path, id: &str) -> Utf8PathBuf {
    suite_dir.join(format!("services/{id}.log"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_variables_are_named_after_the_service() {
        assert_eq!(port_var("LAB", "service.acc.http"), "LAB_PORT_ACC_HTTP");
        assert_eq!(
            port_var("POSTHASTE_LAB", "service.db-main"),
            "POSTHASTE_LAB_PORT_DB_MAIN"
        );
    }
}
