//! Text dataset distillation (Sucholutsky & Schonlau 2019, "Soft-Label Dataset Distillation
//! and Text Dataset Distillation", arXiv 1910.02551): learn a few synthetic "sentences" —
//! matrices of word embeddings over a frozen embedding layer (MiniLM-L6's word embeddings) —
//! with soft or hard labels and inner step sizes, so that a fresh sentence CNN trained only on
//! them classifies real Rotten Tomatoes snippets. The bi-level optimisation and the methods
//! are kd-core's ([`kd_core::distill_data`]), shared with kd-vision's image distillation.
//!
//! Modules: [`net`] (frozen embeddings and the functional sentence CNN), [`config`] (task
//! keys), [`artifacts`] (safetensors file and nearest-token readout), [`task`] (the task).
pub mod artifacts;
pub mod config;
pub mod net;
pub mod task;

pub use task::distill_text_tasks;
