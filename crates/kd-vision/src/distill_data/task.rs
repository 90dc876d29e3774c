//! The dataset-distillation tasks (`mnist-distill` with 10 images, `mnist-distill-5` with 5,
//! `fashion-mnist-distill`): distil the
//! training set into a few images, train fresh LeNet-5s on them, score them on the test set.
//!
//! Scores of a run: `acc_mean` (primary), `acc_std`, `acc_min` and `acc_max`: test accuracy
//! (fraction of the 10,000 test images) of the LeNets trained on the result, one per
//! evaluation initialisation; methods that learn data add `outer_loss` (the mean outer loss of
//! the last logging interval) and `step_size_mean`; with `fixed_init`, `acc_fresh_mean` and
//! `acc_fresh_std` score the result on fresh initialisations too. Curves: split `train`, metric `outer_loss`,
//! one point per `log_every` outer steps. Artifacts (not for `full_data`):
//! `distilled.safetensors` and `distilled.png` (see [`super::artifacts`]).
use super::artifacts::{self, Normalisation, DATA_FILE, GRID_FILE};
use super::bilevel::{accuracy_scores, pick_per_class};
use super::config::{BilevelConfig, DistillConfig, ImageKeys};
use super::functional::{LeNet5, NetInit, CLASSES};
use super::method::{DataKind, DistillMethod};
use crate::models::LeNet;
use kd_core::device::parse_device;
use kd_core::distill_data::bilevel::FunctionalNet;
use kd_core::distill_data::run::{
    check_method, distill_method, empty_outcome, obtain_set, score_set,
};
use kd_core::model::Classifier;
use kd_harness::task::{MethodDef, RunContext, RunOutcome, Task};
use std::sync::Arc;
use tch::nn::OptimizerConfig;
use tch::{Device, Kind, Tensor};
use toml::Table;

/// Parameters of the classic LeNet-5 (the evaluated network).
const LENET_PARAMS: u64 = 61_706;

/// A dataset-distillation benchmark on an MNIST-format data set.
pub struct DistillTask {
    name: String,
    description: String,
    data: &'static str,
    defaults: DistillConfig,
}

/// The default config of a task distilling into `images` images.
fn defaults(images: usize) -> DistillConfig {
    DistillConfig {
        bilevel: BilevelConfig::default(),
        domain: ImageKeys {
            images,
            ..ImageKeys::default()
        },
    }
}

/// Every dataset-distillation task.
pub fn distill_tasks() -> Vec<Arc<dyn Task>> {
    vec![
        Arc::new(DistillTask {
            name: "mnist-distill".into(),
            description: "MNIST (fetch: mnist) distilled into a few images (dataset distillation, hard or soft labels); fresh LeNet-5s trained on them".into(),
            data: "mnist",
            defaults: defaults(10),
        }),
        Arc::new(DistillTask {
            name: "mnist-distill-5".into(),
            description: "MNIST (fetch: mnist) distilled into 5 images, fewer than classes (soft labels only); fresh LeNet-5s trained on them".into(),
            data: "mnist",
            defaults: defaults(5),
        }),
        Arc::new(DistillTask {
            name: "fashion-mnist-distill".into(),
            description: "Fashion-MNIST (fetch: fashion-mnist) distilled into a few images; fresh LeNet-5s trained on them".into(),
            data: "fashion-mnist",
            defaults: defaults(10),
        }),
    ]
}

/// `n` random training images, image `i` of class `i mod 10` (as far as the class has images).
fn random_real(x: &Tensor, y: &Tensor, n: usize) -> anyhow::Result<Tensor> {
    let labels = Vec::<i64>::try_from(y.to_device(Device::Cpu))?;
    let picked = pick_per_class(&labels, CLASSES, n)?;
    Ok(x.index_select(0, &Tensor::from_slice(&picked).to_device(x.device())))
}

/// Trains `inits` fresh zoo LeNet-5s on the whole training set with Adam (batch 128, learning
/// rate 1e-3) for `epochs` epochs and returns each one's test accuracy.
fn full_data(
    train: (&Tensor, &Tensor),
    test: (&Tensor, &Tensor),
    epochs: usize,
    inits: usize,
    device: Device,
    progress: &dyn Fn(&str),
) -> Vec<f64> {
    let n = train.0.size()[0];
    (0..inits)
        .map(|k| {
            let vs = tch::nn::VarStore::new(device);
            let net = LeNet::new(&vs.root(), [6, 16], &[120, 84], CLASSES, 0.0);
            let mut opt = tch::nn::Adam::default().build(&vs, 1e-3).expect("Adam");
            for epoch in 0..epochs {
                progress(&format!(
                    "full data: network {}/{inits} epoch {}/{epochs}",
                    k + 1,
                    epoch + 1
                ));
                let perm = Tensor::randperm(n, (Kind::Int64, device));
                let mut start = 0;
                while start < n {
                    let idx = perm.narrow(0, start, 128.min(n - start));
                    let logits = net.forward(&train.0.index_select(0, &idx), true).logits;
                    let loss = logits.cross_entropy_for_logits(&train.1.index_select(0, &idx));
                    opt.backward_step(&loss);
                    start += 128;
                }
            }
            tch::no_grad(|| {
                let pred = net.forward(test.0, false).logits.argmax(-1, false);
                pred.eq_tensor(test.1)
                    .to_kind(Kind::Float)
                    .mean(Kind::Float)
                    .double_value(&[])
            })
        })
        .collect()
}

