//! Finding and loading a registry: discovery of `suites.toml`, the
//! `[lab].include` files, TOML parsing with spans, flattening nested tables
//! into canonical ids (docs/registry.md#canonical-ids), and merging files with duplicate checks.
//!
//! Reading each kind of definition is `definitions.rs`; checks that need
//! the whole registry (references, cycles) are `check.rs`.

use std::collections::BTreeMap;

use foldhash::HashMap;

use camino::{Utf8Path, Utf8PathBuf};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::check;
use super::definitions::*;
use super::diagnostic::{Diagnostic, did_you_mean};
use super::ids::{ID_EXPECTED, MAX_ID, segment_problem};
use super::model::*;
use super::reader::{Reader, list, normalize_pattern};
use super::source::{FileId, SourceFile, Sources, Span};

/// The name lab looks for when walking up from the current directory.
pub const REGISTRY_FILE: &str = "suites.toml";

/// A loaded registry and everything found wrong with it.
#[derive(Debug)]
pub struct Loaded {
    /// The registry; partial when there are errors.
    pub registry: Registry,
    /// Errors and warnings, in the order found.
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// `true` when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Loads the registry at `path` (absolute) and its included files.
///
/// The root file is read first (its `[lab].include` names the others); the
/// included files are then parsed on every core, and their definitions
/// merged in file order, so diagnostics come out the same on any machine.
pub fn load(path: &Utf8Path) -> Loaded {
    let registry_dir = path
        .parent()
        .map(Utf8Path::to_path_buf)
        .unwrap_or_else(|| Utf8PathBuf::from("/"));
    let root_name = Utf8PathBuf::from(path.file_name().unwrap_or(REGISTRY_FILE));
    let mut sources = Sources::default();
    let mut diags = Vec::new();
    let mut defs = Defs::default();
    let mut settings = Settings::default();
    let mut syntax_errors = false;

    let mut outputs = Vec::new();
    match read_file(&registry_dir, &root_name, &mut sources) {
        Ok(root) => {
            let out = process_file(&sources, root, true);
            if let Some(s) = &out.settings {
                settings = s.clone();
            }
            outputs.push(out);
        }
        Err(d) => {
            diags.push(*d);
            syntax_errors = true;
        }
    }
    let (workspace, below) = locate_workspace(&registry_dir, &settings, &sources, &mut diags);
    let root_name = below.join(&root_name);
    if !below.as_str().is_empty() {
        relocate_root(&root_name, &mut sources, &mut outputs);
        if !settings.include_written {
            for pattern in &mut settings.include {
                *pattern = format!("{below}/{pattern}");
            }
        }
    }
    let mut included = Vec::new();
    for pattern in &settings.include {
        match expand_include(&workspace, pattern) {
            Ok(files) => {
                for file in files {
                    if file == root_name || sources.find(&file).is_some() {
                        continue;
                    }
                    match read_file(&workspace, &file, &mut sources) {
                        Ok(id) => included.push(id),
                        Err(d) => {
                            diags.push(*d);
                            syntax_errors = true;
                        }
                    }
                }
            }
            Err(e) => diags.push(
                Diagnostic::error("missing-include", e.to_string())
                    .in_file(root_name.as_str())
                    .expected("an existing file, or a glob such as \"profiles/*.toml\""),
            ),
        }
    }
    outputs.extend(process_files(&sources, &included));
    for out in outputs {
        syntax_errors |= out.syntax_error;
        diags.extend(out.diags);
        defs.merge(out.defs, &sources, &mut diags);
    }
    let mut registry = Registry {
        workspace,
        root_file: root_name,
        sources,
        settings,
        suites: defs.suites,
        profiles: defs.profiles,
        fixtures: defs.fixtures,
        runners: defs.runners,
        services: defs.services,
        artifacts: defs.artifacts,
        escalations: defs.escalations,
    };
    // References into a file that failed to parse would all look undefined.
    if !syntax_errors {
        check::resolve(&mut registry, &mut diags);
    }
    Loaded {
        registry,
        diagnostics: diags,
    }
}

/// The workspace `[lab] workspace` names (docs/registry.md#files-and-discovery),
/// and the registry file's directory relative to it (empty when they are
/// one). A workspace that is not the registry's directory or above it is
/// an error, and the registry's directory stays the workspace.
fn locate_workspace(
    registry_dir: &Utf8Path,
    settings: &Settings,
    sources: &Sources,
    diags: &mut Vec<Diagnostic>,
) -> (Utf8PathBuf, Utf8PathBuf) {
    let unchanged = (registry_dir.to_path_buf(), Utf8PathBuf::new());
    let Some(setting) = &settings.workspace else {
        return unchanged;
    };
    let registry_dir = registry_dir
        .canonicalize_utf8()
        .unwrap_or_else(|_| registry_dir.to_path_buf());
    let problem = match registry_dir.join(&setting.path).canonicalize_utf8() {
        Ok(dir) if dir.is_dir() => match registry_dir.strip_prefix(&dir) {
            Ok(below) => return (dir.clone(), below.to_path_buf()),
            Err(_) => "does not hold the registry file",
        },
        Ok(_) => "is not a directory",
        Err(_) => "does not exist",
    };
    diags.push(
        Diagnostic::error(
            "invalid-path",
            format!("`workspace` {:?} {problem}", setting.path.as_str()),
        )
        .at(sources, setting.span)
        .expected("the registry file's directory or one above it, such as \"../..\""),
    );
    unchanged
}

/// Names the root file by its workspace-relative path (`tools/lab/suites.toml`),
/// in the sources and in the diagnostics already made about it.
fn relocate_root(root_name: &Utf8Path, sources: &mut Sources, outputs: &mut [FileOut]) {
    let Some(root) = outputs.first_mut() else {
        return;
    };
    let old = sources.get(0).path.to_string();
    sources.relocate(0, root_name.to_path_buf());
    for d in &mut root.diags {
        if d.file.as_deref() == Some(old.as_str()) {
            d.file = Some(root_name.to_string());
        }
    }
}

/// The largest registry file lab reads: `lab check` and `suite list
/// --changed` run on untrusted pull requests.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Reads one registry file into `sources`: a regular file of at most
/// [`MAX_FILE_BYTES`] that resolves inside the workspace (a link may point
/// elsewhere in it). What is refused is never read, so its contents never
/// reach a diagnostic.
fn read_file(
    workspace: &Utf8Path,
    rel: &Utf8Path,
    sources: &mut Sources,
) -> Result<FileId, Box<Diagnostic>> {
    let path = workspace.join(rel);
    // The workspace of a discovered registry is resolved already.
    let within = workspace
        .as_std_path()
        .canonicalize()
        .unwrap_or_else(|_| workspace.as_std_path().to_path_buf());
    match crate::files::read_regular_within(path.as_std_path(), &within, MAX_FILE_BYTES) {
        Ok(text) => Ok(sources.add(SourceFile::new(rel.to_path_buf(), text))),
        Err(e) => Err(Box::new(
            Diagnostic::error("unreadable-file", format!("cannot read `{rel}`: {e}"))
                .in_file(rel.as_str()),
        )),
    }
}

/// Processes `files` on up to one thread per core; results in file order.
fn process_files(sources: &Sources, files: &[FileId]) -> Vec<FileOut> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(files.len());
    if threads <= 1 {
        return files
            .iter()
            .map(|&f| process_file(sources, f, false))
            .collect();
    }
    let mut results: Vec<(usize, FileOut)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    files
                        .iter()
                        .enumerate()
                        .skip(t)
                        .step_by(threads)
                        .map(|(i, &f)| (i, process_file(sources, f, false)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| match w.join() {
                Ok(out) => out,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, out)| out).collect()
}

/// One definition read from a file, before duplicates are checked.
// Each is moved once, into its map; boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Def {
    Suite(Suite),
    Profile(Profile),
    Fixture(Fixture),
    Runner(Runner),
    Service(Service),
    Artifact(Artifact),
    Escalate(Escalate),
}

