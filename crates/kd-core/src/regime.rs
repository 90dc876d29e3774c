//! Regimes for classification: how a method's models are built, trained together and scored.
use crate::data::Dataset;
use crate::method::{MethodSpec, Regime, Side};
use crate::model::{count_parameters, Classifier};
use crate::remap::remap_parameters;
use crate::seeding::{seed_torch, stream};
use crate::teacher_cache::TeacherCache;
use crate::train::{
    train_classifier, train_together, training_logits, EpochRecord, Learner, TeacherRef,
    TrainError, TrainJob, TrainReport, TrainSettings,
};
use serde::{Deserialize, Serialize};
use tch::{nn, Device, Tensor};

/// Builds a model's layers under a var-store path.
pub type ModelBuilder<'a> = &'a dyn Fn(&nn::Path) -> Box<dyn Classifier>;

/// What a classification task hands to a regime.
pub struct ClassificationSetup<'a> {
    /// The data, already on `device`.
    pub data: &'a Dataset,
    /// Training settings of every model but the teacher architecture's reference models.
    pub settings: &'a TrainSettings,
    /// Training settings of the teacher architecture's reference models (the teachers).
    pub teacher_settings: &'a TrainSettings,
    /// Where models live.
    pub device: Device,
    /// The run seed.
    pub seed: u64,
    /// The seed of the teacher architecture's reference models when one set of them serves
    /// every run seed (as in papers with a single teacher); `None`: the run seed.
    pub teacher_seed: Option<u64>,
    /// Builds the teacher (large) architecture.
    pub build_teacher: ModelBuilder<'a>,
    /// Builds the student (small) architecture.
    pub build_student: ModelBuilder<'a>,
    /// Describes the teacher's architecture, data and training, for the cache.
    pub teacher_key: String,
    /// Describes the student's architecture, data and training, for the cache.
    pub student_key: String,
    /// Where trained reference models are kept (None: always train).
    pub cache: Option<&'a TeacherCache>,
}

/// The outcome of one method on one classification task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassificationResult {
    /// The report of the model the method is scored on.
    pub report: TrainReport,
    /// Trainable parameters of the model the method is scored on, when it is not the task's
    /// teacher-regime model.
    pub params_student: Option<u64>,
    /// Trainable parameters of the model it learned from (its teacher, weak teacher or peer).
    pub params_teacher: Option<u64>,
}

/// Names of the cached trainings a run of `method` at `seed` trains or reuses (its reference
/// models, or a co-training's outcome): runs that share a name wait for one training, so a
/// scheduler running several at once keeps them apart while that training is under way.
/// `teacher_seed` is the setup's. The student alone shares nothing.
pub fn shared_trainings(method: &MethodSpec, seed: u64, teacher_seed: Option<u64>) -> Vec<String> {
    let teacher = |member: u64| teacher_training(teacher_seed.unwrap_or(seed), member);
    match method.regime {
        Regime::Teacher => vec![teacher(0)],
        Regime::Student => Vec::new(),
        Regime::OneWay { teachers } => (0..teachers as u64).map(teacher).collect(),
        Regime::SelfDistill { .. } | Regime::WeakTeacher { .. } => {
            vec![format!("student seed {seed}")]
        }
        Regime::CoTrain { .. } => vec![format!("co_train {} seed {seed}", method.signature)],
    }
}

/// The name [`shared_trainings`] gives reference model `member` of the teacher architecture
/// trained with seed `seed`.
pub fn teacher_training(seed: u64, member: u64) -> String {
    format!("teacher seed {seed} member {member}")
}

/// Receives a role and one epoch's record. The role is empty for the reported model, and
/// names any other model (`teacher`, `teacher2`, `gen1`, `weak_teacher`, `peer`).
pub type EpochSink<'a> = &'a mut dyn FnMut(&str, &EpochRecord);

/// The objective reference models are trained with (the built-in `teacher` method: CE).
fn cross_entropy_objective() -> MethodSpec {
    let table =
        toml::from_str("regime = 'teacher'\nlosses.ce = { weight = 1.0 }").expect("static TOML");
    MethodSpec::from_table("teacher", &table).expect("static method")
}

/// Which architecture a reference model has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arch {
    Teacher,
    Student,
}

