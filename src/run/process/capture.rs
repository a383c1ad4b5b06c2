//! Capturing one output stream of a child process to a log file: redacted,
//! capped at `max_log_bytes` (the head and the tail are kept, the middle is
//! replaced by a marker line), scanned for `<PREFIX>_ARTIFACT_PATH=` markers,
//! and optionally teed to the terminal with a prefix. Memory use is bounded
//! by the chunk size: the tail is kept in a ring file on disk, not in RAM.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::sync::{Arc, Mutex};

use camino::{Utf8Path, Utf8PathBuf};

use super::redact::Redactor;

/// How to capture one stream.
#[derive(Debug, Clone)]
pub struct CaptureConfig {
    /// The log file.
    pub path: Utf8PathBuf,
    /// At most this many bytes are kept.
    pub max_bytes: u64,
    /// `LAB_ARTIFACT_PATH=` (with the registry's prefix).
    pub marker: String,
    /// Copy each line to this writer with this prefix (`--stream`).
    pub tee: Option<(Arc<Mutex<std::io::Stderr>>, String)>,
}

/// What a capture saw.
#[derive(Debug, Default, Clone)]
pub struct Captured {
    /// Bytes the child wrote (after redaction).
    pub total: u64,
    /// Bytes dropped from the middle.
    pub dropped: u64,
    /// Paths printed after the artifact marker, in order.
    pub markers: Vec<String>,
}

/// Longest piece of a line `--stream` holds before showing it.
const MAX_TEE_LINE: usize = 64 * 1024;

/// Longest line that can still be a marker line.
const MAX_MARKER_LINE: usize = 16 * 1024;

/// One stream being captured: fed chunk by chunk as they arrive.
pub struct Capture<'r> {
    log: CappedLog,
    redact: super::redact::StreamRedactor<'r>,
    markers: MarkerScan,
    tee: Option<LineTee>,
    clean: Vec<u8>,
}

impl<'r> Capture<'r> {
    /// Starts capturing into the log described by `config`.
    pub fn new(config: &CaptureConfig, redactor: &'r Redactor) -> std::io::Result<Self> {
        Ok(Capture {
            log: CappedLog::create(&config.path, config.max_bytes)?,
            redact: redactor.stream(),
            markers: MarkerScan::new(config.marker.as_bytes()),
            tee: config
                .tee
                .as_ref()
                .map(|(w, prefix)| LineTee::new(Arc::clone(w), prefix)),
            clean: Vec::with_capacity(64 * 1024 + 64),
        })
    }

    /// Takes the next chunk the child wrote.
    pub fn feed(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        // Markers are read before redaction: a path is not a secret because
        // a word of it happens to be a secret's value (the copy and every
        // record of it are redacted again).
        self.markers.feed(chunk);
        self.clean.clear();
        self.redact.push(chunk, &mut self.clean);
        self.emit()
    }

    fn emit(&mut self) -> std::io::Result<()> {
        if let Some(t) = &mut self.tee {
            t.feed(&self.clean);
        }
        self.log.write(&self.clean)
    }

    /// Ends the stream: flushes what redaction held back, joins the log.
    pub fn finish(mut self) -> std::io::Result<Captured> {
        self.clean.clear();
        self.redact.finish(&mut self.clean);
        self.emit()?;
        self.markers.feed(b"\n");
        if let Some(t) = &mut self.tee {
            t.finish();
        }
        let (total, dropped) = self.log.finish()?;
        Ok(Captured {
            total,
            dropped,
            markers: self.markers.found,
        })
    }
}

/// Reads `reader` to its end into the log described by `config`.
pub fn capture(
    mut reader: impl Read,
    config: &CaptureConfig,
    redactor: &Redactor,
) -> std::io::Result<Captured> {
    let mut capture = Capture::new(config, redactor)?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => capture.feed(&buf[..n])?,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    capture.finish()
}

/// A log file that keeps the first half of its cap in place and the last
/// half in a ring file, joined with a marker line at the end.
struct CappedLog {
    file: File,
    path: Utf8PathBuf,
    head_cap: u64,
    tail_cap: u64,
    head: u64,
    ring: Option<File>,
    ring_written: u64,
}

