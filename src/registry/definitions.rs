//! Reading each kind of definition from its TOML table: a suite, profile,
//! fixture (and its copies), runner, service (and its readiness probe),
//! artifact or log, escalation rule; plus the values they share
//! (positive durations, platforms, requirements, workspace directories).
//!
//! How tables become definitions, and files a registry, is `load.rs`.

use std::time::Duration;

use camino::Utf8PathBuf;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diagnostic::did_you_mean;
use super::model::*;
use super::reader::{Reader, list, normalize_pattern};
use super::source::Span;

/// A duration that must be longer than zero.
pub(super) fn positive(r: &mut Reader<'_, '_>, key: &str) -> Option<Duration> {
    let d = r.duration(key)?;
    if d.is_zero() {
        let span = r.value(key).map(|v| r.span(v))?;
        let diag = r
            .error_at(
                span,
                "invalid-duration",
                format!("`{key}` must be longer than zero"),
            )
            .found("0")
            .expected("a duration such as \"30s\"");
        r.report(diag);
        return None;
    }
    Some(d)
}

/// Operating systems a `platforms` entry or `os:` requirement may name
/// (the values of Rust's `std::env::consts::OS` that lab can run on).
pub const PLATFORMS: &[&str] = &[
    "linux",
    "macos",
    "windows",
    "freebsd",
    "openbsd",
    "netbsd",
    "dragonfly",
    "illumos",
    "solaris",
    "android",
    "ios",
];

/// A suite's `args`, which must split into words (docs/running.md#placeholders).
fn args(r: &mut Reader<'_, '_>) -> Option<String> {
    let (text, span) = r.string_spanned("args")?;
    if let Err(e) = super::words::split(&text) {
        let d = r
            .error_at(
                span,
                "invalid-value",
                format!("`args` is not a list of words: {e}"),
            )
            .found(format!("{text:?}"))
            .expected(
                "words separated by blanks, quoted with '…' or \"…\" where they hold shell syntax",
            );
        r.report(d);
        return None;
    }
    Some(text)
}

pub(super) fn read_suite(r: &mut Reader<'_, '_>, id: String, span: Span) -> Suite {
    let platforms = platforms(r, &id);
    let requires = requirements(r, &id);
    let timeout = timeout(r, &id);
    let mut fixtures: Vec<Ref> = r.reference("fixture").into_iter().collect();
    fixtures.extend(r.references("fixtures"));
    Suite {
        description: r.string("description"),
        command: r.string("command"),
        args: args(r),
        cwd: relative_dir(r, "cwd"),
        level: r.string("level"),
        targets: r.strings("targets"),
        platforms,
        risk: r.choice("risk", &Risk::ALL.map(|k| (k.name(), k))),
        tags: r.strings("tags"),
        paths: r.patterns("paths"),
        profile: r.reference("profile"),
        fixtures,
        runners: r.references("runners"),
        services: r.references("services"),
        needs: r.references("needs"),
        requires,
        env: r.env("env"),
        timeout,
        retries: r.uint("retries", 0).unwrap_or(0),
        weight: r.uint("weight", 1).unwrap_or(1),
        exclusive: r.bool("exclusive").unwrap_or(false),
        artifacts: r.references("artifacts"),
        cache: r.bool("cache"),
        inputs: r.value("inputs").is_some().then(|| r.patterns("inputs")),
        quarantine: super::quarantine::read(r, &id),
        id,
        span,
    }
}

/// A suite's `platforms`, each one lab knows.
fn platforms(r: &mut Reader<'_, '_>, id: &str) -> Vec<String> {
    let mut platforms = Vec::new();
    for (p, pspan) in r.strings_spanned("platforms") {
        if PLATFORMS.contains(&p.as_str()) {
            platforms.push(p);
            continue;
        }
        let d = r
            .error_at(
                pspan,
                "invalid-value",
                format!("unknown platform in `{id}`"),
            )
            .found(format!("{p:?}"))
            .expected(format!("one of {}", list(PLATFORMS)))
            .maybe_help(
                did_you_mean(&p, PLATFORMS.iter().copied()).map(|m| format!("did you mean `{m}`?")),
            );
        r.report(d);
    }
    platforms
}

