//! The cache directory (docs/running.md#caching): `keys/<key>.json` for
//! each key a suite passed under, `suites/<id>.json` for the last key each
//! suite passed under (what a miss is compared with). Each file is small
//! JSON written atomically (temp file, rename), so concurrent runs never
//! read a torn entry; a corrupt or foreign entry is a miss with a warning.

use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};

/// The format of entries this lab writes and reads.
const FORMAT: u32 = 1;

/// One cache entry: a suite passed in `run_id` under `key`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// Always [`FORMAT`].
    pub lab_cache: u32,
    /// The suite's id.
    pub suite: String,
    /// Its key.
    pub key: String,
    /// The run it passed in.
    pub run_id: String,
    /// Its stdout log, relative to that run's directory.
    pub stdout: Option<String>,
    /// Its stderr log, relative to that run's directory.
    pub stderr: Option<String>,
    /// The inputs of the key, `(name, digest)`.
    pub inputs: Vec<(String, String)>,
}

/// A cache directory.
#[derive(Debug, Clone)]
pub struct Store {
    /// Absolute path.
    pub dir: Utf8PathBuf,
}

impl Store {
    fn key_path(&self, key: &str) -> Utf8PathBuf {
        self.dir.join("keys").join(format!("{key}.json"))
    }

    fn suite_path(&self, suite: &str) -> Utf8PathBuf {
        self.dir.join("suites").join(format!("{suite}.json"))
    }

    /// The entry of `key` for `suite`; `Err` says why an entry present is
    /// not used (a warning); `Ok(None)`: none.
    pub fn hit(&self, suite: &str, key: &str) -> Result<Option<Entry>, String> {
        let path = self.key_path(key);
        let Some(entry) = read(&path)? else {
            return Ok(None);
        };
        if entry.key != key || entry.suite != suite {
            return Err(format!(
                "cache entry {path} is for another suite or key; ignored (delete it)"
            ));
        }
        Ok(Some(entry))
    }

    /// The last entry `suite` passed under, if readable.
    pub fn last(&self, suite: &str) -> Option<Entry> {
        read(&self.suite_path(suite)).ok().flatten()
    }

    /// Records that `entry.suite` passed under `entry.key`.
    pub fn record(&self, entry: &Entry) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        for path in [self.key_path(&entry.key), self.suite_path(&entry.suite)] {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            crate::files::write_atomic(&path, &bytes)?;
        }
        Ok(())
    }

    /// Deletes the entries of runs no longer in `run_root`; how many.
    pub fn prune(&self, run_root: &Utf8Path) -> usize {
        let mut removed = 0;
        for sub in ["keys", "suites"] {
            let Ok(dir) = std::fs::read_dir(self.dir.join(sub)) else {
                continue;
            };
            for file in dir.flatten() {
                let Ok(path) = Utf8PathBuf::from_path_buf(file.path()) else {
                    continue;
                };
                let gone = match read(&path) {
                    Ok(Some(e)) => !run_root.join(&e.run_id).is_dir(),
                    _ => path.extension() == Some("json"),
                };
                if gone && std::fs::remove_file(&path).is_ok() {
                    removed += 1;
                }
            }
        }
        removed
    }
}

/// Reads an entry; `Ok(None)` when there is none, `Err` when it is not one.
fn read(path: &Utf8Path) -> Result<Option<Entry>, String> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read cache entry {path}: {e}; ignored")),
    };
    match serde_json::from_slice::<Entry>(&bytes) {
        Ok(e) if e.lab_cache == FORMAT => Ok(Some(e)),
        Ok(_) => Err(format!("cache entry {path} is of another format; ignored")),
        Err(e) => Err(format!(
            "cache entry {path} is corrupt ({e}); ignored (delete it)"
        )),
    }
}
