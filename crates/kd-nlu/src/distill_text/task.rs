//! The text dataset-distillation tasks `rotten-tomatoes-distill` and `imdb-distill`: distil
//! the training texts into a few synthetic "sentences" (matrices of word embeddings, default
//! 20) with soft or hard labels, train fresh sentence CNNs on them, score them on the test
//! split.
//!
//! Scores of a run: `acc_mean` (primary), `acc_std`, `acc_min` and `acc_max`: test accuracy
//! of the networks trained on the result, one per evaluation initialisation; methods that
//! learn data add `outer_loss` and `step_size_mean`; with `fixed_init`, `acc_fresh_mean` and
//! `acc_fresh_std` score the result on fresh initialisations too. Curves: split `train`, metric
//! `outer_loss`. Artifacts (not for `full_data`): `distilled.safetensors` and `distilled.txt`
//! (see [`super::artifacts`]).
use super::artifacts::{self, DATA_FILE, TEXT_FILE};
use super::config::{BilevelConfig, TextDistillConfig, TextKeys};
use super::net::{Embeddings, TextCnn};
use crate::datasets::minilm_spec;
use crate::task::TextSource;
use crate::text::{TextExample, TextSplits};
use crate::tokenize::{TextTokenizer, PAD_ID};
use kd_core::device::parse_device;
use kd_core::distill_data::bilevel::{accuracy, accuracy_scores, pick_per_class, FunctionalNet};
use kd_core::distill_data::method::{DataKind, DistillMethod};
use kd_core::distill_data::run::{
    check_method, distill_method, empty_outcome, obtain_set, score_set,
};
use kd_harness::task::{MethodDef, RunContext, RunOutcome, Task};
use std::path::Path;
use std::sync::Arc;
use tch::nn::OptimizerConfig;
use tch::{Device, Kind, Tensor};
use toml::Table;

/// Classes of the task (rotten, fresh).
const CLASSES: i64 = 2;

/// Where a text distillation task's labelled texts come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Corpus {
    /// Rotten Tomatoes snippets (fetch: `rotten-tomatoes`), its train and test splits.
    RottenTomatoes,
    /// IMDB reviews from `<data-dir>/aclImdb` (cannot be fetched), the official splits.
    Imdb,
}

impl Corpus {
    /// Why the task cannot run with `data_dir` (the texts or MiniLM are absent), if it cannot.
    fn missing(self, data_dir: &Path) -> Option<String> {
        match self {
            Corpus::RottenTomatoes => TextSource::RottenTomatoes.missing(data_dir),
            Corpus::Imdb => {
                let minilm = minilm_spec();
                let reasons: Vec<String> = [
                    (!minilm.present(data_dir)).then(|| {
                        format!(
                            "data set '{}' is not in {}; run `kdbench data fetch {}` (or pass \
                             --data-dir)",
                            minilm.name,
                            data_dir.display(),
                            minilm.name
                        )
                    }),
                    crate::imdb::missing(data_dir),
                ]
                .into_iter()
                .flatten()
                .collect();
                (!reasons.is_empty()).then(|| reasons.join("; "))
            }
        }
    }

    /// The labelled texts.
    fn load(self, data_dir: &Path) -> anyhow::Result<TextSplits> {
        match self {
            Corpus::RottenTomatoes => crate::rotten::load_rotten_tomatoes(
                &crate::datasets::rotten_tomatoes_spec().dir(data_dir),
            ),
            Corpus::Imdb => crate::imdb::load_imdb(&data_dir.join(crate::imdb::DIR)),
        }
    }
}

/// Text dataset distillation on one corpus.
pub struct TextDistillTask {
    name: String,
    description: String,
    corpus: Corpus,
    defaults: TextDistillConfig,
}

/// The default config: the shared keys at the text budget, the text keys with `seq_len`.
fn defaults(seq_len: usize) -> TextDistillConfig {
    TextDistillConfig {
        bilevel: BilevelConfig {
            outer_steps: 100,
            outer_lr: 0.05,
            step_lr: 0.2,
            label_init: 2.0,
            full_epochs: 3,
            ..BilevelConfig::default()
        },
        domain: TextKeys {
            seq_len,
            ..TextKeys::default()
        },
    }
}