/// A trained model (frozen once it teaches).
struct Frozen {
    vs: nn::VarStore,
    model: Box<dyn Classifier>,
    report: TrainReport,
    /// Its key in the setup's cache, when it is kept there (its logits are then kept too).
    cache_key: Option<String>,
}

/// Trains with cross-entropy alone (or loads from the cache) reference model `member` of
/// architecture `arch`: member 0 of the teacher architecture is the task's teacher.
fn reference_model(
    setup: &ClassificationSetup,
    arch: Arch,
    member: u64,
    role: &str,
    on_epoch: EpochSink,
) -> Result<Frozen, TrainError> {
    let (build, key, settings, seed) = match arch {
        Arch::Teacher => (
            setup.build_teacher,
            &setup.teacher_key,
            setup.teacher_settings,
            setup.teacher_seed.unwrap_or(setup.seed),
        ),
        Arch::Student => (
            setup.build_student,
            &setup.student_key,
            setup.settings,
            setup.seed,
        ),
    };
    seed_torch(seed.wrapping_add(0x7eac_0000 + member * 0x1_0000));
    let mut vs = nn::VarStore::new(setup.device);
    let model = build(&vs.root());
    let objective = cross_entropy_objective();
    let order = match member {
        0 => "teacher-data-order".to_string(),
        m => format!("teacher-data-order-{m}"),
    };
    let mut trained = false;
    let mut train = |vs: &mut nn::VarStore| {
        trained = true;
        let mut rng = stream(seed, &order);
        let job = TrainJob {
            model: model.as_ref(),
            vs,
            data: setup.data,
            settings,
            method: &objective,
            teachers: vec![],
        };
        train_classifier(job, &mut rng, &mut |r| on_epoch(role, r))
    };
    let key = match member {
        0 => format!("{key}|seed={seed}"),
        m => format!("{key}|seed={seed}|member={m}"),
    };
    let report = match setup.cache {
        Some(cache) => cache.get_or_train(&key, &mut vs, train)?,
        None => train(&mut vs)?,
    };
    if !trained {
        // Loaded from the cache: report its epochs as if it had just been trained.
        for record in &report.epochs {
            on_epoch(role, record);
        }
    }
    vs.freeze();
    Ok(Frozen {
        vs,
        model,
        report,
        cache_key: setup.cache.is_some().then_some(key),
    })
}

/// `teacher`'s logits on every training example, read from the cache next to the teacher's
/// weights when it is kept there, else computed.
fn teacher_logits(setup: &ClassificationSetup, teacher: &Frozen) -> Result<Tensor, TrainError> {
    let train = &setup.data.train;
    let compute = || {
        Ok::<_, TrainError>(training_logits(
            teacher.model.as_ref(),
            train,
            setup.settings.eval_batch_size,
        ))
    };
    let logits = match (setup.cache, &teacher.cache_key) {
        (Some(cache), Some(key)) => {
            cache.get_or_compute_logits(key, train.len() as i64, compute)?
        }
        _ => compute()?,
    };
    Ok(logits.to_device(train.x.device()))
}

/// Trains a fresh model of `arch` with `method` against frozen `teachers`.
#[allow(clippy::too_many_arguments)]
fn distil(
    setup: &ClassificationSetup,
    method: &MethodSpec,
    arch: Arch,
    teachers: &[&Frozen],
    torch_seed: u64,
    order: &str,
    init_from: Option<&nn::VarStore>,
    role: &str,
    on_epoch: EpochSink,
) -> Result<Frozen, TrainError> {
    // Without augmentation a frozen teacher's outputs on an example never change: when the
    // objective reads only its logits, they are computed once instead of on every batch.
    let logits = if method.teacher_logits_suffice() && setup.settings.augment.is_none() {
        teachers
            .iter()
            .map(|t| teacher_logits(setup, t))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        vec![]
    };
    seed_torch(torch_seed);
    let vs = nn::VarStore::new(setup.device);
    let model = match arch {
        Arch::Teacher => (setup.build_teacher)(&vs.root()),
        Arch::Student => (setup.build_student)(&vs.root()),
    };
    if let Some(from) = init_from {
        remap_parameters(from, &vs).map_err(|e| TrainError::Other(anyhow::anyhow!(e)))?;
    }
    let mut rng = stream(setup.seed, order);
    let learner = Learner {
        model: model.as_ref(),
        vs: &vs,
        method,
        teachers: if logits.is_empty() {
            teachers
                .iter()
                .map(|t| TeacherRef::Frozen(t.model.as_ref()))
                .collect()
        } else {
            logits.iter().map(TeacherRef::Logits).collect()
        },
    };
    let report = train_together(
        vec![learner],
        setup.data,
        setup.settings,
        &mut rng,
        &mut |_, r| on_epoch(role, r),
    )?
    .remove(0);
    Ok(Frozen {
        vs,
        model,
        report,
        cache_key: None,
    })
}

