//! `kdbench merge OUT_DIR SHARD_DIR...`: join the results folders of shards into one, with
//! its leaderboard and figures.
use kd_harness::error::bad_input;
use kd_harness::merge::merge_into;
use kd_harness::registry::Registry;
use kd_harness::store::ResultsStore;
use kd_harness::suite::Suite;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Arguments of `kdbench merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The merged results folder (must not hold runs yet).
    pub out: PathBuf,
    /// The shards' results folders.
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// The method the leaderboard compares against (for tasks `--suite` does not name).
    #[arg(long, default_value = "student")]
    pub baseline: String,
    /// The leaderboard's metric [default: the suite's, else each task's main metric, e.g. `best_acc`].
    #[arg(long)]
    pub metric: Option<String>,
    /// The suite the shards ran (name or file): each task is compared against its suite's
    /// baseline and the suite's metric is used, as `run` does.
    #[arg(long)]
    pub suite: Option<String>,
}

/// Merges and writes the reports.
pub fn run(args: &MergeArgs, registry: &Registry) -> anyhow::Result<()> {
    if args.shards.iter().any(|s| s == &args.out) {
        return Err(bad_input("merge: the output folder cannot also be a shard"));
    }
    let mut baselines = BTreeMap::new();
    let mut metric = args.metric.clone();
    if let Some(name) = &args.suite {
        let suite = Suite::load(name, &|n| registry.suite_text(n), &registry.suite_names())?;
        for group in &suite.groups {
            for task in &group.tasks {
                baselines
                    .entry(task.clone())
                    .or_insert_with(|| group.baseline.clone());
            }
        }
        metric = metric.or(suite.metric);
    }
    let (store, _) = ResultsStore::open(&args.out, false)?;
    let summary = merge_into(&store, &args.shards)?;
    eprintln!(
        "kdbench merge: {} runs from {} shards into {}{}",
        summary.runs,
        args.shards.len(),
        args.out.display(),
        if summary.duplicates > 0 {
            format!(" ({} duplicate runs skipped)", summary.duplicates)
        } else {
            String::new()
        }
    );
    let metric_of = |task: &str| super::report::metric_for(registry, metric.as_deref(), task);
    let markdown = super::report::write_reports(
        &store,
        &|_, _, _| true,
        &|task| {
            baselines
                .get(task)
                .cloned()
                .unwrap_or_else(|| args.baseline.clone())
        },
        &metric_of,
    )?;
    println!("{markdown}");
    Ok(())
}
