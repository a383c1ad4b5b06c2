//! The selection engine (docs/selection.md): which suites a set of criteria picks,
//! with a rationale entry for every reason. Pure: no I/O, no process.
//!
//! Changed-path sources live elsewhere; this module receives criteria only.

use std::collections::{BTreeMap, BTreeSet};

use globset::{GlobBuilder, GlobMatcher};

use super::criteria::{Criteria, Reason, ReasonKind};
use super::escalate::ChangeSelection;
use crate::error::Error;
use crate::registry::diagnostic::did_you_mean;
use crate::registry::model::{Registry, Risk, Suite};

/// A selected suite and why.
#[derive(Debug, Clone)]
pub struct Selected<'r> {
    /// The suite.
    pub suite: &'r Suite,
    /// Every reason it was selected.
    pub rationale: Vec<Reason>,
}

enum IdPattern {
    Exact(String),
    Glob(GlobMatcher),
}

impl IdPattern {
    fn new(text: &str) -> Result<Self, Error> {
        if text.contains(['*', '?', '[', '{']) {
            let glob = GlobBuilder::new(text)
                .literal_separator(false)
                .build()
                .map_err(|e| {
                    Error::usage(format!("`{text}` is not a valid id glob: {}", e.kind()))
                })?;
            Ok(IdPattern::Glob(glob.compile_matcher()))
        } else {
            Ok(IdPattern::Exact(text.to_string()))
        }
    }

    fn is_match(&self, id: &str) -> bool {
        match self {
            IdPattern::Exact(e) => e == id,
            IdPattern::Glob(g) => g.is_match(id),
        }
    }
}

fn rationale(kind: ReasonKind, detail: impl Into<String>) -> Reason {
    Reason::new(kind, detail)
}

/// The first of `wanted` that `have` holds.
fn first_shared<'a>(have: &[String], wanted: &'a [String]) -> Option<&'a String> {
    wanted.iter().find(|w| have.contains(w))
}

/// Why a suite does not meet the criteria (`lab suite list --explain`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    /// It has a tag `--exclude-tag` names.
    #[error("excluded by --exclude-tag {tag}")]
    ExcludedTag {
        /// The tag.
        tag: String,
    },
    /// Its id matches none of the ids and globs asked for.
    #[error("its id matches none of {}", .ids.join(", "))]
    Id {
        /// The ids and globs asked for.
        ids: Vec<String>,
    },
    /// It has none of the tags, targets or levels asked for.
    #[error("{what} none of {}", .wanted.join(", "))]
    NoneOf {
        /// `tagged`, `targets` or `at level`.
        what: &'static str,
        /// The values asked for.
        wanted: Vec<String>,
    },
    /// It runs only on other platforms.
    #[error("runs only on {}", .platforms.join(", "))]
    Platform {
        /// The platforms it runs on.
        platforms: Vec<String>,
    },
    /// Its risk is below `--risk`.
    #[error("risk {} is below {}", .risk.name(), .threshold.name())]
    Risk {
        /// Its risk (undeclared counts as low).
        risk: Risk,
        /// The threshold.
        threshold: Risk,
    },
    /// `--changed`, and no change selects it.
    #[error("no change touches its paths or what it uses")]
    Unchanged,
}

