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
    /// The commit the base resolved to (git), for reading the base registry.
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
    /// `[lab].env_prefix`.
    pub env_prefix: &'a str,
    /// The base: `--base` or `[lab].base`.
    pub base: &'a str,
}

/// Splits a list separated by newlines, commas or spaces.
fn split_list(text: &str) -> Vec<String> {
    text.split(['\n', ',', ' ', '\r', '\t'])
        .filter_map(normalize_relative)
        .collect()
}

fn finish(mut changed: ChangedPaths) -> ChangedPaths {
    let unique: BTreeSet<String> = changed.paths.drain(..).collect();
    changed.paths = unique.into_iter().collect();
    changed
}

/// Gathers the changed paths from the first source that answers.
pub fn gather(req: &Request<'_>) -> Result<ChangedPaths, Error> {
    if let Some(file) = req.paths_file {
        let (text, source) = if file.as_str() == "-" {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .map_err(|e| Error::io("failed to read changed paths from stdin", e))?;
            (text, "stdin")
        } else {
            let text = std::fs::read_to_string(file)
                .map_err(|e| Error::io(format!("failed to read `{file}`"), e))?;
            (text, "paths-file")
        };
        return Ok(finish(ChangedPaths {
            source: source.into(),
            paths: split_list(&text),
            ..ChangedPaths::default()
        }));
    }
    let var = format!("{}_CHANGED_PATHS", req.env_prefix);
    if let Ok(text) = std::env::var(&var) {
        return Ok(finish(ChangedPaths {
            source: "env".into(),
            paths: split_list(&text),
            ..ChangedPaths::default()
        }));
    }
    let path_var = std::env::var("PATH").ok();
    match crate::vcs::changes(req.workspace, req.base, path_var.as_deref())? {
        Some(c) => Ok(finish(ChangedPaths {
            source: c.source.into(),
            base: c.base,
            base_commit: c.base_commit,
            paths: c.paths,
            notes: c.notes,
        })),
        None => Err(Error::usage(format!(
            "--changed needs a git or jj repository, and `{}` is in neither",
            req.workspace
        ))
        .hint(format!(
            "pass the paths with --changed-paths FILE (`-` for stdin) or in {var}, separated by newlines, commas or spaces"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_on_newlines_commas_and_spaces() {
        assert_eq!(
            split_list("a.rs,b.rs c.rs\n./d.rs\n\n"),
            ["a.rs", "b.rs", "c.rs", "d.rs"]
        );
    }
}
