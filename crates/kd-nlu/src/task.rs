//! Text classification tasks: a labelled text data set, a teacher and a student encoder
//! (pretrained MiniLM slices or fresh transformers), a fine-tuning budget, and the task's
//! official metrics. Every kd-core method runs on them. STS-B is a regression: its models
//! have one output, trained on squared errors, and only the methods whose terms apply to
//! one output run on it (see [`kd_core::method::MethodSpec::check_regression`]).
use crate::datasets::{minilm_spec, rotten_tomatoes_spec, snli_spec};
use crate::encoder::BertConfig;
use crate::glue::{glue_missing, glue_scores, load_glue, GlueTask};
use crate::model::{pack, Pretrained, TextModelConfig};
use crate::rotten::load_rotten_tomatoes;
use crate::snli::load_snli;
use crate::text::{hash_bucket, TextExample, TextSplits};
use crate::tokenize::TextTokenizer;
use kd_core::data::{Dataset, Split};
use kd_core::device::parse_device;
use kd_core::method::{MethodSpec, Regime};
use kd_core::optim::OptimSettings;
use kd_core::outcome::run_classification_task;
use kd_core::regime::{shared_trainings, ClassificationSetup};
use kd_core::teacher_cache::TeacherCache;
use kd_core::train::{TrainReport, TrainSettings};
use kd_harness::data::DataSpec;
use kd_harness::task::{MethodDef, RunContext, RunOutcome, Task};
use serde::{Deserialize, Serialize};
use std::path::Path;
use toml::Table;

/// Every setting of a text classification task (the keys suites and `--set` may change).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextConfig {
    /// Fine-tuning epochs of every model but the teachers.
    pub epochs: usize,
    /// Epochs of the teacher architecture's reference fine-tuning (0: `epochs`).
    #[serde(default)]
    pub teacher_epochs: usize,
    /// Mini-batch size.
    pub batch_size: usize,
    /// `adamw`, `adam` or `sgd`.
    pub optimizer: String,
    /// Peak learning rate.
    pub lr: f64,
    /// Weight decay (decoupled for `adamw`).
    pub weight_decay: f64,
    /// `warmup_linear`, `constant`, `cosine`, `onecycle` or `step`.
    pub lr_schedule: String,
    /// Tokens per input, special tokens included; longer inputs are truncated (pairs
    /// longest-first). Batches are cut to their longest input.
    pub max_length: usize,
    /// Train on the first N training examples only (0: all).
    #[serde(default)]
    pub train_limit: usize,
    /// Evaluate on the first N validation and test examples only (0: all).
    #[serde(default)]
    pub eval_limit: usize,
    /// Scale each step's gradient down to this global L2 norm when it is larger (0: never).
    #[serde(default)]
    pub clip_grad_norm: f64,
    /// The teacher (larger) model.
    pub teacher: TextModelConfig,
    /// The student (smaller) model.
    pub student: TextModelConfig,
}

/// The shape of all-MiniLM-L6-v2, for checking configs before the model is fetched.
fn minilm_shape() -> BertConfig {
    serde_json::from_str(
        r#"{"vocab_size": 30522, "hidden_size": 384, "num_hidden_layers": 6,
            "num_attention_heads": 12, "intermediate_size": 1536}"#,
    )
    .expect("static config")
}

