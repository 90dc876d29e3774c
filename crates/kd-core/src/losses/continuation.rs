//! Continuation-KD (Jafari, Kobyzev, Rezagholizadeh, Poupart & Ghodsi, "Continuation KD:
//! Improved Knowledge Distillation through the Lens of Continuation Optimization", Findings of
//! EMNLP 2022, arXiv 2212.05998).
//!
//! Continuation optimisation minimises a smoothed version of a hard objective first and makes
//! it progressively less smooth. kdbench's schedule smooths the KD objective through its
//! temperature: training starts at `t_start` (a high temperature: flat targets, a nearly convex
//! objective that ignores the teacher's noisy fine structure) and the temperature follows a
//! half cosine down to `t_end` (sharp targets) by the end of training.
use super::{hinton_kd_loss, Loss, LossInputs};
use crate::params::Params;
use std::f64::consts::PI;
use tch::Tensor;

/// The temperature at `progress` in [0, 1]: `t_end + (t_start - t_end) (1 + cos(pi p)) / 2`.
pub fn continuation_temperature(t_start: f64, t_end: f64, progress: f64) -> f64 {
    let p = progress.clamp(0.0, 1.0);
    t_end + (t_start - t_end) * 0.5 * (1.0 + (PI * p).cos())
}

/// Hinton KD at the scheduled temperature.
#[derive(Debug)]
pub struct ContinuationKd {
    /// Temperature at the start of training (the smoothest objective).
    pub t_start: f64,
    /// Temperature at the end of training.
    pub t_end: f64,
}

impl ContinuationKd {
    /// Reads `t_start` (default 8) and `t_end` (default 2).
    pub fn from_params(params: &mut Params) -> Result<Box<dyn Loss>, String> {
        let t_start = params.f64_or("t_start", 8.0)?;
        let t_end = params.f64_or("t_end", 2.0)?;
        for (key, t) in [("t_start", t_start), ("t_end", t_end)] {
            if !(t > 0.0 && t.is_finite()) {
                return Err(params.bad(key, "a positive number"));
            }
        }
        Ok(Box::new(ContinuationKd { t_start, t_end }))
    }
}

impl Loss for ContinuationKd {
    fn regression(&self) -> Result<(), String> {
        Err(
            "its temperature schedule is the method, and a temperature has nothing to soften on \
             one output (it would be plain `kd`)"
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
        let teacher = inputs.expect_teacher("cont_kd");
        let t = continuation_temperature(self.t_start, self.t_end, inputs.progress);
        hinton_kd_loss(&inputs.student.logits, &teacher.logits, t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Forward;

    #[test]
    fn the_temperature_anneals_from_start_to_end() {
        assert_eq!(continuation_temperature(8.0, 2.0, 0.0), 8.0);
        assert!((continuation_temperature(8.0, 2.0, 0.5) - 5.0).abs() < 1e-12);
        assert!((continuation_temperature(8.0, 2.0, 1.0) - 2.0).abs() < 1e-12);
        let mut last = f64::INFINITY;
        for i in 0..=10 {
            let t = continuation_temperature(8.0, 2.0, i as f64 / 10.0);
            assert!(t <= last);
            last = t;
        }
    }

    #[test]
    fn equals_hinton_kd_at_the_scheduled_temperature() {
        let s = Forward {
            logits: Tensor::from_slice(&[1.0f32, 2.0, 0.5]).view([1, 3]),
            features: vec![],
            mask: None,
        };
        let t = Forward {
            logits: Tensor::from_slice(&[2.0f32, 0.5, 1.0]).view([1, 3]),
            features: vec![],
            mask: None,
        };
        let y = Tensor::from_slice(&[0i64]);
        let mut params = Params::from_pairs("m", &[("t_start", 4.0), ("t_end", 1.0)]);
        let loss = ContinuationKd::from_params(&mut params).unwrap();
        for (progress, expected) in [
            (0.0, 0.581_432_898_810_730_8),
            (1.0, 0.533_777_093_273_704_4),
        ] {
            let value = loss
                .compute(&LossInputs {
                    student: &s,
                    teachers: std::slice::from_ref(&t),
                    targets: &y,
                    progress,
                })
                .double_value(&[]);
            assert!((value - expected).abs() < 1e-6, "p={progress}: {value}");
        }
    }
}
