//! How a process ended, in words and numbers: exit code and signal of an
//! `ExitStatus`, signal names, and the phrase reasons use ("exited with 3",
//! "was killed by SIGKILL"). Classifying an exit into a suite status is the
//! suite's business (`suite/command.rs`).

/// Exit code and signal of a finished child.
pub fn exit_parts(status: std::process::ExitStatus) -> (Option<i32>, Option<i32>) {
    use std::os::unix::process::ExitStatusExt;
    (status.code(), status.signal())
}

/// The name of a signal, for reasons.
pub fn signal_name(signal: i32) -> String {
    let name = match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => return format!("signal {signal}"),
    };
    name.to_string()
}

/// `exited with 3`, `was killed by SIGKILL`, or `did not finish`.
pub fn describe_exit(code: Option<i32>, signal: Option<i32>) -> String {
    match (code, signal) {
        (_, Some(s)) => format!("was killed by {}", signal_name(s)),
        (Some(c), _) => format!("exited with {c}"),
        _ => "did not finish".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exits_read_as_words() {
        assert_eq!(describe_exit(Some(3), None), "exited with 3");
        assert_eq!(describe_exit(None, Some(9)), "was killed by SIGKILL");
        assert_eq!(describe_exit(Some(0), Some(64)), "was killed by signal 64");
        assert_eq!(describe_exit(None, None), "did not finish");
    }
}
