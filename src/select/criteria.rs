//! What a selection asks for, as select works with it: built by the
//! command line layer (`commands/`), checked here, recorded in the public
//! documents as `outputs::Criteria`; and why a suite was selected
//! ([`Reason`]), recorded as `outputs::Rationale`.

use crate::error::Error;
use crate::registry::diagnostic::did_you_mean;
use crate::registry::model::Risk;

use super::shard::Shard;

/// `suite.api.*` or `api.*` → `suite.api.*`.
pub fn canonical_suite_pattern(pattern: &str) -> String {
    if pattern.starts_with("suite.") {
        pattern.to_string()
    } else {
        format!("suite.{pattern}")
    }
}

/// Selectors: different fields AND, values of one field OR.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Criteria {
    /// Suite ids or id globs, canonical (`suite.` prefixed).
    pub ids: Vec<String>,
    /// Suites with one of these tags.
    pub tags: Vec<String>,
    /// Suites verifying one of these targets.
    pub targets: Vec<String>,
    /// Suites at one of these levels.
    pub levels: Vec<String>,
    /// Suites that may run on one of these platforms.
    pub platforms: Vec<String>,
    /// Suites of at least this risk.
    pub risk: Option<Risk>,
    /// Suites the changed paths select.
    pub changed: bool,
    /// Every suite.
    pub all: bool,
    /// Suites with one of these tags are left out (their dependents' needs stay).
    pub exclude_tags: Vec<String>,
    /// Keep one shard of the selection.
    pub shard: Option<Shard>,
}

impl Criteria {
    /// Checks what can be checked without a registry: platform names.
    /// Canonicalizes ids (`api.*` → `suite.api.*`).
    pub fn checked(mut self) -> Result<Self, Error> {
        use crate::registry::definitions::PLATFORMS;
        for p in &self.platforms {
            if !PLATFORMS.contains(&p.as_str()) {
                let err = Error::usage(format!("unknown platform `{p}`"));
                return Err(match did_you_mean(p, PLATFORMS.iter().copied()) {
                    Some(near) => err.hint(format!("did you mean `{near}`?")),
                    None => err.hint(format!("platforms are {}", PLATFORMS.join(", "))),
                });
            }
        }
        self.ids = self
            .ids
            .iter()
            .map(|i| canonical_suite_pattern(i))
            .collect();
        Ok(self)
    }

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

/// What kind of reason selected a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonKind {
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// What kind of reason.
    pub kind: ReasonKind,
    /// The specifics, as described for each kind.
    pub detail: String,
}

impl Reason {
    /// A reason of `kind` with `detail`.
    pub fn new(kind: ReasonKind, detail: impl Into<String>) -> Self {
        Reason {
            kind,
            detail: detail.into(),
        }
    }
}
