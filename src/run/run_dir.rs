//! The run directory (docs/run-directory.md): a time-sortable id that never collides,
//! the `latest` link, atomic JSON writes, and the `lab.log.jsonl` event
//! stream. What goes into the JSON is decided elsewhere.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::sync::Mutex;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

use crate::error::{Error, ErrorKind};

/// lab could not record a run: its directory, summary.json or
/// manifest.json could not be created or written. Ends lab with exit 74.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// A directory of the run could not be created.
    #[error("failed to create `{path}`")]
    Create {
        /// The directory (or file) being created.
        path: Utf8PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The run root could not be resolved.
    #[error("failed to resolve `{path}`")]
    Resolve {
        /// The run root.
        path: Utf8PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Every run id tried was taken.
    #[error("failed to create a unique run directory under `{root}`")]
    Unique {
        /// The run root.
        root: Utf8PathBuf,
        /// The last collision.
        #[source]
        source: std::io::Error,
    },
    /// A document of the run could not be written.
    #[error("failed to write `{path}`")]
    Write {
        /// The document.
        path: Utf8PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A document of the run could not be serialized.
    #[error("failed to serialize `{path}`")]
    Serialize {
        /// The document.
        path: Utf8PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
}

impl From<RecordError> for Error {
    fn from(e: RecordError) -> Self {
        Error::new(ErrorKind::Record, e)
    }
}

/// One run's directory.
#[derive(Debug)]
pub struct RunDir {
    /// `20261122T101500Z-7f3a9c`.
    pub id: String,
    /// Absolute path.
    pub path: Utf8PathBuf,
    events: Mutex<File>,
    /// What of this run could not be recorded (a log on a full disk).
    lost: Mutex<Vec<String>>,
}

/// `true` while a lab process holds the run in `dir` (its `lab.log.jsonl`
/// is locked): a summary that says `running` without one never finishes.
pub fn has_writer(dir: &Utf8Path) -> bool {
    let Ok(log) = File::open(dir.join("lab.log.jsonl")) else {
        return false;
    };
    // A shared lock succeeds only when no writer holds the exclusive one;
    // it is released when `log` is closed.
    rustix::fs::flock(&log, rustix::fs::FlockOperation::NonBlockingLockShared).is_err()
}

/// The files that tell git, jj, ripgrep and backup tools that the run root
/// holds generated output: a `.gitignore` of `*` and a `CACHEDIR.TAG`.
/// Each is written only when absent, never over a user's file; a run root
/// that cannot take them still works.
fn mark_as_output(root: &Utf8Path) {
    const FILES: [(&str, &str); 2] = [
        (
            ".gitignore",
            "# Written by lab: run directories are output, never changes.\n*\n",
        ),
        (
            "CACHEDIR.TAG",
            "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by lab.\n# For information about cache directory tags see https://bford.info/cachedir/\n",
        ),
    ];
    for (name, text) in FILES {
        let written = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(root.join(name))
            .and_then(|mut f| f.write_all(text.as_bytes()));
        // Already there (the usual case), or a root lab may not write to:
        // either way the run goes on.
        drop(written);
    }
}

/// Creates one directory (its parent must exist) readable by the owner only.
pub fn create_private_subdir(path: &Utf8Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new().mode(0o700).create(path)
}

/// Creates a directory (and its parents) readable by the owner only.
pub fn create_private_dir(path: &Utf8Path) -> Result<(), RecordError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|source| RecordError::Create {
            path: path.to_path_buf(),
            source,
        })
}

impl RunDir {
    /// Creates a new run directory under `root` and points `latest` at it.
    pub fn create(root: &Utf8Path) -> Result<Self, RecordError> {
        create_private_dir(root)?;
        mark_as_output(root);
        // Resolved once, so artifact paths can be compared without
        // resolving the run directory again for every suite.
        let root = &root
            .canonicalize_utf8()
            .map_err(|source| RecordError::Resolve {
                path: root.to_path_buf(),
                source,
            })?;
        let now = jiff::Timestamp::now();
        let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
        // The suffix starts with the milliseconds, so runs within one second
        // still sort by time; three random hex digits (and a retry on
        // collision) keep concurrent runs apart.
        let millis = now.subsec_millisecond();
        let mut collision = None;
        for _ in 0..64 {
            let id = format!(
                "{stamp}-{millis:03}{:03x}",
                crate::files::random_u64() & 0xfff
            );
            let path = root.join(&id);
            match std::fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => return RunDir::fill(root, id, path),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => collision = Some(e),
                Err(source) => return Err(RecordError::Create { path, source }),
            }
        }
        Err(RecordError::Unique {
            root: root.clone(),
            source: collision
                .unwrap_or_else(|| std::io::Error::from(std::io::ErrorKind::AlreadyExists)),
        })
    }

    /// Fills a just created run directory: its event log, `suites/`, and
    /// `latest` pointing at it.
    fn fill(root: &Utf8Path, id: String, path: Utf8PathBuf) -> Result<Self, RecordError> {
        let log = path.join("lab.log.jsonl");
        let events = OpenOptions::new()
            .create_new(true)
            .append(true)
            .mode(0o600)
            .open(&log)
            .map_err(|source| RecordError::Create {
                path: log.clone(),
                source,
            })?;
        // The lock says "a lab process is writing this run" for as long as
        // the event log is open, and is released by the kernel however lab
        // ends, SIGKILL included (see `has_writer`).
        rustix::fs::flock(
            &events,
            rustix::fs::FlockOperation::NonBlockingLockExclusive,
        )
        .map_err(|e| RecordError::Create {
            path: log,
            source: e.into(),
        })?;
        point_latest(root, &id);
        let suites = path.join("suites");
        create_private_subdir(&suites).map_err(|source| RecordError::Create {
            path: suites,
            source,
        })?;
        Ok(RunDir {
            id,
            path,
            events: Mutex::new(events),
            lost: Mutex::new(Vec::new()),
        })
    }

    /// Notes that part of the run could not be recorded: the run still
    /// finishes its summary, and lab exits 74 (docs/exit-codes.md).
    pub fn lost(&self, what: &str) {
        self.event("not_recorded", serde_json::json!({ "what": what }));
        self.lost
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(what.to_string());
    }

    /// What could not be recorded, in the order it happened.
    pub fn losses(&self) -> Vec<String> {
        self.lost.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Writes `bytes` to `rel` atomically: a temp file, then a rename, so a
    /// reader or a crash never sees a torn file.
    pub fn write_atomic(&self, rel: &str, bytes: &[u8]) -> Result<(), RecordError> {
        write_atomic(&self.path.join(rel), bytes)
    }

    /// Appends one event to `lab.log.jsonl`: `{"ts": …, "event": name, …fields}`.
    pub fn event(&self, name: &str, fields: serde_json::Value) {
        let mut line = serde_json::Map::new();
        line.insert("ts".into(), jiff::Timestamp::now().to_string().into());
        line.insert("event".into(), name.into());
        if let serde_json::Value::Object(map) = fields {
            line.extend(map);
        }
        let mut text = serde_json::Value::Object(line).to_string();
        text.push('\n');
        if let Ok(mut file) = self.events.lock() {
            // One write call per line, on an O_APPEND file: lines never
            // interleave. The event log narrates the run; its record is
            // summary.json and manifest.json, whose failed writes end lab
            // (exit 74) — a lost event line is not worth stopping suites for.
            let _ = file.write_all(text.as_bytes());
        }
    }
}

/// Atomically replaces `path` with `bytes` ([`crate::files::write_atomic`]).
pub fn write_atomic(path: &Utf8Path, bytes: &[u8]) -> Result<(), RecordError> {
    crate::files::write_atomic(path, bytes).map_err(|source| RecordError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Serializes `value` (pretty or compact) and writes it atomically, with
/// a final newline.
pub fn write_json<T: Serialize>(
    path: &Utf8Path,
    value: &T,
    pretty: bool,
) -> Result<(), RecordError> {
    let serialized = if pretty {
        serde_json::to_vec_pretty(value)
    } else {
        serde_json::to_vec(value)
    };
    let mut text = serialized.map_err(|source| RecordError::Serialize {
        path: path.to_path_buf(),
        source,
    })?;
    text.push(b'\n');
    write_atomic(path, &text)
}

/// Points `<root>/latest` at `id`, replacing an older link atomically,
/// never a newer one: run ids sort by time, and the comparison and the
/// replacement happen under a lock on `<root>/.latest.lock`, so concurrent
/// runs never move `latest` back to an older run.
fn point_latest(root: &Utf8Path, id: &str) {
    // Without the lock (a run root that refuses it) the link is still
    // replaced: `latest` is a convenience, the run itself is in place.
    let _lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(root.join(".latest.lock"))
        .ok()
        .filter(|f| rustix::fs::flock(f, rustix::fs::FlockOperation::LockExclusive).is_ok());
    let current = std::fs::read_link(root.join("latest")).ok();
    if current
        .as_ref()
        .and_then(|p| p.to_str())
        .is_some_and(|current| {
            current.len() == id.len() && current > id && root.join(current).is_dir()
        })
    {
        return;
    }
    let tmp = root.join(format!(
        ".latest.tmp-{:08x}",
        crate::files::random_u64() as u32
    ));
    if std::os::unix::fs::symlink(id, &tmp).is_ok()
        && std::fs::rename(&tmp, root.join("latest")).is_err()
    {
        // A stray temp link is harmless (its name never collides); `latest`
        // is a convenience, the run itself is in place.
        let _ = std::fs::remove_file(&tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_sort_by_time_and_do_not_collide() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = Utf8PathBuf::try_from(dir.path().to_path_buf()).expect("utf-8");
        let runs: Vec<RunDir> = (0..20)
            .map(|_| RunDir::create(&root).expect("create"))
            .collect();
        let mut ids: Vec<&str> = runs.iter().map(|r| r.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 20);
        assert!(
            ids.iter()
                .all(|id| id.len() == "20261122T101500Z-7f3a9c".len())
        );
        // The greatest id: within one millisecond, later is not greater.
        let latest = std::fs::read_link(root.join("latest")).expect("latest link");
        assert_eq!(latest.to_str(), ids.last().copied());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&runs[0].path)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}
