//! VGG with batch norm in the CRD benchmark's layout: five stages of 3x3 conv-BN-ReLU layers,
//! 2x2 max-pooling after the first three, global average pooling and one linear layer.
use super::layers::{batch_norm, conv, global_average};
use kd_core::model::{Classifier, Forward};
use tch::{nn, nn::Module, nn::ModuleT, Tensor};

/// vgg8: one convolution per stage (CRD's configuration "S").
pub const VGG8: [&[i64]; 5] = [&[64], &[128], &[256], &[512], &[512]];

/// vgg13: two convolutions per stage (configuration "B").
pub const VGG13: [&[i64]; 5] = [
    &[64, 64],
    &[128, 128],
    &[256, 256],
    &[512, 512],
    &[512, 512],
];

/// A VGG. Variable names follow RepDistiller's (`block0.0` conv, `block0.1` batch norm,
/// `block0.3`, ..., `classifier`).
#[derive(Debug)]
pub struct Vgg {
    stages: Vec<Vec<(nn::Conv2D, nn::BatchNorm)>>,
    classifier: nn::Linear,
}

impl Vgg {
    /// `stages` = the output channels of each stage's convolutions (see [`VGG8`], [`VGG13`]).
    pub fn new(path: &nn::Path, in_channels: i64, stages: &[&[i64]], classes: i64) -> Vgg {
        let mut inputs = in_channels;
        let stages: Vec<Vec<_>> = stages
            .iter()
            .enumerate()
            .map(|(s, widths)| {
                let stage = path / format!("block{s}");
                widths
                    .iter()
                    .enumerate()
                    .map(|(i, &w)| {
                        let layer = (
                            conv(&stage / (3 * i), inputs, w, 3, 1, true),
                            batch_norm(&stage / (3 * i + 1), w),
                        );
                        inputs = w;
                        layer
                    })
                    .collect()
            })
            .collect();
        let classifier = nn::linear(
            path / "classifier",
            inputs,
            classes,
            nn::LinearConfig {
                ws_init: nn::Init::Randn {
                    mean: 0.0,
                    stdev: 0.01,
                },
                bs_init: Some(nn::Init::Const(0.0)),
                bias: true,
            },
        );
        Vgg { stages, classifier }
    }
}

impl Classifier for Vgg {
    /// Features: each stage's output (after ReLU, before pooling), then the pooled vector.
    /// Stages 1-3 are followed by max-pooling; stage 4 too for inputs at least 64 pixels high
    /// (the reference pools there only for 64x64 Tiny-ImageNet).
    fn forward(&self, xs: &Tensor, train: bool) -> Forward {
        let pool_after = |s: usize| s < 3 || (s == 3 && xs.size()[2] >= 64);
        let mut h = xs.shallow_clone();
        let mut features = Vec::with_capacity(self.stages.len() + 1);
        for (s, stage) in self.stages.iter().enumerate() {
            for (conv, bn) in stage {
                h = bn.forward_t(&conv.forward(&h), train).relu();
            }
            features.push(h.shallow_clone());
            if pool_after(s) && s + 1 < self.stages.len() {
                h = h.max_pool2d_default(2);
            }
        }
        let pooled = global_average(&h);
        features.push(pooled.shallow_clone());
        Forward {
            logits: self.classifier.forward(&pooled),
            features,
            mask: None,
        }
    }
}
