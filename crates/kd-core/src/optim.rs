//! Optimisers and learning-rate schedules, configured by name.
use std::f64::consts::PI;
use tch::nn::{self, OptimizerConfig};

/// Optimiser settings as they appear in a task's config.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimSettings {
    /// `sgd`, `adam` or `adamw`.
    pub optimizer: String,
    /// Peak learning rate.
    pub lr: f64,
    /// SGD momentum.
    pub momentum: f64,
    /// L2 weight decay (decoupled for `adamw`).
    pub weight_decay: f64,
    /// Nesterov momentum for SGD.
    pub nesterov: bool,
    /// `constant`, `cosine` (to 0), `onecycle` (PyTorch OneCycleLR defaults: 30% warm-up
    /// from lr/25, cosine down to lr/25e4), `step` (divided by 10 at [`STEP_MILESTONES`]) or
    /// `warmup_linear` (BERT fine-tuning: linear from 0 over the first 10%, then to 0).
    pub lr_schedule: String,
    /// Scale each step's gradient down to this global L2 norm when it is larger (0: never).
    pub clip_grad_norm: f64,
}

impl OptimSettings {
    /// Checks the names and ranges, naming the offending key.
    pub fn validate(&self) -> Result<(), String> {
        if !["sgd", "adam", "adamw"].contains(&self.optimizer.as_str()) {
            return Err(format!(
                "optimizer: expected \"sgd\", \"adam\" or \"adamw\", found \"{}\"",
                self.optimizer
            ));
        }
        if !["constant", "cosine", "onecycle", "step", "warmup_linear"]
            .contains(&self.lr_schedule.as_str())
        {
            return Err(format!(
                "lr_schedule: expected \"constant\", \"cosine\", \"onecycle\", \"step\" or \"warmup_linear\", found \"{}\"",
                self.lr_schedule
            ));
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return Err(format!("lr: expected a positive number, found {}", self.lr));
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return Err(format!(
                "momentum: expected a number in [0, 1), found {}",
                self.momentum
            ));
        }
        if !(self.clip_grad_norm >= 0.0 && self.clip_grad_norm.is_finite()) {
            return Err(format!(
                "clip_grad_norm: expected a number >= 0 (0: no clipping), found {}",
                self.clip_grad_norm
            ));
        }
        if self.weight_decay < 0.0 {
            return Err(format!(
                "weight_decay: expected >= 0, found {}",
                self.weight_decay
            ));
        }
        Ok(())
    }

    /// Builds the optimiser over every trainable variable of `vs`.
    pub fn build(&self, vs: &nn::VarStore) -> Result<nn::Optimizer, tch::TchError> {
        match self.optimizer.as_str() {
            "sgd" => nn::Sgd {
                momentum: self.momentum,
                dampening: 0.0,
                wd: self.weight_decay,
                nesterov: self.nesterov,
            }
            .build(vs, self.lr),
            "adamw" => nn::AdamW {
                wd: self.weight_decay,
                ..Default::default()
            }
            .build(vs, self.lr),
            _ => nn::Adam {
                wd: self.weight_decay,
                ..Default::default()
            }
            .build(vs, self.lr),
        }
    }

    /// Backpropagates `loss` and takes one step, clipping the gradient's norm first when
    /// `clip_grad_norm` is set.
    pub fn backward_step(&self, optimizer: &mut nn::Optimizer, loss: &tch::Tensor) {
        if self.clip_grad_norm > 0.0 {
            optimizer.backward_step_clip_norm(loss, self.clip_grad_norm);
        } else {
            optimizer.backward_step(loss);
        }
    }

    /// The learning rate at `progress` in [0, 1] of training.
    pub fn lr_at(&self, progress: f64) -> f64 {
        let p = progress.clamp(0.0, 1.0);
        match self.lr_schedule.as_str() {
            "cosine" => self.lr * 0.5 * (1.0 + (PI * p).cos()),
            "onecycle" => {
                let (start, end, warmup) = (self.lr / 25.0, self.lr / 25e4, 0.3);
                if p < warmup {
                    let q = p / warmup;
                    end_cos(start, self.lr, q)
                } else {
                    let q = (p - warmup) / (1.0 - warmup);
                    end_cos(self.lr, end, q)
                }
            }
            "warmup_linear" => {
                const WARMUP: f64 = 0.1;
                if p < WARMUP {
                    self.lr * p / WARMUP
                } else {
                    self.lr * (1.0 - p) / (1.0 - WARMUP)
                }
            }
            "step" => {
                let drops = STEP_MILESTONES.iter().filter(|&&m| p >= m).count();
                self.lr * 0.1f64.powi(drops as i32)
            }
            _ => self.lr,
        }
    }
}

