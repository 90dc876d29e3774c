//! Text classifiers that kd-core trains: a BERT encoder with a classification head, fed
//! batches packed into one tensor, optionally starting from the pretrained MiniLM.
use crate::encoder::{BertConfig, BertModel};
use crate::pooling::{ClassifierHead, Pooling};
use crate::tokenize::Encoded;
use crate::weights::copy_weights;
use anyhow::Context;
use kd_core::model::{Classifier, Forward};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use tch::{nn, Device, Kind, Tensor};

/// One model of a text task (the keys of `teacher` / `student` in a task config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextModelConfig {
    /// Transformer layers.
    pub layers: usize,
    /// `pretrained`: start from all-MiniLM-L6-v2 (its embeddings and its bottom `layers`
    /// layers); `random`: a fresh initialisation.
    pub init: String,
    /// Width of the hidden states (0: MiniLM's, 384). Pretrained models keep MiniLM's.
    #[serde(default)]
    pub hidden: i64,
    /// Attention heads (0: MiniLM's, 12).
    #[serde(default)]
    pub heads: i64,
    /// Width of the feed-forward block (0: MiniLM's, 1536).
    #[serde(default)]
    pub intermediate: i64,
    /// How the head reduces the sequence: `cls` or `mean`.
    pub pooling: Pooling,
    /// Dropout before the head's linear layer.
    pub dropout: f64,
}

impl TextModelConfig {
    /// A model `layers` deep from the pretrained MiniLM, mean pooling.
    pub fn pretrained(layers: usize) -> Self {
        TextModelConfig {
            layers,
            init: "pretrained".into(),
            hidden: 0,
            heads: 0,
            intermediate: 0,
            pooling: Pooling::Mean,
            dropout: 0.1,
        }
    }

    /// Checks the values against the pretrained configuration `base`; errors name `key`.
    pub fn validate(&self, key: &str, base: &BertConfig) -> Result<(), String> {
        match self.init.as_str() {
            "pretrained" => {
                if self.layers == 0 || self.layers as i64 > base.num_hidden_layers {
                    return Err(format!(
                        "{key}.layers: a pretrained model takes 1 to {} of MiniLM's layers, found {}",
                        base.num_hidden_layers, self.layers
                    ));
                }
                let custom = [
                    ("hidden", self.hidden),
                    ("heads", self.heads),
                    ("intermediate", self.intermediate),
                ];
                if let Some((name, _)) = custom.iter().find(|(_, v)| *v != 0) {
                    return Err(format!(
                        "{key}.{name}: a pretrained model keeps MiniLM's sizes; set \
                         {key}.init = \"random\" to change them"
                    ));
                }
            }
            "random" => {
                if self.layers == 0 {
                    return Err(format!("{key}.layers: expected at least 1, found 0"));
                }
                self.bert_config(base)
                    .validate()
                    .map_err(|e| format!("{key}: {e}"))?;
            }
            other => {
                return Err(format!(
                    "{key}.init: expected \"pretrained\" or \"random\", found \"{other}\""
                ))
            }
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(format!(
                "{key}.dropout: expected a value in [0, 1), found {}",
                self.dropout
            ));
        }
        Ok(())
    }

    /// The encoder's configuration given the pretrained one.
    pub fn bert_config(&self, base: &BertConfig) -> BertConfig {
        let or = |value: i64, default: i64| if value == 0 { default } else { value };
        BertConfig {
            hidden_size: or(self.hidden, base.hidden_size),
            num_attention_heads: or(self.heads, base.num_attention_heads),
            intermediate_size: or(self.intermediate, base.intermediate_size),
            ..base.with_layers(self.layers)
        }
    }

    /// Which pretrained layers initialise this model's layers: the bottom ones, as in
    /// patient KD (Sun et al. 2019), so each layer still reads what it was trained on.
    pub fn source_layers(&self) -> Vec<usize> {
        (0..self.layers).collect()
    }
}

/// The pretrained encoder: its configuration and weights, loaded once per run.
pub struct Pretrained {
    /// The checkpoint's configuration.
    pub config: BertConfig,
    tensors: HashMap<String, Tensor>,
}

