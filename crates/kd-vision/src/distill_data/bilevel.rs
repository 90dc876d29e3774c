//! The bi-level optimisation of dataset distillation (Wang, Zhu, Torralba & Efros 2018,
//! "Dataset Distillation", arXiv 1811.10959, Algorithm 1) with learned soft labels
//! (Sucholutsky & Schonlau 2019, "Soft-Label Dataset Distillation and Text Dataset
//! Distillation", arXiv 1910.02551, Algorithm 1).
//!
//! Inner loop: from an initialisation θ₀, `T` gradient steps on the synthetic set,
//! θᵢ₊₁ = θᵢ − ηᵢ ∇θ ℓ(x̃, ỹ; θᵢ), each with its own learned step size ηᵢ. Outer loop: the loss
//! of θ_T on a batch of real training images, differentiated through all the inner steps
//! (second-order, the graph of each inner gradient is kept) into the synthetic images x̃,
//! the label logits (soft labels ỹ = softmax of the logits) and log ηᵢ; one Adam step per
//! outer step. Each outer step samples a fresh θ₀ from the initialisation distribution
//! (the papers' random-initialisation setting), unless a fixed initialisation is asked for.
use super::functional::{forward, init_params, soft_cross_entropy, CLASSES};
use tch::{nn, nn::OptimizerConfig, Device, Kind, Tensor};

/// A small training set and the schedule to train on it: what distillation learns and what
/// evaluation trains fresh networks on.
#[derive(Debug)]
pub struct SyntheticSet {
    /// Images, `[n, 1, 28, 28]`, in the normalised input space.
    pub images: Tensor,
    /// Target distribution of each image, `[n, classes]` (one-hot rows for hard labels).
    pub labels: Tensor,
    /// The inner step sizes, `[inner_steps]`.
    pub step_sizes: Tensor,
}

impl SyntheticSet {
    /// A copy with every tensor detached from the graph.
    pub fn detached(&self) -> SyntheticSet {
        SyntheticSet {
            images: self.images.detach().copy(),
            labels: self.labels.detach().copy(),
            step_sizes: self.step_sizes.detach().copy(),
        }
    }
}

