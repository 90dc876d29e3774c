//! Leaderboards: per task, metric and method, n, mean, std, 95% CI and rank, with the
//! comparison against the baseline method (Welch, Holm, Mann-Whitney, Hedges' g,
//! probability of improvement), as CSV and as Markdown.
use crate::metrics::{direction, is_descriptive, signed_records};
use crate::store::ScoreRow;
use kd_stats::aggregate::rankdata_average;
use kd_stats::compare::{compare, CompareOptions, CompareRow};
use kd_stats::descriptive::{mean, sample_std, t_ci95};
use kd_stats::py_repr;
use std::collections::{BTreeMap, BTreeSet};

/// Columns of `leaderboard.csv`.
pub const LEADERBOARD_HEADER: &[&str] = &[
    "task",
    "metric",
    "method",
    "n",
    "mean",
    "std",
    "ci95_low",
    "ci95_high",
    "rank",
    "baseline",
    "diff",
    "welch_p",
    "holm_p",
    "mwu_p",
    "hedges_g",
    "prob_improvement",
];

/// One leaderboard line: a method on a task for one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaderboardRow {
    /// Task name.
    pub task: String,
    /// Metric name.
    pub metric: String,
    /// Method name.
    pub method: String,
    /// Number of runs (seeds).
    pub n: usize,
    /// Mean over runs.
    pub mean: f64,
    /// Sample standard deviation.
    pub std: f64,
    /// Student-t 95% CI of the mean.
    pub ci95: (f64, f64),
    /// Rank among the task's methods by mean (1 = best, ties averaged; direction-aware).
    pub rank: f64,
    /// The baseline compared against.
    pub baseline: String,
    /// The comparison against the baseline (None for the baseline itself or when absent).
    pub versus: Option<Versus>,
}

/// A method against the baseline on one task and metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Versus {
    /// mean - baseline mean, in the metric's units.
    pub diff: f64,
    /// Two-sided Welch p.
    pub welch_p: f64,
    /// Holm-adjusted Welch p across the task's methods.
    pub holm_p: f64,
    /// Two-sided Mann-Whitney p.
    pub mwu_p: f64,
    /// Hedges' g, in the metric's direction (positive = larger values).
    pub hedges_g: f64,
    /// Probability that a run of the method beats a run of the baseline (direction-aware).
    pub prob_improvement: f64,
}

/// A leaderboard and the notes made while building it.
#[derive(Debug, Clone, Default)]
pub struct Leaderboard {
    /// Rows sorted by task, metric, then rank.
    pub rows: Vec<LeaderboardRow>,
    /// Degenerate cases and missing baselines.
    pub warnings: Vec<String>,
}

