//! The model interface the core trains: a classifier returning logits and its features.
use tch::Tensor;

/// What one forward pass exposes to the losses.
#[derive(Debug)]
pub struct Forward {
    /// Unnormalised class scores, batch x classes.
    pub logits: Tensor,
    /// Intermediate representations (e.g. hidden activations), shallow to deep, for feature
    /// and relation losses. May be empty.
    pub features: Vec<Tensor>,
    /// For sequence models: which positions of the `batch x tokens x width` features are real
    /// tokens (1) rather than padding (0), `batch x tokens`. `None` for other models.
    pub mask: Option<Tensor>,
}

/// A trainable classifier. Implementations live in the domain crates' model zoos.
pub trait Classifier: Send {
    /// Runs the model; `train` switches dropout and batch-norm to training behaviour.
    fn forward(&self, xs: &Tensor, train: bool) -> Forward;
}

/// Number of trainable scalar parameters of the model in a var store (a loss's own
/// parameters, kept under [`crate::train::AUX_PREFIX`], are not the model's).
pub fn count_parameters(vs: &tch::nn::VarStore) -> u64 {
    let aux = format!("{}.", crate::train::AUX_PREFIX);
    let total: u64 = vs
        .trainable_variables()
        .iter()
        .map(|t| t.numel() as u64)
        .sum();
    let aux_total: u64 = vs
        .variables()
        .iter()
        .filter(|(name, _)| name.starts_with(&aux))
        .map(|(_, t)| t.numel() as u64)
        .sum();
    total - aux_total
}
