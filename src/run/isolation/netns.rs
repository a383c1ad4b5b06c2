//! `network = "loopback"`: one new network namespace per suite, with only
//! `lo` up, shared by the suite's services, fixtures and command. A holder
//! process (`unshare --user --map-root-user --net sleep`) keeps the
//! namespace alive; every process of the suite enters it with
//! `nsenter --target <holder> --user --net`. Built from util-linux and
//! iproute2 because they are what the host has; when any is missing, or the
//! kernel refuses, the suite is blocked — it never runs with the network on.

use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::files::find_program;
use crate::run::process::spawn as process;

/// Why a suite's network namespace could not be had; the suite is blocked
/// with this reason, never run with the network on.
#[derive(Debug, thiserror::Error)]
pub enum NetnsError {
    /// A tool the namespace is built with is not on PATH.
    #[error(
        "network = \"loopback\" needs `{name}` on PATH (util-linux / iproute2), and it is missing; refusing to run with the network on"
    )]
    MissingTool {
        /// `unshare`, `nsenter`, `ip` or `sleep`.
        name: &'static str,
    },
    /// `unshare` could not be started.
    #[error("cannot start `unshare`")]
    Spawn(#[source] std::io::Error),
    /// `unshare` ended instead of holding the namespace: the kernel (or a
    /// sandbox) refused it.
    #[error(
        "cannot create a network namespace (`unshare --user --map-root-user --net` {status}: {stderr}); refusing to run with the network on"
    )]
    Refused {
        /// How `unshare` ended.
        status: ExitStatus,
        /// What it said.
        stderr: String,
    },
    /// The namespace did not appear in time.
    #[error("the network namespace did not appear within 5 s")]
    Timeout,
    /// `ip link set lo up` failed inside the namespace.
    #[error("cannot bring lo up in the namespace: {stderr}")]
    LoopbackDown {
        /// What `ip` said.
        stderr: String,
    },
    /// `nsenter` could not be run.
    #[error("cannot run nsenter")]
    Nsenter(#[source] std::io::Error),
}

/// A live network namespace.
#[derive(Debug)]
pub struct Namespace {
    holder: Child,
    /// What to put in front of a command to run it inside.
    pub wrapper: Vec<String>,
    /// How isolation was enforced, for manifest.json.
    pub how: String,
}

/// The programs a namespace is built with, found on PATH.
struct Tools {
    unshare: String,
    nsenter: String,
    ip: String,
    sleep: String,
}

impl Tools {
    fn find(path: Option<&str>) -> Result<Self, NetnsError> {
        let tool = |name: &'static str| {
            find_program(name, path)
                .and_then(|p| p.to_str().map(str::to_string))
                .ok_or(NetnsError::MissingTool { name })
        };
        Ok(Tools {
            unshare: tool("unshare")?,
            nsenter: tool("nsenter")?,
            ip: tool("ip")?,
            sleep: tool("sleep")?,
        })
    }
}

impl Namespace {
    /// Creates the namespace and brings `lo` up in it.
    pub fn create(path: Option<&str>) -> Result<Self, NetnsError> {
        let tools = Tools::find(path)?;
        let holder = start_holder(&tools)?;
        let pid = holder.id();
        let mut ns = Namespace {
            holder,
            wrapper: vec![
                tools.nsenter.clone(),
                format!("--target={pid}"),
                "--user".into(),
                "--net".into(),
                "--preserve-credentials".into(),
                "--".into(),
            ],
            how: format!(
                "unshare --user --map-root-user --net (holder pid {pid}), entered with nsenter; lo up with ip"
            ),
        };
        match ns.bring_loopback_up(&tools.ip) {
            Ok(()) => Ok(ns),
            Err(e) => {
                ns.stop();
                Err(e)
            }
        }
    }

    /// Runs `ip link set lo up` inside.
    fn bring_loopback_up(&self, ip: &str) -> Result<(), NetnsError> {
        let out = process::output(
            Command::new(&self.wrapper[0])
                .args(&self.wrapper[1..])
                .args([ip, "link", "set", "lo", "up"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        )
        .map_err(NetnsError::Nsenter)?;
        if out.status.success() {
            Ok(())
        } else {
            Err(NetnsError::LoopbackDown {
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            })
        }
    }

    /// Ends the holder; the namespace goes with its last process.
    pub fn stop(&mut self) {
        stop_holder(&mut self.holder);
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts the holder (`unshare … sleep`) and waits until its namespace
/// can be entered.
fn start_holder(tools: &Tools) -> Result<Child, NetnsError> {
    let mut cmd = Command::new(&tools.unshare);
    cmd.args([
        "--user",
        "--map-root-user",
        "--net",
        "--",
        &tools.sleep,
        "2147483647",
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    // A lab killed with SIGKILL takes the holder (and so the namespace) along.
    crate::run::process::parent_death::die_with_lab(&mut cmd);
    let mut holder = cmd.spawn().map_err(NetnsError::Spawn)?;
    // Lab's own child: no sweep may take it for a suite's orphan.
    process::register(holder.id());
    match wait_until_entered(&mut holder) {
        Ok(()) => Ok(holder),
        Err(e) => {
            stop_holder(&mut holder);
            Err(e)
        }
    }
}

/// Waits until the holder's namespace is ready: its net link differs from
/// ours and unshare has exec'd `sleep` — only then is its uid_map written,
/// and entering it earlier fails with EPERM under load.
fn wait_until_entered(holder: &mut Child) -> Result<(), NetnsError> {
    let pid = holder.id();
    let ours = std::fs::read_link("/proc/self/ns/net").ok();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Ok(Some(status)) = holder.try_wait() {
            let mut stderr = String::new();
            if let Some(mut e) = holder.stderr.take() {
                // What unshare said is only the detail of the refusal; an
                // unreadable pipe leaves it empty.
                let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
            }
            return Err(NetnsError::Refused {
                status,
                stderr: stderr.trim().to_string(),
            });
        }
        let theirs = std::fs::read_link(format!("/proc/{pid}/ns/net")).ok();
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if theirs.is_some() && theirs != ours && comm.trim_end() == "sleep" {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(NetnsError::Timeout);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Kills and reaps the holder, and stops counting it as lab's own.
fn stop_holder(holder: &mut Child) {
    // Best effort: a holder that already exited cannot be killed, and one
    // that cannot be waited for was reaped already.
    let _ = holder.kill();
    let _ = holder.wait();
    process::forget(holder.id());
}
