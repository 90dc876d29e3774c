//! LeNet-5 as a pure function of explicit parameter tensors, so that a training step can be
//! differentiated through (the inner loop of dataset distillation).
//!
//! The layout and initialisation are those of the zoo's [`crate::models::LeNet`] with
//! `channels = [6, 16]` and `widths = [120, 84]`: conv 5x5 (padding 2) -> ReLU -> max-pool ->
//! conv 5x5 -> ReLU -> max-pool -> linear 400-120 -> ReLU -> linear 120-84 -> ReLU -> linear
//! 84-10. Two initialisations ([`NetInit`]): `kaiming` as tch's layers initialise them
//! (weights Kaiming-uniform, bound sqrt(6 / fan_in), convolution biases zero, linear biases
//! uniform within 1 / sqrt(fan_in)) and `xavier` as Wang et al.'s dataset-distillation code
//! does (weights Xavier-normal with gain 1, std sqrt(2 / (fan_in + fan_out)), biases zero).
pub use kd_core::distill_data::bilevel::soft_cross_entropy;
use kd_core::distill_data::bilevel::FunctionalNet;
use tch::nn::init::{init, Init, DEFAULT_KAIMING_UNIFORM};
use tch::{Device, Kind, Tensor};

/// The classic LeNet-5's parameter shapes, in the order [`forward`] takes them: conv1 weight
/// and bias, conv2 weight and bias, then weight and bias of the three linear layers.
pub const LENET_SHAPES: [&[i64]; 10] = [
    &[6, 1, 5, 5],
    &[6],
    &[16, 6, 5, 5],
    &[16],
    &[120, 400],
    &[120],
    &[84, 120],
    &[84],
    &[10, 84],
    &[10],
];

/// Number of classes the functional LeNet predicts.
pub const CLASSES: i64 = 10;

/// How a fresh LeNet's parameters are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NetInit {
    /// tch's layer defaults (the zoo's LeNet).
    #[default]
    Kaiming,
    /// Xavier-normal weights (gain 1) and zero biases, as in Wang et al.'s code.
    Xavier,
}

impl NetInit {
    /// The scheme a config value names: `kaiming` or `xavier`.
    pub fn parse(name: &str) -> Result<NetInit, String> {
        match name {
            "kaiming" => Ok(NetInit::Kaiming),
            "xavier" => Ok(NetInit::Xavier),
            other => Err(format!(
                "net_init: expected \"kaiming\" or \"xavier\", found \"{other}\""
            )),
        }
    }
}

/// A fresh random initialisation (from tch's global generator: seed it with
/// `tch::manual_seed`). The tensors do not require gradients.
pub fn init_params(scheme: NetInit, device: Device) -> Vec<Tensor> {
    let mut params = Vec::with_capacity(LENET_SHAPES.len());
    for pair in LENET_SHAPES.chunks(2) {
        let (weight, bias) = match scheme {
            NetInit::Xavier => xavier_layer(pair[0], pair[1], device),
            NetInit::Kaiming => kaiming_layer(pair[0], pair[1], device),
        };
        params.push(weight);
        params.push(bias);
    }
    params
}

/// Xavier-normal weights (gain 1) and zero biases.
fn xavier_layer(weight: &[i64], bias: &[i64], device: Device) -> (Tensor, Tensor) {
    let receptive: i64 = weight[2..].iter().product();
    let (fan_in, fan_out) = (weight[1] * receptive, weight[0] * receptive);
    let std = (2.0 / (fan_in + fan_out) as f64).sqrt();
    let w = Tensor::randn(weight, (Kind::Float, device)) * std;
    (w, Tensor::zeros(bias, (Kind::Float, device)))
}

/// tch's layer defaults: Kaiming-uniform weights; zero conv biases, linear biases uniform
/// within 1 / sqrt(fan_in).
fn kaiming_layer(weight: &[i64], bias: &[i64], device: Device) -> (Tensor, Tensor) {
    let w = init(DEFAULT_KAIMING_UNIFORM, weight, device);
    let b = if weight.len() == 4 {
        Tensor::zeros(bias, (Kind::Float, device))
    } else {
        let bound = 1.0 / (weight[1] as f64).sqrt();
        init(
            Init::Uniform {
                lo: -bound,
                up: bound,
            },
            bias,
            device,
        )
    };
    (w, b)
}

