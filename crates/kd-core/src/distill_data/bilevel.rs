//! The bi-level optimisation of dataset distillation (Wang, Zhu, Torralba & Efros 2018,
//! "Dataset Distillation", arXiv 1811.10959, Algorithm 1) with learned soft labels
//! (Sucholutsky & Schonlau 2019, "Soft-Label Dataset Distillation and Text Dataset
//! Distillation", arXiv 1910.02551, Algorithm 1), for any network written as a
//! [`FunctionalNet`].
//!
//! Inner loop: from an initialisation θ₀, `T` gradient steps on the synthetic set,
//! θᵢ₊₁ = θᵢ − ηᵢ ∇θ ℓ(x̃, ỹ; θᵢ), each with its own learned step size ηᵢ. Outer loop: the loss
//! of θ_T on a batch of real training examples, differentiated through all the inner steps
//! (second-order, the graph of each inner gradient is kept) into the synthetic inputs x̃,
//! the label logits (soft labels ỹ = softmax of the logits) and log ηᵢ; one Adam step per
//! outer step. Each outer step samples a fresh θ₀ from the initialisation distribution
//! (the papers' random-initialisation setting), unless a fixed initialisation is asked for.
use tch::{nn, nn::OptimizerConfig, Device, Kind, Tensor};

/// A classifier written as a pure function of explicit parameter tensors, so that training
/// it can be differentiated through.
pub trait FunctionalNet {
    /// Number of classes it predicts.
    fn classes(&self) -> i64;
    /// A fresh random initialisation (from tch's global generator); the tensors do not
    /// require gradients.
    fn init_params(&self, device: Device) -> Vec<Tensor>;
    /// Logits of the network with parameters `params` on `inputs` (in the space the
    /// synthetic examples live in: normalised pixels, word embeddings, ...).
    fn forward(&self, params: &[Tensor], inputs: &Tensor) -> Tensor;
    /// Real data as stored to inputs of [`FunctionalNet::forward`] (token ids to embeddings,
    /// say); the identity by default.
    fn embed(&self, real: &Tensor) -> Tensor {
        real.shallow_clone()
    }
}

/// Mean cross-entropy of `logits` against target distributions `targets` (`[n, classes]`;
/// one-hot rows give the usual hard-label loss), in the precision of `logits`.
pub fn soft_cross_entropy(logits: &Tensor, targets: &Tensor) -> Tensor {
    let kind = logits.kind();
    -(targets * logits.log_softmax(-1, kind))
        .sum_dim_intlist(-1, false, kind)
        .mean(kind)
}

/// A small training set and the schedule to train on it: what distillation learns and what
/// evaluation trains fresh networks on.
#[derive(Debug)]
pub struct SyntheticSet {
    /// Inputs, `[n, ...]` (images `[n, 1, 28, 28]` in the normalised input space, embedded
    /// sentences `[n, length, dim]`, ...).
    pub inputs: Tensor,
    /// Target distribution of each input, `[n, classes]` (one-hot rows for hard labels).
    pub labels: Tensor,
    /// The inner step sizes, `[inner_steps]`.
    pub step_sizes: Tensor,
}

impl SyntheticSet {
    /// A copy with every tensor detached from the graph.
    pub fn detached(&self) -> SyntheticSet {
        SyntheticSet {
            inputs: self.inputs.detach().copy(),
            labels: self.labels.detach().copy(),
            step_sizes: self.step_sizes.detach().copy(),
        }
    }
}

/// Trains the parameters `init` of `net` with one gradient step per entry of `step_sizes`,
/// each on all `inputs` with soft targets `labels`. With `create_graph`, every step stays
/// differentiable (the result depends on inputs, labels and step sizes through the whole
/// unrolled run; `init` must require gradients); without, each step is detached (plain
/// training).
pub fn train_unrolled(
    net: &dyn FunctionalNet,
    init: &[Tensor],
    inputs: &Tensor,
    labels: &Tensor,
    step_sizes: &Tensor,
    create_graph: bool,
) -> Vec<Tensor> {
    let mut params: Vec<Tensor> = if create_graph {
        init.iter().map(Tensor::shallow_clone).collect()
    } else {
        init.iter()
            .map(|p| p.detach().set_requires_grad(true))
            .collect()
    };
    let steps = step_sizes.size()[0];
    for i in 0..steps {
        let loss = soft_cross_entropy(&net.forward(&params, inputs), labels);
        let grads = Tensor::run_backward(&[&loss], &params, create_graph, create_graph);
        let eta = step_sizes.get(i);
        params = params
            .iter()
            .zip(&grads)
            .map(|(p, g)| {
                if create_graph {
                    p - &eta * g
                } else {
                    (p.detach() - eta.detach() * g.detach()).set_requires_grad(true)
                }
            })
            .collect();
    }
    params
}

