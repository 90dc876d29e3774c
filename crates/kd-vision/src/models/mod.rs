//! The vision model zoo, built from configs (candle-style: config in, struct of layers out).
mod lenet;
mod mlp;

pub use lenet::LeNet;
pub use mlp::Mlp;

use kd_core::model::Classifier;
use serde::{Deserialize, Serialize};
use tch::nn;

/// A model's architecture as written in a task config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Architecture name: `mlp` or `lenet5`.
    pub arch: String,
    /// Hidden fully connected widths (MLP; LeNet's layers after the convolutions).
    pub hidden: Vec<i64>,
    /// Convolution channels (LeNet: two values, classic [6, 16]; unused by the MLP).
    pub channels: Vec<i64>,
    /// Dropout after each hidden layer, during training.
    pub dropout: f64,
    /// Dropout on the inputs, during training.
    pub input_dropout: f64,
}

/// Architectures this build knows.
pub const ARCHITECTURES: &[&str] = &["mlp", "lenet5"];

impl ModelConfig {
    /// Checks the architecture name and ranges; `key` prefixes errors (e.g. `student`).
    pub fn validate(&self, key: &str) -> Result<(), String> {
        if !ARCHITECTURES.contains(&self.arch.as_str()) {
            return Err(format!(
                "{key}.arch: expected one of {}, found \"{}\"",
                ARCHITECTURES.join(", "),
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
        Ok(())
    }

    /// Builds the model for inputs of `shape` and `classes` outputs under `path`.
    pub fn build(&self, path: &nn::Path, shape: &[i64], classes: i64) -> Box<dyn Classifier> {
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
