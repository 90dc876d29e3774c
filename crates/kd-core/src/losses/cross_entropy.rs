//! Plain cross-entropy with the ground-truth labels (a regression's squared error).
use super::{squared_error, Loss, LossInputs};
use crate::params::Params;
use tch::{Reduction, Tensor};

/// Cross-entropy of the student's logits against the true labels (mean over the batch),
/// optionally label-smoothed: the target puts `1 - smoothing` on the true class and spreads
/// `smoothing` uniformly over all classes (Szegedy et al. 2016, "Rethinking the Inception
/// Architecture", arXiv 1512.00567).
///
/// On a regression (float targets, one output) the supervised term is the squared error of
/// the prediction against the target instead, as Hugging Face's sequence classifiers do
/// with one label; smoothing has no classes to spread over there.
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

    fn regression(&self) -> Result<(), String> {
        if self.smoothing > 0.0 {
            return Err(format!(
                "label smoothing ({}) spreads probability over classes, and a regression has \
                 one output",
                self.smoothing
            ));
        }
        Ok(())
    }

    fn compute(&self, inputs: &LossInputs) -> Tensor {
        if inputs.is_regression() {
            return squared_error(&inputs.student.logits, inputs.targets);
        }
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

    /// A regression's supervised term: predictions [1, 2.5] against scores [2, 2]:
    /// (1 + 0.25) / 2 = 0.625.
    #[test]
    fn is_the_squared_error_on_a_regression() {
        let student = Forward {
            logits: Tensor::from_slice(&[1.0f32, 2.5]).view([2, 1]),
            features: vec![],
            mask: None,
        };
        let y = Tensor::from_slice(&[2.0f32, 2.0]);
        let inputs = LossInputs {
            student: &student,
            teachers: &[],
            targets: &y,
            progress: 0.0,
        };
        assert!(inputs.is_regression());
        let value = CrossEntropy::default().compute(&inputs).double_value(&[]);
        assert!((value - 0.625).abs() < 1e-6, "{value}");
        assert!(CrossEntropy::default().regression().is_ok());
        let err = CrossEntropy { smoothing: 0.1 }.regression().unwrap_err();
        assert!(err.contains("label smoothing"), "{err}");
    }
}