/// A suite's `requires`, parsed.
fn requirements(r: &mut Reader<'_, '_>, id: &str) -> Vec<Requirement> {
    let mut requires = Vec::new();
    for (text, rspan) in r.strings_spanned("requires") {
        match parse_requirement(&text) {
            Ok(req) => requires.push(req),
            Err(expected) => {
                let d = r
                    .error_at(
                        rspan,
                        "invalid-requirement",
                        format!("unknown requirement in `{id}`"),
                    )
                    .found(format!("{text:?}"))
                    .expected(expected.to_string());
                r.report(d);
            }
        }
    }
    requires
}

/// A suite's `timeout`, or its older spelling `timeout_seconds` (not both).
fn timeout(r: &mut Reader<'_, '_>, id: &str) -> Option<Duration> {
    match (r.value("timeout"), r.value("timeout_seconds")) {
        (Some(_), Some(second)) => {
            let second = r.span(second);
            let d = r
                .error_at(
                    second,
                    "conflicting-keys",
                    format!("`{id}` sets both `timeout` and `timeout_seconds`"),
                )
                .help("keep one of them");
            r.report(d);
            None
        }
        (Some(_), None) => positive(r, "timeout"),
        (None, Some(_)) => positive(r, "timeout_seconds"),
        (None, None) => None,
    }
}

/// A workspace-relative directory (`cwd`), `.` when absent.
fn relative_dir(r: &mut Reader<'_, '_>, key: &str) -> Utf8PathBuf {
    let Some((text, span)) = r.string_spanned(key) else {
        return Utf8PathBuf::from(".");
    };
    if text == "." {
        return Utf8PathBuf::from(".");
    }
    match normalize_pattern(&text) {
        Ok(p) if !p.contains(['*', '?', '[', '{']) => Utf8PathBuf::from(p.trim_end_matches('/')),
        _ => {
            let d = r
                .error_at(
                    span,
                    "invalid-path",
                    format!("`{key}` must be a directory inside the workspace"),
                )
                .found(format!("{text:?}"))
                .expected("a relative path without `..` or glob characters, e.g. \"crates/core\"");
            r.report(d);
            Utf8PathBuf::from(".")
        }
    }
}

/// Why a `requires` entry is not a requirement; shown as what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequirementError {
    /// Not a requirement lab knows, or one with an empty or spaced argument.
    #[error("{REQUIREMENTS}")]
    Unknown,
    /// `env:` with something that is not a variable name.
    #[error("{REQUIREMENTS} (`{var}` is not a variable name)")]
    NotAVariable {
        /// The name as written.
        var: String,
    },
    /// `os:` with an operating system lab does not know.
    #[error("{REQUIREMENTS} (os is one of {})", list(PLATFORMS))]
    UnknownOs,
}

/// The requirements `requires` may list.
const REQUIREMENTS: &str =
    "`cmd:<program>`, `env:<VAR>`, `docker`, `display`, `root`, `netns` or `os:<name>`";

/// Parses one `requires` entry.
pub fn parse_requirement(text: &str) -> Result<Requirement, RequirementError> {
    let nonempty = |s: &str| {
        if s.is_empty() || s.chars().any(char::is_whitespace) {
            Err(RequirementError::Unknown)
        } else {
            Ok(s.to_string())
        }
    };
    match text.split_once(':') {
        Some(("cmd", program)) => nonempty(program).map(Requirement::Command),
        Some(("env", var)) if super::reader::is_env_name(var) => {
            Ok(Requirement::Env(var.to_string()))
        }
        Some(("env", var)) => Err(RequirementError::NotAVariable {
            var: var.to_string(),
        }),
        Some(("os", os)) if PLATFORMS.contains(&os) => Ok(Requirement::Os(os.to_string())),
        Some(("os", _)) => Err(RequirementError::UnknownOs),
        Some(_) => Err(RequirementError::Unknown),
        None => match text {
            "docker" => Ok(Requirement::Docker),
            "display" => Ok(Requirement::Display),
            "root" => Ok(Requirement::Root),
            "netns" => Ok(Requirement::Netns),
            _ => Err(RequirementError::Unknown),
        },
    }
}

