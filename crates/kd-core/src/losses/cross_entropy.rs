//! Plain cross-entropy with the ground-truth labels.
use super::{Loss, LossInputs};
use crate::params::Params;
use tch::{Reduction, Tensor};

/// Cross-entropy of the student's logits against the true labels (mean over the batch).
#[derive(Debug, Default)]
pub struct CrossEntropy;

impl CrossEntropy {
    /// Takes no parameters.
    pub fn from_params(_params: &mut Params) -> Result<Box<dyn Loss>, String> {
        Ok(Box::new(CrossEntropy))
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
            0.0,
        )
    }
}
