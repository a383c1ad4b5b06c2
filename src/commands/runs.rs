//! `lab runs …`: the run directories as history — list, show, diff,
//! flaky, prune — and `merge`, which joins the runs of CI shards.

use std::io::Write;

use camino::{Utf8Path, Utf8PathBuf};

use crate::cli::{
    RunArgs, RunsCommand, RunsDiffArgs, RunsFlakyArgs, RunsListArgs, RunsMergeArgs, RunsPruneArgs,
};
use crate::context::Context;
use crate::error::{Chain, Error, exit_code};
use crate::history::index::{self, History, RunRecord};
use crate::history::queries;
use crate::outputs::{Manifest, Summary};
use crate::run::run_dir::{RunDir, write_json};
use crate::run::summary_writer::SummaryWriter;

/// Runs `lab runs …`.
pub fn run(ctx: &Context, command: &RunsCommand) -> Result<u8, Error> {
    let registry = ctx.registry()?;
    let run_root = registry.workspace.join(&registry.settings.run_root);
    match command {
        RunsCommand::List(args) => list(&run_root, args),
        RunsCommand::Show(args) => show(ctx, &run_root, args),
        RunsCommand::Diff(args) => diff(ctx, &run_root, args),
        RunsCommand::Flaky(args) => flaky(&registry, &run_root, args),
        RunsCommand::Prune(args) => {
            let code = prune(
                &run_root,
                &registry.workspace,
                args,
                registry.settings.keep_runs as usize,
            )?;
            if !args.dry_run {
                // Cache entries of deleted runs (docs/running.md#caching).
                let n = crate::run::cache::store(&registry).prune(&run_root);
                if n > 0 {
                    eprintln!("deleted {n} cache entr{}", if n == 1 { "y" } else { "ies" });
                }
            }
            Ok(code)
        }
        RunsCommand::Merge(args) => merge(ctx, &run_root, args),
    }
}

/// A run id, a path to a run directory, or `latest`, as a directory. A
/// run id or `latest` must lead to a directory directly inside the run
/// root: a link out of it (a report is written into the run) is refused.
pub fn resolve_run(run_root: &Utf8Path, cwd: &Utf8Path, arg: &str) -> Result<Utf8PathBuf, Error> {
    let candidates = [(cwd.join(arg), arg == "latest"), (run_root.join(arg), true)];
    for (dir, in_root) in candidates {
        if !dir.join("summary.json").is_file() {
            continue;
        }
        let real = dir.canonicalize_utf8().unwrap_or(dir);
        let root = run_root
            .canonicalize_utf8()
            .unwrap_or_else(|_| run_root.to_path_buf());
        if in_root && real.parent() != Some(root.as_path()) {
            return Err(Error::usage(format!(
                "`{arg}` leads to `{real}`, which is not a run directory of {root}"
            ))
            .hint("point `latest` at a run in the run root, or pass the run's path"));
        }
        return Ok(real);
    }
    Err(Error::usage(format!(
        "no run `{arg}` (no summary.json there or under {run_root})"
    ))
    .hint("pass a run id, a path to a run directory, or `latest`; `lab runs list` shows them"))
}

fn load(run_root: &Utf8Path) -> History {
    let history = index::load(run_root);
    for p in &history.problems {
        eprintln!("lab: warning: {p}");
    }
    history
}

/// Prints text made from run directories, which may come from anywhere
/// (a CI artifact, another machine): never a terminal escape of theirs.
fn out(text: &str) -> Result<(), Error> {
    std::io::stdout()
        .lock()
        .write_all(crate::style::printable_lines(text).as_bytes())
        .or_else(crate::report::json::ignore_broken_pipe)
        .map_err(|e| Error::io("failed to write to stdout", e))
}

fn counts_line(r: &RunRecord) -> String {
    crate::outputs::counts_phrase(&r.counts)
}

fn list(run_root: &Utf8Path, args: &RunsListArgs) -> Result<u8, Error> {
    let history = load(run_root);
    let runs: Vec<&RunRecord> = history
        .runs
        .iter()
        .take(args.limit.unwrap_or(usize::MAX))
        .collect();
    if args.json {
        crate::report::json::print(&serde_json::json!({ "schema_version": 1, "runs": runs }))?;
        return Ok(exit_code::SUCCESS);
    }
    let mut text = String::new();
    for r in runs {
        text.push_str(&format!(
            "{}  {:<10}  {:>8}  {}  ({})\n",
            r.run_id,
            r.status.name(),
            crate::style::human_duration(std::time::Duration::from_millis(r.duration_ms)),
            counts_line(r),
            r.command_id
        ));
        if let Some(origin) = crate::report::origin::phrase(&r.origin) {
            // On the run's line, after what older parsers read.
            text.pop();
            text.push_str(&format!("  {origin}\n"));
        }
    }
    out(&text)?;
    Ok(exit_code::SUCCESS)
}

