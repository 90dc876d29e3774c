//! LeNet-5 (LeCun et al. 1998) for 1x28x28 inputs: conv 5x5 (padding 2) -> max-pool ->
//! conv 5x5 -> max-pool -> fully connected layers, ReLU activations.
use kd_core::model::{Classifier, Forward};
use tch::{nn, nn::Module, Tensor};

/// LeNet-5 with configurable channel counts and fully connected widths.
#[derive(Debug)]
pub struct LeNet {
    conv1: nn::Conv2D,
    conv2: nn::Conv2D,
    fc: Vec<nn::Linear>,
    output: nn::Linear,
    dropout: f64,
}

impl LeNet {
    /// `channels` = [c1, c2] (classic: [6, 16]); `widths` = the hidden fully connected
    /// layers (classic: [120, 84]).
    pub fn new(
        path: &nn::Path,
        channels: [i64; 2],
        widths: &[i64],
        classes: i64,
        dropout: f64,
    ) -> LeNet {
        let conv1 = nn::conv2d(
            path / "conv1",
            1,
            channels[0],
            5,
            nn::ConvConfig {
                padding: 2,
                ..Default::default()
            },
        );
        let conv2 = nn::conv2d(
            path / "conv2",
            channels[0],
            channels[1],
            5,
            Default::default(),
        );
        let mut fan_in = channels[1] * 5 * 5;
        let mut fc = Vec::new();
        for (i, &w) in widths.iter().enumerate() {
            fc.push(nn::linear(path / "fc" / i, fan_in, w, Default::default()));
            fan_in = w;
        }
        LeNet {
            conv1,
            conv2,
            fc,
            output: nn::linear(path / "output", fan_in, classes, Default::default()),
            dropout,
        }
    }
}

impl Classifier for LeNet {
    fn forward(&self, xs: &Tensor, train: bool) -> Forward {
        let c1 = self.conv1.forward(xs).relu();
        let c2 = self.conv2.forward(&c1.max_pool2d_default(2)).relu();
        let mut h = c2.max_pool2d_default(2).flatten(1, -1);
        let mut features = vec![c1, c2];
        for layer in &self.fc {
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
    fn classic_lenet5_has_61706_parameters() {
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let net = LeNet::new(&vs.root(), [6, 16], &[120, 84], 10, 0.0);
        // conv1 156 + conv2 2,416 + fc 48,120 + 10,164 + output 850
        assert_eq!(count_parameters(&vs), 61_706);
        let out = net.forward(
            &Tensor::zeros([2, 1, 28, 28], (tch::Kind::Float, tch::Device::Cpu)),
            false,
        );
        assert_eq!(out.logits.size(), vec![2, 10]);
        assert_eq!(out.features[0].size(), vec![2, 6, 28, 28]);
    }
}
