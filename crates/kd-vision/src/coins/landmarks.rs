//! Class-specific landmark discovery: for each class, a mask on a coarse grid (per side of the
//! coin), upsampled smoothly to the image, that keeps as little of the image as possible while
//! the classifier's accuracy on that class's images stays within an allowed loss of its
//! accuracy on the unmasked images. Removed pixels are replaced by a constant fill.
//!
//! The constrained problem is solved with a Lagrangian: the soft mask (a sigmoid of per-cell
//! logits) minimises its kept area plus lambda_c times the classifier's cross-entropy on the
//! masked images, and each class's multiplier lambda_c grows while the accuracy loss on the
//! batch exceeds the allowance and shrinks otherwise. The learned cell scores then rank the
//! cells: the final mask keeps the fewest top-ranked cells whose accuracy loss on the
//! validation images of the class is within the allowance, and the constraint is checked
//! again on held-out (test) images.
use kd_core::model::Classifier;
use rand::seq::SliceRandom;
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};
use tch::{nn, nn::OptimizerConfig, Kind, Tensor};

/// How masks are optimised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaskSettings {
    /// Allowed accuracy losses (fractions, e.g. 0.01): one mask per class at each; the first
    /// is the headline level (`iou`, `kept_area` scores).
    pub allowed_losses: Vec<f64>,
    /// Cells per side of the mask grid (each side of the coin has `grid x grid` cells).
    pub grid: usize,
    /// Optimisation steps.
    pub steps: usize,
    /// Adam learning rate of the cell logits.
    pub lr: f64,
    /// Images of each class per step.
    pub batch_per_class: usize,
    /// Initial Lagrange multiplier of every class.
    pub lambda: f64,
    /// Factor by which a multiplier grows on a violating step (and shrinks, as its square
    /// root, on a satisfied one).
    pub dual_step: f64,
}

impl Default for MaskSettings {
    fn default() -> Self {
        MaskSettings {
            allowed_losses: vec![0.01, 0.05],
            grid: 8,
            steps: 150,
            lr: 0.1,
            batch_per_class: 8,
            lambda: 1.0,
            dual_step: 1.1,
        }
    }
}

impl MaskSettings {
    /// Checks the values; errors start with `prefix` and the key.
    pub fn validate(&self, prefix: &str, size: usize) -> Result<(), String> {
        if self.grid < 2 || self.grid > size {
            return Err(format!(
                "{prefix}grid: expected 2 to the image size ({size}), found {}",
                self.grid
            ));
        }
        if self.steps == 0 || self.batch_per_class == 0 {
            return Err(format!(
                "{prefix}steps and {prefix}batch_per_class: expected at least 1"
            ));
        }
        if !(self.lr > 0.0 && self.lambda > 0.0 && self.dual_step > 1.0) {
            return Err(format!(
                "{prefix}lr and {prefix}lambda must be positive and {prefix}dual_step above 1, found {}, {}, {}",
                self.lr, self.lambda, self.dual_step
            ));
        }
        Ok(())
    }
}

/// Images of one split grouped by class: `x` is `n x 2 x S x S`, `by_class[c]` the rows of
/// class `c`.
pub struct ClassImages<'a> {
    /// The images.
    pub x: &'a Tensor,
    /// Row indices of each class.
    pub by_class: Vec<Vec<i64>>,
}

