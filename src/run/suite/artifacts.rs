//! Evidence a suite leaves behind (docs/running.md#artifacts): declared artifacts
//! copied into `<suite-dir>/artifacts/`, and paths the suite printed after
//! the `<PREFIX>_ARTIFACT_PATH=` marker — kept only when they resolve,
//! symlinks followed, inside the run directory and name nothing secret-like.

use std::path::{Path, PathBuf};

use camino::Utf8Path;

use crate::outputs::{ArtifactKind, ArtifactRecord, ArtifactSource};
use crate::registry::model::Artifact;

/// Path segments that mark a path as secret (case-insensitive).
pub const SECRET_SEGMENTS: &[&str] = &[
    "secret",
    "secrets",
    "token",
    "password",
    "credential",
    ".ssh",
    ".env",
    "id_rsa",
];

/// `true` when a segment names something secret.
pub fn is_secret_segment(segment: &str) -> bool {
    let lower = segment.to_ascii_lowercase();
    SECRET_SEGMENTS.iter().any(|s| lower == *s)
}

/// Where artifacts of one suite go and how to name them.
pub struct Collector<'a> {
    /// The run directory, resolved.
    pub run_dir: PathBuf,
    /// `<suite-dir>/artifacts`, resolved.
    pub artifact_dir: PathBuf,
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
    /// It resolves outside the run directory.
    #[error("`{printed}` resolves to `{}`, outside the run directory", .resolved.display())]
    Outside {
        /// The path as printed.
        printed: String,
        /// Where it resolves to.
        resolved: PathBuf,
    },
    /// A segment of it looks like a secret.
    #[error("`{printed}` has the secret-like segment `{segment}`")]
    SecretLike {
        /// The path as printed.
        printed: String,
        /// The segment.
        segment: String,
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
    pub fn marker(&self, printed: &str) -> MarkerOutcome {
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
        let Some(below) = crate::files::inside(&resolved, &self.run_dir) else {
            return Err(MarkerRefusal::Outside {
                printed: printed_owned(),
                resolved,
            });
        };
        if let Some(segment) = below
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .find(|s| is_secret_segment(s))
        {
            return Err(MarkerRefusal::SecretLike {
                printed: printed_owned(),
                segment: segment.into_owned(),
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
            crate::files::copy_tree(&resolved, &dest).map_err(|source| MarkerRefusal::Copy {
                printed: printed_owned(),
                source,
            })?;
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
