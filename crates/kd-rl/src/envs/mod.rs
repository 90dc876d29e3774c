//! The ported environments and the `gym.make`-style registry.

pub mod mountain_car_continuous;
pub mod pendulum;

pub use mountain_car_continuous::MountainCarContinuous;
pub use pendulum::Pendulum;

use crate::env::Env;
use crate::error::Error;
use crate::wrappers::TimeLimit;

/// A registered environment: its id, `gym.make`'s time limit and a constructor.
#[derive(Clone, Copy, Debug)]
pub struct EnvSpec {
    /// The Gymnasium id.
    pub id: &'static str,
    /// Steps after which `make` truncates an episode.
    pub max_episode_steps: usize,
    /// Builds the bare (unwrapped) environment.
    pub build: fn() -> Box<dyn Env>,
}

/// Every registered environment, in a fixed order.
pub const REGISTRY: &[EnvSpec] = &[
    EnvSpec {
        id: pendulum::ID,
        max_episode_steps: pendulum::MAX_EPISODE_STEPS,
        build: || Box::new(Pendulum::new()),
    },
    EnvSpec {
        id: mountain_car_continuous::ID,
        max_episode_steps: mountain_car_continuous::MAX_EPISODE_STEPS,
        build: || Box::new(MountainCarContinuous::new()),
    },
];

/// The registered ids, in registry order.
pub fn ids() -> Vec<&'static str> {
    REGISTRY.iter().map(|s| s.id).collect()
}

/// The registry entry for `id`, or [`Error::UnknownEnv`] listing the known ids.
pub fn spec(id: &str) -> Result<&'static EnvSpec, Error> {
    REGISTRY
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(|| Error::UnknownEnv {
            id: id.to_string(),
            known: ids(),
        })
}

/// Like `gym.make(id)`: the environment wrapped in its [`TimeLimit`]
/// (Pendulum-v1: 200 steps, MountainCarContinuous-v0: 999). Unseeded until
/// the first `reset(Some(seed))`. As in Gymnasium, no action clipping or
/// observation casting is added.
pub fn make(id: &str) -> Result<Box<dyn Env>, Error> {
    let spec = spec(id)?;
    Ok(Box::new(TimeLimit::new(
        (spec.build)(),
        spec.max_episode_steps,
    )))
}

/// The bare environment without the time limit (`gym.make(id).unwrapped`).
pub fn make_unwrapped(id: &str) -> Result<Box<dyn Env>, Error> {
    Ok((spec(id)?.build)())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn make_known_ids() {
        for id in ids() {
            let env = make(id).unwrap();
            assert_eq!(env.id(), id);
        }
        assert_eq!(spec("Pendulum-v1").unwrap().max_episode_steps, 200);
        assert_eq!(
            spec("MountainCarContinuous-v0").unwrap().max_episode_steps,
            999
        );
    }

    #[test]
    fn unknown_id_lists_known_ids() {
        let err = make("CartPole-v1").err().unwrap();
        let msg = err.to_string();
        assert!(msg.contains("`CartPole-v1`"), "{msg}");
        assert!(
            msg.contains("Pendulum-v1, MountainCarContinuous-v0"),
            "{msg}"
        );
    }
}
