//! FitNets hints (Romero, Ballas, Kahou, Chassang, Gatta & Bengio, "FitNets: Hints for Thin
//! Deep Nets", ICLR 2015, arXiv 1412.6550), trained jointly with the other terms as in the CRD
//! benchmark (Tian et al. 2020) rather than in a separate first stage.
use super::{Loss, LossInputs};
use crate::model::Forward;
use crate::params::Params;
use std::sync::Mutex;
use tch::nn::{self, Module};
use tch::{Kind, Tensor};

/// Maps the student's hint feature to the shape of the teacher's guided feature.
#[derive(Debug)]
pub enum HintRegressor {
    /// Flat features (or a conv map pooled to a vector) through a linear layer.
    Linear {
        /// The layer.
        layer: nn::Linear,
        /// Global-average-pool a 4-D student feature first.
        pool_student: bool,
    },
    /// Token representations (`batch x tokens x width`) through a linear layer per token.
    Tokens {
        /// The layer.
        layer: nn::Linear,
    },
    /// Conv maps through a 3x3 convolution, then pooled to the teacher's spatial size.
    Conv {
        /// The layer.
        layer: nn::Conv2D,
        /// The teacher map's height and width.
        size: [i64; 2],
    },
}

impl HintRegressor {
    /// Builds the regressor for a student feature shaped like `s` and a teacher feature like `t`
    /// (both with a batch dimension).
    pub fn new(path: &nn::Path, s: &[i64], t: &[i64]) -> HintRegressor {
        if s.len() == 4 && t.len() == 4 {
            let config = nn::ConvConfig {
                padding: 1,
                ..Default::default()
            };
            HintRegressor::Conv {
                layer: nn::conv2d(path / "conv", s[1], t[1], 3, config),
                size: [t[2], t[3]],
            }
        } else if s.len() == 3 && t.len() == 3 {
            HintRegressor::Tokens {
                layer: nn::linear(path / "linear", s[2], t[2], Default::default()),
            }
        } else {
            HintRegressor::Linear {
                layer: nn::linear(path / "linear", s[1], t[1], Default::default()),
                pool_student: s.len() == 4,
            }
        }
    }

    /// The regressed student feature.
    pub fn forward(&self, s: &Tensor) -> Tensor {
        match self {
            HintRegressor::Linear {
                layer,
                pool_student,
            } => {
                let s = if *pool_student {
                    s.adaptive_avg_pool2d([1, 1]).flatten(1, -1)
                } else {
                    s.flatten(1, -1)
                };
                layer.forward(&s)
            }
            HintRegressor::Tokens { layer } => layer.forward(s),
            HintRegressor::Conv { layer, size } => {
                let out = layer.forward(s);
                if out.size()[2..] == size[..] {
                    out
                } else {
                    out.adaptive_avg_pool2d(*size)
                }
            }
        }
    }
}

/// Mean squared error between the regressed student hint and the teacher's guided feature
/// (a 4-D teacher feature is pooled to a vector when the student's is flat).
pub fn hint_loss(regressor: &HintRegressor, student: &Tensor, teacher: &Tensor) -> Tensor {
    let s = regressor.forward(student);
    let t = if s.dim() == 2 && teacher.dim() == 4 {
        teacher.adaptive_avg_pool2d([1, 1]).flatten(1, -1)
    } else {
        teacher.flatten(1, -1).view(s.size().as_slice())
    };
    (s - t.detach()).pow_tensor_scalar(2).mean(Kind::Float)
}

/// The FitNet term: which feature of each model is paired, and the regressor once built.
#[derive(Debug)]
pub struct FitNet {
    /// Index into each model's feature list (negative counts from the end); `None` takes the
    /// middle one, `(len - 1) / 2`.
    pub layer: Option<i64>,
    regressor: Mutex<Option<HintRegressor>>,
}

impl FitNet {
    /// Reads `layer` (optional).
    pub fn from_params(params: &mut Params) -> Result<Box<dyn Loss>, String> {
        let layer = match params.take("layer") {
            None => None,
            Some(toml::Value::Integer(i)) => Some(i),
            Some(_) => return Err(params.bad("layer", "an integer feature index")),
        };
        Ok(Box::new(FitNet {
            layer,
            regressor: Mutex::new(None),
        }))
    }

    fn pick<'a>(&self, model: &str, features: &'a [Tensor]) -> Result<&'a Tensor, String> {
        let n = features.len() as i64;
        if n == 0 {
            return Err(format!("fitnet: the {model} exposes no features to hint"));
        }
        let i = match self.layer {
            None => (n - 1) / 2,
            Some(i) if i < 0 => n + i,
            Some(i) => i,
        };
        if !(0..n).contains(&i) {
            return Err(format!(
                "fitnet.layer: the {model} has {n} features, index {} is out of range",
                self.layer.unwrap_or_default()
            ));
        }
        Ok(&features[i as usize])
    }
}

