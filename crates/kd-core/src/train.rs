//! The training loop: seeded mini-batch training of one classifier, evaluated every epoch on
//! the validation and test splits, with divergence detection.
//!
//! On a regression task (float targets, see [`Split::is_regression`]) the models have one
//! output; the losses are squared errors, and the `acc` fields of the records hold the
//! Pearson correlation of predictions and targets, which picks the best epoch as accuracy
//! does for a classification.
use crate::augment::Augmentation;
use crate::data::{Dataset, Split};
use crate::losses::{squared_error, LossInputs};
use crate::method::MethodSpec;
use crate::model::{Classifier, Forward};
use crate::optim::OptimSettings;
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};
use tch::{nn, Kind, Tensor};

/// How long and how to train.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSettings {
    /// Passes over the training split.
    pub epochs: usize,
    /// Mini-batch size for training.
    pub batch_size: usize,
    /// Batch size for evaluation passes.
    pub eval_batch_size: usize,
    /// Optimiser and learning-rate schedule.
    pub optim: OptimSettings,
    /// Training-batch augmentation (drawn from the data-order generator), if any.
    pub augment: Option<Augmentation>,
    /// Record the test split's confusion matrix every epoch (for F1, Matthews correlation);
    /// on a regression, the test predictions (for Pearson and Spearman correlations).
    pub confusion: bool,
}

/// The scores of one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Learning rate at the epoch's last step.
    pub lr: f64,
    /// Mean training objective over the epoch's batches.
    pub train_loss: f64,
    /// Training accuracy measured on the fly (train-mode forward passes); a regression's
    /// Pearson correlation.
    pub train_acc: f64,
    /// Cross-entropy on the validation split (a regression: mean squared error).
    pub val_loss: f64,
    /// Accuracy on the validation split (a regression: Pearson correlation).
    pub val_acc: f64,
    /// Cross-entropy on the test split (a regression: mean squared error).
    pub test_loss: f64,
    /// Accuracy on the test split (a regression: Pearson correlation).
    pub test_acc: f64,
    /// Misclassified test examples (0 for a regression).
    pub test_errors: u64,
    /// The test split's confusion matrix, row-major true class by predicted class, when
    /// [`TrainSettings::confusion`] asks for it (metrics beyond accuracy); else empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub test_confusion: Vec<u64>,
    /// A regression's test predictions in split order, when [`TrainSettings::confusion`]
    /// asks for metrics beyond Pearson correlation; else empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub test_predictions: Vec<f32>,
}

/// Everything a finished training reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// One record per epoch, in order.
    pub epochs: Vec<EpochRecord>,
}

impl TrainReport {
    /// The last epoch's record.
    pub fn last(&self) -> &EpochRecord {
        self.epochs.last().expect("a report has at least one epoch")
    }

    /// The epoch with the highest validation accuracy (the first one on ties).
    pub fn best(&self) -> &EpochRecord {
        let mut best = &self.epochs[0];
        for record in &self.epochs[1..] {
            if record.val_acc > best.val_acc {
                best = record;
            }
        }
        best
    }
}

/// Why training stopped early.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The loss became NaN or infinite.
    #[error("diverged: training loss became {loss} in epoch {epoch}")]
    Diverged {
        /// The 1-based epoch.
        epoch: usize,
        /// The offending mean loss.
        loss: f64,
    },
    /// Anything else (I/O, libtorch).
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<tch::TchError> for TrainError {
    fn from(e: tch::TchError) -> Self {
        TrainError::Other(e.into())
    }
}

/// What one evaluation pass over a split measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Fraction of examples classified correctly (NaN for an empty split).
    pub acc: f64,
    /// Mean cross-entropy (NaN for an empty split).
    pub loss: f64,
    /// Misclassified examples.
    pub errors: u64,
    /// Row-major `classes x classes` counts, true class by predicted class; empty unless asked.
    pub confusion: Vec<u64>,
    /// A regression's predictions in split order; empty unless asked.
    pub predictions: Vec<f32>,
}

