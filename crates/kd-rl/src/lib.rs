//! kd-rl: kdbench's reinforcement-learning environments, in pure Rust, and the TD3/DDPG
//! learners, dual policy distillation and RL tasks on tch.
//!
//! Bit-exact ports of Gymnasium 1.4.0 environments as they run under NumPy 2
//! (NEP 50 promotion), seeding included, so a Rust rollout from
//! `reset(Some(seed))` reproduces the Python one observation for observation.
//!
//! - [`seeding`]: NumPy's `SeedSequence`, `PCG64`, `Generator::uniform` and
//!   `Generator::standard_normal` (NumPy's ziggurat).
//! - [`space`]: `float32` Box spaces.
//! - [`mod@env`]: the Gymnasium-shaped [`Env`] trait, [`Step`] and [`Info`].
//! - [`envs`]: `Pendulum-v1`, `MountainCarContinuous-v0`, the [`make`] registry and, with
//!   the `mujoco` feature, `HalfCheetah-v5`, `Hopper-v5`, `Walker2d-v5` and `Swimmer-v5`
//!   on MuJoCo 3.17.0 (`envs::mujoco`).
//! - [`wrappers`]: [`TimeLimit`] and the vectorised [`VecEnv`].
//! - [`mod@replay`]: replaying an actions CSV into a trajectory CSV ([`replay()`]).
//! - [`error`]: the crate's [`Error`].
//! - [`agent`]: actor-critic networks, replay buffer, TD3/DDPG updates, distillation terms.
//! - [`train`]: one or two learners trained side by side with periodic evaluation.
//! - [`teacher`]: pre-trained TD3 teachers, cached on disk.
//! - [`config`], [`method`], [`task`]: task configs, RL methods as data
//!   (`methods.toml`, `domain = "rl"`) and the tasks registered with the harness
//!   ([`rl_tasks`], [`rl_method_tables`], [`check_rl_method`]).
//!
//! Reference data and the dtype rules the ports follow are in
//! `tests/data/gymnasium/README.md`. The Pendulum reward calls the platform's
//! C `pow`/`powf` (glibc on Linux, as NumPy does), so exactness of rewards is
//! established for x86_64 glibc.
#![warn(missing_docs)]

pub mod agent;
pub mod config;
pub mod env;
pub mod envs;
pub mod error;
pub mod method;
mod numpy_math;
pub mod replay;
pub mod seeding;
pub mod space;
pub mod task;
pub mod teacher;
pub mod train;
pub mod wrappers;
mod ziggurat;

pub use env::{Env, EnvRng, Info, Step};
pub use envs::{make, make_unwrapped};
pub use error::Error;
pub use method::{check_rl_method, is_rl_method, rl_method_tables, RlMethod};
pub use replay::{replay, ReplayError, ReplaySummary};
pub use seeding::{Generator, Pcg64, SeedSequence};
pub use space::BoxSpace;
pub use task::{rl_tasks, RlTask};
pub use wrappers::{AutoresetMode, Execution, TimeLimit, VecEnv, VecStep};
