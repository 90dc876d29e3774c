//! Two-sample hypothesis tests and multiple-testing adjustment: Welch's
//! t-test (two-sided, and one-sided "less" for regression gates), the
//! Mann–Whitney U test with SciPy's `method='auto'` rule, and Holm's step-down
//! adjustment.
//!
//! Every test takes `x` (the method / current sample) and `y` (the baseline /
//! reference sample) as `&[f64]` and never panics: degenerate inputs are
//! reported through [`Degenerate`] following the reference README's
//! recommendations.

use crate::descriptive::{mean, sample_variance};
use crate::distributions::{normal_sf, student_t_cdf, student_t_two_sided_p};

/// Why a Welch test (or an effect size) could not be computed normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Degenerate {
    /// Fewer than two values in either sample: variance undefined, so
    /// `t`, `df` and `p` are `NaN`.
    TooFewSamples,
    /// Both samples constant with the same value: `t = df = NaN`, `p = 1.0`.
    ConstantEqual,
    /// Both samples constant with different values: `t = ±inf`, `df = NaN`,
    /// `p = 0.0` (two-sided).
    ConstantDifferent,
}

impl std::fmt::Display for Degenerate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Degenerate::TooFewSamples => {
                "fewer than 2 values in a sample: std, CI and the Welch test are undefined (nan)"
            }
            Degenerate::ConstantEqual => {
                "both samples are constant and equal: welch_t, welch_df and hedges_g are nan, welch_p and mwu_p are 1.0"
            }
            Degenerate::ConstantDifferent => {
                "both samples are constant and differ: welch_t and hedges_g are infinite, welch_df is nan, welch_p is 0.0"
            }
        })
    }
}

/// Result of Welch's unequal-variance t-test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WelchTest {
    /// `t = (x̄ − ȳ) / √(s1²/n1 + s2²/n2)`.
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom (not rounded).
    pub df: f64,
    /// p-value for the requested alternative.
    pub p: f64,
    /// Set when the inputs were degenerate (see [`Degenerate`]).
    pub degenerate: Option<Degenerate>,
}

/// Which alternative hypothesis a Welch test uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alternative {
    /// H1: mean(x) ≠ mean(y); `p = 2·(1 − F_t(|t|; df))`.
    TwoSided,
    /// H1: mean(x) < mean(y); `p = F_t(t; df)`.
    Less,
}

/// Welch's t-test with an explicit alternative; see [`welch_t_test`] and
/// [`welch_t_test_less`].
///
/// With `a = s1²/n1`, `b = s2²/n2`: `t = (x̄ − ȳ)/√(a+b)`,
/// `df = (a+b)² / (a²/(n1−1) + b²/(n2−1))`. Degenerate cases: `n < 2` in
/// either sample gives `NaN` everywhere; both samples constant and equal give
/// `t = df = NaN`, `p = 1.0`; both constant and different give `t = ±inf`,
/// `df = NaN`, and `p = 0.0` (two-sided) or `0.0`/`1.0` (less). A single
/// constant sample is handled by the normal formulas (variance exactly 0).
pub fn welch_test(x: &[f64], y: &[f64], alternative: Alternative) -> WelchTest {
    let (n1, n2) = (x.len(), y.len());
    if n1 < 2 || n2 < 2 {
        return WelchTest {
            t: f64::NAN,
            df: f64::NAN,
            p: f64::NAN,
            degenerate: Some(Degenerate::TooFewSamples),
        };
    }
    let (m1, m2) = (mean(x), mean(y));
    let (v1, v2) = (sample_variance(x), sample_variance(y));
    if v1 == 0.0 && v2 == 0.0 {
        if m1 == m2 {
            return WelchTest {
                t: f64::NAN,
                df: f64::NAN,
                p: 1.0,
                degenerate: Some(Degenerate::ConstantEqual),
            };
        }
        let t = if m1 > m2 {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        };
        let p = match alternative {
            Alternative::TwoSided => 0.0,
            Alternative::Less => {
                if t < 0.0 {
                    0.0
                } else {
                    1.0
                }
            }
        };
        return WelchTest {
            t,
            df: f64::NAN,
            p,
            degenerate: Some(Degenerate::ConstantDifferent),
        };
    }
    let a = v1 / n1 as f64;
    let b = v2 / n2 as f64;
    let t = (m1 - m2) / (a + b).sqrt();
    let df = (a + b) * (a + b) / (a * a / (n1 - 1) as f64 + b * b / (n2 - 1) as f64);
    let p = match alternative {
        Alternative::TwoSided => student_t_two_sided_p(t, df),
        Alternative::Less => student_t_cdf(t, df),
    };
    WelchTest {
        t,
        df,
        p,
        degenerate: None,
    }
}

