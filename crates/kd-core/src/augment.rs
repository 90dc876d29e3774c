//! Batch image augmentation: random crops with zero padding and random horizontal flips, the
//! standard CIFAR training augmentation, applied to a whole batch with one gather.
use rand::Rng;
use rand_pcg::Pcg64;
use tch::Tensor;

/// Random crop after zero-padding each side by `pad` pixels, then a horizontal flip with
/// probability 1/2 when `flip` is set (CIFAR: `pad` 4, `flip` true).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Augmentation {
    /// Zero padding on each side before cropping back to the original size; 0 = no crop.
    pub pad: i64,
    /// Flip each image left-right with probability 1/2.
    pub flip: bool,
}

impl Augmentation {
    /// No augmentation: [`Augmentation::apply`] returns its input unchanged.
    pub const NONE: Augmentation = Augmentation {
        pad: 0,
        flip: false,
    };

    /// Augments a batch `x` (B x C x H x W) on its device. For each image in order, draws the
    /// crop's row then column offset in `0..=2 * pad` (only when `pad` > 0), then whether to
    /// flip (only when `flip`), so the output depends only on `x` and the state of `rng`.
    /// Panics when `x` is not 4-D, like the tensor operations it stands for.
    pub fn apply(&self, x: &Tensor, rng: &mut Pcg64) -> Tensor {
        if self.pad <= 0 && !self.flip {
            return x.shallow_clone();
        }
        let (b, c, h, w) = x
            .size4()
            .expect("Augmentation::apply needs a B x C x H x W batch");
        let pad = self.pad.max(0);
        let padded_w = w + 2 * pad;
        // index[n][i][j] = position, in the flattened padded image n, of output pixel (i, j).
        let mut index = Vec::with_capacity((b * h * w) as usize);
        for _ in 0..b {
            let (dy, dx) = if pad > 0 {
                (rng.random_range(0..=2 * pad), rng.random_range(0..=2 * pad))
            } else {
                (0, 0)
            };
            let flipped = self.flip && rng.random_bool(0.5);
            for i in 0..h {
                let row = (dy + i) * padded_w;
                for j in 0..w {
                    let col = if flipped { w - 1 - j } else { j };
                    index.push(row + dx + col);
                }
            }
        }
        let index = Tensor::from_slice(&index)
            .to_device(x.device())
            .view([b, 1, h * w])
            .expand([b, c, h * w], false);
        let padded = if pad > 0 {
            x.constant_pad_nd([pad, pad, pad, pad])
        } else {
            x.shallow_clone()
        };
        padded
            .reshape([b, c, (h + 2 * pad) * padded_w])
            .gather(2, &index, false)
            .view([b, c, h, w])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeding::stream;
    use tch::{Device, Kind};

    fn batch() -> Tensor {
        // Strictly positive, all distinct, so zeros can only come from the padding.
        Tensor::arange(4 * 3 * 5 * 6, (Kind::Float, Device::Cpu)).view([4, 3, 5, 6]) + 1.0
    }

    /// Per-image reference: pad, slice the crop, flip, drawing from `rng` in the same order.
    fn reference(aug: Augmentation, x: &Tensor, rng: &mut Pcg64) -> Tensor {
        let (b, _, h, w) = x.size4().unwrap();
        let p = aug.pad;
        let images: Vec<Tensor> = (0..b)
            .map(|n| {
                let (dy, dx) = if p > 0 {
                    (rng.random_range(0..=2 * p), rng.random_range(0..=2 * p))
                } else {
                    (0, 0)
                };
                let flipped = aug.flip && rng.random_bool(0.5);
                let image = x.get(n).constant_pad_nd([p, p, p, p]);
                let crop = image.narrow(1, dy, h).narrow(2, dx, w);
                if flipped {
                    crop.flip([2])
                } else {
                    crop
                }
            })
            .collect();
        Tensor::stack(&images, 0)
    }

    #[test]
    fn matches_a_per_image_reference() {
        let x = batch();
        for aug in [
            Augmentation { pad: 2, flip: true },
            Augmentation {
                pad: 1,
                flip: false,
            },
            Augmentation { pad: 0, flip: true },
        ] {
            for seed in 0..5 {
                let fast = aug.apply(&x, &mut stream(seed, "augment"));
                let slow = reference(aug, &x, &mut stream(seed, "augment"));
                assert!(fast.equal(&slow), "{aug:?} seed {seed}");
                assert_eq!(fast.size(), x.size());
            }
        }
    }

    #[test]
    fn same_rng_state_same_output_and_different_seeds_differ() {
        let x = batch();
        let aug = Augmentation { pad: 4, flip: true };
        let a = aug.apply(&x, &mut stream(7, "augment"));
        assert!(a.equal(&aug.apply(&x, &mut stream(7, "augment"))));
        assert!(!a.equal(&aug.apply(&x, &mut stream(8, "augment"))));
    }

    #[test]
    fn no_padding_and_no_flip_is_the_identity() {
        let x = batch();
        let mut rng = stream(0, "augment");
        assert!(Augmentation::NONE.apply(&x, &mut rng).equal(&x));
        assert!(Augmentation {
            pad: 0,
            flip: false
        }
        .apply(&x, &mut rng)
        .equal(&x));
    }

    #[test]
    fn crops_hold_only_original_pixels_or_zeros() {
        let x = batch();
        let aug = Augmentation { pad: 3, flip: true };
        for seed in 0..10 {
            let out = aug.apply(&x, &mut stream(seed, "augment"));
            for n in 0..4 {
                let original: Vec<f32> = Vec::try_from(x.get(n).flatten(0, -1)).unwrap();
                let cropped: Vec<f32> = Vec::try_from(out.get(n).flatten(0, -1)).unwrap();
                assert!(cropped.iter().all(|v| *v == 0.0 || original.contains(v)));
                // Each channel keeps its own pixels (values are unique per channel).
                for ch in 0..3 {
                    let channel: Vec<f32> = Vec::try_from(x.get(n).get(ch).flatten(0, -1)).unwrap();
                    let out_channel: Vec<f32> =
                        Vec::try_from(out.get(n).get(ch).flatten(0, -1)).unwrap();
                    assert!(out_channel.iter().all(|v| *v == 0.0 || channel.contains(v)));
                }
            }
        }
    }
}
