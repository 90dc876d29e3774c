//! A BERT-compatible encoder on tch, laid out like Hugging Face's `BertModel` so that the
//! variable names match the checkpoint's (`embeddings.word_embeddings.weight`,
//! `encoder.layer.{i}.attention.self.query.weight`, ...).
//!
//! Post-LN transformer layers with exact (erf) GELU; the forward pass returns every hidden
//! state and every attention probability map, which contextual distillation needs.
//! Pooling and heads are in [`crate::pooling`], checkpoint loading in [`crate::weights`].
use anyhow::{bail, Context};
use serde::Deserialize;
use std::path::Path;
use tch::nn::{self, Module};
use tch::{Kind, Tensor};

/// The activation between the intermediate and output dense layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Activation {
    /// Exact GELU, `x * Phi(x)` with the erf (HF `gelu`).
    #[serde(rename = "gelu")]
    Gelu,
    /// The tanh approximation of GELU (HF `gelu_new`).
    #[serde(rename = "gelu_new", alias = "gelu_pytorch_tanh")]
    GeluTanh,
    /// ReLU.
    #[serde(rename = "relu")]
    Relu,
}

impl Activation {
    fn apply(self, x: &Tensor) -> Tensor {
        match self {
            Activation::Gelu => x.gelu("none"),
            Activation::GeluTanh => x.gelu("tanh"),
            Activation::Relu => x.relu(),
        }
    }
}

/// A BERT configuration; deserialises Hugging Face's `config.json` (unknown keys ignored).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BertConfig {
    /// Vocabulary size.
    pub vocab_size: i64,
    /// Width of every hidden state.
    pub hidden_size: i64,
    /// Number of transformer layers.
    pub num_hidden_layers: i64,
    /// Attention heads per layer; must divide `hidden_size`.
    pub num_attention_heads: i64,
    /// Width of the feed-forward block.
    pub intermediate_size: i64,
    /// Feed-forward activation.
    #[serde(default = "default_act")]
    pub hidden_act: Activation,
    /// Dropout on embeddings and sublayer outputs (training only).
    #[serde(default = "default_dropout")]
    pub hidden_dropout_prob: f64,
    /// Dropout on attention probabilities (training only).
    #[serde(default = "default_dropout")]
    pub attention_probs_dropout_prob: f64,
    /// Number of learned positions (longest input).
    #[serde(default = "default_positions")]
    pub max_position_embeddings: i64,
    /// Number of segment types.
    #[serde(default = "default_types")]
    pub type_vocab_size: i64,
    /// LayerNorm epsilon.
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
}

fn default_act() -> Activation {
    Activation::Gelu
}
fn default_dropout() -> f64 {
    0.1
}
fn default_positions() -> i64 {
    512
}
fn default_types() -> i64 {
    2
}
fn default_eps() -> f64 {
    1e-12
}

impl BertConfig {
    /// Reads a Hugging Face `config.json`.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        let config: BertConfig = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a BERT config", path.display()))?;
        config
            .validate()
            .with_context(|| format!("{}: bad BERT config", path.display()))?;
        Ok(config)
    }

    /// Checks that the sizes are positive and the heads divide the hidden size.
    pub fn validate(&self) -> anyhow::Result<()> {
        let sizes = [
            ("vocab_size", self.vocab_size),
            ("hidden_size", self.hidden_size),
            ("num_attention_heads", self.num_attention_heads),
            ("intermediate_size", self.intermediate_size),
            ("max_position_embeddings", self.max_position_embeddings),
            ("type_vocab_size", self.type_vocab_size),
        ];
        for (name, value) in sizes {
            if value <= 0 {
                bail!("{name} must be positive, got {value}");
            }
        }
        if self.num_hidden_layers < 0 {
            bail!("num_hidden_layers must not be negative");
        }
        if self.hidden_size % self.num_attention_heads != 0 {
            bail!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                self.hidden_size,
                self.num_attention_heads
            );
        }
        Ok(())
    }

    /// The same configuration with `n` layers (for a student built from some of them).
    pub fn with_layers(&self, n: usize) -> BertConfig {
        BertConfig {
            num_hidden_layers: n as i64,
            ..self.clone()
        }
    }
}

pub(crate) fn linear(p: nn::Path, input: i64, output: i64) -> nn::Linear {
    nn::linear(p, input, output, Default::default())
}

