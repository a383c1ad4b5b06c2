//! `lab suite show ID`: one suite fully resolved — the profile chain merged,
//! fixtures, runners, services, artifacts and every variable with its origin.

use std::fmt::Write as _;
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

fn render(view: &SuiteShow) -> String {
    let s = &view.suite;
    let mut out = String::new();
    let mut line = |key: &str, value: &str| {
        if !value.is_empty() {
            let _ = writeln!(out, "{key:<12} {value}");
        }
    };
    line("id", &s.id);
    line("description", s.description.as_deref().unwrap_or(""));
    line(
        "defined at",
        &format!(
            "{}:{}:{}",
            s.defined_at.file, s.defined_at.line, s.defined_at.column
        ),
    );
    line("level", s.level.as_deref().unwrap_or(""));
    line("targets", &s.targets.join(", "));
    line("platforms", &s.platforms.join(", "));
    line("risk", s.risk.map(|r| r.name()).unwrap_or(""));
    line("tags", &s.tags.join(", "));
    line("paths", &s.paths.join(", "));
    let from = if view.command_from == "suite" {
        String::new()
    } else {
        format!("   (from {})", view.command_from)
    };
    line("command", &format!("{}{from}", s.command));
    line("cwd", &s.cwd);
    line("timeout", &format!("{}s", s.timeout_seconds));
    if s.retries > 0 {
        line("retries", &s.retries.to_string());
    }
    if s.weight > 1 {
        line("weight", &s.weight.to_string());
    }
    if s.exclusive {
        line("exclusive", "yes");
    }
    line("needs", &s.needs.join(", "));
    line("requires", &s.requires.join(", "));
    if let Some(p) = &view.profile {
        line("profile", &p.chain.join(" → "));
        let mut policy = vec![
            format!("network {}", json_name(&p.network)),
            format!("display {}", json_name(&p.display)),
            format!("cleanup {}", json_name(&p.cleanup)),
        ];
        if p.env_clear {
            policy.push(format!("env_clear (pass {})", p.pass_env.join(", ")));
        }
        line("", &policy.join(", "));
        line("secrets", &p.secrets.join(", "));
    }
    for f in &view.fixtures {
        let mut parts: Vec<String> = f
            .copy
            .iter()
            .map(|c| format!("{} → {}", c.from, c.to))
            .collect();
        if let Some(setup) = &f.setup {
            parts.push(format!(
                "setup `{setup}`{}",
                if f.after_services {
                    " (after services)"
                } else {
                    ""
                }
            ));
        }
        if let Some(t) = &f.teardown {
            parts.push(format!("teardown `{t}`"));
        }
        line("fixture", &format!("{} {}", f.id, parts.join("; ")));
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
        line("runner", &format!("{} {program}{junit}", r.id));
    }
    for svc in &view.services {
        let port = if svc.port { " (port)" } else { "" };
        line("service", &format!("{}{port}: {}", svc.id, svc.command));
    }
    for a in &view.artifacts {
        let required = if a.required { ", required" } else { "" };
        line(
            "artifact",
            &format!("{} {} ({}{required})", a.id, a.path, json_name(&a.kind)),
        );
    }
    for (name, entry) in &view.env {
        line(
            "env",
            &format!("{name}={}   (from {})", entry.value, entry.from),
        );
    }
    out
}

/// The JSON spelling of a unit enum, e.g. `on-success`.
fn json_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
