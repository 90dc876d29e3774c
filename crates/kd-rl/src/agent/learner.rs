//! The deterministic actor-critic learners: TD3 (Fujimoto et al. 2018, arXiv 1802.09477)
//! and DDPG (Lillicrap et al. 2016, with Gaussian exploration as in Fujimoto's `OurDDPG`).
//!
//! One update on a replay batch `(s, a, r, s', not_done)`:
//! 1. Critic: `y = r + gamma * not_done * min_i Q'_i(s', ã)` ([`td_target`]) with
//!    `ã = clip(π'(s') + clip(ε, -c, c), low, high)`, `ε ~ N(0, σ²)` (target policy
//!    smoothing, [`smoothed_actions`]); loss `Σ_i mse(Q_i(s, a), y)`. DDPG: one critic, no
//!    smoothing.
//! 2. Every `policy_delay` critic updates (1 for DDPG): the actor minimises
//!    `-mean Q1(s, π(s))`, plus a distillation term with a guide
//!    ([`super::distill::actor_loss`]), and the target networks move by Polyak averaging
//!    with rate `tau`.
//!
//! Noise scales (`expl_noise`, `policy_noise`, `noise_clip`) are in units of half the
//! action box's width (Fujimoto's `max_action`).
use rand_pcg::Pcg64;
use tch::nn::{self, OptimizerConfig};
use tch::{Device, Tensor};

use super::distill::{actor_loss, Guide};
use super::networks::{polyak_update, rows_tensor, target_copy, to_vec_f32, Actor, Critic};
use super::noise::gaussian;
use crate::space::BoxSpace;

/// Which learner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// Twin critics, target policy smoothing, delayed policy updates.
    Td3,
    /// One critic, no smoothing, a policy update per critic update.
    Ddpg,
}

/// Hyperparameters of one learner.
#[derive(Debug, Clone, PartialEq)]
pub struct LearnerConfig {
    /// TD3 or DDPG.
    pub algorithm: Algorithm,
    /// Hidden layer widths of the actor and of each critic.
    pub hidden: Vec<i64>,
    /// Adam learning rate of the actor.
    pub actor_lr: f64,
    /// Adam learning rate of the critics.
    pub critic_lr: f64,
    /// Discount factor.
    pub gamma: f64,
    /// Polyak rate of the target networks.
    pub tau: f64,
    /// Standard deviation of the target smoothing noise (TD3).
    pub policy_noise: f64,
    /// Clip of the target smoothing noise (TD3).
    pub noise_clip: f64,
    /// Critic updates per actor update (TD3).
    pub policy_delay: usize,
    /// Standard deviation of the Gaussian exploration noise.
    pub expl_noise: f64,
}

/// What one update did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UpdateStats {
    /// The critic loss.
    pub critic_loss: f64,
    /// The actor loss, on updates that trained the actor.
    pub actor_loss: Option<f64>,
    /// Fraction of batch states the actor imitated its guide on, when it had one.
    pub distill_fraction: Option<f64>,
}

/// A TD3 or DDPG learner: actor, critic(s), their targets and optimisers, on one device.
pub struct Learner {
    config: LearnerConfig,
    device: Device,
    act_low: Vec<f32>,
    act_high: Vec<f32>,
    low: Tensor,
    high: Tensor,
    expl_std: Vec<f32>,
    smoothing_std: Vec<f32>,
    smoothing_clip: Tensor,
    actor_vs: nn::VarStore,
    actor: Actor,
    actor_target_vs: nn::VarStore,
    actor_target: Actor,
    critic_vs: nn::VarStore,
    critic: Critic,
    critic_target_vs: nn::VarStore,
    critic_target: Critic,
    actor_opt: nn::Optimizer,
    critic_opt: nn::Optimizer,
    critic_updates: u64,
    noise_rng: Pcg64,
}

impl Learner {
    /// A fresh learner whose weights come from `init_rng` and whose exploration and
    /// smoothing noise come from `noise_rng`.
    pub fn new(
        config: &LearnerConfig,
        obs_dim: usize,
        action_space: &BoxSpace,
        device: Device,
        init_rng: &mut Pcg64,
        noise_rng: Pcg64,
    ) -> Result<Learner, tch::TchError> {
        let act_dim = action_space.dim();
        let hidden = config.hidden.clone();
        let twin = config.algorithm == Algorithm::Td3;
        let actor_vs = nn::VarStore::new(device);
        let actor = Actor::new(
            &actor_vs.root(),
            obs_dim,
            action_space,
            &hidden,
            Some(init_rng),
        );
        let critic_vs = nn::VarStore::new(device);
        let critic = Critic::new(
            &critic_vs.root(),
            obs_dim,
            act_dim,
            &hidden,
            twin,
            Some(init_rng),
        );
        let (actor_target_vs, actor_target) = target_copy(&actor_vs, device, |p| {
            Actor::new(p, obs_dim, action_space, &hidden, None)
        })?;
        let (critic_target_vs, critic_target) = target_copy(&critic_vs, device, |p| {
            Critic::new(p, obs_dim, act_dim, &hidden, twin, None)
        })?;
        let half_range: Vec<f32> = action_space
            .low()
            .iter()
            .zip(action_space.high())
            .map(|(l, h)| (h - l) / 2.0)
            .collect();
        let scaled =
            |factor: f64| -> Vec<f32> { half_range.iter().map(|h| h * factor as f32).collect() };
        let actor_opt = nn::Adam::default().build(&actor_vs, config.actor_lr)?;
        let critic_opt = nn::Adam::default().build(&critic_vs, config.critic_lr)?;
        Ok(Learner {
            config: config.clone(),
            device,
            act_low: action_space.low().to_vec(),
            act_high: action_space.high().to_vec(),
            low: Tensor::from_slice(action_space.low()).to_device(device),
            high: Tensor::from_slice(action_space.high()).to_device(device),
            expl_std: scaled(config.expl_noise),
            smoothing_std: scaled(config.policy_noise),
            smoothing_clip: Tensor::from_slice(&scaled(config.noise_clip)).to_device(device),
            actor_vs,
            actor,
            actor_target_vs,
            actor_target,
            critic_vs,
            critic,
            critic_target_vs,
            critic_target,
            actor_opt,
            critic_opt,
            critic_updates: 0,
            noise_rng,
        })
    }

