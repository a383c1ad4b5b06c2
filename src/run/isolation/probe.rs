//! One readiness check of a service (docs/registry.md): an HTTP GET answering
//! the expected status, a TCP connect, or a file existing. Log and command
//! probes live with the service, which owns its output and environment.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long one probe may take.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Each step of a probe may take [`PROBE_TIMEOUT`], or what is left of
/// `within` when that is less (never zero: a zero timeout is an error).
fn limit(within: Duration) -> Duration {
    PROBE_TIMEOUT.min(within).max(Duration::from_millis(1))
}

/// `true` when something accepts a TCP connection at `address`
/// (`host:port`), each connection attempt taking at most `within`.
pub fn tcp(address: &str, within: Duration) -> bool {
    let Ok(addrs) = address.to_socket_addrs() else {
        return false;
    };
    addrs
        .into_iter()
        .any(|a| TcpStream::connect_timeout(&a, limit(within)).is_ok())
}

/// Splits `http://host:port/path` into (`host:port`, host, path).
fn split_url(url: &str) -> Option<(String, String, String)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    let address = if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    Some((address, host.to_string(), path.to_string()))
}

/// The status code of `GET url`, when the server answers; connecting,
/// writing and each read take at most `within` (and 1 s).
pub fn http_status(url: &str, within: Duration) -> Option<u16> {
    let (address, host, path) = split_url(url)?;
    let addr = address.to_socket_addrs().ok()?.next()?;
    let mut stream = TcpStream::connect_timeout(&addr, limit(within)).ok()?;
    stream.set_read_timeout(Some(limit(within))).ok()?;
    stream.set_write_timeout(Some(limit(within))).ok()?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut buf = [0u8; 64];
    let mut len = 0;
    while len < buf.len() {
        match stream.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => {
                len += n;
                if buf[..len].contains(&b'\n') {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    let line = std::str::from_utf8(&buf[..len]).ok()?;
    let mut parts = line.split_whitespace();
    parts.next().filter(|v| v.starts_with("HTTP/"))?;
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split() {
        assert_eq!(
            split_url("http://127.0.0.1:8080/v1/health"),
            Some((
                "127.0.0.1:8080".into(),
                "127.0.0.1".into(),
                "/v1/health".into()
            ))
        );
        assert_eq!(
            split_url("http://localhost"),
            Some(("localhost:80".into(), "localhost".into(), "/".into()))
        );
        assert_eq!(split_url("https://x"), None);
    }

    #[test]
    fn probes_a_real_listener() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (seen_tx, seen_rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(2).flatten() {
                let mut s = stream;
                let mut buf = [0u8; 256];
                let n = s.read(&mut buf).unwrap_or(0);
                let _ = seen_tx.send(String::from_utf8_lossy(&buf[..n]).into_owned());
                let _ = s.write_all(b"HTTP/1.1 204 No Content\r\n\r\n");
            }
        });
        assert!(tcp(&addr.to_string(), PROBE_TIMEOUT));
        assert_eq!(
            http_status(&format!("http://{addr}/health"), PROBE_TIMEOUT),
            Some(204)
        );
        let _connect_only = seen_rx.recv().expect("the tcp probe connected");
        let request = seen_rx.recv().expect("the http probe sent a request");
        assert!(
            request.starts_with("GET /health HTTP/1.0\r\n")
                && request.contains("\r\nHost: 127.0.0.1\r\n"),
            "{request:?}"
        );
    }

    #[test]
    fn a_closed_port_is_not_ready() {
        // A port that was just free: bound, then released.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr");
        assert!(!tcp(&addr.to_string(), PROBE_TIMEOUT));
        assert_eq!(http_status(&format!("http://{addr}/"), PROBE_TIMEOUT), None);
        assert_eq!(
            http_status("http://127.0.0.1:notaport/", PROBE_TIMEOUT),
            None
        );
    }
}
