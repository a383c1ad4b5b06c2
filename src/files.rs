//! Small filesystem helpers shared by every layer: expanding a glob under a
//! directory, copying a file or tree, checking that a path stays inside a
//! directory, normalizing relative paths, finding a program on PATH, and
//! atomic writes.

use std::path::{Path, PathBuf};

use camino::{Utf8Path, Utf8PathBuf};

/// `true` when `pattern` holds glob syntax.
pub fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '[', '{'])
}

/// The files under `base` whose `/`-separated path relative to `base`
/// matches `pattern` (`*` stays within a directory, `**` crosses them),
/// sorted. Only the pattern's literal leading directories are walked.
pub fn glob_files(base: &Utf8Path, pattern: &str) -> Result<Vec<Utf8PathBuf>, globset::Error> {
    let matcher = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()?
        .compile_matcher();
    let segments: Vec<&str> = pattern.split('/').collect();
    let literal = segments.iter().take_while(|s| !is_glob(s)).count();
    let start: Utf8PathBuf = segments[..literal].iter().collect();
    let depth = if pattern.contains("**") {
        usize::MAX
    } else {
        segments.len() - literal
    };
    let mut found = Vec::new();
    walk(base, &start, depth, &mut |rel| {
        if matcher.is_match(rel.as_str()) {
            found.push(rel.to_path_buf());
        }
    });
    found.sort();
    Ok(found)
}

fn walk(base: &Utf8Path, dir: &Utf8Path, depth: usize, visit: &mut dyn FnMut(&Utf8Path)) {
    if depth == 0 {
        return;
    }
    let Ok(entries) = base.join(dir).read_dir_utf8() else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by(|a, b| a.file_name().cmp(b.file_name()));
    for entry in entries {
        let rel = if dir.as_str().is_empty() {
            Utf8PathBuf::from(entry.file_name())
        } else {
            dir.join(entry.file_name())
        };
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(base, &rel, depth - 1, visit),
            Ok(t) if t.is_file() || t.is_symlink() => visit(&rel),
            _ => {}
        }
    }
}

/// Copies a file, or a directory tree, from `from` to `to` (created),
/// staying inside `root` (resolved): a link is copied as what it points at
/// when that lies under `root`, and is an error naming it otherwise;
/// anything but files, directories and such links is an error too, and so
/// is a tree deeper than 64 directories (a link loop).
pub fn copy_tree_within(from: &Path, to: &Path, root: &Path) -> std::io::Result<()> {
    copy_tree_below(from, to, root, 64)
}

fn copy_tree_below(from: &Path, to: &Path, root: &Path, depth: u32) -> std::io::Result<()> {
    if depth == 0 {
        return Err(std::io::Error::other(format!(
            "`{}` is nested deeper than 64 directories (a link loop?)",
            from.display()
        )));
    }
    let target = resolve(from)
        .filter(|t| t.starts_with(root))
        .ok_or_else(|| {
            std::io::Error::other(format!("`{}` leads out of the workspace", from.display()))
        })?;
    let meta = std::fs::metadata(&target)?;
    if meta.is_dir() {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(&target)? {
            let name = entry?.file_name();
            copy_tree_below(&from.join(&name), &to.join(&name), root, depth - 1)?;
        }
        Ok(())
    } else if meta.is_file() {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(&target, to).map(|_| ())
    } else {
        Err(std::io::Error::other(format!(
            "`{}` is neither a regular file nor a directory",
            from.display()
        )))
    }
}

/// `to` as seen from the directory `from` (both absolute and resolved):
/// `../runs/r1`, or `.` for the same directory.
pub fn relative_path(from: &camino::Utf8Path, to: &camino::Utf8Path) -> Option<String> {
    let a: Vec<&str> = from.components().map(|c| c.as_str()).collect();
    let b: Vec<&str> = to.components().map(|c| c.as_str()).collect();
    if a.first() != b.first() {
        return None;
    }
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<&str> = vec![".."; a.len() - common];
    parts.extend(&b[common..]);
    Some(if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    })
}

/// `path` with symlinks resolved, when it exists.
pub fn resolve(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

/// The part of `path` below `dir`, both already resolved, when `path` is
/// inside `dir`.
pub fn inside<'a>(path: &'a Path, dir: &Path) -> Option<&'a Path> {
    path.strip_prefix(dir).ok()
}

/// Normalizes one relative path: `/`-separated, no `./`, `..` resolved.
/// `None` for empty input, an absolute path, or one that leaves its root.
pub fn normalize_relative(path: &str) -> Option<String> {
    let p = path.trim().replace('\\', "/");
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    if p.starts_with('/') || parts.is_empty() {
        return None;
    }
    Some(parts.join("/"))
}

/// Finds `program` on `path` (a PATH value); a name with `/` is checked as is.
pub fn find_program(program: &str, path: Option<&str>) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        let p = PathBuf::from(program);
        return executable(&p).then_some(p);
    }
    std::env::split_paths(path?)
        .map(|dir| dir.join(program))
        .find(|p| executable(p))
}

/// A random 64-bit value without a dependency: std's per-process random
/// hash keys mixed with the time and pid.
pub fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    h.finish()
}

/// Atomically replaces `path` with `bytes` (0600): a temp file beside it,
/// then a rename, so a reader or a crash never sees a torn file.
pub fn write_atomic(path: &Utf8Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().unwrap_or(Utf8Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{:08x}",
        path.file_name().unwrap_or("file"),
        random_u64() as u32
    ));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(bytes)?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        // The write already failed and says why; a leftover temp file is
        // hidden and harmless.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_files_walks_only_what_the_pattern_allows() {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = Utf8PathBuf::try_from(dir.path().to_path_buf()).expect("utf-8");
        for f in ["a/x.toml", "a/b/y.toml", "a/z.txt", "c.toml"] {
            let p = base.join(f);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, "").expect("write");
        }
        let names = |pattern: &str| -> Vec<String> {
            glob_files(&base, pattern)
                .expect("valid")
                .into_iter()
                .map(|p| p.to_string())
                .collect()
        };
        assert_eq!(names("a/*.toml"), ["a/x.toml"]);
        assert_eq!(names("a/**/*.toml"), ["a/b/y.toml", "a/x.toml"]);
        assert_eq!(names("*.toml"), ["c.toml"]);
        assert!(names("missing/*.toml").is_empty());
    }
}
