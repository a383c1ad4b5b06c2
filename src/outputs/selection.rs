//! What a command line selected by and why: criteria, changed paths, the
//! rationale of each selected suite, where a definition is written.

use schemars::JsonSchema;
use serde::Serialize;

use super::*;

/// What a command line selected by (docs/selection.md#selectors).
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, JsonSchema)]
pub struct Criteria {
    /// Positional ids and id globs, canonical (`suite.` prefixed).
    pub ids: Vec<String>,
    /// `--tag` values.
    pub tags: Vec<String>,
    /// `--target` values.
    pub targets: Vec<String>,
    /// `--level` values.
    pub levels: Vec<String>,
    /// `--platform` values.
    pub platforms: Vec<String>,
    /// `--risk`: this risk and above.
    pub risk: Option<Risk>,
    /// `--changed`.
    pub changed: bool,
    /// `--all`.
    pub all: bool,
    /// `--exclude-tag` values. Since schema_version 1.
    pub exclude_tags: Vec<String>,
    /// `--shard K/N`. Since schema_version 1.
    #[serde(default)]
    pub shard: Option<String>,
    /// `--base REV`, when given.
    #[serde(default)]
    pub base: Option<String>,
    /// `--changed-paths FILE` (`-`: stdin), when given.
    #[serde(default)]
    pub changed_paths: Option<String>,
}

impl Criteria {
    /// `true` when no selector was given (exclusions do not select).
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
            && self.tags.is_empty()
            && self.targets.is_empty()
            && self.levels.is_empty()
            && self.platforms.is_empty()
            && self.risk.is_none()
            && !self.changed
            && !self.all
    }
}

/// The changed paths `--changed` selected by.
#[derive(Debug, Clone, Serialize, serde::Deserialize, JsonSchema)]
pub struct Changed {
    /// Where the paths came from: `paths-file`, `env`, `jj` or `git`.
    pub source: String,
    /// The revision diffed against, when a VCS answered.
    pub base: Option<String>,
    /// Workspace-relative changed paths.
    pub paths: Vec<String>,
    /// What the user should know about how the paths were found (a missing
    /// base, a shallow clone, …). Since schema_version 1.
    pub notes: Vec<String>,
}

/// Why a suite was selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RationaleKind {
    /// A positional id or id glob matched; detail: the pattern.
    Id,
    /// `--tag`; detail: the tag.
    Tag,
    /// `--target`; detail: the target.
    Target,
    /// `--level`; detail: the level.
    Level,
    /// `--platform`; detail: the platform.
    Platform,
    /// `--risk`; detail: the suite's risk and the threshold.
    Risk,
    /// `--all`, or no selector on a listing.
    All,
    /// A changed path matched a pattern; detail: `<path> matches <pattern>`.
    ChangedPath,
    /// A registry file or global path changed; detail: the path.
    RegistryChanged,
    /// A definition the suite uses changed; detail: its id.
    DefinitionChanged,
    /// An escalation rule fired; detail: the rule id.
    Escalation,
    /// Another selected suite needs this one; detail: that suite's id.
    NeededBy,
}

/// One reason a suite was selected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, JsonSchema)]
pub struct Rationale {
    /// What kind of reason.
    pub kind: RationaleKind,
    /// The specifics, as described for each kind.
    pub detail: String,
}

impl Rationale {
    /// The reason as a short phrase: `tag api`, `changed src/a.rs matches
    /// src/**`, `needed by suite.x`.
    pub fn phrase(&self) -> String {
        let d = &self.detail;
        match self.kind {
            RationaleKind::Id => format!("id {d}"),
            RationaleKind::Tag => format!("tag {d}"),
            RationaleKind::Target => format!("target {d}"),
            RationaleKind::Level => format!("level {d}"),
            RationaleKind::Platform => format!("platform {d}"),
            RationaleKind::Risk => format!("risk {d}"),
            RationaleKind::All => d.clone(),
            RationaleKind::ChangedPath => format!("changed {d}"),
            RationaleKind::RegistryChanged => format!("registry changed: {d}"),
            RationaleKind::DefinitionChanged => format!("{d} changed"),
            RationaleKind::Escalation => format!("escalation {d}"),
            RationaleKind::NeededBy => format!("needed by {d}"),
        }
    }
}

/// Where a definition is written.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DefinedAt {
    /// Workspace-relative file.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column. Since schema_version 1.
    pub column: u32,
}

impl From<&crate::select::Criteria> for Criteria {
    fn from(c: &crate::select::Criteria) -> Self {
        Criteria {
            ids: c.ids.clone(),
            tags: c.tags.clone(),
            targets: c.targets.clone(),
            levels: c.levels.clone(),
            platforms: c.platforms.clone(),
            risk: c.risk.map(Into::into),
            changed: c.changed,
            all: c.all,
            exclude_tags: c.exclude_tags.clone(),
            shard: c.shard.map(|s| s.to_string()),
            base: None,
            changed_paths: None,
        }
    }
}

impl From<&crate::select::Reason> for Rationale {
    fn from(r: &crate::select::Reason) -> Self {
        use crate::select::ReasonKind as K;
        let kind = match r.kind {
            K::Id => RationaleKind::Id,
            K::Tag => RationaleKind::Tag,
            K::Target => RationaleKind::Target,
            K::Level => RationaleKind::Level,
            K::Platform => RationaleKind::Platform,
            K::Risk => RationaleKind::Risk,
            K::All => RationaleKind::All,
            K::ChangedPath => RationaleKind::ChangedPath,
            K::RegistryChanged => RationaleKind::RegistryChanged,
            K::DefinitionChanged => RationaleKind::DefinitionChanged,
            K::Escalation => RationaleKind::Escalation,
            K::NeededBy => RationaleKind::NeededBy,
        };
        Rationale {
            kind,
            detail: r.detail.clone(),
        }
    }
}

impl From<&crate::select::ChangedPaths> for Changed {
    fn from(c: &crate::select::ChangedPaths) -> Self {
        Changed {
            source: c.source.clone(),
            base: c.base.clone(),
            paths: c.paths.clone(),
            notes: c.notes.clone(),
        }
    }
}

/// The reasons a suite was selected, as the public documents record them.
pub fn rationale(reasons: &[crate::select::Reason]) -> Vec<Rationale> {
    reasons.iter().map(Rationale::from).collect()
}
