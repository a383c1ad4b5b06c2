//! `lab runs merge RUN…`: joins the run directories of shards (from a CI
//! matrix) into one run whose summary has the status, counts, first failure
//! and reproduce command recomputed over all of them.

use camino::{Utf8Path, Utf8PathBuf};

use crate::cli::{RunsCommand, RunsMergeArgs};
use crate::context::Context;
use crate::error::Error;
use crate::report::schema::{Manifest, Summary};
use crate::report::summary::SummaryWriter;
use crate::run::run_dir::{RunDir, write_json};

/// Runs `lab runs …`.
pub fn run(ctx: &Context, command: &RunsCommand) -> Result<u8, Error> {
    match command {
        RunsCommand::Merge(args) => merge(ctx, args),
    }
}

/// A run id, a path to a run directory, or `latest`, as a directory.
pub fn resolve_run(run_root: &Utf8Path, cwd: &Utf8Path, arg: &str) -> Result<Utf8PathBuf, Error> {
    let direct = cwd.join(arg);
    let candidates = [direct, run_root.join(arg)];
    for dir in candidates {
        if dir.join("summary.json").is_file() {
            return Ok(dir.canonicalize_utf8().unwrap_or(dir));
        }
    }
    Err(Error::usage(format!(
        "no run `{arg}` (no summary.json there or under {run_root})"
    ))
    .hint("pass a run id, a path to a run directory, or `latest`"))
}

fn read<T: serde::de::DeserializeOwned>(path: &Utf8Path) -> Result<T, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("failed to read `{path}`"), e))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::usage(format!("`{path}` is not a lab document: {e}"))
            .hint("merge reads summary.json and manifest.json written by lab verify")
    })
}

fn merge(ctx: &Context, args: &RunsMergeArgs) -> Result<u8, Error> {
    let registry = ctx.registry()?;
    let run_root = registry.workspace.join(&registry.settings.run_root);
    let dirs = args
        .runs
        .iter()
        .map(|r| resolve_run(&run_root, &ctx.cwd, r))
        .collect::<Result<Vec<_>, _>>()?;
    let run = RunDir::create(&run_root)?;
    let mut summaries: Vec<Summary> = Vec::new();
    let mut manifests: Vec<Manifest> = Vec::new();
    for dir in &dirs {
        summaries.push(read(&dir.join("summary.json"))?);
        if let Ok(m) = read::<Manifest>(&dir.join("manifest.json")) {
            manifests.push(m);
        }
    }
    let argv: Vec<String> = std::env::args().collect();
    let mut header = summaries[0].clone();
    header.run_id = run.id.clone();
    header.command = argv.clone();
    header.command_id = "cmd.runs.merge".into();
    header.suites = Vec::new();
    header.pending = Vec::new();
    header.started_at = summaries
        .iter()
        .map(|s| s.started_at.clone())
        .min()
        .unwrap_or_default();
    header.finished_at = if summaries.iter().all(|s| s.finished_at.is_some()) {
        summaries.iter().filter_map(|s| s.finished_at.clone()).max()
    } else {
        None
    };
    header.interrupted = summaries.iter().any(|s| s.interrupted);
    header.criteria.shard = None;
    header.counts.selected = summaries.iter().map(|s| s.counts.selected).sum();
    let mut writer = SummaryWriter::new(run.path.join("summary.json"), header);
    // Paths inside a shard's run stay valid from the merged run's directory.
    let rebase = |dir: &Utf8Path, p: &str| -> String {
        let rel = dir
            .strip_prefix(&run_root)
            .map(|d| d.to_string())
            .unwrap_or_else(|_| dir.to_string());
        format!("../{rel}/{p}")
    };
    let mut duration = 0;
    for (summary, dir) in summaries.into_iter().zip(&dirs) {
        duration = duration.max(summary.duration_ms);
        writer.header.pending.extend(summary.pending);
        for mut s in summary.suites {
            s.stdout = s.stdout.map(|p| rebase(dir, &p));
            s.stderr = s.stderr.map(|p| rebase(dir, &p));
            for a in &mut s.artifacts {
                if !a.missing {
                    a.path = rebase(dir, &a.path);
                }
            }
            writer.push(s);
        }
    }
    let code = writer.refresh(duration);
    writer.write()?;
    if let Some(first) = manifests.first() {
        let mut merged = first.clone();
        merged.run_id = run.id.clone();
        merged.command = argv;
        merged.command_id = "cmd.runs.merge".into();
        merged.suites = Vec::new();
        merged.selection.suites = Vec::new();
        for (m, dir) in manifests.into_iter().zip(&dirs) {
            merged.selection.suites.extend(m.selection.suites);
            for mut s in m.suites {
                s.dir = rebase(dir, &s.dir);
                merged.suites.push(s);
            }
        }
        write_json(&run.path.join("manifest.json"), &merged, true)?;
    }
    run.event(
        "runs_merged",
        serde_json::json!({ "runs": dirs.iter().map(|d| d.to_string()).collect::<Vec<_>>() }),
    );
    let summary = writer.summary();
    if args.json {
        crate::report::json::print(&summary)?;
    }
    eprintln!(
        "{}: {} passed, {} failed, {} skipped, {} blocked, {} flaky (from {} runs)\nrun: {}\nreproduce: {}",
        summary.status.name(),
        summary.counts.passed,
        summary.counts.failed,
        summary.counts.skipped,
        summary.counts.blocked,
        summary.counts.flaky,
        dirs.len(),
        run.path,
        summary.reproduce
    );
    Ok(code)
}
