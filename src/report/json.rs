//! Writing one JSON document to stdout (`--json`): pretty, newline-ended.

use std::io::Write;

use serde::Serialize;

use crate::error::{Error, ErrorKind};

/// The JSON document of a command could not be printed.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The value does not serialize.
    #[error("failed to serialize JSON")]
    Serialize(#[source] serde_json::Error),
    /// stdout refused it.
    #[error("failed to write to stdout")]
    Stdout(#[source] std::io::Error),
}

impl From<OutputError> for Error {
    fn from(e: OutputError) -> Self {
        Error::new(ErrorKind::Io, e)
    }
}

/// Prints `value` as the one JSON document of this command.
pub fn print<T: Serialize>(value: &T) -> Result<(), OutputError> {
    let mut text = serde_json::to_string_pretty(value).map_err(OutputError::Serialize)?;
    text.push('\n');
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .or_else(ignore_broken_pipe)
        .map_err(OutputError::Stdout)
}

/// A closed stdout (`lab suite list | head`) is not an error.
pub fn ignore_broken_pipe(e: std::io::Error) -> std::io::Result<()> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(e)
    }
}
