//! Task metrics used by the domain crates: classification (accuracy,
//! macro-F1, F1 of the positive class, Matthews correlation coefficient) over
//! integer class labels, and regression correlations (Pearson, Spearman).
//!
//! Conventions follow scikit-learn / SciPy: classes are `usize` labels;
//! an undefined precision/recall/F1 of a class counts as 0; an empty input
//! gives `NaN`. Prediction and label slices must have the same length
//! (the functions panic otherwise, as that is a programming error).

use crate::aggregate::rankdata_average;
use crate::descriptive::is_constant;

fn check_len(a: usize, b: usize) {
    assert_eq!(a, b, "metric inputs must have the same length");
}

/// Fraction of positions where `y_pred` equals `y_true`. `NaN` when empty.
pub fn accuracy(y_true: &[usize], y_pred: &[usize]) -> f64 {
    check_len(y_true.len(), y_pred.len());
    if y_true.is_empty() {
        return f64::NAN;
    }
    let hits = y_true.iter().zip(y_pred).filter(|(a, b)| a == b).count();
    hits as f64 / y_true.len() as f64
}

/// True positives, false positives and false negatives for class `c`.
fn confusion_for(y_true: &[usize], y_pred: &[usize], c: usize) -> (usize, usize, usize) {
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    for (&t, &p) in y_true.iter().zip(y_pred) {
        match (t == c, p == c) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            (false, false) => {}
        }
    }
    (tp, fp, fn_)
}

/// F1 from counts: `2tp / (2tp + fp + fn)`, 0 when the denominator is 0.
fn f1_from_counts(tp: usize, fp: usize, fn_: usize) -> f64 {
    let denom = 2 * tp + fp + fn_;
    if denom == 0 {
        0.0
    } else {
        (2 * tp) as f64 / denom as f64
    }
}

/// F1 score of class `positive` (scikit-learn `f1_score(average='binary',
/// pos_label=positive)`): `2·tp / (2·tp + fp + fn)`, 0 when that class never
/// occurs in either slice. `NaN` when empty.
pub fn f1_binary(y_true: &[usize], y_pred: &[usize], positive: usize) -> f64 {
    check_len(y_true.len(), y_pred.len());
    if y_true.is_empty() {
        return f64::NAN;
    }
    let (tp, fp, fn_) = confusion_for(y_true, y_pred, positive);
    f1_from_counts(tp, fp, fn_)
}

/// Macro-averaged F1 (scikit-learn `f1_score(average='macro')`): the
/// unweighted mean of per-class F1 over every label that occurs in `y_true`
/// or `y_pred`. `NaN` when empty.
pub fn macro_f1(y_true: &[usize], y_pred: &[usize]) -> f64 {
    check_len(y_true.len(), y_pred.len());
    if y_true.is_empty() {
        return f64::NAN;
    }
    let mut labels: Vec<usize> = y_true.iter().chain(y_pred).copied().collect();
    labels.sort_unstable();
    labels.dedup();
    let total: f64 = labels
        .iter()
        .map(|&c| {
            let (tp, fp, fn_) = confusion_for(y_true, y_pred, c);
            f1_from_counts(tp, fp, fn_)
        })
        .sum();
    total / labels.len() as f64
}

/// Matthews correlation coefficient for any number of classes
/// (scikit-learn `matthews_corrcoef`, Gorodkin's R_K):
/// `(c·s − Σ p_k t_k) / √((s² − Σ p_k²)(s² − Σ t_k²))` with `c` correct
/// predictions, `s` samples, `p_k`/`t_k` predicted/true counts of class `k`.
/// Returns 0.0 when the denominator is 0 (e.g. a constant prediction), `NaN`
/// when empty. For two classes this is the usual
/// `(tp·tn − fp·fn)/√((tp+fp)(tp+fn)(tn+fp)(tn+fn))`.
pub fn matthews_corrcoef(y_true: &[usize], y_pred: &[usize]) -> f64 {
    check_len(y_true.len(), y_pred.len());
    if y_true.is_empty() {
        return f64::NAN;
    }
    let k = y_true.iter().chain(y_pred).max().map_or(0, |m| m + 1);
    let mut t_counts = vec![0f64; k];
    let mut p_counts = vec![0f64; k];
    let mut correct = 0f64;
    for (&t, &p) in y_true.iter().zip(y_pred) {
        t_counts[t] += 1.0;
        p_counts[p] += 1.0;
        if t == p {
            correct += 1.0;
        }
    }
    let s = y_true.len() as f64;
    let pt: f64 = p_counts.iter().zip(&t_counts).map(|(p, t)| p * t).sum();
    let pp: f64 = p_counts.iter().map(|p| p * p).sum();
    let tt: f64 = t_counts.iter().map(|t| t * t).sum();
    let denom = ((s * s - pp) * (s * s - tt)).sqrt();
    if denom == 0.0 {
        0.0
    } else {
        (correct * s - pt) / denom
    }
}

