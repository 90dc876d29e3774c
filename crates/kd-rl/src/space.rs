//! Gymnasium `Box` spaces of `float32` values.

use crate::seeding::Generator;

/// A `gymnasium.spaces.Box` with dtype `float32`: element-wise bounds
/// `low[i] <= x[i] <= high[i]` over a row-major `shape`.
#[derive(Clone, Debug, PartialEq)]
pub struct BoxSpace {
    low: Vec<f32>,
    high: Vec<f32>,
    shape: Vec<usize>,
}

impl BoxSpace {
    /// A box with the given bounds and shape.
    ///
    /// # Panics
    /// If `low`/`high` do not both have `shape.iter().product()` elements, or if
    /// some `low[i] > high[i]` or a bound is NaN.
    pub fn new(low: Vec<f32>, high: Vec<f32>, shape: Vec<usize>) -> Self {
        let n: usize = shape.iter().product();
        assert_eq!(low.len(), n, "BoxSpace: low has the wrong length");
        assert_eq!(high.len(), n, "BoxSpace: high has the wrong length");
        for (i, (l, h)) in low.iter().zip(&high).enumerate() {
            assert!(l <= h, "BoxSpace: low[{i}] = {l} is not <= high[{i}] = {h}");
        }
        Self { low, high, shape }
    }

    /// A one-dimensional box (`shape = [low.len()]`).
    pub fn from_bounds(low: Vec<f32>, high: Vec<f32>) -> Self {
        let shape = vec![low.len()];
        Self::new(low, high, shape)
    }

    /// Lower bounds (flattened).
    pub fn low(&self) -> &[f32] {
        &self.low
    }

    /// Upper bounds (flattened).
    pub fn high(&self) -> &[f32] {
        &self.high
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of elements (product of the shape).
    pub fn dim(&self) -> usize {
        self.low.len()
    }

    /// Whether every bound is finite (the box is bounded on both sides).
    pub fn is_bounded(&self) -> bool {
        self.low.iter().chain(&self.high).all(|b| b.is_finite())
    }

    /// Gymnasium's `contains`: right length and `low <= x <= high` element-wise
    /// (so NaN is never contained).
    pub fn contains(&self, x: &[f32]) -> bool {
        x.len() == self.dim()
            && x.iter()
                .zip(self.low.iter().zip(&self.high))
                .all(|(v, (l, h))| l <= v && v <= h)
    }

    /// `np.clip(x, low, high)` element-wise into a new vector (NaN stays NaN).
    ///
    /// # Panics
    /// If `x.len() != self.dim()`.
    pub fn clip(&self, x: &[f32]) -> Vec<f32> {
        let mut out = x.to_vec();
        self.clip_in_place(&mut out);
        out
    }

    /// `np.clip(x, low, high)` element-wise, in place (NaN stays NaN).
    ///
    /// # Panics
    /// If `x.len() != self.dim()`.
    pub fn clip_in_place(&self, x: &mut [f32]) {
        assert_eq!(x.len(), self.dim(), "BoxSpace::clip: wrong length");
        for (v, (l, h)) in x.iter_mut().zip(self.low.iter().zip(&self.high)) {
            // Comparisons are false for NaN, so NaN passes through like np.clip.
            if *v < *l {
                *v = *l;
            } else if *v > *h {
                *v = *h;
            }
        }
    }

    /// A uniform sample like Gymnasium's `Box.sample` for a bounded float box:
    /// `rng.uniform(low[i], high[i])` drawn in f64 element by element, then cast
    /// to f32. Returns `None` if some bound is infinite (Gymnasium would draw
    /// from normal/exponential distributions there, which are not ported).
    pub fn sample(&self, rng: &mut Generator) -> Option<Vec<f32>> {
        if !self.is_bounded() {
            return None;
        }
        Some(
            self.low
                .iter()
                .zip(&self.high)
                .map(|(&l, &h)| rng.uniform(f64::from(l), f64::from(h)) as f32)
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space() -> BoxSpace {
        BoxSpace::from_bounds(vec![-1.0, -2.0], vec![1.0, 2.0])
    }

    #[test]
    fn contains_checks_bounds_length_and_nan() {
        let s = space();
        assert!(s.contains(&[1.0, -2.0]));
        assert!(!s.contains(&[1.5, 0.0]));
        assert!(!s.contains(&[0.0]));
        assert!(!s.contains(&[f32::NAN, 0.0]));
    }

    #[test]
    fn clip_clamps_and_keeps_nan() {
        let s = space();
        assert_eq!(s.clip(&[5.0, -5.0]), vec![1.0, -2.0]);
        let c = s.clip(&[f32::NAN, 0.5]);
        assert!(c[0].is_nan());
        assert_eq!(c[1], 0.5);
    }

    #[test]
    fn sample_is_contained_and_seeded() {
        let s = space();
        let mut a = Generator::from_seed(3);
        let mut b = Generator::from_seed(3);
        for _ in 0..100 {
            let x = s.sample(&mut a).unwrap();
            assert!(s.contains(&x));
            assert_eq!(x, s.sample(&mut b).unwrap());
        }
        let unbounded = BoxSpace::from_bounds(vec![f32::NEG_INFINITY], vec![0.0]);
        assert!(unbounded.sample(&mut a).is_none());
    }

    #[test]
    #[should_panic(expected = "low[0]")]
    fn inverted_bounds_panic() {
        BoxSpace::from_bounds(vec![1.0], vec![0.0]);
    }
}
