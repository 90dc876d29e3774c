//! Wide ResNets (Zagoruyko & Komodakis 2016) as used by the CRD benchmark: pre-activation
//! basic blocks (batch norm and ReLU before each convolution), widths 16, 16k, 32k, 64k,
//! depth 6n+4, dropout 0.
use super::layers::{batch_norm, conv, global_average};
use kd_core::model::{Classifier, Forward};
use tch::{nn, nn::Module, nn::ModuleT, Tensor};

/// BN-ReLU-conv twice; the shortcut is the identity, or a 1x1 convolution of the activated
/// input when the width or the stride changes.
#[derive(Debug)]
struct WideBlock {
    bn1: nn::BatchNorm,
    conv1: nn::Conv2D,
    bn2: nn::BatchNorm,
    conv2: nn::Conv2D,
    shortcut: Option<nn::Conv2D>,
}

impl WideBlock {
    fn new(path: &nn::Path, inputs: i64, outputs: i64, stride: i64) -> WideBlock {
        // As in the reference code, only a width change adds the projection (the strided
        // blocks are exactly the widening ones).
        let shortcut = (inputs != outputs)
            .then(|| conv(path / "convShortcut", inputs, outputs, 1, stride, false));
        WideBlock {
            bn1: batch_norm(path / "bn1", inputs),
            conv1: conv(path / "conv1", inputs, outputs, 3, stride, false),
            bn2: batch_norm(path / "bn2", outputs),
            conv2: conv(path / "conv2", outputs, outputs, 3, 1, false),
            shortcut,
        }
    }

    fn forward(&self, xs: &Tensor, train: bool) -> Tensor {
        let act = self.bn1.forward_t(xs, train).relu();
        let out = self.bn2.forward_t(&self.conv1.forward(&act), train).relu();
        let out = self.conv2.forward(&out);
        match &self.shortcut {
            Some(proj) => out + proj.forward(&act),
            None => out + xs,
        }
    }
}

/// A wide ResNet. Variable names follow RepDistiller's (`conv1`, `block1.layer.0.bn1`,
/// `block1.layer.0.convShortcut`, ..., `bn1`, `fc`).
#[derive(Debug)]
pub struct WideResNet {
    conv1: nn::Conv2D,
    stages: Vec<Vec<WideBlock>>,
    bn1: nn::BatchNorm,
    fc: nn::Linear,
}

impl WideResNet {
    /// `blocks` per stage (depth 6 * blocks + 4) and widening factor `widen`
    /// (wrn_40_2: 6 blocks, widen 2).
    pub fn new(
        path: &nn::Path,
        in_channels: i64,
        blocks: usize,
        widen: i64,
        classes: i64,
    ) -> WideResNet {
        let widths = [16, 16 * widen, 32 * widen, 64 * widen];
        let mut inputs = widths[0];
        let stages = (0..3)
            .map(|s| {
                let stage = path / format!("block{}", s + 1) / "layer";
                (0..blocks)
                    .map(|b| {
                        let stride = if s > 0 && b == 0 { 2 } else { 1 };
                        let block = WideBlock::new(&(&stage / b), inputs, widths[s + 1], stride);
                        inputs = widths[s + 1];
                        block
                    })
                    .collect()
            })
            .collect();
        let init_bias_zero = nn::LinearConfig {
            bs_init: Some(nn::Init::Const(0.0)),
            ..Default::default()
        };
        WideResNet {
            conv1: conv(path / "conv1", in_channels, widths[0], 3, 1, false),
            stages,
            bn1: batch_norm(path / "bn1", widths[3]),
            fc: nn::linear(path / "fc", widths[3], classes, init_bias_zero),
        }
    }
}

impl Classifier for WideResNet {
    /// Features as in the reference code: the stem convolution's and each stage's output
    /// (pre-activation sums: in this network the activation belongs to the next block), then
    /// the pooled vector after the final batch norm and ReLU.
    fn forward(&self, xs: &Tensor, train: bool) -> Forward {
        let mut h = self.conv1.forward(xs);
        let mut features = vec![h.shallow_clone()];
        for stage in &self.stages {
            for block in stage {
                h = block.forward(&h, train);
            }
            features.push(h.shallow_clone());
        }
        let pooled = global_average(&self.bn1.forward_t(&h, train).relu());
        features.push(pooled.shallow_clone());
        Forward {
            logits: self.fc.forward(&pooled),
            features,
            mask: None,
        }
    }
}
