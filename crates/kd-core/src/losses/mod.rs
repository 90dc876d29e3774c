//! Distillation losses, chosen by name from a method's TOML (one registry for all of them).
//!
//! Each loss reads what it needs from [`LossInputs`] and returns a scalar tensor. A method is a
//! weighted sum of such terms (see [`crate::method`]).
mod attention;
mod contextual;
mod continuation;
mod cross_entropy;
mod dkd;
mod fitnet;
mod hinton;
mod isls;
mod multi_teacher;
mod regression;

pub use attention::{attention_map, attention_transfer_loss, AttentionTransfer};
pub use contextual::{
    layer_relation_losses, paired_layers, word_angle_loss, word_distance_loss,
    LayerTransformingRelation, WordRelation,
};
pub use continuation::{continuation_temperature, ContinuationKd};
pub use cross_entropy::CrossEntropy;
pub use dkd::{dkd_loss, Dkd};
pub use fitnet::{FitNet, HintRegressor};
pub use hinton::{hinton_kd_loss, HintonKd};
pub use isls::{isls_loss, isls_targets, InstanceSmoothing};
pub use multi_teacher::{multi_teacher_kd_loss, teacher_weights, MultiTeacherKd, TeacherWeighting};
pub use regression::squared_error;

use crate::model::Forward;
use crate::params::Params;
use std::collections::BTreeMap;
use std::sync::{LazyLock, RwLock};
use tch::{nn, Tensor};

/// Everything a loss term may look at for one batch.
pub struct LossInputs<'a> {
    /// The trained model's forward pass.
    pub student: &'a Forward,
    /// The teachers' forward passes (no gradient), first teacher first; empty when the
    /// regime has no teacher. A co-trained peer is the teacher of its partner.
    pub teachers: &'a [Forward],
    /// Ground-truth class indices (int64), or a regression's float targets (the models
    /// then have one output).
    pub targets: &'a Tensor,
    /// Fraction of training done, 0 at the first step and close to 1 at the last (for schedules).
    pub progress: f64,
}

impl LossInputs<'_> {
    /// True on a regression task: float targets, one output per example.
    pub fn is_regression(&self) -> bool {
        self.targets.is_floating_point()
    }

    /// The first (or only) teacher.
    pub fn teacher(&self) -> Option<&Forward> {
        self.teachers.first()
    }

    /// The first teacher; the method parser guarantees one for losses that need it.
    pub(crate) fn expect_teacher(&self, loss: &str) -> &Forward {
        self.teacher().unwrap_or_else(|| {
            panic!("the {loss} loss needs a teacher; the method parser checks the regime")
        })
    }
}

/// One loss term.
pub trait Loss: Send + Sync + std::fmt::Debug {
    /// True when the term needs the teacher's outputs.
    fn needs_teacher(&self) -> bool;
    /// True when the term reads nothing of the teacher but its logits (no features, no
    /// mask), so that logits computed once per training example can replace the teacher's
    /// forward pass on every batch (see [`crate::train::TeacherRef::Logits`]). False by
    /// default: a term that does not say so always sees the live teacher.
    fn teacher_logits_suffice(&self) -> bool {
        false
    }
    /// True when the term needs 4-D feature maps (convolutional models) from both models.
    fn needs_feature_maps(&self) -> bool {
        false
    }
    /// True when the term needs token representations (`batch x tokens x width` features
    /// with a token mask) from both models, i.e. sequence models.
    fn needs_token_features(&self) -> bool {
        false
    }
    /// Whether the term applies to a regression task (one output, float targets), or why
    /// not. Terms defined on class probabilities cannot; by default a term cannot.
    fn regression(&self) -> Result<(), String> {
        Err("it is defined on class probabilities, and a regression has one output".into())
    }
    /// Creates the term's own trainable parameters (e.g. FitNet's regressor) under `aux`,
    /// given one probe forward pass of the trained model and its teachers. Called once before
    /// training; the parameters are optimised with the model's.
    fn prepare(
        &self,
        _aux: &nn::Path,
        _student: &Forward,
        _teachers: &[Forward],
    ) -> Result<(), String> {
        Ok(())
    }
    /// The scalar loss for one batch.
    fn compute(&self, inputs: &LossInputs) -> Tensor;
}

/// Builds a loss from its parameters; unknown or mistyped parameters are errors.
pub type LossFactory = fn(&mut Params) -> Result<Box<dyn Loss>, String>;

static REGISTRY: LazyLock<RwLock<BTreeMap<String, (LossFactory, &'static str)>>> =
    LazyLock::new(|| {
        let mut map: BTreeMap<String, (LossFactory, &'static str)> = BTreeMap::new();
        map.insert(
            "ce".into(),
            (
                CrossEntropy::from_params,
                "cross-entropy with the true labels (optional label smoothing)",
            ),
        );
        map.insert(
            "kd".into(),
            (
                HintonKd::from_params,
                "Hinton KD: T^2 KL(teacher || student) at temperature T",
            ),
        );
        map.insert(
            "dkd".into(),
            (
                Dkd::from_params,
                "decoupled KD: alpha T^2 TCKD + beta T^2 NCKD, with warm-up",
            ),
        );
        map.insert(
            "at".into(),
            (
                AttentionTransfer::from_params,
                "attention transfer between paired conv feature maps",
            ),
        );
        map.insert(
            "fitnet".into(),
            (
                FitNet::from_params,
                "FitNet hint: MSE between a regressed student feature and the teacher's",
            ),
        );
        map.insert(
            "isls".into(),
            (
                InstanceSmoothing::from_params,
                "instance-specific label smoothing from the model's own detached predictions",
            ),
        );
        map.insert(
            "cont_kd".into(),
            (
                ContinuationKd::from_params,
                "Continuation-KD: KD whose temperature anneals from smooth to sharp",
            ),
        );
        map.insert(
            "multi_kd".into(),
            (
                MultiTeacherKd::from_params,
                "KD from several teachers, averaged or weighted per example by confidence",
            ),
        );
        map.insert(
            "ckd_wr".into(),
            (
                WordRelation::from_params,
                "CKD word relation: token distances and local angles within layers",
            ),
        );
        map.insert(
            "ckd_ltr".into(),
            (
                LayerTransformingRelation::from_params,
                "CKD layer-transforming relation: distances and angles of a token across layers",
            ),
        );
        RwLock::new(map)
    });

/// Registers a loss under `name` (replacing any loss of that name), for library users.
pub fn register_loss(name: &str, factory: LossFactory, description: &'static str) {
    REGISTRY
        .write()
        .expect("loss registry poisoned")
        .insert(name.to_string(), (factory, description));
}

/// Builds the loss `name` from `params`.
pub fn build_loss(name: &str, params: &mut Params) -> Result<Box<dyn Loss>, String> {
    let factory = {
        let registry = REGISTRY.read().expect("loss registry poisoned");
        match registry.get(name) {
            Some((factory, _)) => *factory,
            None => {
                let known: Vec<&str> = registry.keys().map(String::as_str).collect();
                return Err(format!(
                    "unknown loss '{name}'; known losses: {}",
                    known.join(", ")
                ));
            }
        }
    };
    let loss = factory(params)?;
    params.finish()?;
    Ok(loss)
}

/// Names and descriptions of the registered losses.
pub fn known_losses() -> Vec<(String, &'static str)> {
    REGISTRY
        .read()
        .expect("loss registry poisoned")
        .iter()
        .map(|(name, (_, description))| (name.clone(), *description))
        .collect()
}
