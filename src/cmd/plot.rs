//! `kdbench plot`: rliable-style figures (SVG and PNG) from scores and learning curves.
use kd_harness::plot::{default_metrics, plot_figures};
use kd_harness::store::read_curves;
use std::path::PathBuf;

/// Arguments of `kdbench plot`.
#[derive(Debug, clap::Args)]
pub struct PlotArgs {
    /// Scores files in the scores.csv schema (several are pooled).
    #[arg(long, required = true, num_args = 1..)]
    pub scores: Vec<PathBuf>,
    /// Learning curves [default: curves.csv beside the first scores file, if present].
    #[arg(long)]
    pub curves: Option<PathBuf>,
    /// The method probabilities of improvement are measured against.
    #[arg(long, default_value = "student")]
    pub baseline: String,
    /// Metrics to plot (comma-separated) [default: those ending in acc, else every score metric].
    #[arg(long, value_delimiter = ',')]
    pub metrics: Option<Vec<String>>,
    /// Folder for the figures.
    #[arg(long)]
    pub out: PathBuf,
}

/// Writes the figures and lists them on stdout.
pub fn run(args: &PlotArgs) -> anyhow::Result<()> {
    let scores = super::scores::read_all(&args.scores)?;
    let curves_path = args.curves.clone().or_else(|| {
        args.scores[0]
            .parent()
            .map(|dir| dir.join("curves.csv"))
            .filter(|p| p.is_file())
    });
    let curves = match &curves_path {
        Some(path) => read_curves(path)?,
        None => vec![],
    };
    let metrics = match &args.metrics {
        Some(m) => {
            let present = kd_harness::metrics::metrics_of(&scores);
            if let Some(missing) = m.iter().find(|m| !present.contains(*m)) {
                return Err(kd_harness::error::bad_input(format!(
                    "--metrics: no score has metric {missing} (present: {})",
                    present.into_iter().collect::<Vec<_>>().join(", ")
                )));
            }
            m.clone()
        }
        None => default_metrics(&scores),
    };
    let report = plot_figures(&scores, &curves, &args.baseline, &metrics, &args.out)?;
    for note in &report.notes {
        eprintln!("kdbench plot: note: {note}");
    }
    for file in &report.files {
        println!("{}", file.display());
    }
    Ok(())
}
