//! The text classifier of text dataset distillation, as a pure function of explicit parameter
//! tensors over a frozen embedding table (Sucholutsky & Schonlau 2019, "Soft-Label Dataset
//! Distillation and Text Dataset Distillation", arXiv 1910.02551, section on text: sentences
//! are distilled as matrices of word embeddings, the embedding layer stays fixed).
//!
//! The network: a 1-D convolution of `filters` filters of `width` consecutive embeddings
//! (no padding) -> ReLU -> max over time -> linear to the classes (Kim 2014's sentence CNN
//! with one filter width). Weights Kaiming-uniform (bound sqrt(6 / fan_in)), biases uniform
//! within 1 / sqrt(fan_in), as tch's layers initialise them.
use crate::tokenize::PAD_ID;
use anyhow::{bail, Context};
use kd_core::distill_data::bilevel::FunctionalNet;
use std::path::Path;
use tch::nn::init::{init, Init, DEFAULT_KAIMING_UNIFORM};
use tch::{Device, Kind, Tensor};

/// The word-embedding table's name in a BERT checkpoint (a `bert.` prefix is accepted).
pub const WORD_EMBEDDINGS: &str = "embeddings.word_embeddings.weight";

/// A frozen embedding table in the space the network sees.
#[derive(Debug)]
pub struct Embeddings {
    /// `[vocab, dim]`: the checkpoint's word embeddings divided by `scale`, the `[PAD]` row
    /// zero (padding positions of real sentences are zero vectors).
    pub table: Tensor,
    /// The standard deviation of the checkpoint's table: network inputs are embeddings
    /// divided by it (entries of about unit size, like standard normal noise).
    pub scale: f64,
}

impl Embeddings {
    /// Reads the word embeddings of a BERT `model.safetensors` (MiniLM-L6's: 30,522 x 384).
    pub fn from_checkpoint(path: &Path, device: Device) -> anyhow::Result<Embeddings> {
        let tensors = Tensor::read_safetensors(path)
            .with_context(|| format!("{}: cannot read the safetensors", path.display()))?;
        let Some((_, raw)) = tensors
            .into_iter()
            .find(|(n, _)| n == WORD_EMBEDDINGS || n == &format!("bert.{WORD_EMBEDDINGS}"))
        else {
            bail!("{}: no tensor named {WORD_EMBEDDINGS}", path.display());
        };
        if raw.dim() != 2 {
            bail!(
                "{}: {WORD_EMBEDDINGS} has shape {:?}, expected [vocab, dim]",
                path.display(),
                raw.size()
            );
        }
        Ok(Embeddings::from_table(&raw.to_kind(Kind::Float), device))
    }

    /// Standardises `raw` (`[vocab, dim]`) and zeroes its `[PAD]` row.
    pub fn from_table(raw: &Tensor, device: Device) -> Embeddings {
        let scale = raw.std(true).double_value(&[]);
        let table = (raw / scale).to_device(device);
        let _ = table.get(PAD_ID).zero_();
        Embeddings { table, scale }
    }

    /// Width of an embedding.
    pub fn dim(&self) -> i64 {
        self.table.size()[1]
    }

    /// `[n, length]` token ids to `[n, length, dim]` embeddings.
    pub fn lookup(&self, ids: &Tensor) -> Tensor {
        let size = ids.size();
        self.table
            .index_select(0, &ids.flatten(0, -1))
            .view([size[0], size[1], self.dim()])
    }
}

/// The sentence CNN over frozen embeddings (see the module documentation).
#[derive(Debug)]
pub struct TextCnn {
    /// The frozen embeddings real sentences are looked up in.
    pub embeddings: Embeddings,
    /// Convolution filters.
    pub filters: i64,
    /// Embeddings each filter spans.
    pub width: i64,
    /// Classes predicted.
    pub classes: i64,
}

