//! `kdbench bench env-step`: stepping kd-rl's Gymnasium-exact environments against Gymnasium
//! itself (`gymnasium.make`), through the same action sequence, resetting at episode ends.
use super::reference::Python;
use super::{side_by_side, Measurement};
use kd_harness::error::bad_input;
use serde_json::json;

/// Settings of one env-step bench.
#[derive(Debug, Clone)]
pub struct EnvStepBench {
    /// Environment id (see `kd_rl::envs::ids`).
    pub env: String,
    /// Timed steps per round.
    pub steps: usize,
    /// Timed rounds (the fastest counts).
    pub rounds: usize,
}

/// A fixed action sequence in the action bounds (a sweep, so episodes visit varied states).
fn actions(low: &[f32], high: &[f32]) -> Vec<Vec<f32>> {
    (0..200)
        .map(|t| {
            low.iter()
                .zip(high)
                .enumerate()
                .map(|(d, (&lo, &hi))| {
                    let s = ((0.37 * t as f64 + d as f64).sin() * 0.5 + 0.5) as f32;
                    lo + s * (hi - lo)
                })
                .collect()
        })
        .collect()
}

impl EnvStepBench {
    /// Times kd-rl's side and Gymnasium's, round for round.
    pub fn run(&self, python: &Python) -> anyhow::Result<Measurement> {
        let mut env = kd_rl::envs::make(&self.env).map_err(|e| {
            bad_input(format!(
                "--env: {e} (known: {})",
                kd_rl::envs::ids().join(", ")
            ))
        })?;
        let space = env.action_space().clone();
        let actions = actions(space.low(), space.high());
        let config = json!({
            "env": self.env, "steps": self.steps, "rounds": self.rounds, "actions": actions,
        });
        let started = python.start("env_step", &config, 1)?;
        let (kdbench_per_unit_s, reference) =
            side_by_side(self.rounds, self.steps, self.steps, started, |n| {
                env.reset(Some(0));
                for t in 0..n {
                    let step = env.step(&actions[t % actions.len()]);
                    if step.done() {
                        env.reset(None);
                    }
                    std::hint::black_box(&step);
                }
            })?;
        Ok(Measurement {
            name: format!("env-step/{}", self.env),
            unit: "step",
            units: self.steps,
            rounds: self.rounds,
            threads: 1,
            kdbench_per_unit_s,
            reference,
        })
    }
}
