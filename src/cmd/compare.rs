//! `kdbench compare`: every method against a baseline, per task (and across tasks).
use kd_harness::error::bad_input;
use kd_harness::metrics::{direction, pick_metric, signed_records};
use kd_harness::store::ScoreRow;
use kd_stats::compare::{compare, AggregateRow, CompareOptions, CompareRow};
use kd_stats::error::StatsError;
use std::path::PathBuf;

/// Output formats of tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header (numbers round-trip exact).
    Csv,
    /// Aligned columns for a terminal.
    Table,
    /// A Markdown table.
    Md,
}

/// Arguments of `kdbench compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Scores files in the scores.csv schema (several may be given: their runs are pooled).
    #[arg(long, required = true, num_args = 1..)]
    pub scores: Vec<PathBuf>,
    /// The method every other method is compared against.
    #[arg(long)]
    pub baseline: String,
    /// The metric (default: the only one, else best_acc).
    #[arg(long)]
    pub metric: Option<String>,
    /// Only these tasks (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub tasks: Option<Vec<String>>,
    /// Only these methods (comma-separated; the baseline is always kept).
    #[arg(long, value_delimiter = ',')]
    pub methods: Option<Vec<String>>,
    /// Print the across-task (rliable-style) table instead.
    #[arg(long)]
    pub aggregate: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Significance level marked in table and md output (Holm-adjusted Welch p).
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// Bootstrap replicates for the IQM confidence interval (--aggregate).
    #[arg(long, default_value_t = kd_stats::DEFAULT_BOOTSTRAP_REPS)]
    pub bootstrap_reps: usize,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 0)]
    pub bootstrap_seed: u64,
}

/// Renders rows of cells with a header in the chosen format.
pub fn render(header: &[&str], rows: &[Vec<String>], format: Format) -> String {
    match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(header).expect("memory");
            for r in rows {
                w.write_record(r).expect("memory");
            }
            String::from_utf8(w.into_inner().expect("memory")).expect("utf-8")
        }
        Format::Md => {
            let mut out = format!(
                "| {} |\n|{}|\n",
                header.join(" | "),
                vec!["---"; header.len()].join("|")
            );
            for r in rows {
                out.push_str(&format!("| {} |\n", r.join(" | ")));
            }
            out
        }
        Format::Table => {
            let widths: Vec<usize> = (0..header.len())
                .map(|i| {
                    rows.iter()
                        .map(|r| r[i].len())
                        .chain([header[i].len()])
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let line = |cells: Vec<&str>| {
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_string()
                    + "\n"
            };
            let mut out = line(header.to_vec());
            for r in rows {
                out.push_str(&line(r.iter().map(String::as_str).collect()));
            }
            out
        }
    }
}

/// Short numbers for human formats.
fn short(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x != 0.0 && x.abs() < 1e-3 {
        format!("{x:.2e}")
    } else {
        format!("{x:.4}")
    }
}

