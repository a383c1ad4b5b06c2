//! `lab suite show ID`: one suite fully resolved — the profile chain merged,
//! fixtures, runners, services, artifacts and every variable with its origin.

use std::io::Write as _;

use crate::cli::SuiteShowArgs;
use crate::context::Context;
use crate::error::{Error, exit_code};
use crate::outputs::SuiteShow;
use crate::registry::diagnostic::did_you_mean;
use crate::report::suite_view;
use crate::select::criteria::canonical_suite_pattern;

/// Runs `lab suite show`.
pub fn run(ctx: &Context, args: &SuiteShowArgs) -> Result<u8, Error> {
    let registry = ctx.registry()?;
    let id = canonical_suite_pattern(&args.id);
    let Some(suite) = registry.suites.get(&id) else {
        let err = Error::usage(format!("no suite `{}`", args.id));
        return Err(
            match did_you_mean(&id, registry.suites.keys().map(String::as_str)) {
                Some(near) => err.hint(format!("did you mean `{near}`?")),
                None => err.hint("`lab suite list` shows every suite id"),
            },
        );
    };
    let view = suite_view::show(&registry, suite);
    if args.json {
        crate::report::json::print(&view)?;
    } else {
        std::io::stdout()
            .write_all(render(&view).as_bytes())
            .or_else(crate::report::json::ignore_broken_pipe)
            .map_err(|e| Error::io("failed to write to stdout", e))?;
    }
    Ok(exit_code::SUCCESS)
}

/// `suite show` for people: one `key value` line per non-empty field.
fn render(view: &SuiteShow) -> String {
    let mut out = Lines::default();
    suite_lines(&mut out, view);
    if let Some(p) = &view.profile {
        out.line("profile", &p.chain.join(" → "));
        let mut policy = vec![
            format!("network {}", json_name(&p.network)),
            format!("display {}", json_name(&p.display)),
            format!("cleanup {}", json_name(&p.cleanup)),
        ];
        if p.env_clear {
            policy.push(format!("env_clear (pass {})", p.pass_env.join(", ")));
        }
        out.line("", &policy.join(", "));
        out.line("secrets", &p.secrets.join(", "));
    }
    uses_lines(&mut out, view);
    match &view.hermetic_env {
        Some(vars) => {
            out.line("hermetic", "only these variables, umask 022");
            for (name, value) in vars {
                out.line("env", &format!("{name}={value}"));
            }
        }
        None => {
            for (name, entry) in &view.env {
                out.line(
                    "env",
                    &format!("{name}={}   (from {})", entry.value, entry.from),
                );
            }
        }
    }
    out.0
}

/// `key value` lines, keys aligned; empty values are left out.
#[derive(Default)]
struct Lines(String);

impl Lines {
    fn line(&mut self, key: &str, value: &str) {
        if !value.is_empty() {
            self.0.push_str(&format!("{key:<12} {value}\n"));
        }
    }
}

/// The suite's own fields.
fn suite_lines(out: &mut Lines, view: &SuiteShow) {
    let s = &view.suite;
    out.line("id", &s.id);
    out.line("description", s.description.as_deref().unwrap_or(""));
    let at = &s.defined_at;
    out.line(
        "defined at",
        &format!("{}:{}:{}", at.file, at.line, at.column),
    );
    out.line("level", s.level.as_deref().unwrap_or(""));
    out.line("targets", &s.targets.join(", "));
    out.line("platforms", &s.platforms.join(", "));
    out.line("risk", s.risk.map(|r| r.name()).unwrap_or(""));
    out.line("tags", &s.tags.join(", "));
    out.line("paths", &s.paths.join(", "));
    let from = if view.command_from == "suite" {
        String::new()
    } else {
        format!("   (from {})", view.command_from)
    };
    out.line("command", &format!("{}{from}", s.command));
    out.line("cwd", &s.cwd);
    out.line("timeout", &format!("{}s", s.timeout_seconds));
    if s.retries > 0 {
        out.line("retries", &s.retries.to_string());
    }
    if s.weight > 1 {
        out.line("weight", &s.weight.to_string());
    }
    if s.exclusive {
        out.line("exclusive", "yes");
    }
    out.line("needs", &s.needs.join(", "));
    out.line("requires", &s.requires.join(", "));
}

/// The fixtures, runners, services and artifacts the suite uses.
fn uses_lines(out: &mut Lines, view: &SuiteShow) {
    for f in &view.fixtures {
        let mut parts: Vec<String> = f
            .copy
            .iter()
            .map(|c| format!("{} → {}", c.from, c.to))
            .collect();
        if let Some(setup) = &f.setup {
            let after = if f.after_services {
                " (after services)"
            } else {
                ""
            };
            parts.push(format!("setup `{setup}`{after}"));
        }
        if let Some(t) = &f.teardown {
            parts.push(format!("teardown `{t}`"));
        }
        out.line("fixture", &format!("{} {}", f.id, parts.join("; ")));
    }
    for r in &view.runners {
        let program = r
            .program
            .as_deref()
            .map(|p| format!("program {p}"))
            .unwrap_or_default();
        let junit = r
            .junit
            .as_deref()
            .map(|j| format!(", junit {j}"))
            .unwrap_or_default();
        let probe = r
            .probe
            .as_deref()
            .map(|p| format!(", probe `{p}`"))
            .unwrap_or_default();
        out.line("runner", &format!("{} {program}{probe}{junit}", r.id));
    }
    for svc in &view.services {
        let port = if svc.port { " (port)" } else { "" };
        out.line("service", &format!("{}{port}: {}", svc.id, svc.command));
    }
    for a in &view.artifacts {
        let required = if a.required { ", required" } else { "" };
        let outside = if a.outside {
            ", outside the workspace"
        } else {
            ""
        };
        out.line(
            "artifact",
            &format!(
                "{} {} ({}{required}{outside})",
                a.id,
                a.path,
                json_name(&a.kind)
            ),
        );
    }
}

/// The JSON spelling of a unit enum, e.g. `on-success`.
fn json_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