fn layer_norm(p: nn::Path, config: &BertConfig) -> nn::LayerNorm {
    nn::layer_norm(
        p,
        vec![config.hidden_size],
        nn::LayerNormConfig {
            eps: config.layer_norm_eps,
            ..Default::default()
        },
    )
}

/// Word, position and token type embeddings, summed and normalised.
#[derive(Debug)]
pub struct BertEmbeddings {
    word_embeddings: nn::Embedding,
    position_embeddings: nn::Embedding,
    token_type_embeddings: nn::Embedding,
    layer_norm: nn::LayerNorm,
    dropout: f64,
}

impl BertEmbeddings {
    /// Creates the variables under `p` (`word_embeddings`, ..., `LayerNorm`).
    pub fn new(p: nn::Path, config: &BertConfig) -> Self {
        let embedding = |name: &str, n: i64| {
            nn::embedding(&p / name, n, config.hidden_size, Default::default())
        };
        BertEmbeddings {
            word_embeddings: embedding("word_embeddings", config.vocab_size),
            position_embeddings: embedding("position_embeddings", config.max_position_embeddings),
            token_type_embeddings: embedding("token_type_embeddings", config.type_vocab_size),
            layer_norm: layer_norm(&p / "LayerNorm", config),
            dropout: config.hidden_dropout_prob,
        }
    }

    /// `[batch, seq]` ids and token types to `[batch, seq, hidden]`.
    pub fn forward(&self, input_ids: &Tensor, token_type_ids: &Tensor, train: bool) -> Tensor {
        let seq = input_ids.size()[1];
        let positions = Tensor::arange(seq, (Kind::Int64, input_ids.device())).unsqueeze(0);
        let sum = self.word_embeddings.forward(input_ids)
            + self.position_embeddings.forward(&positions)
            + self.token_type_embeddings.forward(token_type_ids);
        self.layer_norm.forward(&sum).dropout(self.dropout, train)
    }
}

/// Multi-head self-attention (`attention.self`).
#[derive(Debug)]
pub struct BertSelfAttention {
    query: nn::Linear,
    key: nn::Linear,
    value: nn::Linear,
    num_heads: i64,
    head_dim: i64,
    dropout: f64,
}

impl BertSelfAttention {
    /// Creates `query`, `key` and `value` under `p`.
    pub fn new(p: nn::Path, config: &BertConfig) -> Self {
        let h = config.hidden_size;
        BertSelfAttention {
            query: linear(&p / "query", h, h),
            key: linear(&p / "key", h, h),
            value: linear(&p / "value", h, h),
            num_heads: config.num_attention_heads,
            head_dim: h / config.num_attention_heads,
            dropout: config.attention_probs_dropout_prob,
        }
    }

    /// Returns the context `[batch, seq, hidden]` and the attention probabilities
    /// `[batch, heads, seq, seq]` (before dropout). `mask_bias` is added to the scores.
    pub fn forward(&self, x: &Tensor, mask_bias: &Tensor, train: bool) -> (Tensor, Tensor) {
        let (b, t) = (x.size()[0], x.size()[1]);
        let heads = |l: &nn::Linear| {
            l.forward(x)
                .view([b, t, self.num_heads, self.head_dim])
                .transpose(1, 2)
        };
        let (q, k, v) = (heads(&self.query), heads(&self.key), heads(&self.value));
        let scores = q.matmul(&k.transpose(-1, -2)) / (self.head_dim as f64).sqrt() + mask_bias;
        let probs = scores.softmax(-1, Kind::Float);
        let context = probs
            .dropout(self.dropout, train)
            .matmul(&v)
            .transpose(1, 2)
            .contiguous()
            .view([b, t, self.num_heads * self.head_dim]);
        (context, probs)
    }
}

/// A dense projection, dropout, residual and LayerNorm (`attention.output` and `output`).
#[derive(Debug)]
pub struct BertResidual {
    dense: nn::Linear,
    layer_norm: nn::LayerNorm,
    dropout: f64,
}

impl BertResidual {
    /// Creates `dense` (`input` to hidden) and `LayerNorm` under `p`.
    pub fn new(p: nn::Path, input: i64, config: &BertConfig) -> Self {
        BertResidual {
            dense: linear(&p / "dense", input, config.hidden_size),
            layer_norm: layer_norm(&p / "LayerNorm", config),
            dropout: config.hidden_dropout_prob,
        }
    }

