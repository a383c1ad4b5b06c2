//! lab's exit codes and the error every command returns: the one place
//! that decides which kind of failure maps to which exit status, and what
//! each kind hints (docs/exit-codes.md).
//!
//! Each area keeps its own error enum (thiserror, with its source chain)
//! beside the operation that fails — `registry::units::DurationError`,
//! `history::index::SummaryError`, `run::run_dir::RecordError`, … An area
//! error that can end a command converts into [`Error`] through one `From`
//! impl beside it (this module sits below every area, so it cannot name
//! them); that impl picks the [`ErrorKind`], and call sites use `?`.
//!
//! Messages are lowercase fragments without a final period; an error and
//! its causes print on one line, `: `-separated ([`Chain`]).

use std::fmt;

/// Exit statuses of `lab`, in one place.
pub mod exit_code {
    /// Nothing failed or was blocked (or nothing was selected).
    pub const SUCCESS: u8 = 0;
    /// At least one suite failed, a check (`schema --check`) found a
    /// problem, or a file lab needed could not be read or written.
    pub const FAILED: u8 = 1;
    /// Usage error or invalid registry; nothing was run.
    pub const USAGE: u8 = 2;
    /// lab itself could not record the run: run directory not writable,
    /// disk full; what it could write is kept.
    pub const NOT_RECORDED: u8 = 74;
    /// Every selected suite was skipped.
    pub const SKIPPED: u8 = 77;
    /// None failed, at least one was blocked.
    pub const BLOCKED: u8 = 78;
    /// Interrupted by a signal.
    pub const INTERRUPTED: u8 = 130;
}

/// What went wrong, which decides the exit status and the default hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The command line asked for something that cannot be done.
    Usage,
    /// The registry is invalid; its diagnostics were already printed.
    Registry,
    /// Reading or writing a file lab needed failed.
    Io,
    /// The run directory, summary.json or manifest.json could not be
    /// created or written.
    Record,
}

impl ErrorKind {
    /// The exit status an error of this kind ends lab with.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Usage | ErrorKind::Registry => exit_code::USAGE,
            ErrorKind::Io => exit_code::FAILED,
            ErrorKind::Record => exit_code::NOT_RECORDED,
        }
    }

    /// The hint every error of this kind carries unless it has its own.
    fn default_hint(self) -> Option<&'static str> {
        match self {
            ErrorKind::Record => Some(
                "the run root must be writable and its disk not full; what lab could write is kept",
            ),
            ErrorKind::Usage | ErrorKind::Registry | ErrorKind::Io => None,
        }
    }
}

/// The cause of an [`Error`]: an area's error, or an I/O error.
type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error that ends a command: its kind, what failed, why, and a hint.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    /// What failed, when the cause does not say it itself.
    message: Option<String>,
    hint: Option<String>,
    cause: Option<Cause>,
}

impl Error {
    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Error::with_message(ErrorKind::Usage, message.into(), None)
    }

    /// An invalid registry (exit 2); the diagnostics are printed separately.
    pub fn registry(message: impl Into<String>) -> Self {
        Error::with_message(ErrorKind::Registry, message.into(), None)
    }

    /// A failed file operation (exit 1). `message` reads well after "error: ".
    pub fn io(message: impl Into<String>, source: std::io::Error) -> Self {
        Error::with_message(ErrorKind::Io, message.into(), Some(Box::new(source)))
    }

    /// An area's error, ending the command as `kind`: printed as its own
    /// message and causes. Called by the areas' `From` impls.
    pub fn new(kind: ErrorKind, cause: impl Into<Cause>) -> Self {
        Error {
            kind,
            message: None,
            hint: None,
            cause: Some(cause.into()),
        }
    }

    fn with_message(kind: ErrorKind, message: String, cause: Option<Cause>) -> Self {
        Error {
            kind,
            message: Some(message),
            hint: None,
            cause,
        }
    }

    /// Adds a hint: what to do about it.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The hint, if any: its own, else its kind's.
    pub fn hint_text(&self) -> Option<&str> {
        self.hint.as_deref().or(self.kind.default_hint())
    }

    /// The exit status this error ends lab with.
    pub fn exit_code(&self) -> u8 {
        self.kind.exit_code()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.message, &self.cause) {
            (Some(message), Some(cause)) => write!(f, "{message}: {}", Chain(cause.as_ref())),
            (Some(message), None) => f.write_str(message),
            (None, Some(cause)) => Chain(cause.as_ref()).fmt(f),
            (None, None) => f.write_str("unknown error"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_deref().map(|e| e as _)
    }
}

/// An error and its causes on one line, `: `-separated: how lab prints an
/// error wherever it ends up (stderr, a suite's reason, an event).
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("failed to write `x`")]
    struct WriteX(#[source] std::io::Error);

    #[test]
    fn kinds_pick_exit_codes_and_hints() {
        let record = Error::new(
            ErrorKind::Record,
            WriteX(std::io::Error::from(std::io::ErrorKind::StorageFull)),
        );
        assert_eq!(record.exit_code(), 74);
        assert!(record.hint_text().is_some_and(|h| h.contains("writable")));
        assert_eq!(record.to_string(), "failed to write `x`: no storage space");
        let usage = Error::usage("no suite `a`").hint("did you mean `b`?");
        assert_eq!(usage.exit_code(), 2);
        assert_eq!(usage.hint_text(), Some("did you mean `b`?"));
        let io = Error::io("failed to read `y`", std::io::Error::other("gone"));
        assert_eq!(
            (io.exit_code(), io.to_string().as_str()),
            (1, "failed to read `y`: gone")
        );
        assert_eq!(io.hint_text(), None);
    }
}
