//! Where `--changed` gets its paths (docs/selection.md), first source that answers:
//! a paths file or stdin, `<PREFIX>_CHANGED_PATHS`, jj (when the workspace
//! is a jj repository and `jj` is on PATH), git through libgit2. Paths come
//! out workspace-relative, `/`-separated, without `./`, sorted and unique.
//!
//! What the paths select is decided in `escalate.rs`.

use std::collections::BTreeSet;

use camino::Utf8Path;

use crate::error::Error;
use crate::files::normalize_relative;

/// Changed paths and where they came from.
#[derive(Debug, Clone, Default)]
pub struct ChangedPaths {
    /// `paths-file`, `stdin`, `env`, `jj` or `git`.
    pub source: String,
    /// The revision diffed against, when a VCS answered.
    pub base: Option<String>,
    /// Where the base registry is read (git: the commit the base resolved
    /// to; jj: a revset of the state the range starts from).
    pub base_commit: Option<String>,
    /// Workspace-relative paths.
    pub paths: Vec<String>,
    /// Things the user should know (a missing base, a shallow clone, …).
    pub notes: Vec<String>,
}

/// Where to look for changes.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The workspace (absolute).
    pub workspace: &'a Utf8Path,
    /// `--changed-paths FILE` (`-` = stdin).
    pub paths_file: Option<&'a Utf8Path>,
    /// `-z`: the paths file is NUL-separated.
    pub nul: bool,
    /// `[lab].env_prefix`.
    pub env_prefix: &'a str,
    /// The base: `--base` or `[lab].base`.
    pub base: &'a str,
    /// The base came from `--base`: it must exist.
    pub explicit_base: bool,
    /// `[lab].run_root`: nothing under it is ever a changed path.
    pub run_root: &'a Utf8Path,
}

/// Splits a list of paths: one per line (a trailing `\r` dropped), or
/// NUL-separated with `nul`. Never on spaces or commas, which are
/// characters of file names; a name that is not UTF-8 is kept with its bad
/// bytes replaced (U+FFFD), so globs still match it and it is listed.
fn split_list(bytes: &[u8], nul: bool) -> Vec<String> {
    let separator = if nul { b'\0' } else { b'\n' };
    bytes
        .split(|&b| b == separator)
        .map(|item| item.strip_suffix(b"\r").unwrap_or(item))
        .filter_map(|item| normalize_relative(&String::from_utf8_lossy(item)))
        .collect()
}

/// Sorted, unique, and without lab's own output: paths under the run root
/// (when it lies in the workspace) are never changes.
fn finish(mut changed: ChangedPaths, req: &Request<'_>) -> ChangedPaths {
    let own = own_output(req);
    let unique: BTreeSet<String> = changed
        .paths
        .drain(..)
        .filter(|p| !own.as_deref().is_some_and(|root| under(p, root)))
        .collect();
    changed.paths = unique.into_iter().collect();
    changed
}

/// The run root, workspace-relative, when it lies in the workspace.
fn own_output(req: &Request<'_>) -> Option<String> {
    let root = req.run_root.as_str();
    let relative = match req.run_root.strip_prefix(req.workspace) {
        Ok(rel) => rel.as_str(),
        Err(_) if req.run_root.is_absolute() => return None,
        Err(_) => root,
    };
    normalize_relative(relative)
}

/// `true` when `path` is `dir` or below it.
fn under(path: &str, dir: &str) -> bool {
    path.strip_prefix(dir)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Gathers the changed paths from the first source that answers.
pub fn gather(req: &Request<'_>) -> Result<ChangedPaths, Error> {
    if let Some(file) = req.paths_file {
        let (bytes, source) = if file.as_str() == "-" {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
                .map_err(|e| Error::io("failed to read changed paths from stdin", e))?;
            (bytes, "stdin")
        } else {
            let bytes = std::fs::read(file)
                .map_err(|e| Error::io(format!("failed to read `{file}`"), e))?;
            (bytes, "paths-file")
        };
        return Ok(finish(
            ChangedPaths {
                source: source.into(),
                paths: split_list(&bytes, req.nul),
                ..ChangedPaths::default()
            },
            req,
        ));
    }
    let var = format!("{}_CHANGED_PATHS", req.env_prefix);
    if let Some(text) = std::env::var_os(&var) {
        use std::os::unix::ffi::OsStrExt;
        return Ok(finish(
            ChangedPaths {
                source: "env".into(),
                paths: split_list(text.as_bytes(), false),
                ..ChangedPaths::default()
            },
            req,
        ));
    }
    let path_var = std::env::var("PATH").ok();
    let base = crate::vcs::Base {
        name: req.base,
        explicit: req.explicit_base,
    };
    let in_jj = req.workspace.ancestors().any(|d| d.join(".jj").is_dir());
    let jj_missing = in_jj && crate::files::find_program("jj", path_var.as_deref()).is_none();
    match crate::vcs::changes(req.workspace, &base, path_var.as_deref())? {
        Some(mut c) => {
            // Run from elsewhere (a second jj workspace, `--registry ../x`):
            // say whose changes these are.
            let here = std::env::current_dir().ok();
            let outside = |ws: &Utf8Path| {
                here.as_ref().is_some_and(|h| {
                    let ws = ws.canonicalize_utf8().unwrap_or_else(|_| ws.to_path_buf());
                    let h = h.canonicalize().unwrap_or_else(|_| h.clone());
                    !h.starts_with(ws.as_std_path())
                })
            };
            if outside(req.workspace) {
                c.notes.push(format!(
                    "{}: the changes are those of the registry's workspace `{}`, not of the current directory",
                    c.source, req.workspace
                ));
            }
            if jj_missing {
                c.notes.push(
                    "jj: this is a jj repository but `jj` is not on PATH; the changes come from git, which does not see jj's working-copy change as jj does".into(),
                );
            }
            Ok(finish(
                ChangedPaths {
                    source: c.source.into(),
                    base: c.base,
                    base_commit: c.base_commit,
                    paths: c.paths,
                    notes: c.notes,
                },
                req,
            ))
        }
        None if jj_missing => Err(Error::usage(format!(
            "--changed: `{}` is in a jj repository, but `jj` is not on PATH",
            req.workspace
        ))
        .hint(format!(
            "install jj (https://jj-vcs.github.io/jj/) or put it on PATH; or pass the paths with --changed-paths FILE or in {var}"
        ))),
        None => Err(Error::usage(format!(
            "--changed needs a git or jj repository, and `{}` is in neither",
            req.workspace
        ))
        .hint(format!(
            "pass the paths with --changed-paths FILE (`-` for stdin; add -z when they are NUL-separated) or in {var}, one per line"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_on_lines_or_nuls_only() {
        assert_eq!(
            split_list(b"docs/a b.md\r\n./d.rs\n\nx,y.rs\n", false),
            ["docs/a b.md", "d.rs", "x,y.rs"]
        );
        assert_eq!(
            split_list(b"a\nb.rs\0c d.rs\0", true),
            ["a\nb.rs", "c d.rs"]
        );
        assert_eq!(
            split_list(b"src/caf\xe9.rs\n", false),
            ["src/caf\u{fffd}.rs"]
        );
    }
}
