//! `kdbench leaderboard`: the leaderboard of any scores file, as CSV or Markdown.
use kd_harness::leaderboard;
use kd_harness::metrics::pick_metric;
use std::path::PathBuf;

/// Leaderboard formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BoardFormat {
    /// Every task, metric and method, with the comparison columns.
    Csv,
    /// One table per task for the chosen metric.
    Md,
}

/// Arguments of `kdbench leaderboard`.
#[derive(Debug, clap::Args)]
pub struct LeaderboardArgs {
    /// Scores files in the scores.csv schema (several are pooled).
    #[arg(long, required = true, num_args = 1..)]
    pub scores: Vec<PathBuf>,
    /// The method compared against.
    #[arg(long, default_value = "student")]
    pub baseline: String,
    /// The metric shown in Markdown (default: best_acc or the only one; CSV has all).
    #[arg(long)]
    pub metric: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "md")]
    pub format: BoardFormat,
    /// Significance level marked in Markdown.
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
}

/// Prints the leaderboard.
pub fn run(args: &LeaderboardArgs) -> anyhow::Result<()> {
    let rows = super::scores::read_all(&args.scores)?;
    let board = leaderboard::build(&rows, &|_| args.baseline.clone());
    for w in &board.warnings {
        eprintln!("kdbench: note: {w}");
    }
    match args.format {
        BoardFormat::Csv => print!("{}", leaderboard::to_csv(&board)),
        BoardFormat::Md => {
            let metric = pick_metric(&rows, args.metric.as_deref())?;
            print!(
                "{}",
                leaderboard::to_markdown(&board, &|_, m| m == metric, args.alpha)
            );
        }
    }
    Ok(())
}
