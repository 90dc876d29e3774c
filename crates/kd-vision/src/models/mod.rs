//! The vision model zoo, built from configs (candle-style: config in, struct of layers out).
//!
//! Besides the MLP and LeNet-5, the CIFAR zoo of the CRD benchmark (Tian et al. 2020):
//! ResNets, wide ResNets and VGGs, named as there (see [`CIFAR_ZOO`]).
mod layers;
mod lenet;
mod mlp;
mod resnet;
mod vgg;
mod wrn;

pub use lenet::LeNet;
pub use mlp::Mlp;
pub use resnet::ResNet;
pub use vgg::{Vgg, VGG13, VGG8};
pub use wrn::WideResNet;

use kd_core::model::Classifier;
use serde::{Deserialize, Serialize};
use tch::nn;

/// A model's architecture as written in a task config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Architecture name: `mlp`, `lenet5` or one of [`CIFAR_ZOO`].
    pub arch: String,
    /// Hidden fully connected widths (MLP; LeNet's layers after the convolutions). Must be
    /// empty for the CIFAR zoo, whose layout the name fixes.
    pub hidden: Vec<i64>,
    /// Convolution channels (LeNet: two values, classic [6, 16]; unused by the MLP). Must be
    /// empty for the CIFAR zoo.
    pub channels: Vec<i64>,
    /// Dropout after each hidden layer, during training (unused by the CIFAR zoo: its
    /// reference models have none).
    pub dropout: f64,
    /// Dropout on the inputs, during training (unused by the CIFAR zoo).
    pub input_dropout: f64,
}

/// Architectures this build knows: `mlp`, `lenet5` and the [`CIFAR_ZOO`].
pub fn architectures() -> Vec<&'static str> {
    ["mlp", "lenet5"]
        .into_iter()
        .chain(CIFAR_ZOO.iter().copied())
        .collect()
}

/// The CIFAR zoo: convolutional networks whose layout the name fixes, for C x H x W inputs
/// with H, W >= 8 (any C; e.g. 3x32x32 CIFAR or 1x28x28 MNIST). `resnetD`: depth D = 6n+2
/// with widths 16/16/32/64 (`x4`: 32/64/128/256); `wrn_D_K`: wide ResNet of depth D = 6n+4,
/// widening factor K; `vgg8`, `vgg13`: VGG with batch norm.
pub const CIFAR_ZOO: &[&str] = &[
    "resnet8",
    "resnet14",
    "resnet20",
    "resnet32",
    "resnet44",
    "resnet56",
    "resnet110",
    "resnet8x4",
    "resnet32x4",
    "wrn_16_2",
    "wrn_40_2",
    "vgg8",
    "vgg13",
];

/// Builds a CIFAR-zoo model, or `None` when `arch` is not in [`CIFAR_ZOO`].
pub fn build_cifar_zoo(
    arch: &str,
    path: &nn::Path,
    in_channels: i64,
    classes: i64,
) -> Option<Box<dyn Classifier>> {
    const NARROW: [i64; 4] = [16, 16, 32, 64];
    const X4: [i64; 4] = [32, 64, 128, 256];
    let resnet = |widths, depth: usize| -> Box<dyn Classifier> {
        Box::new(ResNet::new(
            path,
            in_channels,
            widths,
            (depth - 2) / 6,
            classes,
        ))
    };
    let wrn = |depth: usize, widen| -> Box<dyn Classifier> {
        Box::new(WideResNet::new(
            path,
            in_channels,
            (depth - 4) / 6,
            widen,
            classes,
        ))
    };
    Some(match arch {
        "resnet8" => resnet(NARROW, 8),
        "resnet14" => resnet(NARROW, 14),
        "resnet20" => resnet(NARROW, 20),
        "resnet32" => resnet(NARROW, 32),
        "resnet44" => resnet(NARROW, 44),
        "resnet56" => resnet(NARROW, 56),
        "resnet110" => resnet(NARROW, 110),
        "resnet8x4" => resnet(X4, 8),
        "resnet32x4" => resnet(X4, 32),
        "wrn_16_2" => wrn(16, 2),
        "wrn_40_2" => wrn(40, 2),
        "vgg8" => Box::new(Vgg::new(path, in_channels, &VGG8, classes)),
        "vgg13" => Box::new(Vgg::new(path, in_channels, &VGG13, classes)),
        _ => return None,
    })
}