/// Runs the comparison and prints it.
pub fn run(args: &CompareArgs) -> anyhow::Result<()> {
    let mut rows = super::scores::read_all(&args.scores)?;
    if let Some(tasks) = &args.tasks {
        keep_only(&mut rows, "--tasks", tasks, |r| &r.task, None)?;
    }
    if let Some(methods) = &args.methods {
        keep_only(
            &mut rows,
            "--methods",
            methods,
            |r| &r.method,
            Some(&args.baseline),
        )?;
    }
    let metric = pick_metric(&rows, args.metric.as_deref())?;
    if !rows
        .iter()
        .any(|r| r.metric == metric && r.method == args.baseline)
    {
        let methods: std::collections::BTreeSet<&str> = rows
            .iter()
            .filter(|r| r.metric == metric)
            .map(|r| r.method.as_str())
            .collect();
        return Err(bad_input(format!(
            "--baseline {}: no scores of this method for metric {metric} (methods: {})",
            args.baseline,
            methods.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    let sign = direction(&metric);
    let records = signed_records(&rows, &metric);
    let options = CompareOptions {
        aggregate: args.aggregate,
        bootstrap_reps: args.bootstrap_reps,
        bootstrap_seed: args.bootstrap_seed,
        ..Default::default()
    };
    let mut report = compare(&records, &args.baseline, &metric, &options).map_err(|e| match e {
        StatsError::BaselineMissingInTask { .. } => {
            bad_input(format!("{e} (leave the task out with --tasks)"))
        }
        e => bad_input(e.to_string()),
    })?;
    if sign < 0.0 {
        // Lower is better: the statistics ran on negated values; report in the metric's units.
        for r in &mut report.rows {
            (r.mean, r.baseline_mean, r.diff) = (-r.mean, -r.baseline_mean, -r.diff);
            (r.ci95_low, r.ci95_high) = (-r.ci95_high, -r.ci95_low);
            (r.welch_t, r.hedges_g) = (-r.welch_t, -r.hedges_g);
        }
        for a in &mut report.aggregates {
            (a.iqm, a.mean, a.median) = (-a.iqm, -a.mean, -a.median);
            (a.iqm_ci95_low, a.iqm_ci95_high) = (-a.iqm_ci95_high, -a.iqm_ci95_low);
            a.optimality_gap = f64::NAN;
        }
        eprintln!(
            "kdbench: {metric} is lower-is-better: mwu_u and prob_improvement count runs that are better (lower); optimality_gap does not apply"
        );
    }
    for w in &report.warnings {
        eprintln!("kdbench: warning: {w}");
    }
    let text = if args.aggregate {
        let cells: Vec<Vec<String>> = report
            .aggregates
            .iter()
            .map(|r| agg_cells(r, args.format))
            .collect();
        render(&AggregateRow::HEADER, &cells, args.format)
    } else {
        report
            .rows
            .sort_by(|a, b| (&a.task, &a.method).cmp(&(&b.task, &b.method)));
        let mut header: Vec<&str> = CompareRow::HEADER.to_vec();
        if args.format != Format::Csv {
            header.push("significant");
        }
        let cells: Vec<Vec<String>> = report
            .rows
            .iter()
            .map(|r| {
                let mut cells = if args.format == Format::Csv {
                    r.to_strings()
                } else {
                    r.to_strings()
                        .into_iter()
                        .enumerate()
                        .map(|(i, c)| {
                            if i >= 5 && i != 9 {
                                c.parse::<f64>().map(short).unwrap_or(c)
                            } else {
                                c
                            }
                        })
                        .collect()
                };
                if args.format != Format::Csv {
                    cells.push(if r.holm_p < args.alpha {
                        "yes".into()
                    } else {
                        "no".into()
                    });
                }
                cells
            })
            .collect();
        render(&header, &cells, args.format)
    };
    print!("{text}");
    Ok(())
}

/// Keeps the rows whose `field` is one of `names` (and `always`); a name no row has is an
/// error listing the names there are.
fn keep_only(
    rows: &mut Vec<ScoreRow>,
    flag: &str,
    names: &[String],
    field: impl Fn(&ScoreRow) -> &String,
    always: Option<&str>,
) -> anyhow::Result<()> {
    let present: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| field(r).as_str()).collect();
    if let Some(unknown) = names.iter().find(|n| !present.contains(n.as_str())) {
        return Err(bad_input(format!(
            "{flag} {unknown}: not in the scores (there are: {})",
            present.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    rows.retain(|r| {
        let name = field(r);
        names.contains(name) || always == Some(name.as_str())
    });
    Ok(())
}

fn agg_cells(row: &AggregateRow, format: Format) -> Vec<String> {
    let cells = row.to_strings();
    if format == Format::Csv {
        cells
    } else {
        cells
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                if i >= 3 {
                    c.parse::<f64>().map(short).unwrap_or(c)
                } else {
                    c
                }
            })
            .collect()
    }
}
