//! The settings of the text dataset-distillation tasks (the keys suites and `--set` may
//! change): the keys every dataset-distillation task has (kd-core's [`BilevelConfig`]) plus
//! the sentences' and the sentence CNN's.
pub use kd_core::distill_data::config::BilevelConfig;
use kd_core::distill_data::config::{DomainKeys, TaskConfig};
use serde::{Deserialize, Serialize};

/// Every setting of a text `*-distill` task.
pub type TextDistillConfig = TaskConfig<TextKeys>;

/// The text tasks' own keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextKeys {
    /// Number of synthetic (or random real) sentences; sentence i has class i mod 2.
    pub sentences: usize,
    /// Tokens per sentence (special tokens dropped): real texts are cut or padded (with zero
    /// vectors) to it, each synthetic sentence is a `[seq_len, 384]` embedding matrix.
    pub seq_len: usize,
    /// Convolution filters of the sentence CNN.
    pub filters: usize,
    /// Consecutive embeddings each filter spans.
    pub width: usize,
    /// Where learned sentences start: `noise` (standard normal entries in the standardised
    /// embedding space) or `real` (the embeddings of random training texts, as `random_real`
    /// picks them).
    pub sentence_init: String,
    /// Nearest vocabulary tokens listed per position in `distilled.txt`.
    pub nearest: usize,
}

impl Default for TextKeys {
    fn default() -> Self {
        TextKeys {
            sentences: 20,
            seq_len: 32,
            filters: 100,
            width: 3,
            sentence_init: "real".into(),
            nearest: 1,
        }
    }
}

impl DomainKeys for TextKeys {
    fn check(&self, _: &BilevelConfig) -> Result<(), String> {
        for (key, value) in [
            ("sentences", self.sentences),
            ("filters", self.filters),
            ("width", self.width),
            ("nearest", self.nearest),
        ] {
            if value == 0 {
                return Err(format!("{key}: expected at least 1, found 0"));
            }
        }
        if self.sentences > 1000 {
            return Err(format!(
                "sentences: expected at most 1000, found {}",
                self.sentences
            ));
        }
        if self.seq_len < self.width || self.seq_len > 512 {
            return Err(format!(
                "seq_len: expected from width ({}) to 512, found {}",
                self.width, self.seq_len
            ));
        }
        if self.nearest > 10 {
            return Err(format!(
                "nearest: expected at most 10, found {}",
                self.nearest
            ));
        }
        if !["noise", "real"].contains(&self.sentence_init.as_str()) {
            return Err(format!(
                "sentence_init: expected \"noise\" or \"real\", found \"{}\"",
                self.sentence_init
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use toml::Table;

    fn parse(extra: &str) -> Result<TextDistillConfig, String> {
        let mut table = TextDistillConfig {
            bilevel: BilevelConfig::default(),
            domain: TextKeys::default(),
        }
        .to_table();
        table.extend(toml::from_str::<Table>(extra).unwrap());
        TextDistillConfig::from_table(&table)
    }

    #[test]
    fn defaults_parse_and_bad_values_name_the_key() {
        assert_eq!(parse("").unwrap().domain, TextKeys::default());
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
        assert!(parse("images = 10").unwrap_err().starts_with("images:"));
    }
}
