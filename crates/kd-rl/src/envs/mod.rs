//! The ported environments and the `gym.make`-style registry.

pub mod mountain_car_continuous;
#[cfg(feature = "mujoco")]
pub mod mujoco;
pub mod pendulum;

pub use mountain_car_continuous::MountainCarContinuous;
#[cfg(feature = "mujoco")]
pub use mujoco::MujocoEnv;
pub use pendulum::Pendulum;

/// Gymnasium's `HalfCheetah-v5` (feature `mujoco`).
pub const HALF_CHEETAH_ID: &str = "HalfCheetah-v5";
/// Gymnasium's `Hopper-v5` (feature `mujoco`).
pub const HOPPER_ID: &str = "Hopper-v5";
/// Gymnasium's `Walker2d-v5` (feature `mujoco`).
pub const WALKER2D_ID: &str = "Walker2d-v5";
/// Gymnasium's `Swimmer-v5` (feature `mujoco`).
pub const SWIMMER_ID: &str = "Swimmer-v5";
/// The MuJoCo environments, registered only when kd-rl is built with the `mujoco` feature.
pub const MUJOCO_IDS: &[&str] = &[HALF_CHEETAH_ID, HOPPER_ID, WALKER2D_ID, SWIMMER_ID];

/// Whether this build has the MuJoCo environments (the `mujoco` feature).
pub const HAS_MUJOCO: bool = cfg!(feature = "mujoco");

/// Why a MuJoCo environment or task cannot run in this build.
pub const MUJOCO_MISSING: &str =
    "built without the mujoco feature: run scripts/mujoco.sh and build with --features mujoco";

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
    #[cfg(feature = "mujoco")]
    EnvSpec {
        id: HALF_CHEETAH_ID,
        max_episode_steps: mujoco::MAX_EPISODE_STEPS,
        build: || Box::new(MujocoEnv::new(HALF_CHEETAH_ID)),
    },
    #[cfg(feature = "mujoco")]
    EnvSpec {
        id: HOPPER_ID,
        max_episode_steps: mujoco::MAX_EPISODE_STEPS,
        build: || Box::new(MujocoEnv::new(HOPPER_ID)),
    },
    #[cfg(feature = "mujoco")]
    EnvSpec {
        id: WALKER2D_ID,
        max_episode_steps: mujoco::MAX_EPISODE_STEPS,
        build: || Box::new(MujocoEnv::new(WALKER2D_ID)),
    },
    #[cfg(feature = "mujoco")]
    EnvSpec {
        id: SWIMMER_ID,
        max_episode_steps: mujoco::MAX_EPISODE_STEPS,
        build: || Box::new(MujocoEnv::new(SWIMMER_ID)),
    },
];

/// The registered ids, in registry order.
pub fn ids() -> Vec<&'static str> {
    REGISTRY.iter().map(|s| s.id).collect()
}

/// The registry entry for `id`, or [`Error::UnknownEnv`] listing the known ids
/// ([`Error::NeedsMujoco`] for a MuJoCo id in a build without the `mujoco` feature).
pub fn spec(id: &str) -> Result<&'static EnvSpec, Error> {
    REGISTRY.iter().find(|s| s.id == id).ok_or_else(|| {
        if MUJOCO_IDS.contains(&id) {
            Error::NeedsMujoco { id: id.to_string() }
        } else {
            Error::UnknownEnv {
                id: id.to_string(),
                known: ids(),
            }
        }
    })
}

/// Like `gym.make(id)`: the environment wrapped in its [`TimeLimit`]
/// (Pendulum-v1: 200 steps, MountainCarContinuous-v0: 999, the MuJoCo ones: 1000). Unseeded until
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

    #[test]
    fn mujoco_ids_are_registered_only_with_the_feature() {
        for id in MUJOCO_IDS {
            let made = make(id);
            assert_eq!(made.is_ok(), HAS_MUJOCO, "{id}");
            match made {
                Ok(env) => {
                    assert_eq!(env.id(), *id);
                    assert_eq!(spec(id).unwrap().max_episode_steps, 1000);
                }
                Err(e) => assert!(e.to_string().contains(MUJOCO_MISSING), "{e}"),
            }
        }
    }
}
