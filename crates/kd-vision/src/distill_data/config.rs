//! The settings of a dataset-distillation task (the keys suites and `--set` may change): the
//! keys every dataset-distillation task has (kd-core's [`BilevelConfig`]) plus the images'.
pub use kd_core::distill_data::config::BilevelConfig;
use kd_core::distill_data::config::{DomainKeys, TaskConfig};
use serde::{Deserialize, Serialize};

/// Every setting of a `*-distill` image task.
pub type DistillConfig = TaskConfig<ImageKeys>;

/// The image tasks' own keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageKeys {
    /// Number of synthetic (or random real) images; image i has class i mod 10.
    pub images: usize,
    /// Where learned images start: `noise` (standard normal pixels in the normalised space, as
    /// Wang et al. and Sucholutsky & Schonlau do) or `real` (random training images, as
    /// `random_real` picks them), which learns much faster from fresh initialisations.
    pub image_init: String,
    /// How fresh LeNets are initialised: `kaiming` (tch's layer defaults, as the zoo's
    /// LeNet) or `xavier` (Xavier-normal weights, zero biases, as Wang et al.'s code).
    pub net_init: String,
}

impl Default for ImageKeys {
    fn default() -> Self {
        ImageKeys {
            images: 10,
            image_init: "noise".into(),
            net_init: "kaiming".into(),
        }
    }
}

impl DomainKeys for ImageKeys {
    fn check(&self, _: &BilevelConfig) -> Result<(), String> {
        if !(1..=1000).contains(&self.images) {
            return Err(format!(
                "images: expected from 1 to 1000, found {}",
                self.images
            ));
        }
        if !["noise", "real"].contains(&self.image_init.as_str()) {
            return Err(format!(
                "image_init: expected \"noise\" or \"real\", found \"{}\"",
                self.image_init
            ));
        }
        super::functional::NetInit::parse(&self.net_init)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use toml::Table;

    fn parse(extra: &str) -> Result<DistillConfig, String> {
        let mut table = DistillConfig {
            bilevel: BilevelConfig::default(),
            domain: ImageKeys::default(),
        }
        .to_table();
        table.extend(toml::from_str::<Table>(extra).unwrap());
        DistillConfig::from_table(&table)
    }

    #[test]
    fn defaults_parse_and_bad_values_name_the_key() {
        assert_eq!(parse("").unwrap().domain, ImageKeys::default());
        for (extra, key) in [
            ("images = 0", "images:"),
            ("images = 5000", "images:"),
            ("inner_steps = 0", "inner_steps:"),
            ("image_init = 'zeros'", "image_init:"),
            ("net_init = 'he'", "net_init:"),
        ] {
            let err = parse(extra).unwrap_err();
            assert!(err.starts_with(key), "{extra}: {err}");
        }
        assert!(parse("colour = 1").unwrap_err().starts_with("colour:"));
    }
}
