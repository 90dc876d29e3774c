//! Image classification tasks: a data set, a teacher and a student from the model zoo, a
//! training budget, and the accuracy metrics every method is scored on.
use crate::cifar::{cifar_missing, load_cifar10, load_cifar100, Cifar100Labels, CifarSet};
use crate::digits::digits_dataset;
use crate::models::ModelConfig;
use kd_core::augment::Augmentation;
use kd_core::data::Dataset;
use kd_core::device::parse_device;
use kd_core::method::MethodSpec;
use kd_core::optim::OptimSettings;
use kd_core::outcome::run_classification_task;
use kd_core::regime::{shared_trainings, ClassificationSetup};
use kd_core::teacher_cache::TeacherCache;
use kd_core::train::TrainSettings;
use kd_harness::task::{MethodDef, RunContext, RunOutcome, Task};
use serde::{Deserialize, Serialize};
use toml::Table;

/// Every setting of a classification task (the keys suites and `--set` may change).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifyConfig {
    /// Training epochs (teacher and student alike).
    pub epochs: usize,
    /// Mini-batch size.
    pub batch_size: usize,
    /// `sgd`, `adam` or `adamw`.
    pub optimizer: String,
    /// Peak learning rate.
    pub lr: f64,
    /// SGD momentum.
    pub momentum: f64,
    /// Weight decay.
    pub weight_decay: f64,
    /// Nesterov momentum (SGD).
    pub nesterov: bool,
    /// `constant`, `cosine` or `onecycle`.
    pub lr_schedule: String,
    /// Scale each step's gradient down to this global L2 norm when it is larger (0: never).
    #[serde(default)]
    pub clip_grad_norm: f64,
    /// Train on the first N training examples only (0: all), for quick checks and CPU suites.
    #[serde(default)]
    pub train_limit: usize,
    /// Training-batch augmentation: `none`, `crop_flip` (random crop with 4-pixel zero padding
    /// and horizontal flip, CIFAR) or `jitter` (random shifts of up to 2 pixels, no flip).
    #[serde(default = "no_augmentation")]
    pub augment: String,
    /// Epochs of the teacher architecture's reference training (0: `epochs`); teachers often
    /// get a longer budget than students.
    #[serde(default)]
    pub teacher_epochs: usize,
    /// Augmentation of the teacher's reference training (empty: `augment`).
    #[serde(default)]
    pub teacher_augment: String,
    /// Train the teacher architecture's reference models once (with seed 0) and distil from
    /// them in every run seed, as papers with a single teacher do; the `teacher` method then
    /// scores that one model in every seed.
    #[serde(default)]
    pub shared_teacher: bool,
    /// The teacher architecture.
    pub teacher: ModelConfig,
    /// The student architecture.
    pub student: ModelConfig,
}

impl ClassifyConfig {
    /// Parses and checks a resolved config table.
    pub fn from_table(table: &Table) -> Result<ClassifyConfig, String> {
        let config: ClassifyConfig = table
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| e.message().to_string())?;
        if config.epochs == 0 {
            return Err("epochs: expected at least 1, found 0".into());
        }
        if config.batch_size == 0 {
            return Err("batch_size: expected at least 1, found 0".into());
        }
        config.optim().validate()?;
        for (key, value) in [
            ("augment", &config.augment),
            ("teacher_augment", &config.teacher_augment),
        ] {
            let allowed = ["none", "crop_flip", "jitter"];
            if !(allowed.contains(&value.as_str()) || key == "teacher_augment" && value.is_empty())
            {
                return Err(format!(
                    "{key}: expected \"none\", \"crop_flip\" or \"jitter\", found \"{value}\""
                ));
            }
        }
        config.teacher.validate("teacher")?;
        config.student.validate("student")?;
        Ok(config)
    }

    fn optim(&self) -> OptimSettings {
        OptimSettings {
            optimizer: self.optimizer.clone(),
            lr: self.lr,
            momentum: self.momentum,
            weight_decay: self.weight_decay,
            nesterov: self.nesterov,
            lr_schedule: self.lr_schedule.clone(),
            clip_grad_norm: self.clip_grad_norm,
        }
    }

    fn train_settings(&self) -> TrainSettings {
        TrainSettings {
            epochs: self.epochs,
            batch_size: self.batch_size,
            eval_batch_size: 1024,
            optim: self.optim(),
            augment: augmentation(&self.augment),
            confusion: false,
        }
    }

    /// The settings of the teacher's reference training.
    fn teacher_settings(&self) -> TrainSettings {
        let augment = if self.teacher_augment.is_empty() {
            &self.augment
        } else {
            &self.teacher_augment
        };
        TrainSettings {
            epochs: if self.teacher_epochs == 0 {
                self.epochs
            } else {
                self.teacher_epochs
            },
            augment: augmentation(augment),
            ..self.train_settings()
        }
    }
}

