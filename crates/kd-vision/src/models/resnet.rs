//! The CIFAR ResNets of He et al. 2016 as used by the CRD benchmark (Tian et al. 2020):
//! a 3x3 stem, three stages of basic blocks (the second and third halve the resolution),
//! global average pooling and a linear classifier; depth 6n+2 for n blocks per stage.
use super::layers::{batch_norm, conv, global_average};
use kd_core::model::{Classifier, Forward};
use tch::{nn, nn::Module, nn::ModuleT, Tensor};

/// Two 3x3 convolutions with batch norm and an identity (or 1x1 projection) shortcut.
#[derive(Debug)]
struct BasicBlock {
    conv1: nn::Conv2D,
    bn1: nn::BatchNorm,
    conv2: nn::Conv2D,
    bn2: nn::BatchNorm,
    /// 1x1 convolution and batch norm, when the stride or the width changes.
    downsample: Option<(nn::Conv2D, nn::BatchNorm)>,
}

impl BasicBlock {
    fn new(path: &nn::Path, inputs: i64, outputs: i64, stride: i64) -> BasicBlock {
        let downsample = (stride != 1 || inputs != outputs).then(|| {
            (
                conv(path / "downsample" / 0, inputs, outputs, 1, stride, false),
                batch_norm(path / "downsample" / 1, outputs),
            )
        });
        BasicBlock {
            conv1: conv(path / "conv1", inputs, outputs, 3, stride, false),
            bn1: batch_norm(path / "bn1", outputs),
            conv2: conv(path / "conv2", outputs, outputs, 3, 1, false),
            bn2: batch_norm(path / "bn2", outputs),
            downsample,
        }
    }

    fn forward(&self, xs: &Tensor, train: bool) -> Tensor {
        let out = self.bn1.forward_t(&self.conv1.forward(xs), train).relu();
        let out = self.bn2.forward_t(&self.conv2.forward(&out), train);
        let shortcut = match &self.downsample {
            Some((proj, bn)) => bn.forward_t(&proj.forward(xs), train),
            None => xs.shallow_clone(),
        };
        (out + shortcut).relu()
    }
}

/// A CIFAR ResNet. Variable names follow RepDistiller's (`conv1`, `bn1`, `layer1.0.conv1`,
/// `layer2.0.downsample.0`, ..., `fc`).
#[derive(Debug)]
pub struct ResNet {
    conv1: nn::Conv2D,
    bn1: nn::BatchNorm,
    stages: Vec<Vec<BasicBlock>>,
    fc: nn::Linear,
}

impl ResNet {
    /// `widths` = [stem, stage 1, stage 2, stage 3] channels (resnet20: [16, 16, 32, 64];
    /// the "x4" models: [32, 64, 128, 256]); `blocks` per stage (depth 6 * blocks + 2).
    pub fn new(
        path: &nn::Path,
        in_channels: i64,
        widths: [i64; 4],
        blocks: usize,
        classes: i64,
    ) -> ResNet {
        let mut inputs = widths[0];
        let stages = (0..3)
            .map(|s| {
                let stage = path / format!("layer{}", s + 1);
                (0..blocks)
                    .map(|b| {
                        let stride = if s > 0 && b == 0 { 2 } else { 1 };
                        let block = BasicBlock::new(&(&stage / b), inputs, widths[s + 1], stride);
                        inputs = widths[s + 1];
                        block
                    })
                    .collect()
            })
            .collect();
        ResNet {
            conv1: conv(path / "conv1", in_channels, widths[0], 3, 1, false),
            bn1: batch_norm(path / "bn1", widths[0]),
            stages,
            fc: nn::linear(path / "fc", widths[3], classes, Default::default()),
        }
    }
}

impl Classifier for ResNet {
    /// Features: the stem's and each stage's output (after ReLU), then the pooled vector.
    fn forward(&self, xs: &Tensor, train: bool) -> Forward {
        let mut h = self.bn1.forward_t(&self.conv1.forward(xs), train).relu();
        let mut features = vec![h.shallow_clone()];
        for stage in &self.stages {
            for block in stage {
                h = block.forward(&h, train);
            }
            features.push(h.shallow_clone());
        }
        let pooled = global_average(&h);
        features.push(pooled.shallow_clone());
        Forward {
            logits: self.fc.forward(&pooled),
            features,
            mask: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digits::digits_dataset;
    use kd_core::seeding::stream;
    use tch::nn::OptimizerConfig;

    /// resnet8 learns the shipped 8x8 digits (as 1x8x8 images) in a few seconds.
    #[test]
    fn resnet8_learns_the_digits() {
        // One libtorch thread: its pool is slow on small tensors when the cores are shared.
        kd_core::set_threads(1);
        tch::manual_seed(0);
        let data = digits_dataset().unwrap();
        let images = |x: &Tensor| x.view([-1, 1, 8, 8]);
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let model = ResNet::new(&vs.root(), 1, [16, 16, 32, 64], 1, 10);
        let mut opt = nn::Adam::default().build(&vs, 3e-3).unwrap();
        let mut rng = stream(0, "resnet8-digits");
        for _epoch in 0..6 {
            for (x, y) in data.train.shuffled_batches(32, &mut rng) {
                let loss = model
                    .forward(&images(&x), true)
                    .logits
                    .cross_entropy_for_logits(&y);
                opt.backward_step(&loss);
            }
        }
        let logits = tch::no_grad(|| model.forward(&images(&data.test.x), false).logits);
        let accuracy = logits
            .argmax(-1, false)
            .eq_tensor(&data.test.y)
            .to_kind(tch::Kind::Float)
            .mean(tch::Kind::Float)
            .double_value(&[]);
        assert!(accuracy > 0.9, "test accuracy {accuracy}, chance is 0.1");
    }
}