/// Logits of LeNet-5 with parameters `p` (as [`LENET_SHAPES`]) on `x` (`[n, 1, 28, 28]`).
pub fn forward(p: &[Tensor], x: &Tensor) -> Tensor {
    let c1 = x
        .conv2d(&p[0], Some(&p[1]), [1, 1], [2, 2], [1, 1], 1)
        .relu()
        .max_pool2d_default(2);
    let c2 = c1
        .conv2d(&p[2], Some(&p[3]), [1, 1], [0, 0], [1, 1], 1)
        .relu()
        .max_pool2d_default(2);
    let h = c2.flatten(1, -1);
    let h = h.linear(&p[4], Some(&p[5])).relu();
    let h = h.linear(&p[6], Some(&p[7])).relu();
    h.linear(&p[8], Some(&p[9]))
}

/// The classic LeNet-5 as a [`FunctionalNet`] ([`init_params`] with its scheme, [`forward`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct LeNet5 {
    /// How fresh initialisations are drawn.
    pub init: NetInit,
}

impl FunctionalNet for LeNet5 {
    fn classes(&self) -> i64 {
        CLASSES
    }

    fn init_params(&self, device: Device) -> Vec<Tensor> {
        init_params(self.init, device)
    }

    fn forward(&self, params: &[Tensor], inputs: &Tensor) -> Tensor {
        forward(params, inputs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::LeNet;
    use kd_core::model::Classifier;
    use tch::nn;

    /// The functional network computes exactly what the zoo's LeNet computes with the same
    /// parameters, and the initialisation has the same shapes and bounds.
    #[test]
    fn matches_the_zoo_lenet() {
        tch::manual_seed(3);
        let vs = nn::VarStore::new(Device::Cpu);
        let net = LeNet::new(&vs.root(), [6, 16], &[120, 84], 10, 0.0);
        let mut named = vs.variables().into_iter().collect::<Vec<_>>();
        let order = [
            "conv1.weight",
            "conv1.bias",
            "conv2.weight",
            "conv2.bias",
            "fc.0.weight",
            "fc.0.bias",
            "fc.1.weight",
            "fc.1.bias",
            "output.weight",
            "output.bias",
        ];
        named.sort_by_key(|(n, _)| order.iter().position(|o| o == n).unwrap());
        let zoo: Vec<Tensor> = named.into_iter().map(|(_, t)| t).collect();
        let fresh = init_params(NetInit::Kaiming, Device::Cpu);
        for ((z, f), shape) in zoo.iter().zip(&fresh).zip(LENET_SHAPES) {
            assert_eq!(z.size(), shape.to_vec());
            assert_eq!(f.size(), shape.to_vec());
            let (zmax, fmax) = (
                z.abs().max().double_value(&[]),
                f.abs().max().double_value(&[]),
            );
            assert!(
                fmax <= zmax * 1.5 + 1e-6 && zmax <= fmax * 1.5 + 1e-6,
                "{shape:?}: {zmax} vs {fmax}"
            );
        }
        let x = Tensor::randn([3, 1, 28, 28], (Kind::Float, Device::Cpu));
        let ours = forward(&zoo, &x);
        let theirs = tch::no_grad(|| net.forward(&x, false).logits);
        assert!(ours.allclose(&theirs, 1e-5, 1e-6, false));
    }

    /// Xavier-normal weights have the std sqrt(2 / (fan_in + fan_out)) and zero biases.
    #[test]
    fn xavier_init_has_the_expected_scale() {
        tch::manual_seed(5);
        let p = init_params(NetInit::Xavier, Device::Cpu);
        for (i, expected) in [
            (0, (2.0f64 / (25.0 + 150.0)).sqrt()),
            (4, (2.0 / 520.0f64).sqrt()),
        ] {
            let std = p[i].std(true).double_value(&[]);
            assert!(
                (std / expected - 1.0).abs() < 0.1,
                "{i}: {std} vs {expected}"
            );
            assert_eq!(p[i + 1].abs().max().double_value(&[]), 0.0);
        }
        assert!(NetInit::parse("he").unwrap_err().starts_with("net_init:"));
    }

    #[test]
    fn soft_cross_entropy_with_one_hot_targets_is_cross_entropy() {
        let logits = Tensor::from_slice(&[1.0f32, 2.0, 0.5, -1.0, 0.0, 3.0]).view([2, 3]);
        let labels = Tensor::from_slice(&[1i64, 2]);
        let one_hot = labels.one_hot(3).to_kind(Kind::Float);
        let ours = soft_cross_entropy(&logits, &one_hot).double_value(&[]);
        let theirs = logits.cross_entropy_for_logits(&labels).double_value(&[]);
        assert!((ours - theirs).abs() < 1e-6);
    }
}
