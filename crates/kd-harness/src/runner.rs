//! Executes the cells of a run matrix: in parallel jobs, with progress on stderr, recording
//! every outcome in the results store; a failing or diverging run never stops the suite.
use crate::error::bad_input;
use crate::isolate::{run_in_child, CellRequest};
use crate::matrix::Cell;
use crate::queue::RunQueue;
use crate::registry::Registry;
use crate::store::{CurveRow, ResultsStore, RunRecord, ScoreRow};
use crate::task::{MethodDef, RunContext, RunOutcome, RunStatus, Task};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

/// How often a run without a terminal prints its progress as a line.
const PROGRESS_LINE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// How to run the cells.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Runs at once.
    pub jobs: usize,
    /// `cpu`, `cuda` or `cuda:N`.
    pub device: String,
    /// Where fetched data sets live.
    pub data_dir: PathBuf,
    /// Shared artefacts (trained teachers).
    pub cache_dir: PathBuf,
    /// Cores to divide between the jobs.
    pub cores: usize,
    /// Revision of the kdbench checkout, recorded in `runs.csv`.
    pub git_rev: String,
    /// Run each cell in a child process of this executable (see [`crate::isolate`]); `None`
    /// runs cells in this process (reproducible only with one job).
    pub isolate: Option<PathBuf>,
}

/// Counts of what happened.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunSummary {
    /// Cells already finished (`--resume`), not run again.
    pub reused: usize,
    /// Runs by status.
    pub ok: usize,
    /// Runs that diverged.
    pub diverged: usize,
    /// Runs that failed.
    pub failed: usize,
    /// Runs that were skipped.
    pub skipped: usize,
}

/// The revision of the git checkout in the current folder (`unknown` outside one).
pub fn git_rev() -> String {
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match run(&["rev-parse", "--short=10", "HEAD"]) {
        Some(rev) if !rev.is_empty() => {
            let dirty = run(&["status", "--porcelain", "--untracked-files=no"])
                .map(|s| !s.is_empty())
                .unwrap_or(false);
            if dirty {
                format!("{rev}-dirty")
            } else {
                rev
            }
        }
        _ => "unknown".to_string(),
    }
}

/// Splits the cells into those still to run and the number already finished, refusing a
/// results folder whose finished runs used another config for the same cell.
pub fn pending_cells<'a>(
    cells: &'a [Cell],
    existing: &[RunRecord],
) -> anyhow::Result<(Vec<&'a Cell>, usize)> {
    let mut done: BTreeMap<(&str, &str, u64), &str> = BTreeMap::new();
    for run in existing.iter().filter(|r| r.status == "ok") {
        done.insert((&run.task, &run.method, run.seed), &run.config_hash);
    }
    let mut pending = Vec::new();
    let mut reused = 0;
    for cell in cells {
        match done.get(&(cell.task.as_str(), cell.method.name.as_str(), cell.seed)) {
            Some(hash) if *hash == cell.config_hash => reused += 1,
            Some(hash) => {
                return Err(bad_input(format!(
                    "the results folder has run {}/{}/seed {} with config {hash}, but the config is now {}: \
                     results of two configs would mix; use another --out (see config/ for the old config)",
                    cell.task, cell.method.name, cell.seed, cell.config_hash
                )))
            }
            None => pending.push(cell),
        }
    }
    Ok((pending, reused))
}