/// Fraction of the real examples `x` (as stored; see [`FunctionalNet::embed`]) that `net`
/// with parameters `params` classifies as `y`.
pub fn accuracy(net: &dyn FunctionalNet, params: &[Tensor], x: &Tensor, y: &Tensor) -> f64 {
    tch::no_grad(|| {
        let n = x.size()[0];
        let mut correct = 0i64;
        let chunk = 2000;
        let mut start = 0;
        while start < n {
            let len = chunk.min(n - start);
            let inputs = net.embed(&x.narrow(0, start, len));
            let pred = net.forward(params, &inputs).argmax(-1, false);
            correct += pred
                .eq_tensor(&y.narrow(0, start, len))
                .sum(Kind::Int64)
                .int64_value(&[]);
            start += len;
        }
        correct as f64 / n as f64
    })
}

/// What the outer loop learns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Learn {
    /// The inputs (otherwise they stay as given).
    pub inputs: bool,
    /// The label logits (soft labels; otherwise the given one-hot labels stay).
    pub labels: bool,
}

/// Settings of [`distill`].
#[derive(Debug)]
pub struct DistillSettings {
    /// Outer (Adam) steps.
    pub outer_steps: usize,
    /// Inner gradient steps.
    pub inner_steps: usize,
    /// Real examples per outer step.
    pub real_batch: usize,
    /// Adam learning rate of the outer loop.
    pub outer_lr: f64,
    /// Outer steps between two multiplications of the learning rate by `decay_factor`
    /// (0: constant).
    pub decay_every: usize,
    /// Learning-rate decay factor.
    pub decay_factor: f64,
    /// Initial inner step size.
    pub step_lr: f64,
    /// Initial logit of each example's class in a soft label.
    pub label_init: f64,
    /// Learn the label weights themselves (raw, unnormalised targets starting one-hot, as in
    /// Sucholutsky & Schonlau's code) instead of logits whose softmax is the label.
    pub raw_labels: bool,
    /// One fixed initialisation for every outer step instead of fresh ones.
    pub fixed_init: Option<Vec<Tensor>>,
    /// Outer steps between two reported losses.
    pub log_every: usize,
}

/// Outcome of [`distill`]: the learned set and the outer loss curve.
#[derive(Debug)]
pub struct Distilled {
    /// The learned inputs, labels and step sizes.
    pub set: SyntheticSet,
    /// `(outer step, mean outer loss over the steps since the previous point)`.
    pub losses: Vec<(usize, f64)>,
    /// The outer step at which the outer loss became NaN or infinite (the run stopped there).
    pub diverged: Option<usize>,
}

