//! Gaussian noise from a seeded stream: exploration noise and TD3's target policy smoothing.
use rand::Rng;
use rand_pcg::Pcg64;

/// One standard normal draw (Box–Muller over two uniforms from `rng`).
pub fn standard_normal(rng: &mut Pcg64) -> f64 {
    // 1 - u lies in (0, 1], so the logarithm is finite.
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// `n` draws from `N(0, std[i % std.len()]^2)`: row-major noise for `n / std.len()` actions
/// whose dimension `i` has standard deviation `std[i]`.
pub fn gaussian(rng: &mut Pcg64, n: usize, std: &[f32]) -> Vec<f32> {
    (0..n)
        .map(|i| (standard_normal(rng) * f64::from(std[i % std.len()])) as f32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kd_core::seeding::stream;

    #[test]
    fn moments_match_a_standard_normal() {
        let mut rng = stream(0, "noise");
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| standard_normal(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "variance {var}");
    }

    #[test]
    fn per_dimension_scale() {
        let noise = gaussian(&mut stream(1, "noise"), 4000, &[0.0, 2.0]);
        assert!(noise.iter().step_by(2).all(|&x| x == 0.0));
        let sd = (noise.iter().skip(1).step_by(2).map(|x| x * x).sum::<f32>() / 2000.0).sqrt();
        assert!((sd - 2.0).abs() < 0.15, "{sd}");
    }
}
