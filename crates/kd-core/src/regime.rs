//! Regimes for classification: how a method's models are built, trained together and scored.
use crate::data::Dataset;
use crate::method::{MethodSpec, Regime};
use crate::model::{count_parameters, Classifier};
use crate::seeding::{seed_torch, stream};
use crate::teacher_cache::TeacherCache;
use crate::train::{
    train_classifier, EpochRecord, TrainError, TrainJob, TrainReport, TrainSettings,
};
use tch::{nn, Device};

/// Builds a model's layers under a var-store path.
pub type ModelBuilder<'a> = &'a dyn Fn(&nn::Path) -> Box<dyn Classifier>;

/// What a classification task hands to a regime.
pub struct ClassificationSetup<'a> {
    /// The data, already on `device`.
    pub data: &'a Dataset,
    /// Training settings shared by teacher and student.
    pub settings: &'a TrainSettings,
    /// Where models live.
    pub device: Device,
    /// The run seed.
    pub seed: u64,
    /// Builds the teacher architecture.
    pub build_teacher: ModelBuilder<'a>,
    /// Builds the student architecture.
    pub build_student: ModelBuilder<'a>,
    /// Describes the teacher's architecture, data and training, for the teacher cache.
    pub teacher_key: String,
    /// Where trained teachers are kept (None: always train).
    pub cache: Option<&'a TeacherCache>,
}

/// The outcome of one method on one classification task.
#[derive(Debug)]
pub struct ClassificationResult {
    /// The report of the model the method is scored on.
    pub report: TrainReport,
    /// Trainable parameters of the student architecture (None when no student was trained).
    pub params_student: Option<u64>,
    /// Trainable parameters of the teacher architecture (None when no teacher was used).
    pub params_teacher: Option<u64>,
}

/// The objective teachers are trained with (the built-in `teacher` method: cross-entropy).
fn teacher_objective() -> MethodSpec {
    let table =
        toml::from_str("regime = 'teacher'\nlosses.ce = { weight = 1.0 }").expect("static TOML");
    MethodSpec::from_table("teacher", &table).expect("static method")
}

/// Trains (or loads from the cache) the teacher for this setup.
fn trained_teacher(
    setup: &ClassificationSetup,
    on_epoch: &mut dyn FnMut(&str, &EpochRecord),
) -> Result<(nn::VarStore, Box<dyn Classifier>, TrainReport), TrainError> {
    seed_torch(setup.seed.wrapping_add(0x7eac_0000));
    let mut vs = nn::VarStore::new(setup.device);
    let teacher = (setup.build_teacher)(&vs.root());
    let objective = teacher_objective();
    let mut trained = false;
    let mut train = |vs: &nn::VarStore| {
        trained = true;
        let mut rng = stream(setup.seed, "teacher-data-order");
        let job = TrainJob {
            model: teacher.as_ref(),
            vs,
            data: setup.data,
            settings: setup.settings,
            method: &objective,
            teacher: None,
        };
        train_classifier(job, &mut rng, &mut |r| on_epoch("teacher", r))
    };
    let key = format!("{}|seed={}", setup.teacher_key, setup.seed);
    let report = match setup.cache {
        Some(cache) => cache.get_or_train(&key, &mut vs, train)?,
        None => train(&vs)?,
    };
    if !trained {
        // Loaded from the cache: report its epochs as if it had just been trained.
        for record in &report.epochs {
            on_epoch("teacher", record);
        }
    }
    vs.freeze();
    Ok((vs, teacher, report))
}

/// Runs `method` on a classification setup. `on_epoch` receives the role (`teacher` or
/// `student`) and each epoch's record, for progress and learning curves.
pub fn run_classification(
    method: &MethodSpec,
    setup: &ClassificationSetup,
    on_epoch: &mut dyn FnMut(&str, &EpochRecord),
) -> Result<ClassificationResult, TrainError> {
    match method.regime {
        Regime::Teacher => {
            let (vs, _teacher, report) = trained_teacher(setup, on_epoch)?;
            Ok(ClassificationResult {
                report,
                params_student: None,
                params_teacher: Some(count_parameters(&vs)),
            })
        }
        Regime::Student | Regime::OneWay => {
            let teacher = if method.regime == Regime::OneWay {
                Some(trained_teacher(setup, on_epoch)?)
            } else {
                None
            };
            seed_torch(setup.seed);
            let vs = nn::VarStore::new(setup.device);
            let student = (setup.build_student)(&vs.root());
            let mut rng = stream(setup.seed, "student-data-order");
            let job = TrainJob {
                model: student.as_ref(),
                vs: &vs,
                data: setup.data,
                settings: setup.settings,
                method,
                teacher: teacher.as_ref().map(|(_, t, _)| t.as_ref()),
            };
            let report = train_classifier(job, &mut rng, &mut |r| on_epoch("student", r))?;
            Ok(ClassificationResult {
                report,
                params_student: Some(count_parameters(&vs)),
                params_teacher: teacher.as_ref().map(|(tvs, _, _)| count_parameters(tvs)),
            })
        }
    }
}
