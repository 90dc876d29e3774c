//! `MountainCarContinuous-v0`, a bit-exact port of Gymnasium 1.4.0's
//! `gymnasium/envs/classic_control/continuous_mountain_car.py` under NumPy 2
//! (NEP 50) rules.

use crate::env::{check_action_len, Env, EnvRng, Info, Step};
use crate::space::BoxSpace;

/// Registered id.
pub const ID: &str = "MountainCarContinuous-v0";
/// `gym.make`'s TimeLimit for this id.
pub const MAX_EPISODE_STEPS: usize = 999;

const MIN_ACTION: f64 = -1.0;
const MAX_ACTION: f64 = 1.0;
const MIN_POSITION: f64 = -1.2;
const MAX_POSITION: f64 = 0.6;
const MAX_SPEED: f64 = 0.07;
const GOAL_POSITION: f64 = 0.45;
const GOAL_VELOCITY: f64 = 0.0;
const POWER: f64 = 0.0015;

/// The state's dtype history: float64 right after reset, float32 after any step.
#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    F64 { position: f64, velocity: f64 },
    F32 { position: f32, velocity: f32 },
}

/// The force after Python's builtin `min(max(a, -1.0), 1.0)`: the float32 action
/// object when in range, a Python float (f64) bound when clipped.
#[derive(Clone, Copy, Debug)]
enum Force {
    F32(f32),
    Py(f64),
}

impl Force {
    fn clip(a: f32) -> Self {
        // max(a, lo) returns lo only if lo > a; min(x, hi) returns hi only if hi < x.
        let f = if MIN_ACTION as f32 > a {
            Force::Py(MIN_ACTION)
        } else {
            Force::F32(a)
        };
        match f {
            Force::F32(x) if (MAX_ACTION as f32) < x => Force::Py(MAX_ACTION),
            other => other,
        }
    }
}

/// The car in a valley with a continuous `[force]` action in `[-1, 1]`:
/// observation `[position, velocity]`, reward `-0.1 a²` per step plus 100 on
/// reaching `position >= 0.45` (terminated). Use [`crate::envs::make`] for the
/// 999-step time limit.
///
/// Dtypes follow NumPy 2: the reset state is float64, each step stores the
/// state as float32, so the first step after a reset runs mostly in float64 and
/// later ones in float32; the force is clipped with Python's builtin `min`/`max`,
/// and the reward (a Python float) uses the unclipped action.
#[derive(Clone, Debug)]
pub struct MountainCarContinuous {
    rng: EnvRng,
    state: Option<State>,
    observation_space: BoxSpace,
    action_space: BoxSpace,
}

impl Default for MountainCarContinuous {
    fn default() -> Self {
        Self::new()
    }
}

impl MountainCarContinuous {
    /// A new, unseeded car (call [`Env::reset`] before stepping).
    pub fn new() -> Self {
        Self {
            rng: EnvRng::new(),
            state: None,
            observation_space: BoxSpace::from_bounds(
                vec![MIN_POSITION as f32, -MAX_SPEED as f32],
                vec![MAX_POSITION as f32, MAX_SPEED as f32],
            ),
            action_space: BoxSpace::from_bounds(vec![MIN_ACTION as f32], vec![MAX_ACTION as f32]),
        }
    }

    /// The internal state `[position, velocity]` as float64 values (float64 at
    /// reset, float32 values after any step), `None` before reset.
    pub fn state(&self) -> Option<[f64; 2]> {
        self.state.map(|s| match s {
            State::F64 { position, velocity } => [position, velocity],
            State::F32 { position, velocity } => [f64::from(position), f64::from(velocity)],
        })
    }

    fn obs(&self) -> Vec<f32> {
        let [p, v] = self
            .state()
            .expect("MountainCarContinuous-v0: step called before reset");
        vec![p as f32, v as f32]
    }
}

/// One step from the float64 reset state (Python float / np.float64 arithmetic).
fn step_f64(mut position: f64, mut velocity: f64, force: Force) -> (f32, f32, bool) {
    let gravity = 0.0025 * (3.0 * position).cos();
    velocity += match force {
        // np.float32 * float -> float32; float32 - float -> float32; f64 += f32 -> f64.
        Force::F32(f) => f64::from(f * POWER as f32 - gravity as f32),
        Force::Py(f) => f * POWER - gravity,
    };
    velocity = velocity.clamp(-MAX_SPEED, MAX_SPEED);
    position += velocity;
    position = position.clamp(MIN_POSITION, MAX_POSITION);
    if position == MIN_POSITION && velocity < 0.0 {
        velocity = 0.0;
    }
    let terminated = position >= GOAL_POSITION && velocity >= GOAL_VELOCITY;
    (position as f32, velocity as f32, terminated)
}