    /// The actor.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The actor's variables (saved and loaded for cached teachers).
    pub fn actor_vars(&self) -> &nn::VarStore {
        &self.actor_vs
    }

    /// Mutable access to the actor's variables, e.g. to load saved weights.
    pub fn actor_vars_mut(&mut self) -> &mut nn::VarStore {
        &mut self.actor_vs
    }

    /// The device the networks live on.
    pub fn device(&self) -> Device {
        self.device
    }

    /// The deterministic actions for a batch of observations `[B, obs_dim]` (no gradient).
    pub fn act_batch(&self, obs: &Tensor) -> Tensor {
        tch::no_grad(|| self.actor.forward(obs))
    }

    /// The exploration action for one observation: `clip(π(s) + N(0, (expl_noise h)²))`.
    pub fn explore(&mut self, obs: &[f32]) -> Vec<f32> {
        let obs = rows_tensor(obs, obs.len(), self.device);
        let mut action = to_vec_f32(&self.act_batch(&obs));
        let noise = gaussian(&mut self.noise_rng, action.len(), &self.expl_std);
        for (i, (a, n)) in action.iter_mut().zip(noise).enumerate() {
            *a = (*a + n).clamp(self.act_low[i], self.act_high[i]);
        }
        action
    }

    /// Whether the next [`Learner::update`] also trains the actor (only those updates use a
    /// guide).
    pub fn actor_update_due(&self) -> bool {
        (self.critic_updates + 1).is_multiple_of(self.policy_delay())
    }

    fn policy_delay(&self) -> u64 {
        match self.config.algorithm {
            Algorithm::Td3 => self.config.policy_delay.max(1) as u64,
            Algorithm::Ddpg => 1,
        }
    }

    /// One update on `batch` (see the module docs); `guide` adds the distillation term to
    /// the actor loss when the actor is trained.
    pub fn update(&mut self, batch: &super::buffer::Batch, guide: Option<&Guide>) -> UpdateStats {
        let cfg = &self.config;
        let target = tch::no_grad(|| {
            let next = self.actor_target.forward(&batch.next_obs);
            let next = match cfg.algorithm {
                Algorithm::Td3 => {
                    let noise = gaussian(&mut self.noise_rng, next.numel(), &self.smoothing_std);
                    let noise = Tensor::from_slice(&noise)
                        .view(next.size().as_slice())
                        .to_device(self.device);
                    smoothed_actions(&next, &noise, &self.smoothing_clip, &self.low, &self.high)
                }
                Algorithm::Ddpg => next,
            };
            let (q1, q2) = self.critic_target.both(&batch.next_obs, &next);
            td_target(&batch.rewards, &batch.not_done, &q1, q2.as_ref(), cfg.gamma)
        });
        let (q1, q2) = self.critic.both(&batch.obs, &batch.actions);
        let mut critic_loss = q1.mse_loss(&target, tch::Reduction::Mean);
        if let Some(q2) = q2 {
            critic_loss += q2.mse_loss(&target, tch::Reduction::Mean);
        }
        self.critic_opt.backward_step(&critic_loss);
        let due = self.actor_update_due();
        self.critic_updates += 1;
        let mut stats = UpdateStats {
            critic_loss: critic_loss.double_value(&[]),
            actor_loss: None,
            distill_fraction: None,
        };
        if due {
            self.critic_vs.freeze();
            let actions = self.actor.forward(&batch.obs);
            let q = self.critic.q1(&batch.obs, &actions);
            let q_guide = guide.map(|g| tch::no_grad(|| self.critic.q1(&batch.obs, &g.actions)));
            let (loss, fraction) = actor_loss(
                &q,
                &actions,
                guide.zip(q_guide.as_ref()),
                self.actor.half_range(),
            );
            self.actor_opt.backward_step(&loss);
            self.critic_vs.unfreeze();
            polyak_update(&self.critic_target_vs, &self.critic_vs, self.config.tau);
            polyak_update(&self.actor_target_vs, &self.actor_vs, self.config.tau);
            stats.actor_loss = Some(loss.double_value(&[]));
            stats.distill_fraction = fraction;
        }
        stats
    }
}

