//! `lab check --write-stubs`: a minimal, commented definition for every
//! profile, fixture, runner, artifact and log a registry names but never
//! defines (a registry written for another lab), so that it loads. A stub
//! changes nothing a suite does; a runner's `program` is the first word of
//! the commands that use it. Files are created, or appended to, never
//! overwritten.
//!
//! Which references are undefined is decided as `check.rs` decides it;
//! printing what was written is `commands/check.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use camino::{Utf8Path, Utf8PathBuf};

use super::model::{ArtifactKind, Kind, Ref, Registry};
use crate::error::Error;

/// One definition to write.
#[derive(Debug, Clone)]
pub struct Stub {
    /// The canonical id it defines.
    pub id: String,
    /// Its workspace-relative file.
    pub file: Utf8PathBuf,
    /// `true`: appended to an existing registry file; `false`: a file of its own.
    pub append: bool,
    /// The TOML, comment first.
    pub text: String,
}

/// A reference no stub can stand for, and why.
#[derive(Debug, Clone)]
pub struct Unstubbed {
    /// The id as lab would define it.
    pub id: String,
    /// Why lab leaves it to the user.
    pub reason: &'static str,
}

/// What `--write-stubs` would do.
#[derive(Debug, Default)]
pub struct Plan {
    /// Definitions to write, by id.
    pub stubs: Vec<Stub>,
    /// References left alone.
    pub unstubbed: Vec<Unstubbed>,
}

/// What happened to one file.
#[derive(Debug)]
pub enum Written {
    /// A new file holding these ids.
    Created(Utf8PathBuf, Vec<String>),
    /// These ids appended to an existing registry file.
    Appended(Utf8PathBuf, Vec<String>),
    /// Nothing written: the file exists (never overwritten), or appending
    /// would not parse.
    Kept(Utf8PathBuf, Vec<String>, &'static str),
}

/// Who names an undefined id, and with what commands.
#[derive(Debug, Default)]
struct Wanted {
    kind: Option<Kind>,
    users: BTreeSet<String>,
    commands: Vec<String>,
}

/// The stubs for every undefined reference of `registry`.
pub fn plan(registry: &Registry) -> Plan {
    let mut plan = Plan::default();
    for (id, wanted) in undefined(registry) {
        let kind = wanted.kind.expect("every wanted id has a kind");
        if let Some(reason) = unstubbable(kind, &id) {
            plan.unstubbed.push(Unstubbed { id, reason });
            continue;
        }
        let (file, append) = target(registry, kind, &id);
        let text = stub_text(registry, kind, &id, &wanted);
        plan.stubs.push(Stub {
            id,
            file,
            append,
            text,
        });
    }
    plan
}

/// Every undefined reference, by the id lab would define for it.
fn undefined(registry: &Registry) -> BTreeMap<String, Wanted> {
    let mut out: BTreeMap<String, Wanted> = BTreeMap::new();
    let mut note = |r: &Ref, kinds: &[Kind], user: &str, command: Option<&String>| {
        let Some((id, kind)) = missing(registry, &r.id, kinds) else {
            return;
        };
        let wanted = out.entry(id).or_default();
        wanted.kind = Some(kind);
        wanted.users.insert(user.to_string());
        wanted.commands.extend(command.cloned());
    };
    for s in registry.suites.values() {
        let none = None;
        if let Some(p) = &s.profile {
            note(p, &[Kind::Profile], &s.id, none);
        }
        for r in &s.fixtures {
            note(r, &[Kind::Fixture], &s.id, none);
        }
        for r in &s.runners {
            note(r, &[Kind::Runner], &s.id, s.command.as_ref());
        }
        for r in &s.services {
            note(r, &[Kind::Service], &s.id, none);
        }
        for r in &s.needs {
            note(r, &[Kind::Suite], &s.id, none);
        }
        for r in &s.artifacts {
            note(r, &[Kind::Artifact, Kind::Log], &s.id, none);
        }
    }
    for p in registry.profiles.values() {
        if let Some(r) = &p.extends {
            note(r, &[Kind::Profile], &p.id, None);
        }
        for r in &p.services {
            note(r, &[Kind::Service], &p.id, None);
        }
    }
    for e in registry.escalations.values() {
        for r in &e.select.suites {
            note(r, &[Kind::Suite], &e.id, None);
        }
    }
    out
}

/// The id and kind `raw` would define when it names nothing, as
/// `check.rs` resolves references: the full id, or the kind left out.
fn missing(registry: &Registry, raw: &str, kinds: &[Kind]) -> Option<(String, Kind)> {
    let full = |k: Kind| format!("{}.{raw}", k.name());
    let written = kinds
        .iter()
        .find(|k| raw.starts_with(&format!("{}.", k.name())));
    let defined = match written {
        Some(&k) => defines(registry, k, raw),
        None => kinds.iter().any(|&k| defines(registry, k, &full(k))),
    };
    if defined {
        return None;
    }
    Some(match written {
        Some(&k) => (raw.to_string(), k),
        None => (full(kinds[0]), kinds[0]),
    })
}

fn defines(registry: &Registry, kind: Kind, id: &str) -> bool {
    match kind {
        Kind::Suite => registry.suites.contains_key(id),
        Kind::Profile => registry.profiles.contains_key(id),
        Kind::Fixture => registry.fixtures.contains_key(id),
        Kind::Runner => registry.runners.contains_key(id),
        Kind::Service => registry.services.contains_key(id),
        Kind::Artifact | Kind::Log => registry.artifacts.contains_key(id),
        Kind::Escalate => registry.escalations.contains_key(id),
    }
}

/// Why no stub is written for `id`, if none is.
fn unstubbable(kind: Kind, id: &str) -> Option<&'static str> {
    match kind {
        Kind::Suite => return Some("a suite verifies something only its author knows"),
        Kind::Service => return Some("a service needs a command and a readiness probe"),
        _ => {}
    }
    let valid = id.split('.').skip(1).all(|s| {
        !s.is_empty()
            && s.len() <= 100
            && !s.contains('/')
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
    });
    (!valid || !id.contains('.')).then_some("the name is not a valid id")
}

