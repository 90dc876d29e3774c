//! `kdbench bench train-step`: training steps (forward, cross-entropy, backward, optimiser
//! step) of kdbench's own models and optimiser, against the same in PyTorch eager.
use super::reference::Python;
use super::{side_by_side, Measurement};
use clap::ValueEnum;
use kd_core::model::Classifier;
use kd_core::optim::OptimSettings;
use kd_nlu::encoder::{Activation, BertConfig, BertModel};
use kd_nlu::pooling::{ClassifierHead, Pooling};
use kd_vision::models::{build_cifar_zoo, LeNet, Mlp};
use serde_json::{json, Value};
use tch::{nn, Device, Kind, Tensor};

/// The models `bench train-step` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchModel {
    /// 784-1200-1200-10 MLP (Hinton et al.'s MNIST teacher) on 1x28x28 inputs, SGD.
    Mlp,
    /// LeNet-5 (6/16 channels, 120/84 hidden) on 1x28x28 inputs, SGD.
    Lenet,
    /// The CIFAR resnet20 on 3x32x32 inputs, 10 classes, SGD.
    Resnet20,
    /// A 4-layer, 256-wide, 4-head BERT encoder (random init) with a [CLS] classification
    /// head, sequences of 128 tokens, AdamW.
    BertMini,
}

impl BenchModel {
    /// Every model, in `bench all` order.
    pub const ALL: [BenchModel; 4] = [
        BenchModel::Mlp,
        BenchModel::Lenet,
        BenchModel::Resnet20,
        BenchModel::BertMini,
    ];

    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            BenchModel::Mlp => "mlp",
            BenchModel::Lenet => "lenet",
            BenchModel::Resnet20 => "resnet20",
            BenchModel::BertMini => "bert-mini",
        }
    }

    /// Default batch size and timed steps per round (sized for about a second a round on
    /// one core).
    pub fn defaults(self) -> (usize, usize) {
        match self {
            BenchModel::Mlp => (128, 20),
            BenchModel::Lenet => (128, 20),
            BenchModel::Resnet20 => (32, 5),
            BenchModel::BertMini => (8, 3),
        }
    }

    fn optimizer(self) -> OptimSettings {
        let sgd = OptimSettings {
            optimizer: "sgd".into(),
            lr: 0.05,
            momentum: 0.9,
            weight_decay: 5e-4,
            nesterov: true,
            lr_schedule: "constant".into(),
            clip_grad_norm: 0.0,
        };
        match self {
            BenchModel::BertMini => OptimSettings {
                optimizer: "adamw".into(),
                lr: 5e-5,
                weight_decay: 0.01,
                momentum: 0.0,
                nesterov: false,
                ..sgd
            },
            _ => sgd,
        }
    }
}

const MLP_HIDDEN: [i64; 2] = [1200, 1200];
const SEQ: i64 = 128;

fn bert_config() -> BertConfig {
    BertConfig {
        vocab_size: 30522,
        hidden_size: 256,
        num_hidden_layers: 4,
        num_attention_heads: 4,
        intermediate_size: 1024,
        hidden_act: Activation::Gelu,
        hidden_dropout_prob: 0.1,
        attention_probs_dropout_prob: 0.1,
        max_position_embeddings: 512,
        type_vocab_size: 2,
        layer_norm_eps: 1e-12,
    }
}

/// A model under training: logits from a batch of inputs.
type Net = Box<dyn Fn(&Tensor) -> Tensor>;

