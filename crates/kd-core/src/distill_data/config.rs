//! The config keys every dataset-distillation task has ([`BilevelConfig`]: the bi-level
//! optimisation's budget, evaluation and the `full_data` baseline) and a task config made of
//! them plus a domain's own keys ([`TaskConfig`]), parsed from one flat table so that suites
//! and `--set` write `outer_steps = 3000` whatever the domain.
use super::bilevel::DistillSettings;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt::Debug;
use tch::Tensor;
use toml::Table;

/// The keys shared by the image and text dataset-distillation tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BilevelConfig {
    /// Outer steps: each unrolls the inner steps (from a fresh initialisation, unless
    /// `fixed_init`) and updates the synthetic data once.
    pub outer_steps: usize,
    /// Gradient steps of the inner loop, each over the whole synthetic set with its own
    /// learned step size (the papers' distill steps x distill epochs); evaluation trains with
    /// the same steps.
    pub inner_steps: usize,
    /// Real training examples per outer step (the outer loss's batch).
    pub real_batch: usize,
    /// Adam learning rate of the outer loop (inputs, label logits, log step sizes); Adam's
    /// first-moment decay is 0.5, as in Wang et al.'s code.
    pub outer_lr: f64,
    /// Outer steps between two multiplications of `outer_lr` by `decay_factor` (0: never).
    pub decay_every: usize,
    /// What `outer_lr` is multiplied by every `decay_every` outer steps.
    pub decay_factor: f64,
    /// Initial inner step size (every step starts from it).
    pub step_lr: f64,
    /// Initial logit of an example's class in a soft label (the other classes start at 0).
    pub label_init: f64,
    /// How soft labels are learned: `softmax` (label = softmax of learned logits, always a
    /// distribution) or `raw` (the label weights themselves, starting one-hot, free to leave
    /// the simplex, as in Sucholutsky & Schonlau's code).
    pub label_param: String,
    /// Distil for one fixed initialisation and evaluate from that same one (the papers'
    /// "known initialisation" setting) instead of fresh random initialisations.
    pub fixed_init: bool,
    /// Fresh networks trained on the result for the scores (with `fixed_init`, for
    /// `acc_fresh_mean` and `acc_fresh_std`).
    pub eval_inits: usize,
    /// Epochs of each `full_data` network.
    pub full_epochs: usize,
    /// Networks trained by `full_data`.
    pub full_inits: usize,
    /// A distilled-data file written by an earlier run (`distilled.safetensors`): when set,
    /// distillation is skipped and fresh networks are trained and scored on that file.
    pub distilled: String,
    /// Outer steps between two `outer_loss` curve points.
    pub log_every: usize,
}

impl Default for BilevelConfig {
    fn default() -> Self {
        BilevelConfig {
            outer_steps: 400,
            inner_steps: 10,
            real_batch: 256,
            outer_lr: 0.01,
            decay_every: 0,
            decay_factor: 0.5,
            step_lr: 0.02,
            label_init: 3.0,
            label_param: "softmax".into(),
            fixed_init: false,
            eval_inits: 10,
            full_epochs: 1,
            full_inits: 2,
            distilled: String::new(),
            log_every: 20,
        }
    }
}

impl BilevelConfig {
    /// Checks the values; errors name the key.
    pub fn check(&self) -> Result<(), String> {
        let at_least_one = [
            ("inner_steps", self.inner_steps),
            ("real_batch", self.real_batch),
            ("eval_inits", self.eval_inits),
            ("full_epochs", self.full_epochs),
            ("full_inits", self.full_inits),
            ("log_every", self.log_every),
        ];
        for (key, value) in at_least_one {
            if value == 0 {
                return Err(format!("{key}: expected at least 1, found 0"));
            }
        }
        for (key, value) in [("outer_lr", self.outer_lr), ("step_lr", self.step_lr)] {
            if !(value.is_finite() && value > 0.0) {
                return Err(format!("{key}: expected a positive number, found {value}"));
            }
        }
        if !(self.decay_factor > 0.0 && self.decay_factor <= 1.0) {
            return Err(format!(
                "decay_factor: expected a number in (0, 1], found {}",
                self.decay_factor
            ));
        }
        if !["softmax", "raw"].contains(&self.label_param.as_str()) {
            return Err(format!(
                "label_param: expected \"softmax\" or \"raw\", found \"{}\"",
                self.label_param
            ));
        }
        if !self.label_init.is_finite() {
            return Err(format!(
                "label_init: expected a finite number, found {}",
                self.label_init
            ));
        }
        Ok(())
    }