/// Both sides of a co-training, as cached.
#[derive(Serialize, Deserialize)]
struct CoTrained {
    small: ClassificationResult,
    large: ClassificationResult,
}

fn co_train(
    method: &MethodSpec,
    setup: &ClassificationSetup,
    report: Side,
    on_epoch: EpochSink,
) -> Result<ClassificationResult, TrainError> {
    let reported = |side: Side| if side == report { "" } else { "peer" };
    let mut trained = false;
    let mut compute = || {
        trained = true;
        seed_torch(setup.seed);
        let small_vs = nn::VarStore::new(setup.device);
        let small = (setup.build_student)(&small_vs.root());
        let large_vs = nn::VarStore::new(setup.device);
        let large = (setup.build_teacher)(&large_vs.root());
        let learners = vec![
            Learner {
                model: small.as_ref(),
                vs: &small_vs,
                method,
                teachers: vec![TeacherRef::Peer(1)],
            },
            Learner {
                model: large.as_ref(),
                vs: &large_vs,
                method,
                teachers: vec![TeacherRef::Peer(0)],
            },
        ];
        let mut rng = stream(setup.seed, "co-train-data-order");
        let sides = [Side::Small, Side::Large];
        let mut reports = train_together(
            learners,
            setup.data,
            setup.settings,
            &mut rng,
            &mut |i, r| on_epoch(reported(sides[i]), r),
        )?;
        let (p_small, p_large) = (count_parameters(&small_vs), count_parameters(&large_vs));
        let large_report = reports.pop().expect("two reports");
        let small_report = reports.pop().expect("two reports");
        Ok::<_, TrainError>(CoTrained {
            small: ClassificationResult {
                report: small_report,
                params_student: Some(p_small),
                params_teacher: Some(p_large),
            },
            large: ClassificationResult {
                report: large_report,
                params_student: Some(p_large),
                params_teacher: Some(p_small),
            },
        })
    };
    let pair = match setup.cache {
        Some(cache) => {
            let key = format!(
                "co_train|{}|{}|{}|seed={}",
                setup.teacher_key, setup.student_key, method.signature, setup.seed
            );
            cache.get_or_compute(&key, compute)?
        }
        None => compute()?,
    };
    if !trained {
        for record in &pair.small.report.epochs {
            on_epoch(reported(Side::Small), record);
        }
        for record in &pair.large.report.epochs {
            on_epoch(reported(Side::Large), record);
        }
    }
    Ok(match report {
        Side::Small => pair.small,
        Side::Large => pair.large,
    })
}

