//! A procedural (synthetic) coin collection: round grey coin blanks with a rim, texture,
//! uneven lighting, wear and a small random rotation, struck with marks at known places.
//!
//! The hierarchy is 6 "emperors" x 4 "types" (24 full labels). The obverse carries two of four
//! emperor tokens (a fixed shape at a fixed slot of a ring of 8 slots): each emperor is one of
//! the 6 pairs, so no single token identifies an emperor. The reverse carries two of four type
//! tokens in the same way. Every coin also has shared distractors that say nothing of its
//! class: a central portrait (obverse) or standing figure (reverse), a ring of legend dots,
//! and one or two random marks at slots no token uses. The ground-truth landmarks of a class
//! are the footprints of its four tokens (two per side) on an unrotated coin.
//!
//! Everything is deterministic by seed: coin `i` of a split is drawn from its own stream.
use super::hierarchy::Hierarchy;
use image::{imageops, GrayImage, Luma};
use imageproc::drawing::{draw_filled_circle_mut, draw_polygon_mut};
use imageproc::point::Point;
use kd_core::seeding::stream;
use rand::Rng;
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};

/// Number of synthetic emperors.
pub const EMPERORS: usize = 6;
/// Number of synthetic coin types per emperor.
pub const TYPES: usize = 4;
/// The pair of obverse tokens of each emperor.
const EMPEROR_TOKENS: [(usize, usize); EMPERORS] = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)];
/// The pair of reverse tokens of each type.
const TYPE_TOKENS: [(usize, usize); TYPES] = [(0, 1), (2, 3), (0, 2), (1, 3)];
/// Slots (of 8, clockwise from the top) of the four obverse and the four reverse tokens.
const OBVERSE_SLOTS: [usize; 4] = [0, 2, 4, 6];
const REVERSE_SLOTS: [usize; 4] = [1, 3, 5, 7];
/// Supersampling factor of the drawing canvas (anti-aliasing).
const SUPER: usize = 4;

/// How the synthetic coins look: image size and the strength of each nuisance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoinStyle {
    /// Side of each (square, grey) image in pixels.
    pub size: usize,
    /// Largest rotation of a coin, in degrees (uniform in +-rotation).
    pub rotation: f64,
    /// Standard deviation of the per-pixel noise (intensities in [0, 1]).
    pub noise: f64,
    /// Largest strength of the linear lighting gradient across the coin.
    pub lighting: f64,
    /// Largest number of random distractor marks per side (at least one when > 0).
    pub distractors: usize,
}

impl Default for CoinStyle {
    fn default() -> Self {
        CoinStyle {
            size: 32,
            rotation: 15.0,
            noise: 0.06,
            lighting: 0.3,
            distractors: 2,
        }
    }
}

impl CoinStyle {
    /// Checks the values, naming the key of a bad one (`prefix` + key).
    pub fn validate(&self, prefix: &str) -> Result<(), String> {
        if !(16..=128).contains(&self.size) {
            return Err(format!(
                "{prefix}size: expected 16 to 128 pixels, found {}",
                self.size
            ));
        }
        for (key, value, max) in [
            ("rotation", self.rotation, 180.0),
            ("noise", self.noise, 0.5),
            ("lighting", self.lighting, 1.0),
        ] {
            if !(0.0..=max).contains(&value) {
                return Err(format!("{prefix}{key}: expected 0 to {max}, found {value}"));
            }
        }
        if self.distractors > 4 {
            return Err(format!(
                "{prefix}distractors: expected at most 4, found {}",
                self.distractors
            ));
        }
        Ok(())
    }
}

/// The synthetic hierarchy: emperors `E0`..`E5`, types `T0`..`T3`, label = 4 e + t.
pub fn synthetic_hierarchy() -> Hierarchy {
    let pairs: Vec<(String, String)> = (0..EMPERORS)
        .flat_map(|e| (0..TYPES).map(move |t| (format!("E{e}"), format!("T{t}"))))
        .collect();
    Hierarchy::from_names(&pairs)
}

/// A mark's shape.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    Disc,
    Square,
    Triangle,
    Cross,
    Ring,
    Star,
}

