//! Multi-layer perceptron with ReLU and dropout (Hinton et al.'s MNIST teacher and student).
use kd_core::model::{Classifier, Forward};
use tch::{nn, nn::Module, Tensor};

/// Fully connected layers with ReLU; the hidden activations are exposed as features.
#[derive(Debug)]
pub struct Mlp {
    hidden: Vec<nn::Linear>,
    output: nn::Linear,
    dropout: f64,
    input_dropout: f64,
}

impl Mlp {
    /// `inputs` -> `widths`... -> `classes`, under `path` (`hidden.0`, ..., `output`).
    pub fn new(
        path: &nn::Path,
        inputs: i64,
        widths: &[i64],
        classes: i64,
        dropout: f64,
        input_dropout: f64,
    ) -> Mlp {
        let mut hidden = Vec::new();
        let mut fan_in = inputs;
        for (i, &width) in widths.iter().enumerate() {
            hidden.push(nn::linear(
                path / "hidden" / i,
                fan_in,
                width,
                Default::default(),
            ));
            fan_in = width;
        }
        Mlp {
            hidden,
            output: nn::linear(path / "output", fan_in, classes, Default::default()),
            dropout,
            input_dropout,
        }
    }
}

impl Classifier for Mlp {
    fn forward(&self, xs: &Tensor, train: bool) -> Forward {
        let mut h = xs.flatten(1, -1).dropout(self.input_dropout, train);
        let mut features = Vec::with_capacity(self.hidden.len());
        for layer in &self.hidden {
            h = layer.forward(&h).relu();
            features.push(h.shallow_clone());
            h = h.dropout(self.dropout, train);
        }
        Forward {
            logits: self.output.forward(&h),
            features,
            mask: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kd_core::model::count_parameters;

    #[test]
    fn shapes_and_parameter_count() {
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let mlp = Mlp::new(&vs.root(), 64, &[32, 16], 10, 0.5, 0.0);
        let out = mlp.forward(
            &Tensor::zeros([5, 64], (tch::Kind::Float, tch::Device::Cpu)),
            false,
        );
        assert_eq!(out.logits.size(), vec![5, 10]);
        assert_eq!(out.features.len(), 2);
        assert_eq!(
            count_parameters(&vs),
            (64 * 32 + 32) + (32 * 16 + 16) + (16 * 10 + 10)
        );
    }
}