    /// The settings of [`super::bilevel::distill`], with `fixed_init` the initialisation to
    /// distil for when the config asks for one.
    pub fn settings(&self, fixed_init: Option<&[Tensor]>) -> DistillSettings {
        DistillSettings {
            outer_steps: self.outer_steps,
            inner_steps: self.inner_steps,
            real_batch: self.real_batch,
            outer_lr: self.outer_lr,
            decay_every: self.decay_every,
            decay_factor: self.decay_factor,
            step_lr: self.step_lr,
            label_init: self.label_init,
            raw_labels: self.label_param == "raw",
            fixed_init: fixed_init.map(|p| p.iter().map(Tensor::copy).collect()),
            log_every: self.log_every,
        }
    }
}

/// A domain's own keys of a dataset-distillation task (how many examples, where they start,
/// the network's shape, ...).
pub trait DomainKeys: Serialize + DeserializeOwned + Clone + Debug + PartialEq + Default {
    /// Checks the values (knowing the shared ones); errors name the key.
    fn check(&self, bilevel: &BilevelConfig) -> Result<(), String>;
}

/// A dataset-distillation task's config: the shared keys and the domain's, one flat table.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskConfig<D> {
    /// The keys every dataset-distillation task has.
    pub bilevel: BilevelConfig,
    /// The domain's own keys.
    pub domain: D,
}

impl<D: DomainKeys> TaskConfig<D> {
    /// The config as one flat table (the task's `default_config`).
    pub fn to_table(&self) -> Table {
        let mut table = Table::try_from(&self.bilevel).expect("a config serialises to a table");
        table.extend(Table::try_from(&self.domain).expect("a config serialises to a table"));
        table
    }

    /// Parses and checks a resolved config table; errors name the key (an unknown key is
    /// named with the list of known ones).
    pub fn from_table(table: &Table) -> Result<TaskConfig<D>, String> {
        let shared_keys = Table::try_from(BilevelConfig::default()).expect("a table");
        let domain_keys = Table::try_from(D::default()).expect("a table");
        let (mut shared, mut own) = (Table::new(), Table::new());
        for (key, value) in table {
            if shared_keys.contains_key(key) {
                shared.insert(key.clone(), value.clone());
            } else if domain_keys.contains_key(key) {
                own.insert(key.clone(), value.clone());
            } else {
                let mut known: Vec<&String> =
                    shared_keys.keys().chain(domain_keys.keys()).collect();
                known.sort();
                let known: Vec<&str> = known.iter().map(|k| k.as_str()).collect();
                return Err(format!(
                    "{key}: unknown key; expected one of {}",
                    known.join(", ")
                ));
            }
        }
        let parse_error = |e: toml::de::Error| e.message().trim().to_string();
        let bilevel: BilevelConfig = shared.try_into().map_err(parse_error)?;
        let domain: D = own.try_into().map_err(parse_error)?;
        bilevel.check()?;
        domain.check(&bilevel)?;
        Ok(TaskConfig { bilevel, domain })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Keys {
        examples: usize,
    }

    impl Default for Keys {
        fn default() -> Self {
            Keys { examples: 4 }
        }
    }

    impl DomainKeys for Keys {
        fn check(&self, _: &BilevelConfig) -> Result<(), String> {
            if self.examples == 0 {
                return Err("examples: expected at least 1, found 0".into());
            }
            Ok(())
        }
    }

    fn parse(extra: &str) -> Result<TaskConfig<Keys>, String> {
        let mut table = TaskConfig {
            bilevel: BilevelConfig::default(),
            domain: Keys::default(),
        }
        .to_table();
        table.extend(toml::from_str::<Table>(extra).unwrap());
        TaskConfig::from_table(&table)
    }

    #[test]
    fn one_flat_table_round_trips_and_errors_name_the_key() {
        let config = parse("outer_steps = 7\nexamples = 3").unwrap();
        assert_eq!(config.bilevel.outer_steps, 7);
        assert_eq!(config.domain.examples, 3);
        for (extra, key) in [
            ("examples = 0", "examples:"),
            ("inner_steps = 0", "inner_steps:"),
            ("outer_lr = -1.0", "outer_lr:"),
            ("step_lr = nan", "step_lr:"),
            ("decay_factor = 1.5", "decay_factor:"),
            ("label_init = inf", "label_init:"),
        ] {
            let err = parse(extra).unwrap_err();
            assert!(err.starts_with(key), "{extra}: {err}");
        }
        let err = parse("outer_stepz = 5").unwrap_err();
        assert!(
            err.starts_with("outer_stepz: unknown key") && err.contains("examples, fixed_init"),
            "{err}"
        );
        let err = parse("outer_steps = 'many'").unwrap_err();
        assert!(err.contains("invalid type"), "{err}");
    }
}
