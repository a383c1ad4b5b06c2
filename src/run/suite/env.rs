//! The environment of a suite (docs/running.md): inherited or cleared, then the
//! profile chain, fixtures, runners and the suite itself, then lab's own
//! variables; placeholders filled in; secret values collected for redaction.

use std::collections::{BTreeMap, BTreeSet};

use camino::Utf8Path;

use crate::registry::Registry;
use crate::registry::model::Suite;
use crate::registry::resolved::MergedProfile;
use crate::run::process::redact::is_secret_name;

/// `{junit}`'s file name in the suite directory.
pub const JUNIT_FILE: &str = "junit.xml";

/// `{nextest_config}`'s file name in the suite directory.
pub const NEXTEST_CONFIG_FILE: &str = "nextest.toml";

/// A hermetic suite's `HOME`, beside its other roots (made by the suite's
/// setup; a roots directory holding it is never recycled).
pub const HOME_DIR: &str = "home";

/// `PATH` of a hermetic suite whose profile does not pass lab's own.
pub const HERMETIC_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// The directories and values placeholders stand for.
#[derive(Debug, Clone)]
pub struct Placeholders {
    /// `{workspace}`.
    pub workspace: String,
    /// `{run_dir}`.
    pub run_dir: String,
    /// `{suite_dir}`.
    pub suite_dir: String,
    /// `{state.config}`.
    pub state_config: String,
    /// `{state.data}`.
    pub state_data: String,
    /// `{state.secrets}`.
    pub state_secrets: String,
    /// The suite's `TMPDIR` (no placeholder).
    pub tmp: String,
    /// A hermetic suite's `HOME`, among its roots (no placeholder).
    pub home: String,
    /// `{args}`.
    pub args: String,
    /// `{args}` split into words, for shell commands.
    pub args_words: Vec<String>,
    /// `{junit}`: where a tool writes the suite's JUnit report.
    pub junit: String,
    /// `{nextest_config}`: a nextest tool config whose profile `lab`
    /// writes JUnit to `{junit}`.
    pub nextest_config: String,
    /// `{port}`, inside a service's own definition.
    pub port: Option<u16>,
}

impl Placeholders {
    /// The placeholders of a suite whose directory is `suite_dir` and
    /// whose roots are in `roots`.
    pub fn new(
        workspace: &Utf8Path,
        run_dir: &Utf8Path,
        suite_dir: &Utf8Path,
        roots: &Utf8Path,
        args: &str,
    ) -> Self {
        Placeholders {
            workspace: workspace.to_string(),
            run_dir: run_dir.to_string(),
            suite_dir: suite_dir.to_string(),
            state_config: roots.join("state.config").to_string(),
            state_data: roots.join("state.data").to_string(),
            state_secrets: roots.join("state.secrets").to_string(),
            tmp: roots.join("tmp").to_string(),
            home: roots.join(HOME_DIR).to_string(),
            args: args.to_string(),
            // `lab check` refuses args that do not split; if some did, the
            // whole text would be one word: never shell syntax.
            args_words: crate::registry::words::split(args)
                .unwrap_or_else(|_| vec![args.to_string()]),
            junit: suite_dir.join(JUNIT_FILE).to_string(),
            nextest_config: suite_dir.join(NEXTEST_CONFIG_FILE).to_string(),
            port: None,
        }
    }

    /// `text`, a command `/bin/sh -c` runs, with every known
    /// `{placeholder}` replaced by its value quoted for where it lands
    /// (`{args}` as quoted words); unknown braces are left alone.
    pub fn fill_shell(&self, text: &str) -> String {
        use super::shell::{Value, fill};
        if !text.contains('{') {
            return text.to_string();
        }
        let port = self.port.map(|p| p.to_string());
        fill(text, &|name| {
            Some(Value::Word(match name {
                "workspace" => &self.workspace,
                "run_dir" => &self.run_dir,
                "suite_dir" => &self.suite_dir,
                "state.config" => &self.state_config,
                "state.data" => &self.state_data,
                "state.secrets" => &self.state_secrets,
                "junit" => &self.junit,
                "nextest_config" => &self.nextest_config,
                "port" => port.as_deref()?,
                "args" => return Some(Value::Words(&self.args_words)),
                _ => return None,
            }))
        })
    }