/// Where the `step` schedule divides the learning rate by 10: the CRD benchmark's epochs
/// 150, 180 and 210 of 240, as fractions of training.
pub const STEP_MILESTONES: [f64; 3] = [0.625, 0.75, 0.875];

/// Cosine interpolation from `from` (q = 0) to `to` (q = 1).
fn end_cos(from: f64, to: f64, q: f64) -> f64 {
    to + (from - to) * 0.5 * (1.0 + (PI * q).cos())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(schedule: &str) -> OptimSettings {
        OptimSettings {
            optimizer: "sgd".into(),
            lr: 0.1,
            momentum: 0.9,
            weight_decay: 0.0,
            nesterov: true,
            lr_schedule: schedule.into(),
            clip_grad_norm: 0.0,
        }
    }

    #[test]
    fn schedules_hit_their_end_points() {
        let s = settings("cosine");
        assert!((s.lr_at(0.0) - 0.1).abs() < 1e-12);
        assert!((s.lr_at(0.5) - 0.05).abs() < 1e-12);
        assert!(s.lr_at(1.0).abs() < 1e-12);
        let o = settings("onecycle");
        assert!((o.lr_at(0.0) - 0.004).abs() < 1e-12);
        assert!((o.lr_at(0.3) - 0.1).abs() < 1e-12);
        assert!((o.lr_at(1.0) - 0.1 / 25e4).abs() < 1e-15);
        assert_eq!(settings("constant").lr_at(0.7), 0.1);
        let w = settings("warmup_linear");
        assert!(w.lr_at(0.0).abs() < 1e-12);
        assert!((w.lr_at(0.05) - 0.05).abs() < 1e-12);
        assert!((w.lr_at(0.1) - 0.1).abs() < 1e-12);
        assert!((w.lr_at(0.55) - 0.05).abs() < 1e-12);
        assert!(w.lr_at(1.0).abs() < 1e-12);
    }

    #[test]
    fn validation_names_the_key() {
        let mut s = settings("cosine");
        s.optimizer = "rmsprop".into();
        assert!(s.validate().unwrap_err().starts_with("optimizer"));
        let mut s = settings("linear");
        assert!(s.validate().unwrap_err().starts_with("lr_schedule"));
        let step = settings("step");
        assert!((step.lr_at(0.6) - step.lr).abs() < 1e-12);
        assert!((step.lr_at(0.625) - step.lr * 0.1).abs() < 1e-12);
        assert!((step.lr_at(0.8) - step.lr * 0.01).abs() < 1e-12);
        assert!((step.lr_at(0.99) - step.lr * 0.001).abs() < 1e-15);
        s.lr_schedule = "constant".into();
        s.lr = -1.0;
        assert!(s.validate().unwrap_err().starts_with("lr:"));
        s.lr = 0.1;
        s.clip_grad_norm = -1.0;
        assert!(s.validate().unwrap_err().starts_with("clip_grad_norm:"));
    }

    /// One plain SGD step (lr 1) on `loss = 30 w1 + 40 w2` from zero: the gradient (30, 40)
    /// has norm 50, so clipping at 5 moves the weights by (-3, -4), and no clipping by the
    /// whole gradient.
    #[test]
    fn clipping_scales_the_gradient_to_the_norm() {
        for (clip, expected) in [(5.0, [-3.0, -4.0]), (0.0, [-30.0, -40.0])] {
            let vs = nn::VarStore::new(tch::Device::Cpu);
            let w = vs.root().zeros("w", &[2]);
            let mut s = settings("constant");
            (s.lr, s.momentum, s.nesterov, s.clip_grad_norm) = (1.0, 0.0, false, clip);
            let mut opt = s.build(&vs).unwrap();
            let loss = (&w * tch::Tensor::from_slice(&[30.0f32, 40.0])).sum(tch::Kind::Float);
            s.backward_step(&mut opt, &loss);
            let got: Vec<f32> = Vec::try_from(&w).unwrap();
            for (g, e) in got.iter().zip(expected) {
                assert!((*g as f64 - e).abs() < 1e-4, "clip {clip}: {got:?}");
            }
        }
    }
}
