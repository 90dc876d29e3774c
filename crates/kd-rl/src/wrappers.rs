//! Wrappers: Gymnasium's `TimeLimit` and a vectorised [`VecEnv`].

use rayon::prelude::*;

use crate::env::{Env, Info, Step};
use crate::error::Error;
use crate::space::BoxSpace;

/// Gymnasium's `TimeLimit`: sets `truncated = true` on the step that brings the
/// episode to `max_episode_steps` (and on any later step without a reset).
/// `terminated` is passed through untouched, so both can be true at once.
#[derive(Clone, Debug)]
pub struct TimeLimit<E> {
    env: E,
    max_episode_steps: usize,
    elapsed_steps: usize,
}

impl<E: Env> TimeLimit<E> {
    /// Wraps `env`.
    ///
    /// # Panics
    /// If `max_episode_steps` is 0 (Gymnasium rejects it too).
    pub fn new(env: E, max_episode_steps: usize) -> Self {
        assert!(
            max_episode_steps > 0,
            "TimeLimit: max_episode_steps must be > 0"
        );
        Self {
            env,
            max_episode_steps,
            elapsed_steps: 0,
        }
    }

    /// The step limit.
    pub fn max_episode_steps(&self) -> usize {
        self.max_episode_steps
    }

    /// Steps taken since the last reset.
    pub fn elapsed_steps(&self) -> usize {
        self.elapsed_steps
    }

    /// The wrapped environment.
    pub fn inner(&self) -> &E {
        &self.env
    }

    /// The wrapped environment, mutably.
    pub fn inner_mut(&mut self) -> &mut E {
        &mut self.env
    }

    /// Unwraps.
    pub fn into_inner(self) -> E {
        self.env
    }
}

impl<E: Env> Env for TimeLimit<E> {
    fn id(&self) -> &str {
        self.env.id()
    }
    fn observation_space(&self) -> &BoxSpace {
        self.env.observation_space()
    }
    fn action_space(&self) -> &BoxSpace {
        self.env.action_space()
    }
    fn reset(&mut self, seed: Option<u64>) -> (Vec<f32>, Info) {
        self.elapsed_steps = 0;
        self.env.reset(seed)
    }
    fn step(&mut self, action: &[f32]) -> Step {
        let mut step = self.env.step(action);
        self.elapsed_steps += 1;
        if self.elapsed_steps >= self.max_episode_steps {
            step.truncated = true;
        }
        step
    }
    fn obs_f64(&self) -> Option<Vec<f64>> {
        self.env.obs_f64()
    }
}

/// What a [`VecEnv`] does with a sub-environment whose episode has ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AutoresetMode {
    /// Gymnasium 1.x's default (`AutoresetMode.NEXT_STEP`): the step that ends
    /// an episode returns its final observation normally; on the *next*
    /// `step`, that sub-environment ignores its action, calls `reset(None)` and
    /// returns the reset observation with reward 0, `terminated = truncated =
    /// false` and the reset info. Learners must skip that transition.
    #[default]
    NextStep,
    /// `AutoresetMode.SAME_STEP`: the step that ends an episode immediately
    /// calls `reset(None)`; `obs`/`infos` hold the reset observation and info,
    /// while the reward and flags are the final step's, and the final
    /// observation and info go to [`VecStep::final_obs`] / [`VecStep::final_info`].
    SameStep,
}

/// How a [`VecEnv`] steps its sub-environments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Execution {
    /// One after the other on the calling thread (best for few, cheap envs).
    Sequential,
    /// On rayon's global pool with `par_iter_mut`.
    Parallel,
    /// Parallel when there are at least [`AUTO_PARALLEL_MIN_ENVS`] envs and
    /// rayon has more than one thread, else sequential.
    #[default]
    Auto,
}

/// Smallest number of envs for which [`Execution::Auto`] goes parallel: a
/// classic-control step costs well under a microsecond, less than rayon's
/// per-call overhead, so only many envs amortise it.
pub const AUTO_PARALLEL_MIN_ENVS: usize = 128;