    /// `text` with every known `{placeholder}` replaced by its value as it
    /// is (for variables and paths, never for a shell); unknown braces
    /// (shell syntax such as `${HOME}` or `{a,b}`) are left alone.
    pub fn fill(&self, text: &str) -> String {
        if !text.contains('{') {
            return text.to_string();
        }
        let port = self.port.map(|p| p.to_string());
        let pairs: [(&str, Option<&str>); 10] = [
            ("{workspace}", Some(&self.workspace)),
            ("{run_dir}", Some(&self.run_dir)),
            ("{suite_dir}", Some(&self.suite_dir)),
            ("{state.config}", Some(&self.state_config)),
            ("{state.data}", Some(&self.state_data)),
            ("{state.secrets}", Some(&self.state_secrets)),
            ("{args}", Some(&self.args)),
            ("{junit}", Some(&self.junit)),
            ("{nextest_config}", Some(&self.nextest_config)),
            ("{port}", port.as_deref()),
        ];
        let mut out = text.to_string();
        for (key, value) in pairs {
            if let Some(value) = value
                && out.contains(key)
            {
                out = out.replace(key, value);
            }
        }
        out
    }
}

/// A suite's environment and what must be kept secret.
#[derive(Debug, Clone, Default)]
pub struct SuiteEnv {
    /// Every variable the command gets.
    pub vars: BTreeMap<String, String>,
    /// Names whose values are written as `[REDACTED]` in manifest.json.
    pub secret_names: BTreeSet<String>,
    /// Profile secrets: name → value (written to `state.secrets/<NAME>`).
    pub profile_secrets: BTreeMap<String, String>,
    /// Built by a hermetic profile: processes get umask 022, `HOME` must
    /// be made.
    pub hermetic: bool,
}

impl SuiteEnv {
    /// Values to redact from output: those of secret-named variables and
    /// of profile secrets.
    pub fn secret_values(&self) -> Vec<String> {
        self.secret_names
            .iter()
            .filter_map(|n| self.vars.get(n))
            .chain(self.profile_secrets.values())
            .cloned()
            .collect()
    }

    /// The umask the suite's processes start with: 022 when hermetic,
    /// else lab's own (`None`).
    pub fn umask(&self) -> Option<u32> {
        self.hermetic.then_some(0o022)
    }

    /// The variables with secret values replaced, for manifest.json.
    pub fn redacted(&self) -> BTreeMap<String, String> {
        self.vars
            .iter()
            .map(|(k, v)| {
                let value = if self.secret_names.contains(k) {
                    crate::run::process::redact::REDACTED.to_string()
                } else {
                    v.clone()
                };
                (k.clone(), value)
            })
            .collect()
    }
}

/// lab's own variables for one suite.
#[derive(Debug, Clone)]
pub struct LabVars<'a> {
    /// `[lab].env_prefix`.
    pub prefix: &'a str,
    /// The run id.
    pub run_id: &'a str,
    /// The suite id.
    pub suite_id: &'a str,
    /// `SOURCE_DATE_EPOCH` for a hermetic suite: the commit's time, when
    /// the workspace is in a repository.
    pub source_date_epoch: Option<&'a str>,
}

/// Builds the environment of `suite` from `host` (lab's own environment):
/// inherited (or `pass_env` only), profile secrets, lab's defaults
/// (`XDG_*`, `TMPDIR` in the suite's roots), the registry's `env`
/// (which may override those defaults), then lab's own `<PREFIX>_*`
/// variables, which nothing overrides.
pub fn suite_env(
    registry: &Registry,
    suite: &Suite,
    profile: Option<&MergedProfile<'_>>,
    host: &BTreeMap<String, String>,
    places: &Placeholders,
    lab: &LabVars<'_>,
) -> SuiteEnv {
    let mut env = SuiteEnv::default();
    match profile {
        Some(p) if p.hermetic => hermetic_base(&mut env, p, host, places, lab),
        Some(p) if p.env_clear => {
            for name in &p.pass_env {
                if let Some(v) = host.get(name) {
                    env.vars.insert(name.clone(), v.clone());
                }
            }
        }
        _ => env
            .vars
            .extend(host.iter().map(|(k, v)| (k.clone(), v.clone()))),
    }
    if let Some(p) = profile {
        for name in &p.secrets {
            if let Some(v) = host.get(name) {
                env.vars.insert(name.clone(), v.clone());
                env.profile_secrets.insert(name.clone(), v.clone());
                env.secret_names.insert(name.clone());
            }
        }
    }
    // Defaults a registry may override, outside the workspace (tests walk
    // up from TMPDIR looking for a project root) and short (unix sockets).
    env.vars.extend([
        ("XDG_CONFIG_HOME".to_string(), places.state_config.clone()),
        ("XDG_DATA_HOME".to_string(), places.state_data.clone()),
        ("XDG_STATE_HOME".to_string(), places.state_data.clone()),
        ("TMPDIR".to_string(), places.tmp.clone()),
    ]);
    for (name, value, _) in registry.suite_env(suite) {
        env.vars.insert(name.to_string(), places.fill(value));
    }
    let p = lab.prefix;
    let fixtures: Vec<&str> = suite.fixtures.iter().map(|f| f.id.as_str()).collect();
    let profile_id = suite.profile.as_ref().map_or("", |r| r.id.as_str());
    let own = [
        (format!("{p}_RUN_ID"), lab.run_id.to_string()),
        (format!("{p}_RUN_DIR"), places.run_dir.clone()),
        (format!("{p}_SUITE_ID"), lab.suite_id.to_string()),
        (format!("{p}_SUITE_DIR"), places.suite_dir.clone()),
        (format!("{p}_WORKSPACE"), places.workspace.clone()),
        (format!("{p}_STATE_CONFIG"), places.state_config.clone()),
        (format!("{p}_STATE_DATA"), places.state_data.clone()),
        (format!("{p}_STATE_SECRETS"), places.state_secrets.clone()),
        (
            format!("{p}_ARTIFACT_DIR"),
            format!("{}/artifacts", places.suite_dir),
        ),
        (format!("{p}_PROFILE"), profile_id.to_string()),
        (format!("{p}_FIXTURES"), fixtures.join(",")),
    ];
    // lab's own variables hold paths and ids, never secrets, even when a
    // name such as LAB_STATE_SECRETS looks like one.
    let own_names: BTreeSet<String> = own.iter().map(|(k, _)| k.clone()).collect();
    env.vars.extend(own);
    let declared = registry.declared_secrets();
    for name in env.vars.keys() {
        if (is_secret_name(name) || declared.contains(name)) && !own_names.contains(name) {
            env.secret_names.insert(name.clone());
        }
    }
    env
}