/// Whether `suite` meets every criterion (different flags AND, values of
/// one flag OR): the rationale when it does, why not when it does not.
fn matches(
    suite: &Suite,
    criteria: &Criteria,
    ids: &[IdPattern],
    changed: Option<&ChangeSelection>,
) -> Result<Vec<Reason>, Mismatch> {
    if let Some(tag) = suite
        .tags
        .iter()
        .find(|t| criteria.exclude_tags.contains(t))
    {
        return Err(Mismatch::ExcludedTag { tag: tag.clone() });
    }
    let mut why = Vec::new();
    if !ids.is_empty() {
        let i = ids
            .iter()
            .position(|p| p.is_match(&suite.id))
            .ok_or_else(|| Mismatch::Id {
                ids: criteria.ids.clone(),
            })?;
        why.push(rationale(ReasonKind::Id, &criteria.ids[i]));
    }
    why.extend(matching_labels(suite, criteria)?);
    if !criteria.platforms.is_empty() {
        why.push(matching_platform(suite, &criteria.platforms)?);
    }
    if let Some(threshold) = criteria.risk {
        // An undeclared risk counts as low.
        let risk = suite.risk.unwrap_or(Risk::Low);
        if risk < threshold {
            return Err(Mismatch::Risk { risk, threshold });
        }
        let detail = format!("{} ≥ {}", risk.name(), threshold.name());
        why.push(rationale(ReasonKind::Risk, detail));
    }
    if criteria.changed {
        let reasons = changed
            .and_then(|c| c.get(&suite.id))
            .ok_or(Mismatch::Unchanged)?;
        why.extend(reasons.iter().cloned());
    }
    if criteria.all {
        why.push(rationale(ReasonKind::All, "--all"));
    }
    if criteria.is_empty() {
        why.push(rationale(ReasonKind::All, "no selector: every suite"));
    }
    Ok(why)
}

/// The tag, target and level `suite` shares with each of those criteria
/// that is set.
fn matching_labels(suite: &Suite, criteria: &Criteria) -> Result<Vec<Reason>, Mismatch> {
    let none_of = |what, wanted: &[String]| Mismatch::NoneOf {
        what,
        wanted: wanted.to_vec(),
    };
    let mut why = Vec::new();
    if !criteria.tags.is_empty() {
        let tag = first_shared(&suite.tags, &criteria.tags)
            .ok_or_else(|| none_of("tagged", &criteria.tags))?;
        why.push(rationale(ReasonKind::Tag, tag));
    }
    if !criteria.targets.is_empty() {
        let target = first_shared(&suite.targets, &criteria.targets)
            .ok_or_else(|| none_of("targets", &criteria.targets))?;
        why.push(rationale(ReasonKind::Target, target));
    }
    if !criteria.levels.is_empty() {
        let wanted = suite
            .level
            .as_ref()
            .and_then(|level| criteria.levels.iter().find(|l| *l == level))
            .ok_or_else(|| none_of("at level", &criteria.levels))?;
        why.push(rationale(ReasonKind::Level, wanted));
    }
    Ok(why)
}

/// The platform of `wanted` that `suite` runs on (a suite without
/// `platforms` runs anywhere).
fn matching_platform(suite: &Suite, wanted: &[String]) -> Result<Reason, Mismatch> {
    let detail = if suite.platforms.is_empty() {
        format!("{} (runs anywhere)", wanted[0])
    } else {
        first_shared(&suite.platforms, wanted)
            .ok_or_else(|| Mismatch::Platform {
                platforms: suite.platforms.clone(),
            })?
            .clone()
    };
    Ok(rationale(ReasonKind::Platform, detail))
}

/// Selects suites by `criteria` (with `--changed`, `changed` says what the
/// changes select), then adds the `needs` closure. An id or id glob that
/// matches no suite is a usage error naming the near ids.
pub fn select<'r>(
    registry: &'r Registry,
    criteria: &Criteria,
    changed: Option<&ChangeSelection>,
) -> Result<Vec<Selected<'r>>, Error> {
    Ok(select_explained(registry, criteria, changed)?.0)
}

/// A `--tag`, `--target`, `--level` or `--platform` value that no suite
/// declares (or may run on) is a usage error with a did-you-mean: a gate
/// with a typo would otherwise select nothing and pass forever.
fn check_vocabulary(registry: &Registry, criteria: &Criteria) -> Result<(), Error> {
    let suites = || registry.suites.values();
    let asks: [(&str, &Vec<String>, Vec<&str>); 4] = [
        (
            "tag",
            &criteria.tags,
            suites()
                .flat_map(|s| s.tags.iter().map(String::as_str))
                .collect(),
        ),
        (
            "target",
            &criteria.targets,
            suites()
                .flat_map(|s| s.targets.iter().map(String::as_str))
                .collect(),
        ),
        (
            "level",
            &criteria.levels,
            suites().filter_map(|s| s.level.as_deref()).collect(),
        ),
        ("platform", &criteria.platforms, Vec::new()),
    ];
    for (what, wanted, known) in asks {
        for value in wanted {
            let declared = if what == "platform" {
                suites().any(|s| s.platforms.is_empty() || s.platforms.contains(value))
            } else {
                known.contains(&value.as_str())
            };
            if declared {
                continue;
            }
            let err = Error::usage(format!("no suite has the {what} `{value}`"));
            let mut known: Vec<&str> = known.clone();
            known.sort_unstable();
            known.dedup();
            return Err(match did_you_mean(value, known.iter().copied()) {
                Some(near) => err.hint(format!("did you mean `{near}`?")),
                None if known.is_empty() => err.hint(format!("no suite declares any {what}")),
                None => err.hint(format!("{what}s in the registry: {}", known.join(", "))),
            });
        }
    }
    Ok(())
}

