//! What a suite amounts to once its profile, fixtures, runners and services
//! are taken into account: the command that runs, the services started, the
//! variables set and the timeout. Shared by `suite show` and `verify`.

use std::time::Duration;

use super::model::{Cleanup, Display, Network, PathPattern, Profile, Registry, Runner, Suite};

/// The profile of a suite with `extends` merged (the child wins).
#[derive(Debug, Clone)]
pub struct MergedProfile<'r> {
    /// The profile then its ancestors, child first.
    pub chain: Vec<&'r Profile>,
    /// Start from an empty environment.
    pub env_clear: bool,
    /// Variables kept when `env_clear` (union over the chain).
    pub pass_env: Vec<String>,
    /// Secrets (union over the chain).
    pub secrets: Vec<String>,
    /// Network policy.
    pub network: Network,
    /// Display policy.
    pub display: Display,
    /// Cleanup policy.
    pub cleanup: Cleanup,
    /// A fixed, minimal environment (docs/registry.md#hermetic-profiles).
    pub hermetic: bool,
}

impl Registry {
    /// The command a suite runs, and the runner whose template supplied it.
    /// `{args}` is filled in; other placeholders are left for run time.
    pub fn suite_command<'r>(&'r self, suite: &'r Suite) -> (String, Option<&'r Runner>) {
        let args = suite.args.as_deref().unwrap_or("");
        if let Some(command) = &suite.command {
            return (command.replace("{args}", args), None);
        }
        let runner = suite
            .runners
            .iter()
            .filter_map(|r| self.runners.get(&r.id))
            .find(|r| r.command.is_some());
        match runner.and_then(|r| r.command.as_deref().map(|c| (c, r))) {
            Some((template, r)) => (template.replace("{args}", args), Some(r)),
            // `check` rejects a suite without a command; keep this total anyway.
            None => (String::new(), None),
        }
    }

    /// The effective timeout of a suite.
    pub fn suite_timeout(&self, suite: &Suite) -> Duration {
        suite.timeout.unwrap_or(self.settings.default_timeout)
    }

    /// The suite's profile, merged along `extends`.
    pub fn merged_profile(&self, suite: &Suite) -> Option<MergedProfile<'_>> {
        let chain = self.profile_chain(&suite.profile.as_ref()?.id);
        let mut pass_env: Vec<String> = Vec::new();
        let mut secrets: Vec<String> = Vec::new();
        for p in chain.iter().rev() {
            for v in &p.pass_env {
                if !pass_env.contains(v) {
                    pass_env.push(v.clone());
                }
            }
            for v in &p.secrets {
                if !secrets.contains(v) {
                    secrets.push(v.clone());
                }
            }
        }
        Some(MergedProfile {
            env_clear: chain.iter().find_map(|p| p.env_clear).unwrap_or(false),
            network: chain.iter().find_map(|p| p.network).unwrap_or_default(),
            display: chain.iter().find_map(|p| p.display).unwrap_or_default(),
            cleanup: chain.iter().find_map(|p| p.cleanup).unwrap_or_default(),
            hermetic: chain.iter().find_map(|p| p.hermetic).unwrap_or(false),
            pass_env,
            secrets,
            chain,
        })
    }

    /// `Some(inputs)` when the suite is cached (its own `cache`, else the
    /// nearest profile's in the chain): its `inputs` (default: its
    /// `paths`) followed by the profile chain's `inputs`; `None` when
    /// caching is off for it (docs/running.md#caching).
    pub fn suite_cache<'r>(&'r self, suite: &'r Suite) -> Option<Vec<&'r PathPattern>> {
        let chain = match &suite.profile {
            Some(p) => self.profile_chain(&p.id),
            None => Vec::new(),
        };
        let on = suite
            .cache
            .or_else(|| chain.iter().find_map(|p| p.cache))
            .unwrap_or(false);
        if !on {
            return None;
        }
        let own = suite.inputs.as_ref().unwrap_or(&suite.paths);
        let mut inputs: Vec<&PathPattern> = own.iter().collect();
        inputs.extend(chain.iter().flat_map(|p| p.inputs.iter()));
        Some(inputs)
    }

    /// Every name any profile lists in `secrets`: declared secrets are
    /// secrets in every suite, whether or not it uses that profile.
    pub fn declared_secrets(&self) -> std::collections::BTreeSet<String> {
        self.profiles
            .values()
            .flat_map(|p| p.secrets.iter().cloned())
            .collect()
    }

    /// Service ids in start order: the profile chain's (ancestors first),
    /// then the suite's, each once.
    pub fn suite_services(&self, suite: &Suite) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        if let Some(profile) = &suite.profile {
            for p in self.profile_chain(&profile.id).iter().rev() {
                ids.extend(p.services.iter().map(|r| r.id.clone()));
            }
        }
        ids.extend(suite.services.iter().map(|r| r.id.clone()));
        let mut seen = std::collections::HashSet::new();
        ids.retain(|id| seen.insert(id.clone()));
        ids
    }

    /// Registry-declared variables in the order they apply (profile chain
    /// from the root ancestor, fixtures, runners, suite): `(name, value,
    /// defining id)`; a later entry overrides an earlier one.
    pub fn suite_env<'r>(&'r self, suite: &'r Suite) -> Vec<(&'r str, &'r str, &'r str)> {
        let mut out = Vec::new();
        let mut add = |env: &'r super::model::Env, from: &'r str| {
            out.extend(env.iter().map(|(k, v)| (k.as_str(), v.as_str(), from)));
        };
        if let Some(profile) = &suite.profile {
            for p in self.profile_chain(&profile.id).into_iter().rev() {
                add(&p.env, &p.id);
            }
        }
        for f in suite
            .fixtures
            .iter()
            .filter_map(|r| self.fixtures.get(&r.id))
        {
            add(&f.env, &f.id);
        }
        for r in suite.runners.iter().filter_map(|r| self.runners.get(&r.id)) {
            add(&r.env, &r.id);
        }
        add(&suite.env, &suite.id);
        out
    }
}
