//! `kdbench bench stats`: the stratified-bootstrap 95% CI of the IQM (what
//! `kdbench compare --aggregate` computes per method) over tasks x methods x seeds of
//! synthetic scores, kd-stats against rliable's `get_interval_estimates` on NumPy.
use super::reference::Python;
use super::{side_by_side, unit_hash, Measurement};
use kd_stats::aggregate::{iqm_bootstrap_ci, ScoreMatrix};
use serde_json::{json, Map, Value};

/// Settings of one stats bench.
#[derive(Debug, Clone)]
pub struct StatsBench {
    /// Tasks (columns of each method's score matrix).
    pub tasks: usize,
    /// Methods (one CI each).
    pub methods: usize,
    /// Seeds (runs per task).
    pub seeds: usize,
    /// Bootstrap replicates per CI.
    pub reps: usize,
    /// Timed rounds (the fastest counts).
    pub rounds: usize,
}

impl StatsBench {
    /// The scores: `methods` matrices of `seeds` rows x `tasks` columns in (0, 1).
    fn scores(&self) -> Vec<Vec<Vec<f64>>> {
        (0..self.methods)
            .map(|m| {
                (0..self.seeds)
                    .map(|s| {
                        (0..self.tasks)
                            .map(|t| {
                                let i = ((m * self.seeds + s) * self.tasks + t) as u64;
                                0.5 + 0.05 * m as f64 + 0.3 * unit_hash(i)
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect()
    }

    /// Times kd-stats and rliable, round for round.
    pub fn run(&self, python: &Python) -> anyhow::Result<Measurement> {
        let scores = self.scores();
        let matrices: Vec<ScoreMatrix> = scores
            .iter()
            .map(|rows| ScoreMatrix::from_rows(rows))
            .collect::<Result<_, _>>()?;
        let named: Map<String, Value> = scores
            .iter()
            .enumerate()
            .map(|(m, rows)| (format!("method{m}"), json!(rows)))
            .collect();
        let config = json!({"scores": named, "reps": self.reps, "rounds": self.rounds});
        let started = python.start("stats", &config, 1)?;
        let (kdbench_per_unit_s, reference) =
            side_by_side(self.rounds, self.methods, self.methods, started, |n| {
                for (i, s) in matrices.iter().cycle().take(n).enumerate() {
                    std::hint::black_box(iqm_bootstrap_ci(s, self.reps, i as u64, 0.95));
                }
            })?;
        Ok(Measurement {
            name: format!(
                "stats/iqm-ci/{}x{}x{}/r{}",
                self.tasks, self.methods, self.seeds, self.reps
            ),
            unit: "ci",
            units: self.methods,
            rounds: self.rounds,
            threads: 1,
            kdbench_per_unit_s,
            reference,
        })
    }
}
