//! The vision model zoo, built from configs (candle-style: config in, struct of layers out).
mod mlp;

pub use mlp::Mlp;

use kd_core::model::Classifier;
use serde::{Deserialize, Serialize};
use tch::nn;

/// A model's architecture as written in a task config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Architecture name: `mlp`.
    pub arch: String,
    /// Hidden layer widths (MLP).
    pub hidden: Vec<i64>,
    /// Dropout after each hidden layer, during training.
    pub dropout: f64,
    /// Dropout on the inputs, during training.
    pub input_dropout: f64,
}

/// Architectures this build knows.
pub const ARCHITECTURES: &[&str] = &["mlp"];

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

    /// Builds the model for `inputs` features and `classes` outputs under `path`.
    pub fn build(&self, path: &nn::Path, inputs: i64, classes: i64) -> Box<dyn Classifier> {
        Box::new(Mlp::new(
            path,
            inputs,
            &self.hidden,
            classes,
            self.dropout,
            self.input_dropout,
        ))
    }
}