fn no_augmentation() -> String {
    "none".into()
}

/// The augmentation an `augment` value names (checked by [`ClassifyConfig::from_table`]).
fn augmentation(name: &str) -> Option<Augmentation> {
    match name {
        "crop_flip" => Some(Augmentation { pad: 4, flip: true }),
        "jitter" => Some(Augmentation {
            pad: 2,
            flip: false,
        }),
        _ => None,
    }
}

/// Where a task's images come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataSource {
    /// The shipped 8x8 digits (64 features).
    Digits,
    /// An MNIST-format (IDX) data set fetched into the data folder under this name; the last
    /// 5,000 training images are the validation split.
    Idx(&'static str),
    /// CIFAR-10 or CIFAR-100 (fine labels) in the official binary format, placed by the user
    /// under `<data-dir>/cifar10` or `cifar100`; the last 5,000 training images validate.
    Cifar(CifarSet),
}

impl DataSource {
    /// Why the data cannot be loaded from `data_dir`, if it cannot (the run is then skipped).
    fn missing(self, data_dir: &std::path::Path) -> Option<String> {
        match self {
            DataSource::Digits => None,
            DataSource::Idx(name) => {
                let present = crate::datasets::vision_data()
                    .iter()
                    .find(|s| s.name == name)
                    .is_some_and(|s| s.present(data_dir));
                (!present).then(|| {
                    format!(
                        "data set '{name}' is not in {}; run `kdbench data fetch {name}` (or pass --data-dir)",
                        data_dir.display()
                    )
                })
            }
            DataSource::Cifar(set) => cifar_missing(&data_dir.join(set.dir_name()), set),
        }
    }

    /// The shape of one input (without the batch dimension).
    pub fn input_shape(self) -> Vec<i64> {
        match self {
            DataSource::Digits => vec![64],
            DataSource::Idx(_) => vec![1, 28, 28],
            DataSource::Cifar(_) => vec![3, 32, 32],
        }
    }

    fn load(self, data_dir: &std::path::Path) -> anyhow::Result<Dataset> {
        match self {
            DataSource::Digits => digits_dataset(),
            DataSource::Idx(name) => crate::datasets::load_idx_dataset(&data_dir.join(name), 5000),
            DataSource::Cifar(CifarSet::Cifar10) => load_cifar10(&data_dir.join("cifar10"), 5000),
            DataSource::Cifar(CifarSet::Cifar100) => {
                load_cifar100(&data_dir.join("cifar100"), 5000, Cifar100Labels::Fine)
            }
        }
    }
}

/// A classification benchmark: data plus default config.
pub struct ClassificationTask {
    name: String,
    description: String,
    source: DataSource,
    defaults: ClassifyConfig,
}

impl ClassificationTask {
    /// A task named `name` over `source` with `defaults` as its config.
    pub fn new(
        name: &str,
        description: &str,
        source: DataSource,
        defaults: ClassifyConfig,
    ) -> Self {
        ClassificationTask {
            name: name.to_string(),
            description: description.to_string(),
            source,
            defaults,
        }
    }
}

/// Scores reported by every classification run: test accuracy and errors at the final
/// epoch and at the epoch with the best validation accuracy, and that epoch.
fn scores_of(report: &kd_core::train::TrainReport) -> Vec<(String, f64)> {
    let (last, best) = (report.last(), report.best());
    vec![
        ("best_acc".into(), best.test_acc),
        ("final_acc".into(), last.test_acc),
        ("best_errors".into(), best.test_errors as f64),
        ("final_errors".into(), last.test_errors as f64),
        ("best_epoch".into(), best.epoch as f64),
    ]
}