fn show(ctx: &Context, run_root: &Utf8Path, args: &RunArgs) -> Result<u8, Error> {
    let dir = resolve_run(run_root, &ctx.cwd, &args.run)?;
    let mut summary = index::read_summary(&dir)?;
    if index::clamp_durations(&mut summary) {
        let id = dir.file_name().unwrap_or_default();
        eprintln!("lab: warning: {}", index::clamped_warning(id));
    }
    if args.json {
        crate::report::json::print(&summary)?;
        return Ok(exit_code::SUCCESS);
    }
    let mut text = format!(
        "{}  {}  {}\n",
        summary.run_id,
        summary.status.name(),
        counts_line(&RunRecord::of(&summary))
    );
    for s in &summary.suites {
        text.push_str(&format!(
            "  {:<7} {}  {}{}\n",
            s.status.name(),
            s.id,
            crate::style::human_duration(std::time::Duration::from_millis(s.duration_ms)),
            s.reason
                .as_ref()
                .map(|r| format!("  {r}"))
                .unwrap_or_default()
        ));
    }
    if !summary.pending.is_empty() {
        text.push_str(&format!("  not finished: {}\n", summary.pending.join(", ")));
    }
    text.push_str(&format!("run: {dir}\nreproduce: {}\n", summary.reproduce));
    out(&text)?;
    Ok(exit_code::SUCCESS)
}

/// The record of the run in `dir`.
fn record_of<'h>(history: &'h History, dir: &Utf8Path) -> Option<(usize, &'h RunRecord)> {
    let id = dir.file_name()?;
    history
        .runs
        .iter()
        .enumerate()
        .find(|(_, r)| r.run_id == id)
}

/// The diff the default `lab runs diff` computes for the latest run, if
/// any: each suite against the latest earlier run that ran it.
pub fn default_diff(history: &History) -> Option<queries::RunDiff> {
    queries::diff_per_suite(&history.runs, 0)
}

fn diff(ctx: &Context, run_root: &Utf8Path, args: &RunsDiffArgs) -> Result<u8, Error> {
    let history = load(run_root);
    let find = |arg: &str| -> Result<(usize, RunRecord), Error> {
        let dir = resolve_run(run_root, &ctx.cwd, arg)?;
        record_of(&history, &dir)
            .map(|(i, r)| (i, r.clone()))
            .ok_or_else(|| Error::usage(format!("run `{arg}` could not be read")))
    };
    let d = match args.runs.as_slice() {
        [a, b] => queries::diff(&find(a)?.1, &find(b)?.1),
        one => {
            let (i, newer) = find(one.first().map_or("latest", String::as_str))?;
            queries::diff_per_suite(&history.runs, i).ok_or_else(|| {
                Error::usage(format!("no earlier run ran any suite of {}", newer.run_id))
                    .hint("name two runs to compare them whatever they ran: `lab runs diff A B`")
            })?
        }
    };
    if args.json {
        crate::report::json::print(&d)?;
        return Ok(exit_code::SUCCESS);
    }
    print_diff(&d)
}

/// The diff as text: the runs, what differs between them, then the
/// suites by how their status changed.
fn print_diff(d: &queries::RunDiff) -> Result<u8, Error> {
    let mut text = format!("{} → {}\n", d.from, d.to);
    for line in d.against_lines() {
        text.push_str(&line);
        text.push('\n');
    }
    for (title, list) in [
        ("newly failing", &d.newly_failing),
        ("newly fixed", &d.newly_fixed),
        ("still failing", &d.still_failing),
        ("added", &d.added),
        ("removed", &d.removed),
    ] {
        if list.is_empty() {
            continue;
        }
        text.push_str(&format!("{title}:\n"));
        for e in list {
            let tests = queries::tests_phrase(e)
                .map(|t| format!("  {t}"))
                .unwrap_or_default();
            let change = e
                .duration_change_ms
                .map(|c| format!("  ({c:+} ms)"))
                .unwrap_or_default();
            text.push_str(&format!("  {}{tests}{change}\n", e.id));
        }
    }
    if d.newly_failing.is_empty()
        && d.newly_fixed.is_empty()
        && d.added.is_empty()
        && d.removed.is_empty()
    {
        text.push_str("no status changes\n");
    }
    out(&text)?;
    Ok(exit_code::SUCCESS)
}

