//! The Gymnasium-shaped environment interface.

use std::collections::BTreeMap;

use crate::seeding::Generator;
use crate::space::BoxSpace;

/// Gymnasium's `info` dict, restricted to named scalar values (the classic-control
/// ports return it empty; the MuJoCo environments fill in Gymnasium's keys).
pub type Info = BTreeMap<String, f64>;

/// The result of [`Env::step`], Gymnasium's 5-tuple.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// Observation after the step (`float32`).
    pub obs: Vec<f32>,
    /// Reward for the step (Gymnasium returns a Python/NumPy float64).
    pub reward: f64,
    /// The episode reached a terminal state of the MDP.
    pub terminated: bool,
    /// The episode was cut short by something outside the MDP (e.g. a time limit).
    pub truncated: bool,
    /// Extra information.
    pub info: Info,
}

impl Step {
    /// `terminated || truncated`: the episode is over and needs a reset.
    pub fn done(&self) -> bool {
        self.terminated || self.truncated
    }
}

/// A Gymnasium-style environment with `float32` Box observation and action spaces.
///
/// Seeding follows Gymnasium's base `Env.reset`: `reset(Some(s))` replaces the
/// environment's generator with `Generator(PCG64(SeedSequence(s)))`;
/// `reset(None)` keeps the existing generator, and an environment that was
/// never seeded draws a fresh one from OS entropy on first use (like NumPy's
/// `SeedSequence(None)`), so unseeded runs are not reproducible. See [`EnvRng`].
///
/// Environments are `Send` so that [`crate::wrappers::VecEnv`] can step them on rayon.
pub trait Env: Send {
    /// The registered id, e.g. `"Pendulum-v1"`.
    fn id(&self) -> &str;

    /// The observation space.
    fn observation_space(&self) -> &BoxSpace;

    /// The action space.
    fn action_space(&self) -> &BoxSpace;

    /// Starts a new episode, reseeding first if `seed` is given; returns the
    /// first observation and the info.
    fn reset(&mut self, seed: Option<u64>) -> (Vec<f32>, Info);

    /// Advances one step with `action` (not clipped to the action space unless
    /// the environment itself clips, as in Gymnasium).
    ///
    /// # Panics
    /// If called before the first [`Env::reset`], or if `action.len()` differs
    /// from the action space's dimension.
    fn step(&mut self, action: &[f32]) -> Step;

    /// The latest observation (from the last `reset` or `step`) at float64, for
    /// environments whose Gymnasium observation dtype is `float64` (the MuJoCo
    /// environments); `None` for `float32` environments and before the first reset.
    /// [`Env::reset`] and [`Env::step`] return it cast to `f32`.
    fn obs_f64(&self) -> Option<Vec<f64>> {
        None
    }
}

impl<E: Env + ?Sized> Env for Box<E> {
    fn id(&self) -> &str {
        (**self).id()
    }
    fn observation_space(&self) -> &BoxSpace {
        (**self).observation_space()
    }
    fn action_space(&self) -> &BoxSpace {
        (**self).action_space()
    }
    fn reset(&mut self, seed: Option<u64>) -> (Vec<f32>, Info) {
        (**self).reset(seed)
    }
    fn step(&mut self, action: &[f32]) -> Step {
        (**self).step(action)
    }
    fn obs_f64(&self) -> Option<Vec<f64>> {
        (**self).obs_f64()
    }
}

/// An environment's `np_random`, with Gymnasium's seeding rules.
#[derive(Clone, Debug, Default)]
pub struct EnvRng {
    rng: Option<Generator>,
}

impl EnvRng {
    /// An unseeded generator slot (filled from OS entropy on first use).
    pub fn new() -> Self {
        Self::default()
    }

    /// What `super().reset(seed=seed)` does: with `Some(s)`, replace the
    /// generator by `Generator(PCG64(SeedSequence(s)))`; with `None`, keep it
    /// (creating it from OS entropy if there is none yet). Returns it.
    pub fn reseed(&mut self, seed: Option<u64>) -> &mut Generator {
        if let Some(s) = seed {
            self.rng = Some(Generator::from_seed(s));
        }
        self.get()
    }

    /// The generator (`np_random`), created from OS entropy if never seeded.
    pub fn get(&mut self) -> &mut Generator {
        self.rng.get_or_insert_with(Generator::from_entropy)
    }
}

/// Panics with a uniform message if `action` has the wrong length.
pub(crate) fn check_action_len(id: &str, space: &BoxSpace, action: &[f32]) {
    assert_eq!(
        action.len(),
        space.dim(),
        "{id}: action has {} values, the action space has {}",
        action.len(),
        space.dim()
    );
}
