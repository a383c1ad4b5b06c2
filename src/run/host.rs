//! Probes of the host: is a program on PATH, is a requirement of `requires`
//! met, did a runner's `probe` succeed. Each probe starts no process of the
//! suite's; results are cached per run because the host does not change
//! within one. How a runner is probed is `suite/runner_probe.rs`'s business.

use std::collections::HashMap;

use std::sync::{Arc, Mutex, OnceLock};

use crate::files::find_program;
use crate::registry::model::Requirement;

/// A requirement of `requires` the host does not meet: the reason a suite
/// is blocked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unmet {
    /// `cmd:<program>`.
    #[error("requires cmd:{program}, but `{program}` is not on PATH")]
    Command {
        /// The program.
        program: String,
    },
    /// `env:<VAR>`.
    #[error("requires env:{var}, but {var} is not set")]
    Env {
        /// The variable.
        var: String,
    },
    /// `os:<name>`.
    #[error("requires os:{os}, but this host runs {}", std::env::consts::OS)]
    Os {
        /// The operating system asked for.
        os: String,
    },
    /// `display`, with a virtual display asked for.
    #[error(
        "requires display: the profile asks for a virtual display, but `xvfb-run` is not on PATH"
    )]
    VirtualDisplay,
    /// `display`.
    #[error("requires display, but neither DISPLAY nor WAYLAND_DISPLAY is set")]
    Display,
    /// `root`.
    #[error("requires root, but lab does not run as root")]
    Root,
    /// `docker`.
    #[error("requires docker, but no Docker daemon answers on {socket}")]
    Docker {
        /// The socket asked.
        socket: String,
    },
    /// `netns`.
    #[error("requires netns, but `unshare -rn` cannot create a network namespace here")]
    Netns,
}

/// A runner's probe failed: why, and its last output lines with the run
/// directory's log each came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeFailed {
    /// One line: the probe, how it ended, its last output line.
    pub reason: String,
    /// Its last output lines and, for each, the log it was taken from.
    pub excerpt: Vec<(String, String)>,
}

/// Cached answers about the host.
#[derive(Debug, Default)]
pub struct Host {
    cache: Mutex<HashMap<String, Result<(), Unmet>>>,
    probes: Mutex<HashMap<String, Arc<ProbeAnswer>>>,
}

/// One runner probe's answer, set once.
type ProbeAnswer = OnceLock<Result<(), ProbeFailed>>;

impl Host {
    /// Whether `req` is met for a suite whose environment is `env` and whose
    /// profile wants a virtual display; `Err` says what is missing.
    pub fn check(
        &self,
        req: &Requirement,
        env: &std::collections::BTreeMap<String, String>,
        virtual_display: bool,
    ) -> Result<(), Unmet> {
        let path = env.get("PATH").map(String::as_str);
        let require = |met: bool, unmet: Unmet| if met { Ok(()) } else { Err(unmet) };
        match req {
            Requirement::Command(program) => require(
                find_program(program, path).is_some(),
                Unmet::Command {
                    program: program.clone(),
                },
            ),
            Requirement::Env(var) => {
                require(env.contains_key(var), Unmet::Env { var: var.clone() })
            }
            Requirement::Os(os) => {
                require(std::env::consts::OS == os, Unmet::Os { os: os.clone() })
            }
            Requirement::Display => {
                let has = env.contains_key("DISPLAY") || env.contains_key("WAYLAND_DISPLAY");
                if virtual_display {
                    require(
                        has || find_program("xvfb-run", path).is_some(),
                        Unmet::VirtualDisplay,
                    )
                } else {
                    require(has, Unmet::Display)
                }
            }
            Requirement::Root => require(rustix::process::geteuid().is_root(), Unmet::Root),
            Requirement::Docker => self.cached("docker", docker),
            Requirement::Netns => self.cached("netns", netns),
        }
    }

    /// The answer of runner `id`'s probe: `probe` runs once per run, the
    /// first time a suite asks; suites asking meanwhile wait for it.
    pub fn runner_probe(
        &self,
        id: &str,
        probe: impl FnOnce() -> Result<(), ProbeFailed>,
    ) -> Result<(), ProbeFailed> {
        let cell = {
            let mut probes = self.probes.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(probes.entry(id.to_string()).or_default())
        };
        cell.get_or_init(probe).clone()
    }

    fn cached(&self, key: &str, probe: fn() -> Result<(), Unmet>) -> Result<(), Unmet> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.entry(key.to_string()).or_insert_with(probe).clone()
    }
}

/// A Docker daemon answers on its socket (DOCKER_HOST's unix socket, or the default).
fn docker() -> Result<(), Unmet> {
    use std::io::{Read, Write};
    let socket = std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|h| h.strip_prefix("unix://").map(str::to_string))
        .unwrap_or_else(|| "/var/run/docker.sock".to_string());
    let answer = (|| -> std::io::Result<bool> {
        let mut s = std::os::unix::net::UnixStream::connect(&socket)?;
        s.set_read_timeout(Some(std::time::Duration::from_secs(2)))?;
        s.write_all(b"GET /_ping HTTP/1.0\r\n\r\n")?;
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf)?;
        Ok(buf[..n].starts_with(b"HTTP/1.") && buf[..n].windows(3).any(|w| w == b"200"))
    })();
    match answer {
        Ok(true) => Ok(()),
        _ => Err(Unmet::Docker { socket }),
    }
}

/// A network namespace can be created (`unshare -rn true`, the tool lab
/// itself would use).
fn netns() -> Result<(), Unmet> {
    let ok = super::process::spawn::output(
        std::process::Command::new("unshare")
            .args(["-rn", "true"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null()),
    )
    .is_ok_and(|o| o.status.success());
    if ok { Ok(()) } else { Err(Unmet::Netns) }
}
