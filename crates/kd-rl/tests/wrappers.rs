//! TimeLimit, Gymnasium's reset seeding rules, and VecEnv against single envs.

use kd_rl::envs::{MountainCarContinuous, Pendulum};
use kd_rl::{make, AutoresetMode, Env, Error, Execution, Generator, TimeLimit, VecEnv};

#[test]
fn pendulum_is_truncated_at_200_steps() {
    let mut env = make("Pendulum-v1").unwrap();
    env.reset(Some(0));
    for t in 1..200 {
        let s = env.step(&[0.5]);
        assert!(!s.truncated && !s.terminated, "step {t}");
    }
    let s = env.step(&[0.5]);
    assert!(s.truncated, "step 200 must be truncated");
    assert!(!s.terminated, "a time limit is not a termination");
    // A reset starts the count again.
    env.reset(None);
    assert!(!env.step(&[0.0]).truncated);
}

#[test]
fn time_limit_composes_and_counts() {
    let mut env = TimeLimit::new(TimeLimit::new(Pendulum::new(), 5), 3);
    env.reset(Some(1));
    assert!(!env.step(&[0.0]).truncated);
    assert!(!env.step(&[0.0]).truncated);
    assert!(env.step(&[0.0]).truncated);
    assert_eq!(env.elapsed_steps(), 3);
    assert_eq!(env.inner().elapsed_steps(), 3);
    // Stepping on without a reset stays truncated, as in Gymnasium.
    assert!(env.step(&[0.0]).truncated);
    env.reset(None);
    assert_eq!(env.elapsed_steps(), 0);
    assert_eq!(env.inner().elapsed_steps(), 0);
}

/// The pump policy reaches the goal at step 106 from seed 0 (see the reference
/// README); a limit of exactly 106 makes that step both terminated and truncated.
#[test]
fn terminated_and_truncated_are_kept_apart() {
    let run = |limit: usize| {
        let mut env = TimeLimit::new(MountainCarContinuous::new(), limit);
        let (mut obs, _) = env.reset(Some(0));
        let mut t = 0;
        loop {
            let a = if obs[1] >= 0.0 { 1.0 } else { -1.0 };
            let s = env.step(&[a]);
            t += 1;
            obs = s.obs.clone();
            if s.done() {
                return (t, s);
            }
        }
    };
    let (t, s) = run(999);
    assert_eq!(t, 106);
    assert!(s.terminated && !s.truncated);
    assert!((s.reward - 99.9).abs() < 1e-12);
    let (t, s) = run(106);
    assert_eq!(t, 106);
    assert!(s.terminated && s.truncated);
    let (t, s) = run(50);
    assert_eq!(t, 50);
    assert!(!s.terminated && s.truncated);
}

#[test]
fn reset_none_keeps_the_generator() {
    for id in ["Pendulum-v1", "MountainCarContinuous-v0"] {
        let mut env = make(id).unwrap();
        let (a, _) = env.reset(Some(3));
        let (b, _) = env.reset(None);
        let (c, _) = env.reset(None);
        assert_ne!(a, b, "{id}");
        assert_ne!(b, c, "{id}");
        let (a2, _) = env.reset(Some(3));
        assert_eq!(a, a2, "{id}: same seed, same start");
        let (b2, _) = env.reset(None);
        assert_eq!(b, b2, "{id}: reset(None) continues the reseeded generator");
    }
}

#[test]
fn reset_none_continues_the_same_stream() {
    // Pendulum draws two uniforms per reset, so the second reset uses draws 3 and 4.
    let mut env = Pendulum::new();
    env.reset(Some(9));
    env.reset(None);
    let mut g = Generator::from_seed(9);
    g.random();
    g.random();
    let th = g.uniform(-std::f64::consts::PI, std::f64::consts::PI);
    let thdot = g.uniform(-1.0, 1.0);
    assert_eq!(env.state(), Some([th, thdot]));
}

#[test]
fn never_seeded_envs_use_fresh_entropy() {
    let mut e1 = make("Pendulum-v1").unwrap();
    let mut e2 = make("Pendulum-v1").unwrap();
    let (a, _) = e1.reset(None);
    let (b, _) = e1.reset(None);
    let (c, _) = e2.reset(None);
    assert_ne!(a, b);
    assert_ne!(a, c);
}

/// Drives one env with the same autoreset rules as VecEnv, for comparison.
struct Single {
    env: Box<dyn Env>,
    pending: bool,
}

fn build(n: usize) -> Vec<Box<dyn Env>> {
    // Different limits so episodes end at different steps.
    (0..n)
        .map(|i| Box::new(TimeLimit::new(Pendulum::new(), 3 + i)) as Box<dyn Env>)
        .collect()
}