fn flaky(
    registry: &crate::registry::Registry,
    run_root: &Utf8Path,
    args: &RunsFlakyArgs,
) -> Result<u8, Error> {
    let history = load(run_root);
    let window = &history.runs[..history.runs.len().min(args.last)];
    let ranked = queries::flaky(window);
    let suggestions = if args.suggest {
        super::flaky_suggest::suggest(registry, &history.runs, &ranked)
    } else {
        Default::default()
    };
    if args.json {
        let mut doc = serde_json::json!({
            "schema_version": 1,
            "runs": window.len(),
            "suites": ranked,
        });
        if args.suggest {
            // Plain data: serializing it cannot fail.
            doc["suggest"] = serde_json::to_value(&suggestions).unwrap_or_default();
        }
        crate::report::json::print(&doc)?;
        return Ok(exit_code::SUCCESS);
    }
    let mut text = format!("over the last {} runs:\n", window.len());
    if ranked.is_empty() {
        text.push_str("no suite flipped or needed a retry\n");
    }
    for f in &ranked {
        let strip: String = f
            .history
            .iter()
            .map(|s| match s {
                crate::outputs::Status::Passed => '.',
                crate::outputs::Status::Flaky => 'f',
                crate::outputs::Status::Failed => 'F',
                crate::outputs::Status::Blocked => 'B',
                crate::outputs::Status::Skipped => 's',
            })
            .collect();
        text.push_str(&format!(
            "  {:>3}  {}  {} flips, {} passes after retry  {strip}\n",
            f.score, f.id, f.flips, f.passes_after_retry
        ));
    }
    if args.suggest {
        text.push_str(&suggestions.text());
    }
    out(&text)?;
    Ok(exit_code::SUCCESS)
}

fn prune(
    run_root: &Utf8Path,
    workspace: &Utf8Path,
    args: &RunsPruneArgs,
    default_keep: usize,
) -> Result<u8, Error> {
    let history = load(run_root);
    let keep = args.keep.unwrap_or(default_keep);
    let kept = queries::keep_set(&history.runs, keep);
    let cutoff = match &args.older_than {
        Some(text) => {
            let age = crate::registry::units::parse_duration(text)
                .map_err(|e| Error::usage(format!("--older-than: {e}")))?;
            Some(jiff::Timestamp::now() - jiff::SignedDuration::try_from(age).unwrap_or_default())
        }
        None => None,
    };
    let latest = std::fs::read_link(run_root.join("latest"))
        .ok()
        .and_then(|p| p.to_str().map(str::to_string));
    let mut removed = Vec::new();
    let mut remaining = Vec::new();
    for r in history.runs {
        let old_enough =
            cutoff.is_none_or(|c| r.started_at.parse::<jiff::Timestamp>().is_ok_and(|t| t < c));
        let protected = kept.contains(&r.run_id)
            || latest.as_deref() == Some(r.run_id.as_str())
            || r.status == crate::outputs::RunStatus::Running;
        if old_enough && !protected {
            removed.push(r.run_id.clone());
        } else {
            remaining.push(r);
        }
    }
    if !args.dry_run {
        for id in &removed {
            // Only a direct child of the run root that is a run directory
            // (not a link, not a name a tampered file made up) is deleted.
            let dir = run_root.join(id);
            let real_dir = std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir());
            if !index::is_run_id(id) || !real_dir {
                eprintln!("lab: warning: `{id}` is not a run directory of {run_root}; not deleted");
                continue;
            }
            std::fs::remove_dir_all(&dir)
                .map_err(|e| Error::io(format!("failed to delete run `{id}`"), e))?;
        }
        if let Err(e) = index::rewrite(run_root, &remaining) {
            eprintln!("lab: warning: {}", Chain(&e));
        }
        // The suites' roots (outside the workspace) of every run that is
        // gone, this one's and any other's, killed runs' included.
        crate::run::suite_roots::sweep_for(workspace);
    }
    let verb = if args.dry_run {
        "would delete"
    } else {
        "deleted"
    };
    eprintln!(
        "{verb} {} run{}, kept {}",
        removed.len(),
        if removed.len() == 1 { "" } else { "s" },
        remaining.len()
    );
    let mut text = String::new();
    for id in &removed {
        text.push_str(id);
        text.push('\n');
    }
    out(&text)?;
    Ok(exit_code::SUCCESS)
}

