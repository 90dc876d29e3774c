//! Decoupled knowledge distillation (Zhao, Cui, Song, Qiu & Liang, "Decoupled Knowledge
//! Distillation", CVPR 2022, arXiv 2203.08679).
use super::{Loss, LossInputs};
use crate::params::Params;
use tch::{Kind, Tensor};

/// DKD splits Hinton's KD at temperature T into target-class KD (TCKD: KL between the binary
/// distributions [p_target, 1 - p_target] of teacher and student) and non-target-class KD
/// (NCKD: KL between the teacher's and student's softmax over the non-target classes only),
/// and reweights them: `alpha * T^2 * TCKD + beta * T^2 * NCKD`, averaged over the batch.
pub fn dkd_loss(
    student_logits: &Tensor,
    teacher_logits: &Tensor,
    targets: &Tensor,
    temperature: f64,
    alpha: f64,
    beta: f64,
) -> Tensor {
    let classes = student_logits.size()[1];
    let gt_mask = targets.one_hot(classes).to_kind(Kind::Float);
    let other_mask = gt_mask.ones_like() - &gt_mask;
    let p_student = (student_logits / temperature).softmax(-1, Kind::Float);
    let p_teacher = (teacher_logits / temperature).softmax(-1, Kind::Float);
    let binary = |p: &Tensor| {
        Tensor::stack(
            &[
                (p * &gt_mask).sum_dim_intlist(-1, false, Kind::Float),
                (p * &other_mask).sum_dim_intlist(-1, false, Kind::Float),
            ],
            1,
        )
    };
    let (b_student, b_teacher) = (binary(&p_student), binary(&p_teacher));
    let tckd = (&b_teacher * (b_teacher.clamp_min(1e-12).log() - b_student.clamp_min(1e-12).log()))
        .sum_dim_intlist(-1, false, Kind::Float)
        .mean(Kind::Float);
    // Masking the target logit with a large negative value removes it from the softmax.
    let log_q_student =
        (student_logits / temperature - &gt_mask * 1000.0).log_softmax(-1, Kind::Float);
    let log_q_teacher =
        (teacher_logits / temperature - &gt_mask * 1000.0).log_softmax(-1, Kind::Float);
    let nckd = (log_q_teacher.exp() * (&log_q_teacher - &log_q_student))
        .sum_dim_intlist(-1, false, Kind::Float)
        .mean(Kind::Float);
    (tckd * alpha + nckd * beta) * (temperature * temperature)
}

/// The DKD term. Defaults are the paper's CIFAR-100 settings: alpha 1, beta 8, T 4, and a
/// linear warm-up of the term over the first `warmup` fraction of training (20 of 240 epochs).
#[derive(Debug)]
pub struct Dkd {
    /// Temperature T.
    pub temperature: f64,
    /// Weight of target-class KD.
    pub alpha: f64,
    /// Weight of non-target-class KD.
    pub beta: f64,
    /// Fraction of training over which the term ramps up linearly from 0.
    pub warmup: f64,
}

impl Dkd {
    /// Reads `temperature`, `alpha`, `beta` and `warmup`.
    pub fn from_params(params: &mut Params) -> Result<Box<dyn Loss>, String> {
        let temperature = params.f64_or("temperature", 4.0)?;
        if temperature <= 0.0 || !temperature.is_finite() {
            return Err(params.bad("temperature", "a positive number"));
        }
        let alpha = params.f64_or("alpha", 1.0)?;
        let beta = params.f64_or("beta", 8.0)?;
        let warmup = params.f64_or("warmup", 20.0 / 240.0)?;
        if !(0.0..=1.0).contains(&warmup) {
            return Err(params.bad("warmup", "a fraction of training in [0, 1]"));
        }
        Ok(Box::new(Dkd {
            temperature,
            alpha,
            beta,
            warmup,
        }))
    }
}

impl Loss for Dkd {
    fn regression(&self) -> Result<(), String> {
        Err(
            "it splits the teacher's class probabilities into target and non-target parts, and \
             a regression has one output and no classes"
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
        let teacher = inputs.expect_teacher("dkd");
        let ramp = if self.warmup > 0.0 {
            (inputs.progress / self.warmup).min(1.0)
        } else {
            1.0
        };
        dkd_loss(
            &inputs.student.logits,
            &teacher.logits,
            inputs.targets,
            self.temperature,
            self.alpha,
            self.beta,
        ) * ramp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worked out by hand for student logits [1, 2, 0.5, -1], teacher [2, 0.5, 1, 0], target 0:
    /// T = 1: TCKD 0.2923806, NCKD 0.5398117, alpha 1 beta 8 -> 4.6108743;
    /// T = 4: (T^2-scaled) TCKD 0.1435197, NCKD 0.5906074 -> 4.8683789.
    #[test]
    fn matches_hand_computed_values() {
        let s = Tensor::from_slice(&[1.0f32, 2.0, 0.5, -1.0]).view([1, 4]);
        let t = Tensor::from_slice(&[2.0f32, 0.5, 1.0, 0.0]).view([1, 4]);
        let y = Tensor::from_slice(&[0i64]);
        for (temperature, tckd, nckd, total) in [
            (1.0, 0.292_380_56, 0.539_811_72, 4.610_874_3),
            (4.0, 0.143_519_70, 0.590_607_39, 4.868_378_9),
        ] {
            let only_t = dkd_loss(&s, &t, &y, temperature, 1.0, 0.0).double_value(&[]);
            let only_n = dkd_loss(&s, &t, &y, temperature, 0.0, 1.0).double_value(&[]);
            let both = dkd_loss(&s, &t, &y, temperature, 1.0, 8.0).double_value(&[]);
            assert!(
                (only_t - tckd).abs() < 1e-5,
                "T={temperature} tckd {only_t}"
            );
            assert!(
                (only_n - nckd).abs() < 1e-5,
                "T={temperature} nckd {only_n}"
            );
            assert!((both - total).abs() < 1e-4, "T={temperature} total {both}");
        }
    }

    #[test]
    fn zero_when_student_equals_teacher_and_warms_up() {
        let logits = Tensor::from_slice(&[0.3f32, -1.0, 2.0, 0.0, 0.5, 1.0]).view([2, 3]);
        let y = Tensor::from_slice(&[2i64, 0]);
        assert!(
            dkd_loss(&logits, &logits, &y, 4.0, 1.0, 8.0)
                .double_value(&[])
                .abs()
                < 1e-6
        );
        let mut params = Params::from_pairs("method.dkd.losses.dkd", &[("warmup", 0.5)]);
        let dkd = Dkd::from_params(&mut params).unwrap();
        let s = crate::model::Forward {
            logits: Tensor::from_slice(&[1.0f32, 2.0, 0.5]).view([1, 3]),
            features: vec![],
            mask: None,
        };
        let t = crate::model::Forward {
            logits: Tensor::from_slice(&[2.0f32, 0.5, 1.0]).view([1, 3]),
            features: vec![],
            mask: None,
        };
        let y = Tensor::from_slice(&[0i64]);
        let at = |progress| {
            dkd.compute(&LossInputs {
                student: &s,
                teachers: std::slice::from_ref(&t),
                targets: &y,
                progress,
            })
            .double_value(&[])
        };
        assert!(at(0.0).abs() < 1e-9);
        assert!((at(0.25) * 2.0 - at(0.5)).abs() < 1e-5);
        assert!((at(0.5) - at(0.9)).abs() < 1e-9);
    }
}
