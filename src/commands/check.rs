//! `lab check`: every problem of the registry in one pass, with
//! file:line:col; warnings for path patterns that match no file and for
//! services on a fixed port; quarantines ending soon (or over); `--write-stubs` first defines what the
//! registry names but lacks.

use std::collections::BTreeMap;
use std::io::Write;

use crate::cli::CheckArgs;
use crate::context::Context;
use crate::error::{Error, exit_code};
use crate::outputs::{CheckReport, SCHEMA_VERSION};
use crate::registry::Loaded;
use crate::registry::check::workspace_warnings;
use crate::registry::fixed_ports::fixed_port_warnings;
use crate::registry::quarantine::{quarantine_diagnostics, today};
use crate::registry::stubs::{self, Written};

/// Runs `lab check`.
pub fn run(ctx: &Context, args: &CheckArgs) -> Result<u8, Error> {
    let mut loaded = ctx.load()?;
    if args.write_stubs {
        write_stubs(ctx, &loaded)?;
        loaded = ctx.load()?;
    }
    let mut diagnostics = loaded.diagnostics.clone();
    diagnostics.extend(workspace_warnings(&loaded.registry));
    diagnostics.extend(fixed_port_warnings(&loaded.registry));
    diagnostics.extend(quarantine_diagnostics(&loaded.registry, today()));
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let r = &loaded.registry;
    let definitions = BTreeMap::from([
        ("suite".to_string(), r.suites.len()),
        ("profile".to_string(), r.profiles.len()),
        ("fixture".to_string(), r.fixtures.len()),
        ("runner".to_string(), r.runners.len()),
        ("service".to_string(), r.services.len()),
        ("artifact".to_string(), r.artifacts.len()),
        ("escalate".to_string(), r.escalations.len()),
    ]);
    if args.json {
        crate::report::json::print(&CheckReport {
            schema_version: SCHEMA_VERSION,
            workspace: r.workspace.to_string(),
            registry: r.registry_file().to_string(),
            files: r.sources.iter().map(|f| f.path.to_string()).collect(),
            ok: errors == 0,
            errors,
            warnings,
            diagnostics: diagnostics.iter().map(Into::into).collect(),
            definitions,
        })?;
    } else {
        ctx.print_diagnostics(&r.workspace, &diagnostics);
        let files = r.sources.iter().count();
        let counts: Vec<String> = definitions
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(kind, n)| format!("{n} {kind}{}", if *n == 1 { "" } else { "s" }))
            .collect();
        let (paint, reset) = if errors > 0 {
            ctx.style.red_bold()
        } else {
            ctx.style.bold()
        };
        // The exit status says the same when stderr is gone.
        let _ = writeln!(
            std::io::stderr(),
            "{paint}{}{reset}: {} in {files} file{}; {errors} error{}, {warnings} warning{}",
            r.registry_file(),
            if counts.is_empty() {
                "no definitions".to_string()
            } else {
                counts.join(", ")
            },
            if files == 1 { "" } else { "s" },
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
        );
        let stubbable = diagnostics.iter().any(|d| d.code == "undefined-reference");
        if stubbable && !args.write_stubs {
            let _ = writeln!(
                std::io::stderr(),
                "  hint: `lab check --write-stubs` writes a commented stub for each profile, fixture, runner and artifact the registry names but does not define"
            );
        }
    }
    Ok(if errors > 0 {
        exit_code::USAGE
    } else {
        exit_code::SUCCESS
    })
}

/// `--write-stubs`: writes a stub for every undefined reference and says
/// on stderr what it wrote, kept and left alone.
fn write_stubs(ctx: &Context, loaded: &Loaded) -> Result<(), Error> {
    let unread: Vec<_> = loaded
        .diagnostics
        .iter()
        .filter(|d| matches!(d.code, "toml-syntax" | "unreadable-file"))
        .cloned()
        .collect();
    if !unread.is_empty() {
        ctx.print_diagnostics(&loaded.registry.workspace, &unread);
        return Err(Error::registry(
            "--write-stubs wrote nothing: a registry file could not be read, so what it defines would look undefined",
        )
        .hint("fix the problems above, then run `lab check --write-stubs` again"));
    }
    let plan = stubs::plan(&loaded.registry);
    let written = stubs::write(&loaded.registry.workspace, &plan)?;
    let mut lines = Vec::new();
    for w in &written {
        lines.push(match w {
            Written::Created(file, ids) => format!("wrote {file}: {}", ids.join(", ")),
            Written::Appended(file, ids) => format!("appended to {file}: {}", ids.join(", ")),
            Written::Kept(file, ids, why) => {
                format!("not stubbed: {} ({file}: {why})", ids.join(", "))
            }
        });
    }
    for u in &plan.unstubbed {
        lines.push(format!(
            "not stubbed: {} ({}; define it yourself)",
            u.id, u.reason
        ));
    }
    if lines.is_empty() {
        lines.push("nothing to stub: every reference is defined".into());
    }
    let mut stderr = std::io::stderr().lock();
    for line in lines {
        // The re-check that follows says the same when stderr is gone.
        let _ = writeln!(stderr, "{line}");
    }
    Ok(())
}
