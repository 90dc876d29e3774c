//! The comparison tables behind `kdbench compare` (per task × method against a
//! baseline) and `kdbench compare --aggregate` (rliable-style aggregates per
//! method), as specified in the statistics reference README.
//!
//! Input: [`ScoreRecord`]s already filtered to one metric. Runs are ordered by
//! seed. Every `(task, method, seed)` must be unique, values must be finite,
//! and the baseline must have runs on **every** task: a task without baseline
//! runs is an error ([`StatsError::BaselineMissingInTask`] naming the task),
//! not a silently skipped task. Degenerate samples (constant, `n < 2`, ragged
//! runs) never fail: they produce the README's recommended values and a
//! human-readable entry in [`CompareReport::warnings`].

use std::collections::BTreeMap;

use crate::aggregate::{
    aggregate_iqm, aggregate_mean, aggregate_median, aggregate_optimality_gap, average_ranks,
    iqm_bootstrap_ci, ScoreMatrix, DEFAULT_BOOTSTRAP_REPS,
};
use crate::descriptive::{mean, sample_std, t_ci95};
use crate::effect::{hedges_g, probability_of_improvement};
use crate::error::StatsError;
use crate::format::py_repr;
use crate::hypothesis::{holm, mann_whitney_u, welch_t_test, MwuMethod};

/// One score: the value of one metric for one run (seed) of a method on a task.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRecord {
    /// Task name (e.g. `cifar100`).
    pub task: String,
    /// Method name (e.g. `kd`, `dkd`).
    pub method: String,
    /// Run seed; runs are ordered by it.
    pub seed: i64,
    /// Score, higher is better.
    pub value: f64,
}

/// `task → method → seed → value`, all sorted (plain byte order for names).
pub(crate) type Grouped = BTreeMap<String, BTreeMap<String, BTreeMap<i64, f64>>>;

/// Groups records, rejecting empty input, non-finite values and duplicates.
pub(crate) fn group_records(records: &[ScoreRecord]) -> Result<Grouped, StatsError> {
    if records.is_empty() {
        return Err(StatsError::EmptyInput);
    }
    let mut grouped = Grouped::new();
    for r in records {
        if !r.value.is_finite() {
            return Err(StatsError::NonFiniteValue {
                task: r.task.clone(),
                method: r.method.clone(),
                seed: r.seed,
                value: r.value,
            });
        }
        let runs = grouped
            .entry(r.task.clone())
            .or_default()
            .entry(r.method.clone())
            .or_default();
        if runs.insert(r.seed, r.value).is_some() {
            return Err(StatsError::DuplicateRecord {
                task: r.task.clone(),
                method: r.method.clone(),
                seed: r.seed,
            });
        }
    }
    Ok(grouped)
}

/// One row of `kdbench compare`: a non-baseline method on one task against the
/// baseline on the same task. Fields follow the CSV columns in order
/// ([`CompareRow::HEADER`]), followed by the Mann–Whitney method details,
/// which are not CSV columns.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareRow {
    /// Task name.
    pub task: String,
    /// Method name (`x`).
    pub method: String,
    /// Baseline method name (`y`).
    pub baseline: String,
    /// Metric name (copied from the caller).
    pub metric: String,
    /// Number of runs of the method.
    pub n: usize,
    /// Mean of the method's runs.
    pub mean: f64,
    /// Sample standard deviation (ddof 1) of the method's runs.
    pub std: f64,
    /// Lower end of the Student-t 95% CI of the mean.
    pub ci95_low: f64,
    /// Upper end of the Student-t 95% CI of the mean.
    pub ci95_high: f64,
    /// Number of baseline runs.
    pub baseline_n: usize,
    /// Mean of the baseline's runs.
    pub baseline_mean: f64,
    /// `mean − baseline_mean`.
    pub diff: f64,
    /// Welch t statistic.
    pub welch_t: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub welch_df: f64,
    /// Two-sided Welch p-value.
    pub welch_p: f64,
    /// Mann–Whitney U1 of the method.
    pub mwu_u: f64,
    /// Two-sided Mann–Whitney p-value (SciPy `method='auto'`).
    pub mwu_p: f64,
    /// Holm-adjusted `welch_p` within the task.
    pub holm_p: f64,
    /// Hedges' g (approximate J).
    pub hedges_g: f64,
    /// `P(method > baseline)` over run pairs, ties 0.5.
    pub prob_improvement: f64,
    /// Which Mann–Whitney method produced `mwu_p` (not a CSV column).
    pub mwu_method: MwuMethod,
    /// Whether the pooled sample had tied values (not a CSV column).
    pub mwu_pooled_ties: bool,
}

