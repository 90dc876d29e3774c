//! The files a text distillation run writes into its artifact folder.
//!
//! - `distilled.safetensors`: `embeddings` (`[n, seq_len, dim]` float32, in the units of the
//!   checkpoint's word-embedding table, so rows can be compared with MiniLM's vocabulary),
//!   `labels` (`[n, classes]`, each row the sentence's target weights: a distribution with
//!   `label_param = "softmax"`, one-hot for hard labels) and `step_sizes` (`[inner_steps]`).
//! - `distilled.txt`: per sentence its label weights and, for each of its embeddings,
//!   the nearest vocabulary tokens by cosine similarity (the readout Sucholutsky & Schonlau
//!   show for their distilled sentences).
use super::net::Embeddings;
use anyhow::Context;
use kd_core::distill_data::bilevel::SyntheticSet;
use std::fmt::Write as _;
use std::path::Path;
use tch::{Device, Kind, Tensor};

pub use kd_core::distill_data::file::DATA_FILE;
use kd_core::distill_data::file::{self, Layout};

/// The name of the nearest-token readout in a run's artifact folder.
pub const TEXT_FILE: &str = "distilled.txt";

/// The inputs' name in a text task's `distilled.safetensors` (`[n, length, dim]`: any
/// length, the embeddings' width).
const INPUTS: &str = "embeddings";

/// Writes `set` (embeddings in the standardised space of `emb`) to `path` in checkpoint units.
pub fn save(set: &SyntheticSet, emb: &Embeddings, path: &Path) -> anyhow::Result<()> {
    let layout = Layout {
        inputs: INPUTS,
        shape: &[None, Some(emb.dim())],
        classes: set.labels.size()[1],
    };
    file::save(set, &(&set.inputs * emb.scale), layout, path)
}

/// Reads a file written by [`save`] with labels over `classes`; with `emb`, the embeddings
/// must be as wide as its and come back in its standardised space (without, the file is
/// only checked). Errors name the file and what is wrong with it.
pub fn load(
    path: &Path,
    emb: Option<&Embeddings>,
    classes: i64,
    device: Device,
) -> Result<SyntheticSet, String> {
    let layout = Layout {
        inputs: INPUTS,
        shape: &[None, emb.map(Embeddings::dim)],
        classes,
    };
    let mut set = file::load(path, layout, device)?;
    if let Some(emb) = emb {
        set.inputs /= emb.scale;
    }
    Ok(set)
}

/// Reads a `vocab.txt` (one token a line, line i = token id i).
pub fn read_vocab(path: &Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the vocabulary", path.display()))?;
    Ok(text.lines().map(str::to_string).collect())
}

/// The nearest tokens of one embedding.
#[derive(Debug, Clone, PartialEq)]
pub struct Nearest {
    /// The `k` nearest tokens, nearest first (empty for a near-zero vector).
    pub tokens: Vec<String>,
    /// Cosine similarity to the nearest.
    pub cosine: f64,
}

/// For each embedding of `inputs` (`[n, length, dim]`, standardised space), the `k` nearest
/// tokens of `vocab` by cosine similarity, skipping bracketed special tokens (`[PAD]`,
/// `[unused7]`, ...). Vectors shorter than a quarter of the mean token's length (padding of
/// real sentences) get no tokens.
pub fn nearest_tokens(
    inputs: &Tensor,
    emb: &Embeddings,
    vocab: &[String],
    k: usize,
) -> Vec<Vec<Nearest>> {
    tch::no_grad(|| {
        let size = inputs.size();
        let (n, len) = (size[0], size[1]);
        let flat = inputs
            .to_device(emb.table.device())
            .to_kind(Kind::Float)
            .reshape([n * len, -1]);
        let norms = flat.square().sum_dim_intlist(-1, false, Kind::Float).sqrt();
        let table_norms = emb
            .table
            .square()
            .sum_dim_intlist(-1, false, Kind::Float)
            .sqrt();
        let floor = 0.25 * table_norms.mean(Kind::Float).double_value(&[]);
        let special: Vec<f32> = (0..emb.table.size()[0] as usize)
            .map(|i| match vocab.get(i) {
                Some(t) if !(t.starts_with('[') && t.ends_with(']')) => 0.0,
                _ => f32::NEG_INFINITY,
            })
            .collect();
        let cos = flat.matmul(&emb.table.transpose(0, 1))
            / (norms.unsqueeze(1) * table_norms.unsqueeze(0)).clamp_min(1e-12)
            + Tensor::from_slice(&special)
                .to_device(flat.device())
                .unsqueeze(0);
        let (values, indices) = cos.topk(k as i64, -1, true, true);
        let values = Vec::<f32>::try_from(values.select(1, 0).to_device(Device::Cpu))
            .expect("float cosines");
        let indices = Vec::<i64>::try_from(indices.reshape([-1]).to_device(Device::Cpu))
            .expect("token indices");
        let norms = Vec::<f32>::try_from(norms.to_device(Device::Cpu)).expect("float norms");
        (0..n as usize)
            .map(|i| {
                (0..len as usize)
                    .map(|t| {
                        let at = i * len as usize + t;
                        if (norms[at] as f64) < floor {
                            return Nearest {
                                tokens: vec![],
                                cosine: 0.0,
                            };
                        }
                        Nearest {
                            tokens: indices[at * k..(at + 1) * k]
                                .iter()
                                .map(|&j| vocab[j as usize].clone())
                                .collect(),
                            cosine: values[at] as f64,
                        }
                    })
                    .collect()
            })
            .collect()
    })
}

