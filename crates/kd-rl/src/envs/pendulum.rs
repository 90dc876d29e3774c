//! `Pendulum-v1`, a bit-exact port of Gymnasium 1.4.0's
//! `gymnasium/envs/classic_control/pendulum.py` under NumPy 2 (NEP 50) rules.

use std::f64::consts::PI;

use crate::env::{check_action_len, Env, EnvRng, Info, Step};
use crate::numpy_math::{np_floor_mod, np_pow, np_powf};
use crate::space::BoxSpace;

/// Registered id.
pub const ID: &str = "Pendulum-v1";
/// `gym.make`'s TimeLimit for this id.
pub const MAX_EPISODE_STEPS: usize = 200;

const MAX_SPEED: f64 = 8.0;
const MAX_TORQUE: f32 = 2.0;
const DT: f64 = 0.05;
/// `3 * g / (2 * l)` with g = 10, l = 1.
const GRAVITY_TERM: f64 = 15.0;
/// `3.0 / (m * l**2)` with m = l = 1; multiplies the float32 torque in float32.
const TORQUE_TERM: f32 = 3.0;

/// The inverted pendulum swing-up: observation `[cos θ, sin θ, θ̇]`, action
/// `[torque]` in `[-2, 2]` (clipped inside `step`), reward
/// `-(normalize(θ)² + 0.1 θ̇² + 0.001 u²)`. Never terminates; use
/// [`crate::envs::make`] for the 200-step time limit.
///
/// Dtypes follow NumPy 2: the state is float64, the clipped torque `u` stays
/// float32 (so `3.0 * u` and `0.001 * u**2` are float32 operations), `**2` is
/// libm `pow`/`powf`, and the observation is cast to float32 once.
#[derive(Clone, Debug)]
pub struct Pendulum {
    rng: EnvRng,
    state: Option<[f64; 2]>,
    observation_space: BoxSpace,
    action_space: BoxSpace,
}

impl Default for Pendulum {
    fn default() -> Self {
        Self::new()
    }
}

impl Pendulum {
    /// A new, unseeded pendulum (call [`Env::reset`] before stepping).
    pub fn new() -> Self {
        let high = vec![1.0, 1.0, MAX_SPEED as f32];
        Self {
            rng: EnvRng::new(),
            state: None,
            observation_space: BoxSpace::from_bounds(high.iter().map(|h| -h).collect(), high),
            action_space: BoxSpace::from_bounds(vec![-MAX_TORQUE], vec![MAX_TORQUE]),
        }
    }

    /// The internal state `[θ, θ̇]` (float64, θ not wrapped), `None` before reset.
    pub fn state(&self) -> Option<[f64; 2]> {
        self.state
    }

    fn obs(&self) -> Vec<f32> {
        let [th, thdot] = self.state.expect("Pendulum-v1: step called before reset");
        vec![th.cos() as f32, th.sin() as f32, thdot as f32]
    }
}

/// `((x + pi) % (2 * pi)) - pi` with NumPy's floor modulo.
fn angle_normalize(x: f64) -> f64 {
    np_floor_mod(x + PI, 2.0 * PI) - PI
}

/// `np.clip(x, lo, hi)` for a float32 scalar (NaN passes through).
fn clip_f32(x: f32, lo: f32, hi: f32) -> f32 {
    if x < lo {
        lo
    } else if x > hi {
        hi
    } else {
        x
    }
}

/// `np.clip(x, lo, hi)` for a float64 scalar (NaN passes through).
fn clip_f64(x: f64, lo: f64, hi: f64) -> f64 {
    if x < lo {
        lo
    } else if x > hi {
        hi
    } else {
        x
    }
}

impl Env for Pendulum {
    fn id(&self) -> &str {
        ID
    }

    fn observation_space(&self) -> &BoxSpace {
        &self.observation_space
    }

    fn action_space(&self) -> &BoxSpace {
        &self.action_space
    }

    /// `np_random.uniform(low=-[pi, 1], high=[pi, 1])`: two float64 draws.
    fn reset(&mut self, seed: Option<u64>) -> (Vec<f32>, Info) {
        let rng = self.rng.reseed(seed);
        let th = rng.uniform(-PI, PI);
        let thdot = rng.uniform(-1.0, 1.0);
        self.state = Some([th, thdot]);
        (self.obs(), Info::new())
    }

    fn step(&mut self, action: &[f32]) -> Step {
        check_action_len(ID, &self.action_space, action);
        let [th, thdot] = self.state.expect("Pendulum-v1: step called before reset");
        let u = clip_f32(action[0], -MAX_TORQUE, MAX_TORQUE);

        let costs = (np_pow(angle_normalize(th), 2.0) + 0.1 * np_pow(thdot, 2.0))
            + f64::from(0.001f32 * np_powf(u, 2.0));

        let newthdot = thdot + (GRAVITY_TERM * th.sin() + f64::from(TORQUE_TERM * u)) * DT;
        let newthdot = clip_f64(newthdot, -MAX_SPEED, MAX_SPEED);
        let newth = th + newthdot * DT;
        self.state = Some([newth, newthdot]);

        Step {
            obs: self.obs(),
            reward: -costs,
            terminated: false,
            truncated: false,
            info: Info::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angle_normalize_wraps_into_minus_pi_pi() {
        assert_eq!(angle_normalize(0.0), 0.0);
        assert!((angle_normalize(3.0 * PI / 2.0) + PI / 2.0).abs() < 1e-12);
        assert!((angle_normalize(-3.0 * PI / 2.0) - PI / 2.0).abs() < 1e-12);
        let a = angle_normalize(72.0);
        assert!((-PI..PI).contains(&a));
    }

    #[test]
    fn torque_is_clipped_and_state_updates() {
        let mut a = Pendulum::new();
        let mut b = Pendulum::new();
        a.reset(Some(5));
        b.reset(Some(5));
        let sa = a.step(&[100.0]);
        let sb = b.step(&[2.0]);
        assert_eq!(sa, sb);
        assert_ne!(a.state(), None);
        assert!(sa.reward <= 0.0);
    }

    #[test]
    #[should_panic(expected = "before reset")]
    fn step_before_reset_panics() {
        Pendulum::new().step(&[0.0]);
    }
}