/// Runs `method` on a classification setup. `on_epoch` receives each model's role (empty for
/// the reported model) and each epoch's record, for progress and learning curves.
pub fn run_classification(
    method: &MethodSpec,
    setup: &ClassificationSetup,
    on_epoch: EpochSink,
) -> Result<ClassificationResult, TrainError> {
    let seed = setup.seed;
    match method.regime {
        Regime::Teacher => {
            let t = reference_model(setup, Arch::Teacher, 0, "", on_epoch)?;
            Ok(ClassificationResult {
                report: t.report,
                params_student: None,
                params_teacher: Some(count_parameters(&t.vs)),
            })
        }
        Regime::Student | Regime::OneWay { .. } => {
            let teachers = match method.regime {
                Regime::OneWay { teachers } => teachers,
                _ => 0,
            };
            let mut frozen = Vec::with_capacity(teachers);
            for member in 0..teachers as u64 {
                let role = match member {
                    0 => "teacher".to_string(),
                    m => format!("teacher{}", m + 1),
                };
                frozen.push(reference_model(
                    setup,
                    Arch::Teacher,
                    member,
                    &role,
                    on_epoch,
                )?);
            }
            let refs: Vec<&Frozen> = frozen.iter().collect();
            let student = distil(
                setup,
                method,
                Arch::Student,
                &refs,
                seed,
                "student-data-order",
                None,
                "",
                on_epoch,
            )?;
            Ok(ClassificationResult {
                params_student: Some(count_parameters(&student.vs)),
                params_teacher: frozen.first().map(|t| count_parameters(&t.vs)),
                report: student.report,
            })
        }
        Regime::SelfDistill { generations } => {
            let mut previous = reference_model(setup, Arch::Student, 0, "gen0", on_epoch)?;
            for generation in 1..=generations {
                let role = if generation == generations {
                    String::new()
                } else {
                    format!("gen{generation}")
                };
                let mut next = distil(
                    setup,
                    method,
                    Arch::Student,
                    &[&previous],
                    seed.wrapping_add(0x6a09_0000 + generation as u64),
                    &format!("born-again-data-order-{generation}"),
                    None,
                    &role,
                    on_epoch,
                )?;
                next.vs.freeze();
                previous = next;
            }
            let params = count_parameters(&previous.vs);
            Ok(ClassificationResult {
                report: previous.report,
                params_student: Some(params),
                params_teacher: Some(params),
            })
        }
        Regime::WeakTeacher { remap_init } => {
            let weak = reference_model(setup, Arch::Student, 0, "weak_teacher", on_epoch)?;
            let large = distil(
                setup,
                method,
                Arch::Teacher,
                &[&weak],
                seed,
                "weak-teacher-data-order",
                remap_init.then_some(&weak.vs),
                "",
                on_epoch,
            )?;
            Ok(ClassificationResult {
                params_student: Some(count_parameters(&large.vs)),
                params_teacher: Some(count_parameters(&weak.vs)),
                report: large.report,
            })
        }
        Regime::CoTrain { report } => co_train(method, setup, report, on_epoch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{split_from_vecs, Dataset};
    use crate::method::builtin_method_tables;
    use crate::model::Forward;
    use crate::optim::OptimSettings;
    use tch::nn::Module;

    /// A one-hidden-layer MLP over 2-D points.
    struct Tiny(nn::Sequential);

    impl Classifier for Tiny {
        fn forward(&self, xs: &tch::Tensor, _train: bool) -> Forward {
            Forward {
                logits: self.0.forward(xs),
                features: vec![],
                mask: None,
            }
        }
    }

    fn tiny(width: i64) -> impl Fn(&nn::Path) -> Box<dyn Classifier> {
        move |p: &nn::Path| {
            Box::new(Tiny(
                nn::seq()
                    .add(nn::linear(p / "l0", 2, width, Default::default()))
                    .add_fn(|x| x.relu())
                    .add(nn::linear(p / "l1", width, 2, Default::default())),
            )) as Box<dyn Classifier>
        }
    }

    /// Two classes: the sign of x0 + x1, on a fixed grid of points.
    fn blobs() -> Dataset {
        let split = |n: usize, offset: f32| {
            let mut x = Vec::new();
            let mut y = Vec::new();
            for i in 0..n {
                let a = ((i * 37) % 101) as f32 / 50.0 - 1.0 + offset;
                let b = ((i * 53) % 97) as f32 / 48.0 - 1.0;
                x.extend([a, b]);
                y.push(i64::from(a + b > 0.0));
            }
            split_from_vecs(&x, &y, &[2])
        };
        Dataset {
            train: split(200, 0.0),
            val: split(50, 0.01),
            test: split(50, 0.02),
            num_classes: 2,
        }
    }

    fn method(toml_text: &str) -> MethodSpec {
        MethodSpec::from_table("m", &toml::from_str(toml_text).unwrap()).unwrap()
    }

    fn run(spec: &MethodSpec, cache: Option<&TeacherCache>) -> (ClassificationResult, Vec<String>) {
        run_seeds(spec, cache, 7, None)
    }

    fn run_seeds(
        spec: &MethodSpec,
        cache: Option<&TeacherCache>,
        seed: u64,
        teacher_seed: Option<u64>,
    ) -> (ClassificationResult, Vec<String>) {
        let data = blobs();
        let settings = TrainSettings {
            epochs: 10,
            batch_size: 32,
            eval_batch_size: 64,
            optim: OptimSettings {
                optimizer: "adam".into(),
                lr: 0.01,
                momentum: 0.0,
                weight_decay: 0.0,
                nesterov: false,
                lr_schedule: "constant".into(),
                clip_grad_norm: 0.0,
            },
            augment: None,
            confusion: true,
        };
        let (big, small) = (tiny(16), tiny(4));
        let setup = ClassificationSetup {
            data: &data,
            settings: &settings,
            teacher_settings: &settings,
            device: Device::Cpu,
            seed,
            teacher_seed,
            build_teacher: &big,
            build_student: &small,
            teacher_key: "big".into(),
            student_key: "small".into(),
            cache,
        };
        let mut roles = Vec::new();
        let result = run_classification(spec, &setup, &mut |role, _| {
            if !roles.iter().any(|r: &String| r == role) {
                roles.push(role.to_string());
            }
        })
        .unwrap();
        (result, roles)
    }

    /// A regression: y = x0 + x1 on the grid of [`blobs`], models with one output.
    fn sums() -> Dataset {
        let split = |n: usize, offset: f32| {
            let mut x = Vec::new();
            let mut y = Vec::new();
            for i in 0..n {
                let a = ((i * 37) % 101) as f32 / 50.0 - 1.0 + offset;
                let b = ((i * 53) % 97) as f32 / 48.0 - 1.0;
                x.extend([a, b]);
                y.push(a + b);
            }
            crate::data::Split {
                x: tch::Tensor::from_slice(&x).view([n as i64, 2]),
                y: tch::Tensor::from_slice(&y),
            }
        };
        Dataset {
            train: split(200, 0.0),
            val: split(50, 0.01),
            test: split(50, 0.02),
            num_classes: 1,
        }
    }

    fn regressor(width: i64) -> impl Fn(&nn::Path) -> Box<dyn Classifier> {
        move |p: &nn::Path| {
            Box::new(Tiny(
                nn::seq()
                    .add(nn::linear(p / "l0", 2, width, Default::default()))
                    .add_fn(|x| x.relu())
                    .add(nn::linear(p / "l1", width, 1, Default::default())),
            )) as Box<dyn Classifier>
        }
    }

    #[test]
    fn pearson_matches_hand_computed_values() {
        use crate::train::pearson;
        // Centred x (-1.5, -0.5, 0.5, 1.5), y (-2, 0, -1, 3): 7 / sqrt(5 * 14).
        let x = tch::Tensor::from_slice(&[0.0f32, 1.0, 2.0, 3.0]);
        let y = tch::Tensor::from_slice(&[0.0f32, 2.0, 1.0, 5.0]);
        assert!((pearson(&x, &y) - 7.0 / 70f64.sqrt()).abs() < 1e-9);
        assert!((pearson(&x, &(&x * -2.0)) + 1.0).abs() < 1e-9);
        assert_eq!(
            pearson(&x, &tch::Tensor::ones([4], tch::kind::FLOAT_CPU)),
            0.0
        );
    }

    #[test]
    fn regressions_train_with_squared_errors_and_report_correlations() {
        let data = sums();
        assert!(data.is_regression() && !blobs().is_regression());
        let settings = TrainSettings {
            epochs: 15,
            batch_size: 32,
            eval_batch_size: 64,
            optim: OptimSettings {
                optimizer: "adam".into(),
                lr: 0.01,
                momentum: 0.0,
                weight_decay: 0.0,
                nesterov: false,
                lr_schedule: "constant".into(),
                clip_grad_norm: 0.0,
            },
            augment: None,
            confusion: true,
        };
        let (big, small) = (regressor(16), regressor(4));
        let setup = ClassificationSetup {
            data: &data,
            settings: &settings,
            teacher_settings: &settings,
            device: Device::Cpu,
            seed: 3,
            teacher_seed: None,
            build_teacher: &big,
            build_student: &small,
            teacher_key: "big".into(),
            student_key: "small".into(),
            cache: None,
        };
        for text in [
            "regime = 'teacher'\nlosses.ce = {}",
            "regime = 'one_way'\nlosses.ce = { weight = 0.1 }\nlosses.kd = { weight = 0.9 }",
            "regime = 'co_train'\nlosses.ce = {}\nlosses.kd = { weight = 0.5 }",
            "regime = 'weak_teacher'\nremap_init = true\nlosses.ce = {}\nlosses.kd = {}",
        ] {
            let spec = method(text);
            assert!(spec.check_regression().is_ok(), "{text}");
            let mut teacher_losses = Vec::new();
            let result = run_classification(&spec, &setup, &mut |role, r| {
                if role == "teacher" {
                    teacher_losses.push(r.train_loss);
                }
            })
            .unwrap();
            let last = result.report.last();
            // `acc` holds the Pearson correlation, `loss` the mean squared error.
            assert!(
                last.test_acc > 0.9 && last.val_acc > 0.9,
                "{text}: {last:?}"
            );
            assert!(
                last.train_acc > 0.5 && last.test_loss < 0.2,
                "{text}: {last:?}"
            );
            assert_eq!(last.test_errors, 0);
            assert!(last.test_confusion.is_empty());
            assert_eq!(last.test_predictions.len(), 50);
            let predicted = tch::Tensor::from_slice(&last.test_predictions);
            let r = crate::train::pearson(&predicted, &data.test.y);
            assert!((r - last.test_acc).abs() < 1e-6, "{r} vs {last:?}");
            if let Some(first) = teacher_losses.first() {
                assert!(teacher_losses.last().unwrap() < first, "{teacher_losses:?}");
            }
        }
    }

    #[test]
    fn runs_that_reuse_one_training_share_its_name() {
        let spec = |name: &str| {
            let (_, table) = crate::method::builtin_method_tables()
                .into_iter()
                .find(|(n, _)| n == name)
                .unwrap();
            MethodSpec::from_table(name, &table).unwrap()
        };
        // One shared teacher: the teacher and KD runs of every seed wait for it.
        assert_eq!(
            shared_trainings(&spec("teacher"), 3, Some(0)),
            ["teacher seed 0 member 0"]
        );
        assert_eq!(
            shared_trainings(&spec("kd"), 4, Some(0)),
            ["teacher seed 0 member 0"]
        );
        assert_eq!(
            shared_trainings(&spec("kd"), 4, None),
            ["teacher seed 4 member 0"]
        );
        assert!(shared_trainings(&spec("student"), 4, Some(0)).is_empty());
        // Born-again generations start from the student alone of the same seed; both sides
        // of a co-training are one training.
        assert_eq!(
            shared_trainings(&spec("born_again"), 2, Some(0)),
            ["student seed 2"]
        );
        assert_eq!(
            shared_trainings(&spec("ctcd:small"), 1, None),
            shared_trainings(&spec("ctcd:large"), 1, None)
        );
        let multi = shared_trainings(&spec("multi_teacher"), 1, None);
        assert!(
            multi.len() > 1 && multi[0] == "teacher seed 1 member 0",
            "{multi:?}"
        );
    }

    #[test]
    fn a_shared_teacher_is_the_same_model_for_every_run_seed() {
        let teacher = method("regime = 'teacher'\nlosses.ce = {}");
        let shared = |seed| run_seeds(&teacher, None, seed, Some(3)).0.report;
        assert_eq!(shared(1), shared(2));
        assert_eq!(shared(1), run_seeds(&teacher, None, 3, None).0.report);
        let own = |seed| run_seeds(&teacher, None, seed, None).0.report;
        assert_ne!(own(1), own(2));
        // Students still differ by run seed.
        let kd = method("regime = 'one_way'\nlosses.kd = {}");
        let student = |seed| run_seeds(&kd, None, seed, Some(3)).0.report;
        assert_ne!(student(1), student(2));
    }

    #[test]
    fn each_regime_trains_the_models_it_names() {
        let (r, roles) = run(
            &method("regime = 'one_way'\nteachers = 3\nlosses.multi_kd = {}"),
            None,
        );
        assert_eq!(roles, ["teacher", "teacher2", "teacher3", ""]);
        assert_eq!(r.params_student, Some(4 * 2 + 4 + 2 * 4 + 2));
        let (r, roles) = run(
            &method("regime = 'self_distill'\ngenerations = 2\nlosses.kd = {}"),
            None,
        );
        assert_eq!(roles, ["gen0", "gen1", ""]);
        assert_eq!(r.params_student, r.params_teacher);
        let (r, roles) = run(
            &method("regime = 'weak_teacher'\nremap_init = true\nlosses.ce = {}\nlosses.kd = {}"),
            None,
        );
        assert_eq!(roles, ["weak_teacher", ""]);
        assert_eq!(r.params_student, Some(16 * 2 + 16 + 2 * 16 + 2));
        assert_eq!(r.params_teacher, Some(4 * 2 + 4 + 2 * 4 + 2));
        let last = r.report.last();
        assert!(last.test_acc > 0.8, "{last:?}");
        // The confusion matrix (asked for by the settings) agrees with the error count.
        let k = (last.test_confusion.len() as f64).sqrt() as usize;
        assert_eq!(k * k, last.test_confusion.len());
        assert!(k >= 2);
        let diagonal: u64 = (0..k).map(|i| last.test_confusion[i * k + i]).sum();
        let total: u64 = last.test_confusion.iter().sum();
        assert_eq!(total - diagonal, last.test_errors);
    }

    #[test]
    fn both_sides_of_a_co_training_share_one_training() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TeacherCache::new(dir.path());
        let small = method("regime = 'co_train'\nreport = 'small'\nlosses.ce = {}\nlosses.kd = {}");
        let large = method("regime = 'co_train'\nreport = 'large'\nlosses.ce = {}\nlosses.kd = {}");
        assert_eq!(small.signature, large.signature);
        let (s, roles) = run(&small, Some(&cache));
        assert_eq!(roles, ["", "peer"]);
        let (l, roles) = run(&large, Some(&cache));
        assert_eq!(roles, ["peer", ""]);
        let results = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("result-")
            })
            .count();
        assert_eq!(results, 1, "the second side is read from the cache");
        assert!(l.params_student > s.params_student);
        // Recomputed without the cache, the small side is the same (seeded) training.
        let (again, _) = run(&small, None);
        assert_eq!(again.report, s.report);
    }

    /// A student trained against `teacher` (live, or its precomputed logits) from a fixed
    /// initialisation and data order: every epoch's record.
    fn kd_student(
        teacher: &dyn Classifier,
        start: &nn::VarStore,
        precomputed: bool,
    ) -> Vec<EpochRecord> {
        let data = blobs();
        let settings = TrainSettings {
            epochs: 3,
            batch_size: 16,
            eval_batch_size: 64,
            optim: OptimSettings {
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
        let kd = method(
            "regime = 'one_way'\nlosses.ce = { weight = 0.1 }\nlosses.kd = { weight = 0.9 }",
        );
        let logits = crate::train::training_logits(teacher, &data.train, 64);
        assert_eq!(logits.size(), [200, 2]);
        // The same start every time: libtorch's generator is shared with the tests running
        // beside this one, so the student is not drawn here.
        let mut vs = nn::VarStore::new(Device::Cpu);
        let student = tiny(4)(&vs.root());
        vs.copy(start).unwrap();
        let learner = Learner {
            model: student.as_ref(),
            vs: &vs,
            method: &kd,
            teachers: vec![if precomputed {
                TeacherRef::Logits(&logits)
            } else {
                TeacherRef::Frozen(teacher)
            }],
        };
        let mut reports = train_together(
            vec![learner],
            &data,
            &settings,
            &mut stream(5, "o"),
            &mut |_, _| {},
        )
        .unwrap();
        reports.remove(0).epochs
    }

    #[test]
    fn precomputed_teacher_logits_train_like_the_live_teacher() {
        crate::seeding::seed_torch(3);
        let vs = nn::VarStore::new(Device::Cpu);
        let teacher = tiny(16)(&vs.root());
        let start = nn::VarStore::new(Device::Cpu);
        let _student = tiny(4)(&start.root());
        let (live, cached) = (
            kd_student(teacher.as_ref(), &start, false),
            kd_student(teacher.as_ref(), &start, true),
        );
        assert_eq!(live.len(), 3);
        for (a, b) in live.iter().zip(&cached) {
            assert!((a.train_loss - b.train_loss).abs() < 1e-5, "{a:?} vs {b:?}");
            assert!((a.val_loss - b.val_loss).abs() < 1e-5, "{a:?} vs {b:?}");
        }
        // The teacher matters: a different one gives a different training.
        crate::seeding::seed_torch(4);
        let other_path = vs.root() / "other";
        let other = tiny(16)(&other_path);
        let moved = kd_student(other.as_ref(), &start, true);
        assert!((moved[0].train_loss - live[0].train_loss).abs() > 1e-3);
    }

    #[test]
    fn teacher_logits_are_cached_next_to_the_teacher_and_safe_to_delete() {
        let logit_only = |name: &str| {
            let table = builtin_method_tables()
                .into_iter()
                .find(|(n, _)| n == name)
                .unwrap()
                .1;
            MethodSpec::from_table(name, &table)
                .unwrap()
                .teacher_logits_suffice()
        };
        for name in ["kd", "cont_kd", "dkd", "dwt", "multi_teacher", "student"] {
            assert!(logit_only(name), "{name}");
        }
        for name in ["ckd", "fitnet", "at"] {
            assert!(!logit_only(name), "{name}");
        }

        let dir = tempfile::tempdir().unwrap();
        let cache = TeacherCache::new(dir.path());
        let files = |suffix: &str| -> Vec<std::path::PathBuf> {
            let mut found: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.to_string_lossy().ends_with(suffix))
                .collect();
            found.sort();
            found
        };
        let kd = method(
            "regime = 'one_way'\nlosses.ce = { weight = 0.1 }\nlosses.kd = { weight = 0.9 }",
        );
        let reference = run(&kd, None).0.report;
        assert_eq!(run(&kd, Some(&cache)).0.report, reference);
        let logits = files(".logits.safetensors");
        assert_eq!(logits.len(), 1, "one teacher, one logits file");
        let stored = std::fs::read(&logits[0]).unwrap();
        // Another logit-only method of the seed reuses them.
        let cont = method("regime = 'one_way'\nlosses.cont_kd = {}");
        run(&cont, Some(&cache));
        assert_eq!(files(".logits.safetensors"), logits);
        assert_eq!(std::fs::read(&logits[0]).unwrap(), stored);
        // Stored logits are what the student learns from: zeroed ones change the training.
        let zeros = tch::Tensor::zeros([200, 2], (tch::Kind::Float, Device::Cpu));
        tch::Tensor::write_safetensors(&[("logits", &zeros)], &logits[0]).unwrap();
        assert_ne!(run(&kd, Some(&cache)).0.report, reference);
        // Deleted, damaged or of the wrong size: recomputed.
        std::fs::remove_file(&logits[0]).unwrap();
        assert_eq!(run(&kd, Some(&cache)).0.report, reference);
        assert_eq!(std::fs::read(&logits[0]).unwrap(), stored);
        std::fs::write(&logits[0], b"not a tensor").unwrap();
        assert_eq!(run(&kd, Some(&cache)).0.report, reference);
        let short = tch::Tensor::zeros([199, 2], (tch::Kind::Float, Device::Cpu));
        tch::Tensor::write_safetensors(&[("logits", &short)], &logits[0]).unwrap();
        assert_eq!(run(&kd, Some(&cache)).0.report, reference);
        assert_eq!(std::fs::read(&logits[0]).unwrap(), stored);
        // A teacher trained again discards the logits of the earlier training.
        tch::Tensor::write_safetensors(&[("logits", &zeros)], &logits[0]).unwrap();
        for weights in files(".safetensors") {
            if !weights.to_string_lossy().ends_with(".logits.safetensors") {
                std::fs::remove_file(weights).unwrap();
            }
        }
        assert_eq!(run(&kd, Some(&cache)).0.report, reference);
        assert_eq!(std::fs::read(&logits[0]).unwrap(), stored);
        // The whole cache is safe to delete.
        std::fs::remove_dir_all(dir.path()).unwrap();
        assert_eq!(run(&kd, Some(&cache)).0.report, reference);
    }
}
