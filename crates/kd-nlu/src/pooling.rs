//! Reducing a sequence of hidden states to one vector, and the task head on top.
use serde::{Deserialize, Serialize};
use tch::nn::{self, Module};
use tch::Tensor;

/// Mean of `hidden` `[batch, seq, dim]` over the positions where `mask` `[batch, seq]` is 1.
pub fn mean_pool(hidden: &Tensor, mask: &Tensor) -> Tensor {
    let mask = mask.to_kind(hidden.kind()).unsqueeze(-1);
    let sum = (hidden * &mask).sum_dim_intlist(1, false, hidden.kind());
    let count = mask
        .sum_dim_intlist(1, false, hidden.kind())
        .clamp_min(1e-9);
    sum / count
}

/// The first token's (`[CLS]`) vector of `hidden` `[batch, seq, dim]`.
pub fn cls_pool(hidden: &Tensor) -> Tensor {
    hidden.select(1, 0)
}

/// Scales each row of `x` `[batch, dim]` to unit L2 norm.
pub fn l2_normalize(x: &Tensor) -> Tensor {
    let norm = x.norm_scalaropt_dim(2.0, [-1], true).clamp_min(1e-12);
    x / norm
}

/// How a sequence is reduced to one vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    /// [`mean_pool`] over the attention mask.
    Mean,
    /// [`cls_pool`].
    Cls,
}

impl Pooling {
    /// Pools `hidden` `[batch, seq, dim]` with the attention mask.
    pub fn apply(self, hidden: &Tensor, mask: &Tensor) -> Tensor {
        match self {
            Pooling::Mean => mean_pool(hidden, mask),
            Pooling::Cls => cls_pool(hidden),
        }
    }
}

/// A classification (or, with one output, regression) head: pooling, dropout, linear.
/// Its linear layer is `classifier` under the path it is created in.
#[derive(Debug)]
pub struct ClassifierHead {
    classifier: nn::Linear,
    pooling: Pooling,
    dropout: f64,
}

impl ClassifierHead {
    /// `outputs` logits (1 for regression) from `hidden`-wide states.
    pub fn new(p: nn::Path, hidden: i64, outputs: i64, pooling: Pooling, dropout: f64) -> Self {
        ClassifierHead {
            classifier: crate::encoder::linear(&p / "classifier", hidden, outputs),
            pooling,
            dropout,
        }
    }

    /// Logits `[batch, outputs]` from the last hidden state and attention mask.
    pub fn forward(&self, hidden: &Tensor, mask: &Tensor, train: bool) -> Tensor {
        let pooled = self
            .pooling
            .apply(hidden, mask)
            .dropout(self.dropout, train);
        self.classifier.forward(&pooled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn head_outputs_logits() {
        let vs = nn::VarStore::new(Device::Cpu);
        let head = ClassifierHead::new(vs.root(), 8, 3, Pooling::Mean, 0.1);
        let hidden = Tensor::ones([2, 4, 8], (Kind::Float, Device::Cpu));
        let mask = Tensor::ones([2, 4], (Kind::Int64, Device::Cpu));
        assert_eq!(head.forward(&hidden, &mask, false).size(), [2, 3]);
        assert!(vs.variables().contains_key("classifier.weight"));
    }
}