#[test]
fn vec_env_matches_single_envs_stepped_sequentially() {
    let n = 5;
    for mode in [AutoresetMode::NextStep, AutoresetMode::SameStep] {
        for execution in [Execution::Sequential, Execution::Parallel, Execution::Auto] {
            let mut venv = VecEnv::new(build(n), mode, execution).unwrap();
            let mut singles: Vec<Single> = build(n)
                .into_iter()
                .map(|env| Single {
                    env,
                    pending: false,
                })
                .collect();
            let (obs, _) = venv.reset(Some(100));
            let mut want_obs = Vec::new();
            for (i, s) in singles.iter_mut().enumerate() {
                want_obs.extend(s.env.reset(Some(100 + i as u64)).0);
            }
            assert_eq!(obs, want_obs);
            let mut dones = 0;
            for t in 0..20 {
                let actions: Vec<f32> = (0..n)
                    .map(|i| ((t * 7 + i * 3) % 9) as f32 * 0.5 - 2.0)
                    .collect();
                let out = venv.step(&actions);
                for (i, s) in singles.iter_mut().enumerate() {
                    let ctx = format!("{mode:?} {execution:?} t={t} env {i}");
                    let a = &actions[i..i + 1];
                    match mode {
                        AutoresetMode::NextStep => {
                            if s.pending {
                                let (o, _) = s.env.reset(None);
                                assert_eq!(out.obs_row(i), &o[..], "{ctx}");
                                assert_eq!(out.rewards[i], 0.0, "{ctx}");
                                assert!(!out.terminated[i] && !out.truncated[i], "{ctx}");
                                s.pending = false;
                            } else {
                                let st = s.env.step(a);
                                assert_eq!(out.obs_row(i), &st.obs[..], "{ctx}");
                                assert_eq!(out.rewards[i].to_bits(), st.reward.to_bits(), "{ctx}");
                                assert_eq!(out.truncated[i], st.truncated, "{ctx}");
                                s.pending = st.done();
                                dones += usize::from(st.done());
                            }
                            assert!(out.final_obs[i].is_none(), "{ctx}");
                        }
                        AutoresetMode::SameStep => {
                            let st = s.env.step(a);
                            assert_eq!(out.rewards[i].to_bits(), st.reward.to_bits(), "{ctx}");
                            assert_eq!(out.truncated[i], st.truncated, "{ctx}");
                            if st.done() {
                                dones += 1;
                                assert_eq!(out.final_obs[i].as_deref(), Some(&st.obs[..]), "{ctx}");
                                let (o, _) = s.env.reset(None);
                                assert_eq!(out.obs_row(i), &o[..], "{ctx}");
                            } else {
                                assert!(out.final_obs[i].is_none(), "{ctx}");
                                assert_eq!(out.obs_row(i), &st.obs[..], "{ctx}");
                            }
                        }
                    }
                }
            }
            assert!(dones >= 10, "{mode:?}: only {dones} episode ends");
        }
    }
}

#[test]
fn vec_env_parallel_equals_sequential_for_many_envs() {
    let n = 300;
    let run = |execution| {
        let mut venv = VecEnv::make(
            "MountainCarContinuous-v0",
            n,
            AutoresetMode::NextStep,
            execution,
        )
        .unwrap();
        let mut all = venv.reset(Some(7)).0;
        for t in 0..50 {
            let actions: Vec<f32> = (0..n).map(|i| ((t + i) % 5) as f32 * 0.5 - 1.0).collect();
            let out = venv.step(&actions);
            all.extend(out.obs);
            all.extend(out.rewards.iter().map(|&r| r as f32));
        }
        all
    };
    let seq = run(Execution::Sequential);
    assert_eq!(seq.len(), n * 2 + 50 * n * 3);
    assert_eq!(seq, run(Execution::Parallel));
    assert_eq!(seq, run(Execution::Auto));
}

#[test]
fn vec_env_rejects_mixed_spaces_and_empty_sets() {
    let envs: Vec<Box<dyn Env>> = vec![
        make("Pendulum-v1").unwrap(),
        make("MountainCarContinuous-v0").unwrap(),
    ];
    let err = VecEnv::new(envs, AutoresetMode::NextStep, Execution::Sequential)
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            Error::IncompatibleSpaces {
                index: 1,
                which: "observation",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        VecEnv::new(Vec::new(), AutoresetMode::NextStep, Execution::Sequential).err(),
        Some(Error::NoEnvs)
    );
    assert!(matches!(
        VecEnv::make("Nope-v0", 2, AutoresetMode::NextStep, Execution::Sequential).err(),
        Some(Error::UnknownEnv { .. })
    ));
}

#[test]
#[should_panic(expected = "expected 2 x 1 actions")]
fn vec_env_checks_action_length() {
    let mut venv = VecEnv::make(
        "Pendulum-v1",
        2,
        AutoresetMode::NextStep,
        Execution::Sequential,
    )
    .unwrap();
    venv.reset(Some(0));
    venv.step(&[0.0]);
}
