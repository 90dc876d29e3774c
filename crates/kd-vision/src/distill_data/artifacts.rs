//! The files a distillation run writes: the learned data as safetensors (loadable with the
//! task's `distilled` key) and a PNG grid of the images with their labels as bar charts.
//!
//! `distilled.safetensors` holds three float32 tensors: `images` (`[n, 1, 28, 28]`, in pixel
//! units where the data set's pixels lie in [0, 1]; learned images may leave that range),
//! `labels` (`[n, 10]`, each row the image's target distribution, one-hot for hard labels) and
//! `step_sizes` (`[inner_steps]`, the learned step size of each training step).
use super::bilevel::SyntheticSet;
use super::functional::CLASSES;
use kd_harness::plot::{encode_png, ensure_font, FONT};
use plotters::prelude::*;
use std::path::Path;
use tch::{Device, Kind, Tensor};

pub use kd_core::distill_data::file::DATA_FILE;
use kd_core::distill_data::file::{self, Layout};

/// The name of the image grid in a run's artifact folder.
pub const GRID_FILE: &str = "distilled.png";

/// What an image task's `distilled.safetensors` holds.
const LAYOUT: Layout = Layout {
    inputs: "images",
    shape: &[Some(1), Some(28), Some(28)],
    classes: CLASSES,
};

/// Pixel normalisation of a data set: the network sees `(pixel - mean) / std`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalisation {
    /// Mean training pixel.
    pub mean: f64,
    /// Standard deviation of the training pixels.
    pub std: f64,
}

impl Normalisation {
    /// Pixels to network inputs.
    pub fn apply(&self, pixels: &Tensor) -> Tensor {
        (pixels - self.mean) / self.std
    }

    /// Network inputs to pixels.
    pub fn invert(&self, inputs: &Tensor) -> Tensor {
        inputs * self.std + self.mean
    }
}

/// Writes `set` (images in the normalised space) to `path` in pixel units.
pub fn save(set: &SyntheticSet, norm: Normalisation, path: &Path) -> anyhow::Result<()> {
    file::save(set, &norm.invert(&set.inputs), LAYOUT, path)
}

/// Reads a file written by [`save`] and returns the set in the normalised space of `norm`.
/// Errors name the file and what is wrong with it.
pub fn load(path: &Path, norm: Normalisation, device: Device) -> Result<SyntheticSet, String> {
    let mut set = file::load(path, LAYOUT, device)?;
    set.inputs = norm.apply(&set.inputs);
    Ok(set)
}

const SCALE: i32 = 3;
const IMAGE: i32 = 28 * SCALE;
const PAD: i32 = 8;
const BAR_W: i32 = 9;
const BAR_GAP: i32 = 2;
const CHART_H: i32 = 64;
const CELL_W: i32 = PAD + IMAGE + PAD + 10 * (BAR_W + BAR_GAP) + PAD;
const CELL_H: i32 = PAD + 14 + IMAGE + PAD;
const HEADER_H: i32 = 26;