impl CompareRow {
    /// CSV column names, in order.
    pub const HEADER: [&'static str; 20] = [
        "task",
        "method",
        "baseline",
        "metric",
        "n",
        "mean",
        "std",
        "ci95_low",
        "ci95_high",
        "baseline_n",
        "baseline_mean",
        "diff",
        "welch_t",
        "welch_df",
        "welch_p",
        "mwu_u",
        "mwu_p",
        "holm_p",
        "hedges_g",
        "prob_improvement",
    ];

    /// The row's cells in [`Self::HEADER`] order: names verbatim, counts as
    /// plain integers, floats in Python `repr` form ([`py_repr`]).
    pub fn to_strings(&self) -> Vec<String> {
        let f = |x: f64| py_repr(x);
        vec![
            self.task.clone(),
            self.method.clone(),
            self.baseline.clone(),
            self.metric.clone(),
            self.n.to_string(),
            f(self.mean),
            f(self.std),
            f(self.ci95_low),
            f(self.ci95_high),
            self.baseline_n.to_string(),
            f(self.baseline_mean),
            f(self.diff),
            f(self.welch_t),
            f(self.welch_df),
            f(self.welch_p),
            f(self.mwu_u),
            f(self.mwu_p),
            f(self.holm_p),
            f(self.hedges_g),
            f(self.prob_improvement),
        ]
    }
}

/// One row of `kdbench compare --aggregate`: rliable-style aggregates of one
/// method over its tasks (baseline included). Fields follow
/// [`AggregateRow::HEADER`].
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateRow {
    /// Method name.
    pub method: String,
    /// Metric name (copied from the caller).
    pub metric: String,
    /// Number of tasks with scores for this method.
    pub tasks: usize,
    /// Interquartile mean over all runs × tasks.
    pub iqm: f64,
    /// Mean over tasks of per-task mean.
    pub mean: f64,
    /// Median over tasks of per-task mean.
    pub median: f64,
    /// Optimality gap at `gamma` (default 1).
    pub optimality_gap: f64,
    /// Average over tasks of `P(method > baseline)`; 0.5 for the baseline.
    pub prob_improvement_vs_baseline: f64,
    /// Average over tasks of the rank by task mean (1 = best, ties averaged).
    pub avg_rank: f64,
    /// Lower end of the stratified-bootstrap 95% CI of the IQM.
    pub iqm_ci95_low: f64,
    /// Upper end of the stratified-bootstrap 95% CI of the IQM.
    pub iqm_ci95_high: f64,
}

impl AggregateRow {
    /// CSV column names, in order.
    pub const HEADER: [&'static str; 11] = [
        "method",
        "metric",
        "tasks",
        "iqm",
        "mean",
        "median",
        "optimality_gap",
        "prob_improvement_vs_baseline",
        "avg_rank",
        "iqm_ci95_low",
        "iqm_ci95_high",
    ];

    /// The row's cells in [`Self::HEADER`] order (floats via [`py_repr`]).
    pub fn to_strings(&self) -> Vec<String> {
        let f = |x: f64| py_repr(x);
        vec![
            self.method.clone(),
            self.metric.clone(),
            self.tasks.to_string(),
            f(self.iqm),
            f(self.mean),
            f(self.median),
            f(self.optimality_gap),
            f(self.prob_improvement_vs_baseline),
            f(self.avg_rank),
            f(self.iqm_ci95_low),
            f(self.iqm_ci95_high),
        ]
    }
}

/// Options for [`compare`].
#[derive(Debug, Clone, PartialEq)]
pub struct CompareOptions {
    /// Whether to compute the aggregate table (otherwise it is left empty).
    pub aggregate: bool,
    /// Bootstrap replicates for the IQM CI (default 10,000; 0 gives NaN CIs).
    pub bootstrap_reps: usize,
    /// Seed of the bootstrap generator; every method's CI uses this same seed,
    /// so a method's interval does not depend on which other methods exist.
    pub bootstrap_seed: u64,
    /// Target score `gamma` of the optimality gap (1.0 for accuracies).
    pub optimality_gamma: f64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            aggregate: true,
            bootstrap_reps: DEFAULT_BOOTSTRAP_REPS,
            bootstrap_seed: 0,
            optimality_gamma: 1.0,
        }
    }
}