/// The result of [`VecEnv::step`], one entry per sub-environment; observations
/// are flattened row-major `[num_envs, obs_dim]`.
#[derive(Clone, Debug, PartialEq)]
pub struct VecStep {
    /// Observations, `num_envs * obs_dim` values.
    pub obs: Vec<f32>,
    /// Rewards.
    pub rewards: Vec<f64>,
    /// Terminated flags.
    pub terminated: Vec<bool>,
    /// Truncated flags.
    pub truncated: Vec<bool>,
    /// Infos (the reset info where an autoreset happened in `SameStep` mode).
    pub infos: Vec<Info>,
    /// `SameStep` mode: the final observation of each episode that ended in
    /// this step; always `None` in `NextStep` mode.
    pub final_obs: Vec<Option<Vec<f32>>>,
    /// `SameStep` mode: the final info of each episode that ended in this step.
    pub final_info: Vec<Option<Info>>,
}

impl VecStep {
    /// Observation of sub-environment `i`.
    pub fn obs_row(&self, i: usize) -> &[f32] {
        let d = self.obs.len() / self.rewards.len();
        &self.obs[i * d..(i + 1) * d]
    }
}

struct Outcome {
    step: Step,
    final_obs: Option<Vec<f32>>,
    final_info: Option<Info>,
}

fn step_one(env: &mut dyn Env, action: &[f32], pending: &mut bool, mode: AutoresetMode) -> Outcome {
    match mode {
        AutoresetMode::NextStep => {
            let step = if *pending {
                let (obs, info) = env.reset(None);
                Step {
                    obs,
                    reward: 0.0,
                    terminated: false,
                    truncated: false,
                    info,
                }
            } else {
                env.step(action)
            };
            *pending = step.done();
            Outcome {
                step,
                final_obs: None,
                final_info: None,
            }
        }
        AutoresetMode::SameStep => {
            let mut step = env.step(action);
            if step.done() {
                let (obs, info) = env.reset(None);
                let final_obs = std::mem::replace(&mut step.obs, obs);
                let final_info = std::mem::replace(&mut step.info, info);
                Outcome {
                    step,
                    final_obs: Some(final_obs),
                    final_info: Some(final_info),
                }
            } else {
                Outcome {
                    step,
                    final_obs: None,
                    final_info: None,
                }
            }
        }
    }
}

/// N environments with the same spaces, stepped together (Gymnasium's
/// `SyncVectorEnv`, optionally on rayon). Episodes that end are reset
/// automatically, per [`AutoresetMode`]; autoresets call `reset(None)`, so each
/// sub-environment keeps drawing from its own generator.
pub struct VecEnv {
    envs: Vec<Box<dyn Env>>,
    pending_reset: Vec<bool>,
    mode: AutoresetMode,
    execution: Execution,
    obs_dim: usize,
    act_dim: usize,
}

impl VecEnv {
    /// Vectorises `envs`; they must all have the spaces of `envs[0]`.
    pub fn new(
        envs: Vec<Box<dyn Env>>,
        mode: AutoresetMode,
        execution: Execution,
    ) -> Result<Self, Error> {
        let first = envs.first().ok_or(Error::NoEnvs)?;
        let (obs_space, act_space) = (first.observation_space(), first.action_space());
        for (index, env) in envs.iter().enumerate().skip(1) {
            let which = if env.observation_space() != obs_space {
                "observation"
            } else if env.action_space() != act_space {
                "action"
            } else {
                continue;
            };
            return Err(Error::IncompatibleSpaces {
                index,
                id: env.id().to_string(),
                which,
            });
        }
        let (obs_dim, act_dim) = (obs_space.dim(), act_space.dim());
        Ok(Self {
            pending_reset: vec![false; envs.len()],
            envs,
            mode,
            execution,
            obs_dim,
            act_dim,
        })
    }

    /// `num_envs` copies of [`crate::envs::make`]`(id)` (time limit included).
    pub fn make(
        id: &str,
        num_envs: usize,
        mode: AutoresetMode,
        execution: Execution,
    ) -> Result<Self, Error> {
        let envs = (0..num_envs)
            .map(|_| crate::envs::make(id))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(envs, mode, execution)
    }

    /// Number of sub-environments.
    pub fn num_envs(&self) -> usize {
        self.envs.len()
    }

    /// Observation dimension of one sub-environment.
    pub fn obs_dim(&self) -> usize {
        self.obs_dim
    }

