//! Finding the registry file: `--registry` / `LAB_REGISTRY`, else the
//! nearest `suites.toml` from the current directory upwards, with
//! `tools/lab/suites.toml` tried at every repository root on the way
//! (docs/registry.md#files-and-discovery).
//!
//! Reading the file is `load.rs`.

use camino::{Utf8Path, Utf8PathBuf};

use super::load::REGISTRY_FILE;
use crate::error::Error;

/// Where a repository that keeps its registry out of its root puts it,
/// relative to the repository root (PostHaste's layout).
pub const NESTED_REGISTRY: &str = "tools/lab/suites.toml";

/// Finds the registry: `explicit` (from `--registry` or `LAB_REGISTRY`) when
/// given, otherwise the nearest `suites.toml` from `cwd` upwards; at a
/// repository root (a directory holding `.git` or `.jj`) that has none,
/// `tools/lab/suites.toml` is tried before going further up. The error names
/// every place looked at.
pub fn discover(cwd: &Utf8Path, explicit: Option<&Utf8Path>) -> Result<Utf8PathBuf, Error> {
    if let Some(path) = explicit {
        return explicit_registry(cwd, path);
    }
    let mut looked = Vec::new();
    for dir in cwd.ancestors() {
        let mut candidates = vec![dir.join(REGISTRY_FILE)];
        if is_repository_root(dir) {
            candidates.push(dir.join(NESTED_REGISTRY));
        }
        for candidate in candidates {
            if candidate.is_file() {
                return absolute(&candidate);
            }
            looked.push(candidate);
        }
    }
    let places: String = looked.iter().map(|p| format!("\n  {p}")).collect();
    Err(
        Error::usage(format!("no registry found; lab looked for{places}")).hint(
            "run lab from inside a workspace, pass --registry PATH, set LAB_REGISTRY, or run `lab init`",
        ),
    )
}

/// `--registry PATH`: taken from `cwd`; a directory means its `suites.toml`.
fn explicit_registry(cwd: &Utf8Path, path: &Utf8Path) -> Result<Utf8PathBuf, Error> {
    let path = cwd.join(path);
    let path = if path.is_dir() {
        path.join(REGISTRY_FILE)
    } else {
        path
    };
    if !path.is_file() {
        return Err(Error::usage(format!("registry `{path}` does not exist"))
            .hint("check --registry or LAB_REGISTRY"));
    }
    absolute(&path)
}

/// `true` when `dir` is the root of a git or jj repository.
fn is_repository_root(dir: &Utf8Path) -> bool {
    dir.join(".git").exists() || dir.join(".jj").is_dir()
}

fn absolute(path: &Utf8Path) -> Result<Utf8PathBuf, Error> {
    let canonical = path
        .canonicalize_utf8()
        .map_err(|e| Error::io(format!("failed to resolve `{path}`"), e))?;
    Ok(canonical)
}