impl TextCnn {
    /// Number of trained parameters (the embeddings are frozen and not counted).
    pub fn param_count(&self) -> u64 {
        let dim = self.embeddings.dim();
        (self.filters * dim * self.width
            + self.filters
            + self.classes * self.filters
            + self.classes) as u64
    }
}

fn uniform(bound: f64, shape: &[i64], device: Device) -> Tensor {
    init(
        Init::Uniform {
            lo: -bound,
            up: bound,
        },
        shape,
        device,
    )
}

impl FunctionalNet for TextCnn {
    fn classes(&self) -> i64 {
        self.classes
    }

    fn init_params(&self, device: Device) -> Vec<Tensor> {
        let dim = self.embeddings.dim();
        let fan_conv = (dim * self.width) as f64;
        vec![
            init(
                DEFAULT_KAIMING_UNIFORM,
                &[self.filters, dim, self.width],
                device,
            ),
            uniform(1.0 / fan_conv.sqrt(), &[self.filters], device),
            init(
                DEFAULT_KAIMING_UNIFORM,
                &[self.classes, self.filters],
                device,
            ),
            uniform(1.0 / (self.filters as f64).sqrt(), &[self.classes], device),
        ]
    }

    /// Logits on `[n, length, dim]` embedded sentences.
    fn forward(&self, p: &[Tensor], inputs: &Tensor) -> Tensor {
        inputs
            .transpose(1, 2)
            .conv1d(&p[0], Some(&p[1]), [1], [0], [1], 1)
            .relu()
            .amax(-1, false)
            .linear(&p[2], Some(&p[3]))
    }

    /// `[n, length]` token ids to their embeddings.
    fn embed(&self, real: &Tensor) -> Tensor {
        self.embeddings.lookup(real)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net() -> TextCnn {
        tch::manual_seed(0);
        let raw = Tensor::randn([50, 8], (Kind::Float, Device::Cpu)) * 0.05;
        TextCnn {
            embeddings: Embeddings::from_table(&raw, Device::Cpu),
            filters: 6,
            width: 3,
            classes: 2,
        }
    }

    /// Shapes, frozen padding, and the convolution + max-pool computed by hand for one filter.
    #[test]
    fn the_cnn_pools_each_filter_over_time() {
        let net = net();
        assert!((net.embeddings.table.std(true).double_value(&[]) - 1.0).abs() < 0.05);
        assert_eq!(
            net.embeddings
                .table
                .get(PAD_ID)
                .abs()
                .sum(Kind::Float)
                .double_value(&[]),
            0.0
        );
        let ids = Tensor::from_slice(&[3i64, 7, 9, 11, 0, 0, 5, 6, 1, 2, 4, 8]).view([2, 6]);
        let x = net.embed(&ids);
        assert_eq!(x.size(), [2, 6, 8]);
        let p = net.init_params(Device::Cpu);
        let shapes: Vec<Vec<i64>> = p.iter().map(Tensor::size).collect();
        assert_eq!(shapes, [vec![6, 8, 3], vec![6], vec![2, 6], vec![2]]);
        assert_eq!(net.param_count(), 6 * 8 * 3 + 6 + 12 + 2);
        let logits = net.forward(&p, &x);
        assert_eq!(logits.size(), [2, 2]);
        // Sentence 0 by hand: filter f pools max over the 4 windows of relu(w_f . x + b_f).
        let hidden: Vec<f64> = (0..6)
            .map(|f| {
                (0..4)
                    .map(|t| {
                        let window = x.get(0).narrow(0, t, 3).transpose(0, 1);
                        ((p[0].get(f) * window).sum(Kind::Float) + p[1].get(f))
                            .relu()
                            .double_value(&[])
                    })
                    .fold(f64::NEG_INFINITY, f64::max)
            })
            .collect();
        let hidden = Tensor::from_slice(&hidden).to_kind(Kind::Float);
        let expected = hidden.linear(&p[2], Some(&p[3]));
        assert!(logits.get(0).allclose(&expected, 1e-5, 1e-5, false));
    }
}