impl TextConfig {
    /// Parses and checks a resolved config table against the pretrained model's shape.
    pub fn from_table(table: &Table, base: &BertConfig) -> Result<TextConfig, String> {
        let config: TextConfig = table
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| e.message().to_string())?;
        for (key, value) in [("epochs", config.epochs), ("batch_size", config.batch_size)] {
            if value == 0 {
                return Err(format!("{key}: expected at least 1, found 0"));
            }
        }
        if config.max_length < 3 || config.max_length as i64 > base.max_position_embeddings {
            return Err(format!(
                "max_length: expected 3 to {} tokens, found {}",
                base.max_position_embeddings, config.max_length
            ));
        }
        config.optim().validate()?;
        config.teacher.validate("teacher", base)?;
        config.student.validate("student", base)?;
        Ok(config)
    }

    fn optim(&self) -> OptimSettings {
        OptimSettings {
            optimizer: self.optimizer.clone(),
            lr: self.lr,
            momentum: 0.9,
            weight_decay: self.weight_decay,
            nesterov: false,
            lr_schedule: self.lr_schedule.clone(),
            clip_grad_norm: self.clip_grad_norm,
        }
    }

    fn train_settings(&self) -> TrainSettings {
        TrainSettings {
            epochs: self.epochs,
            batch_size: self.batch_size,
            eval_batch_size: 128,
            optim: self.optim(),
            augment: None,
            confusion: true,
        }
    }

    fn teacher_settings(&self) -> TrainSettings {
        TrainSettings {
            epochs: if self.teacher_epochs == 0 {
                self.epochs
            } else {
                self.teacher_epochs
            },
            ..self.train_settings()
        }
    }
}

/// Where a text task's examples come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextSource {
    /// Rotten Tomatoes snippets, fresh or rotten (fetch: `rotten-tomatoes`).
    RottenTomatoes,
    /// SNLI pairs: entailment, neutral or contradiction (fetch: `snli`).
    Snli,
    /// A GLUE task from `<data-dir>/glue/` (cannot be fetched): a twentieth of `train.tsv`
    /// (by text hash) validates, and the dev file is the reported test split, as GLUE's
    /// test labels are not public. MNLI reports the matched dev set; STS-B is a regression
    /// of the 0-5 similarity score.
    Glue(GlueTask),
}

impl TextSource {
    fn fetchable(self) -> Option<DataSpec> {
        match self {
            TextSource::RottenTomatoes => Some(rotten_tomatoes_spec()),
            TextSource::Snli => Some(snli_spec()),
            TextSource::Glue(_) => None,
        }
    }

    /// Why the task cannot run with `data_dir`, if it cannot: the data or the MiniLM
    /// encoder (tokenizer and weights) are absent.
    pub fn missing(self, data_dir: &Path) -> Option<String> {
        let mut reasons = Vec::new();
        for spec in [Some(minilm_spec()), self.fetchable()]
            .into_iter()
            .flatten()
        {
            if !spec.present(data_dir) {
                reasons.push(format!(
                    "data set '{}' is not in {}; run `kdbench data fetch {}` (or pass --data-dir)",
                    spec.name,
                    data_dir.display(),
                    spec.name
                ));
            }
        }
        if let TextSource::Glue(task) = self {
            reasons.extend(glue_missing(data_dir, task));
        }
        (!reasons.is_empty()).then(|| reasons.join("; "))
    }

    fn load(self, data_dir: &Path) -> anyhow::Result<TextSplits> {
        match self {
            TextSource::RottenTomatoes => {
                load_rotten_tomatoes(&rotten_tomatoes_spec().dir(data_dir))
            }
            TextSource::Snli => load_snli(&snli_spec().dir(data_dir)),
            TextSource::Glue(task) => {
                let glue = load_glue(data_dir, task)?;
                let key =
                    |e: &TextExample| format!("{}\t{}", e.text, e.pair.as_deref().unwrap_or(""));
                let (dev, train) = glue
                    .train
                    .into_iter()
                    .partition(|e| hash_bucket(&key(e), 20) == 0);
                Ok(TextSplits {
                    train,
                    dev,
                    test: glue.dev,
                    classes: task.label_names().to_vec(),
                })
            }
        }
    }

    /// The GLUE task, when the source is one (its official metrics are scored too).
    fn glue(self) -> Option<GlueTask> {
        match self {
            TextSource::Glue(task) => Some(task),
            _ => None,
        }
    }

    /// True for a regression (STS-B): one output, float targets.
    pub fn is_regression(self) -> bool {
        self.glue().is_some_and(GlueTask::is_regression)
    }
}

/// A text classification benchmark: data plus default config.
pub struct TextTask {
    name: String,
    description: String,
    source: TextSource,
    defaults: TextConfig,
}

