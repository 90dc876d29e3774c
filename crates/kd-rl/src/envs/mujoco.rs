//! Gymnasium 1.4.0's MuJoCo locomotion environments, version 5, with their default arguments:
//! `HalfCheetah-v5`, `Hopper-v5`, `Walker2d-v5` and `Swimmer-v5` (feature `mujoco`).
//!
//! The physics is MuJoCo 3.17.0 itself (through `mujoco-rs`), on the model files of the
//! Gymnasium wheel, which `scripts/mujoco.sh` fetches and the build embeds. The Python side of
//! each environment is ported as it runs under NumPy 2:
//! - `reset(seed)`: `mj_resetData`, then `qpos = init_qpos + uniform(-s, s, nq)` and `qvel =
//!   init_qvel + uniform(-s, s, nv)` (HalfCheetah: `+ s * standard_normal(nv)`), drawn from
//!   the env's NumPy generator, then `mj_forward` (`set_state`);
//! - `step(a)`: `ctrl = a` (float32 values, not clipped), `frame_skip` calls of `mj_step`, then
//!   `mj_rnePostConstraint`; `x_velocity = (x_after - x_before) / dt` with `dt = timestep *
//!   frame_skip`; `ctrl_cost = w * sum(square(a))` in **float32** (a Python float times a
//!   float32 sum); reward `forward - ctrl_cost` (`forward + healthy - ctrl_cost` for Hopper and
//!   Walker2d), in float64;
//! - observations are float64: `qpos` without the first (Swimmer: two) coordinates, then
//!   `qvel` (clipped to `[-10, 10]` for Hopper and Walker2d); [`Env::obs_f64`] gives them
//!   exactly, `reset` and `step` return them cast to `f32`;
//! - Hopper and Walker2d terminate when unhealthy (`terminate_when_unhealthy = True`).
//!
//! `info` holds Gymnasium's scalar keys (`x_position`, `x_velocity`, `reward_forward`,
//! `reward_ctrl`, ...). HalfCheetah-v5 is checked bit for bit against Gymnasium (see
//! `tests/mujoco.rs`).

use std::sync::Once;

use mujoco_rs::prelude::{set_log_handler, MjData, MjLogMessage, MjModel};

use crate::env::{check_action_len, Env, EnvRng, Info, Step};
use crate::space::BoxSpace;

/// `gym.make`'s TimeLimit for every id here.
pub const MAX_EPISODE_STEPS: usize = 1000;

/// The healthy ranges of Hopper and Walker2d (open intervals, as Gymnasium compares).
#[derive(Clone, Copy, Debug)]
struct Health {
    /// `healthy_state_range` over `state_vector()[2:]` (Hopper only).
    state: Option<(f64, f64)>,
    /// `healthy_z_range` over `qpos[1]`.
    z: (f64, f64),
    /// `healthy_angle_range` over `qpos[2]`.
    angle: (f64, f64),
}

/// One environment's constants: Gymnasium's v5 defaults.
#[derive(Debug)]
struct Spec {
    id: &'static str,
    xml: &'static str,
    frame_skip: usize,
    ctrl_cost_weight: f32,
    reset_noise_scale: f64,
    /// HalfCheetah draws the velocity noise from `standard_normal`, the others from `uniform`.
    normal_qvel_noise: bool,
    /// Leading `qpos` entries left out of the observation.
    skipped_qpos: usize,
    /// `np.clip(qvel, -10, 10)` in the observation.
    clip_qvel: bool,
    health: Option<Health>,
}

macro_rules! asset {
    ($file:literal) => {
        include_str!(concat!(env!("KD_RL_MUJOCO_ASSETS"), "/", $file))
    };
}

static HALF_CHEETAH: Spec = Spec {
    id: super::HALF_CHEETAH_ID,
    xml: asset!("half_cheetah.xml"),
    frame_skip: 5,
    ctrl_cost_weight: 0.1,
    reset_noise_scale: 0.1,
    normal_qvel_noise: true,
    skipped_qpos: 1,
    clip_qvel: false,
    health: None,
};

static HOPPER: Spec = Spec {
    id: super::HOPPER_ID,
    xml: asset!("hopper.xml"),
    frame_skip: 4,
    ctrl_cost_weight: 1e-3,
    reset_noise_scale: 5e-3,
    normal_qvel_noise: false,
    skipped_qpos: 1,
    clip_qvel: true,
    health: Some(Health {
        state: Some((-100.0, 100.0)),
        z: (0.7, f64::INFINITY),
        angle: (-0.2, 0.2),
    }),
};

static WALKER2D: Spec = Spec {
    id: super::WALKER2D_ID,
    xml: asset!("walker2d_v5.xml"),
    frame_skip: 4,
    ctrl_cost_weight: 1e-3,
    reset_noise_scale: 5e-3,
    normal_qvel_noise: false,
    skipped_qpos: 1,
    clip_qvel: true,
    health: Some(Health {
        state: None,
        z: (0.8, 2.0),
        angle: (-1.0, 1.0),
    }),
};

