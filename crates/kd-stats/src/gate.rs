//! Regression gate for nightly jobs: did a method get worse on a task compared
//! with stored reference runs?
//!
//! For every `(task, method)` present in both the current and the reference
//! records (one metric, higher is better), a one-sided Welch test of
//! H1: mean(current) < mean(reference) is run; p-values are Holm-adjusted
//! within each task across its methods. A pair is a **regression** when the
//! adjusted p-value is below `alpha` **and** the drop
//! `reference_mean − current_mean` exceeds `min_drop`, so that tiny but
//! statistically detectable drops do not fail the build.

use std::collections::BTreeMap;

use crate::compare::{group_records, ScoreRecord};
use crate::descriptive::mean;
use crate::error::StatsError;
use crate::hypothesis::{holm, welch_t_test_less};

/// Thresholds of the regression gate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GateConfig {
    /// Significance level for the Holm-adjusted one-sided p-value.
    pub alpha: f64,
    /// Smallest drop of the mean (in metric units) that counts as a regression.
    pub min_drop: f64,
}

impl Default for GateConfig {
    /// `alpha = 0.05`, `min_drop = 0.0`.
    fn default() -> Self {
        Self {
            alpha: 0.05,
            min_drop: 0.0,
        }
    }
}

/// Gate result for one `(task, method)` present on both sides.
#[derive(Debug, Clone, PartialEq)]
pub struct GateRow {
    /// Task name.
    pub task: String,
    /// Method name.
    pub method: String,
    /// Number of current runs.
    pub n_cur: usize,
    /// Number of reference runs.
    pub n_ref: usize,
    /// Mean of the current runs.
    pub mean_cur: f64,
    /// Mean of the reference runs.
    pub mean_ref: f64,
    /// `mean_ref − mean_cur` (positive = got worse).
    pub drop: f64,
    /// One-sided Welch p-value of H1: current < reference.
    pub p: f64,
    /// Holm-adjusted `p` within the task.
    pub p_holm: f64,
    /// `p_holm < alpha && drop > min_drop`.
    pub regression: bool,
}

/// Output of [`regression_gate`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GateReport {
    /// One row per `(task, method)` on both sides, sorted by task then method.
    pub rows: Vec<GateRow>,
    /// `(task, method)` pairs only in the current records.
    pub only_current: Vec<(String, String)>,
    /// `(task, method)` pairs only in the reference records.
    pub only_reference: Vec<(String, String)>,
    /// Notes about degenerate pairs (e.g. fewer than 2 runs: p is NaN and the
    /// pair is never flagged).
    pub warnings: Vec<String>,
}

impl GateReport {
    /// True if any row is flagged as a regression.
    pub fn has_regression(&self) -> bool {
        self.rows.iter().any(|r| r.regression)
    }
}

