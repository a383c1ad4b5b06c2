//! Checks that start no process (docs/running.md, step 1): platform (skip),
//! `needs` (blocked), `requires` and runner programs (blocked), the working
//! directory. A new reason to refuse a suite before it starts goes here.

use super::prepare::Prepared;
use crate::files::find_program;
use crate::outputs::Status;
use crate::registry::model::Suite;
use crate::run::context::RunContext;

/// Why a suite does not start: its status, step and reason.
pub type Refusal = (Status, &'static str, String);

/// Runs every check; the first refusal wins. `need_status` answers how an
/// already finished suite ended.
pub fn preflight(
    cx: &RunContext<'_>,
    suite: &Suite,
    prep: &Prepared,
    virtual_display: bool,
    need_status: &dyn Fn(&str) -> Option<Status>,
) -> Result<(), Refusal> {
    let os = std::env::consts::OS;
    if !suite.platforms.is_empty() && !suite.platforms.iter().any(|p| p == os) {
        return Err((
            Status::Skipped,
            "platform",
            format!("runs on {}; this host is {os}", suite.platforms.join(", ")),
        ));
    }
    for need in &suite.needs {
        match need_status(&need.id) {
            Some(s) if s.is_pass() => {}
            Some(s) => {
                return Err((
                    Status::Blocked,
                    "needs",
                    format!("needs {}, which {}", need.id, s.name()),
                ));
            }
            None => {
                return Err((
                    Status::Blocked,
                    "needs",
                    format!("needs {}, which did not run", need.id),
                ));
            }
        }
    }
    for req in &suite.requires {
        cx.host
            .check(req, &prep.env.vars, virtual_display)
            .map_err(|unmet| (Status::Blocked, "requires", unmet.to_string()))?;
    }
    let path = prep.env.vars.get("PATH").map(String::as_str);
    for r in suite
        .runners
        .iter()
        .filter_map(|r| cx.registry.runners.get(&r.id))
    {
        if let Some(program) = &r.program
            && find_program(program, path).is_none()
        {
            return Err((
                Status::Blocked,
                "requires",
                format!("{}: program `{program}` not found on PATH", r.id),
            ));
        }
    }
    if !prep.cwd.is_dir() {
        return Err((
            Status::Blocked,
            "cwd",
            format!("working directory `{}` does not exist", prep.cwd),
        ));
    }
    Ok(())
}
