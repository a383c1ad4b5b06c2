//! Registry source files and positions in them: the text of every loaded
//! file, byte spans, and their conversion to 1-based `line:column`.
//!
//! Parsing lives in `load.rs`; rendering of diagnostics in `diagnostic.rs`.

use camino::{Utf8Path, Utf8PathBuf};

/// Index of a file in [`Sources`].
pub type FileId = usize;

/// A byte range in one registry file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span covering `range` of `file`.
    pub fn new(file: FileId, range: std::ops::Range<usize>) -> Self {
        Span {
            file,
            start: range.start,
            end: range.end.max(range.start),
        }
    }
}

/// A resolved position: workspace-relative file, 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Path relative to the workspace, `/`-separated.
    pub file: Utf8PathBuf,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One loaded registry file.
#[derive(Debug)]
pub struct SourceFile {
    /// Path relative to the workspace.
    pub path: Utf8PathBuf,
    /// The file's text.
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// Wraps `text`, read from `path` (workspace-relative).
    pub fn new(path: Utf8PathBuf, text: String) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            path,
            text,
            line_starts,
        }
    }

    /// 1-based line and character column of byte `offset`.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line as u32 + 1, column as u32 + 1)
    }

    /// The text of 1-based `line`, without its line break.
    pub fn line_text(&self, line: u32) -> &str {
        let index = (line as usize).saturating_sub(1);
        let start = self
            .line_starts
            .get(index)
            .copied()
            .unwrap_or(self.text.len());
        let end = self
            .line_starts
            .get(index + 1)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }
}

/// Every file of one registry, in load order (`suites.toml` first).
#[derive(Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    /// Adds a file and returns its id.
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        self.files.len() - 1
    }

    /// Gives file `id` a new workspace-relative path (the root file, once
    /// `[lab] workspace` says where the workspace is).
    pub fn relocate(&mut self, id: FileId, path: Utf8PathBuf) {
        self.files[id].path = path;
    }

    /// The file with id `id`.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id]
    }

    /// All files, in load order.
    pub fn iter(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter()
    }

    /// The id of the file at workspace-relative `path`, if loaded.
    pub fn find(&self, path: &Utf8Path) -> Option<FileId> {
        self.files.iter().position(|f| f.path == path)
    }

    /// Resolves a span to file, line and column.
    pub fn location(&self, span: Span) -> Location {
        let file = self.get(span.file);
        let (line, column) = file.line_col(span.start);
        Location {
            file: file.path.clone(),
            line,
            column,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_in_characters() {
        let f = SourceFile::new("a.toml".into(), "ab\né = 1\n\nx".into());
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(1), (1, 2));
        assert_eq!(f.line_col(3), (2, 1));
        // `=` sits after a two-byte character: column 3, not 4.
        assert_eq!(f.line_col(6), (2, 3));
        assert_eq!(f.line_col(10), (3, 1));
        assert_eq!(f.line_col(11), (4, 1));
        assert_eq!(f.line_text(2), "é = 1");
        assert_eq!(f.line_text(4), "x");
    }
}
