//! Losses of regression tasks (one output per example, float targets, e.g. STS-B).
//!
//! On a regression the supervised term `ce` is the squared error against the target, and the
//! distillation term `kd` is the squared error between the student's and the teacher's
//! predictions: the prediction-layer distillation TinyBERT (Jiao et al. 2020, arXiv
//! 1909.10351) uses for STS-B, and Hinton KD's own high-temperature limit (logit matching,
//! Hinton et al. 2015 §2.1). A temperature has nothing to soften on one output, so it is
//! unused there. Losses defined on class probabilities refuse regressions (see
//! [`super::Loss::regression`]).
use tch::{Kind, Tensor};

/// Mean over the batch of `(prediction - target)^2`. `predictions` is `batch x 1` (a
/// one-output model's logits) or `batch`; `targets` has as many values, of any float kind.
pub fn squared_error(predictions: &Tensor, targets: &Tensor) -> Tensor {
    let predictions = predictions.reshape([-1]);
    let targets = targets.reshape([-1]).to_kind(predictions.kind());
    (predictions - targets).square().mean(Kind::Float)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Predictions [1, 2.5, 0] against [2, 2, 0]: ((-1)^2 + 0.5^2 + 0^2) / 3 = 1.25 / 3.
    /// The gradient wrt the predictions is 2 (p - t) / n = [-2/3, 1/3, 0].
    #[test]
    fn matches_hand_computed_values_and_gradient() {
        let p = Tensor::from_slice(&[1.0f32, 2.5, 0.0])
            .view([3, 1])
            .set_requires_grad(true);
        let t = Tensor::from_slice(&[2.0f64, 2.0, 0.0]);
        let loss = squared_error(&p, &t);
        assert!((loss.double_value(&[]) - 1.25 / 3.0).abs() < 1e-6);
        loss.backward();
        let grad = Vec::<f32>::try_from(p.grad().view([3])).unwrap();
        for (g, want) in grad.iter().zip([-2.0 / 3.0, 1.0 / 3.0, 0.0]) {
            assert!((*g as f64 - want).abs() < 1e-6, "{grad:?}");
        }
        assert_eq!(squared_error(&t, &t).double_value(&[]), 0.0);
    }
}