/// Runs `cells` (skipping those finished in `existing`) and records each outcome.
pub fn run_cells(
    cells: &[Cell],
    registry: &Registry,
    store: &ResultsStore,
    existing: &[RunRecord],
    options: &RunOptions,
) -> anyhow::Result<RunSummary> {
    let (pending, reused) = pending_cells(cells, existing)?;
    let mut summary = RunSummary {
        reused,
        ..Default::default()
    };
    if pending.is_empty() {
        return Ok(summary);
    }
    let jobs = options.jobs.clamp(1, pending.len());
    let threads = (options.cores / jobs).max(1);
    let bar = ProgressBar::new(pending.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} runs  {wide_msg}")
            .expect("static template")
            .progress_chars("=> "),
    );
    // Workers take cells in matrix order, so the runs that others depend on (teachers) start
    // first, except that a run that would only wait for a shared training under way goes
    // after those that can start; no worker idles while cells remain.
    let shares = pending
        .iter()
        .map(|cell| {
            registry.task(&cell.task).map_or_else(Vec::new, |task| {
                task.shared_trainings(&cell.config, &cell.method, cell.seed)
                    .into_iter()
                    .map(|name| format!("{}: {name}", cell.task))
                    .collect()
            })
        })
        .collect();
    let queue = std::sync::Mutex::new(RunQueue::new(shares));
    // A store error (disk full) stops every worker from starting another run.
    let stopped = std::sync::atomic::AtomicBool::new(false);
    let results: Vec<anyhow::Result<RunStatus>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        if stopped.load(std::sync::atomic::Ordering::SeqCst) {
                            break;
                        }
                        let Some(i) = queue.lock().expect("queue lock").take() else {
                            break;
                        };
                        let cell = &pending[i];
                        let status = run_one(cell, registry, store, options, threads, &bar);
                        queue.lock().expect("queue lock").finish(i);
                        bar.inc(1);
                        let stop = status.is_err();
                        mine.push(status);
                        if stop {
                            stopped.store(true, std::sync::atomic::Ordering::SeqCst);
                            break;
                        }
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a worker thread panicked outside a run"))
            .collect()
    });
    bar.finish_and_clear();
    for result in results {
        match result? {
            RunStatus::Ok => summary.ok += 1,
            RunStatus::Diverged => summary.diverged += 1,
            RunStatus::Failed => summary.failed += 1,
            RunStatus::Skipped => summary.skipped += 1,
        }
    }
    Ok(summary)
}

fn run_one(
    cell: &Cell,
    registry: &Registry,
    store: &ResultsStore,
    options: &RunOptions,
    threads: usize,
    bar: &ProgressBar,
) -> anyhow::Result<RunStatus> {
    let task = registry
        .task(&cell.task)
        .ok_or_else(|| anyhow::anyhow!("task '{}' vanished from the registry", cell.task))?;
    let label = format!("{} {} seed {}", cell.task, cell.method.name, cell.seed);
    // Without a terminal (a batch job's log) the bar is hidden: progress goes to stderr as
    // lines instead, at most one a minute per run.
    let last_line = std::sync::Mutex::new(Instant::now());
    let progress = |message: &str| {
        let message = format!("{label}: {message}");
        if bar.is_hidden() {
            let mut last = last_line.lock().expect("progress lock");
            if last.elapsed() >= PROGRESS_LINE_EVERY {
                *last = Instant::now();
                eprintln!("{message}");
            }
        }
        bar.set_message(message);
    };
    let artifact_dir = store.dir().join("artifacts").join(cell.run_id());
    let ctx = RunContext {
        seed: cell.seed,
        device: options.device.clone(),
        threads,
        data_dir: options.data_dir.clone(),
        cache_dir: options.cache_dir.clone(),
        artifact_dir: artifact_dir.clone(),
        progress: &progress,
    };
    let started_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let clock = Instant::now();
    progress("starting");
    let outcome = match &options.isolate {
        None => run_guarded(task.as_ref(), &cell.config, &cell.method, &ctx),
        Some(exe) => {
            let request = CellRequest {
                task: cell.task.clone(),
                config: cell.config.clone(),
                method: cell.method.clone(),
                seed: cell.seed,
                device: options.device.clone(),
                threads,
                data_dir: options.data_dir.clone(),
                cache_dir: options.cache_dir.clone(),
                artifact_dir: artifact_dir.clone(),
            };
            run_in_child(exe, &request, &progress).unwrap_or_else(|e| failed(format!("{e:#}")))
        }
    };
    let outcome = non_finite_scores_diverge(outcome);
    let seconds = clock.elapsed().as_secs_f64();
    let record = RunRecord {
        run_id: cell.run_id(),
        suite: cell.suite.clone(),
        task: cell.task.clone(),
        method: cell.method.name.clone(),
        seed: cell.seed,
        status: outcome.status.as_str().to_string(),
        config_hash: cell.config_hash.clone(),
        device: options.device.clone(),
        seconds,
        started_at,
        git_rev: options.git_rev.clone(),
        params_student: outcome.params_student,
        params_teacher: outcome.params_teacher,
        message: outcome.message.replace('\n', " "),
    };
    let scores: Vec<ScoreRow> = if outcome.status == RunStatus::Ok {
        outcome
            .scores
            .iter()
            .map(|(metric, value)| ScoreRow {
                suite: cell.suite.clone(),
                task: cell.task.clone(),
                method: cell.method.name.clone(),
                seed: cell.seed,
                metric: metric.clone(),
                value: *value,
            })
            .collect()
    } else {
        vec![]
    };
    let curves: Vec<CurveRow> = outcome
        .curves
        .iter()
        .map(|c| CurveRow {
            suite: cell.suite.clone(),
            task: cell.task.clone(),
            method: cell.method.name.clone(),
            seed: cell.seed,
            step: c.step,
            split: c.split.clone(),
            metric: c.metric.clone(),
            value: c.value,
        })
        .collect();
    let mut config_text = format!(
        "# kdbench run {}\n# suite {}, task {}, method {}, seed {}\n\n",
        record.run_id, cell.suite, cell.task, cell.method.name, cell.seed
    );
    config_text.push_str(&run_config_toml(&cell.config, &cell.method));
    store.write_config(&record.run_id, &config_text)?;
    store.append_run(&record, &scores, &curves)?;
    let headline = outcome
        .scores
        .first()
        .map(|(m, v)| format!(" {m}={v:.4}"))
        .unwrap_or_default();
    let line = format!(
        "{label}: {}{headline} ({seconds:.1}s){}",
        record.status,
        if record.message.is_empty() || outcome.status == RunStatus::Ok {
            String::new()
        } else {
            format!(" - {}", record.message)
        }
    );
    if bar.is_hidden() {
        eprintln!("{line}");
    } else {
        bar.println(line);
    }
    Ok(outcome.status)
}

