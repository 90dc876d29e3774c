//! The coin tasks: `coins-flat` and `coins-hier` (recognition with a flat or hierarchical
//! head, every kd-core classification method) and `coins-landmarks` (the trained model's
//! class-specific landmarks at several allowed accuracy losses, against baselines).
use super::evaluation::{
    gradient_x_input, iou, kept_region, overlay_sheet, pointing_hit, random_scores, to_grid,
    to_vec, Tile,
};
use super::generator::{
    landmark_mask, sample_sheet, synthetic_hierarchy, synthetic_split, CoinStyle,
};
use super::hierarchy::Hierarchy;
use super::landmarks::{optimise_masks, select_masks, upsample, ClassImages, MaskSettings};
use super::loader::{load_collection, split_of};
use super::models::{CoinNet, CoinNetConfig};
use anyhow::Context;
use kd_core::data::{split_from_vecs, Dataset};
use kd_core::device::parse_device;
use kd_core::method::{MethodSpec, Regime};
use kd_core::model::{count_parameters, Classifier};
use kd_core::optim::OptimSettings;
use kd_core::outcome::run_classification_task;
use kd_core::regime::{shared_trainings, teacher_training, ClassificationSetup};
use kd_core::seeding::{seed_torch, stream};
use kd_core::teacher_cache::TeacherCache;
use kd_core::train::{train_classifier, TrainReport, TrainSettings};
use kd_harness::task::{MethodDef, RunContext, RunOutcome, RunStatus, Task};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tch::{nn, Kind, Tensor};
use toml::Table;

/// Every setting of a coin task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoinsConfig {
    /// Empty: the synthetic collection; else a collection folder, relative to the data folder
    /// (`--data-dir`) or absolute, laid out as `<emperor>/<type>/{obverse,reverse}/` or with
    /// a `manifest.csv`.
    pub collection: String,
    /// The look of the synthetic coins (its `size` also applies to a real collection).
    pub style: CoinStyle,
    /// Seed of the synthetic collection (the same coins in every run seed).
    pub data_seed: u64,
    /// Synthetic coins per label in the training split.
    pub train_per_class: usize,
    /// Synthetic coins per label in the validation split.
    pub val_per_class: usize,
    /// Synthetic coins per label in the test split.
    pub test_per_class: usize,
    /// `flat` (one score per label) or `hierarchical` (emperor, then type given emperor).
    pub head: String,
    /// Training epochs of every model.
    pub epochs: usize,
    /// Epochs of the teacher (0: `epochs`).
    pub teacher_epochs: usize,
    /// Mini-batch size.
    pub batch_size: usize,
    /// `sgd`, `adam` or `adamw`.
    pub optimizer: String,
    /// Peak learning rate.
    pub lr: f64,
    /// `constant`, `cosine`, `onecycle` or `step`.
    pub lr_schedule: String,
    /// Weight decay.
    pub weight_decay: f64,
    /// Train the teacher once (seed 0) for every run seed.
    pub shared_teacher: bool,
    /// The large CNN.
    pub teacher: CoinNetConfig,
    /// The small CNN.
    pub student: CoinNetConfig,
    /// Landmark discovery (the `coins-landmarks` task only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landmarks: Option<MaskSettings>,
}

