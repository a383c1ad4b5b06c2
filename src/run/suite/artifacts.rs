//! Evidence a suite leaves behind (docs/running.md#artifacts): declared
//! artifacts and paths the suite printed after the `<PREFIX>_ARTIFACT_PATH=`
//! marker, copied into `<suite-dir>/artifacts/`. Both pass the same checks:
//! inside the roots they may come from (the run directory and the suite's
//! own roots — `tmp/`, `state.*/`, outside the workspace — for markers;
//! the workspace too for declared paths; one fixed path for
//! `outside = true`), never in or around `state.secrets`, no secret-like
//! name, only regular files and directories, links followed only into
//! those roots and copied as what they point at, within the suite's budget
//! of files and bytes. What is refused, and why, is returned to the caller.

use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use camino::Utf8Path;

use super::secret_names::secret_like;
use crate::outputs::{ArtifactKind, ArtifactRecord, ArtifactSource};
use crate::registry::model::Artifact;
use crate::run::process::redact::Redactor;

/// What one suite may collect in all (`[lab] max_artifact_files` and
/// `max_artifact_bytes`), and what it has collected so far.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Files at most.
    pub max_files: u64,
    /// Bytes at most.
    pub max_bytes: u64,
    files: u64,
    bytes: u64,
}

impl Budget {
    /// A budget with nothing spent yet.
    pub fn new(max_files: u64, max_bytes: u64) -> Self {
        Budget {
            max_files,
            max_bytes,
            files: 0,
            bytes: 0,
        }
    }

    fn spent(&self) -> String {
        format!(
            "the suite's artifact budget is spent ({} files, {} bytes: `[lab] max_artifact_files`, `max_artifact_bytes`)",
            self.max_files, self.max_bytes
        )
    }
}

/// Where artifacts of one suite go and where they may come from.
pub struct Collector<'a> {
    /// The run directory, resolved.
    pub run_dir: PathBuf,
    /// The workspace, resolved.
    pub workspace: PathBuf,
    /// The suite's roots directory (`tmp/`, `state.*/` are in it),
    /// resolved: as much the suite's as its directory.
    pub roots: PathBuf,
    /// `<suite-dir>/artifacts`, resolved.
    pub artifact_dir: PathBuf,
    /// The suite's `state.secrets`, resolved: never collected.
    pub secrets_dir: Option<PathBuf>,
    /// The suite's working directory.
    pub cwd: &'a Utf8Path,
    /// What may still be collected.
    pub budget: Budget,
    /// Secret values, kept out of the names of copies.
    pub redactor: &'a Redactor,
    /// `true` once copying must stop (the suite's timeout passed, or lab
    /// was interrupted): what is left is skipped, with the reason.
    pub stop: &'a dyn Fn() -> bool,
}

/// Why a path was not kept (an `artifact_ignored` event says so).
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// Nothing is there.
    #[error("`{printed}` does not exist")]
    Missing {
        /// The path as given.
        printed: String,
    },
    /// It resolves outside the roots it may come from.
    #[error("`{printed}` resolves to `{}`, outside {allowed}", .resolved.display())]
    Outside {
        /// The path as given.
        printed: String,
        /// Where it resolves to.
        resolved: PathBuf,
        /// Where it may come from, in words.
        allowed: &'static str,
    },
    /// It is, or holds, the suite's `state.secrets`.
    #[error("`{printed}` is or holds the suite's state.secrets, which is never collected")]
    Secrets {
        /// The path as given.
        printed: String,
    },
    /// A segment of it looks like a secret.
    #[error("`{printed}` looks like a secret: {rule}")]
    SecretLike {
        /// The path as given.
        printed: String,
        /// Which rule refused it.
        rule: String,
    },
    /// Neither a regular file nor a directory (a FIFO, a socket, a device).
    #[error("`{printed}` is neither a regular file nor a directory")]
    NotAFile {
        /// The path as given.
        printed: String,
    },
    /// It contains the suite's own artifact directory.
    #[error("`{printed}` contains the artifact directory it would be copied into")]
    HoldsArtifacts {
        /// The path as given.
        printed: String,
    },
    /// Copying it into the artifact directory failed.
    #[error("`{printed}` could not be copied")]
    Copy {
        /// The path as given.
        printed: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The record of a copy, or why the path was not kept.
pub type Collected = Result<ArtifactRecord, Refusal>;

/// Files left out of a collected directory: path relative to the run
/// directory (or as found), and why.
pub type LeftOut = Vec<(String, String)>;

/// The roots a path may resolve into.
#[derive(Clone, Copy)]
enum Scope<'p> {
    /// The run directory.
    Run,
    /// The workspace or the run directory.
    Workspace,
    /// One fixed absolute path (`outside = true`), and what lies under it.
    Fixed(&'p Path),
}

impl Scope<'_> {
    /// Where a path of this scope may lead, in words.
    fn allowed(self) -> &'static str {
        match self {
            Scope::Run => "the run directory and the suite's roots",
            Scope::Workspace => "the workspace, the run directory and the suite's roots",
            Scope::Fixed(_) => "the declared path",
        }
    }
}