/// Pearson correlation of two 1-D tensors of equal length; 0 when either is constant (there
/// is no linear relation to measure, and a best-epoch choice must not see NaN).
pub fn pearson(a: &Tensor, b: &Tensor) -> f64 {
    let centred = |t: &Tensor| {
        let t = t.reshape([-1]).to_kind(Kind::Double);
        &t - t.mean(Kind::Double)
    };
    let (a, b) = (centred(a), centred(b));
    let norms = (a.square().sum(Kind::Double) * b.square().sum(Kind::Double))
        .sqrt()
        .double_value(&[]);
    if !(norms > 0.0 && norms.is_finite()) {
        return 0.0;
    }
    (a * b).sum(Kind::Double).double_value(&[]) / norms
}

/// Evaluates `model` on `split` without gradients; with `classes`, also counts the confusion
/// matrix over that many classes. On a regression split, `acc` is the Pearson correlation,
/// `loss` the mean squared error, and `classes` asks for the predictions instead.
pub fn evaluate(
    model: &dyn Classifier,
    split: &Split,
    batch_size: usize,
    classes: Option<i64>,
) -> Evaluation {
    if split.is_empty() {
        return Evaluation {
            acc: f64::NAN,
            loss: f64::NAN,
            errors: 0,
            confusion: match classes {
                Some(k) if !split.is_regression() => vec![0; (k * k) as usize],
                _ => vec![],
            },
            predictions: vec![],
        };
    }
    if split.is_regression() {
        return tch::no_grad(|| {
            let batches: Vec<Tensor> = split
                .batches(batch_size)
                .map(|(x, _)| model.forward(&x, false).logits.reshape([-1]))
                .collect();
            let predictions = Tensor::cat(&batches, 0).to_kind(Kind::Float);
            Evaluation {
                acc: pearson(&predictions, &split.y),
                loss: squared_error(&predictions, &split.y).double_value(&[]),
                errors: 0,
                confusion: vec![],
                predictions: match classes {
                    Some(_) => Vec::<f32>::try_from(predictions.to_device(tch::Device::Cpu))
                        .expect("float predictions"),
                    None => vec![],
                },
            }
        });
    }
    tch::no_grad(|| {
        let mut correct = 0i64;
        let mut loss_sum = 0.0;
        let mut counts: Option<Tensor> = None;
        for (x, y) in split.batches(batch_size) {
            let logits = model.forward(&x, false).logits;
            let predicted = logits.argmax(-1, false);
            correct += predicted.eq_tensor(&y).sum(Kind::Int64).int64_value(&[]);
            loss_sum += logits.cross_entropy_for_logits(&y).double_value(&[]) * y.size()[0] as f64;
            if let Some(k) = classes {
                let cells = (&y * k + &predicted).bincount::<Tensor>(None, k * k);
                counts = Some(match counts {
                    Some(c) => c + cells,
                    None => cells,
                });
            }
        }
        let n = split.len() as f64;
        Evaluation {
            acc: correct as f64 / n,
            loss: loss_sum / n,
            errors: (split.len() as i64 - correct) as u64,
            confusion: counts.map_or(vec![], |c| {
                Vec::<i64>::try_from(c.to_device(tch::Device::Cpu))
                    .expect("int64 counts")
                    .into_iter()
                    .map(|v| v as u64)
                    .collect()
            }),
            predictions: vec![],
        }
    })
}

/// Where a learner's teacher comes from.
pub enum TeacherRef<'a> {
    /// A frozen, trained model, run in eval mode without gradients.
    Frozen(&'a dyn Classifier),
    /// A frozen teacher's logits on every training example (row `i`: example `i` of the
    /// training split; see [`training_logits`]), gathered for each batch instead of running
    /// the teacher: for objectives that read only the teacher's logits
    /// ([`MethodSpec::teacher_logits_suffice`]) on batches that are not augmented.
    Logits(&'a Tensor),
    /// Another learner of the same training (by index), its current train-mode predictions
    /// detached: co-training.
    Peer(usize),
}

/// One model to train, its objective and its teachers.
pub struct Learner<'a> {
    /// The model being trained.
    pub model: &'a dyn Classifier,
    /// Its variables (a loss's own parameters are added under `aux`).
    pub vs: &'a nn::VarStore,
    /// The objective.
    pub method: &'a MethodSpec,
    /// Its teachers, first teacher first.
    pub teachers: Vec<TeacherRef<'a>>,
}

