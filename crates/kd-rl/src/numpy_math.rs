//! Scalar operations with NumPy/Python semantics that Rust's operators do not
//! reproduce bit for bit.

extern "C" {
    // C99 libm, glibc on x86_64-linux-gnu: the functions NumPy's scalar `**`
    // calls for float64/float32.
    fn pow(x: f64, y: f64) -> f64;
    fn powf(x: f32, y: f32) -> f32;
}

/// `x ** y` on an `np.float64`: libm `pow`. The exponent goes through
/// `black_box` so LLVM cannot rewrite `pow(x, 2.0)` into `x * x`, which
/// differs from glibc's `pow` in the last bit for about 0.1% of inputs.
pub fn np_pow(x: f64, y: f64) -> f64 {
    let y = std::hint::black_box(y);
    // SAFETY: `pow` is a pure C function taking and returning doubles.
    unsafe { pow(x, y) }
}

/// `x ** y` on an `np.float32`: libm `powf` (see [`np_pow`]).
pub fn np_powf(x: f32, y: f32) -> f32 {
    let y = std::hint::black_box(y);
    // SAFETY: `powf` is a pure C function taking and returning floats.
    unsafe { powf(x, y) }
}

/// NumPy's float64 `a % b` (floor modulo, `npy_divmod`): `fmod`, then add `b`
/// if the remainder is non-zero and its sign differs from `b`'s; a zero
/// remainder takes `b`'s sign.
pub fn np_floor_mod(a: f64, b: f64) -> f64 {
    let m = a % b; // Rust's `%` on floats is C `fmod` (exact).
    if b == 0.0 {
        return m;
    }
    if m != 0.0 {
        if (b < 0.0) != (m < 0.0) {
            m + b
        } else {
            m
        }
    } else {
        0.0f64.copysign(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_mod_follows_python() {
        assert_eq!(np_floor_mod(-1.0, 3.0), 2.0);
        assert_eq!(np_floor_mod(1.0, -3.0), -2.0);
        assert_eq!(np_floor_mod(7.5, 2.0), 1.5);
        let z = np_floor_mod(-4.0, 2.0);
        assert_eq!(z, 0.0);
        assert!(z.is_sign_positive());
        assert!(np_floor_mod(-0.0, -2.0).is_sign_negative());
        assert!(np_floor_mod(1.0, 0.0).is_nan());
    }

    #[test]
    fn pow_is_libm_pow() {
        assert_eq!(np_pow(3.0, 2.0), 9.0);
        assert_eq!(np_powf(-1.5, 2.0), 2.25);
        assert_eq!(np_pow(2.0, 0.5), std::f64::consts::SQRT_2);
    }
}