impl ModelConfig {
    /// A [`CIFAR_ZOO`] architecture by name (its layout fixed by the name: no hidden widths,
    /// channels or dropout).
    pub fn zoo(arch: &str) -> ModelConfig {
        ModelConfig {
            arch: arch.into(),
            hidden: vec![],
            channels: vec![],
            dropout: 0.0,
            input_dropout: 0.0,
        }
    }

    /// Checks the architecture name and ranges; `key` prefixes errors (e.g. `student`).
    pub fn validate(&self, key: &str) -> Result<(), String> {
        let known = architectures();
        if !known.contains(&self.arch.as_str()) {
            return Err(format!(
                "{key}.arch: expected one of {}, found \"{}\"",
                known.join(", "),
                self.arch
            ));
        }
        if self.arch == "lenet5"
            && (self.channels.len() != 2 || self.channels.iter().any(|&c| c < 1))
        {
            return Err(format!(
                "{key}.channels: lenet5 needs two positive channel counts, found {:?}",
                self.channels
            ));
        }
        if CIFAR_ZOO.contains(&self.arch.as_str()) {
            for (name, values) in [("hidden", &self.hidden), ("channels", &self.channels)] {
                if !values.is_empty() {
                    return Err(format!(
                        "{key}.{name}: {} has a fixed layout, so {name} must be empty, found {values:?}",
                        self.arch
                    ));
                }
            }
        }
        if self.hidden.iter().any(|&w| w < 1) {
            return Err(format!(
                "{key}.hidden: widths must be at least 1, found {:?}",
                self.hidden
            ));
        }
        for (name, p) in [
            ("dropout", self.dropout),
            ("input_dropout", self.input_dropout),
        ] {
            if !(0.0..1.0).contains(&p) {
                return Err(format!(
                    "{key}.{name}: expected a probability in [0, 1), found {p}"
                ));
            }
        }
        Ok(())
    }

    /// Checks that the architecture accepts inputs of `shape` (without the batch dimension).
    pub fn check_input(&self, key: &str, shape: &[i64]) -> Result<(), String> {
        if self.arch == "lenet5" && shape != [1, 28, 28] {
            return Err(format!(
                "{key}.arch: lenet5 needs 1x28x28 images, but this task's inputs are {shape:?}"
            ));
        }
        if CIFAR_ZOO.contains(&self.arch.as_str())
            && !(shape.len() == 3 && shape[0] >= 1 && shape[1] >= 8 && shape[2] >= 8)
        {
            return Err(format!(
                "{key}.arch: {} needs C x H x W images with H and W at least 8, but this task's inputs are {shape:?}",
                self.arch
            ));
        }
        Ok(())
    }

