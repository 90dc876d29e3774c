//! The MuJoCo environments (feature `mujoco`): HalfCheetah-v5 bit for bit against the recorded
//! Gymnasium 1.4.0 / MuJoCo 3.17.0 trajectories in `tests/data/gymnasium/`, and the documented
//! v5 behaviour of Hopper, Walker2d and Swimmer (no recordings exist for them).
#![cfg(feature = "mujoco")]

use std::path::{Path, PathBuf};

use kd_rl::envs::{self, MujocoEnv};
use kd_rl::Env;
use serde_json::Value;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/gymnasium")
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| match x {
            Value::String(s) if s == "inf" => f64::INFINITY,
            Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
            _ => x.as_f64().unwrap(),
        })
        .collect()
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Every recorded MuJoCo trajectory (a held-out set dropped in is replayed too).
fn mujoco_files() -> Vec<(String, Value)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|p| {
            let d: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            let id = d["env_id"].as_str()?.to_string();
            envs::MUJOCO_IDS
                .contains(&id.as_str())
                .then(|| (p.file_name().unwrap().to_string_lossy().to_string(), d))
        })
        .collect()
}

#[test]
fn half_cheetah_replays_bit_for_bit() {
    let files = mujoco_files();
    assert!(files.iter().any(|(_, d)| d["env_id"] == "HalfCheetah-v5"));
    let mut steps_replayed = 0;
    for (name, d) in files {
        let id = d["env_id"].as_str().unwrap();
        let seed = d["seed"].as_u64().unwrap();
        assert_eq!(
            envs::spec(id).unwrap().max_episode_steps as u64,
            d["max_episode_steps"].as_u64().unwrap(),
            "{name}: time limit"
        );
        let mut env = envs::make(id).unwrap();
        for (key, space) in [
            ("action_space", env.action_space()),
            ("observation_space", env.observation_space()),
        ] {
            let low: Vec<f64> = space.low().iter().map(|&x| f64::from(x)).collect();
            let high: Vec<f64> = space.high().iter().map(|&x| f64::from(x)).collect();
            assert_eq!(low, f64s(&d[key]["low"]), "{name}: {key} low");
            assert_eq!(high, f64s(&d[key]["high"]), "{name}: {key} high");
        }

        let (obs, info) = env.reset(Some(seed));
        let exact = env.obs_f64().unwrap();
        assert_eq!(
            bits(&exact),
            bits(&f64s(&d["reset_obs"])),
            "{name}: reset obs"
        );
        let cast: Vec<f32> = exact.iter().map(|&x| x as f32).collect();
        assert_eq!(obs, cast, "{name}: the f32 obs is the cast of the f64 one");
        for (key, want) in d["reset_info"].as_object().unwrap() {
            assert_eq!(
                info[key].to_bits(),
                want.as_f64().unwrap().to_bits(),
                "{name}: reset info {key}"
            );
        }

        for (t, s) in d["steps"].as_array().unwrap().iter().enumerate() {
            let ctx = format!("{name}: t={t}");
            let action: Vec<f32> = f64s(&s["action"]).iter().map(|&a| a as f32).collect();
            let step = env.step(&action);
            assert_eq!(
                bits(&env.obs_f64().unwrap()),
                bits(&f64s(&s["obs"])),
                "{ctx}: obs"
            );
            assert_eq!(
                step.reward.to_bits(),
                s["reward"].as_f64().unwrap().to_bits(),
                "{ctx}: reward {} vs {}",
                step.reward,
                s["reward"]
            );
            assert_eq!(step.terminated, s["terminated"].as_bool().unwrap(), "{ctx}");
            assert_eq!(step.truncated, s["truncated"].as_bool().unwrap(), "{ctx}");
            for (key, want) in s["info"].as_object().unwrap() {
                assert_eq!(
                    step.info[key].to_bits(),
                    want.as_f64().unwrap().to_bits(),
                    "{ctx}: info {key}: {} vs {want}",
                    step.info[key]
                );
            }
            steps_replayed += 1;
        }
    }
    assert!(steps_replayed >= 50, "only {steps_replayed} steps replayed");
}

/// Gymnasium's v5 observation sizes and action dimensions.
#[test]
fn observation_and_action_shapes() {
    for (id, obs_dim, act_dim) in [
        ("HalfCheetah-v5", 17, 6),
        ("Hopper-v5", 11, 3),
        ("Walker2d-v5", 17, 6),
        ("Swimmer-v5", 8, 2),
    ] {
        let mut env = envs::make(id).unwrap();
        assert_eq!(env.observation_space().dim(), obs_dim, "{id}");
        assert_eq!(env.action_space().dim(), act_dim, "{id}");
        assert_eq!(env.action_space().low(), &vec![-1.0; act_dim][..], "{id}");
        assert_eq!(env.action_space().high(), &vec![1.0; act_dim][..], "{id}");
        let (obs, _) = env.reset(Some(3));
        assert_eq!(obs.len(), obs_dim, "{id}");
        let step = env.step(&vec![0.5; act_dim]);
        assert_eq!(step.obs.len(), obs_dim, "{id}");
    }
}

