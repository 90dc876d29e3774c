//! Descriptive statistics over one sample (`&[f64]`): mean, sample variance
//! and standard deviation, Student-t confidence interval, median, quantiles.
//!
//! Conventions shared by all functions: an empty sample gives `NaN`; a
//! *constant* sample (all values exactly equal, `min == max`) has variance
//! exactly `0.0` and mean exactly its value, so that rounding noise such as
//! `0.8000000000000002` never turns a degenerate comparison into a "significant"
//! one (README recommendation 1).

use crate::distributions::student_t_ppf;

/// True when the sample is non-empty and all its values are exactly equal
/// (`min == max`, compared as parsed doubles).
pub fn is_constant(x: &[f64]) -> bool {
    match x.split_first() {
        Some((first, rest)) => rest.iter().all(|v| v == first),
        None => false,
    }
}

/// Arithmetic mean, summed sequentially in the given order. A constant sample
/// returns its value exactly; an empty sample returns `NaN`.
pub fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        return f64::NAN;
    }
    if is_constant(x) {
        return x[0];
    }
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample variance with `ddof = 1`, computed in two passes (mean first, then
/// the sum of squared deviations). `NaN` when `n < 2`; exactly `0.0` for a
/// constant sample.
pub fn sample_variance(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return f64::NAN;
    }
    if is_constant(x) {
        return 0.0;
    }
    let m = mean(x);
    let ss: f64 = x.iter().map(|v| (v - m) * (v - m)).sum();
    ss / (x.len() - 1) as f64
}

/// Sample standard deviation (`ddof = 1`): the square root of
/// [`sample_variance`]. `NaN` when `n < 2`, `0.0` for a constant sample.
pub fn sample_std(x: &[f64]) -> f64 {
    sample_variance(x).sqrt()
}

/// Student-t confidence interval of the mean at level `confidence`
/// (e.g. `0.95`): `mean ∓ t_{(1+confidence)/2, n-1} · std / √n`.
///
/// Returns `(NaN, NaN)` when `n < 2`, and `(mean, mean)` for a constant sample.
pub fn t_ci(x: &[f64], confidence: f64) -> (f64, f64) {
    let n = x.len();
    if n < 2 {
        return (f64::NAN, f64::NAN);
    }
    let m = mean(x);
    let s = sample_std(x);
    let q = student_t_ppf(0.5 + 0.5 * confidence, (n - 1) as f64);
    let half = q * s / (n as f64).sqrt();
    (m - half, m + half)
}

/// Student-t 95% confidence interval of the mean, as in the `ci95_low` /
/// `ci95_high` columns: `mean ∓ t.ppf(0.975, n-1) · std / √n`
/// (see [`t_ci`] for the degenerate cases).
pub fn t_ci95(x: &[f64]) -> (f64, f64) {
    t_ci(x, 0.95)
}

/// Median (average of the two middle values for an even `n`), `NaN` for an
/// empty sample. Values are compared with `f64::total_cmp`.
pub fn median(x: &[f64]) -> f64 {
    quantile(x, 0.5)
}

/// Quantile at `q ∈ [0, 1]` with linear interpolation between order
/// statistics, like `numpy.quantile(x, q)` / `numpy.percentile(x, 100 q)` with
/// the default `method="linear"`. `NaN` for an empty sample or `q` outside
/// `[0, 1]`.
pub fn quantile(x: &[f64], q: f64) -> f64 {
    if x.is_empty() || !(0.0..=1.0).contains(&q) {
        return f64::NAN;
    }
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    quantile_sorted(&sorted, q)
}

/// [`quantile`] for an already ascending-sorted sample (no allocation).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 || !(0.0..=1.0).contains(&q) {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let frac = h - lo as f64;
    lerp(sorted[lo], sorted[hi], frac)
}

/// NumPy's `_lerp`: `a + t(b - a)` for `t < 0.5`, `b - (b - a)(1 - t)` otherwise,
/// which is exact at both ends and monotone.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let d = b - a;
    if t >= 0.5 {
        b - d * (1.0 - t)
    } else {
        a + d * t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_std_hand_computed() {
        let x = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert_eq!(mean(&x), 5.0);
        // sum of squared deviations = 32, / 7
        assert!((sample_variance(&x) - 32.0 / 7.0).abs() < 1e-15);
        assert!((sample_std(&x) - (32.0f64 / 7.0).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn degenerate_samples() {
        assert!(mean(&[]).is_nan());
        assert!(sample_std(&[1.0]).is_nan());
        let (lo, hi) = t_ci95(&[1.0]);
        assert!(lo.is_nan() && hi.is_nan());
        // 0.8 * 3 sums to 2.4000000000000004; the constant rule gives 0.8 exactly.
        let c = [0.8, 0.8, 0.8];
        assert_eq!(mean(&c), 0.8);
        assert_eq!(sample_std(&c), 0.0);
        assert_eq!(t_ci95(&c), (0.8, 0.8));
        assert!(is_constant(&c) && !is_constant(&[0.8, 0.9]) && !is_constant(&[]));
    }

    #[test]
    fn t_ci95_hand_computed() {
        // n = 4, mean 2.5, std = sqrt(5/3), t.ppf(0.975, 3) = 3.1824463052837078
        let x = [1.0, 2.0, 3.0, 4.0];
        let half = 3.1824463052837078 * (5.0f64 / 3.0).sqrt() / 2.0;
        let (lo, hi) = t_ci95(&x);
        assert!((lo - (2.5 - half)).abs() < 1e-13);
        assert!((hi - (2.5 + half)).abs() < 1e-13);
    }

    #[test]
    fn median_and_quantiles() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
        // numpy.percentile([1, 2, 3, 4, 10], [2.5, 97.5]) = [1.1, 9.4]
        let x = [10.0, 1.0, 3.0, 2.0, 4.0];
        assert!((quantile(&x, 0.025) - 1.1).abs() < 1e-15);
        assert!((quantile(&x, 0.975) - 9.4).abs() < 1e-14);
        assert_eq!(quantile(&x, 0.0), 1.0);
        assert_eq!(quantile(&x, 1.0), 10.0);
        assert!(quantile(&x, 1.5).is_nan());
    }
}