    /// `LayerNorm(dropout(dense(x)) + residual)`.
    pub fn forward(&self, x: &Tensor, residual: &Tensor, train: bool) -> Tensor {
        let y = self.dense.forward(x).dropout(self.dropout, train);
        self.layer_norm.forward(&(y + residual))
    }
}

/// One post-LN transformer layer (`encoder.layer.{i}`).
#[derive(Debug)]
pub struct BertLayer {
    attention: BertSelfAttention,
    attention_output: BertResidual,
    intermediate: nn::Linear,
    output: BertResidual,
    activation: Activation,
}

impl BertLayer {
    /// Creates the layer's variables under `p`.
    pub fn new(p: nn::Path, config: &BertConfig) -> Self {
        BertLayer {
            attention: BertSelfAttention::new(&p / "attention" / "self", config),
            attention_output: BertResidual::new(
                &p / "attention" / "output",
                config.hidden_size,
                config,
            ),
            intermediate: linear(
                &p / "intermediate" / "dense",
                config.hidden_size,
                config.intermediate_size,
            ),
            output: BertResidual::new(&p / "output", config.intermediate_size, config),
            activation: config.hidden_act,
        }
    }

    /// Returns the layer's output and its attention probabilities.
    pub fn forward(&self, x: &Tensor, mask_bias: &Tensor, train: bool) -> (Tensor, Tensor) {
        let (context, probs) = self.attention.forward(x, mask_bias, train);
        let x = self.attention_output.forward(&context, x, train);
        let inner = self.activation.apply(&self.intermediate.forward(&x));
        (self.output.forward(&inner, &x, train), probs)
    }
}

/// Everything the encoder computes.
#[derive(Debug)]
pub struct EncoderOutput {
    /// The embedding output followed by every layer's output: `layers + 1` tensors of
    /// `[batch, seq, hidden]`.
    pub hidden_states: Vec<Tensor>,
    /// Every layer's attention probabilities, `[batch, heads, seq, seq]`.
    pub attentions: Vec<Tensor>,
}

impl EncoderOutput {
    /// The last layer's output `[batch, seq, hidden]`.
    pub fn last_hidden_state(&self) -> &Tensor {
        self.hidden_states
            .last()
            .expect("hidden_states always holds the embeddings")
    }
}

/// A BERT encoder without the pooler (`embeddings` + `encoder.layer.*`).
#[derive(Debug)]
pub struct BertModel {
    embeddings: BertEmbeddings,
    layers: Vec<BertLayer>,
    config: BertConfig,
}

impl BertModel {
    /// Creates the model's variables under `p` with the checkpoint's names.
    pub fn new(p: nn::Path, config: &BertConfig) -> Self {
        let layer = &p / "encoder" / "layer";
        BertModel {
            embeddings: BertEmbeddings::new(&p / "embeddings", config),
            layers: (0..config.num_hidden_layers)
                .map(|i| BertLayer::new(&layer / i, config))
                .collect(),
            config: config.clone(),
        }
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &BertConfig {
        &self.config
    }

    /// Encodes `[batch, seq]` ids. Token types default to 0 and the mask (1 for tokens,
    /// 0 for padding) to all ones. Dropout is active when `train`.
    pub fn forward(
        &self,
        input_ids: &Tensor,
        token_type_ids: Option<&Tensor>,
        attention_mask: Option<&Tensor>,
        train: bool,
    ) -> EncoderOutput {
        let zeros;
        let token_type_ids = match token_type_ids {
            Some(t) => t,
            None => {
                zeros = input_ids.zeros_like();
                &zeros
            }
        };
        let mask_bias = match attention_mask {
            // [batch, 1, 1, seq]: 0 where attended, the lowest float where masked.
            Some(mask) => {
                (mask.to_kind(Kind::Float) - 1.0).unsqueeze(1).unsqueeze(1) * f64::from(f32::MAX)
            }
            None => Tensor::zeros([1], (Kind::Float, input_ids.device())),
        };
        let mut hidden = self.embeddings.forward(input_ids, token_type_ids, train);
        let mut hidden_states = Vec::with_capacity(self.layers.len() + 1);
        let mut attentions = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let (next, probs) = layer.forward(&hidden, &mask_bias, train);
            hidden_states.push(std::mem::replace(&mut hidden, next));
            attentions.push(probs);
        }
        hidden_states.push(hidden);
        EncoderOutput {
            hidden_states,
            attentions,
        }
    }
}

