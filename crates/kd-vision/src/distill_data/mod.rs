//! Dataset distillation: learn a handful of synthetic training images (and, with soft labels,
//! a distribution over the classes for each) plus the step sizes to train on them, so that a
//! fresh LeNet-5 trained only on them classifies the real test set well.
//!
//! - Wang, Zhu, Torralba & Efros 2018, "Dataset Distillation", arXiv 1811.10959: the bi-level
//!   optimisation with unrolled inner steps and learned step sizes (`dd_hard`).
//! - Sucholutsky & Schonlau 2019, "Soft-Label Dataset Distillation and Text Dataset
//!   Distillation", arXiv 1910.02551: soft labels learned with the images (`dd_soft`), which
//!   also allow fewer images than classes.
//!
//! Modules: [`functional`] (LeNet-5 over explicit parameter tensors), [`bilevel`] (inner and
//! outer loops, evaluation: kd-core's, shared with kd-nlu's text distillation), [`method`]
//! (the `domain = "distill-data"` methods, kd-core's), [`config`] (task keys), [`artifacts`]
//! (safetensors file and PNG grid), [`task`] (the harness tasks).
pub mod artifacts;
pub mod bilevel;
pub mod config;
pub mod functional;
pub use kd_core::distill_data::method;
pub mod task;

pub use method::{check_distill_method, distill_method_tables, is_distill_method};
pub use task::distill_tasks;
