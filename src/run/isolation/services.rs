//! Services a suite needs running (docs/registry.md): ports allocated, each
//! started in its own process group with its output in
//! `services/<id>.log`, waited for with its readiness probe (polled with a
//! short backoff, never a sleep), and stopped after the suite (TERM,
//! `stop_timeout`, KILL, then a sweep of anything it left behind).

use std::collections::BTreeMap;
use std::io::Read;
use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use camino::Utf8PathBuf;
use rustix::process::Signal;

use crate::outputs::{LeakedRecord, PortRecord, ProcessRecord};
use crate::registry::model::{Probe, Registry, Service};
use crate::run::process::capture::{Capture, CaptureConfig};
use crate::run::process::exit::{exit_parts, signal_name};
use crate::run::process::redact::Redactor;
use crate::run::process::signals::Interrupts;
use crate::run::process::{child, spawn as process};
use crate::style::human_duration;

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
    reader: Option<std::thread::JoinHandle<()>>,
    redactor: Arc<Redactor>,
    /// Its log, relative to the run directory.
    pub log: String,
}

/// Why a service could not be used.
#[derive(Debug)]
pub struct NotReady {
    /// `service:<id>:ready`.
    pub step: String,
    /// One line.
    pub reason: String,
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

/// Reads a service's two pipes into one log, raising `ready` when a line
/// matches `pattern`.
fn read_output(
    mut out: Option<std::process::ChildStdout>,
    mut err: Option<std::process::ChildStderr>,
    config: CaptureConfig,
    redactor: Arc<Redactor>,
    pattern: Option<regex::Regex>,
    ready: Arc<AtomicBool>,
) {
    let Ok(mut capture) = Capture::new(&config, &redactor) else {
        return;
    };
    let mut buf = vec![0u8; 64 * 1024];
    let mut line: Vec<u8> = Vec::new();
    while out.is_some() || err.is_some() {
        let [o_ready, e_ready, _] =
            child::poll_pipes(out.as_ref(), err.as_ref(), None, Duration::from_millis(200));
        let mut chunk: Option<usize> = None;
        if o_ready && let Some(o) = &mut out {
            match o.read(&mut buf) {
                Ok(0) | Err(_) => out = None,
                Ok(n) => chunk = Some(n),
            }
        }
        if chunk.is_none()
            && e_ready
            && let Some(e) = &mut err
        {
            match e.read(&mut buf) {
                Ok(0) | Err(_) => err = None,
                Ok(n) => chunk = Some(n),
            }
        }
        let Some(n) = chunk else { continue };
        let _ = capture.feed(&buf[..n]);
        if let Some(re) = &pattern
            && !ready.load(Ordering::SeqCst)
        {
            for &b in &buf[..n] {
                if b == b'\n' {
                    if re.is_match(&String::from_utf8_lossy(&line)) {
                        ready.store(true, Ordering::SeqCst);
                    }
                    line.clear();
                } else if line.len() < 64 * 1024 {
                    line.push(b);
                }
            }
            if re.is_match(&String::from_utf8_lossy(&line)) {
                ready.store(true, Ordering::SeqCst);
            }
        }
    }
    let _ = capture.finish();
}

/// Starts `service` and waits until its probe succeeds.
pub fn start(
    service: &Service,
    port: Option<u16>,
    launch: &Launch<'_>,
) -> Result<(Running, Duration), Box<StartFailure>> {
    let step = format!("service:{}:ready", service.id);
    let not_ready = |reason: String| NotReady {
        step: step.clone(),
        reason,
    };
    let mut env = launch.env.clone();
    for (k, v) in &service.env {
        env.insert(k.clone(), (launch.fill)(v, port));
    }
    let command = (launch.fill)(&service.command, port);
    let log_rel = format!("services/{}.log", service.id);
    let log = launch.suite_dir.join(&log_rel);
    if let Some(dir) = log.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let mut child =
        process::spawn_shell(&command, launch.cwd, &env, launch.wrapper).map_err(|e| {
            (
                None,
                not_ready(format!("{} could not start: {e}", service.id)),
            )
        })?;
    let pid = child.id();
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
    let (redactor, flag) = (Arc::clone(&launch.redactor), Arc::clone(&log_ready));
    let reader = std::thread::spawn(move || read_output(out, err, config, redactor, pattern, flag));
    let rel_to_run = log
        .strip_prefix(launch.run_dir)
        .map(|p| p.to_string())
        .unwrap_or_else(|_| log.to_string());
    let mut running = Running {
        id: service.id.clone(),
        child,
        pid,
        command: launch.redactor.redact_str(&command),
        stop_timeout: service.stop_timeout,
        log_ready,
        reader: Some(reader),
        redactor: Arc::clone(&launch.redactor),
        log: rel_to_run,
    };
    match wait_ready(&mut running, service, port, launch) {
        Ok(elapsed) => Ok((running, elapsed)),
        Err(reason) => Err(Box::new((Some(running), not_ready(reason)))),
    }
}

fn wait_ready(
    running: &mut Running,
    service: &Service,
    port: Option<u16>,
    launch: &Launch<'_>,
) -> Result<Duration, String> {
    let started = Instant::now();
    let probe = service.ready.as_ref().map(|p| match p {
        Probe::Http { url, status } => Probe::Http {
            url: (launch.fill)(url, port),
            status: *status,
        },
        Probe::Tcp { address } => Probe::Tcp {
            address: (launch.fill)(address, port),
        },
        Probe::File { path } => Probe::File {
            path: (launch.fill)(path, port),
        },
        Probe::Command { command } => Probe::Command {
            command: (launch.fill)(command, port),
        },
        other => other.clone(),
    });
    // Spawning probes (commands, or anything inside a namespace) back off further.
    let spawns = matches!(probe, Some(Probe::Command { .. }))
        || (!launch.wrapper.is_empty()
            && matches!(probe, Some(Probe::Http { .. } | Probe::Tcp { .. })));
    let cap = Duration::from_millis(if spawns { 50 } else { 10 });
    let mut delay = Duration::from_millis(1);
    loop {
        if let Ok(Some(status)) = running.child.try_wait() {
            let (code, signal) = exit_parts(status);
            let how = match (code, signal) {
                (_, Some(s)) => format!("was killed by {}", signal_name(s)),
                (Some(c), _) => format!("exited with {c}"),
                _ => "exited".into(),
            };
            return Err(format!("{} {how} before it was ready", service.id));
        }
        let ready = match &probe {
            None => true,
            Some(Probe::Log { .. }) => running.log_ready.load(Ordering::SeqCst),
            Some(Probe::File { path }) => std::path::Path::new(path).exists(),
            Some(p @ (Probe::Http { .. } | Probe::Tcp { .. })) if !launch.wrapper.is_empty() => {
                probe_inside(p, launch)
            }
            Some(Probe::Tcp { address }) => super::probe::tcp(address),
            Some(Probe::Http { url, status }) => super::probe::http_status(url) == Some(*status),
            Some(Probe::Command { command }) => {
                let env = launch.env.clone();
                process::spawn_shell(command, launch.cwd, &env, launch.wrapper)
                    .ok()
                    .and_then(|mut c| {
                        let pid = c.id();
                        let status = c.wait().ok();
                        process::forget(pid);
                        status
                    })
                    .is_some_and(|s| s.success())
            }
        };
        if ready {
            return Ok(started.elapsed());
        }
        if started.elapsed() >= service.ready_timeout {
            return Err(format!(
                "{} was not ready within {}",
                service.id,
                human_duration(service.ready_timeout)
            ));
        }
        if launch.interrupts.interrupted() {
            return Err(format!("interrupted while waiting for {}", service.id));
        }
        std::thread::sleep(delay);
        delay = (delay * 2).min(cap);
    }
}

/// Runs an HTTP or TCP probe inside the suite's network namespace, through
/// lab's own hidden `__probe` command.
fn probe_inside(probe: &Probe, launch: &Launch<'_>) -> bool {
    let Ok(exe) = std::env::current_exe() else {
        return false;
    };
    let mut args: Vec<String> = launch.wrapper[1..].to_vec();
    args.push(exe.to_string_lossy().into_owned());
    args.push("__probe".into());
    match probe {
        Probe::Tcp { address } => args.extend(["tcp".to_string(), address.clone()]),
        Probe::Http { url, status } => {
            args.extend(["http".to_string(), url.clone(), status.to_string()])
        }
        _ => return false,
    }
    process::output(
        std::process::Command::new(&launch.wrapper[0])
            .args(&args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null()),
    )
    .is_ok_and(|o| o.status.success())
}

impl Running {
    /// Stops the service: TERM its group, up to `stop_timeout`, KILL, then
    /// sweep what it left behind; waits for its log to be complete.
    pub fn stop(
        mut self,
        tag: &[String],
        interrupts: &Interrupts,
    ) -> (ProcessRecord, Vec<LeakedRecord>) {
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
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let (exit_code, signal) = status.map(exit_parts).unwrap_or((None, None));
        (
            ProcessRecord {
                pid: self.pid,
                role: "service".into(),
                command: self.command.clone(),
                exit_code,
                signal,
            },
            leaked,
        )
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