/// Every text dataset-distillation task.
pub fn distill_text_tasks() -> Vec<Arc<dyn Task>> {
    vec![
        Arc::new(TextDistillTask {
            name: "rotten-tomatoes-distill".into(),
            description: "Rotten Tomatoes (fetch: rotten-tomatoes, minilm-l6) distilled into 20 sentences of frozen MiniLM word embeddings (text dataset distillation); fresh sentence CNNs trained on them".into(),
            corpus: Corpus::RottenTomatoes,
            defaults: defaults(32),
        }),
        Arc::new(TextDistillTask {
            name: "imdb-distill".into(),
            description: "IMDB reviews (from --data-dir: aclImdb, cannot be fetched; fetch: minilm-l6) distilled into 20 sentences of frozen MiniLM word embeddings; fresh sentence CNNs trained on them".into(),
            corpus: Corpus::Imdb,
            defaults: defaults(128),
        }),
    ]
}

/// Token ids `[n, seq_len]` (special tokens dropped, cut or padded with [`PAD_ID`]) and
/// labels `[n]` of `examples`.
pub fn encode_split(
    tokenizer: &TextTokenizer,
    examples: &[TextExample],
    seq_len: usize,
) -> anyhow::Result<(Tensor, Tensor)> {
    let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
    let encoded = tokenizer.encode(&texts)?;
    let mut ids = vec![PAD_ID; examples.len() * seq_len];
    for (row, e) in encoded.iter().enumerate() {
        // `[CLS] tokens... [SEP]`: keep the tokens between.
        let inner = if e.len() >= 2 {
            &e.ids[1..e.len() - 1]
        } else {
            &e.ids[..0]
        };
        let take = inner.len().min(seq_len);
        ids[row * seq_len..row * seq_len + take].copy_from_slice(&inner[..take]);
    }
    let labels: Vec<i64> = examples.iter().map(|e| e.label).collect();
    Ok((
        Tensor::from_slice(&ids).view([examples.len() as i64, seq_len as i64]),
        Tensor::from_slice(&labels),
    ))
}

/// Trains `inits` fresh networks on all of `train` with Adam (batch 64, learning rate 1e-3)
/// for `epochs` epochs and returns each one's accuracy on `test`.
fn full_data(
    net: &TextCnn,
    train: (&Tensor, &Tensor),
    test: (&Tensor, &Tensor),
    epochs: usize,
    inits: usize,
    device: Device,
    progress: &dyn Fn(&str),
) -> Vec<f64> {
    let n = train.0.size()[0];
    (0..inits)
        .map(|k| {
            let vs = tch::nn::VarStore::new(device);
            let params: Vec<Tensor> = net
                .init_params(device)
                .iter()
                .enumerate()
                .map(|(i, t)| vs.root().var_copy(&format!("p{i}"), t))
                .collect();
            let mut opt = tch::nn::Adam::default().build(&vs, 1e-3).expect("Adam");
            for epoch in 0..epochs {
                progress(&format!(
                    "full data: network {}/{inits} epoch {}/{epochs}",
                    k + 1,
                    epoch + 1
                ));
                let perm = Tensor::randperm(n, (Kind::Int64, device));
                let mut start = 0;
                while start < n {
                    let idx = perm.narrow(0, start, 64.min(n - start));
                    let logits = net.forward(&params, &net.embed(&train.0.index_select(0, &idx)));
                    let loss = logits.cross_entropy_for_logits(&train.1.index_select(0, &idx));
                    opt.backward_step(&loss);
                    start += 64;
                }
            }
            accuracy(net, &params, test.0, test.1)
        })
        .collect()
}

impl TextDistillTask {
    /// The config and method of a run, checked together (a `distilled` file is only checked
    /// for its shapes here; its width is checked against the embeddings when it is loaded).
    fn checked(
        &self,
        config: &Table,
        method: &MethodDef,
    ) -> Result<(TextDistillConfig, DistillMethod), String> {
        let config = TextDistillConfig::from_table(config)?;
        let method = distill_method(&self.name, method)?;
        let width = config.domain.width as i64;
        check_method(
            &method,
            &config.bilevel,
            ("sentences", config.domain.sentences),
            CLASSES,
            |path| {
                let set = artifacts::load(path, None, CLASSES, Device::Cpu)?;
                let length = set.inputs.size()[1];
                if length < width {
                    return Err(format!(
                        "{}: its sentences are {length} embeddings long, shorter than the \
                         filters' width {width}",
                        path.display()
                    ));
                }
                Ok(set)
            },
        )?;
        Ok((config, method))
    }
}