/// Two-sided Welch t-test, like `scipy.stats.ttest_ind(x, y, equal_var=False)`
/// except for the documented degenerate cases (see [`welch_test`]).
pub fn welch_t_test(x: &[f64], y: &[f64]) -> WelchTest {
    welch_test(x, y, Alternative::TwoSided)
}

/// One-sided Welch t-test of H1: mean(x) < mean(y), like
/// `ttest_ind(x, y, equal_var=False, alternative='less')`. Used by the
/// regression gate with `x` = current runs and `y` = reference runs.
pub fn welch_t_test_less(x: &[f64], y: &[f64]) -> WelchTest {
    welch_test(x, y, Alternative::Less)
}

/// How a Mann–Whitney p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MwuMethod {
    /// Exact null distribution of U (no tie or continuity correction).
    Exact,
    /// Normal approximation with tie correction and continuity correction 0.5.
    Asymptotic,
}

impl MwuMethod {
    /// Lower-case name as SciPy spells it (`"exact"` / `"asymptotic"`).
    pub fn as_str(self) -> &'static str {
        match self {
            MwuMethod::Exact => "exact",
            MwuMethod::Asymptotic => "asymptotic",
        }
    }
}

/// Result of a two-sided Mann–Whitney U test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// `U1 = #{x > y} + 0.5·#{x = y}` over all pairs (statistic of `x`).
    pub u1: f64,
    /// Two-sided p-value, clipped to `[0, 1]`.
    pub p: f64,
    /// Which method produced `p`.
    pub method: MwuMethod,
    /// Whether the pooled sample `x ∪ y` contains any repeated value.
    pub pooled_ties: bool,
}

/// Two-sided Mann–Whitney U test with SciPy 1.17's `method='auto'` rule and
/// `use_continuity=True`.
///
/// Exact when `min(n1, n2) <= 8` and the pooled sample has no ties (no value
/// occurs twice anywhere); asymptotic otherwise. Exact:
/// `p = min(1, 2·P(U >= max(U1, U2)))` from the exact null distribution.
/// Asymptotic: `z = (max(U1,U2) − n1n2/2 − 0.5)/σ` with the tie-corrected
/// `σ = √(n1n2/12·((N+1) − Σ(t³−t)/(N(N−1))))`, `p = min(1, 2·Φ(−z))`
/// (`σ = 0`, i.e. all values equal, gives `p = 1`). Empty input gives `NaN`.
pub fn mann_whitney_u(x: &[f64], y: &[f64]) -> MannWhitney {
    let pooled_ties = has_pooled_ties(x, y);
    let method = if x.len().min(y.len()) <= 8 && !pooled_ties {
        MwuMethod::Exact
    } else {
        MwuMethod::Asymptotic
    };
    mann_whitney_u_with(x, y, method)
}

/// Two-sided Mann–Whitney U test with a forced method (see
/// [`mann_whitney_u`]). With ties, `Exact` uses the integer part of
/// `max(U1, U2)` like SciPy, and is then only approximate.
pub fn mann_whitney_u_with(x: &[f64], y: &[f64], method: MwuMethod) -> MannWhitney {
    let pooled_ties = has_pooled_ties(x, y);
    let (n1, n2) = (x.len(), y.len());
    if n1 == 0 || n2 == 0 {
        return MannWhitney {
            u1: f64::NAN,
            p: f64::NAN,
            method,
            pooled_ties,
        };
    }
    let u1 = u_statistic(x, y);
    let nn = (n1 * n2) as f64;
    let u = u1.max(nn - u1);
    let p = match method {
        MwuMethod::Exact => 2.0 * mwu_exact_sf(u as u64, n1, n2),
        MwuMethod::Asymptotic => {
            let n = (n1 + n2) as f64;
            let tie_term = tie_sum(x, y);
            let sigma = (nn / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)))).sqrt();
            let z = (u - nn / 2.0 - 0.5) / sigma;
            if z.is_nan() {
                // σ = 0 means every value is equal, so U1 = n1n2/2: no evidence.
                1.0
            } else {
                2.0 * normal_sf(z)
            }
        }
    };
    MannWhitney {
        u1,
        p: p.clamp(0.0, 1.0),
        method,
        pooled_ties,
    }
}