/// What one file contributed.
#[derive(Default)]
struct FileOut {
    defs: Vec<(String, Span, Def)>,
    diags: Vec<Diagnostic>,
    settings: Option<Settings>,
    syntax_error: bool,
}

/// Why an `[lab].include` pattern names no files.
#[derive(Debug, thiserror::Error)]
pub enum IncludeError {
    /// A plain path that is not a file.
    #[error("included file `{pattern}` does not exist")]
    Missing {
        /// The path as written.
        pattern: String,
    },
    /// A glob globset rejects.
    #[error("include pattern `{pattern}` is not a valid glob: {kind}")]
    InvalidGlob {
        /// The pattern as written.
        pattern: String,
        /// What is wrong with it.
        kind: globset::ErrorKind,
    },
}

/// Expands one `[lab].include` pattern into workspace-relative files, sorted.
fn expand_include(workspace: &Utf8Path, pattern: &str) -> Result<Vec<Utf8PathBuf>, IncludeError> {
    if !crate::files::is_glob(pattern) {
        // Anything there (a link, a FIFO) is named, so that reading it
        // says what is wrong with it.
        return if std::fs::symlink_metadata(workspace.join(pattern)).is_ok() {
            Ok(vec![Utf8PathBuf::from(pattern)])
        } else {
            Err(IncludeError::Missing {
                pattern: pattern.to_string(),
            })
        };
    }
    crate::files::glob_files(workspace, pattern).map_err(|e| IncludeError::InvalidGlob {
        pattern: pattern.to_string(),
        kind: e.kind().clone(),
    })
}

