//! Scoring landmark masks against the ground truth, the baselines they are compared with, and
//! the files a landmark run writes (heatmaps overlaid on coins, a CSV).
use super::landmarks::{top_cells, upsample};
use image::{Rgb, RgbImage};
use kd_core::model::Classifier;
use rand::seq::SliceRandom;
use rand_pcg::Pcg64;
use tch::{Kind, Tensor};

/// Intersection over union of two binary maps (values >= 0.5 count as in); 0 when both are
/// empty.
pub fn iou(a: &[f32], b: &[f32]) -> f64 {
    let (mut inter, mut union) = (0usize, 0usize);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (x >= 0.5, y >= 0.5);
        inter += usize::from(x && y);
        union += usize::from(x || y);
    }
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

/// The pointing game on `2 x size x size` maps: whether the maximum of `heat` lies within
/// `tolerance` pixels (Chebyshev distance, same side) of a ground-truth pixel.
pub fn pointing_hit(heat: &[f32], truth: &[f32], size: usize, tolerance: usize) -> bool {
    let Some((best, _)) = heat.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)) else {
        return false;
    };
    let side = best / (size * size);
    let (y, x) = ((best % (size * size)) / size, best % size);
    let lo = |v: usize| v.saturating_sub(tolerance);
    let hi = |v: usize| (v + tolerance).min(size - 1);
    (lo(y)..=hi(y))
        .any(|yy| (lo(x)..=hi(x)).any(|xx| truth[side * size * size + yy * size + xx] >= 0.5))
}

/// Gradient x input saliency of the predicted class, |dz/dx * x|, averaged over `images`
/// (`n x 2 x S x S`): a class-agnostic baseline (it explains whatever the model predicts).
pub fn gradient_x_input(model: &dyn Classifier, images: &Tensor) -> Tensor {
    let x = images.detach().set_requires_grad(true);
    let logits = model.forward(&x, false).logits;
    let pred = logits.argmax(-1, true);
    let chosen = logits.gather(1, &pred, false).sum(Kind::Float);
    let grads = Tensor::run_backward(&[chosen], &[&x], false, false);
    (&grads[0] * images)
        .abs()
        .mean_dim([0i64].as_slice(), false, Kind::Float)
}

/// Average-pools a `2 x S x S` map to the `2 x g x g` grid.
pub fn to_grid(map: &Tensor, grid: usize) -> Tensor {
    map.unsqueeze(0)
        .adaptive_avg_pool2d([grid as i64, grid as i64])
        .squeeze_dim(0)
}

/// Random cell scores (`2 x g x g`), for the random mask of equal area.
pub fn random_scores(grid: usize, rng: &mut Pcg64) -> Tensor {
    let mut order: Vec<f32> = (0..2 * grid * grid).map(|i| i as f32).collect();
    order.shuffle(rng);
    Tensor::from_slice(&order).view([2, grid as i64, grid as i64])
}

/// The kept region of the `k` top cells of `scores` at pixel level (`2 x S x S`, 0/1).
pub fn kept_region(scores: &Tensor, k: usize, size: usize) -> Vec<f32> {
    let m = upsample(&top_cells(scores, k).unsqueeze(0), size).squeeze_dim(0);
    Vec::<f32>::try_from(m.ge(0.5).to_kind(Kind::Float).flatten(0, -1)).expect("floats")
}

/// A tensor as a flat vector of floats.
pub fn to_vec(t: &Tensor) -> Vec<f32> {
    Vec::<f32>::try_from(
        t.to_kind(Kind::Float)
            .flatten(0, -1)
            .to_device(tch::Device::Cpu),
    )
    .expect("floats")
}

/// One tile of an overlay: a coin (`2 x S x S`, obverse left, reverse right), a heatmap in
/// [0, 1] of the same shape, and optionally the ground truth (outlined in green).
pub struct Tile {
    /// The coin, `2 x S x S` intensities in [0, 1].
    pub coin: Vec<f32>,
    /// The heatmap.
    pub heat: Vec<f32>,
    /// The ground truth, if known.
    pub truth: Option<Vec<f32>>,
}

