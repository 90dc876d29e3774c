//! The bi-level optimisation of dataset distillation lives in kd-core
//! ([`kd_core::distill_data::bilevel`], generic over a [`FunctionalNet`]); this module
//! re-exports it and checks it on LeNet-5.
pub use kd_core::distill_data::bilevel::*;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distill_data::functional::{forward, init_params, LeNet5, NetInit};
    use tch::{Device, Kind, Tensor};

    fn toy(seed: i64) -> (Tensor, Tensor, Tensor, Vec<Tensor>) {
        tch::manual_seed(seed);
        let images = Tensor::randn([4, 1, 28, 28], (Kind::Float, Device::Cpu));
        let logits = Tensor::randn([4, 10], (Kind::Float, Device::Cpu));
        let log_steps = Tensor::from_slice(&[-3.0f32, -2.5, -2.0]);
        (
            images,
            logits,
            log_steps,
            init_params(NetInit::Kaiming, Device::Cpu),
        )
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
            &LeNet5::default(),
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
            &LeNet5::default(),
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