impl CoinsConfig {
    /// Parses and checks a resolved config table.
    pub fn from_table(table: &Table) -> Result<CoinsConfig, String> {
        let c: CoinsConfig = table
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| e.message().to_string())?;
        c.style.validate("style.")?;
        for (key, value) in [
            ("epochs", c.epochs),
            ("batch_size", c.batch_size),
            ("train_per_class", c.train_per_class),
            ("val_per_class", c.val_per_class),
            ("test_per_class", c.test_per_class),
        ] {
            if value == 0 {
                return Err(format!("{key}: expected at least 1, found 0"));
            }
        }
        if !["flat", "hierarchical"].contains(&c.head.as_str()) {
            return Err(format!(
                "head: expected \"flat\" or \"hierarchical\", found \"{}\"",
                c.head
            ));
        }
        c.optim().validate()?;
        c.teacher.validate("teacher", c.style.size)?;
        c.student.validate("student", c.style.size)?;
        if let Some(l) = &c.landmarks {
            l.validate("landmarks.", c.style.size)?;
        }
        Ok(c)
    }

    fn optim(&self) -> OptimSettings {
        OptimSettings {
            optimizer: self.optimizer.clone(),
            lr: self.lr,
            momentum: 0.9,
            weight_decay: self.weight_decay,
            nesterov: false,
            lr_schedule: self.lr_schedule.clone(),
            clip_grad_norm: 0.0,
        }
    }

    fn settings(&self, teacher: bool) -> TrainSettings {
        TrainSettings {
            epochs: if teacher && self.teacher_epochs > 0 {
                self.teacher_epochs
            } else {
                self.epochs
            },
            batch_size: self.batch_size,
            eval_batch_size: 512,
            optim: self.optim(),
            augment: None,
            confusion: true,
        }
    }

    /// What shapes the data, for the teacher cache.
    fn data_key(&self) -> String {
        format!(
            "coins|{}|{:?}|seed={}|{}/{}/{}",
            self.collection,
            self.style,
            self.data_seed,
            self.train_per_class,
            self.val_per_class,
            self.test_per_class
        )
    }
}

/// The default config of the coin tasks (the suite's budget).
pub fn default_config(head: &str, landmarks: bool) -> CoinsConfig {
    CoinsConfig {
        collection: String::new(),
        style: CoinStyle::default(),
        data_seed: 0,
        train_per_class: 40,
        val_per_class: 15,
        test_per_class: 30,
        head: head.into(),
        epochs: 15,
        teacher_epochs: 0,
        batch_size: 64,
        optimizer: "adam".into(),
        lr: 2e-3,
        lr_schedule: "cosine".into(),
        weight_decay: 0.0,
        shared_teacher: true,
        teacher: CoinNetConfig {
            channels: vec![16, 32, 32],
            hidden: 128,
            dropout: 0.2,
        },
        student: CoinNetConfig {
            channels: vec![8, 16, 16],
            hidden: 64,
            dropout: 0.0,
        },
        landmarks: landmarks.then(MaskSettings::default),
    }
}

/// A loaded collection: data, labels and (synthetic only) each label's true landmarks.
pub struct CoinData {
    /// Train, validation and test splits, `n x 2 x size x size`.
    pub data: Dataset,
    /// The labels' structure.
    pub hierarchy: Hierarchy,
    /// Per label, the ground-truth landmarks (`2 x size x size`), when known.
    pub truth: Option<Vec<Vec<f32>>>,
}

/// Loads the collection a config names; `Ok(Err(reason))` when its folder is absent.
pub fn load_data(
    config: &CoinsConfig,
    data_dir: &std::path::Path,
) -> anyhow::Result<Result<CoinData, String>> {
    let s = config.style.size;
    let shape = [2, s as i64, s as i64];
    if config.collection.is_empty() {
        let style = &config.style;
        let split = |name: &str, n: usize| {
            let (x, y) = synthetic_split(style, config.data_seed, name, n);
            split_from_vecs(&x, &y, &shape)
        };
        let hierarchy = synthetic_hierarchy();
        let truth = (0..hierarchy.num_classes())
            .map(|c| landmark_mask(style, c))
            .collect();
        return Ok(Ok(CoinData {
            data: Dataset {
                train: split("train", config.train_per_class),
                val: split("val", config.val_per_class),
                test: split("test", config.test_per_class),
                num_classes: hierarchy.num_classes() as i64,
            },
            hierarchy,
            truth: Some(truth),
        }));
    }
    let root = data_dir.join(&config.collection);
    if !root.is_dir() {
        return Ok(Err(format!(
            "coin collection '{}' is not a folder ({}); pass --data-dir or set collection",
            config.collection,
            root.display()
        )));
    }
    let collection = load_collection(&root, s)?;
    let mut parts: [(Vec<f32>, Vec<i64>); 3] = Default::default();
    let mut rank = vec![0usize; collection.hierarchy.num_classes()];
    for coin in &collection.coins {
        let which = match split_of(rank[coin.class]) {
            "test" => 2,
            "val" => 1,
            _ => 0,
        };
        rank[coin.class] += 1;
        parts[which].0.extend(&coin.sides[0]);
        parts[which].0.extend(&coin.sides[1]);
        parts[which].1.push(coin.class as i64);
    }
    let [train, val, test] = parts.map(|(x, y)| split_from_vecs(&x, &y, &shape));
    Ok(Ok(CoinData {
        data: Dataset {
            train,
            val,
            test,
            num_classes: collection.hierarchy.num_classes() as i64,
        },
        hierarchy: collection.hierarchy,
        truth: None,
    }))
}