/// Draws the images of `set` (normalised space) in a grid, each with its label beside it as a
/// bar chart over the classes 0-9 (the most probable class in orange, negative raw weights in
/// red), and writes the PNG to `path`. Each image is stretched to its own minimum and
/// maximum, since learned pixels leave [0, 1]. `title` goes on top.
pub fn write_grid(set: &SyntheticSet, title: &str, path: &Path) -> anyhow::Result<()> {
    ensure_font()?;
    let images = set.inputs.to_device(Device::Cpu).to_kind(Kind::Float);
    let labels = set.labels.to_device(Device::Cpu).to_kind(Kind::Float);
    let n = images.size()[0] as i32;
    let cols = if n <= 20 { n.min(5) } else { 10 };
    let rows = (n + cols - 1) / cols;
    let (w, h) = ((cols * CELL_W) as u32, (HEADER_H + rows * CELL_H) as u32);
    let mut rgb = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        let err = |e: DrawingAreaErrorKind<_>| anyhow::anyhow!("drawing {}: {e}", path.display());
        root.draw(&Text::new(
            title,
            (PAD, 6),
            (FONT, 15).into_font().color(&BLACK),
        ))
        .map_err(err)?;
        for i in 0..n {
            let (x0, y0) = ((i % cols) * CELL_W, HEADER_H + (i / cols) * CELL_H);
            let img = images.get(i as i64).view([28, 28]);
            let (lo, hi) = (img.min().double_value(&[]), img.max().double_value(&[]));
            let pixels = Vec::<f32>::try_from(img.reshape([-1]))?;
            let probs = Vec::<f32>::try_from(labels.get(i as i64))?;
            let best = (0..probs.len())
                .max_by(|&a, &b| probs[a].total_cmp(&probs[b]))
                .unwrap_or(0);
            let caption = format!("#{i}: {best} ({:.2})", probs[best]);
            root.draw(&Text::new(
                caption,
                (x0 + PAD, y0 + PAD - 4),
                (FONT, 12).into_font().color(&BLACK),
            ))
            .map_err(err)?;
            let top = y0 + PAD + 12;
            for (k, &p) in pixels.iter().enumerate() {
                let v = ((p as f64 - lo) / (hi - lo).max(1e-12) * 255.0).round() as u8;
                let (px, py) = (
                    x0 + PAD + (k as i32 % 28) * SCALE,
                    top + (k as i32 / 28) * SCALE,
                );
                for (dx, dy) in (0..SCALE).flat_map(|dx| (0..SCALE).map(move |dy| (dx, dy))) {
                    root.draw_pixel((px + dx, py + dy), &RGBColor(v, v, v))
                        .map_err(err)?;
                }
            }
            let chart_x = x0 + PAD + IMAGE + PAD;
            let base = top + CHART_H;
            // Raw learned label weights may leave [0, 1]: the chart then spans their range,
            // its axis at zero.
            let lo = probs.iter().copied().fold(0.0f32, f32::min);
            let hi = probs.iter().copied().fold(1.0f32, f32::max);
            let height = |v: f32| ((v - lo) / (hi - lo) * CHART_H as f32).round() as i32;
            let zero = base - height(0.0);
            root.draw(&PathElement::new(
                [(chart_x, zero), (chart_x + 10 * (BAR_W + BAR_GAP), zero)],
                BLACK,
            ))
            .map_err(err)?;
            for (c, &p) in probs.iter().enumerate() {
                let bx = chart_x + c as i32 * (BAR_W + BAR_GAP);
                let end = base - height(p);
                let color = if c == best {
                    RGBColor(230, 120, 20)
                } else if p < 0.0 {
                    RGBColor(200, 60, 60)
                } else {
                    RGBColor(60, 100, 200)
                };
                if end != zero {
                    root.draw(&Rectangle::new(
                        [(bx, end.min(zero)), (bx + BAR_W - 1, end.max(zero))],
                        color.filled(),
                    ))
                    .map_err(err)?;
                }
                root.draw(&Text::new(
                    c.to_string(),
                    (bx + 1, base + 3),
                    (FONT, 11).into_font().color(&BLACK),
                ))
                .map_err(err)?;
            }
        }
        root.present().map_err(err)?;
    }
    kd_harness::store::write_atomic(path, &encode_png(w, h, &rgb)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(n: i64) -> SyntheticSet {
        tch::manual_seed(1);
        SyntheticSet {
            inputs: Tensor::randn([n, 1, 28, 28], (Kind::Float, Device::Cpu)),
            labels: Tensor::randn([n, 10], (Kind::Float, Device::Cpu)).softmax(-1, Kind::Float),
            step_sizes: Tensor::from_slice(&[0.01f32, 0.02, 0.03]),
        }
    }

    #[test]
    fn a_saved_set_loads_back_and_bad_files_name_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let norm = Normalisation {
            mean: 0.13,
            std: 0.31,
        };
        let original = set(5);
        let path = dir.path().join(DATA_FILE);
        save(&original, norm, &path).unwrap();
        let back = load(&path, norm, Device::Cpu).unwrap();
        assert!(back.inputs.allclose(&original.inputs, 1e-5, 1e-5, false));
        assert!(back.labels.allclose(&original.labels, 1e-6, 1e-6, false));
        assert_eq!(
            Vec::<f32>::try_from(&back.step_sizes).unwrap(),
            [0.01, 0.02, 0.03]
        );

        let bad = SyntheticSet {
            labels: Tensor::full([5, 10], f64::NAN, (Kind::Float, Device::Cpu)),
            ..original.detached()
        };
        save(&bad, norm, &path).unwrap();
        let err = load(&path, norm, Device::Cpu).unwrap_err();
        assert!(err.contains("NaN") && err.contains(DATA_FILE), "{err}");
        std::fs::write(&path, b"not a safetensors file").unwrap();
        let err = load(&path, norm, Device::Cpu).unwrap_err();
        assert!(err.contains(DATA_FILE), "{err}");
    }

    #[test]
    fn the_grid_is_a_png_of_the_expected_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(GRID_FILE);
        write_grid(&set(7), "seven images", &path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
        assert_eq!(
            (width, height),
            (5 * CELL_W as u32, (HEADER_H + 2 * CELL_H) as u32)
        );
    }
}
