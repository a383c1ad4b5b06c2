//! `network = "loopback"`: one new network namespace per suite, with only
//! `lo` up, shared by the suite's services, fixtures and command. A holder
//! process (`unshare --user --map-root-user --net sleep`) keeps the
//! namespace alive; every process of the suite enters it with
//! `nsenter --target <holder> --user --net`. Built from util-linux and
//! iproute2 because they are what the host has; when any is missing, or the
//! kernel refuses, the suite is blocked — it never runs with the network on.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::files::find_program;
use crate::run::process::spawn as process;

/// A live network namespace.
#[derive(Debug)]
pub struct Namespace {
    holder: Child,
    /// What to put in front of a command to run it inside.
    pub wrapper: Vec<String>,
    /// How isolation was enforced, for manifest.json.
    pub how: String,
}

fn tool(name: &str, path: Option<&str>) -> Result<String, String> {
    find_program(name, path)
        .and_then(|p| p.to_str().map(str::to_string))
        .ok_or_else(|| {
            format!("network = \"loopback\" needs `{name}` on PATH (util-linux / iproute2), and it is missing; refusing to run with the network on")
        })
}

impl Namespace {
    /// Creates the namespace and brings `lo` up in it.
    pub fn create(path: Option<&str>) -> Result<Self, String> {
        let unshare = tool("unshare", path)?;
        let nsenter = tool("nsenter", path)?;
        let ip = tool("ip", path)?;
        let sleep = tool("sleep", path)?;
        let mut holder = Command::new(&unshare)
            .args([
                "--user",
                "--map-root-user",
                "--net",
                "--",
                &sleep,
                "2147483647",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start `unshare`: {e}"))?;
        let pid = holder.id();
        // Lab's own child: no sweep may take it for a suite's orphan.
        process::register(pid);
        let ours = std::fs::read_link("/proc/self/ns/net").ok();
        let deadline = Instant::now() + Duration::from_secs(5);
        // The namespace is ready once the holder's net link differs from
        // ours and unshare has exec'd `sleep`: only then is its uid_map
        // written, and entering it earlier fails with EPERM under load.
        loop {
            if let Ok(Some(status)) = holder.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = holder.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut err);
                }
                return Err(format!(
                    "cannot create a network namespace (`unshare --user --map-root-user --net` {status}: {}); refusing to run with the network on",
                    err.trim()
                ));
            }
            let theirs = std::fs::read_link(format!("/proc/{pid}/ns/net")).ok();
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if theirs.is_some() && theirs != ours && comm.trim_end() == "sleep" {
                break;
            }
            if Instant::now() >= deadline {
                let _ = holder.kill();
                let _ = holder.wait();
                return Err("the network namespace did not appear within 5 s".into());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let wrapper = vec![
            nsenter,
            format!("--target={pid}"),
            "--user".into(),
            "--net".into(),
            "--preserve-credentials".into(),
            "--".into(),
        ];
        let up = process::output(
            Command::new(&wrapper[0])
                .args(&wrapper[1..])
                .args([&ip, "link", "set", "lo", "up"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        );
        let mut ns = Namespace {
            holder,
            wrapper,
            how: format!(
                "unshare --user --map-root-user --net (holder pid {pid}), entered with nsenter; lo up with ip"
            ),
        };
        match up {
            Ok(out) if out.status.success() => Ok(ns),
            Ok(out) => {
                ns.stop();
                Err(format!(
                    "cannot bring lo up in the namespace: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
            }
            Err(e) => {
                ns.stop();
                Err(format!("cannot run nsenter: {e}"))
            }
        }
    }

    /// Ends the holder; the namespace goes with its last process.
    pub fn stop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
        process::forget(self.holder.id());
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        self.stop();
    }
}
