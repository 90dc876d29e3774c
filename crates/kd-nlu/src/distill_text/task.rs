//! The text dataset-distillation task `rotten-tomatoes-distill`: distil the Rotten Tomatoes
//! training snippets into a few synthetic "sentences" (matrices of word embeddings, default 20)
//! with soft or hard labels, train fresh sentence CNNs on them, score them on the test split.
//!
//! Scores of a run: `acc_mean` (primary), `acc_std`, `acc_min` and `acc_max`: test accuracy
//! of the networks trained on the result, one per evaluation initialisation; methods that
//! learn data add `outer_loss` and `step_size_mean`. Curves: split `train`, metric
//! `outer_loss`. Artifacts (not for `full_data`): `distilled.safetensors` and `distilled.txt`
//! (see [`super::artifacts`]).
use super::artifacts::{self, DATA_FILE, TEXT_FILE};
use super::config::TextDistillConfig;
use super::net::{Embeddings, TextCnn};
use crate::datasets::minilm_spec;
use crate::rotten::CLASSES as CLASS_NAMES;
use crate::task::TextSource;
use crate::text::TextExample;
use crate::tokenize::{TextTokenizer, PAD_ID};
use kd_core::device::parse_device;
use kd_core::distill_data::bilevel::{
    accuracy, accuracy_scores, cyclic_classes, distill, evaluate, fresh_inits, pick_per_class,
    DistillSettings, FunctionalNet, Learn,
};
use kd_core::distill_data::method::{
    distill_method_names, is_distill_method, DataKind, DistillMethod, Labels,
};
use kd_harness::task::{CurvePoint, MethodDef, RunContext, RunOutcome, RunStatus, Task};
use std::sync::Arc;
use tch::nn::OptimizerConfig;
use tch::{Device, Kind, Tensor};
use toml::Table;

/// Classes of the task (rotten, fresh).
const CLASSES: i64 = 2;

/// Text dataset distillation on Rotten Tomatoes.
pub struct TextDistillTask {
    name: String,
    description: String,
    defaults: TextDistillConfig,
}

