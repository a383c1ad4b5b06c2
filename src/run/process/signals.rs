//! Ctrl-C, SIGTERM and SIGHUP: flags the runner polls. The first signal asks
//! for an orderly stop (TERM the suites, grace period, KILL, write the
//! summary); a second one cuts the grace period short.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Signals received since `install`.
#[derive(Debug, Clone)]
pub struct Interrupts {
    /// The first signal's number, 0 until one arrives.
    first: Arc<AtomicUsize>,
    /// Set by every signal; cleared by `acknowledge`, so a later non-zero
    /// value means "another signal since then".
    latest: Arc<AtomicUsize>,
}

impl Interrupts {
    /// Installs the handlers (they only store to atomics).
    pub fn install() -> Self {
        let this = Self::none();
        for signal in [
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
        ] {
            // Fails only for signals a process may not catch (KILL, STOP),
            // never these three.
            let _ = signal_hook::flag::register_usize(
                signal,
                Arc::clone(&this.latest),
                signal as usize,
            );
        }
        this
    }

    /// Flags that only fire when set by hand (tests, or before `install`).
    pub fn none() -> Self {
        Interrupts {
            first: Arc::new(AtomicUsize::new(0)),
            latest: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The signal that interrupted the run, if any.
    pub fn signal(&self) -> Option<i32> {
        let latest = self.latest.load(Ordering::SeqCst);
        if latest != 0 {
            // Fails when a first signal is already recorded: it stays first.
            let _ = self
                .first
                .compare_exchange(0, latest, Ordering::SeqCst, Ordering::SeqCst);
        }
        match self.first.load(Ordering::SeqCst) {
            0 => None,
            s => Some(s as i32),
        }
    }

    /// `true` once a signal arrived.
    pub fn interrupted(&self) -> bool {
        self.signal().is_some()
    }

    /// Marks the signals so far as handled; `again` then reports only newer ones.
    pub fn acknowledge(&self) {
        self.signal();
        self.latest.store(0, Ordering::SeqCst);
    }

    /// `true` when a signal arrived since `acknowledge`.
    pub fn again(&self) -> bool {
        self.latest.load(Ordering::SeqCst) != 0
    }
}