/// What a hermetic suite starts from, instead of lab's environment: the
/// profile's `pass_env` (`PATH` defaults to [`HERMETIC_PATH`]), a fresh
/// `HOME`, `TZ=UTC`, `LANG`/`LC_ALL=C.UTF-8` and `SOURCE_DATE_EPOCH`.
/// `TMPDIR`, the registry's `env` and lab's own variables come after.
fn hermetic_base(
    env: &mut SuiteEnv,
    profile: &MergedProfile<'_>,
    host: &BTreeMap<String, String>,
    places: &Placeholders,
    lab: &LabVars<'_>,
) {
    env.hermetic = true;
    for name in &profile.pass_env {
        if let Some(v) = host.get(name) {
            env.vars.insert(name.clone(), v.clone());
        }
    }
    let fixed = [
        ("HOME", places.home.as_str()),
        ("TZ", "UTC"),
        ("LANG", "C.UTF-8"),
        ("LC_ALL", "C.UTF-8"),
    ];
    env.vars
        .entry("PATH".to_string())
        .or_insert_with(|| HERMETIC_PATH.to_string());
    env.vars
        .extend(fixed.map(|(k, v)| (k.to_string(), v.to_string())));
    if let Some(epoch) = lab.source_date_epoch {
        env.vars
            .insert("SOURCE_DATE_EPOCH".to_string(), epoch.to_string());
    }
}

/// The two variables that tag every process of one suite, so processes that
/// escape its group can be told apart from other suites' (`NAME=value`).
pub fn process_tag(vars: &LabVars<'_>) -> Vec<String> {
    vec![
        format!("{}_RUN_ID={}", vars.prefix, vars.run_id),
        format!("{}_SUITE_ID={}", vars.prefix, vars.suite_id),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_fill_known_names_only() {
        let p = Placeholders::new(
            "/w".into(),
            "/w/runs/1".into(),
            "/w/runs/1/suites/s".into(),
            "/tmp/lab-0/g/1".into(),
            "-p x",
        );
        assert_eq!(
            p.fill("{state.data}/mail"),
            "/tmp/lab-0/g/1/state.data/mail"
        );
        assert_eq!(
            p.fill("cargo test {args} ${HOME} {a,b}"),
            "cargo test -p x ${HOME} {a,b}"
        );
        assert_eq!(p.fill("{port}"), "{port}");
        assert_eq!(p.fill_shell("{port}"), "{port}");
        let spaced = Placeholders::new(
            "/w s;x".into(),
            "/r".into(),
            "/r/s".into(),
            "/t".into(),
            "-p 'a b'",
        );
        assert_eq!(
            spaced.fill_shell("cat {workspace}/suites.toml {args}"),
            "cat '/w s;x'/suites.toml -p 'a b'"
        );
        assert_eq!(spaced.fill("{workspace}"), "/w s;x");
        assert_eq!(
            p.fill("--junitxml={junit}"),
            "--junitxml=/w/runs/1/suites/s/junit.xml"
        );
    }
}
