//! rliable-style aggregate metrics over a runs × tasks [`ScoreMatrix`]
//! (Agarwal et al., "Deep RL at the Edge of the Statistical Precipice"),
//! following `rliable/metrics.py`: IQM, mean, median, optimality gap,
//! probability of improvement, average ranks, and the stratified bootstrap
//! percentile confidence interval.
//!
//! Shape: one matrix per method; column `j` holds the runs (seeds) of task `j`.
//! rliable requires the same number of runs on every task; here a column may
//! have its own run count ("ragged"), which every function below handles in
//! the natural way (flattening for IQM, per-task means otherwise). Check
//! [`ScoreMatrix::is_rectangular`] when strict rliable semantics matter.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

use crate::descriptive::{mean, median, quantile_sorted};
use crate::effect;
use crate::error::StatsError;

/// Default number of bootstrap replicates for [`stratified_bootstrap_ci`].
pub const DEFAULT_BOOTSTRAP_REPS: usize = 10_000;

/// Scores of one method: `num_tasks()` task columns, each with its runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreMatrix {
    columns: Vec<Vec<f64>>,
}

impl ScoreMatrix {
    /// Builds a matrix from rows (`rows[run][task]`), as rliable's
    /// `(num_runs, num_tasks)` arrays. Errors on no rows, no tasks, or rows of
    /// different lengths.
    pub fn from_rows(rows: &[Vec<f64>]) -> Result<Self, StatsError> {
        let tasks = rows.first().map_or(0, Vec::len);
        if rows.is_empty() || tasks == 0 {
            return Err(StatsError::EmptyInput);
        }
        if rows.iter().any(|r| r.len() != tasks) {
            return Err(StatsError::InvalidMatrix(
                "rows have different numbers of tasks".into(),
            ));
        }
        let columns = (0..tasks)
            .map(|j| rows.iter().map(|r| r[j]).collect())
            .collect();
        Ok(Self { columns })
    }

    /// Builds a matrix from task columns (`columns[task][run]`); columns may
    /// differ in length (ragged runs) but none may be empty.
    pub fn from_task_columns(columns: Vec<Vec<f64>>) -> Result<Self, StatsError> {
        if columns.is_empty() {
            return Err(StatsError::EmptyInput);
        }
        if columns.iter().any(Vec::is_empty) {
            return Err(StatsError::InvalidMatrix(
                "a task column has no runs".into(),
            ));
        }
        Ok(Self { columns })
    }

    /// Number of tasks (columns).
    pub fn num_tasks(&self) -> usize {
        self.columns.len()
    }

    /// The runs of task `j`.
    pub fn task(&self, j: usize) -> &[f64] {
        &self.columns[j]
    }

    /// All task columns.
    pub fn columns(&self) -> &[Vec<f64>] {
        &self.columns
    }

    /// Total number of scores (runs summed over tasks).
    pub fn len(&self) -> usize {
        self.columns.iter().map(Vec::len).sum()
    }

    /// Always false for a constructed matrix (kept for API symmetry with `len`).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when every task has the same number of runs (rliable's shape).
    pub fn is_rectangular(&self) -> bool {
        self.columns.windows(2).all(|w| w[0].len() == w[1].len())
    }

    /// Iterator over all scores, task by task.
    pub fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.columns.iter().flatten().copied()
    }
}

/// Mean over runs for each task (`np.mean(S, axis=0)`).
pub fn task_means(s: &ScoreMatrix) -> Vec<f64> {
    s.columns().iter().map(|c| mean(c)).collect()
}

/// Trimmed mean like `scipy.stats.trim_mean(values, proportion)`: sort, drop
/// `g = floor(proportion·N)` values from each end, and average the rest (no
/// fractional weighting). `NaN` for empty input or when nothing remains.
pub fn trim_mean(values: &[f64], proportion: f64) -> f64 {
    let mut buf = values.to_vec();
    trim_mean_in_place(&mut buf, proportion)
}