fn build(model: BenchModel, vs: &nn::VarStore, batch: i64) -> (Net, Tensor, Tensor) {
    let root = vs.root();
    let images = |c: i64, hw: i64| Tensor::randn([batch, c, hw, hw], (Kind::Float, Device::Cpu));
    let classifier =
        |m: Box<dyn Classifier>| -> Net { Box::new(move |x| m.forward(x, true).logits) };
    let (net, x, classes): (Net, Tensor, i64) = match model {
        BenchModel::Mlp => (
            classifier(Box::new(Mlp::new(&root, 784, &MLP_HIDDEN, 10, 0.0, 0.0))),
            images(1, 28),
            10,
        ),
        BenchModel::Lenet => (
            classifier(Box::new(LeNet::new(&root, [6, 16], &[120, 84], 10, 0.0))),
            images(1, 28),
            10,
        ),
        BenchModel::Resnet20 => (
            classifier(build_cifar_zoo("resnet20", &root, 3, 10).expect("resnet20 is in the zoo")),
            images(3, 32),
            10,
        ),
        BenchModel::BertMini => {
            let config = bert_config();
            let bert = BertModel::new(&root / "bert", &config);
            let head =
                ClassifierHead::new(&root / "head", config.hidden_size, 2, Pooling::Cls, 0.1);
            let ids = Tensor::randint(config.vocab_size, [batch, SEQ], (Kind::Int64, Device::Cpu));
            let mask = Tensor::ones([batch, SEQ], (Kind::Int64, Device::Cpu));
            let net: Net = Box::new(move |ids| {
                let out = bert.forward(ids, None, None, true);
                head.forward(out.last_hidden_state(), &mask, true)
            });
            (net, ids, 2)
        }
    };
    let y = Tensor::randint(classes, [batch], (Kind::Int64, Device::Cpu));
    (net, x, y)
}

/// The shape parameters the Python side needs to build the same model.
fn shape(model: BenchModel) -> Value {
    match model {
        BenchModel::Mlp => json!({"hidden": MLP_HIDDEN, "classes": 10}),
        BenchModel::Lenet | BenchModel::Resnet20 => json!({"classes": 10}),
        BenchModel::BertMini => {
            let c = bert_config();
            json!({
                "vocab": c.vocab_size, "hidden": c.hidden_size, "layers": c.num_hidden_layers,
                "heads": c.num_attention_heads, "intermediate": c.intermediate_size,
                "positions": c.max_position_embeddings, "seq": SEQ, "classes": 2,
            })
        }
    }
}

/// Settings of one train-step bench.
#[derive(Debug, Clone)]
pub struct TrainStepBench {
    /// The model.
    pub model: BenchModel,
    /// Batch size.
    pub batch: usize,
    /// Timed steps per round.
    pub steps: usize,
    /// Untimed warm-up steps.
    pub warmup: usize,
    /// Timed rounds (the fastest counts).
    pub rounds: usize,
    /// libtorch intra-op threads on both sides.
    pub threads: usize,
}

impl TrainStepBench {
    /// Times kdbench's side and the reference's, round for round.
    pub fn run(&self, python: &Python) -> anyhow::Result<Measurement> {
        kd_core::set_threads(self.threads);
        tch::manual_seed(0);
        let vs = nn::VarStore::new(Device::Cpu);
        let (net, x, y) = build(self.model, &vs, self.batch as i64);
        let optim = self.model.optimizer();
        let mut opt = optim.build(&vs)?;
        let config = json!({
            "model": self.model.name(),
            "batch": self.batch,
            "steps": self.steps,
            "warmup": self.warmup,
            "rounds": self.rounds,
            "threads": self.threads,
            "shape": shape(self.model),
            "optimizer": {
                "name": optim.optimizer, "lr": optim.lr, "momentum": optim.momentum,
                "weight_decay": optim.weight_decay, "nesterov": optim.nesterov,
            },
        });
        let started = python.start("train_step", &config, self.threads)?;
        let (kdbench_per_unit_s, reference) =
            side_by_side(self.rounds, self.steps, self.warmup, started, |n| {
                for _ in 0..n {
                    let loss = net(&x).cross_entropy_for_logits(&y);
                    opt.backward_step(&loss);
                }
            })?;
        Ok(Measurement {
            name: format!("train-step/{}/b{}", self.model.name(), self.batch),
            unit: "step",
            units: self.steps,
            rounds: self.rounds,
            threads: self.threads,
            kdbench_per_unit_s,
            reference,
        })
    }
}
