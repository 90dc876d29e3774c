//! `kdbench run`: resolve a suite into its run matrix, run what is not done yet, and write
//! and print the leaderboard.
use kd_harness::config::Override;
use kd_harness::error::bad_input;
use kd_harness::matrix::{build_matrix, parse_shard, MatrixOptions};
use kd_harness::registry::Registry;
use kd_harness::runner::{git_rev, run_cells, RunOptions};
use kd_harness::store::ResultsStore;
use kd_harness::suite::{parse_seeds, Suite};
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

/// The matrix selection of the `run` options `--seeds`, `--tasks`, `--methods`, `--set` and
/// `--shard`; bad values are bad input naming the option.
pub fn matrix_options(
    seeds: Option<&str>,
    tasks: &Option<Vec<String>>,
    methods: &Option<Vec<String>>,
    set: &[String],
    shard: Option<&str>,
) -> anyhow::Result<MatrixOptions> {
    Ok(MatrixOptions {
        seeds: seeds
            .map(parse_seeds)
            .transpose()
            .map_err(|e| bad_input(format!("--seeds: {e}")))?,
        tasks: tasks.clone(),
        methods: methods.clone(),
        overrides: set
            .iter()
            .map(|s| Override::parse(s))
            .collect::<Result<_, _>>()
            .map_err(bad_input)?,
        shard: shard.map(parse_shard).transpose().map_err(bad_input)?,
    })
}

/// Runs the suite; exit status 1 when any run failed.
pub fn run(registry: &Registry, args: &RunArgs) -> anyhow::Result<ExitCode> {
    let suite = Suite::load(
        &args.suite,
        &|n| registry.suite_text(n),
        &registry.suite_names(),
    )?;
    let options = matrix_options(
        args.seeds.as_deref(),
        &args.tasks,
        &args.methods,
        &args.set,
        args.shard.as_deref(),
    )?;
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
        data_dir: kd_harness::data::data_dir(args.data_dir.clone()),
        cache_dir: out.join("cache"),
        cores: args.threads.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        }),
        git_rev: git_rev(),
        isolate: Some(std::env::current_exe()?),
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
    let metric_of = |task: &str| super::report::metric_for(registry, suite.metric.as_deref(), task);
    let wanted: BTreeSet<(&str, &str, u64)> = cells
        .iter()
        .map(|c| (c.task.as_str(), c.method.name.as_str(), c.seed))
        .collect();
    let baselines: BTreeMap<&str, &str> = cells
        .iter()
        .map(|c| (c.task.as_str(), c.baseline.as_str()))
        .collect();
    let markdown = super::report::write_reports(
        &store,
        &|task, method, seed| wanted.contains(&(task, method, seed)),
        &|task| {
            baselines
                .get(task)
                .copied()
                .unwrap_or("student")
                .to_string()
        },
        &metric_of,
    )?;
    println!("{markdown}");
    Ok(if summary.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