/// Pearson correlation coefficient (`scipy.stats.pearsonr`), computed from
/// centred values. `NaN` when fewer than 2 values or either input is constant.
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    check_len(x.len(), y.len());
    let n = x.len();
    // Constancy is decided on the values themselves (like scipy's
    // `(x == x[0]).all()`), not from the centred sums: 0.7·3/3 rounds to
    // 0.6999999999999998, so [0.7; 3] had tiny nonzero deviations and gave a
    // meaningless finite r instead of NaN (found by the property tests).
    if n < 2 || is_constant(x) || is_constant(y) {
        return f64::NAN;
    }
    let mx = x.iter().sum::<f64>() / n as f64;
    let my = y.iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx == 0.0 || syy == 0.0 {
        return f64::NAN;
    }
    (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0)
}

/// Spearman rank correlation (`scipy.stats.spearmanr`): the Pearson
/// correlation of the average ranks (ties share their mean rank). `NaN` when
/// fewer than 2 values or either input is constant.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    check_len(x.len(), y.len());
    pearson(&rankdata_average(x), &rankdata_average(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: [usize; 8] = [0, 1, 1, 0, 1, 0, 1, 1];
    const P: [usize; 8] = [0, 1, 0, 0, 1, 1, 1, 0];

    #[test]
    fn accuracy_and_binary_f1() {
        // hits at 0,1,3,4,6 → 5/8
        assert_eq!(accuracy(&T, &P), 5.0 / 8.0);
        // class 1: tp = 3 (1,4,6), fp = 1 (5), fn = 2 (2,7) → 6/9
        assert!((f1_binary(&T, &P, 1) - 6.0 / 9.0).abs() < 1e-15);
        // class 0: tp = 2 (0,3), fp = 2 (2,7), fn = 1 (5) → 4/7
        assert!((f1_binary(&T, &P, 0) - 4.0 / 7.0).abs() < 1e-15);
        assert_eq!(f1_binary(&[0, 0], &[0, 0], 1), 0.0);
        assert!(accuracy(&[], &[]).is_nan());
    }

    #[test]
    fn macro_f1_hand_computed() {
        assert!((macro_f1(&T, &P) - (6.0 / 9.0 + 4.0 / 7.0) / 2.0).abs() < 1e-15);
        // three classes, class 2 only predicted (F1 = 0 counts in the mean)
        // class 0: tp1 fp0 fn1 → 2/3; class 1: tp1 fp1 fn0 → 2/3; class 2: 0
        let t = [0, 0, 1];
        let p = [0, 1, 1];
        assert!((macro_f1(&t, &p) - (2.0 / 3.0 + 2.0 / 3.0) / 2.0).abs() < 1e-15);
        let p2 = [0, 2, 1];
        assert!((macro_f1(&t, &p2) - (2.0 / 3.0 + 1.0 + 0.0) / 3.0).abs() < 1e-15);
    }

    #[test]
    fn mcc_binary_and_multiclass() {
        // binary: tp=3 tn=2 fp=1 fn=2 → (6 − 2)/√(4·5·3·4)
        let want = 4.0 / (4.0f64 * 5.0 * 3.0 * 4.0).sqrt();
        assert!((matthews_corrcoef(&T, &P) - want).abs() < 1e-15);
        assert_eq!(matthews_corrcoef(&[0, 1, 2], &[0, 1, 2]), 1.0);
        assert_eq!(matthews_corrcoef(&[0, 1, 0, 1], &[1, 0, 1, 0]), -1.0);
        assert_eq!(matthews_corrcoef(&[0, 1, 0], &[1, 1, 1]), 0.0);
        // 3 classes: t=[0,1,2,2], p=[0,2,2,1]: c=2, s=4, t_k=(1,1,2), p_k=(1,1,2)
        // Σp_k t_k = 6, Σp² = Σt² = 6 → (8 − 6)/(16 − 6) = 0.2
        assert!((matthews_corrcoef(&[0, 1, 2, 2], &[0, 2, 2, 1]) - 0.2).abs() < 1e-15);
    }

    #[test]
    fn correlations_hand_computed() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let y = [2.0, 4.0, 5.0, 9.0];
        // dx = (-1.5,-.5,.5,1.5), dy = (-3,-1,0,4): sxy = 11, sxx = 5, syy = 26
        assert!((pearson(&x, &y) - 11.0 / (5.0f64 * 26.0).sqrt()).abs() < 1e-15);
        assert_eq!(spearman(&x, &y), 1.0);
        assert!((pearson(&x, &[8.0, 6.0, 4.0, 2.0]) + 1.0).abs() < 1e-15);
        // ties: y ranks (1, 2.5, 2.5, 4) vs x ranks (1..4)
        let s = spearman(&x, &[0.0, 1.0, 1.0, 3.0]);
        let want = pearson(&x, &[1.0, 2.5, 2.5, 4.0]);
        assert!((s - want).abs() < 1e-15 && s < 1.0);
        assert!(pearson(&x, &[1.0; 4]).is_nan());
        assert!(spearman(&[1.0], &[2.0]).is_nan());
        // Property-test counterexample: a non-dyadic constant side must give
        // NaN, not a value computed from rounding noise in its mean.
        assert!(pearson(&[0.0, 0.0, 0.1], &[0.7, 0.7, 0.7]).is_nan());
        assert!(pearson(&[0.7, 0.7, 0.7], &[0.0, 0.0, 0.1]).is_nan());
    }
}
