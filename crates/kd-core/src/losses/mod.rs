//! Distillation losses, chosen by name from a method's TOML (one registry for all of them).
//!
//! Each loss reads what it needs from [`LossInputs`] and returns a scalar tensor. A method is a
//! weighted sum of such terms (see [`crate::method`]).
mod attention;
mod cross_entropy;
mod dkd;
mod hinton;

pub use attention::{attention_map, attention_transfer_loss, AttentionTransfer};
pub use cross_entropy::CrossEntropy;
pub use dkd::{dkd_loss, Dkd};
pub use hinton::{hinton_kd_loss, HintonKd};

use crate::model::Forward;
use crate::params::Params;
use std::collections::BTreeMap;
use std::sync::{LazyLock, RwLock};
use tch::Tensor;

/// Everything a loss term may look at for one batch.
pub struct LossInputs<'a> {
    /// The trained model's forward pass.
    pub student: &'a Forward,
    /// The teacher's forward pass (no gradient), when the regime has a teacher.
    pub teacher: Option<&'a Forward>,
    /// Ground-truth class indices (int64).
    pub targets: &'a Tensor,
    /// Fraction of training done, 0 at the first step and close to 1 at the last (for schedules).
    pub progress: f64,
}

/// One loss term.
pub trait Loss: Send + Sync + std::fmt::Debug {
    /// True when the term needs the teacher's outputs.
    fn needs_teacher(&self) -> bool;
    /// True when the term needs 4-D feature maps (convolutional models) from both models.
    fn needs_feature_maps(&self) -> bool {
        false
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