/// Runs a task, turning an error or a panic into a `failed` outcome with its text.
pub(crate) fn run_guarded(
    task: &dyn Task,
    config: &toml::Table,
    method: &MethodDef,
    ctx: &RunContext,
) -> RunOutcome {
    match catch_unwind(AssertUnwindSafe(|| task.run(config, method, ctx))) {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(error)) => failed(format!("{error:#}")),
        Err(panic) => {
            let text = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            failed(format!("panic: {text}"))
        }
    }
}

fn failed(message: String) -> RunOutcome {
    RunOutcome {
        status: RunStatus::Failed,
        message,
        ..RunOutcome::skipped("")
    }
}
/// The TOML of `config/<run_id>.toml`: the task's resolved config, then the method's full
/// definition under `[method.NAME]`; it parses back into both.
fn run_config_toml(config: &toml::Table, method: &MethodDef) -> String {
    let mut doc = config.clone();
    let mut methods = toml::Table::new();
    methods.insert(
        method.name.clone(),
        toml::Value::Table(method.table.clone()),
    );
    doc.insert("method".into(), toml::Value::Table(methods));
    toml::to_string(&doc).unwrap_or_default()
}

/// A run that ended `ok` but reports a NaN or infinite score is recorded as `diverged`
/// (its scores would poison every statistic), naming the score.
fn non_finite_scores_diverge(mut outcome: RunOutcome) -> RunOutcome {
    if outcome.status == RunStatus::Ok {
        if let Some((metric, value)) = outcome.scores.iter().find(|(_, v)| !v.is_finite()) {
            outcome.message = format!("score {metric} is {value}; {}", outcome.message);
            outcome.status = RunStatus::Diverged;
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_config_parses_back_into_the_task_config_and_the_method() {
        let config: toml::Table =
            toml::from_str("epochs = 3\nteacher = { layers = 6, init = 'pretrained' }").unwrap();
        let method = MethodDef {
            name: "ctcd:small".into(),
            description: String::new(),
            table: toml::from_str("regime = 'co_train'\nlosses.ce = { weight = 1.0 }\nlosses.kd = { weight = 0.5, temperature = 2.0 }").unwrap(),
        };
        let mut back: toml::Table = toml::from_str(&run_config_toml(&config, &method)).unwrap();
        let methods = back.remove("method").unwrap();
        assert_eq!(back, config);
        assert_eq!(methods["ctcd:small"].as_table().unwrap(), &method.table);
    }

    #[test]
    fn a_nan_score_makes_the_run_diverged() {
        let outcome = RunOutcome {
            status: RunStatus::Ok,
            scores: vec![("acc".into(), 0.5), ("loss".into(), f64::NAN)],
            curves: vec![],
            params_student: None,
            params_teacher: None,
            message: String::new(),
        };
        let checked = non_finite_scores_diverge(outcome.clone());
        assert_eq!(checked.status, RunStatus::Diverged);
        assert!(checked.message.contains("loss"), "{}", checked.message);
        let fine = RunOutcome {
            scores: vec![("acc".into(), 0.5)],
            ..outcome
        };
        assert_eq!(non_finite_scores_diverge(fine.clone()), fine);
    }
}