/// Where a stub goes: `profiles/`, `fixtures/` or `runners/` beside the
/// registry file (a file per definition) when `[lab].include` reads it,
/// artifacts into the file that holds the registry's artifacts; anything
/// else is appended to the registry file itself.
fn target(registry: &Registry, kind: Kind, id: &str) -> (Utf8PathBuf, bool) {
    let root = registry.registry_file().to_path_buf();
    let dir = match kind {
        Kind::Profile => "profiles",
        Kind::Fixture => "fixtures",
        Kind::Runner => "runners",
        _ => {
            let holder = registry
                .artifacts
                .values()
                .next()
                .map(|a| registry.sources.get(a.span.file).path.clone());
            return (holder.unwrap_or(root), true);
        }
    };
    let below = root.parent().unwrap_or(Utf8Path::new(""));
    let rest = &id[kind.name().len() + 1..];
    let file = below.join(dir).join(format!("{rest}.toml"));
    if included(&file, &registry.settings.include) {
        (file, false)
    } else {
        (root, true)
    }
}

/// `true` when one of the `[lab].include` patterns names `file`.
fn included(file: &Utf8Path, patterns: &[String]) -> bool {
    patterns.iter().any(|p| {
        if !crate::files::is_glob(p) {
            return p == file.as_str();
        }
        globset::GlobBuilder::new(p)
            .literal_separator(true)
            .build()
            .is_ok_and(|g| g.compile_matcher().is_match(file.as_str()))
    })
}

/// The stub's TOML: a comment saying where it came from and what to do
/// with it, the table header, and the fewest keys that make it valid.
fn stub_text(registry: &Registry, kind: Kind, id: &str, wanted: &Wanted) -> String {
    let mut text = format!(
        "# Stub written by `lab check --write-stubs`: `{id}` is named by\n# {} but defined nowhere in the registry.\n",
        users(&wanted.users)
    );
    let rest = &id[kind.name().len() + 1..];
    let body = match kind {
        Kind::Profile => format!(
            "# As written it changes nothing: suites run with lab's environment. Say\n# what it means: env, env_clear and pass_env, secrets, network, cleanup\n# (docs/registry.md#profiles-profile).\n{}\ndescription = \"stub: {rest}\"\n",
            header(id)
        ),
        Kind::Fixture => format!(
            "# As written it seeds nothing: add copy, setup or env\n# (docs/registry.md#fixtures-fixture).\n{}\ndescription = \"stub: {rest}\"\n",
            header(id)
        ),
        Kind::Runner => runner_body(id, rest, &wanted.commands),
        _ => artifact_body(registry, kind, id),
    };
    text.push_str(&body);
    text
}

/// The definitions that name an id, the first three by name.
fn users(users: &BTreeSet<String>) -> String {
    let mut named: Vec<String> = users.iter().take(3).map(|u| format!("`{u}`")).collect();
    if users.len() > 3 {
        named.push(format!("{} more", users.len() - 3));
    }
    named.join(", ")
}