fn read<T: serde::de::DeserializeOwned>(path: &Utf8Path) -> Result<T, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("failed to read `{path}`"), e))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::usage(format!("`{path}` is not a lab document: {e}"))
            .hint("merge reads summary.json and manifest.json written by lab verify")
    })
}

/// A shard's run, read for merging.
struct ShardRun {
    dir: Utf8PathBuf,
    summary: Summary,
    /// `None` when its manifest.json could not be read (said on stderr).
    manifest: Option<Manifest>,
}

/// Reads the runs `args` name; a manifest.json that cannot be read is a
/// warning (the merged manifest leaves that run's suites out). A run
/// named twice, or a run that is itself a merge, is refused: either would
/// count suites twice.
fn read_shards(
    ctx: &Context,
    run_root: &Utf8Path,
    args: &[String],
) -> Result<Vec<ShardRun>, Error> {
    let mut shards: Vec<ShardRun> = Vec::new();
    for arg in args {
        let dir = resolve_run(run_root, &ctx.cwd, arg)?;
        if shards.iter().any(|s| s.dir == dir) {
            return Err(
                Error::usage(format!("run `{arg}` ({dir}) is named more than once"))
                    .hint("name each shard's run once"),
            );
        }
        let mut summary: Summary = read(&dir.join("summary.json"))?;
        if index::clamp_durations(&mut summary) {
            let id = dir.file_name().unwrap_or_default();
            eprintln!("lab: warning: {}", index::clamped_warning(id));
        }
        if summary.command_id == "cmd.runs.merge" {
            return Err(
                Error::usage(format!("run `{arg}` ({dir}) is itself a merge of runs"))
                    .hint("merge the shards' own runs (`lab runs list` shows each run's command)"),
            );
        }
        let manifest = match read::<Manifest>(&dir.join("manifest.json")) {
            Ok(m) => Some(m),
            Err(e) => {
                eprintln!("lab: warning: {e}; the merged manifest.json leaves its suites out");
                None
            }
        };
        shards.push(ShardRun {
            dir,
            summary,
            manifest,
        });
    }
    Ok(shards)
}

/// Paths inside a shard's run, made valid from the merged run's directory.
struct Rebase {
    root: Utf8PathBuf,
}

impl Rebase {
    fn new(run_root: &Utf8Path) -> Self {
        Rebase {
            root: run_root
                .canonicalize_utf8()
                .unwrap_or_else(|_| run_root.to_path_buf()),
        }
    }

    /// `p` (relative to the shard's run `dir`) relative to a sibling run.
    fn path(&self, dir: &Utf8Path, p: &str) -> String {
        let rel = dir
            .strip_prefix(&self.root)
            .map(|d| d.to_string())
            .unwrap_or_else(|_| dir.to_string());
        format!("../{rel}/{p}")
    }
}

fn merge(ctx: &Context, run_root: &Utf8Path, args: &RunsMergeArgs) -> Result<u8, Error> {
    // Everything is read before the merged run exists: a bad argument
    // leaves no half-made run behind.
    let shards = read_shards(ctx, run_root, &args.runs)?;
    let Some(first) = shards.first() else {
        return Err(Error::usage("runs merge needs at least one run"));
    };
    let run = RunDir::create(run_root)?;
    let argv: Vec<String> = std::env::args().collect();
    let rebase = Rebase::new(run_root);
    let keep = kept_results(&shards);
    let mut writer = merged_summary(
        &run,
        &argv,
        first.summary.clone(),
        (&shards, &keep),
        &rebase,
    );
    let duration = shards
        .iter()
        .map(|s| s.summary.duration_ms)
        .max()
        .unwrap_or(0);
    let code = writer.refresh(duration);
    writer.write()?;
    if let Some(merged) = merged_manifest(&run, argv, (&shards, &keep), &rebase) {
        write_json(&run.path.join("manifest.json"), &merged, true)?;
    }
    run.event(
        "runs_merged",
        serde_json::json!({ "runs": shards.iter().map(|s| s.dir.to_string()).collect::<Vec<_>>() }),
    );
    let summary = writer.summary();
    if let Some(e) = index::append(run_root, &summary) {
        eprintln!("lab: warning: {}", Chain(&e));
    }
    if args.json {
        crate::report::json::print(&summary)?;
    }
    eprintln!(
        "{}: {} (from {} runs)\nrun: {}\nreproduce: {}",
        summary.status.name(),
        crate::outputs::counts_phrase(&summary.counts),
        shards.len(),
        run.path,
        summary.reproduce
    );
    Ok(code)
}

