//! The live "what is running" line on a terminal during `verify`, and the
//! one place that writes other lines to stderr meanwhile (clearing the
//! progress line first), so output never tears.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::style::human_duration;

/// The suites running now (id → start), and how many finished of how many.
#[derive(Debug, Default)]
struct Board {
    running: Vec<(String, Instant)>,
    done: usize,
    total: usize,
}

/// A live "what is running" line on a terminal, cleared before other output.
pub struct Progress {
    out: Arc<Mutex<std::io::Stderr>>,
    board: Arc<Mutex<Board>>,
    stop: Arc<AtomicBool>,
    enabled: bool,
}

impl Progress {
    /// Starts the ticker (when `enabled`: stderr is a terminal, colour on).
    pub fn start(out: Arc<Mutex<std::io::Stderr>>, enabled: bool, total: usize) -> Self {
        let board = Arc::new(Mutex::new(Board {
            total,
            ..Board::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        if enabled {
            let (out, board, stop) = (Arc::clone(&out), Arc::clone(&board), Arc::clone(&stop));
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(250));
                    let line = board.lock().ok().and_then(|b| {
                        let (id, at) = b.running.first()?;
                        let more = match b.running.len() {
                            1 => String::new(),
                            n => format!(" (+{} more)", n - 1),
                        };
                        Some(format!(
                            "\r\x1b[2K[{}/{}] {id} {}{more}",
                            b.done,
                            b.total,
                            human_duration(at.elapsed())
                        ))
                    });
                    if let (Some(line), Ok(out)) = (line, out.lock()) {
                        // A terminal that cannot be written to shows nothing: nothing to do.
                        let _ = out.lock().write_all(line.as_bytes());
                    }
                }
            });
        }
        Progress {
            out,
            board,
            stop,
            enabled,
        }
    }

    /// A suite started.
    pub fn running(&self, id: &str) {
        if let Ok(mut b) = self.board.lock() {
            b.running.push((id.to_string(), Instant::now()));
        }
    }

    /// A suite finished: `done` of `total` now.
    pub fn finished(&self, id: &str, done: usize, total: usize) {
        if let Ok(mut b) = self.board.lock() {
            b.running.retain(|(r, _)| r != id);
            b.done = done;
            b.total = total;
        }
    }

    /// Prints `text` (whole lines), clearing the progress line first.
    pub fn print(&self, text: &str) {
        if let Ok(out) = self.out.lock() {
            let mut e = out.lock();
            if self.enabled {
                // Best effort: stderr gone (closed pipe) loses only what people see.
                let _ = e.write_all(b"\r\x1b[2K");
            }
            let _ = e.write_all(text.as_bytes());
        }
    }

    /// Stops the ticker and clears its line.
    pub fn finish(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.print("");
    }
}
