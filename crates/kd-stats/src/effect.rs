//! Effect sizes for two samples `x` (method) and `y` (baseline): Hedges' g
//! and the probability of improvement `P(X > Y)`.

use crate::descriptive::{mean, sample_variance};
use crate::hypothesis::u_statistic;

/// Hedges' g with the approximate small-sample correction:
/// `g = (x̄ − ȳ)/s_p · J`, `s_p = √(((n1−1)s1² + (n2−1)s2²)/(n1+n2−2))`,
/// `J = 1 − 3/(4(n1+n2) − 9)` (not the Gamma-function form).
///
/// `NaN` when either sample has fewer than 2 values or both are constant and
/// equal; `±inf` when both are constant and differ (README degenerate table).
pub fn hedges_g(x: &[f64], y: &[f64]) -> f64 {
    let (n1, n2) = (x.len(), y.len());
    if n1 < 2 || n2 < 2 {
        return f64::NAN;
    }
    let (v1, v2) = (sample_variance(x), sample_variance(y));
    let pooled = (((n1 - 1) as f64 * v1 + (n2 - 1) as f64 * v2) / (n1 + n2 - 2) as f64).sqrt();
    let j = 1.0 - 3.0 / (4.0 * (n1 + n2) as f64 - 9.0);
    (mean(x) - mean(y)) / pooled * j
}

/// Probability of improvement `P(X > Y) = (#{x > y} + 0.5·#{x = y}) / (n1·n2)`
/// over all pairs, i.e. `U1/(n1·n2)`. Identical samples give exactly 0.5;
/// an empty sample gives `NaN`.
pub fn probability_of_improvement(x: &[f64], y: &[f64]) -> f64 {
    if x.is_empty() || y.is_empty() {
        return f64::NAN;
    }
    u_statistic(x, y) / (x.len() * y.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hedges_g_hand_computed() {
        // x̄ = 3, ȳ = 2, s1² = s2² = 2.5, s_p = √2.5, J = 1 − 3/31
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [0.0, 1.0, 2.0, 3.0, 4.0];
        let want = 1.0 / 2.5f64.sqrt() * (1.0 - 3.0 / 31.0);
        assert!((hedges_g(&x, &y) - want).abs() < 1e-15);
        assert!((hedges_g(&y, &x) + want).abs() < 1e-15);
    }

    #[test]
    fn hedges_g_degenerate() {
        let c = [0.75; 3];
        assert!(hedges_g(&c, &c).is_nan());
        assert_eq!(hedges_g(&c, &[0.5; 3]), f64::INFINITY);
        assert_eq!(hedges_g(&[0.5; 3], &c), f64::NEG_INFINITY);
        assert!(hedges_g(&[0.7], &[0.5, 0.6, 0.7]).is_nan());
        let x = [0.1, 0.4, 0.3];
        assert_eq!(hedges_g(&x, &x), 0.0);
        // One constant sample (README): 3.39…
        let g = hedges_g(&c, &[0.5, 0.625, 0.5625]);
        assert!((g - 3.39).abs() < 0.01, "{g}");
    }

    #[test]
    fn probability_of_improvement_counts_ties_as_half() {
        // pairs: (3>1,3>2,3=3), (1=1,1<2,1<3) -> 2 + 0.5·2 = 3 of 6
        assert_eq!(
            probability_of_improvement(&[3.0, 1.0], &[1.0, 2.0, 3.0]),
            0.5
        );
        assert_eq!(probability_of_improvement(&[5.0, 6.0], &[1.0, 2.0]), 1.0);
        assert_eq!(probability_of_improvement(&[0.0], &[1.0, 2.0]), 0.0);
        assert!(probability_of_improvement(&[], &[1.0]).is_nan());
    }
}
