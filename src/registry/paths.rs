//! Path patterns compiled once for a whole registry (docs/selection.md): a pattern
//! ending in `/` matches everything under it, a pattern with glob syntax is
//! a glob where `**` crosses directories, anything else is an exact file or
//! a directory prefix.
//!
//! Literal patterns are hash lookups on a path and its ancestors. Glob
//! patterns are grouped by their literal directory prefix (`crates/api/` for
//! `crates/api/src/**/*.rs`), one small `GlobSet` per prefix, so a path is
//! only tested against the globs that could match it: one big set of
//! thousands of globs is two orders of magnitude slower to query. Which
//! patterns belong to which suite is the caller's business: patterns are
//! numbered in the order they were added.

use foldhash::{HashMap, HashMapExt};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// Many patterns, matched together.
#[derive(Debug)]
pub struct PathIndex {
    exact: HashMap<String, Vec<usize>>,
    dirs: HashMap<String, Vec<usize>>,
    /// Literal directory prefix (`""` or ending in `/`) → its globs.
    globs: HashMap<String, GlobGroup>,
    len: usize,
}

/// The globs sharing one literal prefix, and the patterns each stands for.
#[derive(Debug)]
struct GlobGroup {
    set: GlobSet,
    ids: Vec<Vec<usize>>,
}

/// The literal directory prefix of a glob: its leading segments without
/// glob syntax, each followed by `/` (`src/**/*.rs` → `src/`).
fn literal_prefix(glob: &str) -> &str {
    let mut end = 0;
    for (i, _) in glob.match_indices('/') {
        if is_glob(&glob[..i]) {
            break;
        }
        end = i + 1;
    }
    &glob[..end]
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
        // prefix → (glob text → its pattern numbers), in first-seen order.
        let mut grouped: HashMap<&str, Vec<(&str, Vec<usize>)>> = HashMap::new();
        let mut len = 0;
        for (i, pattern) in patterns.into_iter().enumerate() {
            len = i + 1;
            if is_glob(pattern) {
                let group = grouped.entry(literal_prefix(pattern)).or_default();
                match group.iter_mut().find(|(text, _)| *text == pattern) {
                    Some((_, ids)) => ids.push(i),
                    None => group.push((pattern, vec![i])),
                }
            } else if let Some(dir) = pattern.strip_suffix('/') {
                dirs.entry(dir.to_string()).or_default().push(i);
            } else {
                exact.entry(pattern.to_string()).or_default().push(i);
                dirs.entry(pattern.to_string()).or_default().push(i);
            }
        }
        let mut globs = HashMap::with_capacity(grouped.len());
        for (prefix, members) in grouped {
            let mut builder = GlobSetBuilder::new();
            let mut ids = Vec::with_capacity(members.len());
            for (text, owners) in members {
                builder.add(GlobBuilder::new(text).literal_separator(true).build()?);
                ids.push(owners);
            }
            let set = builder.build()?;
            globs.insert(prefix.to_string(), GlobGroup { set, ids });
        }
        Ok(PathIndex {
            exact,
            dirs,
            globs,
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
        if !self.globs.is_empty() {
            let prefixes =
                std::iter::once("").chain(path.match_indices('/').map(|(i, _)| &path[..=i]));
            for prefix in prefixes {
                if let Some(group) = self.globs.get(prefix) {
                    for slot in group.set.matches(path) {
                        out.extend(&group.ids[slot]);
                    }
                }
            }
        }
    }
}

impl PathIndex {
    /// Appends the number of every pattern that lies under the directory
    /// `dir` (its literal part is `dir` or starts with `dir/`): a changed path that
    /// names a directory (a submodule, a tool that lists directories)
    /// selects what is inside it. Walks every pattern: call it only for
    /// paths that are directories.
    pub fn under(&self, dir: &str, out: &mut Vec<usize>) {
        let inside = |literal: &str| {
            literal
                .strip_prefix(dir)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        for (path, ids) in self.exact.iter().chain(&self.dirs) {
            if inside(path) {
                out.extend(ids);
            }
        }
        for (prefix, group) in &self.globs {
            if inside(prefix.trim_end_matches('/')) || inside(prefix) {
                out.extend(group.ids.iter().flatten());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_holds_the_patterns_under_it() {
        let index = PathIndex::new([
            "legacy/web/src/",
            "legacy/web/x.ts",
            "legacy/web/**/*.rs",
            "legacy/webby/",
            "other/",
        ])
        .expect("valid");
        let mut out = Vec::new();
        index.under("legacy/web", &mut out);
        out.sort();
        out.dedup();
        assert_eq!(out, [0, 1, 2]);
    }

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
    fn literal_prefixes() {
        assert_eq!(literal_prefix("src/**/*.rs"), "src/");
        assert_eq!(literal_prefix("crates/a/src/{a,b}.rs"), "crates/a/src/");
        assert_eq!(literal_prefix("**/*.md"), "");
        assert_eq!(literal_prefix("*.md"), "");
        assert_eq!(literal_prefix("a/*/b/*.rs"), "a/");
    }

    #[test]
    fn globs_in_different_prefix_groups_all_match() {
        let patterns = [
            "crates/a/**/*.rs",
            "**/*.rs",
            "crates/*/src/lib.rs",
            "crates/a/src/lib.rs",
        ];
        assert_eq!(hits(&patterns, "crates/a/src/lib.rs"), [0, 1, 2, 3]);
        assert_eq!(hits(&patterns, "crates/b/src/lib.rs"), [1, 2]);
    }

    #[test]
    fn shared_patterns_report_every_owner() {
        assert_eq!(
            hits(&["src/**", "x/", "src/**", "src"], "src/a.rs"),
            [0, 2, 3]
        );
    }
}