/// A suite the selection left out: its id and why.
pub type LeftOut = (String, String);

/// [`select`], and every suite left out with the reason.
pub fn select_explained<'r>(
    registry: &'r Registry,
    criteria: &Criteria,
    changed: Option<&ChangeSelection>,
) -> Result<(Vec<Selected<'r>>, Vec<LeftOut>), Error> {
    let ids = criteria
        .ids
        .iter()
        .map(|p| IdPattern::new(p))
        .collect::<Result<Vec<_>, _>>()?;
    for (pattern, text) in ids.iter().zip(&criteria.ids) {
        if !registry.suites.keys().any(|id| pattern.is_match(id)) {
            let mut err = Error::usage(format!("no suite matches `{text}`"));
            err = match did_you_mean(text, registry.suites.keys().map(String::as_str)) {
                Some(near) => err.hint(format!("did you mean `{near}`?")),
                None => err.hint("`lab suite list` shows every suite id"),
            };
            return Err(err);
        }
    }
    check_vocabulary(registry, criteria)?;
    let mut chosen: BTreeMap<&str, Selected<'r>> = BTreeMap::new();
    let mut left_out: BTreeMap<&str, Mismatch> = BTreeMap::new();
    for suite in registry.suites.values() {
        match matches(suite, criteria, &ids, changed) {
            Ok(rationale) => {
                chosen.insert(&suite.id, Selected { suite, rationale });
            }
            Err(reason) => {
                left_out.insert(&suite.id, reason);
            }
        }
    }
    add_needs(registry, &mut chosen);
    let not_selected = left_out
        .into_iter()
        .filter(|(id, _)| !chosen.contains_key(id))
        .map(|(id, reason)| (id.to_string(), reason.to_string()))
        .collect();
    Ok((chosen.into_values().collect(), not_selected))
}