impl TextTask {
    /// A task named `name` over `source` with `defaults` as its config.
    pub fn new(name: &str, description: &str, source: TextSource, defaults: TextConfig) -> Self {
        TextTask {
            name: name.into(),
            description: description.into(),
            source,
            defaults,
        }
    }
}

/// Tokenises and packs the first `limit` (0: all) examples of a split; labels are class
/// indices, or with `regression` the float scores.
fn split(
    tokenizer: &TextTokenizer,
    examples: &[TextExample],
    limit: usize,
    max_length: usize,
    regression: bool,
) -> anyhow::Result<Split> {
    let examples = match limit {
        0 => examples,
        n => &examples[..n.min(examples.len())],
    };
    let encoded = if examples.iter().any(|e| e.pair.is_some()) {
        let pairs: Vec<(&str, &str)> = examples
            .iter()
            .map(|e| (e.text.as_str(), e.pair.as_deref().unwrap_or("")))
            .collect();
        tokenizer.encode_pairs(&pairs)?
    } else {
        let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
        tokenizer.encode(&texts)?
    };
    let y = if regression {
        let scores: Vec<f32> = examples.iter().map(|e| e.target() as f32).collect();
        tch::Tensor::from_slice(&scores)
    } else {
        let labels: Vec<i64> = examples.iter().map(|e| e.label).collect();
        tch::Tensor::from_slice(&labels)
    };
    Ok(Split {
        x: pack(&encoded, max_length),
        y,
    })
}

/// The task's official metrics from a confusion matrix (true class by predicted class).
fn confusion_scores(task: GlueTask, confusion: &[u64]) -> Vec<(String, f64)> {
    let k = task.num_labels();
    let (mut predicted, mut gold) = (Vec::new(), Vec::new());
    for (cell, &count) in confusion.iter().enumerate() {
        for _ in 0..count {
            gold.push((cell / k) as f64);
            predicted.push((cell % k) as f64);
        }
    }
    glue_scores(task, &predicted, &gold)
}

/// A regression's scores from its training report: Pearson and Spearman correlations (the
/// task's official metrics) of the test predictions against `gold` at the epoch with the
/// best validation Pearson correlation and at the final epoch, and that best epoch.
fn regression_scores(task: GlueTask, report: &TrainReport, gold: &[f64]) -> Vec<(String, f64)> {
    let (last, best) = (report.last(), report.best());
    let mut scores = Vec::new();
    for (when, record) in [("best", best), ("final", last)] {
        let predicted: Vec<f64> = record.test_predictions.iter().map(|&p| p as f64).collect();
        for (metric, value) in glue_scores(task, &predicted, gold) {
            scores.push((format!("{when}_{metric}"), value));
        }
    }
    scores.push(("best_epoch".to_string(), best.epoch as f64));
    scores
}

impl TextTask {
    /// Scores of a run: test accuracy at the final epoch and at the epoch with the best
    /// validation accuracy (and that epoch), plus a GLUE task's official metrics at both.
    /// A regression scores its correlations against the test scores `gold` instead.
    fn scores(&self, report: &TrainReport, gold: &[f64]) -> Vec<(String, f64)> {
        if let Some(task) = self.source.glue().filter(|t| t.is_regression()) {
            return regression_scores(task, report, gold);
        }
        let (last, best) = (report.last(), report.best());
        let mut scores = vec![
            ("best_acc".to_string(), best.test_acc),
            ("final_acc".to_string(), last.test_acc),
            ("best_epoch".to_string(), best.epoch as f64),
        ];
        if let Some(task) = self.source.glue() {
            for (when, record) in [("best", best), ("final", last)] {
                for (metric, value) in confusion_scores(task, &record.test_confusion) {
                    if metric != "acc" {
                        scores.push((format!("{when}_{metric}"), value));
                    }
                }
            }
        }
        scores
    }
}

