//! Evaluating a policy: deterministic episodes from fixed reset seeds.
use tch::Device;

use super::networks::{rows_tensor, to_vec_f32, Actor};
use crate::env::Env;

/// Reset seed of evaluation episode `i` is `EVAL_SEED_BASE + i`, the same for every run,
/// method and run seed, so all learners are scored on the same start states.
pub const EVAL_SEED_BASE: u64 = 1_000_000;

/// The mean undiscounted return of `actor`'s deterministic actions (no noise) over
/// `episodes` episodes of [`crate::envs::make`]`(env_id)` (time limit included). The
/// episodes run side by side, one batched forward pass per step.
pub fn evaluate(
    actor: &Actor,
    env_id: &str,
    episodes: usize,
    device: Device,
) -> Result<f64, crate::Error> {
    let mut envs: Vec<Box<dyn Env>> = (0..episodes)
        .map(|_| crate::envs::make(env_id))
        .collect::<Result<_, _>>()?;
    let mut obs: Vec<Vec<f32>> = envs
        .iter_mut()
        .enumerate()
        .map(|(i, env)| env.reset(Some(EVAL_SEED_BASE + i as u64)).0)
        .collect();
    let mut returns = vec![0.0f64; episodes];
    let mut alive: Vec<usize> = (0..episodes).collect();
    while !alive.is_empty() {
        let obs_dim = obs[alive[0]].len();
        let flat: Vec<f32> = alive.iter().flat_map(|&i| obs[i].clone()).collect();
        let actions = tch::no_grad(|| actor.forward(&rows_tensor(&flat, obs_dim, device)));
        let actions = to_vec_f32(&actions);
        let act_dim = actions.len() / alive.len();
        let mut still = Vec::with_capacity(alive.len());
        for (row, &i) in alive.iter().enumerate() {
            let step = envs[i].step(&actions[row * act_dim..(row + 1) * act_dim]);
            returns[i] += step.reward;
            if !step.done() {
                still.push(i);
            }
            obs[i] = step.obs;
        }
        alive = still;
    }
    Ok(returns.iter().sum::<f64>() / episodes.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::BoxSpace;
    use kd_core::seeding::stream;
    use tch::nn;

    #[test]
    fn evaluation_is_deterministic_and_a_random_policy_does_badly() {
        let space = BoxSpace::from_bounds(vec![-2.0], vec![2.0]);
        let vs = nn::VarStore::new(Device::Cpu);
        let actor = Actor::new(&vs.root(), 3, &space, &[8], Some(&mut stream(0, "a")));
        let a = evaluate(&actor, "Pendulum-v1", 3, Device::Cpu).unwrap();
        let b = evaluate(&actor, "Pendulum-v1", 3, Device::Cpu).unwrap();
        // Equal up to float rounding: other tests of this process run libtorch at the same
        // time, and a matrix product shared with them may split its sums differently (seen
        // once: -1650.48780202 vs -1650.48781446). A run process evaluates alone.
        assert!((a - b).abs() <= 1e-6 * a.abs(), "{a} vs {b}");
        assert!(
            a < -300.0,
            "an untrained actor does not balance the pendulum: {a}"
        );
        assert!(evaluate(&actor, "CartPole-v1", 1, Device::Cpu).is_err());
    }
}
