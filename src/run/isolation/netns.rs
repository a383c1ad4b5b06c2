//! `network = "loopback"`: one new network namespace per suite, with only
//! `lo` up, shared by the suite's services, fixtures and command. A holder
//! process (`unshare --user --map-root-user --net sleep`) keeps the
//! namespace alive; every process of the suite enters it with
//! `nsenter --target <holder> --user --net`. Built from util-linux and
//! iproute2 because they are what the host has, found on lab's own PATH
//! when the run starts (never on a suite's, which a profile may change);
//! before anything of the suite starts, `ip` run inside must list `lo` as
//! the only interface up. When a tool is missing, the check fails or the
//! kernel refuses, the suite is blocked — it never runs with the network on.

use std::collections::BTreeMap;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::files::find_program;
use crate::run::process::spawn as process;

/// Why a suite's network namespace could not be had; the suite is blocked
/// with this reason, never run with the network on.
#[derive(Debug, thiserror::Error)]
pub enum NetnsError {
    /// A tool the namespace is built with is not on lab's PATH.
    #[error(
        "network = \"loopback\" needs `{name}` on lab's own PATH (util-linux / iproute2), and it is missing; refusing to run with the network on"
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
    /// Seen from inside, an interface other than `lo` is up (or nothing
    /// is): whatever was entered is not the namespace lab made.
    #[error(
        "the network namespace is not isolated: seen from inside, the interfaces up are [{}], not just lo; refusing to run with the network on",
        .up.join(", ")
    )]
    NotIsolated {
        /// The interfaces up, as `ip -o link show up` names them.
        up: Vec<String>,
    },
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

/// The programs a namespace is built with, found on lab's own PATH when
/// a run starts (absolute paths; manifest.json's `isolation_tools`).
#[derive(Debug, Clone, Default)]
pub struct Tools {
    unshare: Option<String>,
    nsenter: Option<String>,
    ip: Option<String>,
    sleep: Option<String>,
}

impl Tools {
    /// Finds each tool on `path` (lab's own PATH).
    pub fn resolve(path: Option<&str>) -> Self {
        let find =
            |name: &str| find_program(name, path).and_then(|p| p.to_str().map(str::to_string));
        Tools {
            unshare: find("unshare"),
            nsenter: find("nsenter"),
            ip: find("ip"),
            sleep: find("sleep"),
        }
    }

    /// Name → absolute path of each tool found.
    pub fn record(&self) -> BTreeMap<String, String> {
        [
            ("unshare", &self.unshare),
            ("nsenter", &self.nsenter),
            ("ip", &self.ip),
            ("sleep", &self.sleep),
        ]
        .into_iter()
        .filter_map(|(name, path)| Some((name.to_string(), path.clone()?)))
        .collect()
    }
}

/// The tools, each known to be there.
struct Found<'t> {
    unshare: &'t str,
    nsenter: &'t str,
    ip: &'t str,
    sleep: &'t str,
}

impl<'t> Found<'t> {
    fn from(tools: &'t Tools) -> Result<Self, NetnsError> {
        let need = |tool: &'t Option<String>, name: &'static str| {
            tool.as_deref().ok_or(NetnsError::MissingTool { name })
        };
        Ok(Found {
            unshare: need(&tools.unshare, "unshare")?,
            nsenter: need(&tools.nsenter, "nsenter")?,
            ip: need(&tools.ip, "ip")?,
            sleep: need(&tools.sleep, "sleep")?,
        })
    }
}

impl Namespace {
    /// Creates the namespace with `tools` (resolved when the run
    /// started), brings `lo` up in it and checks, from inside, that `lo`
    /// is the only interface up.
    pub fn create(tools: &Tools) -> Result<Self, NetnsError> {
        let tools = Found::from(tools)?;
        let holder = start_holder(&tools)?;
        let pid = holder.id();
        let mut ns = Namespace {
            holder,
            wrapper: vec![
                tools.nsenter.to_string(),
                format!("--target={pid}"),
                "--user".into(),
                "--net".into(),
                "--preserve-credentials".into(),
                "--".into(),
            ],
            how: format!(
                "unshare --user --map-root-user --net (holder pid {pid}), entered with nsenter; lo up with ip, and the only interface up"
            ),
        };
        match ns.bring_loopback_up(tools.ip) {
            Ok(()) => Ok(ns),
            Err(e) => {
                ns.stop();
                Err(e)
            }
        }
    }

    /// Runs `ip link set lo up` inside, then `ip -o link show up`, which
    /// must list `lo` alone: one process chain through the wrapper, so the
    /// check sees what every process of the suite will see.
    fn bring_loopback_up(&self, ip: &str) -> Result<(), NetnsError> {
        let out = process::output(
            Command::new(&self.wrapper[0])
                .args(&self.wrapper[1..])
                .args([
                    "/bin/sh",
                    "-c",
                    r#""$0" link set lo up && exec "$0" -o link show up"#,
                    ip,
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        )
        .map_err(NetnsError::Nsenter)?;
        if !out.status.success() {
            return Err(NetnsError::LoopbackDown {
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        let up = interfaces(&String::from_utf8_lossy(&out.stdout));
        if up == ["lo"] {
            Ok(())
        } else {
            Err(NetnsError::NotIsolated { up })
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
fn start_holder(tools: &Found<'_>) -> Result<Child, NetnsError> {
    let mut cmd = Command::new(tools.unshare);
    cmd.args([
        "--user",
        "--map-root-user",
        "--net",
        "--",
        tools.sleep,
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

/// The interface names of `ip -o link show` output (`2: eth0@if9: <…>`
/// gives `eth0`).
fn interfaces(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter_map(|line| line.split(": ").nth(1))
        .map(|name| name.split('@').next().unwrap_or(name).to_string())
        .collect()
}

/// Kills and reaps the holder, and stops counting it as lab's own.
fn stop_holder(holder: &mut Child) {
    // Best effort: a holder that already exited cannot be killed, and one
    // that cannot be waited for was reaped already.
    let _ = holder.kill();
    let _ = holder.wait();
    process::forget(holder.id());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_names_come_from_ip_one_line_output() {
        let listing = "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n9: eth0@if10: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500\\    link/ether 02:42:ac:11:00:02\n";
        assert_eq!(interfaces(listing), ["lo", "eth0"]);
        assert!(interfaces("").is_empty());
    }
}