/// Trains the parameters `init` with one gradient step per entry of `step_sizes`, each on all
/// `images` with soft targets `labels`. With `create_graph`, every step stays differentiable
/// (the result depends on images, labels and step sizes through the whole unrolled run; `init`
/// must require gradients); without, each step is detached (plain training).
pub fn train_unrolled(
    init: &[Tensor],
    images: &Tensor,
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
        let loss = soft_cross_entropy(&forward(&params, images), labels);
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

/// Fraction of `x` classified as `y` by LeNet parameters `params`.
pub fn accuracy(params: &[Tensor], x: &Tensor, y: &Tensor) -> f64 {
    tch::no_grad(|| {
        let n = x.size()[0];
        let mut correct = 0i64;
        let chunk = 2000;
        let mut start = 0;
        while start < n {
            let len = chunk.min(n - start);
            let pred = forward(params, &x.narrow(0, start, len)).argmax(-1, false);
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
    /// The images (otherwise they stay as given).
    pub images: bool,
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
    /// Real images per outer step.
    pub real_batch: usize,
    /// Adam learning rate of the outer loop.
    pub outer_lr: f64,
    /// Initial inner step size.
    pub step_lr: f64,
    /// Initial logit of each image's class in a soft label.
    pub label_init: f64,
    /// One fixed initialisation for every outer step instead of fresh ones.
    pub fixed_init: Option<Vec<Tensor>>,
    /// Outer steps between two reported losses.
    pub log_every: usize,
}

/// Outcome of [`distill`]: the learned set and the outer loss curve.
#[derive(Debug)]
pub struct Distilled {
    /// The learned images, labels and step sizes.
    pub set: SyntheticSet,
    /// `(outer step, mean outer loss over the steps since the previous point)`.
    pub losses: Vec<(usize, f64)>,
    /// The outer step at which the outer loss became NaN or infinite (the run stopped there).
    pub diverged: Option<usize>,
}

/// Runs the bi-level optimisation from `start` (images in the normalised space, image i's
/// class `classes[i]`), learning what `learn` says plus the step sizes, against the real
/// training images `train_x`/`train_y`. Draws from tch's global generator (seed it first).
pub fn distill(
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
    let images = if learn.images {
        root.var_copy("images", start)
    } else {
        start.detach()
    };
    let one_hot = classes.one_hot(CLASSES).to_kind(Kind::Float);
    let logits = learn
        .labels
        .then(|| root.var_copy("label_logits", &(&one_hot * settings.label_init)));
    let log_steps = root.var_copy(
        "log_step_sizes",
        &Tensor::full(
            [settings.inner_steps as i64],
            settings.step_lr.ln(),
            (Kind::Float, device),
        ),
    );
    let mut opt = nn::Adam::default()
        .build(&vs, settings.outer_lr)
        .expect("Adam over the distilled variables");
    let n_train = train_x.size()[0];
    let mut losses = Vec::new();
    let (mut sum, mut count) = (0.0, 0usize);
    let mut diverged = None;
    for step in 1..=settings.outer_steps {
        let init: Vec<Tensor> = match &settings.fixed_init {
            Some(p) => p
                .iter()
                .map(|t| t.detach().set_requires_grad(true))
                .collect(),
            None => init_params(device)
                .into_iter()
                .map(|t| t.set_requires_grad(true))
                .collect(),
        };
        let labels = match &logits {
            Some(l) => l.softmax(-1, Kind::Float),
            None => one_hot.shallow_clone(),
        };
        let trained = train_unrolled(&init, &images, &labels, &log_steps.exp(), true);
        let idx = Tensor::randint(n_train, [settings.real_batch as i64], (Kind::Int64, device));
        let loss = forward(&trained, &train_x.index_select(0, &idx))
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
        Some(l) => l.softmax(-1, Kind::Float),
        None => one_hot,
    };
    Distilled {
        set: SyntheticSet {
            images,
            labels,
            step_sizes: log_steps.exp(),
        }
        .detached(),
        losses,
        diverged,
    }
}

/// Test accuracy of a fresh LeNet trained on `set` from each of `inits`.
pub fn evaluate(
    set: &SyntheticSet,
    inits: &[Vec<Tensor>],
    test_x: &Tensor,
    test_y: &Tensor,
) -> Vec<f64> {
    inits
        .iter()
        .map(|init| {
            let trained = train_unrolled(init, &set.images, &set.labels, &set.step_sizes, false);
            accuracy(&trained, test_x, test_y)
        })
        .collect()
}

/// `count` fresh initialisations on `device` (from tch's global generator).
pub fn fresh_inits(count: usize, device: Device) -> Vec<Vec<Tensor>> {
    (0..count).map(|_| init_params(device)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy(seed: i64) -> (Tensor, Tensor, Tensor, Vec<Tensor>) {
        tch::manual_seed(seed);
        let images = Tensor::randn([4, 1, 28, 28], (Kind::Float, Device::Cpu));
        let logits = Tensor::randn([4, 10], (Kind::Float, Device::Cpu));
        let log_steps = Tensor::from_slice(&[-3.0f32, -2.5, -2.0]);
        (images, logits, log_steps, init_params(Device::Cpu))
    }

    /// The outer loss after 3 unrolled steps, in double precision for finite differences.
    fn outer_loss(
        images: &Tensor,
        logits: &Tensor,
        log_steps: &Tensor,
        init: &[Tensor],
        real: &Tensor,
        real_y: &Tensor,
    ) -> Tensor {
        let init: Vec<Tensor> = init.iter().map(|t| t.set_requires_grad(true)).collect();
        let trained = train_unrolled(
            &init,
            images,
            &logits.softmax(-1, Kind::Double),
            &log_steps.exp(),
            true,
        );
        let targets = real_y.one_hot(10).to_kind(Kind::Double);
        soft_cross_entropy(&forward(&trained, real), &targets)
    }

    /// The gradient that reaches the images, the label logits and the step sizes through the
    /// unrolled steps equals central finite differences of the outer loss.
    #[test]
    fn gradients_through_the_unrolled_steps_match_finite_differences() {
        let (images, logits, log_steps, init) = toy(5);
        let dbl = |t: &Tensor| t.to_kind(Kind::Double);
        let init: Vec<Tensor> = init.iter().map(dbl).collect();
        let real = Tensor::randn([8, 1, 28, 28], (Kind::Double, Device::Cpu));
        let real_y = Tensor::from_slice(&[0i64, 1, 2, 3, 4, 5, 6, 7]);
        let vars = [dbl(&images), dbl(&logits), dbl(&log_steps)];
        let leaves: Vec<Tensor> = vars.iter().map(|t| t.set_requires_grad(true)).collect();
        let loss = outer_loss(&leaves[0], &leaves[1], &leaves[2], &init, &real, &real_y);
        let grads = Tensor::run_backward(&[&loss], &leaves, false, false);
        let eps = 1e-5;
        // A few coordinates of each variable: a pixel of image 0 and 3, two logits, each step.
        let probes: [(usize, Vec<i64>); 7] = [
            (0, vec![0, 0, 14, 14]),
            (0, vec![3, 0, 10, 17]),
            (1, vec![0, 2]),
            (1, vec![2, 7]),
            (2, vec![0]),
            (2, vec![1]),
            (2, vec![2]),
        ];
        for (which, index) in probes {
            let bumped = |delta: f64| {
                let mut v: Vec<Tensor> = vars.iter().map(|t| t.detach().copy()).collect();
                let size = v[which].size();
                let offset = index
                    .iter()
                    .zip(&size)
                    .fold(0i64, |acc, (i, s)| acc * s + i);
                let bump = Tensor::zeros([v[which].numel() as i64], (Kind::Double, Device::Cpu))
                    .index_fill(0, &Tensor::from_slice(&[offset]), delta)
                    .view(size.as_slice());
                v[which] = &v[which] + bump;
                outer_loss(&v[0], &v[1], &v[2], &init, &real, &real_y).double_value(&[])
            };
            let numeric = (bumped(eps) - bumped(-eps)) / (2.0 * eps);
            let analytic = grads[which].double_value(&index);
            assert!(
                (numeric - analytic).abs() <= 1e-4 * analytic.abs().max(1e-3),
                "variable {which} at {index:?}: analytic {analytic}, numeric {numeric}"
            );
            assert!(
                analytic.abs() > 1e-8,
                "variable {which} at {index:?}: no gradient"
            );
        }
    }

    /// A hand-checkable case: one step of size η on a set whose loss gradient is g leaves the
    /// parameters at θ₀ − η g, so d θ₁ / d log η = −η g.
    #[test]
    fn one_unrolled_step_is_a_gradient_step() {
        let (images, logits, _, init) = toy(2);
        let labels = logits.softmax(-1, Kind::Float);
        let init: Vec<Tensor> = init.iter().map(|t| t.set_requires_grad(true)).collect();
        let loss = soft_cross_entropy(&forward(&init, &images), &labels);
        let g = Tensor::run_backward(&[&loss], &init, false, false);
        let trained = train_unrolled(
            &init,
            &images,
            &labels,
            &Tensor::from_slice(&[0.1f32]),
            false,
        );
        for ((p0, p1), g) in init.iter().zip(&trained).zip(&g) {
            let expected = p0.detach() - g * 0.1;
            assert!(p1.detach().allclose(&expected, 1e-6, 1e-6, false));
        }
    }
}