pub(super) fn read_profile(r: &mut Reader<'_, '_>, id: String, span: Span) -> Profile {
    let mut secrets = Vec::new();
    for (name, sspan) in r.strings_spanned("secrets") {
        if super::reader::is_env_name(&name) {
            secrets.push(name);
        } else {
            let d = r
                .error_at(
                    sspan,
                    "invalid-env-name",
                    format!("`{name}` is not a variable name"),
                )
                .expected("the name of a host variable, e.g. \"API_TOKEN\"");
            r.report(d);
        }
    }
    Profile {
        description: r.string("description"),
        extends: r.reference("extends"),
        env: r.env("env"),
        env_clear: r.bool("env_clear"),
        pass_env: r.strings("pass_env"),
        secrets,
        network: r.choice(
            "network",
            &[
                ("inherit", Network::Inherit),
                ("loopback", Network::Loopback),
            ],
        ),
        display: r.choice(
            "display",
            &[("inherit", Display::Inherit), ("virtual", Display::Virtual)],
        ),
        cleanup: r.choice(
            "cleanup",
            &[
                ("on-success", Cleanup::OnSuccess),
                ("always", Cleanup::Always),
                ("never", Cleanup::Never),
            ],
        ),
        services: r.references("services"),
        cache: r.bool("cache"),
        inputs: r.patterns("inputs"),
        hermetic: r.bool("hermetic"),
        id,
        span,
    }
}

pub(super) fn read_fixture(r: &mut Reader<'_, '_>, id: String, span: Span) -> Fixture {
    let mut copy = Vec::new();
    let mut copy_spans = Vec::new();
    if let Some(value) = r.value("copy") {
        let items: Vec<&Spanned<DeValue<'_>>> = match value.get_ref() {
            DeValue::Array(items) => items.iter().collect(),
            _ => Vec::new(),
        };
        if !value.get_ref().is_array() {
            r.mismatch(
                "copy",
                value,
                "an array of tables: `copy = [{ from = \"fixtures/x\", to = \"data\" }]`",
            );
        }
        for item in items {
            let ispan = r.span(item);
            let DeValue::Table(t) = item.get_ref() else {
                let d = r
                    .error_at(
                        ispan,
                        "wrong-type",
                        format!("a `copy` entry of `{id}` is not a table"),
                    )
                    .found(super::reader::describe(item.get_ref()))
                    .expected("`{ from = \"fixtures/x\", to = \"data\" }`");
                r.report(d);
                continue;
            };
            if let Some(entry) = read_copy(r, &id, t, ispan) {
                copy_spans.push(entry.1);
                copy.push(entry.0);
            }
        }
    }
    Fixture {
        description: r.string("description"),
        copy,
        copy_spans,
        setup: r.string("setup"),
        after_services: r.bool("after_services").unwrap_or(false),
        teardown: r.string("teardown"),
        env: r.env("env"),
        id,
        span,
    }
}

/// One `copy` entry of a fixture: `{ from = "…", to = "…" }`, both checked.
fn read_copy(
    r: &mut Reader<'_, '_>,
    id: &str,
    table: &DeTable<'_>,
    span: Span,
) -> Option<(FixtureCopy, Span)> {
    let from = copy_field(r, id, table, "from", span);
    let to = copy_field(r, id, table, "to", span);
    for (key, _) in table.iter() {
        let name = key.get_ref().as_ref();
        if name != "from" && name != "to" {
            let kspan = r.span(key);
            let d = r
                .error_at(
                    kspan,
                    "unknown-key",
                    format!("unknown key `{name}` in `{id}.copy`"),
                )
                .expected("`from` or `to`");
            r.report(d);
        }
    }
    let (from, from_span) = from?;
    let (to, to_span) = to?;
    // Both are checked, so both are reported.
    let from_ok = copy_from_valid(r, id, &from, from_span);
    let to_ok = copy_to_valid(r, id, &to, to_span);
    (from_ok && to_ok).then(|| {
        (
            FixtureCopy {
                from: from.trim_start_matches("./").to_string(),
                to: to.trim_end_matches('/').to_string(),
            },
            from_span,
        )
    })
}