/// The readout of `set`: a `#` header (`title` and the columns), then one line per sentence:
/// its index, its label weights over `classes`, the mean cosine of its (non-padding)
/// embeddings to their nearest tokens, and those tokens (`a/b/c` for `k` > 1; `##` word
/// pieces glued to the previous token when `k` = 1; `·` for a near-zero vector).
pub fn readout(
    set: &SyntheticSet,
    emb: &Embeddings,
    vocab: &[String],
    classes: &[&str],
    k: usize,
    title: &str,
) -> String {
    let labels = Vec::<f32>::try_from(
        set.labels
            .to_device(Device::Cpu)
            .to_kind(Kind::Float)
            .reshape([-1]),
    )
    .expect("float labels");
    let mut out = format!(
        "# {title}\n# columns: sentence, label weights, mean cosine of its embeddings to \
         their nearest vocabulary tokens, the nearest token(s) of each embedding (· = a \
         near-zero vector, like padding)\n"
    );
    for (i, positions) in nearest_tokens(&set.inputs, emb, vocab, k)
        .iter()
        .enumerate()
    {
        let label = classes
            .iter()
            .enumerate()
            .map(|(c, name)| format!("{name} {:.2}", labels[i * classes.len() + c]))
            .collect::<Vec<_>>()
            .join(" ");
        let real: Vec<&Nearest> = positions.iter().filter(|p| !p.tokens.is_empty()).collect();
        let cosine = real.iter().map(|p| p.cosine).sum::<f64>() / real.len().max(1) as f64;
        let mut words = String::new();
        for p in positions {
            match p.tokens.as_slice() {
                [] => words.push_str(" ·"),
                [one] if one.starts_with("##") && !words.is_empty() => {
                    words.push_str(&one[2..]);
                }
                many => {
                    words.push(' ');
                    words.push_str(&many.join("/"));
                }
            }
        }
        let _ = writeln!(out, "{i}\t{label}\tcos {cosine:.2}\t{}", words.trim_start());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeddings_of_tokens_read_back_as_those_tokens() {
        tch::manual_seed(2);
        let vocab: Vec<String> = ["[PAD]", "good", "film", "##s", "[unused0]", "dull", "plot"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let raw = Tensor::randn([7, 16], (Kind::Float, Device::Cpu));
        let emb = Embeddings::from_table(&raw, Device::Cpu);
        // Sentence 0: good film ##s [PAD]; sentence 1: a slightly moved "dull", the [unused0]
        // vector (a special token: its nearest ordinary token is listed instead), plot, film.
        let ids = Tensor::from_slice(&[1i64, 2, 3, 0, 5, 4, 6, 2]).view([2, 4]);
        let mut inputs = emb.lookup(&ids);
        let _ = inputs
            .get(1)
            .get(0)
            .g_add_(&(Tensor::randn([16], (Kind::Float, Device::Cpu)) * 0.05));
        let set = SyntheticSet {
            inputs: inputs.shallow_clone(),
            labels: Tensor::from_slice(&[0.9f32, 0.1, 0.2, 0.8]).view([2, 2]),
            step_sizes: Tensor::from_slice(&[0.1f32]),
        };
        let near = nearest_tokens(&inputs, &emb, &vocab, 2);
        assert_eq!(near[0][0].tokens[0], "good");
        assert!((near[0][0].cosine - 1.0).abs() < 1e-5);
        assert!(near[0][3].tokens.is_empty(), "padding has no token");
        assert_eq!(near[1][0].tokens[0], "dull");
        assert!(!near[1][1].tokens.iter().any(|t| t.starts_with('[')));
        let text = readout(&set, &emb, &vocab, &["rotten", "fresh"], 1, "toy");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "# toy");
        assert!(
            lines[2].starts_with("0\trotten 0.90 fresh 0.10\tcos 1.00\tgood films ·"),
            "{}",
            lines[2]
        );
        assert!(lines[3].starts_with("1\trotten 0.20 fresh 0.80\t"));
        assert!(lines[3].ends_with(" plot film"), "{}", lines[3]);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DATA_FILE);
        inputs = inputs.detach();
        save(&set, &emb, &path).unwrap();
        let back = Tensor::read_safetensors(&path).unwrap();
        let get = |name: &str| {
            back.iter()
                .find(|(n, _)| n == name)
                .unwrap()
                .1
                .shallow_clone()
        };
        assert!(get("embeddings").allclose(&(&inputs * emb.scale), 1e-5, 1e-5, false));
        assert_eq!(get("labels").size(), [2, 2]);
        assert_eq!(get("step_sizes").size(), [1]);
        let back = load(&path, Some(&emb), 2, Device::Cpu).unwrap();
        assert!(back.inputs.allclose(&inputs, 1e-5, 1e-5, false));
        let err = load(&path, None, 3, Device::Cpu).unwrap_err();
        assert!(
            err.contains("'labels' has shape [2, 2], expected [2, 3]"),
            "{err}"
        );
    }
}