    /// Action dimension of one sub-environment.
    pub fn action_dim(&self) -> usize {
        self.act_dim
    }

    /// The single-environment observation space.
    pub fn observation_space(&self) -> &BoxSpace {
        self.envs[0].observation_space()
    }

    /// The single-environment action space.
    pub fn action_space(&self) -> &BoxSpace {
        self.envs[0].action_space()
    }

    /// The autoreset mode.
    pub fn autoreset_mode(&self) -> AutoresetMode {
        self.mode
    }

    /// The sub-environments.
    pub fn envs(&self) -> &[Box<dyn Env>] {
        &self.envs
    }

    /// Resets every sub-environment. As in Gymnasium, `Some(s)` seeds
    /// sub-environment `i` with `s + i` (wrapping at `u64::MAX`, where Python
    /// would use a wider int); `None` keeps each generator. Returns the
    /// flattened observations and the infos.
    pub fn reset(&mut self, seed: Option<u64>) -> (Vec<f32>, Vec<Info>) {
        let seeds: Vec<Option<u64>> = (0..self.envs.len() as u64)
            .map(|i| seed.map(|s| s.wrapping_add(i)))
            .collect();
        self.reset_with_seeds(&seeds)
    }

    /// Resets sub-environment `i` with `seeds[i]`.
    ///
    /// # Panics
    /// If `seeds.len() != self.num_envs()`.
    pub fn reset_with_seeds(&mut self, seeds: &[Option<u64>]) -> (Vec<f32>, Vec<Info>) {
        assert_eq!(
            seeds.len(),
            self.envs.len(),
            "VecEnv::reset_with_seeds: one seed per env"
        );
        self.pending_reset.fill(false);
        let mut obs = Vec::with_capacity(self.envs.len() * self.obs_dim);
        let mut infos = Vec::with_capacity(self.envs.len());
        for (env, &seed) in self.envs.iter_mut().zip(seeds) {
            let (o, info) = env.reset(seed);
            obs.extend_from_slice(&o);
            infos.push(info);
        }
        (obs, infos)
    }

    fn parallel(&self) -> bool {
        match self.execution {
            Execution::Sequential => false,
            Execution::Parallel => true,
            Execution::Auto => {
                self.envs.len() >= AUTO_PARALLEL_MIN_ENVS && rayon::current_num_threads() > 1
            }
        }
    }

    /// Steps every sub-environment with its row of `actions` (row-major
    /// `[num_envs, action_dim]`), autoresetting per the [`AutoresetMode`].
    ///
    /// # Panics
    /// If `actions.len() != num_envs * action_dim`, or if called before
    /// [`VecEnv::reset`].
    pub fn step(&mut self, actions: &[f32]) -> VecStep {
        assert_eq!(
            actions.len(),
            self.envs.len() * self.act_dim,
            "VecEnv::step: expected {} x {} actions",
            self.envs.len(),
            self.act_dim
        );
        let mode = self.mode;
        let outcomes: Vec<Outcome> = if self.parallel() {
            self.envs
                .par_iter_mut()
                .zip(actions.par_chunks(self.act_dim))
                .zip(self.pending_reset.par_iter_mut())
                .map(|((env, a), pending)| step_one(env.as_mut(), a, pending, mode))
                .collect()
        } else {
            self.envs
                .iter_mut()
                .zip(actions.chunks(self.act_dim))
                .zip(self.pending_reset.iter_mut())
                .map(|((env, a), pending)| step_one(env.as_mut(), a, pending, mode))
                .collect()
        };
        let n = outcomes.len();
        let mut out = VecStep {
            obs: Vec::with_capacity(n * self.obs_dim),
            rewards: Vec::with_capacity(n),
            terminated: Vec::with_capacity(n),
            truncated: Vec::with_capacity(n),
            infos: Vec::with_capacity(n),
            final_obs: Vec::with_capacity(n),
            final_info: Vec::with_capacity(n),
        };
        for o in outcomes {
            out.obs.extend_from_slice(&o.step.obs);
            out.rewards.push(o.step.reward);
            out.terminated.push(o.step.terminated);
            out.truncated.push(o.step.truncated);
            out.infos.push(o.step.info);
            out.final_obs.push(o.final_obs);
            out.final_info.push(o.final_info);
        }
        out
    }
}
