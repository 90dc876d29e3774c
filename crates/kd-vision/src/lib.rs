//! kd-vision: image data sets, the vision model zoo and the vision benchmark tasks.
//!
//! - [`digits`]: the shipped 8x8 digits and their fixed split.
//! - [`models`]: the model zoo (MLP).
//! - [`classify`]: classification tasks run by every distillation method.
//! - [`tasks`]: the tasks this crate registers with the harness.
pub mod classify;
pub mod datasets;
pub mod digits;
pub mod idx;
pub mod models;
pub mod tasks;
