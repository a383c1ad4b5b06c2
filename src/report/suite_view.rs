//! Builds the public suite documents (`suite list`, `suite show`) from the
//! registry model. The types themselves live in `schema.rs`.

use std::collections::BTreeMap;

use crate::outputs::*;
use crate::registry::Registry;
use crate::registry::model::Suite;

/// The `suite list` entry of `suite` with its rationale.
pub fn entry(registry: &Registry, suite: &Suite, rationale: Vec<Rationale>) -> SuiteEntry {
    let ids = |refs: &[crate::registry::model::Ref]| refs.iter().map(|r| r.id.clone()).collect();
    let at = registry.location(suite.span);
    SuiteEntry {
        id: suite.id.clone(),
        description: suite.description.clone(),
        level: suite.level.clone(),
        targets: suite.targets.clone(),
        platforms: suite.platforms.clone(),
        risk: suite.risk.map(Into::into),
        tags: suite.tags.clone(),
        paths: suite.paths.iter().map(|p| p.text.clone()).collect(),
        profile: suite.profile.as_ref().map(|p| p.id.clone()),
        fixtures: ids(&suite.fixtures),
        runners: ids(&suite.runners),
        services: registry.suite_services(suite),
        needs: ids(&suite.needs),
        requires: suite.requires.iter().map(ToString::to_string).collect(),
        artifacts: ids(&suite.artifacts),
        command: registry.suite_command(suite).0,
        cwd: suite.cwd.to_string(),
        timeout_seconds: registry.suite_timeout(suite).as_secs_f64().ceil() as u64,
        retries: suite.retries,
        weight: suite.weight,
        exclusive: suite.exclusive,
        defined_at: DefinedAt {
            file: at.file.to_string(),
            line: at.line,
            column: at.column,
        },
        rationale,
        cache: "off".into(),
        cache_miss: None,
    }
}

/// `suite show`: the suite with everything it uses resolved.
pub fn show(registry: &Registry, suite: &Suite) -> SuiteShow {
    let (_, runner) = registry.suite_command(suite);
    SuiteShow {
        schema_version: SCHEMA_VERSION,
        suite: entry(registry, suite, Vec::new()),
        command_from: runner.map_or_else(|| "suite".to_string(), |r| r.id.clone()),
        profile: profile(registry, suite),
        fixtures: fixtures(registry, suite),
        runners: runners(registry, suite),
        services: services(registry, suite),
        artifacts: artifacts(registry, suite),
        env: env(registry, suite),
        hermetic_env: hermetic_env(registry, suite),
    }
}

/// A hermetic suite's whole environment as a run would build it from
/// lab's own, secrets masked; `None` unless its profile is hermetic.
fn hermetic_env(registry: &Registry, suite: &Suite) -> Option<BTreeMap<String, String>> {
    use crate::run::suite::env::{LabVars, Placeholders, suite_env};
    let profile = registry.merged_profile(suite).filter(|p| p.hermetic)?;
    let host: BTreeMap<String, String> = std::env::vars().collect();
    let run = camino::Utf8Path::new("<run>");
    let places = Placeholders::new(
        &registry.workspace,
        run,
        &run.join("suites").join(&suite.id),
        camino::Utf8Path::new("<roots>"),
        suite.args.as_deref().unwrap_or(""),
    );
    let epoch = crate::vcs::commit_time(&registry.workspace, host.get("PATH").map(String::as_str))
        .map(|t| t.to_string());
    let lab = LabVars {
        prefix: &registry.settings.env_prefix,
        run_id: "<run-id>",
        suite_id: &suite.id,
        source_date_epoch: epoch.as_deref(),
    };
    let env = suite_env(registry, suite, Some(&profile), &host, &places, &lab);
    Some(env.redacted())
}

/// The suite's profile, its chain merged.
fn profile(registry: &Registry, suite: &Suite) -> Option<ProfileView> {
    registry.merged_profile(suite).map(|m| ProfileView {
        id: m.chain.first().map(|p| p.id.clone()).unwrap_or_default(),
        chain: m.chain.iter().map(|p| p.id.clone()).collect(),
        env_clear: m.env_clear,
        pass_env: m.pass_env,
        secrets: m.secrets,
        network: m.network.into(),
        display: m.display.into(),
        cleanup: m.cleanup.into(),
    })
}

fn fixtures(registry: &Registry, suite: &Suite) -> Vec<FixtureView> {
    suite
        .fixtures
        .iter()
        .filter_map(|r| registry.fixtures.get(&r.id))
        .map(|f| FixtureView {
            id: f.id.clone(),
            copy: f.copy.iter().map(Into::into).collect(),
            setup: f.setup.clone(),
            after_services: f.after_services,
            teardown: f.teardown.clone(),
        })
        .collect()
}

fn runners(registry: &Registry, suite: &Suite) -> Vec<RunnerView> {
    suite
        .runners
        .iter()
        .filter_map(|r| registry.runners.get(&r.id))
        .map(|r| RunnerView {
            id: r.id.clone(),
            program: r.program.clone(),
            version: r.version.clone(),
            probe: r.probe.clone(),
            command: r.command.clone(),
            junit: r.junit.clone(),
        })
        .collect()
}

/// The services the suite starts: its own and its profile's.
fn services(registry: &Registry, suite: &Suite) -> Vec<ServiceView> {
    registry
        .suite_services(suite)
        .iter()
        .filter_map(|id| registry.services.get(id))
        .map(|s| ServiceView {
            id: s.id.clone(),
            command: s.command.clone(),
            port: s.port,
            ready: s.ready.as_ref().map(Into::into),
            ready_timeout_seconds: s.ready_timeout.as_secs_f64(),
            stop_timeout_seconds: s.stop_timeout.as_secs_f64(),
        })
        .collect()
}

fn artifacts(registry: &Registry, suite: &Suite) -> Vec<ArtifactView> {
    suite
        .artifacts
        .iter()
        .filter_map(|r| registry.artifacts.get(&r.id))
        .map(|a| ArtifactView {
            id: a.id.clone(),
            path: a.path.clone(),
            kind: a.kind.into(),
            required: a.required,
            outside: a.outside,
        })
        .collect()
}

/// Every variable the suite gets, with where its value comes from.
fn env(registry: &Registry, suite: &Suite) -> BTreeMap<String, EnvEntry> {
    registry
        .suite_env(suite)
        .into_iter()
        .map(|(name, value, from)| {
            let entry = EnvEntry {
                value: value.to_string(),
                from: from.to_string(),
            };
            (name.to_string(), entry)
        })
        .collect()
}