#[cfg(test)]
/// A 3-layer, 8-wide configuration for tests.
pub(crate) fn tiny_config() -> BertConfig {
    serde_json::from_str(
        r#"{"vocab_size": 20, "hidden_size": 8, "num_hidden_layers": 3,
            "num_attention_heads": 2, "intermediate_size": 16,
            "max_position_embeddings": 16, "layer_norm_eps": 1e-12,
            "hidden_act": "gelu", "architectures": ["BertModel"]}"#,
    )
    .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pooling::{cls_pool, l2_normalize, mean_pool};
    use tch::Device;

    fn tiny() -> BertConfig {
        tiny_config()
    }

    #[test]
    fn config_reads_hf_keys_and_rejects_bad_heads() {
        let c = tiny();
        assert_eq!((c.hidden_size, c.type_vocab_size), (8, 2));
        assert_eq!(c.hidden_act, Activation::Gelu);
        c.validate().unwrap();
        let bad = BertConfig {
            num_attention_heads: 3,
            ..c.clone()
        };
        assert!(bad.validate().unwrap_err().to_string().contains("multiple"));
        assert_eq!(c.with_layers(1).num_hidden_layers, 1);
    }

    #[test]
    fn variable_names_match_the_hf_checkpoint() {
        let vs = nn::VarStore::new(Device::Cpu);
        let _model = BertModel::new(vs.root(), &tiny());
        let names: std::collections::BTreeSet<String> = vs.variables().into_keys().collect();
        for name in [
            "embeddings.word_embeddings.weight",
            "embeddings.position_embeddings.weight",
            "embeddings.token_type_embeddings.weight",
            "embeddings.LayerNorm.weight",
            "embeddings.LayerNorm.bias",
            "encoder.layer.2.attention.self.query.weight",
            "encoder.layer.2.attention.self.value.bias",
            "encoder.layer.0.attention.output.dense.weight",
            "encoder.layer.0.attention.output.LayerNorm.bias",
            "encoder.layer.1.intermediate.dense.weight",
            "encoder.layer.1.output.dense.bias",
            "encoder.layer.1.output.LayerNorm.weight",
        ] {
            assert!(names.contains(name), "{name} not in {names:?}");
        }
        assert_eq!(names.len(), 5 + 3 * 16);
        let w = &vs.variables()["encoder.layer.1.intermediate.dense.weight"];
        assert_eq!(w.size(), [16, 8]);
    }

    #[test]
    fn forward_shapes_and_masking() {
        tch::manual_seed(0);
        let vs = nn::VarStore::new(Device::Cpu);
        let model = BertModel::new(vs.root(), &tiny());
        let ids = Tensor::from_slice(&[1i64, 5, 6, 2, 1, 7, 2, 0]).view([2, 4]);
        let mask = Tensor::from_slice(&[1i64, 1, 1, 1, 1, 1, 1, 0]).view([2, 4]);
        let out = model.forward(&ids, None, Some(&mask), false);
        assert_eq!(out.hidden_states.len(), 4);
        assert_eq!(out.attentions.len(), 3);
        assert_eq!(out.last_hidden_state().size(), [2, 4, 8]);
        assert_eq!(out.attentions[0].size(), [2, 2, 4, 4]);
        // Probabilities sum to one and give no weight to the padding key.
        let sums = out.attentions[1].sum_dim_intlist(-1, false, Kind::Float);
        assert!((sums - 1.0).abs().max().double_value(&[]) < 1e-5);
        let pad = out.attentions[2].get(1).select(-1, 3);
        assert!(pad.abs().max().double_value(&[]) < 1e-12);
        // The padded sequence encodes as it does alone.
        let alone = model.forward(&ids.get(1).narrow(0, 0, 3).unsqueeze(0), None, None, false);
        let pooled = mean_pool(out.last_hidden_state(), &mask).get(1);
        let single = alone
            .last_hidden_state()
            .mean_dim(1, false, Kind::Float)
            .get(0);
        assert!((pooled - single).abs().max().double_value(&[]) < 1e-5);
        let unit = l2_normalize(&cls_pool(out.last_hidden_state()));
        let norms = unit.norm_scalaropt_dim(2.0, [-1], false);
        assert!((norms - 1.0).abs().max().double_value(&[]) < 1e-5);
    }
}