impl Task for TextTask {
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
        match self.source.glue().map(|t| t.metrics()[0]) {
            Some("mcc") => "best_mcc",
            Some("f1") => "best_f1",
            Some("pearson") => "best_pearson",
            _ => "best_acc",
        }
    }

    fn check(&self, config: &Table, method: &MethodDef) -> Result<(), String> {
        let config = TextConfig::from_table(config, &minilm_shape())?;
        let spec = MethodSpec::from_table(&method.name, &method.table)?;
        if spec.needs_feature_maps() {
            return Err(format!(
                "method '{}' needs convolutional feature maps; the text encoders of {} have \
                 token representations instead",
                method.name, self.name
            ));
        }
        if self.source.is_regression() {
            spec.check_regression().map_err(|e| {
                format!(
                    "method '{}' cannot run on {}, a regression with one output (the similarity \
                     score): {e}",
                    method.name, self.name
                )
            })?;
        }
        if let Regime::WeakTeacher { remap_init: true } = spec.regime {
            let base = minilm_shape();
            let (small, large) = (
                config.student.bert_config(&base),
                config.teacher.bert_config(&base),
            );
            let fits = config.student.layers <= config.teacher.layers
                && small.hidden_size <= large.hidden_size
                && small.intermediate_size <= large.intermediate_size;
            if !fits {
                return Err(format!(
                    "method '{}' (remap_init = true) starts the teacher architecture from the \
                     student's parameters, so the student may not be deeper or wider; found \
                     student {} layers x {} and teacher {} layers x {} (set method.{}.remap_init \
                     = false)",
                    method.name,
                    config.student.layers,
                    small.hidden_size,
                    config.teacher.layers,
                    large.hidden_size,
                    method.name
                ));
            }
        }
        Ok(())
    }

    fn shared_trainings(&self, _config: &Table, method: &MethodDef, seed: u64) -> Vec<String> {
        MethodSpec::from_table(&method.name, &method.table)
            .map_or_else(|_| Vec::new(), |spec| shared_trainings(&spec, seed, None))
    }

    fn run(
        &self,
        config: &Table,
        method: &MethodDef,
        ctx: &RunContext,
    ) -> anyhow::Result<RunOutcome> {
        let spec =
            MethodSpec::from_table(&method.name, &method.table).map_err(anyhow::Error::msg)?;
        if let Some(reason) = self.source.missing(&ctx.data_dir) {
            return Ok(RunOutcome::skipped(reason));
        }
        kd_core::set_threads(ctx.threads);
        let device = parse_device(&ctx.device).map_err(anyhow::Error::msg)?;
        let minilm = minilm_spec().dir(&ctx.data_dir);
        let pretrained = Pretrained::load(&minilm)?;
        let config =
            TextConfig::from_table(config, &pretrained.config).map_err(anyhow::Error::msg)?;
        pretrained.check(&config.teacher)?;
        pretrained.check(&config.student)?;
        (ctx.progress)("tokenising");
        let tokenizer =
            TextTokenizer::from_file(&minilm.join("tokenizer.json"), Some(config.max_length))?;
        let splits = self.source.load(&ctx.data_dir)?;
        let (n, m) = (config.train_limit, config.eval_limit);
        let regression = self.source.is_regression();
        let data = Dataset {
            train: split(&tokenizer, &splits.train, n, config.max_length, regression)?,
            val: split(&tokenizer, &splits.dev, m, config.max_length, regression)?,
            test: split(&tokenizer, &splits.test, m, config.max_length, regression)?,
            num_classes: if regression {
                1
            } else {
                splits.classes.len() as i64
            },
        }
        .to_device(device);
        let gold: Vec<f64> = match m {
            0 => &splits.test[..],
            m => &splits.test[..m.min(splits.test.len())],
        }
        .iter()
        .map(TextExample::target)
        .collect();
        let classes = data.num_classes;
        let settings = config.train_settings();
        let teacher_settings = config.teacher_settings();
        let (teacher_cfg, student_cfg) = (config.teacher.clone(), config.student.clone());
        let pretrained = &pretrained;
        let build_teacher = move |p: &tch::nn::Path| -> Box<dyn kd_core::model::Classifier> {
            Box::new(pretrained.build(p, &teacher_cfg, classes))
        };
        let build_student = move |p: &tch::nn::Path| -> Box<dyn kd_core::model::Classifier> {
            Box::new(pretrained.build(p, &student_cfg, classes))
        };
        let data_key = format!(
            "text|{}|{:?}|max_length={}|train_limit={}|eval_limit={}",
            self.name, self.source, config.max_length, n, m
        );
        let cache = TeacherCache::new(ctx.cache_dir.join("teachers"));
        let setup = ClassificationSetup {
            data: &data,
            settings: &settings,
            teacher_settings: &teacher_settings,
            device,
            seed: ctx.seed,
            teacher_seed: None,
            build_teacher: &build_teacher,
            build_student: &build_student,
            teacher_key: format!("{data_key}|{:?}|{:?}", config.teacher, teacher_settings),
            student_key: format!("{data_key}|{:?}|{:?}", config.student, settings),
            cache: Some(&cache),
        };
        let epochs = config.epochs.max(teacher_settings.epochs);
        run_classification_task(&spec, &setup, ctx, epochs, &|r| self.scores(r, &gold))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Table {
        crate::tasks::nlu_tasks()
            .into_iter()
            .find(|t| t.name() == "rotten-tomatoes")
            .unwrap()
            .default_config()
    }

    fn config(extra: &str) -> Result<TextConfig, String> {
        let mut table = defaults();
        table.extend(toml::from_str::<Table>(extra).unwrap());
        TextConfig::from_table(&table, &minilm_shape())
    }

    #[test]
    fn configs_name_the_offending_key() {
        assert!(config("").is_ok());
        assert!(config("max_length = 1000")
            .unwrap_err()
            .starts_with("max_length"));
        assert!(config("epochs = 0").unwrap_err().starts_with("epochs"));
        assert!(config("lr_schedule = 'linear'")
            .unwrap_err()
            .starts_with("lr_schedule"));
        let err = config(
            "student = { layers = 9, init = 'pretrained', pooling = 'mean', dropout = 0.1 }",
        )
        .unwrap_err();
        assert!(err.starts_with("student.layers"), "{err}");
        let err =
            config("student = { layers = 2, init = 'pretrained', pooling = 'max', dropout = 0.1 }")
                .unwrap_err();
        assert!(err.contains("max"), "{err}");
        let c = config("teacher_epochs = 3").unwrap();
        assert_eq!(
            (c.train_settings().epochs, c.teacher_settings().epochs),
            (c.epochs, 3)
        );
    }

    fn method(name: &str, text: &str) -> MethodDef {
        MethodDef {
            name: name.into(),
            description: String::new(),
            table: toml::from_str(text).unwrap(),
        }
    }

    #[test]
    fn methods_are_checked_against_the_text_models() {
        let task = TextTask::new(
            "t",
            "",
            TextSource::RottenTomatoes,
            TextConfig::from_table(&defaults(), &minilm_shape()).unwrap(),
        );
        let dwt = method(
            "dwt",
            "regime = 'weak_teacher'\nremap_init = true\nlosses.ce = {}\nlosses.kd = {}",
        );
        assert!(task.check(&defaults(), &dwt).is_ok());
        let mut deep_student = defaults();
        deep_student.extend(
            toml::from_str::<Table>("student = { layers = 6, init = 'pretrained', pooling = 'mean', dropout = 0.1 }\nteacher = { layers = 3, init = 'pretrained', pooling = 'mean', dropout = 0.1 }")
                .unwrap(),
        );
        let err = task.check(&deep_student, &dwt).unwrap_err();
        assert!(err.contains("remap_init"), "{err}");
        let at = method("at", "regime = 'one_way'\nlosses.at = {}");
        assert!(task
            .check(&defaults(), &at)
            .unwrap_err()
            .contains("feature maps"));
        let ckd = method(
            "ckd",
            "regime = 'one_way'\nlosses.ckd_wr = {}\nlosses.ckd_ltr = {}",
        );
        assert!(task.check(&defaults(), &ckd).is_ok());
    }

    #[test]
    fn stsb_runs_the_methods_that_apply_to_one_output() {
        let task = crate::tasks::nlu_tasks()
            .into_iter()
            .find(|t| t.name() == "glue-stsb")
            .expect("glue-stsb is a task");
        assert_eq!(task.primary_metric(), "best_pearson");
        let config = task.default_config();
        for (name, table) in kd_core::method::builtin_method_tables() {
            let def = MethodDef {
                name: name.clone(),
                description: String::new(),
                table,
            };
            let verdict = task.check(&config, &def);
            match name.as_str() {
                "label_smooth"
                | "isls"
                | "cont_kd"
                | "dkd"
                | "multi_teacher"
                | "multi_teacher_adaptive" => {
                    let err = verdict.unwrap_err();
                    let head = format!("method '{name}' cannot run on glue-stsb, a regression");
                    assert!(err.starts_with(&head), "{err}");
                    assert!(err.contains(&format!("method.{name}.losses.")), "{err}");
                }
                "at" => assert!(verdict.unwrap_err().contains("feature maps")),
                _ => assert!(verdict.is_ok(), "{name}: {verdict:?}"),
            }
        }
    }

    #[test]
    fn stsb_scores_its_correlations_at_the_best_and_final_epochs() {
        use kd_core::train::EpochRecord;
        let record = |epoch, val_acc, predictions: &[f32]| EpochRecord {
            epoch,
            lr: 0.0,
            train_loss: 1.0,
            train_acc: 0.0,
            val_loss: 1.0,
            val_acc,
            test_loss: 1.0,
            test_acc: 0.0,
            test_errors: 0,
            test_confusion: vec![],
            test_predictions: predictions.to_vec(),
        };
        let report = TrainReport {
            epochs: vec![
                record(1, 0.9, &[0.0, 1.0, 2.0, 3.0]),
                record(2, 0.5, &[3.0, 2.0, 1.0, 0.0]),
            ],
        };
        // Gold (0, 2, 1, 5): Pearson 7 / sqrt(70) and Spearman 0.8 against the first
        // epoch's predictions; the reverse order negates both.
        let scores = regression_scores(GlueTask::Stsb, &report, &[0.0, 2.0, 1.0, 5.0]);
        let r = 7.0 / 70f64.sqrt();
        let want = [
            ("best_pearson", r),
            ("best_spearman", 0.8),
            ("final_pearson", -r),
            ("final_spearman", -0.8),
            ("best_epoch", 1.0),
        ];
        assert_eq!(scores.len(), want.len());
        for ((name, value), (want_name, want_value)) in scores.iter().zip(want) {
            assert_eq!(name, want_name);
            assert!((value - want_value).abs() < 1e-9, "{name}: {value}");
        }
    }

    #[test]
    fn glue_metrics_come_from_the_confusion_matrix() {
        // CoLA, 2 classes: 5 true negatives, 1 false positive, 2 false negatives, 4 true
        // positives. MCC = (4*5 - 1*2) / sqrt(5 * 6 * 7 * 6) = 18 / sqrt(1260).
        let scores = confusion_scores(GlueTask::Cola, &[5, 1, 2, 4]);
        assert_eq!(scores[0].0, "mcc");
        assert!((scores[0].1 - 18.0 / 1260f64.sqrt()).abs() < 1e-12);
        // MRPC: F1 of class 1 = 2 * 4 / (2 * 4 + 1 + 2) = 8/11, accuracy 9/12.
        let scores = confusion_scores(GlueTask::Mrpc, &[5, 1, 2, 4]);
        assert!((scores[0].1 - 8.0 / 11.0).abs() < 1e-12);
        assert!((scores[1].1 - 0.75).abs() < 1e-12);
    }

    #[test]
    fn absent_data_is_named_with_the_fetch_hint() {
        let dir = tempfile::tempdir().unwrap();
        let reason = TextSource::RottenTomatoes.missing(dir.path()).unwrap();
        assert!(reason.contains("kdbench data fetch minilm-l6"), "{reason}");
        assert!(
            reason.contains("kdbench data fetch rotten-tomatoes"),
            "{reason}"
        );
        let reason = TextSource::Glue(GlueTask::Rte).missing(dir.path()).unwrap();
        assert!(reason.contains("GLUE RTE data not found"), "{reason}");
    }
}
