//! `kdbench bench data`: assembling one training epoch of shuffled MNIST batches with
//! kd-core's batching (one gather per batch from the in-memory split), against a
//! torchvision-style Python loader (per-sample `__getitem__` and DataLoader collation) over
//! the same IDX files. Loading the files is not timed on either side.
use super::reference::Python;
use super::{side_by_side, Measurement};
use kd_harness::error::bad_input;
use serde_json::json;
use std::path::PathBuf;

/// Settings of one data bench.
#[derive(Debug, Clone)]
pub struct DataBench {
    /// The MNIST-format folder (train-images-idx3-ubyte, ...).
    pub dir: PathBuf,
    /// Batch size.
    pub batch: usize,
    /// Timed rounds of one epoch each (the fastest counts).
    pub rounds: usize,
    /// libtorch intra-op threads on both sides.
    pub threads: usize,
}

impl DataBench {
    /// Times kdbench's side and the reference's, round for round.
    pub fn run(&self, python: &Python) -> anyhow::Result<Measurement> {
        kd_core::set_threads(self.threads);
        let data = kd_vision::datasets::load_idx_dataset(&self.dir, 0).map_err(|e| {
            bad_input(format!(
                "--data-dir: {e:#} (fetch MNIST with `kdbench data fetch mnist`)"
            ))
        })?;
        let mut rng = kd_core::seeding::stream(0, "bench-data");
        let config = json!({
            "dir": self.dir, "batch": self.batch, "rounds": self.rounds, "threads": self.threads,
        });
        let started = python.start("data", &config, self.threads)?;
        let (kdbench_per_unit_s, reference) = side_by_side(self.rounds, 1, 1, started, |epochs| {
            for _ in 0..epochs {
                for batch in data.train.shuffled_batches(self.batch, &mut rng) {
                    let _ = std::hint::black_box(batch);
                }
            }
        })?;
        Ok(Measurement {
            name: format!("data/mnist/b{}", self.batch),
            unit: "epoch",
            units: 1,
            rounds: self.rounds,
            threads: self.threads,
            kdbench_per_unit_s,
            reference,
        })
    }
}