static SWIMMER: Spec = Spec {
    id: super::SWIMMER_ID,
    xml: asset!("swimmer.xml"),
    frame_skip: 4,
    ctrl_cost_weight: 1e-4,
    reset_noise_scale: 0.1,
    normal_qvel_noise: false,
    skipped_qpos: 2,
    clip_qvel: false,
    health: None,
};

/// Sends MuJoCo's messages to stderr, once per process, before the first model loads.
/// MuJoCo's default handler prints them on stdout (where `kdbench env replay` writes its CSV)
/// and appends them to `MUJOCO_LOG.TXT` in the working directory.
fn route_mujoco_messages() {
    static ROUTE: Once = Once::new();
    // SAFETY: runs before any model exists (every MujocoEnv is built after this), so no other
    // thread uses MuJoCo meanwhile; threads building their first env wait on the Once.
    ROUTE.call_once(|| unsafe { set_log_handler(log_to_stderr) });
}

/// Writes a MuJoCo message to stderr, except the deprecation warning that the `settotalmass`
/// attribute of Gymnasium's `half_cheetah.xml` raises at every load (Gymnasium raises it too).
fn log_to_stderr(message: &MjLogMessage) {
    let subject = message.subject();
    let body = message.body().unwrap_or("");
    if subject.contains("settotalmass") || body.contains("settotalmass") {
        return;
    }
    eprintln!("MuJoCo: {subject} {body}");
}

/// A Gymnasium MuJoCo locomotion environment (v5, default arguments). Build one with
/// [`MujocoEnv::new`] or [`crate::envs::make`] (which adds the 1000-step time limit).
#[derive(Debug)]
pub struct MujocoEnv {
    spec: &'static Spec,
    data: MjData<Box<MjModel>>,
    rng: EnvRng,
    init_qpos: Vec<f64>,
    init_qvel: Vec<f64>,
    dt: f64,
    obs: Option<Vec<f64>>,
    observation_space: BoxSpace,
    action_space: BoxSpace,
}

impl MujocoEnv {
    /// The environment registered as `id` (one of [`crate::envs::MUJOCO_IDS`]), unseeded.
    ///
    /// # Panics
    /// If `id` is not a MuJoCo id, or MuJoCo cannot compile the embedded model.
    pub fn new(id: &str) -> Self {
        let spec = [&HALF_CHEETAH, &HOPPER, &WALKER2D, &SWIMMER]
            .into_iter()
            .find(|s| s.id == id)
            .unwrap_or_else(|| panic!("`{id}` is not a MuJoCo environment"));
        route_mujoco_messages();
        let model = MjModel::from_xml_string(spec.xml)
            .unwrap_or_else(|e| panic!("{id}: MuJoCo cannot load the model: {e}"));
        let (nq, nv) = (model.ffi().nq as usize, model.ffi().nv as usize);
        let dt = model.ffi().opt.timestep * spec.frame_skip as f64;
        // Gymnasium: bounds = actuator_ctrlrange.astype(float32).
        let (low, high) = model
            .actuator_ctrlrange()
            .iter()
            .map(|r| (r[0] as f32, r[1] as f32))
            .unzip();
        let data = MjData::new(Box::new(model));
        let init_qpos = data.qpos().to_vec();
        let init_qvel = data.qvel().to_vec();
        let obs_dim = nq + nv - spec.skipped_qpos;
        Self {
            spec,
            data,
            rng: EnvRng::new(),
            init_qpos,
            init_qvel,
            dt,
            obs: None,
            observation_space: BoxSpace::from_bounds(
                vec![f32::NEG_INFINITY; obs_dim],
                vec![f32::INFINITY; obs_dim],
            ),
            action_space: BoxSpace::from_bounds(low, high),
        }
    }

    /// `data.qpos` (generalised positions).
    pub fn qpos(&self) -> &[f64] {
        self.data.qpos()
    }

    /// `data.qvel` (generalised velocities).
    pub fn qvel(&self) -> &[f64] {
        self.data.qvel()
    }

    /// `dt = model.opt.timestep * frame_skip`, the time of one `step`.
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// `set_state(qpos, qvel)`: writes the state and runs `mj_forward`.
    ///
    /// # Panics
    /// If the lengths differ from `nq` / `nv`.
    pub fn set_state(&mut self, qpos: &[f64], qvel: &[f64]) {
        self.data.qpos_mut().copy_from_slice(qpos);
        self.data.qvel_mut().copy_from_slice(qvel);
        self.data.forward();
        self.obs = Some(self.observation());
    }

