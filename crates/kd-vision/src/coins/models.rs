//! The coin CNN: one convolutional trunk shared by both sides of a coin (3x3 convolutions,
//! ReLU, 2x2 max-pooling per stage), the two sides' feature maps fused by concatenation, a
//! hidden layer, and a flat or hierarchical head over the full labels.
use super::hierarchy::Hierarchy;
use kd_core::model::{Classifier, Forward};
use serde::{Deserialize, Serialize};
use tch::{nn, nn::Module, Tensor};

/// A coin CNN's size, as written in a task config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoinNetConfig {
    /// Channels of each convolution stage (each halves the resolution).
    pub channels: Vec<i64>,
    /// Width of the hidden layer over the fused sides.
    pub hidden: i64,
    /// Dropout after the hidden layer, in training.
    pub dropout: f64,
}

impl CoinNetConfig {
    /// Checks the sizes against `size` x `size` images; errors start with `key`.
    pub fn validate(&self, key: &str, size: usize) -> Result<(), String> {
        if self.channels.is_empty() || self.channels.len() > 4 {
            return Err(format!(
                "{key}.channels: expected 1 to 4 stages, found {}",
                self.channels.len()
            ));
        }
        if self.channels.iter().any(|&c| c < 1) || self.hidden < 1 {
            return Err(format!(
                "{key}: channels and hidden must be positive, found {:?} and {}",
                self.channels, self.hidden
            ));
        }
        if size >> self.channels.len() < 2 {
            return Err(format!(
                "{key}.channels: {} stages leave less than 2x2 pixels of a {size}x{size} image",
                self.channels.len()
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(format!(
                "{key}.dropout: expected 0 to < 1, found {}",
                self.dropout
            ));
        }
        Ok(())
    }
}

/// The head over the fused features.
pub enum Head {
    /// One logit per full label.
    Flat(nn::Linear),
    /// An emperor head and a type-given-emperor head, combined into joint log-probabilities.
    Hierarchical {
        /// Emperor logits.
        emperor: nn::Linear,
        /// Type logits, softmaxed within each emperor's labels.
        coin_type: nn::Linear,
        /// The label structure.
        hierarchy: Hierarchy,
    },
}

/// The two-view coin CNN.
pub struct CoinNet {
    convs: Vec<nn::Conv2D>,
    hidden: nn::Linear,
    head: Head,
    dropout: f64,
}

impl CoinNet {
    /// A network for `2 x size x size` inputs; `hierarchical` picks the head.
    pub fn new(
        path: &nn::Path,
        config: &CoinNetConfig,
        size: usize,
        hierarchy: &Hierarchy,
        hierarchical: bool,
    ) -> CoinNet {
        let mut convs = Vec::new();
        let mut c_in = 1;
        for (i, &c) in config.channels.iter().enumerate() {
            let cfg = nn::ConvConfig {
                padding: 1,
                ..Default::default()
            };
            convs.push(nn::conv2d(path / "conv" / i, c_in, c, 3, cfg));
            c_in = c;
        }
        let side = (size >> config.channels.len()) as i64;
        let fused = 2 * c_in * side * side;
        let hidden = nn::linear(path / "hidden", fused, config.hidden, Default::default());
        let classes = hierarchy.num_classes() as i64;
        let head = if hierarchical {
            Head::Hierarchical {
                emperor: nn::linear(
                    path / "emperor",
                    config.hidden,
                    hierarchy.emperors.len() as i64,
                    Default::default(),
                ),
                coin_type: nn::linear(path / "type", config.hidden, classes, Default::default()),
                hierarchy: hierarchy.clone(),
            }
        } else {
            Head::Flat(nn::linear(
                path / "output",
                config.hidden,
                classes,
                Default::default(),
            ))
        };
        CoinNet {
            convs,
            hidden,
            head,
            dropout: config.dropout,
        }
    }
}

impl Classifier for CoinNet {
    fn forward(&self, xs: &Tensor, train: bool) -> Forward {
        let size = xs.size();
        let (batch, h, w) = (size[0], size[2], size[3]);
        let mut x = xs.reshape([batch * 2, 1, h, w]);
        for conv in &self.convs {
            x = conv.forward(&x).relu().max_pool2d_default(2);
        }
        let s = x.size();
        // Both sides' maps side by side in the channels: batch x 2C x h' x w'.
        let maps = x.reshape([batch, 2 * s[1], s[2], s[3]]);
        let hidden = self.hidden.forward(&maps.flatten(1, -1)).relu();
        let dropped = hidden.dropout(self.dropout, train);
        let logits = match &self.head {
            Head::Flat(output) => output.forward(&dropped),
            Head::Hierarchical {
                emperor,
                coin_type,
                hierarchy,
            } => {
                hierarchy.joint_log_probs(&emperor.forward(&dropped), &coin_type.forward(&dropped))
            }
        };
        Forward {
            logits,
            features: vec![maps, hidden],
            mask: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coins::generator::synthetic_hierarchy;

    #[test]
    fn both_heads_give_one_score_per_label() {
        let h = synthetic_hierarchy();
        let config = CoinNetConfig {
            channels: vec![4, 8],
            hidden: 16,
            dropout: 0.0,
        };
        for hierarchical in [false, true] {
            let vs = nn::VarStore::new(tch::Device::Cpu);
            let net = CoinNet::new(&vs.root(), &config, 32, &h, hierarchical);
            let out = net.forward(&Tensor::rand([3, 2, 32, 32], tch::kind::FLOAT_CPU), false);
            assert_eq!(out.logits.size(), [3, 24]);
            assert_eq!(out.features[0].size(), [3, 16, 8, 8]);
            if hierarchical {
                let total = out
                    .logits
                    .exp()
                    .sum_dim_intlist(-1, false, tch::Kind::Float);
                assert!(total.allclose(
                    &Tensor::ones([3], tch::kind::FLOAT_CPU),
                    1e-4,
                    1e-5,
                    false
                ));
            }
        }
        assert!(config.validate("student", 32).is_ok());
        let deep = CoinNetConfig {
            channels: vec![4; 5],
            ..config
        };
        assert!(deep
            .validate("student", 32)
            .unwrap_err()
            .starts_with("student.channels"));
    }
}
