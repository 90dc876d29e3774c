//! `kdbench gate`: flag (task, method) pairs whose current scores are significantly worse
//! than a reference; exit status 1 on any regression or on a (task, method) of the reference
//! missing from the current scores. Nightly jobs call this.
use kd_harness::error::bad_input;
use kd_harness::metrics::{direction, pick_metric, signed_records};
use kd_harness::registry::Registry;
use kd_harness::store::ScoreRow;
use kd_stats::gate::{regression_gate, GateConfig, GateReport};
use kd_stats::ScoreRecord;
use std::collections::{BTreeMap, BTreeSet};
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
    /// The metric (default: the only one, else best_acc); `main` gates each task on its
    /// own main metric (`best_acc`, CoLA's `best_mcc`, RL's `final_return`, ...).
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
pub fn run(args: &GateArgs, registry: &Registry) -> anyhow::Result<ExitCode> {
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
    // The metrics gated, each with the tasks gated on it (all tasks for one chosen metric).
    let per_task = args.metric.as_deref() == Some("main");
    let groups: Vec<(String, Option<BTreeSet<String>>)> = if per_task {
        let mut by_metric: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for row in reference.iter().chain(&current) {
            by_metric
                .entry(super::report::metric_for(registry, None, &row.task))
                .or_default()
                .insert(row.task.clone());
        }
        by_metric.into_iter().map(|(m, t)| (m, Some(t))).collect()
    } else {
        let metric = pick_metric(&reference, args.metric.as_deref())?;
        if !current.iter().any(|r| r.metric == metric) {
            return Err(bad_input(format!(
                "--current: no scores for metric {metric}"
            )));
        }
        vec![(metric, None)]
    };
    let config = GateConfig {
        alpha: args.alpha,
        min_drop: args.min_drop,
    };
    let mut report = GateReport::default();
    let mut signs = BTreeMap::new();
    for (metric, tasks) in &groups {
        let keep = |rows: &[ScoreRow]| -> Vec<ScoreRow> {
            rows.iter()
                .filter(|r| tasks.as_ref().is_none_or(|t| t.contains(&r.task)))
                .cloned()
                .collect()
        };
        let (cur, refs) = (
            signed_records(&keep(&current), metric),
            signed_records(&keep(&reference), metric),
        );
        let pairs = |records: &[ScoreRecord]| -> Vec<(String, String)> {
            let set: BTreeSet<_> = records
                .iter()
                .map(|r| (r.task.clone(), r.method.clone()))
                .collect();
            set.into_iter().collect()
        };
        // With --metric main, a metric can have scores on one side only (its tasks vanished,
        // or are new): then every pair of it is missing or new.
        let part = if cur.is_empty() || refs.is_empty() {
            GateReport {
                only_reference: if cur.is_empty() { pairs(&refs) } else { vec![] },
                only_current: if refs.is_empty() { pairs(&cur) } else { vec![] },
                ..GateReport::default()
            }
        } else {
            regression_gate(&cur, &refs, &config).map_err(|e| bad_input(e.to_string()))?
        };
        for row in &part.rows {
            signs.insert(row.task.clone(), (metric.clone(), direction(metric)));
        }
        report.rows.extend(part.rows);
        report.only_current.extend(part.only_current);
        report.only_reference.extend(part.only_reference);
        report.warnings.extend(part.warnings);
    }
    if report.rows.is_empty() && report.only_reference.is_empty() {
        return Err(bad_input(
            "the reference and current scores have no (task, method) to gate",
        ));
    }
    if per_task {
        println!(
            "kdbench gate: each task's main metric ({}), one-sided Welch, Holm within each task, alpha {}, min drop {}",
            groups
                .iter()
                .map(|(m, _)| m.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            args.alpha,
            args.min_drop
        );
    } else {
        let (metric, _) = &groups[0];
        println!(
            "kdbench gate: metric {metric} ({}), one-sided Welch, Holm within each task, alpha {}, min drop {}",
            if direction(metric) > 0.0 { "higher is better" } else { "lower is better" },
            args.alpha,
            args.min_drop
        );
    }
    let mut header = vec![
        "task", "method", "n_ref", "n_cur", "mean_ref", "mean_cur", "worse_by", "p_holm", "verdict",
    ];
    if per_task {
        header.insert(1, "metric");
    }
    let rows: Vec<Vec<String>> = report
        .rows
        .iter()
        .map(|r| {
            let (metric, sign) = &signs[&r.task];
            let sign = *sign;
            let mut row = vec![
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
            ];
            if per_task {
                row.insert(1, metric.clone());
            }
            row
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