fn runner_body(id: &str, rest: &str, commands: &[String]) -> String {
    let programs: BTreeSet<String> = commands.iter().filter_map(|c| program_of(c)).collect();
    let mut body = String::new();
    let program = match programs.len() {
        1 => {
            let program = programs.first().expect("one program");
            body.push_str(&format!(
                "# `program` is the first word of the commands that use it: a suite\n# is blocked when it is not on PATH. Add `version`, `command` or `junit`\n# as the tool needs (docs/registry.md#runners-runner).\n{}\ndescription = \"stub: {rest}\"\nprogram = {program:?}\n",
                header(id)
            ));
            return body;
        }
        0 => "no command that uses it names a program".to_string(),
        _ => format!(
            "the commands that use it start with {}",
            programs.into_iter().collect::<Vec<_>>().join(", ")
        ),
    };
    body.push_str(&format!(
        "# No `program`: {program}. Add `program`, `version`, `command` or\n# `junit` as the tool needs (docs/registry.md#runners-runner).\n{}\ndescription = \"stub: {rest}\"\n",
        header(id)
    ));
    body
}

fn artifact_body(registry: &Registry, kind: Kind, id: &str) -> String {
    let prefix = &registry.settings.env_prefix;
    let guessed = id
        .split('.')
        .nth(1)
        .filter(|s| kind == Kind::Artifact && ArtifactKind::NAMES.iter().any(|(n, _)| n == s));
    let mut body = format!(
        "# Optional: missing, it is recorded as missing and fails nothing. Point\n# `path` at where the tool writes it (relative to the suite's cwd, or under\n# {{suite_dir}}); a suite may also report a file with a line\n# {prefix}_ARTIFACT_PATH=<path> (docs/registry.md#artifacts-and-logs-artifact-log).\n{}\ndescription = \"stub\"\npath = \"{{suite_dir}}/{}\"\n",
        header(id),
        toml_escape(id)
    );
    if let Some(k) = guessed {
        body.push_str(&format!("kind = \"{k}\"\n"));
    }
    body.push_str("required = false\n");
    body
}

/// `[profile.lab."from:v0.1.0"]`: dot-separated segments, the rest quoted
/// as one key from the first that is not a bare TOML key. Any split joins
/// back to the same canonical id.
fn header(id: &str) -> String {
    let bare = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    let segments: Vec<&str> = id.split('.').collect();
    let plain = segments.iter().take_while(|s| bare(s)).count();
    let mut keys: Vec<String> = segments[..plain].iter().map(|s| s.to_string()).collect();
    if plain < segments.len() {
        keys.push(format!("\"{}\"", toml_escape(&segments[plain..].join("."))));
    }
    format!("[{}]", keys.join("."))
}

fn toml_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Words that run the command after them: `exec cargo test` runs cargo.
const WRAPPERS: &[&str] = &[
    "exec", "env", "command", "time", "nice", "nohup", "if", "then", "while", "!", "{",
];

/// Builtins whose command names no tool: `cd web && bun test` runs bun.
const BUILTINS: &[&str] = &[
    "cd", "export", "set", "source", ".", "true", ":", "echo", "printf", "test", "[", "unset",
    "umask", "ulimit", "pushd", "mkdir", "rm",
];

/// The tool a shell command runs: the first word of its first simple
/// command that is not a builtin, after `VAR=value` assignments and
/// wrappers such as `exec`; `cargo nextest` is `cargo-nextest`. `None` for
/// a path (`./x.sh`) or a variable.
pub fn program_of(command: &str) -> Option<String> {
    for simple in command.split(['\n', ';', '&', '|']) {
        let mut words = simple
            .split_whitespace()
            .map(|w| w.trim_start_matches('(').trim_matches(['"', '\'']))
            .skip_while(|w| w.is_empty() || w.contains('=') || WRAPPERS.contains(w));
        let Some(first) = words.next() else {
            continue;
        };
        if BUILTINS.contains(&first) {
            continue;
        }
        if first.contains(['/', '$', '`']) {
            return None;
        }
        if first == "cargo" && words.next() == Some("nextest") {
            return Some("cargo-nextest".into());
        }
        return Some(first.to_string());
    }
    None
}

/// What `lab init` says instead of scaffolding when `dir` already has a
/// registry (`suites.toml`, or `tools/lab/suites.toml`): where it is, and
/// `lab check --write-stubs` when it names definitions it lacks.
pub fn init_advice(dir: &Utf8Path) -> Option<String> {
    let rel = [super::load::REGISTRY_FILE, super::discover::NESTED_REGISTRY]
        .into_iter()
        .find(|rel| dir.join(rel).is_file())?;
    let loaded = super::load(&dir.join(rel));
    let missing = plan(&loaded.registry).stubs.len();
    let next = match missing {
        0 => "`lab check` says what it holds".to_string(),
        n => format!(
            "it names {n} definition{} it does not define: `lab check --write-stubs` writes a commented stub for each",
            if n == 1 { "" } else { "s" }
        ),
    };
    Some(format!(
        "lab: `{rel}` already exists; lab init never overwrites a registry\n  {next}"
    ))
}

