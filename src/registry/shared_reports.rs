//! A registry error: two suites whose runners have them read JUnit from
//! the same path. Run at once (in one run with `--jobs`, or in two runs),
//! each would count the other's tests. `{junit}` gives every suite its own
//! report in its own directory.

use std::collections::BTreeMap;

use super::diagnostic::Diagnostic;
use super::model::{Runner, Suite};
use super::source::Sources;

/// Placeholders that differ from suite to suite: a report path holding one
/// is never shared.
const PER_SUITE: &[&str] = &[
    "{junit}",
    "{suite_dir}",
    "{state.config}",
    "{state.data}",
    "{state.secrets}",
];

/// One error per suite that reads a report another suite reads too.
pub fn check_shared_reports(
    sources: &Sources,
    suites: &BTreeMap<String, Suite>,
    runners: &BTreeMap<String, Runner>,
    diags: &mut Vec<Diagnostic>,
) {
    // Report path (workspace-relative where it can be) → first reader.
    let mut readers: BTreeMap<String, (&str, &str)> = BTreeMap::new();
    for suite in suites.values() {
        for runner in suite.runners.iter().filter_map(|r| runners.get(&r.id)) {
            let Some(pattern) = &runner.junit else {
                continue;
            };
            if PER_SUITE.iter().any(|p| pattern.contains(p)) {
                continue;
            }
            let key = report_key(suite, pattern);
            match readers.get(&key) {
                None => {
                    readers.insert(key, (suite.id.as_str(), runner.id.as_str()));
                }
                Some((first, first_runner)) => diags.push(
                    Diagnostic::error(
                        "shared-report",
                        format!(
                            "`{}` and `{first}` both read JUnit from `{key}`: run at once, each would count the other's tests",
                            suite.id
                        ),
                    )
                    .at(sources, suite.span)
                    .found(format!(
                        "`junit = {:?}` of `{}` (and of `{first_runner}` for `{first}`)",
                        pattern, runner.id
                    ))
                    .expected("a report path of its own for each suite")
                    .help(
                        "have the tool write to `{junit}` (the suite's own directory) and set `junit = \"{junit}\"`: pytest `--junitxml={junit}`; cargo-nextest `--tool-config-file lab:{nextest_config} --profile lab`",
                    ),
                ),
            }
        }
    }
}

/// Where `pattern` points for `suite`: workspace-relative when it is
/// relative (to the suite's cwd) or starts with `{workspace}`, with the
/// suite's `args` filled in.
fn report_key(suite: &Suite, pattern: &str) -> String {
    let filled = pattern.replace("{args}", suite.args.as_deref().unwrap_or(""));
    let joined = match filled.strip_prefix("{workspace}/") {
        Some(rest) => rest.to_string(),
        None if filled.starts_with('/') || filled.starts_with('{') => return filled,
        None => format!("{}/{filled}", suite.cwd),
    };
    crate::files::normalize_relative(&joined).unwrap_or(joined)
}
