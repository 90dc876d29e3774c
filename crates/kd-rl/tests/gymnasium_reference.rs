//! Bit-exactness against the recorded Gymnasium 1.4.0 / NumPy 2 reference data
//! in `tests/data/gymnasium/` (copied from the project's shared reference set).

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use kd_rl::envs::{self, MountainCarContinuous, Pendulum};
use kd_rl::{Env, Generator, Pcg64, SeedSequence};
use serde_json::Value;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/gymnasium")
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn u64_of(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a u64: {v}"))
}

fn hex_u128(v: &Value) -> u128 {
    let s = v.as_str().unwrap();
    u128::from_str_radix(s.trim_start_matches("0x"), 16).unwrap()
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| match x {
            Value::String(s) if s == "inf" => f64::INFINITY,
            Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
            _ => x.as_f64().unwrap_or_else(|| panic!("not a number: {x}")),
        })
        .collect()
}

fn f32s(v: &Value) -> Vec<f32> {
    f64s(v).into_iter().map(|x| x as f32).collect()
}

fn bits32(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn numpy_seeding_vectors() {
    let d = load(&data_dir().join("numpy_seeding.json"));
    let seeds = d["seeds"].as_array().unwrap();
    assert_eq!(seeds.len(), 4);
    for s in seeds {
        let seed = u64_of(&s["seed"]);
        let ctx = format!("seed {seed}");
        let ss = SeedSequence::new(seed);
        let words: Vec<u32> = s["seedsequence_entropy_u32_words"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| u64_of(w) as u32)
            .collect();
        assert_eq!(ss.entropy_words(), &words[..], "{ctx}: entropy words");

        let pool: Vec<u32> = s["seedsequence_pool_u32"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| u64_of(w) as u32)
            .collect();
        assert_eq!(ss.pool().to_vec(), pool, "{ctx}: pool");

        let st32: Vec<u32> = s["generate_state_u32_8"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| u64_of(w) as u32)
            .collect();
        assert_eq!(ss.generate_state_u32(8), st32, "{ctx}: generate_state u32");

        let st64: Vec<u64> = s["generate_state_u64_4"]
            .as_array()
            .unwrap()
            .iter()
            .map(u64_of)
            .collect();
        let st64_hex: Vec<u64> = s["generate_state_u64_4_hex"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| hex_u128(h) as u64)
            .collect();
        assert_eq!(st64, st64_hex, "{ctx}: decimal vs hex in the data");
        assert_eq!(ss.generate_state_u64(4), st64, "{ctx}: generate_state u64");

        let pcg = Pcg64::from_seed_sequence(&ss);
        let st = &s["pcg64_state_after_seeding_hex"];
        assert_eq!(pcg.state(), hex_u128(&st["state"]), "{ctx}: pcg64 state");
        assert_eq!(pcg.inc(), hex_u128(&st["inc"]), "{ctx}: pcg64 inc");

        let mut g = Generator::from_seed(seed);
        for (i, want) in f64s(&s["random_f64_first8"]).into_iter().enumerate() {
            assert_eq!(g.random().to_bits(), want.to_bits(), "{ctx}: random() #{i}");
        }

        let mut g = Generator::from_seed(seed);
        let raw: Vec<u64> = s["random_raw_u64_first4"]
            .as_array()
            .unwrap()
            .iter()
            .map(u64_of)
            .collect();
        let raw_hex: Vec<u64> = s["random_raw_u64_first4_hex"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| hex_u128(h) as u64)
            .collect();
        assert_eq!(raw, raw_hex);
        let ours: Vec<u64> = (0..4).map(|_| g.next_u64()).collect();
        assert_eq!(ours, raw, "{ctx}: random_raw");

        let mut g = Generator::from_seed(seed);
        for (i, want) in f64s(&s["uniform_low_m0p6_high_m0p4_first4"])
            .into_iter()
            .enumerate()
        {
            let got = g.uniform(-0.6, -0.4);
            assert_eq!(got.to_bits(), want.to_bits(), "{ctx}: uniform #{i}");
        }

        let want = f64s(&s["pendulum_reset_uniform_low_mpi_m1_high_pi_1"]);
        let mut g = Generator::from_seed(seed);
        let got = [g.uniform(-PI, PI), g.uniform(-1.0, 1.0)];
        assert_eq!(got[0].to_bits(), want[0].to_bits(), "{ctx}: pendulum theta");
        assert_eq!(
            got[1].to_bits(),
            want[1].to_bits(),
            "{ctx}: pendulum thetadot"
        );
        let mut p = Pendulum::new();
        p.reset(Some(seed));
        assert_eq!(p.state(), Some(got), "{ctx}: Pendulum::reset state");
    }
}

/// Every trajectory file for a registered pure-Rust env (a held-out set dropped into the
/// directory is picked up the same way; the MuJoCo files are replayed by `tests/mujoco.rs`).
fn trajectory_files() -> Vec<(PathBuf, Value)> {
    let known: Vec<&str> = envs::ids()
        .into_iter()
        .filter(|id| !envs::MUJOCO_IDS.contains(id))
        .collect();
    let mut files: Vec<PathBuf> = std::fs::read_dir(data_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let out: Vec<(PathBuf, Value)> = files
        .into_iter()
        .map(|p| {
            let v = load(&p);
            (p, v)
        })
        .filter(|(_, v)| v["env_id"].as_str().is_some_and(|id| known.contains(&id)))
        .collect();
    for &id in &known {
        assert!(
            out.iter().filter(|(_, v)| v["env_id"] == id).count() >= 4,
            "expected at least 4 reference trajectories for {id}"
        );
    }
    out
}

fn actions_of(d: &Value) -> Vec<Vec<f32>> {
    d["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| f32s(&s["action"]))
        .collect()
}

#[test]
fn trajectories_match_bit_for_bit() {
    let mut reward_mismatches = Vec::new();
    let mut total_steps = 0;
    for (path, d) in trajectory_files() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let id = d["env_id"].as_str().unwrap();
        let seed = u64_of(&d["seed"]);
        let spec = envs::spec(id).unwrap();
        assert_eq!(
            spec.max_episode_steps as u64,
            u64_of(&d["max_episode_steps"]),
            "{name}: time limit"
        );

        let mut env = envs::make(id).unwrap();
        for (key, space) in [
            ("action_space", env.action_space()),
            ("observation_space", env.observation_space()),
        ] {
            assert_eq!(space.low(), &f32s(&d[key]["low"])[..], "{name}: {key} low");
            assert_eq!(
                space.high(),
                &f32s(&d[key]["high"])[..],
                "{name}: {key} high"
            );
        }

        let (obs, info) = env.reset(Some(seed));
        assert!(info.is_empty());
        assert_eq!(
            bits32(&obs),
            bits32(&f32s(&d["reset_obs"])),
            "{name}: reset obs"
        );

        let steps = d["steps"].as_array().unwrap();
        assert_eq!(steps.len() as u64, u64_of(&d["n_steps"]), "{name}: n_steps");
        let mut last_done = false;
        for (t, s) in steps.iter().enumerate() {
            assert!(
                !last_done,
                "{name}: recording continued after the episode ended"
            );
            assert_eq!(u64_of(&s["t"]), t as u64);
            let step = env.step(&f32s(&s["action"]));
            let ctx = format!("{name}: t={t}");
            assert_eq!(bits32(&step.obs), bits32(&f32s(&s["obs"])), "{ctx}: obs");
            assert_eq!(
                step.terminated,
                s["terminated"].as_bool().unwrap(),
                "{ctx}: terminated"
            );
            assert_eq!(
                step.truncated,
                s["truncated"].as_bool().unwrap(),
                "{ctx}: truncated"
            );
            let want = s["reward"].as_f64().unwrap();
            if step.reward.to_bits() != want.to_bits() {
                reward_mismatches.push(format!("{ctx}: reward {} != {}", step.reward, want));
            }
            last_done = step.done();
            total_steps += 1;
        }
        match d["end_reason"].as_str().unwrap() {
            "terminated" | "truncated" => assert!(last_done, "{name}: should have ended"),
            "step_limit" => assert!(!last_done, "{name}: should not have ended"),
            other => panic!("{name}: unknown end_reason {other}"),
        }
    }
    assert!(total_steps >= 1600, "only {total_steps} steps replayed");
    assert!(
        reward_mismatches.is_empty(),
        "{} rewards differ:\n{}",
        reward_mismatches.len(),
        reward_mismatches.join("\n")
    );
}

/// The envs' internal state (`env.unwrapped.state`) against the recorded one:
/// Pendulum `[theta, thetadot]` in f64, MountainCar f64 at reset and f32 after.
#[test]
fn internal_states_match_bit_for_bit() {
    for (path, d) in trajectory_files() {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let seed = u64_of(&d["seed"]);
        let actions = actions_of(&d);
        let states: Vec<[f64; 2]> = match d["env_id"].as_str().unwrap() {
            "Pendulum-v1" => {
                let mut e = Pendulum::new();
                e.reset(Some(seed));
                let mut v = vec![e.state().unwrap()];
                for a in &actions {
                    e.step(a);
                    v.push(e.state().unwrap());
                }
                v
            }
            "MountainCarContinuous-v0" => {
                let mut e = MountainCarContinuous::new();
                e.reset(Some(seed));
                let mut v = vec![e.state().unwrap()];
                for a in &actions {
                    e.step(a);
                    v.push(e.state().unwrap());
                }
                v
            }
            other => panic!("no state accessor for {other}"),
        };
        let mut want = vec![f64s(&d["reset_state"])];
        want.extend(
            d["steps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| f64s(&s["state"])),
        );
        assert_eq!(states.len(), want.len());
        for (t, (got, want)) in states.iter().zip(&want).enumerate() {
            let got_bits: Vec<u64> = got.iter().map(|x| x.to_bits()).collect();
            let want_bits: Vec<u64> = want.iter().map(|x| x.to_bits()).collect();
            assert_eq!(
                got_bits, want_bits,
                "{name}: state {t} (0 = reset): {got:?} vs {want:?}"
            );
        }
    }
}

fn load_extra() -> Value {
    load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/extra/extra.json"))
}

/// Trajectories from `tests/data/extra` (made with the same Gymnasium/NumPy):
/// clipped and non-representable actions, `reset(None)` mid-run, multi-word seeds.
#[test]
fn extra_trajectories_match_bit_for_bit() {
    let d = load_extra();
    let mut n_steps = 0;
    let mut n_none_resets = 0;
    for (k, traj) in d["trajectories"].as_array().unwrap().iter().enumerate() {
        let id = traj["env_id"].as_str().unwrap();
        let mut env = envs::make(id).unwrap();
        for (j, seg) in traj["segments"].as_array().unwrap().iter().enumerate() {
            let seed = seg["reset_seed"].as_u64();
            n_none_resets += usize::from(seed.is_none());
            let ctx = format!("extra trajectory {k} ({id}) segment {j} (seed {seed:?})");
            let (obs, _) = env.reset(seed);
            assert_eq!(
                bits32(&obs),
                bits32(&f32s(&seg["reset_obs"])),
                "{ctx}: reset obs"
            );
            for (t, s) in seg["steps"].as_array().unwrap().iter().enumerate() {
                let step = env.step(&f32s(&s["action"]));
                assert_eq!(
                    bits32(&step.obs),
                    bits32(&f32s(&s["obs"])),
                    "{ctx} t={t}: obs"
                );
                assert_eq!(
                    step.reward.to_bits(),
                    s["reward"].as_f64().unwrap().to_bits(),
                    "{ctx} t={t}: reward {}",
                    step.reward
                );
                assert_eq!(
                    step.terminated,
                    s["terminated"].as_bool().unwrap(),
                    "{ctx} t={t}"
                );
                assert_eq!(
                    step.truncated,
                    s["truncated"].as_bool().unwrap(),
                    "{ctx} t={t}"
                );
                n_steps += 1;
            }
        }
    }
    assert!(n_steps >= 1300, "{n_steps}");
    assert!(n_none_resets >= 3);
}

/// `VecEnv` against Gymnasium's `SyncVectorEnv` in both autoreset modes, run
/// sequentially and on rayon.
#[test]
fn vec_env_matches_sync_vector_env() {
    use kd_rl::{AutoresetMode, Execution, TimeLimit, VecEnv};
    let d = load_extra();
    let mut modes_seen = Vec::new();
    for v in d["vectors"].as_array().unwrap() {
        let id = v["env_id"].as_str().unwrap();
        let mode = match v["autoreset_mode"].as_str().unwrap() {
            "NextStep" => AutoresetMode::NextStep,
            "SameStep" => AutoresetMode::SameStep,
            other => panic!("unknown mode {other}"),
        };
        modes_seen.push(mode);
        for execution in [Execution::Sequential, Execution::Parallel] {
            let envs: Vec<Box<dyn Env>> = v["max_episode_steps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    let inner = envs::make_unwrapped(id).unwrap();
                    Box::new(TimeLimit::new(inner, u64_of(m) as usize)) as Box<dyn Env>
                })
                .collect();
            let mut venv = VecEnv::new(envs, mode, execution).unwrap();
            let n = venv.num_envs();
            let ctx = format!("{id} {mode:?} {execution:?}");
            let (obs, _) = venv.reset(Some(u64_of(&v["seed"])));
            assert_eq!(bits32(&obs), bits32(&f32s(&v["reset_obs"])), "{ctx}: reset");
            for (t, s) in v["steps"].as_array().unwrap().iter().enumerate() {
                let out = venv.step(&f32s(&s["actions"]));
                let ctx = format!("{ctx} t={t}");
                assert_eq!(bits32(&out.obs), bits32(&f32s(&s["obs"])), "{ctx}: obs");
                let rewards: Vec<u64> = f64s(&s["rewards"]).iter().map(|r| r.to_bits()).collect();
                let ours: Vec<u64> = out.rewards.iter().map(|r| r.to_bits()).collect();
                assert_eq!(ours, rewards, "{ctx}: rewards");
                let flags = |key: &str| -> Vec<bool> {
                    s[key]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|b| b.as_bool().unwrap())
                        .collect()
                };
                assert_eq!(out.terminated, flags("terminated"), "{ctx}: terminated");
                assert_eq!(out.truncated, flags("truncated"), "{ctx}: truncated");
                for i in 0..n {
                    let want = match &s["final_obs"][i] {
                        Value::Null => None,
                        o => Some(bits32(&f32s(o))),
                    };
                    let got = out.final_obs[i].as_deref().map(bits32);
                    assert_eq!(got, want, "{ctx}: final_obs[{i}]");
                    assert_eq!(out.final_info[i].is_some(), want.is_some(), "{ctx}");
                }
            }
        }
    }
    assert!(modes_seen.contains(&AutoresetMode::NextStep));
    assert!(modes_seen.contains(&AutoresetMode::SameStep));
}