impl Loss for FitNet {
    fn regression(&self) -> Result<(), String> {
        Ok(())
    }

    fn needs_teacher(&self) -> bool {
        true
    }

    fn prepare(
        &self,
        aux: &nn::Path,
        student: &Forward,
        teachers: &[Forward],
    ) -> Result<(), String> {
        let teacher = teachers
            .first()
            .ok_or("fitnet needs a teacher; use regime = \"one_way\"")?;
        let s = self.pick("student", &student.features)?;
        let t = self.pick("teacher", &teacher.features)?;
        let regressor = HintRegressor::new(&(aux / "fitnet"), &s.size(), &t.size());
        *self.regressor.lock().expect("fitnet regressor lock") = Some(regressor);
        Ok(())
    }

    fn compute(&self, inputs: &LossInputs) -> Tensor {
        let teacher = inputs.expect_teacher("fitnet");
        let guard = self.regressor.lock().expect("fitnet regressor lock");
        let regressor = guard
            .as_ref()
            .expect("fitnet: the training loop prepares the regressor before the first step");
        let s = self
            .pick("student", &inputs.student.features)
            .expect("checked in prepare");
        let t = self
            .pick("teacher", &teacher.features)
            .expect("checked in prepare");
        hint_loss(regressor, s, t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    /// With an identity regressor the hint loss is the plain MSE: student [1, 2], teacher
    /// [0, 4] -> ((1 - 0)^2 + (2 - 4)^2) / 2 = 2.5.
    #[test]
    fn identity_regressor_gives_the_mse() {
        let vs = nn::VarStore::new(Device::Cpu);
        let s = Tensor::from_slice(&[1.0f32, 2.0]).view([1, 2]);
        let t = Tensor::from_slice(&[0.0f32, 4.0]).view([1, 2]);
        let reg = HintRegressor::new(&vs.root(), &[1, 2], &[1, 2]);
        if let HintRegressor::Linear { layer, .. } = &reg {
            tch::no_grad(|| {
                layer
                    .ws
                    .shallow_clone()
                    .copy_(&Tensor::eye(2, (Kind::Float, Device::Cpu)));
                let _ = layer.bs.as_ref().unwrap().shallow_clone().zero_();
            });
        }
        assert!((hint_loss(&reg, &s, &t).double_value(&[]) - 2.5).abs() < 1e-6);
    }

    #[test]
    fn token_features_are_regressed_token_by_token() {
        let vs = nn::VarStore::new(Device::Cpu);
        let reg = HintRegressor::new(&vs.root(), &[2, 5, 4], &[2, 5, 6]);
        assert!(matches!(reg, HintRegressor::Tokens { .. }));
        assert_eq!(crate::model::count_parameters(&vs), 4 * 6 + 6);
        let s = Tensor::ones([2, 5, 4], (Kind::Float, Device::Cpu));
        assert_eq!(reg.forward(&s).size(), [2, 5, 6]);
        let t = Tensor::ones([2, 5, 6], (Kind::Float, Device::Cpu));
        assert_eq!(hint_loss(&reg, &s, &t).size(), Vec::<i64>::new());
    }

    #[test]
    fn prepare_builds_a_regressor_of_the_right_shape_and_picks_the_middle_feature() {
        let vs = nn::VarStore::new(Device::Cpu);
        let f = |shapes: &[&[i64]]| Forward {
            logits: Tensor::zeros([2, 3], (Kind::Float, Device::Cpu)),
            features: shapes
                .iter()
                .map(|s| Tensor::ones(*s, (Kind::Float, Device::Cpu)))
                .collect(),
            mask: None,
        };
        let student = f(&[&[2, 4, 8, 8], &[2, 8, 4, 4], &[2, 8]]);
        let teacher = f(&[&[2, 16, 8, 8], &[2, 32, 8, 8], &[2, 32]]);
        let mut params = Params::from_pairs("m", &[]);
        let fitnet = FitNet::from_params(&mut params).unwrap();
        fitnet
            .prepare(&vs.root(), &student, std::slice::from_ref(&teacher))
            .unwrap();
        // middle = index 1: 8 -> 32 channels with a 3x3 conv (+ bias).
        assert_eq!(crate::model::count_parameters(&vs), 8 * 32 * 9 + 32);
        let y = Tensor::zeros([2], (Kind::Int64, Device::Cpu));
        let loss = fitnet.compute(&LossInputs {
            student: &student,
            teachers: std::slice::from_ref(&teacher),
            targets: &y,
            progress: 0.0,
        });
        assert_eq!(loss.size(), Vec::<i64>::new());
        let mut bad = Params::new("m", toml::from_str("layer = 5").unwrap());
        let err = FitNet::from_params(&mut bad)
            .unwrap()
            .prepare(&vs.root(), &student, std::slice::from_ref(&teacher))
            .unwrap_err();
        assert!(err.contains("fitnet.layer"), "{err}");
    }
}
