//! `lab suite list`: what a selection would run, with the reasons — a table
//! for people, one JSON document (docs/outputs.md) for agents.

use std::io::Write;

use super::selecting;
use crate::cli::SuiteListArgs;
use crate::context::Context;
use crate::error::{Error, exit_code};
use crate::outputs::{NotSelected, Rationale, SCHEMA_VERSION, ShardEntry, SuiteEntry, SuiteList};
use crate::registry::Registry;
use crate::report::suite_view;
use crate::select::{ChangedPaths, Selected, request};

/// Runs `lab suite list`.
pub fn run(ctx: &Context, args: &SuiteListArgs) -> Result<u8, Error> {
    let registry = ctx.registry()?;
    let resolved = selecting::resolve_args(&registry, &args.select)?;
    let matrix = args
        .shards
        .map(|count| shard_matrix(&registry, &resolved.selected, count));
    let mut entries: Vec<SuiteEntry> = resolved
        .selected
        .iter()
        .map(|s| suite_view::entry(&registry, s.suite, crate::outputs::rationale(&s.rationale)))
        .collect();
    if args.json {
        cache_states(&registry, &resolved.selected, &mut entries);
    }
    let not_selected: Vec<NotSelected> = resolved
        .not_selected
        .iter()
        .map(|(id, reason)| NotSelected {
            id: id.clone(),
            reason: reason.clone(),
        })
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
    let shown = if args.explain { &not_selected[..] } else { &[] };
    let text = tables(&entries, matrix.as_deref(), shown);
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .or_else(crate::report::json::ignore_broken_pipe)
        .map_err(|e| Error::io("failed to write to stdout", e))?;
    let total = registry.suites.len();
    // Notes for people; the list itself went to stdout above. A failed
    // write to stderr has nowhere else to go.
    if let Some(changed) = &resolved.changed {
        let _ = writeln!(std::io::stderr(), "{}", changed_note(changed));
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

/// `--shards N`: the selection split into N shards, as a CI matrix.
/// Fills in `cache` and `cache_miss` of each entry (in `selected`'s order).
fn cache_states(registry: &Registry, selected: &[Selected<'_>], entries: &mut [SuiteEntry]) {
    let suites: Vec<_> = selected.iter().map(|s| s.suite).collect();
    let plan = crate::run::cache::plan(registry, &suites, true);
    for warning in &plan.warnings {
        eprintln!("lab: warning: {warning}");
    }
    for entry in entries {
        entry.cache = plan.state(&entry.id).to_string();
        entry.cache_miss = plan.misses.get(&entry.id).cloned();
    }
}

fn shard_matrix(registry: &Registry, selected: &[Selected<'_>], count: u32) -> Vec<ShardEntry> {
    request::split(selected, count, &selecting::expected_ms(registry))
        .into_iter()
        .enumerate()
        .map(|(k, members)| ShardEntry {
            shard: format!("{}/{count}", k + 1),
            index: k as u32 + 1,
            count,
            suites: members
                .iter()
                .map(|&i| selected[i].suite.id.clone())
                .collect(),
        })
        .collect()
}

/// The table people read: the selected suites, the shards (with
/// `--shards`) and what was left out and why (with `--explain`).
fn tables(
    entries: &[SuiteEntry],
    matrix: Option<&[ShardEntry]>,
    not_selected: &[NotSelected],
) -> String {
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
    let mut text = render_table(["ID", "LEVEL", "TARGETS", "TAGS", "WHY"], &rows);
    if let Some(matrix) = matrix {
        text.push('\n');
        for shard in matrix {
            text.push_str(&format!(
                "shard {}: {}\n",
                shard.shard,
                shard.suites.join(" ")
            ));
        }
    }
    if !not_selected.is_empty() {
        let rows: Vec<[String; 2]> = not_selected
            .iter()
            .map(|n| [n.id.clone(), n.reason.clone()])
            .collect();
        text.push('\n');
        text.push_str(&render_table(["NOT SELECTED", "WHY NOT"], &rows));
    }
    text
}

/// `3 changed paths (from git, against main)`.
fn changed_note(changed: &ChangedPaths) -> String {
    format!(
        "{} changed path{} (from {}{})",
        changed.paths.len(),
        if changed.paths.len() == 1 { "" } else { "s" },
        changed.source,
        changed
            .base
            .as_ref()
            .map(|b| format!(", against {b}"))
            .unwrap_or_default()
    )
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