#[derive(Default)]
struct Defs {
    /// Every canonical id defined so far, with where.
    ids: HashMap<String, Span>,
    suites: BTreeMap<String, Suite>,
    profiles: BTreeMap<String, Profile>,
    fixtures: BTreeMap<String, Fixture>,
    runners: BTreeMap<String, Runner>,
    services: BTreeMap<String, Service>,
    artifacts: BTreeMap<String, Artifact>,
    escalations: BTreeMap<String, Escalate>,
}

impl Defs {
    /// Adds one file's definitions; an id seen before is an error naming
    /// both places.
    fn merge(
        &mut self,
        defs: Vec<(String, Span, Def)>,
        sources: &Sources,
        diags: &mut Vec<Diagnostic>,
    ) {
        for (id, span, def) in defs {
            if let Some(first) = self.ids.get(&id) {
                let first = sources.location(*first);
                diags.push(
                    Diagnostic::error("duplicate-id", format!("`{id}` is defined twice"))
                        .at(sources, span)
                        .note(format!("first defined at {first}"))
                        .help("rename one of the two definitions"),
                );
                continue;
            }
            self.ids.insert(id.clone(), span);
            match def {
                Def::Suite(d) => drop(self.suites.insert(id, d)),
                Def::Profile(d) => drop(self.profiles.insert(id, d)),
                Def::Fixture(d) => drop(self.fixtures.insert(id, d)),
                Def::Runner(d) => drop(self.runners.insert(id, d)),
                Def::Service(d) => drop(self.services.insert(id, d)),
                Def::Artifact(d) => drop(self.artifacts.insert(id, d)),
                Def::Escalate(d) => drop(self.escalations.insert(id, d)),
            }
        }
    }
}

/// Parses one file and reads its definitions.
fn process_file(sources: &Sources, file: FileId, is_root: bool) -> FileOut {
    let mut out = FileOut::default();
    let text = sources.get(file).text.as_str();
    let (table, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        out.syntax_error = true;
        for e in errors {
            let span = Span::new(file, e.span().unwrap_or(0..0));
            let message = e.message().trim_end().to_string();
            out.diags.push(
                Diagnostic::error("toml-syntax", format!("invalid TOML: {message}"))
                    .at(sources, span),
            );
        }
        return out;
    }
    let mut visit = Visit {
        sources,
        file,
        diags: &mut out.diags,
        defs: &mut out.defs,
    };
    for (key, value) in table.get_ref().iter() {
        let name = key.get_ref().as_ref();
        let key_span = Span::new(file, key.span());
        if name == "lab" {
            if !is_root {
                visit.diags.push(
                    Diagnostic::error(
                        "misplaced-lab",
                        "`[lab]` settings belong in the root registry file",
                    )
                    .at(sources, key_span)
                    .help("move this table into suites.toml"),
                );
                continue;
            }
            match value.get_ref() {
                DeValue::Table(t) => out.settings = Some(visit.settings(t)),
                other => visit.diags.push(
                    Diagnostic::error("wrong-type", "`lab` must be a table")
                        .at(sources, key_span)
                        .found(super::reader::describe(other))
                        .expected("a `[lab]` table"),
                ),
            }
            continue;
        }
        let Some(kind) = Kind::from_name(name) else {
            let mut names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
            names.push("lab");
            let help =
                did_you_mean(name, names.iter().copied()).map(|m| format!("did you mean `{m}`?"));
            visit.diags.push(
                Diagnostic::error("unknown-kind", format!("unknown table `{name}`"))
                    .at(sources, key_span)
                    .found(format!("`{name}`"))
                    .expected(format!("one of {}", list(&names)))
                    .maybe_help(help),
            );
            continue;
        };
        match value.get_ref() {
            DeValue::Table(t) => visit.node(kind, &mut vec![], key_span, t),
            other => visit.diags.push(
                Diagnostic::error("wrong-type", format!("`{name}` must be a table"))
                    .at(sources, key_span)
                    .found(super::reader::describe(other))
                    .expected(format!("tables such as `[{name}.my-id]`")),
            ),
        }
    }
    out
}