    /// Builds the model for inputs of `shape` and `classes` outputs under `path`.
    /// Call [`ModelConfig::validate`] and [`ModelConfig::check_input`] first.
    pub fn build(&self, path: &nn::Path, shape: &[i64], classes: i64) -> Box<dyn Classifier> {
        let in_channels = shape.first().copied().unwrap_or(1);
        if let Some(model) = build_cifar_zoo(&self.arch, path, in_channels, classes) {
            return model;
        }
        match self.arch.as_str() {
            "lenet5" => Box::new(LeNet::new(
                path,
                [self.channels[0], self.channels[1]],
                &self.hidden,
                classes,
                self.dropout,
            )),
            _ => Box::new(Mlp::new(
                path,
                shape.iter().product(),
                &self.hidden,
                classes,
                self.dropout,
                self.input_dropout,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kd_core::model::count_parameters;
    use tch::{Device, Kind, Tensor};

    #[test]
    fn the_zoo_is_registered() {
        let known = architectures();
        assert_eq!(&known[..2], ["mlp", "lenet5"]);
        assert_eq!(&known[2..], CIFAR_ZOO);
        let vs = nn::VarStore::new(Device::Cpu);
        assert!(build_cifar_zoo("mlp", &vs.root(), 3, 10).is_none());
    }

    #[test]
    fn variable_names_follow_the_reference_code() {
        for (arch, names) in [
            (
                "resnet8x4",
                &[
                    "conv1.weight",
                    "bn1.running_var",
                    "layer1.0.downsample.0.weight",
                    "fc.bias",
                ][..],
            ),
            (
                "wrn_16_2",
                &[
                    "block1.layer.0.convShortcut.weight",
                    "block3.layer.1.bn2.bias",
                    "bn1.weight",
                ],
            ),
            (
                "vgg13",
                &[
                    "block0.3.weight",
                    "block4.4.running_mean",
                    "classifier.weight",
                ],
            ),
        ] {
            let vs = nn::VarStore::new(Device::Cpu);
            let _model = ModelConfig::zoo(arch).build(&vs.root(), &[3, 32, 32], 10);
            let variables = vs.variables();
            for name in names {
                assert!(variables.contains_key(*name), "{arch}: no {name}");
            }
        }
    }

    /// Exact counts for 100 classes on 3x32x32 (checked against a count from the layer
    /// shapes), and, where the CRD paper publishes one, its rounded count.
    #[test]
    fn cifar_zoo_parameter_counts_match_the_published_ones() {
        for (arch, exact, published_millions) in [
            ("resnet8", 83_892, None),
            ("resnet14", 181_108, None),
            ("resnet20", 278_324, Some(0.28)),
            ("resnet32", 472_756, None),
            ("resnet44", 667_188, None),
            ("resnet56", 861_620, Some(0.86)),
            ("resnet110", 1_736_564, Some(1.74)),
            ("resnet8x4", 1_233_540, Some(1.23)),
            ("resnet32x4", 7_433_860, Some(7.43)),
            ("wrn_16_2", 703_284, Some(0.70)),
            ("wrn_40_2", 2_255_156, Some(2.26)),
            ("vgg8", 3_965_028, Some(3.96)),
            ("vgg13", 9_462_180, Some(9.46)),
        ] {
            let vs = nn::VarStore::new(Device::Cpu);
            let _model = ModelConfig::zoo(arch).build(&vs.root(), &[3, 32, 32], 100);
            let count = count_parameters(&vs);
            assert_eq!(count, exact, "{arch}");
            if let Some(millions) = published_millions {
                let relative = (count as f64 / 1e6 - millions).abs() / millions;
                assert!(relative < 0.01, "{arch}: {count} vs {millions}M");
            }
        }
        // He et al.'s 0.27M for resnet20 on CIFAR-10.
        let vs = nn::VarStore::new(Device::Cpu);
        let _model = ModelConfig::zoo("resnet20").build(&vs.root(), &[3, 32, 32], 10);
        assert_eq!(count_parameters(&vs), 272_474);
    }

    /// Feature shapes (without the batch dimension) of `arch` on `input`, shallow to deep.
    fn expected_features(arch: &str, input: [i64; 3]) -> Vec<Vec<i64>> {
        let (h, w) = (input[1], input[2]);
        let half = |v: i64, times: u32| (0..times).fold(v, |v, _| (v + 1) / 2);
        let pooled = |v: i64, times: u32| v >> times;
        let resnet_like = |widths: [i64; 4]| {
            let mut out: Vec<Vec<i64>> = (0..4)
                .map(|s| {
                    let t = s.max(1) as u32 - 1;
                    vec![widths[s], half(h, t), half(w, t)]
                })
                .collect();
            out.push(vec![widths[3]]);
            out
        };
        match arch {
            "resnet8x4" | "resnet32x4" => resnet_like([32, 64, 128, 256]),
            a if a.starts_with("resnet") => resnet_like([16, 16, 32, 64]),
            "wrn_16_2" | "wrn_40_2" => resnet_like([16, 32, 64, 128]),
            _ => vec![
                vec![64, h, w],
                vec![128, pooled(h, 1), pooled(w, 1)],
                vec![256, pooled(h, 2), pooled(w, 2)],
                vec![512, pooled(h, 3), pooled(w, 3)],
                vec![512, pooled(h, 3), pooled(w, 3)],
                vec![512],
            ],
        }
    }

    #[test]
    fn cifar_zoo_output_and_feature_shapes() {
        kd_core::set_threads(1);
        for arch in CIFAR_ZOO {
            let inputs: &[[i64; 3]] = if matches!(*arch, "resnet20" | "wrn_16_2" | "vgg8") {
                &[[3, 32, 32], [1, 28, 28], [2, 8, 9]]
            } else {
                &[[3, 32, 32]]
            };
            for &input in inputs {
                ModelConfig::zoo(arch)
                    .check_input("student", &input)
                    .unwrap();
                let vs = nn::VarStore::new(Device::Cpu);
                let model = ModelConfig::zoo(arch).build(&vs.root(), &input, 7);
                let xs = Tensor::randn(
                    [2, input[0], input[1], input[2]],
                    (Kind::Float, Device::Cpu),
                );
                let out = model.forward(&xs, false);
                assert_eq!(out.logits.size(), vec![2, 7], "{arch} {input:?}");
                let shapes: Vec<Vec<i64>> = out
                    .features
                    .iter()
                    .map(|f| f.size()[1..].to_vec())
                    .collect();
                assert_eq!(shapes, expected_features(arch, input), "{arch} {input:?}");
                assert!(out.features.iter().all(|f| f.size()[0] == 2));
            }
        }
    }

    #[test]
    fn cifar_zoo_configs_are_checked() {
        let mut config = ModelConfig::zoo("resnet20");
        config.validate("teacher").unwrap();
        config.hidden = vec![10];
        let err = config.validate("teacher").unwrap_err();
        assert!(
            err.starts_with("teacher.hidden: resnet20 has a fixed layout"),
            "{err}"
        );
        config.hidden = vec![];
        config.channels = vec![16];
        let err = config.validate("student").unwrap_err();
        assert!(err.starts_with("student.channels:"), "{err}");
        for bad in [&[3, 7, 32][..], &[3, 32, 4], &[64], &[0, 32, 32]] {
            let err = ModelConfig::zoo("vgg8")
                .check_input("student", bad)
                .unwrap_err();
            assert!(
                err.contains("H and W at least 8") && err.starts_with("student.arch"),
                "{err}"
            );
        }
        assert!(ModelConfig::zoo("mlp")
            .check_input("student", &[64])
            .is_ok());
    }

    /// Batch norm is the only mode-dependent layer: in evaluation an image's output does not
    /// depend on the rest of the batch and never changes the running statistics; in training
    /// it does depend on the batch, is still deterministic (no dropout), and updates them.
    #[test]
    fn train_and_eval_differ_only_through_batch_norm() {
        kd_core::set_threads(1);
        for arch in ["resnet8", "wrn_16_2", "vgg8"] {
            tch::manual_seed(1);
            let vs = nn::VarStore::new(Device::Cpu);
            let model = ModelConfig::zoo(arch).build(&vs.root(), &[3, 8, 8], 5);
            let xs = Tensor::randn([6, 3, 8, 8], (Kind::Float, Device::Cpu));
            let first = xs.narrow(0, 0, 3);
            let logits = |x: &Tensor, train: bool| model.forward(x, train).logits;
            let close = |a: &Tensor, b: &Tensor| a.allclose(b, 1e-5, 1e-5, false);

            let eval_all = logits(&xs, false);
            assert!(
                close(&eval_all.narrow(0, 0, 3), &logits(&first, false)),
                "{arch}"
            );
            assert!(
                close(&eval_all, &logits(&xs, false)),
                "{arch}: eval changed state"
            );

            let train_all = logits(&xs, true);
            assert!(
                !close(&train_all.narrow(0, 0, 3), &logits(&first, true)),
                "{arch}"
            );
            assert!(!close(&train_all, &eval_all), "{arch}");
            // Same batch again: identical, though the running statistics moved in between.
            assert!(
                close(&train_all, &logits(&xs, true)),
                "{arch}: train is random"
            );
            assert!(
                !close(&eval_all, &logits(&xs, false)),
                "{arch}: no running stats"
            );
        }
    }
}