/// Writes the stubs: a file of its own is created only when it does not
/// exist; stubs for one existing file are appended together, after
/// checking the result still parses.
pub fn write(workspace: &Utf8Path, plan: &Plan) -> Result<Vec<Written>, Error> {
    let mut by_file: BTreeMap<(&Utf8Path, bool), Vec<&Stub>> = BTreeMap::new();
    for stub in &plan.stubs {
        by_file
            .entry((stub.file.as_path(), stub.append))
            .or_default()
            .push(stub);
    }
    let mut written = Vec::new();
    for ((file, append), stubs) in by_file {
        let ids: Vec<String> = stubs.iter().map(|s| s.id.clone()).collect();
        let text: Vec<&str> = stubs.iter().map(|s| s.text.as_str()).collect();
        let text = text.join("\n");
        let path = workspace.join(file);
        let done = if append {
            append_to(&path, &text)?
        } else {
            create(&path, &text)?
        };
        written.push(match done {
            Ok(()) if append => Written::Appended(file.to_path_buf(), ids),
            Ok(()) => Written::Created(file.to_path_buf(), ids),
            Err(reason) => Written::Kept(file.to_path_buf(), ids, reason),
        });
    }
    Ok(written)
}

type Done = Result<(), &'static str>;

fn create(path: &Utf8Path, text: &str) -> Result<Done, Error> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::io(format!("failed to create `{parent}`"), e))?;
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path);
    let mut file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Ok(Err("it exists and is never overwritten"));
        }
        Err(e) => return Err(Error::io(format!("failed to create `{path}`"), e)),
    };
    file.write_all(text.as_bytes())
        .map_err(|e| Error::io(format!("failed to write `{path}`"), e))?;
    Ok(Ok(()))
}

fn append_to(path: &Utf8Path, text: &str) -> Result<Done, Error> {
    let existing = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("failed to read `{path}`"), e))?;
    let mut addition = String::from(if existing.ends_with('\n') || existing.is_empty() {
        "\n"
    } else {
        "\n\n"
    });
    addition.push_str(text);
    if toml::de::DeTable::parse(&format!("{existing}{addition}")).is_err() {
        return Ok(Err("the stubs would not parse appended to it"));
    }
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| Error::io(format!("failed to open `{path}`"), e))?;
    file.write_all(addition.as_bytes())
        .map_err(|e| Error::io(format!("failed to append to `{path}`"), e))?;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_is_the_first_word_that_names_a_tool() {
        let p = |c: &str| program_of(c);
        assert_eq!(p("cargo test --workspace").as_deref(), Some("cargo"));
        assert_eq!(
            p("cargo nextest run -P quick -E 'test(x)'").as_deref(),
            Some("cargo-nextest")
        );
        assert_eq!(p("cd web && bun test").as_deref(), Some("bun"));
        assert_eq!(p("(cd web; exec bun x)").as_deref(), Some("bun"));
        assert_eq!(p("if cargo test; then :; fi").as_deref(), Some("cargo"));
        assert_eq!(p("RUST_LOG=debug just web test").as_deref(), Some("just"));
        assert_eq!(p("env CI=1 pytest -q").as_deref(), Some("pytest"));
        assert_eq!(p("exec bunx vitest").as_deref(), Some("bunx"));
        assert_eq!(p("./scripts/check.sh"), None);
        assert_eq!(p("$TOOL run"), None);
        assert_eq!(p(""), None);
    }

    #[test]
    fn headers_quote_segments_that_are_not_bare_keys() {
        assert_eq!(header("profile.lab.empty.test"), "[profile.lab.empty.test]");
        assert_eq!(
            header("profile.lab.upgrade.from:v0.1.0"),
            "[profile.lab.upgrade.\"from:v0.1.0\"]"
        );
        assert_eq!(
            header("runner.cargo-nextest.dev_1"),
            "[runner.cargo-nextest.dev_1]"
        );
    }

    #[test]
    fn includes_match_as_globs_within_a_directory() {
        let defaults = ["tools/lab/profiles/*.toml".to_string()];
        assert!(included("tools/lab/profiles/a.b.toml".into(), &defaults));
        assert!(!included("tools/lab/profiles/x/a.toml".into(), &defaults));
        assert!(!included("profiles/a.toml".into(), &defaults));
        assert!(included("a.toml".into(), &["a.toml".to_string()]));
    }
}
