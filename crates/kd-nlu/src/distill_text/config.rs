//! The settings of the text dataset-distillation task (the keys suites and `--set` may change).
use serde::{Deserialize, Serialize};
use toml::Table;

/// Every setting of `rotten-tomatoes-distill`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextDistillConfig {
    /// Number of synthetic (or random real) sentences; sentence i has class i mod 2.
    pub sentences: usize,
    /// Tokens per sentence (special tokens dropped): real snippets are cut or padded (with
    /// zero vectors) to it, each synthetic sentence is a `[seq_len, 384]` embedding matrix.
    pub seq_len: usize,
    /// Convolution filters of the sentence CNN.
    pub filters: usize,
    /// Consecutive embeddings each filter spans.
    pub width: usize,
    /// Outer steps: each samples a fresh initialisation, unrolls the inner steps and updates
    /// the synthetic data once.
    pub outer_steps: usize,
    /// Gradient steps of the inner loop, each over all the synthetic sentences with its own
    /// learned step size; evaluation trains with the same steps.
    pub inner_steps: usize,
    /// Real training snippets per outer step (the outer loss's batch).
    pub real_batch: usize,
    /// Adam learning rate of the outer loop (embeddings, label logits, log step sizes).
    pub outer_lr: f64,
    /// Where learned sentences start: `noise` (standard normal entries in the standardised
    /// embedding space) or `real` (the embeddings of random training snippets, as
    /// `random_real` picks them).
    pub sentence_init: String,
    /// Initial inner step size (every step starts from it).
    pub step_lr: f64,
    /// Initial logit of sentence i's class in a soft label (the other starts at 0).
    pub label_init: f64,
    /// Distil for one fixed initialisation and evaluate from that same one instead of fresh
    /// random initialisations.
    pub fixed_init: bool,
    /// Fresh networks trained on the distilled set for the scores (ignored with `fixed_init`).
    pub eval_inits: usize,
    /// Epochs of each `full_data` network (Adam, batch 64, learning rate 1e-3).
    pub full_epochs: usize,
    /// Networks trained by `full_data`.
    pub full_inits: usize,
    /// Nearest vocabulary tokens listed per position in `distilled.txt`.
    pub nearest: usize,
    /// Outer steps between two `outer_loss` curve points.
    pub log_every: usize,
}

impl Default for TextDistillConfig {
    fn default() -> Self {
        TextDistillConfig {
            sentences: 20,
            seq_len: 32,
            filters: 100,
            width: 3,
            outer_steps: 100,
            inner_steps: 10,
            real_batch: 256,
            outer_lr: 0.05,
            sentence_init: "real".into(),
            step_lr: 0.2,
            label_init: 2.0,
            fixed_init: false,
            eval_inits: 10,
            full_epochs: 3,
            full_inits: 2,
            nearest: 1,
            log_every: 20,
        }
    }
}

impl TextDistillConfig {
    /// Parses and checks a resolved config table; errors name the key.
    pub fn from_table(table: &Table) -> Result<TextDistillConfig, String> {
        let config: TextDistillConfig = table
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| e.message().trim().to_string())?;
        let at_least_one = [
            ("sentences", config.sentences),
            ("filters", config.filters),
            ("width", config.width),
            ("inner_steps", config.inner_steps),
            ("real_batch", config.real_batch),
            ("eval_inits", config.eval_inits),
            ("full_epochs", config.full_epochs),
            ("full_inits", config.full_inits),
            ("nearest", config.nearest),
            ("log_every", config.log_every),
        ];
        for (key, value) in at_least_one {
            if value == 0 {
                return Err(format!("{key}: expected at least 1, found 0"));
            }
        }
        if config.sentences > 1000 {
            return Err(format!(
                "sentences: expected at most 1000, found {}",
                config.sentences
            ));
        }
        if config.seq_len < config.width || config.seq_len > 256 {
            return Err(format!(
                "seq_len: expected from width ({}) to 256, found {}",
                config.width, config.seq_len
            ));
        }
        if config.nearest > 10 {
            return Err(format!(
                "nearest: expected at most 10, found {}",
                config.nearest
            ));
        }
        for (key, value) in [("outer_lr", config.outer_lr), ("step_lr", config.step_lr)] {
            if !(value.is_finite() && value > 0.0) {
                return Err(format!("{key}: expected a positive number, found {value}"));
            }
        }
        if !["noise", "real"].contains(&config.sentence_init.as_str()) {
            return Err(format!(
                "sentence_init: expected \"noise\" or \"real\", found \"{}\"",
                config.sentence_init
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

    fn parse(extra: &str) -> Result<TextDistillConfig, String> {
        let mut table = Table::try_from(TextDistillConfig::default()).unwrap();
        table.extend(toml::from_str::<Table>(extra).unwrap());
        TextDistillConfig::from_table(&table)
    }

    #[test]
    fn defaults_parse_and_bad_values_name_the_key() {
        assert_eq!(parse("").unwrap(), TextDistillConfig::default());
        for (extra, key) in [
            ("sentences = 0", "sentences:"),
            ("sentences = 5000", "sentences:"),
            ("seq_len = 2", "seq_len:"),
            ("filters = 0", "filters:"),
            ("step_lr = 0.0", "step_lr:"),
            ("sentence_init = 'zeros'", "sentence_init:"),
            ("nearest = 11", "nearest:"),
        ] {
            let err = parse(extra).unwrap_err();
            assert!(err.starts_with(key), "{extra}: {err}");
        }
        assert!(parse("images = 10").unwrap_err().contains("images"));
    }
}