/// [`trim_mean`] that sorts `buf` in place instead of allocating.
fn trim_mean_in_place(buf: &mut [f64], proportion: f64) -> f64 {
    let n = buf.len();
    let g = (proportion * n as f64).floor() as usize;
    if n == 0 || 2 * g >= n {
        return f64::NAN;
    }
    buf.sort_unstable_by(f64::total_cmp);
    let kept = &buf[g..n - g];
    // `mean` returns a constant slice's value exactly (the crate's constant
    // rule; a plain sum/len turns [0.8; 3] into 0.8000000000000002), and the
    // clamp keeps rounding from ever leaving [min, max] of the kept values.
    // Found by the property tests: the IQM and its bootstrap CI exceeded the
    // largest score. Non-constant results are bit-for-bit unchanged.
    mean(kept).clamp(kept[0], kept[kept.len() - 1])
}

/// Interquartile mean, rliable `aggregate_iqm`: `trim_mean(S, 0.25)` over all
/// runs × tasks scores flattened (N = 10 → mean of the middle 6).
pub fn aggregate_iqm(s: &ScoreMatrix) -> f64 {
    let mut buf: Vec<f64> = s.values().collect();
    trim_mean_in_place(&mut buf, 0.25)
}

/// rliable `aggregate_mean`: the mean over tasks of the per-task mean over runs.
pub fn aggregate_mean(s: &ScoreMatrix) -> f64 {
    mean(&task_means(s))
}

/// rliable `aggregate_median`: the median over tasks of the per-task mean
/// over runs (average of the two middle task means for an even task count).
pub fn aggregate_median(s: &ScoreMatrix) -> f64 {
    median(&task_means(s))
}

/// rliable `aggregate_optimality_gap`: `gamma − mean(min(S, gamma))` over all
/// scores — how far scores fall short of the target `gamma` (1.0 for
/// accuracies); scores above `gamma` do not compensate.
pub fn aggregate_optimality_gap(s: &ScoreMatrix, gamma: f64) -> f64 {
    let clipped: Vec<f64> = s.values().map(|v| v.min(gamma)).collect();
    gamma - clipped.iter().sum::<f64>() / clipped.len() as f64
}

/// Per-task probability of improvement `P(X_j > Y_j)` (pairs across runs,
/// ties count 0.5). `NaN` everywhere if the task counts differ.
pub fn probability_of_improvement_per_task(x: &ScoreMatrix, y: &ScoreMatrix) -> Vec<f64> {
    if x.num_tasks() != y.num_tasks() {
        return vec![f64::NAN; x.num_tasks()];
    }
    x.columns()
        .iter()
        .zip(y.columns())
        .map(|(a, b)| effect::probability_of_improvement(a, b))
        .collect()
}

/// rliable `probability_of_improvement(X, Y)`: the average over tasks of the
/// per-task `P(X_j > Y_j)`. Run counts may differ between `X` and `Y`;
/// identical matrices give exactly 0.5. `NaN` if the task counts differ.
pub fn probability_of_improvement(x: &ScoreMatrix, y: &ScoreMatrix) -> f64 {
    mean(&probability_of_improvement_per_task(x, y))
}

/// Ranks with ties averaged, like `scipy.stats.rankdata(values,
/// method='average')`: rank 1 is the *smallest* value; equal values (exact
/// equality) share the mean of their ranks. NaN values get rank NaN and are
/// not counted.
pub fn rankdata_average(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).filter(|&i| !values[i].is_nan()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![f64::NAN; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && values[order[j]] == values[order[i]] {
            j += 1;
        }
        // positions i..j (0-based) get ranks i+1..=j, whose mean is (i+1+j)/2
        let r = (i + 1 + j) as f64 / 2.0;
        for &k in &order[i..j] {
            ranks[k] = r;
        }
        i = j;
    }
    ranks
}

/// Average rank of each method over tasks. `means[m][t]` is method `m`'s mean
/// score on task `t` (higher is better). On every task methods are ranked
/// with rank 1 for the highest mean and ties averaged
/// (`rankdata(-means, method='average')`), then each method's ranks are
/// averaged over tasks. A NaN entry marks a method absent from that task: it
/// is left out of that task's ranking and its average is over the tasks where
/// it is present (NaN if none).
pub fn average_ranks(means: &[Vec<f64>]) -> Vec<f64> {
    let tasks = means.iter().map(Vec::len).max().unwrap_or(0);
    let mut sums = vec![0.0; means.len()];
    let mut counts = vec![0usize; means.len()];
    let mut column = vec![f64::NAN; means.len()];
    for t in 0..tasks {
        for (m, row) in means.iter().enumerate() {
            column[m] = -row.get(t).copied().unwrap_or(f64::NAN);
        }
        for (m, r) in rankdata_average(&column).into_iter().enumerate() {
            if !r.is_nan() {
                sums[m] += r;
                counts[m] += 1;
            }
        }
    }
    sums.iter()
        .zip(&counts)
        .map(|(s, &c)| if c == 0 { f64::NAN } else { s / c as f64 })
        .collect()
}