/// Builds the leaderboard of every score metric in `scores`; `baseline_of(task)` names the
/// baseline method of each task.
pub fn build(scores: &[ScoreRow], baseline_of: &dyn Fn(&str) -> String) -> Leaderboard {
    let mut board = Leaderboard::default();
    let pairs: BTreeSet<(String, String)> = scores
        .iter()
        .filter(|r| !is_descriptive(&r.metric))
        .map(|r| (r.task.clone(), r.metric.clone()))
        .collect();
    for (task, metric) in pairs {
        let baseline = baseline_of(&task);
        let mut values: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for r in scores
            .iter()
            .filter(|r| r.task == task && r.metric == metric)
        {
            values.entry(r.method.clone()).or_default().push(r.value);
        }
        let methods: Vec<&String> = values.keys().collect();
        let sign = direction(&metric);
        let ranks = rankdata_average(
            &methods
                .iter()
                .map(|m| -sign * mean(&values[*m]))
                .collect::<Vec<_>>(),
        );
        let versus: BTreeMap<String, CompareRow> = if values.contains_key(&baseline) {
            let records: Vec<_> = signed_records(scores, &metric)
                .into_iter()
                .filter(|r| r.task == task)
                .collect();
            let options = CompareOptions {
                aggregate: false,
                ..Default::default()
            };
            match compare(&records, &baseline, &metric, &options) {
                Ok(report) => {
                    board.warnings.extend(
                        report
                            .warnings
                            .into_iter()
                            .map(|w| format!("{task}/{metric}: {w}")),
                    );
                    report
                        .rows
                        .into_iter()
                        .map(|r| (r.method.clone(), r))
                        .collect()
                }
                Err(e) => {
                    board
                        .warnings
                        .push(format!("{task}/{metric}: no comparison: {e}"));
                    BTreeMap::new()
                }
            }
        } else {
            board.warnings.push(format!(
                "{task}/{metric}: baseline '{baseline}' has no scores, so no method is compared"
            ));
            BTreeMap::new()
        };
        let mut rows: Vec<LeaderboardRow> = methods
            .iter()
            .zip(&ranks)
            .map(|(method, rank)| {
                let v = &values[*method];
                LeaderboardRow {
                    task: task.clone(),
                    metric: metric.clone(),
                    method: (*method).clone(),
                    n: v.len(),
                    mean: mean(v),
                    std: sample_std(v),
                    ci95: t_ci95(v),
                    rank: *rank,
                    baseline: baseline.clone(),
                    versus: versus.get(*method).map(|c| Versus {
                        diff: sign * c.diff,
                        welch_p: c.welch_p,
                        holm_p: c.holm_p,
                        mwu_p: c.mwu_p,
                        hedges_g: sign * c.hedges_g,
                        prob_improvement: c.prob_improvement,
                    }),
                }
            })
            .collect();
        rows.sort_by(|a, b| a.rank.total_cmp(&b.rank).then(a.method.cmp(&b.method)));
        board.rows.extend(rows);
    }
    board
}

impl LeaderboardRow {
    /// The row as CSV cells in [`LEADERBOARD_HEADER`] order (empty cells where not applicable).
    pub fn to_strings(&self) -> Vec<String> {
        let opt = |f: fn(&Versus) -> f64| {
            self.versus
                .as_ref()
                .map(|v| py_repr(f(v)))
                .unwrap_or_default()
        };
        vec![
            self.task.clone(),
            self.metric.clone(),
            self.method.clone(),
            self.n.to_string(),
            py_repr(self.mean),
            py_repr(self.std),
            py_repr(self.ci95.0),
            py_repr(self.ci95.1),
            py_repr(self.rank),
            self.baseline.clone(),
            opt(|v| v.diff),
            opt(|v| v.welch_p),
            opt(|v| v.holm_p),
            opt(|v| v.mwu_p),
            opt(|v| v.hedges_g),
            opt(|v| v.prob_improvement),
        ]
    }
}

/// The leaderboard as CSV text.
pub fn to_csv(board: &Leaderboard) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(LEADERBOARD_HEADER).expect("memory");
    for row in &board.rows {
        writer.write_record(row.to_strings()).expect("memory");
    }
    String::from_utf8(writer.into_inner().expect("memory")).expect("utf-8")
}

fn fmt4(x: f64) -> String {
    if x.is_nan() {
        "-".into()
    } else if x.abs() >= 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.4}")
    }
}