/// Output of [`compare`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CompareReport {
    /// One row per task × non-baseline method, sorted by task then method.
    pub rows: Vec<CompareRow>,
    /// One row per method (baseline included), sorted by method; empty when
    /// [`CompareOptions::aggregate`] is false.
    pub aggregates: Vec<AggregateRow>,
    /// Degenerate-input notes for the user (constant samples, `n < 2`, tasks
    /// with only the baseline, ragged or missing runs in the aggregates).
    pub warnings: Vec<String>,
}

/// Builds the compare table (and, if requested, the aggregate table) from
/// `records` (one metric) against `baseline`; `metric` only labels the rows.
///
/// Errors: [`StatsError::EmptyInput`], [`StatsError::NonFiniteValue`],
/// [`StatsError::DuplicateRecord`], [`StatsError::BaselineNotFound`] (baseline
/// absent from all data) and [`StatsError::BaselineMissingInTask`] (baseline
/// absent from a task that other methods have; the first such task in sorted
/// order is named).
pub fn compare(
    records: &[ScoreRecord],
    baseline: &str,
    metric: &str,
    options: &CompareOptions,
) -> Result<CompareReport, StatsError> {
    let grouped = group_records(records)?;
    if !grouped
        .values()
        .any(|methods| methods.contains_key(baseline))
    {
        return Err(StatsError::BaselineNotFound {
            baseline: baseline.to_string(),
        });
    }
    if let Some(task) = grouped.iter().find(|(_, m)| !m.contains_key(baseline)) {
        return Err(StatsError::BaselineMissingInTask {
            task: task.0.clone(),
            baseline: baseline.to_string(),
        });
    }
    let mut report = CompareReport::default();
    for (task, methods) in &grouped {
        let y: Vec<f64> = methods[baseline].values().copied().collect();
        let start = report.rows.len();
        for (method, runs) in methods.iter().filter(|(m, _)| m.as_str() != baseline) {
            let x: Vec<f64> = runs.values().copied().collect();
            let row = compare_pair(task, method, baseline, metric, &x, &y, &mut report.warnings);
            report.rows.push(row);
        }
        if report.rows.len() == start {
            report.warnings.push(format!(
                "task `{task}` has only the baseline `{baseline}`; no comparison rows"
            ));
        }
        let family = &mut report.rows[start..];
        let adjusted = holm(&family.iter().map(|r| r.welch_p).collect::<Vec<_>>());
        for (row, p) in family.iter_mut().zip(adjusted) {
            row.holm_p = p;
        }
    }
    if options.aggregate {
        report.aggregates =
            aggregate_rows(&grouped, baseline, metric, options, &mut report.warnings);
    }
    Ok(report)
}

/// All statistics of one compare row except `holm_p` (set per task family).
fn compare_pair(
    task: &str,
    method: &str,
    baseline: &str,
    metric: &str,
    x: &[f64],
    y: &[f64],
    warnings: &mut Vec<String>,
) -> CompareRow {
    let (ci95_low, ci95_high) = t_ci95(x);
    let welch = welch_t_test(x, y);
    if let Some(d) = welch.degenerate {
        warnings.push(format!(
            "task `{task}`, method `{method}` (n={}) vs `{baseline}` (n={}): {d}",
            x.len(),
            y.len()
        ));
    }
    let mwu = mann_whitney_u(x, y);
    let (m, bm) = (mean(x), mean(y));
    CompareRow {
        task: task.to_string(),
        method: method.to_string(),
        baseline: baseline.to_string(),
        metric: metric.to_string(),
        n: x.len(),
        mean: m,
        std: sample_std(x),
        ci95_low,
        ci95_high,
        baseline_n: y.len(),
        baseline_mean: bm,
        diff: m - bm,
        welch_t: welch.t,
        welch_df: welch.df,
        welch_p: welch.p,
        mwu_u: mwu.u1,
        mwu_p: mwu.p,
        holm_p: f64::NAN,
        hedges_g: hedges_g(x, y),
        prob_improvement: probability_of_improvement(x, y),
        mwu_method: mwu.method,
        mwu_pooled_ties: mwu.pooled_ties,
    }
}

