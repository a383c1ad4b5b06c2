//! Writing one JSON document to stdout (`--json`): pretty, newline-ended.

use std::io::Write;

use serde::Serialize;

use crate::error::Error;

/// Prints `value` as the one JSON document of this command.
pub fn print<T: Serialize>(value: &T) -> Result<(), Error> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::io("failed to serialize JSON", std::io::Error::other(e)))?;
    text.push('\n');
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .or_else(ignore_broken_pipe)
        .map_err(|e| Error::io("failed to write to stdout", e))
}

/// A closed stdout (`lab suite list | head`) is not an error.
pub fn ignore_broken_pipe(e: std::io::Error) -> std::io::Result<()> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(e)
    }
}
