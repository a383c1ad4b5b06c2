//! `lab check`: every problem of the registry in one pass, with
//! file:line:col; warnings for path patterns that match no file and for
//! services on a fixed port.

use std::collections::BTreeMap;
use std::io::Write;

use crate::cli::CheckArgs;
use crate::context::Context;
use crate::error::{Error, exit_code};
use crate::outputs::{CheckReport, SCHEMA_VERSION};
use crate::registry::check::workspace_warnings;
use crate::registry::fixed_ports::fixed_port_warnings;

/// Runs `lab check`.
pub fn run(ctx: &Context, args: &CheckArgs) -> Result<u8, Error> {
    let loaded = ctx.load()?;
    let mut diagnostics = loaded.diagnostics.clone();
    diagnostics.extend(workspace_warnings(&loaded.registry));
    diagnostics.extend(fixed_port_warnings(&loaded.registry));
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
        ctx.print_diagnostics(&diagnostics);
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
    }
    Ok(if errors > 0 {
        exit_code::USAGE
    } else {
        exit_code::SUCCESS
    })
}
