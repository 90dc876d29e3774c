//! criterion benches of kdbench's hot paths, so regressions show up:
//! `cargo bench --bench hot_paths` (about a minute). The side-by-side ratios against
//! PyTorch, Gymnasium and rliable are `kdbench bench all` (see the README).
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use kd_core::data::split_from_vecs;
use kd_core::losses::hinton_kd_loss;
use kd_stats::aggregate::{iqm_bootstrap_ci, ScoreMatrix};
use std::hint::black_box;
use std::time::Duration;
use tch::{Device, Kind, Tensor};

/// Hinton KD loss (T = 4) forward and backward on a 128 x 100 batch of logits.
fn kd_loss(c: &mut Criterion) {
    kd_core::set_threads(1);
    let teacher = Tensor::randn([128, 100], (Kind::Float, Device::Cpu));
    let mut student = Tensor::randn([128, 100], (Kind::Float, Device::Cpu)).set_requires_grad(true);
    c.bench_function("kd_loss/hinton/128x100/fwd+bwd", |b| {
        b.iter(|| {
            let loss = hinton_kd_loss(&student, &teacher, 4.0);
            loss.backward();
            let _ = black_box(student.grad());
            student.zero_grad();
        })
    });
}

/// One epoch of shuffled batches (128) from a 10 000-image 1x28x28 split.
fn batching(c: &mut Criterion) {
    kd_core::set_threads(1);
    let n = 10_000;
    let features: Vec<f32> = (0..n * 784).map(|i| (i % 255) as f32 / 255.0).collect();
    let labels: Vec<i64> = (0..n as i64).map(|i| i % 10).collect();
    let split = split_from_vecs(&features, &labels, &[1, 28, 28]);
    let mut rng = kd_core::seeding::stream(0, "bench");
    c.bench_function("data/shuffled_batches/10k/b128", |b| {
        b.iter(|| black_box(split.shuffled_batches(128, &mut rng)))
    });
}

/// Pendulum-v1 steps (with its TimeLimit), resetting at episode ends.
fn env_step(c: &mut Criterion) {
    let mut env = kd_rl::envs::make("Pendulum-v1").unwrap();
    env.reset(Some(0));
    let mut t = 0u32;
    c.bench_function("env/Pendulum-v1/step", |b| {
        b.iter(|| {
            t = t.wrapping_add(1);
            let step = env.step(&[((t as f32) * 0.37).sin() * 2.0]);
            if step.done() {
                env.reset(None);
            }
            black_box(step)
        })
    });
}

/// Stratified-bootstrap IQM CI of a 20-seed x 6-task matrix, 1000 replicates.
fn bootstrap(c: &mut Criterion) {
    let rows: Vec<Vec<f64>> = (0..20)
        .map(|s| {
            (0..6)
                .map(|t| ((s * 7 + t * 13) % 17) as f64 / 17.0)
                .collect()
        })
        .collect();
    let s = ScoreMatrix::from_rows(&rows).unwrap();
    c.bench_function("stats/iqm_bootstrap_ci/20x6/1000", |b| {
        b.iter_batched(
            || (),
            |_| black_box(iqm_bootstrap_ci(&s, 1000, 7, 0.95)),
            BatchSize::SmallInput,
        )
    });
}

criterion_group! {
    name = hot_paths;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = kd_loss, batching, env_step, bootstrap
}
criterion_main!(hot_paths);