/// Adds, transitively, every suite a selected suite needs, with a
/// `needed_by` entry for each selected suite that needs it.
pub fn add_needs<'r>(registry: &'r Registry, chosen: &mut BTreeMap<&'r str, Selected<'r>>) {
    let mut queue: Vec<&'r Suite> = chosen.values().map(|s| s.suite).collect();
    let mut queued: BTreeSet<&str> = queue.iter().map(|s| s.id.as_str()).collect();
    while let Some(dependent) = queue.pop() {
        for need in &dependent.needs {
            let Some(needed) = registry.suites.get(&need.id) else {
                continue;
            };
            let entry = chosen.entry(&needed.id).or_insert_with(|| Selected {
                suite: needed,
                rationale: Vec::new(),
            });
            let already_selected_directly = entry
                .rationale
                .iter()
                .any(|r| r.kind != ReasonKind::NeededBy);
            if !already_selected_directly {
                entry
                    .rationale
                    .push(rationale(ReasonKind::NeededBy, &dependent.id));
            }
            if queued.insert(&needed.id) {
                queue.push(needed);
            }
        }
    }
    for s in chosen.values_mut() {
        s.rationale
            .sort_by(|a, b| (a.kind as u8, &a.detail).cmp(&(b.kind as u8, &b.detail)));
        s.rationale.dedup();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::load;

    /// Loads `toml` as a suites.toml in a fresh directory; it must be valid.
    fn registry(toml: &str) -> (tempfile::TempDir, Registry) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("suites.toml");
        std::fs::write(&path, toml).expect("write registry");
        let path = camino::Utf8PathBuf::try_from(path).expect("utf-8 temp path");
        let loaded = load(&path);
        assert!(!loaded.has_errors(), "{:#?}", loaded.diagnostics);
        (dir, loaded.registry)
    }

    const REGISTRY: &str = r#"
[suite.api.unit]
command = "true"
level = "unit"
tags = ["fast", "api"]
targets = ["daemon"]
risk = "low"

[suite.api.e2e]
command = "true"
level = "e2e"
tags = ["slow", "api"]
targets = ["daemon", "web"]
risk = "high"
platforms = ["linux"]
needs = ["suite.build"]

[suite.web.unit]
command = "true"
level = "unit"
tags = ["fast"]
targets = ["web"]
platforms = ["macos"]

[suite.build]
command = "true"
level = "build"
tags = ["slow"]
risk = "medium"
needs = ["base"]

[suite.base]
command = "true"
"#;

    fn ids(criteria: Criteria) -> Vec<String> {
        let (_dir, r) = registry(REGISTRY);
        select(&r, &criteria, None)
            .expect("selection succeeds")
            .iter()
            .map(|s| s.suite.id.clone())
            .collect()
    }

    fn by<F: FnOnce(&mut Criteria)>(f: F) -> Criteria {
        let mut c = Criteria::default();
        f(&mut c);
        c
    }

    #[test]
    fn no_selector_selects_every_suite() {
        assert_eq!(ids(Criteria::default()).len(), 5);
    }

    #[test]
    fn values_of_one_flag_or() {
        let got = ids(by(|c| c.tags = vec!["slow".into(), "fast".into()]));
        assert_eq!(
            got,
            [
                "suite.api.e2e",
                "suite.api.unit",
                "suite.base",
                "suite.build",
                "suite.web.unit"
            ]
        );
        let got = ids(by(|c| c.levels = vec!["unit".into(), "build".into()]));
        assert_eq!(
            got,
            [
                "suite.api.unit",
                "suite.base",
                "suite.build",
                "suite.web.unit"
            ]
        );
    }

    #[test]
    fn different_flags_and() {
        let got = ids(by(|c| {
            c.tags = vec!["fast".into()];
            c.targets = vec!["daemon".into()];
        }));
        assert_eq!(got, ["suite.api.unit"]);
    }

    #[test]
    fn id_globs_and_exact_ids() {
        assert_eq!(ids(by(|c| c.ids = vec!["suite.api.*".into()])).len(), 4); // + needs
        assert_eq!(
            ids(by(|c| c.ids = vec!["suite.web.unit".into()])),
            ["suite.web.unit"]
        );
        // `*` crosses dots in ids.
        assert_eq!(
            ids(by(|c| c.ids = vec!["suite.*unit".into()])),
            ["suite.api.unit", "suite.web.unit"]
        );
    }

    #[test]
    fn unknown_id_is_an_error_with_a_suggestion() {
        let (_dir, r) = registry(REGISTRY);
        let err = select(&r, &by(|c| c.ids = vec!["suite.api.unti".into()]), None)
            .expect_err("no such suite");
        assert_eq!(err.to_string(), "no suite matches `suite.api.unti`");
        assert_eq!(err.hint_text(), Some("did you mean `suite.api.unit`?"));
    }

    #[test]
    fn risk_is_at_least_and_undeclared_counts_as_low() {
        assert_eq!(
            ids(by(|c| c.risk = Some(Risk::High))),
            ["suite.api.e2e", "suite.base", "suite.build"]
        );
        let medium = ids(by(|c| {
            c.risk = Some(Risk::Medium);
            c.tags = vec!["slow".into()];
        }));
        assert_eq!(medium, ["suite.api.e2e", "suite.base", "suite.build"]);
        assert_eq!(ids(by(|c| c.risk = Some(Risk::Low))).len(), 5);
    }

    #[test]
    fn platform_keeps_suites_that_run_anywhere() {
        let got = ids(by(|c| c.platforms = vec!["linux".into()]));
        assert_eq!(
            got,
            [
                "suite.api.e2e",
                "suite.api.unit",
                "suite.base",
                "suite.build"
            ]
        );
        assert!(!got.contains(&"suite.web.unit".to_string()));
    }

    #[test]
    fn exclude_tag_removes_but_needs_stay() {
        let got = ids(by(|c| {
            c.tags = vec!["api".into()];
            c.exclude_tags = vec!["slow".into()];
        }));
        assert_eq!(got, ["suite.api.unit"]);
        // suite.build is tagged slow, yet suite.api.e2e needs it.
        let got = ids(by(|c| {
            c.ids = vec!["suite.api.e2e".into()];
            c.exclude_tags = vec!["slow".into()];
        }));
        assert!(
            got.is_empty(),
            "the excluded suite itself is not selected: {got:?}"
        );
        let got = ids(by(|c| {
            c.targets = vec!["web".into()];
            c.exclude_tags = vec!["fast".into()];
        }));
        assert_eq!(got, ["suite.api.e2e", "suite.base", "suite.build"]);
    }

    #[test]
    fn needs_closure_is_transitive_with_needed_by() {
        let (_dir, r) = registry(REGISTRY);
        let selected =
            select(&r, &by(|c| c.ids = vec!["suite.api.e2e".into()]), None).expect("select");
        let why: Vec<(&str, Vec<Reason>)> = selected
            .iter()
            .map(|s| (s.suite.id.as_str(), s.rationale.clone()))
            .collect();
        let needed_by = |detail: &str| {
            vec![Reason {
                kind: ReasonKind::NeededBy,
                detail: detail.into(),
            }]
        };
        assert_eq!(
            why,
            [
                (
                    "suite.api.e2e",
                    vec![Reason {
                        kind: ReasonKind::Id,
                        detail: "suite.api.e2e".into()
                    }]
                ),
                ("suite.base", needed_by("suite.build")),
                ("suite.build", needed_by("suite.api.e2e")),
            ]
        );
    }

    #[test]
    fn rationale_names_every_matching_criterion() {
        let (_dir, r) = registry(REGISTRY);
        let selected = select(
            &r,
            &by(|c| {
                c.tags = vec!["fast".into(), "api".into()];
                c.levels = vec!["e2e".into()];
                c.risk = Some(Risk::Medium);
            }),
            None,
        )
        .expect("select");
        let e2e = selected
            .iter()
            .find(|s| s.suite.id == "suite.api.e2e")
            .expect("selected");
        let kinds: Vec<(ReasonKind, &str)> = e2e
            .rationale
            .iter()
            .map(|r| (r.kind, r.detail.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (ReasonKind::Tag, "api"),
                (ReasonKind::Level, "e2e"),
                (ReasonKind::Risk, "high ≥ medium"),
            ]
        );
    }

    #[test]
    fn a_value_no_suite_declares_is_an_error_with_a_suggestion() {
        let (_dir, r) = registry(REGISTRY);
        for (criteria, message, hint) in [
            (
                by(|c| c.tags = vec!["api".into(), "fsat".into()]),
                "no suite has the tag `fsat`",
                "did you mean `fast`?",
            ),
            (
                by(|c| c.targets = vec!["deamon".into()]),
                "no suite has the target `deamon`",
                "did you mean `daemon`?",
            ),
            (
                by(|c| c.levels = vec!["zzz".into()]),
                "no suite has the level `zzz`",
                "levels in the registry: build, e2e, unit",
            ),
        ] {
            let err = select(&r, &criteria, None)
                .map(|_| ())
                .expect_err("an error");
            assert_eq!(err.to_string(), message);
            assert_eq!(err.exit_code(), 2);
            assert!(format!("{err:?}").contains(hint), "{err:?}");
        }
        // `base` may run anywhere: every known platform has a suite.
        assert!(select(&r, &by(|c| c.platforms = vec!["windows".into()]), None).is_ok());
    }

    #[test]
    fn short_ids_get_the_suite_prefix() {
        assert_eq!(
            crate::select::criteria::canonical_suite_pattern("api.*"),
            "suite.api.*"
        );
        assert_eq!(
            crate::select::criteria::canonical_suite_pattern("suite.api"),
            "suite.api"
        );
    }
}
