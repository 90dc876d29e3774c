//! Plain cross-entropy with the ground-truth labels.
use super::{Loss, LossInputs};
use crate::params::Params;
use tch::{Reduction, Tensor};

/// Cross-entropy of the student's logits against the true labels (mean over the batch),
/// optionally label-smoothed: the target puts `1 - smoothing` on the true class and spreads
/// `smoothing` uniformly over all classes (Szegedy et al. 2016, "Rethinking the Inception
/// Architecture", arXiv 1512.00567).
#[derive(Debug, Default)]
pub struct CrossEntropy {
    /// Label-smoothing mass in [0, 1).
    pub smoothing: f64,
}

impl CrossEntropy {
    /// Reads `smoothing` (default 0).
    pub fn from_params(params: &mut Params) -> Result<Box<dyn Loss>, String> {
        let smoothing = params.f64_or("smoothing", 0.0)?;
        if !(0.0..1.0).contains(&smoothing) {
            return Err(params.bad("smoothing", "a number in [0, 1)"));
        }
        Ok(Box::new(CrossEntropy { smoothing }))
    }
}

impl Loss for CrossEntropy {
    fn needs_teacher(&self) -> bool {
        false
    }

    fn compute(&self, inputs: &LossInputs) -> Tensor {
        inputs.student.logits.cross_entropy_loss::<Tensor>(
            inputs.targets,
            None,
            Reduction::Mean,
            -100,
            self.smoothing,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Forward;

    /// logits [1, 2, 0.5], true class 0: log-softmax = [-1.4644, -0.4644, -1.9644].
    /// Plain CE = 1.464369; with smoothing 0.3 the target is [0.8, 0.1, 0.1]:
    /// 0.8 * 1.464369 + 0.1 * 0.464369 + 0.1 * 1.964369 = 1.414369.
    #[test]
    fn matches_hand_computed_values() {
        let student = Forward {
            logits: Tensor::from_slice(&[1.0f32, 2.0, 0.5]).view([1, 3]),
            features: vec![],
            mask: None,
        };
        let y = Tensor::from_slice(&[0i64]);
        let inputs = LossInputs {
            student: &student,
            teachers: &[],
            targets: &y,
            progress: 0.0,
        };
        for (smoothing, expected) in [(0.0, 1.464_368_8), (0.3, 1.414_368_8)] {
            let value = CrossEntropy { smoothing }
                .compute(&inputs)
                .double_value(&[]);
            assert!(
                (value - expected).abs() < 1e-5,
                "smoothing {smoothing}: {value}"
            );
        }
    }
}
