//! kd-vision: image data sets, the vision model zoo and the vision benchmark tasks.
//!
//! - [`digits`]: the shipped 8x8 digits and their fixed split.
//! - [`cifar`]: CIFAR-10 and CIFAR-100 from their official binary files.
//! - [`models`]: the model zoo (MLP, LeNet-5, the CIFAR ResNets, wide ResNets and VGGs).
//! - [`coins`]: ancient-coin recognition and landmark discovery (synthetic or on disk).
//! - [`classify`]: classification tasks run by every distillation method.
//! - [`distill_data`]: dataset distillation (learned images and soft labels) and its tasks.
//! - [`tasks`]: the tasks this crate registers with the harness.
pub mod cifar;
pub mod classify;
pub mod coins;
pub mod datasets;
pub mod digits;
pub mod distill_data;
pub mod idx;
pub mod models;
pub mod tasks;
