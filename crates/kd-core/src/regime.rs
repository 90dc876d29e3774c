//! Regimes for classification: how a method's models are built, trained together and scored.
use crate::data::Dataset;
use crate::method::{MethodSpec, Regime, Side};
use crate::model::{count_parameters, Classifier};
use crate::remap::remap_parameters;
use crate::seeding::{seed_torch, stream};
use crate::teacher_cache::TeacherCache;
use crate::train::{
    train_classifier, train_together, EpochRecord, Learner, TeacherRef, TrainError, TrainJob,
    TrainReport, TrainSettings,
};
use serde::{Deserialize, Serialize};
use tch::{nn, Device};

/// Builds a model's layers under a var-store path.
pub type ModelBuilder<'a> = &'a dyn Fn(&nn::Path) -> Box<dyn Classifier>;

/// What a classification task hands to a regime.
pub struct ClassificationSetup<'a> {
    /// The data, already on `device`.
    pub data: &'a Dataset,
    /// Training settings shared by every model.
    pub settings: &'a TrainSettings,
    /// Where models live.
    pub device: Device,
    /// The run seed.
    pub seed: u64,
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

/// A trained, frozen model.
struct Frozen {
    vs: nn::VarStore,
    model: Box<dyn Classifier>,
    report: TrainReport,
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
    seed_torch(setup.seed.wrapping_add(0x7eac_0000 + member * 0x1_0000));
    let mut vs = nn::VarStore::new(setup.device);
    let (build, key) = match arch {
        Arch::Teacher => (setup.build_teacher, &setup.teacher_key),
        Arch::Student => (setup.build_student, &setup.student_key),
    };
    let model = build(&vs.root());
    let objective = cross_entropy_objective();
    let order = match member {
        0 => "teacher-data-order".to_string(),
        m => format!("teacher-data-order-{m}"),
    };
    let mut trained = false;
    let mut train = |vs: &nn::VarStore| {
        trained = true;
        let mut rng = stream(setup.seed, &order);
        let job = TrainJob {
            model: model.as_ref(),
            vs,
            data: setup.data,
            settings: setup.settings,
            method: &objective,
            teachers: vec![],
        };
        train_classifier(job, &mut rng, &mut |r| on_epoch(role, r))
    };
    let key = match member {
        0 => format!("{key}|seed={}", setup.seed),
        m => format!("{key}|seed={}|member={m}", setup.seed),
    };
    let report = match setup.cache {
        Some(cache) => cache.get_or_train(&key, &mut vs, train)?,
        None => train(&vs)?,
    };
    if !trained {
        // Loaded from the cache: report its epochs as if it had just been trained.
        for record in &report.epochs {
            on_epoch(role, record);
        }
    }
    vs.freeze();
    Ok(Frozen { vs, model, report })
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
) -> Result<(TrainReport, u64, Box<dyn Classifier>, nn::VarStore), TrainError> {
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
    let job = TrainJob {
        model: model.as_ref(),
        vs: &vs,
        data: setup.data,
        settings: setup.settings,
        method,
        teachers: teachers.iter().map(|t| t.model.as_ref()).collect(),
    };
    let report = train_classifier(job, &mut rng, &mut |r| on_epoch(role, r))?;
    let params = count_parameters(&vs);
    Ok((report, params, model, vs))
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
        Ok(CoTrained {
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
        Regime::Student => {
            let (report, params, _, _) = distil(
                setup,
                method,
                Arch::Student,
                &[],
                seed,
                "student-data-order",
                None,
                "",
                on_epoch,
            )?;
            Ok(ClassificationResult {
                report,
                params_student: Some(params),
                params_teacher: None,
            })
        }
        Regime::OneWay { teachers } => {
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
            let (report, params, _, _) = distil(
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
                report,
                params_student: Some(params),
                params_teacher: Some(count_parameters(&frozen[0].vs)),
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
                let (report, _, model, mut vs) = distil(
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
                vs.freeze();
                previous = Frozen { vs, model, report };
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
            let (report, params, _, _) = distil(
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
                report,
                params_student: Some(params),
                params_teacher: Some(count_parameters(&weak.vs)),
            })
        }
        Regime::CoTrain { report } => co_train(method, setup, report, on_epoch),
    }
}