/// One step from a float32 state (NEP 50: Python floats act as float32).
fn step_f32(mut position: f32, mut velocity: f32, force: Force) -> (f32, f32, bool) {
    let gravity = 0.0025 * f64::from(3.0f32 * position).cos();
    velocity += match force {
        Force::F32(f) => f * POWER as f32 - gravity as f32,
        Force::Py(f) => (f * POWER - gravity) as f32,
    };
    // `if velocity > max_speed: velocity = max_speed` etc., compared in float32.
    if velocity > MAX_SPEED as f32 {
        velocity = MAX_SPEED as f32;
    }
    if velocity < -MAX_SPEED as f32 {
        velocity = -MAX_SPEED as f32;
    }
    position += velocity;
    if position > MAX_POSITION as f32 {
        position = MAX_POSITION as f32;
    }
    if position < MIN_POSITION as f32 {
        position = MIN_POSITION as f32;
    }
    if position == MIN_POSITION as f32 && velocity < 0.0 {
        velocity = 0.0;
    }
    let terminated = position >= GOAL_POSITION as f32 && velocity >= GOAL_VELOCITY as f32;
    (position, velocity, terminated)
}

impl Env for MountainCarContinuous {
    fn id(&self) -> &str {
        ID
    }

    fn observation_space(&self) -> &BoxSpace {
        &self.observation_space
    }

    fn action_space(&self) -> &BoxSpace {
        &self.action_space
    }

    /// `np_random.uniform(low=-0.6, high=-0.4)`: one float64 draw; velocity 0.
    fn reset(&mut self, seed: Option<u64>) -> (Vec<f32>, Info) {
        let position = self.rng.reseed(seed).uniform(-0.6, -0.4);
        self.state = Some(State::F64 {
            position,
            velocity: 0.0,
        });
        (self.obs(), Info::new())
    }

    fn step(&mut self, action: &[f32]) -> Step {
        check_action_len(ID, &self.action_space, action);
        let state = self
            .state
            .expect("MountainCarContinuous-v0: step called before reset");
        let a = action[0];
        let force = Force::clip(a);
        let (position, velocity, terminated) = match state {
            State::F64 { position, velocity } => step_f64(position, velocity, force),
            State::F32 { position, velocity } => step_f32(position, velocity, force),
        };
        self.state = Some(State::F32 { position, velocity });

        // reward = 0 (or 100.0); reward -= math.pow(a, 2) * 0.1. a² is exact in f64.
        let a = f64::from(a);
        let base = if terminated { 100.0 } else { 0.0 };
        Step {
            obs: vec![position, velocity],
            reward: base - a * a * 0.1,
            terminated,
            truncated: false,
            info: Info::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_state_is_f64_then_f32() {
        let mut env = MountainCarContinuous::new();
        env.reset(Some(0));
        let [p, _] = env.state().unwrap();
        assert_ne!(
            f64::from(p as f32),
            p,
            "reset position should not be an f32 value"
        );
        env.step(&[0.5]);
        let [p, v] = env.state().unwrap();
        assert_eq!(f64::from(p as f32), p);
        assert_eq!(f64::from(v as f32), v);
    }

    #[test]
    fn reward_uses_the_unclipped_action() {
        let mut env = MountainCarContinuous::new();
        env.reset(Some(1));
        // Python: 0 - math.pow(3.0, 2) * 0.1 == -0.9; the force is clipped to 1.0.
        let s = env.step(&[3.0]);
        assert_eq!(s.reward, -0.9);
        assert!(env.observation_space().contains(&s.obs));
        assert_eq!(env.step(&[-1.0]).reward, -0.1);
    }

    #[test]
    fn zero_action_reward_is_positive_zero() {
        let mut env = MountainCarContinuous::new();
        env.reset(Some(2));
        let r = env.step(&[0.0]).reward;
        assert_eq!(r, 0.0);
        assert!(r.is_sign_positive());
    }
}