/// The shape of token `j` (the same four shapes on both sides).
const TOKEN_SHAPES: [Shape; 4] = [Shape::Disc, Shape::Square, Shape::Triangle, Shape::Cross];

/// One mark to draw: shape, centre (canvas pixels), half-size, rotation, intensity.
struct Mark {
    shape: Shape,
    x: f64,
    y: f64,
    half: f64,
    angle: f64,
    value: f64,
}

/// The slot positions of a coin of `size` pixels centred at (cx, cy), rotated by `angle`.
fn slot_centre(size: usize, slot: usize, cx: f64, cy: f64, angle: f64) -> (f64, f64) {
    let radius = 0.27 * size as f64;
    let a = slot as f64 * std::f64::consts::FRAC_PI_4 + angle;
    (cx + radius * a.sin(), cy - radius * a.cos())
}

/// The token marks of `class` on side `side` (0 obverse, 1 reverse).
fn token_marks(class: usize, side: usize) -> Vec<(usize, usize)> {
    let (e, t) = (class / TYPES, class % TYPES);
    let (pair, slots) = match side {
        0 => (EMPEROR_TOKENS[e], OBVERSE_SLOTS),
        _ => (TYPE_TOKENS[t], REVERSE_SLOTS),
    };
    vec![(pair.0, slots[pair.0]), (pair.1, slots[pair.1])]
}

fn rotate(points: &[(f64, f64)], x: f64, y: f64, angle: f64, scale: f64) -> Vec<Point<i32>> {
    let (s, c) = angle.sin_cos();
    points
        .iter()
        .map(|&(px, py)| {
            let (rx, ry) = (px * c - py * s, px * s + py * c);
            Point::new(
                ((x + rx * scale) * SUPER as f64).round() as i32,
                ((y + ry * scale) * SUPER as f64).round() as i32,
            )
        })
        .collect()
}

fn draw_mark(canvas: &mut GrayImage, mark: &Mark) {
    let colour = Luma([(mark.value.clamp(0.0, 1.0) * 255.0).round() as u8]);
    let centre = (
        (mark.x * SUPER as f64).round() as i32,
        (mark.y * SUPER as f64).round() as i32,
    );
    let radius = (mark.half * SUPER as f64).round() as i32;
    let h = mark.half;
    match mark.shape {
        Shape::Disc => draw_filled_circle_mut(canvas, centre, radius, colour),
        Shape::Ring => {
            draw_filled_circle_mut(canvas, centre, radius, colour);
            draw_filled_circle_mut(canvas, centre, radius / 2, Luma([0]));
        }
        Shape::Square => {
            let corners = [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)];
            let poly = rotate(&corners, mark.x, mark.y, mark.angle, 0.85 * h);
            draw_polygon_mut(canvas, &poly, colour);
        }
        Shape::Triangle => {
            let corners = [(0.0, -1.15), (1.1, 0.85), (-1.1, 0.85)];
            let poly = rotate(&corners, mark.x, mark.y, mark.angle, h);
            draw_polygon_mut(canvas, &poly, colour);
        }
        Shape::Cross | Shape::Star => {
            let extra = if mark.shape == Shape::Star {
                std::f64::consts::FRAC_PI_4
            } else {
                0.0
            };
            let w = if mark.shape == Shape::Star { 0.25 } else { 0.4 };
            for arm in [0.0, std::f64::consts::FRAC_PI_2] {
                let corners = [(-1.0, -w), (1.0, -w), (1.0, w), (-1.0, w)];
                let poly = rotate(&corners, mark.x, mark.y, mark.angle + arm + extra, h);
                draw_polygon_mut(canvas, &poly, colour);
            }
        }
    }
}

/// Downsamples a supersampled canvas to `size` x `size` intensities in [0, 1].
fn downsample(canvas: &GrayImage, size: usize) -> Vec<f32> {
    let small = imageops::resize(
        canvas,
        size as u32,
        size as u32,
        imageops::FilterType::Triangle,
    );
    small.pixels().map(|p| p.0[0] as f32 / 255.0).collect()
}

