//! The learned-data file of a dataset-distillation run, `distilled.safetensors`: three float32
//! tensors, the inputs (named by the domain: `images`, `embeddings`; stored in the domain's
//! own units, e.g. pixels), `labels` (`[n, classes]`, each row the example's target weights: a
//! distribution for softmax-learned labels, one-hot for hard ones, any finite weights for raw
//! learned labels) and `step_sizes` (`[inner_steps]`). Tasks train fresh networks on such a
//! file with their `distilled` key.
use super::bilevel::SyntheticSet;
use anyhow::Context;
use std::path::Path;
use tch::{Device, Kind, Tensor};

/// The name of the learned-data file in a run's artifact folder.
pub const DATA_FILE: &str = "distilled.safetensors";

/// What a domain's file holds.
#[derive(Debug, Clone, Copy)]
pub struct Layout<'a> {
    /// The inputs' tensor name.
    pub inputs: &'a str,
    /// The shape of one input, `None` where any size of at least 1 goes (`[1, 28, 28]`,
    /// `[any, 384]`).
    pub shape: &'a [Option<i64>],
    /// Number of classes (the labels' width).
    pub classes: i64,
}

/// Writes `set` to `path`, its inputs as `stored` (`set.inputs` in the file's units).
pub fn save(
    set: &SyntheticSet,
    stored: &Tensor,
    layout: Layout,
    path: &Path,
) -> anyhow::Result<()> {
    let cpu = |t: &Tensor| t.to_device(Device::Cpu).to_kind(Kind::Float).contiguous();
    let tensors = [
        (layout.inputs, cpu(stored)),
        ("labels", cpu(&set.labels)),
        ("step_sizes", cpu(&set.step_sizes)),
    ];
    Tensor::write_safetensors(&tensors, path).with_context(|| format!("writing {}", path.display()))
}

/// Reads a file written by [`save`]; the set's inputs are as stored (convert them to the
/// network's space). Errors name the file and what is wrong with it.
pub fn load(path: &Path, layout: Layout, device: Device) -> Result<SyntheticSet, String> {
    let name = path.display();
    if !path.is_file() {
        return Err(format!("no file at {name}"));
    }
    let tensors = Tensor::read_safetensors(path).map_err(|e| format!("{name}: {e}"))?;
    let get = |key: &str| {
        tensors
            .iter()
            .find(|(n, _)| n == key)
            .map(|(_, t)| t.to_kind(Kind::Float).to_device(device))
            .ok_or_else(|| {
                format!(
                    "{name}: no tensor named '{key}' (expected {}, labels and step_sizes)",
                    layout.inputs
                )
            })
    };
    let (inputs, labels, steps) = (get(layout.inputs)?, get("labels")?, get("step_sizes")?);
    let size = inputs.size();
    let n = size.first().copied().unwrap_or(0);
    let fits = n > 0
        && size.len() == layout.shape.len() + 1
        && size[1..]
            .iter()
            .zip(layout.shape)
            .all(|(&s, want)| want.map_or(s >= 1, |w| s == w));
    if !fits {
        let want: Vec<String> = layout
            .shape
            .iter()
            .map(|d| d.map_or("any".to_string(), |d| d.to_string()))
            .collect();
        return Err(format!(
            "{name}: '{}' has shape {size:?}, expected [n, {}]",
            layout.inputs,
            want.join(", ")
        ));
    }
    if labels.size() != [n, layout.classes] {
        return Err(format!(
            "{name}: 'labels' has shape {:?}, expected [{n}, {}]",
            labels.size(),
            layout.classes
        ));
    }
    if steps.dim() != 1 || steps.size()[0] == 0 {
        return Err(format!(
            "{name}: 'step_sizes' has shape {:?}, expected [inner_steps]",
            steps.size()
        ));
    }
    for (key, tensor) in [
        (layout.inputs, &inputs),
        ("labels", &labels),
        ("step_sizes", &steps),
    ] {
        if tensor.isfinite().logical_not().any().int64_value(&[]) != 0 {
            return Err(format!("{name}: '{key}' holds a NaN or infinity"));
        }
    }
    Ok(SyntheticSet {
        inputs,
        labels,
        step_sizes: steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAYOUT: Layout = Layout {
        inputs: "rows",
        shape: &[None, Some(3)],
        classes: 2,
    };

    fn set(n: i64, len: i64) -> SyntheticSet {
        SyntheticSet {
            inputs: Tensor::ones([n, len, 3], (Kind::Float, Device::Cpu)),
            labels: Tensor::from_slice(&[0.25f32, 0.75]).repeat([n, 1]),
            step_sizes: Tensor::from_slice(&[0.1f32, 0.2]),
        }
    }

    #[test]
    fn a_saved_set_loads_back_and_bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DATA_FILE);
        let s = set(2, 5);
        save(&s, &(&s.inputs * 2.0), LAYOUT, &path).unwrap();
        let back = load(&path, LAYOUT, Device::Cpu).unwrap();
        assert!(back.inputs.allclose(&(&s.inputs * 2.0), 1e-6, 1e-6, false));
        assert!(back.labels.allclose(&s.labels, 1e-6, 1e-6, false));
        assert_eq!(back.step_sizes.size(), [2]);

        let bad = |s: &SyntheticSet, layout: Layout| {
            let path = dir.path().join("bad.safetensors");
            save(s, &s.inputs, layout, &path).unwrap();
            load(&path, LAYOUT, Device::Cpu).unwrap_err()
        };
        let err = bad(
            &set(2, 5),
            Layout {
                inputs: "x",
                ..LAYOUT
            },
        );
        assert!(err.contains("no tensor named 'rows'"), "{err}");
        let mut wide = set(2, 5);
        wide.inputs = Tensor::ones([2, 5, 4], (Kind::Float, Device::Cpu));
        let err = bad(&wide, LAYOUT);
        assert!(err.contains("expected [n, any, 3]"), "{err}");
        let mut raw = set(2, 5);
        raw.labels = Tensor::from_slice(&[1.5f32, -0.5, 0.2, 0.3]).view([2, 2]);
        let path = dir.path().join("raw.safetensors");
        save(&raw, &raw.inputs, LAYOUT, &path).unwrap();
        assert!(
            load(&path, LAYOUT, Device::Cpu).is_ok(),
            "raw label weights load"
        );
        raw.labels = Tensor::from_slice(&[f32::NAN, 0.0, 0.2, 0.3]).view([2, 2]);
        assert!(bad(&raw, LAYOUT).contains("'labels' holds a NaN"));
        let mut nan = set(2, 5);
        nan.step_sizes = Tensor::from_slice(&[f32::NAN]);
        assert!(bad(&nan, LAYOUT).contains("NaN"));
        let err = load(&dir.path().join("none"), LAYOUT, Device::Cpu).unwrap_err();
        assert!(err.starts_with("no file at"), "{err}");
    }
}