/// Which coin task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind2 {
    Recognition,
    Landmarks,
}

/// A coin task.
pub struct CoinsTask {
    name: String,
    description: String,
    kind: Kind2,
    defaults: CoinsConfig,
}

/// The coin tasks.
pub fn coin_tasks() -> Vec<Arc<dyn Task>> {
    vec![
        Arc::new(CoinsTask {
            name: "coins-flat".into(),
            description: "synthetic ancient coins (6 emperors x 4 types, obverse + reverse fused) or --data-dir collection: flat 24-way head, CNN teacher -> small CNN student".into(),
            kind: Kind2::Recognition,
            defaults: default_config("flat", false),
        }),
        Arc::new(CoinsTask {
            name: "coins-hier".into(),
            description: "synthetic ancient coins: hierarchical head (emperor, then type given emperor; hierarchy-consistent decoding), CNN teacher -> small CNN student".into(),
            kind: Kind2::Recognition,
            defaults: default_config("hierarchical", false),
        }),
        Arc::new(CoinsTask {
            name: "coins-landmarks".into(),
            description: "synthetic ancient coins: per-class landmark masks at allowed accuracy losses of the method's model; IoU and pointing game vs ground truth, gradient x input and random baselines".into(),
            kind: Kind2::Landmarks,
            defaults: default_config("flat", true),
        }),
    ]
}

fn builder(
    config: &CoinNetConfig,
    size: usize,
    hierarchy: &Hierarchy,
    hierarchical: bool,
) -> impl Fn(&nn::Path) -> Box<dyn Classifier> {
    let (config, hierarchy) = (config.clone(), hierarchy.clone());
    move |p: &nn::Path| {
        Box::new(CoinNet::new(p, &config, size, &hierarchy, hierarchical)) as Box<dyn Classifier>
    }
}

/// Recognition scores of the reported model at its best-validation epoch and the last.
fn recognition_scores(hierarchy: &Hierarchy, report: &TrainReport) -> Vec<(String, f64)> {
    let (best, last) = (report.best(), report.last());
    let mut scores = vec![
        ("best_acc".into(), best.test_acc),
        ("final_acc".into(), last.test_acc),
        ("best_epoch".into(), best.epoch as f64),
    ];
    if !best.test_confusion.is_empty() {
        let levels = hierarchy.level_accuracies(&best.test_confusion);
        scores.push(("emperor_acc".into(), levels.emperor));
        scores.push(("type_acc".into(), levels.coin_type));
    }
    scores
}

/// A score name's suffix for an allowed loss: 0.01 -> `1pct`, 0.005 -> `0.5pct`.
pub fn level_name(allowed_loss: f64) -> String {
    let pct = (allowed_loss * 1000.0).round() / 10.0;
    format!("{pct}pct")
}

