//! The vision tasks registered with the harness.
use crate::cifar::CifarSet;
use crate::classify::{ClassificationTask, ClassifyConfig, DataSource};
use crate::models::ModelConfig;
use kd_harness::task::Task;
use std::sync::Arc;

fn mlp(hidden: &[i64], dropout: f64) -> ModelConfig {
    ModelConfig {
        arch: "mlp".into(),
        hidden: hidden.to_vec(),
        channels: vec![],
        dropout,
        input_dropout: 0.0,
    }
}

/// The CRD benchmark's CIFAR-100 recipe (Tian et al. 2020): 240 epochs of SGD, batch 64,
/// learning rate 0.05 divided by 10 at epochs 150, 180 and 210, weight decay 5e-4, random
/// crop and flip.
fn crd_recipe(teacher: &str, student: &str) -> ClassifyConfig {
    ClassifyConfig {
        epochs: 240,
        batch_size: 64,
        optimizer: "sgd".into(),
        lr: 0.05,
        momentum: 0.9,
        weight_decay: 5e-4,
        nesterov: false,
        lr_schedule: "step".into(),
        augment: "crop_flip".into(),
        teacher_epochs: 0,
        teacher_augment: String::new(),
        shared_teacher: false,
        clip_grad_norm: 0.0,
        train_limit: 0,
        teacher: ModelConfig::zoo(teacher),
        student: ModelConfig::zoo(student),
    }
}

/// The CIFAR-100 teacher/student pairs of the CRD benchmark table.
const CRD_PAIRS: &[(&str, &str)] = &[
    ("resnet56", "resnet20"),
    ("resnet110", "resnet32"),
    ("resnet32x4", "resnet8x4"),
    ("wrn_40_2", "wrn_16_2"),
    ("vgg13", "vgg8"),
];

fn lenet(channels: &[i64], hidden: &[i64]) -> ModelConfig {
    ModelConfig {
        arch: "lenet5".into(),
        hidden: hidden.to_vec(),
        channels: channels.to_vec(),
        dropout: 0.0,
        input_dropout: 0.0,
    }
}

/// The MLP recipe shared by the MNIST-format tasks: Hinton et al.'s 2x1200 teacher with
/// dropout and 2x800 student, SGD with Nesterov momentum and a one-cycle schedule.
fn mnist_mlp_config(epochs: usize) -> ClassifyConfig {
    ClassifyConfig {
        epochs,
        batch_size: 128,
        optimizer: "sgd".into(),
        lr: 0.1,
        momentum: 0.9,
        weight_decay: 0.0,
        nesterov: true,
        lr_schedule: "onecycle".into(),
        augment: "none".into(),
        teacher_epochs: 0,
        teacher_augment: String::new(),
        shared_teacher: false,
        clip_grad_norm: 0.0,
        train_limit: 0,
        teacher: ModelConfig {
            input_dropout: 0.2,
            ..mlp(&[1200, 1200], 0.5)
        },
        student: mlp(&[800, 800], 0.0),
    }
}

/// LeNet-5 pairs on 28x28 images: Adam with a cosine schedule, 8 epochs.
fn lenet_config() -> ClassifyConfig {
    ClassifyConfig {
        epochs: 8,
        batch_size: 128,
        optimizer: "adam".into(),
        lr: 2e-3,
        lr_schedule: "cosine".into(),
        teacher: lenet(&[12, 32], &[240, 168]),
        student: lenet(&[6, 16], &[120, 84]),
        ..mnist_mlp_config(8)
    }
}

/// Every vision task.
pub fn vision_tasks() -> Vec<Arc<dyn Task>> {
    let mut tasks = base_tasks();
    for (teacher, student) in CRD_PAIRS {
        tasks.push(Arc::new(ClassificationTask::new(
            &format!("cifar100-{teacher}-{student}"),
            &format!(
                "CIFAR-100 (user-supplied binary version): {teacher} teacher, {student} student, CRD recipe (240 epochs)"
            ),
            DataSource::Cifar(CifarSet::Cifar100),
            crd_recipe(teacher, student),
        )));
    }
    tasks.extend(crate::coins::task::coin_tasks());
    tasks.push(Arc::new(ClassificationTask::new(
        "cifar10-resnet56-resnet20",
        "CIFAR-10 (user-supplied binary version): resnet56 teacher, resnet20 student, CRD recipe (240 epochs)",
        DataSource::Cifar(CifarSet::Cifar10),
        crd_recipe("resnet56", "resnet20"),
    )));
    tasks
}

fn base_tasks() -> Vec<Arc<dyn Task>> {
    vec![
        Arc::new(ClassificationTask::new(
            "mnist-mlp",
            "MNIST (fetch: mnist): MLP 2x1200 teacher with dropout, MLP 2x800 student (Hinton et al. 2015)",
            DataSource::Idx("mnist"),
            mnist_mlp_config(12),
        )),
        Arc::new(ClassificationTask::new(
            "mnist-lenet",
            "MNIST (fetch: mnist): LeNet-5 teacher with 2x wider layers, classic LeNet-5 student",
            DataSource::Idx("mnist"),
            lenet_config(),
        )),
        Arc::new(ClassificationTask::new(
            "fashion-mnist-lenet",
            "Fashion-MNIST (fetch: fashion-mnist): LeNet-5 teacher with 2x wider layers, classic LeNet-5 student",
            DataSource::Idx("fashion-mnist"),
            lenet_config(),
        )),
        Arc::new(ClassificationTask::new(
            "fashion-mnist-mlp",
            "Fashion-MNIST (fetch: fashion-mnist): MLP 2x1200 teacher with dropout, MLP 2x800 student",
            DataSource::Idx("fashion-mnist"),
            mnist_mlp_config(12),
        )),
        Arc::new(ClassificationTask::new(
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
            augment: "none".into(),
            teacher_epochs: 0,
            teacher_augment: String::new(),
            shared_teacher: false,
            clip_grad_norm: 0.0,
            train_limit: 0,
            teacher: mlp(&[512, 512], 0.3),
            student: mlp(&[16], 0.0),
        },
    )),
    ]
}