fn normal(rng: &mut Pcg64) -> f64 {
    // Box-Muller.
    let u: f64 = rng.random_range(1e-12..1.0);
    let v: f64 = rng.random();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// Draws one side (0 obverse, 1 reverse) of a coin of `class`; `size * size` intensities.
pub fn render_side(style: &CoinStyle, class: usize, side: usize, rng: &mut Pcg64) -> Vec<f32> {
    let s = style.size;
    let sf = s as f64;
    let canvas_size = (s * SUPER) as u32;
    let cx = sf / 2.0 + rng.random_range(-0.04..0.04) * sf;
    let cy = sf / 2.0 + rng.random_range(-0.04..0.04) * sf;
    let angle = rng.random_range(-1.0..=1.0) * style.rotation.to_radians();
    let mut relief = GrayImage::new(canvas_size, canvas_size);
    let mut marks = Vec::new();
    // Shared distractors: the portrait or figure, and the legend dots.
    if side == 0 {
        let scale = rng.random_range(0.9..1.1);
        marks.push(Mark {
            shape: Shape::Disc,
            x: cx,
            y: cy,
            half: 0.13 * sf * scale,
            angle,
            value: rng.random_range(0.3..0.5),
        });
    } else {
        let v = rng.random_range(0.3..0.5);
        marks.push(Mark {
            shape: Shape::Disc,
            x: cx + 0.08 * sf * angle.sin(),
            y: cy - 0.08 * sf * angle.cos(),
            half: 0.05 * sf,
            angle,
            value: v,
        });
        marks.push(Mark {
            shape: Shape::Square,
            x: cx - 0.04 * sf * angle.sin(),
            y: cy + 0.04 * sf * angle.cos(),
            half: 0.06 * sf,
            angle,
            value: v,
        });
    }
    for k in 0..16 {
        let a = k as f64 * std::f64::consts::TAU / 16.0 + angle;
        let r = 0.385 * sf;
        marks.push(Mark {
            shape: Shape::Disc,
            x: cx + r * a.sin(),
            y: cy - r * a.cos(),
            half: 0.018 * sf,
            angle,
            value: rng.random_range(0.15..0.35),
        });
    }
    // The class's tokens.
    let half = 0.085 * sf;
    let tokens = token_marks(class, side);
    for &(token, slot) in &tokens {
        let (x, y) = slot_centre(s, slot, cx, cy, angle);
        marks.push(Mark {
            shape: TOKEN_SHAPES[token],
            x,
            y,
            half,
            angle,
            value: rng.random_range(0.35..0.55),
        });
    }
    // Random distractors at slots no token of this side uses.
    if style.distractors > 0 {
        let free: Vec<usize> = match side {
            0 => REVERSE_SLOTS.to_vec(),
            _ => OBVERSE_SLOTS.to_vec(),
        };
        let count = rng.random_range(1..=style.distractors);
        let mut slots = free.clone();
        for _ in 0..count.min(slots.len()) {
            let slot = slots.swap_remove(rng.random_range(0..slots.len()));
            let shapes = [
                Shape::Ring,
                Shape::Star,
                Shape::Disc,
                Shape::Square,
                Shape::Triangle,
                Shape::Cross,
            ];
            let (x, y) = slot_centre(s, slot, cx, cy, angle);
            marks.push(Mark {
                shape: shapes[rng.random_range(0..shapes.len())],
                x,
                y,
                half: half * rng.random_range(0.8..1.0),
                angle: angle + rng.random_range(-0.3..0.3),
                value: rng.random_range(0.3..0.5),
            });
        }
    }
    for mark in &marks {
        draw_mark(&mut relief, mark);
    }
    // The blank: a disc, with a rim.
    let mut blank = GrayImage::new(canvas_size, canvas_size);
    let centre = ((cx * SUPER as f64) as i32, (cy * SUPER as f64) as i32);
    draw_filled_circle_mut(
        &mut blank,
        centre,
        (0.46 * sf * SUPER as f64) as i32,
        Luma([255]),
    );
    let mut rim = GrayImage::new(canvas_size, canvas_size);
    draw_filled_circle_mut(
        &mut rim,
        centre,
        (0.46 * sf * SUPER as f64) as i32,
        Luma([255]),
    );
    draw_filled_circle_mut(
        &mut rim,
        centre,
        (0.415 * sf * SUPER as f64) as i32,
        Luma([0]),
    );
    let relief = downsample(&relief, s);
    let blank = downsample(&blank, s);
    let rim = downsample(&rim, s);
    // Texture: a few soft blotches; lighting: a linear gradient; metal tone; noise.
    let blotches: Vec<(f64, f64, f64, f64)> = (0..4)
        .map(|_| {
            (
                rng.random_range(0.0..sf),
                rng.random_range(0.0..sf),
                rng.random_range(0.1..0.25) * sf,
                rng.random_range(-0.08..0.08),
            )
        })
        .collect();
    let light_dir = rng.random_range(0.0..std::f64::consts::TAU);
    let light = rng.random_range(0.0..=1.0) * style.lighting;
    let tone = rng.random_range(0.4..0.55);
    let background = rng.random_range(0.05..0.15);
    let mut out = Vec::with_capacity(s * s);
    for py in 0..s {
        for px in 0..s {
            let i = py * s + px;
            let (x, y) = (px as f64 + 0.5, py as f64 + 0.5);
            let texture: f64 = blotches
                .iter()
                .map(|&(bx, by, r, a)| a * (-((x - bx).powi(2) + (y - by).powi(2)) / (r * r)).exp())
                .sum();
            let shade = 1.0
                + light * ((x - cx) * light_dir.cos() + (y - cy) * light_dir.sin()) / (0.46 * sf);
            let metal = (tone + texture + 0.25 * rim[i] as f64 + relief[i] as f64) * shade;
            let b = blank[i] as f64;
            let value = b * metal + (1.0 - b) * background + style.noise * normal(rng);
            out.push(value.clamp(0.0, 1.0) as f32);
        }
    }
    out
}

/// The ground-truth landmarks of `class`: `2 x size x size` (obverse then reverse), 1 where a
/// token of the class lies on an unrotated, centred coin.
pub fn landmark_mask(style: &CoinStyle, class: usize) -> Vec<f32> {
    let s = style.size;
    let sf = s as f64;
    let mut out = Vec::with_capacity(2 * s * s);
    for side in 0..2 {
        let mut canvas = GrayImage::new((s * SUPER) as u32, (s * SUPER) as u32);
        for (token, slot) in token_marks(class, side) {
            let (x, y) = slot_centre(s, slot, sf / 2.0, sf / 2.0, 0.0);
            draw_mark(
                &mut canvas,
                &Mark {
                    shape: TOKEN_SHAPES[token],
                    x,
                    y,
                    half: 0.085 * sf,
                    angle: 0.0,
                    value: 1.0,
                },
            );
        }
        out.extend(
            downsample(&canvas, s)
                .into_iter()
                .map(|v| if v >= 0.25 { 1.0 } else { 0.0 }),
        );
    }
    out
}

/// Synthetic coins of one split: `per_class` coins of each of the 24 labels, interleaved by
/// label; features `n x 2 x size x size` (obverse, reverse) and labels.
pub fn synthetic_split(
    style: &CoinStyle,
    seed: u64,
    split: &str,
    per_class: usize,
) -> (Vec<f32>, Vec<i64>) {
    let classes = EMPERORS * TYPES;
    let mut x = Vec::with_capacity(per_class * classes * 2 * style.size * style.size);
    let mut y = Vec::with_capacity(per_class * classes);
    for i in 0..per_class * classes {
        let class = i % classes;
        let mut rng = stream(seed, &format!("coins-{split}-{i}"));
        x.extend(render_side(style, class, 0, &mut rng));
        x.extend(render_side(style, class, 1, &mut rng));
        y.push(class as i64);
    }
    (x, y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coins_are_deterministic_by_seed() {
        let style = CoinStyle::default();
        let a = synthetic_split(&style, 7, "train", 2);
        let b = synthetic_split(&style, 7, "train", 2);
        let c = synthetic_split(&style, 8, "train", 2);
        assert_eq!(a, b);
        assert_ne!(a.0, c.0);
        assert_eq!(a.1.len(), 48);
        assert_eq!(a.0.len(), 48 * 2 * 32 * 32);
        assert!(a.0.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn landmarks_are_the_tokens_of_the_class() {
        let style = CoinStyle::default();
        let s = style.size;
        let h = synthetic_hierarchy();
        assert_eq!(h.num_classes(), 24);
        for class in 0..24 {
            let mask = landmark_mask(&style, class);
            let (obv, rev) = mask.split_at(s * s);
            // Two marks of about 5 x 5 pixels on each side, and nothing at the centre.
            for side in [obv, rev] {
                let area: f32 = side.iter().sum();
                assert!((20.0..80.0).contains(&area), "class {class}: area {area}");
                assert_eq!(side[(s / 2) * s + s / 2], 0.0);
            }
            // The obverse depends on the emperor only, the reverse on the type only.
            let (e, t) = (class / TYPES, class % TYPES);
            let same_emperor = landmark_mask(&style, e * TYPES + (t + 1) % TYPES);
            assert_eq!(obv, &same_emperor[..s * s]);
            assert_ne!(rev, &same_emperor[s * s..]);
        }
        // Emperor 0 holds tokens 0 and 1: slot 0 (top) is marked, slot 4 (bottom) is not.
        let mask = landmark_mask(&style, 0);
        let (x, top, bottom) = (
            s / 2,
            s / 2 - (0.27 * s as f64) as usize,
            s / 2 + (0.27 * s as f64) as usize,
        );
        assert_eq!(mask[top * s + x], 1.0);
        assert_eq!(mask[bottom * s + x], 0.0);
    }

    #[test]
    fn a_class_token_is_brighter_than_an_empty_slot_on_average() {
        // Emperor 0 (tokens at slots 0 and 2): slot 0 is bright, slot 4 holds no token of
        // the obverse (at most a distractor now and then).
        let style = CoinStyle::default();
        let s = style.size;
        let (mut at_token, mut empty) = (0.0, 0.0);
        for i in 0..20 {
            let mut rng = stream(1, &format!("t{i}"));
            let side = render_side(&style, 0, 0, &mut rng);
            let (x0, y0) = slot_centre(s, 0, s as f64 / 2.0, s as f64 / 2.0, 0.0);
            let (x4, y4) = slot_centre(s, 4, s as f64 / 2.0, s as f64 / 2.0, 0.0);
            at_token += side[y0 as usize * s + x0 as usize];
            empty += side[y4 as usize * s + x4 as usize];
        }
        assert!(at_token > empty + 20.0 * 0.2, "{at_token} vs {empty}");
    }
}

/// A contact sheet of one coin per label (obverse above reverse, labels left to right, then
/// the next row of emperors), each pixel scaled up by `zoom`.
pub fn sample_sheet(style: &CoinStyle, seed: u64, zoom: u32) -> GrayImage {
    let s = style.size as u32;
    let cell = s * zoom + 2;
    let mut sheet =
        GrayImage::from_pixel(cell * TYPES as u32 * 2, cell * EMPERORS as u32, Luma([255]));
    for class in 0..EMPERORS * TYPES {
        let mut rng = stream(seed, &format!("sheet-{class}"));
        let (e, t) = ((class / TYPES) as u32, (class % TYPES) as u32);
        for side in 0..2u32 {
            let img = render_side(style, class, side as usize, &mut rng);
            let (ox, oy) = ((t * 2 + side) * cell, e * cell);
            for y in 0..s * zoom {
                for x in 0..s * zoom {
                    let v = img[((y / zoom) * s + x / zoom) as usize];
                    sheet.put_pixel(ox + x, oy + y, Luma([(v * 255.0) as u8]));
                }
            }
        }
    }
    sheet
}

#[cfg(test)]
mod sheet {
    #[test]
    #[ignore]
    fn write_sample_sheet() {
        let sheet = super::sample_sheet(&super::CoinStyle::default(), 0, 4);
        sheet.save("/tmp/coins_sheet.png").unwrap();
    }
}