/// `U1 = #{x > y} + 0.5·#{x = y}` over all `n1·n2` pairs, computed exactly by
/// binary search in the sorted `y` (always a multiple of 0.5).
pub fn u_statistic(x: &[f64], y: &[f64]) -> f64 {
    let mut ys = y.to_vec();
    ys.sort_by(f64::total_cmp);
    let (mut gt, mut eq) = (0u64, 0u64);
    for &v in x {
        let below = ys.partition_point(|w| *w < v);
        let not_above = ys.partition_point(|w| *w <= v);
        gt += below as u64;
        eq += (not_above - below) as u64;
    }
    gt as f64 + 0.5 * eq as f64
}

/// Whether any value occurs more than once in the pooled sample `x ∪ y`.
fn has_pooled_ties(x: &[f64], y: &[f64]) -> bool {
    let mut all: Vec<f64> = x.iter().chain(y).copied().collect();
    all.sort_by(f64::total_cmp);
    all.windows(2).any(|w| w[0] == w[1])
}

/// `Σ (t³ − t)` over the tie groups of the pooled sample.
fn tie_sum(x: &[f64], y: &[f64]) -> f64 {
    let mut all: Vec<f64> = x.iter().chain(y).copied().collect();
    all.sort_by(f64::total_cmp);
    let mut total = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i + 1;
        while j < all.len() && all[j] == all[i] {
            j += 1;
        }
        let t = (j - i) as f64;
        total += t * t * t - t;
        i = j;
    }
    total
}

/// Exact null upper tail `P(U >= u)` of the Mann–Whitney statistic for sample
/// sizes `n1`, `n2` (no ties), i.e. the number of arrangements with `U >= u`
/// divided by `C(n1+n2, n1)`.
///
/// The counts are the coefficients of the Gaussian binomial `[N choose m]_q`
/// (`m = min(n1, n2)`), built as `Π_{i=1..m} (1 − q^{N−m+i})/(1 − q^i)` in
/// exact `i128` arithmetic: `O(m²·max(n1,n2))`. When `C(N, m)` exceeds `i128`
/// it falls back to an `f64` subset-sum recursion (`O(N·m²·n)`), which is only
/// reached when both samples are large.
pub fn mwu_exact_sf(u: u64, n1: usize, n2: usize) -> f64 {
    let (m, n) = (n1.min(n2), n1.max(n2));
    let max_u = (m * n) as u64;
    if u == 0 {
        return 1.0;
    }
    if u > max_u {
        return 0.0;
    }
    if let Some(total) = binomial_i128(m + n, m) {
        let coefs = gaussian_binomial_i128(m, n);
        let tail: i128 = coefs[u as usize..].iter().sum();
        tail as f64 / total as f64
    } else {
        let coefs = gaussian_binomial_f64(m, n);
        let total: f64 = coefs.iter().sum();
        let tail: f64 = coefs[u as usize..].iter().sum();
        tail / total
    }
}

/// `C(n, k)` if it fits in `i128`.
fn binomial_i128(n: usize, k: usize) -> Option<i128> {
    let k = k.min(n - k);
    let mut c: i128 = 1;
    for i in 1..=k {
        // c·(n−k+i)/i is exact at every step.
        c = c.checked_mul((n - k + i) as i128)? / i as i128;
    }
    Some(c)
}

/// Coefficients of `[m+n choose m]_q` (degree `m·n`) in exact integers.
fn gaussian_binomial_i128(m: usize, n: usize) -> Vec<i128> {
    let deg = m * n;
    let mut c = vec![0i128; deg + 1];
    c[0] = 1;
    for i in 1..=m {
        // multiply by (1 − q^(n+i))
        let a = n + i;
        for j in (a..=deg).rev() {
            c[j] -= c[j - a];
        }
        // divide by (1 − q^i): c[j] += c[j − i], ascending
        for j in i..=deg {
            c[j] += c[j - i];
        }
    }
    c
}

/// Coefficients of `[m+n choose m]_q` by counting `m`-subsets of `{0..N−1}`
/// by their sum, in `f64` (only non-negative additions).
fn gaussian_binomial_f64(m: usize, n: usize) -> Vec<f64> {
    let deg = m * n;
    // counts[k][s]: k-subsets with sum s − k(k−1)/2 (shifted so it stays ≤ deg).
    let mut counts = vec![vec![0.0f64; deg + 1]; m + 1];
    counts[0][0] = 1.0;
    for j in 0..(m + n) {
        for k in (1..=m.min(j + 1)).rev() {
            // adding element j to a (k−1)-subset: shifted sum grows by j − (k−1).
            let shift = j - (k - 1);
            let (lo, hi) = counts.split_at_mut(k);
            let prev = &lo[k - 1];
            let cur = &mut hi[0];
            for s in (shift..=deg).rev() {
                cur[s] += prev[s - shift];
            }
        }
    }
    counts.swap_remove(m)
}

