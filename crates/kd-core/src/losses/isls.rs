//! Instance-specific label smoothing without a teacher, after Zhang & Sabuncu, "Self-
//! Distillation as Instance-Specific Label Smoothing", NeurIPS 2020, arXiv 2006.05065.
//!
//! The paper shows that self-distillation acts as label smoothing whose amount and direction
//! differ per example (predictive diversity), and proposes getting that effect without a
//! trained teacher. kdbench's version builds each example's target from the model's own
//! detached prediction `p` (at temperature T):
//!
//! `target = (1 - eps_i) onehot(y) + eps_i q`,  `eps_i = epsilon * p_y`,
//! `q = p` restricted to the non-target classes and renormalised,
//!
//! so confident examples are smoothed more (up to `epsilon`), and the smoothing mass goes to
//! the classes the model itself finds similar instead of uniformly to all (as in plain label
//! smoothing). The loss is the cross-entropy against that target.
use super::{Loss, LossInputs};
use crate::params::Params;
use tch::{Kind, Tensor};

/// The per-example soft targets (no gradient), batch x classes.
pub fn isls_targets(logits: &Tensor, targets: &Tensor, epsilon: f64, temperature: f64) -> Tensor {
    tch::no_grad(|| {
        let classes = logits.size()[1];
        let onehot = targets.one_hot(classes).to_kind(Kind::Float);
        let p = (logits.detach() / temperature).softmax(-1, Kind::Float);
        let confidence = (&p * &onehot).sum_dim_intlist(-1, true, Kind::Float);
        let eps = confidence * epsilon;
        let others = &p * (onehot.ones_like() - &onehot);
        let q = &others
            / others
                .sum_dim_intlist(-1, true, Kind::Float)
                .clamp_min(1e-12);
        &onehot * (eps.ones_like() - &eps) + q * eps
    })
}

/// Cross-entropy of `logits` against [`isls_targets`], averaged over the batch.
pub fn isls_loss(logits: &Tensor, targets: &Tensor, epsilon: f64, temperature: f64) -> Tensor {
    let soft = isls_targets(logits, targets, epsilon, temperature);
    -(soft * logits.log_softmax(-1, Kind::Float))
        .sum_dim_intlist(-1, false, Kind::Float)
        .mean(Kind::Float)
}

/// The instance-specific label-smoothing term (replaces the plain cross-entropy term).
#[derive(Debug)]
pub struct InstanceSmoothing {
    /// The largest smoothing mass, reached on examples the model is sure of.
    pub epsilon: f64,
    /// Temperature of the model's own prediction that shapes the smoothing.
    pub temperature: f64,
}

impl InstanceSmoothing {
    /// Reads `epsilon` (default 0.2) and `temperature` (default 2).
    pub fn from_params(params: &mut Params) -> Result<Box<dyn Loss>, String> {
        let epsilon = params.f64_or("epsilon", 0.2)?;
        if !(0.0..1.0).contains(&epsilon) {
            return Err(params.bad("epsilon", "a number in [0, 1)"));
        }
        let temperature = params.f64_or("temperature", 2.0)?;
        if !(temperature > 0.0 && temperature.is_finite()) {
            return Err(params.bad("temperature", "a positive number"));
        }
        Ok(Box::new(InstanceSmoothing {
            epsilon,
            temperature,
        }))
    }
}

impl Loss for InstanceSmoothing {
    fn regression(&self) -> Result<(), String> {
        Err(
            "it smooths the label towards the classes the model finds similar, and a regression \
             has one output and no classes"
                .into(),
        )
    }

    fn needs_teacher(&self) -> bool {
        false
    }

    fn compute(&self, inputs: &LossInputs) -> Tensor {
        isls_loss(
            &inputs.student.logits,
            inputs.targets,
            self.epsilon,
            self.temperature,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// logits [1, 2, 0.5], class 0, epsilon 0.5, T = 1: p = [0.2312, 0.6285, 0.1402], so
    /// eps = 0.1156 and q = [0, 0.8176, 0.1824]; target = [0.88439, 0.09452, 0.02109] and
    /// the cross-entropy against it is 1.3803927.
    #[test]
    fn matches_hand_computed_values() {
        let logits = Tensor::from_slice(&[1.0f32, 2.0, 0.5]).view([1, 3]);
        let y = Tensor::from_slice(&[0i64]);
        let target = Vec::<f32>::try_from(isls_targets(&logits, &y, 0.5, 1.0).view([3])).unwrap();
        for (got, want) in target
            .iter()
            .zip([0.884_388_05, 0.094_521_38, 0.021_090_57])
        {
            assert!((*got as f64 - want).abs() < 1e-6, "{target:?}");
        }
        let loss = isls_loss(&logits, &y, 0.5, 1.0).double_value(&[]);
        assert!((loss - 1.380_392_690_777_071_4).abs() < 1e-6, "{loss}");
    }

    #[test]
    fn smooths_confident_examples_more_and_zero_epsilon_is_cross_entropy() {
        let logits = Tensor::from_slice(&[5.0f32, 0.0, 0.0, 0.2, 0.0, 0.1]).view([2, 3]);
        let y = Tensor::from_slice(&[0i64, 0]);
        let t = isls_targets(&logits, &y, 0.3, 1.0);
        let on_target = Vec::<f32>::try_from(t.select(1, 0)).unwrap();
        assert!(on_target[0] < on_target[1], "{on_target:?}");
        let rows = Vec::<f32>::try_from(t.sum_dim_intlist(-1, false, Kind::Float)).unwrap();
        assert!(rows.iter().all(|r| (r - 1.0).abs() < 1e-6));
        let plain = logits.cross_entropy_for_logits(&y).double_value(&[]);
        assert!((isls_loss(&logits, &y, 0.0, 1.0).double_value(&[]) - plain).abs() < 1e-6);
    }
}