/// Runs the bi-level optimisation of `net` from `start` (synthetic example i of class
/// `classes[i]`), learning what `learn` says plus the step sizes, against the real training
/// examples `train_x` (as stored) / `train_y`. The outer optimiser is Adam with first-moment
/// decay 0.5 and a step decay of its learning rate, as in Wang et al.'s code. Draws from
/// tch's global generator (seed it first).
#[allow(clippy::too_many_arguments)]
pub fn distill(
    net: &dyn FunctionalNet,
    start: &Tensor,
    classes: &Tensor,
    learn: Learn,
    train_x: &Tensor,
    train_y: &Tensor,
    settings: &DistillSettings,
    progress: &dyn Fn(usize, f64),
) -> Distilled {
    let device = start.device();
    let vs = nn::VarStore::new(device);
    let root = vs.root();
    let inputs = if learn.inputs {
        root.var_copy("inputs", start)
    } else {
        start.detach()
    };
    let one_hot = classes.one_hot(net.classes()).to_kind(Kind::Float);
    let label_start = if settings.raw_labels {
        one_hot.shallow_clone()
    } else {
        &one_hot * settings.label_init
    };
    let logits = learn
        .labels
        .then(|| root.var_copy("label_logits", &label_start));
    let as_labels = |l: &Tensor| {
        if settings.raw_labels {
            l.shallow_clone()
        } else {
            l.softmax(-1, Kind::Float)
        }
    };
    let log_steps = root.var_copy(
        "log_step_sizes",
        &Tensor::full(
            [settings.inner_steps as i64],
            settings.step_lr.ln(),
            (Kind::Float, device),
        ),
    );
    let mut opt = nn::Adam {
        beta1: 0.5,
        ..nn::Adam::default()
    }
    .build(&vs, settings.outer_lr)
    .expect("Adam over the distilled variables");
    let n_train = train_x.size()[0];
    let mut losses = Vec::new();
    let (mut sum, mut count) = (0.0, 0usize);
    let mut diverged = None;
    for step in 1..=settings.outer_steps {
        if settings.decay_every > 0 && step > 1 && (step - 1) % settings.decay_every == 0 {
            let decays = ((step - 1) / settings.decay_every) as i32;
            opt.set_lr(settings.outer_lr * settings.decay_factor.powi(decays));
        }
        let init: Vec<Tensor> = match &settings.fixed_init {
            Some(p) => p
                .iter()
                .map(|t| t.detach().set_requires_grad(true))
                .collect(),
            None => net
                .init_params(device)
                .into_iter()
                .map(|t| t.set_requires_grad(true))
                .collect(),
        };
        let labels = match &logits {
            Some(l) => as_labels(l),
            None => one_hot.shallow_clone(),
        };
        let trained = train_unrolled(net, &init, &inputs, &labels, &log_steps.exp(), true);
        let idx = Tensor::randint(n_train, [settings.real_batch as i64], (Kind::Int64, device));
        let real = net.embed(&train_x.index_select(0, &idx));
        let loss = net
            .forward(&trained, &real)
            .cross_entropy_for_logits(&train_y.index_select(0, &idx));
        let value = loss.double_value(&[]);
        if !value.is_finite() {
            diverged = Some(step);
            break;
        }
        opt.zero_grad();
        loss.backward();
        opt.step();
        sum += value;
        count += 1;
        if step % settings.log_every == 0 || step == settings.outer_steps {
            losses.push((step, sum / count as f64));
            progress(step, sum / count as f64);
            (sum, count) = (0.0, 0);
        }
    }
    let labels = match &logits {
        Some(l) => as_labels(l),
        None => one_hot,
    };
    Distilled {
        set: SyntheticSet {
            inputs,
            labels,
            step_sizes: log_steps.exp(),
        }
        .detached(),
        losses,
        diverged,
    }
}

/// Test accuracy of a fresh `net` trained on `set` from each of `inits`.
pub fn evaluate(
    net: &dyn FunctionalNet,
    set: &SyntheticSet,
    inits: &[Vec<Tensor>],
    test_x: &Tensor,
    test_y: &Tensor,
) -> Vec<f64> {
    inits
        .iter()
        .map(|init| {
            let trained =
                train_unrolled(net, init, &set.inputs, &set.labels, &set.step_sizes, false);
            accuracy(net, &trained, test_x, test_y)
        })
        .collect()
}

/// `count` fresh initialisations of `net` on `device` (from tch's global generator).
pub fn fresh_inits(net: &dyn FunctionalNet, count: usize, device: Device) -> Vec<Vec<Tensor>> {
    (0..count).map(|_| net.init_params(device)).collect()
}

