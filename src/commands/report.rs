//! `lab report [RUN] --format html|junit|markdown|github`: a run's findings
//! where people look — a self-contained page in the run directory, JUnit
//! for CI test reporting, a PR comment, GitHub step summary and annotations.

use std::io::Write;

use camino::{Utf8Path, Utf8PathBuf};

use crate::cli::{ReportArgs, ReportFormat};
use crate::context::Context;
use crate::error::{Error, exit_code};
use crate::history::index;
use crate::history::queries::{self, RunDiff};
use crate::outputs::Summary;
use crate::registry::Registry;

/// The diff of the run `run_id`, each suite against its own previous run, and
/// the history (newest first) for trends.
fn context_of(run_root: &Utf8Path, run_id: &str) -> (Option<RunDiff>, Vec<index::RunRecord>) {
    let history = index::load(run_root);
    let diff = history
        .runs
        .iter()
        .position(|r| r.run_id == run_id)
        .and_then(|i| queries::diff_per_suite(&history.runs, i));
    let from = history
        .runs
        .iter()
        .position(|r| r.run_id == run_id)
        .unwrap_or(0);
    (diff, history.runs[from..].to_vec())
}

/// Writes `<run>/report.html` and returns its path.
pub fn write_html(
    run_root: &Utf8Path,
    run_dir: &Utf8Path,
    summary: &Summary,
) -> Result<Utf8PathBuf, Error> {
    let (diff, history) = context_of(run_root, &summary.run_id);
    let page = crate::report::html::render(summary, diff.as_ref(), &history, None);
    let path = run_dir.join("report.html");
    // A report is derived from the run, not its record: failing to write
    // it is an ordinary file error (exit 1), not exit 74.
    crate::files::write_atomic(&path, page.as_bytes())
        .map_err(|e| Error::io(format!("failed to write `{path}`"), e))?;
    Ok(path)
}

fn place_of(registry: &Registry, id: &str) -> Option<(String, u32)> {
    let suite = registry.suites.get(id)?;
    let at = registry.location(suite.span);
    Some((at.file.to_string(), at.line))
}

/// The run directory `dir` as a link from the directory `out` is written
/// into: relative when both resolve (the pair can move together), else a
/// `file://` URL.
fn link_base(out: &Utf8Path, dir: &Utf8Path) -> String {
    let parent = match out.parent() {
        Some(p) if !p.as_str().is_empty() => p.to_path_buf(),
        _ => Utf8PathBuf::from("."),
    };
    let from = parent.canonicalize_utf8().ok();
    let to = dir
        .canonicalize_utf8()
        .unwrap_or_else(|_| dir.to_path_buf());
    match from.and_then(|f| crate::files::relative_path(&f, &to)) {
        Some(rel) => rel,
        None => format!("file://{to}"),
    }
}

/// Runs `lab report`.
pub fn run(ctx: &Context, args: &ReportArgs) -> Result<u8, Error> {
    let registry = ctx.registry()?;
    let run_root = registry.workspace.join(&registry.settings.run_root);
    let dir = crate::commands::runs::resolve_run(&run_root, &ctx.cwd, &args.run)?;
    let mut summary = index::read_summary(&dir)?;
    if index::clamp_durations(&mut summary) {
        let id = dir.file_name().unwrap_or_default();
        eprintln!("lab: warning: {}", index::clamped_warning(id));
    }
    let emit = |text: &str| -> Result<(), Error> {
        match &args.output {
            Some(path) => std::fs::write(path, text)
                .map_err(|e| Error::io(format!("failed to write `{path}`"), e)),
            None => std::io::stdout()
                .lock()
                .write_all(text.as_bytes())
                .or_else(crate::report::json::ignore_broken_pipe)
                .map_err(|e| Error::io("failed to write to stdout", e)),
        }
    };
    match args.format {
        ReportFormat::Html => {
            let path = match &args.output {
                Some(out) => {
                    let (diff, history) = context_of(&run_root, &summary.run_id);
                    let base = link_base(out, &dir);
                    let page =
                        crate::report::html::render(&summary, diff.as_ref(), &history, Some(&base));
                    std::fs::write(out, page)
                        .map_err(|e| Error::io(format!("failed to write `{out}`"), e))?;
                    out.clone()
                }
                None => write_html(&run_root, &dir, &summary)?,
            };
            println!("{path}");
        }
        ReportFormat::Junit => emit(&crate::report::junit_out::render(&summary))?,
        ReportFormat::Markdown => {
            let (diff, _) = context_of(&run_root, &summary.run_id);
            emit(&crate::report::markdown::render(&summary, diff.as_ref()))?;
        }
        ReportFormat::Github => {
            let (diff, _) = context_of(&run_root, &summary.run_id);
            let markdown = crate::report::markdown::render(&summary, diff.as_ref());
            match std::env::var("GITHUB_STEP_SUMMARY") {
                Ok(path) if !path.is_empty() => {
                    let mut f = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&path)
                        .map_err(|e| {
                            Error::io(format!("failed to open GITHUB_STEP_SUMMARY `{path}`"), e)
                        })?;
                    f.write_all(markdown.as_bytes())
                        .map_err(|e| Error::io("failed to append to GITHUB_STEP_SUMMARY", e))?;
                }
                _ => eprintln!("lab: GITHUB_STEP_SUMMARY is not set; printing annotations only"),
            }
            emit(&crate::report::markdown::annotations(&summary, &|id| {
                place_of(&registry, id)
            }))?;
        }
    }
    Ok(exit_code::SUCCESS)
}
