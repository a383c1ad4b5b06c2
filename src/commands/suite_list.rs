//! `lab suite list`: what a selection would run, with the reasons — a table
//! for people, one JSON document (docs/outputs.md) for agents.

use std::io::Write;

use super::selecting;
use crate::cli::SuiteListArgs;
use crate::context::Context;
use crate::error::{Error, exit_code};
use crate::outputs::{NotSelected, Rationale, SCHEMA_VERSION, ShardEntry, SuiteList};
use crate::report::suite_view;
use crate::select::request;

/// Runs `lab suite list`.
pub fn run(ctx: &Context, args: &SuiteListArgs) -> Result<u8, Error> {
    let registry = ctx.registry()?;
    let resolved = selecting::resolve_args(&registry, &args.select)?;
    let matrix: Option<Vec<ShardEntry>> = args.shards.map(|count| {
        request::split(
            &resolved.selected,
            count,
            &selecting::expected_ms(&registry),
        )
        .into_iter()
        .enumerate()
        .map(|(k, members)| ShardEntry {
            shard: format!("{}/{count}", k + 1),
            index: k as u32 + 1,
            count,
            suites: members
                .iter()
                .map(|&i| resolved.selected[i].suite.id.clone())
                .collect(),
        })
        .collect()
    });
    let entries: Vec<_> = resolved
        .selected
        .into_iter()
        .map(|s| suite_view::entry(&registry, s.suite, crate::outputs::rationale(&s.rationale)))
        .collect();
    let not_selected: Vec<NotSelected> = resolved
        .not_selected
        .into_iter()
        .map(|(id, reason)| NotSelected { id, reason })
        .collect();
    if args.json {
        crate::report::json::print(&SuiteList {
            schema_version: SCHEMA_VERSION,
            workspace: registry.workspace.to_string(),
            registry: registry.registry_file().to_string(),
            criteria: (&resolved.criteria).into(),
            changed: resolved.changed.as_ref().map(Into::into),
            suites: entries,
            not_selected: args.explain.then_some(not_selected),
            matrix,
        })?;
        crate::context::release(registry);
        return Ok(exit_code::SUCCESS);
    }
    let rows: Vec<[String; 5]> = entries
        .iter()
        .map(|e| {
            [
                e.id.clone(),
                e.level.clone().unwrap_or_else(|| "-".into()),
                dash(e.targets.join(",")),
                dash(e.tags.join(",")),
                short_why(&e.rationale),
            ]
        })
        .collect();
    let mut table = render_table(["ID", "LEVEL", "TARGETS", "TAGS", "WHY"], &rows);
    if let Some(matrix) = &matrix {
        table.push('\n');
        for shard in matrix {
            table.push_str(&format!(
                "shard {}: {}\n",
                shard.shard,
                shard.suites.join(" ")
            ));
        }
    }
    if args.explain && !not_selected.is_empty() {
        let rows: Vec<[String; 2]> = not_selected
            .iter()
            .map(|n| [n.id.clone(), n.reason.clone()])
            .collect();
        table.push('\n');
        table.push_str(&render_table(["NOT SELECTED", "WHY NOT"], &rows));
    }
    std::io::stdout()
        .lock()
        .write_all(table.as_bytes())
        .or_else(crate::report::json::ignore_broken_pipe)
        .map_err(|e| Error::io("failed to write to stdout", e))?;
    let total = registry.suites.len();
    if let Some(changed) = &resolved.changed {
        // Notes for people; the list itself went to stdout above.
        let _ = writeln!(
            std::io::stderr(),
            "{} changed path{} (from {}{})",
            changed.paths.len(),
            if changed.paths.len() == 1 { "" } else { "s" },
            changed.source,
            changed
                .base
                .as_ref()
                .map(|b| format!(", against {b}"))
                .unwrap_or_default()
        );
    }
    let _ = writeln!(
        std::io::stderr(),
        "{} of {total} suite{} selected",
        entries.len(),
        if total == 1 { "" } else { "s" }
    );
    crate::context::release(registry);
    Ok(exit_code::SUCCESS)
}

fn dash(s: String) -> String {
    if s.is_empty() { "-".into() } else { s }
}

/// The first reasons of a suite, and how many more (`--json` has them all).
fn short_why(rationale: &[Rationale]) -> String {
    const SHOWN: usize = 2;
    let mut text = rationale
        .iter()
        .take(SHOWN)
        .map(Rationale::phrase)
        .collect::<Vec<_>>()
        .join("; ");
    if rationale.len() > SHOWN {
        text.push_str(&format!("; (+{} more)", rationale.len() - SHOWN));
    }
    text
}

/// Left-aligned columns separated by two spaces; the last column unpadded.
fn render_table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut push_row = |cells: &mut dyn Iterator<Item = &str>| {
        let mut line = String::new();
        for (i, cell) in cells.enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                let pad = widths[i] - cell.chars().count() + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    };
    push_row(&mut header.iter().copied());
    for row in rows {
        push_row(&mut row.iter().map(String::as_str));
    }
    out
}