/// Sample mean and standard deviation (n − 1; 0 for a single value).
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = if values.len() > 1 {
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

/// The scores `acc_mean`, `acc_std`, `acc_min` and `acc_max` of evaluation accuracies.
pub fn accuracy_scores(accs: &[f64]) -> Vec<(String, f64)> {
    let (mean, std) = mean_std(accs);
    let min = accs.iter().copied().fold(f64::INFINITY, f64::min);
    let max = accs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    vec![
        ("acc_mean".into(), mean),
        ("acc_std".into(), std),
        ("acc_min".into(), min),
        ("acc_max".into(), max),
    ]
}

/// Synthetic example `i` of a set of `n` gets class `i mod classes`.
pub fn cyclic_classes(n: usize, classes: i64, device: Device) -> Tensor {
    Tensor::arange(n as i64, (Kind::Int64, device)).remainder(classes)
}

/// Indices of `n` random examples of `labels`, example `i` of class `i mod classes`; an error
/// names the class with too few examples.
pub fn pick_per_class(labels: &[i64], classes: i64, n: usize) -> anyhow::Result<Vec<i64>> {
    let order = Vec::<i64>::try_from(Tensor::randperm(
        labels.len() as i64,
        (Kind::Int64, Device::Cpu),
    ))?;
    let mut by_class: Vec<Vec<i64>> = vec![Vec::new(); classes as usize];
    for &i in &order {
        by_class[labels[i as usize] as usize].push(i);
    }
    let mut picked = Vec::with_capacity(n);
    for i in 0..n {
        let class = i % classes as usize;
        picked.push(
            by_class[class]
                .pop()
                .ok_or_else(|| anyhow::anyhow!("class {class} has too few training examples"))?,
        );
    }
    Ok(picked)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-hidden-layer perceptron on 6 features, 3 classes.
    struct Mlp;

    impl FunctionalNet for Mlp {
        fn classes(&self) -> i64 {
            3
        }
        fn init_params(&self, device: Device) -> Vec<Tensor> {
            vec![
                Tensor::randn([5, 6], (Kind::Float, device)) * 0.4,
                Tensor::zeros([5], (Kind::Float, device)),
                Tensor::randn([3, 5], (Kind::Float, device)) * 0.4,
                Tensor::zeros([3], (Kind::Float, device)),
            ]
        }
        fn forward(&self, p: &[Tensor], x: &Tensor) -> Tensor {
            x.linear(&p[0], Some(&p[1]))
                .tanh()
                .linear(&p[2], Some(&p[3]))
        }
    }

    /// The gradient that reaches the inputs, the label logits and the step sizes through the
    /// unrolled steps equals central finite differences of the outer loss.
    #[test]
    fn gradients_through_the_unrolled_steps_match_finite_differences() {
        tch::manual_seed(4);
        let dbl = |t: &Tensor| t.to_kind(Kind::Double);
        let init: Vec<Tensor> = Mlp.init_params(Device::Cpu).iter().map(dbl).collect();
        let vars = [
            Tensor::randn([4, 6], (Kind::Double, Device::Cpu)),
            Tensor::randn([4, 3], (Kind::Double, Device::Cpu)),
            Tensor::from_slice(&[-1.0f64, -0.5, -0.7]),
        ];
        let real = Tensor::randn([8, 6], (Kind::Double, Device::Cpu));
        let real_y = Tensor::from_slice(&[0i64, 1, 2, 0, 1, 2, 0, 1]);
        let outer = |v: &[Tensor]| {
            let init: Vec<Tensor> = init.iter().map(|t| t.set_requires_grad(true)).collect();
            let trained = train_unrolled(
                &Mlp,
                &init,
                &v[0],
                &v[1].softmax(-1, Kind::Double),
                &v[2].exp(),
                true,
            );
            soft_cross_entropy(
                &Mlp.forward(&trained, &real),
                &real_y.one_hot(3).to_kind(Kind::Double),
            )
        };
        let leaves: Vec<Tensor> = vars.iter().map(|t| t.set_requires_grad(true)).collect();
        let grads = Tensor::run_backward(&[&outer(&leaves[..])], &leaves, false, false);
        let eps = 1e-6;
        for (which, index) in [(0, [1i64, 4]), (1, [2, 1]), (2, [1, 0])] {
            let index: &[i64] = if which == 2 { &index[..1] } else { &index };
            let bumped = |delta: f64| {
                let v: Vec<Tensor> = vars.iter().map(|t| t.detach().copy()).collect();
                let cell = v[which].get(index[0]);
                let mut cell = if index.len() == 2 {
                    cell.get(index[1])
                } else {
                    cell
                };
                let _ = cell.g_add_scalar_(delta);
                outer(&v[..]).double_value(&[])
            };
            let numeric = (bumped(eps) - bumped(-eps)) / (2.0 * eps);
            let analytic = grads[which].double_value(index);
            assert!(
                (numeric - analytic).abs() <= 1e-5 * analytic.abs().max(1e-3),
                "variable {which} at {index:?}: analytic {analytic}, numeric {numeric}"
            );
            assert!(analytic.abs() > 1e-8, "variable {which}: no gradient");
        }
    }

    #[test]
    fn picks_cycle_through_the_classes_and_name_a_short_class() {
        tch::manual_seed(0);
        let labels = [0i64, 1, 1, 0, 1, 1, 1];
        let picked = pick_per_class(&labels, 2, 4).unwrap();
        let classes: Vec<i64> = picked.iter().map(|&i| labels[i as usize]).collect();
        assert_eq!(classes, [0, 1, 0, 1]);
        let mut unique = picked.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 4);
        let err = pick_per_class(&labels, 2, 5).unwrap_err().to_string();
        assert!(err.contains("class 0"), "{err}");
        assert_eq!(
            Vec::<i64>::try_from(cyclic_classes(5, 2, Device::Cpu)).unwrap(),
            [0, 1, 0, 1, 0]
        );
        assert_eq!(mean_std(&[1.0, 3.0]), (2.0, 2f64.sqrt()));
    }
}
