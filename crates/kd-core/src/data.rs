//! In-memory classification (or regression) data and seeded mini-batching without
//! per-sample allocation.
use rand::seq::SliceRandom;
use rand_pcg::Pcg64;
use tch::{Device, Kind, Tensor};

/// One split: inputs `x` (N x ...) and labels `y` (N): class indices as int64, or for a
/// regression task float targets (the models then have one output).
#[derive(Debug)]
pub struct Split {
    /// Inputs, first dimension is the example index.
    pub x: Tensor,
    /// Class labels as int64, or regression targets as float.
    pub y: Tensor,
}

impl Split {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.y.size()[0] as usize
    }

    /// True when the labels are regression targets (float) rather than class indices.
    pub fn is_regression(&self) -> bool {
        self.y.is_floating_point()
    }

    /// True when the split holds no example.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Moves both tensors to `device`.
    pub fn to_device(&self, device: Device) -> Split {
        Split {
            x: self.x.to_device(device),
            y: self.y.to_device(device),
        }
    }

    /// Batches in order (for evaluation); the last batch may be smaller.
    pub fn batches(&self, batch_size: usize) -> impl Iterator<Item = (Tensor, Tensor)> + '_ {
        let n = self.len() as i64;
        let b = batch_size.max(1) as i64;
        (0..n).step_by(b as usize).map(move |start| {
            let len = b.min(n - start);
            (self.x.narrow(0, start, len), self.y.narrow(0, start, len))
        })
    }

    /// The example indices (int64, on the split's device) of one training epoch's shuffled
    /// batches; drops nothing (the last batch may be smaller). The permutation comes from
    /// `rng`, so data order is reproducible per run seed.
    pub fn shuffled_indices(&self, batch_size: usize, rng: &mut Pcg64) -> Vec<Tensor> {
        let mut order: Vec<i64> = (0..self.len() as i64).collect();
        order.shuffle(rng);
        let device = self.x.device();
        order
            .chunks(batch_size.max(1))
            .map(|chunk| Tensor::from_slice(chunk).to_device(device))
            .collect()
    }

    /// The inputs and labels of the examples at `index` (int64).
    pub fn select(&self, index: &Tensor) -> (Tensor, Tensor) {
        (self.x.index_select(0, index), self.y.index_select(0, index))
    }

    /// Shuffled batches for one training epoch: [`Split::shuffled_indices`]' batches, selected.
    pub fn shuffled_batches(&self, batch_size: usize, rng: &mut Pcg64) -> Vec<(Tensor, Tensor)> {
        self.shuffled_indices(batch_size, rng)
            .iter()
            .map(|index| self.select(index))
            .collect()
    }
}

/// A classification data set with train, validation and test splits.
#[derive(Debug)]
pub struct Dataset {
    /// Training examples.
    pub train: Split,
    /// Validation examples: pick the best epoch.
    pub val: Split,
    /// Test examples: the reported scores.
    pub test: Split,
    /// Number of classes (labels are 0..num_classes); 1 for a regression (one output).
    pub num_classes: i64,
}

impl Dataset {
    /// True for a regression task: float targets, one output (see [`Split::is_regression`]).
    pub fn is_regression(&self) -> bool {
        self.train.is_regression()
    }

    /// Moves every split to `device`.
    pub fn to_device(&self, device: Device) -> Dataset {
        Dataset {
            train: self.train.to_device(device),
            val: self.val.to_device(device),
            test: self.test.to_device(device),
            num_classes: self.num_classes,
        }
    }
}

/// Builds a split from row-major f32 features and i64 labels.
pub fn split_from_vecs(features: &[f32], labels: &[i64], shape: &[i64]) -> Split {
    let n = labels.len() as i64;
    let mut dims = vec![n];
    dims.extend_from_slice(shape);
    Split {
        x: Tensor::from_slice(features).view(dims.as_slice()),
        y: Tensor::from_slice(labels).to_kind(Kind::Int64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeding::stream;

    #[test]
    fn shuffled_batches_cover_every_example_once() {
        let split = split_from_vecs(
            &(0..10).map(|v| v as f32).collect::<Vec<_>>(),
            &(0..10).collect::<Vec<_>>(),
            &[1],
        );
        let batches = split.shuffled_batches(4, &mut stream(0, "t"));
        assert_eq!(batches.len(), 3);
        let mut seen: Vec<i64> = batches
            .iter()
            .flat_map(|(_, y)| Vec::<i64>::try_from(y).unwrap())
            .collect();
        let first = seen.clone();
        seen.sort();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        assert_ne!(
            first,
            (0..10).collect::<Vec<_>>(),
            "order should be shuffled"
        );
        let again: Vec<i64> = split
            .shuffled_batches(4, &mut stream(0, "t"))
            .iter()
            .flat_map(|(_, y)| Vec::<i64>::try_from(y).unwrap())
            .collect();
        assert_eq!(first, again);
    }
}
