//! Filling an encoder's variables from a Hugging Face BERT checkpoint (`model.safetensors`)
//! or from tensors in memory, optionally keeping only some of the source layers (a student
//! initialised from a teacher's layers 0, 2, 4, say).
use anyhow::{bail, Context};
use std::collections::HashMap;
use std::path::Path;
use tch::{nn, Tensor};

/// What a weight copy did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReport {
    /// Variables filled.
    pub loaded: usize,
    /// Source tensors not used (sorted): the pooler, `position_ids`, dropped layers, ...
    pub unused: Vec<String>,
}

/// The source name of a destination variable: `encoder.layer.{j}.rest` becomes
/// `encoder.layer.{layers[j]}.rest` when `layers` is given; other names are unchanged.
pub fn source_name(name: &str, layers: Option<&[usize]>) -> anyhow::Result<String> {
    const PREFIX: &str = "encoder.layer.";
    let (Some(layers), Some(rest)) = (layers, name.strip_prefix(PREFIX)) else {
        return Ok(name.to_string());
    };
    let (index, tail) = rest
        .split_once('.')
        .with_context(|| format!("{name}: no layer index"))?;
    let j: usize = index
        .parse()
        .with_context(|| format!("{name}: bad layer index"))?;
    let i = layers.get(j).with_context(|| {
        format!(
            "{name}: layer {j} has no source layer in {layers:?} ({} given)",
            layers.len()
        )
    })?;
    Ok(format!("{PREFIX}{i}.{tail}"))
}

/// Fills every variable of `vs` from `source` (names as in a HF `BertModel` checkpoint; a
/// `bert.` prefix is accepted). With `layers`, destination layer `j` takes source layer
/// `layers[j]`. Fails, naming them, on missing tensors or shape mismatches.
pub fn copy_weights(
    vs: &nn::VarStore,
    source: &HashMap<String, Tensor>,
    layers: Option<&[usize]>,
) -> anyhow::Result<LoadReport> {
    let lookup = |name: &str| {
        source.get(name).map(|t| (name.to_string(), t)).or_else(|| {
            source
                .get(&format!("bert.{name}"))
                .map(|t| (format!("bert.{name}"), t))
        })
    };
    let mut used = std::collections::HashSet::new();
    let mut missing = Vec::new();
    let mut variables: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    variables.sort_by(|a, b| a.0.cmp(&b.0));
    tch::no_grad(|| -> anyhow::Result<()> {
        for (name, mut var) in variables.iter().map(|(n, v)| (n, v.shallow_clone())) {
            let wanted = source_name(name, layers)?;
            let Some((found, tensor)) = lookup(&wanted) else {
                missing.push(wanted);
                continue;
            };
            if tensor.size() != var.size() {
                bail!(
                    "{found}: shape {:?} in the checkpoint, {:?} in the model ({name})",
                    tensor.size(),
                    var.size()
                );
            }
            var.copy_(tensor);
            used.insert(found);
        }
        Ok(())
    })?;
    if !missing.is_empty() {
        bail!("the checkpoint lacks {}", missing.join(", "));
    }
    let mut unused: Vec<String> = source
        .keys()
        .filter(|k| !used.contains(*k))
        .cloned()
        .collect();
    unused.sort();
    Ok(LoadReport {
        loaded: used.len(),
        unused,
    })
}

/// Reads a `model.safetensors` and fills `vs` with [`copy_weights`]. The I64
/// `embeddings.position_ids` buffer and the pooler are reported as unused.
pub fn load_weights(
    vs: &nn::VarStore,
    path: &Path,
    layers: Option<&[usize]>,
) -> anyhow::Result<LoadReport> {
    let tensors: HashMap<String, Tensor> = Tensor::read_safetensors(path)
        .with_context(|| format!("{}: cannot read the safetensors", path.display()))?
        .into_iter()
        .collect();
    copy_weights(vs, &tensors, layers).with_context(|| format!("loading {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoder::{tiny_config as tiny, BertModel};
    use tch::{Device, Kind};

    #[test]
    fn a_student_takes_the_chosen_teacher_layers() {
        tch::manual_seed(1);
        let teacher_vs = nn::VarStore::new(Device::Cpu);
        let _teacher = BertModel::new(teacher_vs.root(), &tiny());
        let mut source = teacher_vs.variables();
        source.insert(
            "embeddings.position_ids".into(),
            Tensor::arange(16, (Kind::Int64, Device::Cpu)).unsqueeze(0),
        );
        let student_vs = nn::VarStore::new(Device::Cpu);
        let _student = BertModel::new(student_vs.root(), &tiny().with_layers(2));
        let report = copy_weights(&student_vs, &source, Some(&[0, 2])).unwrap();
        assert_eq!(report.loaded, 5 + 2 * 16);
        assert!(report
            .unused
            .contains(&"embeddings.position_ids".to_string()));
        assert!(report
            .unused
            .iter()
            .all(|n| n.starts_with("encoder.layer.1.") || n == "embeddings.position_ids"));
        let s = student_vs.variables();
        let t = teacher_vs.variables();
        let same = |a: &str, b: &str| s[a].equal(&t[b]);
        assert!(same(
            "encoder.layer.1.output.dense.weight",
            "encoder.layer.2.output.dense.weight"
        ));
        assert!(same(
            "encoder.layer.0.attention.self.key.bias",
            "encoder.layer.0.attention.self.key.bias"
        ));
        // Too few source layers, and a round trip through a safetensors file.
        let err = copy_weights(&student_vs, &source, Some(&[0])).unwrap_err();
        assert!(err.to_string().contains("no source layer"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.safetensors");
        let mut named: Vec<(String, Tensor)> = source.into_iter().collect();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        let prefixed: Vec<(String, Tensor)> = named
            .iter()
            .map(|(n, t)| (format!("bert.{n}"), t.shallow_clone()))
            .collect();
        Tensor::write_safetensors(&prefixed, &path).unwrap();
        let full_vs = nn::VarStore::new(Device::Cpu);
        let _full = BertModel::new(full_vs.root(), &tiny());
        let report = load_weights(&full_vs, &path, None).unwrap();
        assert_eq!(report.unused, ["bert.embeddings.position_ids"]);
        assert!(full_vs.variables()["encoder.layer.1.output.dense.weight"]
            .equal(&t["encoder.layer.1.output.dense.weight"]));
    }

    #[test]
    fn a_wrong_shape_is_named() {
        let vs = nn::VarStore::new(Device::Cpu);
        let _m = BertModel::new(vs.root(), &tiny());
        let mut source = vs.variables();
        source.insert(
            "embeddings.LayerNorm.bias".into(),
            Tensor::zeros([9], (Kind::Float, Device::Cpu)),
        );
        let err = copy_weights(&vs, &source, None).unwrap_err().to_string();
        assert!(
            err.contains("embeddings.LayerNorm.bias: shape [9]"),
            "{err}"
        );
        source.remove("embeddings.LayerNorm.bias");
        let err = copy_weights(&vs, &source, None).unwrap_err().to_string();
        assert!(err.contains("lacks embeddings.LayerNorm.bias"), "{err}");
    }
}