/// The string `key` of a `copy` entry, with its span.
fn copy_field(
    r: &mut Reader<'_, '_>,
    id: &str,
    table: &DeTable<'_>,
    key: &str,
    span: Span,
) -> Option<(String, Span)> {
    let Some(v) = table.get(key) else {
        let d = r
            .error_at(
                span,
                "missing-key",
                format!("a `copy` entry of `{id}` has no `{key}`"),
            )
            .expected("`{ from = \"fixtures/x\", to = \"data\" }`");
        r.report(d);
        return None;
    };
    if let DeValue::String(s) = v.get_ref() {
        return Some((s.to_string(), r.span(v)));
    }
    let vspan = r.span(v);
    let d = r
        .error_at(
            vspan,
            "wrong-type",
            format!("`{key}` in a `copy` entry of `{id}` has the wrong type"),
        )
        .found(super::reader::describe(v.get_ref()))
        .expected("a string");
    r.report(d);
    None
}

/// `from`: a path inside the workspace.
fn copy_from_valid(r: &mut Reader<'_, '_>, id: &str, from: &str, span: Span) -> bool {
    let Err(expected) = normalize_pattern(from) else {
        return true;
    };
    let d = r
        .error_at(
            span,
            "invalid-path",
            format!("`from` in a `copy` entry of `{id}` is not valid"),
        )
        .found(format!("{from:?}"))
        .expected(expected.to_string());
    r.report(d);
    false
}

/// `to`: `config`, `data` or `secrets`, optionally with a sub-path.
fn copy_to_valid(r: &mut Reader<'_, '_>, id: &str, to: &str, span: Span) -> bool {
    let root = to.split('/').next().unwrap_or_default();
    let valid = matches!(root, "config" | "data" | "secrets")
        && !to.split('/').any(|s| s == "..")
        && !to.contains(['*', '?', '[', '{', '\\']);
    if !valid {
        let d = r
            .error_at(
                span,
                "invalid-path",
                format!("`to` in a `copy` entry of `{id}` is not valid"),
            )
            .found(format!("{to:?}"))
            .expected(
                "`config`, `data` or `secrets`, optionally with a sub-path such as \"data/mail\"",
            );
        r.report(d);
    }
    valid
}

/// A runner's `targets`: each names the suite `launch.<target>` of `lab
/// launch`, so each must be a valid id segment.
fn launch_targets(r: &mut Reader<'_, '_>) -> Vec<String> {
    let mut targets = Vec::new();
    for (target, span) in r.strings_spanned("targets") {
        match super::ids::segment_problem(&target) {
            None => targets.push(target),
            Some(problem) => {
                let d = r
                    .error_at(span, "invalid-value", format!("invalid launch target: {problem}"))
                    .found(format!("{target:?}"))
                    .expected("a target named like an id segment: `lab launch` runs it as the suite `launch.<target>`");
                r.report(d);
            }
        }
    }
    targets
}

pub(super) fn read_runner(r: &mut Reader<'_, '_>, id: String, span: Span) -> Runner {
    Runner {
        description: r.string("description"),
        program: r.string("program"),
        version: r.string("version"),
        probe: r.string("probe"),
        env: r.env("env"),
        command: r.string("command"),
        junit: r.string("junit"),
        targets: launch_targets(r),
        launch: r.string("launch"),
        id,
        span,
    }
}

pub(super) fn read_service(r: &mut Reader<'_, '_>, id: String, span: Span) -> Option<Service> {
    let ready = read_probe(r, &id);
    let service = Service {
        description: r.string("description"),
        port: r.bool("port").unwrap_or(false),
        ready,
        ready_timeout: positive(r, "ready_timeout").unwrap_or(Duration::from_secs(60)),
        stop_timeout: r.duration("stop_timeout").unwrap_or(Duration::from_secs(5)),
        env: r.env("env"),
        command: r.required_string("command", span)?,
        id,
        span,
    };
    Some(service)
}

/// The probes `ready` may name.
const PROBE_KINDS: [&str; 5] = ["http", "tcp", "log", "file", "command"];
/// What `ready` should look like.
const PROBE_EXPECTED: &str = "one probe: `{ http = \"…\", status = 200 }`, `{ tcp = \"…\" }`, `{ log = \"<regex>\" }`, `{ file = \"…\" }` or `{ command = \"…\" }`";