impl Task for ClassificationTask {
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
        "best_acc"
    }

    fn check(&self, config: &Table, method: &MethodDef) -> Result<(), String> {
        let config = ClassifyConfig::from_table(config)?;
        let shape = self.source.input_shape();
        config.teacher.check_input("teacher", &shape)?;
        config.student.check_input("student", &shape)?;
        let spec = MethodSpec::from_table(&method.name, &method.table)?;
        if let kd_core::method::Regime::WeakTeacher { remap_init: true } = spec.regime {
            let (t, s) = (&config.teacher, &config.student);
            if t.arch != s.arch || t.hidden.len() != s.hidden.len() {
                return Err(format!(
                    "method '{}' (remap_init = true) starts the teacher architecture from the \
                     student's parameters, so both need the same layout; found {} {:?} and {} {:?} \
                     (set method.{}.remap_init = false)",
                    method.name, t.arch, t.hidden, s.arch, s.hidden, method.name
                ));
            }
        }
        if spec.needs_token_features() {
            return Err(format!(
                "method '{}' relates token representations of sequence models (an NLU task's \
                 encoders); {} is an image task",
                method.name, self.name
            ));
        }
        if spec.needs_feature_maps() {
            for (key, model) in [("teacher", &config.teacher), ("student", &config.student)] {
                if model.arch == "mlp" {
                    return Err(format!(
                        "method '{}' needs convolutional feature maps, but {key}.arch = \"mlp\" has none \
                         (use a convolutional architecture such as lenet5)",
                        method.name
                    ));
                }
            }
        }
        Ok(())
    }

    fn shared_trainings(&self, config: &Table, method: &MethodDef, seed: u64) -> Vec<String> {
        let (Ok(config), Ok(spec)) = (
            ClassifyConfig::from_table(config),
            MethodSpec::from_table(&method.name, &method.table),
        ) else {
            return Vec::new();
        };
        shared_trainings(&spec, seed, config.shared_teacher.then_some(0))
    }

    fn run(
        &self,
        config: &Table,
        method: &MethodDef,
        ctx: &RunContext,
    ) -> anyhow::Result<RunOutcome> {
        let config = ClassifyConfig::from_table(config).map_err(anyhow::Error::msg)?;
        let spec =
            MethodSpec::from_table(&method.name, &method.table).map_err(anyhow::Error::msg)?;
        if let Some(reason) = self.source.missing(&ctx.data_dir) {
            return Ok(RunOutcome::skipped(reason));
        }
        kd_core::set_threads(ctx.threads);
        let device = parse_device(&ctx.device).map_err(anyhow::Error::msg)?;
        let mut data = self.source.load(&ctx.data_dir)?;
        if config.train_limit > 0 && config.train_limit < data.train.len() {
            let n = config.train_limit as i64;
            data.train = kd_core::data::Split {
                x: data.train.x.narrow(0, 0, n),
                y: data.train.y.narrow(0, 0, n),
            };
        }
        let shape = self.source.input_shape();
        let data = data.to_device(device);
        let classes = data.num_classes;
        let settings = config.train_settings();
        let teacher_settings = config.teacher_settings();
        let teacher_cfg = config.teacher.clone();
        let student_cfg = config.student.clone();
        let teacher_shape = shape.clone();
        let build_teacher = move |p: &tch::nn::Path| teacher_cfg.build(p, &teacher_shape, classes);
        let build_student = move |p: &tch::nn::Path| student_cfg.build(p, &shape, classes);
        let data_key = format!(
            "classify|{}|{:?}|train_limit={}",
            self.name, self.source, config.train_limit
        );
        let cache = TeacherCache::new(ctx.cache_dir.join("teachers"));
        let setup = ClassificationSetup {
            data: &data,
            settings: &settings,
            teacher_settings: &teacher_settings,
            device,
            seed: ctx.seed,
            teacher_seed: config.shared_teacher.then_some(0),
            build_teacher: &build_teacher,
            build_student: &build_student,
            teacher_key: format!("{data_key}|{:?}|{:?}", config.teacher, teacher_settings),
            student_key: format!("{data_key}|{:?}|{:?}", config.student, settings),
            cache: Some(&cache),
        };
        let epochs = config.epochs.max(teacher_settings.epochs);
        run_classification_task(&spec, &setup, ctx, epochs, &scores_of)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &str) -> Result<ClassifyConfig, String> {
        let mut table = crate::tasks::vision_tasks()
            .into_iter()
            .find(|t| t.name() == "mnist-mlp")
            .unwrap()
            .default_config();
        let extra: Table = toml::from_str(extra).unwrap();
        table.extend(extra);
        ClassifyConfig::from_table(&table)
    }

    #[test]
    fn teachers_get_their_own_budget_and_augmentation() {
        let c = config("teacher_epochs = 20\nteacher_augment = 'jitter'").unwrap();
        let (student, teacher) = (c.train_settings(), c.teacher_settings());
        assert_eq!((student.epochs, teacher.epochs), (12, 20));
        assert_eq!(student.augment, None);
        assert_eq!(
            teacher.augment,
            Some(Augmentation {
                pad: 2,
                flip: false
            })
        );
        let c = config("augment = 'crop_flip'").unwrap();
        assert_eq!(c.teacher_settings(), c.train_settings());
        assert_eq!(
            c.train_settings().augment,
            Some(Augmentation { pad: 4, flip: true })
        );
    }

    #[test]
    fn unknown_augmentations_name_the_key() {
        let err = config("augment = 'rotate'").unwrap_err();
        assert!(
            err.starts_with("augment:") && err.contains("rotate"),
            "{err}"
        );
        let err = config("teacher_augment = 'flip'").unwrap_err();
        assert!(err.starts_with("teacher_augment:"), "{err}");
    }
}