/// Walks one parsed file, turning tables into definitions.
struct Visit<'a> {
    sources: &'a Sources,
    file: FileId,
    diags: &'a mut Vec<Diagnostic>,
    defs: &'a mut Vec<(String, Span, Def)>,
}

/// `true` when a table of `kind` is a definition rather than a namespace:
/// it holds a non-table value, or a sub-table named after one of the kind's
/// table-valued fields (`env`, `ready`, …) (docs/registry.md#canonical-ids). A sub-table named after
/// a scalar field (`[suite.timeout]`) is an id segment, not that field.
fn is_definition(kind: Kind, table: &DeTable<'_>) -> bool {
    table.iter().any(|(k, v)| {
        !matches!(v.get_ref(), DeValue::Table(_))
            || kind.table_fields().contains(&k.get_ref().as_ref())
    })
}

impl Visit<'_> {
    fn span<T>(&self, item: &Spanned<T>) -> Span {
        Span::new(self.file, item.span())
    }

    fn node(&mut self, kind: Kind, path: &mut Vec<String>, span: Span, table: &DeTable<'_>) {
        if !path.is_empty() && (table.is_empty() || is_definition(kind, table)) {
            let id = format!("{}.{}", kind.name(), path.join("."));
            self.definition(kind, id, span, table);
            return;
        }
        if path.is_empty() && is_definition(kind, table) {
            let field = table
                .iter()
                .find(|(k, _)| kind.table_fields().contains(&k.get_ref().as_ref()))
                .map(|(k, _)| k.get_ref().to_string());
            let mut d = Diagnostic::error(
                "invalid-id",
                format!("`[{}]` holds fields but has no id", kind.name()),
            )
            .at(self.sources, span)
            .expected(format!("a named table such as `[{}.my-id]`", kind.name()));
            if let Some(field) = field {
                d = d.help(format!(
                    "`{field}` is a field of every {}; a {} cannot be named `{}.{field}`",
                    kind.name(),
                    kind.name(),
                    kind.name()
                ));
            }
            self.diags.push(d);
            return;
        }
        for (key, value) in table.iter() {
            let segment = key.get_ref().as_ref();
            let key_span = self.span(key);
            let long = kind.name().len()
                + path.iter().map(|p| p.len() + 1).sum::<usize>()
                + 1
                + segment.len()
                > MAX_ID;
            let problem = segment_problem(segment)
                .or_else(|| long.then(|| format!("the id is longer than {MAX_ID} bytes")));
            if let Some(problem) = problem {
                self.diags.push(
                    Diagnostic::error("invalid-id", format!("invalid id: {problem}"))
                        .at(self.sources, key_span)
                        .found(format!("{segment:?}"))
                        .expected(ID_EXPECTED),
                );
                continue;
            }
            let DeValue::Table(child) = value.get_ref() else {
                continue; // unreachable: a non-table value makes a definition
            };
            path.push(segment.to_string());
            self.node(kind, path, key_span, child);
            path.pop();
        }
    }

    fn definition(&mut self, kind: Kind, id: String, span: Span, table: &DeTable<'_>) {
        let mut r = Reader::new(self.sources, self.file, table, &id, self.diags);
        r.reject_unknown(kind.fields(), |t| !t.is_empty() && is_definition(kind, t));
        let def = match kind {
            Kind::Suite => Def::Suite(read_suite(&mut r, id.clone(), span)),
            Kind::Profile => Def::Profile(read_profile(&mut r, id.clone(), span)),
            Kind::Fixture => Def::Fixture(read_fixture(&mut r, id.clone(), span)),
            Kind::Runner => Def::Runner(read_runner(&mut r, id.clone(), span)),
            Kind::Service => match read_service(&mut r, id.clone(), span) {
                Some(service) => Def::Service(service),
                None => return,
            },
            Kind::Artifact | Kind::Log => match read_artifact(&mut r, kind, id.clone(), span) {
                Some(artifact) => Def::Artifact(artifact),
                None => return,
            },
            Kind::Escalate => Def::Escalate(read_escalate(&mut r, id.clone(), span)),
        };
        self.defs.push((id, span, def));
    }

    fn settings(&mut self, table: &DeTable<'_>) -> Settings {
        let mut s = Settings::default();
        let mut r = Reader::new(self.sources, self.file, table, "[lab]", self.diags);
        r.reject_unknown(LAB_FIELDS, |_| false);
        s.workspace = workspace_setting(&mut r);
        if let Some((prefix, span)) = r.string_spanned("env_prefix") {
            let valid = prefix.starts_with(|c: char| c.is_ascii_uppercase())
                && prefix
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if valid {
                s.env_prefix = prefix;
            } else {
                let d = r
                    .error_at(span, "invalid-value", "`env_prefix` is not valid".into())
                    .found(format!("{prefix:?}"))
                    .expected("upper-case letters, digits and `_`, starting with a letter");
                r.report(d);
            }
        }
        if let Some(root) = r.string("run_root") {
            s.run_root = root.into();
        }
        if let Some(dir) = r.string("cache_dir") {
            s.cache_dir = Some(dir.into());
        }
        if let Some(base) = r.string("base") {
            s.base = base;
        }
        if r.value("include").is_some() {
            s.include = Vec::new();
            s.include_written = true;
            for (pattern, span) in r.strings_spanned("include") {
                match normalize_pattern(&pattern) {
                    Ok(p) => s.include.push(p),
                    Err(expected) => {
                        let d = r
                            .error_at(
                                span,
                                "invalid-path-pattern",
                                "include pattern is not valid".into(),
                            )
                            .found(format!("{pattern:?}"))
                            .expected(expected.to_string());
                        r.report(d);
                    }
                }
            }
        }
        s.global_paths = r.patterns("global_paths");
        if let Some(jobs) = r.uint("jobs", 1) {
            s.jobs = jobs;
        }
        if let Some(t) = positive(&mut r, "default_timeout") {
            s.default_timeout = t;
        }
        if let Some(size) = r.size("max_log_bytes") {
            s.max_log_bytes = size;
        }
        if let Some(keep) = r.uint("keep_runs", 1) {
            s.keep_runs = keep;
        }
        if let Some(files) = r.uint("max_artifact_files", 1) {
            s.max_artifact_files = files.into();
        }
        if let Some(size) = r.size("max_artifact_bytes") {
            s.max_artifact_bytes = size;
        }
        if let Some(required) = r.bool("require_selection") {
            s.require_selection = required;
        }
        s
    }
}

/// `[lab] workspace`: a relative directory, checked for existence later.
fn workspace_setting(r: &mut Reader<'_, '_>) -> Option<WorkspaceSetting> {
    let (path, span) = r.string_spanned("workspace")?;
    if path.is_empty()
        || path.starts_with('/')
        || path.contains('\\')
        || crate::files::is_glob(&path)
    {
        let d = r
            .error_at(span, "invalid-path", "`workspace` is not valid".into())
            .found(format!("{path:?}"))
            .expected("a directory relative to the registry file, such as \"../..\"");
        r.report(d);
        return None;
    }
    Some(WorkspaceSetting {
        path: path.into(),
        span,
    })
}
