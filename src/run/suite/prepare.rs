//! A suite before anything runs: its directory, working directory,
//! command and environment worked out ([`prepare`], no I/O), its outcome
//! before anything happened ([`new_outcome`]), and the profile's secrets
//! written into it ([`write_secret_files`]). The directory itself comes from
//! `run/suite_dirs.rs`.

use camino::{Utf8Path, Utf8PathBuf};

use super::env::{LabVars, Placeholders, SuiteEnv, process_tag, suite_env};
use crate::registry::model::Suite;
use crate::run::context::{Outcome, Ran, RunContext};
use crate::run::process::redact::Redactor;
use crate::select::Reason;

/// Everything a suite's processes are started with.
pub struct Prepared {
    /// The suite directory.
    pub dir: Utf8PathBuf,
    /// The suite directory relative to the run directory.
    pub rel_dir: String,
    /// The suite's roots (`tmp/`, `state.*/`), outside the workspace.
    pub roots: Utf8PathBuf,
    /// The working directory.
    pub cwd: Utf8PathBuf,
    /// The command, placeholders filled in.
    pub command: String,
    /// The environment.
    pub env: SuiteEnv,
    /// What placeholders stand for.
    pub places: Placeholders,
    /// Marks the suite's escaped processes.
    pub tag: Vec<String>,
    /// Keeps secrets out of logs.
    pub redactor: Redactor,
    /// In front of every process of the suite (a network namespace).
    pub wrapper: Vec<String>,
    /// In front of the command only (the namespace, then xvfb-run).
    pub command_wrapper: Vec<String>,
}

/// The suite directory of `id` relative to the run directory.
pub fn rel_dir(id: &str) -> String {
    format!("suites/{id}")
}

/// Works out directories, command and environment of `suite`, whose
/// roots will be `roots` (no I/O).
pub fn prepare(cx: &RunContext<'_>, suite: &Suite, roots: &Utf8Path) -> Prepared {
    let registry = cx.registry;
    let rel_dir = rel_dir(&suite.id);
    let dir = cx.run.path.join(&rel_dir);
    let (command, _) = registry.suite_command(suite);
    let places = Placeholders::new(
        &registry.workspace,
        &cx.run.path,
        &dir,
        roots,
        suite.args.as_deref().unwrap_or(""),
    );
    let profile = registry.merged_profile(suite);
    let lab_vars = LabVars {
        prefix: &registry.settings.env_prefix,
        run_id: &cx.run.id,
        suite_id: &suite.id,
        source_date_epoch: cx.source_date_epoch.as_deref(),
    };
    let env = suite_env(
        registry,
        suite,
        profile.as_ref(),
        cx.host_env,
        &places,
        &lab_vars,
    );
    let redactor = Redactor::new(env.secret_values());
    Prepared {
        cwd: registry.workspace.join(&suite.cwd),
        command: places.fill_shell(&command),
        tag: process_tag(&lab_vars),
        rel_dir,
        dir,
        roots: roots.to_path_buf(),
        env,
        places,
        redactor,
        wrapper: Vec::new(),
        command_wrapper: Vec::new(),
    }
}

/// A suite's outcome before anything happened: passed, no attempts.
pub fn new_outcome(
    cx: &RunContext<'_>,
    suite: &Suite,
    prep: &Prepared,
    reasons: Vec<Reason>,
) -> Outcome {
    let mut outcome = Outcome::new(
        &suite.id,
        reasons,
        Ran {
            profile: suite.profile.as_ref().map(|p| p.id.clone()),
            fixtures: suite.fixtures.iter().map(|f| f.id.clone()).collect(),
            runners: suite.runners.iter().map(|r| r.id.clone()).collect(),
            services: cx.registry.suite_services(suite),
            command: prep.redactor.redact_str(&prep.command),
            cwd: prep.cwd.to_string(),
            env: prep.env.redacted(),
            dir: prep.rel_dir.clone(),
            hermetic: prep.env.hermetic,
            ..Ran::default()
        },
    );
    // File times come from a coarse clock (one kernel tick behind the
    // precise one): a file written right after this instant can carry a
    // time up to a tick earlier. 20 ms covers HZ=100.
    outcome.started_at = outcome
        .started_at
        .checked_sub(std::time::Duration::from_millis(20))
        .unwrap_or(std::time::UNIX_EPOCH);
    outcome
}

/// A profile's secret could not be written into the suite directory; the
/// suite is blocked.
#[derive(Debug, thiserror::Error)]
#[error("cannot write `{path}`")]
pub struct SecretsError {
    /// The secret's file.
    pub path: Utf8PathBuf,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

/// Writes the profile's secrets into `state.secrets/` (0600 each), and
/// makes a hermetic suite's `HOME`.
pub fn write_secret_files(prep: &Prepared) -> Result<(), SecretsError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if prep.env.hermetic {
        let path = prep.roots.join(super::env::HOME_DIR);
        std::fs::create_dir(&path).map_err(|source| SecretsError { path, source })?;
    }
    for (name, value) in &prep.env.profile_secrets {
        let path = prep.roots.join("state.secrets").join(name);
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .and_then(|mut f| f.write_all(value.as_bytes()))
            .map_err(|source| SecretsError { path, source })?;
    }
    Ok(())
}