/// One model to train and what to train it on.
pub struct TrainJob<'a> {
    /// The model being trained.
    pub model: &'a dyn Classifier,
    /// Its variables.
    pub vs: &'a nn::VarStore,
    /// The data.
    pub data: &'a Dataset,
    /// Budget and optimiser.
    pub settings: &'a TrainSettings,
    /// The objective.
    pub method: &'a MethodSpec,
    /// Frozen teachers, run in eval mode without gradients on every batch.
    pub teachers: Vec<&'a dyn Classifier>,
}

/// Trains `job.model` with `job.method`'s objective. `rng` orders the data; `on_epoch`
/// sees every epoch's record as it completes.
pub fn train_classifier(
    job: TrainJob,
    rng: &mut Pcg64,
    on_epoch: &mut dyn FnMut(&EpochRecord),
) -> Result<TrainReport, TrainError> {
    let learner = Learner {
        model: job.model,
        vs: job.vs,
        method: job.method,
        teachers: job.teachers.into_iter().map(TeacherRef::Frozen).collect(),
    };
    let mut reports = train_together(vec![learner], job.data, job.settings, rng, &mut |_, r| {
        on_epoch(r)
    })?;
    Ok(reports.remove(0))
}

/// A frozen teacher's logits on every example of `split`, in order: eval mode, no gradients,
/// `batch_size` examples at a time. What [`TeacherRef::Logits`] gathers from.
pub fn training_logits(model: &dyn Classifier, split: &Split, batch_size: usize) -> Tensor {
    tch::no_grad(|| {
        let parts: Vec<Tensor> = split
            .batches(batch_size)
            .map(|(x, _)| model.forward(&x, false).logits)
            .collect();
        if parts.is_empty() {
            Tensor::zeros([0, 0], (Kind::Float, split.x.device()))
        } else {
            Tensor::cat(&parts, 0)
        }
    })
}

/// The outputs of a learner's teachers on one batch: inputs `x`, the training examples at
/// `index` (`peers`: every learner's output).
fn teacher_outputs(
    learner: &Learner,
    x: &Tensor,
    index: &Tensor,
    peers: &[Forward],
) -> Vec<Forward> {
    learner
        .teachers
        .iter()
        .map(|t| match t {
            TeacherRef::Frozen(model) => tch::no_grad(|| model.forward(x, false)),
            TeacherRef::Logits(logits) => Forward {
                logits: logits.index_select(0, index),
                features: vec![],
                mask: None,
            },
            TeacherRef::Peer(j) => Forward {
                logits: peers[*j].logits.detach(),
                features: peers[*j].features.iter().map(Tensor::detach).collect(),
                mask: peers[*j].mask.as_ref().map(Tensor::shallow_clone),
            },
        })
        .collect()
}

/// Creates the losses' own parameters from one probe batch (before the optimisers exist).
fn prepare_losses(learners: &[Learner], data: &Dataset) -> Result<(), TrainError> {
    let index = Tensor::arange(
        data.train.len().min(2) as i64,
        (Kind::Int64, data.train.x.device()),
    );
    let probe = data.train.x.index_select(0, &index);
    let outputs: Vec<Forward> = learners
        .iter()
        .map(|l| tch::no_grad(|| l.model.forward(&probe, false)))
        .collect();
    for (learner, output) in learners.iter().zip(&outputs) {
        let teachers = teacher_outputs(learner, &probe, &index, &outputs);
        learner
            .method
            .prepare(&(learner.vs.root() / AUX_PREFIX), output, &teachers)
            .map_err(|e| TrainError::Other(anyhow::anyhow!(e)))?;
    }
    Ok(())
}

/// The var-store prefix under which losses keep their own parameters (not counted as the
/// model's parameters).
pub const AUX_PREFIX: &str = "aux";

