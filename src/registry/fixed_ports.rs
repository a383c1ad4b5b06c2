//! `lab check`'s `fixed-port` warning: a service that listens on, or is
//! probed at, a port written into the registry. Two runs at once (or
//! anything else on that port) collide there, and the loser's probe may be
//! answered by the winner's service; `port = true` and `{port}` avoid it.

use std::sync::LazyLock;

use regex::Regex;

use super::diagnostic::Diagnostic;
use super::model::{Probe, Registry, Service};

/// A loopback or any-address host with a literal port (`127.0.0.1:8080`,
/// `localhost:5432`, `0.0.0.0:80`, `[::1]:3000`), or `--port 8080`.
static FIXED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:\b(?:localhost|127\.0\.0\.1|0\.0\.0\.0)|\[::1?\]):([0-9]{1,5})\b|--port[= ]([0-9]{1,5})\b",
    )
    .expect("the fixed-port pattern compiles")
});

/// A `fixed-port` warning for every service with a literal port in its
/// command, `env` or `ready` probe.
pub fn fixed_port_warnings(registry: &Registry) -> Vec<Diagnostic> {
    registry
        .services
        .values()
        .filter_map(|service| {
            let port = fixed_port(service)?;
            Some(
                Diagnostic::warning(
                    "fixed-port",
                    format!(
                        "`{}` uses the fixed port {port}: two runs at once collide on it, and a probe may be answered by another run's service",
                        service.id
                    ),
                )
                .at(&registry.sources, service.span)
                .help("set `port = true` and write `{port}` (suites read `$<PREFIX>_PORT_<NAME>`)"),
            )
        })
        .collect()
}

/// The first literal port `service` names, if any.
fn fixed_port(service: &Service) -> Option<String> {
    // A tcp probe's `host:port`, whatever the host.
    if let Some(Probe::Tcp { address }) = &service.ready
        && let Some((_, port)) = address.rsplit_once(':')
        && !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
    {
        return Some(port.to_string());
    }
    let probe = match &service.ready {
        Some(Probe::Http { url, .. }) => Some(url.as_str()),
        Some(Probe::Command { command }) => Some(command.as_str()),
        _ => None,
    };
    std::iter::once(service.command.as_str())
        .chain(service.env.values().map(String::as_str))
        .chain(probe)
        .find_map(literal_port)
}

/// The port of the first loopback `host:port` or `--port N` in `text`.
fn literal_port(text: &str) -> Option<String> {
    let caps = FIXED.captures(text)?;
    caps.get(1).or(caps.get(2)).map(|m| m.as_str().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_loopback_ports_are_found_and_placeholders_are_not() {
        let m = literal_port;
        assert_eq!(m("http://127.0.0.1:8080/health").as_deref(), Some("8080"));
        assert_eq!(m("redis-server --port 6379").as_deref(), Some("6379"));
        assert_eq!(m("serve --bind [::1]:3000").as_deref(), Some("3000"));
        assert_eq!(m("http://localhost:{port}/"), None);
        assert_eq!(m("sleep 10:30"), None);
        assert_eq!(m("serve --port {port}"), None);
    }
}
