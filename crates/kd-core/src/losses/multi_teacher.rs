//! Distillation from several teachers: their KD terms averaged, or weighted per example by
//! how well each teacher predicts the true label (confidence-aware multi-teacher KD, Zhang,
//! Chen & Wang, "Confidence-Aware Multi-Teacher Knowledge Distillation", ICASSP 2022,
//! arXiv 2201.00007).
use super::{Loss, LossInputs};
use crate::params::Params;
use tch::{Kind, Tensor};

/// How the teachers' terms are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeacherWeighting {
    /// Every teacher weighs 1/K.
    Mean,
    /// Per example, `w_k = (1 - softmax_k(CE_k)) / (K - 1)` where `CE_k` is teacher k's
    /// cross-entropy on the true label: a teacher that is confidently right weighs more.
    Confidence,
}

/// Per-example teacher weights, batch x K (rows sum to 1).
pub fn teacher_weights(
    teachers: &[&Tensor],
    targets: &Tensor,
    weighting: TeacherWeighting,
) -> Tensor {
    let k = teachers.len() as i64;
    let batch = targets.size()[0];
    let device = targets.device();
    if weighting == TeacherWeighting::Mean || k == 1 {
        return Tensor::full([batch, k], 1.0 / k as f64, (Kind::Float, device));
    }
    tch::no_grad(|| {
        let ce: Vec<Tensor> = teachers
            .iter()
            .map(|logits| {
                -logits
                    .log_softmax(-1, Kind::Float)
                    .gather(1, &targets.unsqueeze(1), false)
                    .squeeze_dim(1)
            })
            .collect();
        let share = Tensor::stack(&ce, 1).softmax(-1, Kind::Float);
        (share.ones_like() - share) / (k - 1) as f64
    })
}

/// `sum_k w_k T^2 KL(softmax(t_k / T) || softmax(s / T))` per example, averaged over the batch.
pub fn multi_teacher_kd_loss(
    student: &Tensor,
    teachers: &[&Tensor],
    targets: &Tensor,
    temperature: f64,
    weighting: TeacherWeighting,
) -> Tensor {
    let weights = teacher_weights(teachers, targets, weighting);
    let log_p_student = (student / temperature).log_softmax(-1, Kind::Float);
    let mut total = Tensor::zeros_like(&weights.select(1, 0));
    for (k, teacher) in teachers.iter().enumerate() {
        let log_p_teacher = (*teacher / temperature).log_softmax(-1, Kind::Float);
        let kl = (log_p_teacher.exp() * (&log_p_teacher - &log_p_student)).sum_dim_intlist(
            -1,
            false,
            Kind::Float,
        );
        total += kl * weights.select(1, k as i64);
    }
    total.mean(Kind::Float) * (temperature * temperature)
}

/// The multi-teacher KD term (the regime provides the teachers: `teachers = K`).
#[derive(Debug)]
pub struct MultiTeacherKd {
    /// Softmax temperature.
    pub temperature: f64,
    /// How teachers are weighed.
    pub weighting: TeacherWeighting,
}

impl MultiTeacherKd {
    /// Reads `temperature` (default 4) and `weighting` (`mean` or `confidence`, default `mean`).
    pub fn from_params(params: &mut Params) -> Result<Box<dyn Loss>, String> {
        let temperature = params.f64_or("temperature", 4.0)?;
        if !(temperature > 0.0 && temperature.is_finite()) {
            return Err(params.bad("temperature", "a positive number"));
        }
        let weighting = match params.str_or("weighting", "mean")?.as_str() {
            "mean" => TeacherWeighting::Mean,
            "confidence" => TeacherWeighting::Confidence,
            _ => return Err(params.bad("weighting", "\"mean\" or \"confidence\"")),
        };
        Ok(Box::new(MultiTeacherKd {
            temperature,
            weighting,
        }))
    }
}

impl Loss for MultiTeacherKd {
    fn regression(&self) -> Result<(), String> {
        Err(
            "it combines the teachers' class distributions (weighted by confidence in the true \
             class), and a regression has one output"
                .into(),
        )
    }

    fn needs_teacher(&self) -> bool {
        true
    }

    fn teacher_logits_suffice(&self) -> bool {
        true
    }

    fn compute(&self, inputs: &LossInputs) -> Tensor {
        inputs.expect_teacher("multi_kd");
        let teachers: Vec<&Tensor> = inputs.teachers.iter().map(|t| &t.logits).collect();
        multi_teacher_kd_loss(
            &inputs.student.logits,
            &teachers,
            inputs.targets,
            self.temperature,
            self.weighting,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Student [1, 2, 0.5]; teachers [2, 0.5, 1] (right, confident) and [0.5, 2, 1] (wrong);
    /// true class 0; T = 2. Teacher CEs 0.4644 and 1.9644 give confidence weights
    /// [0.81757, 0.18243]; the mean of the two KD terms is 0.3183407 and the weighted sum
    /// 0.4795443.
    #[test]
    fn matches_hand_computed_values() {
        let s = Tensor::from_slice(&[1.0f32, 2.0, 0.5]).view([1, 3]);
        let t1 = Tensor::from_slice(&[2.0f32, 0.5, 1.0]).view([1, 3]);
        let t2 = Tensor::from_slice(&[0.5f32, 2.0, 1.0]).view([1, 3]);
        let y = Tensor::from_slice(&[0i64]);
        let w = Vec::<f32>::try_from(
            teacher_weights(&[&t1, &t2], &y, TeacherWeighting::Confidence).view([2]),
        )
        .unwrap();
        assert!((w[0] as f64 - 0.817_574_48).abs() < 1e-6, "{w:?}");
        let mean = multi_teacher_kd_loss(&s, &[&t1, &t2], &y, 2.0, TeacherWeighting::Mean);
        assert!((mean.double_value(&[]) - 0.318_340_680_946_658_3).abs() < 1e-6);
        let conf = multi_teacher_kd_loss(&s, &[&t1, &t2], &y, 2.0, TeacherWeighting::Confidence);
        assert!((conf.double_value(&[]) - 0.479_544_337_030_982_2).abs() < 1e-6);
    }

    #[test]
    fn one_teacher_is_hinton_kd() {
        let s = Tensor::from_slice(&[1.0f32, 2.0, 0.5]).view([1, 3]);
        let t = Tensor::from_slice(&[2.0f32, 0.5, 1.0]).view([1, 3]);
        let y = Tensor::from_slice(&[1i64]);
        let one = multi_teacher_kd_loss(&s, &[&t], &y, 4.0, TeacherWeighting::Confidence);
        let kd = super::super::hinton_kd_loss(&s, &t, 4.0);
        assert!((one.double_value(&[]) - kd.double_value(&[])).abs() < 1e-7);
    }
}