impl CappedLog {
    fn create(path: &Utf8Path, max: u64) -> std::io::Result<Self> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)?;
        let head_cap = max / 2;
        Ok(CappedLog {
            file,
            path: path.to_path_buf(),
            head_cap,
            tail_cap: max - head_cap,
            head: 0,
            ring: None,
            ring_written: 0,
        })
    }

    fn ring_path(&self) -> Utf8PathBuf {
        Utf8PathBuf::from(format!("{}.tail", self.path))
    }

    fn write(&mut self, mut data: &[u8]) -> std::io::Result<()> {
        if self.head < self.head_cap {
            let take = data.len().min((self.head_cap - self.head) as usize);
            self.file.write_all(&data[..take])?;
            self.head += take as u64;
            data = &data[take..];
        }
        if data.is_empty() || self.tail_cap == 0 {
            self.ring_written += data.len() as u64;
            return Ok(());
        }
        if self.ring.is_none() {
            self.ring = Some(
                OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .mode(0o600)
                    .open(self.ring_path())?,
            );
        }
        let ring = self.ring.as_ref().expect("ring file was just created");
        // Only the last `tail_cap` bytes of this write can survive.
        let skip = data.len().saturating_sub(self.tail_cap as usize);
        self.ring_written += skip as u64;
        data = &data[skip..];
        while !data.is_empty() {
            let at = self.ring_written % self.tail_cap;
            let room = (self.tail_cap - at) as usize;
            let take = data.len().min(room);
            ring.write_all_at(&data[..take], at)?;
            self.ring_written += take as u64;
            data = &data[take..];
        }
        Ok(())
    }

    /// Joins head, marker and tail; returns (total bytes, dropped bytes).
    fn finish(mut self) -> std::io::Result<(u64, u64)> {
        let total = self.head + self.ring_written;
        let kept_tail = self.ring_written.min(self.tail_cap);
        let dropped = self.ring_written - kept_tail;
        if dropped > 0 {
            let line = format!(
                "\n[lab: {dropped} bytes of output dropped here; the first {} and the last {kept_tail} bytes are kept]\n",
                self.head
            );
            self.file.write_all(line.as_bytes())?;
        }
        if let Some(ring) = self.ring.take() {
            let start = if dropped > 0 {
                self.ring_written % self.tail_cap
            } else {
                0
            };
            let mut buf = vec![0u8; 64 * 1024];
            let mut copied = 0;
            while copied < kept_tail {
                let at = (start + copied) % self.tail_cap;
                let take = ((kept_tail - copied) as usize)
                    .min(buf.len())
                    .min((self.tail_cap - at) as usize);
                ring.read_exact_at(&mut buf[..take], at)?;
                self.file.write_all(&buf[..take])?;
                copied += take as u64;
            }
            drop(ring);
            // The tail is copied into the log; a leftover ring file is a
            // hidden scratch file in the suite directory, nothing more.
            let _ = std::fs::remove_file(self.ring_path());
        }
        Ok((total, dropped))
    }
}

/// Finds lines that start with the marker, across chunk boundaries,
/// holding at most one possible marker line in memory.
struct MarkerScan {
    marker: Vec<u8>,
    /// At the start of a line.
    at_line_start: bool,
    /// The current line, while it may still be a marker line.
    line: Vec<u8>,
    /// Whether `line` is being collected.
    collecting: bool,
    found: Vec<String>,
}

impl MarkerScan {
    fn new(marker: &[u8]) -> Self {
        MarkerScan {
            marker: marker.to_vec(),
            at_line_start: true,
            line: Vec::new(),
            collecting: false,
            found: Vec::new(),
        }
    }

    fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.at_line_start {
                self.at_line_start = false;
                self.collecting = true;
                self.line.clear();
            }
            let newline = data.iter().position(|&b| b == b'\n');
            let (piece, rest) = match newline {
                Some(i) => (&data[..i], Some(&data[i + 1..])),
                None => (data, None),
            };
            if self.collecting {
                self.line.extend_from_slice(piece);
                let n = self.line.len().min(self.marker.len());
                if self.line[..n] != self.marker[..n] || self.line.len() > MAX_MARKER_LINE {
                    self.collecting = false;
                    self.line.clear();
                }
            }
            match rest {
                Some(rest) => {
                    if self.collecting && self.line.len() >= self.marker.len() {
                        let value = &self.line[self.marker.len()..];
                        let value = value.strip_suffix(b"\r").unwrap_or(value);
                        if let Ok(path) = std::str::from_utf8(value)
                            && !path.trim().is_empty()
                        {
                            self.found.push(path.trim().to_string());
                        }
                    }
                    self.collecting = false;
                    self.at_line_start = true;
                    data = rest;
                }
                None => data = &[],
            }
        }
    }
}