impl<'a> ClassImages<'a> {
    /// Groups the rows of `x` by the labels `y` (0..classes).
    pub fn new(x: &'a Tensor, y: &Tensor, classes: usize) -> ClassImages<'a> {
        let labels = Vec::<i64>::try_from(y.to_kind(Kind::Int64)).expect("labels");
        let mut by_class = vec![Vec::new(); classes];
        for (i, &l) in labels.iter().enumerate() {
            by_class[l as usize].push(i as i64);
        }
        ClassImages { x, by_class }
    }

    /// The images of class `c`.
    pub fn of(&self, c: usize) -> Tensor {
        self.x.index_select(
            0,
            &Tensor::from_slice(&self.by_class[c]).to_device(self.x.device()),
        )
    }
}

/// Upsamples grid masks `k x 2 x g x g` to `k x 2 x size x size` (bilinear: smooth edges).
pub fn upsample(grid: &Tensor, size: usize) -> Tensor {
    let s = size as i64;
    grid.upsample_bilinear2d([s, s], false, None, None)
}

/// `x * m + fill * (1 - m)`; `m` broadcasts over `x`.
pub fn apply_mask(x: &Tensor, m: &Tensor, fill: &Tensor) -> Tensor {
    x * m + fill * (1.0 - m)
}

/// Fraction of the images of `images` predicted as `class` with mask `m` (`2 x S x S`; `None`:
/// unmasked).
pub fn class_accuracy(
    model: &dyn Classifier,
    images: &Tensor,
    class: usize,
    m: Option<&Tensor>,
    fill: &Tensor,
) -> f64 {
    if images.size()[0] == 0 {
        return f64::NAN;
    }
    tch::no_grad(|| {
        let x = match m {
            Some(m) => apply_mask(images, m, fill),
            None => images.shallow_clone(),
        };
        let pred = model.forward(&x, false).logits.argmax(-1, false);
        pred.eq(class as i64)
            .to_kind(Kind::Float)
            .mean(Kind::Float)
            .double_value(&[])
    })
}

/// Optimises every class's cell logits (`classes x 2 x grid x grid`) on `train` images so that
/// the kept area is small and each class's accuracy loss is within `allowed_loss`.
pub fn optimise_masks(
    model: &dyn Classifier,
    train: &ClassImages,
    fill: &Tensor,
    allowed_loss: f64,
    settings: &MaskSettings,
    rng: &mut Pcg64,
) -> Tensor {
    let classes = train.by_class.len();
    let size = train.x.size()[3] as usize;
    let device = train.x.device();
    let g = settings.grid as i64;
    let vs = nn::VarStore::new(device);
    let logits = vs
        .root()
        .var("cells", &[classes as i64, 2, g, g], nn::Init::Const(3.0));
    let mut opt = nn::Adam::default()
        .build(&vs, settings.lr)
        .expect("an optimiser over one tensor");
    // Unmasked accuracy of each class on its training images: the reference.
    let reference: Vec<f64> = (0..classes)
        .map(|c| class_accuracy(model, &train.of(c), c, None, fill))
        .collect();
    let mut lambda = vec![settings.lambda; classes];
    let b = settings.batch_per_class;
    for _ in 0..settings.steps {
        let mut rows = Vec::with_capacity(classes * b);
        let mut owner = Vec::with_capacity(classes * b);
        for c in 0..classes {
            let mut pool = train.by_class[c].clone();
            pool.shuffle(rng);
            for &r in pool.iter().cycle().take(b) {
                rows.push(r);
                owner.push(c as i64);
            }
        }
        if rows.is_empty() {
            break;
        }
        let owner_t = Tensor::from_slice(&owner).to_device(device);
        let x = train
            .x
            .index_select(0, &Tensor::from_slice(&rows).to_device(device));
        let soft = upsample(&logits.sigmoid(), size);
        let m = soft.index_select(0, &owner_t);
        let out = model.forward(&apply_mask(&x, &m, fill), false).logits;
        let ce = out.cross_entropy_loss::<Tensor>(&owner_t, None, tch::Reduction::None, -100, 0.0);
        let correct = out
            .argmax(-1, false)
            .eq_tensor(&owner_t)
            .to_kind(Kind::Float);
        let ones = Tensor::ones([rows.len() as i64], (Kind::Float, device));
        let count =
            Tensor::zeros([classes as i64], (Kind::Float, device)).index_add(0, &owner_t, &ones);
        let per_class = |v: &Tensor| {
            Tensor::zeros([classes as i64], (Kind::Float, device)).index_add(0, &owner_t, v)
                / count.clamp_min(1.0)
        };
        let ce_c = per_class(&ce);
        let acc_c = Vec::<f32>::try_from(per_class(&correct.detach())).expect("accuracies");
        let area = soft.mean_dim([1i64, 2, 3].as_slice(), false, Kind::Float);
        let lambda_t = Tensor::from_slice(&lambda.iter().map(|&l| l as f32).collect::<Vec<_>>())
            .to_device(device);
        let loss = (area + lambda_t * ce_c).sum(Kind::Float);
        opt.zero_grad();
        loss.backward();
        opt.step();
        for c in 0..classes {
            if reference[c] - acc_c[c] as f64 > allowed_loss {
                lambda[c] *= settings.dual_step;
            } else {
                lambda[c] /= settings.dual_step.sqrt();
            }
            lambda[c] = lambda[c].clamp(1e-3, 1e3);
        }
    }
    logits.detach()
}

/// The binary grid mask (`2 x g x g`) keeping the `k` cells with the highest `scores`.
pub fn top_cells(scores: &Tensor, k: usize) -> Tensor {
    let flat = scores.flatten(0, -1);
    let n = flat.size()[0];
    let mut mask = Tensor::zeros([n], (Kind::Float, flat.device()));
    if k > 0 {
        let (_, idx) = flat.topk(k.min(n as usize) as i64, 0, true, true);
        mask = mask.index_fill(0, &idx, 1.0);
    }
    mask.view_as(scores)
}

/// A class's final mask and how it fared.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassMask {
    /// Kept grid cells.
    pub cells: usize,
    /// Kept fraction of the image (mean of the upsampled mask).
    pub kept_area: f64,
    /// Unmasked minus masked accuracy on the validation images of the class.
    pub val_loss: f64,
    /// The same on the held-out test images.
    pub test_loss: f64,
}

