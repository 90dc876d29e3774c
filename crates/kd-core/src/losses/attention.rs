//! Attention transfer (Zagoruyko & Komodakis, "Paying More Attention to Attention", ICLR 2017,
//! arXiv 1612.03928).
use super::{Loss, LossInputs};
use crate::params::Params;
use tch::{Kind, Tensor};

/// The spatial attention map of a feature map `B x C x H x W`: the channel mean of the
/// squared activations, flattened to `B x HW` and L2-normalised per example.
pub fn attention_map(features: &Tensor) -> Tensor {
    let batch = features.size()[0];
    let map = features
        .pow_tensor_scalar(2)
        .mean_dim(1, false, Kind::Float)
        .view([batch, -1]);
    let norm = map.norm_scalaropt_dim(2, [1], true).clamp_min(1e-12);
    map / norm
}

/// Sum over paired feature maps of the mean squared difference of their attention maps.
/// Maps are paired in order (the i-th 4-D feature of the student with the i-th of the
/// teacher, as many pairs as the shorter list has); a larger map is average-pooled to the
/// smaller one's spatial size.
pub fn attention_transfer_loss(student: &[Tensor], teacher: &[Tensor]) -> Tensor {
    let maps = |f: &[Tensor]| {
        f.iter()
            .filter(|t| t.dim() == 4)
            .map(|t| t.shallow_clone())
            .collect::<Vec<_>>()
    };
    let (s_maps, t_maps) = (maps(student), maps(teacher));
    let mut total: Option<Tensor> = None;
    for (s, t) in s_maps.iter().zip(&t_maps) {
        let (sh, th) = (&s.size()[2..], &t.size()[2..]);
        let (s, t) = if sh == th {
            (s.shallow_clone(), t.shallow_clone())
        } else if sh[0] * sh[1] < th[0] * th[1] {
            (s.shallow_clone(), t.adaptive_avg_pool2d([sh[0], sh[1]]))
        } else {
            (s.adaptive_avg_pool2d([th[0], th[1]]), t.shallow_clone())
        };
        let term = (attention_map(&s) - attention_map(&t))
            .pow_tensor_scalar(2)
            .mean(Kind::Float);
        total = Some(match total {
            None => term,
            Some(sum) => sum + term,
        });
    }
    total.expect("attention transfer needs feature maps; the task checks the architectures")
}

/// The attention-transfer term (no parameters; weight it with the method's `weight`, the
/// paper's beta, 1000 in the CRD benchmark).
#[derive(Debug)]
pub struct AttentionTransfer;

impl AttentionTransfer {
    /// Takes no parameters.
    pub fn from_params(_params: &mut Params) -> Result<Box<dyn Loss>, String> {
        Ok(Box::new(AttentionTransfer))
    }
}

impl Loss for AttentionTransfer {
    fn regression(&self) -> Result<(), String> {
        Ok(())
    }

    fn needs_teacher(&self) -> bool {
        true
    }

    fn needs_feature_maps(&self) -> bool {
        true
    }

    fn compute(&self, inputs: &LossInputs) -> Tensor {
        let teacher = inputs.expect_teacher("at");
        attention_transfer_loss(&inputs.student.features, &teacher.features)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Student map [1, 1] -> attention [1/√2, 1/√2]; teacher [2, 0] -> [1, 0].
    /// Mean squared difference: ((1/√2 - 1)^2 + (1/√2)^2) / 2 = 0.2928932.
    #[test]
    fn matches_a_hand_computed_value() {
        let s = Tensor::from_slice(&[1.0f32, 1.0]).view([1, 1, 1, 2]);
        let t = Tensor::from_slice(&[2.0f32, 0.0]).view([1, 1, 1, 2]);
        let loss = attention_transfer_loss(&[s.shallow_clone()], &[t]).double_value(&[]);
        assert!((loss - 0.292_893_2).abs() < 1e-6, "{loss}");
        // The channel count does not matter, and equal maps give zero.
        let wide = Tensor::from_slice(&[1.0f32, 1.0, 1.0, 1.0]).view([1, 2, 1, 2]);
        assert!(
            attention_transfer_loss(&[s], &[wide])
                .double_value(&[])
                .abs()
                < 1e-9
        );
    }

    #[test]
    fn pools_the_larger_map_and_ignores_flat_features() {
        let s = Tensor::ones([2, 3, 2, 2], (Kind::Float, tch::Device::Cpu));
        let t = Tensor::ones([2, 5, 4, 4], (Kind::Float, tch::Device::Cpu));
        let flat = Tensor::ones([2, 7], (Kind::Float, tch::Device::Cpu));
        let loss =
            attention_transfer_loss(&[flat.shallow_clone(), s], &[t, flat]).double_value(&[]);
        assert!(loss.abs() < 1e-9);
    }
}
