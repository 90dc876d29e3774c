//! The vision tasks registered with the harness.
use crate::classify::{ClassificationTask, ClassifyConfig, DataSource};
use crate::models::ModelConfig;
use kd_harness::task::Task;
use std::sync::Arc;

fn mlp(hidden: &[i64], dropout: f64) -> ModelConfig {
    ModelConfig {
        arch: "mlp".into(),
        hidden: hidden.to_vec(),
        dropout,
        input_dropout: 0.0,
    }
}

/// Every vision task.
pub fn vision_tasks() -> Vec<Arc<dyn Task>> {
    vec![Arc::new(ClassificationTask::new(
        "digits-mlp",
        "8x8 digits (shipped, 1,797 images): MLP 64-512-512-10 teacher, MLP 64-16-10 student",
        DataSource::Digits,
        ClassifyConfig {
            epochs: 60,
            batch_size: 64,
            optimizer: "adam".into(),
            lr: 2e-3,
            momentum: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            lr_schedule: "cosine".into(),
            teacher: mlp(&[512, 512], 0.3),
            student: mlp(&[16], 0.0),
        },
    ))]
}
