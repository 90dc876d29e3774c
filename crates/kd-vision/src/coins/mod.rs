//! Ancient coins: hierarchical recognition (emperor -> coin type, obverse and reverse fused)
//! and class-specific landmark discovery under a controlled accuracy loss, after Kim and
//! Pavlovic's work on Roman coins, with distillation in the loop.
//!
//! - [`generator`]: the procedural (synthetic) collection with known landmarks.
//! - [`loader`]: a real collection on disk (`root/<emperor>/<type>/{obverse,reverse}/`).
//! - [`hierarchy`]: labels, hierarchical heads and decoding, per-level accuracy.
//! - [`models`]: the two-view coin CNN with a flat or hierarchical head.
//! - [`landmarks`]: per-class mask optimisation under an accuracy constraint.
//! - [`evaluation`]: IoU, pointing game, baselines, heatmap PNGs and the CSV.
//! - [`task`]: the `coins-*` tasks.
pub mod evaluation;
pub mod generator;
pub mod hierarchy;
pub mod landmarks;
pub mod loader;
pub mod models;
pub mod task;
