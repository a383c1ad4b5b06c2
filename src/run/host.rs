//! Probes of the host: is a program on PATH, is a requirement of `requires`
//! met. Each probe starts no process of the suite's; results are cached per
//! run because the host does not change within one.

use std::collections::HashMap;

use std::sync::Mutex;

use crate::files::find_program;
use crate::registry::model::Requirement;

/// Cached answers about the host.
#[derive(Debug, Default)]
pub struct Host {
    cache: Mutex<HashMap<String, Result<(), String>>>,
}

impl Host {
    /// Whether `req` is met for a suite whose environment is `env` and whose
    /// profile wants a virtual display; `Err` says what is missing.
    pub fn check(
        &self,
        req: &Requirement,
        env: &std::collections::BTreeMap<String, String>,
        virtual_display: bool,
    ) -> Result<(), String> {
        let path = env.get("PATH").map(String::as_str);
        match req {
            Requirement::Command(program) => match find_program(program, path) {
                Some(_) => Ok(()),
                None => Err(format!(
                    "requires cmd:{program}, but `{program}` is not on PATH"
                )),
            },
            Requirement::Env(var) => match env.get(var) {
                Some(_) => Ok(()),
                None => Err(format!("requires env:{var}, but {var} is not set")),
            },
            Requirement::Os(os) => {
                if std::env::consts::OS == os {
                    Ok(())
                } else {
                    Err(format!(
                        "requires os:{os}, but this host runs {}",
                        std::env::consts::OS
                    ))
                }
            }
            Requirement::Display => {
                let has = env.contains_key("DISPLAY") || env.contains_key("WAYLAND_DISPLAY");
                if has || (virtual_display && find_program("xvfb-run", path).is_some()) {
                    Ok(())
                } else if virtual_display {
                    Err("requires display: the profile asks for a virtual display, but `xvfb-run` is not on PATH".into())
                } else {
                    Err("requires display, but neither DISPLAY nor WAYLAND_DISPLAY is set".into())
                }
            }
            Requirement::Root => {
                if rustix::process::geteuid().is_root() {
                    Ok(())
                } else {
                    Err("requires root, but lab does not run as root".into())
                }
            }
            Requirement::Docker => self.cached("docker", docker),
            Requirement::Netns => self.cached("netns", netns),
        }
    }

    fn cached(&self, key: &str, probe: fn() -> Result<(), String>) -> Result<(), String> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.entry(key.to_string()).or_insert_with(probe).clone()
    }
}

/// A Docker daemon answers on its socket (DOCKER_HOST's unix socket, or the default).
fn docker() -> Result<(), String> {
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
        _ => Err(format!(
            "requires docker, but no Docker daemon answers on {socket}"
        )),
    }
}

/// A network namespace can be created (`unshare -rn true`, the tool lab
/// itself would use).
fn netns() -> Result<(), String> {
    let ok = super::process::spawn::output(
        std::process::Command::new("unshare")
            .args(["-rn", "true"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null()),
    )
    .is_ok_and(|o| o.status.success());
    if ok {
        Ok(())
    } else {
        Err("requires netns, but `unshare -rn` cannot create a network namespace here".into())
    }
}