/// Draws tiles in rows of `columns`, each pixel `zoom` times: the coin in grey, the heatmap
/// in red over it, ground-truth boundaries in green.
pub fn overlay_sheet(tiles: &[Tile], size: usize, columns: usize, zoom: u32) -> RgbImage {
    let s = size as u32;
    let (tw, th) = (2 * s * zoom + 4, s * zoom + 4);
    let rows = tiles.len().div_ceil(columns) as u32;
    let mut img = RgbImage::from_pixel(tw * columns as u32, th * rows.max(1), Rgb([255, 255, 255]));
    for (i, tile) in tiles.iter().enumerate() {
        let (ox, oy) = ((i % columns) as u32 * tw, (i / columns) as u32 * th);
        for side in 0..2u32 {
            for y in 0..s * zoom {
                for x in 0..s * zoom {
                    let (py, px) = ((y / zoom) as usize, (x / zoom) as usize);
                    let idx = side as usize * size * size + py * size + px;
                    let g = tile.coin[idx].clamp(0.0, 1.0) * 255.0;
                    let a = 0.65 * tile.heat[idx].clamp(0.0, 1.0);
                    let mut rgb = [g * (1.0 - a) + 255.0 * a, g * (1.0 - a), g * (1.0 - a)];
                    if let Some(truth) = &tile.truth {
                        let inside = |yy: isize, xx: isize| {
                            yy >= 0
                                && xx >= 0
                                && (yy as usize) < size
                                && (xx as usize) < size
                                && truth
                                    [side as usize * size * size + yy as usize * size + xx as usize]
                                    >= 0.5
                        };
                        let (yy, xx) = (py as isize, px as isize);
                        let edge = inside(yy, xx)
                            && (!inside(yy - 1, xx)
                                || !inside(yy + 1, xx)
                                || !inside(yy, xx - 1)
                                || !inside(yy, xx + 1));
                        let on_border = y % zoom == 0 || x % zoom == 0;
                        if edge && on_border {
                            rgb = [0.0, 220.0, 0.0];
                        }
                    }
                    img.put_pixel(
                        ox + 2 + side * s * zoom + x,
                        oy + 2 + y,
                        Rgb(rgb.map(|v| v.round() as u8)),
                    );
                }
            }
        }
    }
    img
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iou_and_pointing_on_small_maps() {
        let a = [1.0, 1.0, 0.0, 0.0];
        let b = [1.0, 0.0, 1.0, 0.0];
        assert!((iou(&a, &b) - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(iou(&[0.0; 4], &[0.0; 4]), 0.0);
        // 2 sides of 3x3; truth at (side 1, y 2, x 2).
        let mut truth = vec![0.0; 18];
        truth[9 + 8] = 1.0;
        let mut heat = vec![0.0; 18];
        heat[9 + 4] = 1.0; // side 1, centre: one pixel away
        assert!(!pointing_hit(&heat, &truth, 3, 0));
        assert!(pointing_hit(&heat, &truth, 3, 1));
        heat[4] = 2.0; // the maximum moves to side 0
        assert!(!pointing_hit(&heat, &truth, 3, 1));
    }

    #[test]
    fn gradient_x_input_finds_the_pixels_a_linear_model_uses() {
        struct Linear;
        impl Classifier for Linear {
            fn forward(&self, xs: &Tensor, _: bool) -> kd_core::model::Forward {
                let v = xs
                    .narrow(1, 1, 1)
                    .narrow(2, 1, 1)
                    .narrow(3, 2, 1)
                    .flatten(1, -1);
                kd_core::model::Forward {
                    logits: Tensor::cat(&[&v * 3.0, v.zeros_like()], 1),
                    features: vec![],
                    mask: None,
                }
            }
        }
        let x = Tensor::ones([4, 2, 4, 4], tch::kind::FLOAT_CPU);
        let sal = gradient_x_input(&Linear, &x);
        assert_eq!(sal.size(), [2, 4, 4]);
        assert_eq!(sal.get(1).get(1).get(2).double_value(&[]), 3.0);
        assert_eq!(sal.sum(Kind::Float).double_value(&[]), 3.0);
        let grid = to_grid(&sal, 2);
        assert_eq!(grid.get(1).get(0).get(1).double_value(&[]), 0.75);
        let region = kept_region(&grid, 1, 4);
        assert_eq!(region.iter().sum::<f32>(), 4.0);
        assert_eq!(region[16 + 2], 1.0);
    }
}