/// Writes whole lines to a shared terminal with a prefix, so the output of
/// concurrent suites never interleaves within a line.
struct LineTee {
    out: Arc<Mutex<std::io::Stderr>>,
    prefix: String,
    partial: Vec<u8>,
}

impl LineTee {
    fn new(out: Arc<Mutex<std::io::Stderr>>, prefix: &str) -> Self {
        LineTee {
            out,
            prefix: prefix.to_string(),
            partial: Vec::new(),
        }
    }

    fn feed(&mut self, data: &[u8]) {
        self.partial.extend_from_slice(data);
        if let Some(last) = self.partial.iter().rposition(|&b| b == b'\n') {
            let mut text = Vec::with_capacity(last + 64);
            for line in self.partial[..last].split(|&b| b == b'\n') {
                text.extend_from_slice(self.prefix.as_bytes());
                // The suite's bytes never reach the terminal raw: no escape
                // sequence of theirs may retitle, clear or drive it.
                let line = String::from_utf8_lossy(line);
                text.extend_from_slice(crate::style::printable(&line).as_bytes());
                text.push(b'\n');
            }
            if let Ok(out) = self.out.lock() {
                // `--stream` is a copy for people watching; the log on
                // disk is the record and is written separately.
                let _ = out.lock().write_all(&text);
            }
            self.partial.drain(..=last);
        }
        // A line that never ends is shown in pieces, never held whole.
        if self.partial.len() > MAX_TEE_LINE {
            self.partial.push(b'\n');
            let data = std::mem::take(&mut self.partial);
            self.feed(&data);
        }
    }

    fn finish(&mut self) {
        if !self.partial.is_empty() {
            self.partial.push(b'\n');
            let data = std::mem::take(&mut self.partial);
            self.feed(&data);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8], max: u64, secrets: &[&str]) -> (String, Captured) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = Utf8PathBuf::try_from(dir.path().join("out.log")).expect("utf-8");
        let config = CaptureConfig {
            path: path.clone(),
            max_bytes: max,
            marker: "LAB_ARTIFACT_PATH=".into(),
            tee: None,
        };
        // A reader that returns 7 bytes at a time, to split lines and secrets.
        struct Slow<'a>(&'a [u8]);
        impl Read for Slow<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(7).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let captured = capture(Slow(input), &config, &Redactor::new(secrets)).expect("capture");
        let text = std::fs::read_to_string(&path).expect("read log");
        assert!(
            !dir.path().join("out.log.tail").exists(),
            "ring file removed"
        );
        (text, captured)
    }

    #[test]
    fn small_output_is_kept_whole_and_redacted() {
        let (text, c) = run(b"hello my-secret-1 world\n", 1000, &["my-secret-1"]);
        assert_eq!(text, "hello [REDACTED] world\n");
        assert_eq!(c.dropped, 0);
    }

    #[test]
    fn large_output_keeps_head_and_tail_with_a_marker() {
        let input: Vec<u8> = (0..1000u32)
            .flat_map(|i| format!("{i:04}\n").into_bytes())
            .collect();
        let (text, c) = run(&input, 100, &[]);
        assert_eq!(c.total, 5000);
        assert_eq!(c.dropped, 4900);
        let input = String::from_utf8(input).expect("utf-8");
        assert!(text.starts_with(&input[..50]));
        assert!(text.ends_with(&input[input.len() - 50..]));
        assert!(text.contains(
            "[lab: 4900 bytes of output dropped here; the first 50 and the last 50 bytes are kept]"
        ));
    }

    #[test]
    fn markers_are_found_across_reads() {
        let input = b"x\nLAB_ARTIFACT_PATH=/tmp/a b.png\nnot LAB_ARTIFACT_PATH=/no\nLAB_ARTIFACT_PATH=rel/c.txt\r\nLAB_ARTIFACT_PATH=last";
        let (_, c) = run(input, 10_000, &[]);
        assert_eq!(c.markers, ["/tmp/a b.png", "rel/c.txt", "last"]);
    }
}
