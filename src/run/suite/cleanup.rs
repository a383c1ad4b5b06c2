//! After a suite (docs/run-directory.md): `state.secrets` always emptied;
//! the suite's roots (`tmp/`, `state.*/`, outside the workspace) and the
//! links to them removed per the cleanup policy; `artifacts/` removed when
//! nothing was collected into it. Removal goes through the run's
//! [`SuiteDirs`] (recycled in the background).

use camino::Utf8PathBuf;

use super::prepare::Prepared;
use crate::outputs::Status;
use crate::registry::model::Cleanup;
use crate::run::suite_dirs::SuiteDirs;

/// A secret the suite was given could not be removed after it.
#[derive(Debug, thiserror::Error)]
#[error("cannot remove the secret `{path}`")]
pub struct SecretLeft {
    /// The file (or directory) left.
    pub path: Utf8PathBuf,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

/// Applies the cleanup policy to `prep`'s directory. `Some` names a
/// secret that is still there, for the caller to report (the rest of the
/// cleanup is best effort: what stays is disposable).
pub fn cleanup(
    prep: &Prepared,
    policy: Cleanup,
    status: Status,
    dirs: &SuiteDirs,
) -> Option<SecretLeft> {
    // Secrets never outlive the suite, whatever the policy.
    let secret_left = empty_dir(&prep.roots.join("state.secrets"));
    let remove_state = match policy {
        Cleanup::Always => true,
        Cleanup::Never => false,
        Cleanup::OnSuccess => status.is_pass() || status == Status::Skipped,
    };
    if remove_state {
        dirs.dispose_roots(&prep.dir, &prep.roots);
    }
    let artifacts = prep.dir.join("artifacts");
    if std::fs::read_dir(&artifacts).is_ok_and(|mut d| d.next().is_none()) {
        dirs.dispose(vec![artifacts]);
    }
    secret_left
}

/// Removes everything inside `dir`, keeping `dir`; the first entry that
/// could not be removed, if any. A missing `dir` holds nothing.
fn empty_dir(dir: &camino::Utf8Path) -> Option<SecretLeft> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut left = None;
    for entry in entries.flatten() {
        let path = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        let removed = if is_dir {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        if let Err(source) = removed {
            left.get_or_insert(SecretLeft {
                path: Utf8PathBuf::from_path_buf(path)
                    .unwrap_or_else(|p| Utf8PathBuf::from(p.to_string_lossy().into_owned())),
                source,
            });
        }
    }
    left
}