impl Task for CoinsTask {
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
        match self.kind {
            Kind2::Recognition => "best_acc",
            Kind2::Landmarks => "iou",
        }
    }

    fn check(&self, config: &Table, method: &MethodDef) -> Result<(), String> {
        let config = CoinsConfig::from_table(config)?;
        let spec = MethodSpec::from_table(&method.name, &method.table)?;
        if spec.needs_token_features() {
            return Err(format!(
                "method '{}' relates token representations of sequence models; {} is an image task",
                method.name, self.name
            ));
        }
        if let Regime::WeakTeacher { remap_init: true } = spec.regime {
            if config.teacher.channels.len() != config.student.channels.len() {
                return Err(format!(
                    "method '{}' (remap_init = true) needs teacher and student with as many convolution stages; found {:?} and {:?}",
                    method.name, config.teacher.channels, config.student.channels
                ));
            }
        }
        if self.kind == Kind2::Landmarks {
            match &config.landmarks {
                None => return Err("landmarks: missing (the landmark settings)".into()),
                Some(l) => {
                    if l.allowed_losses.is_empty()
                        || l.allowed_losses.iter().any(|&e| !(0.0..1.0).contains(&e))
                    {
                        return Err(format!(
                            "landmarks.allowed_losses: expected one or more values in [0, 1), found {:?}",
                            l.allowed_losses
                        ));
                    }
                }
            }
            let supported = matches!(
                spec.regime,
                Regime::Teacher | Regime::Student | Regime::OneWay { teachers: 1 }
            );
            if !supported {
                return Err(format!(
                    "method '{}': {} finds the landmarks of a teacher, a student, or a student distilled from one teacher (regime teacher, student or one_way with one teacher), not regime {:?}",
                    method.name, self.name, spec.regime
                ));
            }
        } else if config.landmarks.is_some() {
            return Err(format!("landmarks: {} has no landmark settings", self.name));
        }
        Ok(())
    }

    fn shared_trainings(&self, config: &Table, method: &MethodDef, seed: u64) -> Vec<String> {
        let (Ok(config), Ok(spec)) = (
            CoinsConfig::from_table(config),
            MethodSpec::from_table(&method.name, &method.table),
        ) else {
            return Vec::new();
        };
        let teacher_seed = config.shared_teacher.then_some(0);
        match self.kind {
            Kind2::Recognition => shared_trainings(&spec, seed, teacher_seed),
            // Landmark discovery always starts from the teacher.
            Kind2::Landmarks => vec![teacher_training(teacher_seed.unwrap_or(seed), 0)],
        }
    }

    fn run(
        &self,
        config: &Table,
        method: &MethodDef,
        ctx: &RunContext,
    ) -> anyhow::Result<RunOutcome> {
        let config = CoinsConfig::from_table(config).map_err(anyhow::Error::msg)?;
        let spec =
            MethodSpec::from_table(&method.name, &method.table).map_err(anyhow::Error::msg)?;
        kd_core::set_threads(ctx.threads);
        let device = parse_device(&ctx.device).map_err(anyhow::Error::msg)?;
        let coins = match load_data(&config, &ctx.data_dir)? {
            Ok(coins) => coins,
            Err(reason) => return Ok(RunOutcome::skipped(reason)),
        };
        let data = coins.data.to_device(device);
        let hierarchical = config.head == "hierarchical";
        let size = config.style.size;
        let build_teacher = builder(&config.teacher, size, &coins.hierarchy, hierarchical);
        let build_student = builder(&config.student, size, &coins.hierarchy, hierarchical);
        let (settings, teacher_settings) = (config.settings(false), config.settings(true));
        let data_key = config.data_key();
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
            teacher_key: format!(
                "{data_key}|{}|{:?}|{:?}",
                config.head, config.teacher, teacher_settings
            ),
            student_key: format!(
                "{data_key}|{}|{:?}|{:?}",
                config.head, config.student, settings
            ),
            cache: Some(&cache),
        };
        match self.kind {
            Kind2::Recognition => {
                let epochs = settings.epochs.max(teacher_settings.epochs);
                let hierarchy = coins.hierarchy.clone();
                run_classification_task(&spec, &setup, ctx, epochs, &move |r| {
                    recognition_scores(&hierarchy, r)
                })
            }
            Kind2::Landmarks => {
                let landmarks = config.landmarks.clone().expect("checked");
                run_landmarks(&spec, &setup, &coins, &config, &landmarks, ctx)
            }
        }
    }
}

/// A trained model and its var store.
struct Trained {
    _vs: nn::VarStore,
    model: Box<dyn Classifier>,
    params: u64,
}

