//! Descriptors a suite must not inherit. A descriptor lab's caller left
//! open (a socket to a network the suite must not reach, a pipe, a file)
//! would cross every isolation lab sets up, so every descriptor above 2 is
//! marked close-on-exec: all of lab's own when it starts, and all of the
//! child's again just before a suite's process is exec'd.
//!
//! Also the umask a hermetic suite's processes start with ([`umask_in_child`]).
//!
//! The only module allowed `unsafe`: a `pre_exec` hook and borrowing raw
//! descriptors need it. Nothing here allocates in the child.

#![allow(unsafe_code)]

use std::process::Command;

/// Marks every descriptor above 2 of the calling process close-on-exec.
/// Async-signal-safe (it runs between fork and exec): `close_range(2)`
/// with `CLOSE_RANGE_CLOEXEC` on Linux 5.11 and later, else a walk of
/// `/proc/self/fd` with a buffer on the stack. Marking instead of closing
/// keeps std's own close-on-exec pipe, which reports a failed exec, open
/// until the exec.
pub fn cloexec_above_stderr() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: the system call takes three integers and no pointers;
        // it only sets a flag on descriptors of this process.
        let marked = unsafe {
            libc::syscall(
                libc::SYS_close_range,
                3 as libc::c_uint,
                libc::c_uint::MAX,
                libc::CLOSE_RANGE_CLOEXEC,
            )
        };
        if marked != 0 {
            cloexec_listed();
        }
    }
}

/// The fallback of [`cloexec_above_stderr`]: every descriptor listed in
/// `/proc/self/fd`. Without /proc it marks nothing; lab marked its own at
/// start.
#[cfg(target_os = "linux")]
fn cloexec_listed() {
    use rustix::fd::{AsRawFd, BorrowedFd};
    use rustix::fs::{Mode, OFlags, RawDir};
    use std::mem::MaybeUninit;
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let Ok(dir) = rustix::fs::open(c"/proc/self/fd", flags, Mode::empty()) else {
        return;
    };
    let mut buf = [MaybeUninit::<u8>::uninit(); 2048];
    let mut entries = RawDir::new(&dir, &mut buf);
    while let Some(Ok(entry)) = entries.next() {
        let Some(fd) = parse_fd(entry.file_name().to_bytes()) else {
            continue; // `.` and `..`
        };
        if fd > 2 && fd != dir.as_raw_fd() {
            // SAFETY: `fd` is listed as open in this process, and is only
            // borrowed for the one fcntl below.
            let fd = unsafe { BorrowedFd::borrow_raw(fd) };
            // A descriptor closed meanwhile needs no flag.
            let _ = rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::CLOEXEC);
        }
    }
}

/// A descriptor number from its decimal name, without allocating.
fn parse_fd(name: &[u8]) -> Option<i32> {
    if name.is_empty() || name.len() > 9 {
        return None;
    }
    name.iter().try_fold(0i32, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + i32::from(b - b'0'))
    })
}

/// Makes `cmd`'s process drop every descriptor above 2 when it execs
/// (see [`cloexec_above_stderr`]), whatever lab or a library left open.
pub fn inherit_only_stdio(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the hook runs in the forked child before exec and only makes
    // async-signal-safe system calls (close_range, open, getdents, fcntl,
    // close) with buffers on its stack; it touches no lock and allocates
    // nothing.
    unsafe {
        cmd.pre_exec(|| {
            cloexec_above_stderr();
            Ok(())
        });
    }
}

/// Sets `mask` as the umask of `cmd`'s process, between fork and exec,
/// leaving lab's own untouched.
pub fn umask_in_child(cmd: &mut std::process::Command, mask: u32) {
    use std::os::unix::process::CommandExt;
    let mode = rustix::fs::Mode::from_bits_truncate(mask);
    // SAFETY: the closure runs in the forked child before exec; it makes
    // one raw system call (umask) through rustix, which allocates nothing,
    // takes no lock and cannot fail.
    unsafe {
        cmd.pre_exec(move || {
            rustix::process::umask(mode);
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proc_walk_marks_every_descriptor_above_stderr() {
        use rustix::io::{FdFlags, fcntl_getfd, fcntl_setfd};
        let file = std::fs::File::open("/proc/self/stat").expect("open");
        fcntl_setfd(&file, FdFlags::empty()).expect("clear");
        assert!(!fcntl_getfd(&file).expect("get").contains(FdFlags::CLOEXEC));
        cloexec_listed();
        assert!(fcntl_getfd(&file).expect("get").contains(FdFlags::CLOEXEC));
    }

    #[test]
    fn descriptor_names_parse_without_allocating() {
        assert_eq!(parse_fd(b"7"), Some(7));
        assert_eq!(parse_fd(b"1024"), Some(1024));
        assert_eq!(parse_fd(b"."), None);
        assert_eq!(parse_fd(b""), None);
        assert_eq!(parse_fd(b"1234567890"), None);
    }
}
