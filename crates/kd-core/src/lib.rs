//! kd-core: kdbench's distillation core on tch.
//!
//! - [`losses`]: loss terms chosen by name (cross-entropy, Hinton KD, ...), one registry.
//! - [`method`]: methods as data: a regime plus a weighted sum of loss terms, from TOML.
//! - [`regime`]: how a method's models are trained together (teacher, student, one-way KD).
//! - [`outcome`]: a method run on a classification task as one harness run.
//! - [`train`]: the seeded training loop with per-epoch evaluation and divergence detection.
//! - [`optim`]: optimisers and learning-rate schedules.
//! - [`data`], [`model`]: the data and model interfaces the loop trains on.
//! - [`teacher_cache`]: trained teachers shared across methods of the same seed.
//! - [`remap`]: starting a wider model from a narrower trained one.
//! - [`augment`]: seeded batch augmentation (random crop, flip).
//! - [`device`], [`seeding`], [`params`]: devices, seeds, typed TOML parameters.
//! - [`distill_data`]: dataset distillation's bi-level optimisation and methods, shared by
//!   the image (kd-vision) and text (kd-nlu) tasks.
pub mod augment;
pub mod data;
pub mod device;
pub mod distill_data;
pub mod losses;
pub mod method;
pub mod model;
pub mod optim;
pub mod outcome;
pub mod params;
pub mod regime;
pub mod remap;
pub mod seeding;
pub mod teacher_cache;
pub mod train;

/// Sets libtorch's intra-op thread count for this process (runs in parallel divide the cores).
pub fn set_threads(threads: usize) {
    tch::set_num_threads(threads.max(1) as i32);
}
