//! Evidence a suite leaves behind (docs/running.md#artifacts): declared artifacts
//! copied into `<suite-dir>/artifacts/`, and paths the suite printed after
//! the `<PREFIX>_ARTIFACT_PATH=` marker — kept only when they resolve,
//! symlinks followed, inside the run directory or the suite's own roots
//! and name nothing secret-like.

use std::path::{Path, PathBuf};

use camino::Utf8Path;

use super::secret_names::secret_like;
use crate::outputs::{ArtifactKind, ArtifactRecord, ArtifactSource};
use crate::registry::model::Artifact;

/// Where artifacts of one suite go and how to name them.
pub struct Collector<'a> {
    /// The run directory, resolved.
    pub run_dir: PathBuf,
    /// `<suite-dir>/artifacts`, resolved.
    pub artifact_dir: PathBuf,
    /// The suite's roots (`tmp/`, `state.*/`), resolved: as much the
    /// suite's as its directory.
    pub roots: PathBuf,
    /// The suite's working directory.
    pub cwd: &'a Utf8Path,
}

/// Why a path printed after the marker was not kept (an `artifact_ignored`
/// event says so).
#[derive(Debug, thiserror::Error)]
pub enum MarkerRefusal {
    /// Nothing is there.
    #[error("`{printed}` does not exist")]
    Missing {
        /// The path as printed.
        printed: String,
    },
    /// It resolves outside the run directory and the suite's roots.
    #[error("`{printed}` resolves to `{}`, outside the run directory and the suite's roots", .resolved.display())]
    Outside {
        /// The path as printed.
        printed: String,
        /// Where it resolves to.
        resolved: PathBuf,
    },
    /// A segment of it looks like a secret.
    #[error("`{printed}` looks like a secret: {rule}")]
    SecretLike {
        /// The path as printed.
        printed: String,
        /// Which rule refused it.
        rule: String,
    },
    /// Neither a regular file nor a directory (a FIFO, a socket, a device).
    #[error("`{printed}` is neither a regular file nor a directory")]
    NotAFile {
        /// The path as printed.
        printed: String,
    },
    /// It contains the suite's own artifact directory.
    #[error("`{printed}` contains the artifact directory it would be copied into")]
    HoldsArtifacts {
        /// The path as printed.
        printed: String,
    },
    /// Copying it into the artifact directory failed.
    #[error("`{printed}` could not be copied")]
    Copy {
        /// The path as printed.
        printed: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Why a marker path was ignored, or the record of its copy.
pub type MarkerOutcome = Result<ArtifactRecord, MarkerRefusal>;

impl Collector<'_> {
    /// A free name in the artifact directory for `base`.
    fn destination(&self, base: &str) -> PathBuf {
        let clean: String = base
            .chars()
            .map(|c| if c == '/' || c == '\0' { '_' } else { c })
            .collect();
        let clean = if clean.is_empty() || clean == "." || clean == ".." {
            "artifact".to_string()
        } else {
            clean
        };
        let mut candidate = self.artifact_dir.join(&clean);
        let mut n = 1;
        while candidate.exists() {
            n += 1;
            candidate = self.artifact_dir.join(format!("{n}-{clean}"));
        }
        candidate
    }

    /// The part of `resolved` below the run directory or the suite's
    /// roots, when it is inside either.
    fn within<'p>(&self, resolved: &'p Path) -> Option<&'p Path> {
        crate::files::inside(resolved, &self.run_dir)
            .or_else(|| crate::files::inside(resolved, &self.roots))
    }

    fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.run_dir)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    }

    /// Copies a declared artifact whose path (placeholders filled) is `path`.
    pub fn declared(&self, def: &Artifact, path: &str) -> ArtifactRecord {
        let source = self.cwd.as_std_path().join(path);
        let missing_record = || ArtifactRecord {
            id: def.id.clone(),
            kind: def.kind.into(),
            path: path.to_string(),
            source: ArtifactSource::Declared,
            missing: true,
        };
        if !source.exists() {
            return missing_record();
        }
        let base = source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| def.id.clone());
        let dest = self.destination(&base);
        match crate::files::copy_tree(&source, &dest) {
            Ok(()) => ArtifactRecord {
                id: def.id.clone(),
                kind: def.kind.into(),
                path: self.relative(&dest),
                source: ArtifactSource::Declared,
                missing: false,
            },
            Err(_) => missing_record(),
        }
    }

    /// Checks and copies one marker-reported path.
    /// Files left out of a collected directory land in `refused`
    /// (path relative to the run directory, and why).
    pub fn marker(&self, printed: &str, refused: &mut Vec<(String, String)>) -> MarkerOutcome {
        let given = Path::new(printed);
        let joined = if given.is_absolute() {
            given.to_path_buf()
        } else {
            self.cwd.as_std_path().join(given)
        };
        let printed_owned = || printed.to_string();
        let Some(resolved) = crate::files::resolve(&joined) else {
            return Err(MarkerRefusal::Missing {
                printed: printed_owned(),
            });
        };
        let Some(below) = self.within(&resolved) else {
            return Err(MarkerRefusal::Outside {
                printed: printed_owned(),
                resolved,
            });
        };
        if let Some(rule) = below
            .components()
            .find_map(|c| secret_like(&c.as_os_str().to_string_lossy()))
        {
            return Err(MarkerRefusal::SecretLike {
                printed: printed_owned(),
                rule,
            });
        }
        let meta = std::fs::metadata(&resolved).map_err(|source| MarkerRefusal::Copy {
            printed: printed_owned(),
            source,
        })?;
        if !meta.is_file() && !meta.is_dir() {
            return Err(MarkerRefusal::NotAFile {
                printed: printed_owned(),
            });
        }
        if self.artifact_dir.starts_with(&resolved) {
            return Err(MarkerRefusal::HoldsArtifacts {
                printed: printed_owned(),
            });
        }
        let kind = guess_kind(&resolved);
        let path = if resolved.starts_with(&self.artifact_dir) {
            resolved
        } else {
            let base = resolved
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let dest = self.destination(&base);
            let skipped =
                self.copy_checked(&resolved, &dest)
                    .map_err(|source| MarkerRefusal::Copy {
                        printed: printed_owned(),
                        source,
                    })?;
            refused.extend(skipped);
            dest
        };
        Ok(ArtifactRecord {
            id: "marker".into(),
            kind,
            path: self.relative(&path),
            source: ArtifactSource::Marker,
            missing: false,
        })
    }
}

