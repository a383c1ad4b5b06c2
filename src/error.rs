//! lab's exit codes and the error type every command returns; the one place
//! that decides which failure maps to which exit status (docs/exit-codes.md).

use std::fmt;

/// Exit statuses of `lab`, in one place.
pub mod exit_code {
    /// Nothing failed or was blocked (or nothing was selected).
    pub const SUCCESS: u8 = 0;
    /// At least one suite failed, or a check (`schema --check`) found a problem.
    pub const FAILED: u8 = 1;
    /// Usage error or invalid registry; nothing was run.
    pub const USAGE: u8 = 2;
    /// Every selected suite was skipped.
    pub const SKIPPED: u8 = 77;
    /// None failed, at least one was blocked.
    pub const BLOCKED: u8 = 78;
    /// Interrupted by a signal.
    pub const INTERRUPTED: u8 = 130;
}

/// What went wrong, which decides the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The command line asked for something that cannot be done.
    Usage,
    /// The registry is invalid; its diagnostics were already printed.
    Registry,
    /// Reading or writing a file failed.
    Io,
}

/// An error that ends a command.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    hint: Option<String>,
    source: Option<std::io::Error>,
}

impl Error {
    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Usage,
            message: message.into(),
            hint: None,
            source: None,
        }
    }

    /// An invalid registry (exit 2); the diagnostics are printed separately.
    pub fn registry(message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Registry,
            message: message.into(),
            hint: None,
            source: None,
        }
    }

    /// A failed file operation (exit 1). `message` reads well after "error: ".
    pub fn io(message: impl Into<String>, source: std::io::Error) -> Self {
        Error {
            kind: ErrorKind::Io,
            message: message.into(),
            hint: None,
            source: Some(source),
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

    /// The hint, if any.
    pub fn hint_text(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// The exit status this error ends lab with.
    pub fn exit_code(&self) -> u8 {
        match self.kind {
            ErrorKind::Usage | ErrorKind::Registry => exit_code::USAGE,
            ErrorKind::Io => exit_code::FAILED,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e as _)
    }
}