/// Runs the regression gate of `current` against `reference` (both already
/// filtered to one metric; see the module docs for the rule).
///
/// Degenerate pairs follow [`welch_t_test_less`]: both sides constant and equal
/// give `p = 1`; constant and lower give `p = 0`; fewer than 2 runs on a side
/// give `p = NaN` (never a regression, with a warning). Errors when either
/// side is empty or has a duplicated `(task, method, seed)` or a non-finite
/// value.
pub fn regression_gate(
    current: &[ScoreRecord],
    reference: &[ScoreRecord],
    config: &GateConfig,
) -> Result<GateReport, StatsError> {
    let cur = group_records(current)?;
    let refs = group_records(reference)?;
    let mut report = GateReport::default();

    let mut tasks: Vec<&String> = cur.keys().chain(refs.keys()).collect();
    tasks.sort();
    tasks.dedup();
    let empty = BTreeMap::new();
    for task in tasks {
        let cm = cur.get(task).unwrap_or(&empty);
        let rm = refs.get(task).unwrap_or(&empty);
        let start = report.rows.len();
        let mut ps = Vec::new();
        for (method, cruns) in cm {
            let Some(rruns) = rm.get(method) else {
                report.only_current.push((task.clone(), method.clone()));
                continue;
            };
            let x: Vec<f64> = cruns.values().copied().collect();
            let y: Vec<f64> = rruns.values().copied().collect();
            let w = welch_t_test_less(&x, &y);
            if let Some(d) = w.degenerate {
                report.warnings.push(format!(
                    "task `{task}`, method `{method}` (current n={}, reference n={}): {d}",
                    x.len(),
                    y.len()
                ));
            }
            let (mc, mr) = (mean(&x), mean(&y));
            ps.push(w.p);
            report.rows.push(GateRow {
                task: task.clone(),
                method: method.clone(),
                n_cur: x.len(),
                n_ref: y.len(),
                mean_cur: mc,
                mean_ref: mr,
                drop: mr - mc,
                p: w.p,
                p_holm: f64::NAN,
                regression: false,
            });
        }
        for method in rm.keys().filter(|m| !cm.contains_key(*m)) {
            report.only_reference.push((task.clone(), method.clone()));
        }
        for (row, adj) in report.rows[start..].iter_mut().zip(holm(&ps)) {
            row.p_holm = adj;
            // NaN comparisons are false, so undefined tests are never flagged.
            row.regression = adj < config.alpha && row.drop > config.min_drop;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(task: &str, method: &str, values: &[f64]) -> Vec<ScoreRecord> {
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| ScoreRecord {
                task: task.into(),
                method: method.into(),
                seed: i as i64,
                value: v,
            })
            .collect()
    }

    const REF: [f64; 6] = [0.801, 0.799, 0.803, 0.797, 0.800, 0.802];

    fn shifted(d: f64) -> Vec<f64> {
        REF.iter().map(|v| v + d).collect()
    }

    #[test]
    fn clear_drop_is_flagged_noise_is_not() {
        let mut reference = runs("t", "drop", &REF);
        reference.extend(runs("t", "noise", &REF));
        let mut current = runs("t", "drop", &shifted(-0.02));
        // same spread, reordered, mean moved by 0.0002: not significant
        current.extend(runs(
            "t",
            "noise",
            &[0.8012, 0.7992, 0.7972, 0.8032, 0.8002, 0.8022],
        ));
        let rep = regression_gate(
            &current,
            &reference,
            &GateConfig {
                alpha: 0.05,
                min_drop: 0.005,
            },
        )
        .unwrap();
        assert_eq!(rep.rows.len(), 2);
        let drop = &rep.rows[0];
        assert_eq!(drop.method, "drop");
        assert!((drop.drop - 0.02).abs() < 1e-12);
        assert!(drop.p < 1e-6 && drop.p_holm < 0.05);
        assert!(drop.regression);
        let noise = &rep.rows[1];
        assert!(noise.p > 0.3, "{}", noise.p);
        assert!(!noise.regression);
        assert!(rep.has_regression());
    }

    #[test]
    fn tiny_significant_drop_below_min_drop_is_not_flagged() {
        let reference = runs("t", "m", &REF);
        let current = runs("t", "m", &shifted(-0.003));
        let cfg = GateConfig {
            alpha: 0.05,
            min_drop: 0.005,
        };
        let rep = regression_gate(&current, &reference, &cfg).unwrap();
        let row = &rep.rows[0];
        assert!(
            row.p_holm < 0.05,
            "the drop itself is significant: {}",
            row.p_holm
        );
        assert!(!row.regression);
        // With no minimum drop the same data is flagged.
        let rep = regression_gate(&current, &reference, &GateConfig::default()).unwrap();
        assert!(rep.rows[0].regression);
    }

    #[test]
    fn improvement_is_not_flagged_and_unmatched_pairs_are_listed() {
        let mut reference = runs("t", "m", &REF);
        reference.extend(runs("u", "old", &REF));
        let mut current = runs("t", "m", &shifted(0.05));
        current.extend(runs("t", "new", &REF));
        let rep = regression_gate(&current, &reference, &GateConfig::default()).unwrap();
        assert_eq!(rep.rows.len(), 1);
        assert!(rep.rows[0].p > 0.99 && !rep.rows[0].regression);
        assert_eq!(rep.only_current, vec![("t".to_string(), "new".to_string())]);
        assert_eq!(
            rep.only_reference,
            vec![("u".to_string(), "old".to_string())]
        );
    }

    #[test]
    fn holm_within_task_and_degenerate_pairs() {
        // Two methods with the same drop in one task: Holm doubles the smaller p.
        let mut reference = runs("t", "a", &REF);
        reference.extend(runs("t", "b", &REF));
        let mut current = runs("t", "a", &shifted(-0.002));
        current.extend(runs("t", "b", &shifted(-0.004)));
        let rep = regression_gate(&current, &reference, &GateConfig::default()).unwrap();
        let (a, b) = (&rep.rows[0], &rep.rows[1]);
        assert!(b.p < a.p);
        assert!((b.p_holm - (2.0 * b.p).min(1.0)).abs() < 1e-15);
        assert!((a.p_holm - a.p.max(2.0 * b.p).min(1.0)).abs() < 1e-15);

        // One run per side: undefined, warned, never flagged.
        let rep = regression_gate(
            &runs("t", "m", &[0.1]),
            &runs("t", "m", &[0.9]),
            &GateConfig::default(),
        )
        .unwrap();
        assert!(rep.rows[0].p.is_nan() && !rep.rows[0].regression);
        assert_eq!(rep.warnings.len(), 1);
        // Constant and lower: p = 0, flagged.
        let rep = regression_gate(
            &runs("t", "m", &[0.5; 3]),
            &runs("t", "m", &[0.6; 3]),
            &GateConfig::default(),
        )
        .unwrap();
        assert_eq!(rep.rows[0].p, 0.0);
        assert!(rep.rows[0].regression);
        assert!(regression_gate(&[], &runs("t", "m", &REF), &GateConfig::default()).is_err());
    }
}