impl Pretrained {
    /// Reads `config.json` and `model.safetensors` from a MiniLM folder.
    pub fn load(dir: &Path) -> anyhow::Result<Pretrained> {
        let config = BertConfig::from_file(&dir.join("config.json"))?;
        let path = dir.join("model.safetensors");
        let tensors = Tensor::read_safetensors(&path)
            .with_context(|| format!("{}: cannot read the safetensors", path.display()))?
            .into_iter()
            .collect();
        Ok(Pretrained { config, tensors })
    }

    /// The encoder of `config` in a scratch var store, loaded from the checkpoint's layers.
    fn loaded_encoder(&self, config: &TextModelConfig) -> anyhow::Result<nn::VarStore> {
        let scratch = nn::VarStore::new(Device::Cpu);
        let _ = BertModel::new(scratch.root(), &config.bert_config(&self.config));
        copy_weights(&scratch, &self.tensors, Some(&config.source_layers()))?;
        Ok(scratch)
    }

    /// Checks that a model of `config` can be initialised from the checkpoint.
    pub fn check(&self, config: &TextModelConfig) -> anyhow::Result<()> {
        if config.init == "pretrained" {
            self.loaded_encoder(config)?;
        }
        Ok(())
    }

    /// Builds a classifier for `classes` classes under `p`, initialising a pretrained
    /// model's encoder from the checkpoint (call [`Pretrained::check`] first).
    pub fn build(&self, p: &nn::Path, config: &TextModelConfig, classes: i64) -> TextClassifier {
        let bert = config.bert_config(&self.config);
        let encoder = BertModel::new(p / "bert", &bert);
        if config.init == "pretrained" {
            let loaded = self
                .loaded_encoder(config)
                .expect("checked by Pretrained::check");
            tch::no_grad(|| {
                for (name, value) in loaded.variables() {
                    let mut var = variable(&(p / "bert"), &name)
                        .unwrap_or_else(|| panic!("the encoder has no variable {name}"));
                    var.copy_(&value);
                }
            });
        }
        let head = ClassifierHead::new(
            p / "head",
            bert.hidden_size,
            classes,
            config.pooling,
            config.dropout,
        );
        TextClassifier { encoder, head }
    }
}

/// The variable `name` (dotted, e.g. `encoder.layer.0.output.dense.weight`) under `p`.
fn variable(p: &nn::Path, name: &str) -> Option<Tensor> {
    let parts: Vec<&str> = name.split('.').collect();
    let (leaf, dirs) = parts.split_last()?;
    let (first, rest) = dirs.split_first()?;
    rest.iter()
        .fold(p / *first, |path, dir| path / *dir)
        .get(leaf)
}

/// Packs tokenised examples into one `[n, 3, max_length]` Int64 tensor (token ids, token
/// types, attention mask; zero-padded), so text data fits kd-core's splits: a batch is a
/// selection of rows. Sequences must already be at most `max_length` long.
pub fn pack(encoded: &[Encoded], max_length: usize) -> Tensor {
    let row = 3 * max_length;
    let mut data = vec![0i64; encoded.len() * row];
    for (i, e) in encoded.iter().enumerate() {
        assert!(e.len() <= max_length, "a sequence longer than max_length");
        let at = i * row;
        data[at..at + e.len()].copy_from_slice(&e.ids);
        data[at + max_length..at + max_length + e.len()].copy_from_slice(&e.type_ids);
        data[at + 2 * max_length..at + 2 * max_length + e.len()].fill(1);
    }
    Tensor::from_slice(&data).view([encoded.len() as i64, 3, max_length as i64])
}

/// A BERT encoder with a classification head over packed batches (see [`pack`]). Its
/// features are the hidden states (embedding output first) with the token mask, for
/// CKD's relations and token-level hints.
#[derive(Debug)]
pub struct TextClassifier {
    encoder: BertModel,
    head: ClassifierHead,
}

