//! The settings of a dataset-distillation task (the keys suites and `--set` may change).
use serde::{Deserialize, Serialize};
use toml::Table;

/// Every setting of a `*-distill` task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistillConfig {
    /// Number of synthetic (or random real) images.
    pub images: usize,
    /// Outer steps: each samples a fresh initialisation, unrolls the inner steps and updates
    /// the synthetic data once.
    pub outer_steps: usize,
    /// Gradient steps of the inner loop, each over all the synthetic images with its own
    /// learned step size; evaluation trains with the same steps.
    pub inner_steps: usize,
    /// Real training images per outer step (the outer loss's batch).
    pub real_batch: usize,
    /// Adam learning rate of the outer loop (images, label logits, log step sizes).
    pub outer_lr: f64,
    /// Where learned images start: `noise` (standard normal pixels in the normalised space, as
    /// Wang et al. and Sucholutsky & Schonlau do) or `real` (random training images, image i
    /// of class i mod 10, as `random_real` picks them), which learns much faster.
    pub image_init: String,
    /// Initial inner step size (every step starts from it).
    pub step_lr: f64,
    /// Initial logit of image i's class i mod 10 in a soft label (the others start at 0).
    pub label_init: f64,
    /// Distil for one fixed initialisation and evaluate from that same one (Wang et al.'s
    /// fixed-init setting) instead of fresh random initialisations.
    pub fixed_init: bool,
    /// Fresh LeNets trained on the distilled set for the scores (ignored with `fixed_init`).
    pub eval_inits: usize,
    /// Epochs of each `full_data` network (Adam, batch 128, learning rate 1e-3).
    pub full_epochs: usize,
    /// Networks trained by `full_data`.
    pub full_inits: usize,
    /// A distilled-data file written by an earlier run (`distilled.safetensors`): when set,
    /// distillation is skipped and fresh LeNets are trained and scored on that file.
    pub distilled: String,
    /// Outer steps between two `outer_loss` curve points.
    pub log_every: usize,
}

impl Default for DistillConfig {
    fn default() -> Self {
        DistillConfig {
            images: 10,
            outer_steps: 400,
            inner_steps: 10,
            real_batch: 256,
            outer_lr: 0.01,
            image_init: "noise".into(),
            step_lr: 0.02,
            label_init: 3.0,
            fixed_init: false,
            eval_inits: 10,
            full_epochs: 1,
            full_inits: 2,
            distilled: String::new(),
            log_every: 20,
        }
    }
}

impl DistillConfig {
    /// Parses and checks a resolved config table; errors name the key.
    pub fn from_table(table: &Table) -> Result<DistillConfig, String> {
        let config: DistillConfig = table
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| e.message().trim().to_string())?;
        let at_least_one = [
            ("images", config.images),
            ("inner_steps", config.inner_steps),
            ("real_batch", config.real_batch),
            ("eval_inits", config.eval_inits),
            ("full_epochs", config.full_epochs),
            ("full_inits", config.full_inits),
            ("log_every", config.log_every),
        ];
        for (key, value) in at_least_one {
            if value == 0 {
                return Err(format!("{key}: expected at least 1, found 0"));
            }
        }
        if config.images > 1000 {
            return Err(format!(
                "images: expected at most 1000, found {}",
                config.images
            ));
        }
        for (key, value) in [("outer_lr", config.outer_lr), ("step_lr", config.step_lr)] {
            if !(value.is_finite() && value > 0.0) {
                return Err(format!("{key}: expected a positive number, found {value}"));
            }
        }
        if !["noise", "real"].contains(&config.image_init.as_str()) {
            return Err(format!(
                "image_init: expected \"noise\" or \"real\", found \"{}\"",
                config.image_init
            ));
        }
        if !config.label_init.is_finite() {
            return Err(format!(
                "label_init: expected a finite number, found {}",
                config.label_init
            ));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(extra: &str) -> Result<DistillConfig, String> {
        let mut table = Table::try_from(DistillConfig::default()).unwrap();
        table.extend(toml::from_str::<Table>(extra).unwrap());
        DistillConfig::from_table(&table)
    }

    #[test]
    fn defaults_parse_and_bad_values_name_the_key() {
        assert_eq!(parse("").unwrap(), DistillConfig::default());
        for (extra, key) in [
            ("images = 0", "images:"),
            ("images = 5000", "images:"),
            ("inner_steps = 0", "inner_steps:"),
            ("outer_lr = -1.0", "outer_lr:"),
            ("image_init = 'zeros'", "image_init:"),
        ] {
            let err = parse(extra).unwrap_err();
            assert!(err.starts_with(key), "{extra}: {err}");
        }
        assert!(parse("colour = 1").unwrap_err().contains("colour"));
    }
}