/// For each class, the fewest top-ranked cells (by `scores`, `classes x 2 x g x g`) whose
/// accuracy loss on `val` images is within `allowed_loss`, with its loss on `test` images.
pub fn select_masks(
    model: &dyn Classifier,
    scores: &Tensor,
    val: &ClassImages,
    test: &ClassImages,
    fill: &Tensor,
    allowed_loss: f64,
) -> Vec<ClassMask> {
    let classes = val.by_class.len();
    let size = val.x.size()[3] as usize;
    let cells_total = scores.get(0).numel();
    (0..classes)
        .map(|c| {
            let (val_images, test_images) = (val.of(c), test.of(c));
            let val_ref = class_accuracy(model, &val_images, c, None, fill);
            let test_ref = class_accuracy(model, &test_images, c, None, fill);
            let mask_of = |k: usize| {
                upsample(&top_cells(&scores.get(c as i64), k).unsqueeze(0), size).squeeze_dim(0)
            };
            // Smallest k within the allowance: scan upwards in steps, then refine.
            let ok = |k: usize| {
                k >= cells_total
                    || val_ref - class_accuracy(model, &val_images, c, Some(&mask_of(k)), fill)
                        <= allowed_loss + 1e-9
            };
            let step = (cells_total / 16).max(1);
            let k = if ok(0) {
                0
            } else {
                let mut hi = step;
                while !ok(hi) {
                    hi += step;
                }
                let mut k = hi + 1 - step;
                while k < hi && !ok(k) {
                    k += 1;
                }
                k.min(cells_total)
            };
            let m = mask_of(k);
            ClassMask {
                cells: k,
                kept_area: m.mean(Kind::Float).double_value(&[]),
                val_loss: val_ref - class_accuracy(model, &val_images, c, Some(&m), fill),
                test_loss: test_ref - class_accuracy(model, &test_images, c, Some(&m), fill),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kd_core::model::Forward;
    use kd_core::seeding::stream;

    /// A fixed classifier of 2 x 8 x 8 images: class 0 if the top-left 2x2 patch of the
    /// obverse is bright, else class 1 if the bottom-right 2x2 patch of the reverse is bright,
    /// else class 2.
    struct Toy;

    impl Classifier for Toy {
        fn forward(&self, xs: &Tensor, _train: bool) -> Forward {
            let a = xs.narrow(1, 0, 1).narrow(2, 0, 2).narrow(3, 0, 2).mean_dim(
                [1i64, 2, 3].as_slice(),
                false,
                Kind::Float,
            );
            let b = xs.narrow(1, 1, 1).narrow(2, 6, 2).narrow(3, 6, 2).mean_dim(
                [1i64, 2, 3].as_slice(),
                false,
                Kind::Float,
            );
            let logits = Tensor::stack(
                &[
                    (&a - 0.5) * 20.0,
                    (&b - 0.5) * 20.0 - (&a - 0.5).relu() * 40.0,
                    a.zeros_like(),
                ],
                1,
            );
            Forward {
                logits,
                features: vec![],
                mask: None,
            }
        }
    }

    fn toy_images(n: usize, seed: u64) -> (Tensor, Tensor) {
        tch::manual_seed(seed as i64);
        let mut x = Tensor::rand([n as i64 * 3, 2, 8, 8], tch::kind::FLOAT_CPU) * 0.4;
        let mut y = Vec::new();
        for i in 0..n * 3 {
            let c = i % 3;
            let row = x.get(i as i64);
            match c {
                0 => {
                    let _ = row
                        .narrow(0, 0, 1)
                        .narrow(1, 0, 2)
                        .narrow(2, 0, 2)
                        .fill_(1.0);
                }
                1 => {
                    let _ = row
                        .narrow(0, 1, 1)
                        .narrow(1, 6, 2)
                        .narrow(2, 6, 2)
                        .fill_(1.0);
                }
                _ => {}
            }
            y.push(c as i64);
        }
        x = x.contiguous();
        (x, Tensor::from_slice(&y))
    }

    #[test]
    fn masks_keep_the_evidence_and_respect_the_allowance() {
        tch::manual_seed(0);
        let (train_x, train_y) = toy_images(20, 0);
        let (val_x, val_y) = toy_images(20, 1);
        let (test_x, test_y) = toy_images(20, 2);
        let train = ClassImages::new(&train_x, &train_y, 3);
        let val = ClassImages::new(&val_x, &val_y, 3);
        let test = ClassImages::new(&test_x, &test_y, 3);
        let fill = Tensor::from(0.2f32);
        let settings = MaskSettings {
            grid: 4,
            steps: 150,
            ..MaskSettings::default()
        };
        let scores = optimise_masks(&Toy, &train, &fill, 0.0, &settings, &mut stream(0, "toy"));
        let masks = select_masks(&Toy, &scores, &val, &test, &fill, 0.0);
        // Class 0 needs only the top-left cell of the obverse (1 of 32 cells).
        assert_eq!(masks[0].cells, 1, "{masks:?}");
        let top = top_cells(&scores.get(0), 1);
        assert_eq!(top.get(0).get(0).get(0).double_value(&[]), 1.0);
        // Class 1 needs the bottom-right cell of the reverse.
        assert!(masks[1].cells <= 2, "{masks:?}");
        assert_eq!(
            top_cells(&scores.get(1), 1)
                .get(1)
                .get(3)
                .get(3)
                .double_value(&[]),
            1.0
        );
        // Every class is within the allowance on validation and on held-out images.
        for m in &masks {
            assert!(m.val_loss <= 1e-9 && m.test_loss <= 1e-9, "{masks:?}");
            assert!(m.kept_area < 0.2, "{masks:?}");
        }
        // Class 2 (nothing bright) is recognised with everything removed.
        assert!(masks[2].cells <= 1, "{masks:?}");
    }
}
