//! The run directory (docs/run-directory.md): a time-sortable id that never collides,
//! the `latest` link, atomic JSON writes, and the `lab.log.jsonl` event
//! stream. What goes into the JSON is decided elsewhere.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::sync::Mutex;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;

use crate::error::Error;

/// One run's directory.
#[derive(Debug)]
pub struct RunDir {
    /// `20261122T101500Z-7f3a9c`.
    pub id: String,
    /// Absolute path.
    pub path: Utf8PathBuf,
    events: Mutex<File>,
}

/// Creates one directory (its parent must exist) readable by the owner only.
pub fn create_private_subdir(path: &Utf8Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new().mode(0o700).create(path)
}

/// Creates a directory (and its parents) readable by the owner only.
pub fn create_private_dir(path: &Utf8Path) -> Result<(), Error> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|e| Error::io(format!("failed to create `{path}`"), e))
}

impl RunDir {
    /// Creates a new run directory under `root` and points `latest` at it.
    pub fn create(root: &Utf8Path) -> Result<Self, Error> {
        create_private_dir(root)?;
        // Resolved once, so artifact paths can be compared without
        // resolving the run directory again for every suite.
        let root = &root
            .canonicalize_utf8()
            .map_err(|e| Error::io(format!("failed to resolve `{root}`"), e))?;
        let now = jiff::Timestamp::now();
        let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
        // The suffix starts with the milliseconds, so runs within one second
        // still sort by time; three random hex digits (and a retry on
        // collision) keep concurrent runs apart.
        let millis = now.subsec_millisecond();
        for _ in 0..64 {
            let id = format!(
                "{stamp}-{millis:03}{:03x}",
                crate::files::random_u64() & 0xfff
            );
            let path = root.join(&id);
            match std::fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => {
                    let events = OpenOptions::new()
                        .create_new(true)
                        .append(true)
                        .mode(0o600)
                        .open(path.join("lab.log.jsonl"))
                        .map_err(|e| {
                            Error::io(format!("failed to create `{path}/lab.log.jsonl`"), e)
                        })?;
                    point_latest(root, &id);
                    let suites = path.join("suites");
                    create_private_subdir(&suites)
                        .map_err(|e| Error::io(format!("failed to create `{suites}`"), e))?;
                    return Ok(RunDir {
                        id,
                        path,
                        events: Mutex::new(events),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io(format!("failed to create `{path}`"), e)),
            }
        }
        Err(Error::io(
            format!("failed to create a unique run directory under `{root}`"),
            std::io::Error::from(std::io::ErrorKind::AlreadyExists),
        ))
    }

    /// Writes `bytes` to `rel` atomically: a temp file, then a rename, so a
    /// reader or a crash never sees a torn file.
    pub fn write_atomic(&self, rel: &str, bytes: &[u8]) -> Result<(), Error> {
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
            // One write call per line, on an O_APPEND file: lines never interleave.
            let _ = file.write_all(text.as_bytes());
        }
    }
}

/// Atomically replaces `path` with `bytes` ([`crate::files::write_atomic`]).
pub fn write_atomic(path: &Utf8Path, bytes: &[u8]) -> Result<(), Error> {
    crate::files::write_atomic(path, bytes)
        .map_err(|e| Error::io(format!("failed to write `{path}`"), e))
}

/// Serializes `value` and writes it atomically, with a final newline.
pub fn write_json<T: Serialize>(path: &Utf8Path, value: &T, pretty: bool) -> Result<(), Error> {
    crate::files::write_json(path, value, pretty)
        .map_err(|e| Error::io(format!("failed to write `{path}`"), e))
}

/// Points `<root>/latest` at `id`, replacing any older link atomically.
fn point_latest(root: &Utf8Path, id: &str) {
    let tmp = root.join(format!(
        ".latest.tmp-{:08x}",
        crate::files::random_u64() as u32
    ));
    if std::os::unix::fs::symlink(id, &tmp).is_ok()
        && std::fs::rename(&tmp, root.join("latest")).is_err()
    {
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
        let latest = std::fs::read_link(root.join("latest")).expect("latest link");
        assert_eq!(latest.to_str(), Some(runs[19].id.as_str()));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&runs[0].path)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}
