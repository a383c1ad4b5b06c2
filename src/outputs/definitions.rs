//! How registry definitions appear in the public documents: the wire
//! copies of the registry's working types (risk, policies, probes,
//! fixture copies, artifact kinds, diagnostics), converted from them with
//! `From`. A field renamed in `registry/` changes no schema; one renamed
//! here does, and the schema test says so.

use schemars::JsonSchema;
use serde::Serialize;

use crate::registry::model as m;

/// How a suite's risk ranks; `--risk X` selects X and above.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// Low risk.
    Low,
    /// Medium risk.
    Medium,
    /// High risk.
    High,
}

impl Risk {
    /// `low`, `medium` or `high`.
    pub fn name(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
        }
    }
}

impl From<m::Risk> for Risk {
    fn from(r: m::Risk) -> Self {
        match r {
            m::Risk::Low => Risk::Low,
            m::Risk::Medium => Risk::Medium,
            m::Risk::High => Risk::High,
        }
    }
}

/// Network policy of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    /// Lab's own network.
    Inherit,
    /// A new network namespace with only loopback up.
    Loopback,
}

impl From<m::Network> for Network {
    fn from(n: m::Network) -> Self {
        match n {
            m::Network::Inherit => Network::Inherit,
            m::Network::Loopback => Network::Loopback,
        }
    }
}

/// Display policy of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Display {
    /// Lab's own display, if any.
    Inherit,
    /// A virtual X display (`xvfb-run -a`).
    Virtual,
}

impl From<m::Display> for Display {
    fn from(d: m::Display) -> Self {
        match d {
            m::Display::Inherit => Display::Inherit,
            m::Display::Virtual => Display::Virtual,
        }
    }
}

/// When a suite's `tmp/` and `state.*` roots are deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Cleanup {
    /// After a passing suite.
    OnSuccess,
    /// Whatever the result.
    Always,
    /// Never.
    Never,
}

impl From<m::Cleanup> for Cleanup {
    fn from(c: m::Cleanup) -> Self {
        match c {
            m::Cleanup::OnSuccess => Cleanup::OnSuccess,
            m::Cleanup::Always => Cleanup::Always,
            m::Cleanup::Never => Cleanup::Never,
        }
    }
}

/// One `copy` entry of a fixture.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FixtureCopy {
    /// Workspace-relative source file or tree.
    pub from: String,
    /// `config`, `data` or `secrets`, optionally with a sub-path.
    pub to: String,
}

impl From<&m::FixtureCopy> for FixtureCopy {
    fn from(c: &m::FixtureCopy) -> Self {
        FixtureCopy {
            from: c.from.clone(),
            to: c.to.clone(),
        }
    }
}

/// How to tell that a service is ready.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Probe {
    /// An HTTP GET answering `status`.
    Http {
        /// The URL, placeholders allowed.
        url: String,
        /// Expected status code.
        status: u16,
    },
    /// A TCP connect succeeding.
    Tcp {
        /// `host:port`, placeholders allowed.
        address: String,
    },
    /// A regex matching a line of the service's output.
    Log {
        /// The regex.
        pattern: String,
    },
    /// A file existing.
    File {
        /// The path, placeholders allowed.
        path: String,
    },
    /// A command exiting 0.
    Command {
        /// The command, run with `sh -c`.
        command: String,
    },
}

impl From<&m::Probe> for Probe {
    fn from(p: &m::Probe) -> Self {
        match p {
            m::Probe::Http { url, status } => Probe::Http {
                url: url.clone(),
                status: *status,
            },
            m::Probe::Tcp { address } => Probe::Tcp {
                address: address.clone(),
            },
            m::Probe::Log { pattern } => Probe::Log {
                pattern: pattern.clone(),
            },
            m::Probe::File { path } => Probe::File { path: path.clone() },
            m::Probe::Command { command } => Probe::Command {
                command: command.clone(),
            },
        }
    }
}

/// What an artifact holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactKind {
    /// JUnit XML.
    Junit,
    /// A log file.
    Log,
    /// An image.
    Screenshot,
    /// A trace.
    Trace,
    /// A video.
    Video,
    /// Any file.
    File,
    /// A directory tree.
    Dir,
}

impl From<m::ArtifactKind> for ArtifactKind {
    fn from(k: m::ArtifactKind) -> Self {
        match k {
            m::ArtifactKind::Junit => ArtifactKind::Junit,
            m::ArtifactKind::Log => ArtifactKind::Log,
            m::ArtifactKind::Screenshot => ArtifactKind::Screenshot,
            m::ArtifactKind::Trace => ArtifactKind::Trace,
            m::ArtifactKind::Video => ArtifactKind::Video,
            m::ArtifactKind::File => ArtifactKind::File,
            m::ArtifactKind::Dir => ArtifactKind::Dir,
        }
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The registry is invalid; nothing runs.
    Error,
    /// Worth fixing; the registry still loads.
    Warning,
}

/// One problem in the registry.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Diagnostic {
    /// `error` or `warning`.
    pub severity: Severity,
    /// Stable kebab-case kind of problem, e.g. `unknown-key`, `duplicate-id`.
    pub code: String,
    /// One line saying what is wrong.
    pub message: String,
    /// Workspace-relative file, when the problem has a place.
    pub file: Option<String>,
    /// 1-based line.
    pub line: Option<u32>,
    /// 1-based column in characters.
    pub column: Option<u32>,
    /// What was found there.
    pub found: Option<String>,
    /// What was expected instead.
    pub expected: Option<String>,
    /// A suggestion, such as the near name meant.
    pub help: Option<String>,
    /// Further places and facts, e.g. where a duplicate was first defined.
    pub notes: Vec<String>,
}

impl From<&crate::registry::Diagnostic> for Diagnostic {
    fn from(d: &crate::registry::Diagnostic) -> Self {
        Diagnostic {
            severity: match d.severity {
                crate::registry::Severity::Error => Severity::Error,
                crate::registry::Severity::Warning => Severity::Warning,
            },
            code: d.code.to_string(),
            message: d.message.clone(),
            file: d.file.clone(),
            line: d.line,
            column: d.column,
            found: d.found.clone(),
            expected: d.expected.clone(),
            help: d.help.clone(),
            notes: d.notes.clone(),
        }
    }
}