/// Stratified bootstrap percentile confidence interval of `statistic(S)`, as
/// rliable's `StratifiedBootstrap` with `task_bootstrap=False`.
///
/// Each of `reps` replicates resamples, for every task on its own, that task's
/// runs with replacement (same run count), and evaluates `statistic` on the
/// resampled matrix. The interval is the `(1−confidence)/2` and
/// `(1+confidence)/2` percentiles of the replicates with linear interpolation
/// (`numpy.percentile`). The generator is PCG64 seeded with `seed`, so results
/// are reproducible (but do not reproduce NumPy's global RNG stream). One
/// scratch matrix is reused across replicates. `reps == 0` gives `(NaN, NaN)`.
pub fn stratified_bootstrap_ci<F>(
    s: &ScoreMatrix,
    mut statistic: F,
    reps: usize,
    seed: u64,
    confidence: f64,
) -> (f64, f64)
where
    F: FnMut(&ScoreMatrix) -> f64,
{
    let mut rng = Pcg64::seed_from_u64(seed);
    let mut scratch = s.clone();
    let mut stats = Vec::with_capacity(reps);
    for _ in 0..reps {
        for (src, dst) in s.columns.iter().zip(scratch.columns.iter_mut()) {
            for v in dst.iter_mut() {
                *v = src[rng.random_range(0..src.len())];
            }
        }
        stats.push(statistic(&scratch));
    }
    percentile_interval(stats, confidence)
}

/// Stratified bootstrap percentile CI of the IQM ([`aggregate_iqm`]); same
/// resampling as [`stratified_bootstrap_ci`] (identical results for the same
/// seed) but writes each replicate straight into one flat buffer.
pub fn iqm_bootstrap_ci(s: &ScoreMatrix, reps: usize, seed: u64, confidence: f64) -> (f64, f64) {
    let mut rng = Pcg64::seed_from_u64(seed);
    let mut buf = vec![0.0; s.len()];
    let mut stats = Vec::with_capacity(reps);
    for _ in 0..reps {
        let mut k = 0;
        for src in &s.columns {
            for _ in 0..src.len() {
                buf[k] = src[rng.random_range(0..src.len())];
                k += 1;
            }
        }
        stats.push(trim_mean_in_place(&mut buf, 0.25));
    }
    percentile_interval(stats, confidence)
}