/// Trains several learners on the same batches in the same order, each with its own optimiser
/// and objective (one learner: ordinary training; two peers: co-training). Returns one report
/// per learner; `on_epoch` receives the learner's index and its record.
pub fn train_together(
    learners: Vec<Learner>,
    data: &Dataset,
    settings: &TrainSettings,
    rng: &mut Pcg64,
    on_epoch: &mut dyn FnMut(usize, &EpochRecord),
) -> Result<Vec<TrainReport>, TrainError> {
    if settings.epochs == 0 {
        return Err(TrainError::Other(anyhow::anyhow!(
            "epochs: expected at least 1, found 0"
        )));
    }
    let precomputed = |l: &Learner| {
        l.teachers
            .iter()
            .any(|t| matches!(t, TeacherRef::Logits(_)))
    };
    if settings.augment.is_some() && learners.iter().any(precomputed) {
        return Err(TrainError::Other(anyhow::anyhow!(
            "precomputed teacher logits cannot stand for a teacher on augmented batches"
        )));
    }
    prepare_losses(&learners, data)?;
    let mut optimizers = learners
        .iter()
        .map(|l| settings.optim.build(l.vs))
        .collect::<Result<Vec<_>, _>>()?;
    let batches_per_epoch = data.train.len().div_ceil(settings.batch_size.max(1));
    let total_steps = (settings.epochs * batches_per_epoch).max(1);
    let device = data.train.x.device();
    let regression = data.is_regression();
    let mut step = 0usize;
    let mut reports: Vec<TrainReport> = learners
        .iter()
        .map(|_| TrainReport {
            epochs: Vec::with_capacity(settings.epochs),
        })
        .collect();
    for epoch in 1..=settings.epochs {
        let mut loss_sums: Vec<Tensor> = learners
            .iter()
            .map(|_| Tensor::zeros([], (Kind::Float, device)))
            .collect();
        let mut corrects: Vec<Tensor> = learners
            .iter()
            .map(|_| Tensor::zeros([], (Kind::Int64, device)))
            .collect();
        // A regression's train-mode predictions and targets, for the epoch's correlation.
        let mut predicted: Vec<Vec<Tensor>> = learners.iter().map(|_| Vec::new()).collect();
        let mut targets = Vec::new();
        let mut lr = settings.optim.lr;
        let batches = data.train.shuffled_indices(settings.batch_size, rng);
        let n_batches = batches.len();
        for index in batches {
            let (x, y) = data.train.select(&index);
            let x = match &settings.augment {
                Some(augment) => augment.apply(&x, rng),
                None => x,
            };
            let progress = step as f64 / total_steps as f64;
            lr = settings.optim.lr_at(progress);
            let outputs: Vec<Forward> =
                learners.iter().map(|l| l.model.forward(&x, true)).collect();
            for (i, learner) in learners.iter().enumerate() {
                let teachers = teacher_outputs(learner, &x, &index, &outputs);
                let inputs = LossInputs {
                    student: &outputs[i],
                    teachers: &teachers,
                    targets: &y,
                    progress,
                };
                let loss = learner.method.total_loss(&inputs);
                optimizers[i].set_lr(lr);
                settings.optim.backward_step(&mut optimizers[i], &loss);
                loss_sums[i] += loss.detach();
                if regression {
                    predicted[i].push(outputs[i].logits.detach().reshape([-1]));
                } else {
                    corrects[i] += outputs[i]
                        .logits
                        .argmax(-1, false)
                        .eq_tensor(&y)
                        .sum(Kind::Int64);
                }
            }
            if regression {
                targets.push(y);
            }
            step += 1;
        }
        for (i, learner) in learners.iter().enumerate() {
            let train_loss = loss_sums[i].double_value(&[]) / n_batches.max(1) as f64;
            if !train_loss.is_finite() {
                return Err(TrainError::Diverged {
                    epoch,
                    loss: train_loss,
                });
            }
            let train_acc = if regression {
                pearson(&Tensor::cat(&predicted[i], 0), &Tensor::cat(&targets, 0))
            } else {
                corrects[i].int64_value(&[]) as f64 / data.train.len().max(1) as f64
            };
            let val = evaluate(learner.model, &data.val, settings.eval_batch_size, None);
            let classes = settings.confusion.then_some(data.num_classes);
            let test = evaluate(learner.model, &data.test, settings.eval_batch_size, classes);
            let record = EpochRecord {
                epoch,
                lr,
                train_loss,
                train_acc,
                val_loss: val.loss,
                val_acc: val.acc,
                test_loss: test.loss,
                test_acc: test.acc,
                test_errors: test.errors,
                test_confusion: test.confusion,
                test_predictions: test.predictions,
            };
            on_epoch(i, &record);
            reports[i].epochs.push(record);
        }
    }
    Ok(reports)
}
