//! The learners end to end: seeded runs repeat exactly, pairs without distillation contain
//! the single learner, and TD3 learns Pendulum.
use kd_rl::agent::{Algorithm, DistillFilter};
use kd_rl::config::RlConfig;
use kd_rl::train::{train, GuideSource, LearnerHistory, Plan};
use tch::Device;

/// A budget of a few seconds: enough to exercise warm-up, updates, distillation and evaluation.
fn tiny() -> RlConfig {
    RlConfig {
        total_steps: 600,
        warmup_steps: 200,
        eval_every: 300,
        eval_episodes: 2,
        batch_size: 32,
        hidden: vec![16, 16],
        ..RlConfig::default()
    }
}

fn run(config: &RlConfig, learners: usize, guide: GuideSource, seed: u64) -> Vec<LearnerHistory> {
    tch::set_num_threads(1);
    let plan = Plan {
        env_id: "Pendulum-v1",
        config,
        algorithm: Algorithm::Td3,
        learners,
        guide,
        seed,
        role: "learner",
        device: Device::Cpu,
    };
    train(&plan, &mut |_, _| {}).unwrap().1
}

#[test]
fn identical_runs_give_identical_results() {
    let config = tiny();
    let a = run(
        &config,
        2,
        GuideSource::Peer(DistillFilter::Disadvantage),
        4,
    );
    let b = run(
        &config,
        2,
        GuideSource::Peer(DistillFilter::Disadvantage),
        4,
    );
    assert_eq!(a, b);
    assert_eq!(a[0].evals.len(), 2);
    assert_eq!(
        a[0].distill_fraction.len(),
        2,
        "both evaluations saw distillation"
    );
    let fraction = a[0].distill_fraction[1].1;
    assert!((0.0..=1.0).contains(&fraction), "{fraction}");
    let other_seed = run(
        &config,
        2,
        GuideSource::Peer(DistillFilter::Disadvantage),
        5,
    );
    assert_ne!(a, other_seed);
}

#[test]
fn an_independent_pair_contains_the_single_learner() {
    let config = tiny();
    let single = run(&config, 1, GuideSource::None, 2);
    let pair = run(&config, 2, GuideSource::None, 2);
    assert_eq!(single[0], pair[0]);
    assert_ne!(
        pair[0].evals, pair[1].evals,
        "the learners of a pair differ"
    );
}

/// TD3 with the rl suite's Pendulum settings (64x64 networks, learning rate 1e-3, gamma
/// 0.98) swings the pendulum up within 9,000 steps. A random policy scores about -1,200;
/// solved is about -200. Takes about 15 s on one free core.
#[test]
fn td3_learns_pendulum() {
    let config = RlConfig {
        total_steps: 9_000,
        warmup_steps: 1_000,
        eval_every: 9_000,
        eval_episodes: 10,
        batch_size: 256,
        actor_lr: 1e-3,
        critic_lr: 1e-3,
        gamma: 0.98,
        hidden: vec![64, 64],
        ..RlConfig::default()
    };
    let history = run(&config, 1, GuideSource::None, 0);
    let final_return = history[0].last().mean_return;
    assert!(
        final_return > -400.0,
        "TD3 mean return after 9,000 steps: {final_return}"
    );
}
