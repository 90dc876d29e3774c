//! `kdbench gate`: flag (task, method) pairs whose current scores are significantly worse
//! than a reference; exit status 1 on any regression or on a (task, method) of the reference
//! missing from the current scores. Nightly jobs call this.
use kd_harness::error::bad_input;
use kd_harness::metrics::{direction, pick_metric, signed_records};
use kd_stats::gate::{regression_gate, GateConfig};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `kdbench gate`.
#[derive(Debug, clap::Args)]
pub struct GateArgs {
    /// Scores of the current run (scores.csv schema; several files are pooled).
    #[arg(long, required = true, num_args = 1..)]
    pub current: Vec<PathBuf>,
    /// Reference scores to compare against.
    #[arg(long, required = true, num_args = 1..)]
    pub reference: Vec<PathBuf>,
    /// The metric (default: the only one, else best_acc).
    #[arg(long)]
    pub metric: Option<String>,
    /// Significance level for the Holm-adjusted one-sided Welch test.
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// Smallest drop of the mean (in the metric's units) that counts as a regression.
    #[arg(long, default_value_t = 0.0)]
    pub min_drop: f64,
}

/// Runs the gate and prints its report.
pub fn run(args: &GateArgs) -> anyhow::Result<ExitCode> {
    if !(0.0..1.0).contains(&args.alpha) || args.alpha == 0.0 {
        return Err(bad_input(format!(
            "--alpha {}: expected a number in (0, 1)",
            args.alpha
        )));
    }
    if args.min_drop < 0.0 {
        return Err(bad_input(format!(
            "--min-drop {}: expected >= 0",
            args.min_drop
        )));
    }
    let current = super::scores::read_all(&args.current)?;
    let reference = super::scores::read_all(&args.reference)?;
    let metric = pick_metric(&reference, args.metric.as_deref())?;
    if !current.iter().any(|r| r.metric == metric) {
        return Err(bad_input(format!(
            "--current: no scores for metric {metric}"
        )));
    }
    let sign = direction(&metric);
    let config = GateConfig {
        alpha: args.alpha,
        min_drop: args.min_drop,
    };
    let report = regression_gate(
        &signed_records(&current, &metric),
        &signed_records(&reference, &metric),
        &config,
    )
    .map_err(|e| bad_input(e.to_string()))?;
    println!(
        "kdbench gate: metric {metric} ({}), one-sided Welch, Holm within each task, alpha {}, min drop {}",
        if sign > 0.0 { "higher is better" } else { "lower is better" },
        args.alpha,
        args.min_drop
    );
    let header = [
        "task", "method", "n_ref", "n_cur", "mean_ref", "mean_cur", "worse_by", "p_holm", "verdict",
    ];
    let rows: Vec<Vec<String>> = report
        .rows
        .iter()
        .map(|r| {
            vec![
                r.task.clone(),
                r.method.clone(),
                r.n_ref.to_string(),
                r.n_cur.to_string(),
                format!("{:.4}", sign * r.mean_ref),
                format!("{:.4}", sign * r.mean_cur),
                format!("{:+.4}", r.drop),
                if r.p_holm.is_nan() {
                    "nan".into()
                } else if r.p_holm < 1e-4 {
                    format!("{:.1e}", r.p_holm)
                } else {
                    format!("{:.4}", r.p_holm)
                },
                if r.regression {
                    "REGRESSION".into()
                } else {
                    "ok".into()
                },
            ]
        })
        .collect();
    print!(
        "{}",
        super::compare::render(&header, &rows, super::compare::Format::Table)
    );
    for (task, method) in &report.only_reference {
        println!("missing: {task}/{method} is in the reference but not in the current scores");
    }
    for (task, method) in &report.only_current {
        println!("new: {task}/{method} has no reference scores (not gated)");
    }
    for w in &report.warnings {
        eprintln!("kdbench gate: warning: {w}");
    }
    let regressions = report.rows.iter().filter(|r| r.regression).count();
    let missing = report.only_reference.len();
    if regressions > 0 || missing > 0 {
        // A task or method that vanished (no data, every run failed or skipped) must not
        // pass a nightly gate silently.
        if missing == 0 {
            println!("kdbench gate: {regressions} regression(s) found");
        } else {
            println!(
                "kdbench gate: {regressions} regression(s) found, {missing} reference pair(s) missing"
            );
        }
        Ok(ExitCode::from(1))
    } else {
        println!(
            "kdbench gate: no regression in {} pair(s)",
            report.rows.len()
        );
        Ok(ExitCode::SUCCESS)
    }
}