impl Task for TextDistillTask {
    fn name(&self) -> &str {
        &self.name
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn default_config(&self) -> Table {
        self.defaults.to_table()
    }

    fn primary_metric(&self) -> &str {
        "acc_mean"
    }

    fn check(&self, config: &Table, method: &MethodDef) -> Result<(), String> {
        self.checked(config, method).map(|_| ())
    }

    fn run(
        &self,
        config: &Table,
        method: &MethodDef,
        ctx: &RunContext,
    ) -> anyhow::Result<RunOutcome> {
        let (config, method) = self.checked(config, method).map_err(anyhow::Error::msg)?;
        if let Some(reason) = self.corpus.missing(&ctx.data_dir) {
            return Ok(RunOutcome::skipped(reason));
        }
        kd_core::set_threads(ctx.threads);
        let device = parse_device(&ctx.device).map_err(anyhow::Error::msg)?;
        tch::manual_seed(ctx.seed as i64);
        let keys = &config.domain;
        let bilevel = &config.bilevel;
        let minilm = minilm_spec().dir(&ctx.data_dir);
        (ctx.progress)("tokenising");
        let tokenizer =
            TextTokenizer::from_file(&minilm.join("tokenizer.json"), Some(keys.seq_len + 2))?;
        let splits = self.corpus.load(&ctx.data_dir)?;
        let (train_x, train_y) = encode_split(&tokenizer, &splits.train, keys.seq_len)?;
        let (test_x, test_y) = encode_split(&tokenizer, &splits.test, keys.seq_len)?;
        let (train_x, train_y) = (train_x.to_device(device), train_y.to_device(device));
        let (test_x, test_y) = (test_x.to_device(device), test_y.to_device(device));
        let net = TextCnn {
            embeddings: Embeddings::from_checkpoint(&minilm.join("model.safetensors"), device)?,
            filters: keys.filters as i64,
            width: keys.width as i64,
            classes: CLASSES,
        };

        let mut outcome = empty_outcome(net.param_count());
        if method.data == DataKind::Full {
            let accs = full_data(
                &net,
                (&train_x, &train_y),
                (&test_x, &test_y),
                bilevel.full_epochs,
                bilevel.full_inits,
                device,
                ctx.progress,
            );
            outcome.scores = accuracy_scores(&accs);
            return Ok(outcome);
        }

        let fixed_init = bilevel.fixed_init.then(|| net.init_params(device));
        let n = keys.sentences;
        let from_real = method.data == DataKind::Real || keys.sentence_init == "real";
        let learned = obtain_set(
            &net,
            n,
            &method,
            (&train_x, &train_y),
            bilevel,
            fixed_init.as_deref(),
            &mut outcome,
            ctx.progress,
            |path| artifacts::load(path, Some(&net.embeddings), CLASSES, device),
            || {
                if from_real {
                    let labels = Vec::<i64>::try_from(train_y.to_device(Device::Cpu))?;
                    let picked = pick_per_class(&labels, CLASSES, n)?;
                    let picked = Tensor::from_slice(&picked).to_device(device);
                    Ok(net.embed(&train_x.index_select(0, &picked)))
                } else {
                    let shape = [n as i64, keys.seq_len as i64, net.embeddings.dim()];
                    Ok(Tensor::randn(shape, (Kind::Float, device)))
                }
            },
        )?;
        let Some(set) = learned else {
            return Ok(outcome);
        };
        std::fs::create_dir_all(&ctx.artifact_dir)?;
        artifacts::save(&set, &net.embeddings, &ctx.artifact_dir.join(DATA_FILE))?;
        let vocab = artifacts::read_vocab(&minilm.join("vocab.txt"))?;
        let size = set.inputs.size();
        let title = format!(
            "{} {}, seed {}: {} sentences of {} embeddings, {} inner steps (mean size {:.4})",
            self.name,
            method.name,
            ctx.seed,
            size[0],
            size[1],
            set.step_sizes.size()[0],
            set.step_sizes.mean(Kind::Float).double_value(&[])
        );
        let text = artifacts::readout(
            &set,
            &net.embeddings,
            &vocab,
            &splits.classes,
            keys.nearest,
            &title,
        );
        kd_harness::store::write_atomic(&ctx.artifact_dir.join(TEXT_FILE), text.as_bytes())?;
        score_set(
            &net,
            &set,
            fixed_init,
            bilevel.eval_inits,
            (&test_x, &test_y),
            &mut outcome,
            ctx.progress,
        );
        Ok(outcome)
    }
}
