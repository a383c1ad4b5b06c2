//! After a suite (docs/run-directory.md): `state.secrets` always emptied;
//! `tmp/` and the `state.*` roots removed per the cleanup policy;
//! `artifacts/` removed when nothing was collected into it. Removal goes
//! through the run's [`SuiteDirs`] when there is one (recycled in the
//! background), else it happens here.

use camino::Utf8PathBuf;

use super::prepare::Prepared;
use crate::outputs::Status;
use crate::registry::model::Cleanup;
use crate::run::suite_dirs::SuiteDirs;

/// The roots the cleanup policy removes.
const POLICY_ROOTS: [&str; 4] = ["tmp", "state.config", "state.data", "state.secrets"];

/// Applies the cleanup policy to `prep`'s directory.
pub fn cleanup(prep: &Prepared, policy: Cleanup, status: Status, dirs: Option<&SuiteDirs>) {
    // Secrets never outlive the suite, whatever the policy.
    empty_dir(&prep.dir.join("state.secrets"));
    let remove_state = match policy {
        Cleanup::Always => true,
        Cleanup::Never => false,
        Cleanup::OnSuccess => status.is_pass() || status == Status::Skipped,
    };
    let mut gone: Vec<Utf8PathBuf> = Vec::new();
    if remove_state {
        gone.extend(POLICY_ROOTS.iter().map(|root| prep.dir.join(root)));
    }
    let artifacts = prep.dir.join("artifacts");
    if std::fs::read_dir(&artifacts).is_ok_and(|mut d| d.next().is_none()) {
        gone.push(artifacts);
    }
    match dirs {
        Some(dirs) => dirs.dispose(gone),
        None => {
            for dir in gone {
                // One rmdir when empty; `remove_dir_all` removes a symlink
                // itself, never what it points at.
                if std::fs::remove_dir(&dir).is_err() {
                    let _ = std::fs::remove_dir_all(&dir);
                }
            }
        }
    }
}

/// Removes everything inside `dir`, keeping `dir`.
fn empty_dir(dir: &camino::Utf8Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        let _ = if is_dir {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
    }
}