    /// Whether the state is healthy (always true for HalfCheetah and Swimmer).
    pub fn is_healthy(&self) -> bool {
        let Some(h) = self.spec.health else {
            return true;
        };
        let qpos = self.data.qpos();
        let (z, angle) = (qpos[1], qpos[2]);
        let within = |x: f64, (lo, hi): (f64, f64)| lo < x && x < hi;
        let state_ok = h.state.is_none_or(|range| {
            qpos.iter()
                .chain(self.data.qvel())
                .skip(2)
                .all(|&x| within(x, range))
        });
        state_ok && within(z, h.z) && within(angle, h.angle)
    }

    fn observation(&self) -> Vec<f64> {
        let qpos = &self.data.qpos()[self.spec.skipped_qpos..];
        let qvel = self.data.qvel();
        let mut obs = Vec::with_capacity(qpos.len() + qvel.len());
        obs.extend_from_slice(qpos);
        if self.spec.clip_qvel {
            obs.extend(qvel.iter().map(|&v| v.clamp(-10.0, 10.0)));
        } else {
            obs.extend_from_slice(qvel);
        }
        obs
    }

    fn position_info(&self, info: &mut Info) {
        let qpos = self.data.qpos();
        info.insert("x_position".into(), qpos[0]);
        if self.spec.health.is_some() {
            info.insert("z_distance_from_origin".into(), qpos[1] - self.init_qpos[1]);
        }
        if self.spec.skipped_qpos == 2 {
            info.insert("y_position".into(), qpos[1]);
            info.insert("distance_from_origin".into(), qpos[0].hypot(qpos[1]));
        }
    }
}

fn to_f32(obs: &[f64]) -> Vec<f32> {
    obs.iter().map(|&x| x as f32).collect()
}

impl Env for MujocoEnv {
    fn id(&self) -> &str {
        self.spec.id
    }

    fn observation_space(&self) -> &BoxSpace {
        &self.observation_space
    }

    fn action_space(&self) -> &BoxSpace {
        &self.action_space
    }

    fn reset(&mut self, seed: Option<u64>) -> (Vec<f32>, Info) {
        let scale = self.spec.reset_noise_scale;
        let rng = self.rng.reseed(seed);
        let qpos: Vec<f64> = self
            .init_qpos
            .iter()
            .map(|&q| q + rng.uniform(-scale, scale))
            .collect();
        let qvel: Vec<f64> = if self.spec.normal_qvel_noise {
            self.init_qvel
                .iter()
                .map(|&v| v + scale * rng.standard_normal())
                .collect()
        } else {
            self.init_qvel
                .iter()
                .map(|&v| v + rng.uniform(-scale, scale))
                .collect()
        };
        self.data.reset();
        self.set_state(&qpos, &qvel);
        let mut info = Info::new();
        self.position_info(&mut info);
        (to_f32(self.obs.as_ref().expect("set_state sets obs")), info)
    }

    fn step(&mut self, action: &[f32]) -> Step {
        assert!(
            self.obs.is_some(),
            "{}: step called before reset",
            self.spec.id
        );
        check_action_len(self.spec.id, &self.action_space, action);
        let before = [self.data.qpos()[0], self.data.qpos()[1]];
        for (c, &a) in self.data.ctrl_mut().iter_mut().zip(action) {
            *c = f64::from(a);
        }
        for _ in 0..self.spec.frame_skip {
            self.data.step();
        }
        self.data.rne_post_constraint();
        let after = [self.data.qpos()[0], self.data.qpos()[1]];
        let x_velocity = (after[0] - before[0]) / self.dt;

        // np.sum of a float32 array this short adds left to right.
        let square_sum = action.iter().fold(0.0f32, |acc, &a| acc + a * a);
        let ctrl_cost = self.spec.ctrl_cost_weight * square_sum;
        let forward = x_velocity;
        let mut info = Info::new();
        self.position_info(&mut info);
        info.insert("x_velocity".into(), x_velocity);
        info.insert("reward_forward".into(), forward);
        info.insert("reward_ctrl".into(), -f64::from(ctrl_cost));
        if self.spec.skipped_qpos == 2 {
            info.insert("y_velocity".into(), (after[1] - before[1]) / self.dt);
        }
        let (reward, terminated) = if self.spec.health.is_some() {
            let healthy = self.is_healthy();
            let survive = if healthy { 1.0 } else { 0.0 };
            info.insert("reward_survive".into(), survive);
            ((forward + survive) - f64::from(ctrl_cost), !healthy)
        } else {
            (forward - f64::from(ctrl_cost), false)
        };
        let obs = self.observation();
        let obs32 = to_f32(&obs);
        self.obs = Some(obs);
        Step {
            obs: obs32,
            reward,
            terminated,
            truncated: false,
            info,
        }
    }

    fn obs_f64(&self) -> Option<Vec<f64>> {
        self.obs.clone()
    }
}