/// Percentile interval of bootstrap replicates (NaN replicates sort last).
fn percentile_interval(mut stats: Vec<f64>, confidence: f64) -> (f64, f64) {
    if stats.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    stats.sort_unstable_by(f64::total_cmp);
    let alpha = 0.5 * (1.0 - confidence);
    (
        quantile_sorted(&stats, alpha),
        quantile_sorted(&stats, 1.0 - alpha),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(rows: &[&[f64]]) -> ScoreMatrix {
        ScoreMatrix::from_rows(&rows.iter().map(|r| r.to_vec()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn iqm_uses_floor_trimming() {
        // N = 10 → middle 6; N = 9 → middle 5; N = 12 → middle 6.
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(trim_mean(&ten, 0.25), (3..=8).sum::<i32>() as f64 / 6.0);
        let nine: Vec<f64> = (1..=9).map(f64::from).collect();
        assert_eq!(trim_mean(&nine, 0.25), 5.0);
        let twelve: Vec<f64> = [100.0, -50.0]
            .into_iter()
            .chain((1..=10).map(f64::from))
            .collect();
        assert_eq!(trim_mean(&twelve, 0.25), (3..=8).sum::<i32>() as f64 / 6.0);
        assert!(trim_mean(&[], 0.25).is_nan());
        // Constant (kept) values give their value exactly, not sum/len noise:
        // property-test counterexamples (sum/len gave 0.8000000000000002,
        // 0.6750000000000002 and 0.6375000000000001 before the fix).
        assert_eq!(trim_mean(&[0.8; 3], 0.25), 0.8);
        assert_eq!(trim_mean(&[0.675; 3], 0.25), 0.675);
        assert_eq!(trim_mean(&[0.6375; 8], 0.25), 0.6375);
        assert_eq!(trim_mean(&[0.1, 0.8, 0.8, 0.8, 0.9], 0.25), 0.8);
        assert_eq!(aggregate_iqm(&m(&[&[1.0, 9.0], &[2.0, 3.0]])), 2.5);
    }

    #[test]
    fn mean_median_gap_hand_computed() {
        // task means 2, 5, 20
        let s = m(&[&[1.0, 4.0, 10.0], &[3.0, 6.0, 30.0]]);
        assert_eq!(aggregate_mean(&s), 9.0);
        assert_eq!(aggregate_median(&s), 5.0);
        assert_eq!(
            aggregate_optimality_gap(&s, 5.0),
            5.0 - (1.0 + 4.0 + 5.0 + 3.0 + 5.0 + 5.0) / 6.0
        );
        assert_eq!(aggregate_optimality_gap(&s, 0.5), 0.0);
    }

    #[test]
    fn ranks_average_ties() {
        assert_eq!(
            rankdata_average(&[10.0, 20.0, 10.0, 5.0]),
            vec![2.5, 4.0, 2.5, 1.0]
        );
        // three methods, two tasks; higher is better
        let r = average_ranks(&[vec![0.9, 0.5], vec![0.8, 0.5], vec![0.7, 0.9]]);
        assert_eq!(
            r,
            vec![(1.0 + 2.5) / 2.0, (2.0 + 2.5) / 2.0, (3.0 + 1.0) / 2.0]
        );
        // absent on task 1
        let r = average_ranks(&[vec![0.9, 0.5], vec![0.8, f64::NAN]]);
        assert_eq!(r, vec![1.0, 2.0]);
    }

    #[test]
    fn matrix_validation() {
        assert!(ScoreMatrix::from_rows(&[]).is_err());
        assert!(ScoreMatrix::from_rows(&[vec![1.0, 2.0], vec![1.0]]).is_err());
        assert!(ScoreMatrix::from_task_columns(vec![vec![1.0], vec![]]).is_err());
        let r = ScoreMatrix::from_task_columns(vec![vec![1.0], vec![2.0, 3.0]]).unwrap();
        assert!(!r.is_rectangular());
        assert_eq!(r.len(), 3);
        assert_eq!(aggregate_mean(&r), 1.75);
    }

    #[test]
    fn bootstrap_is_seeded_and_brackets_the_estimate() {
        let s = m(&[
            &[0.1, 0.5],
            &[0.2, 0.6],
            &[0.3, 0.7],
            &[0.4, 0.9],
            &[0.35, 0.55],
        ]);
        let a = iqm_bootstrap_ci(&s, 2000, 7, 0.95);
        let b = iqm_bootstrap_ci(&s, 2000, 7, 0.95);
        let c = stratified_bootstrap_ci(&s, aggregate_iqm, 2000, 7, 0.95);
        assert_eq!(a, b);
        assert!((a.0 - c.0).abs() < 1e-12 && (a.1 - c.1).abs() < 1e-12);
        let iqm = aggregate_iqm(&s);
        assert!(a.0 < iqm && iqm < a.1, "{a:?} {iqm}");
        assert_ne!(iqm_bootstrap_ci(&s, 2000, 8, 0.95), a);
        let (lo, hi) = iqm_bootstrap_ci(&s, 0, 7, 0.95);
        assert!(lo.is_nan() && hi.is_nan());
        // A constant matrix has a zero-width interval.
        let k = m(&[&[0.5, 0.5], &[0.5, 0.5]]);
        assert_eq!(iqm_bootstrap_ci(&k, 100, 1, 0.95), (0.5, 0.5));
        // Property-test counterexample: one task [0.8, 0.75, 0.75], 200 reps,
        // seed 2650932325785157781 gave the upper end 0.8000000000000002,
        // above the largest score (resample [0.8; 3] averaged to noise).
        let s = ScoreMatrix::from_task_columns(vec![vec![0.8, 0.75, 0.75]]).unwrap();
        let (lo, hi) = iqm_bootstrap_ci(&s, 200, 2650932325785157781, 0.95);
        assert_eq!((lo, hi), (0.75, 0.8));
    }
}