impl Collector<'_> {
    /// Copies a declared artifact whose path (placeholders filled) is `path`.
    /// A refused path is recorded as missing; the refusal is returned for
    /// the run's log.
    pub fn declared(&mut self, def: &Artifact, path: &str, left_out: &mut LeftOut) -> Collected {
        let joined = self.join(path);
        let fixed;
        let scope = if def.outside && Path::new(path).is_absolute() {
            fixed = crate::files::resolve(&joined).unwrap_or_else(|| joined.clone());
            Scope::Fixed(&fixed)
        } else {
            Scope::Workspace
        };
        let (resolved, below) = self.admit(path, &joined, scope)?;
        let base = below
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| def.id.clone());
        let dest = self.destination(&base);
        self.copy(path, &resolved, &dest, scope, left_out)?;
        Ok(ArtifactRecord {
            id: def.id.clone(),
            kind: def.kind.into(),
            path: self.relative(&dest),
            source: ArtifactSource::Declared,
            missing: false,
        })
    }

    /// Checks and copies one marker-reported path.
    pub fn marker(&mut self, printed: &str, left_out: &mut LeftOut) -> Collected {
        let joined = self.join(printed);
        let (resolved, _) = self.admit(printed, &joined, Scope::Run)?;
        let kind = guess_kind(&resolved);
        let path = if resolved.starts_with(&self.artifact_dir) {
            resolved
        } else {
            let base = resolved
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let dest = self.destination(&base);
            self.copy(printed, &resolved, &dest, Scope::Run, left_out)?;
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

    fn join(&self, given: &str) -> PathBuf {
        let given = Path::new(given);
        if given.is_absolute() {
            given.to_path_buf()
        } else {
            self.cwd.as_std_path().join(given)
        }
    }

    /// The resolved path and the part of it below its root, when every
    /// check passes.
    fn admit(
        &self,
        printed: &str,
        joined: &Path,
        scope: Scope<'_>,
    ) -> Result<(PathBuf, PathBuf), Refusal> {
        let printed = || printed.to_string();
        let Some(resolved) = crate::files::resolve(joined) else {
            return Err(Refusal::Missing { printed: printed() });
        };
        let Some(below) = self.below_root(&resolved, scope) else {
            return Err(Refusal::Outside {
                printed: printed(),
                allowed: scope.allowed(),
                resolved,
            });
        };
        if self.artifact_dir.starts_with(&resolved) {
            return Err(Refusal::HoldsArtifacts { printed: printed() });
        }
        if let Some(secrets) = &self.secrets_dir
            && (resolved.starts_with(secrets) || secrets.starts_with(&resolved))
        {
            return Err(Refusal::Secrets { printed: printed() });
        }
        if let Some(rule) = below
            .components()
            .find_map(|c| secret_like(&c.as_os_str().to_string_lossy()))
        {
            return Err(Refusal::SecretLike {
                printed: printed(),
                rule,
            });
        }
        let meta = std::fs::metadata(&resolved).map_err(|source| Refusal::Copy {
            printed: printed(),
            source,
        })?;
        if !meta.is_file() && !meta.is_dir() {
            return Err(Refusal::NotAFile { printed: printed() });
        }
        Ok((resolved, below))
    }

    /// The part of `resolved` below the root of `scope` it lies in.
    fn below_root(&self, resolved: &Path, scope: Scope<'_>) -> Option<PathBuf> {
        let roots: &[&Path] = match scope {
            Scope::Run => &[&self.run_dir, &self.roots],
            Scope::Workspace => &[&self.run_dir, &self.roots, &self.workspace],
            Scope::Fixed(path) => {
                // Every segment of a fixed outside path is checked.
                return resolved.starts_with(path).then(|| resolved.to_path_buf());
            }
        };
        roots
            .iter()
            .find_map(|root| crate::files::inside(resolved, root))
            .map(Path::to_path_buf)
    }

    fn copy(
        &mut self,
        printed: &str,
        from: &Path,
        to: &Path,
        scope: Scope<'_>,
        left_out: &mut LeftOut,
    ) -> Result<(), Refusal> {
        let mut walk = Walk {
            scope,
            visited: std::collections::HashSet::new(),
            left_out,
        };
        self.copy_into(from, to, &mut walk)
            .map_err(|source| Refusal::Copy {
                printed: printed.to_string(),
                source,
            })
    }

    /// A free name in the artifact directory for `base`.
    fn destination(&self, base: &str) -> PathBuf {
        let clean: String = self
            .redactor
            .redact_str(base)
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
        let path = path.strip_prefix(&self.run_dir).unwrap_or(path);
        self.redactor.redact_str(&path.to_string_lossy())
    }
}

/// A directory being copied: where links may lead, what was seen, what
/// was left out.
struct Walk<'w, 'p> {
    scope: Scope<'p>,
    visited: std::collections::HashSet<PathBuf>,
    left_out: &'w mut LeftOut,
}

impl Walk<'_, '_> {
    fn skip(&mut self, path: String, why: &str) {
        self.left_out.push((path, why.to_string()));
    }
}

impl Collector<'_> {
    /// Copies `from` to `to`: every file inside passes the checks a marked
    /// file does, links are followed only into the scope's roots and copied
    /// as what they point at, never as links.
    fn copy_into(
        &mut self,
        from: &Path,
        to: &Path,
        walk: &mut Walk<'_, '_>,
    ) -> std::io::Result<()> {
        let link = std::fs::symlink_metadata(from)?.file_type().is_symlink();
        let source = match crate::files::resolve(from) {
            Some(target) if !link || self.below_root(&target, walk.scope).is_some() => target,
            _ => {
                let why = format!("a link that leads out of {}", walk.scope.allowed());
                walk.skip(self.relative(from), &why);
                return Ok(());
            }
        };
        if let Some(secrets) = &self.secrets_dir
            && (source.starts_with(secrets) || secrets.starts_with(&source))
        {
            walk.skip(
                self.relative(from),
                "the suite's state.secrets, never collected",
            );
            return Ok(());
        }
        let meta = std::fs::metadata(&source)?;
        if meta.is_dir() {
            self.copy_dir(from, &source, to, walk)
        } else if meta.is_file() {
            self.copy_file(from, &source, to, walk)
        } else {
            walk.skip(
                self.relative(from),
                "neither a regular file nor a directory",
            );
            Ok(())
        }
    }

    fn copy_dir(
        &mut self,
        from: &Path,
        source: &Path,
        to: &Path,
        walk: &mut Walk<'_, '_>,
    ) -> std::io::Result<()> {
        if self.artifact_dir.starts_with(source) || !walk.visited.insert(source.to_path_buf()) {
            walk.skip(self.relative(from), "a directory already being copied");
            return Ok(());
        }
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(source)? {
            let name = entry?.file_name();
            if let Some(rule) = secret_like(&name.to_string_lossy()) {
                let path = self.relative(&from.join(&name));
                walk.skip(path, &format!("looks like a secret: {rule}"));
                continue;
            }
            self.copy_into(&from.join(&name), &to.join(&name), walk)?;
        }
        Ok(())
    }

    /// Copies one regular file within the budget. The file is opened
    /// without blocking and checked again once open, so a FIFO swapped in
    /// after the check cannot hang lab.
    fn copy_file(
        &mut self,
        from: &Path,
        source: &Path,
        to: &Path,
        walk: &mut Walk<'_, '_>,
    ) -> std::io::Result<()> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
            .open(source)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            walk.skip(
                self.relative(from),
                "neither a regular file nor a directory",
            );
            return Ok(());
        }
        let budget = self.budget;
        let room = budget.max_bytes - budget.bytes;
        if budget.files >= budget.max_files || meta.len() > room {
            walk.skip(self.relative(from), &budget.spent());
            return Ok(());
        }
        let mut out = std::fs::File::create(to)?;
        // The file may grow while it is copied: never past the budget.
        let copied = std::io::copy(&mut file.take(room + 1), &mut out)?;
        if copied > room {
            drop(out);
            std::fs::remove_file(to)?;
            walk.skip(self.relative(from), &budget.spent());
            return Ok(());
        }
        out.flush()?;
        self.budget.files += 1;
        self.budget.bytes += copied;
        Ok(())
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