/// The merged summary.json: `header` (the first shard's) with times,
/// counts and flags joined, every shard's suites with their paths rebased.
fn merged_summary(
    run: &RunDir,
    argv: &[String],
    mut header: Summary,
    (shards, keep): (&[ShardRun], &Kept),
    rebase: &Rebase,
) -> SummaryWriter {
    let summaries = || shards.iter().map(|s| &s.summary);
    header.run_id = run.id.clone();
    header.command = argv.to_vec();
    header.command_id = "cmd.runs.merge".into();
    header.suites = Vec::new();
    header.pending = Vec::new();
    header.started_at = summaries()
        .map(|s| s.started_at.clone())
        .min()
        .unwrap_or_default();
    header.finished_at = if summaries().all(|s| s.finished_at.is_some()) {
        summaries().filter_map(|s| s.finished_at.clone()).max()
    } else {
        None
    };
    header.interrupted = summaries().any(|s| s.interrupted);
    header.criteria.shard = None;
    let pending: std::collections::BTreeSet<&String> =
        summaries().flat_map(|s| s.pending.iter()).collect();
    header.counts.selected = pending.union(&keep.keys().collect()).count();
    let mut writer = SummaryWriter::new(run.path.join("summary.json"), header);
    writer.add_pending(pending.into_iter().cloned());
    for (i, shard) in shards.iter().enumerate() {
        for s in &shard.summary.suites {
            if keep.get(&s.id) != Some(&i) {
                continue;
            }
            let mut s = s.clone();
            s.stdout = s.stdout.map(|p| rebase.path(&shard.dir, &p));
            s.stderr = s.stderr.map(|p| rebase.path(&shard.dir, &p));
            for a in s.artifacts.iter_mut().filter(|a| !a.missing) {
                a.path = rebase.path(&shard.dir, &a.path);
            }
            for report in s.tests.iter_mut().flat_map(|t| &mut t.reports) {
                *report = rebase.path(&shard.dir, report);
            }
            writer.push(s);
        }
    }
    writer
}

/// Suite id → the index of the run whose result it keeps.
type Kept = std::collections::BTreeMap<String, usize>;

/// Which run's result each suite keeps (by index in `shards`): its only
/// one, or, when runs share a suite, the newest run's (said on stderr).
fn kept_results(shards: &[ShardRun]) -> Kept {
    let mut keep = Kept::new();
    for (i, shard) in shards.iter().enumerate() {
        for s in &shard.summary.suites {
            let Some(&other) = keep.get(&s.id) else {
                keep.insert(s.id.clone(), i);
                continue;
            };
            let newer = |a: usize| shards[a].dir.file_name().unwrap_or_default().to_string();
            let (old, new) = if newer(i) > newer(other) {
                (other, i)
            } else {
                (i, other)
            };
            if old == new {
                continue;
            }
            eprintln!(
                "lab: warning: {} is in runs {} and {}; keeping the newer run's result",
                s.id,
                shards[old].dir.file_name().unwrap_or_default(),
                shards[new].dir.file_name().unwrap_or_default(),
            );
            keep.insert(s.id.clone(), new);
        }
    }
    keep
}

/// The merged manifest.json: the first readable manifest with every
/// readable shard's selection and suites (their directories rebased).
fn merged_manifest(
    run: &RunDir,
    argv: Vec<String>,
    (shards, keep): (&[ShardRun], &Kept),
    rebase: &Rebase,
) -> Option<Manifest> {
    let mut merged = shards.iter().find_map(|s| s.manifest.clone())?;
    merged.run_id = run.id.clone();
    merged.command = argv;
    merged.command_id = "cmd.runs.merge".into();
    merged.suites = Vec::new();
    merged.selection.suites = Vec::new();
    for (i, shard) in shards.iter().enumerate() {
        let Some(m) = &shard.manifest else { continue };
        for s in &m.selection.suites {
            if !merged.selection.suites.iter().any(|k| k.id == s.id) {
                merged.selection.suites.push(s.clone());
            }
        }
        for s in &m.suites {
            if keep.get(&s.id).is_some_and(|&k| k != i) {
                continue;
            }
            let mut s = s.clone();
            s.dir = rebase.path(&shard.dir, &s.dir);
            merged.suites.push(s);
        }
    }
    Some(merged)
}