impl Classifier for TextClassifier {
    fn forward(&self, xs: &Tensor, train: bool) -> Forward {
        // Drop the columns that are padding in every row of the batch.
        let longest = xs
            .select(1, 2)
            .sum_dim_intlist(1, false, Kind::Int64)
            .max()
            .int64_value(&[])
            .max(1);
        let xs = xs.narrow(2, 0, longest);
        let (ids, types, mask) = (xs.select(1, 0), xs.select(1, 1), xs.select(1, 2));
        let out = self.encoder.forward(&ids, Some(&types), Some(&mask), train);
        let logits = self.head.forward(out.last_hidden_state(), &mask, train);
        Forward {
            logits,
            features: out.hidden_states,
            mask: Some(mask),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoder::tiny_config;

    #[test]
    fn packing_keeps_ids_types_and_mask_and_batches_drop_shared_padding() {
        let encoded = [
            Encoded {
                ids: vec![1, 7, 2],
                type_ids: vec![0, 0, 0],
            },
            Encoded {
                ids: vec![1, 8, 2, 9, 2],
                type_ids: vec![0, 0, 0, 1, 1],
            },
        ];
        let packed = pack(&encoded, 8);
        assert_eq!(packed.size(), [2, 3, 8]);
        let row = |i: i64, c: i64| Vec::<i64>::try_from(packed.get(i).get(c)).unwrap();
        assert_eq!(row(0, 0), [1, 7, 2, 0, 0, 0, 0, 0]);
        assert_eq!(row(1, 1), [0, 0, 0, 1, 1, 0, 0, 0]);
        assert_eq!(row(1, 2), [1, 1, 1, 1, 1, 0, 0, 0]);

        let vs = nn::VarStore::new(Device::Cpu);
        let bert = tiny_config();
        let model = TextClassifier {
            encoder: BertModel::new(&vs.root() / "bert", &bert),
            head: ClassifierHead::new(&vs.root() / "head", bert.hidden_size, 3, Pooling::Cls, 0.0),
        };
        let out = model.forward(&packed, false);
        assert_eq!(out.logits.size(), [2, 3]);
        assert_eq!(out.features.len() as i64, bert.num_hidden_layers + 1);
        assert_eq!(out.features[0].size(), [2, 5, bert.hidden_size]);
        assert_eq!(
            Vec::<i64>::try_from(out.mask.unwrap().get(0)).unwrap(),
            [1, 1, 1, 0, 0]
        );
        // Padding does not change a sequence's logits.
        let alone = model.forward(&packed.narrow(0, 0, 1), false).logits;
        let diff = (alone - out.logits.narrow(0, 0, 1))
            .abs()
            .max()
            .double_value(&[]);
        assert!(diff < 1e-5, "{diff}");
    }

    fn classifier(vs: &nn::VarStore, layers: usize) -> TextClassifier {
        let bert = tiny_config().with_layers(layers);
        TextClassifier {
            encoder: BertModel::new(&vs.root() / "bert", &bert),
            head: ClassifierHead::new(&vs.root() / "head", bert.hidden_size, 2, Pooling::Mean, 0.0),
        }
    }

    #[test]
    fn dwt_remapping_copies_the_shared_bottom_of_a_text_encoder() {
        tch::manual_seed(0);
        let (small_vs, large_vs) = (
            nn::VarStore::new(Device::Cpu),
            nn::VarStore::new(Device::Cpu),
        );
        let (_small, _large) = (classifier(&small_vs, 1), classifier(&large_vs, 3));
        let before: HashMap<String, Tensor> = large_vs
            .variables()
            .into_iter()
            .map(|(name, value)| (name, value.copy()))
            .collect();
        let copied = kd_core::remap::remap_parameters(&small_vs, &large_vs).unwrap();
        assert_eq!(copied, small_vs.variables().len());
        let (small, large) = (small_vs.variables(), large_vs.variables());
        let same = |a: &Tensor, b: &Tensor| a.equal(b);
        for name in [
            "bert.embeddings.word_embeddings.weight",
            "bert.encoder.layer.0.attention.self.query.weight",
            "head.classifier.weight",
        ] {
            let (s, l) = (small.get(name), large.get(name));
            assert!(s.is_some() && l.is_some(), "{name}");
            assert!(same(s.unwrap(), l.unwrap()), "{name}");
        }
        let deep = "bert.encoder.layer.2.attention.self.query.weight";
        assert!(
            same(&large[deep], &before[deep]),
            "deeper layers keep their initialisation"
        );
    }

    #[test]
    fn configs_are_checked_and_take_the_bottom_pretrained_layers() {
        let base = tiny_config().with_layers(6);
        let mut c = TextModelConfig::pretrained(3);
        assert!(c.validate("student", &base).is_ok());
        assert_eq!(c.source_layers(), [0, 1, 2]);
        c.layers = 7;
        assert!(c
            .validate("student", &base)
            .unwrap_err()
            .starts_with("student.layers"));
        c.layers = 2;
        c.hidden = 128;
        let err = c.validate("student", &base).unwrap_err();
        assert!(
            err.starts_with("student.hidden") && err.contains("random"),
            "{err}"
        );
        c.init = "random".into();
        c.heads = 5;
        let err = c.validate("student", &base).unwrap_err();
        assert!(err.contains("num_attention_heads"), "{err}");
        c.heads = 4;
        assert!(c.validate("student", &base).is_ok());
        assert_eq!(c.bert_config(&base).hidden_size, 128);
        c.init = "frozen".into();
        assert!(c
            .validate("student", &base)
            .unwrap_err()
            .starts_with("student.init"));
    }

    /// A 1-layer student trained with KD against a 3-layer teacher (live, or its logits
    /// precomputed over the training set) on sequences of many lengths, from a fixed start.
    fn kd_on_text(
        teacher: &TextClassifier,
        student_start: &nn::VarStore,
        precomputed: bool,
    ) -> Vec<f64> {
        use kd_core::data::{Dataset, Split};
        use kd_core::train::{train_together, training_logits, Learner, TeacherRef};
        let encoded: Vec<Encoded> = (0..48)
            .map(|i: i64| {
                let len = 3 + (i * 7) % 10;
                let mut ids: Vec<i64> = (0..len).map(|j| 3 + (i * 5 + j * 3) % 17).collect();
                ids[0] = 1;
                Encoded {
                    type_ids: vec![0; ids.len()],
                    ids,
                }
            })
            .collect();
        let labels: Vec<i64> = encoded.iter().map(|e| i64::from(e.ids[1] > 10)).collect();
        let split = |range: std::ops::Range<usize>| Split {
            x: pack(&encoded[range.clone()], 12),
            y: Tensor::from_slice(&labels[range]),
        };
        let data = Dataset {
            train: split(0..32),
            val: split(32..40),
            test: split(40..48),
            num_classes: 2,
        };
        let settings = kd_core::train::TrainSettings {
            epochs: 2,
            batch_size: 8,
            eval_batch_size: 32,
            optim: kd_core::optim::OptimSettings {
                optimizer: "adam".into(),
                lr: 0.01,
                momentum: 0.0,
                weight_decay: 0.0,
                nesterov: false,
                lr_schedule: "constant".into(),
                clip_grad_norm: 0.0,
            },
            augment: None,
            confusion: false,
        };
        let kd = kd_core::method::MethodSpec::from_table(
            "kd",
            &toml::from_str(
                "regime = 'one_way'\nlosses.ce = { weight = 0.1 }\nlosses.kd = { weight = 0.9 }",
            )
            .unwrap(),
        )
        .unwrap();
        let logits = training_logits(teacher, &data.train, 32);
        // Both runs start from the same weights and draw no random numbers while training
        // (no dropout): libtorch's generator is shared with the tests running beside this one.
        let mut vs = nn::VarStore::new(Device::Cpu);
        let mut bert = tiny_config().with_layers(1);
        bert.hidden_dropout_prob = 0.0;
        bert.attention_probs_dropout_prob = 0.0;
        let student = TextClassifier {
            encoder: BertModel::new(&vs.root() / "bert", &bert),
            head: ClassifierHead::new(&vs.root() / "head", bert.hidden_size, 2, Pooling::Mean, 0.0),
        };
        vs.copy(student_start).unwrap();
        let learner = Learner {
            model: &student,
            vs: &vs,
            method: &kd,
            teachers: vec![if precomputed {
                TeacherRef::Logits(&logits)
            } else {
                TeacherRef::Frozen(teacher)
            }],
        };
        let mut rng = kd_core::seeding::stream(1, "order");
        let reports =
            train_together(vec![learner], &data, &settings, &mut rng, &mut |_, _| {}).unwrap();
        reports[0].epochs.iter().map(|r| r.train_loss).collect()
    }

    #[test]
    fn precomputed_teacher_logits_match_the_live_teacher_on_padded_text() {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(Device::Cpu);
        let teacher = classifier(&vs, 3);
        let start = nn::VarStore::new(Device::Cpu);
        let _student = classifier(&start, 1);
        let (live, cached) = (
            kd_on_text(&teacher, &start, false),
            kd_on_text(&teacher, &start, true),
        );
        assert_eq!(live.len(), 2);
        for (a, b) in live.iter().zip(&cached) {
            assert!((a - b).abs() < 1e-5, "{live:?} vs {cached:?}");
        }
    }
}