fn fmt_p(p: f64) -> String {
    if p.is_nan() {
        "-".into()
    } else if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

/// The leaderboard as Markdown: one table per task and metric, for the metrics
/// `show(task, metric)` selects. `alpha` marks significant Holm-adjusted differences.
pub fn to_markdown(board: &Leaderboard, show: &dyn Fn(&str, &str) -> bool, alpha: f64) -> String {
    let mut out = String::new();
    let mut current: Option<(String, String)> = None;
    for row in board.rows.iter().filter(|r| show(&r.task, &r.metric)) {
        let key = (row.task.clone(), row.metric.clone());
        if current.as_ref() != Some(&key) {
            let direction = if direction(&row.metric) > 0.0 {
                "higher is better"
            } else {
                "lower is better"
            };
            out.push_str(&format!(
                "\n### {} — {} ({direction}; baseline `{}`)\n\n",
                row.task, row.metric, row.baseline
            ));
            out.push_str("| rank | method | n | mean ± std | 95% CI | Δ vs baseline | p (Holm) | P(better) |\n");
            out.push_str("|---:|---|---:|---|---|---:|---:|---:|\n");
            current = Some(key);
        }
        let (diff, p, pi) = match &row.versus {
            Some(v) => (
                format!("{:+.4}", v.diff),
                format!(
                    "{}{}",
                    fmt_p(v.holm_p),
                    if v.holm_p < alpha { " *" } else { "" }
                ),
                format!("{:.2}", v.prob_improvement),
            ),
            None if row.method == row.baseline => {
                ("(baseline)".into(), String::new(), String::new())
            }
            None => ("-".into(), "-".into(), "-".into()),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} ± {} | [{}, {}] | {diff} | {p} | {pi} |\n",
            fmt_rank(row.rank),
            row.method,
            row.n,
            fmt4(row.mean),
            fmt4(row.std),
            fmt4(row.ci95.0),
            fmt4(row.ci95.1),
        ));
    }
    if !out.is_empty() {
        out.push_str(&format!(
            "\n`*`: Holm-adjusted Welch p < {alpha} against the baseline. P(better): probability that a run of the method beats a run of the baseline.\n"
        ));
    }
    out
}

fn fmt_rank(rank: f64) -> String {
    if rank.fract() == 0.0 {
        format!("{rank:.0}")
    } else {
        format!("{rank:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(method: &str, metric: &str, values: &[f64]) -> Vec<ScoreRow> {
        values
            .iter()
            .enumerate()
            .map(|(seed, &value)| ScoreRow {
                suite: "s".into(),
                task: "t".into(),
                method: method.into(),
                seed: seed as u64,
                metric: metric.into(),
                value,
            })
            .collect()
    }

    #[test]
    fn ranks_and_compares_in_the_metric_direction() {
        let mut scores = rows("student", "acc", &[0.80, 0.82, 0.81]);
        scores.extend(rows("kd", "acc", &[0.90, 0.91, 0.92]));
        scores.extend(rows("student", "errors", &[20.0, 18.0, 19.0]));
        scores.extend(rows("kd", "errors", &[9.0, 10.0, 8.0]));
        scores.extend(rows("kd", "best_epoch", &[3.0, 4.0, 5.0]));
        let board = build(&scores, &|_| "student".to_string());
        assert_eq!(board.rows.len(), 4, "best_epoch is left out");
        for metric in ["acc", "errors"] {
            let kd = board
                .rows
                .iter()
                .find(|r| r.metric == metric && r.method == "kd")
                .unwrap();
            assert_eq!(kd.rank, 1.0, "{metric}");
            let v = kd.versus.as_ref().unwrap();
            assert_eq!(v.prob_improvement, 1.0, "{metric}");
            assert!(v.welch_p < 0.01);
            let student = board
                .rows
                .iter()
                .find(|r| r.metric == metric && r.method == "student")
                .unwrap();
            assert!(student.versus.is_none());
        }
        let kd_err = board
            .rows
            .iter()
            .find(|r| r.metric == "errors" && r.method == "kd")
            .unwrap();
        assert!((kd_err.versus.as_ref().unwrap().diff - (9.0 - 19.0)).abs() < 1e-12);
        assert!(kd_err.versus.as_ref().unwrap().hedges_g < 0.0);
        let csv = to_csv(&board);
        assert!(csv.starts_with(&LEADERBOARD_HEADER.join(",")));
        assert_eq!(csv.lines().count(), 5);
        let md = to_markdown(&board, &|_, m| m == "acc", 0.05);
        assert!(
            md.contains("### t — acc") && md.contains("| 1 | kd | 3 |") && !md.contains("errors")
        );
    }

    #[test]
    fn a_missing_baseline_is_a_warning_not_an_error() {
        let scores = rows("kd", "acc", &[0.9, 0.91]);
        let board = build(&scores, &|_| "student".to_string());
        assert_eq!(board.rows.len(), 1);
        assert!(board.rows[0].versus.is_none());
        assert!(board.warnings[0].contains("baseline 'student' has no scores"));
    }
}