/// Every text dataset-distillation task.
pub fn distill_text_tasks() -> Vec<Arc<dyn Task>> {
    vec![Arc::new(TextDistillTask {
        name: "rotten-tomatoes-distill".into(),
        description: "Rotten Tomatoes (fetch: rotten-tomatoes, minilm-l6) distilled into 20 sentences of frozen MiniLM word embeddings (text dataset distillation); fresh sentence CNNs trained on them".into(),
        defaults: TextDistillConfig::default(),
    })]
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
    fn check_config(
        &self,
        config: &TextDistillConfig,
        method: &DistillMethod,
    ) -> Result<(), String> {
        let hard_learned = method.data == DataKind::Learned && method.labels == Labels::Hard;
        if hard_learned && (config.sentences as i64) < CLASSES {
            return Err(format!(
                "sentences: method '{}' gives each sentence one of the {CLASSES} classes, so it \
                 needs at least {CLASSES} sentences, found {}; fewer need soft labels (dd_soft)",
                method.name, config.sentences
            ));
        }
        Ok(())
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
        Table::try_from(&self.defaults).expect("a config serialises to a table")
    }

    fn primary_metric(&self) -> &str {
        "acc_mean"
    }

    fn check(&self, config: &Table, method: &MethodDef) -> Result<(), String> {
        let config = TextDistillConfig::from_table(config)?;
        if !is_distill_method(&method.table) {
            return Err(format!(
                "method '{}' is not a dataset-distillation method: {} runs methods with domain = \
                 \"distill-data\" ({})",
                method.name,
                self.name,
                distill_method_names()
            ));
        }
        let method = DistillMethod::from_table(&method.name, &method.table)?;
        self.check_config(&config, &method)
    }

    fn run(
        &self,
        config: &Table,
        method: &MethodDef,
        ctx: &RunContext,
    ) -> anyhow::Result<RunOutcome> {
        let config = TextDistillConfig::from_table(config).map_err(anyhow::Error::msg)?;
        let method =
            DistillMethod::from_table(&method.name, &method.table).map_err(anyhow::Error::msg)?;
        self.check_config(&config, &method)
            .map_err(anyhow::Error::msg)?;
        if let Some(reason) = TextSource::RottenTomatoes.missing(&ctx.data_dir) {
            return Ok(RunOutcome::skipped(reason));
        }
        kd_core::set_threads(ctx.threads);
        let device = parse_device(&ctx.device).map_err(anyhow::Error::msg)?;
        tch::manual_seed(ctx.seed as i64);
        let minilm = minilm_spec().dir(&ctx.data_dir);
        (ctx.progress)("tokenising");
        let tokenizer =
            TextTokenizer::from_file(&minilm.join("tokenizer.json"), Some(config.seq_len + 2))?;
        let splits = crate::rotten::load_rotten_tomatoes(
            &crate::datasets::rotten_tomatoes_spec().dir(&ctx.data_dir),
        )?;
        let (train_x, train_y) = encode_split(&tokenizer, &splits.train, config.seq_len)?;
        let (test_x, test_y) = encode_split(&tokenizer, &splits.test, config.seq_len)?;
        let (train_x, train_y) = (train_x.to_device(device), train_y.to_device(device));
        let (test_x, test_y) = (test_x.to_device(device), test_y.to_device(device));
        let net = TextCnn {
            embeddings: Embeddings::from_checkpoint(&minilm.join("model.safetensors"), device)?,
            filters: config.filters as i64,
            width: config.width as i64,
            classes: CLASSES,
        };

        let mut outcome = RunOutcome {
            status: RunStatus::Ok,
            scores: vec![],
            curves: vec![],
            params_student: Some(net.param_count()),
            params_teacher: None,
            message: String::new(),
        };
        if method.data == DataKind::Full {
            let accs = full_data(
                &net,
                (&train_x, &train_y),
                (&test_x, &test_y),
                config.full_epochs,
                config.full_inits,
                device,
                ctx.progress,
            );
            outcome.scores = accuracy_scores(&accs);
            return Ok(outcome);
        }

        let fixed_init = config.fixed_init.then(|| net.init_params(device));
        let n = config.sentences;
        let classes = cyclic_classes(n, CLASSES, device);
        let start = if method.data == DataKind::Real || config.sentence_init == "real" {
            let labels = Vec::<i64>::try_from(train_y.to_device(Device::Cpu))?;
            let picked = pick_per_class(&labels, CLASSES, n)?;
            net.embed(&train_x.index_select(0, &Tensor::from_slice(&picked).to_device(device)))
        } else {
            Tensor::randn(
                [n as i64, config.seq_len as i64, net.embeddings.dim()],
                (Kind::Float, device),
            )
        };
        let learn = Learn {
            inputs: method.data == DataKind::Learned,
            labels: method.labels == Labels::Soft,
        };
        let settings = DistillSettings {
            outer_steps: config.outer_steps,
            inner_steps: config.inner_steps,
            real_batch: config.real_batch,
            outer_lr: config.outer_lr,
            step_lr: config.step_lr,
            label_init: config.label_init,
            fixed_init: fixed_init
                .as_ref()
                .map(|p| p.iter().map(Tensor::copy).collect()),
            log_every: config.log_every,
        };
        let total = config.outer_steps;
        let report = |step: usize, loss: f64| {
            (ctx.progress)(&format!("outer step {step}/{total} loss {loss:.3}"));
        };
        let result = distill(
            &net, &start, &classes, learn, &train_x, &train_y, &settings, &report,
        );
        for &(step, value) in &result.losses {
            outcome.curves.push(CurvePoint {
                step: step as u64,
                split: "train".into(),
                metric: "outer_loss".into(),
                value,
            });
        }
        if let Some(step) = result.diverged {
            outcome.status = RunStatus::Diverged;
            outcome.message = format!(
                "the outer loss became NaN or infinite at outer step {step} (try a smaller \
                 step_lr or outer_lr)"
            );
            return Ok(outcome);
        }
        if let Some(&(_, last)) = result.losses.last() {
            outcome.scores.push(("outer_loss".into(), last));
        }
        let set = result.set;
        outcome.scores.push((
            "step_size_mean".into(),
            set.step_sizes.mean(Kind::Float).double_value(&[]),
        ));
        std::fs::create_dir_all(&ctx.artifact_dir)?;
        artifacts::save(&set, &net.embeddings, &ctx.artifact_dir.join(DATA_FILE))?;
        let vocab = artifacts::read_vocab(&minilm.join("vocab.txt"))?;
        let title = format!(
            "{} {}, seed {}: {} sentences of {} embeddings, {} inner steps (mean size {:.4})",
            self.name,
            method.name,
            ctx.seed,
            n,
            config.seq_len,
            config.inner_steps,
            set.step_sizes.mean(Kind::Float).double_value(&[])
        );
        let text = artifacts::readout(
            &set,
            &net.embeddings,
            &vocab,
            &CLASS_NAMES,
            config.nearest,
            &title,
        );
        kd_harness::store::write_atomic(&ctx.artifact_dir.join(TEXT_FILE), text.as_bytes())?;

        (ctx.progress)("evaluating");
        let inits = match fixed_init {
            Some(p) => vec![p],
            None => fresh_inits(&net, config.eval_inits, device),
        };
        let accs = evaluate(&net, &set, &inits, &test_x, &test_y);
        let mut scores = accuracy_scores(&accs);
        scores.append(&mut outcome.scores);
        outcome.scores = scores;
        Ok(outcome)
    }
}
