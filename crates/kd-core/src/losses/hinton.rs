//! Hinton knowledge distillation (Hinton, Vinyals & Dean 2015, "Distilling the Knowledge in a
//! Neural Network", arXiv 1503.02531).
use super::{squared_error, Loss, LossInputs};
use crate::params::Params;
use tch::{Kind, Tensor};

/// `T^2 * KL(softmax(teacher/T) || softmax(student/T))`, averaged over the batch.
///
/// The `T^2` factor keeps the gradient magnitude comparable across temperatures, as the
/// paper recommends when mixing with the hard-label loss.
pub fn hinton_kd_loss(
    student_logits: &Tensor,
    teacher_logits: &Tensor,
    temperature: f64,
) -> Tensor {
    let log_p_student = (student_logits / temperature).log_softmax(-1, Kind::Float);
    let log_p_teacher = (teacher_logits / temperature).log_softmax(-1, Kind::Float);
    let kl_per_example = (log_p_teacher.exp() * (&log_p_teacher - &log_p_student)).sum_dim_intlist(
        -1,
        false,
        Kind::Float,
    );
    kl_per_example.mean(Kind::Float) * (temperature * temperature)
}

/// The Hinton KD term with its temperature. On a regression (one output) it is the squared
/// error between the student's and the teacher's predictions, and the temperature is unused
/// (see [`super::squared_error`]).
#[derive(Debug)]
pub struct HintonKd {
    /// Softmax temperature T (> 0).
    pub temperature: f64,
}

impl HintonKd {
    /// Reads `temperature` (default 4.0).
    pub fn from_params(params: &mut Params) -> Result<Box<dyn Loss>, String> {
        let temperature = params.f64_or("temperature", 4.0)?;
        if temperature <= 0.0 || !temperature.is_finite() {
            return Err(params.bad("temperature", "a positive number"));
        }
        Ok(Box::new(HintonKd { temperature }))
    }
}

impl Loss for HintonKd {
    fn needs_teacher(&self) -> bool {
        true
    }

    fn regression(&self) -> Result<(), String> {
        Ok(())
    }

    fn teacher_logits_suffice(&self) -> bool {
        true
    }

    fn compute(&self, inputs: &LossInputs) -> Tensor {
        let teacher = inputs.expect_teacher("kd");
        if inputs.is_regression() {
            return squared_error(&inputs.student.logits, &teacher.logits);
        }
        hinton_kd_loss(&inputs.student.logits, &teacher.logits, self.temperature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values worked out by hand (softmax, then sum p_t (log p_t - log p_s), times T^2) for
    /// student logits [1, 2, 0.5] and teacher logits [2, 0.5, 1]:
    /// T = 1: 0.533777093273704; T = 4: 0.581432898810731.
    /// The gradient wrt the student logits is T * (p_s - p_t).
    #[test]
    fn matches_hand_computed_values_and_gradient_sign() {
        let teacher = Tensor::from_slice(&[2.0f32, 0.5, 1.0]).view([1, 3]);
        for (temperature, expected, expected_grad) in [
            (
                1.0,
                0.533_777_093_273_704_4,
                [-0.397_307_82, 0.488_287_34, -0.090_979_51],
            ),
            (
                4.0,
                0.581_432_898_810_730_8,
                [-0.358_785_3, 0.507_217_03, -0.148_431_73],
            ),
        ] {
            let student = Tensor::from_slice(&[1.0f32, 2.0, 0.5])
                .view([1, 3])
                .set_requires_grad(true);
            let loss = hinton_kd_loss(&student, &teacher, temperature);
            let value = loss.double_value(&[]);
            assert!(
                (value - expected).abs() < 1e-6,
                "T={temperature}: {value} vs {expected}"
            );
            loss.backward();
            let grad = Vec::<f32>::try_from(student.grad().view([3])).unwrap();
            for (g, e) in grad.iter().zip(expected_grad) {
                assert!(
                    (*g as f64 - e).abs() < 1e-5,
                    "T={temperature}: grad {grad:?}"
                );
            }
            // The student puts too much mass on class 1 and too little on class 0:
            // descending the gradient lowers logit 1 and raises logit 0.
            assert!(grad[1] > 0.0 && grad[0] < 0.0);
        }
    }

    #[test]
    fn is_zero_when_student_equals_teacher() {
        let logits = Tensor::from_slice(&[0.3f32, -1.0, 2.0, 0.0, 0.0, 1.0]).view([2, 3]);
        let loss = hinton_kd_loss(&logits, &logits, 2.0).double_value(&[]);
        assert!(loss.abs() < 1e-7);
    }

    /// On a regression: predictions [1, 2.5, 0] against the teacher's [2, 2, 0]:
    /// (1 + 0.25 + 0) / 3, whatever the temperature.
    #[test]
    fn is_the_squared_error_between_predictions_on_a_regression() {
        use crate::model::Forward;
        let one = |v: [f32; 3]| Forward {
            logits: Tensor::from_slice(&v).view([3, 1]),
            features: vec![],
            mask: None,
        };
        let (student, teacher) = (one([1.0, 2.5, 0.0]), one([2.0, 2.0, 0.0]));
        let scores = Tensor::from_slice(&[5.0f32, 0.0, 1.0]);
        for temperature in [1.0, 4.0] {
            let value = HintonKd { temperature }
                .compute(&LossInputs {
                    student: &student,
                    teachers: std::slice::from_ref(&teacher),
                    targets: &scores,
                    progress: 0.0,
                })
                .double_value(&[]);
            assert!(
                (value - 1.25 / 3.0).abs() < 1e-6,
                "T={temperature}: {value}"
            );
        }
    }

    #[test]
    fn rejects_a_non_positive_temperature() {
        let mut params = Params::from_pairs("method.kd.losses.kd", &[("temperature", 0.0)]);
        let err = HintonKd::from_params(&mut params).unwrap_err();
        assert!(err.contains("method.kd.losses.kd.temperature"), "{err}");
    }
}
