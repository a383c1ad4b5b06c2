//! Where a suite's test reports are written and looked for: each runner's
//! `junit`, and `{junit}` (`<suite-dir>/junit.xml`) when the command or an
//! `env` value uses `{junit}` or `{nextest_config}`; and the nextest tool config behind
//! `{nextest_config}`, written before the command, whose profile `lab`
//! sends nextest's JUnit to `{junit}` without touching the repository's
//! own `.config/nextest.toml`.

use super::prepare::Prepared;
use crate::registry::Registry;
use crate::registry::model::Suite;

/// The nextest profile `{nextest_config}` defines.
pub const NEXTEST_PROFILE: &str = "lab";

/// The report paths or globs of `suite` (placeholders filled, relative to
/// its cwd), each once.
pub fn patterns(registry: &Registry, suite: &Suite, prep: &Prepared) -> Vec<String> {
    // `{junit}` first: it is kept where it is, as `junit.xml`, before any
    // other report is copied beside it.
    let mut out = Vec::new();
    let in_env = registry
        .suite_env(suite)
        .iter()
        .any(|(_, v, _)| uses_junit(v));
    if in_env || uses_junit(&registry.suite_command(suite).0) {
        out.push(prep.places.junit.clone());
    }
    out.extend(
        suite
            .runners
            .iter()
            .filter_map(|r| registry.runners.get(&r.id))
            .filter_map(|r| r.junit.as_deref())
            .map(|p| prep.places.fill(p)),
    );
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(p.clone()));
    out
}

/// `true` when a command template (or an `env` value) has the tool write
/// to `{junit}`.
pub fn uses_junit(command: &str) -> bool {
    command.contains("{junit}") || command.contains("{nextest_config}")
}

/// The nextest config `{nextest_config}` could not be written; the suite
/// is blocked.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the nextest config `{path}`")]
pub struct NextestConfigError {
    /// The file.
    pub path: String,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

/// Writes `{nextest_config}` when the suite's command uses it.
pub fn write_nextest_config(
    registry: &Registry,
    suite: &Suite,
    prep: &Prepared,
) -> Result<(), NextestConfigError> {
    if !registry.suite_command(suite).0.contains("{nextest_config}") {
        return Ok(());
    }
    let path = &prep.places.nextest_config;
    std::fs::write(path, nextest_config(&prep.places.junit)).map_err(|source| NextestConfigError {
        path: path.clone(),
        source,
    })
}

/// A nextest tool config: profile `lab` is the repository's default
/// profile, not stopping at the first failure, writing JUnit to `junit`.
fn nextest_config(junit: &str) -> String {
    format!(
        "# Written by lab for one suite (`--tool-config-file lab:<this file> --profile {NEXTEST_PROFILE}`).\n\
         [profile.{NEXTEST_PROFILE}]\nfail-fast = false\n\n[profile.{NEXTEST_PROFILE}.junit]\npath = {}\n",
        toml::Value::String(junit.to_string())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nextest_config_quotes_the_path() {
        let text = nextest_config("/r/suites/a \"b\"\\c/junit.xml");
        let doc: toml::Table = text.parse().expect("valid TOML");
        assert_eq!(
            doc["profile"]["lab"]["junit"]["path"].as_str(),
            Some("/r/suites/a \"b\"\\c/junit.xml")
        );
        assert_eq!(doc["profile"]["lab"]["fail-fast"].as_bool(), Some(false));
    }
}