/// A service's `ready` probe: a table naming exactly one kind of probe
/// (and `status`, for `http` only).
fn read_probe(r: &mut Reader<'_, '_>, id: &str) -> Option<Probe> {
    let value = r.value("ready")?;
    let vspan = r.span(value);
    let DeValue::Table(t) = value.get_ref() else {
        r.mismatch("ready", value, PROBE_EXPECTED);
        return None;
    };
    let kind = probe_kind(r, id, t, vspan)?;
    let item = t.get(kind)?;
    let ispan = r.span(item);
    let Some(text) = item.get_ref().as_str().map(str::to_string) else {
        r.mismatch(&format!("ready.{kind}"), item, "a string");
        return None;
    };
    if t.get("status").is_some() && kind != "http" {
        let d = r
            .error_at(
                vspan,
                "invalid-probe",
                format!("`status` only applies to an `http` probe (in `{id}`)"),
            )
            .expected(PROBE_EXPECTED);
        r.report(d);
        return None;
    }
    match kind {
        "http" => http_probe(r, id, t, text, ispan),
        "tcp" => Some(Probe::Tcp { address: text }),
        "log" => log_probe(r, id, text, ispan),
        "file" => Some(Probe::File { path: text }),
        _ => Some(Probe::Command { command: text }),
    }
}

/// The one kind of probe `ready` names; a diagnostic when it names none,
/// several, or keys that are no probe.
fn probe_kind<'t>(
    r: &mut Reader<'_, '_>,
    id: &str,
    t: &'t DeTable<'_>,
    span: Span,
) -> Option<&'t str> {
    let keys = || t.iter().map(|(k, _)| k.get_ref().as_ref());
    let kinds: Vec<&str> = keys().filter(|k| PROBE_KINDS.contains(k)).collect();
    let unknown: Vec<&str> = keys()
        .filter(|k| !PROBE_KINDS.contains(k) && *k != "status")
        .collect();
    if let ([kind], []) = (kinds.as_slice(), unknown.as_slice()) {
        return Some(kind);
    }
    let found = keys()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let d = r
        .error_at(
            span,
            "invalid-probe",
            format!("`ready` in `{id}` must name exactly one probe"),
        )
        .found(if found.is_empty() {
            "an empty table".into()
        } else {
            found
        })
        .expected(PROBE_EXPECTED)
        .maybe_help(
            unknown
                .first()
                .and_then(|u| did_you_mean(u, PROBE_KINDS))
                .map(|m| format!("did you mean `{m}`?")),
        );
    r.report(d);
    None
}

/// `{ http = "<url>", status = N }`: an http(s) URL, a status from 100 to
/// 599 (200 when absent).
fn http_probe(
    r: &mut Reader<'_, '_>,
    id: &str,
    t: &DeTable<'_>,
    url: String,
    span: Span,
) -> Option<Probe> {
    let status = match t.get("status") {
        None => 200,
        Some(s) => {
            let code = s
                .get_ref()
                .as_integer()
                .and_then(|i| i.as_str().parse::<u16>().ok())
                .filter(|c| (100..=599).contains(c));
            let Some(code) = code else {
                let sspan = r.span(s);
                let d = r
                    .error_at(
                        sspan,
                        "wrong-type",
                        format!("`ready.status` in `{id}` is not an HTTP status"),
                    )
                    .found(super::reader::describe(s.get_ref()))
                    .expected("an integer from 100 to 599");
                r.report(d);
                return None;
            };
            code
        }
    };
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        let d = r
            .error_at(
                span,
                "invalid-probe",
                format!("`ready.http` in `{id}` is not an http URL"),
            )
            .found(format!("{url:?}"))
            .expected("a URL such as \"http://127.0.0.1:{port}/health\"");
        r.report(d);
        return None;
    }
    Some(Probe::Http { url, status })
}

/// `{ log = "<regex>" }`: a regex, checked now.
fn log_probe(r: &mut Reader<'_, '_>, id: &str, pattern: String, span: Span) -> Option<Probe> {
    let Err(e) = regex::Regex::new(&pattern) else {
        return Some(Probe::Log { pattern });
    };
    let what = e.to_string();
    let what = what.lines().last().unwrap_or("syntax error").trim();
    let d = r
        .error_at(
            span,
            "invalid-regex",
            format!("`ready.log` in `{id}` is not a valid regex"),
        )
        .found(format!("{pattern:?}"))
        .expected(format!("a regex ({what})"));
    r.report(d);
    None
}

