//! The *distillation metric* of Alkhulaifi, Alsahli & Ahmad, "Knowledge
//! distillation in deep learning and its applications", PeerJ Computer
//! Science 7:e474 (2021), arXiv:2007.09029.
//!
//! The survey proposes one number that trades off how small a student is
//! against how much of the teacher's accuracy it keeps:
//!
//! ```text
//! score = α · (student_size / teacher_size) + (1 − α) · (1 − student_acc / teacher_acc)
//! ```
//!
//! with `α ∈ [0, 1]` the weight on compression; **lower is better** (0 would be
//! a zero-size student with the teacher's accuracy). Source note: searching
//! the stored copies of the paper (PeerJ / arXiv abstracts, docslib mirror)
//! confirmed the metric and its inputs (model sizes and accuracy scores, a
//! weight α) but the excerpts available did not show the equation itself; the
//! formula above is the one given in kdbench's design brief for this survey,
//! and it is what this module implements.

/// Distillation metric: `alpha·(student_size/teacher_size) +
/// (1 − alpha)·(1 − student_acc/teacher_acc)`; lower is better.
///
/// Sizes are parameter counts (any consistent unit), accuracies any
/// higher-is-better score on the same scale. A student more accurate than the
/// teacher makes the second term negative, as in the paper's definition.
/// Returns `NaN` when `alpha` is outside `[0, 1]`, a size or accuracy is not
/// finite, or `teacher_size`/`teacher_acc` is not positive.
pub fn distillation_metric(
    student_size: f64,
    teacher_size: f64,
    student_acc: f64,
    teacher_acc: f64,
    alpha: f64,
) -> f64 {
    let finite = [student_size, teacher_size, student_acc, teacher_acc]
        .iter()
        .all(|v| v.is_finite());
    if !finite || !(0.0..=1.0).contains(&alpha) || teacher_size <= 0.0 || teacher_acc <= 0.0 {
        return f64::NAN;
    }
    alpha * (student_size / teacher_size) + (1.0 - alpha) * (1.0 - student_acc / teacher_acc)
}

#[cfg(test)]
mod tests {
    use super::distillation_metric;

    #[test]
    fn hand_computed() {
        // 25M-parameter student of a 100M teacher, 0.72 vs 0.80 accuracy:
        // 0.5·0.25 + 0.5·(1 − 0.9) = 0.175
        let s = distillation_metric(25e6, 100e6, 0.72, 0.80, 0.5);
        assert!((s - 0.175).abs() < 1e-12, "{s}");
        // alpha = 1 only looks at size, alpha = 0 only at accuracy.
        assert_eq!(distillation_metric(25.0, 100.0, 0.1, 0.8, 1.0), 0.25);
        assert!((distillation_metric(25.0, 100.0, 0.4, 0.8, 0.0) - 0.5).abs() < 1e-15);
        // identical model and accuracy → alpha
        assert_eq!(distillation_metric(10.0, 10.0, 0.9, 0.9, 0.3), 0.3);
    }

    #[test]
    fn smaller_or_more_accurate_is_better() {
        let base = distillation_metric(50.0, 100.0, 0.70, 0.80, 0.5);
        assert!(distillation_metric(40.0, 100.0, 0.70, 0.80, 0.5) < base);
        assert!(distillation_metric(50.0, 100.0, 0.75, 0.80, 0.5) < base);
    }

    #[test]
    fn invalid_inputs_are_nan() {
        assert!(distillation_metric(1.0, 0.0, 0.5, 0.8, 0.5).is_nan());
        assert!(distillation_metric(1.0, 2.0, 0.5, 0.0, 0.5).is_nan());
        assert!(distillation_metric(1.0, 2.0, 0.5, 0.8, 1.5).is_nan());
        assert!(distillation_metric(f64::NAN, 2.0, 0.5, 0.8, 0.5).is_nan());
    }
}