/// Trains (or loads from the cache) the teacher as the `teacher` method does.
fn train_teacher(setup: &ClassificationSetup, ctx: &RunContext) -> anyhow::Result<Trained> {
    let seed = setup.teacher_seed.unwrap_or(setup.seed);
    seed_torch(seed.wrapping_add(0x7eac_0000));
    let mut vs = nn::VarStore::new(setup.device);
    let model = (setup.build_teacher)(&vs.root());
    let objective = MethodSpec::from_table(
        "teacher",
        &toml::from_str("regime = 'teacher'\nlosses.ce = { weight = 1.0 }").expect("static"),
    )
    .map_err(anyhow::Error::msg)?;
    let key = format!("{}|seed={seed}", setup.teacher_key);
    let cache = setup.cache.expect("a cache");
    cache
        .get_or_train(&key, &mut vs, |vs: &mut nn::VarStore| {
            let mut rng = stream(seed, "teacher-data-order");
            let job = kd_core::train::TrainJob {
                model: model.as_ref(),
                vs,
                data: setup.data,
                settings: setup.teacher_settings,
                method: &objective,
                teachers: vec![],
            };
            train_classifier(job, &mut rng, &mut |r| {
                (ctx.progress)(&format!(
                    "teacher epoch {} val_acc {:.3}",
                    r.epoch, r.val_acc
                ))
            })
            .map_err(|e| anyhow::anyhow!("{e}"))
        })
        .context("training the teacher")?;
    vs.freeze();
    let params = count_parameters(&vs);
    Ok(Trained {
        _vs: vs,
        model,
        params,
    })
}