/// At most this many files are copied from one marked directory.
const MAX_FILES: usize = 10_000;

/// A directory being copied: what was refused, what was seen.
struct Walk {
    skipped: Vec<(String, String)>,
    visited: std::collections::HashSet<PathBuf>,
    files: usize,
}

impl Collector<'_> {
    /// Copies `from` to `to` the way a marked path is collected: every
    /// file inside passes the checks a marked file does (no secret-like
    /// name, a regular file), links are followed only into the run
    /// directory and copied as what they point at, never as links.
    /// Returns what was left out, and why.
    fn copy_checked(&self, from: &Path, to: &Path) -> std::io::Result<Vec<(String, String)>> {
        let mut walk = Walk {
            skipped: Vec::new(),
            visited: std::collections::HashSet::new(),
            files: 0,
        };
        self.copy_into(from, to, &mut walk)?;
        Ok(walk.skipped)
    }

    fn copy_into(&self, from: &Path, to: &Path, walk: &mut Walk) -> std::io::Result<()> {
        let link = std::fs::symlink_metadata(from)?.file_type().is_symlink();
        let source = match crate::files::resolve(from) {
            Some(target) if !link || self.within(&target).is_some() => target,
            _ => {
                walk_skip(
                    walk,
                    self.relative(from),
                    "a link that leads out of the run directory",
                );
                return Ok(());
            }
        };
        let meta = std::fs::metadata(&source)?;
        if meta.is_dir() {
            if self.artifact_dir.starts_with(&source) || !walk.visited.insert(source.clone()) {
                walk_skip(
                    walk,
                    self.relative(from),
                    "a directory already being copied",
                );
                return Ok(());
            }
            std::fs::create_dir_all(to)?;
            for entry in std::fs::read_dir(&source)? {
                let entry = entry?;
                let name = entry.file_name();
                if let Some(rule) = secret_like(&name.to_string_lossy()) {
                    let path = self.relative(&from.join(&name));
                    walk_skip(walk, path, &format!("looks like a secret: {rule}"));
                    continue;
                }
                self.copy_into(&from.join(&name), &to.join(&name), walk)?;
            }
        } else if meta.is_file() {
            if walk.files >= MAX_FILES {
                let why = format!("more than {MAX_FILES} files in one marked directory");
                walk_skip(walk, self.relative(from), &why);
                return Ok(());
            }
            walk.files += 1;
            std::fs::copy(&source, to)?;
        } else {
            walk_skip(
                walk,
                self.relative(from),
                "neither a regular file nor a directory",
            );
        }
        Ok(())
    }
}

fn walk_skip(walk: &mut Walk, path: String, why: &str) {
    walk.skipped.push((path, why.to_string()));
}

/// A marker artifact's kind, from its name.
fn guess_kind(path: &Path) -> ArtifactKind {
    if path.is_dir() {
        return ArtifactKind::Dir;
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" | "jpg" | "jpeg" | "gif" | "webp" => ArtifactKind::Screenshot,
        "webm" | "mp4" | "mkv" => ArtifactKind::Video,
        "zip" | "trace" | "perfetto" | "har" => ArtifactKind::Trace,
        "log" => ArtifactKind::Log,
        "xml" if path.to_string_lossy().contains("junit") => ArtifactKind::Junit,
        _ => ArtifactKind::File,
    }
}