/// Holm–Bonferroni step-down adjustment, like statsmodels'
/// `multipletests(p, method='holm')[1]`.
///
/// Sort ascending, `adj(k) = min(1, max_{j≤k} (m − j + 1)·p(j))`, mapped back
/// to input order. `NaN` p-values stay `NaN` but still count in `m`
/// (they sort last, so they do not affect the others), as in statsmodels.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| match (p[a].is_nan(), p[b].is_nan()) {
        (false, false) => p[a].total_cmp(&p[b]),
        (a_nan, b_nan) => a_nan.cmp(&b_nan),
    });
    let mut out = vec![f64::NAN; m];
    let mut running = f64::NEG_INFINITY;
    for (rank, &idx) in order.iter().enumerate() {
        let v = p[idx];
        if v.is_nan() {
            break;
        }
        running = running.max((m - rank) as f64 * v);
        out[idx] = running.min(1.0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    #[test]
    fn welch_matches_scipy_example() {
        // scipy.stats.ttest_ind([1,2,3,4,5], [2,4,6,8,10,12], equal_var=False)
        // -> statistic=-2.6457513110645907, pvalue=0.03455009358189498,
        //    df = 6.850746268656716 (Welch–Satterthwaite)
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [2.0, 4.0, 6.0, 8.0, 10.0, 12.0];
        let w = welch_t_test(&x, &y);
        let a: f64 = 2.5 / 5.0;
        let b = 14.0 / 6.0;
        let t = -4.0 / (a + b).sqrt();
        let df = (a + b) * (a + b) / (a * a / 4.0 + b * b / 5.0);
        assert!(close(w.t, t, 1e-14));
        assert!(close(w.df, df, 1e-14));
        assert!(w.degenerate.is_none());
        // One-sided "less" is half of the two-sided p when t < 0.
        let l = welch_t_test_less(&x, &y);
        assert!(close(l.p, w.p / 2.0, 1e-12));
        let g = welch_t_test_less(&y, &x);
        assert!(close(g.p, 1.0 - w.p / 2.0, 1e-12));
    }

    #[test]
    fn welch_degenerate_cases_follow_readme() {
        let c = [0.75, 0.75, 0.75];
        let w = welch_t_test(&c, &c);
        assert!(w.t.is_nan() && w.df.is_nan());
        assert_eq!(w.p, 1.0);
        assert_eq!(w.degenerate, Some(Degenerate::ConstantEqual));

        let w = welch_t_test(&c, &[0.5, 0.5, 0.5]);
        assert_eq!(w.t, f64::INFINITY);
        assert!(w.df.is_nan());
        assert_eq!(w.p, 0.0);
        assert_eq!(w.degenerate, Some(Degenerate::ConstantDifferent));
        assert_eq!(welch_t_test_less(&c, &[0.5, 0.5, 0.5]).p, 1.0);
        assert_eq!(welch_t_test_less(&[0.5, 0.5, 0.5], &c).p, 0.0);

        // One constant sample: df = n2 − 1, t = 5.196…, p = 0.0351 (scipy).
        let w = welch_t_test(&c, &[0.5, 0.625, 0.5625]);
        assert!(close(w.df, 2.0, 1e-12));
        assert!(close(w.t, 27.0f64.sqrt(), 1e-12), "{}", w.t);
        assert!((w.p - 0.0351).abs() < 5e-5, "{}", w.p);
        assert!(w.degenerate.is_none());

        // Identical non-constant samples: t = 0, df = 4, p = 1, U = 4.5, p = 1.
        let s = [0.5, 0.625, 0.5625];
        let w = welch_t_test(&s, &s);
        assert_eq!((w.t, w.p), (0.0, 1.0));
        assert!(close(w.df, 4.0, 1e-12));
        let r = mann_whitney_u(&s, &s);
        assert_eq!((r.u1, r.p), (4.5, 1.0));

        let w = welch_t_test(&[0.7], &[0.5, 0.625, 0.5625]);
        assert!(w.t.is_nan() && w.df.is_nan() && w.p.is_nan());
        assert_eq!(w.degenerate, Some(Degenerate::TooFewSamples));

        // Non-dyadic constants: 0.8×3 vs 0.8×3 is "constant equal", not noise.
        assert_eq!(
            welch_t_test(&[0.8; 3], &[0.8; 3]).degenerate,
            Some(Degenerate::ConstantEqual)
        );
    }

    #[test]
    fn mwu_exact_small_hand_computed() {
        // n1 = n2 = 2: the 6 arrangements give U = 0,1,2,2,3,4.
        assert!(close(mwu_exact_sf(4, 2, 2), 1.0 / 6.0, 1e-15));
        assert!(close(mwu_exact_sf(3, 2, 2), 2.0 / 6.0, 1e-15));
        assert!(close(mwu_exact_sf(2, 2, 2), 4.0 / 6.0, 1e-15));
        assert_eq!(mwu_exact_sf(0, 2, 2), 1.0);
        assert_eq!(mwu_exact_sf(5, 2, 2), 0.0);
        // Separated samples of 5: p = 2/C(10,5) = 2/252.
        let r = mann_whitney_u(&[6.0, 7.0, 8.0, 9.0, 10.0], &[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(r.method, MwuMethod::Exact);
        assert_eq!(r.u1, 25.0);
        assert!(close(r.p, 2.0 / 252.0, 1e-15));
    }

    #[test]
    fn mwu_exact_i128_and_f64_paths_agree() {
        for (m, n) in [(3, 4), (5, 5), (8, 11), (6, 20)] {
            let a = gaussian_binomial_i128(m, n);
            let b = gaussian_binomial_f64(m, n);
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(&b) {
                assert_eq!(*x as f64, *y, "m={m} n={n}");
            }
            let total: i128 = a.iter().sum();
            assert_eq!(Some(total), binomial_i128(m + n, m));
        }
        // Large n (C(1008, 8) overflows u64) still works and is symmetric.
        let p = mwu_exact_sf(4000, 8, 1000);
        assert!(p > 0.0 && p < 1.0);
        let lo = 1.0 - mwu_exact_sf(4001, 8, 1000);
        assert!(close(p, lo, 1e-12), "{p} vs {lo}");
    }

    #[test]
    fn mwu_auto_rule_and_degenerate() {
        // Cross tie forces asymptotic.
        let r = mann_whitney_u(&[1.0, 2.0, 3.0], &[3.0, 4.0, 5.0]);
        assert_eq!(r.method, MwuMethod::Asymptotic);
        assert!(r.pooled_ties);
        assert_eq!(r.u1, 0.5);
        // n1 = 9 against n2 = 4 without ties is still exact.
        let x: Vec<f64> = (0..9).map(|i| i as f64).collect();
        let r = mann_whitney_u(&x, &[0.5, 1.5, 2.5, 3.5]);
        assert_eq!(r.method, MwuMethod::Exact);
        // README degenerate table.
        let c = [0.75; 3];
        let r = mann_whitney_u(&c, &c);
        assert_eq!((r.u1, r.p, r.method), (4.5, 1.0, MwuMethod::Asymptotic));
        let r = mann_whitney_u(&c, &[0.5; 3]);
        assert_eq!(r.u1, 9.0);
        assert!((r.p - 0.0469).abs() < 5e-5, "{}", r.p);
        let r = mann_whitney_u(&c, &[0.5, 0.625, 0.5625]);
        assert_eq!(r.u1, 9.0);
        assert!((r.p - 0.0636).abs() < 5e-5, "{}", r.p);
        let r = mann_whitney_u(&[0.75], &[0.5, 0.625, 0.5625]);
        assert_eq!((r.u1, r.p, r.method), (3.0, 0.5, MwuMethod::Exact));
        // U1 = n1n2/2 in the exact branch clips to 1.
        let r = mann_whitney_u(&[1.0, 4.0], &[2.0, 3.0]);
        assert_eq!((r.u1, r.p), (2.0, 1.0));
        assert!(mann_whitney_u(&[], &[1.0]).p.is_nan());
    }

    #[test]
    fn holm_hand_computed() {
        // sorted: 0.01·4=0.04, 0.02·3=0.06, 0.03·2=0.06, 0.5·1 -> max 0.5
        let adj = holm(&[0.03, 0.5, 0.01, 0.02]);
        let want = [0.06, 0.5, 0.04, 0.06];
        for (a, w) in adj.iter().zip(want) {
            assert!((a - w).abs() < 1e-15, "{adj:?}");
        }
        // monotonicity: 2·0.3255 = 0.651 > 0.4726
        let adj = holm(&[0.4726, 0.3255]);
        assert!((adj[0] - 0.651).abs() < 1e-15 && (adj[1] - 0.651).abs() < 1e-15);
        // capped at 1, NaN stays NaN but counts in m
        let adj = holm(&[0.6, f64::NAN, 0.1]);
        assert_eq!(adj[0], 1.0);
        assert!(adj[1].is_nan());
        assert!((adj[2] - 0.3).abs() < 1e-15);
        assert!(holm(&[]).is_empty());
    }
}