/// Trains the model `spec` reports: the teacher, or a student alone or with the teacher.
fn train_reported(
    spec: &MethodSpec,
    setup: &ClassificationSetup,
    ctx: &RunContext,
) -> anyhow::Result<(Trained, Option<Trained>)> {
    let teacher = match spec.regime {
        Regime::Teacher => return Ok((train_teacher(setup, ctx)?, None)),
        Regime::OneWay { .. } => Some(train_teacher(setup, ctx)?),
        _ => None,
    };
    seed_torch(setup.seed);
    let mut vs = nn::VarStore::new(setup.device);
    let model = (setup.build_student)(&vs.root());
    let mut rng = stream(setup.seed, "student-data-order");
    let job = kd_core::train::TrainJob {
        model: model.as_ref(),
        vs: &vs,
        data: setup.data,
        settings: setup.settings,
        method: spec,
        teachers: teacher.iter().map(|t| t.model.as_ref()).collect(),
    };
    train_classifier(job, &mut rng, &mut |r| {
        (ctx.progress)(&format!(
            "student epoch {} val_acc {:.3}",
            r.epoch, r.val_acc
        ))
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    vs.freeze();
    let params = count_parameters(&vs);
    Ok((
        Trained {
            _vs: vs,
            model,
            params,
        },
        teacher,
    ))
}

/// Unmasked test accuracy of a model.
fn test_accuracy(model: &dyn Classifier, data: &Dataset) -> f64 {
    kd_core::train::evaluate(model, &data.test, 512, None).acc
}

/// The per-class outcome of one mask family (learned, or a baseline) at one level.
struct FamilyScores {
    kept_area: Vec<f64>,
    test_loss: Vec<f64>,
    val_loss: Vec<f64>,
    iou: Vec<f64>,
    pointing: Vec<f64>,
}

fn mean(v: &[f64]) -> f64 {
    let finite: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if finite.is_empty() {
        f64::NAN
    } else {
        finite.iter().sum::<f64>() / finite.len() as f64
    }
}

fn run_landmarks(
    spec: &MethodSpec,
    setup: &ClassificationSetup,
    coins: &CoinData,
    config: &CoinsConfig,
    settings: &MaskSettings,
    ctx: &RunContext,
) -> anyhow::Result<RunOutcome> {
    let started = std::time::Instant::now();
    let (trained, teacher) = train_reported(spec, setup, ctx)?;
    let model = trained.model.as_ref();
    let data = setup.data;
    let classes = coins.hierarchy.num_classes();
    let size = config.style.size;
    let g = settings.grid;
    let train = ClassImages::new(&data.train.x, &data.train.y, classes);
    let val = ClassImages::new(&data.val.x, &data.val.y, classes);
    let test = ClassImages::new(&data.test.x, &data.test.y, classes);
    // Removed pixels become each side's mean training intensity.
    let fill = data
        .train
        .x
        .mean_dim([0i64, 2, 3].as_slice(), false, Kind::Float)
        .view([2, 1, 1]);
    let full_acc = test_accuracy(model, data);
    let mut scores = vec![("full_acc".to_string(), full_acc)];
    // Baselines' cell scores: gradient x input (per class, over its training images), random.
    let saliency: Vec<Tensor> = (0..classes)
        .map(|c| gradient_x_input(model, &train.of(c)))
        .collect();
    let mut rng = stream(ctx.seed, "coins-random-masks");
    let random: Vec<Tensor> = (0..classes).map(|_| random_scores(g, &mut rng)).collect();
    std::fs::create_dir_all(&ctx.artifact_dir)
        .with_context(|| format!("creating {}", ctx.artifact_dir.display()))?;
    if config.collection.is_empty() {
        let sheet = sample_sheet(&config.style, config.data_seed, 4);
        let path = ctx.artifact_dir.join("coins_sample.png");
        sheet
            .save(&path)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let per_class_path = ctx.artifact_dir.join("landmarks.csv");
    let mut per_class = csv::Writer::from_path(&per_class_path)
        .with_context(|| format!("writing {}", per_class_path.display()))?;
    per_class.write_record([
        "allowed_loss",
        "class",
        "name",
        "mask",
        "cells",
        "kept_area",
        "val_acc_loss",
        "test_acc_loss",
        "iou",
        "pointing",
    ])?;
    let summary_path = ctx.artifact_dir.join("kept_area_vs_loss.csv");
    let mut summary = csv::Writer::from_path(&summary_path)
        .with_context(|| format!("writing {}", summary_path.display()))?;
    summary.write_record([
        "allowed_loss",
        "mask",
        "kept_area",
        "test_acc_loss",
        "constraint_met",
        "iou",
        "pointing",
    ])?;
    let examples: Vec<Vec<f32>> = (0..classes)
        .map(|c| to_vec(&test.of(c).narrow(0, 0, 1).squeeze_dim(0)))
        .collect();
    let mut first_learned: Option<Vec<Vec<f32>>> = None;
    for (level, &allowed) in settings.allowed_losses.iter().enumerate() {
        (ctx.progress)(&format!("landmarks at allowed loss {allowed}"));
        let mut mask_rng = stream(ctx.seed, &format!("coins-masks-{level}"));
        let learned = optimise_masks(model, &train, &fill, allowed, settings, &mut mask_rng);
        let selected = select_masks(model, &learned, &val, &test, &fill, allowed);
        let name = level_name(allowed);
        // Each family: cell scores and a pixel heatmap per class (for the pointing game).
        let families: [(&str, Vec<Tensor>, Vec<Tensor>); 3] = [
            (
                "learned",
                (0..classes).map(|c| learned.get(c as i64)).collect(),
                (0..classes)
                    .map(|c| upsample(&learned.get(c as i64).unsqueeze(0), size).squeeze_dim(0))
                    .collect(),
            ),
            (
                "gradxinput",
                saliency.iter().map(|s| to_grid(s, g)).collect(),
                saliency.iter().map(Tensor::shallow_clone).collect(),
            ),
            (
                "random",
                random.iter().map(Tensor::shallow_clone).collect(),
                random
                    .iter()
                    .map(|r| upsample(&r.unsqueeze(0), size).squeeze_dim(0))
                    .collect(),
            ),
        ];
        for (family, cell_scores, heat) in &families {
            let mut f = FamilyScores {
                kept_area: vec![],
                test_loss: vec![],
                val_loss: vec![],
                iou: vec![],
                pointing: vec![],
            };
            let mut regions = Vec::with_capacity(classes);
            for c in 0..classes {
                let k = selected[c].cells;
                let region = kept_region(&cell_scores[c], k, size);
                let m = upsample(
                    &super::landmarks::top_cells(&cell_scores[c], k).unsqueeze(0),
                    size,
                )
                .squeeze_dim(0);
                let (val_loss, test_loss) = if *family == "learned" {
                    (selected[c].val_loss, selected[c].test_loss)
                } else {
                    let loss = |images: &ClassImages| {
                        let x = images.of(c);
                        super::landmarks::class_accuracy(model, &x, c, None, &fill)
                            - super::landmarks::class_accuracy(model, &x, c, Some(&m), &fill)
                    };
                    (loss(&val), loss(&test))
                };
                let kept = m.mean(Kind::Float).double_value(&[]);
                let (i, p) = match &coins.truth {
                    Some(truth) => (
                        iou(&region, &truth[c]),
                        f64::from(u8::from(pointing_hit(
                            &to_vec(&heat[c]),
                            &truth[c],
                            size,
                            1,
                        ))),
                    ),
                    None => (f64::NAN, f64::NAN),
                };
                per_class.write_record([
                    allowed.to_string(),
                    c.to_string(),
                    coins.hierarchy.class_name(c),
                    family.to_string(),
                    k.to_string(),
                    format!("{kept:.5}"),
                    format!("{val_loss:.5}"),
                    format!("{test_loss:.5}"),
                    format!("{i:.5}"),
                    format!("{p}"),
                ])?;
                f.kept_area.push(kept);
                f.val_loss.push(val_loss);
                f.test_loss.push(test_loss);
                f.iou.push(i);
                f.pointing.push(p);
                regions.push(to_vec(&m));
            }
            let met = f.test_loss.iter().filter(|&&l| l <= allowed + 1e-9).count() as f64
                / classes as f64;
            summary.write_record([
                allowed.to_string(),
                family.to_string(),
                format!("{:.5}", mean(&f.kept_area)),
                format!("{:.5}", mean(&f.test_loss)),
                format!("{met:.5}"),
                format!("{:.5}", mean(&f.iou)),
                format!("{:.5}", mean(&f.pointing)),
            ])?;
            let suffix = match *family {
                "learned" => String::new(),
                other => format!("_{other}"),
            };
            if *family == "learned" {
                scores.push((format!("kept_area_{name}"), mean(&f.kept_area)));
                scores.push((format!("constraint_met_{name}"), met));
                if level == 0 {
                    scores.push(("kept_area".into(), mean(&f.kept_area)));
                    if coins.truth.is_some() {
                        scores.push(("iou".into(), mean(&f.iou)));
                    }
                }
            }
            scores.push((format!("acc_loss{suffix}_{name}"), mean(&f.test_loss)));
            if coins.truth.is_some() {
                scores.push((format!("iou{suffix}_{name}"), mean(&f.iou)));
                scores.push((format!("pointing{suffix}_{name}"), mean(&f.pointing)));
            }
            if *family != "random" {
                let tiles: Vec<Tile> = (0..classes)
                    .map(|c| Tile {
                        coin: examples[c].clone(),
                        heat: regions[c].clone(),
                        truth: coins.truth.as_ref().map(|t| t[c].clone()),
                    })
                    .collect();
                let png = ctx
                    .artifact_dir
                    .join(format!("landmarks_{family}_{name}.png"));
                overlay_sheet(&tiles, size, 4, 4)
                    .save(&png)
                    .with_context(|| format!("writing {}", png.display()))?;
            }
            if *family == "learned" && level == 0 {
                first_learned = Some(regions);
            }
        }
    }
    // Do the student's landmarks agree with its teacher's (first level)?
    if let (Some(teacher), Some(student_regions)) = (&teacher, &first_learned) {
        let allowed = settings.allowed_losses[0];
        let t_model = teacher.model.as_ref();
        let mut t_rng = stream(ctx.seed, "coins-masks-teacher");
        let t_scores = optimise_masks(t_model, &train, &fill, allowed, settings, &mut t_rng);
        let t_selected = select_masks(t_model, &t_scores, &val, &test, &fill, allowed);
        let agreement: Vec<f64> = (0..classes)
            .map(|c| {
                let region = kept_region(&t_scores.get(c as i64), t_selected[c].cells, size);
                iou(&region, &student_regions[c])
            })
            .collect();
        scores.push(("teacher_agreement".into(), mean(&agreement)));
    }
    per_class.flush()?;
    summary.flush()?;
    scores.push(("landmark_seconds".into(), started.elapsed().as_secs_f64()));
    Ok(RunOutcome {
        status: RunStatus::Ok,
        scores,
        curves: vec![],
        params_student: (spec.regime != Regime::Teacher).then_some(trained.params),
        params_teacher: match spec.regime {
            Regime::Teacher => Some(trained.params),
            _ => teacher.as_ref().map(|t| t.params),
        },
        message: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn method(name: &str) -> MethodDef {
        let table = kd_core::method::builtin_method_tables()
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap()
            .1;
        MethodDef {
            name: name.into(),
            description: String::new(),
            table,
        }
    }

    #[test]
    fn level_names_read_as_percentages() {
        assert_eq!(level_name(0.01), "1pct");
        assert_eq!(level_name(0.05), "5pct");
        assert_eq!(level_name(0.005), "0.5pct");
    }

    #[test]
    fn small_students_learn_coins_well_above_chance_with_both_heads() {
        let dir = tempfile::tempdir().unwrap();
        let progress = |_: &str| {};
        for (task, head) in [("coins-flat", "flat"), ("coins-hier", "hierarchical")] {
            let task = coin_tasks().into_iter().find(|t| t.name() == task).unwrap();
            let mut config = task.default_config();
            let small: Table = toml::from_str(
                "train_per_class = 30\nval_per_class = 5\ntest_per_class = 10\nepochs = 8\nbatch_size = 32\nlr = 0.005\n",
            )
            .unwrap();
            config.extend(small);
            let parsed = CoinsConfig::from_table(&config).unwrap();
            assert_eq!(parsed.head, head);
            task.check(&config, &method("student")).unwrap();
            let ctx = RunContext {
                seed: 0,
                device: "cpu".into(),
                threads: 1,
                data_dir: dir.path().join("data"),
                cache_dir: dir.path().join("cache"),
                artifact_dir: dir.path().join("artifacts"),
                progress: &progress,
            };
            let outcome = task.run(&config, &method("student"), &ctx).unwrap();
            assert_eq!(outcome.status, RunStatus::Ok, "{}", outcome.message);
            let score = |name: &str| outcome.scores.iter().find(|s| s.0 == name).unwrap().1;
            // Chance: 1/24 for the full label, 1/6 for the emperor, 1/4 for the type.
            // Measured: flat 0.57 / 0.59 / 0.92, hierarchical 0.52 / 0.78 / 0.67.
            assert!(score("best_acc") > 0.3, "{head}: {:?}", outcome.scores);
            assert!(score("emperor_acc") > 0.45, "{head}: {:?}", outcome.scores);
            assert!(score("type_acc") > 0.5, "{head}: {:?}", outcome.scores);
            assert!(score("emperor_acc") >= score("best_acc"));
        }
    }

    #[test]
    fn a_collection_folder_is_split_by_label() {
        let dir = tempfile::tempdir().unwrap();
        for emperor in ["nero", "titus"] {
            for i in 0..5 {
                for side in ["obverse", "reverse"] {
                    let path = dir
                        .path()
                        .join(format!("roman/{emperor}/lion/{side}/c{i}.png"));
                    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                    image::GrayImage::from_pixel(40, 40, image::Luma([9 * i as u8]))
                        .save(&path)
                        .unwrap();
                }
            }
        }
        let mut config = default_config("hierarchical", false);
        config.collection = "roman".into();
        let coins = load_data(&config, dir.path()).unwrap().unwrap();
        assert!(coins.truth.is_none());
        assert_eq!(coins.hierarchy.emperors, ["nero", "titus"]);
        let d = &coins.data;
        assert_eq!((d.train.len(), d.val.len(), d.test.len()), (6, 2, 2));
        assert_eq!(d.train.x.size(), [6, 2, 32, 32]);
        assert_eq!(Vec::<i64>::try_from(&d.test.y).unwrap(), [0, 1]);
    }

    #[test]
    fn a_missing_collection_skips_and_bad_keys_are_named() {
        let task = coin_tasks()
            .into_iter()
            .find(|t| t.name() == "coins-flat")
            .unwrap();
        let mut config = task.default_config();
        config.insert("collection".into(), "roman".into());
        let parsed = CoinsConfig::from_table(&config).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let reason = load_data(&parsed, dir.path()).unwrap().err().unwrap();
        assert!(reason.contains("roman"), "{reason}");
        config.insert("train_per_class".into(), 0.into());
        let err = task.check(&config, &method("kd")).unwrap_err();
        assert!(err.starts_with("train_per_class"), "{err}");
        let mut config = task.default_config();
        config.insert("colour".into(), true.into());
        let err = task.check(&config, &method("kd")).unwrap_err();
        assert!(err.contains("colour"), "{err}");
    }
}
