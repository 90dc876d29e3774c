//! The config of an RL task: budget, evaluation and learner hyperparameters.
use serde::{Deserialize, Serialize};
use toml::Table;

use crate::agent::{Algorithm, LearnerConfig};

/// Every setting of an RL task (the keys suites and `--set` may change). Defaults follow
/// TD3 (Fujimoto et al. 2018) except for the budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RlConfig {
    /// Environment steps per learner.
    pub total_steps: usize,
    /// Steps of uniformly random actions before training starts.
    pub warmup_steps: usize,
    /// Evaluate every this many environment steps (and after the last).
    pub eval_every: usize,
    /// Deterministic episodes per evaluation (reset seeds 1000000, 1000001, ...).
    pub eval_episodes: usize,
    /// Transitions per update.
    pub batch_size: usize,
    /// Replay capacity (the oldest transitions are overwritten).
    pub buffer_size: usize,
    /// Adam learning rate of the actor.
    pub actor_lr: f64,
    /// Adam learning rate of the critics.
    pub critic_lr: f64,
    /// Discount factor.
    pub gamma: f64,
    /// Polyak rate of the target networks.
    pub tau: f64,
    /// Hidden layer widths of the actor and of each critic.
    pub hidden: Vec<i64>,
    /// Target policy smoothing noise, in half action ranges (TD3).
    pub policy_noise: f64,
    /// Clip of the smoothing noise, in half action ranges (TD3).
    pub noise_clip: f64,
    /// Critic updates per actor update (TD3).
    pub policy_delay: usize,
    /// Exploration noise, in half action ranges.
    pub expl_noise: f64,
    /// Weight `w` of the distillation term (`dpd`, `dpd_no_filter`, `teacher_distill`).
    pub distill_weight: f64,
    /// Environment steps of the TD3 teacher of `teacher_distill`.
    pub teacher_steps: usize,
}

impl Default for RlConfig {
    fn default() -> Self {
        RlConfig {
            total_steps: 20_000,
            warmup_steps: 1_000,
            eval_every: 1_000,
            eval_episodes: 10,
            batch_size: 256,
            buffer_size: 1_000_000,
            actor_lr: 3e-4,
            critic_lr: 3e-4,
            gamma: 0.99,
            tau: 0.005,
            hidden: vec![256, 256],
            policy_noise: 0.2,
            noise_clip: 0.5,
            policy_delay: 2,
            expl_noise: 0.1,
            distill_weight: 0.5,
            teacher_steps: 40_000,
        }
    }
}

impl RlConfig {
    /// Parses and checks a resolved config table; errors name the key.
    pub fn from_table(table: &Table) -> Result<RlConfig, String> {
        let config: RlConfig = table
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| e.message().trim().to_string())?;
        for (key, value) in [
            ("total_steps", config.total_steps),
            ("eval_every", config.eval_every),
            ("eval_episodes", config.eval_episodes),
            ("batch_size", config.batch_size),
            ("buffer_size", config.buffer_size),
            ("policy_delay", config.policy_delay),
            ("teacher_steps", config.teacher_steps),
        ] {
            if value == 0 {
                return Err(format!("{key}: expected at least 1, found 0"));
            }
        }
        for (key, value) in [
            ("actor_lr", config.actor_lr),
            ("critic_lr", config.critic_lr),
        ] {
            if !(value > 0.0 && value.is_finite()) {
                return Err(format!("{key}: expected a positive number, found {value}"));
            }
        }
        for (key, value) in [("gamma", config.gamma), ("tau", config.tau)] {
            if !(0.0..=1.0).contains(&value) {
                return Err(format!("{key}: expected a number in [0, 1], found {value}"));
            }
        }
        for (key, value) in [
            ("policy_noise", config.policy_noise),
            ("noise_clip", config.noise_clip),
            ("expl_noise", config.expl_noise),
            ("distill_weight", config.distill_weight),
        ] {
            if !(value >= 0.0 && value.is_finite()) {
                return Err(format!("{key}: expected a number >= 0, found {value}"));
            }
        }
        if config.hidden.is_empty() || config.hidden.iter().any(|&w| w < 1) {
            return Err(format!(
                "hidden: expected one or more positive layer widths, found {:?}",
                config.hidden
            ));
        }
        Ok(config)
    }

    /// The learner hyperparameters for `algorithm`.
    pub fn learner(&self, algorithm: Algorithm) -> LearnerConfig {
        LearnerConfig {
            algorithm,
            hidden: self.hidden.clone(),
            actor_lr: self.actor_lr,
            critic_lr: self.critic_lr,
            gamma: self.gamma,
            tau: self.tau,
            policy_noise: self.policy_noise,
            noise_clip: self.noise_clip,
            policy_delay: self.policy_delay,
            expl_noise: self.expl_noise,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(config: &RlConfig) -> Table {
        Table::try_from(config).unwrap()
    }

    #[test]
    fn defaults_round_trip() {
        let config = RlConfig::default();
        assert_eq!(RlConfig::from_table(&table(&config)).unwrap(), config);
    }

    #[test]
    fn errors_name_the_key() {
        let mut t = table(&RlConfig::default());
        t.insert("colour".into(), 1.into());
        assert!(RlConfig::from_table(&t).unwrap_err().contains("colour"));
        let bad = |f: fn(&mut RlConfig)| {
            let mut c = RlConfig::default();
            f(&mut c);
            RlConfig::from_table(&table(&c)).unwrap_err()
        };
        assert!(bad(|c| c.total_steps = 0).starts_with("total_steps"));
        assert!(bad(|c| c.gamma = 1.5).starts_with("gamma"));
        assert!(bad(|c| c.actor_lr = 0.0).starts_with("actor_lr"));
        assert!(bad(|c| c.distill_weight = -1.0).starts_with("distill_weight"));
        assert!(bad(|c| c.hidden = vec![]).starts_with("hidden"));
    }
}
