//! Path patterns compiled once for a whole registry (design §3): a pattern
//! ending in `/` matches everything under it, a pattern with glob syntax is
//! a glob where `**` crosses directories, anything else is an exact file or
//! a directory prefix.
//!
//! Literal patterns are hash lookups on a path and its ancestors; all glob
//! patterns share one `GlobSet`. Which patterns belong to which suite is the
//! caller's business: patterns are numbered in the order they were added.

use std::collections::HashMap;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// Many patterns, matched together.
#[derive(Debug)]
pub struct PathIndex {
    exact: HashMap<String, Vec<usize>>,
    dirs: HashMap<String, Vec<usize>>,
    globs: GlobSet,
    glob_ids: Vec<Vec<usize>>,
    len: usize,
}

/// `true` when `pattern` holds glob syntax.
pub fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '[', '{'])
}

impl PathIndex {
    /// Compiles `patterns` (already normalized and checked by the registry
    /// loader); pattern `i` is the `i`-th item.
    pub fn new<'a>(patterns: impl IntoIterator<Item = &'a str>) -> Result<Self, globset::Error> {
        let mut exact: HashMap<String, Vec<usize>> = HashMap::new();
        let mut dirs: HashMap<String, Vec<usize>> = HashMap::new();
        let mut glob_index: HashMap<&str, usize> = HashMap::new();
        let mut glob_ids: Vec<Vec<usize>> = Vec::new();
        let mut builder = GlobSetBuilder::new();
        let mut len = 0;
        for (i, pattern) in patterns.into_iter().enumerate() {
            len = i + 1;
            if is_glob(pattern) {
                let slot = match glob_index.get(pattern) {
                    Some(&slot) => slot,
                    None => {
                        builder.add(GlobBuilder::new(pattern).literal_separator(true).build()?);
                        glob_ids.push(Vec::new());
                        glob_index.insert(pattern, glob_ids.len() - 1);
                        glob_ids.len() - 1
                    }
                };
                glob_ids[slot].push(i);
            } else if let Some(dir) = pattern.strip_suffix('/') {
                dirs.entry(dir.to_string()).or_default().push(i);
            } else {
                exact.entry(pattern.to_string()).or_default().push(i);
                dirs.entry(pattern.to_string()).or_default().push(i);
            }
        }
        Ok(PathIndex {
            exact,
            dirs,
            globs: builder.build()?,
            glob_ids,
            len,
        })
    }

    /// How many patterns were added.
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` when no pattern was added.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends to `out` the number of every pattern matching `path`
    /// (workspace-relative, `/`-separated). A pattern may appear twice.
    pub fn matches(&self, path: &str, out: &mut Vec<usize>) {
        if let Some(ids) = self.exact.get(path) {
            out.extend(ids);
        }
        if !self.dirs.is_empty() {
            for (i, _) in path.match_indices('/') {
                if let Some(ids) = self.dirs.get(&path[..i]) {
                    out.extend(ids);
                }
            }
        }
        if !self.glob_ids.is_empty() {
            for slot in self.globs.matches(path) {
                out.extend(&self.glob_ids[slot]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(patterns: &[&str], path: &str) -> Vec<usize> {
        let index = PathIndex::new(patterns.iter().copied()).expect("valid patterns");
        let mut out = Vec::new();
        index.matches(path, &mut out);
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn trailing_slash_matches_everything_under_it() {
        assert_eq!(hits(&["src/"], "src/a.rs"), [0]);
        assert_eq!(hits(&["src/"], "src/deep/er/a.rs"), [0]);
        assert!(hits(&["src/"], "src").is_empty());
        assert!(hits(&["src/"], "srcx/a.rs").is_empty());
    }

    #[test]
    fn literal_is_exact_file_or_directory_prefix() {
        assert_eq!(hits(&["Cargo.toml"], "Cargo.toml"), [0]);
        assert!(hits(&["Cargo.toml"], "crates/Cargo.toml").is_empty());
        assert_eq!(hits(&["crates/core"], "crates/core/src/lib.rs"), [0]);
        assert!(hits(&["crates/core"], "crates/core2/src/lib.rs").is_empty());
    }

    #[test]
    fn globs_cross_directories_only_with_double_star() {
        assert_eq!(hits(&["src/**/*.rs"], "src/a/b.rs"), [0]);
        assert_eq!(hits(&["src/**/*.rs"], "src/b.rs"), [0]);
        assert!(hits(&["src/*.rs"], "src/a/b.rs").is_empty());
        assert!(hits(&["*.md"], "docs/a.md").is_empty());
        assert_eq!(hits(&["**/*.md"], "docs/a.md"), [0]);
        assert_eq!(hits(&["docs/{a,b}.md"], "docs/b.md"), [0]);
    }

    #[test]
    fn shared_patterns_report_every_owner() {
        assert_eq!(
            hits(&["src/**", "x/", "src/**", "src"], "src/a.rs"),
            [0, 2, 3]
        );
    }
}