/// The same seed gives the same episode; another seed a different start.
#[test]
fn resets_are_seeded() {
    for &id in envs::MUJOCO_IDS {
        let mut a = envs::make(id).unwrap();
        let mut b = envs::make(id).unwrap();
        let (oa, _) = a.reset(Some(11));
        let (ob, _) = b.reset(Some(11));
        assert_eq!(oa, ob, "{id}");
        let act = vec![0.3; a.action_space().dim()];
        for _ in 0..20 {
            assert_eq!(a.step(&act), b.step(&act), "{id}");
        }
        let (oc, _) = b.reset(Some(12));
        assert_ne!(a.reset(Some(11)).0, oc, "{id}");
    }
}

/// reward = the sum of its terms in `info`, as Gymnasium composes it.
#[test]
fn reward_is_the_sum_of_its_terms() {
    for &id in envs::MUJOCO_IDS {
        let mut env = MujocoEnv::new(id);
        env.reset(Some(0));
        let n = env.action_space().dim();
        for t in 0..30 {
            let action: Vec<f32> = (0..n).map(|i| ((t + i) as f32 * 0.7).sin()).collect();
            let x_before = env.qpos()[0];
            let step = env.step(&action);
            let i = &step.info;
            let x_velocity = (env.qpos()[0] - x_before) / env.dt();
            assert_eq!(i["x_velocity"], x_velocity, "{id}");
            assert_eq!(i["reward_forward"], x_velocity, "{id}");
            let weight: f32 = match id {
                "HalfCheetah-v5" => 0.1,
                "Swimmer-v5" => 1e-4,
                _ => 1e-3,
            };
            let squares = action.iter().fold(0.0f32, |s, a| s + a * a);
            assert_eq!(i["reward_ctrl"], -f64::from(weight * squares), "{id}");
            let survive = i.get("reward_survive").copied().unwrap_or(0.0);
            assert_eq!(
                step.reward,
                (i["reward_forward"] + survive) + i["reward_ctrl"],
                "{id}"
            );
            if step.done() {
                break;
            }
        }
    }
}

/// Hopper and Walker2d terminate once unhealthy (z or torso angle out of range), with
/// `reward_survive` 0 on that step and 1 before; HalfCheetah and Swimmer never terminate.
#[test]
fn healthy_termination() {
    for (id, z_lo, angle) in [("Hopper-v5", 0.7, 0.2), ("Walker2d-v5", 0.8, 1.0)] {
        let mut env = MujocoEnv::new(id);
        env.reset(Some(0));
        assert!(env.is_healthy(), "{id}: healthy after reset");
        let n = env.action_space().dim();
        let step = env.step(&vec![0.0; n]);
        assert!(!step.terminated, "{id}");
        assert_eq!(step.info["reward_survive"], 1.0, "{id}");
        // Tip the torso past the angle range: unhealthy at once.
        let mut qpos = env.qpos().to_vec();
        let qvel = env.qvel().to_vec();
        qpos[2] = angle + 0.05;
        env.set_state(&qpos, &qvel);
        assert!(!env.is_healthy(), "{id}: angle {}", qpos[2]);
        qpos[2] = 0.0;
        qpos[1] = z_lo - 0.1;
        env.set_state(&qpos, &qvel);
        assert!(!env.is_healthy(), "{id}: z {}", qpos[1]);
        let step = env.step(&vec![0.0; n]);
        assert!(step.terminated, "{id}: terminated when unhealthy");
        assert_eq!(step.info["reward_survive"], 0.0, "{id}");
        // A passive episode falls over well before the time limit.
        let mut env = envs::make(id).unwrap();
        env.reset(Some(1));
        let fell = (0..1000).find(|_| env.step(&vec![0.0; n]).terminated);
        assert!(fell.is_some_and(|t| t < 999), "{id}: fell at {fell:?}");
    }
    // Hopper's state range: a velocity beyond 100 is unhealthy.
    let mut env = MujocoEnv::new("Hopper-v5");
    env.reset(Some(0));
    let qpos = env.qpos().to_vec();
    let mut qvel = env.qvel().to_vec();
    qvel[3] = 150.0;
    env.set_state(&qpos, &qvel);
    assert!(!env.is_healthy());
    // Observations clip qvel to [-10, 10] (Hopper, Walker2d) but not qpos.
    let obs = env.obs_f64().unwrap();
    assert_eq!(obs[5 + 3], 10.0);

    for id in ["HalfCheetah-v5", "Swimmer-v5"] {
        let mut env = envs::make(id).unwrap();
        env.reset(Some(0));
        let n = env.action_space().dim();
        let mut t = 0;
        loop {
            let step = env.step(&vec![1.0; n]);
            assert!(!step.terminated, "{id}");
            t += 1;
            if step.truncated {
                break;
            }
        }
        assert_eq!(t, 1000, "{id}: truncated by the time limit only");
    }
}

/// Swimmer: the observation leaves out x and y; `info` has both velocities.
#[test]
fn swimmer_observation_skips_xy() {
    let mut env = MujocoEnv::new("Swimmer-v5");
    env.reset(Some(4));
    env.step(&[1.0, -1.0]);
    let obs = env.obs_f64().unwrap();
    assert_eq!(&obs[..3], &env.qpos()[2..]);
    assert_eq!(&obs[3..], env.qvel());
}