/// The aggregate table over grouped records (baseline present on every task).
fn aggregate_rows(
    grouped: &Grouped,
    baseline: &str,
    metric: &str,
    options: &CompareOptions,
    warnings: &mut Vec<String>,
) -> Vec<AggregateRow> {
    let tasks: Vec<&String> = grouped.keys().collect();
    let mut methods: Vec<&String> = grouped.values().flat_map(|m| m.keys()).collect();
    methods.sort();
    methods.dedup();

    // means[method][task], NaN where the method has no runs on the task.
    let means: Vec<Vec<f64>> = methods
        .iter()
        .map(|m| {
            tasks
                .iter()
                .map(|t| {
                    grouped[*t]
                        .get(*m)
                        .map_or(f64::NAN, |r| mean(&r.values().copied().collect::<Vec<_>>()))
                })
                .collect()
        })
        .collect();
    let ranks = average_ranks(&means);

    let mut rows = Vec::with_capacity(methods.len());
    for (mi, method) in methods.iter().enumerate() {
        let mut columns = Vec::new();
        let mut pis = Vec::new();
        for t in &tasks {
            if let Some(runs) = grouped[*t].get(*method) {
                let x: Vec<f64> = runs.values().copied().collect();
                let y: Vec<f64> = grouped[*t][baseline].values().copied().collect();
                pis.push(probability_of_improvement(&x, &y));
                columns.push(x);
            }
        }
        if columns.len() < tasks.len() {
            warnings.push(format!(
                "method `{method}` has scores on {} of {} tasks; its aggregates cover only those tasks",
                columns.len(),
                tasks.len()
            ));
        }
        let s = ScoreMatrix::from_task_columns(columns)
            .expect("every listed method has at least one task with runs");
        if !s.is_rectangular() {
            warnings.push(format!(
                "method `{method}` has different run counts across tasks (ragged); IQM and bootstrap use all available runs per task"
            ));
        }
        let (lo, hi) = iqm_bootstrap_ci(&s, options.bootstrap_reps, options.bootstrap_seed, 0.95);
        rows.push(AggregateRow {
            method: method.to_string(),
            metric: metric.to_string(),
            tasks: s.num_tasks(),
            iqm: aggregate_iqm(&s),
            mean: aggregate_mean(&s),
            median: aggregate_median(&s),
            optimality_gap: aggregate_optimality_gap(&s, options.optimality_gamma),
            prob_improvement_vs_baseline: mean(&pis),
            avg_rank: ranks[mi],
            iqm_ci95_low: lo,
            iqm_ci95_high: hi,
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(task: &str, method: &str, seed: i64, value: f64) -> ScoreRecord {
        ScoreRecord {
            task: task.into(),
            method: method.into(),
            seed,
            value,
        }
    }

    fn no_boot() -> CompareOptions {
        CompareOptions {
            bootstrap_reps: 0,
            ..CompareOptions::default()
        }
    }

    #[test]
    fn errors() {
        assert_eq!(
            compare(&[], "kd", "acc", &no_boot()),
            Err(StatsError::EmptyInput)
        );
        let only_other = [rec("a", "dkd", 0, 0.5)];
        assert!(matches!(
            compare(&only_other, "kd", "acc", &no_boot()),
            Err(StatsError::BaselineNotFound { .. })
        ));
        let missing = [
            rec("a", "kd", 0, 0.5),
            rec("b", "dkd", 0, 0.5),
            rec("a", "dkd", 0, 0.4),
        ];
        let err = compare(&missing, "kd", "acc", &no_boot()).unwrap_err();
        assert_eq!(
            err,
            StatsError::BaselineMissingInTask {
                task: "b".into(),
                baseline: "kd".into()
            }
        );
        assert!(err.to_string().contains("`b`"));
        let dup = [rec("a", "kd", 1, 0.5), rec("a", "kd", 1, 0.6)];
        assert!(matches!(
            compare(&dup, "kd", "acc", &no_boot()),
            Err(StatsError::DuplicateRecord { seed: 1, .. })
        ));
        let nan = [rec("a", "kd", 1, f64::NAN)];
        assert!(matches!(
            compare(&nan, "kd", "acc", &no_boot()),
            Err(StatsError::NonFiniteValue { .. })
        ));
    }

    fn three(task: &str, method: &str, v: [f64; 3]) -> Vec<ScoreRecord> {
        v.iter()
            .enumerate()
            .map(|(i, &x)| rec(task, method, i as i64, x))
            .collect()
    }

    #[test]
    fn degenerate_constant_equal() {
        let mut r = three("t", "kd", [0.75; 3]);
        r.extend(three("t", "m", [0.75; 3]));
        let rep = compare(&r, "kd", "acc", &no_boot()).unwrap();
        let row = &rep.rows[0];
        assert_eq!(row.std, 0.0);
        assert!(row.welch_t.is_nan() && row.welch_df.is_nan() && row.hedges_g.is_nan());
        assert_eq!(
            (row.welch_p, row.holm_p, row.mwu_u, row.mwu_p),
            (1.0, 1.0, 4.5, 1.0)
        );
        assert_eq!(row.prob_improvement, 0.5);
        assert_eq!(rep.warnings.len(), 1, "{:?}", rep.warnings);
        assert!(rep.warnings[0].contains("constant and equal"));
        // Non-dyadic constants behave the same (no rounding-noise "effect").
        let mut r = three("t", "kd", [0.8; 3]);
        r.extend(three("t", "m", [0.8; 3]));
        let row = &compare(&r, "kd", "acc", &no_boot()).unwrap().rows[0];
        assert_eq!((row.diff, row.welch_p), (0.0, 1.0));
    }

    #[test]
    fn degenerate_constant_different() {
        let mut r = three("t", "kd", [0.5; 3]);
        r.extend(three("t", "m", [0.75; 3]));
        let rep = compare(&r, "kd", "acc", &no_boot()).unwrap();
        let row = &rep.rows[0];
        assert_eq!(
            (row.welch_t, row.welch_p, row.hedges_g),
            (f64::INFINITY, 0.0, f64::INFINITY)
        );
        assert!(row.welch_df.is_nan());
        assert_eq!(row.mwu_u, 9.0);
        assert!((row.mwu_p - 0.0469).abs() < 5e-5);
        assert_eq!(row.mwu_method, MwuMethod::Asymptotic);
        assert!(rep.warnings[0].contains("differ"));
    }

    #[test]
    fn degenerate_single_run() {
        let mut r = three("t", "kd", [0.5, 0.625, 0.5625]);
        r.push(rec("t", "m", 0, 0.75));
        let rep = compare(&r, "kd", "acc", &no_boot()).unwrap();
        let row = &rep.rows[0];
        assert_eq!(row.n, 1);
        assert!(row.std.is_nan() && row.ci95_low.is_nan() && row.ci95_high.is_nan());
        assert!(row.welch_t.is_nan() && row.welch_p.is_nan() && row.hedges_g.is_nan());
        assert!(row.holm_p.is_nan());
        assert_eq!((row.mwu_u, row.mwu_p), (3.0, 0.5));
        assert!(rep.warnings[0].contains("fewer than 2"));
    }

    #[test]
    fn aggregate_ragged_and_missing_tasks_warn() {
        let mut r = three("a", "kd", [0.5, 0.6, 0.7]);
        r.extend(three("b", "kd", [0.1, 0.2, 0.3]));
        r.extend(three("a", "m", [0.6, 0.7, 0.8]));
        r.push(rec("b", "m", 0, 0.4));
        r.extend(three("b", "z", [0.9, 0.8, 0.7]));
        let rep = compare(&r, "kd", "acc", &CompareOptions::default()).unwrap();
        assert_eq!(rep.aggregates.len(), 3);
        let z = &rep.aggregates[2];
        assert_eq!(
            (
                z.method.as_str(),
                z.tasks,
                z.avg_rank,
                z.prob_improvement_vs_baseline
            ),
            ("z", 1, 1.0, 1.0)
        );
        let m = &rep.aggregates[1];
        assert_eq!(m.tasks, 2);
        assert!(m.iqm_ci95_low <= m.iqm && m.iqm <= m.iqm_ci95_high);
        assert!(rep
            .warnings
            .iter()
            .any(|w| w.contains("ragged") && w.contains("`m`")));
        assert!(rep
            .warnings
            .iter()
            .any(|w| w.contains("1 of 2 tasks") && w.contains("`z`")));
        // rows are sorted by task then method
        let keys: Vec<(&str, &str)> = rep
            .rows
            .iter()
            .map(|r| (r.task.as_str(), r.method.as_str()))
            .collect();
        assert_eq!(keys, vec![("a", "m"), ("b", "m"), ("b", "z")]);
    }

    #[test]
    fn rendering_matches_header() {
        let mut r = three("t", "kd", [0.5, 0.625, 0.5625]);
        r.extend(three("t", "m", [0.75, 0.8, 0.7]));
        let rep = compare(&r, "kd", "acc", &no_boot()).unwrap();
        let cells = rep.rows[0].to_strings();
        assert_eq!(cells.len(), CompareRow::HEADER.len());
        assert_eq!(&cells[..5], &["t", "m", "kd", "acc", "3"]);
        assert_eq!(cells[9], "3");
        assert_eq!(cells[15], "9.0");
        assert_eq!(cells[19], "1.0");
        let agg = rep.aggregates[0].to_strings();
        assert_eq!(agg.len(), AggregateRow::HEADER.len());
        assert_eq!(
            (agg[0].as_str(), agg[2].as_str(), agg[9].as_str()),
            ("kd", "1", "nan")
        );
    }
}