impl DistillTask {
    /// The config and method of a run, checked together.
    fn checked(
        &self,
        config: &Table,
        method: &MethodDef,
    ) -> Result<(DistillConfig, DistillMethod), String> {
        let config = DistillConfig::from_table(config)?;
        let method = distill_method(&self.name, method)?;
        let identity = Normalisation {
            mean: 0.0,
            std: 1.0,
        };
        check_method(
            &method,
            &config.bilevel,
            ("images", config.domain.images),
            CLASSES,
            |path| artifacts::load(path, identity, Device::Cpu),
        )?;
        Ok((config, method))
    }
}

impl Task for DistillTask {
    fn name(&self) -> &str {
        &self.name
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn default_config(&self) -> Table {
        self.defaults.to_table()
    }

    fn primary_metric(&self) -> &str {
        "acc_mean"
    }

    fn check(&self, config: &Table, method: &MethodDef) -> Result<(), String> {
        self.checked(config, method).map(|_| ())
    }

    fn run(
        &self,
        config: &Table,
        method: &MethodDef,
        ctx: &RunContext,
    ) -> anyhow::Result<RunOutcome> {
        let (config, method) = self.checked(config, method).map_err(anyhow::Error::msg)?;
        let present = crate::datasets::vision_data()
            .iter()
            .find(|s| s.name == self.data)
            .is_some_and(|s| s.present(&ctx.data_dir));
        if !present {
            return Ok(RunOutcome::skipped(format!(
                "data set '{}' is not in {}; run `kdbench data fetch {}` (or pass --data-dir)",
                self.data,
                ctx.data_dir.display(),
                self.data
            )));
        }
        kd_core::set_threads(ctx.threads);
        let device = parse_device(&ctx.device).map_err(anyhow::Error::msg)?;
        tch::manual_seed(ctx.seed as i64);
        let data = crate::datasets::load_idx_dataset(&ctx.data_dir.join(self.data), 5000)?;
        let norm = Normalisation {
            mean: data.train.x.mean(Kind::Float).double_value(&[]),
            std: data.train.x.std(true).double_value(&[]),
        };
        let train_x = norm.apply(&data.train.x).to_device(device);
        let train_y = data.train.y.to_device(device);
        let test_x = norm.apply(&data.test.x).to_device(device);
        let test_y = data.test.y.to_device(device);

        let mut outcome = empty_outcome(LENET_PARAMS);
        let bilevel = &config.bilevel;
        if method.data == DataKind::Full {
            let accs = full_data(
                (&train_x, &train_y),
                (&test_x, &test_y),
                bilevel.full_epochs,
                bilevel.full_inits,
                device,
                ctx.progress,
            );
            outcome.scores = accuracy_scores(&accs);
            return Ok(outcome);
        }

        let net = LeNet5 {
            init: NetInit::parse(&config.domain.net_init).map_err(anyhow::Error::msg)?,
        };
        let fixed_init = bilevel.fixed_init.then(|| net.init_params(device));
        let n = config.domain.images;
        let from_real = method.data == DataKind::Real || config.domain.image_init == "real";
        let learned = obtain_set(
            &net,
            n,
            &method,
            (&train_x, &train_y),
            bilevel,
            fixed_init.as_deref(),
            &mut outcome,
            ctx.progress,
            |path| artifacts::load(path, norm, device),
            || match from_real {
                true => random_real(&train_x, &train_y, n),
                false => Ok(Tensor::randn([n as i64, 1, 28, 28], (Kind::Float, device))),
            },
        )?;
        let Some(set) = learned else {
            return Ok(outcome);
        };
        std::fs::create_dir_all(&ctx.artifact_dir)?;
        artifacts::save(&set, norm, &ctx.artifact_dir.join(DATA_FILE))?;
        let title = format!(
            "{} {}: {} images, {} steps, seed {}",
            self.name,
            method.name,
            set.inputs.size()[0],
            set.step_sizes.size()[0],
            ctx.seed
        );
        artifacts::write_grid(&set, &title, &ctx.artifact_dir.join(GRID_FILE))?;
        score_set(
            &net,
            &set,
            fixed_init,
            bilevel.eval_inits,
            (&test_x, &test_y),
            &mut outcome,
            ctx.progress,
        );
        Ok(outcome)
    }
}