/// TD3's target policy smoothing: `clip(next_actions + clip(noise, -clip, clip), low, high)`,
/// with `clip`, `low` and `high` per action dimension.
pub fn smoothed_actions(
    next_actions: &Tensor,
    noise: &Tensor,
    clip: &Tensor,
    low: &Tensor,
    high: &Tensor,
) -> Tensor {
    let noise = noise.clamp_tensor(Some(&-clip), Some(clip));
    (next_actions + noise).clamp_tensor(Some(low), Some(high))
}

/// The critic target `r + gamma * not_done * Q'` with `Q' = min(q1_next, q2_next)` (TD3's
/// clipped double-Q) or `q1_next` alone (DDPG). Every tensor is `[B, 1]`.
pub fn td_target(
    rewards: &Tensor,
    not_done: &Tensor,
    q1_next: &Tensor,
    q2_next: Option<&Tensor>,
    gamma: f64,
) -> Tensor {
    let q_next = match q2_next {
        Some(q2) => q1_next.minimum(q2),
        None => q1_next.shallow_clone(),
    };
    rewards + not_done * q_next * gamma
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::buffer::ReplayBuffer;
    use kd_core::seeding::stream;

    fn as_floats(t: &Tensor) -> Vec<f32> {
        to_vec_f32(t)
    }

    fn col(values: &[f32]) -> Tensor {
        Tensor::from_slice(values).view([-1, 1])
    }

    #[test]
    fn td3_target_takes_the_smaller_q_and_stops_at_termination() {
        let rewards = col(&[1.0, -1.0, 0.5]);
        let not_done = col(&[1.0, 1.0, 0.0]);
        let q1 = col(&[10.0, -2.0, 100.0]);
        let q2 = col(&[8.0, -3.0, 50.0]);
        let y = as_floats(&td_target(&rewards, &not_done, &q1, Some(&q2), 0.5));
        assert_eq!(y, [1.0 + 0.5 * 8.0, -1.0 + 0.5 * -3.0, 0.5]);
        let y = as_floats(&td_target(&rewards, &not_done, &q1, None, 0.5));
        assert_eq!(y, [6.0, -2.0, 0.5]);
    }

    #[test]
    fn smoothing_clips_the_noise_then_the_action() {
        let next = Tensor::from_slice(&[0.0f32, 1.9, -1.0, 0.0]).view([2, 2]);
        let noise = Tensor::from_slice(&[5.0f32, 0.5, -0.1, -5.0]).view([2, 2]);
        // Dimension 0 in [-1, 1] with noise clip 0.5, dimension 1 in [-2, 2] with clip 1.
        let clip = Tensor::from_slice(&[0.5f32, 1.0]);
        let low = Tensor::from_slice(&[-1.0f32, -2.0]);
        let high = Tensor::from_slice(&[1.0f32, 2.0]);
        let a = as_floats(&smoothed_actions(&next, &noise, &clip, &low, &high));
        assert_eq!(a, [0.5, 2.0, -1.0, -1.0]);
    }

    fn config(algorithm: Algorithm) -> LearnerConfig {
        LearnerConfig {
            algorithm,
            hidden: vec![16, 16],
            actor_lr: 1e-3,
            critic_lr: 1e-3,
            gamma: 0.99,
            tau: 0.005,
            policy_noise: 0.2,
            noise_clip: 0.5,
            policy_delay: 2,
            expl_noise: 0.1,
        }
    }

    #[test]
    fn updates_are_delayed_and_deterministic() {
        let space = BoxSpace::from_bounds(vec![-2.0], vec![2.0]);
        let mut buffer = ReplayBuffer::new(3, 1, 100);
        for t in 0..50 {
            let x = t as f32 / 50.0;
            buffer.push(&[x, -x, 1.0], &[x], -f64::from(x), &[x, x, 0.0], t % 7 == 0);
        }
        let run = |algorithm| {
            let mut learner = Learner::new(
                &config(algorithm),
                3,
                &space,
                Device::Cpu,
                &mut stream(0, "init"),
                stream(0, "noise"),
            )
            .unwrap();
            let mut rng = stream(0, "replay");
            let mut trace = vec![];
            for _ in 0..4 {
                let batch = buffer.sample(8, &mut rng, Device::Cpu);
                let stats = learner.update(&batch, None);
                trace.push((stats.critic_loss, stats.actor_loss));
            }
            trace.push((f64::from(learner.explore(&[0.1, 0.2, 0.3])[0]), None));
            trace
        };
        let td3 = run(Algorithm::Td3);
        let actor_updates: Vec<bool> = td3.iter().take(4).map(|t| t.1.is_some()).collect();
        assert_eq!(actor_updates, [false, true, false, true]);
        assert_eq!(td3, run(Algorithm::Td3));
        let ddpg = run(Algorithm::Ddpg);
        assert!(ddpg.iter().take(4).all(|t| t.1.is_some()));
    }
}
