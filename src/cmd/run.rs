//! `kdbench run`: resolve a suite into its run matrix, run what is not done yet, and write
//! and print the leaderboard.
use kd_harness::config::Override;
use kd_harness::error::bad_input;
use kd_harness::matrix::{build_matrix, parse_shard, MatrixOptions};
use kd_harness::registry::Registry;
use kd_harness::runner::{git_rev, run_cells, RunOptions};
use kd_harness::store::{read_scores, write_atomic, ResultsStore};
use kd_harness::suite::{parse_seeds, Suite};
use kd_harness::{leaderboard, plot};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `kdbench run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// A built-in suite name (see `kdbench list suites`) or a path to a suite TOML file.
    #[arg(long)]
    pub suite: String,
    /// Seeds to run instead of the suite's: a range `0..5` (end excluded) or a list `0,3,7`.
    #[arg(long)]
    pub seeds: Option<String>,
    /// Only these tasks (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub tasks: Option<Vec<String>>,
    /// Only these methods (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub methods: Option<Vec<String>>,
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Runs at once; the cores are divided between them.
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// Cores to use in all (divided between the jobs) [default: every available core].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Results folder [default: results/<suite>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue a results folder: runs already `ok` with the same config are not redone.
    #[arg(long)]
    pub resume: bool,
    /// Run only shard I of N (0-based), for clusters: every Nth cell starting at I.
    #[arg(long)]
    pub shard: Option<String>,
    /// Override a config key: `epochs=2`, `task.NAME.lr=0.01`, `method.kd.losses.kd.temperature=8`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Where fetched data sets live [default: $KDBENCH_DATA or ~/.cache/kdbench/data].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

/// Runs the suite; exit status 1 when any run failed.
pub fn run(registry: &Registry, args: &RunArgs) -> anyhow::Result<ExitCode> {
    let suite = Suite::load(
        &args.suite,
        &|n| registry.suite_text(n),
        &registry.suite_names(),
    )?;
    let options = MatrixOptions {
        seeds: args
            .seeds
            .as_deref()
            .map(parse_seeds)
            .transpose()
            .map_err(|e| bad_input(format!("--seeds: {e}")))?,
        tasks: args.tasks.clone(),
        methods: args.methods.clone(),
        overrides: args
            .set
            .iter()
            .map(|s| Override::parse(s))
            .collect::<Result<_, _>>()
            .map_err(bad_input)?,
        shard: args
            .shard
            .as_deref()
            .map(parse_shard)
            .transpose()
            .map_err(bad_input)?,
    };
    if args.jobs == 0 {
        return Err(bad_input("--jobs: expected at least 1"));
    }
    if args.threads == Some(0) {
        return Err(bad_input("--threads: expected at least 1"));
    }
    kd_core::device::parse_device(&args.device).map_err(|e| bad_input(format!("--device: {e}")))?;
    let cells = build_matrix(&suite, registry, &options)?;
    if cells.is_empty() {
        return Err(bad_input(
            "the selection leaves no run to do (check --tasks, --methods, --shard)",
        ));
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(&suite.name));
    let (store, existing) = ResultsStore::open(&out, args.resume)?;
    let run_options = RunOptions {
        jobs: args.jobs,
        device: args.device.clone(),
        data_dir: crate::data_dir(args.data_dir.clone()),
        cache_dir: out.join("cache"),
        cores: args.threads.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        }),
        git_rev: git_rev(),
    };
    eprintln!(
        "kdbench: suite '{}': {} runs ({} tasks), results in {}",
        suite.name,
        cells.len(),
        cells
            .iter()
            .map(|c| &c.task)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        out.display()
    );
    let summary = run_cells(&cells, registry, &store, &existing, &run_options)?;
    eprintln!(
        "kdbench: {} ok, {} diverged, {} failed, {} skipped, {} already done",
        summary.ok, summary.diverged, summary.failed, summary.skipped, summary.reused
    );
    let metric_of = |task: &str| {
        suite.metric.clone().unwrap_or_else(|| {
            registry
                .task(task)
                .map(|t| t.primary_metric().to_string())
                .unwrap_or_default()
        })
    };
    let markdown = write_leaderboard(&store, &cells, &metric_of)?;
    println!("{markdown}");
    write_plots(&store, &cells);
    Ok(if summary.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Draws the figures of this run's cells into `<out>/plots/`; a plotting problem is a
/// warning, never a failed suite.
fn write_plots(store: &ResultsStore, cells: &[kd_harness::matrix::Cell]) {
    let result = (|| -> anyhow::Result<usize> {
        let wanted: BTreeSet<(&str, &str, u64)> = cells
            .iter()
            .map(|c| (c.task.as_str(), c.method.name.as_str(), c.seed))
            .collect();
        let keep = |task: &str, method: &str, seed: u64| wanted.contains(&(task, method, seed));
        let scores: Vec<_> = read_scores(&store.scores_path())?
            .into_iter()
            .filter(|r| keep(&r.task, &r.method, r.seed))
            .collect();
        let curves: Vec<_> = kd_harness::store::read_curves(&store.dir().join("curves.csv"))?
            .into_iter()
            .filter(|r| keep(&r.task, &r.method, r.seed))
            .collect();
        let baseline = cells
            .first()
            .map(|c| c.baseline.as_str())
            .unwrap_or("student");
        let report = plot::plot_figures(
            &scores,
            &curves,
            baseline,
            &plot::default_metrics(&scores),
            &store.dir().join("plots"),
        )?;
        Ok(report.files.len())
    })();
    match result {
        Ok(n) => eprintln!(
            "kdbench: {n} figures in {}",
            store.dir().join("plots").display()
        ),
        Err(e) => eprintln!("kdbench: warning: could not draw the figures: {e:#}"),
    }
}

/// Builds the leaderboard of this run's cells from `scores.csv`, writes `leaderboard.csv`
/// and `leaderboard.md`, and returns the Markdown of each task's shown metric.
fn write_leaderboard(
    store: &ResultsStore,
    cells: &[kd_harness::matrix::Cell],
    metric_of: &dyn Fn(&str) -> String,
) -> anyhow::Result<String> {
    let wanted: BTreeSet<(&str, &str, u64)> = cells
        .iter()
        .map(|c| (c.task.as_str(), c.method.name.as_str(), c.seed))
        .collect();
    let baselines: BTreeMap<&str, &str> = cells
        .iter()
        .map(|c| (c.task.as_str(), c.baseline.as_str()))
        .collect();
    let scores: Vec<_> = read_scores(&store.scores_path())?
        .into_iter()
        .filter(|r| wanted.contains(&(r.task.as_str(), r.method.as_str(), r.seed)))
        .collect();
    let board = leaderboard::build(&scores, &|task| {
        baselines
            .get(task)
            .copied()
            .unwrap_or("student")
            .to_string()
    });
    for warning in &board.warnings {
        eprintln!("kdbench: note: {warning}");
    }
    write_atomic(
        &store.dir().join("leaderboard.csv"),
        leaderboard::to_csv(&board).as_bytes(),
    )?;
    let full = leaderboard::to_markdown(&board, &|_, _| true, 0.05);
    write_atomic(
        &store.dir().join("leaderboard.md"),
        format!("# Leaderboard\n{full}").as_bytes(),
    )?;
    Ok(leaderboard::to_markdown(
        &board,
        &|task, metric| metric == metric_of(task),
        0.05,
    ))
}