pub(super) fn read_artifact(
    r: &mut Reader<'_, '_>,
    kind: Kind,
    id: String,
    span: Span,
) -> Option<Artifact> {
    let artifact_kind = if kind == Kind::Log {
        match r.choice("kind", &[("log", ArtifactKind::Log)]) {
            Some(k) => k,
            None => ArtifactKind::Log,
        }
    } else {
        r.choice("kind", &ArtifactKind::NAMES)
            .unwrap_or(ArtifactKind::File)
    };
    let description = r.string("description");
    let required = r.bool("required").unwrap_or(false);
    let outside = r.bool("outside").unwrap_or(false);
    r.required_string("path", span)?;
    let (path, path_span) = r.string_spanned("path")?;
    if let Some(problem) = artifact_path_problem(&path, outside) {
        let d = r
            .error_at(
                path_span,
                "invalid-artifact-path",
                format!("`{id}` cannot be collected from `{path}`"),
            )
            .expected(problem);
        // Kept, so the suites that name it get no second error.
        r.report(d);
    }
    Some(Artifact {
        id,
        span,
        description,
        path,
        kind: artifact_kind,
        required,
        outside,
    })
}

/// What is wrong with a declared artifact's path (docs/registry.md#artifacts).
fn artifact_path_problem(path: &str, outside: bool) -> Option<&'static str> {
    if path.contains("{state.secrets}") {
        return Some("a path outside `{state.secrets}`: what it holds is never collected");
    }
    let absolute = path.starts_with('/');
    if absolute && !outside {
        return Some(
            "a path under the workspace or the run directory (relative, or `{run_dir}/…`, `{suite_dir}/…`); `outside = true` allows a fixed absolute path",
        );
    }
    if outside && !absolute {
        return Some(
            "an absolute path without placeholders: `outside = true` is for a fixed path such as a service's log",
        );
    }
    None
}

pub(super) fn read_escalate(r: &mut Reader<'_, '_>, id: String, span: Span) -> Escalate {
    let when = r.patterns("when");
    if r.value("when").is_none() {
        let d = r
            .error_at(span, "missing-key", format!("`{id}` has no `when`"))
            .expected("`when = [\"path/or/glob/**\"]`");
        r.report(d);
    }
    let mut select = EscalateSelect::default();
    match r.value("select") {
        None => {
            let d = r
                .error_at(span, "missing-key", format!("`{id}` has no `select`"))
                .expected(
                    "`select = { tags = [\"api\"] }` (or `all`, `suites`, `targets`, `levels`)",
                );
            r.report(d);
        }
        Some(value) => match value.get_ref() {
            DeValue::Table(t) => {
                let owner = format!("{id}.select");
                let mut sr = Reader::new_nested(r, t, &owner);
                sr.reject_unknown(&["all", "suites", "tags", "targets", "levels"], |_| false);
                select.all = sr.bool("all").unwrap_or(false);
                select.suites = sr.references("suites");
                select.tags = sr.strings("tags");
                select.targets = sr.strings("targets");
                select.levels = sr.strings("levels");
            }
            _ => r.mismatch("select", value, "a table such as `{ tags = [\"api\"] }`"),
        },
    }
    Escalate {
        description: r.string("description"),
        reason: r.string("reason"),
        when,
        select,
        id,
        span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_parse() {
        assert_eq!(
            parse_requirement("cmd:jj"),
            Ok(Requirement::Command("jj".into()))
        );
        assert_eq!(
            parse_requirement("env:CI"),
            Ok(Requirement::Env("CI".into()))
        );
        assert_eq!(
            parse_requirement("os:linux"),
            Ok(Requirement::Os("linux".into()))
        );
        assert_eq!(parse_requirement("netns"), Ok(Requirement::Netns));
        assert!(parse_requirement("cmd:").is_err());
        assert!(parse_requirement("os:beos").is_err());
        assert!(parse_requirement("gpu").is_err());
        assert!(parse_requirement("env:1A").is_err());
    }
}
